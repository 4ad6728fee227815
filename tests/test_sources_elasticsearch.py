"""The Elasticsearch/OpenSearch source against a real (in-memory) server, through both clients.

The server is osmem-server seeded with real UserALE logs (tests/es_support.py); nginx adds
HTTPS with a trustme CA and basic auth. Each index is named after the file its logs come
from and each ``_id`` is the file reader's event id, so a file read and an index read of the
same logs must give identical frames.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill import Q, aggregates
from distill.errors import InputError, SourceError
from distill.query import Query, apply
from distill.sources.elasticsearch import ElasticsearchSource, is_read_request

sys.path.insert(0, str(Path(__file__).parent))
import es_support as es

pytestmark = pytest.mark.elasticsearch
pytest.importorskip("osmem_server")

SHOP = "shopdemo-4863.ndjson"
FIXTURES = ["monorepo-current-format-75.json", "sample_data_multiusers.json", "sample_data_without_type.json"]
CLIENTS = ["opensearch", "elasticsearch"]


# -- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def osm() -> Any:
    return es.server()


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return es.write_files(tmp_path_factory.mktemp("es-files"))


@pytest.fixture(scope="session")
def shop_frame(files: dict[str, Path]) -> pd.DataFrame:
    return distill.read(files[SHOP])


@pytest.fixture(scope="session")
def fixtures_frame(files: dict[str, Path]) -> pd.DataFrame:
    with pytest.warns(distill.DistillDataWarning):
        return distill.read([files[f] for f in FIXTURES])


make_source = es.make_source


@pytest.fixture(params=CLIENTS)
def client_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def nginx(osm: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    why = es.nginx_missing()
    if why:
        pytest.skip(why)
    proxy = es.Nginx(osm.url, tmp_path_factory.mktemp("nginx"))
    yield proxy
    proxy.close()


def https_source(kind: str, proxy: Any, index: str = "userale", **kw: Any) -> ElasticsearchSource:
    """A source built from connection settings: HTTPS, CA bundle, basic auth."""
    opts = {"basic_auth": (es.USER, es.PASSWORD), "ca_certs": str(proxy.ca_path)}
    opts.update(kw)
    if kind == "elasticsearch":
        opts["client_options"] = {"node_class": es.osmem_node_class()}
    return ElasticsearchSource(proxy.url, index=index, library=kind, **opts)


def same_frames(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Frames equal in every column; ``details`` compared as JSON values (osmem re-serialises
    ``_source`` with sorted keys, Elasticsearch returns the stored bytes)."""
    assert list(got.columns) == list(want.columns)
    got, want = _used_categories(got), _used_categories(want)
    pd.testing.assert_frame_equal(got.drop(columns=["details"]), want.drop(columns=["details"]))
    assert str(got["details"].dtype) == str(want["details"].dtype)
    a = [None if pd.isna(v) else json.loads(v) for v in got["details"]]
    b = [None if pd.isna(v) else json.loads(v) for v in want["details"]]
    assert a == b


def _used_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """A filtered file read keeps every category of the file; a filtered index read only those present."""
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].cat.remove_unused_categories()
    return out


# -- equivalence with the file source ------------------------------------------------------------
def _queries(frame: pd.DataFrame) -> list[Query | None]:
    t = frame["time"]
    return [
        None,
        Q.type == "click",
        Q.type.isin(["click", "input"]) & (Q.user == "bob"),
        ~Q.type.isin(["mouseover", "mouseout", "scroll"]),
        Q.type != "blur",
        Q.time.between(t.iloc[100], t.iloc[300]),  # boundaries on events with microTime fractions
        (Q.time > t.iloc[2000]) & (Q.time <= t.iloc[2500]),
        Q.time < t.iloc[50],
        Q.time == t.iloc[777],
        Q.target.startswith("button"),
        Q.target.contains("checkout"),
        Q.target.endswith("-form"),
        Q.target.matches(r"^input#(email|card)"),
        Q.target.matches(r"\d"),  # no Lucene equivalent: finished locally
        Q.path.contains("form#checkout-form"),
        Q.path.startswith("button"),
        Q.x > 500,
        Q.x.between(10, 200) | Q.y.isnull(),
        Q.user.isnull() | (Q.user == "alice"),
        Q.session == str(frame["session"].iloc[5]),
        Q.page_url.startswith("http://127.0.0.1:8765/catalog"),
        Q.log_type.isin(["interval", "custom"]),
        Q.details.contains("hunter"),
        Q.user_action == True,  # noqa: E712
        Q.event_id.isin([str(frame["event_id"].iloc[i]) for i in (0, 10, 4000)]),
        Q.source == SHOP,
        Q.end_time > t.iloc[1000],
    ]


