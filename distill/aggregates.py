"""Counts, distinct values and time ranges -- on an event frame, or pushed down to a server.

Each function takes either an event frame or a source that can compute the
answer itself (an :class:`~distill.sources.elasticsearch.ElasticsearchSource`):
then the server does the counting with aggregations (``composite`` terms with
paging, ``date_histogram``, ``min``/``max``) and no event is downloaded,
except the few the server cannot judge exactly, which are read and counted here. Both ways
give equal results, so code written against a frame runs unchanged against
an index of a billion events.

Group keys are roles of the event frame (``user``, ``session``, ``type``,
``target``, ``page_url``, ``log_type``, ``x``, ...), ``source``, and ``page``:
the page address without query string and fragment
(:func:`distill.frame.page_key`). Missing values form their own group (NA),
so the counts always add up to the number of events.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> by_type = count_by(events, "type")
>>> int(by_type["count"].sum()) == len(events)
True
>>> count_by(events, ["user"], query=distill.Q.type == "submit").head(2)
    user  count
0  alice      1
1    bob      2
>>> distinct(events, "page")
['http://127.0.0.1:8765/catalog.html', 'http://127.0.0.1:8765/checkout.html', 'http://127.0.0.1:8765/index.html']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from distill.frame import page_key, require, string_dtype
from distill.query import Query, apply

__all__ = ["TimeRange", "count", "count_by", "distinct", "time_range"]

_TEXT, _INT, _BOOL, _TIME = "text", "int", "bool", "time"
_NOT_GROUPABLE = ("time", "end_time", "path", "details", "event_id")


def _is_frame(data: Any) -> bool:
    return isinstance(data, pd.DataFrame)


def _as_by(by: str | Iterable[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    out = tuple(by)
    for k in out:
        if not isinstance(k, str):
            raise TypeError(f"group keys are role names, got {k!r}")
    if len(set(out)) != len(out):
        raise ValueError(f"group keys repeat: {list(out)}")
    return out


def _every_ns(every: Any) -> int | None:
    """``every`` as whole nanoseconds (a whole number of milliseconds), or None."""
    if every is None:
        return None
    try:
        step = pd.Timedelta(every)
    except (TypeError, ValueError) as err:
        raise ValueError(f"every must be a duration such as '1min', '1h' or '1D', not {every!r} ({err})") from None
    ns = int(step.value)
    if ns <= 0 or ns % 1_000_000:
        raise ValueError(f"every must be a positive whole number of milliseconds, not {every!r}")
    return ns


def _role_for(key: str) -> str:
    return "page_url" if key == "page" else key


def _check_groupable(name: str, role: Any, schema: Any) -> None:
    if role is None:
        raise ValueError(f"cannot count by {name!r}: it is not a role of schema {schema.name!r}")
    if name in _NOT_GROUPABLE or role.kind in ("time", "json", "string_list"):
        hint = " (use every= for time buckets)" if role.kind == "time" else ""
        raise ValueError(f"cannot count by {name!r} ({role.kind}){hint}")


def _kind_of_column(series: pd.Series) -> str:
    dt = series.dtype
    if pd.api.types.is_bool_dtype(dt):
        return _BOOL
    if pd.api.types.is_integer_dtype(dt):
        return _INT
    if isinstance(dt, pd.DatetimeTZDtype):
        return _TIME
    return _TEXT


def _kind_of_role(kind: str) -> str:
    if kind in ("int32", "int64"):
        return _INT
    if kind == "bool":
        return _BOOL
    return _TEXT


def _typed(values: Sequence[Any], kind: str) -> Any:
    if kind == _INT:
        return pd.array([None if v is None else int(v) for v in values], dtype="Int64")
    if kind == _BOOL:
        return pd.array([None if v is None else v in (True, 1, "true") for v in values], dtype="boolean")
    if kind == _TIME:
        ns = np.array([np.iinfo(np.int64).min if v is None else int(v) for v in values], dtype=np.int64)
        return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC").array
    return pd.array([None if v is None else str(v) for v in values], dtype=string_dtype())


def _finish(table: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Sum counts per key, sort by the keys (missing last), type the columns."""
    if not cols:
        out = pd.DataFrame({"count": np.array([int(table["count"].sum())], dtype=np.int64)})
    elif len(table) == 0:
        out = table[[*cols, "count"]].reset_index(drop=True)
    else:
        dtypes = {c: table[c].dtype for c in cols}
        out = table.groupby(cols, dropna=False, sort=False, observed=True)["count"].sum().reset_index()
        out = out.sort_values(cols, na_position="last", kind="stable").reset_index(drop=True)
        for c in cols:
            if out[c].dtype != dtypes[c]:
                out[c] = out[c].astype(dtypes[c])
    out["count"] = out["count"].astype(np.int64)
    out.attrs["distill_kind"] = "counts"
    return out


