"""distill.intervals: pairs, sandwiches, logged_intervals, dwell.

Expected values come from slow, one-event-at-a-time reference implementations
written here from the documented matching rule, and from small UserALE files
worked out by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill import export, intervals
from distill.errors import FrameError

WINDOW = '{"window":true}'


# -- helpers ------------------------------------------------------------------------------------
def read_records(tmp_path: Path, records: list[dict], name: str = "x.ndjson") -> pd.DataFrame:
    """A real event frame from UserALE-shaped records (written as NDJSON and read back)."""
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    return distill.read(path)


def raw(t_ms: float, type_: str, target: str = "a", session: str = "s1", details=None, **extra) -> dict:
    rec = {
        "clientTime": int(t_ms),
        "type": type_,
        "target": target,
        "sessionId": session,
        "userId": "u",
        "logType": "raw",
        "details": details,
        "pageUrl": "http://x/index.html",
    }
    frac = t_ms - int(t_ms)
    if frac:
        rec["microTime"] = round(frac, 3)
    rec.update(extra)
    return rec


def interval(start: int, end: int, type_: str, target: str = "a", session: str = "s1") -> dict:
    return {
        "startTime": start,
        "endTime": end,
        "duration": end - start,
        "count": 0,
        "type": type_,
        "target": target,
        "sessionId": session,
        "userId": "u",
        "logType": "interval",
        "pageUrl": "http://x/index.html",
    }


def valid(obj) -> dict:
    doc = distill.to_dict(obj)
    jsonschema.validate(doc, export.json_schema())
    return doc


def _val(v):
    return None if v is None or (not isinstance(v, (str, tuple)) and pd.isna(v)) else v


class _Ev:
    """One logical event of the reference implementation (its records share type and time)."""

    def __init__(self, eid, t, pos, copy):
        self.id, self.t, self.first, self.last, self.copy = eid, t, pos, pos, copy
        self.records = [eid]


def ref_pairs(events: pd.DataFrame, start: str, stop: str, by=("session", "target"), within=None):
    """Reference matching, one record at a time: (pairs, dangling starts, dangling stops) as ids."""
    originals = set()
    for r in events.itertuples(index=False):
        if r.type in ("focus", "blur") and _val(r.details) != WINDOW:
            originals.add((_val(r.session), _val(r.target), r.type, r.time))
    open_start: dict = {}
    last: dict = {}
    pairs, dstart, dstop = [], [], []
    for pos, r in enumerate(events.itertuples(index=False)):
        if r.log_type == "interval" or r.type not in (start, stop):
            continue
        key = tuple(_val(getattr(r, c)) for c in by)
        copy = (
            r.type in ("focus", "blur")
            and _val(r.details) == WINDOW
            and (_val(r.session), _val(r.target), r.type, r.time) in originals
        )
        prev = last.get(key)
        if prev is not None and prev[0] == r.type and prev[1] == r.time:
            ev = prev[2]
            ev.records.append(r.event_id)
            ev.last = pos
            if ev.copy and not copy:
                ev.id, ev.copy = r.event_id, False
            continue
        ev = _Ev(r.event_id, r.time, pos, copy)
        last[key] = (r.type, r.time, ev)
        if r.type == start:
            if open_start.get(key) is not None:
                dstart.append(open_start[key])
            open_start[key] = ev
        else:
            s = open_start.get(key)
            if s is not None and (within is None or ev.t - s.t <= within):
                pairs.append((s, ev))
            else:
                if s is not None:
                    dstart.append(s)
                dstop.append(ev)
            open_start[key] = None
    dstart += [s for s in open_start.values() if s is not None]
    return pairs, dstart, dstop


# -- pairs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("start", "stop"), [("focus", "blur"), ("mousedown", "mouseup"), ("dragstart", "dragend")])
def test_pairs_match_reference_on_sample(sample, start, stop):
    out = intervals.pairs(sample, start, stop)
    ref, dstart, dstop = ref_pairs(sample, start, stop)
    assert sorted(zip(out["start_id"], out["stop_id"])) == sorted((s.id, e.id) for s, e in ref)
    meta = out.attrs["distill_meta"]
    assert sorted(meta["dangling_start_ids"]) == sorted(s.id for s in dstart)
    assert sorted(meta["dangling_stop_ids"]) == sorted(s.id for s in dstop)
    assert meta["pairs"] == len(out) == len(ref)
    assert (out["duration"] >= pd.Timedelta(0)).all()
    assert out["start"].is_monotonic_increasing
    valid(out)


def test_pairs_focus_blur_on_sample_counts(sample):
    out = intervals.pairs(sample, "focus", "blur")
    meta = out.attrs["distill_meta"]
    # 157 focus events (each logged twice), 107 blur events: 107 intervals, 50 focus without blur
    assert (len(out), meta["dangling_starts"], meta["dangling_stops"]) == (107, 50, 0)
    # the representative record is the one without {"window":true}
    ids = set(out["start_id"]) | set(out["stop_id"])
    assert not sample.loc[sample["event_id"].isin(ids), "details"].eq(WINDOW).fillna(False).any()
    # every interval starts and stops on the same target in the same session
    by_id = sample.set_index("event_id")
    assert (by_id.loc[out["stop_id"], "target"].to_numpy() == out["target"].to_numpy()).all()
    assert list(out["start_type"].astype(str).unique()) == ["focus"]


def test_pairs_hand_worked_rule(tmp_path):
    # focus1 focus2 blur1 blur2 on target a; a pair on target b; a far pair on c
    recs = [
        raw(1000, "focus"),
        raw(2000, "focus"),
        raw(2000, "focus", details={"window": True}),
        raw(3000, "blur"),
        raw(3000, "blur", details={"window": True}),
        raw(4000, "blur"),
        raw(1500, "focus", target="b"),
        raw(2500, "blur", target="b"),
        raw(5000, "focus", target="c"),
        raw(65000, "blur", target="c"),
        interval(1500, 2000, "focus"),
    ]
    ev = read_records(tmp_path, recs)
    out = intervals.pairs(ev, "focus", "blur")
    got = {(t, s.isoformat(), e.isoformat()) for t, s, e in zip(out["target"], out["start"], out["end"])}
    assert got == {
        ("a", "1970-01-01T00:00:02+00:00", "1970-01-01T00:00:03+00:00"),
        ("b", "1970-01-01T00:00:01.500000+00:00", "1970-01-01T00:00:02.500000+00:00"),
        ("c", "1970-01-01T00:00:05+00:00", "1970-01-01T00:01:05+00:00"),
    }
    meta = out.attrs["distill_meta"]
    assert meta["dangling_start_ids"] == ["x.ndjson:1"]
    assert meta["dangling_stop_ids"] == ["x.ndjson:6"]
    # the representative of a doubled event is its plain record
    assert set(out["start_id"]) == {"x.ndjson:2", "x.ndjson:7", "x.ndjson:9"}
    # within: the c pair is a minute long, so both its ends dangle
    short = intervals.pairs(ev, "focus", "blur", within="30s")
    assert sorted(short["target"].astype(str)) == ["a", "b"]
    m2 = short.attrs["distill_meta"]
    assert (m2["dangling_starts"], m2["dangling_stops"]) == (2, 2)
    # interval logs are left out unless asked for
    with_logs = intervals.pairs(ev, "focus", "blur", interval_logs=True)
    assert with_logs.attrs["distill_meta"]["dangling_starts"] == 2
    # by=None: one group, any target
    anyone = intervals.pairs(ev, "focus", "blur", by=None)
    ref, _, _ = ref_pairs(ev, "focus", "blur", by=())
    assert sorted(zip(anyone["start_id"], anyone["stop_id"])) == sorted((s.id, e.id) for s, e in ref)


def test_pairs_accepts_masks_and_queries(sample):
    from distill.query import Q

    by_type = intervals.pairs(sample, "mousedown", "mouseup")
    by_query = intervals.pairs(sample, Q.type == "mousedown", Q.type == "mouseup")
    by_mask = intervals.pairs(sample, sample["type"] == "mousedown", lambda df: df["type"] == "mouseup")
    assert by_type["start_id"].tolist() == by_query["start_id"].tolist() == by_mask["start_id"].tolist()
    assert by_query.attrs["distill_meta"]["start"] == (Q.type == "mousedown").to_dict()


def test_pairs_errors(sample):
    with pytest.raises(ValueError, match="both start and stop"):
        intervals.pairs(sample, ["focus", "blur"], "blur")
    with pytest.raises(FrameError, match="needs column"):
        intervals.pairs(sample.drop(columns=["target"]), "focus", "blur")
    with pytest.raises(ValueError, match="within"):
        intervals.pairs(sample, "focus", "blur", within="-1s")
    with pytest.raises(ValueError, match="one value per event"):
        intervals.pairs(sample, np.ones(3, dtype=bool), "blur")


def test_pairs_empty(sample):
    out = intervals.pairs(sample, "touchstart", "touchend")
    assert len(out) == 0 and out.attrs["distill_meta"]["pairs"] == 0
    assert str(out["duration"].dtype).startswith("timedelta64")
    valid(out)


_types = st.sampled_from(["focus", "blur", "click"])


@st.composite
def _streams(draw):
    n = draw(st.integers(0, 40))
    rows = []
    for i in range(n):
        rows.append(
            {
                "clientTime": 1000 + draw(st.integers(0, 30)) * 10,
                "type": draw(_types),
                "target": draw(st.sampled_from(["a", "b"])),
                "sessionId": draw(st.sampled_from(["s1", "s2"])),
                "userId": "u",
                "logType": "raw",
                "seq": i,
            }
        )
    return rows


@settings(max_examples=60)
@given(_streams())
def test_pairs_properties(rows):
    if not rows:
        return
    ev = distill.from_frame(pd.DataFrame(rows), schema="userale")
    out = intervals.pairs(ev, "focus", "blur")
    meta = out.attrs["distill_meta"]
    # every start and every stop is used at most once
    assert out["start_id"].is_unique and out["stop_id"].is_unique
    assert not set(out["start_id"]) & set(meta["dangling_start_ids"])
    assert not set(out["stop_id"]) & set(meta["dangling_stop_ids"])
    assert (out["duration"] >= pd.Timedelta(0)).all()
    ref, dstart, dstop = ref_pairs(ev, "focus", "blur")
    assert sorted(zip(out["start_id"], out["stop_id"])) == sorted((s.id, e.id) for s, e in ref)
    assert sorted(meta["dangling_start_ids"]) == sorted(s.id for s in dstart)
    assert sorted(meta["dangling_stop_ids"]) == sorted(s.id for s in dstop)
    # logical starts: matched + dangling (same-time repeats on one target count once)
    assert len(out) + meta["dangling_starts"] == len(ref) + len(dstart)


# -- sandwiches -----------------------------------------------------------------------------------
def ref_sandwiches(events, start, stop, include_ends=False):
    """(interval, event_id) of the events of the start's session between the two ends."""
    pairs, _, _ = ref_pairs(events, start, stop)
    pairs.sort(key=lambda p: (p[0].t, p[0].first))
    sess = [_val(v) for v in events["session"].astype(object)]
    ids = events["event_id"].tolist()
    rows = []
    for k, (s, e) in enumerate(pairs):
        lo, hi = (s.first, e.last) if include_ends else (s.last + 1, e.first - 1)
        rows += [(k, ids[pos]) for pos in range(lo, hi + 1) if sess[pos] == sess[s.first]]
    return rows


