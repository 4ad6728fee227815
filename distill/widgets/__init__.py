"""Jupyter panels: query builder, session explorer, click-path graph and a dashboard linking them.

The panels are thin views over Distill's functions (they add no analysis
of their own): :class:`QueryBuilder` builds a :class:`~distill.query.Query`,
:class:`SessionExplorer` shows :func:`distill.sessions.session_table` and
session timelines, :class:`PathGraph` draws :func:`distill.graphs.click_graph`
with flows and funnels from :mod:`distill.paths`, and :class:`Dashboard`
links the three. Every panel's state round-trips: ``panel.settings()``
recreates it, ``panel.to_code()`` gives the equivalent Python, and
``panel.to_dict()`` / ``panel.to_json()`` export what it shows.

They need the ``widgets`` extra (``pip install 'distill[widgets]'``:
ipywidgets, plotly, bqplot); without it, using a panel raises
:class:`~distill.errors.MissingDependencyError`.

Examples
--------
>>> import distill
>>> from distill.widgets import QueryBuilder
>>> qb = QueryBuilder(distill.datasets.load_sample(), users=["bob"])
>>> len(qb.result)
520
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["QueryBuilder", "SessionExplorer", "PathGraph", "Dashboard", "build_query"]

_HOME = {
    "QueryBuilder": "query_builder",
    "build_query": "query_builder",
    "SessionExplorer": "session_explorer",
    "PathGraph": "path_graph",
    "Dashboard": "dashboard",
}

if TYPE_CHECKING:  # pragma: no cover
    from distill.widgets.dashboard import Dashboard
    from distill.widgets.path_graph import PathGraph
    from distill.widgets.query_builder import QueryBuilder, build_query
    from distill.widgets.session_explorer import SessionExplorer


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'distill.widgets' has no attribute {name!r}")
    module = importlib.import_module(f"distill.widgets.{home}")
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted(__all__)
