"""How fast the panels answer a person: slider moves and query changes on large event frames.

``python -m benchmarks.panels --events 1000000`` prints the medians; the harness calls
:func:`measure` (one dict of medians in milliseconds, plus what was shown so runs can be
compared) or uses the setup/update pairs below as stages (``setup(events) -> state``,
``update(state) -> state``, ``check(state) -> dict``).

What is timed is what a person waits for, in the kernel: from the control's new value to the
figure's new data handed to the widget layer (the browser then draws a few hundred points).

- ``slider``: :class:`~distill.widgets.PathGraph` minimum-edge-count slider moved (graph
  recomputed from the events, figure updated; the layout is reused);
- ``top``: the top-N edges slider moved;
- ``granularity``: node granularity switched between target and type + target (layouts cached);
- ``node``: a node clicked (highlight and metrics of the unpruned graph);
- ``query_narrow`` / ``query_wide``: a :class:`~distill.widgets.Dashboard` query changed (one user;
  raw logs only, about two thirds of the events) until its graph has followed: query run, session
  selection handed on, graph recomputed and redrawn (the session table is computed after that);
- ``query_table``: the same wide change until the session explorer's table is also up to date.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "measure",
    "slider_setup",
    "slider_update",
    "query_setup",
    "query_update",
    "check",
]


def _events(n: int, seed: int) -> Any:
    from distill.datasets import scale_sample

    return scale_sample(n, seed)


# -- stages for the harness ---------------------------------------------------------------------
def slider_setup(events: Any) -> Any:
    """A PathGraph on ``events`` (shown, so its figure exists), slider at 1."""
    from distill.widgets import PathGraph

    panel = PathGraph(events, min_count=1, top=50)
    panel._before_display()
    return panel


def slider_update(panel: Any) -> Any:
    """Move the minimum-edge-count slider (alternating 1 and 5), as a drag that ends does."""
    panel._min_count.value = 5 if panel._min_count.value == 1 else 1
    return panel


def query_setup(events: Any) -> Any:
    """A Dashboard on ``events`` (shown)."""
    from distill.widgets import Dashboard

    dash = Dashboard(events)
    dash._before_display()
    return dash


def query_update(dash: Any) -> Any:
    """Change the query (alternating: raw logs only / everything) in the query builder's list."""
    sel = dash.query_builder._selects["log_types"]
    sel.value = () if sel.value else ("raw",)
    return dash


def check(state: Any) -> dict[str, Any]:
    """What the panel shows (to compare runs)."""
    graph = state.path_graph.graph if hasattr(state, "path_graph") else state.graph
    return {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "events": graph.graph.get("events")}


# -- measurement -----------------------------------------------------------------------------------
def _median_ms(step: Callable[[int], Any], repeat: int) -> float:
    times = []
    for i in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        step(i)
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1)


def _until_graph(dash: Any, change: Callable[[], None]) -> float:
    """Milliseconds from a change to the dashboard's graph having followed it."""
    done: list[float] = []
    cb = lambda _: done.append(time.perf_counter())  # noqa: E731
    dash.path_graph.on_change(cb)
    try:
        t0 = time.perf_counter()
        change()
    finally:
        dash.path_graph.on_change(cb, remove=True)
    if not done:
        raise RuntimeError("the graph did not follow the query")
    return (done[0] - t0) * 1000


def measure(n_events: int = 1_000_000, seed: int = 0, repeat: int = 7) -> dict[str, Any]:
    """Medians (ms) of the panel updates on ``scale_sample(n_events, seed)``.

    Returns
    -------
    dict
        ``{"events", "repeat", "ms": {name: median}, "shown": {...}, "setup_s": {...}}``.
    """
    events = _events(n_events, seed)
    out: dict[str, Any] = {"events": len(events), "repeat": repeat, "ms": {}, "shown": {}, "setup_s": {}}

    t0 = time.perf_counter()
    pg = slider_setup(events)
    out["setup_s"]["path_graph"] = round(time.perf_counter() - t0, 2)
    out["ms"]["slider"] = _median_ms(lambda i: slider_update(pg), repeat)
    out["ms"]["top"] = _median_ms(lambda i: pg.set(top=20 if i % 2 == 0 else 50), repeat)
    pg.set(by="type_target")
    pg.set(by="target")  # both layouts made once, untimed
    out["ms"]["granularity"] = _median_ms(lambda i: pg.set(by="type_target" if i % 2 == 0 else "target"), repeat)
    pg.set(by="target", min_count=1, top=50)
    nodes = sorted(pg.graph.nodes, key=lambda n: -pg.graph.nodes[n]["count"])[:repeat]
    out["ms"]["node"] = _median_ms(lambda i: pg.select_node(nodes[i % len(nodes)]), repeat)
    out["shown"]["path_graph"] = check(pg)

    t0 = time.perf_counter()
    dash = query_setup(events)
    out["setup_s"]["dashboard"] = round(time.perf_counter() - t0, 2)
    users = [str(u) for u in events["user"].cat.categories[:repeat]]
    sel_users = dash.query_builder._selects["users"]

    def narrow(i: int) -> float:
        return _until_graph(dash, lambda: setattr(sel_users, "value", (users[i % len(users)],)))

    narrow_times = [narrow(i) for i in range(repeat)]
    sel_users.value = ()
    sel_logs = dash.query_builder._selects["log_types"]
    wide_times, table_times = [], []
    for i in range(repeat):
        target = ("raw",) if i % 2 == 0 else ()
        gc.collect()
        t0 = time.perf_counter()
        wide_times.append(_until_graph(dash, lambda t=target: setattr(sel_logs, "value", t)))
        table_times.append((time.perf_counter() - t0) * 1000)
    out["ms"]["query_narrow"] = round(statistics.median(narrow_times), 1)
    out["ms"]["query_wide"] = round(statistics.median(wide_times), 1)
    out["ms"]["query_table"] = round(statistics.median(table_times), 1)
    out["shown"]["dashboard"] = check(dash)
    try:
        import os

        out["load"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    result = measure(args.events, args.seed, args.repeat)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
