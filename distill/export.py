"""One payload: every result as plain dicts or JSON in one documented structure.

Every export is an *envelope*::

    {
      "format": "distill",          # always this string
      "version": "1.0",             # version of this structure
      "kind": "events",             # what ``data`` holds (see below)
      "generator": "distill 0.1.0", # the library that wrote it
      "meta": {...},                # parameters, counts, paging, read report, ...
      "data": ...
    }

Kinds and their ``data``:

``events``
    ``{"fields": [{"name", "type"}], "records": [{column: value}]}``: the event
    frame, one record per event; times are ISO-8601 UTC strings, ``details``
    is the JSON object itself, ``path`` a list of strings.
``table`` (and named tables such as ``sessions``, ``features``, ``matrix``)
    ``{"fields": [...], "records": [...]}`` for any other DataFrame; a
    DataFrame names its kind in ``df.attrs["distill_kind"]``. Durations are
    seconds.
``graph``
    node-link: ``{"directed", "multigraph", "graph", "nodes": [{"id", ...}],
    "edges": [{"source", "target", ...}]}``.
anything else
    a result object's own dict (``summary``, ``report``, ``query``, ``funnel``, ...).

The JSON Schema of the structure ships with the package
(:func:`json_schema`); the REST service returns exactly these documents.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample().head(2)
>>> doc = to_dict(events)
>>> doc["format"], doc["version"], doc["kind"], len(doc["data"]["records"])
('distill', '1.0', 'events', 2)
>>> from_dict(doc)["event_id"].tolist() == events["event_id"].tolist()
True
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec
import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from distill._version import __version__
from distill.errors import InputError
from distill.frame import CORE_COLUMNS, ROLE_KINDS

__all__ = [
    "FORMAT_VERSION",
    "to_dict",
    "to_json",
    "from_dict",
    "from_json",
    "json_schema",
    "plain",
    "envelope",
]

#: Version of the export structure; bumped on incompatible changes.
FORMAT_VERSION = "1.0"
_I64_MIN = np.iinfo(np.int64).min


def envelope(kind: str, data: Any, meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Wrap ``data`` of a kind in the export envelope.

    Use it to export a result that is not a DataFrame, a graph or an object
    with ``__distill_export__`` (the REST service wraps its own small answers,
    such as ``health``, this way).

    Parameters
    ----------
    kind : str
        What ``data`` holds (``events``, ``table``, ``summary``, ... or a new
        kind; see the module docstring).
    data : object
        The payload, put in the envelope as it is: it must already be plain
        JSON-able Python (pass it through :func:`plain` if it may hold numpy
        scalars, timestamps or NaN).
    meta : mapping, optional
        Parameters, counts or paging; made plain with :func:`plain`.

    Returns
    -------
    dict
        ``{"format": "distill", "version": FORMAT_VERSION, "kind": kind,
        "generator": "distill <version>", "meta": {...}, "data": data}``.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> doc = envelope("summary", {"events": len(events)}, {"source": "sample"})
    >>> doc["kind"], doc["data"], doc["meta"]
    ('summary', {'events': 4863}, {'source': 'sample'})
    >>> doc["format"], doc["version"] == FORMAT_VERSION
    ('distill', True)
    """
    return {
        "format": "distill",
        "version": FORMAT_VERSION,
        "kind": kind,
        "generator": f"distill {__version__}",
        "meta": plain(dict(meta or {})),
        "data": data,
    }


