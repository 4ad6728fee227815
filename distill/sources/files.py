"""Read event files: JSON arrays, NDJSON, gzip of either, CSV/TSV and Parquet.

Files are only ever opened for reading. NDJSON is streamed in blocks, so a
file larger than memory's comfort still reads in bounded steps; JSON arrays,
CSV and Parquet are read whole.

Every record ends up in the frame or in the :class:`~distill.report.ReadReport`
(``df.distill.report``) with its reason and line; see :func:`~distill.sources.files.read_files`.

Examples
--------
>>> from distill.sources.files import read_files
>>> from distill.datasets import sample_path
>>> events = read_files(sample_path())
>>> len(events), events["user"].nunique(), events["session"].nunique()
(4863, 8, 21)
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import sys
import warnings
import zlib
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd

from distill.errors import InputError
from distill.frame import empty
from distill.report import Issue, ReadReport, attach
from distill.schema import Schema, get_schema
from distill.sources import _build
from distill.sources._decode import (
    BOOL,
    JSON,
    NUM,
    STR,
    STRLIST,
    STRNUM,
    Columns,
    FieldSet,
    coerce,
    describe,
    json_text,
)
from distill.sources._typed import typed_block

__all__ = ["FORMATS", "read_files", "resolve_paths", "from_frame", "original_records"]

#: Formats :func:`~distill.sources.files.read_files` understands (``format=`` overrides detection).
FORMATS = ("ndjson", "json", "csv", "tsv", "parquet")
_SUFFIXES = {
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".ldjson": "ndjson",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_BLOCK = 16 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
#: Plain NDJSON files at least this large are decoded by worker processes (see _BlockWork).
_PARALLEL_BYTES = 64 * 1024 * 1024

Progress = Callable[[int, int, str], None]


@dataclass
class _Input:
    path: Path
    label: str


def resolve_paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files, directories (recursively, known suffixes) and glob patterns.

    Parameters
    ----------
    paths : path, glob pattern, or iterable of them
        Files; directories (searched recursively for files with a known
        suffix); glob patterns (``**`` recurses).

    Returns
    -------
    list of Path
        Existing files, in the order given (sorted within a directory or glob),
        each once.

    Raises
    ------
    InputError
        A path that does not exist or a pattern that matches nothing.

    Examples
    --------
    >>> from distill.datasets import sample_path
    >>> resolve_paths(sample_path())[0].name
    'shopdemo-4863.ndjson.gz'
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for item in paths:
        text = os.fspath(item)
        p = Path(text)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and _format_from_suffix(f) is not None)
            if not found:
                raise InputError(f"directory holds no event files ({', '.join(sorted(_SUFFIXES))}[.gz])", source=text)
            out.extend(found)
        elif any(ch in text for ch in "*?["):
            found = sorted(Path(f) for f in glob.glob(text, recursive=True) if Path(f).is_file())
            if not found:
                raise InputError("no files match this pattern", source=text)
            out.extend(found)
        elif p.is_file():
            out.append(p)
        elif p.exists():
            raise InputError("not a regular file", source=text)
        else:
            raise InputError("no such file or directory", source=text)
    seen: set[Path] = set()
    unique = []
    for f in out:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def _labels(files: list[Path]) -> list[str]:
    if len(files) == 1:
        return [files[0].name]
    resolved = [f.resolve() for f in files]
    root = Path(os.path.commonpath([str(r.parent) for r in resolved]))
    return [r.relative_to(root).as_posix() for r in resolved]


def _format_from_suffix(path: Path) -> str | None:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return _SUFFIXES.get(suffixes[-1]) if suffixes else None


# -- bytes --------------------------------------------------------------------------
def _byte_blocks(path: Path, label: str, issues: list[Issue], block: int) -> Iterator[bytes]:
    """The file's bytes in blocks, gunzipped if gzip; salvages truncated gzip."""
    with open(path, "rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        if head != b"\x1f\x8b":
            while chunk := fh.read(block):
                yield chunk
            return
        dec = zlib.decompressobj(wbits=31)
        produced = 0
        while chunk := fh.read(block):
            while chunk:
                try:
                    out = dec.decompress(chunk)
                except zlib.error as err:
                    issues.append(
                        Issue(
                            "file",
                            f"corrupt gzip data after {produced} decompressed bytes ({err}); "
                            "the rest of the file could not be read",
                            label,
                        )
                    )
                    return
                produced += len(out)
                if out:
                    yield out
                chunk = dec.unused_data if dec.eof else b""
                if chunk:  # another gzip member follows
                    dec = zlib.decompressobj(wbits=31)
        if not dec.eof:
            issues.append(
                Issue(
                    "file",
                    f"truncated gzip: the stream ends early after {produced} decompressed "
                    "bytes; records cut off at the end are reported as malformed",
                    label,
                )
            )


def _read_all(path: Path, label: str, issues: list[Issue]) -> bytes:
    data = b"".join(_byte_blocks(path, label, issues, _BLOCK))
    return data[3:] if data.startswith(_BOM) else data


# -- JSON ---------------------------------------------------------------------------
def _ndjson_blocks(blocks: Iterator[bytes]) -> Iterator[tuple[bytes, int]]:
    """Whole-line blocks of NDJSON with the number of their first line."""
    pending = b""
    line = 1
    first = True
    for chunk in blocks:
        if first:
            first = False
            if chunk.startswith(_BOM):
                chunk = chunk[3:]
        buf = pending + chunk if pending else chunk
        cut = buf.rfind(b"\n")
        if cut < 0:
            pending = buf
            continue
        body, pending = buf[: cut + 1], buf[cut + 1 :]
        yield body, line
        line += body.count(b"\n")
    if pending:
        yield pending, line


def _line_starts(data: bytes, raws: list[bytes], wanted: set[int]) -> dict[int, int]:
    """1-based line where each wanted record (1-based) of a JSON array starts."""
    out: dict[int, int] = {}
    pos = 0
    line = 1
    last = 0
    top = max(wanted) if wanted else 0
    for k, raw in enumerate(raws, start=1):
        if k > top:
            break
        at = data.find(raw, pos)
        if at < 0:  # pragma: no cover - raw is a slice of data
            continue
        if k in wanted:
            line += data.count(b"\n", last, at)
            last = at
            out[k] = line
        pos = at + len(raw)
    return out


def _salvage_array(data: bytes, label: str, fields: FieldSet, issues: list[Issue]) -> Columns:
    """Read a broken JSON array element by element, as far as its syntax allows."""
    text = data.decode("utf-8", "surrogateescape")
    decoder = json.JSONDecoder()
    items: list[tuple[int, bytes]] = []
    bad_utf8: list[tuple[int, int]] = []
    i = text.index("[") + 1
    k = 0
    n = len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i < n and text[i] == "]":
            break
        k += 1
        try:
            _, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as err:
            issues.append(
                Issue(
                    "file",
                    f"malformed JSON at line {err.lineno} column {err.colno} ({err.msg}); "
                    f"records from #{k} on could not be read",
                    label,
                    err.lineno,
                )
            )
            break
        piece = text[i:end]
        line = text.count("\n", 0, i) + 1
        try:
            items.append((k, piece.encode("utf-8")))
        except UnicodeEncodeError:
            bad_utf8.append((k, line))
        i = end
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i < n and text[i] == ",":
            i += 1
        elif i < n and text[i] == "]":
            break
        else:
            issues.append(
                Issue(
                    "file", f"malformed JSON after record #{k}: expected ',' or ']'", label, text.count("\n", 0, i) + 1
                )
            )
            break
    cols = fields.decode_items(items)
    cols.rejected.extend((k, "not valid UTF-8") for k, _ in bad_utf8)
    return cols


def _json_columns(data: bytes, label: str, fields: FieldSet, issues: list[Issue]) -> tuple[Columns | None, bool, bytes]:
    """Decode a .json file: array, single object, or NDJSON in disguise.

    Returns (columns, by_record, data) or (None, ...) when the file is NDJSON.
    """
    body = data.lstrip()
    if not body:
        issues.append(Issue("file", "empty file", label))
        return Columns({k: [] for k in fields.paths}, []), True, data
    if body[:1] == b"[":
        try:
            records = fields.array_decoder.decode(data)
            values = fields.columns_from_structs(records)
            cols = Columns(values, list(range(1, len(records) + 1)))
            fields.derive_nested(cols.values, cols.problems)
            return cols, True, data
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass
        try:
            raws = msgspec.json.decode(data, type=list[msgspec.Raw])
        except msgspec.DecodeError:
            return _salvage_array(data, label, fields, issues), True, data
        except msgspec.ValidationError:
            issues.append(
                Issue("file", f"expected a JSON array or object, got {describe(msgspec.json.decode(data))}", label)
            )
            return Columns({k: [] for k in fields.paths}, []), True, data
        return fields.decode_items((k, bytes(r)) for k, r in enumerate(raws, start=1)), True, data
    if body[:1] == b"{":
        first = body.split(b"\n", 1)[0]
        try:
            msgspec.json.decode(first)
            one_line_object = True
        except msgspec.DecodeError:
            one_line_object = False
        if one_line_object and body.strip().count(b"\n") > 0:
            return None, False, data  # NDJSON
        return fields.decode_items([(1, data)]), True, data
    issues.append(Issue("file", f"not JSON: the file starts with {body[:20]!r}", label))
    return Columns({k: [] for k in fields.paths}, []), True, data


# -- tables (CSV, Parquet, DataFrames) ---------------------------------------------------
#: Python types a tabular value may already have for each field class (exact types: a bool is no number here).
_READY_TYPES: dict[str, tuple[type, ...]] = {STR: (str,), STRNUM: (str, int, float), NUM: (int, float), BOOL: (bool,)}


def _tabular_columns(
    table: dict[str, list[Any]], n: int, fields: FieldSet, positions: list[int], clean: Collection[str] = ()
) -> Columns:
    """Columns from already tabular values: coerce each value to its field class.

    Columns named in ``clean`` hold only None and values of their class already
    (known from their Arrow type) and are taken as they are.
    """
    values: dict[str, list[Any]] = {}
    problems: dict[int, list[tuple[str, str]]] = {}
    for name, cls in fields.classes.items():
        col = table.get(name)
        if col is None:
            values[name] = [None] * n
            continue
        if name in clean:
            values[name] = [None if v is None else tuple(v) for v in col] if cls == STRLIST else col
            continue
        out: list[Any] = []
        ready = _READY_TYPES.get(cls, ())
        for i, v in enumerate(col):
            if v is None or (isinstance(v, float) and v != v):
                out.append(None)
                continue
            if type(v) in ready:  # already of the field's class: nothing to coerce
                out.append(v)
                continue
            if cls == JSON and isinstance(v, str) and (raw := json_text(v)) is not None:
                out.append(raw)
                continue
            got, reason = coerce(v, cls)
            if reason:
                problems.setdefault(i, []).append((name, f"{name}: {reason}"))
            out.append(got)
        values[name] = out
    for name in fields.nested_in_raw:
        values.setdefault(name, [None] * n)
    cols = Columns(values, positions, problems)
    fields.derive_nested(cols.values, cols.problems)
    return cols


def _csv_columns(data: bytes, label: str, fields: FieldSet, issues: list[Issue], delimiter: str) -> Columns:
    text = data.decode("utf-8", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        issues.append(Issue("file", "empty file", label))
        return Columns({k: [] for k in fields.paths}, [])
    except csv.Error as err:
        issues.append(Issue("file", f"unreadable CSV header: {err}", label, 1))
        return Columns({k: [] for k in fields.paths}, [])
    wanted = {name: header.index(name) for name in fields.classes if name in header}
    if not wanted:
        issues.append(
            Issue("file", f"none of the schema's fields is a column here; columns: {', '.join(header[:20])}", label, 1)
        )
    table: dict[str, list[Any]] = {name: [] for name in wanted}
    positions: list[int] = []
    rejected: list[tuple[int, str]] = []
    width = len(header)
    line = reader.line_num
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            rejected.append((start, f"malformed CSV: {err}"))
            continue
        line = start
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            rejected.append((line, f"expected {width} columns, got {len(row)}"))
            continue
        if any(_has_surrogate(v) for v in row):
            rejected.append((line, "not valid UTF-8"))
            continue
        positions.append(line)
        for name, idx in wanted.items():
            v = row[idx]
            table[name].append(v if v != "" else None)
    cols = _tabular_columns(table, len(positions), fields, positions)
    cols.rejected.extend(rejected)
    return cols


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def _arrow_columns(table: Any, fields: FieldSet, schema: Schema, clean: set[str] | None = None) -> dict[str, list[Any]]:
    """Python values of the wanted fields of a pyarrow Table (nested structs flattened).

    Names of columns whose Arrow type already gives values of their field's
    class (text for text fields, numbers without NaN for number fields, ...)
    are added to ``clean``: their values need no coercion.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    units = {}
    for role in schema.roles.values():
        if role.kind == "time":
            for f in role.fields:
                units[f] = role.parser
    out: dict[str, list[Any]] = {}
    for name in fields.classes:
        if name not in table.column_names:
            continue
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
            unit = units.get(name) or "auto"
            if unit == "iso8601":
                col = pc.strftime(col.cast(pa.timestamp("ns", tz="UTC")), format="%Y-%m-%dT%H:%M:%S.%fZ")
            else:
                ns = col.cast(pa.timestamp("ns")).cast(pa.int64())
                scale = {"epoch_s": 1e9, "epoch_ms": 1e6, "epoch_us": 1e3}.get(unit)
                col = pc.divide(ns.cast(pa.float64()), scale) if scale else ns
        if clean is not None and _arrow_is_clean(col, fields.classes[name]):
            clean.add(name)
        out[name] = col.to_pylist()
    return out


def _arrow_is_clean(col: Any, cls: str) -> bool:
    """Whether every non-null value of an Arrow column is already of field class ``cls``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return cls in (STR, STRNUM)
    if pa.types.is_integer(t):
        return cls in (NUM, STRNUM)
    if pa.types.is_floating(t):
        return cls in (NUM, STRNUM) and not pc.any(pc.is_nan(col)).as_py()
    if pa.types.is_boolean(t):
        return cls == BOOL
    if (pa.types.is_list(t) or pa.types.is_large_list(t)) and (
        pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)
    ):
        return cls == STRLIST  # lists of text: taken as tuples
    return False


def _table_columns(table: Any, fields: FieldSet, schema: Schema) -> Columns:
    n = table.num_rows
    clean: set[str] = set()
    values = _arrow_columns(table, fields, schema, clean)
    return _tabular_columns(values, n, fields, list(range(1, n + 1)), clean)


# -- NDJSON blocks, here or in worker processes ----------------------------------------
def _workers_for(path: Path, workers: int | None) -> int:
    """How many processes should decode this file's blocks (1: this process)."""
    if workers is not None:
        return workers
    if not sys.platform.startswith("linux"):  # fork is the cheap and safe start here only
        return 1
    try:
        with open(path, "rb") as fh:
            gzipped = fh.read(2) == b"\x1f\x8b"
        size = path.stat().st_size
    except OSError:
        return 1
    if gzipped or size < _PARALLEL_BYTES:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores)


