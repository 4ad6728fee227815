"""Real parts for the Elasticsearch/OpenSearch tests: a seeded osmem-server, nginx with TLS, faults.

- :func:`server` starts one in-memory OpenSearch-compatible server (``osmem-server``) per test
  session and seeds it with real UserALE logs (:data:`INDICES`), each index named after the
  file the logs come from and each document's ``_id`` the event id the file reader gives that
  record, so a file read and an index read of the same logs give identical frames.
- :class:`OsmemNode` lets the official ``elasticsearch`` client talk to it: it sends
  ``application/json`` instead of the compatibility media type, presents the server as
  Elasticsearch 8 and maps Elasticsearch's ``_pit`` API to OpenSearch's point in time. It lives
  here, in the tests, and never in the library.
- :class:`Nginx` puts Debian's nginx in front of the server with a ``trustme`` CA, HTTPS and
  basic auth, and logs every request it forwards (the read-only proof reads that log).
- :class:`FaultProxy` forwards plain HTTP to the server and can stall or inject shard failures.
- :func:`seed_events` / :func:`start_seeded` seed many events quickly (for benchmarks).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import gzip
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import distill

DATA = Path(__file__).parent / "data"
TEMPLATE = DATA / "es-index-template-userale.json"
NGINX = os.environ.get("DISTILL_NGINX", "/usr/sbin/nginx")
USER, PASSWORD = "analyst", "s3cret-read-only"

#: index name -> (file, id style): ids are the file reader's event ids ("label:line" for
#: NDJSON, "label#record" for JSON arrays), so frames read either way are identical.
INDICES = {
    "shopdemo-4863.ndjson": "userale",  # Flagon template: strings as keywords
    "sample_data_multiusers.json": "dynamic",  # default dynamic mapping: text + .keyword
    "sample_data_without_type.json": "dynamic",
    "monorepo-current-format-75.json": "dynamic",
}
ALIAS = "userale"  # alias of the ShopDemo index, as the Flagon ELK stack names it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- records ----------------------------------------------------------------------------------
def sample_records() -> list[tuple[str, dict[str, Any]]]:
    """The bundled ShopDemo logs as (event id, record), ids as a read of ``shopdemo-4863.ndjson`` gives."""
    lines = gzip.decompress(distill.datasets.sample_path().read_bytes()).decode().splitlines()
    return [(f"shopdemo-4863.ndjson:{i}", json.loads(line)) for i, line in enumerate(lines, start=1) if line.strip()]


def fixture_records(name: str) -> list[tuple[str, dict[str, Any]]]:
    """A JSON-array fixture of tests/data as (event id, record)."""
    items = json.loads((DATA / name).read_text())
    return [(f"{name}#{k}", rec) for k, rec in enumerate(items, start=1)]


def records_of(index: str) -> list[tuple[str, dict[str, Any]]]:
    return sample_records() if index.startswith("shopdemo") else fixture_records(index)


def write_files(folder: Path) -> dict[str, Path]:
    """The seeded logs as files named like their indices (the file side of equivalence tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for index in INDICES:
        path = folder / index
        if index.startswith("shopdemo"):
            path.write_bytes(gzip.decompress(distill.datasets.sample_path().read_bytes()))
        else:
            shutil.copyfile(DATA / index, path)
        out[index] = path
    return out


# -- the server ---------------------------------------------------------------------------------
def _http(method: str, url: str, body: Any = None, ctype: str = "application/json", timeout: float = 300) -> Any:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        text = resp.read()
    return json.loads(text) if text else {}


def template(patterns: list[str]) -> dict[str, Any]:
    """The Flagon index template, applied to ``patterns``."""
    tmpl = json.loads(TEMPLATE.read_text())
    tmpl["index_patterns"] = patterns
    return tmpl


def bulk(url: str, index: str, records: Iterable[tuple[str | None, dict[str, Any]]], *, chunk: int = 5000) -> int:
    """Index records (``(id or None, record)``) with the bulk API; raises on any rejected document."""
    n = 0
    batch: list[bytes] = []

    def flush() -> None:
        if not batch:
            return
        got = _http("POST", f"{url}/_bulk", b"".join(batch), "application/x-ndjson")
        if got.get("errors"):
            bad = [i for i in got["items"] if next(iter(i.values())).get("error")][:3]
            raise RuntimeError(f"seeding {index}: documents rejected: {bad}")
        batch.clear()

    for doc_id, rec in records:
        action = {"index": {"_index": index, **({"_id": doc_id} if doc_id else {})}}
        batch.append(json.dumps(action).encode() + b"\n" + json.dumps(rec).encode() + b"\n")
        n += 1
        if len(batch) >= chunk:
            flush()
    flush()
    return n


def seed(url: str) -> None:
    """Create :data:`INDICES` (and the ``userale`` alias) on the server at ``url``."""
    _http("PUT", f"{url}/_index_template/userale", template(["shopdemo-*", "userale-*"]))
    for index in INDICES:
        bulk(url, index, records_of(index))
    _http("POST", f"{url}/_aliases", {"actions": [{"add": {"index": "shopdemo-4863.ndjson", "alias": ALIAS}}]})
    _http("POST", f"{url}/_refresh")


_SERVER: Any = None
_LOCK = threading.Lock()


def server() -> Any:
    """The session's seeded osmem-server (started on first use, stopped when the tests end)."""
    global _SERVER
    with _LOCK:
        if _SERVER is None:
            from osmem_server import OsmemServer

            srv = OsmemServer.start(japanese=False)
            try:
                seed(srv.url)
            except BaseException:
                srv.close()
                raise
            _SERVER = srv
            import atexit

            atexit.register(srv.close)
        return _SERVER


# -- the elasticsearch client against OpenSearch ------------------------------------------------------
_COMPAT = re.compile(r"application/vnd\.elasticsearch\+([a-z-]+); ?compatible-with=\d+")


def osmem_node_class() -> type:
    """A node class for ``elasticsearch.Elasticsearch(node_class=...)`` that talks to osmem-server."""
    from elastic_transport import HttpHeaders, Urllib3HttpNode
    from elastic_transport._node._base import NodeApiResponse

    class OsmemNode(Urllib3HttpNode):  # type: ignore[misc]
        def perform_request(self, method: str, target: str, body: bytes | None = None, headers: Any = None, **kw: Any):
            headers = HttpHeaders(headers or {})
            for key in ("accept", "content-type"):
                if key in headers:
                    headers[key] = _COMPAT.sub(r"application/\1", headers[key])
            path, _, qs = target.partition("?")
            pit_open = method == "POST" and path.endswith("/_pit")
            if pit_open:
                target = path[: -len("/_pit")] + "/_search/point_in_time" + ("?" + qs if qs else "")
            elif method == "DELETE" and path == "/_pit":
                pid = json.loads(body or b"{}").get("id")
                body = json.dumps({"pit_id": [pid]}).encode()
                target = "/_search/point_in_time"
            meta, data = super().perform_request(method, target, body=body, headers=headers, **kw)
            if 200 <= meta.status < 300:
                if pit_open:
                    got = json.loads(data)
                    data = json.dumps({"id": got["pit_id"], "_shards": got.get("_shards", {})}).encode()
                elif method == "GET" and path == "/":
                    got = json.loads(data)
                    got["version"] = {"number": "8.17.0", "build_flavor": "default", "lucene_version": "9.12.0"}
                    got["tagline"] = "You Know, for Search"
                    data = json.dumps(got).encode()
            out = HttpHeaders(meta.headers)
            out["x-elastic-product"] = "Elasticsearch"
            return NodeApiResponse(dataclasses.replace(meta, headers=out), data)

    return OsmemNode


def make_source(kind: str, url: str, index: str, **kw: Any) -> Any:
    """A source through the opensearch-py client, or through an elasticsearch client object."""
    if kind == "opensearch":
        return _source_class()(url, index=index, library="opensearch", **kw)
    from elasticsearch import Elasticsearch

    client = Elasticsearch(url, node_class=osmem_node_class(), request_timeout=kw.pop("request_timeout", 30))
    return _source_class()(client=client, index=index, **kw)


def _source_class() -> Any:
    from distill.sources.elasticsearch import ElasticsearchSource

    return ElasticsearchSource


# -- nginx with TLS and basic auth --------------------------------------------------------------------
def nginx_missing() -> str | None:
    """Why the nginx tests cannot run (None when they can)."""
    if not Path(NGINX).exists():
        return f"nginx is not installed at {NGINX} (Debian package 'nginx'; `make system-deps` installs it)"
    try:
        import trustme  # noqa: F401
    except ImportError:
        return "trustme is not installed"
    return None


class Nginx:
    """Debian's nginx as an HTTPS reverse proxy with basic auth in front of ``upstream``.

    Runs as this process's child with its own config, logs and a free port; ``access_log``
    lines are ``METHOD URI STATUS``. ``ca_path`` is the trustme CA that signed the server
    certificate; ``wrong_ca_path`` a CA that did not.
    """

    def __init__(self, upstream: str, folder: Path):
        import trustme

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_path = folder / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))
        cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
        self.wrong_ca_path = folder / "other-ca.pem"
        trustme.CA().cert_pem.write_to_path(str(self.wrong_ca_path))
        (folder / "htpasswd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.access_log = folder / "access.log"
        up = upstream.removeprefix("http://")
        user = "user root root;" if os.geteuid() == 0 else ""
        conf = f"""
{user}
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
  log_format distill '$request_method $request_uri $status';
  access_log {self.access_log} distill;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  client_max_body_size 64m;
  server {{
    listen 127.0.0.1:{self.port} ssl;
    ssl_certificate {folder}/server.pem;
    ssl_certificate_key {folder}/server.pem;
    auth_basic "distill-test";
    auth_basic_user_file {folder}/htpasswd;
    location / {{
      proxy_pass http://{up};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_read_timeout 300s;
    }}
  }}
}}
"""
        (folder / "nginx.conf").write_text(conf)
        self.process = subprocess.Popen(
            [NGINX, "-c", str(folder / "nginx.conf"), "-p", str(folder), "-e", str(folder / "error.log")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"nginx exited: {err} {(folder / 'error.log').read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.05)
        self.close()
        raise RuntimeError("nginx did not start listening within 10 s")

    def requests(self) -> list[tuple[str, str, int]]:
        """Every request nginx forwarded or refused so far: (method, uri, status)."""
        if not self.access_log.exists():
            return []
        out = []
        for line in self.access_log.read_text().splitlines():
            method, uri, status = line.rsplit(" ", 2)
            out.append((method, uri, int(status)))
        return out

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


# -- a forwarding proxy that can misbehave -------------------------------------------------------------
class FaultProxy:
    """Plain-HTTP proxy to ``upstream`` on a free loopback port that can stall or fail shards.

    ``stall_after``: answer that many searches normally, then hold every further request for
    ``stall_seconds`` without answering (a server timing out mid-read).
    ``fail_shards_after``: from that many searches on, report one of two shards failed
    in search responses (a partial shard failure, which one-shard osmem never produces).
    """

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.stall_after: int | None = None
        self.stall_seconds = 5.0
        self.fail_shards_after: int | None = None
        self.searches = 0
        self.log: list[tuple[str, str]] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _do(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.log.append((self.command, self.path))
                is_search = "_search" in self.path
                if is_search:
                    proxy.searches += 1
                if proxy.stall_after is not None and is_search and proxy.searches > proxy.stall_after:
                    time.sleep(proxy.stall_seconds)
                req = urllib.request.Request(proxy.upstream + self.path, data=body, method=self.command)
                for k, v in self.headers.items():
                    if k.lower() not in ("host", "content-length", "connection"):
                        req.add_header(k, v)
                try:
                    with urllib.request.urlopen(req, timeout=60) as resp:
                        status, headers, data = resp.status, resp.headers, resp.read()
                except urllib.error.HTTPError as err:
                    status, headers, data = err.code, err.headers, err.read()
                if (
                    proxy.fail_shards_after is not None
                    and is_search
                    and proxy.searches > proxy.fail_shards_after
                    and status == 200
                ):
                    got = json.loads(data)
                    got["_shards"] = {
                        "total": 2,
                        "successful": 1,
                        "skipped": 0,
                        "failed": 1,
                        "failures": [
                            {
                                "shard": 1,
                                "index": "shopdemo-4863.ndjson",
                                "node": "n2",
                                "reason": {"type": "node_disconnected_exception", "reason": "node n2 left"},
                            }
                        ],
                    }
                    data = json.dumps(got).encode()
                self.send_response(status)
                self.send_header("content-type", headers.get("content-type", "application/json"))
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _do

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- many events, for benchmarks ------------------------------------------------------------------------
def scaled_records(n_events: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """``n_events`` real-looking records: the ShopDemo logs replayed in copies with new users,
    sessions and times (copy ``k`` shifted by ``k`` times the sample's span plus a minute)."""
    base = sample_records()
    times = [r.get("clientTime") or r.get("startTime") for _, r in base]
    span = int(max(times) - min(times)) + 60_000
    k = 0
    made = 0
    while made < n_events:
        for eid, rec in base:
            if made >= n_events:
                return
            r = dict(rec)
            for key in ("clientTime", "startTime", "endTime"):
                if isinstance(r.get(key), (int, float)):
                    r[key] = r[key] + k * span
            for key in ("userId", "sessionId", "httpSessionId"):
                if r.get(key) is not None:
                    r[key] = f"{r[key]}-{k}"
            made += 1
            yield f"scale{k}:{eid}", r
        k += 1


def seed_events(url: str, n_events: int = 100_000, *, index: str = "userale-scale", workers: int = 4) -> float:
    """Index ``n_events`` replayed ShopDemo events into ``index`` (Flagon template); returns seconds.

    Bulk requests go out from ``workers`` threads in parallel. Re-read them with
    ``ElasticsearchSource(url, index=index).read()`` (about a millisecond per document to index;
    reading is far faster).
    """
    start = time.perf_counter()
    _http("PUT", f"{url}/_index_template/userale", template(["shopdemo-*", "userale-*"]))
    records = list(scaled_records(n_events))
    step = 5000
    chunks = [records[i : i + step] for i in range(0, len(records), step)]
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda c: bulk(url, index, c, chunk=step), chunks))
    _http("POST", f"{url}/_refresh")
    return time.perf_counter() - start


def start_seeded(n_events: int = 100_000, *, index: str = "userale-scale") -> tuple[Any, float]:
    """A new osmem-server holding ``n_events`` events in ``index``: (server, seconds to seed).

    The caller closes the server (``server.close()``).
    """
    from osmem_server import OsmemServer

    srv = OsmemServer.start(japanese=False)
    try:
        took = seed_events(srv.url, n_events, index=index)
    except BaseException:
        srv.close()
        raise
    return srv, took


def basic_header(user: str = USER, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def temp_folder(prefix: str = "distill-es-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
