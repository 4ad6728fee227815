"""Click-path graphs and models: transitions between consecutive events of a session.

A click-path graph is a :class:`networkx.DiGraph` whose nodes are what users
interacted with (elements, pages, event types, rolled-up DOM ancestors or any
column: see :func:`distill.features.node_key`) and whose edges are the moves
from one event to the next within a session, with counts and transition
probabilities (a first-order Markov chain). From it: a transition matrix,
per-node metrics (degrees, PageRank, betweenness, closeness) and, as derived
features, graph statistics per session or per user.

Everything is computed on integer codes: one stable sort by session (the frame
is already in time order), a shift, and counts of code pairs; the graph is
then built from the aggregated edge list, never event by event.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> g = click_graph(events, by="page", drop_self_loops=True)
>>> edges = sorted(g.edges(data="count"), key=lambda e: -e[2])[:2]
>>> [(u.rsplit("/", 1)[1], v.rsplit("/", 1)[1], n) for u, v, n in edges]
[('index.html', 'catalog.html', 21), ('catalog.html', 'checkout.html', 8)]
>>> g.graph["distill_kind"], g.graph["by"]
('graph', 'page')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from distill.features import _codes_of, _node_codes, _spec
from distill.frame import categories, require

__all__ = [
    "START",
    "END",
    "click_graph",
    "transition_matrix",
    "graph_metrics",
    "graph_features",
]

#: Id of the synthetic node every session starts from (``start_end=True``).
START = "(start)"
#: Id of the synthetic node every session ends in (``start_end=True``).
END = "(end)"

_FLAG_LIMIT = 1 << 24  # cells of a dense presence table before falling back to sorting


# -- ordered sequences (shared with distill.paths) -------------------------------------------
@dataclass(frozen=True)
class _Seq:
    """Events in (session, time) order as integer codes (compact integer dtypes)."""

    node: np.ndarray  # node codes (-1 only when null nodes are kept)
    sess: np.ndarray  # session codes (>= 0)
    rows: np.ndarray  # positions of these events in the input frame
    labels: pd.Index  # node labels by code
    sessions: pd.Index  # session labels by code
    name: str  # name of the node spec
    codes_all: np.ndarray  # node codes of every input event, in input order
    events: int  # events in the input
    without_node: int  # events with a session but no node (left out unless kept)
    without_session: int  # events with no session (left out)
    collapsed: int  # repeats removed by ``collapse``

    @cached_property
    def same(self) -> np.ndarray:
        """True at ``i`` where events ``i`` and ``i + 1`` are in the same session."""
        return self.sess[1:] == self.sess[:-1]

    @cached_property
    def first(self) -> np.ndarray:
        """True where a session begins."""
        out = np.ones(len(self.sess), dtype=bool)
        np.logical_not(self.same, out=out[1:])
        return out

    @cached_property
    def last(self) -> np.ndarray:
        """True where a session ends."""
        out = np.ones(len(self.sess), dtype=bool)
        np.logical_not(self.same, out=out[:-1])
        return out

    @cached_property
    def n_sessions(self) -> int:
        """Sessions with at least one event here."""
        return int(self.first.sum()) if len(self.sess) else 0

    def meta(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "events_used": len(self.node),
            "without_node": self.without_node,
            "without_session": self.without_session,
            "sessions": self.n_sessions,
            "collapsed": self.collapsed,
        }


def _time_ns(events: pd.DataFrame) -> np.ndarray:
    return events["time"].to_numpy(dtype="datetime64[ns]").view(np.int64)


def _sort_codes(codes: np.ndarray, n: int) -> np.ndarray:
    """Stable argsort of non-negative codes below ``n`` (radix sort where they fit in 16 bits)."""
    if n <= np.iinfo(np.uint16).max:
        return np.argsort(codes.astype(np.uint16, copy=False), kind="stable")
    return np.argsort(codes, kind="stable")


def _order(events: pd.DataFrame, sess: np.ndarray, n_sess: int, keep: np.ndarray) -> np.ndarray:
    """Positions of the kept events in (session, time, frame order) order."""
    t = _time_ns(events)
    if len(t) > 1 and (t[1:] < t[:-1]).any():
        base = np.argsort(t, kind="stable")
        idx = base[keep[base]]
    elif keep.all():
        return _sort_codes(sess, n_sess)
    else:
        idx = np.flatnonzero(keep)
    return idx[_sort_codes(sess[idx], n_sess)]


def _sequence(
    events: pd.DataFrame,
    by: Any = "target",
    depth: int | None = None,
    column: str | None = None,
    session: str = "session",
    *,
    keep_null_node: bool = False,
    collapse: bool = False,
    what: str = "click_graph",
) -> _Seq:
    """Events in (session, time) order; events without a session (and without a node) left out."""
    require(events, ["time", session], what=what)
    node, labels, name = _node_codes(events, by, depth, column)
    sess, sess_labels = _codes_of(events[session], what=what)
    has_sess = sess >= 0
    has_node = node >= 0
    rows = _order(events, sess, len(sess_labels), has_sess if keep_null_node else has_sess & has_node)
    s = sess[rows]
    k = node[rows]
    collapsed = 0
    if collapse and len(rows) > 1:
        repeat = np.zeros(len(rows), dtype=bool)
        repeat[1:] = (s[1:] == s[:-1]) & (k[1:] == k[:-1]) & (k[1:] >= 0)
        collapsed = int(repeat.sum())
        rows, s, k = rows[~repeat], s[~repeat], k[~repeat]
    return _Seq(
        node=k,
        sess=s,
        rows=rows,
        labels=labels,
        sessions=sess_labels,
        name=name,
        codes_all=node,
        events=len(events),
        without_node=int((has_sess & ~has_node).sum()),
        without_session=int((~has_sess).sum()),
        collapsed=collapsed,
    )


def _index_dtype(size: int) -> type[np.signedinteger[Any]]:
    return np.int32 if size < np.iinfo(np.int32).max else np.int64


def _distinct_per(a: np.ndarray, na: int, b: np.ndarray, nb: int) -> np.ndarray:
    """For each b code (0..nb-1), how many distinct a codes (>= 0) occur with it (b codes >= 0)."""
    if len(a) and a.min() < 0:
        ok = a >= 0
        a, b = a[ok], b[ok]
    dt = _index_dtype(na * nb)
    key = a.astype(dt) * dt(nb)
    key += b
    if na * nb <= _FLAG_LIMIT:
        flag = np.zeros(na * nb, dtype=bool)
        flag[key] = True
        return flag.reshape(na, nb).sum(axis=0, dtype=np.int64)
    uniq = np.unique(key)
    return np.bincount(uniq % nb, minlength=nb).astype(np.int64)


def _count_codes(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct codes (sorted) and how often each occurs."""
    if size <= max(_FLAG_LIMIT, 4 * len(codes)):
        full = np.bincount(codes, minlength=size)
        present = np.flatnonzero(full)
        return present, full[present]
    return np.unique(codes, return_counts=True)


