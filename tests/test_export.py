"""The one payload: envelopes, JSON Schema, and round trips."""

from __future__ import annotations

import json

import jsonschema
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import distill
from distill import export
from distill.errors import InputError


def _valid(doc):
    jsonschema.validate(doc, export.json_schema(), format_checker=jsonschema.FormatChecker())
    return doc


def test_events_round_trip_through_json(sample):
    text = distill.to_json(sample)
    doc = _valid(json.loads(text))
    assert doc["kind"] == "events" and doc["meta"]["rows"] == 4863
    back = distill.from_json(text)
    pd.testing.assert_frame_equal(back, sample)
    assert back["path"].tolist() == sample["path"].tolist()


def test_event_records_are_plain_json(sample):
    rec = distill.to_dict(sample[sample["event_id"] == "shopdemo-4863.ndjson.gz:2"])["data"]["records"][0]
    assert rec["time"] == "2026-12-04T19:28:34.245700Z"  # microTime 0.7 ms kept
    assert rec["path"] == ["html", "#document", "Window"]
    assert rec["x"] == 3 and isinstance(rec["x"], int)
    assert rec["details"] is None
    loads = distill.to_dict(sample[sample["type"] == "load"].head(1))["data"]["records"][0]
    assert isinstance(loads["details"], dict) and "pageLoadTime" in loads["details"]


def test_to_json_writes_a_file(tmp_path, sample):
    path = tmp_path / "out.json"
    assert distill.to_json(sample.head(5), path, indent=2) == str(path)
    text = path.read_text(encoding="utf-8")
    assert text == distill.to_json(sample.head(5), indent=2) and "\n  " in text


def test_summary_report_graph_table_validate(sample):
    _valid(distill.to_dict(distill.summary(sample)))
    _valid(distill.to_dict(sample.distill.report))
    g = nx.DiGraph()
    g.add_edge("a", "b", count=np.int64(3), p=np.float64(0.5))
    doc = _valid(distill.to_dict(g))
    assert doc["data"]["edges"] == [{"source": "a", "target": "b", "count": 3, "p": 0.5}]
    assert isinstance(doc["data"]["edges"][0]["count"], int)
    table = pd.DataFrame({"user": ["a", "b"], "n": [1, 2], "dur": pd.to_timedelta([1.5, 2], unit="s")})
    table.attrs["distill_kind"] = "sessions"
    doc = _valid(distill.to_dict(table))
    assert doc["kind"] == "sessions" and doc["data"]["records"][0] == {"user": "a", "n": 1, "dur": 1.5}
    back = distill.from_dict(doc)
    assert back["dur"].tolist() == table["dur"].tolist()


def test_graph_round_trip():
    g = nx.DiGraph()
    g.add_edge(("page", "a"), ("page", "b"), count=2)
    back = distill.from_dict(distill.to_dict(g))
    assert back[("page", "a")][("page", "b")]["count"] == 2


def test_named_index_is_kept():
    table = pd.DataFrame({"n": [1, 2]}, index=pd.Index(["s1", "s2"], name="session"))
    rec = distill.to_dict(table)["data"]["records"]
    assert rec == [{"session": "s1", "n": 1}, {"session": "s2", "n": 2}]


def test_meta_carries_read_counts_but_no_file_paths(sample):
    read = distill.to_dict(sample, limit=1)["meta"]["read"]
    assert read["read"] == 4863 and read["sources"] == ["shopdemo-4863.ndjson.gz"]
    assert "paths" not in read and "issues" not in read
    assert str(distill.datasets.sample_path().parent) not in distill.to_json(sample, limit=1)


def test_limit_and_meta(sample):
    doc = distill.to_dict(sample, limit=3, meta={"offset": 0})
    assert len(doc["data"]["records"]) == 3
    assert doc["meta"]["rows"] == 4863 and doc["meta"]["rows_exported"] == 3 and doc["meta"]["offset"] == 0


def test_not_an_export():
    with pytest.raises(InputError, match="not a Distill export"):
        distill.from_dict({"kind": "events"})
    with pytest.raises(InputError, match=r"unsupported Distill export version '2\.0'"):
        distill.from_dict({"format": "distill", "version": "2.0", "kind": "events", "data": {}})
    with pytest.raises(TypeError, match="cannot export a object"):
        distill.to_dict(object())


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@given(_json)
def test_plain_values_always_serialise(value):
    out = export.plain(value)
    json.dumps(out, allow_nan=False)
