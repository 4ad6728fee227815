"""Private helpers shared by :mod:`distill.filters`, :mod:`distill.redact` and :mod:`distill.intervals`.

- :func:`where_mask`: turn a condition (mask, callable, query, type names) into a boolean array;
- :func:`group_codes`: integer group codes for one or more key columns, comparable across frames;
- :func:`window_copies`: UserALE's doubled focus/blur (the ``{"window":true}`` copy of an event);
- :func:`compile_rules` / :func:`match_rules`: exact, regex and callable rules applied per category;
- :func:`to_timedelta`, :func:`as_columns`, :func:`record_step`, :func:`take`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from distill.frame import require

__all__: list[str] = []

#: The ``details`` text UserALE gives the window-level copy of a focus or blur event.
WINDOW_DETAILS = '{"window":true}'
#: Event types UserALE logs twice (once on the element, once with ``{"window":true}``).
DOUBLED_TYPES = ("focus", "blur")


def as_columns(by: str | Sequence[str] | None) -> tuple[str, ...]:
    """``by`` as a tuple of column names (None and empty give ``()``)."""
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    cols = tuple(by)
    for c in cols:
        if not isinstance(c, str):
            raise TypeError(f"column names must be strings, got {c!r} in {by!r}")
    return cols


def to_timedelta(value: Any, name: str) -> pd.Timedelta:
    """A non-negative Timedelta from text (``"5s"``), a timedelta, or a number of seconds."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a duration such as '5s', got {value!r}")
    try:
        if isinstance(value, (int, float, np.integer, np.floating)):
            td = pd.Timedelta(float(value), unit="s")
        else:
            td = pd.Timedelta(value)
    except (ValueError, TypeError):
        raise ValueError(f"{name} must be a duration such as '5s' or '1min', got {value!r}") from None
    if pd.isna(td):
        raise ValueError(f"{name} must be a duration, got {value!r}")
    if td < pd.Timedelta(0):
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return td


def where_mask(events: pd.DataFrame, where: Any, *, name: str = "where") -> np.ndarray:
    """Evaluate a condition on ``events`` as a boolean numpy array.

    ``where`` may be: a type name or a list/tuple/set of type names; a boolean
    array or Series of the frame's length (a Series is aligned on the index;
    missing values count as False); a callable taking the frame and returning
    such a mask; or any object with a ``.mask(events)`` method (a
    :class:`distill.query.Query`).
    """
    if where is None:
        raise TypeError(f"{name} is required: give a type name, a boolean mask, a callable or a query")
    if isinstance(where, str) or (
        isinstance(where, (list, tuple, set, frozenset)) and all(isinstance(w, str) for w in where)
    ):
        types = [where] if isinstance(where, str) else list(where)
        require(events, ["type"], what=name)
        return _isin(events["type"], types)
    if hasattr(where, "mask") and callable(where.mask) and not isinstance(where, (pd.Series, pd.DataFrame)):
        return _boolean(where.mask(events), events, name)
    if callable(where) and not isinstance(where, (pd.Series, np.ndarray)):
        return _boolean(where(events), events, name)
    return _boolean(where, events, name)


