"""The printed table, the targets and their verdicts."""

from __future__ import annotations

from typing import Any

from benchmarks.stages import STAGES

TARGET_SIZE = 5_000_000
PANEL_SIZE = 1_000_000


def _rate(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e3:
        return f"{value / 1e3:.0f}k"
    return f"{value:.0f}"


def _seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def header(info: dict[str, Any], sizes: list[int], opts: Any) -> str:
    v = info["versions"]
    mem = info.get("memory_bytes") or 0
    load = info.get("load")
    busy = ""
    if load and info.get("cores") and load[0] > 0.5 * info["cores"]:
        busy = (
            f"\nWARNING: the machine is busy (load average {load[0]:.1f} on {info['cores']} cores): "
            "times are inflated; compare ratios from one run, or run again when it is quiet"
        )
    tuned = info.get("allocator_env") or {}
    if tuned:
        busy += "\nallocator settings (all processes): " + ", ".join(f"{k}={val}" for k, val in tuned.items())
    return (
        f"Distill {v['distill']} benchmarks on {info['host']}: {info['cpu']}, {info['cores']} cores, "
        f"{mem / 2**30:.0f} GiB; Python {info['python']}, pandas {v['pandas']}, numpy {v['numpy']}, "
        f"pyarrow {v['pyarrow']}\n"
        f"sizes {', '.join(f'{n:,}' for n in sizes)}; {opts.repeat} runs each (median), "
        f"one fresh process per measurement{busy}"
    )


def peer_lines(found: dict[str, Any]) -> str:
    if not found:
        return "peers: none (--no-peers)"
    lines = ["peers:"]
    for name, got in found.items():
        if got.get("available"):
            lines.append(f"  {name:<16} {got.get('version')} (Python {got.get('python')}): {', '.join(got['stages'])}")
        else:
            lines.append(f"  {name:<16} not measured: {got.get('why')}")
    return "\n".join(lines)


def progress(m: Any) -> str:
    head = f"  {m.impl:<16} {m.stage:<14} {m.n:>10,}"
    if m.status != "ok":
        why = m.result.get("missing") or m.result.get("error") or m.result.get("why") or ""
        return f"{head}  {m.status}: {why}"
    r = m.result
    peak = r.get("peak_bytes")
    peak_text = f", peak +{peak / 1e6:,.0f} MB" if peak is not None else ""
    runs = f"{r['runs']} runs" if r.get("runs", 0) > 1 else "1 run"
    load = r.get("load")
    load_text = f", load {load[0]:.1f}" if load else ""
    return f"{head}  median {_seconds(r['median'])} ({_rate(m.n / r['median'])} ev/s{peak_text}; {runs}{load_text})"


def _cell(m: Any, base: float | None) -> str:
    if m is None:
        return ""
    if m.status == "ok" and base:
        return f"{m.median / base:.1f}x"
    return {"unavailable": "-", "timeout": "t/o", "error": "err", "skipped": "skip"}.get(m.status, m.status)


def table(measurements: list[Any], peers: list[str]) -> str:
    by = {(m.stage, m.n, m.impl): m for m in measurements}
    present = {m.stage for m in measurements}
    stages = [s for s in STAGES if s in present]
    sizes = sorted({m.n for m in measurements})
    labels = {"pandas": "pandas", "pm4py": "pm4py", "retentioneering": "retention.", "flagon": "flagon"}
    cols = [labels.get(p, p) for p in peers]
    head = f"{'stage':<14} {'events':>10} {'median':>9} {'events/s':>9} {'peak B/ev':>9}"
    head += "".join(f" {c:>11}" for c in cols)
    lines = [
        "",
        "Distill: median time, throughput, peak memory added by the stage per event; "
        "peers: their median over Distill's (how many times slower).",
        head,
        "-" * len(head),
    ]
    notes: dict[str, str] = {}
    for stage in stages:
        for n in sizes:
            d = by.get((stage, n, "distill"))
            if d is None:
                continue
            if d.status != "ok":
                why = d.result.get("missing") or d.result.get("error") or ""
                text = "not available yet" if d.status == "unavailable" else d.status
                lines.append(f"{stage:<14} {n:>10,} {text}: {why}"[:160])
                continue
            r = d.result
            peak = r.get("peak_bytes")
            row = f"{stage:<14} {n:>10,} {_seconds(r['median']):>9} {_rate(n / r['median']):>9}"
            row += f" {peak / n if peak is not None else float('nan'):>9.0f}"
            for p in peers:
                pm = by.get((stage, n, p))
                row += f" {_cell(pm, d.median):>11}"
                if pm is not None and pm.status == "ok" and pm.result.get("note"):
                    notes[f"{labels.get(p, p)} {stage}"] = pm.result["note"]
            lines.append(row)
    if notes:
        lines.append("")
        lines.extend(f"  {k}: {v}" for k, v in notes.items())
    checks = _check_lines(measurements)
    if checks:
        lines.append("")
        lines.append("same answers? (result summaries at the largest size)")
        lines.extend(checks)
    return "\n".join(lines)


def _check_lines(measurements: list[Any]) -> list[str]:
    out = []
    for stage in dict.fromkeys(m.stage for m in measurements):
        ok = [m for m in measurements if m.stage == stage and m.status == "ok" and m.result.get("check")]
        if len(ok) < 2 or stage == "read":
            continue
        n = max(m.n for m in ok)
        parts = []
        for m in ok:
            if m.n != n:
                continue
            check = {k: v for k, v in m.result["check"].items() if k not in ("memory",)}
            parts.append(f"{m.impl} {check}")
        out.append(f"  {stage} at {n:,}: " + "; ".join(parts))
    return out


# -- targets -----------------------------------------------------------------------------------
def _pick(measurements: list[Any], stage: str, impl: str, size: int) -> tuple[Any, int | None]:
    found = [m for m in measurements if m.stage == stage and m.impl == impl and m.status == "ok"]
    exact = [m for m in found if m.n == size]
    if exact:
        return exact[0], size
    if found:
        best = max(found, key=lambda m: m.n)
        return best, best.n
    return None, None


def targets(measurements: list[Any], sizes: list[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(name: str, goal: str, status: str, value: str, why: str = "", at: int | None = None) -> None:
        item = {"target": name, "goal": goal, "status": status, "value": value, "why": why}
        if at is not None:
            item["events"] = at
            if at != TARGET_SIZE and name != "panel_update":
                item["why"] = (why + "; " if why else "") + f"measured at {at:,}, the target is for {TARGET_SIZE:,}"
        out.append(item)

    sg, at = _pick(measurements, "session_graph", "distill", TARGET_SIZE)
    if sg is None:
        add("session_graph_rate", "sessionise + click-path graph >= 10M events/s", "not measured", "-", "stage not run")
    else:
        rate = at / sg.median
        add(
            "session_graph_rate",
            "sessionise + click-path graph >= 10M events/s",
            "met" if rate >= 10e6 else "missed",
            f"{rate / 1e6:.1f}M events/s",
            at=at,
        )
        peers = [
            m
            for m in measurements
            if m.stage == "session_graph" and m.n == at and m.impl != "distill" and m.status == "ok"
        ]
        if peers:
            fastest = min(peers, key=lambda m: m.median)
            ratio = fastest.median / sg.median
            add(
                "session_graph_vs_fastest_peer",
                ">= 3x faster than the fastest peer (sessionise + graph)",
                "met" if ratio >= 3 else "missed",
                f"{ratio:.1f}x ({fastest.impl})",
                at=at,
            )
        else:
            add("session_graph_vs_fastest_peer", ">= 3x faster than the fastest peer", "not measured", "-", "no peer")
        pm = [m for m in peers if m.impl == "pm4py"]
        if pm:
            ratio = pm[0].median / sg.median
            add(
                "session_graph_vs_pm4py",
                ">= 20x faster than pm4py",
                "met" if ratio >= 20 else "missed",
                f"{ratio:.1f}x",
                at=at,
            )
        else:
            add("session_graph_vs_pm4py", ">= 20x faster than pm4py", "not measured", "-", "pm4py not measured")
    rd, at = _pick(measurements, "read", "distill", TARGET_SIZE)
    if rd is None:
        add("read_rate", "read UserALE NDJSON >= 300,000 logs/s", "not measured", "-", "stage not run")
        add("frame_memory", "frame <= 150 bytes/event beyond the details payload", "not measured", "-", "no read")
    else:
        rate = at / rd.median
        add(
            "read_rate",
            "read UserALE NDJSON >= 300,000 logs/s",
            "met" if rate >= 300_000 else "missed",
            f"{rate:,.0f} logs/s",
            at=at,
        )
        check = rd.result.get("check") or {}
        per = check.get("frame_bytes_per_event")
        add(
            "frame_memory",
            "frame <= 150 bytes/event beyond the details payload",
            "met" if per is not None and per <= 150 else "missed",
            f"{per} B/event (details text {check.get('details_payload_per_event')} B/event apart)",
            at=at,
        )
    panel = [m for m in measurements if m.stage == "panel" and m.impl == "distill"]
    ok = [m for m in panel if m.status == "ok"]
    if ok:
        best = min(ok, key=lambda m: abs(m.n - PANEL_SIZE))
        add(
            "panel_update",
            "path-graph panel update on 1M events < 300 ms",
            "met" if best.median < 0.3 else "missed",
            _seconds(best.median),
            at=best.n,
        )
    else:
        why = f"needs {panel[0].result.get('missing', panel[0].status)}" if panel else "stage not run"
        add("panel_update", "path-graph panel update on 1M events < 300 ms", "not measured", "-", why)
    return out


def target_lines(found: list[dict[str, Any]]) -> str:
    lines = ["", "targets:"]
    for t in found:
        mark = {"met": "[met]   ", "missed": "[MISSED]"}.get(t["status"], "[n/a]   ")
        why = f"  ({t['why']})" if t.get("why") else ""
        lines.append(f"  {mark} {t['goal']}: {t['value']}{why}")
    return "\n".join(lines)


__all__ = ["header", "peer_lines", "progress", "table", "targets", "target_lines", "STAGES"]