@pytest.mark.parametrize(("start", "stop"), [("focus", "blur"), ("dragstart", "dragend")])
@pytest.mark.parametrize("include_ends", [False, True])
def test_sandwiches_match_reference(sample, start, stop, include_ends):
    out = intervals.sandwiches(sample, start, stop, include_ends=include_ends)
    got = sorted(zip(out["interval"].tolist(), out["event_id"].tolist()))
    assert got == sorted(ref_sandwiches(sample, start, stop, include_ends=include_ends))
    # interval numbers are rows of pairs() with the same arguments
    table = intervals.pairs(sample, start, stop)
    assert out["interval"].max() == len(table) - 1
    if include_ends:
        starts = out.groupby("interval")["event_id"].agg(set)
        assert all(sid in starts[i] for i, sid in enumerate(table["start_id"]))
    assert out["time"].is_monotonic_increasing
    doc = valid(out)
    assert doc["kind"] == "events"


def test_sandwiches_keystrokes_of_fields(sample):
    typed = intervals.sandwiches(sample, "focus", "blur")
    keys = typed[(typed["type"] == "keydown")]
    table = intervals.pairs(sample, "focus", "blur")
    # keystrokes sandwiched between a field's focus and blur are on that field
    same_field = keys["target"].astype(str).to_numpy() == table["target"].astype(str).to_numpy()[keys["interval"]]
    assert same_field.all()
    # the accessor gives the same
    assert typed.equals(sample.distill.sandwiches("focus", "blur"))


