"""Queries: composition, serialisation, and evaluation checked against a row-by-row evaluator."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill import query as dq
from distill.query import Q, Query, QueryError

SAMPLE = distill.datasets.load_sample()


def _rows(events: pd.DataFrame) -> list[dict]:
    return events.to_dict("records")


def _na(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def naive(row: dict, q: Query) -> bool:
    """Slow reference: evaluate a query on one row of plain Python values."""
    if q.op == "all":
        return True
    if q.op == "and":
        return all(naive(row, c) for c in q.children)
    if q.op == "or":
        return any(naive(row, c) for c in q.children)
    if q.op == "not":
        return not naive(row, q.children[0])
    v = row[q.field]
    if q.op == "isnull":
        return _na(v)
    if q.op == "notnull":
        return not _na(v)
    if q.op in ("ne", "notin"):
        pos = "eq" if q.op == "ne" else "in"
        return _na(v) or not naive(row, Query(pos, q.field, q.value))
    if _na(v):
        return False
    if q.field == "path":
        if q.op == "contains":
            return q.value in v
        text = " > ".join(v)
    else:
        text = str(v)
    if isinstance(v, pd.Timestamp):
        if q.op == "between":
            return q.value[0] <= v <= q.value[1]
        if q.op == "in":
            return v in q.value
        return {"eq": v == q.value, "lt": v < q.value, "le": v <= q.value, "gt": v > q.value, "ge": v >= q.value}[q.op]
    if isinstance(v, (int, float, np.integer)) and not isinstance(v, bool):
        val = q.value
        if q.op == "between":
            return val[0] <= v <= val[1]
        if q.op == "in":
            return v in val
        return {"eq": v == val, "lt": v < val, "le": v <= val, "gt": v > val, "ge": v >= val}[q.op]
    if q.op == "eq":
        return text == str(q.value)
    if q.op == "in":
        return text in {str(x) for x in q.value}
    if q.op == "contains":
        return q.value in text
    if q.op == "startswith":
        return text.startswith(q.value)
    if q.op == "endswith":
        return text.endswith(q.value)
    if q.op == "matches":
        return re.search(q.value, text) is not None
    if q.op == "between":
        return q.value[0] <= text <= q.value[1]
    return {"lt": text < q.value, "le": text <= q.value, "gt": text > q.value, "ge": text >= q.value}[q.op]


ROWS = _rows(SAMPLE)


def _check(q: Query) -> None:
    got = dq.mask(SAMPLE, q)
    want = np.array([naive(r, q) for r in ROWS])
    assert (got == want).all(), f"{q.to_code()}: {int((got != want).sum())} rows differ"


@pytest.mark.parametrize(
    "q",
    [
        Q.user == "bob",
        Q.user != "bob",
        Q.type.isin(["click", "input"]),
        Q.type.notin(["mouseover"]),
        Q.target.isnull(),
        Q.target.notnull(),
        Q.target.matches(r"^input#"),
        Q.target.contains("card"),
        Q.page_url.startswith("http://127.0.0.1:8765/catalog.html"),
        Q.page_title.endswith("Checkout"),
        Q.time.between("2026-12-04T19:29:00Z", "2026-12-04T19:30:00Z"),
        Q.time < "2026-12-04T19:29:00Z",
        Q.end_time >= "2026-12-04T19:29:00Z",
        Q.x > 500,
        Q.x.between(100, 200),
        Q.y == 15,
        Q.x.isin([3, 21]),
        Q.path.contains("form#checkout-form"),
        Q.path.endswith("Window"),
        Q.event_id == "shopdemo-4863.ndjson.gz:2",
        Q.event_id.startswith("shopdemo-4863.ndjson.gz:1"),
        Q.details.contains("hunter2"),
        Q.user_action == True,  # noqa: E712
        (Q.user == "bob") & Q.type.isin(["click", "input"]) & ~Q.target.matches(r"^div"),
        (Q.user == "alice") | (Q.user == "bob") | Q.user.isnull(),
        ~(Q.log_type == "raw"),
        Query.all(),
    ],
)
def test_mask_matches_row_by_row_reference(q):
    _check(q)


@pytest.mark.parametrize(
    "builtin,args",
    [
        (dq.clicks, ()),
        (dq.inputs, ()),
        (dq.form_activity, ()),
        (dq.page_loads, ()),
        (dq.user, ("erin",)),
        (dq.session, ("session_1796412510738",)),
        (dq.window, ("2026-12-04 19:29", "2026-12-04 19:30")),
        (dq.page, ("http://127.0.0.1:8765/checkout.html",)),
        (dq.user_actions, ()),
        (dq.raw_logs, ()),
        (dq.interval_logs, ()),
        (dq.custom_logs, ()),
    ],
)
def test_builtins_are_queries(builtin, args):
    q = builtin(*args)
    assert isinstance(q, Query)
    _check(q)
    assert dq.mask(SAMPLE, q).sum() > 0


def test_builtin_counts_by_hand():
    assert dq.mask(SAMPLE, dq.clicks()).sum() == 310 + 5
    assert dq.mask(SAMPLE, dq.raw_logs()).sum() == 3173
    assert dq.mask(SAMPLE, dq.page("http://127.0.0.1:8765/checkout.html")).sum() == 1169
    assert set(dq.apply(SAMPLE, dq.user("erin"))["user"].astype(str)) == {"erin"}


def test_apply_keeps_order_and_input():
    before = SAMPLE.copy()
    out = dq.apply(SAMPLE, Q.type == "click")
    pd.testing.assert_frame_equal(SAMPLE, before)
    assert out["time"].is_monotonic_increasing and isinstance(out.index, pd.RangeIndex)
    distill.validate(out)
    assert out.distill.report is SAMPLE.distill.report


def test_accessor_query(sample):
    q = Q.type == "click"
    assert sample.distill.query(q).equals(dq.apply(sample, q))
    assert sample.distill.query(q.to_json()).equals(dq.apply(sample, q))
    assert sample.distill.query(q.to_dict()).equals(dq.apply(sample, q))


def test_immutable_and_equal_by_value():
    a = (Q.user == "bob") & Q.type.isin(["click"])
    b = (Q.user == "bob") & Q.type.isin(["click"])
    assert a == b and a is not b
    with pytest.raises(AttributeError):
        a.op = "or"  # type: ignore[misc]
    assert Q.type.isin(["a", "b", "a"]) == Q.type.isin(["a", "b"])
    assert (Q.time == "2026-12-04 19:29") == (Q.time == pd.Timestamp("2026-12-04T19:29:00Z"))
    assert ~~(Q.user == "a") == (Q.user == "a")
    assert (Query.all() & (Q.user == "a")) == (Q.user == "a")


def test_errors_name_the_problem():
    with pytest.raises(QueryError, match="field 'colour' is not a column of this frame"):
        dq.mask(SAMPLE, Q.colour == "red")
    with pytest.raises(QueryError, match="invalid regular expression"):
        Q.target.matches("(")
    with pytest.raises(QueryError, match="is not a time"):
        _ = Q.time > "yesterday-ish"
    with pytest.raises(QueryError, match="no truth value"):
        bool(Q.user == "a")
    with pytest.raises(QueryError, match="'between' needs exactly two values"):
        Query.from_dict({"field": "x", "op": "between", "value": [1]})
    with pytest.raises(QueryError, match="unknown operator 'like'"):
        Query.from_dict({"field": "x", "op": "like", "value": 1})
    with pytest.raises(QueryError, match="got keys"):
        Query.from_dict({"field": "x", "value": 1, "extra": 2})
    with pytest.raises(QueryError, match="not valid JSON"):
        Query.from_json("{nope")
    with pytest.raises(QueryError, match="is numeric"):
        dq.mask(SAMPLE, Q.x.contains("3"))
    with pytest.raises(QueryError, match="field 'path'"):
        dq.mask(SAMPLE, Q.path == "html")


# -- property tests ---------------------------------------------------------------------
def _values(col: str) -> list:
    return [v for v in SAMPLE[col].dropna().unique().tolist()][:30]


_cat_leaf = st.sampled_from(["user", "type", "log_type", "target", "page_title"]).flatmap(
    lambda f: st.one_of(
        st.sampled_from(_values(f)).map(lambda v, f=f: Q[f] == v),
        st.lists(st.sampled_from(_values(f)), min_size=1, max_size=3).map(lambda vs, f=f: Q[f].isin(vs)),
        st.sampled_from(_values(f)).map(lambda v, f=f: Q[f] != v),
        st.text("abcdeiflmnoprst#.", min_size=1, max_size=3).map(lambda t, f=f: Q[f].contains(t)),
        st.just(Q[f].isnull()),
    )
)
_time_leaf = st.tuples(st.integers(0, 200), st.integers(0, 200)).map(
    lambda ab: Q.time.between(
        pd.Timestamp("2026-12-04T19:28:30Z") + pd.Timedelta(seconds=min(ab)),
        pd.Timestamp("2026-12-04T19:28:30Z") + pd.Timedelta(seconds=max(ab)),
    )
)
_num_leaf = st.integers(0, 1200).flatmap(lambda v: st.sampled_from([Q.x < v, Q.y >= v, Q.x == v]))
_leaf = st.one_of(_cat_leaf, _time_leaf, _num_leaf)
_query = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda t: t[0] & t[1]),
        st.tuples(inner, inner).map(lambda t: t[0] | t[1]),
        inner.map(lambda q: ~q),
    ),
    max_leaves=5,
)


@settings(max_examples=60)
@given(_query)
def test_random_queries_match_reference_and_round_trip(q):
    _check(q)
    assert Query.from_json(q.to_json()) == q
    assert Query.from_dict(q.to_dict()) == q
    assert eval(q.to_code(), {"Q": Q, "Query": Query}) == q
    n = len(dq.apply(SAMPLE, q))
    assert n <= len(SAMPLE)