# -- click graph -----------------------------------------------------------------------------
def click_graph(
    events: pd.DataFrame,
    by: Any = "target",
    *,
    depth: int | None = None,
    column: str | None = None,
    session: str = "session",
    user: str | None = "user",
    min_count: int = 1,
    top: int | None = None,
    start_end: bool = False,
    drop_self_loops: bool = False,
) -> nx.DiGraph:
    """Directed graph of transitions between consecutive events within each session.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame (or a sessionised one: any frame with ``time`` and the
        ``session`` column).
    by : str or pandas.Series
        What a node is (:func:`distill.features.node_key`): ``"target"``,
        ``"page"``, ``"type"``, ``"type_target"``, ``"path"`` with ``depth``,
        a column name or an aligned Series.
    depth, column
        See :func:`distill.features.node_key`.
    session : str
        Column that delimits sessions (the logged session or a sessionised
        one). Transitions never cross sessions.
    user : str or None
        Column counted in the node attribute ``users``; None to leave it out.
    min_count : int
        Drop edges seen fewer times.
    top : int, optional
        Keep only the ``top`` busiest edges (ties broken by node order).
    start_end : bool
        Add synthetic nodes :data:`START` and :data:`END` with an edge from
        ``START`` to every session's first node and from every session's last
        node to ``END``.
    drop_self_loops : bool
        Do not count a node followed by itself (collapses repeats such as a
        run of mouseovers on one element); probabilities are then over the
        moves to *other* nodes.

    Returns
    -------
    networkx.DiGraph
        Node attributes ``count`` (events), ``sessions``, ``users`` (distinct),
        ``synthetic`` (True for start/end). Edge attributes ``count`` and
        ``probability`` (``count`` over all transitions out of the source).
        Before pruning the probabilities out of every node with successors
        sum to 1 (a Markov chain); pruning (``min_count``, ``top``) removes
        edges but keeps the probabilities of the others as they were, so
        after pruning they sum to at most 1, and nodes left without any edge
        are removed. ``graph.graph`` holds the parameters (``by``, ``depth``,
        ...), ``distill_kind == "graph"`` and the accounting: ``events``,
        ``events_used``, ``without_node`` (events skipped because their node
        is missing, e.g. no target; the events around them become
        consecutive), ``without_session``, ``sessions``, ``transitions``,
        ``self_loops_dropped``, ``pruned_edges``, ``pruned_nodes``.

    Raises
    ------
    FrameError
        A needed column is missing.
    ValueError
        Bad ``min_count``/``top``, or a node named like :data:`START`/:data:`END`.

    Notes
    -----
    The graph follows the events it is given. UserALE interval logs repeat
    raw activity (an interval starts where its raw event is) and focus/blur
    are logged twice, so on raw UserALE data many transitions are a node to
    itself; select raw logs (``events[events["log_type"] == "raw"]``), drop
    duplicates (:mod:`distill.filters`) or use ``drop_self_loops=True`` for
    a graph of moves between nodes.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> g = click_graph(events)
    >>> g.number_of_nodes(), g.graph["without_node"], g.graph["transitions"]
    (73, 85, 4757)
    >>> g["input#username"]["input#password"]["count"]
    10
    >>> out = sum(d["probability"] for _, _, d in g.out_edges("input#username", data=True))
    >>> round(out, 12)
    1.0
    >>> small = click_graph(events, by="type", start_end=True, top=5)
    >>> small.number_of_edges(), small.graph["pruned_edges"] > 0
    (5, True)
    """
    if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ValueError(f"click_graph: min_count must be an integer >= 1, got {min_count!r}")
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 0):
        raise ValueError(f"click_graph: top must be None or an integer >= 0, got {top!r}")
    seq = _sequence(events, by, depth, column, session)
    labels = seq.labels
    k = len(labels)
    if start_end and (START in labels or END in labels):
        raise ValueError(f"click_graph: a node is named {START!r} or {END!r}; rename it or use start_end=False")
    node, sess = seq.node, seq.sess
    width = k + 2 if start_end else k
    dt = _index_dtype(width * width)
    same = seq.same
    src = node[:-1][same].astype(dt)
    dst = node[1:][same]
    transitions = len(src)
    dropped = 0
    if drop_self_loops:
        moved = src != dst
        dropped = transitions - int(np.count_nonzero(moved))
        src, dst = src[moved], dst[moved]
    if start_end and len(node):
        n_sess = seq.n_sessions
        src = np.concatenate([src, np.full(n_sess, k, dtype=dt), node[seq.last].astype(dt)])
        dst = np.concatenate([dst.astype(dt), node[seq.first].astype(dt), np.full(n_sess, k + 1, dtype=dt)])
    src *= dt(width)
    src += dst  # src now holds the edge code
    codes, cnt = _count_codes(src, width * width)
    del src, dst
    e_src, e_dst = np.divmod(codes.astype(np.int64), width) if width else (codes, codes)
    out_total = np.bincount(e_src, weights=cnt, minlength=width)
    prob = cnt / out_total[e_src] if len(cnt) else np.zeros(0)

    # node attributes
    n_count = np.bincount(node, minlength=k)
    n_sessions = _distinct_per(sess, len(seq.sessions), node, k)
    n_users = None
    all_users: int | None = None
    if user is not None:
        require(events, [user], what="click_graph")
        u_codes, u_labels = _codes_of(events[user], what="click_graph")
        u_rows = u_codes[seq.rows]
        n_users = _distinct_per(u_rows, len(u_labels), node, k)
        seen = np.zeros(len(u_labels) + 1, dtype=bool)
        seen[u_rows] = True  # -1 marks the last slot
        all_users = int(seen[:-1].sum())

    # pruning
    keep = cnt >= min_count
    total_edges = len(cnt)
    idx = np.flatnonzero(keep)
    order = np.lexsort((e_dst[idx], e_src[idx], -cnt[idx]))  # busiest first, then node order
    idx = idx[order]
    if top is not None:
        idx = idx[:top]
    pruned = total_edges - len(idx)

    names: list[Any] = [*labels.tolist(), START, END] if start_end else labels.tolist()
    present = np.flatnonzero(n_count > 0)
    incident = np.ones(width, dtype=bool)
    if min_count > 1 or top is not None:
        incident[:] = False
        incident[e_src[idx]] = True
        incident[e_dst[idx]] = True
    kept_nodes = present[incident[present]]
    n_sess_total = seq.n_sessions
    with_ends = start_end and n_sess_total > 0

    def _attrs(count: int, sessions: int, users: int | None, synthetic: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"count": count, "sessions": sessions}
        if users is not None:
            out["users"] = users
        out["synthetic"] = synthetic
        return out

    graph = nx.DiGraph()
    if with_ends and incident[k]:
        graph.add_node(START, **_attrs(n_sess_total, n_sess_total, all_users, True))
    for i in kept_nodes.tolist():
        users = None if n_users is None else int(n_users[i])
        graph.add_node(names[i], **_attrs(int(n_count[i]), int(n_sessions[i]), users, False))
    if with_ends and incident[k + 1]:
        graph.add_node(END, **_attrs(n_sess_total, n_sess_total, all_users, True))
    graph.add_edges_from(
        (names[a], names[b], {"count": c, "probability": p})
        for a, b, c, p in zip(e_src[idx].tolist(), e_dst[idx].tolist(), cnt[idx].tolist(), prob[idx].tolist())
    )
    n_real = len(present) + (2 if with_ends else 0)
    graph.graph.update(
        {
            "distill_kind": "graph",
            "by": seq.name,
            "depth": _spec(by, depth)[1],
            "column": column,
            "session": session,
            "min_count": int(min_count),
            "top": None if top is None else int(top),
            "start_end": bool(start_end),
            "drop_self_loops": bool(drop_self_loops),
            **seq.meta(),
            "transitions": transitions,
            "self_loops_dropped": dropped,
            "edges_total": total_edges,
            "pruned_edges": pruned,
            "pruned_nodes": n_real - graph.number_of_nodes(),
        }
    )
    return graph


