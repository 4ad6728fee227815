"""Decode JSON records into typed columns of the source fields a schema needs.

The fast path decodes a whole block of NDJSON (or a JSON array) with one
msgspec call into structs generated from the schema, skipping every field the
schema does not use. A block that fails is redone record by record: records that
are not JSON objects are rejected with the reason; values of the wrong type are
coerced where that is lossless (``"12"`` for a number, ``42`` for a string) and
otherwise reported as field problems. Nothing is dropped without a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np

from distill.schema import Schema

__all__ = ["FieldSet", "Columns", "describe"]

# value classes of source fields
NUM, STR, STRNUM, STRLIST, JSON, BOOL = "num", "str", "strnum", "strlist", "json", "bool"

_NULL = msgspec.Raw(b"null")
_LEAF_TYPES: dict[str, Any] = {
    NUM: int | float | None,
    STR: str | None,
    STRNUM: int | float | str | None,
    STRLIST: tuple[str, ...] | None,
    JSON: msgspec.Raw,
    BOOL: bool | None,
}
_EXPECTED = {
    NUM: "a number",
    STR: "a string",
    STRNUM: "a number or a string",
    STRLIST: "a list of strings",
    JSON: "JSON",
    BOOL: "true or false",
}


def _class_of(kind: str, parser: str | None) -> str:
    if kind == "time":
        if parser == "iso8601":
            return STR
        if parser == "auto":
            return STRNUM
        return NUM
    return {
        "category": STR,
        "string": STR,
        "json": JSON,
        "string_list": STRLIST,
        "int32": NUM,
        "int64": NUM,
        "float": NUM,
        "bool": BOOL,
    }[kind]


def describe(value: Any) -> str:
    """Short description of a JSON value for error messages.

    Examples
    --------
    >>> describe("abc"), describe([1]), describe(None), describe(True)
    ("string 'abc'", 'an array', 'null', 'true')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"string {text!r}"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _mismatch(value: Any, cls: str) -> tuple[None, str]:
    """The failure answer of :func:`coerce` (built only on failure: most values coerce)."""
    return None, f"expected {_EXPECTED[cls]}, got {describe(value)}"


def json_text(text: str) -> msgspec.Raw | None:
    """Text holding a JSON object or array, as the raw JSON (outer whitespace stripped); None if it is not.

    Tabular sources (CSV, Parquet, DataFrames) carry JSON payloads such as
    ``details`` as text; other text is a plain string value.

    Examples
    --------
    >>> bytes(json_text(' {"a": 1} ')), json_text("plain"), json_text("{broken")
    (b'{"a": 1}', None, None)
    """
    stripped = text.strip()
    if stripped[:1] not in ("{", "["):
        return None
    try:
        msgspec.json.decode(stripped)
    except msgspec.DecodeError:
        return None
    return msgspec.Raw(stripped.encode())


def coerce(value: Any, cls: str) -> tuple[Any, str | None]:
    """Coerce one non-null value to a field class: ``(value, None)`` or ``(None, reason)``.

    Lossless conversions only: numeric strings to numbers, numbers and booleans
    to strings, JSON text to lists.

    Examples
    --------
    >>> coerce("12.5", "num")
    (12.5, None)
    >>> coerce({"a": 1}, "str")
    (None, 'expected a string, got an object')
    """
    if cls == JSON:
        return (value if isinstance(value, msgspec.Raw) else msgspec.Raw(msgspec.json.encode(value))), None
    if cls in (NUM, STRNUM):
        if isinstance(value, bool):
            return _mismatch(value, cls)
        if isinstance(value, (int, float)):
            return value, None
        if isinstance(value, str):
            if cls == STRNUM:
                return value, None
            try:
                number = float(value.strip())
            except ValueError:
                return _mismatch(value, cls)
            return (int(number) if number.is_integer() and "." not in value else number), None
        return _mismatch(value, cls)
    if cls == STR:
        if isinstance(value, str):
            return value, None
        if isinstance(value, bool):
            return ("true" if value else "false"), None
        if isinstance(value, (int, float)):
            return str(value), None
        return _mismatch(value, cls)
    if cls == BOOL:
        if isinstance(value, bool):
            return value, None
        if isinstance(value, int) and value in (0, 1):
            return bool(value), None
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
            return value.strip().lower() in ("true", "1"), None
        return _mismatch(value, cls)
    if cls == STRLIST:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    return coerce(msgspec.json.decode(text), cls)
                except msgspec.DecodeError:
                    return _mismatch(value, cls)
            return _mismatch(value, cls)
        if isinstance(value, np.ndarray) and value.ndim == 1:  # list columns as pandas reads them from Parquet
            value = value.tolist()
        if isinstance(value, (list, tuple)):
            out = []
            for item in value:
                if isinstance(item, str):
                    out.append(item)
                elif isinstance(item, (int, float)) and not isinstance(item, bool):
                    out.append(str(item))
                else:
                    return None, f"expected a list of strings, got an array holding {describe(item)}"
            return tuple(out), None
        return _mismatch(value, cls)
    raise AssertionError(cls)  # pragma: no cover


