"""df.distill: stateless, validated once, one-line delegations."""

from __future__ import annotations

import pandas as pd
import pytest

import distill
from distill.errors import FrameError


def test_accessor_delegates(sample):
    assert sample.distill.summary() == distill.summary(sample)
    assert sample.distill.to_dict(limit=2) == distill.to_dict(sample, limit=2)
    assert sample.distill.to_json(limit=2) == distill.to_json(sample, limit=2)
    assert sample.distill.report is distill.report_of(sample)


def test_accessor_rejects_other_frames_clearly():
    with pytest.raises(FrameError, match="missing columns: event_id, time"):
        pd.DataFrame({"a": [1]}).distill.summary()
    bad = distill.datasets.load_sample().astype({"user": str})
    with pytest.raises(FrameError, match="column 'user' has dtype"):
        bad.distill.summary()


def test_unsorted_frames_are_named(sample):
    with pytest.raises(FrameError, match="not sorted by time"):
        sample.iloc[::-1].distill.summary()
    assert distill.sort_events(sample.iloc[::-1])["event_id"].tolist() == sample["event_id"].tolist()


def test_accessor_does_not_mutate(sample):
    before = sample.copy()
    sample.distill.summary()
    sample.distill.to_json()
    pd.testing.assert_frame_equal(sample, before)


def test_unknown_method_message(sample):
    with pytest.raises(AttributeError, match="no method 'nope'"):
        sample.distill.nope()


def test_summary_values(sample):
    s = sample.distill.summary()
    assert (s.events, s.users, s.sessions) == (4863, 8, 21)
    assert s.by_type["mouseover"] == 2093
    assert s.missing["target"] == 85
    assert s.span.total_seconds() == pytest.approx(197.387)
    assert "<table" in s._repr_html_()


def test_summary_says_what_the_read_rejected(data_dir):
    with pytest.warns(distill.DistillDataWarning, match="3 rejected"):
        events = distill.read(data_dir / "sample_data_without_type.json")
    s = events.distill.summary()
    assert s.read is not None and (s.read["read"], s.read["accepted"], s.read["rejected"]) == (19, 16, 3)
    assert s.read == distill.report_of(events).counts()
    doc = distill.to_dict(s)
    assert doc["meta"]["read"]["rejected_by_reason"] == {"missing required role 'type' (field type)": 3}
    assert "read" not in doc["data"]
    assert "3 of 19 records rejected" in str(s) and "3 of 19 records rejected" in s._repr_html_()
    # a frame not made by a read (or with nothing rejected) says nothing about rejections
    bare = events.copy()
    bare.attrs = {}
    clean = distill.summary(bare)
    assert clean.read is None and distill.to_dict(clean)["meta"] == {} and "rejected" not in str(clean)
    assert "rejected" not in str(distill.datasets.load_sample().distill.summary())
