"""distill.segments: windows, around, idle, set operations, events_in, label_events.

Every result is compared with a slow, loop-based implementation written here
from the documented rules (half-open spans ``[start, end)``), on the ShopDemo
sample, the Flagon fixtures, and hypothesis-generated segments.
"""

from __future__ import annotations

from itertools import pairwise

import jsonschema
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill import export, segments
from distill.errors import FrameError
from distill.query import Q

T0 = pd.Timestamp("2026-01-01", tz="UTC")
SEC = pd.Timedelta("1s")


# -- brute force ----------------------------------------------------------------------------------
def _groups(seg: pd.DataFrame, keys: list[str]) -> dict[tuple, list[tuple]]:
    """group -> [(start, end, label, position)] in frame order."""
    out: dict[tuple, list[tuple]] = {}
    for pos, row in enumerate(seg.itertuples(index=False)):
        key = tuple(getattr(row, k) for k in keys)
        key = tuple(None if (not isinstance(v, str) and pd.isna(v)) else v for v in key)
        label = getattr(row, "label", None)
        out.setdefault(key, []).append((row.start, row.end, None if pd.isna(label) else str(label), pos))
    return out


def bf_merge(spans: list[tuple]) -> list[tuple]:
    """Merge overlapping or touching half-open spans; empty spans vanish. -> [(start, end, {labels})]."""
    merged: list[list] = []
    for s, e, lab, *_ in sorted(spans, key=lambda x: (x[0], x[1])):
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
            if lab is not None:
                merged[-1][2].add(lab)
        else:
            merged.append([s, e, set() if lab is None else {lab}])
    return [(s, e, labs) for s, e, labs in merged]


def bf_intersect(a: list[tuple], b: list[tuple]) -> list[tuple]:
    pieces = []
    for s1, e1, lab, *_ in bf_merge(a):
        for s2, e2, *_ in bf_merge(b):
            s, e = max(s1, s2), min(e1, e2)
            if s < e:
                pieces.append((s, e, lab))
    return pieces


def bf_difference(a: list[tuple], b: list[tuple]) -> list[tuple]:
    out = []
    for s1, e1, lab in bf_merge(a):
        parts = [(s1, e1)]
        for s2, e2, *_ in bf_merge(b):
            nxt = []
            for s, e in parts:
                if e2 <= s or s2 >= e:
                    nxt.append((s, e))
                    continue
                if s < s2:
                    nxt.append((s, s2))
                if e2 < e:
                    nxt.append((e2, e))
            parts = nxt
        out.extend((s, e, lab) for s, e in parts)
    return out


def _as_dict(seg: pd.DataFrame, keys: list[str]) -> dict[tuple, list[tuple]]:
    return {k: [(s, e, lab) for s, e, lab, _pos in v] for k, v in _groups(seg, keys).items()}


def _joined(labels) -> str | None:
    return "|".join(sorted(labels)) if labels else None


def _check_disjoint(seg: pd.DataFrame, keys: list[str]) -> None:
    for spans in _as_dict(seg, keys).values():
        for (_s1, e1, _), (s2, _e2, _) in pairwise(spans):
            assert e1 < s2, "results must be disjoint, non-touching and sorted"
        assert all(s < e for s, e, _ in spans)


def _measure(seg: pd.DataFrame) -> pd.Timedelta:
    return (seg["end"] - seg["start"]).sum() if len(seg) else pd.Timedelta(0)


def _expected_op(a, b, keys, op):
    ga, gb = _groups(a, keys), _groups(b, keys)
    want = {}
    for key in sorted(set(ga) | set(gb), key=str):
        xa, xb = ga.get(key, []), gb.get(key, [])
        if op == "union":
            res = [(s, e, _joined(labs)) for s, e, labs in bf_merge(xa + xb)]
        elif op == "intersect":
            res = [(s, e, _joined(labs)) for s, e, labs in bf_merge([(s, e, None) for s, e, _ in bf_intersect(xa, xb)])]
            res = _relabel(res, xa)
        else:
            res = [(s, e, None) for s, e, _ in bf_difference(xa, xb)]
            res = _relabel(bf_merge_plain(res), xa)
        if res:
            want[key] = res
    return want