# -- plain values ---------------------------------------------------------------------
def plain(value: Any) -> Any:
    """Turn a value into plain JSON-able Python (no numpy scalars, no NaN).

    Parameters
    ----------
    value : object
        Anything. Mappings (keys become str), lists, tuples, sets and numpy
        arrays are converted item by item.

    Returns
    -------
    object
        None, bool, int, float, str, list or dict only: numpy integers and
        booleans become ``int`` and ``bool``; NaN, infinities, ``pd.NA`` and
        ``NaT`` become None; timestamps become ISO-8601 UTC strings (``Z``);
        durations become seconds (float); a result object with
        ``__distill_export__`` becomes its :func:`to_dict` document, an object
        with ``to_dict()`` its plain dict; anything else its ``str()``.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> counts = plain(events["type"].value_counts().to_dict())
    >>> type(counts["click"]).__name__, sum(counts.values())
    ('int', 4863)
    >>> plain(events["time"].max() - events["time"].min()) > 0
    True

    >>> import numpy as np, pandas as pd
    >>> plain({"a": np.int64(3), "b": [np.float64("nan"), pd.Timestamp("2026-01-01", tz="UTC")]})
    {'a': 3, 'b': [None, '2026-01-01T00:00:00Z']}
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return [plain(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return _iso(value)
    if isinstance(value, _dt.datetime):
        return _iso(pd.Timestamp(value))
    if isinstance(value, (pd.Timedelta, _dt.timedelta, np.timedelta64)):
        td = pd.Timedelta(value)
        return None if pd.isna(td) else td.total_seconds()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else _iso(pd.Timestamp(value))
    if isinstance(value, msgspec.Raw):
        return msgspec.json.decode(value)
    if hasattr(value, "__distill_export__"):
        return to_dict(value)
    if hasattr(value, "to_dict") and not isinstance(value, pd.DataFrame):
        return plain(value.to_dict())
    return str(value)


def _iso(ts: pd.Timestamp) -> str | None:
    if pd.isna(ts):
        return None
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    ts = ts.tz_convert("UTC")
    text = ts.strftime("%Y-%m-%dT%H:%M:%S")
    frac = ts.microsecond * 1000 + ts.nanosecond
    if frac:
        text += "." + (f"{frac:09d}" if frac % 1000 else f"{frac // 1000:06d}")
    return text + "Z"


def _iso_column(series: pd.Series) -> list[str | None]:
    ns = series.to_numpy(dtype="datetime64[ns]")
    nat = np.isnat(ns)
    unit: Any = "us" if not (ns.view(np.int64)[~nat] % 1000).any() else "ns"
    text = np.datetime_as_string(ns.astype(f"datetime64[{unit}]"), unit=unit, timezone="UTC")
    out = text.astype(object)
    out[nat] = None
    return out.tolist()


# -- frames ---------------------------------------------------------------------------
def _field_type(name: str, series: pd.Series, events: bool) -> str:
    dt = series.dtype
    if events and name in ROLE_KINDS:
        return ROLE_KINDS[name]
    if isinstance(dt, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dt):
        return "time"
    if pd.api.types.is_timedelta64_dtype(dt):
        return "duration"
    if isinstance(dt, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dt):
        return "bool"
    if pd.api.types.is_integer_dtype(dt):
        return "int64"
    if pd.api.types.is_float_dtype(dt):
        return "float"
    if pd.api.types.is_string_dtype(dt):
        sample = series.dropna().head(50)
        if len(sample) and all(isinstance(v, (tuple, list)) for v in sample):
            return "string_list"
        if len(sample) and all(isinstance(v, (dict, list)) for v in sample):
            return "json"
        return "string"
    return "string"


def _column_values(series: pd.Series, ftype: str) -> list[Any]:
    if ftype == "time":
        return _iso_column(series)
    if ftype == "duration":
        secs = series.dt.total_seconds().to_numpy(dtype=float)
        return [None if math.isnan(v) else v for v in secs.tolist()]
    if ftype == "json" and (pd.api.types.is_string_dtype(series.dtype)):
        return [
            None
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
            else (msgspec.Raw(v.encode()) if isinstance(v, str) else v)
            for v in series.tolist()
        ]
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = [plain(c) for c in series.cat.categories.tolist()] + [None]
        codes = series.cat.codes.to_numpy()
        return [cats[c] for c in codes.tolist()]
    if ftype == "string_list":
        return [None if v is None or (isinstance(v, float) and math.isnan(v)) else list(v) for v in series.tolist()]
    if ftype in ("int32", "int64", "float", "bool"):
        arr = series.astype(object).where(series.notna(), None).tolist()
        if ftype == "float":
            return [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in arr]
        return [None if v is None else plain(v) for v in arr]
    values = series.tolist()
    return [plain(v) for v in values]


def _frame_kind(df: pd.DataFrame) -> str:
    kind = df.attrs.get("distill_kind")
    if isinstance(kind, str):
        return kind
    return "events" if all(c in df.columns for c in CORE_COLUMNS) else "table"


def _frame_meta(df: pd.DataFrame, kind: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"rows": len(df)}
    extra = df.attrs.get("distill_meta")
    if isinstance(extra, Mapping):
        meta.update(extra)
    if kind == "events":
        from distill.report import report_of

        rep = report_of(df)
        if rep is not None:  # counts only: issue lists and file paths stay with the library user
            meta["read"] = rep.counts()
    return meta


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    """Index as columns where it carries information (named or non-integer)."""
    if isinstance(df.index, pd.RangeIndex):
        return df
    index = df.index
    if index.name is None and not isinstance(index, pd.MultiIndex) and pd.api.types.is_integer_dtype(index.dtype):
        return df.reset_index(drop=True)
    return df.reset_index()


# -- the columnar record writer -------------------------------------------------------------
# A frame's records are written column by column, a chunk of rows at a time. Each column
# becomes an Arrow array holding the JSON text of every value of the chunk, with no Python
# object per row: distinct values (categories, paths, days, floats) are encoded once and
# taken by code, text is quoted by Arrow, numbers are cast by Arrow. One Arrow kernel then
# joins a row's fragments with the keys between them, and the chunk's rows, comma-separated,
# are that array's data buffer. The text is byte for byte what msgspec writes for one struct
# per row (``_column_values`` is that reference; it still serves columns of unusual dtypes,
# and the tests compare every kind of column with it).

#: Rows per chunk: bounds the writer's working memory (about 10 MB of text for event frames);
#: smaller chunks also keep the join's inputs in cache.
_CHUNK_ROWS = 16_384
_BIN = pa.large_binary()
_EMPTY = pa.scalar(b"", _BIN)
_QUOTE = pa.scalar(b'"', _BIN)
_NULL = pa.array([b"null"], _BIN)
_JOIN = pc.JoinOptions(null_handling="replace", null_replacement="null")
#: The characters msgspec escapes in a string: quote, backslash, control characters (all
#: ASCII, so a byte test on UTF-8 finds them; msgspec writes everything else as it is).
_ESCAPED = r'["\\\x00-\x1f]'
#: Missing values that ``plain`` turns into None, by type (object columns of text).
_PLAIN_NA = frozenset({type(None), float, np.float64, type(pd.NA), type(pd.NaT)})
#: Missing values the ``json`` branch of ``_column_values`` turns into None.
_JSON_NA = frozenset({type(None), float, np.float64, type(pd.NA)})

# What a writer's fragments hold: each value's JSON text, null for JSON null (PLAIN); string
# contents to be put in quotes, no nulls (BARE); or the value's JSON text after the column's
# key, ``,"name":`` (FOLDED: one input fewer for the join, which costs per input).
_PLAIN, _BARE, _FOLDED = 0, 1, 2
#: Writes rows [start, stop) of a column: (fragments, form).
_Writer = Callable[[int, int], tuple[pa.Array, int]]


def _one(chunked: pa.ChunkedArray) -> pa.Array:
    if chunked.num_chunks == 1:
        return chunked.chunk(0)
    return chunked.combine_chunks()


def _arrow(series: pd.Series) -> pa.ChunkedArray:
    values = series.array
    if hasattr(values, "__arrow_array__"):  # Arrow-backed (no copy) and masked arrays
        got = values.__arrow_array__()
    else:
        got = pa.array(series.to_numpy(), from_pandas=True)
    return got if isinstance(got, pa.ChunkedArray) else pa.chunked_array([got])


def _data(arr: pa.Array) -> tuple[pa.Buffer, int, int]:
    """The data buffer of a large binary array and the byte range its values span."""
    _, offsets_buf, data = arr.buffers()
    if data is None or offsets_buf is None or not len(arr):
        return pa.py_buffer(b""), 0, 0
    offsets = np.frombuffer(offsets_buf, np.int64)
    return data, int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])


def _prefixed(prefix: bytes, fragments: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar(prefix, _BIN), fragments, _EMPTY)


def _strings(series: pd.Series, na_types: frozenset[type]) -> pa.ChunkedArray | None:
    """A text column as Arrow strings; None where its values are not all text or missing.

    Missing values must be of ``na_types`` (those the reference turns into JSON null).
    """
    if isinstance(series.dtype, pd.StringDtype):
        return _arrow(series)
    if not pd.api.types.is_object_dtype(series.dtype):
        return None
    values = series.to_numpy()
    kinds = set(map(type, values))
    if not kinds <= {str} | na_types:
        return None
    floats = [v for v in values if isinstance(v, float)] if kinds & {float, np.float64} else []
    if not np.isnan(np.asarray(floats, dtype=float)).all():  # only NaN is missing; other floats are numbers
        return None
    return pa.chunked_array([pa.array(values, type=pa.large_string(), from_pandas=True)])


def _needs_escape(text: pa.Array) -> np.ndarray | None:
    """Where values of large binary UTF-8 text need JSON escapes (None: nowhere)."""
    buf, start, stop = _data(text)
    raw = np.frombuffer(buf, np.uint8, count=stop - start, offset=start)
    if not ((raw < 0x20) | (raw == 0x22) | (raw == 0x5C)).any():  # a byte screen first: cheap
        return None
    found = pc.match_substring_regex(text.cast(pa.large_string()), _ESCAPED)
    return np.asarray(found.fill_null(False), dtype=bool)


def _quoted(text: pa.Array) -> tuple[pa.Array, int]:
    """JSON strings of large binary UTF-8 text: BARE when nothing needs quoting apart."""
    mask = _needs_escape(text)
    if mask is None and text.null_count == 0:
        return text, _BARE
    out = pc.binary_join_element_wise(_QUOTE, text, _QUOTE, _EMPTY)  # nulls stay null
    if mask is not None:  # the few values with escapes: msgspec writes them
        escaped = [msgspec.json.encode(v.decode("utf-8")) for v in text.filter(pa.array(mask)).to_pylist()]
        out = pc.replace_with_mask(out, pa.array(mask), pa.array(escaped, _BIN))
    return out, _PLAIN


def _text_writer(text: pa.ChunkedArray) -> _Writer:
    return lambda start, stop: _quoted(_one(text.slice(start, stop - start)).cast(_BIN))


def _raw_writer(text: pa.ChunkedArray) -> _Writer:
    return lambda start, stop: (_one(text.slice(start, stop - start)).cast(_BIN), _PLAIN)


def _cast_writer(series: pd.Series) -> _Writer:
    values = _arrow(series)
    return lambda start, stop: (_one(values.slice(start, stop - start)).cast(pa.large_string()).cast(_BIN), _PLAIN)


def _taken_writer(fragments: pa.Array, codes: np.ndarray, prefix: bytes) -> _Writer:
    """Fragments of distinct values taken by code; code -1 is JSON null."""
    table = _prefixed(prefix, pa.concat_arrays([fragments, _NULL]))
    missing = len(fragments)

    def write(start: int, stop: int) -> tuple[pa.Array, int]:
        index = codes[start:stop].astype(np.int64)
        index[index < 0] = missing
        return table.take(index), _FOLDED

    return write


def _float_fragments(values: np.ndarray) -> pa.Array:
    """msgspec's text of each float (NaN and infinities: null), one encoder call for all."""
    if not len(values):
        return pa.array([], _BIN)
    text = msgspec.json.encode(values.tolist())[1:-1]  # floats hold no commas
    return pc.split_pattern(pa.array([text], _BIN), b",").flatten()


