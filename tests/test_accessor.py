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
