"""Typed tables straight to event rows, without deciding value by value.

A Parquet file written from an event frame (``events.to_parquet(path)``) holds
every role in a column of its own name whose Arrow type already fits: text,
dictionaries of text, timestamps, small integers, booleans, lists of text. For
such a table the rows are built from the Arrow arrays directly. Anything that
would need a decision per value (a missing required value, a number where text
belongs, JSON text that does not parse, ...) makes :func:`typed_block` answer
None, and the general path reads the table and reports each problem as usual;
the result is the same either way (``tests/test_sources_files.py`` compares).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from distill.schema import Role, Schema
from distill.sources import _build
from distill.sources._decode import json_text

__all__ = ["typed_block"]

#: Times below this many nanoseconds (1973) would be read as another unit by the
#: general path's magnitude rule; such tables go that way.
_MIN_NS = 10**17
_INT32 = np.iinfo(np.int32)


def typed_block(table: pa.Table, schema: Schema, source: str) -> pd.DataFrame | None:
    """The rows :func:`distill.sources._build.build_block` would give for ``table``, or None.

    Parameters
    ----------
    table : pyarrow.Table
        A table read from Parquet.
    schema : Schema
        Roles to build; each must map exactly one column named by a plain field.
    source : str
        Source label: the ``source`` column and the prefix of generated ids.

    Returns
    -------
    pandas.DataFrame or None
        Unsorted rows (all kept, nothing to report), or None when any role or
        value needs the general path.

    Examples
    --------
    >>> import distill, pyarrow as pa
    >>> events = distill.datasets.load_sample()
    >>> table = pa.Table.from_pandas(events, preserve_index=False)
    >>> rows = typed_block(table, distill.schema.get_schema("canonical"), "copy")
    >>> len(rows), rows["path"].iloc[1] == events["path"].iloc[1]
    (4863, True)
    >>> typed_block(table.drop_columns(["type"]), distill.schema.get_schema("canonical"), "copy") is None
    True
    """
    n = table.num_rows
    data: dict[str, Any] = {}
    for role in schema.roles.values():
        if len(role.fields) != 1 or "." in role.fields[0] or role.default is not None or role.fraction:
            return None
        name = role.fields[0]
        if name not in table.column_names:
            if role.required:
                return None
            continue
        col = table.column(name).combine_chunks()
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if role.required and col.null_count:
            return None
        if pa.types.is_null(col.type):  # no value at all (an empty categorical under pandas 2): as if absent
            continue
        built = _column(col, role)
        if built is None:
            return None
        data[role.name] = built

    ids = data.pop("event_id", None)
    return _build.rows_frame(data, schema, source, np.arange(1, n + 1), ids, by_record=True)


def _column(col: pa.Array, role: Role) -> Any:
    """One role's values as build_block holds them before ``_typed_frame``; None: not typed enough."""
    t, kind = col.type, role.kind
    text = pa.types.is_string(t) or pa.types.is_large_string(t)
    if kind == "time":
        if not pa.types.is_timestamp(t) or (role.parser or "auto") != "auto":
            return None
        ns = col.cast(pa.timestamp("ns", tz=t.tz)).cast(pa.int64())
        if col.null_count < len(col) and pc.min(pc.abs(ns)).as_py() < _MIN_NS:
            return None
        return ns.fill_null(np.iinfo(np.int64).min).to_numpy()
    if kind == "category":
        return _build._categorical_arrow(col) if text else None
    if kind == "string":
        return col.cast(pa.large_string()) if text else None
    if kind == "json":
        return _json_values(col) if text else None
    if kind == "string_list":
        if not (pa.types.is_list(t) or pa.types.is_large_list(t)) or not pa.types.is_string(t.value_type):
            return None
        items = pc.list_flatten(col)
        if items.null_count:
            return None
        return _paths(col, items)
    if kind == "int32":
        if not pa.types.is_integer(t):
            return None
        lo, hi = pc.min(col).as_py(), pc.max(col).as_py()
        if lo is not None and (lo < _INT32.min or hi > _INT32.max):
            return None
        mask = col.is_null().to_numpy(zero_copy_only=False)
        return pd.arrays.IntegerArray(col.fill_null(0).to_numpy().astype(np.int32), mask)
    if kind == "bool":
        if not pa.types.is_boolean(t):
            return None
        mask = col.is_null().to_numpy(zero_copy_only=False)
        return pd.arrays.BooleanArray(col.fill_null(False).to_numpy(zero_copy_only=False), mask)
    return None


def _paths(col: pa.Array, items: pa.Array) -> np.ndarray:
    """Lists of text to one shared tuple per distinct path (None for null), without a tuple per row.

    Each row gets a key (its length, then its items joined by a separator no
    item holds); the few distinct keys are turned into tuples once.
    """
    sep = "\x1f"
    if len(items) and pc.any(pc.match_substring(items, sep)).as_py():
        return _build._intern_paths([None if v is None else tuple(v) for v in col.to_pylist()])
    key = pc.binary_join_element_wise(
        pc.cast(pc.list_value_length(col), pa.string()), pc.binary_join(col, sep), sep, null_handling="emit_null"
    )
    encoded = key.dictionary_encode()
    firsts = pc.index_in(encoded.dictionary, key)  # a row holding each distinct key
    distinct = np.empty(len(encoded.dictionary) + 1, dtype=object)
    distinct[:-1] = [tuple(v) for v in col.take(firsts).to_pylist()]
    distinct[-1] = None
    return distinct[encoded.indices.fill_null(len(encoded.dictionary)).to_numpy()]


def _json_values(col: pa.Array) -> list[Any] | None:
    """JSON text of objects and arrays as raw values (what the general path keeps); None if any is not."""
    out: list[Any] = []
    for v in col.to_pylist():
        raw = None if v is None else json_text(v)
        if v is not None and raw is None:
            return None
        out.append(raw)
    return out
