"""Large event sets replayed from the bundled sample (for benchmarks and scale tests).

:func:`distill.datasets.scale_sample` and :func:`distill.datasets.write_scaled_ndjson`
are the public entry points; this module holds their machinery.

How the events are made: the 4,863 real ShopDemo logs are replayed in *copies*.
Copy ``k`` keeps every event of the original (type, target, path, page, details,
position, and the time gaps between them) and gives it new identities and a new
time: each user, session and HTTP session becomes ``"<original>-<k>"``, and all
times of the copy move by one whole number of milliseconds, ``offset[k]``.
Copies start ``span / 4`` apart (plus a seeded jitter), so about four copies
(32 users) are active at any moment and their events interleave in time, as the
logs of many concurrent users do. When ``n_events`` is not a multiple of the
sample size, the last copy holds a part: its sessions are laid end to end in a
seeded random order, each in time order, and the first events are kept, so at
most one session is cut short.

Rows are first laid out in *file order* (copy by copy, each copy in the order of
the original file's lines); that is the order in which
:func:`write_ndjson` writes them, and the id of an event is its line number in
that file, zero-padded (``scale:0000042``), so sorting by time with a stable sort
also sorts ties by id.
"""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from distill.frame import categories, validate

__all__: list[str] = []

#: Columns naming who or which session: relabelled per copy.
_ENTITY_FIELDS = {
    "userId": "user",
    "sessionId": "session",
    "sessionID": "session",
    "httpSessionId": "http_session",
    "browserSessionId": "browser_session",
    "tabId": "tab",
}
_ENTITY_COLUMNS = tuple(dict.fromkeys(_ENTITY_FIELDS.values()))
_TIME_FIELDS = ("clientTime", "startTime", "endTime")
_OVERLAP = 4  # copies active at the same time
_ID_PREFIX = "scale:"
_SOURCE = "scale_sample"
_NS_PER_MS = 1_000_000
_I64_MIN = np.iinfo(np.int64).min
_SLOT = re.compile(rb'"@@(\d+)T@@"|@@(\d+)S@@')


@dataclass(frozen=True)
class _Base:
    """The sample in file order, with what replaying it needs."""

    frame: pd.DataFrame  # row j is line j + 1 of the sample file
    lines: tuple[bytes, ...]  # the raw lines, same order
    time_ns: np.ndarray
    end_ns: np.ndarray
    span_ms: int


