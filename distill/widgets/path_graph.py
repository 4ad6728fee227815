"""PathGraph: the click-path graph, inline and interactive, with flows and a funnel.

The graph is :func:`distill.graphs.click_graph` drawn with plotly: pick the
node granularity (target, page, type, type and target, or the DOM ancestor
at a depth), prune edges by a minimum count and to the top N, show edge
weight as count or probability. Clicking a node highlights the edges into it
(orange) and out of it (green) and shows its :func:`distill.graphs.graph_metrics`.
The *Flows* tab draws :func:`distill.paths.flows` (the most frequent paths
from a chosen start) as a Sankey diagram, the *Funnel* tab
:func:`distill.paths.funnel` over chosen steps.

The layout is computed once per graph (networkx ``spring_layout`` of the
unpruned graph at that granularity, seeded), so moving a slider or narrowing
the data keeps every node where it was; only the busiest
``layout_nodes`` nodes are laid out by force, quieter ones sit on an outer ring.

Examples
--------
>>> import distill
>>> from distill.widgets import PathGraph
>>> events = distill.datasets.load_sample()
>>> pg = PathGraph(events, by="page", top=None)
>>> sorted(n.rsplit("/", 1)[1] for n in pg.graph.nodes)
['catalog.html', 'checkout.html', 'index.html']
>>> pg.set(min_count=5)
>>> all(d["count"] >= 5 for *_, d in pg.graph.edges(data=True))
True
"""

from __future__ import annotations

import copy
import html
import json
import math
from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from distill import frame as _frame
from distill import graphs as _graphs
from distill import paths as _paths
from distill.errors import InputError
from distill.widgets import _deps
from distill.widgets._base import Panel, as_list, plural, pre

__all__ = ["PathGraph"]

#: Node granularities offered (``by`` of :func:`distill.graphs.click_graph`).
GRANULARITIES = ("target", "page", "type", "type_target", "path")
VIEWS = ("graph", "flows", "funnel")
WEIGHTS = ("count", "probability")
_WIDTHS = (0.6, 1.4, 2.6, 4.5)
_WIDE = 1.6  # the layout is stretched sideways to fill a wide figure (axes keep equal scales, so arrows point right)
_EDGE = "rgba(110,110,110,0.55)"
_IN, _OUT, _PICK = "#ff7f0e", "#2ca02c", "#d62728"
_NODE = "#1f77b4"
_DEFAULTS: dict[str, Any] = {
    "by": "target",
    "depth": 3,
    "min_count": 1,
    "top": 50,
    "weight": "count",
    "drop_self_loops": True,
    "node": None,
    "view": "graph",
    "flow_start": None,
    "flow_depth": 4,
    "flow_top": 10,
    "funnel_steps": [],
    "layout_nodes": 300,
}


