"""Path analysis: funnels, frequent paths, what comes before and after, flows.

Sessions are read as sequences of nodes (:func:`distill.features.node_key`)
in time order. A *funnel* follows ordered steps through each session, not
necessarily consecutive, optionally within a time window; *top paths* are
the most frequent runs of consecutive nodes; *before/after* lists what
surrounds a kind of event; *flows* are the paths from a chosen start, as the
links of a Sankey diagram.

Steps and anchors (``steps`` of :func:`funnel`, ``node`` of
:func:`before_after`, ``start`` of :func:`flows`) are given as a node value
(``"click button#checkout"``), a list of values (any of them), a boolean mask
aligned with the events, a callable ``f(events) -> mask``, or any object with
a ``.mask(events)`` method such as a :class:`distill.query.Query`.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> pages = distill.features.node_key(events, "page").cat.rename_categories(lambda u: u.rsplit("/", 1)[1])
>>> f = funnel(events, ["index.html", "catalog.html", "checkout.html"], by=pages)
>>> f.steps[["name", "entered", "converted"]].values.tolist()
[['index.html', 18, 18], ['catalog.html', 18, 6], ['checkout.html', 6, 6]]
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from distill.errors import InputError
from distill.features import _codes_of, _node_codes
from distill.frame import categories, require
from distill.graphs import END, START, _distinct_per, _order, _Seq, _sequence, _time_ns

__all__ = ["Funnel", "funnel", "top_paths", "before_after", "flows"]


# -- steps ---------------------------------------------------------------------------------
def _step_name(spec: Any, i: int) -> str:
    if isinstance(spec, (str, int, float, bool)):
        return str(spec)
    if isinstance(spec, (list, tuple, set, frozenset)):
        return " | ".join(str(v) for v in (sorted(spec, key=str) if isinstance(spec, (set, frozenset)) else spec))
    to_code = getattr(spec, "to_code", None)
    if callable(to_code):
        return str(to_code())
    name = getattr(spec, "__name__", None)
    if isinstance(name, str) and name != "<lambda>":
        return name
    return f"step {i}"


def _value_codes(values: Iterable[Any], labels: pd.Index, where: str) -> np.ndarray:
    codes = []
    known = {v: i for i, v in enumerate(labels.tolist())}
    for v in values:
        if v not in known:
            close = difflib.get_close_matches(str(v), [str(x) for x in labels], n=3)
            hint = f"; close: {', '.join(map(repr, close))}" if close else ""
            raise InputError(f"{where}: {v!r} is not a node of this key ({len(labels)} nodes){hint}")
        codes.append(known[v])
    return np.asarray(codes, dtype=np.int64)


def _spec_mask(
    events: pd.DataFrame, spec: Any, node: Callable[[], tuple[np.ndarray, pd.Index]], where: str
) -> np.ndarray:
    """Which events a step/anchor spec matches, as a bool array aligned with ``events``."""
    n = len(events)
    if isinstance(spec, pd.Series):
        if not spec.index.equals(events.index):
            raise ValueError(f"{where}: a boolean Series must be aligned with the events (same index)")
        return spec.fillna(False).to_numpy(dtype=bool)
    if isinstance(spec, np.ndarray):
        if spec.dtype != bool or spec.shape != (n,):
            raise ValueError(f"{where}: a mask must be a boolean array of length {n}, got {spec.dtype} {spec.shape}")
        return spec
    masker = getattr(spec, "mask", None)
    if callable(masker) and not isinstance(spec, (str, bytes)):
        return _check_mask(masker(events), n, where)
    if callable(spec):
        return _check_mask(spec(events), n, where)
    codes, labels = node()
    values = list(spec) if isinstance(spec, (list, tuple, set, frozenset)) else [spec]
    if not values:
        raise ValueError(f"{where}: an empty list of node values matches nothing")
    wanted = np.zeros(len(labels) + 1, dtype=bool)
    wanted[_value_codes(values, labels, where)] = True
    return wanted[codes]  # code -1 reads the last (False) entry


def _check_mask(value: Any, n: int, where: str) -> np.ndarray:
    if isinstance(value, pd.Series):
        value = value.fillna(False)
    arr = np.asarray(value)
    if arr.shape != (n,) or arr.dtype != bool:
        raise ValueError(f"{where}: the mask must be a boolean array of length {n}, got {arr.dtype} {arr.shape}")
    return arr


def _named_steps(steps: Any) -> list[tuple[str, Any]]:
    if isinstance(steps, Mapping):
        items = [(str(k), v) for k, v in steps.items()]
    elif isinstance(steps, (str, bytes)) or not isinstance(steps, Iterable):
        raise TypeError(f"funnel: steps must be a list (or dict of name to step), got {type(steps).__name__}")
    else:
        items = [(_step_name(v, i + 1), v) for i, v in enumerate(steps)]
    if not items:
        raise ValueError("funnel: give at least one step")
    return items


# -- funnel --------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Funnel:
    """Result of :func:`funnel`.

    Attributes
    ----------
    steps : pandas.DataFrame
        One row per step: ``step`` (1-based), ``name``, ``entered`` (sessions
        that reached the step), ``converted`` (went on to the next step; for
        the last step, those that completed it, i.e. ``entered``),
        ``conversion`` (``converted / entered``), ``drop_off`` (``entered -
        converted``), ``overall`` (``entered`` over sessions that entered step
        1), ``median_time_to_next`` (Timedelta; NaT for the last step).
    sessions : pandas.DataFrame
        One row per session with events: ``reached`` (steps reached, 0 to
        the number of steps) and ``step_1``, ``step_2``, ... (time each step
        was matched, NaT if not).
    meta : dict
        Parameters and counts (``sessions``, ``within_seconds``, ``by``, ...).

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> f = funnel(events, {"login": "click button#login-btn.btn-primary", "checkout": "click a#to-checkout"})
    >>> print(f)
    funnel over 21 sessions (session)
    1. login: 10 entered, 40% go on
    2. checkout: 4 entered
    >>> f.completed, f.meta["sessions"], len(f.sessions)
    (4, 21, 21)
    >>> f.sessions["reached"].value_counts().sort_index().to_dict()
    {0: 11, 1: 6, 2: 4}
    >>> f.to_dict()["steps"][0]["median_seconds_to_next"]
    5.6217
    """

    steps: pd.DataFrame
    sessions: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def completed(self) -> int:
        """Sessions that went through every step."""
        return int(self.steps["entered"].iloc[-1]) if len(self.steps) else 0

    def to_dict(self) -> dict[str, Any]:
        """Plain dict: ``steps`` (records; times to next step in seconds), ``sessions``, ``completed``."""
        from distill.export import plain

        records = []
        for row in self.steps.to_dict("records"):
            t = row.pop("median_time_to_next")
            row["median_seconds_to_next"] = None if pd.isna(t) else pd.Timedelta(t).total_seconds()
            records.append(plain(row))
        return {"steps": records, "sessions": int(self.meta.get("sessions", 0)), "completed": self.completed}

    def __distill_export__(self) -> dict[str, Any]:
        return {"kind": "funnel", "data": self.to_dict(), "meta": dict(self.meta)}

    def __str__(self) -> str:
        lines = [f"funnel over {self.meta.get('sessions', 0)} sessions ({self.meta.get('session')})"]
        last = len(self.steps)
        for row in self.steps.itertuples(index=False):
            text = f"{row.step}. {row.name}: {row.entered} entered"
            if row.step < last and not pd.isna(row.conversion):
                text += f", {row.conversion:.0%} go on"
            lines.append(text)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return str(self.steps.to_html(index=False))


def funnel(
    events: pd.DataFrame,
    steps: Any,
    *,
    within: Any = None,
    session: str = "session",
    by: Any = "type_target",
    depth: int | None = None,
    column: str | None = None,
) -> Funnel:
    """Follow ordered steps through each session: how many get how far.

    A session reaches step ``k`` if it has events matching steps ``1..k`` in
    that order (strictly later each time; other events may come between).
    Matching is greedy from the session's first step-1 event, which finds the
    longest progress. With ``within``, every step must happen within that
    time of the step-1 event; then each step-1 event of the session is tried
    as the start and the one that gets furthest (earliest on ties) counts.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame (or a sessionised one).
    steps : list or dict
        Each step is a node value, a list of node values (any of them), a
        boolean mask, a callable ``f(events) -> mask`` or an object with a
        ``.mask(events)`` method (a :class:`~distill.query.Query`). A dict
        gives the steps names.
    within : str or timedelta, optional
        Time window from the step-1 event (``"10min"``).
    session : str
        Column that delimits sessions; ``session="user"`` follows users
        across sessions instead.
    by, depth, column
        The node key node values refer to (:func:`distill.features.node_key`,
        default ``"type_target"`` such as ``"click button#checkout"``).

    Returns
    -------
    Funnel
        Step table, per-session detail and meta; ``distill.to_dict`` gives kind
        ``funnel``.

    Raises
    ------
    InputError
        A node value that is not a node of ``by`` (with close matches).
    ValueError
        A mask of the wrong length or type, a bad window.

    Examples
    --------
    >>> import distill
    >>> from distill.query import Q
    >>> events = distill.datasets.load_sample()
    >>> f = funnel(events, {"login": "click button#login-btn.btn-primary",
    ...                     "filter": Q.type == "filterApplied",
    ...                     "checkout": "click a#to-checkout"})
    >>> f.steps[["name", "entered", "converted", "drop_off"]].values.tolist()
    [['login', 10, 5, 5], ['filter', 5, 1, 4], ['checkout', 1, 1, 0]]
    >>> funnel(events, ["click button#login-btn.btn-primary", "click a#to-checkout"], within="20s").completed
    3
    """
    require(events, ["time", session], what="funnel")
    named = _named_steps(steps)
    window: int | None = None
    if within is not None:
        try:
            span = pd.Timedelta(within)
        except (TypeError, ValueError) as err:
            raise ValueError(f"funnel: within must be a time span such as '10min', got {within!r} ({err})") from None
        if pd.isna(span) or span < pd.Timedelta(0):
            raise ValueError(f"funnel: within must be a non-negative time span, got {within!r}")
        window = int(span.value)

    cache: dict[str, tuple[np.ndarray, pd.Index]] = {}

    def node() -> tuple[np.ndarray, pd.Index]:
        if "codes" not in cache:
            codes, labels, _ = _node_codes(events, by, depth, column)
            cache["codes"] = (codes, labels)
        return cache["codes"]

    masks = [_spec_mask(events, spec, node, f"funnel step {i + 1} ({name!r})") for i, (name, spec) in enumerate(named)]
    sess_all, sess_labels = _codes_of(events[session], what="funnel")
    rows = _order(events, sess_all, len(sess_labels), sess_all >= 0)
    sess = sess_all[rows].astype(np.int64)
    t = _time_ns(events)[rows]
    n = len(rows)
    first = np.ones(n, dtype=bool)
    first[1:] = sess[1:] != sess[:-1]
    starts = np.flatnonzero(first)
    bounds = np.append(starts, n)
    sess_end = np.repeat(bounds[1:], np.diff(bounds))  # exclusive end of each position's session
    positions = [np.flatnonzero(m[rows]) for m in masks]

    p1 = positions[0]
    if window is None and len(p1):
        lead = np.ones(len(p1), dtype=bool)
        lead[1:] = sess[p1][1:] != sess[p1][:-1]
        cand = p1[lead]
    else:
        cand = p1
    cur = cand.copy()
    alive = np.ones(len(cand), dtype=bool)
    reached = np.ones(len(cand), dtype=np.int64)
    deadline = t[cand] + window if window is not None else None
    hit_times = [t[cand]]
    for pj in positions[1:]:
        i = np.searchsorted(pj, cur, side="right")
        valid = i < len(pj)
        nxt = pj[np.minimum(i, len(pj) - 1)] if len(pj) else cur
        ok = alive & valid & (nxt < sess_end[cur])
        if deadline is not None:
            ok &= t[nxt] <= deadline
        cur = np.where(ok, nxt, cur)
        alive = ok
        reached += ok
        hit_times.append(np.where(ok, t[nxt], np.iinfo(np.int64).min))

    # the best start per session: furthest, then earliest
    c_sess = sess[cand]
    order = np.lexsort((cand, -reached, c_sess))
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = c_sess[order][1:] != c_sess[order][:-1]
    best = order[keep]
    best_sess = c_sess[best]
    best_reached = reached[best]
    m = len(named)

    all_sessions = sess[starts]
    detail_reached = np.zeros(len(all_sessions), dtype=np.int64)
    slot = np.searchsorted(all_sessions, best_sess)
    detail_reached[slot] = best_reached
    nat = np.iinfo(np.int64).min
    detail = pd.DataFrame(
        {"reached": detail_reached},
        index=pd.CategoricalIndex(
            pd.Categorical.from_codes(all_sessions, categories=categories(sess_labels)), name=session
        ),
    )
    step_cols = {}
    for j in range(m):
        col = np.full(len(all_sessions), nat, dtype=np.int64)
        col[slot] = np.where(best_reached > j, hit_times[j][best], nat)
        step_cols[f"step_{j + 1}"] = pd.to_datetime(col.view("datetime64[ns]")).tz_localize("UTC")
    detail = detail.assign(**step_cols)

    entered = np.array([(best_reached > j).sum() for j in range(m)], dtype=np.int64)
    converted = np.append(entered[1:], entered[-1])
    medians: list[Any] = []
    for j in range(m - 1):
        went = best_reached > j + 1
        gap = hit_times[j + 1][best][went] - hit_times[j][best][went]
        medians.append(pd.Timedelta(int(np.median(gap))) if len(gap) else pd.NaT)
    medians.append(pd.NaT)
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion = np.where(entered > 0, converted / np.maximum(entered, 1), np.nan)
        overall = entered / entered[0] if entered[0] else np.full(m, np.nan)
    table = pd.DataFrame(
        {
            "step": np.arange(1, m + 1, dtype=np.int64),
            "name": [name for name, _ in named],
            "entered": entered,
            "converted": converted,
            "conversion": conversion,
            "drop_off": entered - converted,
            "overall": overall,
            "median_time_to_next": pd.to_timedelta(pd.Series(medians, dtype="timedelta64[ns]")),
        }
    )
    table.attrs["distill_kind"] = "table"
    meta = {
        "session": session,
        "by": by if isinstance(by, (str, tuple)) else getattr(by, "name", "series"),
        "within_seconds": None if window is None else window / 1e9,
        "steps": [name for name, _ in named],
        "events": len(events),
        "without_session": int((sess_all < 0).sum()),
        "sessions": len(all_sessions),
    }
    return Funnel(steps=table, sessions=detail, meta=meta)


# -- top paths ----------------------------------------------------------------------------
def _combine(codes: list[np.ndarray]) -> tuple[np.ndarray, int]:
    """Factorize rows of code columns into one code per distinct row."""
    acc = np.zeros(len(codes[0]) if codes else 0, dtype=np.int64)
    size = 1
    for c in codes:
        width = int(c.max()) + 1 if len(c) else 1
        if size * width >= 2**62:
            acc = np.asarray(pd.factorize(acc)[0], dtype=np.int64)
            size = int(acc.max()) + 1 if len(acc) else 1
        acc = acc * width + c
        size *= width
    codes_out, uniq = pd.factorize(acc)
    return np.asarray(codes_out, dtype=np.int64), len(uniq)


def _check_names(labels: pd.Index, where: str) -> list[Any]:
    names: list[Any] = labels.tolist()
    if START in names or END in names:
        raise ValueError(f"{where}: a node is named {START!r} or {END!r}; rename it")
    return names


def top_paths(
    events: pd.DataFrame,
    n: int | None = 10,
    length: int = 3,
    *,
    by: Any = "target",
    depth: int | None = None,
    column: str | None = None,
    session: str = "session",
    collapse: bool = False,
) -> pd.DataFrame:
    """The most frequent paths: runs of ``length`` consecutive nodes within a session.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    n : int or None
        How many paths (None: all).
    length : int
        Nodes per path (2 gives the transitions of :func:`~distill.graphs.click_graph`).
    by, depth, column
        Node key (:func:`distill.features.node_key`); events without a node are
        left out.
    session : str
        Column that delimits sessions.
    collapse : bool
        Treat consecutive repeats of a node as one step (``a a b`` is ``a b``).

    Returns
    -------
    pandas.DataFrame
        Columns ``path`` (tuple of nodes), ``count`` (occurrences, overlapping
        ones included), ``sessions`` (distinct sessions with it), ``share``
        (``count`` over all paths of that length), busiest first, ties by node
        order. Kind ``paths``.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> top = top_paths(events, 3, 3, by="page", collapse=True)
    >>> [tuple(p.rsplit("/", 1)[1] for p in path) for path in top["path"]]
    [('index.html', 'catalog.html', 'checkout.html'), ('catalog.html', 'checkout.html', 'index.html'), ('index.html', 'catalog.html', 'index.html')]
    >>> top["count"].tolist()
    [6, 5, 3]
    """
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"top_paths: length must be an integer >= 1, got {length!r}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0):
        raise ValueError(f"top_paths: n must be None or an integer >= 0, got {n!r}")
    seq = _sequence(events, by, depth, column, session, collapse=collapse, what="top_paths")
    node, sess = seq.node, seq.sess
    total_len = len(node)
    count_starts = max(total_len - length + 1, 0)
    start = np.arange(count_starts)
    ok = sess[start] == sess[start + length - 1] if count_starts else np.zeros(0, dtype=bool)
    start = start[ok]
    cols = [node[start + j] for j in range(length)]
    gram, n_gram = _combine(cols)
    cnt = np.bincount(gram, minlength=n_gram)
    n_sess = _distinct_per(sess[start], len(seq.sessions), gram, n_gram)
    first_at = np.full(n_gram, len(start), dtype=np.int64)
    np.minimum.at(first_at, gram, np.arange(len(start)))
    rep = start[first_at] if n_gram else np.zeros(0, dtype=np.int64)
    keys = [node[rep + j] for j in reversed(range(length))]
    order = np.lexsort((*keys, -cnt)) if n_gram else np.zeros(0, dtype=np.int64)
    if n is not None:
        order = order[:n]
    labels = seq.labels.tolist()
    paths = [tuple(labels[node[rep[g] + j]] for j in range(length)) for g in order.tolist()]
    total = len(start)
    out = pd.DataFrame(
        {
            "path": pd.Series(paths, dtype=object),
            "count": cnt[order].astype(np.int64),
            "sessions": n_sess[order].astype(np.int64),
            "share": cnt[order] / total if total else np.zeros(len(order)),
        }
    )
    out.attrs["distill_kind"] = "paths"
    out.attrs["distill_meta"] = {
        "by": seq.name,
        "length": int(length),
        "collapse": collapse,
        "session": session,
        "paths_total": total,
        "paths_distinct": int(n_gram),
        **seq.meta(),
    }
    return out


# -- before / after -----------------------------------------------------------------------
def _anchors(events: pd.DataFrame, seq: _Seq, spec: Any, where: str) -> tuple[np.ndarray, int]:
    """Positions in ``seq`` whose event matches ``spec``; and matches left out (no node/session)."""
    mask = _spec_mask(events, spec, lambda: (seq.codes_all, seq.labels), where)
    inside = np.zeros(len(events), dtype=bool)
    inside[seq.rows] = True
    return np.flatnonzero(mask[seq.rows]), int((mask & ~inside).sum())


def before_after(
    events: pd.DataFrame,
    node: Any,
    *,
    steps: int = 1,
    by: Any = "target",
    depth: int | None = None,
    column: str | None = None,
    session: str = "session",
    collapse: bool = False,
) -> pd.DataFrame:
    """What comes before and after a kind of event: the nodes at each offset, with counts and shares.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    node : value, list, mask, callable or Query
        The anchor events (see the module notes).
    steps : int
        How many nodes to look back and ahead.
    by, depth, column
        Node key of the neighbours (:func:`distill.features.node_key`).
    session : str
        Column that delimits sessions; nothing is looked up across sessions.
    collapse : bool
        Treat consecutive repeats of a node as one step.

    Returns
    -------
    pandas.DataFrame
        Columns ``position`` (``-steps .. -1`` before, ``1 .. steps`` after),
        ``node`` (:data:`~distill.graphs.START` / :data:`~distill.graphs.END`
        where the session begins or ends first), ``count``, ``share`` (of the
        anchors; sums to 1 at each position), by position then count. Kind
        ``before_after``; ``attrs["distill_meta"]["anchors"]`` is the number of
        anchor events, ``anchors_left_out`` those without a node or session.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> ba = before_after(events, "submit form#checkout-form", by="type_target")
    >>> ba[["position", "node", "count"]].values.tolist()
    [[-1, 'click button#place-order.btn-primary', 2], [-1, 'focus button#place-order.btn-primary', 2], [1, 'load', 4]]
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"before_after: steps must be an integer >= 1, got {steps!r}")
    seq = _sequence(events, by, depth, column, session, collapse=collapse, what="before_after")
    names = _check_names(seq.labels, "before_after")
    k = len(names)
    anchors, left_out = _anchors(events, seq, node, "before_after node")
    total = len(seq.node)
    parts = []
    for off in [*range(-steps, 0), *range(1, steps + 1)]:
        pos = anchors + off
        inside = (pos >= 0) & (pos < total)
        inside[inside] &= seq.sess[pos[inside]] == seq.sess[anchors[inside]]
        code = np.full(len(anchors), k if off < 0 else k + 1, dtype=np.int64)
        code[inside] = seq.node[pos[inside]]
        cnt = np.bincount(code, minlength=k + 2)
        present = np.flatnonzero(cnt)
        parts.append(pd.DataFrame({"position": off, "code": present, "count": cnt[present]}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["position", "code", "count"])
    out = out.sort_values(["position", "count", "code"], ascending=[True, False, True], kind="stable")
    all_names = [*names, START, END]
    out.insert(1, "node", [all_names[c] for c in out["code"].tolist()])
    out = out.drop(columns="code").reset_index(drop=True)
    out["position"] = out["position"].astype(np.int64)
    out["count"] = out["count"].astype(np.int64)
    out["share"] = out["count"] / len(anchors) if len(anchors) else np.zeros(len(out))
    out.attrs["distill_kind"] = "before_after"
    out.attrs["distill_meta"] = {
        "by": seq.name,
        "steps": int(steps),
        "collapse": collapse,
        "session": session,
        "anchors": len(anchors),
        "anchors_left_out": left_out,
        **seq.meta(),
    }
    return out


# -- flows --------------------------------------------------------------------------------
def flows(
    events: pd.DataFrame,
    start: Any = None,
    depth: int = 4,
    top: int | None = 10,
    *,
    by: Any = "target",
    column: str | None = None,
    session: str = "session",
    collapse: bool = True,
) -> pd.DataFrame:
    """Links of the most frequent paths from a start, for a Sankey diagram.

    From every anchor (each event matching ``start``, or each session's first
    node), the next ``depth`` nodes of its session form a path; a path that
    reaches the end of its session first ends in :data:`~distill.graphs.END`.
    The ``top`` most frequent paths are split into links.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    start : value, list, mask, callable, Query or None
        The anchors (see the module notes); None starts at every session's
        first node.
    depth : int
        Steps (links) followed from the start.
    top : int or None
        How many of the most frequent paths to keep (None: all).
    by, column
        Node key (:func:`distill.features.node_key`); roll up the DOM with
        ``by=("path", level)``.
    session : str
        Column that delimits sessions.
    collapse : bool
        Treat consecutive repeats of a node as one step (default: a flow
        shows moves, not repeats).

    Returns
    -------
    pandas.DataFrame
        Columns ``step`` (1 to ``depth``), ``source``, ``target``, ``count``
        (anchors whose path, among the kept ones, takes that link at that
        step), by step then count. Node ``source`` of step ``s`` is the same
        Sankey node as ``target`` of step ``s - 1``. Kind ``flows``; meta
        ``anchors``, ``paths_distinct``, ``paths_shown``, ``covered`` (share
        of anchors whose path is shown).

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> fl = flows(events, depth=2, top=None, by="page")
    >>> short = lambda url: url.rsplit("/", 1)[-1]
    >>> [(s, short(a), short(b), n) for s, a, b, n in fl.values.tolist()][:3]
    [(1, 'index.html', 'catalog.html', 17), (1, 'catalog.html', 'checkout.html', 2), (1, 'catalog.html', '(end)', 2)]
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"flows: depth must be an integer >= 1 (steps from the start), got {depth!r}")
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 0):
        raise ValueError(f"flows: top must be None or an integer >= 0, got {top!r}")
    seq = _sequence(events, by, None, column, session, collapse=collapse, what="flows")
    names = _check_names(seq.labels, "flows")
    k = len(names)
    if start is None:
        anchors, left_out = np.flatnonzero(seq.first), 0
    else:
        anchors, left_out = _anchors(events, seq, start, "flows start")
    total = len(seq.node)
    end_code, pad = k, k + 1
    cols = [seq.node[anchors]]
    alive = np.ones(len(anchors), dtype=bool)
    for j in range(1, depth + 1):
        pos = anchors + j
        inside = alive & (pos < total)
        inside[inside] &= seq.sess[pos[inside]] == seq.sess[anchors[inside]]
        code = np.where(alive, end_code, pad).astype(np.int64)
        code[inside] = seq.node[pos[inside]]
        cols.append(code)
        alive = inside
    path_id, n_paths = _combine(cols) if len(anchors) else (np.zeros(0, dtype=np.int64), 0)
    cnt = np.bincount(path_id, minlength=n_paths)
    first_at = np.full(n_paths, len(anchors), dtype=np.int64)
    np.minimum.at(first_at, path_id, np.arange(len(anchors)))
    rows = np.stack(cols, axis=1)[first_at] if n_paths else np.zeros((0, depth + 1), dtype=np.int64)
    order = np.lexsort((*[rows[:, j] for j in reversed(range(depth + 1))], -cnt)) if n_paths else np.zeros(0, int)
    if top is not None:
        order = order[:top]
    links = []
    for j in range(1, depth + 1):
        src, dst, c = rows[order, j - 1], rows[order, j], cnt[order]
        ok = (src < k) & (dst != pad)
        links.append(pd.DataFrame({"step": j, "src": src[ok], "dst": dst[ok], "count": c[ok]}))
    out = pd.concat(links, ignore_index=True)
    out = out.groupby(["step", "src", "dst"], sort=True).sum().reset_index()
    out = out.sort_values(["step", "count", "src", "dst"], ascending=[True, False, True, True], kind="stable")
    all_names = [*names, END]
    out = pd.DataFrame(
        {
            "step": out["step"].to_numpy(dtype=np.int64),
            "source": [all_names[c] for c in out["src"].tolist()],
            "target": [all_names[c] for c in out["dst"].tolist()],
            "count": out["count"].to_numpy(dtype=np.int64),
        }
    )
    shown = int(cnt[order].sum()) if n_paths else 0
    out.attrs["distill_kind"] = "flows"
    out.attrs["distill_meta"] = {
        "by": seq.name,
        "depth": int(depth),
        "top": top,
        "collapse": collapse,
        "session": session,
        "anchors": len(anchors),
        "anchors_left_out": left_out,
        "paths_distinct": int(n_paths),
        "paths_shown": len(order),
        "covered": shown / len(anchors) if len(anchors) else None,
        **seq.meta(),
    }
    return out
