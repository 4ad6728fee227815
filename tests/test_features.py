"""distill.features: node keys, DOM roll-up, counts, within/between-user statistics, sessions.

Expected values come from slow, one-event-at-a-time reference implementations
written here from the documented rules, and from small slices worked by hand.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict

import jsonschema
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill import export, features
from distill.errors import FrameError

FIXTURE = "sample_data_multiusers.json"


def _valid(doc):
    jsonschema.validate(doc, export.json_schema())
    return doc


def _text(v):
    return None if v is None or (not isinstance(v, (str, tuple)) and pd.isna(v)) else v


def _page(url):
    url = _text(url)
    return None if url is None else url.split("#")[0].split("?")[0]


def ref_node(events: pd.DataFrame, by: str = "target", depth: int | None = None) -> list:
    """The node of every event, one at a time, from the rules in node_key's docstring."""
    out = []
    for row in events.itertuples(index=False):
        if by == "target":
            out.append(_text(row.target))
        elif by == "type":
            out.append(_text(row.type))
        elif by == "page":
            out.append(_page(row.page_url))
        elif by == "type_target":
            t, g = _text(row.type), _text(row.target)
            out.append(None if t is None else (t if g is None else f"{t} {g}"))
        elif by == "path":
            p = row.path
            if p is None or len(p) == 0:
                out.append(None)
            else:
                out.append(p[max(len(p) - 1 - depth, 0)])
        else:
            out.append(_text(getattr(row, by)))
    return out


@pytest.fixture(scope="module")
def multi(data_dir):
    return distill.read(data_dir / FIXTURE)


# -- node keys ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("by", "depth"), [("target", None), ("type", None), ("page", None), ("type_target", None), ("path", 0), ("path", 4)]
)
def test_node_key_matches_reference_on_sample_and_fixture(sample, multi, by, depth):
    for events in (sample, multi):
        got = features.node_key(events, by, depth=depth)
        assert isinstance(got.dtype, pd.CategoricalDtype)
        assert got.index.equals(events.index)
        assert list(got.cat.categories) == sorted(got.cat.categories)
        assert [None if pd.isna(v) else v for v in got.astype(object)] == ref_node(events, by, depth)


def test_node_key_hand_worked_rows(sample):
    # row 10 is a mouseover on the search box, row 0 a page load (no target)
    assert sample["path"].iloc[10] == ("input#search", "div#filters", "body", "html", "#document", "Window")
    assert features.node_key(sample, "type_target").iloc[0] == "load"
    assert features.node_key(sample, "type_target").iloc[10] == "mouseover input#search"
    assert features.node_key(sample, "path", depth=5).iloc[10] == "input#search"
    assert features.node_key(sample, ("path", 1)).iloc[10] == "#document"
    assert pd.isna(features.node_key(sample, "target").iloc[0])


def test_node_key_other_column_and_series(sample):
    got = features.node_key(sample, "user")
    assert got.astype(object).tolist() == sample["user"].astype(object).tolist()
    custom = pd.Series(np.where(sample["type"] == "click", "C", "other"), index=sample.index, name="kind")
    assert features.node_key(sample, custom).astype(str).tolist() == custom.tolist()
    # a plain text column is factorised
    text = sample.assign(label=sample["type"].astype(str))
    assert features.node_key(text, "label").astype(str).tolist() == sample["type"].astype(str).tolist()


def test_node_key_errors(sample):
    with pytest.raises(ValueError, match="needs depth"):
        features.node_key(sample, "path")
    with pytest.raises(ValueError, match="depth is for by='path'"):
        features.node_key(sample, "target", depth=2)
    with pytest.raises(FrameError, match="no_such_column"):
        features.node_key(sample, "no_such_column")
    with pytest.raises(TypeError, match="node key"):
        features.node_key(sample, 3)
    with pytest.raises(ValueError, match="aligned"):
        features.node_key(sample, sample["type"].iloc[:5])


# -- roll-up -----------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [0, 1, 3, 4, 5, 20])
def test_rollup_matches_reference(sample, multi, depth):
    for events in (sample, multi):
        got = features.rollup(events, depth)
        assert [None if pd.isna(v) else v for v in got.astype(object)] == ref_node(events, "path", depth)
        chain = features.rollup(events, depth, label="chain")
        want = []
        for p in events["path"]:
            if p is None or len(p) == 0:
                want.append(None)
            else:
                at = max(len(p) - 1 - depth, 0)
                want.append(" > ".join(reversed(p[at:])))
        assert [None if pd.isna(v) else v for v in chain.astype(object)] == want


