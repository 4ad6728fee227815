"""Segments: spans of time, per group, and set arithmetic on them.

A *segments* frame has one row per span: its group keys (for example
``user`` or ``session``), ``start`` and ``end`` (``datetime64[ns, UTC]``) and
a ``label``; ``attrs["distill_kind"] == "segments"``. Its group keys are all
its columns other than ``start``, ``end`` and ``label``, so a frame built by
hand works too. Each span is half-open, ``[start, end)``: the union of
``[1:00, 1:05)`` and ``[1:05, 1:10)`` is ``[1:00, 1:10)``, and a span with
``start == end`` is empty.

Building segments from events:

- :func:`windows`: fixed windows (``"1min"``, ``"1h"``, ...) covering the
  events, aligned to the Unix epoch, per group;
- :func:`around`: a window before and after each event that matches a
  condition (a mask, an event type or list of types, a callable, a
  :class:`~distill.query.Query`);
- :func:`idle`: dead space, the gaps longer than ``gap`` between consecutive
  events of a group.

Set operations per group (:func:`union`, :func:`intersect`,
:func:`difference`, :func:`merge_overlaps`) sweep the sorted boundaries once
(sort, cumulative sums), never comparing pairs of segments. Back to events:
:func:`events_in` (the events inside segments, with the segment) and
:func:`label_events` (every event, with the segment it falls in).

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> gaps = idle(events, gap="5s")
>>> len(gaps), str(gaps["label"].iloc[0])
(16, 'idle')
>>> busy = difference(windows(events, "10s", by="session"), gaps)
>>> len(events_in(events, busy)) < len(events)  # events that start a gap are at its left edge
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from distill.errors import FrameError
from distill.frame import categories, require

__all__ = [
    "KIND",
    "around",
    "difference",
    "events_in",
    "group_keys",
    "idle",
    "intersect",
    "label_events",
    "merge_overlaps",
    "union",
    "windows",
]

#: ``attrs["distill_kind"]`` of segment frames.
KIND = "segments"
_SPAN = ("start", "end", "label")
_CLOSED = ("left", "right", "both", "neither")
#: Most windows :func:`windows` builds before asking for a larger ``every``.
_MAX_WINDOWS = 10_000_000


# -- helpers --------------------------------------------------------------------------------------
def _by_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _ns(value: Any, name: str, *, allow_zero: bool = False) -> int:
    try:
        td = pd.Timedelta(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name}={value!r} is not a duration such as '5s' or '1min' ({err})") from None
    if pd.isna(td) or td.value < 0 or (td.value == 0 and not allow_zero):
        raise ValueError(f"{name}={value!r} must be a {'non-negative' if allow_zero else 'positive'} duration")
    return int(td.value)


def _times(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    col = frame[column]
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        pass  # the int64 values are UTC whatever the zone
    elif pd.api.types.is_datetime64_dtype(col.dtype):
        raise FrameError(f"{what}: column {column!r} has no time zone; use .dt.tz_localize('UTC')")
    else:
        raise FrameError(f"{what}: column {column!r} must hold datetimes, it has dtype {col.dtype}")
    ns = col.to_numpy(dtype="datetime64[ns]").view(np.int64)
    nat = ns == np.iinfo(np.int64).min
    if nat.any():
        raise FrameError(f"{what}: {int(nat.sum())} row(s) have no {column!r} (first at index {frame.index[nat][0]!r})")
    return ns


def group_keys(segments: pd.DataFrame, by: str | Sequence[str] | None = None) -> list[str]:
    """The group keys of a segments frame: ``by`` if given, else every column but start, end and label.

    The set operations use it to decide which segments may be combined:
    only those of the same group.

    Parameters
    ----------
    segments : pandas.DataFrame
        A segments frame (one built by hand works too).
    by : str or list of str, optional
        Keys to use instead; each must be a column of ``segments``.

    Returns
    -------
    list of str
        The keys, in column order (or in the order ``by`` gives them); empty
        when the segments are not grouped.

    Raises
    ------
    FrameError
        If a key in ``by`` is not a column.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> group_keys(windows(events, "1min", by="user"))
    ['user']
    >>> group_keys(windows(events, "1min", by=["user", "session"]))
    ['user', 'session']
    """
    if by is not None:
        keys = _by_list(by)
        require(segments, keys, what="segments")
        return keys
    return [str(c) for c in segments.columns if c not in _SPAN]


def _spans(segments: pd.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
    require(segments, ["start", "end"], what=what)
    s = _times(segments, "start", what)
    e = _times(segments, "end", what)
    bad = e < s
    if bad.any():
        raise FrameError(
            f"{what}: {int(bad.sum())} segment(s) end before they start (first at index {segments.index[bad][0]!r})"
        )
    return s, e


def _key_codes(cols: list[pd.Series]) -> tuple[np.ndarray, Any]:
    """Codes of one key column across frames (-1 for missing) and the labels they index."""
    if all(isinstance(c.dtype, pd.CategoricalDtype) for c in cols):
        cats = cols[0].cat.categories
        for c in cols[1:]:
            if not c.cat.categories.equals(cats):
                cats = cats.union(c.cat.categories)
        codes = [
            c.cat.codes.to_numpy() if c.cat.categories.equals(cats) else c.cat.set_categories(cats).cat.codes.to_numpy()
            for c in cols
        ]
        return np.concatenate(codes).astype(np.int64), pd.CategoricalDtype(categories(cats.astype(str)))
    values = np.concatenate([c.to_numpy(dtype=object) for c in cols])
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _group_codes(frames: Sequence[pd.DataFrame], keys: list[str]) -> tuple[list[np.ndarray], pd.DataFrame]:
    """Codes of the key combinations (sorted, missing values last), shared by all frames, and one row of keys per code."""
    sizes = [len(f) for f in frames]
    if not keys:
        return [np.zeros(n, dtype=np.int64) for n in sizes], pd.DataFrame(index=pd.RangeIndex(1))
    per_key = [_key_codes([f[k] for f in frames]) for k in keys]
    combined = np.zeros(sum(sizes), dtype=np.int64)
    radix = [len(lab.categories) if isinstance(lab, pd.CategoricalDtype) else len(lab) for _, lab in per_key]
    for (codes, _), r in zip(per_key, radix):
        combined = combined * (r + 1) + np.where(codes >= 0, codes, r)
    space = int(np.prod([r + 1 for r in radix], dtype=np.float64))
    if space <= max(4 * len(combined), 1 << 22):  # dense: count instead of sorting
        uniq = np.flatnonzero(np.bincount(combined, minlength=space))
        remap = np.zeros(space, dtype=np.int64)
        remap[uniq] = np.arange(len(uniq))
        inverse = remap[combined]
    else:
        uniq, inverse = np.unique(combined, return_inverse=True)
    data: dict[str, Any] = {}
    rest = uniq.copy()
    for k, (_, lab), r in reversed(list(zip(keys, per_key, radix))):
        part = rest % (r + 1)
        rest = rest // (r + 1)
        missing = part == r
        if isinstance(lab, pd.CategoricalDtype):
            data[k] = pd.Categorical.from_codes(np.where(missing, -1, part), dtype=lab)
        else:
            vals = np.empty(len(part), dtype=object)
            vals[~missing] = lab[part[~missing]]
            vals[missing] = None
            data[k] = vals
    table = pd.DataFrame({k: data[k] for k in keys})
    inverse = inverse.reshape(-1).astype(np.int64)
    out, at = [], 0
    for n in sizes:
        out.append(inverse[at : at + n])
        at += n
    return out, table


def _rank_keys(groups: Sequence[np.ndarray], times: Sequence[np.ndarray]) -> list[np.ndarray]:
    """One int64 key per (group, time) that sorts like the pair (dense time ranks)."""
    all_t = np.concatenate(times) if times else np.zeros(0, dtype=np.int64)
    uniq, inverse = np.unique(all_t, return_inverse=True)
    width = len(uniq) + 1
    out, at = [], 0
    for g, t in zip(groups, times):
        out.append(g.astype(np.int64) * width + inverse.reshape(-1)[at : at + len(t)])
        at += len(t)
    return out


def _finish(table: pd.DataFrame, keys: list[str], meta: dict[str, Any] | None = None) -> pd.DataFrame:
    table = table.reset_index(drop=True)
    table.attrs["distill_kind"] = KIND
    table.attrs["distill_meta"] = {"by": keys, **(meta or {})}
    return table


def _build(
    key_table: pd.DataFrame,
    keys: list[str],
    group: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    label: Any,
    meta: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """A segments frame from group codes and int64 spans, sorted by (group, start, end)."""
    order = np.lexsort((end, start, group))
    group, start, end = group[order], start[order], end[order]
    data: dict[str, Any] = {}
    for k in keys:
        data[k] = key_table[k].take(group).reset_index(drop=True)
    data["start"] = pd.to_datetime(start, unit="ns", utc=True)
    data["end"] = pd.to_datetime(end, unit="ns", utc=True)
    if isinstance(label, np.ndarray):
        label = label[order]
        values = pd.Series(label, dtype=object)
        data["label"] = pd.Categorical(values, categories=categories(np.sort(values.dropna().astype(str).unique())))
    else:
        data["label"] = pd.Categorical([label] * len(start), categories=categories([] if label is None else [label]))
    return _finish(pd.DataFrame(data), keys, meta)


def _group_order(codes: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Row order sorted by (group, time), keeping the frame's order among ties."""
    if len(t) > 1 and (np.diff(t) < 0).any():
        return np.lexsort((np.arange(len(t)), t, codes))
    top = int(codes.max()) if len(codes) else 0
    small = codes.astype(np.uint16 if top >= 2**8 else np.uint8) if top < 2**16 else codes
    return np.argsort(small, kind="stable")  # a radix sort for 8/16-bit codes


