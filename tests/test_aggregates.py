"""distill.aggregates: local counts checked by hand, and pushed-down counts equal to local ones."""

from __future__ import annotations

import collections
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill import Q, aggregates
from distill.query import apply

# -- local: against a loop over rows ------------------------------------------------------------------------


def _slow_counts(events: pd.DataFrame, keys: list[str], every: str | None = None) -> dict[tuple, int]:
    out: collections.Counter[tuple] = collections.Counter()
    step = pd.Timedelta(every).value if every else None
    for i in range(len(events)):
        key = []
        for k in keys:
            v = events["page_url"].iloc[i] if k == "page" else events[k].iloc[i]
            if pd.isna(v):
                key.append(None)
            elif k == "page":
                key.append(str(v).split("#")[0].split("?")[0])
            else:
                key.append(v if not isinstance(v, str) else str(v))
        if step:
            t = events["time"].iloc[i].value
            key.append(t - t % step)
        out[tuple(key)] += 1
    return dict(out)


def _as_dict(table: pd.DataFrame, keys: list[str], every: bool = False) -> dict[tuple, int]:
    out = {}
    cols = keys + (["time"] if every else [])
    for row in table.itertuples(index=False):
        d = row._asdict()
        key = []
        for c in cols:
            v = d[c]
            if pd.isna(v):
                key.append(None)
            elif c == "time":
                key.append(v.value)
            else:
                key.append(v)
        out[tuple(key)] = int(d["count"])
    return out


@pytest.mark.parametrize(
    ("keys", "every"),
    [(["type"], None), (["user", "page"], None), (["session"], "1min"), (["x"], None), (["log_type", "target"], "10s")],
)
def test_count_by_equals_a_loop(sample: pd.DataFrame, keys: list[str], every: str | None) -> None:
    before = sample.copy()
    table = aggregates.count_by(sample, keys, every=every)
    assert _as_dict(table, keys, every is not None) == _slow_counts(sample, keys, every)
    assert int(table["count"].sum()) == len(sample)
    assert table.attrs["distill_kind"] == "counts"
    pd.testing.assert_frame_equal(sample, before)


def test_count_by_types_and_order(sample: pd.DataFrame) -> None:
    table = aggregates.count_by(sample, ["user", "x", "user_action"])
    assert str(table["user"].dtype) in ("string", "str") and str(table["x"].dtype) == "Int64"
    assert str(table["user_action"].dtype) == "boolean" and table["count"].dtype == np.int64
    assert table["x"].isna().iloc[-1]  # missing sorts last
    totals = aggregates.count_by(sample, [])
    assert totals["count"].tolist() == [len(sample)]


def test_count_by_rejects_bad_keys(sample: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="every="):
        aggregates.count_by(sample, "time")
    with pytest.raises(ValueError, match="whole number of milliseconds"):
        aggregates.count_by(sample, "type", every="1us")
    with pytest.raises(distill.FrameError, match="nope"):
        aggregates.count_by(sample, "nope")
    with pytest.raises(TypeError, match="event frame or a source"):
        aggregates.count_by([1, 2], "type")


def test_distinct_count_time_range_by_hand(sample: pd.DataFrame) -> None:
    bob = sample[sample["user"] == "bob"]
    assert aggregates.distinct(sample, "user", query=Q.type == "submit") == sorted(
        set(sample.loc[sample["type"] == "submit", "user"].dropna())
    )
    assert aggregates.count(sample, query=Q.user == "bob") == len(bob)
    tr = aggregates.time_range(sample, query=Q.user == "bob")
    assert (tr.start, tr.end, tr.events) == (bob["time"].min(), bob["time"].max(), len(bob))
    assert aggregates.time_range(sample, query=Q.user == "nobody") == aggregates.TimeRange(None, None, 0)
    assert distill.to_dict(tr)["kind"] == "time_range"


@settings(max_examples=30)
@given(st.lists(st.sampled_from(["type", "user", "session", "page", "log_type", "x"]), max_size=2, unique=True))
def test_counts_add_up(keys: list[str]) -> None:
    events = distill.datasets.load_sample()
    table = aggregates.count_by(events, keys)
    assert int(table["count"].sum()) == len(events)
    assert not table.duplicated(keys).any() if keys else len(table) == 1


# -- pushdown: the server's answer equals the local one ----------------------------------------------------------
sys.path.insert(0, str(Path(__file__).parent))
import es_support as es  # noqa: E402


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, pd.DataFrame]:
    pytest.importorskip("osmem_server")
    srv = es.server()
    folder = tmp_path_factory.mktemp("agg-files")
    files = es.write_files(folder)
    return srv, distill.read(files["shopdemo-4863.ndjson"])


def _source(kind: str, url: str, index: str = "userale") -> Any:
    return es.make_source(kind, url, index)