class PathGraph(Panel):
    """Click-path graph of an event frame, drawn inline: prune, weigh, click nodes, follow flows and funnels.

    Examples
    --------
    Pages as nodes, edges seen at least five times; the graph shown is the
    library's own :func:`distill.graphs.click_graph` with the same options:

    >>> import distill
    >>> panel = PathGraph(distill.datasets.load_sample(), by="page", min_count=5)
    >>> panel.settings()
    {'by': 'page', 'min_count': 5}
    >>> print(panel.to_code().splitlines()[1])
    graph = click_graph(events, by='page', min_count=5, top=50, drop_self_loops=True)
    >>> panel.graph.number_of_edges(), panel.to_dict()["kind"]
    (3, 'graph')

    Parameters
    ----------
    frame : DataFrame
        An event frame (or a sessionised one).
    by : str
        Node granularity: ``"target"``, ``"page"``, ``"type"``, ``"type_target"``
        or ``"path"`` (the DOM ancestor at ``depth``).
    depth : int
        DOM depth for ``by="path"``.
    min_count : int
        Hide edges seen fewer times.
    top : int or None
        Show only the ``top`` busiest edges (None: all).
    weight : str
        Edge width shows ``"count"`` or ``"probability"``.
    drop_self_loops : bool
        Ignore a node followed by itself (runs of mouseovers).
    node : str, optional
        The picked node (its in and out edges highlighted, its metrics shown).
    view : str
        Tab shown: ``"graph"``, ``"flows"`` or ``"funnel"``.
    flow_start : str, optional
        Node the flows start from (None: each session's first node).
    flow_depth, flow_top : int
        Steps followed from the start, and how many of the most frequent paths.
    funnel_steps : list of str
        Nodes of the funnel, in order.
    layout_nodes : int
        At most this many (busiest) nodes are laid out by force.
    layout_events : DataFrame, optional
        The frame whose graph fixes the node positions (default: ``frame``);
        a :class:`~distill.widgets.Dashboard` passes the whole frame, so narrowing never moves
        a node. Not part of :meth:`settings`.

    Attributes
    ----------
    graph : networkx.DiGraph
        The graph shown (pruned).
    figure : object
        The plotly ``FigureWidget`` that draws :attr:`graph`.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        by: str = "target",
        depth: int = 3,
        min_count: int = 1,
        top: int | None = 50,
        weight: str = "count",
        drop_self_loops: bool = True,
        node: str | None = None,
        view: str = "graph",
        flow_start: str | None = None,
        flow_depth: int = 4,
        flow_top: int = 10,
        funnel_steps: Sequence[str] = (),
        layout_nodes: int = 300,
        layout_events: pd.DataFrame | None = None,
    ) -> None:
        super().__init__()
        w = _deps.need("ipywidgets")
        go = _deps.need("plotly.graph_objects", "plotly")
        for name, value, allowed in (("by", by, GRANULARITIES), ("weight", weight, WEIGHTS), ("view", view, VIEWS)):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
        self._events = _frame.require(frame, ["time", "session"], what="PathGraph")
        self._base = self._events if layout_events is None else layout_events
        self.layout_nodes = int(layout_nodes)
        self._positions: dict[tuple[Any, ...], dict[Any, tuple[float, float]]] = {}
        self._full: dict[tuple[Any, ...], tuple[pd.DataFrame, nx.DiGraph]] = {}
        self._metrics_cache: dict[tuple[Any, ...], pd.DataFrame] = {}
        self.graph = nx.DiGraph()
        self.flows: pd.DataFrame | None = None
        self.funnel: _paths.Funnel | None = None
        self._node_names: list[Any] = []

        style = {"description_width": "110px"}
        self._by = w.Dropdown(options=list(GRANULARITIES), value=by, description="Nodes", style=style)
        self._depth = w.IntSlider(
            value=int(depth), min=1, max=12, continuous_update=False, description="DOM depth", style=style
        )
        self._min_count = w.IntSlider(
            value=int(min_count),
            min=1,
            max=max(2, int(min_count)),
            continuous_update=False,
            description="Min edge count",
            style=style,
        )
        self._min_count.add_class("distill-pg-min-count")
        self._top = w.IntSlider(
            value=0 if top is None else int(top), min=0, max=500, continuous_update=False, description="Top edges"
        )
        self._top.style.description_width = "110px"
        self._top.add_class("distill-pg-top")
        self._top.tooltip = "show only the busiest edges (0: every edge)"
        self._weight = w.ToggleButtons(options=list(WEIGHTS), value=weight, description="Edge weight", style=style)
        self._weight.style.button_width = "90px"
        self._loops = w.Checkbox(value=bool(drop_self_loops), description="ignore repeats (self loops)", indent=False)
        self._status = w.HTML()
        self._status.add_class("distill-pg-status")
        self._info = w.HTML("<i>click a node to see its metrics</i>", layout=w.Layout(width="320px"))
        self._info.add_class("distill-pg-node")
        for name in ("_by", "_depth", "_min_count", "_top", "_weight", "_loops"):
            getattr(self, name).layout.width = "360px" if name != "_loops" else "260px"
        self._figure: Any = None  # the graph's FigureWidget, made when first shown
        self._graph_box = w.HBox(layout=w.Layout(min_height="560px"))
        self._graph_traces: dict[str, Any] = {}

        # flows
        self._flow_start = w.Dropdown(options=[("(session start)", None)], description="Start", style=style)
        self._flow_start.add_class("distill-pg-flow-start")
        self._flow_depth = w.IntSlider(
            value=int(flow_depth), min=1, max=10, continuous_update=False, description="Steps", style=style
        )
        self._flow_top = w.IntSlider(
            value=int(flow_top), min=1, max=100, continuous_update=False, description="Top paths", style=style
        )
        self._flow_status = w.HTML()
        #: The Sankey of the flows (a plotly Figure; shown through plotly's notebook renderer).
        self.flow_figure = go.Figure(
            go.Sankey(node={"label": [], "pad": 12, "thickness": 14}, link={"source": [], "target": [], "value": []}),
            layout={"height": 480, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}},
        )
        self._flow_out = w.Output()
        self._flow_out.add_class("distill-pg-flows")
        # funnel
        self._funnel_steps = w.TagsInput(value=[], allowed_tags=[], allow_duplicates=True)
        self._funnel_steps.add_class("distill-pg-funnel-steps")
        self._funnel_status = w.HTML()
        #: The funnel chart (a plotly Figure).
        self.funnel_figure = go.Figure(
            go.Funnel(y=[], x=[], textinfo="value+percent initial"),
            layout={"height": 380, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}},
        )
        self._funnel_out = w.Output()
        self._funnel_out.add_class("distill-pg-funnel")

        graph_tab = w.VBox(
            [
                w.HBox(
                    [
                        w.VBox([self._by, self._depth, self._loops]),
                        w.VBox([self._min_count, self._top, self._weight]),
                    ]
                ),
                self._status,
                w.HBox([self._graph_box, self._info], layout=w.Layout(align_items="flex-start")),
            ]
        )
        flow_tab = w.VBox(
            [w.HBox([self._flow_start, self._flow_depth, self._flow_top]), self._flow_status, self._flow_out]
        )
        funnel_tab = w.VBox(
            [
                w.HTML("<b>Funnel steps</b> (nodes, in order; type to pick)"),
                self._funnel_steps,
                self._funnel_status,
                self._funnel_out,
            ]
        )
        self._tabs = w.Tab(children=[graph_tab, flow_tab, funnel_tab])
        for i, title in enumerate(("Graph", "Flows", "Funnel")):
            self._tabs.set_title(i, title)
        self._tabs.add_class("distill-pg-tabs")
        self._code = w.HTML()
        self.widget = w.VBox([self._tabs, self._code])
        self.widget.add_class("distill-path-graph")

        self._node: Any = None
        self._stale = {"flows": True, "funnel": True}
        with self.hold():
            self.set(
                view=view,
                node=node,
                flow_start=flow_start,
                funnel_steps=list(funnel_steps),
            )
            self._pending = True
        for ctl in (self._by, self._depth, self._min_count, self._top, self._weight, self._loops):
            ctl.observe(self._changed, names="value")
        for ctl in (self._flow_start, self._flow_depth, self._flow_top, self._funnel_steps):
            ctl.observe(self._changed, names="value")
        self._tabs.observe(self._view_changed, names="selected_index")

    # -- state -----------------------------------------------------------------------------
    def set(self, **values: Any) -> None:
        """Set controls by their setting names (``min_count=3``, ``node="button#go"``), recomputing once."""
        unknown = set(values) - set(_DEFAULTS)
        if unknown:
            raise ValueError(f"PathGraph has no setting {sorted(unknown)!r}; settings: {', '.join(_DEFAULTS)}")
        with self.hold():
            for name, value in values.items():
                if name == "by":
                    if value not in GRANULARITIES:
                        raise ValueError(f"by must be one of {', '.join(GRANULARITIES)}; got {value!r}")
                    self._by.value = value
                elif name == "depth":
                    self._depth.value = int(value)
                elif name == "min_count":
                    if int(value) < 1:
                        raise ValueError(f"min_count must be at least 1, got {value!r}")
                    self._min_count.max = max(self._min_count.max, int(value))
                    self._min_count.value = int(value)
                elif name == "top":
                    top = 0 if value is None else int(value)
                    if top < 0:
                        raise ValueError(f"top must be None or at least 0, got {value!r}")
                    self._top.max = max(self._top.max, top)
                    self._top.value = top
                elif name == "weight":
                    if value not in WEIGHTS:
                        raise ValueError(f"weight must be one of {', '.join(WEIGHTS)}; got {value!r}")
                    self._weight.value = value
                elif name == "drop_self_loops":
                    self._loops.value = bool(value)
                elif name == "node":
                    self._node = value
                elif name == "view":
                    if value not in VIEWS:
                        raise ValueError(f"view must be one of {', '.join(VIEWS)}; got {value!r}")
                    self._tabs.selected_index = VIEWS.index(value)
                elif name == "flow_start":
                    self._set_flow_start(value)
                elif name == "flow_depth":
                    self._flow_depth.value = int(value)
                elif name == "flow_top":
                    self._flow_top.value = int(value)
                elif name == "funnel_steps":
                    steps = [str(v) for v in as_list(value)]
                    with self._mute():
                        self._funnel_steps.allowed_tags = sorted({*self._funnel_steps.allowed_tags, *steps})
                    self._funnel_steps.value = steps
                elif name == "layout_nodes":
                    self.layout_nodes = int(value)
                    self._positions.clear()
            self._pending = True

    def _set_flow_start(self, value: Any) -> None:
        known = [v for _, v in self._flow_start.options]
        if value is not None and value not in known:
            with self._mute():
                self._flow_start.options = [*self._flow_start.options, (str(value), value)]
        self._flow_start.value = value

    @property
    def options(self) -> dict[str, Any]:
        """The :func:`distill.graphs.click_graph` arguments of the graph shown."""
        out: dict[str, Any] = {"by": self._by.value}
        if self._by.value == "path":
            out["depth"] = int(self._depth.value)
        out["min_count"] = int(self._min_count.value)
        out["top"] = int(self._top.value) or None
        out["drop_self_loops"] = bool(self._loops.value)
        return out

    @property
    def node(self) -> Any:
        """The picked node (None if none)."""
        return self._node

    @property
    def view(self) -> str:
        return VIEWS[self._tabs.selected_index or 0]

    def settings(self) -> dict[str, Any]:
        """Every control that differs from its default, as keyword arguments of :class:`PathGraph`."""
        now = {
            "by": self._by.value,
            "depth": int(self._depth.value),
            "min_count": int(self._min_count.value),
            "top": int(self._top.value) or None,
            "weight": self._weight.value,
            "drop_self_loops": bool(self._loops.value),
            "node": self._node,
            "view": self.view,
            "flow_start": self._flow_start.value,
            "flow_depth": int(self._flow_depth.value),
            "flow_top": int(self._flow_top.value),
            "funnel_steps": list(self._funnel_steps.value),
            "layout_nodes": self.layout_nodes,
        }
        return {k: v for k, v in now.items() if v != _DEFAULTS[k]}

    def _by_args(self) -> dict[str, Any]:
        return {"by": ("path", int(self._depth.value))} if self._by.value == "path" else {"by": self._by.value}

    def to_code(self, events: str = "events") -> str:
        """The Python calls that compute the graph, the picked node's metrics, the flows and the funnel."""
        opts = self.options
        args = ", ".join(f"{k}={v!r}" for k, v in opts.items())
        lines = ["from distill.graphs import click_graph, graph_metrics"]
        lines.append(f"graph = click_graph({events}, {args})")
        if self._node is not None:
            full = {k: v for k, v in opts.items() if k not in ("min_count", "top")}
            fargs = ", ".join(f"{k}={v!r}" for k, v in full.items())
            lines.append(f"metrics = graph_metrics(click_graph({events}, {fargs})).loc[{self._node!r}]")
        by = self._by_args()["by"]
        if self.view == "flows" or self._flow_start.value is not None:
            lines.append("from distill.paths import flows")
            lines.append(
                f"flow = flows({events}, start={self._flow_start.value!r}, depth={int(self._flow_depth.value)}, "
                f"top={int(self._flow_top.value)}, by={by!r})"
            )
        if self._funnel_steps.value:
            lines.append("from distill.paths import funnel")
            lines.append(f"steps = funnel({events}, {list(self._funnel_steps.value)!r}, by={by!r})")
        return "\n".join(lines)

    def shown(self) -> Any:
        if self.view == "flows":
            self._ensure("flows")
            return self.flows
        if self.view == "funnel":
            self._ensure("funnel")
            if self.funnel is None:
                raise ValueError("the funnel has no steps yet: set funnel_steps")
            return self.funnel
        return self.graph

    def _meta(self) -> dict[str, Any]:
        meta = {**super()._meta(), "view": self.view}
        if self._node is not None and self.view == "graph":
            meta["node"] = self.node_metrics()
        return meta

    # -- data ------------------------------------------------------------------------------
    def set_events(self, frame: pd.DataFrame) -> None:
        """Show another frame (a narrowed selection, say); node positions stay where they were."""
        self._events = _frame.require(frame, ["time", "session"], what="PathGraph")
        self._metrics_cache.clear()
        self._stale = {"flows": True, "funnel": True}
        self._changed()

    def _key(self) -> tuple[Any, ...]:
        return (self._by.value, int(self._depth.value) if self._by.value == "path" else None, bool(self._loops.value))

    def _full_graph(self, events: pd.DataFrame) -> nx.DiGraph:
        """The unpruned graph of ``events`` at the current granularity (cached: base frame and current one)."""
        key = (id(events), *self._key())
        hit = self._full.get(key)
        if hit is None or hit[0] is not events:
            if len(self._full) >= 4:
                self._full.pop(next(iter(self._full)))
            hit = (events, _graphs.click_graph(events, **self._unpruned()))
            self._full[key] = hit
        return hit[1]

    def _unpruned(self) -> dict[str, Any]:
        return {k: v for k, v in self.options.items() if k not in ("min_count", "top")}

    def _layout(self, graph: nx.DiGraph) -> dict[Any, tuple[float, float]]:
        """Positions of the nodes: from the layout of the base frame's graph, extended for new nodes."""
        key = self._key()
        pos = self._positions.get(key)
        if pos is None:
            pos = _spring(self._full_graph(self._base), self.layout_nodes)
            self._positions[key] = pos
        missing = [n for n in graph.nodes if n not in pos]
        if missing:
            pos.update(_ring(missing, len(pos)))
        return pos

    def node_metrics(self, node: Any = None) -> dict[str, Any]:
        """:func:`distill.graphs.graph_metrics` of a node (default: the picked one) in the unpruned graph."""
        node = self._node if node is None else node
        key = (id(self._events), *self._key())
        table = self._metrics_cache.get(key)
        if table is None:
            full = self._full_graph(self._events)
            k = None if full.number_of_nodes() <= 400 else 200
            table = _graphs.graph_metrics(full, betweenness_k=k)
            self._metrics_cache = {key: table}
        if node not in table.index:
            raise KeyError(f"{node!r} is not a node of this graph")
        from distill.export import plain

        return {"node": plain(node), **plain(table.loc[node].to_dict())}

    # -- views -----------------------------------------------------------------------------
    def _refresh(self) -> None:
        self._depth.disabled = self._by.value != "path"
        self.graph = g = _graphs.click_graph(self._events, **self.options)
        # slider ranges follow the data (never below the current value, so nothing is clamped)
        busiest = max((c for *_, c in g.edges(data="count")), default=0)
        if busiest:
            self._min_count.max = max(2, int(busiest), int(self._min_count.value))
        total = g.number_of_edges() + int(g.graph.get("pruned_edges", 0))
        self._top.max = max(1, total, int(self._top.value))
        if self._node is not None and self._node not in g:
            self._node = None
        self._draw_graph()
        self._stale = {"flows": True, "funnel": True}
        if self.view != "graph":
            self._ensure(self.view)
        self._code.value = pre(self.to_code())
        self._notify()

    def _view_changed(self, *_: Any) -> None:
        if self._hold_depth:
            self._pending = True
            return
        if self.view == "graph":
            _ = self.figure  # made on first view
        else:
            self._ensure(self.view)
        self._code.value = pre(self.to_code())

    def node_choices(self) -> list[Any]:
        """Every node of the data at this granularity, busiest first (choices for flows and funnels)."""
        full = self._full_graph(self._events)
        ranked = sorted(full.nodes(data="count"), key=lambda t: (-(t[1] or 0), str(t[0])))
        return [n for n, _ in ranked]

    def _update_choices(self) -> None:
        names = self.node_choices()
        current = self._flow_start.value
        opts = [("(session start)", None), *((_short(n, 60), n) for n in names)]
        if current is not None and current not in names:
            opts.append((str(current), current))
        with self._mute():
            self._flow_start.options = opts
            self._flow_start.value = current
            self._funnel_steps.allowed_tags = sorted({*map(str, names), *self._funnel_steps.value})

    def _draw_graph(self) -> None:
        g = self.graph
        pos = self._layout(g)
        names = list(g.nodes)
        self._node_names = names
        weight = self._weight.value
        edges = [(u, v, d) for u, v, d in g.edges(data=True) if u != v]
        wts = np.array([float(d[weight]) for *_, d in edges]) if edges else np.zeros(0)
        classes = _width_classes(wts)
        pick = self._node
        segs: list[tuple[list[Any], list[Any]]] = [([], []) for _ in _WIDTHS]
        seg_in: tuple[list[Any], list[Any]] = ([], [])
        seg_out: tuple[list[Any], list[Any]] = ([], [])
        ax, ay, angle, text = [], [], [], []
        for (u, v, d), c in zip(edges, classes):
            (x0, y0), (x1, y1) = _offset(pos[u], pos[v])
            target = seg_in if v == pick else seg_out if u == pick else segs[c]
            target[0].extend((x0, x1, None))
            target[1].extend((y0, y1, None))
            ax.append(x0 + 0.7 * (x1 - x0))
            ay.append(y0 + 0.7 * (y1 - y0))
            angle.append(math.degrees(math.atan2(x1 - x0, y1 - y0)))
            text.append(
                f"{html.escape(_short(u, 50))} → {html.escape(_short(v, 50))}<br>"
                f"count {d['count']:,}<br>probability {d['probability']:.3f}"
            )
        counts = np.array([float(g.nodes[n].get("count", 1)) for n in names]) if names else np.zeros(0)
        sizes = (8 + 22 * np.sqrt(counts / counts.max())).tolist() if len(counts) else []
        ins = set(g.predecessors(pick)) if pick is not None else set()
        outs = set(g.successors(pick)) if pick is not None else set()
        colours = [_PICK if n == pick else _IN if n in ins else _OUT if n in outs else _NODE for n in names]
        hover = [
            f"<b>{html.escape(str(n))}</b><br>events {a.get('count', 0):,}<br>sessions {a.get('sessions', 0):,}"
            + (f"<br>users {a['users']:,}" if "users" in a else "")
            for n, a in g.nodes(data=True)
        ]
        self._graph_traces = {
            "segments": segs,
            "in": seg_in,
            "out": seg_out,
            "arrows": {"x": ax, "y": ay, "text": text, "angle": angle},
            "nodes": {
                "x": [pos[n][0] for n in names],
                "y": [pos[n][1] for n in names],
                "text": [_short(n, 24) for n in names],
                "customdata": hover,
                "size": sizes,
                "color": colours,
            },
        }
        if self._figure is not None:
            self._apply_graph()
        shown_nodes, shown_edges = g.number_of_nodes(), g.number_of_edges()
        meta = g.graph
        pruned = int(meta.get("pruned_edges", 0))
        self._status.value = (
            f"<span class='distill-pg-count'>{plural(shown_nodes, 'node')}, {plural(shown_edges, 'edge')} shown</span>"
            f" ({pruned:,} edges hidden by the sliders) from {plural(int(meta.get('transitions', 0)), 'transition')}"
            f" in {plural(int(meta.get('sessions', 0)), 'session')}; edge width: {weight}"
        )
        self._show_node()

    def _before_display(self) -> None:
        if self.view == "graph":
            _ = self.figure

    @property
    def figure(self) -> Any:
        """The graph drawn with plotly (``plotly.graph_objects.FigureWidget``).

        Made when the panel is first shown on the Graph tab (or first asked
        for): each plotly widget carries plotly.js, so panels that are never
        shown make none.
        """
        if self._figure is None:
            self._figure = _graph_figure()
            self._figure.data[-1].on_click(self._clicked)
            self._graph_box.children = (self._figure,)
            if self._graph_traces:
                self._apply_graph()
        return self._figure

    def _apply_graph(self) -> None:
        fig, t = self.figure, self._graph_traces
        with fig.batch_update():
            for trace, (xs, ys) in zip(fig.data[: len(_WIDTHS)], t["segments"]):
                trace.x, trace.y = xs, ys
            fig.data[len(_WIDTHS)].update(x=t["in"][0], y=t["in"][1])
            fig.data[len(_WIDTHS) + 1].update(x=t["out"][0], y=t["out"][1])
            arrows = fig.data[len(_WIDTHS) + 2]
            arrows.update(x=t["arrows"]["x"], y=t["arrows"]["y"], text=t["arrows"]["text"])
            arrows.marker.update(angle=t["arrows"]["angle"], color="rgba(90,90,90,0.85)", symbol="arrow", size=9)
            nodes, spec = fig.data[-1], t["nodes"]
            nodes.update(x=spec["x"], y=spec["y"], text=spec["text"], customdata=spec["customdata"])
            nodes.marker.size = spec["size"]
            nodes.marker.color = spec["color"]
        _snapshot(fig)

    def _show_node(self) -> None:
        if self._node is None:
            self._info.value = "<i>click a node to see its metrics</i>"
            return
        m = self.node_metrics()
        rows = [
            ("events", f"{m.get('count', 0):,}"),
            ("sessions", f"{m.get('sessions', 0):,}"),
            ("users", f"{m.get('users', 0):,}" if m.get("users") is not None else ""),
            ("in / out degree", f"{m['in_degree']} / {m['out_degree']}"),
            ("in / out weight", f"{m['in_weight']:,} / {m['out_weight']:,}"),
            ("self loop", f"{m['self_loop']:,}"),
            ("pagerank", f"{m['pagerank']:.4f}"),
            ("betweenness", f"{m['betweenness']:.4f}"),
            ("closeness", f"{m['closeness']:.4f}"),
        ]
        g = self.graph
        ins = sorted(g.in_edges(self._node, data="count"), key=lambda e: -e[2])[:5]
        outs = sorted(g.out_edges(self._node, data="count"), key=lambda e: -e[2])[:5]
        body = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
        lists = (
            f"<div style='color:{_IN}'><b>from</b> "
            + ", ".join(f"{html.escape(_short(u, 30))} ({c:,})" for u, _, c in ins)
            + f"</div><div style='color:{_OUT}'><b>to</b> "
            + ", ".join(f"{html.escape(_short(v, 30))} ({c:,})" for _, v, c in outs)
            + "</div>"
        )
        self._info.value = (
            f"<div class='distill-pg-node-name'><b style='color:{_PICK}'>{html.escape(str(self._node))}</b></div>"
            f"<table>{body}</table>{lists}<div style='color:#777;font-size:11px'>metrics on the whole graph"
            " at this granularity, not only the edges shown</div>"
        )

    def select_node(self, node: Any) -> None:
        """Pick a node (as clicking it does): highlight its in and out edges, show its metrics; None to clear."""
        if node is not None and node not in self.graph:
            raise KeyError(f"{node!r} is not a node of the graph shown")
        self._node = node
        self._draw_graph()
        self._code.value = pre(self.to_code())
        self._notify()

    def _clicked(self, trace: Any, points: Any, state: Any) -> None:
        inds = list(getattr(points, "point_inds", []) or [])
        if not inds:
            return
        name = self._node_names[inds[0]]
        self.select_node(None if name == self._node else name)

    def _ensure(self, view: str) -> None:
        if not self._stale.get(view):
            return
        self._update_choices()
        if view == "flows":
            self._draw_flows()
        elif view == "funnel":
            self._draw_funnel()
        self._stale[view] = False

    def _draw_flows(self) -> None:
        by = self._by_args()["by"]
        start = self._flow_start.value
        try:
            fl = _paths.flows(
                self._events,
                start=start,
                depth=int(self._flow_depth.value),
                top=int(self._flow_top.value),
                by=by,
            )
        except (InputError, ValueError) as err:
            self.flows = None
            _show(self._flow_out, None, "")
            self._flow_status.value = _error(err)
            return
        self.flows = fl
        ids: dict[tuple[int, Any], int] = {}
        labels: list[str] = []

        def node_id(step: int, name: Any) -> int:
            key = (step, name)
            if key not in ids:
                ids[key] = len(labels)
                labels.append(_short(name, 30))
            return ids[key]

        src, dst, val = [], [], []
        for step, s, t, c in fl[["step", "source", "target", "count"]].itertuples(index=False):
            src.append(node_id(int(step) - 1, s))
            dst.append(node_id(int(step), t))
            val.append(int(c))
        sankey = self.flow_figure.data[0]
        sankey.node.label = labels
        sankey.link.update(source=src, target=dst, value=val)
        _show(self._flow_out, self.flow_figure, f"flows: {len(val)} links")
        meta = fl.attrs.get("distill_meta", {})
        covered = meta.get("covered")
        self._flow_status.value = (
            f"{plural(int(meta.get('paths_shown', 0)), 'path')} of {int(meta.get('paths_distinct', 0)):,} distinct, "
            f"from {plural(int(meta.get('anchors', 0)), 'start')}"
            + (f", covering {covered:.0%} of them" if covered is not None else "")
        )

    def _draw_funnel(self) -> None:
        steps = list(self._funnel_steps.value)
        fig = self.funnel_figure.data[0]
        if not steps:
            self.funnel = None
            fig.update(x=[], y=[])
            _show(self._funnel_out, None, "")
            self._funnel_status.value = "<i>add steps to see how many sessions get how far</i>"
            return
        by = self._by_args()["by"]
        try:
            f = _paths.funnel(self._events, steps, by=by)
        except (InputError, ValueError) as err:
            self.funnel = None
            _show(self._funnel_out, None, "")
            self._funnel_status.value = _error(err)
            return
        self.funnel = f
        fig.update(y=[_short(s, 40) for s in f.steps["name"]], x=f.steps["entered"].tolist())
        _show(self._funnel_out, self.funnel_figure, f"funnel: {len(steps)} steps")
        self._funnel_status.value = (
            f"{plural(int(f.meta.get('sessions', 0)), 'session')}; {f.completed:,} went through every step"
        )