# -- UserALE interval logs ------------------------------------------------------------------------
def test_logged_intervals_hand_worked(tmp_path):
    recs = [
        raw(1000.25, "mouseover", "a"),
        raw(1004.5, "mouseover", "a"),
        raw(1010.75, "focus", "b"),
        raw(1010.75, "focus", "b", details={"window": True}),
        raw(1008.5, "click", "b"),
        interval(1000, 1010, "mouseover", "a"),
        interval(1010, 1008, "focus", "b"),  # negative: ended by an earlier-stamped click
        interval(1008, 1020, "click", "b"),
    ]
    ev = read_records(tmp_path, recs)
    out = intervals.logged_intervals(ev)
    by_type = out.set_index(out["type"].astype(str))
    assert by_type.loc["mouseover", "events"] == 2
    assert by_type.loc["focus", "events"] == 1  # the window copy is not counted twice
    assert by_type.loc["click", "events"] == 1
    assert by_type.loc["focus", "duration"] == pd.Timedelta(0)
    assert by_type.loc["focus", "logged_duration"] == pd.Timedelta("-2ms")
    assert bool(by_type.loc["focus", "corrected"])
    meta = out.attrs["distill_meta"]
    assert (meta["negative"], meta["corrected"]) == (1, 1)
    swapped = intervals.logged_intervals(ev, negative="swap").set_index("type")
    assert swapped.loc["focus", "duration"] == pd.Timedelta("2ms")
    kept = intervals.logged_intervals(ev, negative="keep").set_index("type")
    assert kept.loc["focus", "duration"] == pd.Timedelta("-2ms") and kept.loc["focus", "events"] == 1
    dropped = intervals.logged_intervals(ev, negative="drop")
    assert len(dropped) == 2 and dropped.attrs["distill_meta"]["dropped"] == 1
    with pytest.raises(ValueError, match="negative must be"):
        intervals.logged_intervals(ev, negative="abs")