@pytest.mark.parametrize("i", range(27))
def test_read_equals_file_read(osm: Any, shop_frame: pd.DataFrame, client_kind: str, i: int) -> None:
    q = _queries(shop_frame)[i]
    src = make_source(client_kind, osm.url, "userale", page_size=1500)
    got = src.read(q)
    want = apply(shop_frame, q) if q is not None else shop_frame
    assert len(want) > 0 or q is not None
    same_frames(got, want)
    rep = got.distill.report
    assert rep.accepted == len(want) and rep.rejected == 0
    assert rep.sources == (SHOP,)


def test_dynamic_mappings_and_rejections_equal_file_read(
    osm: Any, fixtures_frame: pd.DataFrame, client_kind: str
) -> None:
    """Three indices with default dynamic mappings (text + .keyword), 3 documents without a type."""
    src = make_source(client_kind, osm.url, ",".join(FIXTURES))
    with pytest.warns(distill.DistillDataWarning):
        got = src.read()
    same_frames(got, fixtures_frame)
    want_rep = fixtures_frame.distill.report
    rep = got.distill.report
    assert rep.rejected == want_rep.rejected == 3
    assert rep.by_reason() == want_rep.by_reason()
    # each rejected document is named by index and _id, and the _id is findable
    for issue in rep.rejections:
        index, _, doc_id = issue.source.partition("/_doc/")
        assert index == "sample_data_without_type.json"
        assert doc_id.startswith("sample_data_without_type.json#")
    for q in (Q.user == "MD", Q.type.isin(["mouseover", "blur"]) & Q.target.startswith("a#"), Q.page_url.contains("?")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", distill.DistillDataWarning)
            part = src.read(q)
        assert len(part) > 0
        same_frames(part, apply(fixtures_frame, q))


def test_errors_raise_names_index_and_id(osm: Any) -> None:
    src = make_source("opensearch", osm.url, "sample_data_without_type.json")
    with pytest.raises(InputError, match=r"sample_data_without_type\.json/_doc/sample_data_without_type\.json#\d+"):
        src.read(errors="raise")


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_random_queries_equal_file_read(osm: Any, shop_frame: pd.DataFrame, data: st.DataObject) -> None:
    """Property: any query built from values in the data selects the same events either way."""
    frame = shop_frame
    leaves = []
    for _ in range(data.draw(st.integers(1, 3))):
        col = data.draw(st.sampled_from(["type", "user", "target", "log_type", "time", "x", "session", "page_url"]))
        row = data.draw(st.integers(0, len(frame) - 1))
        value = frame[col].iloc[row]
        if pd.isna(value):
            leaves.append(Q[col].isnull())
            continue
        value = value if col == "time" else (int(value) if col == "x" else str(value))
        op = data.draw(st.sampled_from(["eq", "ne", "lt", "ge"] + (["startswith"] if col not in ("time", "x") else [])))
        if op == "startswith":
            leaves.append(Q[col].startswith(str(value)[: data.draw(st.integers(1, 8))]))
        else:
            leaves.append(
                Query.from_dict({"field": col, "op": op, "value": value})
                if col != "time"
                else {"eq": Q.time == value, "ne": Q.time != value, "lt": Q.time < value, "ge": Q.time >= value}[op]
            )
    q = leaves[0]
    for leaf in leaves[1:]:
        q = (q & leaf) if data.draw(st.booleans()) else (q | leaf)
    if data.draw(st.booleans()):
        q = ~q
    got = make_source("opensearch", osm.url, "userale").read(q)
    assert got["event_id"].tolist() == apply(frame, q)["event_id"].tolist()


# -- paging --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "options",
    [
        {"paging": "pit", "page_size": 700},
        {"paging": "scroll", "page_size": 1000},
        {"paging": "scroll", "page_size": 900, "slices": 3},
        {"paging": "pit", "page_size": 10_000},
    ],
    ids=["pit", "scroll", "sliced-scroll", "one-page"],
)
def test_paging_modes_read_everything(osm: Any, shop_frame: pd.DataFrame, client_kind: str, options: dict) -> None:
    src = make_source(client_kind, osm.url, "userale", **options)
    seen: list[int] = []
    got = src.read(progress=lambda done, total, index: seen.append(done))
    same_frames(got, shop_frame)
    expected_pages = -(-len(shop_frame) // options["page_size"]) + (options.get("slices") or 1) - 1
    assert len(seen) >= expected_pages - (options.get("slices") or 1) + 1
    sent = [p for _, p in src.requests]
    assert not any("from=" in p for p in sent)
    if options["paging"] == "pit":
        assert any("point_in_time" in p or p.endswith("/_pit?keep_alive=2m") for p in sent)
    else:
        assert any("scroll=" in p for p in sent) and ("DELETE", "/_search/scroll") in src.requests


def test_page_size_never_past_10000() -> None:
    with pytest.raises(ValueError, match="10,000"):
        ElasticsearchSource("http://127.0.0.1:9", page_size=10_001)


def test_several_indices_with_equal_ids_read_completely(osm: Any) -> None:
    """Two indices hold documents with the same _ids: (_index, _id) sorting keeps every one,
    and the later copies are reported as duplicates, not lost."""
    src = make_source("opensearch", osm.url, f"{SHOP},userale", page_size=1000)
    got = src.read()
    assert len(got) == 4863  # the alias resolves to the same index: nothing doubled
    fixtures = make_source("opensearch", osm.url, "sample_data*", page_size=50)
    with pytest.warns(distill.DistillDataWarning):
        both = fixtures.read()
    assert both.distill.report.read == 196 + 19


def test_fields_subset_reads_only_those_source_fields(osm: Any, shop_frame: pd.DataFrame) -> None:
    src = make_source("opensearch", osm.url, "userale")
    got = src.read(Q.type == "click", fields=["user", "target"])
    want = apply(shop_frame, Q.type == "click")
    assert got["event_id"].tolist() == want["event_id"].tolist()
    assert got["user"].astype(str).tolist() == want["user"].astype(str).tolist()
    assert got["page_url"].isna().all() and got["x"].isna().all()
    with pytest.raises(ValueError, match="not roles"):
        src.read(fields=["nope"])


# -- several sources -----------------------------------------------------------------------------------
def test_merge_index_and_file(osm: Any, files: dict[str, Path], shop_frame: pd.DataFrame) -> None:
    src = make_source("opensearch", osm.url, "sample_data_multiusers.json")
    merged = distill.merge([src, files[SHOP]])
    assert len(merged) == 4863 + 196
    assert set(merged["source"].cat.categories) == {SHOP, "sample_data_multiusers.json"}
    t = merged["time"].to_numpy()
    assert (t[1:] >= t[:-1]).all()
    distill.validate(merged)
    # an index and the same logs as a file: every event twice, the copies reported
    both = distill.merge([make_source("opensearch", osm.url, "userale"), files[SHOP]])
    assert len(both) == 4863 and both.distill.report.rejected == 4863


def test_merge_two_indices_with_where(osm: Any, shop_frame: pd.DataFrame, fixtures_frame: pd.DataFrame) -> None:
    shop = make_source("elasticsearch", osm.url, "userale")
    multi = make_source("opensearch", osm.url, "sample_data_multiusers.json")
    merged = distill.merge([shop.where(Q.type == "click"), multi.where(Q.type == "click")])
    want = distill.merge(
        [
            apply(shop_frame, Q.type == "click"),
            apply(fixtures_frame, (Q.type == "click") & (Q.source == "sample_data_multiusers.json")),
        ]
    )
    assert merged["event_id"].tolist() == want["event_id"].tolist()
    assert merged["source"].astype(str).tolist() == want["source"].astype(str).tolist()


def test_distill_read_accepts_a_source(osm: Any, shop_frame: pd.DataFrame) -> None:
    got = distill.read(make_source("opensearch", osm.url, "userale"), query=Q.user == "carol")
    same_frames(got, apply(shop_frame, Q.user == "carol"))


# -- discovery --------------------------------------------------------------------------------------------
def test_discovery(osm: Any, shop_frame: pd.DataFrame, client_kind: str) -> None:
    src = make_source(client_kind, osm.url, "userale")
    idx = src.indices()
    assert idx["index"].tolist() == [SHOP] and idx["aliases"].tolist() == ["userale"]
    assert int(idx["docs"].iloc[0]) == 4863
    fields = src.fields().set_index("field")
    assert fields.loc["clientTime", "type"] == "date" and fields.loc["clientTime", "role"] == "time"
    assert fields.loc["userId", "term_field"] == "userId" and bool(fields.loc["userId", "aggregatable"])
    info = src.describe()
    assert info["users"] == sorted(shop_frame["user"].dropna().unique().tolist())
    assert info["sessions"] == sorted(shop_frame["session"].dropna().unique().astype(str).tolist())
    assert info["time_range"]["events"] == 4863
    assert info["time_range"]["start"] == distill.export._iso(shop_frame["time"].min())
    json.dumps(info)
    assert src.server.startswith("Elasticsearch 8" if client_kind == "elasticsearch" else "Opensearch 3")
    dyn = make_source(client_kind, osm.url, "sample_data_multiusers.json").fields().set_index("field")
    assert dyn.loc["userId", "type"] == "text" and dyn.loc["userId", "term_field"] == "userId.keyword"
    pattern = make_source(client_kind, osm.url, "sample_data*").indices()
    assert pattern["index"].tolist() == ["sample_data_multiusers.json", "sample_data_without_type.json"]


# -- errors: never a partial result ----------------------------------------------------------------------
def test_unreachable_host() -> None:
    port = es.free_port()
    src = ElasticsearchSource(f"http://127.0.0.1:{port}", library="opensearch", request_timeout=3)
    with pytest.raises(SourceError, match="cannot reach the server") as err:
        src.read()
    assert err.value.cause == "unreachable" and str(port) in str(err.value)
    src = ElasticsearchSource(f"http://127.0.0.1:{port}", library="elasticsearch", request_timeout=3)
    with pytest.raises(SourceError) as err:
        src.read()
    assert err.value.cause == "unreachable"


def test_missing_index(osm: Any, client_kind: str) -> None:
    with pytest.raises(SourceError, match="no such index") as err:
        make_source(client_kind, osm.url, "no-such-index").read()
    assert err.value.cause == "index_not_found"
    with pytest.raises(SourceError, match="no index matches") as err:
        make_source(client_kind, osm.url, "nothing-*").read()
    assert err.value.cause == "index_not_found"


def test_field_the_schema_needs_is_not_mapped(osm: Any) -> None:
    src = make_source("opensearch", osm.url, "userale")
    with pytest.raises(SourceError, match=r"needs role 'time' \(field timestamp or ts") as err:
        src.read(schema={"name": "other", "roles": {"time": ["timestamp", "ts"], "type": "event"}})
    assert err.value.cause == "missing_field"


def test_context_expires_mid_read(osm: Any, client_kind: str) -> None:
    for paging in ("pit", "scroll"):
        src = make_source(client_kind, osm.url, "userale", page_size=1000, keep_alive="1s", paging=paging)
        with pytest.raises(SourceError, match="expired") as err:
            src.read(progress=lambda done, total, index: time.sleep(2.2))
        assert err.value.cause == "expired"


def test_server_times_out_mid_read(osm: Any, client_kind: str) -> None:
    proxy = es.FaultProxy(osm.url)
    try:
        proxy.stall_after, proxy.stall_seconds = 2, 4
        src = make_source(client_kind, proxy.url, "userale", page_size=1000, request_timeout=1.5)
        with pytest.raises(SourceError, match="did not answer in time while reading page 2") as err:
            src.read()
        assert err.value.cause == "timeout"
    finally:
        proxy.close()


def test_partial_shard_failures_are_errors(osm: Any, client_kind: str) -> None:
    proxy = es.FaultProxy(osm.url)
    try:
        proxy.fail_shards_after = 2
        src = make_source(client_kind, proxy.url, "userale", page_size=1000)
        with pytest.raises(SourceError, match=r"1 of 2 shards failed .*node_disconnected_exception") as err:
            src.read()
        assert err.value.cause == "shard_failure"
        proxy.searches, proxy.fail_shards_after = 0, 0
        with pytest.raises(SourceError, match="shards failed"):
            aggregates.count_by(src, "type")
    finally:
        proxy.close()


def test_missing_client_library_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opensearchpy", None)
    src = ElasticsearchSource("http://127.0.0.1:9", library="opensearch")
    with pytest.raises(distill.MissingDependencyError, match=r"pip install 'distill\[opensearch\]'"):
        src.read()


# -- TLS and credentials (nginx in front) ------------------------------------------------------------------
def test_https_with_verification_and_basic_auth(nginx: Any, shop_frame: pd.DataFrame, client_kind: str) -> None:
    src = https_source(client_kind, nginx)
    same_frames(src.read(Q.type == "submit"), apply(shop_frame, Q.type == "submit"))


def test_wrong_ca_is_a_tls_error(nginx: Any, client_kind: str) -> None:
    src = https_source(client_kind, nginx, ca_certs=str(nginx.wrong_ca_path))
    with pytest.raises(SourceError, match="TLS verification failed") as err:
        src.read()
    assert err.value.cause == "tls"
    system_store = https_source(client_kind, nginx, ca_certs=None)
    with pytest.raises(SourceError) as err:
        system_store.read()
    assert err.value.cause == "tls"


def test_wrong_password_is_an_auth_error(nginx: Any, client_kind: str) -> None:
    src = https_source(client_kind, nginx, basic_auth=(es.USER, "wrong"))
    with pytest.raises(SourceError, match="refused the credentials") as err:
        src.read()
    assert err.value.cause == "auth"
    anonymous = https_source(client_kind, nginx, basic_auth=None)
    with pytest.raises(SourceError) as err:
        anonymous.read()
    assert err.value.cause == "auth"


def test_verify_certs_false_reads_without_the_ca(nginx: Any, client_kind: str) -> None:
    src = https_source(client_kind, nginx, ca_certs=None, verify_certs=False)
    assert len(src.read(Q.type == "submit")) > 0


# -- read only, provably -------------------------------------------------------------------------------------
def test_full_workflow_sends_only_read_requests(
    nginx: Any, files: dict[str, Path], shop_frame: pd.DataFrame, client_kind: str
) -> None:
    """Every HTTP request that reaches nginx during discovery, reads with several queries and
    paging modes, aggregates and a merge is a search/read request."""
    before = len(nginx.requests())
    src = https_source(client_kind, nginx, page_size=2000)
    src.indices()
    src.fields()
    src.describe()
    for q in (None, Q.type == "click", Q.target.matches(r"\d"), Q.time > shop_frame["time"].iloc[100]):
        src.read(q)
    https_source(client_kind, nginx, paging="scroll", slices=2, page_size=2000).read()
    aggregates.count_by(src, ["user", "page"], every="1min", query=Q.type != "mouseover")
    aggregates.count(src, query=Q.user == "bob")
    aggregates.time_range(src)
    aggregates.distinct(src, "session")
    distill.merge([src, files["sample_data_multiusers.json"]])
    sent = nginx.requests()[before:]
    assert len(sent) > 20
    writes = [(m, u) for m, u, _ in sent if not is_read_request(m, u)]
    assert writes == []
    methods = {m for m, _, _ in sent}
    assert methods <= {"GET", "POST", "DELETE"}
    # DELETE only ever frees a search context (point in time or scroll), never data
    assert {u.split("?")[0] for m, u, _ in sent if m == "DELETE"} <= {"/_search/point_in_time", "/_search/scroll"}
    assert all(status < 400 for _, _, status in sent)
    # the source's own request log is the same list
    mine = [(m, p) for m, p in src.requests]
    assert [(m, u) for m, u, _ in sent if (m, u) in set(mine)] != []


def test_no_write_even_when_asked() -> None:
    """The connection refuses to send anything outside the read endpoints."""
    for method, path in [
        ("PUT", "/userale"),
        ("POST", "/userale/_doc"),
        ("POST", "/_bulk"),
        ("POST", "/userale/_update/1"),
        ("POST", "/userale/_delete_by_query"),
        ("DELETE", "/userale"),
        ("PUT", "/_index_template/x"),
        ("POST", "/_aliases"),
        ("POST", "/userale/_refresh"),
    ]:
        assert not is_read_request(method, path), (method, path)
