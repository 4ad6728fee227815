"""Queries: composable, immutable, serialisable conditions on events.

A :class:`Query` is built from fields of the event frame with comparison
operators and combined with ``&``, ``|`` and ``~``::

    from distill.query import Q
    q = (Q.user == "bob") & Q.type.isin(["click", "input"]) & ~Q.target.matches(r"^div")

It is immutable and compares by value, turns into a plain dict or JSON and
back (:meth:`Query.to_dict`, :meth:`Query.from_dict`), into the Python code
that builds it (:meth:`Query.to_code`), runs on an event frame
(:func:`apply`, ``df.distill.query(q)``) and is the one query language the
Elasticsearch source compiles to its query DSL.

Operators: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``isin``, ``notin``,
``between`` (inclusive), ``contains`` (text; for ``path``, an element),
``startswith``, ``endswith``, ``matches`` (regular expression, searched),
``isnull``, ``notnull``. ``Query.all()`` matches everything.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> q = (Q.user == "bob") & Q.type.isin(["click", "input"])
>>> len(apply(events, q))
89
>>> Query.from_json(q.to_json()) == q
True
>>> q.to_code()
"(Q.user == 'bob') & Q.type.isin(['click', 'input'])"
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from distill.errors import DistillError
from distill.frame import ROLE_KINDS

__all__ = [
    "Q",
    "Field",
    "Query",
    "QueryError",
    "apply",
    "mask",
    "as_query",
    "clicks",
    "inputs",
    "form_activity",
    "page_loads",
    "user",
    "session",
    "window",
    "page",
    "user_actions",
    "raw_logs",
    "interval_logs",
    "custom_logs",
]

_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_VALUE_OPS = {*_COMPARE, "in", "notin", "between", "contains", "startswith", "endswith", "matches"}
_NO_VALUE_OPS = {"isnull", "notnull"}
_LOGIC = {"and", "or", "not", "all"}
_TEXT_OPS = {"contains", "startswith", "endswith", "matches"}


class QueryError(DistillError, ValueError):
    """A query is malformed or does not fit the frame (names the field or key)."""


def _norm_value(field: str, value: Any) -> Any:
    """Values in one canonical form, so equal queries compare equal."""
    if ROLE_KINDS.get(field) == "time" and value is not None:
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError) as err:
            raise QueryError(f"field {field!r}: {value!r} is not a time ({err})") from None
        if pd.isna(ts):
            raise QueryError(f"field {field!r}: {value!r} is not a time")
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return ts.as_unit("ns")
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)):
        raise QueryError(f"field {field!r}: a single value is expected here, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class Query:
    """One node of a query tree.

    Build queries with ``Q`` (``Q.user == "bob"``) rather than directly.

    Parameters
    ----------
    op : str
        ``and``, ``or``, ``not``, ``all``, or a field operator (``eq``, ``ne``,
        ``lt``, ``le``, ``gt``, ``ge``, ``in``, ``notin``, ``between``,
        ``contains``, ``startswith``, ``endswith``, ``matches``, ``isnull``,
        ``notnull``).
    field : str or None
        Column of the event frame, for field operators.
    value : object
        The operand: a value, a tuple of values (``in``, ``notin``), or a
        ``(low, high)`` pair (``between``).
    children : tuple of Query
        Operands of ``and``, ``or``, ``not``.

    Examples
    --------
    >>> (Q.type == "click").to_dict()
    {'field': 'type', 'op': 'eq', 'value': 'click'}
    >>> Query.all().to_dict()
    {'all': True}
    """

    op: str
    field: str | None = None
    value: Any = None
    children: tuple[Query, ...] = ()

    def __post_init__(self) -> None:
        if self.op in _LOGIC:
            if self.op == "not" and len(self.children) != 1:
                raise QueryError("'not' takes exactly one query")
            if self.op in ("and", "or") and len(self.children) < 2:
                raise QueryError(f"{self.op!r} takes at least two queries")
            return
        if self.op not in _VALUE_OPS | _NO_VALUE_OPS:
            raise QueryError(f"unknown operator {self.op!r}; known: {', '.join(sorted(_VALUE_OPS | _NO_VALUE_OPS))}")
        if not isinstance(self.field, str) or not self.field:
            raise QueryError(f"operator {self.op!r} needs a field name")
        if self.op == "matches":
            try:
                re.compile(str(self.value))
            except re.error as err:
                raise QueryError(f"field {self.field!r}: invalid regular expression {self.value!r}: {err}") from None
        if self.op in _TEXT_OPS and not isinstance(self.value, str):
            raise QueryError(f"field {self.field!r}: {self.op!r} needs text, got {type(self.value).__name__}")

    # -- composition ----------------------------------------------------------------
    def __and__(self, other: Query) -> Query:
        return _combine("and", self, _check(other))

    def __or__(self, other: Query) -> Query:
        return _combine("or", self, _check(other))

    def __invert__(self) -> Query:
        if self.op == "not":
            return self.children[0]
        return Query("not", children=(self,))

    def __bool__(self) -> bool:
        raise QueryError("a Query has no truth value; combine queries with &, | and ~ (not and/or/not)")

    @staticmethod
    def all() -> Query:
        """The query that matches every event."""
        return Query("all")

    # -- inspection -----------------------------------------------------------------------
    def fields(self) -> set[str]:
        """Every field the query reads.

        Examples
        --------
        >>> sorted(((Q.user == "a") | ~Q.type.isnull()).fields())
        ['type', 'user']
        """
        if self.field is not None:
            return {self.field}
        return set().union(*(c.fields() for c in self.children)) if self.children else set()

    # -- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-able): ``{"field", "op", "value"}`` leaves, ``and``/``or``/``not`` nodes."""
        if self.op == "all":
            return {"all": True}
        if self.op in ("and", "or"):
            return {self.op: [c.to_dict() for c in self.children]}
        if self.op == "not":
            return {"not": self.children[0].to_dict()}
        out: dict[str, Any] = {"field": self.field, "op": self.op}
        if self.op not in _NO_VALUE_OPS:
            out["value"] = _plain(self.value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Query:
        """Rebuild a query from :meth:`to_dict` output.

        Raises
        ------
        QueryError
            Naming the key or operator that is wrong.

        Examples
        --------
        >>> Query.from_dict({"and": [{"field": "user", "op": "eq", "value": "bob"},
        ...                          {"not": {"field": "type", "op": "in", "value": ["load"]}}]}).to_code()
        "(Q.user == 'bob') & ~Q.type.isin(['load'])"
        """
        if not isinstance(data, Mapping):
            raise QueryError(f"a query is a JSON object, got {type(data).__name__}")
        keys = set(data)
        if keys == {"all"}:
            return cls.all()
        for logic in ("and", "or"):
            if keys == {logic}:
                items = data[logic]
                if not isinstance(items, list) or not items:
                    raise QueryError(f"{logic!r} needs a non-empty list of queries")
                parts = [cls.from_dict(i) for i in items]
                return parts[0] if len(parts) == 1 else Query(logic, children=tuple(_flatten(logic, parts)))
        if keys == {"not"}:
            return ~cls.from_dict(data["not"])
        unknown = keys - {"field", "op", "value"}
        if unknown or "field" not in data or "op" not in data:
            raise QueryError(
                f"a query object has 'field', 'op' and 'value' (or is {{'and': [...]}}, {{'or': [...]}}, "
                f"{{'not': ...}}, {{'all': true}}); got keys {sorted(keys)}"
            )
        field, op = data["field"], data["op"]
        if not isinstance(field, str):
            raise QueryError(f"'field' must be a string, got {type(field).__name__}")
        if op in _NO_VALUE_OPS:
            return Query(op, field)
        if "value" not in data:
            raise QueryError(f"operator {op!r} on field {field!r} needs a 'value'")
        return _leaf(field, op, data["value"])

    def to_json(self, **kwargs: Any) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str | bytes) -> Query:
        """Rebuild a query from JSON text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise QueryError(f"query is not valid JSON: {err}") from None
        return cls.from_dict(data)

    def to_code(self) -> str:
        """The Python expression that builds this query (with ``from distill.query import Q``).

        Examples
        --------
        >>> q = Q.time.between("2026-12-04T19:29:00Z", "2026-12-04T19:30:00Z") | Q.x.isnull()
        >>> eval(q.to_code()) == q
        True
        """
        return self._code(top=True)

    def _code(self, top: bool = False) -> str:
        if self.op == "all":
            return "Query.all()"
        if self.op in ("and", "or"):
            sym = " & " if self.op == "and" else " | "
            text = sym.join(c._code() for c in self.children)
            return text if top else f"({text})"
        if self.op == "not":
            return "~" + self.children[0]._code()
        ref = f"Q.{self.field}" if str(self.field).isidentifier() else f"Q[{self.field!r}]"
        if self.op in _COMPARE:
            text = f"{ref} {_COMPARE[self.op]} {_lit(self.value)}"
            return text if top else f"({text})"
        if self.op in ("in", "notin"):
            name = "isin" if self.op == "in" else "notin"
            return f"{ref}.{name}([{', '.join(_lit(v) for v in self.value)}])"
        if self.op == "between":
            return f"{ref}.between({_lit(self.value[0])}, {_lit(self.value[1])})"
        if self.op in _NO_VALUE_OPS:
            return f"{ref}.{self.op}()"
        return f"{ref}.{self.op}({_lit(self.value)})"

    def __repr__(self) -> str:
        return f"Query({self.to_code()})"

    # -- evaluation -----------------------------------------------------------------------
    def mask(self, events: pd.DataFrame) -> np.ndarray:
        """Boolean array: which events match (see :func:`mask`)."""
        return mask(events, self)


def _check(other: Any) -> Query:
    if not isinstance(other, Query):
        raise QueryError(f"queries combine with queries, not {type(other).__name__}")
    return other


def _flatten(op: str, parts: Iterable[Query]) -> list[Query]:
    out: list[Query] = []
    for p in parts:
        out.extend(p.children if p.op == op else (p,))
    return out


def _combine(op: str, a: Query, b: Query) -> Query:
    if op == "and":
        if a.op == "all":
            return b
        if b.op == "all":
            return a
    elif a.op == "all" or b.op == "all":
        return Query.all()
    return Query(op, children=tuple(_flatten(op, (a, b))))


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        from distill.export import _iso

        return _iso(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _lit(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return repr(_plain(value))
    return repr(value)


def _leaf(field: str, op: str, value: Any) -> Query:
    if op in ("in", "notin"):
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise QueryError(f"field {field!r}: {op!r} needs a list of values, got {type(value).__name__}")
        values = [_norm_value(field, v) for v in value]
        seen: dict[Any, None] = {}
        for v in values:
            seen.setdefault(v, None)
        return Query(op, field, tuple(seen))
    if op == "between":
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise QueryError(f"field {field!r}: 'between' needs [low, high]")
        pair = list(value)
        if len(pair) != 2:
            raise QueryError(f"field {field!r}: 'between' needs exactly two values [low, high], got {len(pair)}")
        low, high = (_norm_value(field, v) for v in pair)
        return Query(op, field, (low, high))
    if op not in _VALUE_OPS:
        raise QueryError(f"unknown operator {op!r}; known: {', '.join(sorted(_VALUE_OPS | _NO_VALUE_OPS))}")
    return Query(op, field, _norm_value(field, value))


class Field:
    """A column of the event frame, to build queries on (``Q.user``, ``Q["page_url"]``).

    Comparing a field (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``) or calling
    one of its methods (:meth:`isin`, :meth:`between`, :meth:`matches`, ...)
    gives a :class:`Query`; ``Q.user == None`` means :meth:`isnull`. Fields
    are not hashable, because ``==`` builds a query instead of comparing.

    Parameters
    ----------
    name : str
        The column's name (a role of the event frame such as ``user``,
        ``type``, ``time``, ``path``, or any other column). It is checked
        only when the query runs.

    Examples
    --------
    >>> (Q.type != "mouseover").to_dict()
    {'field': 'type', 'op': 'ne', 'value': 'mouseover'}
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> (Field("user") == "bob") == (Q.user == "bob")
    True
    >>> len(apply(events, Q["target"].startswith("input#")))
    1601
    """

    __slots__ = ("name",)
    __hash__ = None  # type: ignore[assignment]  # == builds a Query, so fields are not hashable

    def __init__(self, name: str):
        self.name = name

    def __eq__(self, value: Any) -> Query:  # type: ignore[override]
        return Query("isnull", self.name) if value is None else _leaf(self.name, "eq", value)

    def __ne__(self, value: Any) -> Query:  # type: ignore[override]
        return Query("notnull", self.name) if value is None else _leaf(self.name, "ne", value)

    def __lt__(self, value: Any) -> Query:
        return _leaf(self.name, "lt", value)

    def __le__(self, value: Any) -> Query:
        return _leaf(self.name, "le", value)

    def __gt__(self, value: Any) -> Query:
        return _leaf(self.name, "gt", value)

    def __ge__(self, value: Any) -> Query:
        return _leaf(self.name, "ge", value)

    def isin(self, values: Iterable[Any]) -> Query:
        """Any of the values."""
        return _leaf(self.name, "in", values)

    def notin(self, values: Iterable[Any]) -> Query:
        """None of the values (null fields match)."""
        return _leaf(self.name, "notin", values)

    def between(self, low: Any, high: Any) -> Query:
        """``low <= field <= high``."""
        return _leaf(self.name, "between", (low, high))

    def contains(self, text: str) -> Query:
        """Text contains ``text`` (for ``path``: one element equals ``text``)."""
        return _leaf(self.name, "contains", text)

    def startswith(self, text: str) -> Query:
        """Text starts with ``text``."""
        return _leaf(self.name, "startswith", text)

    def endswith(self, text: str) -> Query:
        """Text ends with ``text``."""
        return _leaf(self.name, "endswith", text)

    def matches(self, pattern: str) -> Query:
        """Text matches the regular expression ``pattern`` (searched, not anchored)."""
        return _leaf(self.name, "matches", pattern)

    def isnull(self) -> Query:
        """Field is missing."""
        return Query("isnull", self.name)

    def notnull(self) -> Query:
        """Field is present."""
        return Query("notnull", self.name)

    def __repr__(self) -> str:
        return f"Q.{self.name}"


class _Fields:
    """``Q``: ``Q.user``, ``Q["page_url"]`` make :class:`Field` objects."""

    def __getattr__(self, name: str) -> Field:
        if name.startswith("__"):
            raise AttributeError(name)
        return Field(name)

    def __getitem__(self, name: str) -> Field:
        return Field(name)

    def __repr__(self) -> str:
        return "Q"


#: Start of every query: ``Q.<column>`` is a :class:`Field`.
Q = _Fields()


# -- evaluation on a frame ------------------------------------------------------------------
def as_query(query: Query | Mapping[str, Any] | str | None) -> Query:
    """A :class:`Query` from a query, its dict, its JSON text, or None (everything).

    Every function that takes a ``query=`` argument accepts all of these
    forms through this function.

    Parameters
    ----------
    query : Query, dict, str, bytes or None
        A query (returned as it is), its dict (:meth:`Query.from_dict`), its
        JSON text (:meth:`Query.from_json`), or None for :meth:`Query.all`.

    Returns
    -------
    Query
        The query.

    Raises
    ------
    QueryError
        If ``query`` is of another type, or its dict or JSON is malformed.

    Examples
    --------
    >>> as_query('{"field": "type", "op": "eq", "value": "click"}') == (Q.type == "click")
    True
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> len(apply(events, as_query({"field": "user", "op": "eq", "value": "bob"})))
    520
    >>> as_query(None) == Query.all()
    True
    """
    if query is None:
        return Query.all()
    if isinstance(query, Query):
        return query
    if isinstance(query, Mapping):
        return Query.from_dict(query)
    if isinstance(query, (str, bytes)):
        return Query.from_json(query)
    raise QueryError(f"expected a Query, a dict or JSON text, got {type(query).__name__}")


def _on_categories(series: pd.Series, test: Any) -> np.ndarray:
    """Evaluate ``test(categories) -> bool array`` once per category, map by codes."""
    cats = series.cat.categories
    hit = np.asarray(test(pd.Series(cats.astype(str), dtype=object)), dtype=bool)
    codes = series.cat.codes.to_numpy()
    return np.where(codes >= 0, np.append(hit, False)[codes], False)


def _text_test(op: str, value: str) -> Any:
    if op == "contains":
        return lambda s: s.str.contains(value, regex=False)
    if op == "startswith":
        return lambda s: s.str.startswith(value)
    if op == "endswith":
        return lambda s: s.str.endswith(value)
    pattern = re.compile(value)
    return lambda s: s.map(lambda v: pattern.search(v) is not None)


def _leaf_mask(events: pd.DataFrame, q: Query) -> np.ndarray:
    name = str(q.field)
    if name not in events.columns:
        raise QueryError(
            f"field {name!r} is not a column of this frame; columns: {', '.join(map(str, events.columns))}"
        )
    col = events[name]
    op, value = q.op, q.value
    notna = col.notna().to_numpy()
    if op == "isnull":
        return ~notna
    if op == "notnull":
        return notna
    if name == "path" or (col.dtype == object and ROLE_KINDS.get(name) == "string_list"):
        return _path_mask(col, op, value)
    if isinstance(col.dtype, pd.CategoricalDtype):
        if op in _TEXT_OPS:
            return _on_categories(col, _text_test(op, value))
        if op in ("eq", "ne", "in", "notin"):
            wanted = {str(v) for v in (value if op in ("in", "notin") else (value,))}
            hit = _on_categories(col, lambda s: s.isin(wanted))
            if op in ("eq", "in"):
                return hit
            return ~hit  # ne / notin: nulls match (they are not equal)
        return _on_categories(col, lambda s: _compare(s, op, value))
    if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(col.dtype):
        ns = col.to_numpy(dtype="datetime64[ns]").view(np.int64)
        vals = value if op in ("in", "notin", "between") else (value,)
        as_ns = [_to_ns(name, v) for v in vals]
        return _numeric_mask(ns, notna, op, as_ns)
    if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        arr = col.to_numpy(dtype=float, na_value=np.nan) if not pd.api.types.is_bool_dtype(col.dtype) else None
        if arr is None:
            b = col.astype("boolean")
            truth = b.fillna(False).to_numpy(dtype=bool)
            want = value if op in ("in", "notin") else (value,)
            if op in _TEXT_OPS or op in ("lt", "le", "gt", "ge", "between"):
                raise QueryError(f"field {name!r} is true/false; use ==, != or isin")
            hit = np.zeros(len(col), dtype=bool)
            for v in want:
                hit |= notna & (truth == bool(v))
            return hit if op in ("eq", "in") else ~hit
        if op in _TEXT_OPS:
            raise QueryError(f"field {name!r} is numeric; {op!r} applies to text")
        vals = value if op in ("in", "notin", "between") else (value,)
        try:
            nums = [float(v) for v in vals]
        except (TypeError, ValueError):
            raise QueryError(f"field {name!r} is numeric; {value!r} is not a number") from None
        return _numeric_mask(arr, notna, op, nums)
    # free text (event_id, details, other strings)
    text = col.astype("string")
    if op in _TEXT_OPS:
        if op == "matches":
            res = text.str.contains(value, regex=True)
        else:
            res = getattr(text.str, op)(value) if op != "contains" else text.str.contains(value, regex=False)
        return res.fillna(False).to_numpy(dtype=bool)
    if op in ("eq", "ne", "in", "notin"):
        texts = [str(v) for v in (value if op in ("in", "notin") else (value,))]
        hit = text.isin(texts).fillna(False).to_numpy(dtype=bool) & notna
        return hit if op in ("eq", "in") else ~hit
    return _compare(text, op, value).fillna(False).to_numpy(dtype=bool)


def _compare(s: pd.Series, op: str, value: Any) -> Any:
    if op == "between":
        return (s >= value[0]) & (s <= value[1])
    return {"lt": s.__lt__, "le": s.__le__, "gt": s.__gt__, "ge": s.__ge__, "eq": s.__eq__, "ne": s.__ne__}[op](value)


def _numeric_mask(arr: np.ndarray, notna: np.ndarray, op: str, vals: list[Any]) -> np.ndarray:
    if op == "between":
        return notna & (arr >= vals[0]) & (arr <= vals[1])
    if op in ("in", "notin"):
        hit = notna & np.isin(arr, np.asarray(vals, dtype=arr.dtype))
        return hit if op == "in" else ~hit
    v = vals[0]
    res = {"eq": arr == v, "ne": arr != v, "lt": arr < v, "le": arr <= v, "gt": arr > v, "ge": arr >= v}[op]
    return (notna & res) if op != "ne" else (res | ~notna)


def _to_ns(name: str, value: Any) -> int:
    ts = _norm_value("time", value) if not isinstance(value, pd.Timestamp) else value
    return int(ts.value)


def _path_mask(col: pd.Series, op: str, value: Any) -> np.ndarray:
    """``path`` holds tuples: test each distinct path once, map back by codes."""
    codes, uniques = pd.factorize(col.to_numpy(dtype=object), use_na_sentinel=True)
    if op == "contains":
        hit = np.array([value in p for p in uniques], dtype=bool)
    elif op in ("startswith", "endswith", "matches"):
        joined = pd.Series([" > ".join(p) for p in uniques], dtype=object)
        hit = np.asarray(_text_test(op, value)(joined), dtype=bool) if len(joined) else np.zeros(0, dtype=bool)
    else:
        raise QueryError(
            "field 'path' (a list of selectors) supports contains (one element equals the value), "
            f"startswith, endswith and matches (on the path joined with ' > '), isnull and notnull; not {op!r}"
        )
    return np.where(codes >= 0, np.append(hit, False)[codes], False)


def mask(events: pd.DataFrame, query: Query | Mapping[str, Any] | str | None) -> np.ndarray:
    """Which events match ``query``, as a boolean numpy array aligned with ``events``.

    Evaluated column by column: on categorical columns once per category
    (then mapped through the codes), on times as integer comparisons. Null
    fields never match a value test; they do match ``!=`` and ``notin``.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame (or any frame holding the fields the query reads).
    query : Query, dict, JSON text or None
        None matches everything.

    Returns
    -------
    numpy.ndarray of bool

    Raises
    ------
    QueryError
        A field that is not a column (listing the columns), or an operator that
        does not fit the column's type.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> int(mask(events, Q.path.contains("form#checkout-form")).sum()) > 0
    True
    """
    q = as_query(query)
    n = len(events)
    if q.op == "all":
        return np.ones(n, dtype=bool)
    if q.op == "and":
        out = np.ones(n, dtype=bool)
        for c in q.children:
            out &= mask(events, c)
        return out
    if q.op == "or":
        out = np.zeros(n, dtype=bool)
        for c in q.children:
            out |= mask(events, c)
        return out
    if q.op == "not":
        return ~mask(events, q.children[0])
    return _leaf_mask(events, q)


def apply(events: pd.DataFrame, query: Query | Mapping[str, Any] | str | None) -> pd.DataFrame:
    """The events that match ``query``, as a new event frame (order kept, fresh RangeIndex).

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    query : Query, dict, JSON text or None
        The condition (see :func:`mask`).

    Returns
    -------
    pandas.DataFrame
        The matching events; ``events`` is not changed.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> apply(events, clicks())["type"].unique().tolist()
    ['click', 'dblclick']
    """
    keep = mask(events, query)
    out = events.loc[keep] if not keep.all() else events.copy()
    out = out.reset_index(drop=True)
    out.attrs = dict(events.attrs)
    return out


# -- built-in queries ----------------------------------------------------------------------------
#: Event types a person makes directly (used by :func:`inputs` and :func:`form_activity`).
INPUT_TYPES = ("input", "change", "keydown", "keyup", "keypress", "paste", "cut", "copy", "select")
FORM_TYPES = (*INPUT_TYPES, "submit", "reset")


def clicks() -> Query:
    """Clicks and double clicks.

    Returns
    -------
    Query
        ``Q.type.isin(["click", "dblclick"])``.

    Examples
    --------
    >>> clicks().to_code()
    "Q.type.isin(['click', 'dblclick'])"
    >>> import distill
    >>> apply(distill.datasets.load_sample(), clicks())["type"].value_counts().loc[["click", "dblclick"]].tolist()
    [310, 5]
    """
    return Q.type.isin(["click", "dblclick"])


def inputs() -> Query:
    """Typing and value changes: input, change, key and clipboard events.

    Returns
    -------
    Query
        The events whose type is one of ``INPUT_TYPES`` (input, change,
        keydown, keyup, keypress, paste, cut, copy, select).

    Examples
    --------
    >>> import distill
    >>> typed = apply(distill.datasets.load_sample(), inputs())
    >>> len(typed), sorted(typed["type"].astype(str).unique())
    (1134, ['change', 'input', 'keydown'])
    """
    return Q.type.isin(list(INPUT_TYPES))


def form_activity() -> Query:
    """Everything done in forms: inputs, submit/reset, and focus/blur on form fields.

    Returns
    -------
    Query
        :func:`inputs`, ``submit`` and ``reset`` events, and ``focus`` and
        ``blur`` events whose target selector starts with ``input``,
        ``select``, ``textarea``, ``button`` or ``form``.

    Examples
    --------
    >>> import distill
    >>> n = int(form_activity().mask(distill.datasets.load_sample()).sum())
    >>> n > int(inputs().mask(distill.datasets.load_sample()).sum())
    True
    """
    fields = Q.type.isin(["focus", "blur"]) & Q.target.matches(r"^(input|select|textarea|button|form)\b")
    return Q.type.isin(list(FORM_TYPES)) | fields


def page_loads() -> Query:
    """Page loads (UserALE logs them as raw and as custom ``load`` events).

    Returns
    -------
    Query
        ``Q.type == "load"``, whatever the log type.

    Examples
    --------
    >>> import distill
    >>> loads = apply(distill.datasets.load_sample(), page_loads())
    >>> len(loads), loads["page_url"].nunique() > 1
    (60, True)
    """
    return Q.type == "load"


def user(name: str) -> Query:
    """One user's events.

    Parameters
    ----------
    name : str
        The user id (the ``user`` column, UserALE's ``userId``).

    Returns
    -------
    Query
        ``Q.user == name``.

    Examples
    --------
    >>> import distill
    >>> bob = apply(distill.datasets.load_sample(), user("bob"))
    >>> len(bob), bob["user"].astype(str).unique().tolist()
    (520, ['bob'])
    """
    return Q.user == name


def session(session_id: str) -> Query:
    """One session's events.

    Parameters
    ----------
    session_id : str
        The session id (the ``session`` column: UserALE's ``sessionId``, or
        the id :func:`distill.sessions.sessionize` computed).

    Returns
    -------
    Query
        ``Q.session == session_id``.

    Examples
    --------
    >>> import distill
    >>> one = apply(distill.datasets.load_sample(), session("session_1796412510738"))
    >>> len(one), one["user"].astype(str).unique().tolist()
    (103, ['carol'])
    """
    return Q.session == session_id


def window(start: Any, end: Any) -> Query:
    """Events with ``start <= time <= end`` (times as text, datetime or Timestamp; naive means UTC).

    Parameters
    ----------
    start, end : str, datetime or pandas.Timestamp
        The first and last time included. Text is parsed by pandas; times
        without a time zone are taken as UTC, others converted to UTC.

    Returns
    -------
    Query
        ``Q.time.between(start, end)`` (both ends included).

    Raises
    ------
    QueryError
        If ``start`` or ``end`` is not a time.

    Examples
    --------
    >>> window("2026-12-04 19:29", "2026-12-04 19:30").to_code()
    "Q.time.between('2026-12-04T19:29:00Z', '2026-12-04T19:30:00Z')"
    >>> import distill
    >>> minute = apply(distill.datasets.load_sample(), window("2026-12-04 19:29", "2026-12-04 19:30"))
    >>> len(minute), str(minute["time"].min()), str(minute["time"].max())
    (1602, '2026-12-04 19:29:00.164800+00:00', '2026-12-04 19:29:59.441000+00:00')
    """
    return Q.time.between(start, end)


def page(url: str) -> Query:
    """Events on one page, whatever its query string or fragment.

    Parameters
    ----------
    url : str
        The page address without query string and fragment (as
        :func:`distill.frame.page_key` gives it).

    Returns
    -------
    Query
        ``page_url`` equal to ``url``, or starting with ``url + "?"`` or
        ``url + "#"``.

    Examples
    --------
    >>> import distill
    >>> ev = apply(distill.datasets.load_sample(), page("http://127.0.0.1:8765/catalog.html"))
    >>> ev["page_title"].unique().tolist()
    ['ShopDemo - Catalog']
    """
    return (Q.page_url == url) | Q.page_url.startswith(url + "?") | Q.page_url.startswith(url + "#")


def user_actions() -> Query:
    """Events UserALE marks as user actions (``userAction: true``).

    Returns
    -------
    Query
        ``Q.user_action == True``. The frame needs the ``user_action`` role
        (the built-in ``userale`` schema maps it); on a frame without it the
        query raises :class:`QueryError` naming the missing column.

    Examples
    --------
    >>> import distill
    >>> acts = apply(distill.datasets.load_sample(), user_actions())
    >>> len(acts), sorted(acts["log_type"].astype(str).unique())
    (3198, ['custom', 'raw'])
    """
    return Q.user_action == True  # noqa: E712 - builds a Query


def raw_logs() -> Query:
    """UserALE raw logs (one per DOM event).

    Returns
    -------
    Query
        ``Q.log_type == "raw"``.

    Examples
    --------
    >>> import distill
    >>> len(apply(distill.datasets.load_sample(), raw_logs()))
    3173
    """
    return Q.log_type == "raw"


def interval_logs() -> Query:
    """UserALE interval logs (time spent on a target).

    Returns
    -------
    Query
        ``Q.log_type == "interval"``; :func:`distill.intervals.logged_intervals`
        reads these logs with their known defects corrected.

    Examples
    --------
    >>> import distill
    >>> spans = apply(distill.datasets.load_sample(), interval_logs())
    >>> len(spans), bool(spans["end_time"].notna().all())
    (1605, True)
    """
    return Q.log_type == "interval"


def custom_logs() -> Query:
    """UserALE custom logs (application-defined, browser-extension tab events).

    Returns
    -------
    Query
        ``Q.log_type == "custom"``.

    Examples
    --------
    >>> import distill
    >>> custom = apply(distill.datasets.load_sample(), custom_logs())
    >>> custom["type"].astype(str).value_counts().to_dict()
    {'load': 60, 'filterApplied': 25}
    """
    return Q.log_type == "custom"