_CONTEXT: tuple[Schema, FieldSet, str] | None = None


def _set_context(schema: Schema, fields: FieldSet, label: str) -> None:
    global _CONTEXT
    _CONTEXT = (schema, fields, label)


def _block_in_worker(body: bytes, first_line: int) -> tuple[Any, list[Issue], int]:
    assert _CONTEXT is not None
    schema, fields, label = _CONTEXT
    frame, found, count = _decode_block(schema, fields, label, body, first_line)
    return _pack_paths(frame), found, count


def _decode_block(
    schema: Schema, fields: FieldSet, label: str, body: bytes, first_line: int
) -> tuple[pd.DataFrame, list[Issue], int]:
    """Decode and build one NDJSON block: (rows, issues, records read)."""
    cols = fields.decode_lines(body, first_line)
    frame, found = _build.build_block(cols, schema, label, by_record=False)
    return frame, found, len(cols) + len(cols.rejected)


def _pack_paths(frame: pd.DataFrame) -> tuple[pd.DataFrame, Any, list[Any]]:
    """Path tuples as codes and distinct tuples, so that the reader can share them across blocks."""
    col = frame["path"].to_numpy()
    # the block's tuples are already shared: one code per distinct object
    codes, distinct = pd.factorize(np.fromiter(map(id, col), dtype=np.int64, count=len(col)))
    first = np.zeros(len(distinct), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return frame.assign(path=None), codes.astype(np.int32), col[first].tolist()


def _unpack_paths(packed: tuple[pd.DataFrame, Any, list[Any]], seen: dict[Any, Any]) -> pd.DataFrame:
    frame, codes, uniques = packed
    shared = np.empty(len(uniques), dtype=object)
    shared[:] = [seen.setdefault(p, p) for p in uniques]
    path = np.empty(len(codes), dtype=object)
    path[:] = shared[codes] if len(codes) else []
    frame["path"] = path
    return frame


class _BlockWork:
    """Decode and build a file's NDJSON blocks in order, in worker processes when ``workers > 1``.

    Blocks are read and cut into whole lines here; each is decoded and built
    into rows (the expensive part, Python objects per record) by a forked
    worker, which sends back the block's rows; rows, issues and progress are
    taken in block order, so the result, the report and its order are those of
    reading here. At most two blocks per worker are in flight, so memory stays
    bounded. Paths come back as codes plus distinct tuples and are shared
    across blocks (the frame keeps one tuple object per distinct path, however
    many blocks and processes read it).
    """

    def __init__(self, schema: Schema, fields: FieldSet, label: str, workers: int):
        self.schema, self.fields, self.label, self.workers = schema, fields, label, workers
        self.pool: ProcessPoolExecutor | None = None
        if workers > 1:
            import multiprocessing

            self.pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_set_context,
                initargs=(schema, fields, label),
            )
        self.seen: dict[Any, Any] = {}

    def _submit(self, body: bytes, first_line: int) -> Future[Any]:
        if self.pool is None:
            done: Future[Any] = Future()
            try:
                frame, found, count = _decode_block(self.schema, self.fields, self.label, body, first_line)
                done.set_result((_pack_paths(frame), found, count))
            except Exception as err:  # raised again, in order, when the result is taken
                done.set_exception(err)
            return done
        with warnings.catch_warnings():  # Python 3.12+ warns on any fork of a threaded process
            warnings.simplefilter("ignore", DeprecationWarning)
            return self.pool.submit(_block_in_worker, body, first_line)

    def read(
        self,
        path: Path,
        block: int,
        issues: list[Issue],
        frames: list[pd.DataFrame],
        progress: Progress | None,
        total: int,
        done: int,
    ) -> int:
        """Read ``path``; append rows to ``frames`` and issues to ``issues``; return records read."""
        count = 0
        size = 0
        empty = True
        file_issues: list[Issue] = []  # met while reading bytes; kept in order with block issues
        queue: deque[tuple[str, Any, int]] = deque()

        def take(limit: int) -> None:
            nonlocal count
            while queue and (len(queue) > limit or queue[0][0] == "issues" or queue[0][1].done()):
                kind, item, upto = queue.popleft()
                if kind == "issues":
                    issues.extend(item)
                    continue
                got, found, n = item.result()
                frames.append(_unpack_paths(got, self.seen))
                issues.extend(found)
                count += n
                if progress:
                    progress(min(done + upto, total), total, str(path))

        for body, first_line in _ndjson_blocks(_byte_blocks(path, self.label, file_issues, block)):
            if file_issues:
                queue.append(("issues", list(file_issues), 0))
                file_issues.clear()
            empty = empty and not body.strip()
            size += len(body)
            queue.append(("block", self._submit(body, first_line), size))
            take(2 * self.workers)
        if file_issues:
            queue.append(("issues", list(file_issues), 0))
        take(0)
        if empty and not any(i.kind == "file" for i in issues):
            issues.append(Issue("file", "empty file", self.label))
        return count

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