def _event_groups(events: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    codes, table = _group_codes([events], keys)
    return codes[0], table


# -- building segments from events ----------------------------------------------------------------
def windows(
    events: pd.DataFrame,
    every: Any = "1min",
    *,
    by: str | Sequence[str] | None = None,
    label: str = "window",
) -> pd.DataFrame:
    """Fixed windows covering the events, per group.

    Windows are ``[k * every, (k + 1) * every)`` counted from the Unix epoch
    (``"1min"`` windows start at whole minutes, ``"1D"`` at UTC midnight).
    Each group gets every window from the one holding its first event to the
    one holding its last, empty windows in between included.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    every : str or timedelta
        Window length.
    by : str or list of str, optional
        Group columns (for example ``"session"``); None: one set of windows
        for all events.
    label : str
        The ``label`` of every window.

    Returns
    -------
    pandas.DataFrame
        A segments frame.

    Examples
    --------
    >>> import distill
    >>> w = windows(distill.datasets.load_sample(), "1min")
    >>> len(w), str(w["start"].iloc[0]), str(w["end"].iloc[-1])
    (4, '2026-12-04 19:28:00+00:00', '2026-12-04 19:32:00+00:00')
    """
    keys = _by_list(by)
    require(events, ["time", *keys], what="windows")
    step = _ns(every, "every")
    t = _times(events, "time", "windows")
    g, table = _event_groups(events, keys)
    if not len(t):
        return _build(table, keys, g, t, t, label, {"every_seconds": step / 1e9})
    ng = int(g.max()) + 1
    lo = np.full(ng, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(ng, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(lo, g, t)
    np.maximum.at(hi, g, t)
    present = lo <= hi
    k0 = np.floor_divide(lo[present], step)
    k1 = np.floor_divide(hi[present], step)
    counts = k1 - k0 + 1
    total = int(counts.sum())
    if total > _MAX_WINDOWS:
        raise ValueError(f"every={every!r} would make {total:,} windows (more than {_MAX_WINDOWS:,}); use a longer one")
    group = np.repeat(np.flatnonzero(present), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    k = np.repeat(k0, counts) + offsets
    return _build(table, keys, group, k * step, (k + 1) * step, label, {"every_seconds": step / 1e9})


def _where_mask(events: pd.DataFrame, where: Any) -> np.ndarray:
    n = len(events)
    if hasattr(where, "mask") and callable(where.mask) and not isinstance(where, (pd.Series, pd.DataFrame)):
        m = where.mask(events)
    elif isinstance(where, str):
        require(events, ["type"], what="around")
        m = (events["type"] == where).to_numpy(dtype=bool, na_value=False)
    elif isinstance(where, (list, tuple, set, frozenset)) and all(isinstance(w, str) for w in where):
        require(events, ["type"], what="around")
        m = events["type"].isin(list(where)).to_numpy(dtype=bool)
    elif callable(where):
        m = where(events)
    else:
        m = where
    if isinstance(m, pd.Series):
        if not m.index.equals(events.index):
            raise ValueError("around: a boolean Series for 'where' must have the events' index")
        m = m.to_numpy(dtype=bool, na_value=False)
    arr = np.asarray(m)
    if arr.dtype != bool or arr.shape != (n,):
        raise TypeError(
            f"around: 'where' must give one boolean per event ({n}); got {type(where).__name__} "
            f"yielding dtype {arr.dtype} and shape {arr.shape}"
        )
    return arr


def around(
    events: pd.DataFrame,
    where: Any,
    before: Any = "5s",
    after: Any = "5s",
    *,
    by: str | Sequence[str] | None = "session",
    label: str = "around",
) -> pd.DataFrame:
    """A window ``[time - before, time + after)`` around each event that matches ``where``.

    Windows are not merged (use :func:`merge_overlaps`).

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    where : bool array, str, list of str, callable or Query
        Which events: a boolean mask (array or Series aligned with
        ``events``), an event type, a list of types, a function of the frame
        returning a mask, or anything with a ``.mask(events)`` method (a
        :class:`~distill.query.Query`).
    before, after : str or timedelta
        How far the window reaches before and after the event (zero allowed).
    by : str or list of str, optional
        Group columns copied onto each window (None: none).
    label : str
        The ``label`` of every window.

    Returns
    -------
    pandas.DataFrame
        A segments frame, one row per matching event.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> w = around(events, "submit", before="2s", after="1s")
    >>> len(w), (w["end"] - w["start"]).iloc[0]
    (14, Timedelta('0 days 00:00:03'))
    """
    keys = _by_list(by)
    require(events, ["time", *keys], what="around")
    b = _ns(before, "before", allow_zero=True)
    a = _ns(after, "after", allow_zero=True)
    m = _where_mask(events, where)
    t = _times(events, "time", "around")
    g, table = _event_groups(events, keys)
    meta = {"before_seconds": b / 1e9, "after_seconds": a / 1e9}
    return _build(table, keys, g[m], t[m] - b, t[m] + a, label, meta)


def idle(
    events: pd.DataFrame,
    gap: Any = "5min",
    *,
    by: str | Sequence[str] | None = "session",
    label: str = "idle",
) -> pd.DataFrame:
    """Dead space: the gaps longer than ``gap`` between consecutive events of a group.

    Each gap is a segment from the event before it to the event after it.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    gap : str or timedelta
        Shortest gap reported (strictly longer gaps only).
    by : str or list of str, optional
        Group columns (default ``"session"``); None: all events as one stream.
    label : str
        The ``label`` of every gap.

    Returns
    -------
    pandas.DataFrame
        A segments frame.

    Examples
    --------
    >>> import distill
    >>> events = distill.read("tests/data/deadspace_detection_sample_data.json")
    >>> gaps = idle(events, gap="30min")
    >>> (gaps["end"] - gaps["start"]).dt.total_seconds().tolist()
    [1999.9995, 4000.0007]
    """
    keys = _by_list(by)
    require(events, ["time", *keys], what="idle")
    limit = _ns(gap, "gap")
    t = _times(events, "time", "idle")
    g, table = _event_groups(events, keys)
    order = _group_order(g, t)
    gs, ts = g[order], t[order]
    if len(ts) < 2:
        return _build(table, keys, gs[:0], ts[:0], ts[:0], label, {"gap_seconds": limit / 1e9})
    same = gs[1:] == gs[:-1]
    long = same & (np.diff(ts) > limit)
    i = np.flatnonzero(long)
    return _build(table, keys, gs[i], ts[i], ts[i + 1], label, {"gap_seconds": limit / 1e9})


# -- set operations -------------------------------------------------------------------------------
class _Sweep:
    """All boundaries of some segment frames, swept once per group.

    ``covered[i][j]`` tells whether frame ``i`` covers the elementary span
    ``[times[j], times[j + 1])`` (valid where ``same_next[j]``).
    """

    def __init__(self, frames: Sequence[pd.DataFrame], keys: list[str], what: str):
        for f in frames:
            require(f, keys, what=what)
        self.spans = [_spans(f, what) for f in frames]
        self.codes, self.table = _group_codes(frames, keys)
        times = np.concatenate([np.concatenate([s, e]) for s, e in self.spans])
        grp = np.concatenate([np.concatenate([c, c]) for c in self.codes])
        delta = np.zeros((len(frames), len(times)), dtype=np.int64)
        at = 0
        for i, (s, _e) in enumerate(self.spans):
            n = len(s)
            delta[i, at : at + n] = 1
            delta[i, at + n : at + 2 * n] = -1
            at += 2 * n
        order = np.lexsort((times, grp))
        times, grp, delta = times[order], grp[order], delta[:, order]
        new = np.ones(len(times), dtype=bool)
        new[1:] = (times[1:] != times[:-1]) | (grp[1:] != grp[:-1])
        at_idx = np.flatnonzero(new)
        self.times, self.groups = times[at_idx], grp[at_idx]
        self.covered = [
            np.cumsum(np.add.reduceat(delta[i], at_idx)) > 0 if len(at_idx) else np.zeros(0, dtype=bool)
            for i in range(len(frames))
        ]
        self.same_next = np.zeros(len(at_idx), dtype=bool)
        self.same_next[:-1] = self.groups[1:] == self.groups[:-1]

    def runs(self, keep: Callable[..., np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(group, start, end) of the merged spans where ``keep(*covered)`` holds."""
        sel = keep(*self.covered) & self.same_next
        prev = np.zeros(len(sel), dtype=bool)
        prev[1:] = sel[:-1] & self.same_next[:-1]
        nxt = np.zeros(len(sel), dtype=bool)
        nxt[:-1] = sel[1:] & self.same_next[:-1]
        first = np.flatnonzero(sel & ~prev)
        last = np.flatnonzero(sel & ~nxt)
        return self.groups[first], self.times[first], self.times[last + 1]


def _locate(out_g: np.ndarray, out_s: np.ndarray, q_g: np.ndarray, q_t: np.ndarray) -> np.ndarray:
    """Index of the output span (sorted by group, start) with the same group and the last start <= q_t."""
    ko, kq = _rank_keys([out_g, q_g], [out_s, q_t])
    return np.searchsorted(ko, kq, side="right") - 1


def _labels_of(frames: Sequence[pd.DataFrame]) -> pd.Series:
    parts = [
        f["label"].astype(object).reset_index(drop=True)
        if "label" in f.columns
        else pd.Series([None] * len(f), dtype=object)
        for f in frames
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype=object)


def _joined_labels(
    out_g: np.ndarray,
    out_s: np.ndarray,
    codes: np.ndarray,
    spans: tuple[np.ndarray, np.ndarray],
    labels: pd.Series,
) -> np.ndarray:
    """For each output span: the distinct labels of the input spans inside it, sorted, joined by '|'."""
    result = np.full(len(out_g), None, dtype=object)
    s, e = spans
    ok = (e > s) & labels.notna().to_numpy()
    if not len(out_g) or not ok.any():
        return result
    where = _locate(out_g, out_s, codes[ok], s[ok])
    lab, names = pd.factorize(labels.to_numpy(dtype=object)[ok].astype(str), sort=True)
    if len(names) <= 62:  # label sets as bit masks; join once per distinct set
        mask = np.zeros(len(out_g), dtype=np.int64)
        np.bitwise_or.at(mask, where, np.left_shift(1, lab.astype(np.int64)))
        hit = mask > 0
        sets, inverse = np.unique(mask[hit], return_inverse=True)
        texts = ["|".join(str(n) for i, n in enumerate(names) if (int(m) >> i) & 1) for m in sets]
        result[hit] = np.asarray(texts, dtype=object)[inverse.reshape(-1)]
        return result
    pairs = pd.DataFrame({"out": where, "label": np.asarray(names, dtype=object)[lab]}).drop_duplicates()
    joined = pairs.sort_values(["out", "label"]).groupby("out", sort=True)["label"].agg("|".join)
    result[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    return result


def _setop(
    a: pd.DataFrame,
    b: pd.DataFrame | None,
    keep: Callable[..., np.ndarray],
    by: str | Sequence[str] | None,
    label: str | None,
    what: str,
) -> pd.DataFrame:
    keys = group_keys(a, by)
    if b is not None and by is None and group_keys(b) != keys:
        raise FrameError(f"{what}: the segments have different group keys: {keys} and {group_keys(b)}; pass by=...")
    frames = [a] if b is None else [a, b]
    sweep = _Sweep(frames, keys, what)
    g, s, e = sweep.runs(keep)
    if label is not None:
        return _build(sweep.table, keys, g, s, e, label)
    spans = sweep.spans
    if b is None or what == "union":
        both = (np.concatenate([sp[0] for sp in spans]), np.concatenate([sp[1] for sp in spans]))
        labels = _joined_labels(g, s, np.concatenate(sweep.codes), both, _labels_of(frames))
        return _build(sweep.table, keys, g, s, e, labels)
    # intersect, difference: each piece lies in one merged run of ``a``; it takes that run's labels
    rg, rs, _re = sweep.runs(lambda x, y: x)
    run_labels = _joined_labels(rg, rs, sweep.codes[0], spans[0], _labels_of([a]))
    labels = run_labels[_locate(rg, rs, g, s)] if len(g) else np.zeros(0, dtype=object)
    return _build(sweep.table, keys, g, s, e, labels)


def merge_overlaps(
    segments: pd.DataFrame, *, by: str | Sequence[str] | None = None, label: str | None = None
) -> pd.DataFrame:
    """Merge overlapping and touching segments of each group.

    Parameters
    ----------
    segments : pandas.DataFrame
        A segments frame.
    by : str or list of str, optional
        Group keys (default: :func:`group_keys`).
    label : str, optional
        Label of every result; None: the distinct labels merged into each
        result, sorted and joined with ``"|"``.

    Returns
    -------
    pandas.DataFrame
        Disjoint, non-touching segments sorted by group and start; empty
        segments vanish.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> w = around(events, "click", before="1s", after="1s")
    >>> len(w), len(merge_overlaps(w))
    (310, 101)
    """
    return _setop(segments, None, lambda x: x, by, label, "merge_overlaps")


def union(
    a: pd.DataFrame, b: pd.DataFrame, *, by: str | Sequence[str] | None = None, label: str | None = None
) -> pd.DataFrame:
    """Time covered by ``a`` or ``b``, per group, as disjoint segments.

    Labels (``label=None``): the distinct labels merged into each result,
    joined with ``"|"``.

    Parameters
    ----------
    a, b : pandas.DataFrame
        Segments frames with the same group keys (or at least the keys
        ``by`` names). Overlapping segments within each are allowed.
    by : str or list of str, optional
        Group keys; default: the group keys of ``a`` (:func:`group_keys`),
        which must equal those of ``b``.
    label : str, optional
        Label of every result; None: the distinct labels of the segments
        merged into each result, sorted and joined with ``"|"``.


    Returns
    -------
    pandas.DataFrame
        A segments frame (kind ``segments``): disjoint, non-touching
        segments sorted by group and start; empty segments vanish.

    Raises
    ------
    FrameError
        If ``a`` and ``b`` have different group keys and ``by`` is not given,
        or a key is missing.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> u = union(around(events, "submit"), around(events, "change"))
    >>> sorted(u["label"].cat.categories)
    ['around']
    >>> submits = around(events, "submit", before="10s", after="2s", label="submit")
    >>> changes = around(events, "change", before="3s", after="1s", label="change")
    >>> forms = union(submits, changes)
    >>> forms["label"].astype(str).value_counts().to_dict()
    {'change': 26, 'change|submit': 13}
    >>> def seconds(s):
    ...     return (s["end"] - s["start"]).sum().total_seconds()
    >>> both = intersect(submits, changes)
    >>> covered = seconds(merge_overlaps(submits)) + seconds(merge_overlaps(changes)) - seconds(both)
    >>> round(seconds(forms), 3) == round(covered, 3)
    True
    """
    return _setop(a, b, lambda x, y: x | y, by, label, "union")


def intersect(
    a: pd.DataFrame, b: pd.DataFrame, *, by: str | Sequence[str] | None = None, label: str | None = None
) -> pd.DataFrame:
    """Time covered by both ``a`` and ``b``, per group; the pieces keep ``a``'s labels.

    Parameters
    ----------
    a, b : pandas.DataFrame
        Segments frames with the same group keys (or at least the keys
        ``by`` names). Overlapping segments within each are allowed.
    by : str or list of str, optional
        Group keys; default: the group keys of ``a`` (:func:`group_keys`),
        which must equal those of ``b``.
    label : str, optional
        Label of every result; None: each piece takes the labels of the
        segments of ``a`` it lies in (joined with ``"|"`` where ``a``'s
        segments overlap).


    Returns
    -------
    pandas.DataFrame
        A segments frame (kind ``segments``): disjoint, non-touching
        segments sorted by group and start; empty pieces vanish.

    Raises
    ------
    FrameError
        If ``a`` and ``b`` have different group keys and ``by`` is not given,
        or a key is missing.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> w = windows(events, "10s", by="session")
    >>> both = intersect(w, around(events, "submit", by="session"))
    >>> set(both["label"].astype(str))
    {'window'}
    >>> import pandas as pd
    >>> bool((both["end"] - both["start"]).max() <= pd.Timedelta("10s"))
    True
    """
    return _setop(a, b, lambda x, y: x & y, by, label, "intersect")


def difference(
    a: pd.DataFrame, b: pd.DataFrame, *, by: str | Sequence[str] | None = None, label: str | None = None
) -> pd.DataFrame:
    """Time covered by ``a`` but not by ``b``, per group; the pieces keep ``a``'s labels.

    Parameters
    ----------
    a, b : pandas.DataFrame
        Segments frames with the same group keys (or at least the keys
        ``by`` names). Overlapping segments within each are allowed.
    by : str or list of str, optional
        Group keys; default: the group keys of ``a`` (:func:`group_keys`),
        which must equal those of ``b``.
    label : str, optional
        Label of every result; None: each piece takes the labels of the
        segments of ``a`` it lies in (joined with ``"|"`` where ``a``'s
        segments overlap).


    Returns
    -------
    pandas.DataFrame
        A segments frame (kind ``segments``): disjoint, non-touching
        segments sorted by group and start; empty pieces vanish.

    Raises
    ------
    FrameError
        If ``a`` and ``b`` have different group keys and ``by`` is not given,
        or a key is missing.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> w = windows(events, "1min", by="session")
    >>> gaps = idle(events, gap="5s")
    >>> active = difference(w, gaps)
    >>> def seconds(s):
    ...     return (s["end"] - s["start"]).sum().total_seconds()
    >>> seconds(active) < seconds(w)
    True
    >>> round(seconds(active) + seconds(intersect(w, gaps)), 3) == round(seconds(w), 3)
    True
    """
    return _setop(a, b, lambda x, y: x & ~y, by, label, "difference")


# -- from segments back to events -----------------------------------------------------------------
def _pairs(
    events: pd.DataFrame, segments: pd.DataFrame, by: str | Sequence[str] | None, closed: str, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """(event row, segment position) for every event inside a segment of its group, sorted by event then segment."""
    if closed not in _CLOSED:
        raise ValueError(f"{what}: closed={closed!r}; choose from {', '.join(_CLOSED)}")
    keys = group_keys(segments, by)
    require(events, ["time", *keys], what=what)
    s, e = _spans(segments, what)
    t = _times(events, "time", what)
    (ge, gs), _ = _group_codes([events, segments], keys)
    ke, ks, kend = _rank_keys([ge, gs, gs], [t, s, e])
    order = _group_order(ge, t)  # (group, time) order, the order of ``ke``
    sk = ke[order]
    lo = np.searchsorted(sk, ks, side="left" if closed in ("left", "both") else "right")
    hi = np.searchsorted(sk, kend, side="right" if closed in ("right", "both") else "left")
    counts = np.clip(hi - lo, 0, None)
    total = int(counts.sum())
    seg = np.repeat(np.arange(len(s)), counts)
    pos = np.repeat(lo, counts) + (np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts))
    rows = order[pos]
    final = np.argsort(rows, kind="stable")  # pairs come in segment order: stable keeps it per event
    return rows[final], seg[final]


def _new_columns(events: pd.DataFrame, names: Sequence[str], what: str) -> None:
    clash = [c for c in names if c in events.columns]
    if clash:
        raise FrameError(f"{what}: the events already have column(s) {', '.join(clash)}; drop or rename them first")


def events_in(
    events: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    closed: str = "left",
) -> pd.DataFrame:
    """The events inside segments of their group, each with its segment.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame holding the segments' group keys.
    segments : pandas.DataFrame
        A segments frame.
    by : str or list of str, optional
        Group keys (default: :func:`group_keys` of ``segments``).
    closed : {"left", "right", "both", "neither"}
        Which ends belong to a segment; ``"left"`` (``start <= time < end``)
        puts each event in exactly one of a set of adjacent windows.

    Returns
    -------
    pandas.DataFrame
        One row per (event, segment) pair, in event order then segment order
        (an event inside two overlapping segments appears twice): the event's
        columns plus ``segment`` (the segment's index label) and
        ``segment_label``.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> inside = events_in(events, around(events, "submit", before="1s", after="0s"))
    >>> len(inside), inside["segment"].nunique()
    (395, 14)
    """
    _new_columns(events, ["segment", "segment_label"], "events_in")
    rows, seg = _pairs(events, segments, by, closed, "events_in")
    out = events.iloc[rows].reset_index(drop=True)
    out["segment"] = segments.index.to_numpy()[seg]
    if "label" in segments.columns:
        lab = segments["label"]
        if not isinstance(lab.dtype, pd.CategoricalDtype):
            lab = lab.astype("category")
        out["segment_label"] = pd.Categorical.from_codes(lab.cat.codes.to_numpy()[seg], dtype=lab.dtype)
    out.attrs = dict(events.attrs)
    return out


def label_events(
    events: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    closed: str = "left",
) -> pd.DataFrame:
    """Every event, with the segment it falls in (the latest-starting one where segments overlap).

    Parameters
    ----------
    events, segments, by, closed
        As for :func:`events_in`.

    Returns
    -------
    pandas.DataFrame
        A copy of ``events`` with ``segment`` (the segment's index label, or
        missing outside every segment) and ``segment_label`` (categorical).

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> labelled = label_events(events, windows(events, "1min"))
    >>> labelled["segment"].value_counts().sort_index().tolist()
    [760, 1602, 1530, 971]
    """
    _new_columns(events, ["segment", "segment_label"], "label_events")
    rows, seg = _pairs(events, segments, by, closed, "label_events")
    out = events.copy(deep=False)
    pick = np.full(len(events), -1, dtype=np.int64)
    if len(rows):
        s, _ = _spans(segments, "label_events")
        order = np.lexsort((seg, s[seg], rows))
        r, sg = rows[order], seg[order]
        last = np.r_[r[1:] != r[:-1], True]
        pick[r[last]] = sg[last]
    inside = pick >= 0
    ids = segments.index.to_numpy()
    if pd.api.types.is_integer_dtype(segments.index.dtype):
        col = pd.array(np.where(inside, ids[np.clip(pick, 0, None)] if len(ids) else 0, 0), dtype="Int64")
        col[~inside] = pd.NA
        out["segment"] = col
    else:
        values = np.full(len(events), None, dtype=object)
        values[inside] = ids[pick[inside]]
        out["segment"] = values
    if "label" in segments.columns:
        lab = segments["label"]
        if not isinstance(lab.dtype, pd.CategoricalDtype):
            lab = lab.astype("category")
        codes = np.append(lab.cat.codes.to_numpy(), -1)[pick]  # pick == -1: outside, missing
        out["segment_label"] = pd.Categorical.from_codes(codes, dtype=lab.dtype)
    return out
