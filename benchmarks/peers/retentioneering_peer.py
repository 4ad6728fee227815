"""retentioneering: session split by inactivity and the transition graph's matrix.

The analyst's way: build an ``Eventstream`` from the DataFrame (user paths,
target as the event), ``split_sessions(timeout="30m")``, then
``transition_graph_data(edge_weight="proba_out", path_col="session_id")``,
the data behind its transition-graph widget (counts come from
``edge_weight="count"``; one call is timed, as one graph is built).
Building the Eventstream is part of the timed work: it is how data gets into
retentioneering. Usage tracking is switched off (``RETENTIONEERING_NO_TRACK``).
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("RETENTIONEERING_NO_TRACK", "1")


def available() -> str | None:
    try:
        import retentioneering  # noqa: F401
    except ImportError as err:
        return f"retentioneering is not installed ({err})"
    return None


def version() -> str:
    import retentioneering

    return str(retentioneering.__version__)


def _setup(args: dict[str, Any]) -> Any:
    import pandas as pd

    return pd.read_parquet(args["parquet"], columns=["time", "user", "gap_session", "target"])


def _stream(df: Any, path: str) -> Any:
    from retentioneering import Eventstream

    d = df.dropna(subset=["target"])
    return Eventstream(d, schema={"path_cols": [path], "event_col": "target", "timestamp_col": "time"})


def _sessionize(df: Any) -> Any:
    return _stream(df, "user").split_sessions(timeout="30m")


def _graph(df: Any) -> Any:
    return _stream(df, "gap_session").transition_graph_data(edge_weight="proba_out")


def _session_graph(df: Any) -> Any:
    return _sessionize(df).transition_graph_data(edge_weight="proba_out", path_col="session_id")


def _graph_check(matrix: Any) -> dict[str, Any]:
    return {"edges": int((matrix.to_numpy() > 0).sum())}


STAGES = {
    "sessionize": (
        _setup,
        _sessionize,
        lambda s: {"sessions": int(s.df["session_id"].nunique())},
        "Eventstream + split_sessions (events without a target dropped)",
    ),
    "graph": (_setup, _graph, _graph_check, "Eventstream + transition matrix; sessions given"),
    "session_graph": (_setup, _session_graph, _graph_check, "Eventstream + split_sessions + transition matrix"),
}