def ref_recount(events: pd.DataFrame) -> dict[str, int]:
    originals = set()
    for r in events.itertuples(index=False):
        if r.type in ("focus", "blur") and _val(r.details) != WINDOW:
            originals.add((_val(r.session), _val(r.target), r.type, r.time))
    by_key: dict = {}
    for r in events.itertuples(index=False):
        if r.log_type != "raw":
            continue
        if _val(r.details) == WINDOW and (_val(r.session), _val(r.target), r.type, r.time) in originals:
            continue
        by_key.setdefault((_val(r.session), r.type, _val(r.target)), []).append(r.time.floor("ms"))
    out = {}
    for r in events.itertuples(index=False):
        if r.log_type != "interval":
            continue
        lo, hi = sorted([r.time, r.end_time])
        times = by_key.get((_val(r.session), r.type, _val(r.target)), [])
        out[r.event_id] = sum(1 for t in times if lo <= t <= hi)
    return out


def test_logged_intervals_on_sample(sample):
    out = intervals.logged_intervals(sample)
    assert len(out) == int((sample["log_type"] == "interval").sum()) == 1605
    ref = ref_recount(sample)
    assert dict(zip(out["event_id"], out["events"].tolist())) == ref
    # negative durations: 97 focus and 2 blur intervals, a few milliseconds each
    logged = out["logged_duration"]
    neg = out[logged < pd.Timedelta(0)]
    assert len(neg) == out.attrs["distill_meta"]["negative"] == 99
    assert neg["type"].astype(str).value_counts().to_dict() == {"focus": 97, "blur": 2}
    assert neg["logged_duration"].min() > pd.Timedelta("-60ms")
    assert (out["duration"] >= pd.Timedelta(0)).all()
    assert out["corrected"].sum() == 99
    # clamped to zero, others untouched
    assert (out.loc[out["corrected"], "duration"] == pd.Timedelta(0)).all()
    assert (out.loc[~out["corrected"], "duration"] == out.loc[~out["corrected"], "logged_duration"]).all()
    # every interval log has at least one raw event of its run
    assert (out["events"] >= 1).all()
    valid(out)


