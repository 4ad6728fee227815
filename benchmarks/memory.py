"""What an event frame really holds in memory, column by column.

``DataFrame.memory_usage(deep=True)`` is wrong both ways for the canonical
frame: it counts every ``path`` tuple once per event although the reader shares
one tuple object among all events with the same path, and it asks pyarrow-backed
columns for their size in ways that differ between pandas versions. Here:

- numpy arrays count ``nbytes`` (datetimes, masked-integer data and masks,
  categorical codes);
- categorical columns add their categories (deep size of the labels) once;
- Arrow-backed strings count every buffer of every chunk (offsets, validity,
  data), each buffer once;
- object columns count one pointer per row plus, once per distinct object (by
  identity), the object and the strings it holds.

``details`` is reported apart: its text (the raw payload UserALE sent) is
``details_payload``; its offsets and validity count towards the frame.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["frame_bytes"]


def _arrow_buffers(array: Any) -> list[Any]:
    import pyarrow as pa

    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    out = []
    for chunk in chunks:
        out.extend(b for b in chunk.buffers() if b is not None)
    return out


def _object_bytes(values: np.ndarray) -> int:
    total = values.nbytes  # the pointers
    seen: set[int] = set()
    for obj in values.tolist():
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, (tuple, list)):
            for item in obj:
                if id(item) not in seen:
                    seen.add(id(item))
                    total += sys.getsizeof(item)
    return total


def _column(series: pd.Series) -> tuple[int, int]:
    """(bytes counted for the frame, bytes of text payload) of one column."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        cats = series.cat.categories
        return codes.nbytes + int(cats.memory_usage(deep=True)), 0
    array = series.array
    arrow = getattr(array, "_pa_array", None)
    if arrow is not None:
        payload = sum(b.size for b in _data_buffers(arrow))
        return sum(b.size for b in _arrow_buffers(arrow)) - payload, payload
    if isinstance(array, pd.arrays.IntegerArray | pd.arrays.BooleanArray | pd.arrays.FloatingArray):
        return array._data.nbytes + array._mask.nbytes, 0
    if dtype is np.dtype(object):
        return _object_bytes(series.to_numpy()), 0
    return int(series.to_numpy().nbytes), 0


def _data_buffers(arrow: Any) -> list[Any]:
    """The character-data buffers of a string array (the payload)."""
    import pyarrow as pa

    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    out = []
    for chunk in chunks:
        buffers = chunk.buffers()
        if len(buffers) >= 3 and buffers[2] is not None:
            out.append(buffers[2])
    return out


def frame_bytes(frame: pd.DataFrame) -> dict[str, Any]:
    """Honest memory of ``frame``: per column, total, and the details payload apart.

    Returns
    -------
    dict
        ``columns`` (name -> bytes, details without its text), ``frame`` (sum),
        ``details_payload`` (text bytes of ``details``), ``other_text`` (text
        bytes of other string columns, included in ``frame``), ``rows``,
        ``per_event`` (``frame / rows``).
    """
    columns: dict[str, int] = {}
    payload = 0
    other_text = 0
    for name in frame.columns:
        counted, text = _column(frame[name])
        if name == "details":
            columns[name] = counted
            payload += text
        else:
            columns[name] = counted + text
            other_text += text
    total = sum(columns.values()) + int(frame.index.memory_usage())
    rows = len(frame)
    return {
        "columns": columns,
        "frame": total,
        "details_payload": payload,
        "other_text": other_text,
        "rows": rows,
        "per_event": total / rows if rows else 0.0,
        "details_payload_per_event": payload / rows if rows else 0.0,
    }
