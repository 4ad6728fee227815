"""distill.datasets: the bundled sample and the scale generator built from it."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import msgspec
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import distill
from distill.datasets import load_sample, sample_path, scale_sample, write_scaled_ndjson
from distill.frame import CORE_COLUMNS, validate

N = 4863


def _copy_of(label: str) -> tuple[str, int]:
    """Split a scaled label ``"<original>-<copy>"`` (independently of the generator)."""
    head, _, tail = label.rpartition("-")
    return head, int(tail)


def _sessions(frame: pd.DataFrame) -> dict[str, list[tuple[int, str, object, str]]]:
    """Per session: its events as (time ns, type, target, page), in frame order (loop based)."""
    out: dict[str, list[tuple[int, str, object, str]]] = {}
    times = frame["time"].to_numpy(dtype="datetime64[ns]").view(np.int64).tolist()
    for t, s, ty, tg, pg in zip(times, frame["session"], frame["type"], frame["target"], frame["page_url"]):
        out.setdefault(str(s), []).append((t, str(ty), None if pd.isna(tg) else str(tg), str(pg)))
    return out


def _shape(events: list[tuple[int, str, object, str]]) -> tuple[tuple[int, str, object, str], ...]:
    """A session's events relative to its first time: what a replay must keep.

    Events at the same time are ordered by id, and ids differ between the sample
    and a replay, so ties are put in one order here.
    """
    t0 = events[0][0]
    return tuple(sorted(((t - t0, ty, tg or "", pg) for t, ty, tg, pg in events)))


def _relative_events(frame: pd.DataFrame, shift: int) -> list[tuple[int, str, str]]:
    times = frame["time"].to_numpy(dtype="datetime64[ns]").view(np.int64) - shift
    return sorted(zip(times.tolist(), frame["type"].astype(str), frame["target"].astype(str)))


def _durations(frame: pd.DataFrame) -> list[float]:
    return sorted((frame["end_time"] - frame["time"]).dropna().dt.total_seconds().tolist())


@pytest.fixture(scope="module")
def three() -> pd.DataFrame:
    return scale_sample(3 * N, seed=7)


def test_frame_is_valid_and_canonical(three: pd.DataFrame, sample: pd.DataFrame) -> None:
    assert validate(three) is three
    assert list(three.columns) == list(sample.columns)
    for col in three.columns:
        assert three[col].dtype == sample[col].dtype or col in ("user", "session", "http_session", "source"), col
    for col in CORE_COLUMNS:
        if isinstance(three[col].dtype, pd.CategoricalDtype):
            cats = three[col].cat.categories.tolist()
            assert cats == sorted(cats), col
            assert set(cats) == set(three[col].dropna().unique()), f"{col} has unused categories"
    assert isinstance(three.index, pd.RangeIndex)
    assert set(three["source"].unique()) == {"scale_sample"}


def test_sorted_by_time_then_id_and_ids_unique(three: pd.DataFrame) -> None:
    keys = list(zip(three["time"].tolist(), three["event_id"].tolist()))
    assert keys == sorted(keys)
    assert three["event_id"].is_unique
    assert three["event_id"].str.fullmatch(r"scale:\d{5}").all()
    assert sorted(int(i[6:]) for i in three["event_id"]) == list(range(1, 3 * N + 1))


def test_whole_copies_keep_every_statistic(three: pd.DataFrame, sample: pd.DataFrame) -> None:
    for col in ("type", "log_type", "target", "page_url", "details"):
        got = three[col].value_counts(dropna=False)
        want = sample[col].value_counts(dropna=False) * 3
        assert got.sort_index().to_dict() == want.sort_index().to_dict(), col
    paths = Counter(three["path"].tolist())
    assert paths == Counter({p: 3 * c for p, c in Counter(sample["path"].tolist()).items()})
    # every original session replayed three times, with the same events, gaps and order
    original = Counter(_shape(ev) for ev in _sessions(sample).values())
    replayed = Counter(_shape(ev) for ev in _sessions(three).values())
    assert replayed == Counter({k: 3 * v for k, v in original.items()})
    # x, y and intervals (end - start) unchanged
    assert _durations(three) == sorted(_durations(sample) * 3)
    assert sorted(three["x"].dropna().tolist()) == sorted(sample["x"].dropna().tolist() * 3)


def test_new_identities_per_copy(three: pd.DataFrame, sample: pd.DataFrame) -> None:
    assert three["user"].nunique() == 3 * sample["user"].nunique()
    assert three["session"].nunique() == 3 * sample["session"].nunique()
    assert three["http_session"].nunique() == 3 * sample["http_session"].nunique()
    # each new session belongs to one new user, of the same original user and copy
    owner = dict(zip(sample["session"].astype(str), sample["user"].astype(str)))
    pairs = set(zip(three["session"].astype(str), three["user"].astype(str)))
    assert len(pairs) == three["session"].nunique()
    for session, user in pairs:
        s0, k1 = _copy_of(session)
        u0, k2 = _copy_of(user)
        assert k1 == k2 and owner[s0] == u0


def test_each_copy_is_the_sample_shifted(three: pd.DataFrame, sample: pd.DataFrame) -> None:
    t0 = sample["time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    copies = three["user"].astype(str).map(lambda u: _copy_of(u)[1]).to_numpy()
    for k in range(3):
        part = three[copies == k]
        t = part["time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        shift = t[0] - t0[0]
        assert shift % 1_000_000 == 0  # whole milliseconds, so clientTime stays an integer
        assert (t - shift).tolist() == t0.tolist()
        assert _relative_events(part, shift) == _relative_events(sample, 0)
    spans = [three["time"][copies == k].min() for k in range(3)]
    assert spans == sorted(spans) and spans[1] < three["time"][copies == 0].max()  # copies overlap


def test_deterministic_by_seed() -> None:
    a = scale_sample(2 * N + 123, seed=3)
    b = scale_sample(2 * N + 123, seed=3)
    pd.testing.assert_frame_equal(a, b)
    c = scale_sample(2 * N + 123, seed=4)
    assert not a["time"].equals(c["time"])


def test_partial_copy_cuts_at_most_one_session(sample: pd.DataFrame) -> None:
    n = N + 1000
    frame = scale_sample(n, seed=11)
    assert len(frame) == n and frame["event_id"].is_unique
    original = {str(s): len(ev) for s, ev in _sessions(sample).items()}
    last = {s: ev for s, ev in _sessions(frame).items() if _copy_of(s)[1] == 1}
    assert sum(len(ev) for ev in last.values()) == 1000
    short = [s for s, ev in last.items() if len(ev) != original[_copy_of(s)[0]]]
    assert len(short) <= 1
    full = {s: ev for s, ev in _sessions(sample).items()}
    for s, ev in last.items():  # a cut session keeps its first events
        want = sorted(t for t, *_ in full[_copy_of(s)[0]])
        got = [t for t, *_ in ev]
        assert [t - got[0] for t in got] == [t - want[0] for t in want[: len(ev)]]


@pytest.mark.parametrize("n", [0, 1, 17, N - 1])
def test_small_sizes(n: int) -> None:
    frame = scale_sample(n)
    assert len(frame) == n
    validate(frame)


@pytest.mark.parametrize(("n", "err"), [(-1, ValueError), (1.5, TypeError), ("10", TypeError), (True, TypeError)])
def test_bad_sizes(n: object, err: type) -> None:
    with pytest.raises(err, match="n_events"):
        scale_sample(n)  # type: ignore[arg-type]


def test_the_sample_is_untouched(sample: pd.DataFrame) -> None:
    before = sample.copy()
    scale_sample(N + 5)
    pd.testing.assert_frame_equal(load_sample(), before)


@given(n=st.integers(0, 3 * N), seed=st.integers(0, 2**31))
def test_property_size_order_ids(n: int, seed: int) -> None:
    frame = scale_sample(n, seed)
    assert len(frame) == n
    t = frame["time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    assert (np.diff(t) >= 0).all()
    assert frame["event_id"].is_unique
    assert frame["type"].notna().all() and frame["user"].notna().all()


# -- NDJSON -----------------------------------------------------------------------------
def _raw_sample_lines() -> list[dict]:
    text = gzip.decompress(sample_path().read_bytes())
    return [msgspec.json.decode(line) for line in text.split(b"\n") if line.strip()]


def test_ndjson_reads_back_as_the_frame(tmp_path: Path) -> None:
    n = 2 * N + 700
    path = write_scaled_ndjson(tmp_path / "big.ndjson", n, seed=5)
    read = distill.read(path)
    assert read.distill.report.rejected == 0 and len(read) == n
    frame = scale_sample(n, seed=5)
    # the same events: ids map line for line
    by_line = read.assign(line=read["event_id"].str.rsplit(":", n=1).str[1].astype(int)).sort_values("line")
    frame_by_line = frame.assign(line=frame["event_id"].str[6:].astype(int)).sort_values("line")
    assert by_line["line"].tolist() == list(range(1, n + 1)) == frame_by_line["line"].tolist()
    for col in frame.columns:
        if col in ("event_id", "source"):
            continue
        a = by_line[col].reset_index(drop=True)
        b = frame_by_line[col].reset_index(drop=True)
        if isinstance(a.dtype, pd.CategoricalDtype):
            a, b = a.astype(object), b.astype(object)
        pd.testing.assert_series_equal(a, b, check_names=False, obj=col)


def test_ndjson_lines_are_userale_logs(tmp_path: Path) -> None:
    path = write_scaled_ndjson(tmp_path / "s.ndjson", N + 10, seed=1)
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == N + 11
    original = _raw_sample_lines()
    changed = {"userId", "sessionId", "httpSessionId", "clientTime", "startTime", "endTime"}
    shifts = set()
    for raw, orig in zip(lines[:N], original):
        log = msgspec.json.decode(raw)
        assert list(log) == list(orig)  # same keys in the same order
        assert {k: v for k, v in log.items() if k not in changed} == {k: v for k, v in orig.items() if k not in changed}
        assert log["userId"] == orig["userId"] + "-0"
        assert log["sessionId"] == orig["sessionId"] + "-0"
        for key in ("clientTime", "startTime", "endTime"):
            if key in orig:
                assert isinstance(log[key], int)
                shifts.add(log[key] - orig[key])
    assert len(shifts) == 1  # one shift for the whole copy
    second = msgspec.json.decode(lines[N])
    assert second["userId"].endswith("-1")


@pytest.mark.slow
def test_millions_of_events() -> None:
    n = 2_000_000
    frame = scale_sample(n, seed=1)
    validate(frame)
    assert len(frame) == n and frame["event_id"].is_unique
    full = n // N
    copies = Counter(_copy_of(s)[1] for s in frame["session"].cat.categories)
    assert all(copies[k] == 21 for k in range(full)) and 1 <= copies[full] <= 21
    assert frame["type"].value_counts(normalize=True).round(3).to_dict() == (
        load_sample()["type"].value_counts(normalize=True).round(3).to_dict()
    )