def test_dwell_matches_loop_sum(sample):
    table = intervals.logged_intervals(sample)
    for types in (None, "mouseover"):
        out = intervals.dwell(sample, types=types)
        expect: dict[str, pd.Timedelta] = {}
        counts: dict[str, int] = {}
        for r in table.itertuples(index=False):
            if types is not None and r.type != types:
                continue
            expect[r.target] = expect.get(r.target, pd.Timedelta(0)) + r.duration
            counts[r.target] = counts.get(r.target, 0) + 1
        assert dict(zip(out["target"], out["dwell"])) == expect
        assert dict(zip(out["target"], out["intervals"])) == counts
        assert out["dwell"].is_monotonic_decreasing
        valid(out)
    by_two = intervals.dwell(sample, by=["user", "type"])
    assert by_two["intervals"].sum() == 1605
    with pytest.raises(ValueError, match="at least one column"):
        intervals.dwell(sample, by=[])


def test_dwell_from_interval_logs_vs_focus_blur_pairs(sample):
    """The two sources agree where they should, and differ as documented.

    Interval logs end at the next event of another type or target; a focus/blur
    pair ends at the blur. So: every focus/blur interval has a focus interval
    log starting at the same millisecond; that log is never longer than the
    pair; and the interval-log time spent on the focused target while it had
    focus never exceeds the pair's duration (plus the millisecond lost to
    flooring).
    """
    pairs = intervals.pairs(sample, "focus", "blur")
    logs = intervals.logged_intervals(sample)
    spent_logs: dict[str, pd.Timedelta] = {}
    spent_pairs: dict[str, pd.Timedelta] = {}
    for p in pairs.itertuples(index=False):
        same = logs[(logs["session"] == p.session) & (logs["target"] == p.target)]
        focus_log = same[(same["type"] == "focus") & (same["start"] == p.start.floor("ms"))]
        assert len(focus_log) == 1, p.start_id
        assert focus_log["duration"].iloc[0] <= p.duration
        inside = same[(same["start"] >= p.start.floor("ms")) & (same["start"] <= p.end)]
        clipped = (np.minimum(inside["end"], p.end) - inside["start"]).sum()
        assert clipped <= p.duration + pd.Timedelta("1ms"), p.start_id
        spent_logs[p.target] = spent_logs.get(p.target, pd.Timedelta(0)) + clipped
        spent_pairs[p.target] = spent_pairs.get(p.target, pd.Timedelta(0)) + p.duration
    # per target, pairs measure at least what the interval logs saw inside them
    for target, total in spent_pairs.items():
        assert spent_logs[target] <= total + pd.Timedelta("1ms") * len(pairs)
    # on text fields the interval logs (focus, input, change runs) cover most of the focused time
    fields = [t for t in spent_pairs if t.startswith(("input#fullname", "input#email", "textarea"))]
    covered = sum((spent_logs[t] for t in fields), pd.Timedelta(0)) / sum(
        (spent_pairs[t] for t in fields), pd.Timedelta(0)
    )
    assert 0.5 < covered <= 1.0


def test_accessor_matches_functions(sample):
    acc = sample.distill
    assert acc.pairs("focus", "blur").equals(intervals.pairs(sample, "focus", "blur"))
    assert acc.logged_intervals().equals(intervals.logged_intervals(sample))
    assert acc.dwell(by="target").equals(intervals.dwell(sample))
