"""Run the benchmark: data, one subprocess per measurement, table, targets, JSON.

See ``python -m benchmarks --help`` and benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.data import ndjson_file, parquet_file
from benchmarks.peers._measure import RESULT_TAG
from benchmarks.stages import STAGES, missing

ROOT = Path(__file__).resolve().parent.parent
PEER_WORKER = Path(__file__).resolve().parent / "peers" / "worker.py"
RESULTS = Path(__file__).resolve().parent / "results"

#: Where each peer runs: its virtual environment (None: the harness's own Python).
PEER_ENVS: dict[str, str | None] = {
    "pandas": None,
    "pm4py": ".venv-bench",
    "retentioneering": ".venv-bench",
    "flagon": ".venv-bench-flagon",
}
PEER_LABELS = {"pandas": "pandas", "pm4py": "pm4py", "retentioneering": "retention.", "flagon": "flagon"}
DEFAULT_SIZES = (100_000, 1_000_000, 5_000_000)
DEFAULT_STAGES = (
    "read",
    "reload",
    "query",
    "sessionize",
    "graph",
    "session_graph",
    "features",
    "funnel",
    "export",
    "panel",
)
ES_EVENTS = 100_000


# -- arguments ----------------------------------------------------------------------------
def _size(text: str) -> int:
    text = text.strip().lower().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    try:
        value = float(number) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use 100k, 1M, 5000000)") from None
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    return int(value)


def _sizes(text: str) -> list[int]:
    return [_size(t) for t in text.split(",") if t.strip()]


def _names(text: str, known: Any, what: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in known]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown {what}: {', '.join(bad)}; known: {', '.join(known)}")
    return names


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Distill at millions of events, side by side with pandas, pm4py, retentioneering and "
        "Flagon Distill. Each measurement runs in a fresh subprocess; the table gives medians.",
    )
    p.add_argument("--sizes", type=_sizes, default=list(DEFAULT_SIZES), help="event counts (default 100k,1M,5M)")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per measurement (default 5; median reported)")
    p.add_argument(
        "--stages",
        type=lambda t: _names(t, STAGES, "stage"),
        default=list(DEFAULT_STAGES),
        help=f"stages to run (default {','.join(DEFAULT_STAGES)}; es_read with --es)",
    )
    p.add_argument(
        "--peers",
        type=lambda t: _names(t, PEER_ENVS, "peer"),
        default=list(PEER_ENVS),
        help="peers to compare with where installed (default all)",
    )
    p.add_argument("--no-peers", action="store_true", help="measure Distill only")
    p.add_argument("--peer-repeat", type=int, default=None, help="timed runs per peer measurement (default --repeat)")
    p.add_argument(
        "--budget", type=float, default=60.0, help="stop repeating a measurement after this many seconds (default 60)"
    )
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds before a measurement is abandoned")
    p.add_argument(
        "--peer-read-max",
        type=_size,
        default=1_000_000,
        help="largest size pandas.read_json is asked to read (default 1M; it needs ~10 GB at 5M)",
    )
    p.add_argument("--es", action="store_true", help=f"also read {ES_EVENTS:,} events from the test search server")
    p.add_argument("--quick", action="store_true", help="smoke test: 20k events, 2 runs, every stage")
    p.add_argument("--data-dir", type=Path, default=None, help="keep and reuse the data files here")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON results (default benchmarks/results/<date>-<host>[-N].json, never overwritten)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the generated events")
    return p


# -- running ------------------------------------------------------------------------------
@dataclass
class Measurement:
    stage: str
    n: int
    impl: str
    status: str
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return self.result.get("median") if self.status == "ok" else None

    def to_dict(self) -> dict[str, Any]:
        out = {"stage": self.stage, "n": self.n, "impl": self.impl, "status": self.status, **self.result}
        med = self.median
        if med:
            out["events_per_s"] = self.n / med
        peak = self.result.get("peak_bytes")
        if peak is not None and self.n:
            out["peak_bytes_per_event"] = peak / self.n
        return out


def _python_of(peer: str) -> Path | None:
    env = PEER_ENVS[peer]
    if env is None:
        return Path(sys.executable)
    py = ROOT / env / "bin" / "python"
    return py if py.exists() else None


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["RETENTIONEERING_NO_TRACK"] = "1"
    env.pop("PYTHONPATH", None)
    return env


def _call(cmd: list[str], cwd: Path, timeout: float) -> tuple[str, dict[str, Any]]:
    load = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=_child_env(), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", {"error": f"no result within {timeout:.0f} s", "load": load}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            got = json.loads(line[len(RESULT_TAG) :])
            got["load"] = load  # 1, 5 and 15 minute load averages when the measurement started
            return str(got.pop("status", "ok")), got
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
    return "error", {"error": " | ".join(tail) or f"exit code {proc.returncode}"}


def _distill(stage: str, n: int, args: dict[str, Any], opts: argparse.Namespace) -> Measurement:
    payload = {"stage": stage, "n": n, "seed": opts.seed, "repeat": opts.repeat, "budget": opts.budget, **args}
    status, result = _call(
        [sys.executable, "-m", "benchmarks.worker", json.dumps(payload, default=str)], ROOT, opts.timeout
    )
    return Measurement(stage, n, "distill", status, result)


def _peer(peer: str, stage: str, n: int, args: dict[str, Any], opts: argparse.Namespace, cwd: Path) -> Measurement:
    py = _python_of(peer)
    if py is None:
        return Measurement(stage, n, peer, "unavailable", {"missing": f"{PEER_ENVS[peer]} (make bench-peers)"})
    repeat = opts.peer_repeat or opts.repeat
    payload = {"peer": peer, "stage": stage, "n": n, "repeat": repeat, "budget": opts.budget, **args}
    status, result = _call([str(py), str(PEER_WORKER), json.dumps(payload, default=str)], cwd, opts.timeout)
    return Measurement(stage, n, peer, status, result)


def list_peers(peers: list[str], cwd: Path) -> dict[str, Any]:
    """Which peers are installed, their versions and the stages they implement."""
    found: dict[str, Any] = {}
    for env in dict.fromkeys(PEER_ENVS[p] for p in peers):
        names = [p for p in peers if PEER_ENVS[p] == env]
        py = _python_of(names[0])
        if py is None:
            for name in names:
                found[name] = {"available": False, "why": f"no {env} (run make bench-peers)"}
            continue
        status, got = _call([str(py), str(PEER_WORKER), json.dumps({"list": True, "peers": names})], cwd, 300)
        for name in names:
            if status == "ok":
                found[name] = got["peers"][name] | {"python": got.get("python")}
            else:
                found[name] = {"available": False, "why": got.get("error", status)}
    return found


#: Environment variables that tune memory allocation (glibc malloc, numpy's huge pages).
ALLOCATOR_ENV_PREFIXES = ("MALLOC_", "GLIBC_TUNABLES", "NUMPY_MADVISE_HUGEPAGE", "LD_PRELOAD")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    import distill

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    with contextlib.suppress(ValueError, OSError):
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "load": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "host": socket.gethostname(),
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_bytes": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        # memory-allocation settings change large-frame timings (see README, "Noise at 5M");
        # every measurement process inherits them, Distill's and the peers' alike
        "allocator_env": {k: v for k, v in sorted(os.environ.items()) if k.startswith(ALLOCATOR_ENV_PREFIXES)},
        "versions": {
            "distill": distill.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "pyarrow": pa.__version__,
        },
    }


def _unused(path: Path) -> Path:
    """``path``, or ``<stem>-2<suffix>``, ``-3``, ... if it exists: a later run never replaces an earlier one."""
    n = 1
    candidate = path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


# -- main -----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    from benchmarks import report

    opts = parser().parse_args(argv)
    if opts.quick:
        opts.sizes = [20_000]
        opts.repeat = min(opts.repeat, 2)
        opts.budget = min(opts.budget, 20.0)
    stages = list(opts.stages)
    if opts.es and "es_read" not in stages:
        stages.append("es_read")
    peers = [] if opts.no_peers else list(opts.peers)
    sizes = sorted(set(opts.sizes))
    started = time.time()
    data_dir = opts.data_dir or Path(tempfile.mkdtemp(prefix="distill-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(report.header(info, sizes, opts), flush=True)
    peer_info = list_peers(peers, data_dir) if peers else {}
    print(report.peer_lines(peer_info), flush=True)
    measurements: list[Measurement] = []
    notes: dict[str, str] = {}
    es_setup: dict[str, Any] | None = None
    try:
        for stage in stages:
            gone = missing(STAGES[stage])
            if gone:
                notes[stage] = f"not available yet (needs {gone})"
                print(f"  {stage:<14} not available yet (needs {gone})", flush=True)
                measurements.extend(Measurement(stage, n, "distill", "unavailable", {"missing": gone}) for n in sizes)
        for n in sizes:
            parquet: Path | None = None
            ndjson: Path | None = None
            for stage in stages:
                if stage in notes:
                    continue
                spec = STAGES[stage]
                if spec.data == "es":
                    if n != sizes[0]:
                        continue
                    n_stage = ES_EVENTS
                    if es_setup is None:
                        from benchmarks import es_server

                        es_setup = es_server.prepare(data_dir, ES_EVENTS, opts.seed)
                    args = {"es_url": es_setup.get("url"), "es_index": es_setup.get("index")}
                    if es_setup.get("error"):
                        m = Measurement(stage, n_stage, "distill", "error", {"error": es_setup["error"]})
                        measurements.append(m)
                        print(report.progress(m), flush=True)
                        continue
                else:
                    n_stage = n
                    if spec.data == "ndjson" and ndjson is None:
                        ndjson, took = ndjson_file(data_dir, n, opts.seed)
                        if took:
                            print(f"  (wrote {ndjson.name}: {ndjson.stat().st_size / 1e6:,.0f} MB in {took:.1f} s)")
                    args = {"ndjson": ndjson}
                m = _distill(stage, n_stage, args, opts)
                measurements.append(m)
                print(report.progress(m), flush=True)
                for peer in peers:
                    pinfo = peer_info.get(peer, {})
                    if not pinfo.get("available") or stage not in pinfo.get("stages", {}):
                        continue
                    if stage == "read" and n > opts.peer_read_max:
                        skipped = Measurement(
                            stage, n, peer, "skipped", {"why": f"over --peer-read-max {opts.peer_read_max:,}"}
                        )
                        measurements.append(skipped)
                        continue
                    if parquet is None:
                        parquet, took = parquet_file(data_dir, n, opts.seed)
                        if took:
                            print(f"  (wrote {parquet.name} for the peers in {took:.1f} s)")
                    pm = _peer(peer, stage, n_stage, {"parquet": parquet, "ndjson": ndjson}, opts, data_dir)
                    measurements.append(pm)
                    print(report.progress(pm), flush=True)
    finally:
        if es_setup is not None:
            from benchmarks import es_server

            es_server.stop(es_setup)
        if opts.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    targets = report.targets(measurements, sizes)
    print(report.table(measurements, peers), flush=True)
    print(report.target_lines(targets), flush=True)
    out = opts.out or _unused(RESULTS / f"{dt.date.today().isoformat()}-{socket.gethostname()}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "format": "distill-bench",
        "version": 1,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.time() - started, 1),
        "machine": info,
        "options": {
            "sizes": sizes,
            "repeat": opts.repeat,
            "peer_repeat": opts.peer_repeat or opts.repeat,
            "budget": opts.budget,
            "stages": stages,
            "seed": opts.seed,
            "quick": opts.quick,
        },
        "peers": peer_info,
        "notes": notes,
        "results": [m.to_dict() for m in measurements],
        "targets": targets,
    }
    out.write_text(json.dumps(doc, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"\nresults: {out}  ({doc['seconds']:.0f} s in all)")
    return 0
