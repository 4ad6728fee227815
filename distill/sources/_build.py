"""Turn decoded source-field columns into the canonical event frame.

For each role of the schema: take the first present field, parse it into the
role's dtype with vectorised numpy/pandas code, and sort out what failed:
a record that lacks a required role (or whose value cannot be parsed) is
rejected; an optional field that cannot be parsed is emptied and reported.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Sequence
from itertools import repeat
from typing import Any

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

from distill.frame import CORE_COLUMNS, ROLE_KINDS, categories, dtype_for, sort_order, string_dtype
from distill.report import Issue
from distill.schema import Role, Schema
from distill.sources._decode import Columns

__all__ = ["build_block", "concat_blocks", "finish"]

_I64_MIN = np.iinfo(np.int64).min
_NS = {"epoch_s": 1_000_000_000, "epoch_ms": 1_000_000, "epoch_us": 1_000, "epoch_ns": 1}


class _Outcome:
    """Per-block bookkeeping: rejected rows and the issues found."""

    def __init__(self, n: int, source: str, positions: np.ndarray, by_record: bool):
        self.reject = np.zeros(n, dtype=bool)
        self.reasons: dict[int, tuple[str, str | None]] = {}
        self.field_issues: list[Issue] = []
        self.source = source
        self.positions = positions
        self.by_record = by_record

    def issue(self, kind: str, i: int, reason: str, role: str | None) -> Issue:
        pos = int(self.positions[i])
        if self.by_record:
            return Issue(kind, reason, self.source, None, role, record=pos)
        return Issue(kind, reason, self.source, pos, role)

    def fail(self, rows: Any, reasons: Any, role: Role) -> None:
        """Rows whose value for ``role`` is unusable: reject or empty the field."""
        for i, reason in zip(rows, reasons):
            i = int(i)
            if role.required:
                if not self.reject[i]:
                    self.reject[i] = True
                    self.reasons[i] = (reason, role.name)
            else:
                self.field_issues.append(self.issue("field", i, reason, role.name))


def _coalesce(cols: Columns, fields: Sequence[str]) -> list[Any]:
    first = cols.values[fields[0]]
    if len(fields) == 1:
        return first
    out = list(first)
    for name in fields[1:]:
        other = cols.values[name]
        if _count_none(other) == len(other) or _count_none(out) == 0:
            continue  # nothing to take from `other` (the usual case: one of the names is used)
        out = [a if a is not None else b for a, b in zip(out, other)]
    return out


def _count_none(values: list[Any]) -> int:
    """How many entries are None.

    ``list.count`` tests identity first and runs in C; values are plain decoded
    JSON, but should one compare oddly (``pd.NA == None`` raises), count by
    identity alone.
    """
    try:
        return values.count(None)
    except TypeError:
        return sum(map(operator.is_, values, repeat(None)))


def _missing(values: list[Any]) -> np.ndarray:
    n = len(values)
    nones = _count_none(values)
    if nones == 0:  # most roles are either always present or always absent in a block
        return np.zeros(n, dtype=bool)
    if nones == n:
        return np.ones(n, dtype=bool)
    return np.fromiter(map(operator.is_, values, repeat(None)), dtype=bool, count=n)


def _to_float(values: list[Any]) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        out = np.full(len(values), np.nan)
        for i, v in enumerate(values):
            with contextlib.suppress(TypeError, ValueError, OverflowError):
                out[i] = float(v) if v is not None else np.nan
        return out


def _epoch_ns(values: list[Any], unit: str, fraction: list[Any] | None) -> tuple[np.ndarray, np.ndarray]:
    """Epoch numbers in ``unit`` (+ fractional ms) to int64 ns; returns (ns, bad)."""
    if unit in ("epoch_us", "epoch_ns") and fraction is None and all(type(v) is int or v is None for v in values):
        # integers past 2**53 lose digits as floats: keep them exact
        missing = _missing(values)
        ints = np.array([0 if v is None else v for v in values], dtype=object)
        limit = np.iinfo(np.int64).max // _NS[unit]
        bad = ~missing & np.array([abs(v) > limit for v in ints.tolist()], dtype=bool)
        ns = np.where(missing | bad, 0, ints).astype(np.int64) * _NS[unit]
        ns[missing | bad] = _I64_MIN
        return ns, bad
    num = _to_float(values)
    missing = np.isnan(num)
    scale = _NS[unit]
    bad = ~missing & ~(np.abs(num) < np.iinfo(np.int64).max / scale)
    ok = ~missing & ~bad
    whole = np.where(ok, np.floor(np.where(ok, num, 0.0)), 0.0)
    ns = whole.astype(np.int64) * scale
    rest = np.where(ok, num - whole, 0.0)
    if fraction is not None:  # UserALE microTime: fractional milliseconds
        frac = _to_float(fraction)
        rest = rest + np.where(np.isnan(frac), 0.0, frac) * (1_000_000 / scale)
    ns = ns + np.rint(rest * scale).astype(np.int64)
    ns[~ok] = _I64_MIN
    return ns, bad


def _checked_fraction(frac: list[Any], role: Role, out: _Outcome) -> list[Any]:
    """Extra milliseconds must be a finite number below 1,000 ms; others are ignored and reported."""
    num = _to_float(frac)
    bad = ~np.isnan(num) & ~(np.abs(num) < 1000)
    if not bad.any():
        return frac
    rows = np.flatnonzero(bad).tolist()
    for i in rows:
        out.field_issues.append(
            out.issue(
                "field", i, f"{role.fraction}: {frac[i]!r} is not a fraction of a millisecond; ignored", role.name
            )
        )
    kept = list(frac)
    for i in rows:
        kept[i] = None
    return kept


def _parse_time(values: list[Any], role: Role, fraction: list[Any] | None) -> tuple[np.ndarray, list[int], list[str]]:
    """Values to int64 ns (NaT = min int64); returns (ns, bad rows, reasons)."""
    parser = role.parser or "auto"
    if parser.startswith("epoch_"):
        ns, bad = _epoch_ns(values, parser, fraction)
        rows = np.flatnonzero(bad).tolist()
        return ns, rows, [f"{role.fields[0]}: time {values[i]!r} is out of range" for i in rows]
    ns = np.full(len(values), _I64_MIN, dtype=np.int64)
    numeric = [i for i, v in enumerate(values) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    texts = [i for i, v in enumerate(values) if isinstance(v, str)]
    bad_rows: list[int] = []
    reasons: list[str] = []
    if parser == "auto" and texts:  # numeric text is a number
        still = []
        for i in texts:
            try:
                values[i] = float(values[i])
                numeric.append(i)
            except ValueError:
                still.append(i)
        texts = still
    if numeric:
        nums = _to_float([values[i] for i in numeric])
        mag = np.abs(nums)
        for unit, lo, hi in (
            ("epoch_s", 0, 1e11),
            ("epoch_ms", 1e11, 1e14),
            ("epoch_us", 1e14, 1e17),
            ("epoch_ns", 1e17, np.inf),
        ):
            sel = (mag >= lo) & (mag < hi)
            if sel.any():
                idx = np.asarray(numeric)[sel]
                frac = None if fraction is None or unit != "epoch_ms" else [fraction[i] for i in idx]
                sub, bad = _epoch_ns([values[i] for i in idx], unit, frac)
                ns[idx] = sub
                for i in idx[bad]:
                    bad_rows.append(int(i))
                    reasons.append(f"{role.fields[0]}: time {values[i]!r} is out of range")
    if texts:
        series = pd.Series([values[i] for i in texts], dtype=object)
        parsed = pd.to_datetime(series, utc=True, errors="coerce", format="ISO8601")
        parsed = parsed.dt.as_unit("ns")
        got = parsed.to_numpy(dtype="datetime64[ns]").view(np.int64)
        idx = np.asarray(texts)
        ns[idx] = got
        for j in np.flatnonzero(parsed.isna().to_numpy()):
            bad_rows.append(int(idx[j]))
            reasons.append(f"{role.fields[0]}: {values[idx[j]]!r} is not an ISO-8601 time")
    return ns, bad_rows, reasons


def _categorical(values: list[Any]) -> pd.Categorical:
    """Values (str or None) to a categorical with sorted categories.

    Arrow converts and hashes the strings in C++ (about four times faster than
    factorising a numpy object array); only the few distinct labels are sorted.
    UTF-8 byte order equals Python's code point order, so the categories come
    out in the same order either way. Anything Arrow cannot take as text
    (values that are not strings) goes the pandas way.
    """
    try:
        arr = pa.array(values, type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, UnicodeError):
        codes, uniques = pd.factorize(np.array(values, dtype=object), sort=True)
        return pd.Categorical.from_codes(codes, categories=categories(uniques))
    return _categorical_arrow(arr)


def _categorical_arrow(arr: pa.Array) -> pd.Categorical:
    """An Arrow text array to a categorical with sorted categories (see :func:`_categorical`)."""
    if arr.null_count == len(arr):
        return pd.Categorical.from_codes(np.full(len(arr), -1, dtype=np.int8), categories=categories([]))
    encoded = arr.dictionary_encode()
    labels = encoded.dictionary
    order = pc.array_sort_indices(labels).to_numpy()
    rank = np.empty(len(order) + 1, dtype=np.int64)  # the last slot is for missing values
    rank[order] = np.arange(len(order))
    rank[-1] = -1
    codes = rank[encoded.indices.fill_null(len(order)).to_numpy()]
    return pd.Categorical.from_codes(codes, categories=categories(labels.take(pa.array(order)).to_pylist()))


def _json_text(values: list[Any]) -> pd.arrays.ArrowStringArray:
    if _count_none(values):
        out: list[bytes | None] = [None if raw is None else bytes(raw) for raw in values]
    else:
        out = list(map(bytes, values))
    arr = pa.array(out, type=pa.large_binary())
    # JSON null is a missing value; text with layout whitespace is re-encoded, so
    # that every source gives the same text (found with vectorised scans, then
    # redone one by one: only those few)
    null = pc.equal(arr, pa.scalar(b"null", pa.large_binary())).fill_null(False)
    spaced = pc.match_substring_regex(arr, "[ \n\t\r]").fill_null(False)
    if pc.any(null).as_py() or pc.any(spaced).as_py():
        null_rows = np.flatnonzero(null.to_numpy(zero_copy_only=False))
        spaced_rows = np.flatnonzero(spaced.to_numpy(zero_copy_only=False))
        for i in null_rows.tolist():
            out[i] = None
        for i in spaced_rows.tolist():
            data = out[i]
            if data is not None:
                out[i] = msgspec.json.encode(msgspec.json.decode(data))
        arr = pa.array(out, type=pa.large_binary())
    try:
        text = arr.cast(pa.large_string())
    except pa.ArrowInvalid:  # a raw value with bytes that are not UTF-8
        text = pa.array([None if b is None else b.decode("utf-8", "replace") for b in out], type=pa.large_string())
    return _arrow_strings(text)


def _arrow_strings(arr: pa.Array) -> Any:
    return pd.array(pd.arrays.ArrowStringArray(pa.chunked_array([arr.cast(pa.large_string())])), dtype=string_dtype())


def _strings(values: Any) -> Any:
    return _arrow_strings(pa.array(np.asarray(values, dtype=object), type=pa.large_string(), from_pandas=True))


def _utc(ns: np.ndarray) -> Any:
    return pd.DatetimeIndex(np.asarray(ns).view("datetime64[ns]")).tz_localize("UTC").array


def _intern_paths(values: list[Any]) -> np.ndarray:
    """One shared tuple object per distinct path (None stays None)."""
    seen: dict[Any, Any] = {}
    out = np.empty(len(values), dtype=object)
    out[:] = list(map(seen.setdefault, values, values))
    return out


def _integers(values: list[Any], kind: str, role: Role) -> tuple[Any, list[int], list[str]]:
    num = _to_float(values)
    missing = np.isnan(num)
    info = np.iinfo(np.int32 if kind == "int32" else np.int64)
    bad = ~missing & ~((num >= info.min) & (num <= info.max))
    rows = np.flatnonzero(bad).tolist()
    mask = missing | bad
    ints = np.rint(np.where(mask, 0, num)).astype(info.dtype)
    arr = pd.arrays.IntegerArray(ints, mask)
    return arr, rows, [f"{role.fields[0]}: {values[i]!r} is out of range for {kind}" for i in rows]


def _floats(values: list[Any]) -> Any:
    num = _to_float(values)
    return pd.arrays.FloatingArray(np.where(np.isnan(num), 0.0, num), np.isnan(num))


def _bools(values: list[Any]) -> Any:
    mask = _missing(values)
    vals = np.fromiter((bool(v) if v is not None else False for v in values), dtype=bool, count=len(values))
    return pd.arrays.BooleanArray(vals, mask)


def build_block(
    cols: Columns, schema: Schema, source: str, *, by_record: bool = False
) -> tuple[pd.DataFrame, list[Issue]]:
    """Build the event rows of one decoded block.

    Parameters
    ----------
    cols : Columns
        Decoded values per source field.
    schema : Schema
        Roles to build.
    source : str
        Source label: the ``source`` column and the prefix of generated ids.
    by_record : bool
        Positions are record numbers (JSON arrays, Parquet) rather than lines.

    Returns
    -------
    (DataFrame, list of Issue)
        Unsorted rows that passed, and every rejected record and emptied field.
    """
    n = len(cols)
    positions = np.asarray(cols.positions, dtype=np.int64)
    out = _Outcome(n, source, positions, by_record)
    issues = [
        Issue("record", reason, source, None, None, record=pos) if by_record else Issue("record", reason, source, pos)
        for pos, reason in cols.rejected
    ]
    # problems met while decoding single fields, by field then row
    field_problems: dict[str, dict[int, str]] = {}
    for i, found in cols.problems.items():
        for name, reason in found:
            field_problems.setdefault(name, {})[i] = reason

    data: dict[str, Any] = {}
    for role in schema.roles.values():
        values = _coalesce(cols, role.fields)
        # where a value is missing matters only to required roles, defaults and field problems
        check = role.required or role.default is not None or any(f in field_problems for f in role.fields)
        missing = _missing(values) if check else None
        if missing is not None and missing.any():
            absent = np.flatnonzero(missing).tolist()
            probs: list[str | None]
            if any(f in field_problems for f in role.fields):
                probs = [
                    next((field_problems[f][i] for f in role.fields if i in field_problems.get(f, {})), None)
                    for i in absent
                ]
            else:
                probs = [None] * len(absent)
            with_problem = [(i, p) for i, p in zip(absent, probs) if p is not None]
            if with_problem:
                out.fail([i for i, _ in with_problem], [str(p) for _, p in with_problem], role)
            if role.required:
                plain = [i for i, p in zip(absent, probs) if p is None]
                fields = ", ".join(role.fields)
                out.fail(plain, [f"missing required role {role.name!r} (field {fields})"] * len(plain), role)
            elif role.default is not None:
                values = [role.default if v is None else v for v in values]
        kind = role.kind
        if kind == "time":
            frac = cols.values[role.fraction] if role.fraction else None
            if frac is not None:
                frac = _checked_fraction(frac, role, out)
            ns, bad_rows, reasons = _parse_time(values, role, frac)
            out.fail(bad_rows, reasons, role)
            data[role.name] = ns
        elif kind == "category":
            data[role.name] = _categorical(values)
        elif kind == "string":
            data[role.name] = _strings(values)
        elif kind == "json":
            data[role.name] = values
        elif kind == "string_list":
            data[role.name] = _intern_paths(values)
        elif kind in ("int32", "int64"):
            arr, bad_rows, reasons = _integers(values, kind, role)
            out.fail(bad_rows, reasons, role)
            data[role.name] = arr
        elif kind == "float":
            data[role.name] = _floats(values)
        elif kind == "bool":
            data[role.name] = _bools(values)

    keep = ~out.reject
    for row in np.flatnonzero(out.reject).tolist():
        reason, role_name = out.reasons[row]
        issues.append(out.issue("record", row, reason, role_name))
    rejected_pos = set(positions[out.reject].tolist())
    issues.extend(i for i in out.field_issues if (i.record if by_record else i.line) not in rejected_pos)

    all_kept = bool(keep.all())
    ids = data.pop("event_id", None)
    given = (
        None if ids is None else pa.array(np.asarray(ids, dtype=object)[keep], type=pa.large_string(), from_pandas=True)
    )
    kept = data if all_kept else {name: _take(col, keep) for name, col in data.items()}
    return rows_frame(kept, schema, source, positions[keep], given, by_record=by_record), issues


def _take(col: Any, keep: np.ndarray) -> Any:
    """The kept entries of one column (an array, or a list of Python values)."""
    if isinstance(col, (np.ndarray, pd.api.extensions.ExtensionArray, pd.Categorical)):
        return col[keep]
    return [v for v, k in zip(col, keep) if k]


def rows_frame(
    data: dict[str, Any],
    schema: Schema,
    source: str,
    positions: np.ndarray,
    ids: pa.Array | None,
    *,
    by_record: bool,
) -> pd.DataFrame:
    """The typed frame of some kept rows.

    ``data`` holds each built role's values for exactly these rows (roles not
    in it are all missing). Ids are the source's own (``ids``) where given,
    else ``source:line`` (``source#record`` for record numbers) from
    ``positions``; the ``source`` column is ``source``.
    """
    generated = pc.binary_join_element_wise(
        pa.scalar(source + ("#" if by_record else ":"), pa.large_string()),
        pc.cast(pa.array(positions), pa.large_string()),
        pa.scalar("", pa.large_string()),
    )
    frame: dict[str, Any] = {"event_id": _arrow_strings(generated if ids is None else pc.coalesce(ids, generated))}
    n = len(positions)
    for name in CORE_COLUMNS[1:] + tuple(schema.extra_roles):
        if name == "source":
            frame["source"] = (
                pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=categories([source]))
                if n
                else np.full(0, source, dtype=object)
            )
        elif name != "event_id":
            frame[name] = data.get(name)
    return _typed_frame(frame, schema)


def _typed_frame(frame: dict[str, Any], schema: Schema) -> pd.DataFrame:
    n = len(frame["event_id"])
    kinds = {**{c: ROLE_KINDS[c] for c in CORE_COLUMNS}, **schema.extra_roles}
    cols: dict[str, Any] = {}
    for name, kind in kinds.items():
        value = frame.get(name)
        if value is None:
            if kind == "category":
                cols[name] = pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), categories=categories([]))
            elif kind == "time":
                cols[name] = _utc(np.full(n, _I64_MIN, dtype=np.int64))
            elif kind == "string_list":
                cols[name] = np.full(n, None, dtype=object)
            else:
                cols[name] = pd.array([None] * n, dtype=dtype_for(kind))
            continue
        if kind == "time":
            cols[name] = _utc(value)
        elif kind == "json":
            cols[name] = _json_text(value)
        elif kind == "category" and not isinstance(value, pd.Categorical):
            cols[name] = _categorical(list(value))
        elif kind == "string" and name != "event_id":
            cols[name] = _strings(value)
        else:
            cols[name] = value
    return pd.DataFrame(cols, copy=False)


def concat_blocks(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack block frames, uniting categories (sorted) instead of falling back to object."""
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        raise ValueError("no blocks")
    if len(frames) == 1:
        return frames[0]
    cols: dict[str, Any] = {}
    for name in frames[0].columns:
        parts = [f[name] for f in frames]
        if isinstance(parts[0].dtype, pd.CategoricalDtype):
            cols[name] = union_categoricals([p.array for p in parts], sort_categories=True)
        else:
            cols[name] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(cols)


def finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort by (time, event_id), renumber rows, and make category order sorted."""
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = col.cat.categories
            if not cats.is_monotonic_increasing:
                frame[name] = col.cat.reorder_categories(sorted(cats))
    t = frame["time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    order = sort_order(t, frame["event_id"])
    if not np.array_equal(order, np.arange(len(order))):
        frame = frame.take(order)
    frame.index = pd.RangeIndex(len(frame))
    return frame
