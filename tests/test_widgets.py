"""Panels without a browser: set their state, check the query, frames, graphs and figures they produce.

Expected values are worked out independently of the panels: by looping over the
sample's rows in plain Python, or by calling the library functions directly.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections import Counter

import jsonschema
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill import export
from distill.errors import MissingDependencyError
from distill.query import Q, Query, apply, page

pytest.importorskip("ipywidgets")
pytest.importorskip("plotly")

from distill.widgets import QueryBuilder, build_query

SAMPLE = distill.datasets.load_sample()
ROWS = SAMPLE.to_dict("records")
BASE = "http://127.0.0.1:8765/"


def _page_of(url) -> str | None:
    if url is None or url is pd.NA or (isinstance(url, float) and url != url):
        return None
    return str(url).split("#", 1)[0].split("?", 1)[0]


def _ids(rows) -> list[str]:
    return [r["event_id"] for r in rows]


def _validate(doc: dict) -> None:
    jsonschema.validate(doc, export.json_schema())
    json.dumps(doc)  # plain JSON, no numpy scalars


# -- the optional extra ---------------------------------------------------------------------------
def test_missing_extra_names_the_extra(monkeypatch):
    for name in list(sys.modules):
        if name.startswith("distill.widgets.") or name == "ipywidgets" or name.startswith("ipywidgets."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    import distill.widgets as dw

    with pytest.raises(MissingDependencyError, match=r"distill\[widgets\]") as err:
        dw.QueryBuilder(SAMPLE)
    assert err.value.package == "ipywidgets"
    monkeypatch.undo()
    importlib.import_module("distill.widgets.query_builder")


def test_unknown_name_is_an_attribute_error():
    import distill.widgets as dw

    with pytest.raises(AttributeError, match="Nope"):
        dw.Nope  # noqa: B018


# -- QueryBuilder ---------------------------------------------------------------------------------
def test_offers_every_value_found_with_its_count():
    qb = QueryBuilder(SAMPLE)
    for name, column in [("users", "user"), ("types", "type"), ("targets", "target"), ("log_types", "log_type")]:
        expected = Counter(str(r[column]) for r in ROWS if r[column] is not None and r[column] == r[column])
        offered = {
            v: int(label.rsplit("(", 1)[1].rstrip(")").replace(",", "")) for label, v in qb._selects[name].options
        }
        assert offered == dict(expected), name
    pages = Counter(p for p in (_page_of(r["page_url"]) for r in ROWS) if p)
    offered = {v for _, v in qb._selects["pages"].options}
    assert offered == set(pages) == {BASE + "index.html", BASE + "catalog.html", BASE + "checkout.html"}


def test_no_picks_is_everything():
    qb = QueryBuilder(SAMPLE)
    assert qb.query == Query.all()
    assert _ids(qb.result.to_dict("records")) == _ids(ROWS)
    assert qb.settings() == {}


def test_picking_a_user_runs_the_query():
    qb = QueryBuilder(SAMPLE)
    seen = []
    qb.on_change(lambda p: seen.append(len(p.result)))
    qb._selects["users"].value = ("bob",)  # what a click in the list does
    assert qb.query == (Q.user == "bob")
    expected = [r for r in ROWS if r["user"] == "bob"]
    assert _ids(qb.result.to_dict("records")) == _ids(expected)
    assert seen == [len(expected)]
    assert f"<b>{len(expected):,}</b> of 4,863 events" in qb._status.value
    assert "Q.user == &#x27;bob&#x27;" in qb._code.value
    assert json.loads(qb.query.to_json()) == {"field": "user", "op": "eq", "value": "bob"}


def test_built_and_typed_queries_are_equal():
    start, end = "2026-12-04T19:29:10Z", "2026-12-04T19:30:30Z"
    qb = QueryBuilder(
        SAMPLE,
        users=["alice", "bob"],
        types=["click"],
        pages=[BASE + "catalog.html", BASE + "checkout.html"],
        log_types=["raw"],
        start=start,
        end=end,
    )
    typed = (
        Q.user.isin(["alice", "bob"])
        & (Q.type == "click")
        & (page(BASE + "catalog.html") | page(BASE + "checkout.html"))
        & (Q.log_type == "raw")
        & Q.time.between(start, end)
    )
    assert qb.query == typed
    assert Query.from_json(qb.query.to_json()) == typed
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    expected = [
        r
        for r in ROWS
        if r["user"] in ("alice", "bob")
        and r["type"] == "click"
        and _page_of(r["page_url"]) in (BASE + "catalog.html", BASE + "checkout.html")
        and r["log_type"] == "raw"
        and lo <= r["time"] <= hi
    ]
    assert expected
    assert _ids(qb.result.to_dict("records")) == _ids(expected)


def test_one_sided_time_window():
    qb = QueryBuilder(SAMPLE, end="2026-12-04T19:29:00Z")
    assert qb.query == (Q.time <= "2026-12-04T19:29:00Z")
    assert qb.time_window == (None, "2026-12-04T19:29:00Z")
    assert len(qb.result) == sum(r["time"] <= pd.Timestamp("2026-12-04T19:29:00Z") for r in ROWS)


def test_moving_the_time_slider_narrows_the_query():
    qb = QueryBuilder(SAMPLE)
    opts = qb._time.options
    qb._time.index = (10, len(opts) - 11)
    start, end = opts[10][1], opts[-11][1]
    assert qb.query == Q.time.between(start, end)
    assert qb.settings() == {"start": distill.export.plain(start), "end": distill.export.plain(end)}
    assert len(qb.result) == sum(start <= r["time"] <= end for r in ROWS)
    qb.clear()
    assert qb.query == Query.all() and len(qb.result) == len(ROWS)


def test_time_slider_stops_cover_the_data_exactly():
    qb = QueryBuilder(SAMPLE)
    values = [v for _, v in qb._time.options]
    labels = [lab for lab, _ in qb._time.options]
    assert values[0] == SAMPLE["time"].min() and values[-1] == SAMPLE["time"].max()
    assert values == sorted(set(values)) and len(labels) == len(set(labels))


@settings(max_examples=25)
@given(
    users=st.lists(st.sampled_from(sorted(SAMPLE["user"].dropna().unique())), unique=True, max_size=3),
    types=st.lists(st.sampled_from(sorted(SAMPLE["type"].unique())), unique=True, max_size=3),
    log_types=st.lists(st.sampled_from(["raw", "interval", "custom"]), unique=True, max_size=2),
)
def test_settings_and_code_round_trip(users, types, log_types):
    qb = QueryBuilder(SAMPLE, users=users, types=types, log_types=log_types)
    again = QueryBuilder(SAMPLE, **qb.settings())
    assert again.query == qb.query and again.settings() == qb.settings()
    namespace = {"events": SAMPLE}
    exec(qb.to_code(), namespace)
    assert namespace["query"] == qb.query
    pd.testing.assert_frame_equal(namespace["result"], qb.result)
    expected = [
        r
        for r in ROWS
        if (not users or r["user"] in users) and (not types or r["type"] in types)
        if not log_types or r["log_type"] in log_types
    ]
    assert _ids(qb.result.to_dict("records")) == _ids(expected)


def test_export_is_what_is_shown():
    qb = QueryBuilder(SAMPLE, users=["carol"], types=["click"])
    doc = qb.to_dict()
    _validate(doc)
    assert doc["kind"] == "events"
    assert doc["meta"]["panel"] == "QueryBuilder"
    assert doc["meta"]["settings"] == {"users": ["carol"], "types": ["click"]}
    assert Query.from_dict(doc["meta"]["query"]) == qb.query
    assert [r["event_id"] for r in doc["data"]["records"]] == qb.result["event_id"].tolist()
    assert json.loads(qb.to_json(limit=2))["meta"]["rows_exported"] == 2


def test_manual_run_mode():
    qb = QueryBuilder(SAMPLE, auto_run=False)
    assert qb.result is None
    qb.pick(users=["dave"])
    assert qb.result is None and "press Run" in qb._status.value
    qb._run_button.click()
    assert len(qb.result) == sum(r["user"] == "dave" for r in ROWS)
    assert QueryBuilder(SAMPLE, **qb.settings())._auto.value is False


def test_bad_picks_are_named():
    with pytest.raises(ValueError, match=r"users.*'nobody'"):
        QueryBuilder(SAMPLE, users=["nobody"])
    with pytest.raises(ValueError, match="no field 'colour'"):
        QueryBuilder(SAMPLE).pick(colour=["red"])
    with pytest.raises(ValueError, match="outside the data"):
        QueryBuilder(SAMPLE, start="2020-01-01T00:00:00Z")
    with pytest.raises(ValueError, match="after end"):
        QueryBuilder(SAMPLE, start="2026-12-04T19:30:00Z", end="2026-12-04T19:29:00Z")


def test_input_frame_is_not_changed():
    events = SAMPLE.copy()
    before = events.copy()
    qb = QueryBuilder(events, users=["bob"])
    qb.result.loc[0, "x"] = -1
    pd.testing.assert_frame_equal(events, before)


def test_build_query_is_the_documented_shape():
    assert build_query(users=["a"], pages=["http://h/p"]) == (Q.user == "a") & page("http://h/p")
    assert build_query(start="2026-12-04T19:29:00Z") == (Q.time >= "2026-12-04T19:29:00Z")
    assert apply(SAMPLE, build_query(sessions=[SAMPLE["session"].iloc[0]])).shape[0] > 0
