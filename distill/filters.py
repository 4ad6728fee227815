"""Filters: drop, keep, collapse, resample, relabel and redact events.

Every function takes an event frame and returns a **new** frame; none adds
events (relabelling and redaction change values, never rows) and none
changes its input. Each records what it did -- how many events went in and
out, what was dropped by type, what was collapsed, redacted or left
dangling, with ids where they matter -- in the filter history
``out.attrs["distill_meta"]["filters"]`` (read it with :func:`history`;
exports carry it in ``meta``). Nothing is dropped silently.

================  ==========================================================
function          what it does
================  ==========================================================
drop_types        drop events of some types (keep_types: keep only those)
drop / keep       drop or keep events matching a mask, callable or Query
drop_noise        collapse mouseover/mousemove/scroll/wheel bursts, drop
                  UserALE's window copies of focus/blur
near              keep (or drop) events within some time of anchor events,
                  possibly anchors from another frame or source
drop_dangling     drop stops without a start and starts without a stop
dedupe            collapse consecutive identical events and doubled focus/blur
resample          keep n random events per time bin (seeded)
relabel           turn values (unreadable selectors) into names by rules
redact            mask or drop what users typed (see :mod:`distill.redact`)
================  ==========================================================

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> calm = drop_noise(events)
>>> len(events), len(calm)
(4863, 2908)
>>> [step["step"] for step in history(calm)]
['drop_noise']
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from distill import _select
from distill.frame import categories, require
from distill.intervals import _check_pairs, _describe, _ids, _match
from distill.redact import redact

__all__ = [
    "NOISE_TYPES",
    "DANGLING_PAIRS",
    "history",
    "drop_types",
    "keep_types",
    "drop",
    "keep",
    "drop_noise",
    "near",
    "drop_dangling",
    "dedupe",
    "resample",
    "relabel",
    "redact",
]

#: Event types that come in bursts and rarely matter one by one.
NOISE_TYPES: tuple[str, ...] = (
    "mouseover",
    "mouseout",
    "mouseenter",
    "mouseleave",
    "mousemove",
    "pointermove",
    "pointerover",
    "pointerout",
    "scroll",
    "wheel",
    "resize",
)

#: Start/stop pairs :func:`drop_dangling` checks by default.
DANGLING_PAIRS: dict[str, str] = {"focus": "blur", "mousedown": "mouseup", "dragstart": "dragend"}

_KEEP = ("first", "last", "ends", "none")


def history(events: pd.DataFrame) -> list[dict[str, Any]]:
    """The filter steps applied to ``events``, oldest first (a copy).

    Parameters
    ----------
    events : pandas.DataFrame
        A frame returned by the filters (any frame: one without a history
        has none).

    Returns
    -------
    list of dict
        One entry per step, oldest first, read from
        ``events.attrs["distill_meta"]["filters"]`` and deep-copied (changing
        it does not change the frame). Every entry has ``step`` (the
        function's name), ``events_in``, ``events_out``, ``dropped`` and
        ``dropped_by_type``, plus what the step was asked and found (its
        arguments, bursts collapsed, values redacted, ...). Empty when no
        filter was applied.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> history(events)
    []
    >>> steps = history(drop_types(drop_noise(events), "mouseover"))
    >>> [(s["step"], s["events_in"], s["events_out"]) for s in steps]
    [('drop_noise', 4863, 2908), ('drop_types', 2908, 2487)]
    >>> steps[1]["dropped_by_type"]
    {'mouseover': 421}
    """
    meta = events.attrs.get("distill_meta")
    if not isinstance(meta, Mapping):
        return []
    return copy.deepcopy(list(meta.get("filters", ())))


def _by_type(events: pd.DataFrame, rows: np.ndarray) -> dict[str, int]:
    if "type" not in events.columns or not rows.any():
        return {}
    counts = events["type"][rows].astype(object).fillna("<missing>").value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def _finish(events: pd.DataFrame, dropped: np.ndarray, step: str, **info: Any) -> pd.DataFrame:
    out = _select.take(events, ~dropped)
    entry = {
        "step": step,
        "events_in": len(events),
        "events_out": len(out),
        "dropped": int(dropped.sum()),
        "dropped_by_type": _by_type(events, dropped),
        **info,
    }
    return _select.record_step(out, events, entry)


# -- by type or rule ---------------------------------------------------------------------------
def _types(types: str | Sequence[str]) -> list[str]:
    if isinstance(types, str):
        return [types]
    out = list(types)
    if not all(isinstance(t, str) for t in out):
        raise TypeError(f"types must be a type name or a list of type names, got {types!r}")
    return out


def drop_types(events: pd.DataFrame, types: str | Sequence[str]) -> pd.DataFrame:
    """Drop the events of the given type(s).

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    types : str or sequence of str
        Event types to drop.

    Returns
    -------
    pandas.DataFrame
        The other events, in order.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> len(drop_types(events, ["mouseover", "wheel", "scroll"]))
    2704
    """
    require(events, ["type"], what="drop_types")
    wanted = _types(types)
    hit = _select._isin(events["type"], wanted)
    return _finish(events, hit, "drop_types", types=wanted)


def keep_types(events: pd.DataFrame, types: str | Sequence[str]) -> pd.DataFrame:
    """Keep only the events of the given type(s).

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    types : str or sequence of str
        Event types to keep; an empty list keeps no event.

    Returns
    -------
    pandas.DataFrame
        The events of those types, in order. The history entry counts the
        others by type in ``dropped_by_type``.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> keep_types(events, "click")["type"].astype(str).unique().tolist()
    ['click']
    >>> actions = keep_types(events, ["click", "submit"])
    >>> len(actions), history(actions)[-1]["dropped"]
    (324, 4539)
    """
    require(events, ["type"], what="keep_types")
    wanted = _types(types)
    hit = _select._isin(events["type"], wanted)
    return _finish(events, ~hit, "keep_types", types=wanted)


def drop(events: pd.DataFrame, where: Any) -> pd.DataFrame:
    """Drop the events matching a condition.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    where : boolean mask, callable, query, or type name(s)
        A boolean array or Series aligned with ``events`` (missing values
        count as False), a callable ``f(events) -> mask``, any object with a
        ``.mask(events)`` method (a :class:`distill.query.Query`), or event
        type name(s).

    Returns
    -------
    pandas.DataFrame
        The events that do not match.

    Examples
    --------
    >>> import distill
    >>> from distill.query import Q
    >>> events = distill.datasets.load_sample()
    >>> len(drop(events, Q.log_type == "interval"))
    3258
    >>> len(drop(events, lambda df: df["target"].isna()))
    4778
    """
    hit = _select.where_mask(events, where, name="drop: where")
    return _finish(events, hit, "drop", where=_describe(where))


def keep(events: pd.DataFrame, where: Any) -> pd.DataFrame:
    """Keep only the events matching a condition (``where`` as in :func:`drop`).

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    where : boolean mask, callable, query, or type name(s)
        A boolean array or Series aligned with ``events`` (missing values
        count as False), a callable ``f(events) -> mask``, any object with a
        ``.mask(events)`` method (a :class:`distill.query.Query`), or event
        type name(s).

    Returns
    -------
    pandas.DataFrame
        The events that match, in order. The history entry describes the
        condition under ``where`` (a query as its dict).

    Examples
    --------
    >>> import distill
    >>> from distill.query import Q
    >>> events = distill.datasets.load_sample()
    >>> len(keep(events, events["user"] == "bob"))
    520
    >>> bob = keep(events, Q.user == "bob")
    >>> len(bob), history(bob)[-1]["where"]
    (520, {'field': 'user', 'op': 'eq', 'value': 'bob'})
    """
    hit = _select.where_mask(events, where, name="keep: where")
    return _finish(events, ~hit, "keep", where=_describe(where))


# -- noise -----------------------------------------------------------------------------------
def drop_noise(
    events: pd.DataFrame,
    *,
    types: str | Sequence[str] = NOISE_TYPES,
    gap: Any = "1s",
    keep: str = "first",
    by: str | Sequence[str] | None = ("session", "log_type"),
    copies: bool = True,
) -> pd.DataFrame:
    """Collapse bursts of noisy events and drop UserALE's doubled focus/blur.

    The built-in noise rules:

    1. **bursts**: in each stream (the events of one session and log type, in
       time order), a burst is a run of consecutive events of the same noisy
       type (:data:`NOISE_TYPES`: mouseover, mousemove, scroll, wheel, ...)
       each less than ``gap`` after the one before; any other event ends the
       run. Of each burst only the first event is kept (``keep``);
    2. **window copies** (``copies``): UserALE logs focus and blur twice, once
       with ``details`` ``{"window":true}``; that copy is dropped where the
       plain record of the same event exists.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    types : str or sequence of str
        Noisy event types.
    gap : duration
        Longest pause inside a burst (``"1s"``, a timedelta, or seconds).
    keep : {"first", "last", "ends", "none"}
        Which events of a burst survive: the first, the last, the first and
        the last, or none (drop every noisy event).
    by : str or sequence of str, optional
        Columns that define a stream (default session and log type).
    copies : bool
        Also drop window copies of focus/blur.

    Returns
    -------
    pandas.DataFrame
        The remaining events. The history entry counts ``bursts``,
        ``window_copies`` and the dropped events by type.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> out = drop_noise(events, keep="none", copies=False)
    >>> history(out)[0]["dropped_by_type"]
    {'mouseover': 2093, 'wheel': 49, 'scroll': 17}
    """
    if keep not in _KEEP:
        raise ValueError(f"keep must be one of {', '.join(_KEEP)}; got {keep!r}")
    cols = _select.as_columns(by)
    require(events, ["time", "type", *cols], what="drop_noise")
    gap_td = _select.to_timedelta(gap, "gap")
    wanted = _types(types)
    n = len(events)
    noisy = _select._isin(events["type"], wanted)
    dropped = np.zeros(n, dtype=bool)
    bursts = 0
    if noisy.any():
        if keep == "none":
            dropped |= noisy
            bursts = int(noisy.sum())
        else:
            g = _select.group_codes([events], cols)[0]
            t = _select.time_ns(events)
            tc = _select.column_codes([events["type"]])[0]
            order = np.lexsort((np.arange(n), t, g))
            gs, ts, cs, ns = g[order], t[order], tc[order], noisy[order]
            cont = np.zeros(n, dtype=bool)  # continues the burst of the previous event
            cont[1:] = ns[1:] & ns[:-1] & (gs[1:] == gs[:-1]) & (cs[1:] == cs[:-1]) & (ts[1:] - ts[:-1] < gap_td.value)
            starts = ns & ~cont
            ends = np.zeros(n, dtype=bool)
            ends[:-1] = ns[:-1] & ~cont[1:]
            if n:
                ends[-1] = ns[-1]
            survive = {"first": starts, "last": ends, "ends": starts | ends}[keep]
            drop_sorted = ns & ~survive
            dropped[order[drop_sorted]] = True
            bursts = int(starts.sum())
    n_copies = 0
    if copies:
        wc = _select.window_copies(events) & ~dropped
        n_copies = int(wc.sum())
        dropped |= wc
    return _finish(
        events,
        dropped,
        "drop_noise",
        types=wanted,
        gap_seconds=gap_td.total_seconds(),
        keep=keep,
        by=list(cols),
        bursts=bursts,
        window_copies=n_copies,
    )


# -- neighbours ------------------------------------------------------------------------------
def near(
    events: pd.DataFrame,
    anchor: Any,
    within: Any = "5s",
    *,
    keep: bool = True,
    by: str | Sequence[str] | None = "session",
    other: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Keep (or drop) the events within some time of an anchor event.

    An event is *near* when an anchor of the same group (``by``) lies within
    ``within`` of it: with ``within=(before, after)``, when an anchor at time
    ``a`` has ``a - before <= event.time <= a + after``. Anchors in
    ``events`` are near themselves.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    anchor : type name(s), boolean mask, callable or query
        Which events are anchors (evaluated on ``other`` when given), e.g.
        ``"click"`` or ``["click", "keydown"]``.
    within : duration or (duration, duration)
        How close: one duration for both sides, or ``(before, after)`` the
        anchor. Text (``"5s"``), timedelta or seconds.
    keep : bool
        True keeps the near events, False drops them.
    by : str or sequence of str, optional
        Columns an event and its anchor must share (default ``"session"``;
        None: any anchor counts).
    other : pandas.DataFrame, optional
        Take the anchors from this frame (another source) instead; group
        values are compared by value.

    Returns
    -------
    pandas.DataFrame
        The kept events, in order.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> around = near(events, "click", "1s")
    >>> len(around), history(around)[0]["anchors"]
    (4032, 310)
    >>> len(near(events, "click", ("0s", "2s"), keep=False))
    1810
    """
    cols = _select.as_columns(by)
    source = events if other is None else other
    require(events, ["time", *cols], what="near")
    require(source, ["time", *cols], what="near (anchors)")
    if isinstance(within, tuple):
        if len(within) != 2:
            raise ValueError(f"within must be a duration or a (before, after) pair, got {within!r}")
        before = _select.to_timedelta(within[0], "within[0]")
        after = _select.to_timedelta(within[1], "within[1]")
    else:
        before = after = _select.to_timedelta(within, "within")
    is_anchor = _select.where_mask(source, anchor, name="near: anchor")
    anchors = source.loc[is_anchor]
    g_ev, g_an = _select.group_codes([events, anchors], cols)
    t_ev = _select.time_ns(events)
    t_an = _select.time_ns(anchors)
    order = np.lexsort((t_an, g_an))
    g_an, t_an = g_an[order], t_an[order]
    lo = _select.segmented_search(g_an, t_an, g_ev, t_ev - after.value, "left")
    hi = _select.segmented_search(g_an, t_an, g_ev, t_ev + before.value, "right")
    close = hi > lo
    dropped = ~close if keep else close
    return _finish(
        events,
        dropped,
        "near",
        anchor=_describe(anchor),
        before_seconds=before.total_seconds(),
        after_seconds=after.total_seconds(),
        keep=keep,
        by=list(cols),
        anchors=int(is_anchor.sum()),
        other=other is not None,
    )


# -- dangling --------------------------------------------------------------------------------
def drop_dangling(
    events: pd.DataFrame,
    pairs: Mapping[Any, Any] | Sequence[tuple[Any, Any]] = DANGLING_PAIRS,
    *,
    by: str | Sequence[str] | None = ("session", "target"),
    within: Any = None,
    interval_logs: bool = False,
) -> pd.DataFrame:
    """Drop stops that have no start and starts that have no stop.

    Starts and stops are matched as in :func:`distill.intervals.pairs` (a
    stop closes the latest open start of its group; no nesting); every
    record of an unmatched event is dropped (both records of a doubled
    focus/blur). Other events are untouched.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    pairs : dict or sequence of (start, stop)
        The pairs to check, ``{start: stop}``; each side a type name, list of
        names, mask, callable or query (default :data:`DANGLING_PAIRS`:
        focus/blur, mousedown/mouseup, dragstart/dragend).
    by, within, interval_logs
        As in :func:`distill.intervals.pairs`.

    Returns
    -------
    pandas.DataFrame
        The events without the dangling ones. The history entry lists, per
        pair, how many starts and stops were dropped and their event ids.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> out = drop_dangling(events)
    >>> step = history(out)[0]
    >>> step["dropped"], step["pairs"]["focus->blur"]["starts"], step["pairs"]["mousedown->mouseup"]["starts"]
    (106, 100, 6)
    """
    cols = _select.as_columns(by)
    within_td = None if within is None else _select.to_timedelta(within, "within")
    dropped = np.zeros(len(events), dtype=bool)
    report: dict[str, Any] = {}
    for i, (start, stop) in enumerate(_check_pairs(pairs)):
        m = _match(events, start, stop, cols, within=within_td, interval_logs=interval_logs, what="drop_dangling")
        name = f"{start}->{stop}" if isinstance(start, str) and isinstance(stop, str) else f"pair {i}"
        dropped[m.dangling_start_records] = True
        dropped[m.dangling_stop_records] = True
        report[name] = {
            "start": _describe(start),
            "stop": _describe(stop),
            "starts": len(m.dangling_start_records),
            "stops": len(m.dangling_stop_records),
            "start_ids": _ids(events, m.dangling_start_records),
            "stop_ids": _ids(events, m.dangling_stop_records),
        }
    return _finish(
        events,
        dropped,
        "drop_dangling",
        by=list(cols),
        within_seconds=None if within_td is None else within_td.total_seconds(),
        pairs=report,
    )


# -- duplicates ------------------------------------------------------------------------------
def dedupe(
    events: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    tolerance: Any = "0s",
    by: str | Sequence[str] | None = "session",
    copies: bool = True,
) -> pd.DataFrame:
    """Collapse duplicate events: consecutive identical events and UserALE's doubled focus/blur.

    1. **window copies** (``copies``): the focus/blur record with ``details``
       ``{"window":true}`` is dropped where a record of the same type,
       session, target and time without it exists;
    2. **consecutive duplicates**: in each stream (``by``, time order), an
       event identical to the event just before it in ``columns`` and at
       most ``tolerance`` later is dropped (so a run of repeats collapses
       to its first event).

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    columns : sequence of str, optional
        Columns that must be equal (missing equals missing). Default: every
        column except ``event_id``, ``source`` and ``time``.
    tolerance : duration
        Largest time difference between duplicates (default ``"0s"``: same
        time).
    by : str or sequence of str, optional
        Columns that define a stream (default ``"session"``).
    copies : bool
        Collapse window copies of focus/blur.

    Returns
    -------
    pandas.DataFrame
        The events without duplicates; the history entry counts
        ``window_copies`` and ``consecutive``.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> out = dedupe(events)
    >>> step = history(out)[0]
    >>> step["window_copies"], step["consecutive"]
    (264, 0)
    """
    cols = _select.as_columns(by)
    tol = _select.to_timedelta(tolerance, "tolerance")
    if columns is None:
        same_cols = [c for c in events.columns if c not in ("event_id", "source", "time")]
    else:
        same_cols = list(_select.as_columns(columns))
    require(events, ["time", *cols, *same_cols], what="dedupe")
    n = len(events)
    dropped = _select.window_copies(events) if copies else np.zeros(n, dtype=bool)
    n_copies = int(dropped.sum())
    rest = np.flatnonzero(~dropped)
    consecutive = 0
    if len(rest) > 1:
        sub = events.iloc[rest]
        g = _select.group_codes([sub], cols)[0]
        t = _select.time_ns(sub)
        order = np.lexsort((rest, t, g))
        same = np.ones(len(rest) - 1, dtype=bool)
        same &= g[order][1:] == g[order][:-1]
        same &= (t[order][1:] - t[order][:-1]) <= tol.value
        for c in same_cols:
            if not same.any():
                break
            codes = _codes(sub[c])[order]
            same &= codes[1:] == codes[:-1]
        dup = rest[order[1:][same]]
        consecutive = len(dup)
        dropped[dup] = True
    return _finish(
        events,
        dropped,
        "dedupe",
        columns=same_cols,
        tolerance_seconds=tol.total_seconds(),
        by=list(cols),
        window_copies=n_copies,
        consecutive=consecutive,
    )


def _codes(series: pd.Series) -> np.ndarray:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy().astype(np.int64)
    codes, _ = pd.factorize(series, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64)


# -- resampling ------------------------------------------------------------------------------
def resample(
    events: pd.DataFrame,
    every: Any = "1min",
    n: int = 1,
    *,
    by: str | Sequence[str] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Keep at most ``n`` randomly chosen events per time bin (and group), reproducibly.

    Bins are ``every`` long and aligned to the Unix epoch (``"1min"`` bins
    start on the minute). The choice is uniform within each bin and fixed by
    ``seed``: the same frame and seed always give the same events.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    every : duration
        Bin length (``"1min"``, ``"10s"``, a timedelta or seconds).
    n : int
        Events to keep per bin (all of them when a bin has fewer).
    by : str or sequence of str, optional
        Sample each group (e.g. ``"session"``) separately.
    seed : int
        Random seed.

    Returns
    -------
    pandas.DataFrame
        The sampled events, in their original order.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> one = resample(events, "10s", by="session", seed=1)
    >>> len(one), one["event_id"].equals(resample(events, "10s", by="session", seed=1)["event_id"])
    (77, True)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    cols = _select.as_columns(by)
    require(events, ["time", *cols], what="resample")
    step = _select.to_timedelta(every, "every")
    if step.value <= 0:
        raise ValueError(f"every must be longer than zero, got {every!r}")
    size = len(events)
    t = _select.time_ns(events)
    bins = np.floor_divide(t, step.value)
    g = _select.group_codes([events], cols)[0]
    # shuffle, then stable-sort by (group, bin): a uniform random order within each bin
    perm = np.random.default_rng(seed).permutation(size)
    packed = _select.group_codes([pd.DataFrame({"g": g, "b": bins})], ("g", "b"))[0]
    order = perm[np.argsort(packed[perm], kind="stable")]
    gs, bs = g[order], bins[order]
    new = np.ones(size, dtype=bool)
    new[1:] = (gs[1:] != gs[:-1]) | (bs[1:] != bs[:-1])
    first = np.maximum.accumulate(np.where(new, np.arange(size), 0)) if size else np.zeros(0, dtype=np.int64)
    rank = np.arange(size) - first
    dropped = np.zeros(size, dtype=bool)
    dropped[order[rank >= n]] = True
    return _finish(
        events,
        dropped,
        "resample",
        every_seconds=step.total_seconds(),
        n=int(n),
        by=list(cols),
        seed=seed,
        bins=int(new.sum()),
    )


# -- relabelling -----------------------------------------------------------------------------
def relabel(
    events: pd.DataFrame,
    rules: Any,
    *,
    column: str = "target",
    into: str | None = None,
) -> pd.DataFrame:
    """Give values readable names by rules (e.g. CSS selectors -> "Buy button").

    Each distinct value of ``column`` is checked once against the rules, in
    order; the first matching rule gives its label. Unmatched values keep
    their own value; missing values stay missing.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    rules : dict or sequence of (rule, label)
        A rule is a string (exact match), a string starting with ``^`` or a
        compiled pattern (regular expression, searched; string labels may use
        ``\\1`` or ``\\g<name>``), or a callable ``f(value)`` returning the
        label (or None for no match).
    column : str
        The column to relabel (default ``"target"``).
    into : str, optional
        Where the labels go: a new categorical column (default ``"label"``),
        or ``column`` itself to replace its values.

    Returns
    -------
    pandas.DataFrame
        The same events with the label column. The history entry counts the
        distinct values and events matched.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> named = relabel(events, {"button#login-btn.btn-primary": "Log in", r"^div#card-(\\d+)": r"Product card \\1"})
    >>> named.loc[named["target"] == "div#card-7.card", "label"].iloc[0]
    'Product card 7'
    >>> named.loc[named["target"] == "button#login-btn.btn-primary", "label"].iloc[0]
    'Log in'
    """
    require(events, [column], what="relabel")
    compiled = _select.compile_rules(rules, name="relabel: rules")
    target = "label" if into is None else into
    if not isinstance(target, str):
        raise TypeError(f"into must be a column name, got {into!r}")

    def label_of(value: str) -> tuple[bool, str]:
        hit, label = _select.match_rules(value, compiled)
        return (True, str(label)) if hit else (False, value)

    results, codes = _select.per_category(events[column], label_of)
    matched = np.array([r[0] for r in results], dtype=bool)
    labels = [r[1] for r in results]
    mapped = pd.Categorical(labels) if labels else pd.Categorical([])
    label_cats = categories(mapped.categories)
    new_codes = np.where(codes >= 0, mapped.codes[np.clip(codes, 0, None)] if len(labels) else -1, -1)
    out = events.copy(deep=False)
    out[target] = pd.Categorical.from_codes(new_codes, categories=label_cats)
    hit_events = int(np.where(codes >= 0, matched[np.clip(codes, 0, None)] if len(labels) else False, False).sum())
    entry = {
        "step": "relabel",
        "events_in": len(events),
        "events_out": len(out),
        "dropped": 0,
        "dropped_by_type": {},
        "column": column,
        "into": target,
        "rules": len(compiled),
        "values_matched": int(matched.sum()),
        "values_unmatched": int((~matched).sum()),
        "events_matched": hit_events,
    }
    return _select.record_step(out, events, entry)