@dataclass
class Columns:
    """Decoded source-field values of a block of records, column-wise.

    ``values[field]`` is a list with one entry per kept record (None where the
    field is missing). ``positions`` gives each kept record's line (or element
    number), ``problems`` the field problems of kept records by record index,
    ``rejected`` the records that could not be used at all.
    """

    values: dict[str, list[Any]]
    positions: list[int]
    problems: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.positions)


class FieldSet:
    """The source fields a schema reads, with a typed decoder for them.

    Parameters
    ----------
    schema : Schema
        Which fields to read and the class of each.
    """

    def __init__(self, schema: Schema):
        classes: dict[str, str] = {}
        for role in schema.roles.values():
            cls = _class_of(role.kind, role.parser)
            for name in role.fields:
                classes[name] = cls if classes.get(name, cls) == cls else JSON
            if role.fraction:
                classes[role.fraction] = NUM if classes.get(role.fraction, NUM) == NUM else JSON
        self.classes = classes
        self.paths = {name: tuple(name.split(".")) for name in classes}
        # a field that is both a leaf and the parent of another field is read
        # raw, and its children are taken from that raw value record by record
        leaves = set(self.paths.values())
        self.nested_in_raw = {
            name: next(p for p in leaves if len(p) < len(path) and path[: len(p)] == p)
            for name, path in self.paths.items()
            if any(len(p) < len(path) and path[: len(p)] == p for p in leaves)
        }
        for parent in self.nested_in_raw.values():
            self.classes[".".join(parent)] = JSON
        tree: dict[str, Any] = {}
        for name, path in self.paths.items():
            if name in self.nested_in_raw:
                continue
            node = tree
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node.setdefault(path[-1], self.classes[name])
        self._tree = tree
        self.struct = self._make_struct(tree, "Record")
        self.decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(self.struct)
        self.array_decoder = msgspec.json.Decoder(list[self.struct])  # type: ignore[name-defined]
        self._getters = self._make_getters(tree)

    # -- struct generation ---------------------------------------------------------------
    def _make_struct(self, node: dict[str, Any], name: str) -> type:
        specs: list[tuple[str, Any, Any]] = []
        rename = {}
        for i, (key, child) in enumerate(node.items()):
            attr = f"f{i}"
            rename[attr] = key
            if isinstance(child, dict):
                # an absent object decodes to an empty struct (its fields None), so that
                # dotted getters work in C for every record; an explicit null stays None
                sub = self._make_struct(child, f"{name}_{i}")
                specs.append((attr, sub | None, msgspec.field(default_factory=sub)))
            elif child == JSON:
                specs.append((attr, msgspec.Raw, _NULL))
            else:
                specs.append((attr, _LEAF_TYPES[child], None))
        return msgspec.defstruct(name, specs, rename=rename, gc=False)

    def _make_getters(
        self, node: dict[str, Any], attrs: tuple[str, ...] = (), names: tuple[str, ...] = ()
    ) -> list[tuple[str, tuple[str, ...]]]:
        """(field name, struct attribute chain) of every leaf."""
        out = []
        for i, (key, child) in enumerate(node.items()):
            chain, path = (*attrs, f"f{i}"), (*names, key)
            if isinstance(child, dict):
                out.extend(self._make_getters(child, chain, path))
            else:
                out.append((".".join(path), chain))
        return out

    # -- decoding ------------------------------------------------------------------------
    def columns_from_structs(self, records: Sequence[Any]) -> dict[str, list[Any]]:
        """Column lists from decoded structs (the fast path)."""
        out: dict[str, list[Any]] = {}
        for name, attrs in self._getters:
            try:  # one C-level (dotted) getter: fails only where a parent object was null
                out[name] = list(map(attrgetter(".".join(attrs)), records))
                continue
            except AttributeError:
                pass
            parents = list(map(attrgetter(attrs[0]), records))
            for a in attrs[1:-1]:
                get = attrgetter(a)
                parents = [None if p is None else get(p) for p in parents]
            get = attrgetter(attrs[-1])
            out[name] = [None if p is None else get(p) for p in parents]
        return out

    def values_from_object(self, obj: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Field values of one generic decoded record, coerced, with problems (slow path)."""
        values: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for name, path in self.paths.items():
            if name in self.nested_in_raw:
                continue
            node: Any = obj
            for depth, key in enumerate(path):
                if node is None:
                    break
                if not isinstance(node, dict):
                    parent = ".".join(path[:depth])
                    problems.append((name, f"{name}: {parent!r} is {describe(node)}, expected an object"))
                    node = None
                    break
                node = node.get(key)
            if node is None:
                values[name] = _NULL if self.classes[name] == JSON else None
                continue
            value, reason = coerce(node, self.classes[name])
            if reason:
                problems.append((name, f"{name}: {reason}"))
            values[name] = value
        return values, problems

    def derive_nested(self, values: dict[str, list[Any]], problems: dict[int, list[tuple[str, str]]]) -> None:
        """Fill fields nested inside a field that is itself read raw."""
        for name, parent in self.nested_in_raw.items():
            raws = values[".".join(parent)]
            rest = self.paths[name][len(parent) :]
            col: list[Any] = []
            for i, raw in enumerate(raws):
                node: Any = None
                if raw is not None:
                    try:
                        node = msgspec.json.decode(raw)
                    except msgspec.DecodeError:  # pragma: no cover - raw is valid JSON
                        node = None
                for key in rest:
                    node = node.get(key) if isinstance(node, dict) else None
                if node is None:
                    col.append(None)
                    continue
                value, reason = coerce(node, self.classes[name])
                if reason:
                    problems.setdefault(i, []).append((name, f"{name}: {reason}"))
                col.append(value)
            values[name] = col

    def decode_lines(self, block: bytes, first_line: int) -> Columns:
        """Decode a block of NDJSON whose first line has number ``first_line``."""
        try:
            records = self.decoder.decode_lines(block)
        except (msgspec.DecodeError, msgspec.ValidationError):
            records = None
        if records is not None:
            n_lines = block.count(b"\n") + (0 if block.endswith(b"\n") or not block else 1)
            if len(records) == n_lines:
                values = self.columns_from_structs(records)
                cols = Columns(values, list(range(first_line, first_line + n_lines)))
                self.derive_nested(cols.values, cols.problems)
                return cols
        return self._decode_each(((first_line + i, line) for i, line in enumerate(block.split(b"\n"))), skip_blank=True)

    def decode_items(self, items: Iterable[tuple[int, bytes]]) -> Columns:
        """Decode records given as ``(position, json bytes)`` one by one."""
        return self._decode_each(items, skip_blank=False)

    def _decode_each(self, items: Iterable[tuple[int, bytes]], *, skip_blank: bool) -> Columns:
        records: list[Any] = []
        positions: list[int] = []
        slow: dict[int, tuple[dict[str, Any], list[tuple[str, str]]]] = {}
        rejected: list[tuple[int, str]] = []
        decode = self.decoder.decode
        for pos, line in items:
            if skip_blank and not line.strip():
                continue
            try:
                records.append(decode(line))
                positions.append(pos)
                continue
            except msgspec.ValidationError:
                pass
            except msgspec.DecodeError as err:
                rejected.append((pos, _decode_reason(err)))
                continue
            try:
                obj = msgspec.json.decode(line)
            except msgspec.DecodeError as err:  # pragma: no cover - the typed decode saw it first
                rejected.append((pos, _decode_reason(err)))
                continue
            if not isinstance(obj, dict):
                rejected.append((pos, f"expected a JSON object, got {describe(obj)}"))
                continue
            slow[len(records)] = self.values_from_object(obj)
            records.append(None)
            positions.append(pos)
        fast = [r for r in records if r is not None]
        fast_values = self.columns_from_structs(fast)
        if not slow:
            values = fast_values
            problems: dict[int, list[tuple[str, str]]] = {}
        else:
            values = {name: [] for name in fast_values}
            problems = {}
            it = {name: iter(col) for name, col in fast_values.items()}
            for i, rec in enumerate(records):
                if rec is None:
                    got, probs = slow[i]
                    for name in values:
                        values[name].append(got.get(name))
                    if probs:
                        problems[i] = probs
                else:
                    for name in values:
                        values[name].append(next(it[name]))
        cols = Columns(values, positions, problems, rejected)
        self.derive_nested(cols.values, cols.problems)
        return cols


def _decode_reason(err: Exception) -> str:
    text = str(err)
    if "UTF-8" in text:
        return "not valid UTF-8"
    if text.startswith("Input data was truncated"):
        return "malformed JSON: the record is cut off"
    return text.replace("JSON is malformed", "malformed JSON")
