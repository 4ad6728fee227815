"""The original Flagon Distill (PyPI ``flagon-distill``): its graph building.

Flagon Distill builds a click graph from an edge list: ``pairwiseSeq`` over the
targets of each session in time order, then ``createDiGraph(nodes, edges)``,
a networkx DiGraph whose edge attribute ``capacity`` counts transitions. It
has no inactivity sessionising (its segments are time windows), so it gets
the 30-minute sessions ready-made (``gap_session``); in the ``session_graph``
row it is timed on the graph alone. Transition probabilities are added to
the edges in the timed part. It needs pandas < 2 and networkx < 3, hence its
own virtual environment; its package is also called ``distill``, which this
worker (run as a script) imports from that environment only.
"""

from __future__ import annotations

from typing import Any


def available() -> str | None:
    try:
        import distill

        if not hasattr(distill, "createDiGraph"):
            return "the importable 'distill' is not Flagon Distill"
    except ImportError as err:
        return f"flagon-distill is not installed ({err})"
    return None


def version() -> str:
    from importlib.metadata import version as v

    return v("flagon-distill")


def _setup(args: dict[str, Any]) -> Any:
    import pandas as pd

    return pd.read_parquet(args["parquet"], columns=["time", "gap_session", "target"])


def _graph(df: Any) -> Any:
    import distill

    d = df.dropna(subset=["target"]).sort_values(["gap_session", "time"])
    edges: list[tuple[str, str]] = []
    for _, targets in d.groupby("gap_session", observed=True)["target"]:
        edges.extend(distill.pairwiseSeq(targets.tolist()))
    graph = distill.createDiGraph(d["target"].unique().tolist(), edges)
    for node in graph:
        total = sum(c for _, _, c in graph.out_edges(node, data="capacity"))
        for _, _, attrs in graph.out_edges(node, data=True):
            attrs["probability"] = attrs["capacity"] / total
    return graph


def _check(graph: Any) -> dict[str, Any]:
    return {
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "transitions": int(sum(c for _, _, c in graph.edges(data="capacity"))),
    }


STAGES = {
    "graph": (_setup, _graph, _check, "pairwiseSeq + createDiGraph; sessions given"),
    "session_graph": (_setup, _graph, _check, "graph only: sessions given"),
}