def test_rollup_aggregates_events_to_their_form(sample):
    form = features.rollup(sample, 4)
    inside = sample["path"].map(lambda p: p is not None and "form#checkout-form" in p and len(p) >= 5)
    at_depth = sample["path"].map(lambda p: p is not None and len(p) >= 5 and p[-5] == "form#checkout-form")
    assert (form[at_depth] == "form#checkout-form").all()
    assert int((form == "form#checkout-form").sum()) == int(at_depth.sum()) <= int(inside.sum())


def test_rollup_errors(sample):
    with pytest.raises(ValueError, match="depth"):
        features.rollup(sample, -1)
    with pytest.raises(ValueError, match="label"):
        features.rollup(sample, 2, label="nope")
    bad = sample.head(3).assign(path=["a", "b", "c"])
    with pytest.raises(TypeError, match="tuples"):
        features.rollup(bad, 1)


# -- counts and statistics ----------------------------------------------------------------------
def ref_counts(events, every, by="user", column="type"):
    table = defaultdict(Counter)
    step = pd.Timedelta(every).value
    for t, g, v in zip(events["time"], events[by], events[column]):
        b = pd.Timestamp((t.value // step) * step, tz="UTC")
        key = (_text(g), b)
        table[key]["total"] += 1
        if _text(v) is not None:
            table[key][str(v)] += 1
    return table


@pytest.mark.parametrize("every", ["1min", "10s"])
def test_counts_match_reference(sample, every):
    got = features.counts(sample, every)
    ref = ref_counts(sample, every)
    assert len(got) == len(ref)
    for (user, b), row in got.iterrows():
        want = ref[(user, b)]
        for col in got.columns:
            assert row[col] == want.get(col, 0), (user, b, col)
    assert int(got["total"].sum()) == len(sample)
    assert got.attrs["distill_kind"] == "features"
    _valid(distill.to_dict(got))


def test_counts_fill_adds_empty_bins_within_each_user(sample):
    sparse = features.counts(sample, "10s")
    full = features.counts(sample, "10s", fill=True)
    assert len(full) > len(sparse)
    assert int(full["total"].sum()) == len(sample)
    for user, part in full.groupby(level=0, observed=True):
        times = part.index.get_level_values(1)
        assert (np.diff(times.asi8) == pd.Timedelta("10s").value).all()
        have = sparse.xs(user, level=0)
        assert times.min() == have.index.min() and times.max() == have.index.max()


def test_counts_without_column_and_missing_groups(multi):
    frame = multi.copy()
    frame.loc[frame.index[:5], "user"] = None
    got = features.counts(frame, "1min", column=None)
    assert list(got.columns) == ["total"]
    assert int(got["total"].sum()) == len(frame)  # events without a user are a group of their own
    assert got.index.get_level_values(0).isna().any()


def test_counts_errors(sample):
    with pytest.raises(ValueError, match="every"):
        features.counts(sample, "soon")
    with pytest.raises(ValueError, match="positive"):
        features.counts(sample, "0s")


def _mode(values):
    c = Counter(values)
    best = max(c.values())
    return min(v for v, n in c.items() if n == best)


def _stats(values):
    values = [float(v) for v in values]
    return {
        "count": len(values),
        "mean": statistics.mean(values),
        "median": statistics.median(values),
        "mode": _mode(values),
        "variance": statistics.variance(values) if len(values) > 1 else float("nan"),
        "min": min(values),
        "max": max(values),
        "range": max(values) - min(values),
    }


def _close(a, b):
    return (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("agg", ["sum", "mean", "median", "max"])
def test_between_users_matches_statistics_module(sample, agg):
    table = features.counts(sample, "1min")
    got = features.between_users(table, agg=agg)
    per_user = defaultdict(lambda: defaultdict(list))
    for (user, _), row in table.iterrows():
        for col in table.columns:
            per_user[col][user].append(int(row[col]))
    red = {"sum": sum, "mean": statistics.mean, "median": statistics.median, "max": max}[agg]
    for col in table.columns:
        want = _stats([red(v) for v in per_user[col].values()])
        for stat, value in want.items():
            assert _close(got.loc[col, stat], value), (col, stat)
    _valid(distill.to_dict(got))
    # from events directly: the same
    pd.testing.assert_frame_equal(features.between_users(sample, agg=agg), got, check_like=True)


def test_within_users_matches_statistics_module(sample):
    table = features.counts(sample, "1min")
    got = features.within_users(table)
    for user, part in table.groupby(level=0, observed=True):
        for col in table.columns:
            want = _stats([int(v) for v in part[col]])
            for stat, value in want.items():
                assert _close(got.loc[(user, col), stat], value), (user, col, stat)
    _valid(distill.to_dict(got))


def test_between_users_bad_agg(sample):
    with pytest.raises(ValueError, match="agg"):
        features.between_users(sample, agg="mode")


# -- interaction probability -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("by", "per"), [("target", "user"), ("page", "user"), ("type_target", "session"), ("type", None)]
)
def test_interaction_probability_matches_reference(sample, by, per):
    got = features.interaction_probability(sample, by, per=per)
    nodes = ref_node(sample, by)
    groups = sample[per].astype(object).tolist() if per else [None] * len(sample)
    counts = Counter((g, n) for g, n in zip(groups, nodes) if n is not None)
    totals = Counter(g for g, n in zip(groups, nodes) if n is not None)
    assert len(got) == len(counts)
    for row in got.itertuples(index=False):
        g = getattr(row, per) if per else None
        assert row.count == counts[(g, row.node)]
        assert row.probability == pytest.approx(counts[(g, row.node)] / totals[g])
    sums = got.groupby(per, observed=True)["probability"].sum() if per else pd.Series([got["probability"].sum()])
    assert np.allclose(sums, 1.0)
    assert got.attrs["distill_meta"]["without_node"] == sum(n is None for n in nodes)
    _valid(distill.to_dict(got))


# -- session features -----------------------------------------------------------------------------
def test_session_features_match_reference(sample):
    got = features.session_features(sample)
    assert len(got) == 21 and got.attrs["distill_kind"] == "features"
    by_session = defaultdict(list)
    for row in sample.itertuples(index=False):
        by_session[row.session].append(row)
    negative = 0
    for sid, rows in by_session.items():
        raw = [r for r in rows if r.log_type == "raw"]
        dwell = 0
        for r in rows:
            if not pd.isna(r.end_time):
                d = (r.end_time - r.time).value
                negative += d < 0
                dwell += max(d, 0)
        row = got.loc[sid]
        assert row["types"] == len({r.type for r in rows})
        assert row["clicks"] == sum(r.type == "click" for r in raw)
        assert row["form_inputs"] == sum(r.type in ("input", "change") for r in raw)
        assert row["keys"] == sum(r.type == "keydown" for r in raw)
        assert row["dwell"] == pd.Timedelta(dwell)
        assert row["events"] == len(rows)
        minutes = (max(r.time for r in rows) - min(r.time for r in rows)).total_seconds() / 60
        assert row["rate"] == pytest.approx(len(rows) / minutes)
    assert got.attrs["distill_meta"]["negative_intervals"] == negative
    for col in ("user", "start", "end", "duration", "pages", "targets", "idle_share", "bounce", "entry_page"):
        assert col in got.columns
    _valid(distill.to_dict(got))


def test_session_features_group_events_without_session_per_user(multi):
    frame = multi.copy()
    frame["session"] = frame["session"].astype(object)
    frame.loc[frame.index[:4], "session"] = None
    frame["session"] = frame["session"].astype("category")
    got = features.session_features(frame)
    assert int(got["events"].sum()) == len(frame)
    assert any(":(no session)" in str(s) for s in got.index)


# -- properties -------------------------------------------------------------------------------------
@settings(max_examples=8)
@given(st.integers(0, 4), st.sampled_from(["target", "page", "type_target", "type"]), st.data())
def test_feature_functions_never_mutate_input(sample_frame_small, depth, by, data):
    events = sample_frame_small
    before = events.copy(deep=True)
    features.node_key(events, by)
    features.rollup(events, depth)
    features.counts(events, data.draw(st.sampled_from(["1s", "1min"])), fill=data.draw(st.booleans()))
    features.between_users(events)
    features.interaction_probability(events, by)
    features.session_features(events)
    pd.testing.assert_frame_equal(events, before)


@pytest.fixture
def sample_frame_small(_sample_frame):
    return _sample_frame.iloc[::7].reset_index(drop=True)


def test_accessor_methods_delegate(sample):
    acc = sample.distill
    pd.testing.assert_series_equal(acc.node_key("page"), features.node_key(sample, "page"))
    pd.testing.assert_series_equal(acc.rollup(3), features.rollup(sample, 3))
    pd.testing.assert_frame_equal(acc.counts("30s"), features.counts(sample, "30s"))
    pd.testing.assert_frame_equal(acc.within_users(), features.within_users(sample))
    pd.testing.assert_frame_equal(acc.between_users(), features.between_users(sample))
    pd.testing.assert_frame_equal(acc.interaction_probability("page"), features.interaction_probability(sample, "page"))
    pd.testing.assert_frame_equal(acc.session_features(), features.session_features(sample))
