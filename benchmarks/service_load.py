"""Load test of the REST service on loopback: concurrent clients, a mix of graph, sessions and events requests.

Runnable on its own::

    python benchmarks/service_load.py                      # 32 clients, 60 s, HTTPS, 1 worker process
    python benchmarks/service_load.py --clients 8 --duration 10 --workers 2
    python benchmarks/service_load.py --url https://host:8443 --key KEY --cacert ca.pem

Without ``--url`` it starts ``distill serve`` itself on 127.0.0.1 (HTTPS with a
throw-away CA made by ``trustme``, a random API key, the bundled sample), waits
until it answers, runs the load and stops it. Every client is an
``httpx.AsyncClient`` with its own keep-alive connection that sends requests
back to back (closed loop) for the whole duration. The mix (equal thirds):

- graph: ``GET /v1/graph`` by target; by page with ``min_count=2``;
  ``POST /v1/graph`` by type_target with ``top=50``;
- sessions: ``GET /v1/sessions?limit=50``; ``GET /v1/sessions/{id}?limit=100``;
- events: ``GET /v1/events?limit=100&offset=...``; ``POST /v1/events`` with a
  Query for one user, ``limit=200``.

Prints one JSON document: requests, errors (any status but 200, or a transport
error), throughput (requests per second), latency percentiles (p50, p90, p99,
max, milliseconds), overall and per request kind. Exits 1 when there was any error.

:class:`LiveServer` (a context manager) is also what the test suite uses to
start a real server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["LiveServer", "free_port", "run_load", "requests_mix", "main"]

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``distill serve`` in a subprocess on 127.0.0.1, HTTPS with a fresh CA (or plain HTTP), one API key.

    Parameters
    ----------
    settings : mapping, optional
        Settings merged over the defaults (``server`` host, port and TLS files are filled in).
    https : bool
        HTTPS with a ``trustme`` CA (default); else plain HTTP on loopback.
    workers : int
        ``server.workers``.
    env : mapping, optional
        Extra environment for the server process.
    folder : path, optional
        Where to put the CA, certificate, settings and log (a temporary folder by default).

    Attributes
    ----------
    url, key, ca_path, log_path, process
    """

    def __init__(
        self,
        settings: Mapping[str, Any] | None = None,
        *,
        https: bool = True,
        workers: int = 1,
        env: Mapping[str, str] | None = None,
        folder: str | os.PathLike[str] | None = None,
        timeout: float = 60.0,
    ):
        self.settings = dict(settings or {})
        self.https = https
        self.workers = workers
        self.extra_env = dict(env or {})
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.folder = Path(folder) if folder else None
        self.timeout = timeout
        self.key = secrets.token_urlsafe(32)
        self.port = free_port()
        scheme = "https" if https else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.ca_path: str | bool = False
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LiveServer:
        if self.folder is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="distill-serve-")
            self.folder = Path(self._tmp.name)
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        server: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "workers": self.workers,
            "log_level": "warning",
        }
        if self.https:
            import trustme

            ca = trustme.CA()
            cert = ca.issue_cert("127.0.0.1", "localhost")
            ca_path = folder / "ca.pem"
            ca.cert_pem.write_to_path(str(ca_path))
            cert.private_key_pem.write_to_path(str(folder / "key.pem"))
            (folder / "cert.pem").write_bytes(b"".join(p.bytes() for p in cert.cert_chain_pems))
            server.update(certfile=str(folder / "cert.pem"), keyfile=str(folder / "key.pem"))
            self.ca_path = str(ca_path)
        else:
            server["http"] = True
        merged = {**self.settings, "server": {**server, **self.settings.get("server", {})}}
        config = folder / "settings.json"
        config.write_text(json.dumps(merged), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DISTILL_")}
        env.update({"DISTILL_API_KEYS": self.key, "PYTHONUNBUFFERED": "1", **self.extra_env})
        self.log_path = folder / "server.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "distill.cli", "serve", "--config", str(config)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(folder),
        )
        try:
            self._wait()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait(self) -> None:
        import httpx

        deadline = time.monotonic() + self.timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"distill serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                r = httpx.get(self.url + "/v1/health", verify=self.ca_path or False, timeout=2.0)
                if r.status_code == 200:
                    return
            except httpx.HTTPError as err:
                last = err
            time.sleep(0.1)
        raise RuntimeError(f"distill serve did not answer within {self.timeout} s ({last}):\n{self.log()}")

    def log(self) -> str:
        """What the server printed so far."""
        try:
            return Path(self.log_path).read_text(encoding="utf-8", errors="replace")
        except (OSError, AttributeError):
            return ""

    @property
    def headers(self) -> dict[str, str]:
        """The API-key header."""
        return {"X-API-Key": self.key}

    def client(self, **kwargs: Any) -> Any:
        """An ``httpx.Client`` for this server (key and CA set)."""
        import httpx

        return httpx.Client(base_url=self.url, headers=self.headers, verify=self.ca_path or False, **kwargs)

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if getattr(self, "_log", None) is not None:
            self._log.close()
        if self._tmp is not None:
            self._tmp.cleanup()


