"""distill.paths: funnels, top paths, before/after, flows.

Expected values come from slow references that walk each session event by
event (written here from the documented rules), from exhaustive search on
small random frames, and from the ShopDemo driver's page flow.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter, defaultdict

import jsonschema
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill import export, paths
from distill.errors import InputError
from distill.graphs import END, START
from distill.query import Q

FIXTURE = "sample_data_multiusers.json"


def _valid(doc):
    jsonschema.validate(doc, export.json_schema())
    return doc


def _text(v):
    return None if v is None or (not isinstance(v, (str, tuple)) and pd.isna(v)) else v


def ref_nodes(events, by):
    out = []
    for row in events.itertuples(index=False):
        if by == "target":
            out.append(_text(row.target))
        elif by == "page":
            url = _text(row.page_url)
            out.append(None if url is None else url.split("#")[0].split("?")[0])
        elif by == "type_target":
            t, g = _text(row.type), _text(row.target)
            out.append(None if t is None else (t if g is None else f"{t} {g}"))
        else:
            raise AssertionError(by)
    return out


def ref_sessions(events, session="session", keep=None):
    """session -> event positions in (time, frame order), events without a session left out."""
    order = sorted(range(len(events)), key=lambda i: (events["time"].iloc[i].value, i))
    out = defaultdict(list)
    sess = events[session].astype(object).tolist()
    for i in order:
        if _text(sess[i]) is None or (keep is not None and not keep[i]):
            continue
        out[sess[i]].append(i)
    return out


# -- funnel ------------------------------------------------------------------------------------
def ref_funnel(events, masks, within=None, session="session"):
    """(reached per session, per-step time lists) trying every step-1 event as start, greedy after it."""
    times = events["time"].tolist()
    window = None if within is None else pd.Timedelta(within)
    reached, hits = {}, {}
    for sid, rows in ref_sessions(events, session).items():
        best = (0, None, [])
        for a, i in enumerate(rows):
            if not masks[0][i]:
                continue
            got, pos = [times[i]], a
            for m in masks[1:]:
                nxt = next((b for b in range(pos + 1, len(rows)) if m[rows[b]]), None)
                if nxt is None or (window is not None and times[rows[nxt]] - times[i] > window):
                    break
                got.append(times[rows[nxt]])
                pos = nxt
            if len(got) > best[0]:
                best = (len(got), a, got)
        reached[sid] = best[0]
        hits[sid] = best[2]
    return reached, hits


def _masks(events, steps, by="type_target"):
    nodes = ref_nodes(events, by)
    out = []
    for s in steps:
        if isinstance(s, str):
            out.append([n == s for n in nodes])
        elif isinstance(s, list):
            out.append([n in s for n in nodes])
        else:
            out.append(list(s))
    return out


def _check_funnel(f, events, masks, within=None, session="session"):
    reached, hits = ref_funnel(events, masks, within, session)
    m = len(masks)
    got = f.sessions["reached"]
    assert {str(k): int(v) for k, v in got.items()} == {str(k): v for k, v in reached.items()}
    entered = [sum(r > j for r in reached.values()) for j in range(m)]
    assert f.steps["entered"].tolist() == entered
    assert f.steps["converted"].tolist() == [*entered[1:], entered[-1]]
    assert f.steps["drop_off"].tolist() == [a - b for a, b in zip(entered, [*entered[1:], entered[-1]])]
    for j in range(m - 1):
        gaps = [h[j + 1] - h[j] for h in hits.values() if len(h) > j + 1]
        want = pd.Timedelta(int(statistics.median([g.value for g in gaps]))) if gaps else pd.NaT
        got_t = f.steps["median_time_to_next"].iloc[j]
        assert (pd.isna(want) and pd.isna(got_t)) or abs(got_t - want) <= pd.Timedelta(1)
    for sid, h in hits.items():
        for j, t in enumerate(h):
            assert f.sessions.loc[sid, f"step_{j + 1}"] == t
    assert f.meta["sessions"] == len(reached)


FUNNELS = [
    ["click button#login-btn.btn-primary", "click a#to-checkout"],
    ["load", "click button#apply-filters", "click button.details", "load"],
    [["focus input#username", "click input#username"], "keydown input#password", "click button#login-btn.btn-primary"],
]


@pytest.mark.parametrize("steps", FUNNELS)
@pytest.mark.parametrize("within", [None, "20s", "3s"])
def test_funnel_matches_reference(sample, steps, within):
    f = paths.funnel(sample, steps, within=within)
    _check_funnel(f, sample, _masks(sample, steps), within)
    _valid(distill.to_dict(f))


def test_funnel_page_flow_and_per_user(sample):
    """Login page, catalog, checkout: the driver sent 6 sessions through all three pages in order."""
    pages = distill.features.node_key(sample, "page")
    url = "http://127.0.0.1:8765/"
    steps = [url + "index.html", url + "catalog.html", url + "checkout.html"]
    f = paths.funnel(sample, steps, by="page")
    assert f.steps["entered"].tolist() == [18, 18, 6]
    masks = [(pages == s).tolist() for s in steps]
    _check_funnel(f, sample, masks)
    per_user = paths.funnel(sample, steps, by="page", session="user")
    _check_funnel(per_user, sample, masks, session="user")
    assert per_user.meta["sessions"] == 8


def test_funnel_step_kinds_agree(sample):
    as_values = paths.funnel(sample, ["click button#login-btn.btn-primary", "submit form#checkout-form"])
    query = (Q.type == "click") & (Q.target == "button#login-btn.btn-primary")
    mask = ((sample["type"] == "submit") & (sample["target"] == "form#checkout-form")).to_numpy()
    mixed = paths.funnel(sample, {"login": query, "order": mask})
    assert mixed.steps["entered"].tolist() == as_values.steps["entered"].tolist()
    assert mixed.steps["name"].tolist() == ["login", "order"]
    as_callable = paths.funnel(sample, [lambda e: query.mask(e), pd.Series(mask, index=sample.index)])
    assert as_callable.steps["entered"].tolist() == as_values.steps["entered"].tolist()
    assert as_values.steps["name"].tolist() == ["click button#login-btn.btn-primary", "submit form#checkout-form"]
    assert "1. click button#login-btn.btn-primary" in str(as_values)


def test_funnel_hand_worked():
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    sec = pd.Timedelta(seconds=1)
    frame = pd.DataFrame(
        {
            # s1: a b a c (a .. c within 3s from the second a, 5s from the first)
            # s2: b c (never enters); s3: a c b (a, then no b before c... b comes after c: reaches b, not c)
            "time": [t0, t0 + 2 * sec, t0 + 3 * sec, t0 + 5 * sec, t0, t0 + sec, t0, t0 + sec, t0 + 2 * sec],
            "session": pd.Categorical(["s1"] * 4 + ["s2"] * 2 + ["s3"] * 3),
            "target": pd.Categorical(["a", "b", "a", "c", "b", "c", "a", "c", "b"]),
        }
    )
    f = paths.funnel(frame, ["a", "b", "c"], by="target")
    assert f.steps["entered"].tolist() == [2, 2, 1]
    assert f.sessions["reached"].to_dict() == {"s1": 3, "s2": 0, "s3": 2}
    assert f.steps["median_time_to_next"].tolist()[:2] == [2 * sec, 3 * sec]
    # within 4s: from the first a (t0) c comes at 5s: too late; b then c needs the first a: no
    windowed = paths.funnel(frame, ["a", "b", "c"], by="target", within="4s")
    assert windowed.sessions["reached"].to_dict() == {"s1": 2, "s2": 0, "s3": 2}
    # a then c within 4s: the second a (3s) reaches c (5s) although the first a does not
    ac = paths.funnel(frame, ["a", "c"], by="target", within="1s")
    assert ac.sessions["reached"].to_dict() == {"s1": 1, "s2": 0, "s3": 2}
    assert ac.sessions.loc["s3", "step_1"] == t0 and ac.sessions.loc["s3", "step_2"] == t0 + sec
    ac2 = paths.funnel(frame, ["a", "c"], by="target", within="2s")
    assert ac2.sessions.loc["s1", "step_1"] == t0 + 3 * sec  # the start that completes, not the first


def test_funnel_errors(sample):
    with pytest.raises(InputError, match=re.escape("close: 'click button#login-btn.btn-primary'")):
        paths.funnel(sample, ["click button#login-btn.btn-primry"])
    with pytest.raises(ValueError, match="length"):
        paths.funnel(sample, [np.ones(3, dtype=bool)])
    with pytest.raises(ValueError, match="within"):
        paths.funnel(sample, ["load"], within="later")
    with pytest.raises(ValueError, match="at least one"):
        paths.funnel(sample, [])
    with pytest.raises(TypeError, match="list"):
        paths.funnel(sample, "load")


def test_funnel_export(sample):
    f = paths.funnel(sample, FUNNELS[1], within="1min")
    doc = _valid(distill.to_dict(f))
    assert doc["kind"] == "funnel"
    assert [s["entered"] for s in doc["data"]["steps"]] == f.steps["entered"].tolist()
    assert doc["meta"]["within_seconds"] == 60.0
    assert doc["data"]["completed"] == f.completed
    _valid(distill.to_dict(f.sessions))
    assert "<table" in f._repr_html_()


# -- small random frames: exhaustive search ---------------------------------------------------------
@st.composite
def small_frames(draw):
    n = draw(st.integers(0, 9))
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    frame = pd.DataFrame(
        {
            "time": [t0 + pd.Timedelta(seconds=draw(st.integers(0, 10))) for _ in range(n)],
            "session": pd.Categorical([draw(st.sampled_from(["s1", "s2", None])) for _ in range(n)]),
            "target": pd.Categorical([draw(st.sampled_from(["a", "b", "c", None])) for _ in range(n)]),
        }
    )
    if draw(st.booleans()):
        frame = frame.sort_values("time", kind="stable").reset_index(drop=True)
    return frame


def _brute_reach(frame, steps, within):
    """Most steps any increasing choice of events reaches, per session (every combination tried)."""
    targets = frame["target"].astype(object).tolist()
    times = frame["time"].tolist()
    out = {}
    for sid, rows in ref_sessions(frame).items():
        best = 0
        for k in range(1, len(steps) + 1):
            for combo in itertools.combinations(rows, k):
                if all(targets[i] == s for i, s in zip(combo, steps[:k])) and (
                    within is None or times[combo[-1]] - times[combo[0]] <= pd.Timedelta(seconds=within)
                ):
                    best = k
                    break
        out[sid] = best
    return out


@settings(max_examples=150)
@given(
    small_frames(),
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=4),
    st.one_of(st.none(), st.integers(0, 6)),
)
def test_funnel_properties(frame, steps, within):
    before = frame.copy(deep=True)
    frame["target"] = frame["target"].cat.set_categories(["a", "b", "c"])
    before = frame.copy(deep=True)
    f = paths.funnel(frame, steps, by="target", within=None if within is None else pd.Timedelta(seconds=within))
    pd.testing.assert_frame_equal(frame, before)
    entered = f.steps["entered"].tolist()
    assert all(a >= b for a, b in itertools.pairwise(entered))  # never increases along the steps
    assert (f.steps["converted"] <= f.steps["entered"]).all() and (f.steps["drop_off"] >= 0).all()
    reach = _brute_reach(frame, steps, within)
    assert {str(k): int(v) for k, v in f.sessions["reached"].items()} == reach
    # times of matched steps are in order and within the window
    for _, row in f.sessions.iterrows():
        ts = [row[f"step_{j + 1}"] for j in range(int(row["reached"]))]
        assert ts == sorted(ts)
        if within is not None and ts:
            assert ts[-1] - ts[0] <= pd.Timedelta(seconds=within)


# -- top paths ----------------------------------------------------------------------------------------
def ref_grams(events, by, length, collapse=False):
    nodes = ref_nodes(events, by)
    grams, sessions = Counter(), defaultdict(set)
    for sid, rows in ref_sessions(events, keep=[n is not None for n in nodes]).items():
        seq = [nodes[i] for i in rows]
        if collapse:
            seq = [n for j, n in enumerate(seq) if j == 0 or n != seq[j - 1]]
        for j in range(len(seq) - length + 1):
            g = tuple(seq[j : j + length])
            grams[g] += 1
            sessions[g].add(sid)
    return grams, sessions


@pytest.mark.parametrize(
    ("by", "length", "collapse"),
    [("target", 3, False), ("page", 3, True), ("type_target", 2, True), ("target", 1, False)],
)
def test_top_paths_match_reference(sample, by, length, collapse):
    got = paths.top_paths(sample, None, length, by=by, collapse=collapse)
    grams, sessions = ref_grams(sample, by, length, collapse)
    assert len(got) == len(grams)
    total = sum(grams.values())
    for row in got.itertuples(index=False):
        assert row.count == grams[row.path]
        assert row.sessions == len(sessions[row.path])
        assert row.share == pytest.approx(grams[row.path] / total)
    counts = got["count"].tolist()
    assert counts == sorted(counts, reverse=True)
    top = paths.top_paths(sample, 5, length, by=by, collapse=collapse)
    assert top["count"].tolist() == sorted(grams.values(), reverse=True)[:5]
    assert top.attrs["distill_meta"]["paths_total"] == total
    _valid(distill.to_dict(top))


def test_top_paths_page_flow(sample):
    top = paths.top_paths(sample, 1, 3, by="page", collapse=True)
    assert [p.rsplit("/", 1)[1] for p in top["path"].iloc[0]] == ["index.html", "catalog.html", "checkout.html"]


def test_top_paths_errors(sample):
    with pytest.raises(ValueError, match="length"):
        paths.top_paths(sample, 3, 0)
    with pytest.raises(ValueError, match="n must"):
        paths.top_paths(sample, -2)


# -- before / after ------------------------------------------------------------------------------------
def ref_before_after(events, anchor, by, steps):
    nodes = ref_nodes(events, by)
    counts = Counter()
    anchors = 0
    for _sid, rows in ref_sessions(events, keep=[n is not None for n in nodes]).items():
        seq = [nodes[i] for i in rows]
        for j, n in enumerate(seq):
            if n != anchor:
                continue
            anchors += 1
            for off in [*range(-steps, 0), *range(1, steps + 1)]:
                k = j + off
                counts[(off, seq[k] if 0 <= k < len(seq) else (START if off < 0 else END))] += 1
    return counts, anchors


@pytest.mark.parametrize(
    ("anchor", "by", "steps"),
    [
        ("click a#to-checkout", "type_target", 2),
        ("input#password", "target", 1),
        ("submit form#checkout-form", "type_target", 3),
    ],
)
def test_before_after_matches_reference(sample, anchor, by, steps):
    got = paths.before_after(sample, anchor, by=by, steps=steps)
    want, anchors = ref_before_after(sample, anchor, by, steps)
    assert {(r.position, r.node): r.count for r in got.itertuples(index=False)} == dict(want)
    assert got.attrs["distill_meta"]["anchors"] == anchors
    for _pos, part in got.groupby("position"):
        assert part["share"].sum() == pytest.approx(1.0)
        assert part["count"].tolist() == sorted(part["count"], reverse=True)
    _valid(distill.to_dict(got))


def test_before_after_with_a_query_counts_anchors_left_out(sample):
    got = paths.before_after(sample, Q.type == "load", by="target")
    # page loads have no target: they are not in a target sequence, and say so
    assert got.attrs["distill_meta"]["anchors"] == 0
    assert got.attrs["distill_meta"]["anchors_left_out"] == int((sample["type"] == "load").sum())


# -- flows ----------------------------------------------------------------------------------------------
def ref_flows(events, start, by, depth, collapse=True):
    nodes = ref_nodes(events, by)
    paths_ = Counter()
    for _sid, rows in ref_sessions(events, keep=[n is not None for n in nodes]).items():
        seq = [nodes[i] for i in rows]
        if collapse:
            seq = [n for j, n in enumerate(seq) if j == 0 or n != seq[j - 1]]
        starts = [0] if start is None else [j for j, n in enumerate(seq) if n == start]
        for j in starts:
            p = seq[j : j + depth + 1]
            if len(p) < depth + 1:
                p = [*p, END]
            paths_[tuple(p)] += 1
    return paths_


def _links(path_counts):
    links = Counter()
    for p, c in path_counts.items():
        for s, (a, b) in enumerate(itertools.pairwise(p), start=1):
            links[(s, a, b)] += c
    return links


@pytest.mark.parametrize(
    ("start", "by", "depth"),
    [(None, "page", 3), ("click a#to-checkout", "type_target", 4), ("input#search", "target", 2)],
)
def test_flows_match_reference(sample, start, by, depth):
    got = paths.flows(sample, start, depth, None, by=by)
    want = ref_flows(sample, start, by, depth)
    assert {(r.step, r.source, r.target): r.count for r in got.itertuples(index=False)} == dict(_links(want))
    meta = got.attrs["distill_meta"]
    assert meta["anchors"] == sum(want.values()) and meta["paths_distinct"] == len(want)
    assert meta["covered"] == pytest.approx(1.0)
    # the top 3 paths: the three largest path counts
    top = paths.flows(sample, start, depth, 3, by=by)
    shown = sorted(want.values(), reverse=True)[:3]
    assert top.attrs["distill_meta"]["covered"] == pytest.approx(sum(shown) / sum(want.values()))
    assert top[top["step"] == 1]["count"].sum() == sum(shown)
    _valid(distill.to_dict(top))


def test_flows_page_sankey_from_session_start(sample):
    fl = paths.flows(sample, depth=2, top=None, by="page")
    first = fl[fl["step"] == 1]
    assert first["count"].sum() == 21  # every session starts somewhere
    top = first.iloc[0]
    assert top["source"].endswith("index.html") and top["target"].endswith("catalog.html")


def test_flows_errors(sample):
    with pytest.raises(ValueError, match="depth"):
        paths.flows(sample, depth=0)
    with pytest.raises(InputError, match="not a node"):
        paths.flows(sample, "no-such-element")


# -- no mutation, accessor --------------------------------------------------------------------------------
def test_paths_never_mutate_input(sample):
    before = sample.copy(deep=True)
    paths.funnel(sample, FUNNELS[0], within="10s")
    paths.top_paths(sample, 5, 3, collapse=True)
    paths.before_after(sample, "input#password", steps=2)
    paths.flows(sample, None, 3, 5, by="page")
    pd.testing.assert_frame_equal(sample, before)


def test_accessor_methods_delegate(sample):
    acc = sample.distill
    a, b = acc.funnel(FUNNELS[0], within="20s"), paths.funnel(sample, FUNNELS[0], within="20s")
    pd.testing.assert_frame_equal(a.steps, b.steps)
    pd.testing.assert_frame_equal(a.sessions, b.sessions)
    pd.testing.assert_frame_equal(acc.top_paths(5, 2, by="page"), paths.top_paths(sample, 5, 2, by="page"))
    pd.testing.assert_frame_equal(acc.before_after("input#password"), paths.before_after(sample, "input#password"))
    pd.testing.assert_frame_equal(acc.flows(None, 2, 5, by="page"), paths.flows(sample, None, 2, 5, by="page"))