def _typed_keys(
    table: Mapping[str, Sequence[Any]], keys: Sequence[str], has_time: bool, schema: Any, counts: np.ndarray
) -> pd.DataFrame:
    """A counts table from raw key values (as a server gives them)."""
    data: dict[str, Any] = {}
    for k in keys:
        kind = _TEXT if k in ("source", "page") else _kind_of_role(schema.roles[_role_for(k)].kind)
        values = list(table[k])
        if k == "page":
            values = [None if v is None else _strip_page(str(v)) for v in values]
        data[k] = _typed(values, kind)
    cols = list(keys)
    if has_time:
        data["time"] = _typed(list(table["time"]), _TIME)
        cols.append("time")
    data["count"] = np.asarray(counts, dtype=np.int64)
    return _finish(pd.DataFrame(data), cols)


def _strip_page(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0]


def _combine(tables: Sequence[pd.DataFrame], keys: Sequence[str], has_time: bool) -> pd.DataFrame:
    cols = [*keys, *(["time"] if has_time else [])]
    parts = [t for t in tables if len(t)]
    if not parts:
        return tables[0]
    return _finish(pd.concat(parts, ignore_index=True), cols)


def _local_keys(events: pd.DataFrame, key: str) -> tuple[Any, str]:
    """The key column to group on (text stays categorical: grouped by codes) and its kind."""
    if key == "page":
        return page_key(events), _TEXT
    col = events[key]
    kind = _kind_of_column(col)
    if kind == _TEXT:
        return (col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")), _TEXT
    if kind == _INT:
        return col.astype("Int64"), _INT
    if kind == _BOOL:
        return col.astype("boolean"), _BOOL
    raise ValueError(f"cannot count by {key!r} ({col.dtype}); use every= for time buckets")


def count_by(
    data: Any,
    by: str | Iterable[str] | None = "type",
    *,
    every: Any = None,
    query: Query | Mapping[str, Any] | str | None = None,
    schema: Any = None,
) -> pd.DataFrame:
    """Count events by roles and, optionally, by time bucket.

    Parameters
    ----------
    data : DataFrame or source
        An event frame, or a source that computes counts itself (an
        :class:`~distill.sources.elasticsearch.ElasticsearchSource`: the
        server counts).
    by : str or list of str
        Group keys: roles (``user``, ``session``, ``type``, ``target``,
        ``page_url``, ``log_type``, ``x``, ...), ``source`` or ``page``
        (the address without query string). None or ``[]``: no key.
    every : str or Timedelta, optional
        Also group by time buckets of this length (``"1min"``, ``"1h"``),
        aligned on the Unix epoch (UTC); the bucket start is the ``time`` column.
    query : Query, dict or JSON text, optional
        Count only the events that match.
    schema : str, Schema or mapping, optional
        For sources: which schema maps documents to roles (default: the source's).

    Returns
    -------
    pandas.DataFrame
        One row per key combination present: the keys (text as strings,
        numbers as Int64, flags as boolean, ``time`` as UTC timestamps; missing
        values as NA, sorted last) and ``count`` (int64), sorted by the keys.

    Raises
    ------
    ValueError
        A key that is not a groupable role, or an ``every`` that is not a
        positive whole number of milliseconds.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> per_minute = count_by(events, "log_type", every="1min")
    >>> list(per_minute.columns)
    ['log_type', 'time', 'count']
    >>> int(per_minute["count"].sum())
    4863
    """
    keys = _as_by(by)
    every_ns = _every_ns(every)
    if not _is_frame(data):
        if hasattr(data, "count_by"):
            return data.count_by(keys, every=every, query=query, schema=schema)  # type: ignore[no-any-return]
        raise TypeError(f"count_by needs an event frame or a source, not {type(data).__name__}")
    needed = [_role_for(k) for k in keys] + (["time"] if every_ns else [])
    require(data, needed, what="count_by")
    for k in keys:
        if k in _NOT_GROUPABLE:
            raise ValueError(f"cannot count by {k!r}" + (" (use every= for time buckets)" if k == "time" else ""))
    events = apply(data, query) if query is not None else data
    cols: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for k in keys:
        cols[k], kinds[k] = _local_keys(events, k)
    names = list(keys)
    if every_ns is not None:
        t = events["time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        cols["time"] = pd.DatetimeIndex((t - np.mod(t, every_ns)).view("datetime64[ns]")).tz_localize("UTC").array
        names.append("time")
    if not names:
        return _finish(pd.DataFrame({"count": np.ones(len(events), dtype=np.int64)}), [])
    frame = pd.DataFrame({k: np.asarray(v) if isinstance(v, np.ndarray) else v for k, v in cols.items()})
    frame.index = pd.RangeIndex(len(events))
    sizes = frame.groupby(names, dropna=False, observed=True, sort=False).size()
    table = sizes.rename("count").reset_index()
    for k in keys:  # only the distinct key combinations are turned into typed values
        if kinds[k] == _TEXT:
            table[k] = _typed([None if pd.isna(v) else v for v in table[k].astype(object)], _TEXT)
    return _finish(table, names)


def _distinct_from_counts(table: pd.DataFrame, field: str) -> list[Any]:
    return list(table[field].dropna().tolist())


def distinct(
    data: Any, field: str, *, query: Query | Mapping[str, Any] | str | None = None, schema: Any = None
) -> list[Any]:
    """The distinct values of a role, sorted (missing values left out).

    Parameters
    ----------
    data : DataFrame or source
        An event frame or a source (the server finds the values).
    field : str
        A groupable role (as for :func:`count_by`), or ``page``.
    query : Query, dict or JSON text, optional
        Only among events that match.
    schema : str, Schema or mapping, optional
        For sources.

    Returns
    -------
    list
        Plain Python values (str, int or bool).

    Examples
    --------
    >>> import distill
    >>> distinct(distill.datasets.load_sample(), "log_type")
    ['custom', 'interval', 'raw']
    """
    if not _is_frame(data) and hasattr(data, "distinct"):
        return data.distinct(field, query=query, schema=schema)  # type: ignore[no-any-return]
    return _distinct_from_counts(count_by(data, field, query=query), field)


def count(data: Any, *, query: Query | Mapping[str, Any] | str | None = None, schema: Any = None) -> int:
    """Number of events (that match ``query``).

    Parameters
    ----------
    data : DataFrame or source
        An event frame, or a source that counts itself (an
        :class:`~distill.sources.elasticsearch.ElasticsearchSource`: the
        server counts, no event is downloaded).
    query : Query, dict or JSON text, optional
        Count only the events that match (see :func:`distill.query.apply`);
        None counts every event.
    schema : str, Schema or mapping, optional
        For sources: which schema maps documents to roles (default: the
        source's). Ignored for frames.

    Returns
    -------
    int
        The number of events (matching ``query``).

    Raises
    ------
    TypeError
        If ``data`` is neither a DataFrame nor a source with a ``count`` method.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> count(events, query=distill.Q.type == "click")
    310
    >>> count(events) == len(events)
    True
    """
    if not _is_frame(data):
        if hasattr(data, "count"):
            return int(data.count(query, schema=schema))
        raise TypeError(f"count needs an event frame or a source, not {type(data).__name__}")
    return len(apply(data, query)) if query is not None else len(data)


@dataclass(frozen=True)
class TimeRange:
    """When the first and the last event happened, and how many events there are.

    Parameters
    ----------
    start, end : pandas.Timestamp or None
        First and last ``time`` (UTC); None when there is no event.
    events : int
        Number of events.

    Examples
    --------
    >>> import distill
    >>> tr = time_range(distill.datasets.load_sample())
    >>> tr.to_dict()
    {'start': '2026-12-04T19:28:31.065Z', 'end': '2026-12-04T19:31:48.452Z', 'events': 4863}
    """

    start: pd.Timestamp | None
    end: pd.Timestamp | None
    events: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (ISO-8601 times)."""
        from distill.export import _iso

        return {
            "start": _iso(self.start) if self.start is not None else None,
            "end": _iso(self.end) if self.end is not None else None,
            "events": int(self.events),
        }

    def __distill_export__(self) -> dict[str, Any]:
        return {"kind": "time_range", "data": self.to_dict(), "meta": {}}


def _combine_ranges(parts: Iterable[TimeRange]) -> TimeRange:
    starts = [p.start for p in parts if p.start is not None]
    ends = [p.end for p in parts if p.end is not None]
    return TimeRange(min(starts) if starts else None, max(ends) if ends else None, sum(p.events for p in parts))


def time_range(data: Any, *, query: Query | Mapping[str, Any] | str | None = None, schema: Any = None) -> TimeRange:
    """First and last event time (the ``time`` column) and the number of events.

    Parameters
    ----------
    data : DataFrame or source
        An event frame or a source (the server finds the range).
    query : Query, dict or JSON text, optional
        Only events that match.
    schema : str, Schema or mapping, optional
        For sources.

    Returns
    -------
    TimeRange

    Examples
    --------
    >>> import distill
    >>> time_range(distill.datasets.load_sample(), query=distill.Q.user == "bob").events
    520
    """
    if not _is_frame(data):
        if hasattr(data, "time_range"):
            return data.time_range(query=query, schema=schema)  # type: ignore[no-any-return]
        raise TypeError(f"time_range needs an event frame or a source, not {type(data).__name__}")
    require(data, ["time"], what="time_range")
    events = apply(data, query) if query is not None else data
    if not len(events):
        return TimeRange(None, None, 0)
    t = events["time"]
    return TimeRange(t.min(), t.max(), len(events))