def _float_writer(values: np.ndarray, prefix: bytes) -> _Writer:
    """Floats as msgspec writes them, each distinct value of a chunk encoded once."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)  # by bits: -0.0 is not 0.0

    def write(start: int, stop: int) -> tuple[pa.Array, int]:
        distinct, index = np.unique(bits[start:stop], return_inverse=True)
        return _prefixed(prefix, _float_fragments(distinct.view(np.float64))).take(index), _FOLDED

    return write


def _time_unit(ticks: np.ndarray, nat: np.ndarray) -> str:
    """Microseconds unless some time has nanoseconds (the rule of ``_iso_column``)."""
    for start in range(0, len(ticks), _CHUNK_ROWS):
        part = ticks[start : start + _CHUNK_ROWS][~nat[start : start + _CHUNK_ROWS]]
        if (part % 1000).any():
            return "ns"
    return "us"


_DAY_NS = 86_400_000_000_000


@lru_cache(maxsize=1)
def _clock_text() -> np.ndarray:
    """``HH:MM:SS`` of every second of a day, as 8-byte strings."""
    s = np.arange(86_400)
    colon = np.full_like(s, ord(":") - 48)
    digits = np.stack([s // 36000, s // 3600 % 10, colon, s // 600 % 6, s // 60 % 10, colon, s // 10 % 6, s % 10], 1)
    return np.frombuffer((digits + 48).astype(np.uint8).tobytes(), "S8")


@lru_cache(maxsize=1)
def _triple_text() -> np.ndarray:
    """``000`` to ``999`` as 3-byte strings."""
    k = np.arange(1000)
    return np.frombuffer((np.stack([k // 100, k // 10 % 10, k % 10], 1) + 48).astype(np.uint8).tobytes(), "S3")


def _iso_fragments(ticks: np.ndarray, unit: str, prefix: bytes) -> pa.Array:
    """``prefix`` and the JSON string of each UTC time (ns ticks) as ``_iso_column`` writes it.

    The date of each distinct day comes from ``numpy.datetime_as_string`` itself, the clock
    and the fraction from digit tables, all into one fixed-width record per value: a dozen
    array operations instead of a formatted string per value (about 10x faster when times
    share days, as event times do).
    """
    groups = 2 if unit == "us" else 3
    layout = [("key", f"S{len(prefix)}"), ("date", "S11"), ("t", "S1"), ("clock", "S8"), ("dot", "S1")]
    layout += [(f"frac{i}", "S3") for i in range(groups)] + [("close", "S2")]
    out = np.empty(len(ticks), np.dtype(layout))
    out["key"], out["t"], out["dot"], out["close"] = prefix, b"T", b".", b'Z"'
    days = np.floor_divide(ticks, _DAY_NS)
    distinct, index = np.unique(days, return_inverse=True)
    dates = np.char.add('"', np.datetime_as_string(distinct.astype("datetime64[D]"))).astype("S11")
    out["date"] = dates[index]
    seconds, frac = np.divmod(ticks - days * _DAY_NS, 1_000_000_000)
    out["clock"] = _clock_text()[seconds]
    if unit == "us":
        frac //= 1000
    for i in reversed(range(groups)):
        frac, digits = np.divmod(frac, 1000)
        out[f"frac{i}"] = _triple_text()[digits]
    width = out.dtype.itemsize
    offsets = np.arange(0, (len(ticks) + 1) * width, width, dtype=np.int64)
    return pa.LargeBinaryArray.from_buffers(_BIN, len(ticks), [None, pa.py_buffer(offsets), pa.py_buffer(out)])


def _time_writer(series: pd.Series, prefix: bytes) -> _Writer:
    ticks = series.to_numpy(dtype="datetime64[ns]").view(np.int64)  # the reference's conversion
    nat = ticks == np.iinfo(np.int64).min
    unit = _time_unit(ticks, nat)
    null = _prefixed(prefix, _NULL)

    def write(start: int, stop: int) -> tuple[pa.Array, int]:
        valid = ~nat[start:stop]
        count = int(valid.sum())
        if count == stop - start:
            return _iso_fragments(ticks[start:stop], unit, prefix), _FOLDED
        index = np.full(stop - start, count, dtype=np.int64)  # NaT: the null after the times
        index[valid] = np.arange(count)
        table = pa.concat_arrays([_iso_fragments(ticks[start:stop][valid], unit, prefix), null])
        return table.take(index), _FOLDED

    return write


def _category_writer(series: pd.Series, prefix: bytes) -> _Writer:
    categories = series.cat.categories
    text = _strings(pd.Series(categories, copy=False), frozenset())
    if text is None:
        fragments = pa.array([msgspec.json.encode(plain(c)) for c in categories.tolist()], _BIN)
    else:
        fragments, form = _quoted(_one(text).cast(_BIN))
        if form == _BARE:
            fragments = pc.binary_join_element_wise(_QUOTE, fragments, _QUOTE, _EMPTY)
    return _taken_writer(fragments, series.cat.codes.to_numpy(), prefix)


def _list_writer(series: pd.Series, prefix: bytes) -> _Writer | None:
    """Lists of strings (``path``): each distinct tuple encoded once; None for anything else."""
    values = series.to_numpy(dtype=object)
    try:
        codes, distinct = pd.factorize(values)
    except TypeError:  # unhashable values (lists)
        return None
    # factorize merges values that compare equal; only tuples of str encode alike when equal
    if not all(type(v) is tuple and all(type(s) is str for s in v) for v in distinct):
        return None
    missing = values[codes < 0]
    if not all(v is None or (isinstance(v, float) and math.isnan(v)) for v in missing):
        return None  # e.g. pd.NA, which the reference refuses
    return _taken_writer(pa.array([msgspec.json.encode(list(v)) for v in distinct], _BIN), codes, prefix)


def _fast_writer(series: pd.Series, ftype: str, prefix: bytes) -> _Writer | None:
    """A columnar writer, taking the branch ``_column_values`` takes (None: not covered)."""
    dtype = series.dtype
    if ftype == "time":
        return _time_writer(series, prefix)
    if ftype == "duration":
        return _float_writer(series.dt.total_seconds().to_numpy(dtype=float), prefix)
    if ftype == "json" and pd.api.types.is_string_dtype(dtype):
        text = _strings(series, _JSON_NA)
        return None if text is None else _raw_writer(text)
    if isinstance(dtype, pd.CategoricalDtype):
        return _category_writer(series, prefix)
    if ftype == "string_list":
        return _list_writer(series, prefix)
    if ftype in ("int32", "int64", "float", "bool"):
        if pd.api.types.is_object_dtype(dtype):
            return None
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
            return _cast_writer(series)
        if pd.api.types.is_float_dtype(dtype):
            return _float_writer(series.to_numpy(dtype=np.float64, na_value=np.nan), prefix)
        return None
    text = _strings(series, _PLAIN_NA)
    return None if text is None else _text_writer(text)


def _reference_writer(series: pd.Series, ftype: str) -> _Writer:
    """Any other column: its values as the reference makes them, each encoded by msgspec."""
    fragments = pa.array([msgspec.json.encode(v) for v in _column_values(series, ftype)], _BIN)
    return lambda start, stop: (fragments.slice(start, stop - start), _PLAIN)


def _records(rows: int, prefixes: list[bytes], writers: list[_Writer]) -> Iterator[bytes | memoryview]:
    """The records as JSON text, comma-separated, one piece per chunk of rows."""
    for start in range(0, rows, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, rows)
        last = stop == rows
        if not writers:
            yield b",".join([b"{}"] * (stop - start)) + (b"" if last else b",")
            continue
        args: list[Any] = []
        text = b""  # literal text due before the next fragments
        for prefix, write in zip(prefixes, writers):
            fragments, form = write(start, stop)
            if form != _FOLDED:
                text += prefix + (b'"' if form == _BARE else b"")
            if text:
                args.append(pa.scalar(text, _BIN))
            args.append(fragments)
            text = b'"' if form == _BARE else b""
        args += [pa.scalar(text + b"},", _BIN), _EMPTY]
        joined = pc.binary_join_element_wise(*args, options=_JOIN)
        buf, begin, end = _data(joined)
        yield memoryview(buf)[begin : end - 1 if last else end]  # the last row takes no comma


def _frame_pieces(obj: pd.DataFrame, extra: dict[str, Any], limit: int | None) -> Iterator[bytes | memoryview]:
    """The export document of a frame in pieces; every column is prepared before this returns."""
    kind = _frame_kind(obj)
    frame = _prepare(obj.copy(deep=False))
    frame.attrs = {}  # pandas copies attrs on every column access; the envelope's meta carries them
    if limit is not None:
        frame = frame.iloc[:limit]
    names = [str(c) for c in frame.columns]
    types = [_field_type(n, frame[c], kind == "events") for n, c in zip(names, frame.columns)]
    # keys are written as they are: the struct below refuses names msgspec would escape
    prefixes = [(b"," if i else b"{") + b'"' + n.encode("utf-8") + b'":' for i, n in enumerate(names)]
    writers = [
        _fast_writer(frame[c], t, p) or _reference_writer(frame[c], t)
        for c, t, p in zip(frame.columns, types, prefixes)
    ]
    # the reference's struct: it refuses the same column names (quotes, backslashes, duplicates)
    msgspec.defstruct(
        "Row", [(f"c{i}", Any) for i in range(len(names))], rename={f"c{i}": n for i, n in enumerate(names)}
    )
    full_meta = {**_frame_meta(obj, kind), **extra}
    if limit is not None:
        full_meta.setdefault("rows_exported", min(limit, len(obj)))
    data = {"fields": [{"name": n, "type": t} for n, t in zip(names, types)], "records": msgspec.Raw(b"[]")}
    shell = msgspec.json.encode(envelope(kind, data, full_meta))
    if not shell.endswith(b"[]}}"):  # "data" is the envelope's last key, "records" the last of data
        raise AssertionError("export envelope out of order")
    return itertools.chain([shell[:-3]], _records(len(frame), prefixes, writers), [shell[-3:]])


def _pieces(obj: Any, meta: Mapping[str, Any] | None, limit: int | None) -> Iterator[bytes | memoryview]:
    """The JSON document of ``obj`` in pieces (a frame's records in chunks of rows)."""
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    if isinstance(obj, pd.DataFrame):
        return _frame_pieces(obj, dict(meta or {}), limit)
    return iter([msgspec.json.encode(_document(obj, meta, limit))])


# -- graphs ----------------------------------------------------------------------------
def _graph_data(graph: nx.Graph) -> dict[str, Any]:
    return {
        "directed": graph.is_directed(),
        "multigraph": graph.is_multigraph(),
        "graph": plain(dict(graph.graph)),
        "nodes": [{"id": plain(n), **plain(dict(a))} for n, a in graph.nodes(data=True)],
        "edges": [{"source": plain(u), "target": plain(v), **plain(dict(a))} for u, v, a in graph.edges(data=True)],
    }


# -- public ----------------------------------------------------------------------------
def to_dict(obj: Any, *, meta: Mapping[str, Any] | None = None, limit: int | None = None) -> dict[str, Any]:
    """Export a result as a plain dict in the documented envelope.

    Parameters
    ----------
    obj : DataFrame, networkx graph, result object, or mapping
        An event frame (kind ``events``), any other DataFrame (kind from
        ``df.attrs["distill_kind"]``, else ``table``), a graph (``graph``), an
        object with ``__distill_export__`` (its own kind), or a plain mapping
        (``value``).
    meta : mapping, optional
        Extra entries for ``meta`` (paging, parameters).
    limit : int, optional
        Export at most this many rows of a frame.

    Returns
    -------
    dict
        Plain Python: str, int, float, bool, None, list, dict.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph(); g.add_edge("a", "b", count=2)
    >>> to_dict(g)["data"]["edges"]
    [{'source': 'a', 'target': 'b', 'count': 2}]
    """
    return msgspec.json.decode(b"".join(_pieces(obj, meta, limit)))


def _document(obj: Any, meta: Mapping[str, Any] | None, limit: int | None) -> dict[str, Any]:
    """The export document of anything but a frame (frames: ``_frame_pieces``)."""
    extra = dict(meta or {})
    if isinstance(obj, nx.Graph):
        meta_g = {"nodes": obj.number_of_nodes(), "edges": obj.number_of_edges(), **extra}
        return envelope(str(obj.graph.get("distill_kind", "graph")), _graph_data(obj), meta_g)
    if hasattr(obj, "__distill_export__"):
        part = obj.__distill_export__()
        return envelope(part["kind"], plain(part["data"]), {**part.get("meta", {}), **extra})
    if isinstance(obj, Mapping):
        return envelope("value", plain(obj), extra)
    raise TypeError(f"cannot export a {type(obj).__name__}; give a DataFrame, a graph or a Distill result")


def to_json(
    obj: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    meta: Mapping[str, Any] | None = None,
    limit: int | None = None,
    indent: int | None = None,
) -> str:
    """Export a result as JSON text, or write it to ``path``.

    Frames are written column by column, a chunk of rows at a time, without a
    Python object per row; with ``path`` the chunks go straight to the file,
    so a large export never exists as one Python string.

    Parameters
    ----------
    obj : DataFrame, graph, result object, or mapping
        See :func:`to_dict`.
    path : path, optional
        Write the JSON there (UTF-8) instead of returning it.
    meta : mapping, optional
        Extra ``meta`` entries.
    limit : int, optional
        At most this many rows of a frame.
    indent : int, optional
        Pretty-print with this indent (the document is then formatted whole).

    Returns
    -------
    str
        The JSON document; when ``path`` is given, the path written (as a
        str) instead.

    Examples
    --------
    >>> import distill
    >>> text = to_json(distill.datasets.load_sample(), limit=1)
    >>> text.startswith('{"format":"distill","version":"1.0","kind":"events"')
    True
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.json"
    >>> to_json(distill.datasets.load_sample(), path) == str(path)
    True
    >>> path.read_text(encoding="utf-8") == to_json(distill.datasets.load_sample())
    True
    """
    pieces = _pieces(obj, meta, limit)  # every column is converted (or refused) before a file is opened
    if indent is not None:
        pieces = iter([msgspec.json.format(b"".join(pieces), indent=indent)])
    if path is not None:
        _write(Path(path), pieces)
        return str(path)
    return _text(pieces)


def _text(pieces: Iterator[bytes | memoryview]) -> str:
    """The pieces decoded into one str, holding the document once where CPython allows.

    CPython grows a str that has a single reference in place (``text += piece`` by a
    specialised instruction), so the document is not held twice, as it is while a list of
    pieces is joined. Under a tracer or profiler the interpreter runs unspecialised code
    where every ``+=`` copies (quadratic): the pieces are joined then.
    """
    if sys.implementation.name != "cpython" or sys.gettrace() is not None or sys.getprofile() is not None:
        return "".join([str(piece, "utf-8") for piece in pieces])
    text = ""
    for piece in pieces:
        text += str(piece, "utf-8")
    return text


def _write(path: Path, pieces: Iterator[bytes | memoryview]) -> None:
    """Stream ``pieces`` to ``path``; a file left half written by an error is removed."""
    try:
        with path.open("wb") as fh:
            for piece in pieces:
                fh.write(piece)
    except BaseException:
        if path.is_file():
            path.unlink()
        raise


def from_dict(doc: Mapping[str, Any]) -> Any:
    """Rebuild a result from an exported document.

    ``events`` give back the canonical event frame (same ids, times, paths and
    dtypes), other tables a DataFrame, ``graph`` a :class:`networkx.DiGraph`;
    other kinds are returned as their ``data`` dict.

    Parameters
    ----------
    doc : mapping
        A document made by :func:`to_dict` (or parsed from :func:`to_json`).

    Returns
    -------
    DataFrame, networkx.DiGraph or dict

    Raises
    ------
    InputError
        If ``doc`` is not a Distill export, naming what is missing.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph(); g.add_edge("a", "b", count=2)
    >>> from_dict(to_dict(g))["a"]["b"]["count"]
    2
    """
    if not isinstance(doc, Mapping) or doc.get("format") != "distill":
        raise InputError('not a Distill export: expected an object with "format": "distill"')
    version = str(doc.get("version", ""))
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise InputError(f"unsupported Distill export version {version!r}; this library reads {FORMAT_VERSION}")
    kind = doc.get("kind")
    data = doc.get("data")
    if isinstance(data, Mapping) and "records" in data and "fields" in data:
        return _frame_from(data, kind, doc.get("meta") or {})
    if isinstance(data, Mapping) and "nodes" in data and "edges" in data:
        graph = nx.DiGraph() if data.get("directed", True) else nx.Graph()
        graph.graph.update(data.get("graph", {}))
        for node in data["nodes"]:
            attrs = {k: v for k, v in node.items() if k != "id"}
            graph.add_node(_hashable(node["id"]), **attrs)
        for edge in data["edges"]:
            attrs = {k: v for k, v in edge.items() if k not in ("source", "target")}
            graph.add_edge(_hashable(edge["source"]), _hashable(edge["target"]), **attrs)
        return graph
    return data


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


def _frame_from(data: Mapping[str, Any], kind: Any, meta: Mapping[str, Any]) -> pd.DataFrame:
    fields = data["fields"]
    records = data["records"]
    names = [f["name"] for f in fields]
    types = {f["name"]: f["type"] for f in fields}
    if kind == "events":
        from distill.report import ReadReport, attach
        from distill.schema import Schema
        from distill.sources import _build
        from distill.sources._decode import Columns, FieldSet

        roles = {
            n: {"fields": [n], "kind": t, **({"parser": "iso8601"} if t == "time" else {})}
            for n, t in types.items()
            if n != "source"
        }
        roles["time"]["required"] = True
        schema = Schema.from_dict({"name": "export", "roles": roles})
        fields_set = FieldSet(schema)
        values: dict[str, list[Any]] = {n: [] for n in fields_set.classes}
        for rec in records:
            for n in values:
                v = rec.get(n)
                if types.get(n) == "json":
                    v = msgspec.Raw(msgspec.json.encode(v)) if v is not None else None
                elif types.get(n) == "string_list" and v is not None:
                    v = tuple(v)
                values[n].append(v)
        sources = [rec.get("source") for rec in records]
        cols = Columns(values, list(range(1, len(records) + 1)))
        frame, issues = _build.build_block(cols, schema, "export", by_record=True)
        if issues:
            raise InputError(f"export record {issues[0].where}: {issues[0].reason}")
        if "source" in types:
            frame["source"] = pd.Categorical(sources)
        frame = _build.finish(frame)
        read = meta.get("read") if isinstance(meta, Mapping) else None
        if isinstance(read, Mapping):
            rep = ReadReport(
                int(read.get("read", len(frame))),
                int(read.get("accepted", len(frame))),
                (),
                tuple(read.get("sources", ())),
            )
            attach(frame, rep)
        return frame[[n for n in names if n in frame.columns]]
    frame = pd.DataFrame.from_records(records, columns=names)
    for name, ftype in types.items():
        if ftype == "time":
            frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
        elif ftype == "duration":
            frame[name] = pd.to_timedelta(frame[name], unit="s")
        elif ftype == "category":
            frame[name] = frame[name].astype("category")
        elif ftype in ("int32", "int64"):
            frame[name] = frame[name].astype("Int64" if frame[name].isna().any() else "int64")
        elif ftype == "bool" and not frame[name].isna().any():
            frame[name] = frame[name].astype(bool)
        elif ftype == "string_list":
            frame[name] = [tuple(v) if isinstance(v, list) else v for v in frame[name]]
    if isinstance(kind, str) and kind != "table":
        frame.attrs["distill_kind"] = kind
    return frame


def from_json(text_or_path: str | bytes | os.PathLike[str]) -> Any:
    """Rebuild a result from exported JSON text or a file.

    Parameters
    ----------
    text_or_path : str, bytes or path
        JSON text (str or bytes), or the path of a file holding it. A str is
        read as a path when it does not start with ``{`` and names an
        existing file; an ``os.PathLike`` is always a path.

    Returns
    -------
    DataFrame, networkx.DiGraph or dict
        As :func:`from_dict`: an event frame for ``events``, a DataFrame for
        other tables, a graph for ``graph``, else the ``data`` dict.

    Raises
    ------
    InputError
        If the text is not valid JSON or not a Distill export.

    Examples
    --------
    >>> import distill
    >>> ev = distill.datasets.load_sample().head(3)
    >>> back = from_json(to_json(ev))
    >>> back["time"].equals(ev["time"]) and back["path"].tolist() == ev["path"].tolist()
    True
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.json"
    >>> _ = to_json(ev, path)
    >>> from_json(path)["event_id"].tolist() == ev["event_id"].tolist()
    True
    """
    if isinstance(text_or_path, os.PathLike) or (
        isinstance(text_or_path, str) and not text_or_path.lstrip().startswith("{") and Path(text_or_path).is_file()
    ):
        raw: str | bytes = Path(text_or_path).read_bytes()
    else:
        raw = text_or_path  # type: ignore[assignment]
    try:
        doc = msgspec.json.decode(raw)
    except msgspec.DecodeError as err:
        raise InputError(f"not valid JSON: {err}") from None
    return from_dict(doc)


@lru_cache(maxsize=1)
def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the export structure.

    Read from ``distill/export.schema.json`` in the package, once: every call
    returns the same dict, so do not change it (copy it first).

    Returns
    -------
    dict
        The schema: the envelope's required keys and their types, one
        ``allOf`` rule per kind that constrains ``data``, and the shared
        ``$defs`` (fields, records, nodes, edges, ...).

    Examples
    --------
    >>> schema = json_schema()
    >>> schema["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    >>> import distill
    >>> doc = to_dict(distill.datasets.load_sample(), limit=1)
    >>> sorted(schema["required"]) == sorted(doc)
    True
    """
    return json.loads((resources.files("distill") / "export.schema.json").read_text(encoding="utf-8"))