def _cases(frame: pd.DataFrame) -> list[tuple[Any, str | None, Any]]:
    t = frame["time"]
    return [
        ("type", None, None),
        (["user", "page"], None, None),
        ("session", "1min", None),
        (["log_type", "target"], "10s", Q.time > t.iloc[100]),
        ("x", None, Q.type == "click"),
        ([], "1min", Q.target.matches(r"\d")),
        ("user_action", None, Q.user.isin(["alice", "bob"])),
        ("source", "1h", None),
        (["page_title", "user"], "30s", Q.time.between(t.iloc[1000], t.iloc[3000]) & (Q.type != "mouseover")),
        ("page", None, Q.page_url.contains("?")),
    ]


@pytest.mark.elasticsearch
@pytest.mark.parametrize("case", range(10))
@pytest.mark.parametrize("kind", ["opensearch", "elasticsearch"])
def test_pushdown_count_by_equals_local(shop: tuple[Any, pd.DataFrame], kind: str, case: int) -> None:
    srv, frame = shop
    by, every, q = _cases(frame)[case]
    src = _source(kind, srv.url)
    got = aggregates.count_by(src, by, every=every, query=q)
    want = aggregates.count_by(frame, by, every=every, query=q)
    pd.testing.assert_frame_equal(got, want)
    assert got.attrs["distill_pushdown"] is True
    # exact queries download no event: no paging context is ever opened
    if q is None or case in (4, 6):
        assert not any("point_in_time" in p or "scroll" in p or p.endswith("/_pit") for _, p in src.requests)


@pytest.mark.elasticsearch
@pytest.mark.parametrize("kind", ["opensearch", "elasticsearch"])
def test_pushdown_distinct_count_time_range_equal_local(shop: tuple[Any, pd.DataFrame], kind: str) -> None:
    srv, frame = shop
    src = _source(kind, srv.url)
    t = frame["time"]
    for q in (None, Q.user == "bob", Q.time.between(t.iloc[100], t.iloc[300]), Q.target.matches(r"\d$")):
        assert aggregates.count(src, query=q) == aggregates.count(frame, query=q)
        assert aggregates.time_range(src, query=q) == aggregates.time_range(frame, query=q)
    for field in ("user", "session", "page", "type"):
        assert aggregates.distinct(src, field) == aggregates.distinct(frame, field)


@pytest.mark.elasticsearch
def test_pushdown_on_dynamic_mappings_equals_local(shop: tuple[Any, pd.DataFrame], tmp_path: Path) -> None:
    """text fields with .keyword sub-fields, legacy sessionID, documents rejected for a missing type."""
    srv, _ = shop
    files = es.write_files(tmp_path)
    names = ["sample_data_multiusers.json", "sample_data_without_type.json", "monorepo-current-format-75.json"]
    with pytest.warns(distill.DistillDataWarning):
        frame = distill.read([files[n] for n in names])
    src = _source("opensearch", srv.url, ",".join(names))
    for by, every, q in [
        (["type"], None, None),
        (["session", "user"], "1min", None),
        (["page", "source"], None, Q.type != "mouseover"),
        (["target"], "5s", Q.session.notnull()),
    ]:
        got = aggregates.count_by(src, by, every=every, query=q)
        pd.testing.assert_frame_equal(got, aggregates.count_by(frame, by, every=every, query=q))
    assert aggregates.time_range(src) == aggregates.time_range(frame)
    assert aggregates.count(src) == len(frame)


@pytest.mark.elasticsearch
def test_pushdown_ignores_nothing_above_ignore_above(shop: tuple[Any, pd.DataFrame]) -> None:
    """Values longer than a keyword sub-field's ignore_above (256) are counted, not lost."""
    from osmem_server import OsmemServer

    long_url = "http://127.0.0.1:8765/catalog.html?" + "q=" + "x" * 300
    records = [(f"long#{i}", dict(rec, pageUrl=long_url)) for i, (_, rec) in enumerate(es.sample_records()[:50], 1)]
    records += [(f"short#{i}", rec) for i, (_, rec) in enumerate(es.sample_records()[50:120], 1)]
    with OsmemServer.start(japanese=False) as other:
        es.bulk(other.url, "long-urls", records)
        es._http("POST", f"{other.url}/_refresh")
        src = _source("opensearch", other.url, "long-urls")
        local = src.read()
        for by in ("page", "page_url"):
            got = aggregates.count_by(src, by)
            pd.testing.assert_frame_equal(got, aggregates.count_by(local, by))
        assert aggregates.distinct(src, "page_url") == aggregates.distinct(local, "page_url")
        assert len(apply(local, Q.page_url == long_url)) == 50
        assert len(src.read(Q.page_url == long_url)) == 50