def _graph_of(data: Any, options: dict[str, Any], what: str) -> nx.DiGraph:
    if isinstance(data, nx.Graph):
        if options:
            raise TypeError(f"{what}: options {sorted(options)} are for building a graph from events, not for a graph")
        return data
    if isinstance(data, pd.DataFrame):
        return click_graph(data, **options)
    raise TypeError(f"{what}: expected an event frame or a networkx graph, got {type(data).__name__}")


# -- transition matrix -----------------------------------------------------------------------
def transition_matrix(data: pd.DataFrame | nx.DiGraph, *, normalize: bool = True, **options: Any) -> pd.DataFrame:
    """The transitions as a square table: rows are sources, columns targets.

    Parameters
    ----------
    data : pandas.DataFrame or networkx.DiGraph
        An event frame (a graph is built with :func:`click_graph` and
        ``options``) or a click graph.
    normalize : bool
        Transition probabilities (the edges' ``probability``: each row sums
        to 1 for a graph that was not pruned) instead of counts.
    **options
        Passed to :func:`click_graph` when ``data`` is an event frame (``by``,
        ``session``, ``start_end``, ...).

    Returns
    -------
    pandas.DataFrame
        Index ``source`` and columns in the graph's node order; float
        probabilities or int counts; zero where there is no edge.
        ``attrs["distill_kind"] == "matrix"``.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> m = transition_matrix(events[events["log_type"] == "raw"], by="type")
    >>> float(m.loc["mousedown", "mouseup"].round(3))
    0.653
    >>> bool(((m.sum(axis=1) - 1).abs() < 1e-9).all())
    True
    """
    graph = _graph_of(data, options, "transition_matrix")
    nodes = list(graph.nodes)
    pos = {n: i for i, n in enumerate(nodes)}
    size = len(nodes)
    values = np.zeros((size, size), dtype=float if normalize else np.int64)
    if normalize:
        out_w = dict(graph.out_degree(weight="count"))
        for u, v, d in graph.edges(data=True):
            p = d.get("probability")
            if p is None:
                p = d.get("count", 1) / out_w[u] if out_w[u] else 0.0
            values[pos[u], pos[v]] = p
    else:
        for u, v, d in graph.edges(data=True):
            values[pos[u], pos[v]] = d.get("count", 1)
    index = pd.Index(nodes, name="source")
    out = pd.DataFrame(values, index=index, columns=pd.Index(nodes, name="target"))
    out.attrs["distill_kind"] = "matrix"
    meta = {k: v for k, v in graph.graph.items() if k != "distill_kind"}
    out.attrs["distill_meta"] = {**meta, "normalize": normalize}
    return out