# -- drawing helpers ---------------------------------------------------------------------------
def _graph_figure() -> Any:
    """The FigureWidget the graph is drawn in: edge width classes, in/out highlights, arrows, nodes (last)."""
    go = _deps.need("plotly.graph_objects", "plotly")
    fig = go.FigureWidget(
        data=[
            *[
                go.Scatter(x=[], y=[], mode="lines", line={"width": wd, "color": _EDGE}, hoverinfo="skip")
                for wd in _WIDTHS
            ],
            go.Scatter(x=[], y=[], mode="lines", line={"width": 3, "color": _IN}, hoverinfo="skip", name="in"),
            go.Scatter(x=[], y=[], mode="lines", line={"width": 3, "color": _OUT}, hoverinfo="skip", name="out"),
            go.Scatter(
                x=[],
                y=[],
                mode="markers",
                marker={"symbol": "arrow", "size": 9, "color": "rgba(90,90,90,0.8)", "angle": []},
                hovertemplate="%{text}<extra></extra>",
                text=[],
                name="edges",
            ),
            go.Scatter(
                x=[],
                y=[],
                mode="markers+text",
                marker={"size": [], "color": [], "line": {"width": 1, "color": "white"}},
                text=[],
                textposition="top center",
                textfont={"size": 10},
                hovertemplate="%{customdata}<extra></extra>",
                customdata=[],
                name="nodes",
            ),
        ],
        layout=go.Layout(
            showlegend=False,
            height=560,
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
            xaxis={"visible": False},
            yaxis={"visible": False, "scaleanchor": "x"},
            plot_bgcolor="white",
            hovermode="closest",
            clickmode="event",
            dragmode="pan",
            uirevision="keep",
        ),
    )
    fig.add_class("distill-pg-figure")
    return fig


