"""Compile :class:`~distill.query.Query` trees to the Elasticsearch/OpenSearch query DSL.

A query on the event frame names *roles* (``user``, ``time``, ``session``);
the server holds *source fields* (``userId``, ``clientTime``, ``sessionId`` or
``sessionID``). A role with several fields takes the first one present, so a
condition on it becomes a ``bool``/``should`` over the fields, each guarded by
the absence of the fields before it.

Not every condition has an exact equivalent on the server (Python regular
expressions, sub-millisecond times, text fields without a keyword sub-field,
``ignore_above`` on keyword sub-fields). So each query compiles to two DSL
queries: ``upper`` matches at least every document the query matches on the
frame, ``lower`` at most those. Where the compilation is exact the two are the
same. The reader asks the server for ``upper`` and applies the query exactly to
the frame it builds; counts pushed down to the server are computed on
``lower`` and completed by reading the few documents of ``upper`` not in
``lower``. Either way the answer equals the local computation.

Examples
--------
>>> from distill.query import Q
>>> from distill.schema import get_schema
>>> fm = FieldMap.from_caps({"type": {"keyword": {"type": "keyword", "aggregatable": True}}})
>>> c = compile_query(Q.type == "click", get_schema("userale"), fm)
>>> c.upper
{'term': {'type': 'click'}}
>>> c.exact
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from distill.query import Query, QueryError
from distill.schema import Role, Schema

__all__ = [
    "MATCH_ALL",
    "MATCH_NONE",
    "FieldInfo",
    "FieldMap",
    "Compiled",
    "compile_query",
    "exists",
    "and_",
    "or_",
    "not_",
    "lucene_regexp",
]

MATCH_ALL: dict[str, Any] = {"match_all": {}}
MATCH_NONE: dict[str, Any] = {"match_none": {}}

_KEYWORD = {"keyword", "constant_keyword", "wildcard"}
_NUMBER = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"}
_DATE = {"date", "date_nanos"}
_NS = {"epoch_s": 1_000_000_000, "epoch_ms": 1_000_000, "epoch_us": 1_000, "epoch_ns": 1}
_MS = 1_000_000


# -- boolean algebra on DSL, simplifying constants ----------------------------------------------
def and_(*parts: dict[str, Any]) -> dict[str, Any]:
    """All of ``parts`` (``match_all`` when none)."""
    kept: list[dict[str, Any]] = []
    for p in parts:
        if p == MATCH_NONE:
            return MATCH_NONE
        if p == MATCH_ALL:
            continue
        if set(p) == {"bool"} and set(p["bool"]) == {"filter"}:
            kept.extend(p["bool"]["filter"])
        else:
            kept.append(p)
    if not kept:
        return MATCH_ALL
    if len(kept) == 1:
        return kept[0]
    return {"bool": {"filter": kept}}


def or_(*parts: dict[str, Any]) -> dict[str, Any]:
    """Any of ``parts`` (``match_none`` when none)."""
    kept: list[dict[str, Any]] = []
    for p in parts:
        if p == MATCH_ALL:
            return MATCH_ALL
        if p == MATCH_NONE:
            continue
        if set(p) == {"bool"} and set(p["bool"]) == {"should", "minimum_should_match"}:
            kept.extend(p["bool"]["should"])
        else:
            kept.append(p)
    if not kept:
        return MATCH_NONE
    if len(kept) == 1:
        return kept[0]
    return {"bool": {"should": kept, "minimum_should_match": 1}}


def not_(part: dict[str, Any]) -> dict[str, Any]:
    """Documents that do not match ``part``."""
    if part == MATCH_ALL:
        return MATCH_NONE
    if part == MATCH_NONE:
        return MATCH_ALL
    if set(part) == {"bool"} and set(part["bool"]) == {"must_not"} and len(part["bool"]["must_not"]) == 1:
        return part["bool"]["must_not"][0]
    return {"bool": {"must_not": [part]}}


def exists(field: str) -> dict[str, Any]:
    """Documents where ``field`` has a value."""
    return {"exists": {"field": field}}


# -- what the mapping says about each source field ----------------------------------------------
@dataclass(frozen=True)
class FieldInfo:
    """How one source field is mapped across the indices read.

    Parameters
    ----------
    name : str
        The source field (dotted path).
    kind : str
        ``keyword``, ``text`` (with or without a keyword sub-field), ``number``,
        ``date``, ``boolean``, ``object``, ``missing`` (mapped nowhere) or
        ``mixed`` (different types in different indices).
    term_field : str or None
        The field to use for term-level queries and aggregations
        (``name``, or ``name.keyword`` under a text field); None if none fits.
    lossy : bool
        ``term_field`` may lack values the field has (a keyword sub-field with
        ``ignore_above``): documents where the field exists but ``term_field``
        does not are handled locally.
    types : tuple of str
        The mapped types, as field caps reports them.
    """

    name: str
    kind: str
    term_field: str | None
    lossy: bool = False
    types: tuple[str, ...] = ()

    @property
    def exact_exists(self) -> bool:
        """Whether ``exists`` on the field is exactly "the value is not null"."""
        return self.kind not in ("object", "mixed")

    def lossy_docs(self) -> dict[str, Any]:
        """Documents where the field has a value that ``term_field`` lacks."""
        if not self.lossy or self.term_field is None:
            return MATCH_NONE
        return and_(exists(self.name), not_(exists(self.term_field)))


class FieldMap:
    """Source fields of the indices read, from the field capabilities API.

    Examples
    --------
    >>> caps = {"pageUrl": {"text": {"type": "text"}},
    ...         "pageUrl.keyword": {"keyword": {"type": "keyword", "aggregatable": True}}}
    >>> info = FieldMap.from_caps(caps)["pageUrl"]
    >>> info.kind, info.term_field, info.lossy
    ('text', 'pageUrl.keyword', True)
    """

    def __init__(self, infos: Mapping[str, FieldInfo]):
        self._infos = dict(infos)

    @classmethod
    def from_caps(cls, caps: Mapping[str, Any]) -> FieldMap:
        """Build from the ``fields`` object of a ``_field_caps`` response."""
        infos: dict[str, FieldInfo] = {}
        for name, by_type in caps.items():
            if name.endswith(".keyword") and name[: -len(".keyword")] in caps:
                continue
            types = tuple(sorted(t for t in by_type if t != "unmapped"))
            kinds = {_kind_of(t) for t in types}
            kw = caps.get(name + ".keyword", {})
            if not types:
                info = FieldInfo(name, "missing", name, False, types)
            elif len(kinds) > 1:
                info = FieldInfo(name, "mixed", None, False, types)
            else:
                kind = kinds.pop()
                if kind == "text":
                    sub = set(kw) == {"keyword"} and not kw["keyword"].get("indices")
                    info = FieldInfo(name, "text", name + ".keyword" if sub else None, sub, types)
                elif kind in ("keyword", "number", "date", "boolean"):
                    info = FieldInfo(name, kind, name, False, types)
                else:
                    info = FieldInfo(name, kind, None, False, types)
            infos[name] = info
        return cls(infos)

    def __getitem__(self, name: str) -> FieldInfo:
        return self._infos.get(name) or FieldInfo(name, "missing", name, False, ())

    def __contains__(self, name: object) -> bool:
        return name in self._infos and self._infos[name].kind != "missing"

    def names(self) -> list[str]:
        """Every field known, sorted."""
        return sorted(self._infos)


def _kind_of(es_type: str) -> str:
    if es_type in _KEYWORD:
        return "keyword"
    if es_type in _NUMBER:
        return "number"
    if es_type in _DATE:
        return "date"
    if es_type in ("text", "match_only_text"):
        return "text"
    if es_type == "boolean":
        return "boolean"
    if es_type in ("object", "nested", "flattened"):
        return "object"
    return es_type


# -- compiling ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Compiled:
    """A query compiled to DSL: ``upper`` matches a superset, ``lower`` a subset.

    Parameters
    ----------
    upper : dict
        Matches every document the query matches (maybe more).
    lower : dict
        Matches only documents the query matches (maybe fewer).
    """

    upper: dict[str, Any]
    lower: dict[str, Any]

    @property
    def exact(self) -> bool:
        """The server answers the query exactly."""
        return self.upper == self.lower

    def __invert__(self) -> Compiled:
        return Compiled(not_(self.lower), not_(self.upper))


_INEXACT_ANY = Compiled(MATCH_ALL, MATCH_NONE)


def _both(dsl: dict[str, Any]) -> Compiled:
    return Compiled(dsl, dsl)


def compile_query(query: Query, schema: Schema, fields: FieldMap) -> Compiled:
    """Compile ``query`` (on frame roles) to DSL on the schema's source fields.

    Parameters
    ----------
    query : Query
        The query, as it runs on an event frame.
    schema : Schema
        Which source fields each role reads.
    fields : FieldMap
        How those fields are mapped.

    Returns
    -------
    Compiled
        ``upper`` and ``lower`` DSL queries.

    Raises
    ------
    QueryError
        A field that is not a role of the schema (nor ``event_id``/``source``),
        or an operator that does not apply to the role (as on the frame).

    Examples
    --------
    >>> from distill.query import Q
    >>> from distill.schema import get_schema
    >>> fm = FieldMap.from_caps({"sessionId": {"keyword": {"type": "keyword"}},
    ...                          "sessionID": {"keyword": {"type": "keyword"}}})
    >>> c = compile_query(Q.session == "s1", get_schema("userale"), fm)
    >>> len(c.upper["bool"]["should"])
    2
    """
    op = query.op
    if op == "all":
        return _both(MATCH_ALL)
    if op == "and":
        parts = [compile_query(c, schema, fields) for c in query.children]
        return Compiled(and_(*(p.upper for p in parts)), and_(*(p.lower for p in parts)))
    if op == "or":
        parts = [compile_query(c, schema, fields) for c in query.children]
        return Compiled(or_(*(p.upper for p in parts)), or_(*(p.lower for p in parts)))
    if op == "not":
        return ~compile_query(query.children[0], schema, fields)
    if op in ("ne", "notin"):
        positive = Query("eq" if op == "ne" else "in", query.field, query.value)
        return ~compile_query(positive, schema, fields)
    return _leaf(query, schema, fields)


def presence(role: Role, fields: FieldMap) -> Compiled:
    """Documents where ``role`` has a value (any of its fields is present)."""
    return Compiled(
        or_(*(_exists_upper(fields[f]) for f in role.fields)),
        or_(*(_exists_lower(fields[f]) for f in role.fields)),
    )


def _exists_upper(info: FieldInfo) -> dict[str, Any]:
    return exists(info.name) if info.exact_exists else MATCH_ALL


def _exists_lower(info: FieldInfo) -> dict[str, Any]:
    return exists(info.name) if info.exact_exists else MATCH_NONE


def _leaf(query: Query, schema: Schema, fields: FieldMap) -> Compiled:
    name = str(query.field)
    op, value = query.op, query.value
    if name == "event_id":
        if op == "eq":
            return _both({"ids": {"values": [str(value)]}})
        if op == "in":
            return _both({"ids": {"values": [str(v) for v in value]}})
        if op in ("isnull",):
            return _both(MATCH_NONE)
        if op == "notnull":
            return _both(MATCH_ALL)
        return _INEXACT_ANY
    if name == "source":
        if op == "eq":
            return _both({"term": {"_index": str(value)}})
        if op == "in":
            return _both({"terms": {"_index": [str(v) for v in value]}})
        if op == "isnull":
            return _both(MATCH_NONE)
        if op == "notnull":
            return _both(MATCH_ALL)
        return _INEXACT_ANY
    role = schema.roles.get(name)
    if role is None:
        raise QueryError(
            f"field {name!r} is not a role of schema {schema.name!r}; roles: {', '.join(schema.roles)}, "
            "event_id, source"
        )
    if op == "isnull":
        return Compiled(
            and_(*(not_(_exists_lower(fields[f])) for f in role.fields)),
            and_(*(not_(_exists_upper(fields[f])) for f in role.fields)),
        )
    if op == "notnull":
        return presence(role, fields)
    _check_op(role, op, value)
    # coalesce: field i counts only where the fields before it are absent
    uppers, lowers = [], []
    for i, f in enumerate(role.fields):
        before = [fields[g] for g in role.fields[:i]]
        c = _field_predicate(role, fields[f], op, value)
        uppers.append(and_(c.upper, *(not_(_exists_lower(b)) for b in before)))
        lowers.append(and_(c.lower, *(not_(_exists_upper(b)) for b in before)))
    return Compiled(or_(*uppers), or_(*lowers))


def _check_op(role: Role, op: str, value: Any) -> None:
    """The errors the frame would raise for this role, raised before asking the server."""
    kind = role.kind
    if kind == "string_list" and op not in ("contains", "startswith", "endswith", "matches"):
        raise QueryError(
            f"field {role.name!r} (a list of selectors) supports contains (one element equals the value), "
            f"startswith, endswith and matches (on the path joined with ' > '), isnull and notnull; not {op!r}"
        )
    if kind in ("int32", "int64", "float"):
        if op in ("contains", "startswith", "endswith", "matches"):
            raise QueryError(f"field {role.name!r} is numeric; {op!r} applies to text")
        vals = value if op in ("in", "between") else (value,)
        try:
            [float(v) for v in vals]
        except (TypeError, ValueError):
            raise QueryError(f"field {role.name!r} is numeric; {value!r} is not a number") from None
    if kind == "bool" and op not in ("eq", "in"):
        raise QueryError(f"field {role.name!r} is true/false; use ==, != or isin")


def _field_predicate(role: Role, info: FieldInfo, op: str, value: Any) -> Compiled:
    """``op value`` on one source field (a document without the field never matches)."""
    present = Compiled(_exists_upper(info), _exists_lower(info))
    unknown = Compiled(present.upper, MATCH_NONE)
    if info.kind == "missing":
        return _both(MATCH_NONE)
    kind = role.kind
    if kind == "time":
        return _time_predicate(role, info, op, value, unknown)
    if info.term_field is None:
        return unknown
    tf = info.term_field
    exact: dict[str, Any] | None = None
    if kind in ("category", "string"):
        if info.kind not in ("keyword", "text"):
            return unknown
        exact = _text_predicate(tf, op, value)
        if exact is None:  # a regular expression that has no Lucene equivalent
            rx = lucene_regexp(str(value))
            if rx is None:
                return unknown
            newline = {"regexp": {tf: {"value": "(.|\n)*\n(.|\n)*", "flags": "NONE"}}}
            pattern = {"regexp": {tf: {"value": rx, "flags": "NONE"}}}
            return _with_lossy(info, Compiled(or_(pattern, newline), and_(pattern, not_(newline))), present)
    elif kind == "string_list":
        if info.kind not in ("keyword", "text"):
            return unknown
        if op != "contains":
            return unknown
        exact = {"term": {tf: str(value)}}
    elif kind in ("int32", "int64", "float"):
        if info.kind != "number":
            return unknown
        exact = _number_predicate(tf, op, value)
    elif kind == "bool":
        if info.kind != "boolean":
            return unknown
        vals = value if op == "in" else (value,)
        exact = {"terms": {tf: sorted({bool(v) for v in vals})}}
    else:  # json and anything else: the server cannot tell
        return unknown
    return _with_lossy(info, _both(exact), present)


def _with_lossy(info: FieldInfo, c: Compiled, present: Compiled) -> Compiled:
    if not info.lossy:
        return c
    return Compiled(or_(c.upper, info.lossy_docs()), c.lower)


def _wildcard_escape(text: str) -> str:
    return re.sub(r"([\\*?])", r"\\\1", text)


def _text_predicate(field: str, op: str, value: Any) -> dict[str, Any] | None:
    if op == "eq":
        return {"term": {field: str(value)}}
    if op == "in":
        return {"terms": {field: [str(v) for v in value]}}
    if op == "startswith":
        return {"prefix": {field: {"value": str(value)}}}
    if op == "contains":
        return {"wildcard": {field: {"value": f"*{_wildcard_escape(str(value))}*"}}}
    if op == "endswith":
        return {"wildcard": {field: {"value": f"*{_wildcard_escape(str(value))}"}}}
    if op in ("lt", "le", "gt", "ge"):
        return {"range": {field: {{"lt": "lt", "le": "lte", "gt": "gt", "ge": "gte"}[op]: str(value)}}}
    if op == "between":
        return {"range": {field: {"gte": str(value[0]), "lte": str(value[1])}}}
    return None  # matches


def _number_predicate(field: str, op: str, value: Any) -> dict[str, Any]:
    if op == "eq":
        return {"term": {field: float(value)}}
    if op == "in":
        return {"terms": {field: [float(v) for v in value]}}
    if op == "between":
        return {"range": {field: {"gte": float(value[0]), "lte": float(value[1])}}}
    return {"range": {field: {{"lt": "lt", "le": "lte", "gt": "gt", "ge": "gte"}[op]: float(value)}}}


# -- times --------------------------------------------------------------------------------------
def time_unit(role: Role, info: FieldInfo) -> tuple[int, int] | None:
    """(ns per unit of the field's integer values, largest deviation in ns) or None.

    The frame's time is ``value * unit + d`` with ``|d| <= deviation``: a
    fractional-millisecond field adds up to 1,000 ms either way; dates stored
    at millisecond precision lose the sub-millisecond part of parsed text.
    """
    dev = 1_000_000_000 if role.fraction else 0
    if info.kind == "date":
        if role.parser not in ("epoch_ms",):
            dev += _MS
        return _MS, dev
    if info.kind == "number" and role.parser in _NS:
        return _NS[str(role.parser)], dev
    return None


def _time_predicate(role: Role, info: FieldInfo, op: str, value: Any, unknown: Compiled) -> Compiled:
    if op not in ("eq", "lt", "le", "gt", "ge", "between", "in"):
        raise QueryError(f"field {role.name!r} is a time; {op!r} applies to text")
    got = time_unit(role, info)
    if got is None or info.term_field is None:
        return unknown
    unit, dev = got
    field = info.term_field
    fmt = {"format": "epoch_millis"} if info.kind == "date" else {}

    def ns(v: Any) -> int:
        return int(pd.Timestamp(v).value)

    def rng(lo: int | None, hi: int | None) -> dict[str, Any]:
        if lo is not None and hi is not None and lo > hi:
            return MATCH_NONE
        body: dict[str, Any] = dict(fmt)
        if lo is not None:
            body["gte"] = lo
        if hi is not None:
            body["lte"] = hi
        return {"range": {field: body}}

    def bounds(kind: str, v: int, widen: int) -> tuple[int | None, int | None]:
        # integer field values F with F*unit + d satisfying the comparison, d in [-widen, widen]
        if kind == "ge":
            return math.ceil((v - widen) / unit), None
        if kind == "gt":
            return math.floor((v - widen) / unit) + 1, None
        if kind == "le":
            return None, math.floor((v + widen) / unit)
        return None, math.ceil((v + widen) / unit) - 1  # lt

    def compiled(parts: list[tuple[str, int]]) -> Compiled:
        up_lo, up_hi, low_lo, low_hi = None, None, None, None
        for kind, v in parts:
            a, b = bounds(kind, v, dev)
            c, d = bounds(kind, v, -dev)
            up_lo = a if a is not None else up_lo
            up_hi = b if b is not None else up_hi
            low_lo = c if c is not None else low_lo
            low_hi = d if d is not None else low_hi
        return Compiled(rng(up_lo, up_hi), rng(low_lo, low_hi))

    if op == "in":
        parts = [compiled([("ge", ns(v)), ("le", ns(v))]) for v in value]
        return Compiled(or_(*(p.upper for p in parts)), or_(*(p.lower for p in parts)))
    if op == "eq":
        return compiled([("ge", ns(value)), ("le", ns(value))])
    if op == "between":
        return compiled([("ge", ns(value[0])), ("le", ns(value[1]))])
    return compiled([(op, ns(value))])


# -- regular expressions --------------------------------------------------------------------------
_LUCENE_SPECIAL = set('.?+*|{}[]()"\\#@&<>~')
_SAFE_ESCAPES = set(".^$*+?()[]{}|\\/-")


def lucene_regexp(pattern: str) -> str | None:
    """A Lucene regular expression matching the values Python's ``re.search(pattern)`` finds.

    Covers literal text, ``.``, ``*``, ``+``, ``?``, ``|``, groups, character
    classes, ``{m,n}``, and ``^``/``$`` at the ends; returns None for anything
    else (``\\d``, look-arounds, lazy quantifiers, ...), which the reader then
    evaluates locally. Lucene expressions match whole values, so an unanchored
    pattern is wrapped in ``.*``.

    Examples
    --------
    >>> lucene_regexp(r"^button#buy")
    'button\\\\#buy.*'
    >>> lucene_regexp(r"\\d+") is None
    True
    """
    start = pattern.startswith("^")
    body = pattern[1:] if start else pattern
    end = body.endswith("$") and not body.endswith("\\$")
    if end:
        body = body[:-1]
    out: list[str] = []
    depth = 0
    top_alt = False
    i = 0
    in_class = False
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            if i + 1 >= len(body) or body[i + 1] not in _SAFE_ESCAPES:
                return None
            out.append("\\" + body[i + 1])
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
                out.append(ch)
            elif ch == "[" or (ch in _LUCENE_SPECIAL and ch not in "-^"):
                out.append("\\" + ch)
            else:
                out.append(ch)
            i += 1
            continue
        if ch == "[":
            if body[i + 1 : i + 2] == ":":
                return None
            in_class = True
            out.append(ch)
            if body[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if body[i + 1 : i + 2] == "]":  # a literal ] first in the class
                out.append("\\]")
                i += 1
            i += 1
            continue
        if ch in "^$":
            return None
        if ch == "(":
            if body[i + 1 : i + 2] == "?":
                return None
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return None
        elif ch == "|" and depth == 0:
            top_alt = True
        elif ch in "*+?}" and body[i + 1 : i + 2] in ("?", "+"):
            return None  # lazy or possessive quantifiers
        elif ch == "{":
            m = re.match(r"\{(\d+)(,(\d*))?\}", body[i:])
            if not m:
                return None
            out.append(m.group(0))
            i += len(m.group(0))
            continue
        if ch in _LUCENE_SPECIAL and ch not in ".?+*|(){}[]":
            out.append("\\" + ch)
        else:
            out.append(ch)
        i += 1
    if in_class or depth != 0:
        return None
    text = "".join(out)
    if top_alt and (start or end):
        return None
    if top_alt:
        text = f"({text})"
    return ("" if start else ".*") + text + ("" if end else ".*")


def query_fields(queries: Iterable[Query]) -> set[str]:
    """Roles read by some queries."""
    out: set[str] = set()
    for q in queries:
        out |= q.fields()
    return out
