"""The data files every implementation reads: one NDJSON and one Parquet file per size.

- ``events-<n>-s<seed>.ndjson``: UserALE logs as UserALE sends them
  (:func:`distill.datasets.write_scaled_ndjson`), for the read stage;
- ``events-<n>-s<seed>.parquet``: the same events as a flat table (the columns
  of the canonical frame that peers use, plus ``gap_session``, the 30-minute
  inactivity sessions, for peers that do not sessionise themselves). Text
  columns are dictionary-encoded, so pandas reads them as categoricals, as an
  analyst's prepared data would be.

Files are written once per data directory and reused (a ``.done`` marker next to
each says it was written whole).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ndjson_file", "parquet_file", "gap_sessions", "PARQUET_COLUMNS"]

PARQUET_COLUMNS = (
    "event_id",
    "time",
    "end_time",
    "user",
    "session",
    "gap_session",
    "type",
    "log_type",
    "target",
    "path",
    "page_url",
    "page_title",
    "x",
    "y",
    "details",
)
_GAP_NS = 30 * 60 * 1_000_000_000


def _done(path: Path) -> Path:
    return path.with_name(path.name + ".done")


def ndjson_file(data_dir: Path, n: int, seed: int) -> tuple[Path, float]:
    """The NDJSON file of ``n`` events (written if missing); returns (path, seconds spent)."""
    from distill.datasets import write_scaled_ndjson

    path = data_dir / f"events-{n}-s{seed}.ndjson"
    if path.exists() and _done(path).exists():
        return path, 0.0
    start = time.perf_counter()
    write_scaled_ndjson(path, n, seed)
    _done(path).touch()
    return path, time.perf_counter() - start


def gap_sessions(frame: pd.DataFrame, gap_ns: int = _GAP_NS) -> np.ndarray:
    """Session number of each event: per user, a new session after more than ``gap_ns`` of silence.

    Written here with numpy (not with :mod:`distill.sessions`), so peers get
    sessions even before that module exists, and the two can be compared.
    """
    user = frame["user"].cat.codes.to_numpy().astype(np.int64)
    t = frame["time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    order = np.lexsort((t, user))
    u, ts = user[order], t[order]
    new = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        new[1:] = (u[1:] != u[:-1]) | (ts[1:] - ts[:-1] > gap_ns)
    number = np.cumsum(new) - 1
    out = np.empty(len(order), dtype=np.int64)
    out[order] = number
    return out


def parquet_file(data_dir: Path, n: int, seed: int) -> tuple[Path, float]:
    """The Parquet file of ``n`` events (written if missing); returns (path, seconds spent)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from distill.datasets import scale_sample

    path = data_dir / f"events-{n}-s{seed}.parquet"
    if path.exists() and _done(path).exists():
        return path, 0.0
    start = time.perf_counter()
    frame = scale_sample(n, seed)
    number = gap_sessions(frame)
    width = len(str(max(int(number.max()) if len(number) else 0, 1)))
    labels = np.array([f"g{i:0{width}d}" for i in range(int(number.max()) + 1 if len(number) else 0)], dtype=object)
    cols: dict[str, Any] = {}
    for name in PARQUET_COLUMNS:
        if name == "gap_session":
            cols[name] = pa.DictionaryArray.from_arrays(pa.array(number.astype(np.int32)), pa.array(labels))
        elif name == "path":
            cols[name] = pa.array(frame[name].to_numpy(), type=pa.list_(pa.string()), from_pandas=True)
        else:
            cols[name] = pa.Array.from_pandas(frame[name])
    table = pa.table(cols)
    pq.write_table(table, path, compression="zstd")
    _done(path).touch()
    return path, time.perf_counter() - start