# -- metrics ---------------------------------------------------------------------------------
def _pagerank(graph: nx.DiGraph, weight: str, alpha: float = 0.85, tol: float = 1e-10) -> np.ndarray:
    """Weighted PageRank by power iteration on the edge list (networkx's definition, no SciPy).

    Dangling nodes (no out-edges) spread their rank uniformly, as in
    :func:`networkx.pagerank` with default arguments.
    """
    nodes = list(graph.nodes)
    n = len(nodes)
    if n == 0:
        return np.zeros(0)
    pos = {v: i for i, v in enumerate(nodes)}
    edges = list(graph.edges(data=weight, default=1))
    src = np.array([pos[u] for u, _, _ in edges], dtype=np.int64)
    dst = np.array([pos[v] for _, v, _ in edges], dtype=np.int64)
    w = np.array([float(x) for _, _, x in edges], dtype=float)
    out_w = np.bincount(src, weights=w, minlength=n)
    share = w / out_w[src] if len(w) else w
    dangling = out_w == 0
    rank = np.full(n, 1.0 / n)
    for _ in range(10_000):
        flow = np.bincount(dst, weights=rank[src] * share, minlength=n)
        new = alpha * (flow + rank[dangling].sum() / n) + (1 - alpha) / n
        if np.abs(new - rank).sum() < n * tol:
            rank = new
            break
        rank = new
    return rank / rank.sum()


