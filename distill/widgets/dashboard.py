"""Dashboard: the query builder, the session explorer and the path graph, linked.

A query narrows the sessions, the sessions picked (and the time brushed)
narrow the graph: the :class:`~distill.widgets.QueryBuilder` hands its result
to the :class:`~distill.widgets.SessionExplorer`, whose selection goes to the
:class:`~distill.widgets.PathGraph`. Node positions stay fixed as the data
narrows, so the graph changes in place.

Examples
--------
>>> import distill
>>> from distill.widgets import Dashboard
>>> dash = Dashboard(distill.datasets.load_sample())
>>> dash.query_builder.pick(users=["bob"])
>>> dash.session_explorer.table["user"].unique().tolist()
['bob']
>>> int(dash.path_graph.graph.graph["sessions"])
2
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from distill import export
from distill import frame as _frame
from distill.widgets import _deps
from distill.widgets._base import Panel
from distill.widgets.path_graph import PathGraph
from distill.widgets.query_builder import QueryBuilder
from distill.widgets.session_explorer import SessionExplorer

__all__ = ["Dashboard"]


class Dashboard(Panel):
    """The three panels, linked: query -> sessions -> graph.

    Examples
    --------
    >>> import distill
    >>> board = Dashboard(distill.datasets.load_sample())
    >>> board.settings(), board.to_dict()["kind"]
    ({}, 'dashboard')
    >>> print(board.to_code().splitlines()[0])
    # 1. query

    Parameters
    ----------
    source_or_frame : DataFrame or source
        An event frame, or a read-only source (then press *Run* in the query
        builder to read the events).
    query, sessions, graph : dict, optional
        Settings of the :class:`~distill.widgets.QueryBuilder`, :class:`~distill.widgets.SessionExplorer` and
        :class:`~distill.widgets.PathGraph` (their ``settings()``).

    Attributes
    ----------
    query_builder : distill.widgets.QueryBuilder
    session_explorer : distill.widgets.SessionExplorer
    path_graph : distill.widgets.PathGraph
    """

    def __init__(
        self,
        source_or_frame: Any,
        *,
        query: Mapping[str, Any] | None = None,
        sessions: Mapping[str, Any] | None = None,
        graph: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        w = _deps.need("ipywidgets")
        self.query_builder = QueryBuilder(source_or_frame, **dict(query or {}))
        first = self.query_builder.result
        if first is None:  # a source not read yet: start empty, fill on Run
            first = _frame.empty()
        base = source_or_frame if isinstance(source_or_frame, pd.DataFrame) else first
        self.session_explorer = SessionExplorer(first, **dict(sessions or {}))
        self.path_graph = PathGraph(self.session_explorer.selection, layout_events=base, **dict(graph or {}))
        self.query_builder.on_change(self._query_ran)
        self.session_explorer.on_change(self._selection_changed)
        self.path_graph.on_change(lambda _: self._notify())

        def section(title: str, body: Any) -> Any:
            acc = w.Accordion(children=[body])
            acc.set_title(0, title)
            acc.selected_index = 0
            return acc

        self.widget = w.VBox(
            [
                section("1 · Query: which events", self.query_builder.widget),
                section("2 · Sessions: which sessions and when", self.session_explorer.widget),
                section("3 · Paths: how users moved", self.path_graph.widget),
            ]
        )
        self.widget.add_class("distill-dashboard")

    def _before_display(self) -> None:
        for panel in (self.query_builder, self.session_explorer, self.path_graph):
            panel._before_display()

    def _query_ran(self, qb: QueryBuilder) -> None:
        if qb.result is not None:
            self.session_explorer.set_events(qb.result)

    def _selection_changed(self, ex: SessionExplorer) -> None:
        self.path_graph.set_events(ex.selection)

    @property
    def selection(self) -> pd.DataFrame:
        """The events the graph shows: the query's result, narrowed to the sessions and time picked."""
        return self.session_explorer.selection

    def settings(self) -> dict[str, Any]:
        """The three panels' settings: ``Dashboard(data, **dash.settings())`` recreates it."""
        parts = {
            "query": self.query_builder.settings(),
            "sessions": self.session_explorer.settings(),
            "graph": self.path_graph.settings(),
        }
        return {k: v for k, v in parts.items() if v}

    def to_code(self, events: str = "events") -> str:
        """The Python calls: the query, then the sessions and selection of its result, then the graph."""
        q = self.query_builder.to_code(events)
        s = self.session_explorer.to_code("result")
        g = self.path_graph.to_code("selection")
        return "\n".join(["# 1. query", q, "# 2. sessions of the result", s, "# 3. paths of the selection", g])

    def shown(self) -> Any:
        return self.path_graph.shown()

    def to_dict(self, *, limit: int | None = None) -> dict[str, Any]:
        """Kind ``dashboard``: the three panels' exports (each a full document) and the settings."""
        data = {
            "query": self.query_builder.to_dict(limit=limit),
            "sessions": self.session_explorer.to_dict(limit=limit),
            "graph": self.path_graph.to_dict(limit=limit),
        }
        return export.envelope("dashboard", data, {"panel": "Dashboard", "settings": self.settings()})

    def to_json(self, path: Any = None, *, limit: int | None = None, indent: int | None = None) -> str:
        """JSON text of :meth:`to_dict` (written to ``path`` if given)."""
        import json

        text = json.dumps(self.to_dict(limit=limit), indent=indent)
        if path is not None:
            from pathlib import Path

            Path(path).write_text(text, encoding="utf-8")
        return text