def bf_merge_plain(spans):
    return [(s, e, None) for s, e, _ in bf_merge(spans)]


def _relabel(pieces, a_spans):
    """The label of the merged run of ``a`` each piece lies in."""
    runs = bf_merge(a_spans)
    out = []
    for s, e, _ in pieces:
        (lab,) = [_joined(labs) for rs, re_, labs in runs if rs <= s and e <= re_]
        out.append((s, e, lab))
    return out


# -- hypothesis strategy --------------------------------------------------------------------------
span = st.tuples(st.sampled_from(["a", "b", None]), st.integers(0, 40), st.integers(0, 8), st.sampled_from(["x", "y"]))


def _frame(spans: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user": pd.Categorical([g for g, *_ in spans], categories=["a", "b"]),
            "start": [T0 + s * SEC for _, s, _, _ in spans],
            "end": [T0 + (s + n) * SEC for _, s, n, _ in spans],
            "label": [lab for *_, lab in spans],
        },
        columns=["user", "start", "end", "label"],
    ).astype({"start": "datetime64[ns, UTC]", "end": "datetime64[ns, UTC]"})


@settings(max_examples=60)
@given(st.lists(span, max_size=12), st.lists(span, max_size=12))
def test_set_operations_match_brute_force(xs, ys):
    a, b = _frame(xs), _frame(ys)
    for op, func in (("union", segments.union), ("intersect", segments.intersect), ("difference", segments.difference)):
        got = func(a, b)
        assert got.attrs["distill_kind"] == "segments" and list(got.columns) == ["user", "start", "end", "label"]
        _check_disjoint(got, ["user"])
        assert _as_dict(got, ["user"]) == _expected_op(a, b, ["user"], op), op
    merged = segments.merge_overlaps(a)
    want = {k: [(s, e, _joined(labs)) for s, e, labs in bf_merge(v)] for k, v in _groups(a, ["user"]).items()}
    assert _as_dict(merged, ["user"]) == {k: v for k, v in want.items() if v}


@settings(max_examples=60)
@given(st.lists(span, max_size=12), st.lists(span, max_size=12))
def test_set_operation_laws(xs, ys):
    a, b = _frame(xs), _frame(ys)
    u_ab, u_ba = segments.union(a, b), segments.union(b, a)
    pd.testing.assert_frame_equal(u_ab, u_ba)  # union is commutative (labels included)
    i_ab = segments.intersect(a, b)
    d_ab = segments.difference(a, b)
    assert segments.difference(i_ab, a).empty  # a ∩ b ⊆ a
    assert segments.difference(i_ab, b).empty  # a ∩ b ⊆ b
    assert segments.intersect(d_ab, b).empty  # (a − b) ∩ b = ∅
    assert segments.difference(a, u_ab).empty and segments.difference(b, u_ab).empty  # union covers both
    ma, mb = _measure(segments.merge_overlaps(a)), _measure(segments.merge_overlaps(b))
    assert _measure(u_ab) == ma + mb - _measure(i_ab)
    assert ma == _measure(d_ab) + _measure(i_ab)
    pd.testing.assert_frame_equal(
        segments.intersect(a, b, label="both"), segments.intersect(b, a, label="both")
    )  # intersection is commutative as sets


# -- building segments from real events -----------------------------------------------------------
def test_windows_match_brute_force(sample):
    every = pd.Timedelta("10s")
    got = segments.windows(sample, every, by="session")
    want = []
    for sid, g in sample.groupby("session", observed=True):
        k = (g["time"].min() - pd.Timestamp(0, tz="UTC")) // every
        last = (g["time"].max() - pd.Timestamp(0, tz="UTC")) // every
        while k <= last:
            start = pd.Timestamp(0, tz="UTC") + k * every
            want.append((sid, start, start + every))
            k += 1
    assert list(zip(got["session"].astype(str), got["start"], got["end"])) == want
    assert set(got["label"]) == {"window"}
    assert got.attrs["distill_meta"] == {"by": ["session"], "every_seconds": 10.0}
    # windows tile each session: every event lies in exactly one window of its session
    inside = segments.events_in(sample, got)
    assert inside["event_id"].tolist() == sample["event_id"].tolist()
    assert (got.loc[inside["segment"], "session"].to_numpy() == inside["session"].to_numpy()).all()
    whole = segments.windows(sample, "1h")
    assert len(whole) == 1 and whole.columns.tolist() == ["start", "end", "label"]


