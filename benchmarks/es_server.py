"""The search server for the ``es_read`` stage: osmem-server (an in-memory OpenSearch) on loopback.

The harness starts it once, indexes the first ``n`` generated UserALE logs
with the bulk API (slow, about a millisecond a document, hence 100k events and
its own ``--es`` flag) and stops it at the end. The worker then times
:class:`distill.sources.elasticsearch.ElasticsearchSource` reading the whole
index into the canonical frame (point in time + ``search_after`` paging).
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

INDEX = "userale-bench"
_BATCH = 5_000


def _post(url: str, body: bytes, content_type: str = "application/x-ndjson") -> Any:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.loads(resp.read() or b"{}")


def prepare(data_dir: Path, n: int, seed: int) -> dict[str, Any]:
    """Start the server and index ``n`` events; returns url, index, server (or error)."""
    try:
        from osmem_server import OsmemServer
    except ImportError as err:
        return {"error": f"osmem-server is not installed ({err})"}
    from distill.datasets import write_scaled_ndjson

    path = write_scaled_ndjson(data_dir / f"es-{n}-s{seed}.ndjson", n, seed)
    start = time.perf_counter()
    server = OsmemServer.start()
    try:
        lines = path.read_bytes().splitlines()
        for a in range(0, len(lines), _BATCH):
            body = b"".join(
                b'{"index":{"_index":"%s","_id":"%d"}}\n%s\n' % (INDEX.encode(), a + i + 1, line)
                for i, line in enumerate(lines[a : a + _BATCH])
            )
            got = _post(f"{server.url}/_bulk", body)
            if got.get("errors"):
                raise RuntimeError("bulk indexing reported errors")
        _post(f"{server.url}/{INDEX}/_refresh", b"", "application/json")
    except Exception as err:
        server.close()
        return {"error": f"could not seed the test server: {err}"}
    print(f"  (indexed {n:,} logs into the test server in {time.perf_counter() - start:.0f} s)", flush=True)
    return {"url": server.url, "index": INDEX, "server": server}


def stop(setup: dict[str, Any]) -> None:
    server = setup.get("server")
    if server is not None:
        server.close()
