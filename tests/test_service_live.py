"""The REST service for real: ``distill serve`` under uvicorn on 127.0.0.1, HTTPS with a CA made here.

Called with httpx and with curl; every answer equals the library's ``to_dict`` for the same
request. Also: authentication, plain HTTP refused, schemathesis fuzzing from the service's own
OpenAPI document, an Elasticsearch source that stalls or disappears mid-read, and a short
version of the load test (benchmarks/service_load.py).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("trustme")
httpx = pytest.importorskip("httpx")

import distill  # noqa: E402
from distill import graphs, sessions  # noqa: E402
from distill.filters import redact  # noqa: E402
from distill.query import Q, apply  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.service, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("service_load", ROOT / "benchmarks" / "service_load.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["service_load"] = module
    spec.loader.exec_module(module)
    return module


bench = _load_benchmark()


@pytest.fixture(scope="module")
def shop_files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shop")
    (folder / "shop.ndjson.gz").write_bytes(distill.datasets.sample_path().read_bytes())
    return folder


@pytest.fixture(scope="module")
def live(shop_files):
    settings = {
        "sources": {"sample": {"kind": "sample"}, "shop": {"paths": [str(shop_files / "*.ndjson.gz")]}},
        "limits": {"timeout": 30},
    }
    with bench.LiveServer(settings) as server:
        yield server


@pytest.fixture(scope="module")
def safe():
    return redact(distill.datasets.load_sample())


def _curl(*args: str) -> tuple[int, str]:
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "60", "-w", "\n%{http_code}", *args], capture_output=True, text=True, timeout=90
    )
    assert out.returncode == 0, out.stderr
    body, _, code = out.stdout.rpartition("\n")
    return int(code), body


needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


# -- results equal the library ---------------------------------------------------------------------
def test_https_results_equal_the_library(live, safe, shop_files):
    with live.client() as c:
        assert str(c.get("/v1/health").url).startswith("https://127.0.0.1:")
        g = c.get("/v1/graph", params={"by": "page", "min_count": 2}).json()
        expected = graphs.click_graph(safe, "page", min_count=2, start_end=False, drop_self_loops=False)
        assert g == distill.to_dict(expected, meta={"source": "sample", "query": {"all": True}})

        q = (Q.type == "click") & (Q.user == "carol")
        ev = c.post("/v1/events", json={"query": q.to_dict(), "limit": 20, "offset": 3}).json()
        found = apply(safe, q)
        meta = {"source": "sample", "query": q.to_dict(), "offset": 3, "limit": 20, "total": len(found)}
        assert ev == distill.to_dict(found.iloc[3:23], meta=meta)

        table = c.get("/v1/sessions", params={"source": "shop", "limit": 25}).json()
        shop = redact(distill.read(str(shop_files / "*.ndjson.gz")))
        st = sessions.session_table(shop)
        meta = {"source": "shop", "query": {"all": True}, "offset": 0, "limit": 25, "total": len(st)}
        assert table == distill.to_dict(st.iloc[0:25], meta=meta)
        assert r"hunter2" not in json.dumps(table)


@needs_curl
def test_curl_results_equal_the_library(live, safe):
    base = ["--cacert", live.ca_path, "-H", f"X-API-Key: {live.key}"]
    code, body = _curl(*base, f"{live.url}/v1/sources/sample/summary")
    assert code == 200
    assert json.loads(body) == distill.to_dict(distill.summary(safe), meta={"source": "sample"})

    q = {"field": "type", "op": "eq", "value": "submit"}
    code, body = _curl(
        *base,
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps({"query": q, "limit": 50}),
        f"{live.url}/v1/events",
    )
    assert code == 200
    found = apply(safe, q)
    meta = {"source": "sample", "query": q, "offset": 0, "limit": 50, "total": len(found)}
    assert json.loads(body) == distill.to_dict(found.iloc[0:50], meta=meta)

    code, body = _curl(*base, "-G", "--data-urlencode", "by=type", "--data-urlencode", "top=5", f"{live.url}/v1/graph")
    assert code == 200
    expected = graphs.click_graph(safe, "type", top=5, min_count=1, start_end=False, drop_self_loops=False)
    assert json.loads(body) == distill.to_dict(expected, meta={"source": "sample", "query": {"all": True}})


# -- authentication and transport -----------------------------------------------------------------
def test_auth_no_key_wrong_key_right_key(live):
    with httpx.Client(base_url=live.url, verify=live.ca_path) as c:
        for headers in ({}, {"X-API-Key": "not-the-key-" + live.key[:8]}, {"Authorization": "Bearer nope"}):
            r = c.get("/v1/graph", headers=headers)
            assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
            assert live.key not in r.text
        assert c.get("/v1/health").status_code == 200
        assert c.get("/v1/graph", headers={"X-API-Key": live.key}).status_code == 200
        assert c.get("/v1/graph", headers={"Authorization": f"Bearer {live.key}"}).status_code == 200
        r = c.get("/v1/version", headers=live.headers)
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert "server" not in r.headers


@needs_curl
def test_auth_with_curl(live):
    code, body = _curl("--cacert", live.ca_path, f"{live.url}/v1/events")
    assert code == 401 and json.loads(body)["type"] == "urn:distill:problem:unauthorized"
    code, _ = _curl("--cacert", live.ca_path, "-H", "X-API-Key: wrong-key-wrong-key", f"{live.url}/v1/events")
    assert code == 401
    code, _ = _curl("--cacert", live.ca_path, "-H", f"X-API-Key: {live.key}", f"{live.url}/v1/events?limit=1")
    assert code == 200


def test_plain_http_is_refused_when_https_is_configured(live):
    plain = live.url.replace("https://", "http://")
    with pytest.raises(httpx.HTTPError):
        httpx.get(plain + "/v1/health", headers=live.headers, timeout=5)
    if shutil.which("curl"):
        out = subprocess.run(["curl", "-sS", "--max-time", "5", plain + "/v1/health"], capture_output=True, timeout=30)
        assert out.returncode != 0
    # the wrong handshake left the server well
    with live.client() as c:
        assert c.get("/v1/health").json()["data"] == {"status": "ok"}


def test_serve_refuses_insecure_settings(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DISTILL_API_KEYS": "k" * 32}

    def serve(*args: str, env=env) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "distill.cli", "serve", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            cwd=str(tmp_path),
        )

    for args, words in (
        (("--http", "--host", "0.0.0.0"), "loopback"),
        (("--port", "9"), "certfile"),
        (("--certfile", str(tmp_path / "none.pem"), "--keyfile", str(tmp_path / "none.pem")), "readable"),
    ):
        out = serve(*args)
        assert out.returncode == 1, out
        assert words in out.stderr and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    out = serve("--http", "--port", str(bench.free_port()), env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 1 and "no API key" in out.stderr and out.stderr.count("\n") == 1


def test_plain_http_on_loopback_when_asked_for():
    with bench.LiveServer(https=False) as server, server.client() as c:
        assert server.url.startswith("http://127.0.0.1:")
        assert c.get("/v1/sources").json()["kind"] == "sources"
        assert "strict-transport-security" not in c.get("/v1/version").headers


# -- bad input at the HTTP level --------------------------------------------------------------------
def test_bad_requests_get_problems_and_the_server_keeps_serving(live):
    with live.client() as c:
        r = c.post("/v1/events", content=b"{nope", headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["type"] == "urn:distill:problem:invalid-json"
        r = c.get("/v1/events", params={"query": "y" * 20000})
        assert r.status_code == 414 and r.headers["content-type"] == "application/problem+json"
        r = c.post("/v1/events", content=b" " * 2_000_000, headers={"content-type": "application/json"})
        assert r.status_code == 413
        r = c.get("/v1/events", params={"limit": 10**7})
        assert r.status_code == 422 and r.json()["type"] == "urn:distill:problem:page-too-large"
        assert c.get("/v1/events", params={"limit": 1}).status_code == 200


def test_source_file_disappears_under_a_running_server(live, shop_files):
    with live.client() as c:
        assert c.get("/v1/sources/shop/summary").status_code == 200
        path = shop_files / "shop.ndjson.gz"
        data = path.read_bytes()
        path.unlink()
        try:
            r = c.get("/v1/graph", params={"source": "shop"})
            assert r.status_code == 503 and r.json()["type"] == "urn:distill:problem:source-unavailable"
            assert "Traceback" not in r.text
            assert c.get("/v1/graph", params={"source": "sample"}).status_code == 200
        finally:
            path.write_bytes(data)
        assert c.get("/v1/sources/shop/summary").json()["data"]["events"] == 4863


# -- fuzzing --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_schemathesis_fuzz_finds_no_server_error_and_no_stack_trace(live, tmp_path):
    pytest.importorskip("schemathesis")
    report = tmp_path / "report"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{live.url}/v1/openapi.json",
            "-H",
            f"X-API-Key: {live.key}",
            "--tls-verify",
            live.ca_path,
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            "25",
            "--seed",
            "6",
            "--workers",
            "1",
            "--report",
            "har",
            "--report-dir",
            str(report),
            "--output-truncate",
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=1500,
    )
    tail = out.stdout[-6000:]
    assert out.returncode == 0, tail
    har = json.loads(next(report.glob("*.json")).read_text())
    entries = har["log"]["entries"]
    assert len(entries) > 1000
    statuses = {e["response"]["status"] for e in entries}
    assert 200 in statuses and not any(s >= 500 for s in statuses), statuses
    for e in entries:
        text = e["response"]["content"].get("text") or ""
        assert "Traceback" not in text and 'File "/' not in text, text[:500]
    with live.client() as c:
        assert c.get("/v1/health").status_code == 200


# -- load -------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_short_load_has_no_errors(live, output_dir):
    report = bench.run_load(live.url, live.key, verify=live.ca_path, clients=32, duration=8)
    (output_dir / "service_load_short.json").write_text(json.dumps(report, indent=2))
    assert report["errors"] == 0, report
    assert report["requests"] > 32 and set(report["by_kind"]) == {"graph", "sessions", "events"}


# -- Elasticsearch that stalls or goes away ----------------------------------------------------------
@pytest.mark.elasticsearch
def test_elasticsearch_source_that_goes_away_mid_read():
    pytest.importorskip("osmem_server")
    pytest.importorskip("opensearchpy")
    sys.path.insert(0, str(Path(__file__).parent))
    import es_support as es
    from fastapi.testclient import TestClient

    from distill.service import create_app
    from distill.sources.elasticsearch import ElasticsearchSource

    server = es.server()
    proxy = es.FaultProxy(server.url)
    try:
        settings = {
            "auth": {"enabled": False},
            "cache": {"frames": 0},
            "sources": {
                "sample": {"kind": "sample"},
                "es": {
                    "kind": "opensearch",
                    "hosts": [proxy.url],
                    "index": "shopdemo-4863.ndjson",
                    "options": {"page_size": 500, "request_timeout": 2},
                },
            },
        }
        c = TestClient(create_app(settings, env={}), raise_server_exceptions=False)
        got = c.get("/v1/graph", params={"source": "es", "by": "page"})
        assert got.status_code == 200, got.text
        direct = ElasticsearchSource(server.url, "shopdemo-4863.ndjson", library="opensearch").read()
        expected = graphs.click_graph(redact(direct), "page", min_count=1, start_end=False, drop_self_loops=False)
        assert got.json() == distill.to_dict(expected, meta={"source": "es", "query": {"all": True}})

        # the server stops answering after three pages of the read: a clear 503, the service goes on
        proxy.searches = 0
        proxy.stall_after, proxy.stall_seconds = 3, 6
        t0 = time.monotonic()
        r = c.get("/v1/graph", params={"source": "es"})
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["type"] == "urn:distill:problem:source-unavailable" and "es" in body["detail"]
        assert proxy.searches > 3 and time.monotonic() - t0 < 30
        assert c.get("/v1/health").status_code == 200
        assert c.get("/v1/graph", params={"source": "sample"}).status_code == 200

        # the server vanishes in the middle of a read: every connection cut, no new ones accepted
        cutter = _CuttingProxy(server.url)
        c2 = TestClient(
            create_app(
                {
                    **settings,
                    "sources": {**settings["sources"], "es": {**settings["sources"]["es"], "hosts": [cutter.url]}},
                },
                env={},
            ),
            raise_server_exceptions=False,
        )
        assert c2.get("/v1/sources/es/summary").json()["data"]["events"] == 4863
        full, cutter.downstream_bytes = cutter.downstream_bytes, 0
        result: dict = {}
        worker = threading.Thread(target=lambda: result.update(r=c2.get("/v1/sessions", params={"source": "es"})))
        worker.start()
        deadline = time.monotonic() + 30
        while cutter.downstream_bytes < 300_000 and time.monotonic() < deadline and worker.is_alive():
            time.sleep(0.005)
        sent = cutter.downstream_bytes
        cutter.cut()
        worker.join(60)
        r = result["r"]
        assert sent > 0 and cutter.downstream_bytes < full, "the read was not cut in the middle"
        assert r.status_code == 503 and r.json()["type"] == "urn:distill:problem:source-unavailable", r.text[:300]
        assert "Traceback" not in r.text
        assert c2.get("/v1/health").status_code == 200
        assert c2.get("/v1/sessions", params={"source": "sample"}).status_code == 200
        r = c2.get("/v1/sources/es/summary")
        assert r.status_code == 503 and "unavailable" in r.json()["detail"]
    finally:
        proxy.close()


class _CuttingProxy:
    """A TCP relay to ``upstream`` (slowed a little) whose :meth:`cut` drops every connection at once."""

    def __init__(self, upstream: str):
        import socket
        from urllib.parse import urlsplit

        parts = urlsplit(upstream)
        self.target = (parts.hostname, parts.port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.sockets: list = []
        self.downstream_bytes = 0
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket

        while self.open:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, src, dst, down: bool) -> None:
        try:
            while chunk := src.recv(16384):
                if down:
                    self.downstream_bytes += len(chunk)
                    time.sleep(0.002)
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.close()

    def cut(self) -> None:
        import socket

        self.open = False
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in the other thread
        self.listener.close()
        for sock in list(self.sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