def test_windows_guard_and_empty(sample):
    with pytest.raises(ValueError, match=r"would make .* windows"):
        segments.windows(sample, "1ns")
    assert segments.windows(sample.iloc[:0], "1min").empty


def test_around_where_forms_agree(sample):
    base = segments.around(sample, "submit", before="2s", after="1s")
    t = sample.loc[sample["type"] == "submit"]
    assert list(zip(base["session"].astype(str), base["start"])) == sorted(
        zip(t["session"].astype(str), t["time"] - pd.Timedelta("2s"))
    )
    assert (base["end"] - base["start"] == pd.Timedelta("3s")).all()
    for where in (
        ["submit"],
        (sample["type"] == "submit").to_numpy(),
        sample["type"] == "submit",
        lambda ev: (ev["type"] == "submit").to_numpy(),
        Q.type == "submit",
    ):
        pd.testing.assert_frame_equal(segments.around(sample, where, before="2s", after="1s"), base)
    two = segments.around(sample, ["submit", "dblclick"], before="0s", after="0s", by=None)
    assert len(two) == 19 and (two["start"] == two["end"]).all()
    assert segments.merge_overlaps(two).empty  # empty spans vanish
    with pytest.raises(TypeError, match="one boolean per event"):
        segments.around(sample, np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="before='-1s' must be a non-negative"):
        segments.around(sample, "click", before="-1s")


def test_idle_matches_brute_force(sample, data_dir):
    got = segments.idle(sample, gap="2s")
    want = []
    for sid, g in sample.groupby("session", observed=True):
        times = sorted(g["time"])
        want += [(sid, a, b) for a, b in pairwise(times) if b - a > pd.Timedelta("2s")]
    assert list(zip(got["session"].astype(str), got["start"], got["end"])) == sorted(want)
    dead = distill.read(data_dir / "deadspace_detection_sample_data.json")
    gaps = segments.idle(dead, gap="1min", by="user")
    # the fixture's three dead spaces: 1m41s, 33m20s, 1h06m40s (by hand from its clientTimes)
    assert (gaps["end"] - gaps["start"]).dt.round("1s").tolist() == [
        pd.Timedelta("1min41s"),
        pd.Timedelta("33min20s"),
        pd.Timedelta("1h06min40s"),
    ]
    assert gaps["user"].astype(str).tolist() == ["me"] * 3
    assert len(segments.idle(dead, gap="40min", by=None)) == 1


def test_set_operations_on_real_data(sample):
    clicks = segments.around(sample, "click", before="1s", after="1s")
    forms = segments.around(sample, ["submit", "change"], before="3s", after="0s", label="form")
    for op, func in (("union", segments.union), ("intersect", segments.intersect), ("difference", segments.difference)):
        got = func(clicks, forms)
        assert _as_dict(got, ["session"]) == _expected_op(clicks, forms, ["session"], op), op
    u = segments.union(clicks, forms)
    assert set(u["label"].astype(str)) <= {"around", "form", "around|form"}
    assert (u["label"] == "around|form").any()
    busy = segments.difference(segments.windows(sample, "10s", by="session"), segments.idle(sample, "2s"))
    assert _measure(busy) == _measure(segments.windows(sample, "10s", by="session")) - _measure(
        segments.intersect(segments.windows(sample, "10s", by="session"), segments.idle(sample, "2s"))
    )


