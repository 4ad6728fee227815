"""The stages measured for Distill: what each sets up (untimed) and runs (timed).

A stage names the Distill functions it needs; when one does not exist yet (the
module is still being written) the stage is reported as not available instead
of failing, so the harness can run at any point of the project's life.

Every stage works on the events of :func:`distill.datasets.scale_sample` (built
in the worker, untimed) or on the NDJSON/Parquet files the harness wrote from
them (:mod:`benchmarks.data`).
"""

from __future__ import annotations

import atexit
import importlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["STAGES", "Context", "Stage", "missing", "GAP", "FUNNEL_PAGES", "QUERY_TYPES", "QUERY_PAGE"]

#: Inactivity gap that ends a session (the analysts' usual half hour).
GAP = "30min"
#: The funnel: home page, then catalogue, then checkout, within a session.
FUNNEL_PAGES = (
    "http://127.0.0.1:8765/index.html",
    "http://127.0.0.1:8765/catalog.html",
    "http://127.0.0.1:8765/checkout.html",
)
#: The query: form and click activity on catalogue pages.
QUERY_TYPES = ("click", "input", "change")
QUERY_PAGE = "catalog"


@dataclass(frozen=True)
class Context:
    """What a worker knows: size, seed and the data files of that size."""

    n: int
    seed: int
    ndjson: Path | None = None
    parquet: Path | None = None
    es_url: str | None = None
    es_index: str | None = None


@dataclass(frozen=True)
class Stage:
    """One measured step of the pipeline."""

    name: str
    title: str
    needs: tuple[str, ...]
    setup: Callable[[Context], Any]
    run: Callable[[Any], Any]
    check: Callable[[Any], Any]
    data: str = "frame"  # frame | ndjson | es
    peers_note: str = ""
    options: dict[str, Any] = field(default_factory=dict)


def missing(stage: Stage) -> str | None:
    """What the stage needs that does not exist yet (None if everything does)."""
    gone = []
    for need in stage.needs:
        module, _, attr = need.partition(":")
        try:
            mod = importlib.import_module(module)
        except ImportError:
            gone.append(module)
            continue
        if attr and not hasattr(mod, attr):
            gone.append(f"{module}.{attr}")
    return ", ".join(gone) if gone else None


# -- setups ------------------------------------------------------------------------------
def _events(ctx: Context) -> Any:
    from distill.datasets import scale_sample

    return scale_sample(ctx.n, ctx.seed)


def _sessionised(ctx: Context) -> Any:
    from distill.sessions import sessionize

    return sessionize(_events(ctx), by="gap", gap=GAP)