def _snapshot(fig: Any) -> None:
    """Keep the widget's synced state equal to the figure.

    plotly sends updates as deltas and refreshes its full state only when the
    figure itself is displayed; inside a panel it never is, and a view made
    later (Voila renders after the whole notebook ran) would draw the empty
    first state. This does what plotly's own display does.
    """
    fig._widget_layout = copy.deepcopy(fig._layout_obj._props)
    fig._widget_data = copy.deepcopy(fig._data)


def _error(err: Exception) -> str:
    return f"<span class='distill-error' style='color:#b00'>{html.escape(str(err))}</span>"


def _show(out: Any, figure: Any, text: str) -> None:
    """Show a plotly figure in an Output widget through plotly's notebook renderer (no widget per figure)."""
    if figure is None:
        out.outputs = ()
        return
    spec = json.loads(figure.to_json())
    out.outputs = (
        {
            "output_type": "display_data",
            "data": {"application/vnd.plotly.v1+json": {**spec, "config": {"displaylogo": False}}, "text/plain": text},
            "metadata": {},
        },
    )


def _short(value: Any, n: int) -> str:
    text = str(value)
    if text.startswith(("http://", "https://")):
        text = text.split("://", 1)[1].split("/", 1)[-1] or text
    return text if len(text) <= n else text[: n - 1] + "…"