def graph_metrics(
    data: pd.DataFrame | nx.DiGraph,
    *,
    weight: str = "count",
    betweenness_k: int | None = None,
    seed: int | None = 0,
    **options: Any,
) -> pd.DataFrame:
    """Per-node metrics of a click graph.

    Parameters
    ----------
    data : pandas.DataFrame or networkx.DiGraph
        A click graph, or an event frame (then ``click_graph(data, **options)``).
    weight : str
        Edge attribute used as weight for weighted degrees and PageRank.
    betweenness_k : int, optional
        Estimate betweenness from this many sampled sources (for large graphs;
        exact when None).
    seed : int, optional
        Random seed for the sampling.
    **options
        :func:`click_graph` options when ``data`` is an event frame.

    Returns
    -------
    pandas.DataFrame
        Index ``node``; the node attributes (``count``, ``sessions``,
        ``users``, ``synthetic``) and ``in_degree``, ``out_degree`` (distinct
        neighbours), ``in_weight``, ``out_weight`` (sums of ``weight``),
        ``self_loop`` (weight of the node's own loop), ``pagerank`` (weighted,
        damping 0.85, the definition of :func:`networkx.pagerank`),
        ``betweenness`` and ``closeness`` (unweighted hops, normalised,
        :func:`networkx.betweenness_centrality`,
        :func:`networkx.closeness_centrality`). Kind ``table``.

    Examples
    --------
    >>> import distill
    >>> m = graph_metrics(distill.datasets.load_sample(), by="page", drop_self_loops=True)
    >>> m["pagerank"].idxmax().rsplit("/", 1)[1]
    'catalog.html'
    >>> int(m["in_degree"].sum()) == int(m["out_degree"].sum())
    True
    """
    graph = _graph_of(data, options, "graph_metrics")
    nodes = list(graph.nodes)
    frame = pd.DataFrame([dict(graph.nodes[n]) for n in nodes], index=pd.RangeIndex(len(nodes)))
    frame.index = pd.Index(nodes, name="node", dtype=object)
    frame["in_degree"] = [graph.in_degree(n) for n in nodes]
    frame["out_degree"] = [graph.out_degree(n) for n in nodes]
    in_w = dict(graph.in_degree(weight=weight))
    out_w = dict(graph.out_degree(weight=weight))
    frame["in_weight"] = [in_w[n] for n in nodes]
    frame["out_weight"] = [out_w[n] for n in nodes]
    frame["self_loop"] = [graph[n][n].get(weight, 1) if graph.has_edge(n, n) else 0 for n in nodes]
    frame["pagerank"] = _pagerank(graph, weight)
    between = nx.betweenness_centrality(graph, k=betweenness_k, seed=seed) if len(nodes) else {}
    close = nx.closeness_centrality(graph) if len(nodes) else {}
    frame["betweenness"] = [between[n] for n in nodes]
    frame["closeness"] = [close[n] for n in nodes]
    for col in ("in_degree", "out_degree"):
        frame[col] = frame[col].astype(np.int64)
    frame.attrs["distill_kind"] = "table"
    meta = {k: v for k, v in graph.graph.items() if k != "distill_kind"}
    frame.attrs["distill_meta"] = {**meta, "weight": weight, "betweenness_k": betweenness_k}
    return frame