def _boolean(value: Any, events: pd.DataFrame, name: str) -> np.ndarray:
    n = len(events)
    if isinstance(value, pd.DataFrame):
        raise TypeError(f"{name} must give one boolean per event, got a DataFrame")
    if isinstance(value, pd.Series):
        if not value.index.equals(events.index):
            value = value.reindex(events.index)  # align; rows it does not cover become missing
        filled = value.astype(object).where(value.notna(), False)
        if not all(isinstance(v, (bool, np.bool_)) for v in pd.unique(filled.to_numpy())):
            raise TypeError(f"{name} must be boolean, got dtype {value.dtype}")
        arr = filled.to_numpy(dtype=bool)
    else:
        arr = np.asarray(value)
        if arr.dtype != bool:
            raise TypeError(f"{name} must be a boolean mask, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"{name} must have one value per event ({n}), got shape {arr.shape}")
    return arr


def _isin(series: pd.Series, values: Iterable[Any]) -> np.ndarray:
    """``series.isin(values)`` computed once per category on categoricals."""
    values = list(values)
    if isinstance(series.dtype, pd.CategoricalDtype):
        hit = np.asarray(series.cat.categories.isin(values), dtype=bool)
        codes = series.cat.codes.to_numpy()
        return np.where(codes >= 0, hit[np.clip(codes, 0, None)] if len(hit) else False, False)
    return series.isin(values).to_numpy(dtype=bool)


def column_codes(columns: Sequence[pd.Series]) -> list[np.ndarray]:
    """Integer codes of the same logical column in several frames, comparable across them.

    Missing values get their own code (they form a group, as with ``dropna=False``).
    """
    cats = [s for s in columns if isinstance(s.dtype, pd.CategoricalDtype)]
    if len(cats) == len(columns):
        union = cats[0].cat.categories
        for s in cats[1:]:
            if not s.cat.categories.equals(union):
                union = union.append(s.cat.categories).unique()
        out = []
        for s in columns:
            codes = s.cat.codes.to_numpy().astype(np.int64)
            if not s.cat.categories.equals(union):
                remap = union.get_indexer(s.cat.categories)
                codes = np.where(codes >= 0, remap[np.clip(codes, 0, None)] if len(remap) else -1, -1)
            out.append(np.where(codes < 0, len(union), codes))
        return out
    values = pd.concat([pd.Series(s.to_numpy()) for s in columns], ignore_index=True)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    codes = np.where(codes < 0, len(uniques), codes).astype(np.int64)
    out, start = [], 0
    for s in columns:
        out.append(codes[start : start + len(s)])
        start += len(s)
    return out


def group_codes(frames: Sequence[pd.DataFrame], by: Sequence[str]) -> list[np.ndarray]:
    """Integer group codes of the key columns ``by``, comparable across ``frames``.

    Equal keys get equal codes (missing values are a value). Codes are
    non-negative and at most the number of rows of all frames plus the number
    of categories, but not necessarily dense. With no columns every row is in
    group 0. Linear time: codes per column are combined in mixed radix and
    compacted by hashing only when the product would overflow.
    """
    if not by:
        return [np.zeros(len(f), dtype=np.int64) for f in frames]
    sizes = [len(f) for f in frames]
    parts = [np.concatenate(column_codes([f[c] for f in frames])) for c in by]
    combined = parts[0]
    for codes in parts[1:]:
        radix = int(codes.max()) + 1 if codes.size else 1
        top = int(combined.max()) + 1 if combined.size else 1
        if top * radix >= 2**62:
            combined = pd.factorize(combined)[0].astype(np.int64)
        combined = combined * radix + codes
    if len(by) > 1 and combined.size and int(combined.max()) >= 4 * combined.size:
        combined = pd.factorize(combined)[0].astype(np.int64)
    out, start = [], 0
    for size in sizes:
        out.append(combined[start : start + size])
        start += size
    return out


def segmented_search(ga: np.ndarray, ta: np.ndarray, gq: np.ndarray, tq: np.ndarray, side: str) -> np.ndarray:
    """For each query ``(gq, tq)``, how many rows of ``a`` have the same group and a time before it.

    ``side="left"`` counts times ``< tq``, ``"right"`` times ``<= tq``; adding the
    number of rows of ``a`` in smaller groups, this is the position of the query
    in ``a`` sorted by (group, time), which is what callers subtract. One sort of
    ``a`` and one binary search per query; groups and times are packed into one
    int64 key (times as ranks when the span would overflow).
    """
    ka, kq = _pack(ga, ta, gq, tq)
    return np.searchsorted(np.sort(ka), kq, side=side)  # type: ignore[call-overload]


def _pack(ga: np.ndarray, ta: np.ndarray, gq: np.ndarray, tq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not ta.size or not tq.size:
        return ga * 0 + ta, gq * 0 + tq
    lo = min(int(ta.min()), int(tq.min()))
    hi = max(int(ta.max()), int(tq.max()))
    groups = max(int(ga.max()) if ga.size else 0, int(gq.max()) if gq.size else 0) + 1
    span = hi - lo + 1
    if groups * span < 2**62:
        return ga * span + (ta - lo), gq * span + (tq - lo)
    # rank the times (ties share a rank) so group * ranks fits an int64
    allt = np.concatenate([ta, tq])
    order = np.argsort(allt, kind="stable")
    st = allt[order]
    ranks_sorted = np.concatenate([[0], np.cumsum(st[1:] != st[:-1])])
    ranks = np.empty(len(allt), dtype=np.int64)
    ranks[order] = ranks_sorted
    k = int(ranks_sorted[-1]) + 1
    return ga * k + ranks[: len(ta)], gq * k + ranks[len(ta) :]


def time_ns(events: pd.DataFrame, column: str = "time") -> np.ndarray:
    """Nanoseconds since the epoch (int64) of a time column."""
    return events[column].to_numpy(dtype="datetime64[ns]").view(np.int64)


def window_copies(events: pd.DataFrame) -> np.ndarray:
    """Which rows are UserALE's window copies of a focus/blur that is also logged without it.

    A row is a copy when its type is focus or blur, its ``details`` is
    ``{"window":true}``, and an event of the same type, session, target and
    time without that detail exists. Copies without such an original are not
    marked (they are the only record of the event).
    """
    n = len(events)
    if not n or not {"type", "details", "session", "target", "time"}.issubset(events.columns):
        return np.zeros(n, dtype=bool)
    doubled = _isin(events["type"], DOUBLED_TYPES)
    if not doubled.any():
        return np.zeros(n, dtype=bool)
    rows = np.flatnonzero(doubled)
    sub = events.iloc[rows]
    win = (sub["details"] == WINDOW_DETAILS).fillna(False).to_numpy(dtype=bool)
    if not win.any():
        return np.zeros(n, dtype=bool)
    g = group_codes([sub], ("session", "target", "type"))[0]
    t = time_ns(sub)
    index = pd.MultiIndex.from_arrays([g, t])
    hit = np.zeros(n, dtype=bool)
    hit[rows[win]] = index[win].isin(index[~win])
    return hit


# -- rules (exact, regex, callable) ------------------------------------------------------------
Rule = tuple[str, Any, Any]


def _is_regex(key: Any) -> bool:
    return isinstance(key, re.Pattern) or (isinstance(key, str) and key.startswith("^"))


def compile_rules(rules: Any, *, name: str = "rules", labelled: bool = True) -> list[Rule]:
    """Normalise rules to ``[(kind, matcher, label)]`` with kind ``exact``, ``regex`` or ``callable``.

    ``rules`` is a mapping ``{rule: label}`` or a sequence of ``(rule, label)``
    pairs (or, when ``labelled`` is False, a sequence of rules or one rule). A
    rule is a string (exact match), a string starting with ``^`` or a compiled
    pattern (regular expression, searched), or a callable taking the value and
    returning a label, True/False, or None for no match.
    """
    items: list[tuple[Any, Any]]
    if isinstance(rules, Mapping):
        items = list(rules.items())
    elif labelled:
        try:
            items = [(r, label) for r, label in rules]
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a dict {{rule: label}} or a list of (rule, label) pairs") from None
    else:
        if isinstance(rules, (str, re.Pattern)) or callable(rules):
            rules = [rules]
        items = [(r, True) for r in rules]
    out: list[Rule] = []
    for rule, label in items:
        if isinstance(rule, re.Pattern):
            out.append(("regex", rule, label))
        elif isinstance(rule, str) and rule.startswith("^"):
            try:
                out.append(("regex", re.compile(rule), label))
            except re.error as err:
                raise ValueError(f"{name}: bad regular expression {rule!r}: {err}") from None
        elif isinstance(rule, str):
            out.append(("exact", rule, label))
        elif callable(rule):
            out.append(("callable", rule, label))
        else:
            raise TypeError(f"{name}: a rule must be a string, a compiled pattern or a callable, got {rule!r}")
    return out


def match_rules(value: str, rules: list[Rule]) -> tuple[bool, Any]:
    """The first rule matching ``value``: ``(True, label)`` or ``(False, None)``.

    Regex labels that are strings are expanded (``\\1``, ``\\g<name>``);
    a callable's own result is the label unless it is True (then the rule's label).
    """
    for kind, matcher, label in rules:
        if kind == "exact":
            if value == matcher:
                return True, label
        elif kind == "regex":
            m = matcher.search(value)
            if m is not None:
                return True, (m.expand(label) if isinstance(label, str) else label)
        else:
            result = matcher(value)
            if result is None or result is False:
                continue
            return True, (label if result is True else result)
    return False, None


def per_category(series: pd.Series, func: Callable[[str], Any], default: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``func`` once per distinct non-missing value.

    Returns ``(values, codes)``: ``values[i]`` is ``func`` of the i-th distinct
    value and ``codes`` maps each row to it (-1 for missing rows, which get
    ``default``).
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        codes = series.cat.codes.to_numpy().astype(np.int64)
    else:
        codes, cats = pd.factorize(series, use_na_sentinel=True)
        codes = np.asarray(codes, dtype=np.int64)
    values = np.empty(len(cats), dtype=object)
    for i, c in enumerate(cats.tolist()):
        values[i] = func(str(c))
    return values, codes


def take(events: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """Rows of ``events`` where ``keep`` is True, as a new frame with a fresh RangeIndex and the same attrs."""
    out = events.loc[keep] if not keep.all() else events.copy()
    out = out.reset_index(drop=True)
    out.attrs = dict(events.attrs)
    return out


def record_step(out: pd.DataFrame, source: pd.DataFrame, step: Mapping[str, Any]) -> pd.DataFrame:
    """Append ``step`` to the filter history in ``out.attrs["distill_meta"]["filters"]`` (``out`` is new)."""
    meta = source.attrs.get("distill_meta")
    meta = dict(meta) if isinstance(meta, Mapping) else {}
    history = list(meta.get("filters", ()))
    history.append(dict(step))
    meta["filters"] = history
    out.attrs = {**{k: v for k, v in source.attrs.items() if k != "distill_meta"}, "distill_meta": meta}
    return out
