"""Intervals: start/stop pairs, the events between them, and UserALE's own interval logs.

Three ways to get time spans out of an event frame:

- :func:`pairs` matches start events with stop events (focus -> blur,
  mousedown -> mouseup, dragstart -> dragend, or any custom pair) per group
  (by default per session and target) and returns one row per interval,
  reporting the starts and stops that found no partner;
- :func:`sandwiches` returns the events between the start and the stop of each
  such interval ("bookended" events), tagged with the interval they fall in;
- :func:`logged_intervals` and :func:`dwell` use the interval logs UserALE
  writes itself (``log_type == "interval"``: one record per run of events of
  one type on one target, ``time`` = startTime, ``end_time`` = endTime),
  correcting their known defects.

Matching rule of :func:`pairs`
------------------------------
Within each group, starts and stops are taken in time order (ties by
position in the frame). **A stop closes the most recent start of its group
that is not yet closed, provided no other stop came in between; there is no
nesting.** So in ``start1 start2 stop1 stop2``, ``start2`` pairs with
``stop1``, ``start1`` is a dangling start (its stop was never logged) and
``stop2`` a dangling stop. Each start and each stop is used at most once.
With ``within``, a pair further apart than ``within`` is not a pair: both
ends are reported as dangling. Several records of one event (same group,
same type and the same time, e.g. UserALE's doubled focus/blur) count as one
event; the record without ``{"window":true}`` represents it. UserALE
interval logs are summaries, not events, and are left out unless
``interval_logs=True``.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> focus = pairs(events, "focus", "blur")
>>> len(focus), focus.attrs["distill_meta"]["dangling_starts"]
(107, 50)
>>> float(focus["duration"].dt.total_seconds().median())
1.8861
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from distill import _select
from distill.frame import require

__all__ = ["COMMON_PAIRS", "pairs", "sandwiches", "logged_intervals", "dwell"]

#: Start/stop event types that belong together in UserALE logs.
COMMON_PAIRS: dict[str, str] = {
    "focus": "blur",
    "mousedown": "mouseup",
    "dragstart": "dragend",
    "mouseover": "mouseout",
    "keydown": "keyup",
    "touchstart": "touchend",
    "pointerdown": "pointerup",
}

_NEGATIVE = ("clamp", "swap", "keep", "drop")


# -- matching (shared with distill.filters.drop_dangling) ------------------------------------
@dataclass(frozen=True)
class _Matching:
    """Result of matching starts with stops (positions are rows of the frame)."""

    start: np.ndarray  # representative row of each matched start, in pair order (by start time)
    stop: np.ndarray  # representative row of the matching stop
    start_first: np.ndarray  # first and last row among the records of each start event
    start_last: np.ndarray
    stop_first: np.ndarray  # first and last row among the records of each stop event
    stop_last: np.ndarray
    dangling_start: np.ndarray  # representative rows of starts without a stop
    dangling_stop: np.ndarray  # representative rows of stops without a start
    dangling_start_records: np.ndarray  # every record (copies included) of those starts
    dangling_stop_records: np.ndarray


def _describe(rule: Any) -> Any:
    if isinstance(rule, str):
        return rule
    if isinstance(rule, (list, tuple, set, frozenset)) and all(isinstance(r, str) for r in rule):
        return sorted(rule) if isinstance(rule, (set, frozenset)) else list(rule)
    if hasattr(rule, "to_dict"):
        try:
            return rule.to_dict()
        except Exception:  # pragma: no cover - a foreign object
            return "custom"
    return "custom"


def _match(
    events: pd.DataFrame,
    start: Any,
    stop: Any,
    by: Sequence[str],
    *,
    within: pd.Timedelta | None = None,
    interval_logs: bool = False,
    what: str = "pairs",
) -> _Matching:
    """Match starts with stops in each group (see the module docstring for the rule). Vectorised."""
    require(events, ["time", *by], what=what)
    is_start = _select.where_mask(events, start, name=f"{what}: start")
    is_stop = _select.where_mask(events, stop, name=f"{what}: stop")
    both = is_start & is_stop
    if both.any():
        row = int(np.flatnonzero(both)[0])
        raise ValueError(
            f"{what}: {int(both.sum())} event(s) match both start and stop (first at row {row}); "
            "start and stop must be different events"
        )
    usable = is_start | is_stop
    if not interval_logs and "log_type" in events.columns:
        usable &= ~_select._isin(events["log_type"], ["interval"])
    cand = np.flatnonzero(usable)
    empty = np.zeros(0, dtype=np.int64)
    if not len(cand):
        return _Matching(*([empty] * 10))
    sub = events.iloc[cand]
    g = _select.group_codes([sub], by)[0]
    t = _select.time_ns(sub)
    st = is_start[cand]
    copy = _select.window_copies(sub)
    tcode = _select.column_codes([sub["type"]])[0] if "type" in sub.columns else np.zeros(len(cand), dtype=np.int64)
    order = np.lexsort((cand, copy, t, g))
    g, t, st, tcode, pos = g[order], t[order], st[order], tcode[order], cand[order]
    # records of one event: same group, same kind, same type, same time as the previous record
    same = np.zeros(len(pos), dtype=bool)
    same[1:] = (g[1:] == g[:-1]) & (st[1:] == st[:-1]) & (tcode[1:] == tcode[:-1]) & (t[1:] == t[:-1])
    first = ~same
    event_of = np.cumsum(first) - 1  # logical event of each record
    heads = np.flatnonzero(first)
    lo_rec = np.minimum.reduceat(pos, heads)
    hi_rec = np.maximum.reduceat(pos, heads)
    lg, lt, ls = g[heads], t[heads], st[heads]
    m = len(heads)
    # a logical stop closes the logical start just before it in the same group
    closes = np.zeros(m, dtype=bool)
    if m > 1:
        closes[1:] = (lg[1:] == lg[:-1]) & ls[:-1] & ~ls[1:]
        if within is not None:
            closes[1:] &= (lt[1:] - lt[:-1]) <= within.value
    stop_idx = np.flatnonzero(closes)
    start_idx = stop_idx - 1
    matched = np.zeros(m, dtype=bool)
    matched[stop_idx] = True
    matched[start_idx] = True
    # pairs ordered by start time, then start row
    p_order = np.lexsort((pos[heads[start_idx]], lt[start_idx]))
    start_idx, stop_idx = start_idx[p_order], stop_idx[p_order]
    d_start = np.flatnonzero(~matched & ls)
    d_stop = np.flatnonzero(~matched & ~ls)
    rec_dangling = ~matched[event_of]
    return _Matching(
        start=pos[heads[start_idx]],
        stop=pos[heads[stop_idx]],
        start_first=lo_rec[start_idx],
        start_last=hi_rec[start_idx],
        stop_first=lo_rec[stop_idx],
        stop_last=hi_rec[stop_idx],
        dangling_start=np.sort(pos[heads[d_start]]),
        dangling_stop=np.sort(pos[heads[d_stop]]),
        dangling_start_records=np.sort(pos[rec_dangling & st]),
        dangling_stop_records=np.sort(pos[rec_dangling & ~st]),
    )


def _ids(events: pd.DataFrame, rows: np.ndarray) -> list[str]:
    if "event_id" not in events.columns:
        return [str(r) for r in rows.tolist()]
    return [str(v) for v in events["event_id"].iloc[rows].tolist()]


def _within(within: Any) -> pd.Timedelta | None:
    return None if within is None else _select.to_timedelta(within, "within")


# -- pairs -----------------------------------------------------------------------------------
def pairs(
    events: pd.DataFrame,
    start: Any = "focus",
    stop: Any = "blur",
    *,
    by: str | Sequence[str] | None = ("session", "target"),
    within: Any = None,
    interval_logs: bool = False,
) -> pd.DataFrame:
    """Intervals from matching start and stop events, one row per matched pair.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    start, stop : str, list of str, boolean mask, callable or query
        Which events start and stop an interval: event type name(s) (e.g.
        ``"focus"``/``"blur"``, see :data:`COMMON_PAIRS`), a boolean mask
        aligned with ``events``, a callable returning one, or a
        :class:`distill.query.Query`. No event may be both.
    by : str or sequence of str, optional
        Columns a start and its stop must share (default session and target;
        missing values form their own group). None: one group.
    within : duration, optional
        Longest allowed interval (``"30s"``, a timedelta or seconds); a start
        and a stop further apart are both reported as dangling.
    interval_logs : bool
        Also use UserALE interval logs (``log_type == "interval"``) as starts
        and stops; they are left out by default.

    Returns
    -------
    pandas.DataFrame
        Kind ``intervals``, ordered by start: the ``by`` columns, ``user`` and
        ``session`` (of the start event) where present, ``start``, ``end``,
        ``duration`` (timedelta, never negative), ``start_id``, ``stop_id``,
        ``start_type``, ``stop_type``. ``attrs["distill_meta"]`` reports
        ``pairs``, ``dangling_starts``, ``dangling_stops`` (events, counting
        doubled records once) and their ``dangling_start_ids`` and
        ``dangling_stop_ids``.

    See Also
    --------
    distill.filters.drop_dangling : drop the unmatched starts and stops.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> clicks = pairs(events, "mousedown", "mouseup")
    >>> len(clicks), clicks.attrs["distill_meta"]["dangling_starts"]
    (167, 6)
    >>> list(clicks.columns[:4])
    ['session', 'target', 'user', 'start']
    """
    cols = _select.as_columns(by)
    within_td = _within(within)
    match = _match(events, start, stop, cols, within=within_td, interval_logs=interval_logs, what="pairs")
    out = _interval_frame(events, match, cols)
    out.attrs["distill_kind"] = "intervals"
    out.attrs["distill_meta"] = {
        "start": _describe(start),
        "stop": _describe(stop),
        "by": list(cols),
        "within_seconds": None if within_td is None else within_td.total_seconds(),
        "interval_logs": interval_logs,
        "pairs": len(out),
        "dangling_starts": len(match.dangling_start),
        "dangling_stops": len(match.dangling_stop),
        "dangling_start_ids": _ids(events, match.dangling_start),
        "dangling_stop_ids": _ids(events, match.dangling_stop),
    }
    return out


def _interval_frame(events: pd.DataFrame, match: _Matching, by: Sequence[str]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    s, e = match.start, match.stop
    for col in [*by, *(c for c in ("user", "session") if c in events.columns and c not in by)]:
        data[col] = events[col].iloc[s].reset_index(drop=True)
    t0 = events["time"].iloc[s].reset_index(drop=True)
    t1 = events["time"].iloc[e].reset_index(drop=True)
    data["start"] = t0
    data["end"] = t1
    data["duration"] = t1 - t0
    ids = events["event_id"] if "event_id" in events.columns else pd.Series(events.index.astype(str))
    data["start_id"] = ids.iloc[s].reset_index(drop=True)
    data["stop_id"] = ids.iloc[e].reset_index(drop=True)
    if "type" in events.columns:
        data["start_type"] = events["type"].iloc[s].reset_index(drop=True)
        data["stop_type"] = events["type"].iloc[e].reset_index(drop=True)
    out = pd.DataFrame(data)
    if not len(out):
        out["duration"] = pd.Series([], dtype="timedelta64[ns]")
    return out


# -- sandwiches ------------------------------------------------------------------------------
def sandwiches(
    events: pd.DataFrame,
    start: Any = "focus",
    stop: Any = "blur",
    *,
    by: str | Sequence[str] | None = ("session", "target"),
    scope: str | Sequence[str] | None = "session",
    include_ends: bool = False,
    within: Any = None,
    interval_logs: bool = False,
) -> pd.DataFrame:
    """The events between the start and the stop of each interval ("sandwiched" events).

    Starts and stops are matched exactly as in :func:`pairs` (same arguments,
    same rule); then, for every pair, the events of the same ``scope`` (by
    default the same session, whatever their target) that lie between the
    start and the stop in the frame's order are returned.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    start, stop, by, within, interval_logs
        As in :func:`pairs`.
    scope : str or sequence of str, optional
        Columns the sandwiched events share with the start event (default
        ``"session"``; None: any event between the two times).
    include_ends : bool
        Also return the start and stop events themselves (all their records).

    Returns
    -------
    pandas.DataFrame
        Kind ``events``: the sandwiched events with every column of
        ``events`` plus ``interval``, the row number of their pair in
        :func:`pairs` called with the same arguments. An event inside several
        (overlapping) intervals appears once per interval, so ``event_id`` is
        unique only when intervals do not overlap. Ordered by time, then
        interval. ``attrs["distill_meta"]`` has ``pairs``, ``events`` and
        ``empty`` (pairs with nothing between).

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> typed = sandwiches(events, "focus", "blur", by=("session", "target"))
    >>> sorted(typed[typed["type"] == "keydown"]["target"].unique())[:2]
    ['input#email', 'input#fullname']
    >>> drags = sandwiches(events, "dragstart", "dragend")
    >>> drags["type"].astype(str).value_counts().to_dict()
    {'mouseover': 10, 'blur': 9, 'drag': 6, 'drop': 6}
    """
    cols = _select.as_columns(by)
    scope_cols = _select.as_columns(scope)
    require(events, scope_cols, what="sandwiches")
    match = _match(events, start, stop, cols, within=_within(within), interval_logs=interval_logs, what="sandwiches")
    n = len(events)
    sc = _select.group_codes([events], scope_cols)[0]
    pos = np.arange(n, dtype=np.int64)
    key = np.sort(sc * max(n, 1) + pos)
    base = sc[match.start] * max(n, 1)
    if include_ends:
        lo = np.searchsorted(key, base + match.start_first, side="left")
        hi = np.searchsorted(key, base + match.stop_last, side="right")
    else:
        lo = np.searchsorted(key, base + match.start_last, side="right")
        hi = np.searchsorted(key, base + match.stop_first, side="left")
    lengths = np.maximum(hi - lo, 0)
    interval = np.repeat(np.arange(len(lo), dtype=np.int64), lengths)
    offsets = np.arange(lengths.sum(), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = (key[np.repeat(lo, lengths) + offsets] % max(n, 1)) if n else np.zeros(0, dtype=np.int64)
    order = np.lexsort((interval, rows))
    rows, interval = rows[order], interval[order]
    out = events.take(rows).reset_index(drop=True)
    out["interval"] = interval
    out.attrs = {k: v for k, v in events.attrs.items() if k not in ("distill_meta", "distill_kind")}
    out.attrs["distill_kind"] = "events"
    out.attrs["distill_meta"] = {
        "start": _describe(start),
        "stop": _describe(stop),
        "by": list(cols),
        "scope": list(scope_cols),
        "pairs": len(match.start),
        "events": len(out),
        "empty": int((lengths == 0).sum()),
    }
    return out


# -- UserALE interval logs -------------------------------------------------------------------
def logged_intervals(
    events: pd.DataFrame,
    *,
    negative: str = "clamp",
    recount: bool = True,
    columns: Sequence[str] = (),
) -> pd.DataFrame:
    """UserALE's interval logs as an interval table, with their known defects corrected.

    UserALE writes one interval log per run of events of one type on one
    target (``time`` = startTime, ``end_time`` = endTime: when an event of
    another type or target came). Two defects are corrected:

    - ``count`` is always 0: the events are recounted as the raw events of the
      same session, type and target whose time, floored to the millisecond
      (the precision of interval logs), lies in ``[start, end]``; UserALE's
      window copies of focus/blur are not counted twice;
    - some durations are negative (endTime before startTime, focus intervals
      by about 3 ms): the browser stamps mouse events with their hardware
      time and focus events with their dispatch time, so a focus run ended by
      the mouseup of the same click "ends" before it starts. The run lasted
      no measurable time, so by default the end is clamped to the start
      (duration 0). ``negative="swap"`` swaps start and end, ``"keep"``
      keeps the logged values, ``"drop"`` drops those intervals (counted in
      the meta).

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame with interval logs (``log_type == "interval"``).
    negative : {"clamp", "swap", "keep", "drop"}
        How to correct intervals that end before they start.
    recount : bool
        Recount the events of each interval (column ``events``).
    columns : sequence of str
        Further event columns to carry into the table.

    Returns
    -------
    pandas.DataFrame
        Kind ``intervals``, one row per interval log in time order:
        ``event_id``, ``user``, ``session``, ``type``, ``target``,
        ``page_url`` (those present), ``columns``, ``start``, ``end``,
        ``duration``, ``logged_duration`` (as logged), ``corrected`` (bool),
        ``events`` (recount). ``attrs["distill_meta"]`` has ``intervals``,
        ``negative`` (how many were negative), ``correction`` and
        ``dropped``.

    Examples
    --------
    >>> import distill
    >>> table = logged_intervals(distill.datasets.load_sample())
    >>> len(table), table.attrs["distill_meta"]["negative"]
    (1605, 99)
    >>> bool((table["duration"] >= pd.Timedelta(0)).all())
    True
    """
    if negative not in _NEGATIVE:
        raise ValueError(f"negative must be one of {', '.join(_NEGATIVE)}; got {negative!r}")
    require(events, ["time", "end_time", "log_type"], what="logged_intervals")
    is_iv = _select._isin(events["log_type"], ["interval"])
    iv = events.loc[is_iv]
    keep_cols = [c for c in ("event_id", "user", "session", "type", "target", "page_url") if c in events.columns]
    keep_cols += [c for c in columns if c not in keep_cols]
    require(events, keep_cols, what="logged_intervals")
    out = iv[keep_cols].reset_index(drop=True)
    t0 = _select.time_ns(iv)
    t1 = iv["end_time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    nat = np.iinfo(np.int64).min
    missing_end = t1 == nat
    t1 = np.where(missing_end, t0, t1)
    neg = t1 < t0
    logged = t1 - t0
    start, end = t0.copy(), t1.copy()
    if negative == "clamp":
        end = np.where(neg, t0, t1)
    elif negative == "swap":
        start, end = np.minimum(t0, t1), np.maximum(t0, t1)
    corrected = neg if negative in ("clamp", "swap") else np.zeros(len(t0), dtype=bool)
    out["start"] = _utc(start)
    out["end"] = _utc(end)
    out["duration"] = pd.to_timedelta(end - start, unit="ns")
    out["logged_duration"] = pd.to_timedelta(np.where(missing_end, nat, logged), unit="ns")
    out["corrected"] = corrected
    if recount:
        out["events"] = _recount(events, is_iv, np.minimum(start, end), np.maximum(start, end))
    dropped = 0
    if negative == "drop":
        dropped = int(neg.sum())
        out = out.loc[~neg].reset_index(drop=True)
    out.attrs["distill_kind"] = "intervals"
    out.attrs["distill_meta"] = {
        "source": "userale interval logs",
        "intervals": len(out),
        "negative": int(neg.sum()),
        "correction": negative,
        "corrected": int(corrected.sum()),
        "dropped": dropped,
        "missing_end": int(missing_end.sum()),
    }
    return out


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ns.astype(np.int64).view("datetime64[ns]")).tz_localize("UTC")


def _recount(events: pd.DataFrame, is_iv: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Raw events of the same session, type and target in [start, end] (ms-floored times)."""
    keys = [c for c in ("session", "type", "target") if c in events.columns]
    is_raw = _select._isin(events["log_type"], ["raw"]) & ~_select.window_copies(events)
    iv, raw = events.loc[is_iv], events.loc[is_raw]
    g_iv, g_raw = _select.group_codes([iv, raw], keys)
    ms = 1_000_000
    t_raw = (_select.time_ns(raw) // ms) * ms
    lo = _segmented_search(g_raw, t_raw, g_iv, start, "left")
    hi = _segmented_search(g_raw, t_raw, g_iv, end, "right")
    return (hi - lo).astype(np.int64)


_segmented_search = _select.segmented_search


def dwell(
    events: pd.DataFrame,
    *,
    by: str | Sequence[str] = "target",
    types: str | Sequence[str] | None = None,
    negative: str = "clamp",
) -> pd.DataFrame:
    """Dwell time per target (or other key) from UserALE interval logs.

    Sums the corrected durations of :func:`logged_intervals` per group. An
    interval log covers a run of events of one type on one target until an
    event of another type or target, so the dwell of a target is the time
    its events were the latest thing the user did.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame with interval logs.
    by : str or sequence of str
        Columns to group by (default ``"target"``); any event column.
    types : str or sequence of str, optional
        Only interval logs of these event types (e.g. ``"mouseover"`` for hover
        time, ``["focus", "input", "change"]`` for form fields).
    negative : {"clamp", "swap", "keep", "drop"}
        Correction of negative durations (see :func:`logged_intervals`).

    Returns
    -------
    pandas.DataFrame
        Kind ``dwell``, largest dwell first: the ``by`` columns,
        ``intervals``, ``dwell`` (total, timedelta), ``mean``, ``median``,
        ``max``, ``events`` (recounted), ``corrected``. ``attrs["distill_meta"]``
        carries the counts of :func:`logged_intervals`.

    Examples
    --------
    >>> import distill
    >>> table = dwell(distill.datasets.load_sample(), types="mouseover")
    >>> table.loc[0, "target"], int(table.loc[0, "intervals"]), str(table.loc[0, "dwell"])
    ('div#cart', 61, '0 days 00:00:19.292000')
    """
    cols = _select.as_columns(by)
    if not cols:
        raise ValueError("dwell needs at least one column in by")
    table = logged_intervals(events, negative=negative, columns=cols)
    meta = dict(table.attrs["distill_meta"])
    if types is not None:
        wanted = [types] if isinstance(types, str) else list(types)
        table = table.loc[_select._isin(table["type"], wanted)]
        meta["types"] = wanted
    grouped = table.groupby(list(cols), observed=True, dropna=False, sort=False)
    out = grouped.agg(
        intervals=("duration", "size"),
        dwell=("duration", "sum"),
        mean=("duration", "mean"),
        median=("duration", "median"),
        max=("duration", "max"),
        events=("events", "sum"),
        corrected=("corrected", "sum"),
    ).reset_index()
    out["intervals"] = out["intervals"].astype(np.int64)
    out["events"] = out["events"].astype(np.int64)
    out["corrected"] = out["corrected"].astype(np.int64)
    out = out.sort_values(["dwell", *cols], ascending=[False, *([True] * len(cols))], kind="stable")
    out = out.reset_index(drop=True)
    meta["by"] = list(cols)
    meta["groups"] = len(out)
    out.attrs["distill_kind"] = "dwell"
    out.attrs["distill_meta"] = meta
    return out


def _check_pairs(pairs_: Mapping[Any, Any] | Sequence[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if not isinstance(pairs_, Mapping):
        try:
            items = [(a, b) for a, b in pairs_]
        except (TypeError, ValueError):
            raise TypeError("pairs must be a dict {start: stop} or a list of (start, stop) pairs") from None
        return items
    return list(pairs_.items())
