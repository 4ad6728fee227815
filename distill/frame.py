"""The canonical event frame: its columns, their dtypes, and validation.

Every source (files, Elasticsearch, a user's own DataFrame through a schema)
produces the same pandas DataFrame: one row per event, sorted by
``(time, event_id)``, with the columns below. Every analysis function takes
this frame and never mutates it.

=================  ==========================  ==========================================
column             dtype                       meaning
=================  ==========================  ==========================================
event_id           string                      unique id: ``source:line`` or the source id
time               datetime64[ns, UTC]         when the event happened (start for intervals)
end_time           datetime64[ns, UTC]         end of an interval log, else NaT
user               category                    who (``userId``); may be missing
session            category                    logged session id
type               category                    event type (click, input, load, ...)
log_type           category                    raw / interval / custom
target             category                    CSS-like selector of the element
path               object (tuple of str)       DOM ancestors, target first; shared tuples
page_url           category                    page address
page_title         category                    page title
x, y               Int32                       pointer position, if logged
details            string (JSON text)          the event's ``details`` object as JSON
source             category                    which file or index the event came from
=================  ==========================  ==========================================

Schemas may add further roles (``user_action``, ``browser_session``, ...);
they are extra columns after these.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> list(events.columns[:4])
['event_id', 'time', 'end_time', 'user']
>>> validate(events) is events
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from distill.errors import FrameError

__all__ = [
    "COLUMNS",
    "CORE_COLUMNS",
    "EXTRA_ROLES",
    "ROLE_KINDS",
    "empty",
    "categories",
    "is_event_frame",
    "page_key",
    "require",
    "dtype_for",
    "problems",
    "sort_events",
    "sort_order",
    "string_dtype",
    "validate",
]

#: The dtype family of every known role; schema roles not listed are custom
#: roles whose kind the schema states.
ROLE_KINDS: dict[str, str] = {
    "event_id": "string",
    "time": "time",
    "end_time": "time",
    "user": "category",
    "session": "category",
    "type": "category",
    "log_type": "category",
    "target": "category",
    "path": "string_list",
    "page_url": "category",
    "page_title": "category",
    "x": "int32",
    "y": "int32",
    "details": "json",
    "source": "category",
    # optional standard roles, present when a schema maps them
    "user_action": "bool",
    "page_referrer": "category",
    "browser_session": "category",
    "http_session": "category",
    "tab": "category",
    "tool": "category",
    "tool_version": "category",
    "logger_version": "category",
    "browser": "category",
    "browser_version": "category",
    "user_agent": "category",
    "screen_width": "int32",
    "screen_height": "int32",
    "extra": "json",
}

#: Columns every event frame has, in this order.
CORE_COLUMNS: tuple[str, ...] = (
    "event_id",
    "time",
    "end_time",
    "user",
    "session",
    "type",
    "log_type",
    "target",
    "path",
    "page_url",
    "page_title",
    "x",
    "y",
    "details",
    "source",
)
#: Alias of :data:`CORE_COLUMNS` (the same tuple), kept for code written against its first name.
COLUMNS = CORE_COLUMNS
#: Standard roles a schema may add after the core columns.
EXTRA_ROLES: tuple[str, ...] = tuple(r for r in ROLE_KINDS if r not in CORE_COLUMNS)

_TIME_DTYPE = pd.DatetimeTZDtype("ns", "UTC")


def string_dtype() -> Any:
    """The dtype used for free-text columns (event_id, details): Arrow-backed strings.

    Returns
    -------
    pandas.StringDtype
        ``pd.StringDtype("pyarrow")``, the dtype of the ``event_id`` and ``details``
        columns (roles of kind ``string`` and ``json``, see :func:`dtype_for`).

    Examples
    --------
    >>> str(string_dtype()) in {"string", "str"}
    True
    >>> import distill
    >>> distill.datasets.load_sample()["event_id"].dtype == string_dtype()
    True
    """
    return pd.StringDtype("pyarrow")


_TEXT_INDEX_DTYPE = pd.Index(["a"]).dtype  # str on pandas 3, object on pandas 2


def categories(values: Any) -> pd.Index:
    """An Index of category labels in pandas' default text dtype (also when empty).

    Use it for the categories of a categorical column, so that empty and
    non-empty columns (and frames built by different functions) have the same
    category dtype and concatenate without turning into objects.

    Parameters
    ----------
    values : array-like of str
        The labels, in the order they should have (sort them first for the
        canonical sorted categories). Not deduplicated.

    Returns
    -------
    pandas.Index
        The labels in pandas' default text dtype (``str`` on pandas 3,
        ``object`` on pandas 2), whatever the input's dtype and length.

    Examples
    --------
    >>> categories([]).dtype == categories(["a"]).dtype
    True
    >>> list(categories(["click", "focus"]))
    ['click', 'focus']
    """
    return pd.Index(np.asarray(values, dtype=object), dtype=_TEXT_INDEX_DTYPE)


def dtype_for(kind: str) -> Any:
    """The pandas dtype of a role kind.

    Parameters
    ----------
    kind : str
        One of ``time``, ``category``, ``string``, ``json``, ``string_list``,
        ``int32``, ``int64``, ``float``, ``bool``.

    Returns
    -------
    dtype
        A pandas/numpy dtype.

    Examples
    --------
    >>> dtype_for("int32")
    Int32Dtype()
    """
    if kind == "time":
        return _TIME_DTYPE
    if kind == "category":
        return "category"
    if kind in ("string", "json"):
        return string_dtype()
    if kind == "string_list":
        return np.dtype(object)
    if kind == "int32":
        return pd.Int32Dtype()
    if kind == "int64":
        return pd.Int64Dtype()
    if kind == "float":
        return pd.Float64Dtype()
    if kind == "bool":
        return pd.BooleanDtype()
    raise FrameError(f"unknown column kind {kind!r}")


def empty(extra_roles: Mapping[str, str] | None = None) -> pd.DataFrame:
    """An event frame with no rows and every core column in its dtype.

    Parameters
    ----------
    extra_roles : mapping of str to str, optional
        Further columns to add, role name to kind.

    Returns
    -------
    pandas.DataFrame
        Zero rows, canonical columns.

    Examples
    --------
    >>> frame = empty()
    >>> len(frame), str(frame["time"].dtype)
    (0, 'datetime64[ns, UTC]')
    """
    roles = {c: ROLE_KINDS[c] for c in CORE_COLUMNS}
    roles.update(extra_roles or {})
    data = {}
    for name, kind in roles.items():
        dt = dtype_for(kind)
        if kind == "category":
            data[name] = pd.Categorical([], categories=categories([]))
        elif kind in ("string", "json"):
            data[name] = pd.array([], dtype=dt)
        else:
            data[name] = pd.Series([], dtype=dt)
    return pd.DataFrame(data)


def _dtype_ok(series: pd.Series, kind: str) -> bool:
    dt = series.dtype
    if kind == "time":
        return isinstance(dt, pd.DatetimeTZDtype) and str(dt.tz) == "UTC"
    if kind == "category":
        return isinstance(dt, pd.CategoricalDtype)
    if kind in ("string", "json"):
        return pd.api.types.is_string_dtype(dt) or dt is np.dtype(object)
    if kind == "string_list":
        return dt is np.dtype(object)
    if kind in ("int32", "int64"):
        return pd.api.types.is_integer_dtype(dt)
    if kind == "float":
        return pd.api.types.is_float_dtype(dt) or pd.api.types.is_integer_dtype(dt)
    if kind == "bool":
        return pd.api.types.is_bool_dtype(dt)
    return True


def problems(df: Any) -> list[str]:
    """What keeps ``df`` from being an event frame, as sentences (empty if none).

    Parameters
    ----------
    df : object
        Anything; normally a DataFrame.

    Returns
    -------
    list of str
        One sentence per problem.

    Examples
    --------
    >>> import pandas as pd
    >>> problems(pd.DataFrame({"a": [1]}))[0][:16]
    'missing columns:'
    """
    if not isinstance(df, pd.DataFrame):
        return [f"expected a pandas DataFrame, got {type(df).__name__}"]
    out = []
    missing = [c for c in CORE_COLUMNS if c not in df.columns]
    if missing:
        out.append(f"missing columns: {', '.join(missing)}")
    for col in CORE_COLUMNS:
        if col in df.columns and not _dtype_ok(df[col], ROLE_KINDS[col]):
            out.append(f"column {col!r} has dtype {df[col].dtype}, expected {ROLE_KINDS[col]}")
    if not missing and "time" in df.columns and len(df) > 1 and not out:
        t = df["time"].to_numpy(dtype="datetime64[ns]").view("int64")
        if (np.diff(t) < 0).any():
            out.append("rows are not sorted by time (use distill.sort_events(df))")
    return out


def is_event_frame(df: Any) -> bool:
    """Whether ``df`` is a valid event frame.

    The same checks as :func:`validate` (columns, dtypes, time order), as a
    boolean instead of an exception; :func:`problems` says what is wrong.

    Parameters
    ----------
    df : object
        Anything; normally a DataFrame.

    Returns
    -------
    bool
        True when :func:`problems` finds nothing.

    Examples
    --------
    >>> import pandas as pd
    >>> is_event_frame(pd.DataFrame())
    False
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> is_event_frame(events)
    True
    >>> is_event_frame(events.iloc[::-1])  # not sorted by time
    False
    """
    return not problems(df)


def validate(df: Any) -> pd.DataFrame:
    """Return ``df`` unchanged if it is an event frame, else raise :class:`~distill.errors.FrameError`.

    Checks columns, dtypes and time order (cheap, O(n) at most once).

    Parameters
    ----------
    df : pandas.DataFrame
        The frame to check.

    Returns
    -------
    pandas.DataFrame
        ``df`` itself.

    Raises
    ------
    FrameError
        Naming every missing or mistyped column.

    Examples
    --------
    >>> import pandas as pd
    >>> try:
    ...     validate(pd.DataFrame({"time": []}))
    ... except FrameError as err:
    ...     print(str(err)[:40])
    not a Distill event frame: missing colum
    """
    found = problems(df)
    if found:
        raise FrameError(
            "not a Distill event frame: "
            + "; ".join(found)
            + ". Build one with distill.read(...) or distill.from_frame(df, schema=...)."
        )
    return df


def sort_order(time_ns: np.ndarray, event_id: Any) -> np.ndarray:
    """Row order that sorts by ``(time, event_id)``.

    Times are sorted with a stable integer sort; only rows whose times tie are
    ordered by their ids, so the cost stays close to an integer sort. Ties are
    common in UserALE data (interval logs start at a raw log's time; focus and
    blur are logged twice): a third of a large file's rows can tie. Ids held
    by Arrow (pandas' ``string[pyarrow]``) are sorted by Arrow, in UTF-8 byte
    order, which is Python's string order, without making Python strings.

    Parameters
    ----------
    time_ns : numpy.ndarray of int64
        Nanoseconds since the epoch (NaT as the minimum int64 sorts first).
    event_id : pandas.Series or sequence of str
        The ids, same length.

    Returns
    -------
    numpy.ndarray of intp
        Positions in sorted order.

    Examples
    --------
    >>> import numpy as np
    >>> sort_order(np.array([2, 1, 1]), ["c", "b", "a"]).tolist()
    [2, 1, 0]
    >>> sort_order(np.array([2, 1, 1]), pd.Series(["c", "b", "a"], dtype="string[pyarrow]")).tolist()
    [2, 1, 0]
    """
    order = np.argsort(time_ns, kind="stable")
    st = time_ns[order]
    tie = np.zeros(len(st), dtype=bool)
    if len(st) > 1:
        same = st[1:] == st[:-1]
        tie[1:] |= same
        tie[:-1] |= same
    if tie.any():
        idx = np.flatnonzero(tie)
        rows = order[idx]
        # tied rows sit in contiguous runs of equal time; reorder them within
        # their slots by (time, id) so runs stay where they are
        order[idx] = rows[_order_ties(st[idx], rows, event_id)]
    return order


def _order_ties(times: np.ndarray, rows: np.ndarray, event_id: Any) -> np.ndarray:
    """Positions that sort the tied ``rows`` (with their ``times``) by (time, id)."""
    arrow = (
        isinstance(event_id, pd.Series)
        and isinstance(event_id.dtype, pd.StringDtype)
        and event_id.dtype.storage == "pyarrow"
        and not event_id.hasnans
    )
    if arrow:
        import pyarrow as pa
        import pyarrow.compute as pc

        ids = pa.chunked_array(pa.array(event_id.array)).take(pa.array(rows))
        table = pa.table({"t": pa.array(times), "id": ids})
        return pc.sort_indices(table, sort_keys=[("t", "ascending"), ("id", "ascending")]).to_numpy()
    ids = np.asarray(event_id, dtype=object)[rows].astype(str)
    rank = pd.factorize(ids, sort=True)[0]
    return np.lexsort((rank, times))


def sort_events(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` sorted by ``(time, event_id)`` with a fresh RangeIndex.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame with ``time`` and ``event_id`` columns.

    Returns
    -------
    pandas.DataFrame
        Sorted copy; the input is not changed.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> shuffled = events.sample(frac=1, random_state=0)
    >>> sort_events(shuffled)["event_id"].equals(events["event_id"])
    True
    """
    t = df["time"].to_numpy(dtype="datetime64[ns]").view("int64")
    order = sort_order(t, df["event_id"])
    out = df.take(order)
    out.index = pd.RangeIndex(len(out))
    return out


def require(df: Any, columns: Any, *, what: str = "this function") -> pd.DataFrame:
    """Check that ``df`` is a DataFrame holding ``columns``; raise a clear error if not.

    Lighter than :func:`validate`, for functions that need only some columns
    (and accept derived frames, such as a sessionised frame).

    Parameters
    ----------
    df : pandas.DataFrame
        The frame to check.
    columns : iterable of str
        Columns that must be present.
    what : str
        Named in the error message.

    Returns
    -------
    pandas.DataFrame
        ``df`` itself.

    Examples
    --------
    >>> import pandas as pd
    >>> try:
    ...     require(pd.DataFrame({"a": [1]}), ["a", "user"], what="sessions.table")
    ... except FrameError as err:
    ...     print(err)
    sessions.table needs column(s) user; the frame has: a
    """
    if not isinstance(df, pd.DataFrame):
        raise FrameError(f"{what} needs a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        have = ", ".join(map(str, df.columns[:30]))
        raise FrameError(f"{what} needs column(s) {', '.join(missing)}; the frame has: {have}")
    return df


def page_key(events: pd.DataFrame, *, keep_query: bool = False, column: str = "page_url") -> pd.Series:
    """The page of each event: its URL without query string and fragment (categorical).

    UserALE page URLs often carry form values in the query string
    (``catalog.html?u=erin&pw=``); grouping by page usually means the address
    without them. Computed once per distinct URL, not per event.

    Parameters
    ----------
    events : pandas.DataFrame
        Frame with a ``page_url`` column.
    keep_query : bool
        Keep the query string (drop only the fragment).
    column : str
        Column holding the URL.

    Returns
    -------
    pandas.Series
        Categorical, aligned with ``events``.

    Examples
    --------
    >>> import distill
    >>> pages = page_key(distill.datasets.load_sample())
    >>> sorted(pages.cat.categories)
    ['http://127.0.0.1:8765/catalog.html', 'http://127.0.0.1:8765/checkout.html', 'http://127.0.0.1:8765/index.html']
    """
    require(events, [column], what="page_key")
    urls = events[column]
    if not isinstance(urls.dtype, pd.CategoricalDtype):
        urls = urls.astype("category")
    cats = urls.cat.categories.astype(str)
    strip = cats.str.replace(r"#.*$", "", regex=True)
    if not keep_query:
        strip = strip.str.replace(r"\?.*$", "", regex=True)
    mapped = pd.Categorical(strip)
    codes = urls.cat.codes.to_numpy()
    new_codes = np.where(codes >= 0, mapped.codes[np.clip(codes, 0, None)] if len(mapped) else -1, -1)
    out = pd.Categorical.from_codes(new_codes, categories=categories(mapped.categories))
    return pd.Series(out, index=events.index, name="page")
