"""Timing and peak memory of one task in this process (standard library only).

Shared by the Distill worker and the peer workers, which run in other virtual
environments (their Python may have no Distill and old pandas), so this file
imports nothing outside the standard library.

Protocol, the same for every implementation:

1. ``setup()`` loads the data (not timed);
2. garbage is collected, the resident set size (RSS) is read and the kernel's
   peak-RSS mark is reset (``/proc/self/clear_refs``);
3. ``run(state)`` is called ``repeat`` times; each call is timed with
   ``perf_counter``; the peak RSS reached during the *first* call, less the RSS
   before it, is the task's peak memory (later calls reuse memory the
   allocator kept, so they would under-count);
4. a small ``check`` summary of the result (counts) is kept, so different
   implementations can be seen to compute the same thing.

Repeats stop early once ``budget`` seconds have been spent (at least one run),
so a peer that takes minutes is still measured once.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

RESULT_TAG = "@@BENCH-RESULT "


def _status() -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def rss() -> int | None:
    """Current resident set size in bytes (None where /proc is missing)."""
    return _status().get("VmRSS")


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark of this process; False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak() -> int | None:
    """Peak resident set size since the last reset, in bytes."""
    found = _status().get("VmHWM")
    if found is not None:
        return found
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def measure(
    setup: Callable[[], Any],
    run: Callable[[Any], Any],
    *,
    repeat: int,
    budget: float = 120.0,
    check: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """Run the protocol above and return a JSON-able result."""
    t0 = time.perf_counter()
    state = setup()
    setup_s = time.perf_counter() - t0
    gc.collect()
    base = rss()
    exact_peak = reset_peak()
    times: list[float] = []
    peak_bytes = None
    summary = None
    spent = 0.0
    for i in range(max(1, repeat)):
        start = time.perf_counter()
        out = run(state)
        took = time.perf_counter() - start
        times.append(took)
        spent += took
        if i == 0:
            top = peak()
            peak_bytes = None if top is None or base is None else max(0, top - base)
            summary = check(out) if check else None
        del out
        gc.collect()
        if spent > budget:
            break
    return {
        "times": times,
        "median": statistics.median(times),
        "runs": len(times),
        "peak_bytes": peak_bytes,
        "peak_exact": exact_peak,
        "base_rss": base,
        "setup_s": setup_s,
        "check": summary,
    }


def emit(result: dict[str, Any]) -> None:
    """Print the result as one tagged JSON line on stdout (what the harness reads)."""
    sys.stdout.write(RESULT_TAG + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()
