"""The REST service in process: every route returns exactly the library's export, every error is a problem.

Responses are compared with ``distill.to_dict`` of the same library call on the
same (redacted) events; the service must add nothing of its own. Live servers
(uvicorn, HTTPS, curl, fuzzing, load) are in tests/test_service_live.py.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

import distill
from distill import export, features, graphs, paths, sessions
from distill.filters import redact
from distill.query import Q, apply
from distill.service import create_app, load_settings, openapi_document
from distill.service import models as m
from distill.service.settings import SettingsError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

KEY = "k" * 8 + "-test-key-0123456789"
OTHER = "o" * 8 + "-other-key-0123456789"
ROOT = Path(__file__).resolve().parent.parent


def _client(settings: dict | None = None, *, env: dict | None = None, monkeypatch=None) -> TestClient:
    base: dict = {"auth": {"enabled": False}}
    base.update(settings or {})
    return TestClient(create_app(load_settings(base, env=env or {}), env=env or {}), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return _client()


@pytest.fixture(scope="module")
def safe() -> pd.DataFrame:
    """The sample as the service sees it: redacted."""
    return redact(distill.datasets.load_sample())


def _ok(response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def _problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["type"] == f"urn:distill:problem:{slug}", body
    assert {"type", "title", "status"} <= set(body)
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def _valid(doc: dict, model: type = m.Document) -> dict:
    jsonschema.validate(doc, export.json_schema())
    model.model_validate(doc)
    return doc


# -- health, version, sources ---------------------------------------------------------------------
def test_health_is_open_and_says_nothing_else():
    c = _client({"auth": {"enabled": True}}, env={"DISTILL_API_KEYS": KEY})
    doc = _ok(c.get("/v1/health"))
    assert doc["kind"] == "health" and doc["data"] == {"status": "ok"}
    _valid(doc, m.ValueDocument)


def test_version(client):
    doc = _ok(client.get("/v1/version"))
    assert doc["data"]["distill"] == distill.__version__
    assert doc["data"]["export_format"] == export.FORMAT_VERSION
    assert doc["data"]["redact"] is True
    _valid(doc, m.ValueDocument)


def test_sources_list_hides_paths_and_credentials(tmp_path):
    f = tmp_path / "logs.ndjson"
    f.write_bytes(distill.datasets.sample_path().read_bytes())
    c = _client(
        {
            "sources": {
                "sample": {"kind": "sample"},
                "shop": {"paths": [str(f)], "description": "shop logs"},
                "es": {"kind": "elasticsearch", "hosts": ["https://secret-host:9200"], "index": "ix"},
            }
        }
    )
    r = c.get("/v1/sources")
    doc = _valid(_ok(r), m.TableDocument)
    assert doc["kind"] == "sources"
    assert [(x["name"], x["kind"], x["default"]) for x in doc["data"]["records"]] == [
        ("sample", "sample", True),
        ("shop", "files", False),
        ("es", "elasticsearch", False),
    ]
    assert str(tmp_path) not in r.text and "secret-host" not in r.text


def test_fields_time_range_summary(client, safe):
    fields = _valid(_ok(client.get("/v1/sources/sample/fields")), m.TableDocument)
    by_name = {f["name"]: f for f in fields["data"]["records"]}
    expected_types = {f["name"]: f["type"] for f in export.to_dict(safe, limit=0)["data"]["fields"]}
    assert {n: f["type"] for n, f in by_name.items()} == expected_types
    assert by_name["target"]["present"] == int(safe["target"].notna().sum()) == 4863 - 85
    assert by_name["event_id"]["present"] == 4863

    rng = _ok(client.get("/v1/sources/sample/time-range"))
    s = distill.summary(safe)
    assert rng["kind"] == "time_range"
    assert rng["data"] == {
        "start": export.plain(s.start),
        "end": export.plain(s.end),
        "span_seconds": s.span.total_seconds(),
        "events": 4863,
    }
    doc = _ok(client.get("/v1/sources/sample/summary"))
    assert doc == distill.to_dict(s, meta={"source": "sample"})
    _valid(doc, m.SummaryDocument)
    _problem(client.get("/v1/sources/nope/summary"), 404, "not-found")


# -- events ---------------------------------------------------------------------------------------
def _events_expected(safe, q, offset, limit, source="sample"):
    found = apply(safe, q)
    meta = {"source": source, "query": q.to_dict(), "offset": offset, "limit": limit, "total": len(found)}
    return distill.to_dict(found.iloc[offset : offset + limit], meta=meta)


def test_events_get_and_post_equal_the_library(client, safe):
    q = (Q.user == "bob") & Q.type.isin(["click", "change"])
    got = _ok(client.get("/v1/events", params={"query": q.to_json(), "offset": 5, "limit": 7}))
    assert got == _events_expected(safe, q, 5, 7)
    assert got["meta"]["total"] == int(q.mask(safe).sum()) and len(got["data"]["records"]) == 7
    posted = _ok(client.post("/v1/events", json={"query": q.to_dict(), "offset": 5, "limit": 7}))
    assert posted == got
    _valid(got, m.EventsDocument)


def test_events_default_page_and_paging_cover_everything(safe):
    c = _client({"limits": {"default_page": 1000, "max_page": 2000}})
    first = _ok(c.get("/v1/events"))
    assert first["meta"]["limit"] == 1000 and first["meta"]["total"] == 4863
    ids = []
    for offset in range(0, 4863, 2000):
        ids += [
            r["event_id"] for r in _ok(c.get("/v1/events", params={"offset": offset, "limit": 2000}))["data"]["records"]
        ]
    assert ids == safe["event_id"].tolist()
    tail = _ok(c.get("/v1/events", params={"offset": 10**6, "limit": 10}))
    assert tail["data"]["records"] == [] and tail["meta"]["total"] == 4863


# -- sessions -------------------------------------------------------------------------------------
def test_session_table_equals_the_library(client, safe):
    got = _ok(client.get("/v1/sessions", params={"limit": 5, "offset": 2, "idle": "10s"}))
    table = sessions.session_table(safe, idle="10s")
    meta = {"source": "sample", "query": {"all": True}, "offset": 2, "limit": 5, "total": 21}
    assert got == distill.to_dict(table.iloc[2:7], meta=meta)
    _valid(got, m.TableDocument)


def test_recut_sessions_then_query(client, safe):
    q = Q.user == "alice"
    body = {"by": ["logged", "gap"], "gap": "20s", "query": q.to_dict(), "limit": 100}
    got = _ok(client.post("/v1/sessions", json=body))
    cut = apply(sessions.sessionize(safe, ["logged", "gap"], gap="20s"), q)
    table = sessions.session_table(cut)
    meta = {"source": "sample", "query": q.to_dict(), "offset": 0, "limit": 100, "total": len(table)}
    assert got == distill.to_dict(table.iloc[0:100], meta=meta)
    assert {r["user"] for r in got["data"]["records"]} == {"alice"}


def test_one_session(client, safe):
    sid = "session_1796412510818"
    got = _ok(client.get(f"/v1/sessions/{sid}", params={"limit": 50}))
    found = sessions.session_events(safe, sid)
    meta = {"source": "sample", "session": sid, "offset": 0, "limit": 50, "total": len(found)}
    assert got == distill.to_dict(found.iloc[0:50], meta=meta)
    body = _problem(client.get("/v1/sessions/no-such-session"), 404, "not-found")
    assert "no-such-session" in body["detail"]


# -- graph ----------------------------------------------------------------------------------------
def test_graph_equals_the_library(client, safe):
    params = {"by": "page", "min_count": 2, "top": 5, "drop_self_loops": True}
    got = _ok(client.get("/v1/graph", params=params))
    g = graphs.click_graph(safe, "page", min_count=2, top=5, start_end=False, drop_self_loops=True)
    assert got == distill.to_dict(g, meta={"source": "sample", "query": {"all": True}})
    _valid(got, m.GraphDocument)
    assert got["data"]["edges"] and all(0 < e["probability"] <= 1 for e in got["data"]["edges"])
    assert _ok(client.post("/v1/graph", json=params)) == got


def test_graph_depth_query_metrics_and_matrix(client, safe):
    q = Q.log_type == "raw"
    got = _ok(client.post("/v1/graph", json={"by": "path", "depth": 4, "query": q.to_dict(), "start_end": True}))
    g = graphs.click_graph(apply(safe, q), "path", depth=4, min_count=1, start_end=True, drop_self_loops=False)
    assert got == distill.to_dict(g, meta={"source": "sample", "query": q.to_dict()})

    metrics = _ok(client.get("/v1/graph/metrics", params={"by": "type", "limit": 3, "offset": 1}))
    table = graphs.graph_metrics(graphs.click_graph(safe, "type"))
    meta = {"source": "sample", "query": {"all": True}, "offset": 1, "limit": 3, "total": len(table)}
    assert metrics == distill.to_dict(table.iloc[1:4], meta=meta)

    for probabilities in (True, False):
        got_m = _ok(client.get("/v1/graph/matrix", params={"by": "page", "probabilities": probabilities}))
        mat = graphs.transition_matrix(graphs.click_graph(safe, "page"), normalize=probabilities)
        assert got_m == distill.to_dict(mat, meta={"source": "sample", "query": {"all": True}})
        _valid(got_m, m.TableDocument)


# -- features -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "params", "call"),
    [
        ("counts", {"every": "30s"}, lambda ev: features.counts(ev, "30s", by="user", column="type", fill=False)),
        ("within-users", {}, lambda ev: features.within_users(ev, by="user", every="1min", column="type")),
        (
            "between-users",
            {"agg": "max"},
            lambda ev: features.between_users(ev, by="user", agg="max", every="1min", column="type"),
        ),
        (
            "interaction-probability",
            {"by": "page", "per": "session"},
            lambda ev: features.interaction_probability(ev, "page", per="session"),
        ),
        ("sessions", {"idle": "5s"}, lambda ev: features.session_features(ev, idle="5s")),
        ("graph", {"per": "user", "by": "type"}, lambda ev: graphs.graph_features(ev, "user", "type")),
    ],
)
def test_features_equal_the_library(client, safe, path, params, call):
    got = _ok(client.get(f"/v1/features/{path}", params={**params, "limit": 10, "offset": 1}))
    table = call(safe)
    meta = {"source": "sample", "query": {"all": True}, "offset": 1, "limit": 10, "total": len(table)}
    assert got == distill.to_dict(table.iloc[1:11], meta=meta)
    _valid(got, m.TableDocument)
    assert _ok(client.post(f"/v1/features/{path}", json={**params, "limit": 10, "offset": 1})) == got


# -- funnels and paths ----------------------------------------------------------------------------
def test_funnel_equals_the_library(client, safe):
    steps = ["load", ["click", "dblclick"], {"field": "type", "op": "eq", "value": "submit"}]
    got = _ok(client.post("/v1/funnels", json={"steps": steps, "by": "type", "within": "10min"}))
    f = paths.funnel(safe, ["load", ["click", "dblclick"], Q.type == "submit"], by="type", within="10min")
    assert got == distill.to_dict(f, meta={"source": "sample", "query": {"all": True}})
    assert got["kind"] == "funnel"
    _valid(got, m.ValueDocument)


def test_paths_equal_the_library(client, safe):
    got = _ok(client.get("/v1/paths/top", params={"by": "page", "length": 2, "n": 5, "collapse": True}))
    top = paths.top_paths(safe, 5, 2, by="page", collapse=True)
    meta = {"source": "sample", "query": {"all": True}, "offset": 0, "limit": 100, "total": len(top)}
    assert got == distill.to_dict(top.iloc[0:100], meta=meta)

    got = _ok(client.post("/v1/paths/before-after", json={"node": "input#password", "steps": 2}))
    ba = paths.before_after(safe, "input#password", steps=2, by="target", collapse=False)
    assert got == distill.to_dict(ba, meta={"source": "sample", "query": {"all": True}})

    start = {"field": "type", "op": "eq", "value": "load"}
    got = _ok(client.post("/v1/paths/flows", json={"start": start, "depth": 3, "top": 4, "by": "page"}))
    fl = paths.flows(safe, Q.type == "load", 3, 4, by="page", collapse=True)
    assert got == distill.to_dict(fl, meta={"source": "sample", "query": {"all": True}})
    _valid(got, m.TableDocument)


# -- redaction ------------------------------------------------------------------------------------
def test_typed_values_are_redacted_in_every_response(client):
    assert "hunter2" in distill.to_json(distill.datasets.load_sample())  # the sample does hold a password
    probes = [
        client.get("/v1/events", params={"limit": 10000}),
        client.get("/v1/events", params={"query": Q.details.contains("hunter").to_json()}),
        client.get("/v1/sessions", params={"limit": 100}),
        client.get("/v1/graph", params={"by": "details"}),
        client.get("/v1/graph", params={"by": "page_url"}),
        client.get("/v1/features/interaction-probability", params={"by": "details", "limit": 10000}),
        client.get("/v1/paths/top", params={"by": "details", "n": 1000, "limit": 1000}),
        client.get("/v1/sources/sample/summary"),
    ]
    for r in probes:
        assert r.status_code == 200, r.text
        assert "hunter2" not in r.text
    # a query cannot probe masked values either: nothing matches the password
    assert _ok(probes[1])["meta"]["total"] == 0


def test_redaction_can_be_turned_off():
    c = _client({"redact": False})
    r = c.get("/v1/events", params={"query": Q.details.contains("hunter2").to_json()})
    assert _ok(r)["meta"]["total"] > 0 and "hunter2" in r.text
    assert _ok(c.get("/v1/version"))["data"]["redact"] is False


# -- authentication -------------------------------------------------------------------------------
def test_api_keys(tmp_path):
    keyfile = tmp_path / "keys"
    keyfile.write_text(f"# service keys\n{OTHER}  # the dashboard\n\n")
    c = _client({"auth": {"enabled": True, "keys_file": str(keyfile)}}, env={"DISTILL_API_KEYS": KEY})
    body = _problem(c.get("/v1/sources"), 401, "unauthorized")
    assert "no API key" in body["detail"]
    r = c.get("/v1/sources", headers={"X-API-Key": "wrong-" + KEY})
    _problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert KEY not in r.text and OTHER not in r.text
    _ok(c.get("/v1/sources", headers={"X-API-Key": KEY}))
    _ok(c.get("/v1/sources", headers={"X-API-Key": OTHER}))
    _ok(c.get("/v1/graph", headers={"Authorization": f"Bearer {KEY}"}))
    _problem(c.get("/v1/graph", headers={"Authorization": f"Bearer {KEY[:-1]}"}), 401, "unauthorized")
    # every route but health needs the key, the OpenAPI document included
    _problem(c.get("/v1/openapi.json"), 401, "unauthorized")
    _problem(c.post("/v1/events", json={}), 401, "unauthorized")
    _ok(c.get("/v1/health"))


def test_keys_compared_in_constant_time(monkeypatch):
    c = _client({"auth": {"enabled": True}}, env={"DISTILL_API_KEYS": f"{KEY},{OTHER}"})
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    for presented in (KEY, OTHER, "x", "y" * 500):
        calls.clear()
        c.get("/v1/version", headers={"X-API-Key": presented})
        # every configured key is compared, as fixed-length digests, whether or not one matches
        assert calls == [(32, 32), (32, 32)]


def test_keys_are_required_and_long():
    with pytest.raises(SettingsError, match="no API key"):
        create_app({}, env={})
    with pytest.raises(SettingsError, match="shorter than 16"):
        create_app({}, env={"DISTILL_API_KEYS": "short"})
    with pytest.raises(SettingsError, match="loopback"):
        create_app({"auth": {"enabled": False}, "server": {"host": "0.0.0.0"}}, env={})
    with pytest.raises(SettingsError, match="keys_file"):
        create_app({"auth": {"keys_file": "/no/such/file"}}, env={})


def test_public_docs():
    c = _client({"auth": {"enabled": True}, "public_docs": True}, env={"DISTILL_API_KEYS": KEY})
    assert _ok(c.get("/v1/openapi.json"))["info"]["title"] == "Distill"
    assert "swagger" in c.get("/v1/docs").text.lower()
    closed = _client({"auth": {"enabled": True}}, env={"DISTILL_API_KEYS": KEY})
    _problem(closed.get("/v1/docs", headers={"X-API-Key": KEY}), 404, "not-found")


# -- bad input --------------------------------------------------------------------------------------
def test_malformed_and_unknown_input(client):
    _problem(client.get("/v1/events", params={"query": "{not json"}), 400, "invalid-query")
    _problem(
        client.post("/v1/events", content=b'{"query": {', headers={"content-type": "application/json"}),
        400,
        "invalid-json",
    )
    body = _problem(
        client.post("/v1/events", json={"query": {"field": "type", "op": "like", "value": "x"}}), 400, "invalid-query"
    )
    assert "like" in body["detail"]
    body = _problem(
        client.post("/v1/events", json={"query": {"field": "nope", "op": "eq", "value": 1}}), 400, "invalid-query"
    )
    assert "nope" in body["detail"]
    body = _problem(client.post("/v1/events", json={"limt": 3}), 422, "invalid-request")
    assert body["errors"][0]["loc"] == ["body", "limt"]
    _problem(client.get("/v1/graph", params={"min_cont": 3}), 422, "invalid-request")
    _problem(client.get("/v1/graph", params={"min_count": 0}), 422, "invalid-request")
    _problem(client.get("/v1/events", params={"offset": -1}), 422, "invalid-request")
    _problem(client.get("/v1/events", params={"limit": "many"}), 422, "invalid-request")
    _problem(client.post("/v1/events", json=[1, 2]), 422, "invalid-request")
    body = _problem(client.get("/v1/events", params={"limit": 10**6}), 422, "page-too-large")
    assert body["max_page"] == 10_000
    _problem(client.get("/v1/events", params={"limit": 10**30}), 422, "invalid-request")
    _problem(client.get("/v1/events", params={"source": "nope"}), 404, "not-found")
    body = _problem(client.get("/v1/graph", params={"by": "no_such_column"}), 422, "invalid-parameter")
    assert "no_such_column" in body["detail"]
    _problem(client.get("/v1/features/counts", params={"every": "soon"}), 422, "invalid-parameter")
    _problem(client.get("/v1/nowhere"), 404, "not-found")
    _problem(client.delete("/v1/events"), 405, "method-not-allowed")
    deep = '{"not": ' * 5000 + '{"field": "type", "op": "eq", "value": "click"}' + "}" * 5000
    r = client.post("/v1/events", content='{"query": ' + deep + "}", headers={"content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    # and it keeps serving
    _ok(client.get("/v1/events", params={"limit": 1}))


def test_request_and_url_size_limits():
    c = _client({"limits": {"max_request_bytes": 2000, "max_url_bytes": 600}})
    big = {"query": {"field": "type", "op": "in", "value": ["x" * 50] * 100}}
    _problem(c.post("/v1/events", json=big), 413, "request-too-large")

    def chunks():
        for _ in range(100):
            yield b" " * 100

    _problem(
        c.post("/v1/events", content=chunks(), headers={"content-type": "application/json"}), 413, "request-too-large"
    )
    _problem(c.get("/v1/events", params={"query": "x" * 700}), 414, "uri-too-long")
    small_chunks = iter([b'{"limit"', b": 2}"])
    assert (
        _ok(c.post("/v1/events", content=small_chunks, headers={"content-type": "application/json"}))["meta"]["limit"]
        == 2
    )


def test_result_size_limit():
    c = _client({"limits": {"max_response_bytes": 5000}})
    body = _problem(c.get("/v1/graph"), 422, "result-too-large")
    assert "min_count" in body["detail"]
    assert _ok(c.get("/v1/graph", params={"by": "page", "min_count": 5}))["kind"] == "graph"


def test_time_limit_and_overload(monkeypatch):
    c = _client({"limits": {"timeout": 0.3, "concurrency": 1}})
    rt = c.app.state.distill
    real = rt.catalog.events
    slow = threading.Event()

    def slow_events(name=None, **kw):
        if slow.is_set():
            time.sleep(1.0)
        return real(name, **kw)

    monkeypatch.setattr(rt.catalog, "events", slow_events)
    slow.set()
    t0 = time.monotonic()
    _problem(c.get("/v1/graph"), 504, "timeout")
    assert time.monotonic() - t0 < 0.9  # answered at the limit, not when the work ended
    # the abandoned computation still holds the only worker: the next request waits, then is refused
    body = _problem(c.get("/v1/graph"), 503, "overloaded")
    assert "busy" in body["detail"]
    slow.clear()
    time.sleep(1.2)
    _ok(c.get("/v1/graph", params={"by": "page"}))
    _ok(c.get("/v1/health"))


def r_text(c: TestClient, source: str) -> str:
    return c.get("/v1/events", params={"source": source}).text


def test_source_file_that_disappears(tmp_path, safe):
    f = tmp_path / "shop.ndjson.gz"
    f.write_bytes(distill.datasets.sample_path().read_bytes())
    c = _client({"sources": {"shop": {"paths": [str(tmp_path / "*.ndjson.gz")]}, "sample": {}}})
    assert _ok(c.get("/v1/sources/shop/summary"))["data"]["events"] == 4863
    f.unlink()
    body = _problem(c.get("/v1/graph", params={"source": "shop"}), 503, "source-unavailable")
    assert body["detail"] == "source 'shop' is unavailable: *.ndjson.gz: no files match this pattern"
    assert str(tmp_path) not in r_text(c, "shop")
    _ok(c.get("/v1/health"))
    assert _ok(c.get("/v1/sources/sample/summary"))["data"]["events"] == 4863
    f.write_bytes(distill.datasets.sample_path().read_bytes())
    assert _ok(c.get("/v1/sources/shop/summary"))["data"]["events"] == 4863


def test_file_source_reloads_on_change_and_cache_is_bounded(tmp_path):
    sample = distill.datasets.sample_path()
    f = tmp_path / "a.ndjson"
    import gzip

    lines = gzip.decompress(sample.read_bytes()).splitlines(keepends=True)
    f.write_bytes(b"".join(lines[:100]))
    c = _client({"sources": {"a": {"paths": [str(f)]}, "sample": {}}, "cache": {"frames": 1}})
    assert _ok(c.get("/v1/sources/a/summary"))["data"]["events"] == 100
    f.write_bytes(b"".join(lines[:250]))
    assert _ok(c.get("/v1/sources/a/summary"))["data"]["events"] == 250
    _ok(c.get("/v1/sources/sample/summary"))
    cached = {r["name"]: r["cached"] for r in _ok(c.get("/v1/sources"))["data"]["records"]}
    assert cached == {"a": False, "sample": True}


def test_unexpected_errors_are_problems_without_internals(monkeypatch):
    c = _client()
    rt = c.app.state.distill

    def broken(*a, **k):
        raise RuntimeError("secret internal state /etc/distill/key.pem")

    monkeypatch.setattr(rt.catalog, "events", broken)
    r = c.get("/v1/graph")
    body = _problem(r, 500, "internal")
    assert "secret" not in r.text and "key.pem" not in r.text and len(body["error_id"]) == 12


# -- headers, CORS ----------------------------------------------------------------------------------
def test_security_headers_and_cors_off_by_default(client):
    r = client.get("/v1/version", headers={"Origin": "https://evil.example"})
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in r.headers
    pre = client.options("/v1/events", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers


def test_cors_when_configured():
    c = _client({"cors": {"origins": ["https://dash.example"]}})
    r = c.get("/v1/version", headers={"Origin": "https://dash.example"})
    assert r.headers["access-control-allow-origin"] == "https://dash.example"
    other = c.get("/v1/version", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    pre = c.options(
        "/v1/events",
        headers={
            "Origin": "https://dash.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key,content-type",
        },
    )
    assert pre.status_code == 200 and "x-api-key" in pre.headers["access-control-allow-headers"].lower()


# -- OpenAPI ----------------------------------------------------------------------------------------
def test_committed_openapi_document_is_current():
    committed = json.loads((ROOT / "docs" / "api" / "openapi.json").read_text(encoding="utf-8"))
    current = openapi_document(plugins=False)
    assert committed == current, (
        "docs/api/openapi.json is stale; regenerate it with `python -m distill.service.openapi docs/api/openapi.json`"
    )


def test_openapi_describes_every_route_and_security(client):
    doc = openapi_document()
    paths_ = set(doc["paths"])
    for p in (
        "/v1/health",
        "/v1/version",
        "/v1/sources",
        "/v1/events",
        "/v1/sessions",
        "/v1/sessions/{session_id}",
        "/v1/graph",
        "/v1/graph/metrics",
        "/v1/graph/matrix",
        "/v1/features/counts",
        "/v1/funnels",
        "/v1/paths/top",
        "/v1/paths/before-after",
        "/v1/paths/flows",
    ):
        assert p in paths_, p
    assert set(doc["components"]["securitySchemes"]) == {"ApiKey", "Bearer"}
    assert "security" not in doc["paths"]["/v1/health"]["get"]
    assert doc["paths"]["/v1/events"]["post"]["security"]
    # the envelope model requires what the export JSON Schema requires
    for name in ("EventsDocument", "TableDocument", "GraphDocument", "SummaryDocument", "ValueDocument"):
        envelope = doc["components"]["schemas"][name]
        assert set(envelope["required"]) == set(export.json_schema()["required"]), name
        assert envelope["additionalProperties"] is False


def test_the_service_guide_lists_every_route():
    guide = (ROOT / "docs" / "guide" / "service.md").read_text(encoding="utf-8")
    for path in openapi_document()["paths"]:
        assert f"`{path}`" in guide, f"docs/guide/service.md does not list {path}"