# -- the load ---------------------------------------------------------------------------------------
def requests_mix(sessions: list[str], users: list[str]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The request kinds: ``(kind, method, path, options)``; options are ``params`` or ``json``."""
    graph = [
        ("graph", "GET", "/v1/graph", {"params": {"by": "target"}}),
        ("graph", "GET", "/v1/graph", {"params": {"by": "page", "min_count": 2}}),
        ("graph", "POST", "/v1/graph", {"json": {"by": "type_target", "top": 50}}),
    ]
    sess = [("sessions", "GET", "/v1/sessions", {"params": {"limit": 50}})] + [
        ("sessions", "GET", f"/v1/sessions/{s}", {"params": {"limit": 100}}) for s in sessions
    ]
    events = [
        ("events", "GET", "/v1/events", {"params": {"limit": 100, "offset": off}}) for off in range(0, 4800, 400)
    ] + [
        (
            "events",
            "POST",
            "/v1/events",
            {"json": {"query": {"field": "user", "op": "eq", "value": u}, "limit": 200}},
        )
        for u in users
    ]
    return [*graph, *sess, *events]


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    import numpy as np

    arr = np.asarray(values) * 1000.0
    p50, p90, p99 = np.percentile(arr, [50, 90, 99])
    return {
        "p50_ms": round(float(p50), 2),
        "p90_ms": round(float(p90), 2),
        "p99_ms": round(float(p99), 2),
        "max_ms": round(float(arr.max()), 2),
    }


async def _load(
    url: str, key: str, verify: Any, clients: int, duration: float, seed: int
) -> tuple[list[tuple[str, float, int | None]], float]:
    import httpx

    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, verify=verify, timeout=60) as probe:
        table = (await probe.get("/v1/sessions", params={"limit": 1000})).json()["data"]["records"]
    sessions = sorted({r["session"] for r in table})[:6]
    users = sorted({r["user"] for r in table if r["user"]})
    by_kind: dict[str, list[tuple[str, str, str, dict[str, Any]]]] = {}
    for item in requests_mix(sessions, users):
        by_kind.setdefault(item[0], []).append(item)
    kinds = sorted(by_kind)
    results: list[tuple[str, float, int | None]] = []
    start = time.perf_counter()
    stop = start + duration

    async def one(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(
            base_url=url, headers={"X-API-Key": key}, verify=verify, timeout=120, limits=limits
        ) as client:
            while time.perf_counter() < stop:
                kind = kinds[rng.randrange(len(kinds))]
                _, method, path, options = rng.choice(by_kind[kind])
                t0 = time.perf_counter()
                status: int | None
                try:
                    r = await client.request(method, path, **options)
                    await r.aread()
                    status = r.status_code
                except httpx.HTTPError:
                    status = None
                results.append((kind, time.perf_counter() - t0, status))

    await asyncio.gather(*(one(i) for i in range(clients)))
    return results, time.perf_counter() - start


def run_load(
    url: str, key: str, *, verify: Any = True, clients: int = 32, duration: float = 60.0, seed: int = 0
) -> dict[str, Any]:
    """Run the mix against a server; a report of throughput, latency and errors.

    Parameters
    ----------
    url, key : str
        Base URL (``https://127.0.0.1:8443``) and API key.
    verify : str, bool or ssl.SSLContext
        CA bundle path (or False for plain HTTP).
    clients : int
        Concurrent clients, each sending requests back to back.
    duration : float
        Seconds.
    seed : int
        Seed of the request choice.

    Returns
    -------
    dict
        ``requests``, ``errors``, ``error_statuses``, ``seconds``, ``throughput_rps``,
        ``p50_ms``/``p90_ms``/``p99_ms``/``max_ms`` and ``by_kind``.
    """
    results, elapsed = asyncio.run(_load(url, key, verify, clients, duration, seed))
    errors = [r for r in results if r[2] != 200]
    statuses: dict[str, int] = {}
    for _, _, status in errors:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    report: dict[str, Any] = {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(results),
        "errors": len(errors),
        "error_statuses": statuses,
        "throughput_rps": round(len(results) / elapsed, 1) if elapsed else None,
        **_percentiles([r[1] for r in results]),
        "by_kind": {},
    }
    for kind in sorted({r[0] for r in results}):
        lat = [r[1] for r in results if r[0] == kind]
        report["by_kind"][kind] = {"requests": len(lat), **_percentiles(lat)}
    return report


def main(argv: list[str] | None = None) -> int:
    """Command line: start a server (unless ``--url``), run the load, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (own server only)")
    parser.add_argument("--concurrency", type=int, default=None, help="limits.concurrency of the own server")
    parser.add_argument("--http", action="store_true", help="own server on plain HTTP instead of HTTPS")
    parser.add_argument("--url", help="load an already running server instead")
    parser.add_argument("--key", help="its API key (with --url)")
    parser.add_argument("--cacert", help="its CA bundle (with --url and https)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", help="also write the report (JSON) here")
    args = parser.parse_args(argv)
    if args.url:
        if not args.key:
            parser.error("--url needs --key")
        report = run_load(
            args.url, args.key, verify=args.cacert or True, clients=args.clients, duration=args.duration, seed=args.seed
        )
        report["server"] = {"url": args.url}
    else:
        settings: dict[str, Any] = {}
        if args.concurrency:
            settings["limits"] = {"concurrency": args.concurrency}
        with LiveServer(settings, https=not args.http, workers=args.workers) as server:
            report = run_load(
                server.url,
                server.key,
                verify=server.ca_path,
                clients=args.clients,
                duration=args.duration,
                seed=args.seed,
            )
        report["server"] = {
            "https": not args.http,
            "workers": args.workers,
            "concurrency": args.concurrency or 4,
            "cpus": os.cpu_count(),
        }
    text = json.dumps(report, indent=2)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