@lru_cache(maxsize=1)
def _base() -> _Base:
    from distill.datasets import load_sample, sample_path

    frame = load_sample()
    frame.attrs = {}
    ids = frame["event_id"].astype(str)
    line_no = ids.str.rsplit(":", n=1).str[1].astype(np.int64).to_numpy()
    lines = tuple(x for x in gzip.decompress(sample_path().read_bytes()).split(b"\n") if x.strip())
    if len(lines) != len(frame) or sorted(line_no.tolist()) != list(range(1, len(frame) + 1)):
        raise AssertionError("the bundled sample must hold one event per line")  # pragma: no cover
    by_line = np.argsort(line_no, kind="stable")
    frame = frame.take(by_line).reset_index(drop=True)
    time_ns = frame["time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    end_ns = frame["end_time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    span_ms = int((time_ns.max() - time_ns.min()) // _NS_PER_MS) + 1
    return _Base(frame, lines, time_ns, end_ns, span_ms)


@dataclass(frozen=True)
class _Plan:
    """Which original line each output row replays, in which copy (file order)."""

    n: int
    src: np.ndarray  # original row (= line - 1) of each output row
    copy: np.ndarray  # copy number of each output row
    offset_ms: np.ndarray  # time shift of each copy
    copies: int


def _plan(n_events: int, seed: int) -> _Plan:
    if isinstance(n_events, bool) or not isinstance(n_events, (int, np.integer)):
        raise TypeError(f"n_events must be an integer, got {type(n_events).__name__}")
    if n_events < 0:
        raise ValueError(f"n_events must be 0 or more, got {n_events}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    n = int(n_events)
    base = _base()
    size = len(base.frame)
    full, rest = divmod(n, size)
    copies = full + (rest > 0)
    rng = np.random.default_rng(int(seed))
    stride = max(1, base.span_ms // _OVERLAP)
    offset_ms = np.arange(copies, dtype=np.int64) * stride + rng.integers(0, stride, copies, dtype=np.int64)
    parts = [np.tile(np.arange(size, dtype=np.intp), full)]
    if rest:
        # sessions end to end in a random order, each in time order; keep the first `rest`
        codes = base.frame["session"].cat.codes.to_numpy().astype(np.int64)
        n_groups = int(codes.max()) + 2  # events without a session form one more group
        rank = rng.permutation(n_groups)
        order = np.lexsort((base.time_ns, rank[np.where(codes < 0, n_groups - 1, codes)]))
        parts.append(np.sort(order[:rest]))
    src = np.concatenate(parts).astype(np.intp)
    copy = np.repeat(np.arange(copies, dtype=np.int32), [size] * full + ([rest] if rest else []))
    return _Plan(n, src, copy, offset_ms, copies)


def _label(value: str, copy: int) -> str:
    return f"{value}-{copy}"


def _relabelled(cats: pd.Index, codes: np.ndarray, copy: np.ndarray, copies: int) -> pd.Categorical:
    """Category codes per copy: label ``"<category>-<copy>"``, categories sorted and all used."""
    m = len(cats)
    if m == 0:
        return pd.Categorical.from_codes(np.full(len(codes), -1, dtype=np.int8), categories=categories([]))
    valid = codes >= 0
    pair = copy * m + np.where(valid, codes, 0)  # (copy, category) as one number
    present = np.zeros(copies * m, dtype=bool)
    present[pair[valid]] = True
    used = np.flatnonzero(present)
    names = [str(c) for c in cats]
    labels = np.array([_label(names[p % m], p // m) for p in used.tolist()], dtype=object)
    order = np.argsort(labels, kind="stable")
    dtype = np.int8 if len(used) < 127 else np.int16 if len(used) < 32767 else np.int32
    lookup = np.full(copies * m, -1, dtype=dtype)
    lookup[used[order]] = np.arange(len(used), dtype=dtype)
    new = lookup[pair]
    new[~valid] = -1
    return pd.Categorical.from_codes(new, categories=categories(labels[order]))


def _ids(numbers: np.ndarray) -> pa.Array:
    """``scale:<number>`` zero-padded to one width, built as one fixed-width byte buffer."""
    n = len(numbers)
    width = len(str(max(int(numbers.max()) if n else 1, 1)))
    prefix = np.frombuffer(_ID_PREFIX.encode(), dtype=np.uint8)
    size = len(prefix) + width
    buf = np.empty((n, size), dtype=np.uint8)
    buf[:, : len(prefix)] = prefix
    # unsigned 32-bit division by a constant vectorises; 64-bit division does not
    rest = numbers.astype(np.uint32 if n < 2**32 else np.uint64)
    for col in range(size - 1, len(prefix) - 1, -1):
        quotient = rest // 10
        buf[:, col] = rest - quotient * 10 + 48
        rest = quotient
    offsets = np.arange(0, (n + 1) * size, size, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))


def _utc(ns: np.ndarray) -> Any:
    return pd.array(ns.view("datetime64[ns]"), dtype=pd.DatetimeTZDtype("ns", "UTC"))


def frame(n_events: int, seed: int = 0) -> pd.DataFrame:
    """The scaled event frame (see :func:`distill.datasets.scale_sample`)."""
    plan = _plan(n_events, seed)
    base = _base()
    t = base.time_ns[plan.src] + plan.offset_ms[plan.copy] * _NS_PER_MS
    order = np.argsort(t, kind="stable")  # file order in, so ties stay in id order
    src = plan.src[order]
    copy = plan.copy[order]
    n = plan.n
    cols: dict[str, Any] = {}
    for name in base.frame.columns:
        col = base.frame[name]
        if name == "event_id":
            ids = pa.chunked_array([_ids(order + 1)])
            cols[name] = pd.array(pd.arrays.ArrowStringArray(ids), dtype=col.dtype)
        elif name == "time":
            cols[name] = _utc(t[order])
        elif name == "end_time":
            end = base.end_ns[src]
            ended = end != _I64_MIN
            end[ended] += plan.offset_ms[copy[ended]] * _NS_PER_MS
            cols[name] = _utc(end)
        elif name == "source":
            cols[name] = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=categories([_SOURCE]))
        elif name in _ENTITY_COLUMNS and isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy()[src]
            cols[name] = _relabelled(col.cat.categories, codes, copy, plan.copies)
        elif col.dtype == object:
            cols[name] = col.to_numpy()[src]  # the same shared path tuples
        else:
            cols[name] = col.array.take(src)
    out = pd.DataFrame(cols, copy=False)
    return validate(out)


# -- NDJSON -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Templates:
    """Each sample line cut into literal pieces around the values a copy changes."""

    literals: list[pa.Array]  # slot count + 1 arrays of binary, one entry per line
    kinds: np.ndarray  # (lines, slots): 0 empty, 1 time, 2 entity
    times: np.ndarray  # (lines, slots) original time value (ms) where kind is time
    labels: np.ndarray  # (lines, slots) index into `names` where kind is entity
    names: list[str]  # original entity values


@lru_cache(maxsize=1)
def _templates() -> _Templates:
    base = _base()
    cut: list[list[bytes]] = []
    slots: list[list[tuple[int, Any]]] = []
    names: dict[str, int] = {}
    for raw in base.lines:
        if b"@@" in raw:
            raise AssertionError("sample line holds the slot marker")  # pragma: no cover
        obj = msgspec.json.decode(raw)
        found: list[tuple[int, Any]] = []
        for key, value in obj.items():
            if key in _TIME_FIELDS and type(value) is int:
                obj[key] = f"@@{len(found)}T@@"
                found.append((1, value))
            elif key in _ENTITY_FIELDS and isinstance(value, str):
                obj[key] = f"@@{len(found)}S@@"
                found.append((2, names.setdefault(value, len(names))))
        pieces = _SLOT.split(msgspec.json.encode(obj))
        cut.append(pieces[0::3])
        slots.append(found)
    width = max(len(f) for f in slots)
    # line = lit0 v0 lit1 v1 ... lit(width-1) v(width-1) tail; unused slots are empty
    literals = [
        pa.array([c[s] if s < len(f) else b"" for c, f in zip(cut, slots)], type=pa.large_binary())
        for s in range(width)
    ]
    literals.append(pa.array([c[len(f)] + b"\n" for c, f in zip(cut, slots)], type=pa.large_binary()))
    kinds = np.zeros((len(cut), width), dtype=np.int8)
    times = np.zeros((len(cut), width), dtype=np.int64)
    labels = np.zeros((len(cut), width), dtype=np.int64)
    for i, found in enumerate(slots):
        for s, (kind, value) in enumerate(found):
            kinds[i, s] = kind
            if kind == 1:
                times[i, s] = value
            else:
                labels[i, s] = value
    return _Templates(literals, kinds, times, labels, list(names))


def write_ndjson(path: str | os.PathLike[str], n_events: int, seed: int = 0, *, chunk: int = 200_000) -> Path:
    """Write the scaled events as UserALE NDJSON (see :func:`distill.datasets.write_scaled_ndjson`)."""
    plan = _plan(n_events, seed)
    tpl = _templates()
    copies = max(plan.copies, 1)
    n_names = len(tpl.names)
    label_table = pa.array(
        [_label(name, k) for k in range(copies) for name in tpl.names], type=pa.large_binary()
    )  # index k * n_names + name
    out_path = Path(path)
    with open(out_path, "wb") as fh:
        for a in range(0, plan.n, chunk):
            src = plan.src[a : a + chunk]
            copy = plan.copy[a : a + chunk]
            take = pa.array(src)
            parts: list[Any] = []
            for s in range(tpl.kinds.shape[1]):
                parts.append(tpl.literals[s].take(take))
                kind = tpl.kinds[src, s]
                times = tpl.times[src, s] + plan.offset_ms[copy]
                time_text = pa.array(times).cast(pa.large_string()).cast(pa.large_binary())
                names = label_table.take(pa.array(np.where(kind == 2, copy * n_names + tpl.labels[src, s], 0)))
                value = pc.if_else(pa.array(kind == 1), time_text, names)
                parts.append(pc.if_else(pa.array(kind == 0), pa.scalar(b"", pa.large_binary()), value))
            parts.append(tpl.literals[-1].take(take))
            joined = pc.binary_join_element_wise(*parts, pa.scalar(b"", pa.large_binary()))
            offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)
            start, stop = int(offsets[joined.offset]), int(offsets[joined.offset + len(joined)])
            fh.write(memoryview(joined.buffers()[2])[start:stop])
    return out_path