def _spring(graph: nx.DiGraph, limit: int) -> dict[Any, tuple[float, float]]:
    """Seeded spring layout of the busiest ``limit`` nodes; the rest on an outer ring."""
    ranked = sorted(graph.nodes(data="count"), key=lambda t: (-(t[1] or 0), str(t[0])))
    core = [n for n, _ in ranked[:limit]]
    rest = [n for n, _ in ranked[limit:]]
    pos: dict[Any, tuple[float, float]] = {}
    if core:
        sub = nx.Graph()
        sub.add_nodes_from(core)
        sub.add_edges_from((u, v) for u, v in graph.subgraph(core).edges if u != v)
        found = nx.spring_layout(sub, seed=0, k=1.6 / math.sqrt(max(len(core), 1)), iterations=100)
        pos = {n: (_WIDE * float(xy[0]), float(xy[1])) for n, xy in found.items()}
    pos.update(_ring(rest, len(pos)))
    return pos


def _ring(nodes: Sequence[Any], offset: int) -> dict[Any, tuple[float, float]]:
    out = {}
    n = max(len(nodes), 1)
    for i, node in enumerate(nodes):
        a = 2 * math.pi * (i + 0.5 * (offset % 2)) / n
        out[node] = (_WIDE * 1.5 * math.cos(a), 1.5 * math.sin(a))
    return out


def _offset(a: tuple[float, float], b: tuple[float, float]) -> tuple[tuple[float, float], tuple[float, float]]:
    """Shift an edge sideways (to its right) so a -> b and b -> a are told apart."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    ox, oy = 0.012 * dy / length, -0.012 * dx / length
    return (a[0] + ox, a[1] + oy), (b[0] + ox, b[1] + oy)


def _width_classes(weights: np.ndarray) -> list[int]:
    """Width class 0..3 of each edge: quartiles of the weights shown."""
    if not len(weights):
        return []
    if float(weights.max()) == float(weights.min()):
        return [1] * len(weights)
    cuts = np.quantile(weights, [0.5, 0.8, 0.95])
    return np.searchsorted(cuts, weights, side="right").tolist()
