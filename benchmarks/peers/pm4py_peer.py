"""pm4py: the directly-follows graph (``pm4py.discover_dfg``) of the sessions.

pm4py has no inactivity-gap sessionising, so it gets the 30-minute sessions
ready-made (``gap_session``, computed by the harness); in the
``session_graph`` row it is therefore timed on the graph alone. pm4py wants
string columns for case and activity: that conversion, and dropping events
without a target (which Distill does inside its timed call), are done in the
untimed setup, in pm4py's favour. Transition probabilities are added to its
counts in the timed part (a dictionary pass over the few hundred edges).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any


def available() -> str | None:
    try:
        import pm4py  # noqa: F401
    except ImportError as err:
        return f"pm4py is not installed ({err})"
    return None


def version() -> str:
    import pm4py

    return str(pm4py.__version__)


def _setup(args: dict[str, Any]) -> Any:
    import pandas as pd

    df = pd.read_parquet(args["parquet"], columns=["time", "gap_session", "target"])
    df = df.dropna(subset=["target"])
    for col in ("gap_session", "target"):
        df[col] = df[col].astype(str)
    return df.reset_index(drop=True)


def _graph(df: Any) -> dict[tuple[str, str], tuple[int, float]]:
    import pm4py

    dfg, _start, _end = pm4py.discover_dfg(df, case_id_key="gap_session", activity_key="target", timestamp_key="time")
    out_total: dict[str, int] = defaultdict(int)
    for (a, _b), count in dfg.items():
        out_total[a] += count
    return {(a, b): (count, count / out_total[a]) for (a, b), count in dfg.items()}


def _check(graph: dict[tuple[str, str], tuple[int, float]]) -> dict[str, Any]:
    return {"edges": len(graph), "transitions": int(sum(c for c, _ in graph.values()))}


STAGES = {
    "graph": (_setup, _graph, _check, "discover_dfg; sessions given"),
    "session_graph": (_setup, _graph, _check, "graph only: sessions given, strings prepared untimed"),
}