def _saved_frame(ctx: Context) -> Path:
    """The events saved as users keep a frame, ``events.to_parquet(path)``, in a folder removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="distill-bench-frame-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "events.parquet"
    _events(ctx).to_parquet(path)
    return path


# -- runs -----------------------------------------------------------------------------------
def _reload(path: Path) -> Any:
    import distill

    return distill.read(path, schema="canonical")


def _read(path: Path) -> Any:
    import distill

    return distill.read(path)


def _query(events: Any) -> Any:
    from distill.query import Q, apply

    return apply(events, Q.type.isin(list(QUERY_TYPES)) & Q.page_url.contains(QUERY_PAGE))


def _sessionize(events: Any) -> Any:
    from distill.sessions import sessionize

    return sessionize(events, by="gap", gap=GAP)


def _graph(events: Any) -> Any:
    from distill.graphs import click_graph

    return click_graph(events, by="target")


def _session_graph(events: Any) -> Any:
    return _graph(_sessionize(events))


def _features(events: Any) -> Any:
    from distill.features import session_features

    return session_features(events)


def _funnel(events: Any) -> Any:
    from distill.paths import funnel

    return funnel(events, list(FUNNEL_PAGES), by="page")


def _export(events: Any) -> Any:
    from distill.export import to_json

    return to_json(events)


# -- checks (small summaries that peers must match) -------------------------------------------
def _frame_check(frame: Any) -> dict[str, Any]:
    from benchmarks.memory import frame_bytes

    mem = frame_bytes(frame)
    return {
        "rows": len(frame),
        "frame_bytes_per_event": round(mem["per_event"], 1),
        "details_payload_per_event": round(mem["details_payload_per_event"], 1),
        "memory": mem,
    }


def _rows(frame: Any) -> dict[str, Any]:
    return {"rows": len(frame)}


def _sessions_check(frame: Any) -> dict[str, Any]:
    return {"rows": len(frame), "sessions": int(frame["session"].nunique())}


def _graph_check(graph: Any) -> dict[str, Any]:
    return {
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "transitions": int(sum(c for _, _, c in graph.edges(data="count"))),
    }


def _funnel_check(result: Any) -> dict[str, Any]:
    return {"entered": [int(v) for v in result.steps["entered"].tolist()]}


def _text_check(text: Any) -> dict[str, Any]:
    return {"chars": len(text)}


def _es_setup(ctx: Context) -> Any:
    return ctx


def _es_read(ctx: Context) -> Any:
    from distill.sources.elasticsearch import ElasticsearchSource

    return ElasticsearchSource(ctx.es_url, index=ctx.es_index or "userale", library="opensearch").read()


def _panel_setup(ctx: Context) -> Any:
    """A PathGraph on the events, both granularities visited once (layouts are cached per granularity)."""
    from distill.widgets.path_graph import PathGraph

    panel = PathGraph(_events(ctx), by="target")
    panel.set(by="type_target")
    panel.set(by="target")
    return panel


def _panel_update(panel: Any) -> Any:
    """One update as a user makes it: switch the node granularity (graph recomputed, figure redrawn)."""
    panel.set(by="type_target" if panel.options["by"] == "target" else "target")
    return panel


def _panel_check(panel: Any) -> dict[str, Any]:
    return {"nodes": panel.graph.number_of_nodes(), "edges": panel.graph.number_of_edges()}


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage(
            "read",
            "read NDJSON into the canonical frame",
            ("distill.sources.files:read_files",),
            lambda ctx: ctx.ndjson,
            _read,
            _frame_check,
            data="ndjson",
        ),
        Stage(
            "reload",
            "read a saved frame back (to_parquet, schema='canonical')",
            ("distill.sources._typed:typed_block",),
            _saved_frame,
            _reload,
            _rows,
        ),
        Stage("query", "query/filter", ("distill.query:apply", "distill.query:Q"), _events, _query, _rows),
        Stage(
            "sessionize",
            f"sessionise by inactivity gap ({GAP})",
            ("distill.sessions:sessionize",),
            _events,
            _sessionize,
            _sessions_check,
        ),
        Stage(
            "graph",
            "click-path graph with transition probabilities",
            ("distill.sessions:sessionize", "distill.graphs:click_graph"),
            _sessionised,
            _graph,
            _graph_check,
        ),
        Stage(
            "session_graph",
            "sessionise + click-path graph",
            ("distill.sessions:sessionize", "distill.graphs:click_graph"),
            _events,
            _session_graph,
            _graph_check,
        ),
        Stage(
            "features",
            "session features",
            ("distill.features:session_features",),
            _events,
            _features,
            _rows,
        ),
        Stage(
            "funnel",
            "funnel home > catalogue > checkout",
            ("distill.paths:funnel",),
            _events,
            _funnel,
            _funnel_check,
        ),
        Stage("export", "export the events to JSON", ("distill.export:to_json",), _events, _export, _text_check),
        Stage(
            "es_read",
            "read from Elasticsearch (test server)",
            ("distill.sources.elasticsearch:ElasticsearchSource",),
            _es_setup,
            _es_read,
            _frame_check,
            data="es",
        ),
        Stage(
            "panel",
            "path-graph panel update (granularity changed)",
            ("distill.widgets.path_graph:PathGraph",),
            _panel_setup,
            _panel_update,
            _panel_check,
        ),
    )
}