def test_setop_checks_inputs(sample):
    w = segments.windows(sample, "1min", by="session")
    with pytest.raises(FrameError, match="different group keys"):
        segments.union(w, segments.windows(sample, "1min", by="user"))
    flipped = w.assign(start=w["end"], end=w["start"])
    with pytest.raises(FrameError, match="end before they start"):
        segments.merge_overlaps(flipped)
    naive = w.assign(start=w["start"].dt.tz_localize(None))
    with pytest.raises(FrameError, match="no time zone"):
        segments.merge_overlaps(naive)
    # explicit keys: both by user, ignoring the session column
    by_user = segments.union(w.assign(user="x"), w.assign(user="x"), by="user")
    assert by_user.columns.tolist() == ["user", "start", "end", "label"] and len(by_user) == 1


# -- back to events -------------------------------------------------------------------------------
def _bf_pairs(events, seg, keys, closed):
    pairs = []
    seg_rows = list(seg.itertuples())
    for i, ev in enumerate(events.itertuples(index=False)):
        for s in seg_rows:
            if any(getattr(ev, k) != getattr(s, k) for k in keys):
                continue
            lo = ev.time >= s.start if closed in ("left", "both") else ev.time > s.start
            hi = ev.time <= s.end if closed in ("right", "both") else ev.time < s.end
            if lo and hi:
                pairs.append((i, s.Index))
    return pairs


@pytest.mark.parametrize("closed", ["left", "right", "both", "neither"])
def test_events_in_matches_brute_force(sample, closed):
    events = sample[sample["session"].isin(["session_1796412620523", "session_1796412538239"])].reset_index(drop=True)
    seg = segments.around(events, ["submit", "change"], before="2s", after="500ms")
    seg = pd.concat([seg, seg.iloc[:3]]).reset_index(drop=True)  # duplicates overlap exactly
    got = segments.events_in(events, seg, closed=closed)
    want = _bf_pairs(events, seg, ["session"], closed)
    ids = events["event_id"].tolist()
    assert list(zip(got["event_id"], got["segment"])) == [(ids[i], s) for i, s in want]
    assert (got["segment_label"].astype(str) == "around").all()
    labelled = segments.label_events(events, seg, closed=closed)
    best: dict[int, tuple] = {}
    for i, s in want:
        cand = (seg.loc[s, "start"], s)
        best[i] = max(best.get(i, cand), cand)
    assert [None if pd.isna(v) else int(v) for v in labelled["segment"]] == [
        best[i][1] if i in best else None for i in range(len(events))
    ]
    assert labelled["segment_label"].notna().sum() == len(best)


def test_label_events_with_windows(sample):
    w = segments.windows(sample, "1min")
    out = segments.label_events(sample, w)
    minute = sample["time"].dt.floor("1min")
    assert (w.loc[out["segment"].to_numpy(dtype=int), "start"].to_numpy() == minute.to_numpy()).all()
    assert out.columns.tolist() == [*sample.columns, "segment", "segment_label"]
    with pytest.raises(FrameError, match="already have column"):
        segments.label_events(out, w)


def test_no_mutation_and_export(sample):
    before = sample.copy()
    gaps = segments.idle(sample, "2s")
    segments.events_in(sample, gaps, closed="both")
    segments.label_events(sample, segments.windows(sample, "30s"))
    assert sample.equals(before)
    for seg in (gaps, segments.windows(sample, "30s", by=["user", "session"]), segments.union(gaps, gaps)):
        doc = distill.to_dict(seg)
        jsonschema.validate(doc, export.json_schema())
        assert doc["kind"] == "segments"
        assert {f["name"]: f["type"] for f in doc["data"]["fields"]}["start"] == "time"
    assert distill.to_dict(gaps)["meta"]["by"] == ["session"]
    back = distill.from_dict(distill.to_dict(gaps))
    assert back["start"].tolist() == gaps["start"].tolist()


def test_accessor_delegates(sample):
    w = segments.windows(sample, "30s", by="session")
    assert sample.distill.windows("30s", by="session").equals(w)
    assert sample.distill.around("click", "1s", "2s").equals(segments.around(sample, "click", "1s", "2s"))
    assert sample.distill.idle("2s").equals(segments.idle(sample, "2s"))
    assert sample.distill.events_in(w).equals(segments.events_in(sample, w))
    assert sample.distill.label_events(w).equals(segments.label_events(sample, w))
