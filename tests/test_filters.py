"""distill.filters: type and rule filters, noise, neighbours, dangling events, duplicates,
resampling and relabelling.

Expected values come from slow, one-event-at-a-time reference implementations
written here from the documented rules, and from small UserALE files worked
out by hand.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill import export, filters, intervals
from distill.errors import FrameError
from distill.query import Q

WINDOW = '{"window":true}'


def read_records(tmp_path: Path, records: list[dict], name: str = "x.ndjson") -> pd.DataFrame:
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    return distill.read(path)


def raw(t_ms: int, type_: str, target: str = "a", session: str = "s1", details=None, **extra) -> dict:
    rec = {
        "clientTime": t_ms,
        "type": type_,
        "target": target,
        "sessionId": session,
        "userId": "u",
        "logType": "raw",
        "details": details,
        "pageUrl": "http://x/index.html",
    }
    rec.update(extra)
    return rec


def valid(obj) -> dict:
    doc = distill.to_dict(obj)
    jsonschema.validate(doc, export.json_schema())
    return doc


def _val(v):
    return None if v is None or (not isinstance(v, (str, tuple)) and pd.isna(v)) else v


def snapshot(df: pd.DataFrame):
    return df.copy(deep=True), json.dumps(df.attrs, default=str, sort_keys=True)


def unchanged(df: pd.DataFrame, snap) -> None:
    before, attrs = snap
    assert df.equals(before) and list(df.columns) == list(before.columns)
    assert (df.dtypes == before.dtypes).all() and df.index.equals(before.index)
    assert json.dumps(df.attrs, default=str, sort_keys=True) == attrs


def ref_window_copies(events: pd.DataFrame) -> set[str]:
    events = events[["event_id", "type", "details", "session", "target", "time"]]
    originals = set()
    for r in events.itertuples(index=False):
        if r.type in ("focus", "blur") and _val(r.details) != WINDOW:
            originals.add((_val(r.session), _val(r.target), r.type, r.time))
    return {
        r.event_id
        for r in events.itertuples(index=False)
        if r.type in ("focus", "blur")
        and _val(r.details) == WINDOW
        and (_val(r.session), _val(r.target), r.type, r.time) in originals
    }


# -- by type or rule ------------------------------------------------------------------------------
def test_drop_and_keep_types(sample):
    snap = snapshot(sample)
    noisy = ["mouseover", "wheel", "scroll"]
    out = filters.drop_types(sample, noisy)
    assert out["event_id"].tolist() == [r.event_id for r in sample.itertuples() if r.type not in noisy]
    step = filters.history(out)[0]
    assert step["dropped"] == len(sample) - len(out) == 2093 + 49 + 17
    assert step["dropped_by_type"] == {"mouseover": 2093, "wheel": 49, "scroll": 17}
    kept = filters.keep_types(sample, "submit")
    assert kept["event_id"].tolist() == [r.event_id for r in sample.itertuples() if r.type == "submit"]
    assert isinstance(out.index, pd.RangeIndex) and distill.frame.is_event_frame(out)
    unchanged(sample, snap)
    valid(out)
    with pytest.raises(TypeError, match="type names"):
        filters.drop_types(sample, [1, 2])
    with pytest.raises(FrameError):
        filters.drop_types(sample.drop(columns=["type"]), "click")


def test_drop_and_keep_where(sample):
    snap = snapshot(sample)
    q = (Q.user == "bob") & Q.type.isin(["click", "input"])
    by_query = filters.keep(sample, q)
    expect = [r.event_id for r in sample.itertuples() if r.user == "bob" and r.type in ("click", "input")]
    assert by_query["event_id"].tolist() == expect
    by_callable = filters.keep(sample, lambda df: (df["user"] == "bob") & df["type"].isin(["click", "input"]))
    by_array = filters.keep(sample, q.mask(sample))
    assert by_callable["event_id"].tolist() == by_array["event_id"].tolist() == expect
    rest = filters.drop(sample, q)
    assert len(rest) + len(by_query) == len(sample)
    assert set(rest["event_id"]).isdisjoint(expect)
    assert filters.history(by_query)[0]["where"] == q.to_dict()
    # a Series is aligned on the index; rows it does not cover count as False
    part = (sample["type"] == "submit").iloc[::-1]
    assert filters.keep(sample, part)["type"].astype(str).unique().tolist() == ["submit"]
    partial = (sample["type"] == "submit").iloc[:100]
    assert len(filters.keep(sample, partial)) == int((sample["type"].iloc[:100] == "submit").sum())
    unchanged(sample, snap)
    with pytest.raises(TypeError, match="boolean"):
        filters.drop(sample, sample["x"])
    with pytest.raises(ValueError, match="one value per event"):
        filters.drop(sample, np.zeros(5, dtype=bool))
    with pytest.raises(TypeError, match="required"):
        filters.drop(sample, None)
    # an empty list of types matches nothing
    assert len(filters.drop(sample, [])) == len(sample) and len(filters.keep(sample, [])) == 0


# -- noise ----------------------------------------------------------------------------------------
def ref_drop_noise(events, types=filters.NOISE_TYPES, gap=None, keep="first", copies=True):
    """Ids of the events drop_noise keeps, one event at a time per (session, log_type) stream."""
    gap = pd.Timedelta("1s") if gap is None else gap
    streams: dict = {}
    for pos, r in enumerate(events.itertuples(index=False)):
        streams.setdefault((_val(r.session), _val(r.log_type)), []).append((r.time, pos, r))
    dropped = set()
    for rows in streams.values():
        rows.sort(key=lambda x: (x[0], x[1]))
        bursts, current = [], []
        prev = None
        for t, _, r in rows:
            noisy = r.type in types
            if noisy and prev is not None and prev.type == r.type and prev.type in types and t - prev.time < gap:
                current.append(r)
            else:
                if current:
                    bursts.append(current)
                current = [r] if noisy else []
            prev = r
        if current:
            bursts.append(current)
        for b in bursts:
            survivors = {"first": b[:1], "last": b[-1:], "ends": [b[0], b[-1]], "none": []}[keep]
            ids = {s.event_id for s in survivors}
            dropped |= {r.event_id for r in b if r.event_id not in ids}
    if copies:
        dropped |= ref_window_copies(events)
    return [i for i in events["event_id"] if i not in dropped]


@pytest.mark.parametrize("keep", ["first", "last", "ends", "none"])
def test_drop_noise_matches_reference(sample, keep):
    out = filters.drop_noise(sample, keep=keep)
    assert out["event_id"].tolist() == ref_drop_noise(sample, keep=keep)
    step = filters.history(out)[0]
    assert step["window_copies"] == 264
    assert step["dropped"] == len(sample) - len(out)
    valid(out)


def test_drop_noise_options(sample):
    no_copies = filters.drop_noise(sample, copies=False, gap="250ms", types=["scroll", "wheel"])
    assert no_copies["event_id"].tolist() == ref_drop_noise(
        sample, types=("scroll", "wheel"), gap=pd.Timedelta("250ms"), copies=False
    )
    assert set(filters.history(no_copies)[0]["dropped_by_type"]) <= {"scroll", "wheel"}
    with pytest.raises(ValueError, match="keep must be"):
        filters.drop_noise(sample, keep="middle")
    with pytest.raises(ValueError, match="gap"):
        filters.drop_noise(sample, gap="soon")


def test_drop_noise_hand_worked(tmp_path):
    recs = [
        raw(1000, "scroll", "#document"),
        raw(1200, "scroll", "#document"),
        raw(1300, "scroll", "#document"),
        raw(1400, "click", "b"),
        raw(1500, "scroll", "#document"),
        raw(4000, "scroll", "#document"),
        raw(4100, "mouseover", "c"),
        raw(4200, "mouseover", "d"),
        raw(4300, "scroll", "#document", session="s2"),
    ]
    ev = read_records(tmp_path, recs)
    kept = filters.drop_noise(ev)["event_id"].tolist()
    # bursts: {1,2,3} (then a click), {5}, {6} (gap 2.5s), mouseovers {7,8}, other session {9}
    assert kept == [f"x.ndjson:{i}" for i in (1, 4, 5, 6, 7, 9)]
    assert filters.history(filters.drop_noise(ev))[0]["bursts"] == 5


# -- neighbours -----------------------------------------------------------------------------------
def ref_near(events, anchors, before, after, by="session"):
    b, a = before.value, after.value
    by_group: dict = {}
    for key, t in zip(anchors[by] if by else [None] * len(anchors), anchors["time"]):
        by_group.setdefault(_val(key), []).append(t.value)
    out = []
    for eid, key, t in zip(events["event_id"], events[by] if by else [None] * len(events), events["time"]):
        tv = t.value
        if any(x - b <= tv <= x + a for x in by_group.get(_val(key), ())):
            out.append(eid)
    return out


@pytest.mark.parametrize(("within", "before", "after"), [("1s", "1s", "1s"), (("0s", "2s"), "0s", "2s")])
def test_near_matches_reference(sample, within, before, after):
    snap = snapshot(sample)
    anchors = sample[sample["type"].isin(["click", "keydown"])]
    out = filters.near(sample, ["click", "keydown"], within)
    expect = ref_near(sample, anchors, pd.Timedelta(before), pd.Timedelta(after))
    assert out["event_id"].tolist() == expect
    away = filters.near(sample, ["click", "keydown"], within, keep=False)
    assert set(away["event_id"]) == set(sample["event_id"]) - set(expect)
    unchanged(sample, snap)
    valid(out)


def test_near_with_anchors_from_another_source(sample):
    clicks = filters.keep_types(sample, "click")
    # another source: its own categories (different codes for the same sessions)
    other = clicks.copy()
    other["session"] = (
        other["session"]
        .cat.remove_unused_categories()
        .cat.reorder_categories(sorted(other["session"].dropna().unique(), reverse=True))
    )
    rest = filters.drop_types(sample, "click")
    out = filters.near(rest, "click", "3s", other=other)
    expect = ref_near(rest, clicks, pd.Timedelta("3s"), pd.Timedelta("3s"))
    assert out["event_id"].tolist() == expect
    assert filters.history(out)[-1]["other"] is True
    # by=None: anchors of any session count
    loose = filters.near(rest, "click", "3s", other=other, by=None)
    assert loose["event_id"].tolist() == ref_near(rest, clicks, pd.Timedelta("3s"), pd.Timedelta("3s"), by=None)
    assert len(loose) >= len(out)
    with pytest.raises(ValueError, match="before, after"):
        filters.near(sample, "click", ("1s", "2s", "3s"))


# -- dangling -------------------------------------------------------------------------------------
def test_drop_dangling_drops_every_record_of_unmatched_events(sample):
    snap = snapshot(sample)
    out = filters.drop_dangling(sample)
    step = filters.history(out)[0]
    expect_drop: set[str] = set()
    rows = {r.event_id: r for r in sample.itertuples(index=False)}
    for start, stop in filters.DANGLING_PAIRS.items():
        meta = intervals.pairs(sample, start, stop).attrs["distill_meta"]
        reps = meta["dangling_start_ids"] + meta["dangling_stop_ids"]
        keys = {(_val(rows[i].session), _val(rows[i].target), rows[i].type, rows[i].time) for i in reps}
        records = {
            r.event_id
            for r in sample.itertuples(index=False)
            if r.log_type != "interval" and (_val(r.session), _val(r.target), r.type, r.time) in keys
        }
        name = f"{start}->{stop}"
        assert set(step["pairs"][name]["start_ids"]) | set(step["pairs"][name]["stop_ids"]) == records
        expect_drop |= records
    assert set(sample["event_id"]) - set(out["event_id"]) == expect_drop
    assert step["dropped"] == len(expect_drop) == 106
    # 50 focus events without a blur, each logged twice; 6 mousedowns without a mouseup
    assert step["pairs"]["focus->blur"]["starts"] == 100
    assert step["pairs"]["mousedown->mouseup"]["starts"] == 6
    # after dropping, nothing dangles any more
    again = intervals.pairs(out, "focus", "blur").attrs["distill_meta"]
    assert again["dangling_starts"] == again["dangling_stops"] == 0
    unchanged(sample, snap)
    valid(out)


def test_drop_dangling_custom_pairs(tmp_path):
    recs = [
        raw(1000, "dragstart"),
        raw(2000, "dragend"),
        raw(3000, "dragend"),
        raw(4000, "keydown"),
        raw(4500, "keyup"),
        raw(5000, "keyup"),
    ]
    ev = read_records(tmp_path, recs)
    out = filters.drop_dangling(ev, [("dragstart", "dragend"), ("keydown", "keyup")])
    assert out["event_id"].tolist() == ["x.ndjson:1", "x.ndjson:2", "x.ndjson:4", "x.ndjson:5"]
    step = filters.history(out)[0]
    assert step["pairs"]["dragstart->dragend"]["stop_ids"] == ["x.ndjson:3"]
    assert step["pairs"]["keydown->keyup"]["stop_ids"] == ["x.ndjson:6"]
    # sides may be queries or masks too
    by_query = filters.drop_dangling(ev, [(Q.type == "dragstart", ev["type"] == "dragend")])
    assert by_query["event_id"].tolist() == [f"x.ndjson:{i}" for i in (1, 2, 4, 5, 6)]
    assert "pair 0" in filters.history(by_query)[0]["pairs"]
    with pytest.raises(TypeError, match="pairs must be"):
        filters.drop_dangling(ev, 3)  # type: ignore[arg-type]


# -- duplicates -----------------------------------------------------------------------------------
def ref_dedupe(events, columns=None, tolerance=None, copies=True):
    tolerance = pd.Timedelta(0) if tolerance is None else tolerance
    cols = columns or [c for c in events.columns if c not in ("event_id", "source", "time")]
    dropped = ref_window_copies(events) if copies else set()
    streams: dict = {}
    for pos, r in enumerate(events.itertuples(index=False)):
        if r.event_id in dropped:
            continue
        streams.setdefault(_val(r.session), []).append((r.time, pos, r))
    for rows in streams.values():
        rows.sort(key=lambda x: (x[0], x[1]))
        for (t0, _, a), (t1, _, b) in itertools.pairwise(rows):
            same = all(_val(getattr(a, c)) == _val(getattr(b, c)) for c in cols)
            if same and t1 - t0 <= tolerance:
                dropped.add(b.event_id)
    return [i for i in events["event_id"] if i not in dropped]


def test_dedupe_window_copies_on_sample(sample):
    snap = snapshot(sample)
    out = filters.dedupe(sample)
    assert out["event_id"].tolist() == ref_dedupe(sample)
    step = filters.history(out)[0]
    assert (step["window_copies"], step["consecutive"]) == (264, 0)
    assert not out["details"].eq(WINDOW).fillna(False).any()
    unchanged(sample, snap)
    valid(out)


def test_dedupe_collapses_a_source_read_twice(sample):
    twice = sample.copy()
    twice["event_id"] = twice["event_id"] + "#again"
    both = distill.sort_events(pd.concat([sample, twice], ignore_index=True))
    out = filters.dedupe(both, copies=False)
    assert filters.history(out)[0]["consecutive"] == len(sample)
    assert sorted(out["event_id"]) == sorted(sample["event_id"])


def test_dedupe_hand_worked_tolerance(tmp_path):
    recs = [
        raw(1000, "click", "b", details={"clicks": 1}),
        raw(1000, "click", "b", details={"clicks": 1}),
        raw(1040, "click", "b", details={"clicks": 1}),
        raw(1090, "click", "b", details={"clicks": 1}),
        raw(2000, "click", "b", details={"clicks": 1}),
        raw(2010, "click", "b", details={"clicks": 2}),
        raw(2020, "click", "b", details={"clicks": 1}, session="s2"),
    ]
    ev = read_records(tmp_path, recs)
    exact = filters.dedupe(ev)["event_id"].tolist()
    assert exact == ref_dedupe(ev) == [f"x.ndjson:{i}" for i in (1, 3, 4, 5, 6, 7)]
    loose = filters.dedupe(ev, tolerance="50ms")["event_id"].tolist()
    # 2 (0 ms), 3 (40 ms after 2) and 4 (50 ms after 3) chain onto 1
    assert loose == ref_dedupe(ev, tolerance=pd.Timedelta("50ms")) == [f"x.ndjson:{i}" for i in (1, 5, 6, 7)]
    by_type = filters.dedupe(ev, columns=["type", "target"], tolerance="1s")["event_id"].tolist()
    assert by_type == ref_dedupe(ev, columns=["type", "target"], tolerance=pd.Timedelta("1s"))
    assert by_type == ["x.ndjson:1", "x.ndjson:7"]


# -- resampling -----------------------------------------------------------------------------------
def test_resample_counts_per_bin_and_reproducible(sample):
    out = filters.resample(sample, "10s", 2, by="session", seed=7)
    again = filters.resample(sample, "10s", 2, by="session", seed=7)
    assert out["event_id"].tolist() == again["event_id"].tolist()
    other = filters.resample(sample, "10s", 2, by="session", seed=8)
    assert out["event_id"].tolist() != other["event_id"].tolist()
    # reference counts: min(n, events in bin) per (session, 10 s bin)
    bins = Counter((r.session, r.time.value // 10_000_000_000) for r in sample.itertuples(index=False))
    got = Counter((r.session, r.time.value // 10_000_000_000) for r in out.itertuples(index=False))
    assert got == Counter({k: min(2, v) for k, v in bins.items()})
    # a subset, in the original order
    pos = sample.reset_index().set_index("event_id").loc[out["event_id"], "index"]
    assert pos.is_monotonic_increasing
    assert filters.history(out)[0]["bins"] == len(bins)
    valid(out)
    with pytest.raises(ValueError, match="positive integer"):
        filters.resample(sample, "1min", 0)
    with pytest.raises(ValueError, match="longer than zero"):
        filters.resample(sample, 0)


def test_resample_is_uniform(tmp_path):
    ev = read_records(tmp_path, [raw(1000 + i, "click", f"t{i}") for i in range(10)])
    chosen = Counter(filters.resample(ev, "1min", seed=s)["event_id"].iloc[0] for s in range(300))
    assert len(chosen) == 10
    assert all(10 <= c <= 55 for c in chosen.values()), chosen


# -- relabelling ----------------------------------------------------------------------------------
RULES = {
    "button#login-btn.btn-primary": "Log in",
    r"^div#card-(\d+)": r"Product card \1",
    re.compile(r"^button#add-(\d+)"): "Add to cart",
    (lambda v: "Navigation" if v.startswith("a#nav-") else None): "unused",
}


def ref_relabel(value):
    if value is None:
        return None
    if value == "button#login-btn.btn-primary":
        return "Log in"
    m = re.match(r"div#card-(\d+)", value)
    if m:
        return f"Product card {m.group(1)}"
    if re.match(r"button#add-(\d+)", value):
        return "Add to cart"
    if value.startswith("a#nav-"):
        return "Navigation"
    return value


def test_relabel_matches_reference(sample):
    snap = snapshot(sample)
    out = filters.relabel(sample, RULES)
    assert [_val(v) for v in out["label"]] == [ref_relabel(_val(v)) for v in sample["target"]]
    assert out["target"].equals(sample["target"])
    assert isinstance(out["label"].dtype, pd.CategoricalDtype)
    step = filters.history(out)[0]
    matched = [v for v in sample["target"].cat.categories if ref_relabel(v) != v]
    assert step["values_matched"] == len(matched)
    assert step["events_matched"] == int(sample["target"].isin(matched).sum())
    assert out["event_id"].equals(sample["event_id"])
    unchanged(sample, snap)
    valid(out)


def test_relabel_in_place_and_other_columns(sample):
    out = filters.relabel(sample, {"mouseover": "hover", "^mouse(down|up)$": "press"}, column="type", into="type")
    assert set(out["type"].dropna().astype(str)) >= {"hover", "press", "click"}
    assert "mouseover" not in set(out["type"].astype(str))
    assert "label" not in out.columns
    assert len(out) == len(sample)
    with pytest.raises(TypeError, match="rule"):
        filters.relabel(sample, {3: "x"})
    with pytest.raises(ValueError, match="regular expression"):
        filters.relabel(sample, {"^(": "x"})


# -- history, export, accessor --------------------------------------------------------------------
def test_history_chains_and_exports(sample):
    out = filters.drop_dangling(filters.dedupe(filters.drop_noise(sample)))
    steps = [s["step"] for s in filters.history(out)]
    assert steps == ["drop_noise", "dedupe", "drop_dangling"]
    assert filters.history(sample) == []
    doc = valid(out)
    assert [s["step"] for s in doc["meta"]["filters"]] == steps
    assert doc["meta"]["rows"] == len(out)
    back = distill.from_dict(doc)
    assert back["event_id"].tolist() == out["event_id"].tolist()


def test_accessor_matches_functions(sample):
    acc = sample.distill
    assert acc.drop_types("mouseover").equals(filters.drop_types(sample, "mouseover"))
    assert acc.keep_types("click").equals(filters.keep_types(sample, "click"))
    assert acc.drop(Q.type == "wheel").equals(filters.drop(sample, Q.type == "wheel"))
    assert acc.keep(Q.type == "wheel").equals(filters.keep(sample, Q.type == "wheel"))
    assert acc.drop_noise().equals(filters.drop_noise(sample))
    assert acc.near("click", "2s").equals(filters.near(sample, "click", "2s"))
    assert acc.drop_dangling().equals(filters.drop_dangling(sample))
    assert acc.dedupe().equals(filters.dedupe(sample))
    assert acc.resample("1min", 3, seed=2).equals(filters.resample(sample, "1min", 3, seed=2))
    assert acc.relabel(RULES).equals(filters.relabel(sample, RULES))
    assert acc.redact().equals(filters.redact(sample))
    assert acc.drop_noise().distill.filter_history() == filters.history(filters.drop_noise(sample))


# -- properties -----------------------------------------------------------------------------------
_FILTERS = [
    lambda ev, k: filters.drop_types(ev, ["mouseover", "click"][k % 2]),
    lambda ev, k: filters.keep(ev, Q.type.isin(["click", "keydown", "focus"][: 1 + k % 3])),
    lambda ev, k: filters.drop_noise(ev, keep=["first", "last", "ends", "none"][k % 4], gap=f"{k % 5}s"),
    lambda ev, k: filters.near(ev, "click", f"{k % 7}s", keep=bool(k % 2)),
    lambda ev, k: filters.drop_dangling(ev),
    lambda ev, k: filters.dedupe(ev, tolerance=f"{k % 3}s", columns=["type", "target"] if k % 2 else None),
    lambda ev, k: filters.resample(ev, f"{1 + k % 30}s", 1 + k % 3, seed=k),
    lambda ev, k: filters.relabel(ev, RULES),
    lambda ev, k: filters.redact(ev, mode=["mask", "drop"][k % 2]),
]


@settings(max_examples=40)
@given(
    st.integers(0, len(_FILTERS) - 1),
    st.integers(0, 1000),
    st.integers(0, 4800),
    st.integers(1, 800),
)
def test_filters_never_add_events_nor_mutate(_sample_frame, which, k, start, length):
    ev = _sample_frame.iloc[start : start + length].reset_index(drop=True)
    snap = snapshot(ev)
    out = _FILTERS[which](ev, k)
    unchanged(ev, snap)
    assert len(out) <= len(ev)
    ids = ev["event_id"].tolist()
    pos = {e: i for i, e in enumerate(ids)}
    got = [pos[e] for e in out["event_id"]]  # KeyError if an event was added
    assert got == sorted(got) and len(set(got)) == len(got)
    assert isinstance(out.index, pd.RangeIndex)
    assert filters.history(out)[-1]["events_out"] == len(out)