# -- derived features ------------------------------------------------------------------------
def graph_features(
    events: pd.DataFrame,
    per: str = "session",
    by: Any = "target",
    *,
    depth: int | None = None,
    column: str | None = None,
    session: str = "session",
) -> pd.DataFrame:
    """Graph statistics of each session's (or user's) own click graph, as a feature table.

    Transitions are taken within sessions, as in :func:`click_graph`; with
    ``per="user"`` each user's graph is the union of their sessions' graphs.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    per : str
        ``"session"`` (the ``session`` column) or any column grouping sessions
        (``"user"``). Events with a missing group form a group of their own.
    by, depth, column
        Node key (:func:`distill.features.node_key`).
    session : str
        Column that delimits sessions.

    Returns
    -------
    pandas.DataFrame
        Index ``per``, one row per group that has events with a session;
        columns ``events`` (with a node), ``nodes`` (distinct), ``transitions``
        (consecutive pairs), ``edges`` (distinct pairs), ``self_loops``
        (transitions from a node to itself), ``revisits`` (events on a node
        already seen in the group: ``events - nodes``), ``density`` (as
        :func:`networkx.density`: ``edges / (nodes * (nodes - 1))``),
        ``mean_out_degree`` (``edges / nodes``), ``entropy`` (bits: entropy of
        the next node given the current one, weighted by how often each node
        is left; 0 for a deterministic path). Kind ``features``.

    Examples
    --------
    >>> import distill
    >>> f = graph_features(distill.datasets.load_sample(), per="user", by="page")
    >>> [int(v) for v in f.loc["alice", ["events", "nodes", "transitions", "edges"]]]
    [685, 3, 682, 4]
    """
    seq = _sequence(events, by, depth, column, session, what="graph_features")
    k = len(seq.labels)
    # groups: every group that has events with a session
    if per == session:
        g_all, g_labels = _codes_of(events[session], what="graph_features")
    else:
        require(events, [per], what="graph_features")
        g_all, g_labels = _codes_of(events[per], what="graph_features")
    sess_all, _ = _codes_of(events[session], what="graph_features")
    ng = len(g_labels) + 1  # the last code is the missing group
    g_all = np.where(g_all >= 0, g_all, ng - 1).astype(np.int64)
    present = np.zeros(ng, dtype=bool)
    present[g_all[sess_all >= 0]] = True
    g = g_all[seq.rows]
    node = seq.node.astype(np.int64)
    same = seq.sess[1:] == seq.sess[:-1]
    src, dst, gp = node[:-1][same], node[1:][same], g[:-1][same]

    n_events = np.bincount(g, minlength=ng)
    n_nodes = _distinct_per(node, k, g, ng)
    n_trans = np.bincount(gp, minlength=ng)
    n_self = np.bincount(gp[src == dst], minlength=ng)
    e_code = src * max(k, 1) + dst
    e_idx, e_uniq = pd.factorize(e_code)
    e_idx = np.asarray(e_idx, dtype=np.int64)
    n_e = len(e_uniq)
    ge, ge_cnt = np.unique(gp * n_e + e_idx, return_counts=True)
    ge_g, ge_e = np.divmod(ge, n_e) if n_e else (ge, ge)
    n_edges = np.bincount(ge_g, minlength=ng)
    # entropy: -sum c/T log2(c/out(g, src))
    ge_src = np.asarray(e_uniq, dtype=np.int64)[ge_e] // max(k, 1) if n_e else ge_e
    gs_idx = np.asarray(pd.factorize(ge_g * max(k, 1) + ge_src)[0], dtype=np.int64)
    out_of = np.bincount(gs_idx, weights=ge_cnt)[gs_idx] if len(gs_idx) else np.zeros(0)
    term = -(ge_cnt / n_trans[ge_g]) * np.log2(ge_cnt / out_of) if len(ge_cnt) else np.zeros(0)
    entropy = np.bincount(ge_g, weights=term, minlength=ng)

    idx = np.flatnonzero(present)
    nodes_f = n_nodes[idx].astype(float)
    edges_f = n_edges[idx].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(nodes_f > 1, edges_f / (nodes_f * (nodes_f - 1)), 0.0)
        mean_out = np.where(nodes_f > 0, edges_f / nodes_f, 0.0)
    label_codes = np.where(idx < ng - 1, idx, -1)
    index = pd.CategoricalIndex(pd.Categorical.from_codes(label_codes, categories=categories(g_labels)), name=per)
    out = pd.DataFrame(
        {
            "events": n_events[idx].astype(np.int64),
            "nodes": n_nodes[idx].astype(np.int64),
            "transitions": n_trans[idx].astype(np.int64),
            "edges": n_edges[idx].astype(np.int64),
            "self_loops": n_self[idx].astype(np.int64),
            "revisits": (n_events[idx] - n_nodes[idx]).astype(np.int64),
            "density": density,
            "mean_out_degree": mean_out,
            "entropy": np.abs(entropy[idx]),
        },
        index=index,
    )
    out.attrs["distill_kind"] = "features"
    out.attrs["distill_meta"] = {"per": per, "by": seq.name, "depth": depth, "session": session, **seq.meta()}
    return out