# -- the reader ---------------------------------------------------------------------
def _detect(path: Path, label: str, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", source=label)
        return fmt
    found = _format_from_suffix(path)
    if found:
        return found
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        return "parquet"
    if head[:2] == b"\x1f\x8b":
        return "json"
    stripped = head.lstrip()
    if stripped[:1] in (b"[", b"{") or not head:
        return "json"
    raise InputError(
        f"cannot tell the format from the name or the content; pass format= one of {', '.join(FORMATS)}",
        source=label,
    )


def _read_one(
    item: _Input,
    fmt: str,
    schema: Schema,
    fields: FieldSet,
    block: int,
    progress: Progress | None,
    total: int,
    done: int,
    workers: int | None = None,
) -> tuple[list[pd.DataFrame], list[Issue], int]:
    frames: list[pd.DataFrame] = []
    issues: list[Issue] = []
    count = 0
    label = item.label

    def add(cols: Columns, by_record: bool) -> None:
        nonlocal count
        count += len(cols) + len(cols.rejected)
        frame, found = _build.build_block(cols, schema, label, by_record=by_record)
        frames.append(frame)
        issues.extend(found)

    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(item.path)
        except Exception as err:  # pyarrow raises several types for bad files
            issues.append(Issue("file", f"unreadable Parquet file: {err}", label))
            return frames, issues, count
        typed = typed_block(table, schema, label)  # a saved event frame: no value-by-value work
        if typed is not None:
            frames.append(typed)
            return frames, issues, table.num_rows
        add(_table_columns(table, fields, schema), True)
        return frames, issues, count
    if fmt == "ndjson":
        work = _BlockWork(schema, fields, label, _workers_for(item.path, workers))
        try:
            count = work.read(item.path, block, issues, frames, progress, total, done)
        except BrokenProcessPool:  # a worker died (out of memory, killed): redo it here
            frames.clear()
            del issues[:]
            work = _BlockWork(schema, fields, label, 1)
            count = work.read(item.path, block, issues, frames, progress, total, done)
        finally:
            work.close()
        return frames, issues, count
    data = _read_all(item.path, label, issues)
    if fmt in ("csv", "tsv"):
        add(_csv_columns(data, label, fields, issues, "," if fmt == "csv" else "\t"), False)
        return frames, issues, count
    cols, by_record, data = _json_columns(data, label, fields, issues)
    if cols is None:  # NDJSON content in a .json file
        for body, first_line in _ndjson_blocks(iter([data])):
            add(fields.decode_lines(body, first_line), False)
        return frames, issues, count
    add(cols, by_record)
    # JSON arrays: give record issues the line where the record starts
    wanted = {i.record for i in issues if i.record is not None and i.line is None}
    if wanted and data.lstrip()[:1] == b"[":
        try:
            raws = [bytes(r) for r in msgspec.json.decode(data, type=list[msgspec.Raw])]
        except (msgspec.DecodeError, msgspec.ValidationError):
            raws = []
        lines = _line_starts(data, raws, wanted)  # type: ignore[arg-type]
        issues = [
            Issue(i.kind, i.reason, i.source, lines.get(i.record), i.role, i.record) if i.record in lines else i
            for i in issues
        ]
    return frames, issues, count


def read_files(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    schema: str | Schema | dict[str, Any] = "userale",
    *,
    format: str | None = None,
    errors: str = "report",
    progress: Progress | None = None,
    block_size: int = _BLOCK,
    workers: int | None = None,
) -> pd.DataFrame:
    """Read event files into the canonical event frame.

    Parameters
    ----------
    paths : path, directory, glob pattern, or iterable of them
        JSON arrays, single JSON objects, NDJSON (``.ndjson``/``.jsonl``), CSV,
        TSV and Parquet; any of the text formats may be gzipped. Directories are
        searched recursively for known suffixes.
    schema : str, Schema or mapping
        How records map to roles; default ``"userale"``.
    format : str, optional
        Force a format (one of ``FORMATS``) instead of detecting it.
    errors : {"report", "raise"}
        ``report`` (default): keep going, list every rejected record in the
        frame's report and emit one :class:`~distill.errors.DistillDataWarning`.
        ``raise``: raise :class:`~distill.errors.InputError` at the first
        problem, naming file and line.
    progress : callable, optional
        Called as ``progress(bytes_done, bytes_total, path)`` while reading.
    block_size : int
        Bytes per NDJSON block (memory/speed trade-off).
    workers : int, optional
        Processes that decode NDJSON blocks side by side. Default: one per
        available core, for uncompressed NDJSON files of 64 MB or more on
        Linux; otherwise this process alone. ``1`` never starts a process.
        The result is the same either way.

    Returns
    -------
    pandas.DataFrame
        The canonical event frame, sorted by ``(time, event_id)``, with the
        :class:`~distill.report.ReadReport` in ``attrs``.

    Raises
    ------
    InputError
        Missing paths; with ``errors="raise"``, the first bad record.

    Examples
    --------
    >>> from distill.datasets import sample_path
    >>> events = read_files(sample_path())
    >>> events.distill.report.rejected
    0
    """
    if errors not in ("report", "raise"):
        raise ValueError(f"errors must be 'report' or 'raise', not {errors!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer, not {workers!r}")
    schema = get_schema(schema)
    fields = FieldSet(schema)
    files = resolve_paths(paths)
    inputs = [_Input(p, label) for p, label in zip(files, _labels(files))]
    total = sum(p.stat().st_size for p in files)
    frames: list[pd.DataFrame] = []
    issues: list[Issue] = []
    read = 0
    done = 0
    for item in inputs:
        try:
            fmt = _detect(item.path, item.label, format)
            got, found, count = _read_one(item, fmt, schema, fields, block_size, progress, total, done, workers)
        except InputError:
            raise
        except OSError as err:
            raise InputError(f"cannot read file: {err.strerror or err}", source=str(item.path)) from None
        if errors == "raise" and found:
            first = min(found, key=lambda i: (i.kind != "file", i.line or 0, i.record or 0))
            raise InputError(
                f"{first.reason}" + (f" (record #{first.record})" if first.record else ""),
                source=str(item.path),
                line=first.line,
            )
        frames.extend(got)
        issues.extend(found)
        read += count
        done += item.path.stat().st_size
        if progress:
            progress(done, total, str(item.path))
    frame = _build.finish(_build.concat_blocks(frames)) if frames else empty(schema.extra_roles)
    report = ReadReport(
        read=read,
        accepted=len(frame),
        issues=tuple(issues),
        sources=tuple(i.label for i in inputs),
        paths=tuple(str(i.path) for i in inputs),
    )
    attach(frame, report)
    report.warn()
    return frame


def from_frame(
    df: pd.DataFrame, schema: str | Schema | dict[str, Any], *, source: str = "frame", errors: str = "report"
) -> pd.DataFrame:
    """Build the canonical event frame from any DataFrame through a schema.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per event; the schema's fields are its column names (nested
        fields as dotted column names).
    schema : str, Schema or mapping
        How columns map to roles.
    source : str
        Value of the ``source`` column and prefix of generated event ids.
    errors : {"report", "raise"}
        As in :func:`~distill.sources.files.read_files`.

    Returns
    -------
    pandas.DataFrame
        The canonical event frame; ``df`` is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"timestamp": ["2026-01-01T10:00:00Z", "2026-01-01T10:00:05Z"],
    ...                     "user_id": ["ann", "ann"], "event": ["view", "click"]})
    >>> events = from_frame(raw, "clickstream")
    >>> events[["event_id", "user", "type"]].values.tolist()
    [['frame#1', 'ann', 'view'], ['frame#2', 'ann', 'click']]
    """
    import pyarrow as pa

    schema = get_schema(schema)
    fields = FieldSet(schema)
    table: dict[str, list[Any]] = {}
    clean: set[str] = set()
    for name in fields.classes:
        if name not in df.columns:
            continue
        col = df[name]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            table[name] = _arrow_columns(pa.table({name: pa.array(col)}), fields, schema, clean)[name]
            continue
        if col.dtype == object:  # Python objects as they are (arrow would merge dict keys into structs)
            table[name] = col.tolist()
            continue
        try:
            arr = pa.array(col, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            table[name] = col.tolist()
            continue
        if pa.types.is_dictionary(arr.type):
            arr = arr.cast(arr.type.value_type)
        if _arrow_is_clean(arr, fields.classes[name]):
            clean.add(name)
        table[name] = arr.to_pylist()
    n = len(df)
    cols = _tabular_columns(table, n, fields, list(range(1, n + 1)), clean)
    frame, issues = _build.build_block(cols, schema, source, by_record=True)
    if errors == "raise" and issues:
        first = issues[0]
        raise InputError(first.reason + (f" (row {first.record})" if first.record else ""), source=source)
    frame = _build.finish(frame)
    report = ReadReport(read=n, accepted=len(frame), issues=tuple(issues), sources=(source,), paths=("",))
    attach(frame, report)
    report.warn()
    return frame


def _records_at(path: Path, label: str, numbers: set[int]) -> dict[int, Any]:
    """Records by line (NDJSON, CSV) or position (JSON array, single object, Parquet row) from a file."""
    fmt = _format_from_suffix(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return {n: table.slice(n - 1, 1).to_pylist()[0] for n in numbers}
    data = _read_all(path, label, [])
    if fmt in ("csv", "tsv"):
        reader = csv.reader(
            io.StringIO(data.decode("utf-8", "replace"), newline=""), delimiter="," if fmt == "csv" else "\t"
        )
        header = next(reader)
        found: dict[int, Any] = {}
        start = reader.line_num + 1
        for row in reader:
            if start in numbers:
                found[start] = dict(zip(header, row))
            start = reader.line_num + 1
        return found
    head = data.lstrip()[:1]
    if head == b"[":
        items = msgspec.json.decode(data)
        return {n: items[n - 1] for n in numbers}
    if head == b"{" and _format_from_suffix(path) != "ndjson" and data.strip().count(b"\n") == 0:
        return {n: msgspec.json.decode(data) for n in numbers}
    lines = data.split(b"\n")
    return {n: msgspec.json.decode(lines[n - 1]) for n in numbers}


def original_records(events: pd.DataFrame, event_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The original source records of some events, re-read from their files.

    Only fields the schema maps are columns of the frame; everything else a
    record held (``scrnRes``, ``attributes``, ``style``, custom fields, ...)
    stays reachable here by event id.

    Parameters
    ----------
    events : pandas.DataFrame
        A frame read by :func:`~distill.sources.files.read_files` (its report knows the files).
    event_ids : iterable of str
        Ids generated by the file reader (``label:line`` or ``label#record``);
        ids a schema took from the records themselves cannot be located.

    Returns
    -------
    list of dict
        The records, in the order of ``event_ids``.

    Examples
    --------
    >>> from distill.datasets import sample_path
    >>> events = read_files(sample_path())
    >>> original_records(events, ["shopdemo-4863.ndjson.gz:1"])[0]["scrnRes"]
    {'width': 1920, 'height': 1080}
    """
    from distill.report import report_of

    rep = report_of(events)
    if rep is None or not rep.paths:
        raise InputError("this frame does not say which files it was read from")
    where = dict(zip(rep.sources, rep.paths))
    wanted: dict[str, dict[int, list[int]]] = {}
    ids = list(event_ids)
    for k, eid in enumerate(ids):
        label, pos = max(((eid.rpartition(s)[0], eid.rpartition(s)[2]) for s in (":", "#")), key=lambda t: len(t[0]))
        if label not in where or not pos.isdigit():
            raise InputError(f"event id {eid!r} does not name a record of this frame's files")
        wanted.setdefault(label, {}).setdefault(int(pos), []).append(k)
    out: list[Any] = [None] * len(ids)
    for label, spots in wanted.items():
        found = _records_at(Path(where[label]), label, set(spots))
        for number, ks in spots.items():
            for k in ks:
                out[k] = found[number]
    return out
