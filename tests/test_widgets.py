"""Panels without a browser: set their state, check the query, frames, graphs and figures they produce.

Expected values are worked out independently of the panels: by looping over the
sample's rows in plain Python, or by calling the library functions directly.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill import export
from distill.errors import MissingDependencyError
from distill.query import Q, Query, apply, page

pytest.importorskip("ipywidgets")
pytest.importorskip("plotly")

from distill.widgets import QueryBuilder, build_query

SAMPLE = distill.datasets.load_sample()
ROWS = SAMPLE.to_dict("records")
BASE = "http://127.0.0.1:8765/"


def _page_of(url) -> str | None:
    if url is None or url is pd.NA or (isinstance(url, float) and url != url):
        return None
    return str(url).split("#", 1)[0].split("?", 1)[0]


def _ids(rows) -> list[str]:
    return [r["event_id"] for r in rows]


def _validate(doc: dict) -> None:
    jsonschema.validate(doc, export.json_schema())
    json.dumps(doc)  # plain JSON, no numpy scalars


# -- the optional extra ---------------------------------------------------------------------------
def test_missing_extra_names_the_extra(monkeypatch):
    for name in list(sys.modules):
        if name.startswith("distill.widgets.") or name == "ipywidgets" or name.startswith("ipywidgets."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    import distill.widgets as dw

    with pytest.raises(MissingDependencyError, match=r"distill\[widgets\]") as err:
        dw.QueryBuilder(SAMPLE)
    assert err.value.package == "ipywidgets"
    monkeypatch.undo()
    importlib.import_module("distill.widgets.query_builder")


def test_unknown_name_is_an_attribute_error():
    import distill.widgets as dw

    with pytest.raises(AttributeError, match="Nope"):
        dw.Nope  # noqa: B018


# -- QueryBuilder ---------------------------------------------------------------------------------
def test_offers_every_value_found_with_its_count():
    qb = QueryBuilder(SAMPLE)
    for name, column in [("users", "user"), ("types", "type"), ("targets", "target"), ("log_types", "log_type")]:
        expected = Counter(str(r[column]) for r in ROWS if r[column] is not None and r[column] == r[column])
        offered = {
            v: int(label.rsplit("(", 1)[1].rstrip(")").replace(",", "")) for label, v in qb._selects[name].options
        }
        assert offered == dict(expected), name
    pages = Counter(p for p in (_page_of(r["page_url"]) for r in ROWS) if p)
    offered = {v for _, v in qb._selects["pages"].options}
    assert offered == set(pages) == {BASE + "index.html", BASE + "catalog.html", BASE + "checkout.html"}


def test_no_picks_is_everything():
    qb = QueryBuilder(SAMPLE)
    assert qb.query == Query.all()
    assert _ids(qb.result.to_dict("records")) == _ids(ROWS)
    assert qb.settings() == {}


def test_picking_a_user_runs_the_query():
    qb = QueryBuilder(SAMPLE)
    seen = []
    qb.on_change(lambda p: seen.append(len(p.result)))
    qb._selects["users"].value = ("bob",)  # what a click in the list does
    assert qb.query == (Q.user == "bob")
    expected = [r for r in ROWS if r["user"] == "bob"]
    assert _ids(qb.result.to_dict("records")) == _ids(expected)
    assert seen == [len(expected)]
    assert f"<b>{len(expected):,}</b> of 4,863 events" in qb._status.value
    assert "Q.user == &#x27;bob&#x27;" in qb._code.value
    assert json.loads(qb.query.to_json()) == {"field": "user", "op": "eq", "value": "bob"}


def test_built_and_typed_queries_are_equal():
    start, end = "2026-12-04T19:29:10Z", "2026-12-04T19:30:30Z"
    qb = QueryBuilder(
        SAMPLE,
        users=["alice", "bob"],
        types=["click"],
        pages=[BASE + "catalog.html", BASE + "checkout.html"],
        log_types=["raw"],
        start=start,
        end=end,
    )
    typed = (
        Q.user.isin(["alice", "bob"])
        & (Q.type == "click")
        & (page(BASE + "catalog.html") | page(BASE + "checkout.html"))
        & (Q.log_type == "raw")
        & Q.time.between(start, end)
    )
    assert qb.query == typed
    assert Query.from_json(qb.query.to_json()) == typed
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    expected = [
        r
        for r in ROWS
        if r["user"] in ("alice", "bob")
        and r["type"] == "click"
        and _page_of(r["page_url"]) in (BASE + "catalog.html", BASE + "checkout.html")
        and r["log_type"] == "raw"
        and lo <= r["time"] <= hi
    ]
    assert expected
    assert _ids(qb.result.to_dict("records")) == _ids(expected)


def test_one_sided_time_window():
    qb = QueryBuilder(SAMPLE, end="2026-12-04T19:29:00Z")
    assert qb.query == (Q.time <= "2026-12-04T19:29:00Z")
    assert qb.time_window == (None, "2026-12-04T19:29:00Z")
    assert len(qb.result) == sum(r["time"] <= pd.Timestamp("2026-12-04T19:29:00Z") for r in ROWS)


def test_moving_the_time_slider_narrows_the_query():
    qb = QueryBuilder(SAMPLE)
    opts = qb._time.options
    qb._time.index = (10, len(opts) - 11)
    start, end = opts[10][1], opts[-11][1]
    assert qb.query == Q.time.between(start, end)
    assert qb.settings() == {"start": distill.export.plain(start), "end": distill.export.plain(end)}
    assert len(qb.result) == sum(start <= r["time"] <= end for r in ROWS)
    qb.clear()
    assert qb.query == Query.all() and len(qb.result) == len(ROWS)


def test_time_slider_stops_cover_the_data_exactly():
    qb = QueryBuilder(SAMPLE)
    values = [v for _, v in qb._time.options]
    labels = [lab for lab, _ in qb._time.options]
    assert values[0] == SAMPLE["time"].min() and values[-1] == SAMPLE["time"].max()
    assert values == sorted(set(values)) and len(labels) == len(set(labels))


@settings(max_examples=25)
@given(
    users=st.lists(st.sampled_from(sorted(SAMPLE["user"].dropna().unique())), unique=True, max_size=3),
    types=st.lists(st.sampled_from(sorted(SAMPLE["type"].unique())), unique=True, max_size=3),
    log_types=st.lists(st.sampled_from(["raw", "interval", "custom"]), unique=True, max_size=2),
)
def test_settings_and_code_round_trip(users, types, log_types):
    qb = QueryBuilder(SAMPLE, users=users, types=types, log_types=log_types)
    again = QueryBuilder(SAMPLE, **qb.settings())
    assert again.query == qb.query and again.settings() == qb.settings()
    namespace = {"events": SAMPLE}
    exec(qb.to_code(), namespace)
    assert namespace["query"] == qb.query
    pd.testing.assert_frame_equal(namespace["result"], qb.result)
    expected = [
        r
        for r in ROWS
        if (not users or r["user"] in users) and (not types or r["type"] in types)
        if not log_types or r["log_type"] in log_types
    ]
    assert _ids(qb.result.to_dict("records")) == _ids(expected)


def test_export_is_what_is_shown():
    qb = QueryBuilder(SAMPLE, users=["carol"], types=["click"])
    doc = qb.to_dict()
    _validate(doc)
    assert doc["kind"] == "events"
    assert doc["meta"]["panel"] == "QueryBuilder"
    assert doc["meta"]["settings"] == {"users": ["carol"], "types": ["click"]}
    assert Query.from_dict(doc["meta"]["query"]) == qb.query
    assert [r["event_id"] for r in doc["data"]["records"]] == qb.result["event_id"].tolist()
    assert json.loads(qb.to_json(limit=2))["meta"]["rows_exported"] == 2


def test_manual_run_mode():
    qb = QueryBuilder(SAMPLE, auto_run=False)
    assert qb.result is None
    qb.pick(users=["dave"])
    assert qb.result is None and "press Run" in qb._status.value
    qb._run_button.click()
    assert len(qb.result) == sum(r["user"] == "dave" for r in ROWS)
    assert QueryBuilder(SAMPLE, **qb.settings())._auto.value is False


def test_bad_picks_are_named():
    with pytest.raises(ValueError, match=r"users.*'nobody'"):
        QueryBuilder(SAMPLE, users=["nobody"])
    with pytest.raises(ValueError, match="no field 'colour'"):
        QueryBuilder(SAMPLE).pick(colour=["red"])
    with pytest.raises(ValueError, match="outside the data"):
        QueryBuilder(SAMPLE, start="2020-01-01T00:00:00Z")
    with pytest.raises(ValueError, match="after end"):
        QueryBuilder(SAMPLE, start="2026-12-04T19:30:00Z", end="2026-12-04T19:29:00Z")


def test_input_frame_is_not_changed():
    events = SAMPLE.copy()
    before = events.copy()
    qb = QueryBuilder(events, users=["bob"])
    qb.result.loc[0, "x"] = -1
    pd.testing.assert_frame_equal(events, before)


def test_build_query_is_the_documented_shape():
    assert build_query(users=["a"], pages=["http://h/p"]) == (Q.user == "a") & page("http://h/p")
    assert build_query(start="2026-12-04T19:29:00Z") == (Q.time >= "2026-12-04T19:29:00Z")
    assert apply(SAMPLE, build_query(sessions=[SAMPLE["session"].iloc[0]])).shape[0] > 0


def test_frame_values_equal_the_aggregates_counts():
    from distill import aggregates
    from distill.widgets._catalog import FIELDS, FrameCatalog

    cat = FrameCatalog(SAMPLE)
    for column in FIELDS.values():
        table = aggregates.count_by(SAMPLE, column)
        table = table[table[column].notna()]
        assert cat.values(column) == list(zip(table[column].tolist(), table["count"].tolist())), column


# -- QueryBuilder on an Elasticsearch/OpenSearch source --------------------------------------------
sys.path.insert(0, str(Path(__file__).parent))
import es_support as es  # noqa: E402


@pytest.mark.elasticsearch
def test_query_builder_on_a_search_server(tmp_path):
    pytest.importorskip("osmem_server")
    srv = es.server()
    files = es.write_files(tmp_path)
    local = distill.read(files["shopdemo-4863.ndjson"])
    source = es.make_source("opensearch", srv.url, "userale")
    remote = QueryBuilder(source)
    here = QueryBuilder(local)
    assert remote.result is None  # a source is read only when asked (press Run)
    assert "press Run" not in remote._status.value
    for name in here._selects:
        assert remote._selects[name].options == here._selects[name].options, name
    assert remote._time.options[0][1] == local["time"].min()
    assert remote._time.options[-1][1] == local["time"].max()
    picks = {"users": ["bob"], "types": ["click"], "pages": [BASE + "catalog.html"]}
    remote.pick(**picks)
    here.pick(**picks)
    assert remote.query == here.query and remote.result is None
    remote.run()
    cols = ["event_id", "time", "user", "session", "type", "target", "page_url", "x", "y"]
    assert len(remote.result) == len(here.result) > 0
    for col in cols:
        assert remote.result[col].astype(object).tolist() == here.result[col].astype(object).tolist(), col
    assert QueryBuilder(source, **remote.settings()).query == remote.query


# -- SessionExplorer ------------------------------------------------------------------------------
from distill.widgets import Dashboard, PathGraph, SessionExplorer  # noqa: E402

SESSION_ROWS: dict[str, list[dict]] = {}
for _r in ROWS:
    SESSION_ROWS.setdefault(_r["session"], []).append(_r)
SESSION_USER = {s: Counter(r["user"] for r in rows).most_common(1)[0][0] for s, rows in SESSION_ROWS.items()}


def _drawn_points(ex: SessionExplorer) -> list[tuple]:
    return sorted((pd.Timestamp(x).value, str(y)) for m in ex._figure.marks for x, y in zip(m.x.tolist(), list(m.y)))


def test_explorer_lists_every_session_sorted_and_filtered():
    ex = SessionExplorer(SAMPLE, sort="events", descending=True)
    by_size = sorted(SESSION_ROWS, key=lambda s: (-len(SESSION_ROWS[s]), s))
    assert ex.listed == by_size
    assert ex.listed_table()["events"].tolist() == [len(SESSION_ROWS[s]) for s in by_size]
    ex._filter.value = "ALICE"  # typing in the filter box (case does not matter)
    assert ex.listed == [s for s in by_size if SESSION_USER[s] == "alice"]
    ex._filter.value = ""
    ex._min_events.value = 250
    assert ex.listed == [s for s in by_size if len(SESSION_ROWS[s]) >= 250]
    ex._sort.value = "user"
    ex._descending.value = False
    big = [s for s in sorted(SESSION_ROWS) if len(SESSION_ROWS[s]) >= 250]
    assert ex.listed == sorted(big, key=lambda s: SESSION_USER[s])  # stable: ties keep session order


def test_explorer_selection_and_timeline():
    ex = SessionExplorer(SAMPLE)
    assert ex.selection_query == Query.all() and len(ex.selection) == len(ROWS)
    first, second = ex.listed[3], ex.listed[7]
    seen = []
    ex.on_change(lambda p: seen.append(len(p.selection)))
    ex._list.value = (first, second)  # what picking two rows does
    assert ex.selection_query == Q.session.isin([first, second])
    expected = [r for r in ROWS if r["session"] in (first, second)]
    assert _ids(ex.selection.to_dict("records")) == _ids(expected)
    assert seen == [len(expected)]
    assert _drawn_points(ex) == sorted((r["time"].value, r["type"]) for r in expected)
    assert ex._ys.domain == sorted({r["type"] for r in expected})
    assert "2 of 21 listed sessions picked" in ex._status.value
    ex._y.value = "page"
    assert set(ex._ys.domain) == {_page_of(r["page_url"]) or "(none)" for r in expected}


def test_brushing_narrows_the_selection():
    ex = SessionExplorer(SAMPLE)
    sid = ex.listed[0]
    ex.select([sid])
    rows = SESSION_ROWS[sid]
    lo, hi = rows[10]["time"], rows[60]["time"]
    # what dragging on the timeline does: bqplot reports the range once the drag ends
    ex._brusher.brushing = True
    ex._brusher.selected = np.array([hi.tz_convert(None), lo.tz_convert(None)], dtype="M8[ns]")
    assert len(ex.selection) == len(rows)  # not yet: still dragging
    ex._brusher.brushing = False
    assert ex.selection_query == (Q.session == sid) & Q.time.between(lo, hi)
    assert _ids(ex.selection.to_dict("records")) == _ids([r for r in rows if lo <= r["time"] <= hi])
    assert ex.settings()["start"] == export.plain(lo) and "brushed" in ex._status.value
    ex._brusher.selected = None
    assert ex.selection_query == (Q.session == sid)


def test_filter_without_picks_selects_the_listed_sessions():
    ex = SessionExplorer(SAMPLE, filter="bob")
    bobs = sorted(s for s, u in SESSION_USER.items() if u == "bob")
    assert ex.listed == bobs and ex.selected == []
    assert ex.selection_query == Q.session.isin(bobs)
    assert len(ex.selection) == sum(len(SESSION_ROWS[s]) for s in bobs)
    assert SessionExplorer(SAMPLE, filter="nobody at all").selection.empty


def test_timeline_draws_at_most_max_points():
    ex = SessionExplorer(SAMPLE, max_points=100)
    assert len(_drawn_points(ex)) == len(range(0, len(ROWS), 49))
    assert "every 49th of 4,863" in ex._status.value
    assert len(ex.selection) == len(ROWS)  # the selection keeps every event


@settings(max_examples=15)
@given(
    sort=st.sampled_from(["start", "events", "duration", "user", "session", "pages"]),
    descending=st.booleans(),
    min_events=st.sampled_from([0, 100, 300]),
    k=st.integers(0, 3),
    brush=st.booleans(),
)
def test_explorer_settings_and_code_round_trip(sort, descending, min_events, k, brush):
    ex = SessionExplorer(SAMPLE, sort=sort, descending=descending, min_events=min_events)
    ex.select(ex.listed[:k])
    if brush:
        ex.brush("2026-12-04T19:29:00Z", "2026-12-04T19:30:30.5Z")
    again = SessionExplorer(SAMPLE, **ex.settings())
    assert again.settings() == ex.settings() and again.listed == ex.listed
    assert again.selection_query == ex.selection_query
    namespace = {"events": SAMPLE}
    exec(ex.to_code(), namespace)
    assert namespace["table"].index.tolist() == ex.listed
    pd.testing.assert_frame_equal(namespace["table"], ex.listed_table())
    assert namespace["selection"]["event_id"].tolist() == ex.selection["event_id"].tolist()


def test_explorer_export_and_new_data():
    ex = SessionExplorer(SAMPLE, sort="events", descending=True, sessions=["session_1796412538239"])
    doc = ex.to_dict()
    _validate(doc)
    assert doc["kind"] == "sessions" and doc["meta"]["panel"] == "SessionExplorer"
    assert [r["session"] for r in doc["data"]["records"]] == ex.listed
    assert Query.from_dict(doc["meta"]["selection"]) == ex.selection_query
    assert doc["meta"]["selected_events"] == len(SESSION_ROWS["session_1796412538239"])
    bob = apply(SAMPLE, Q.user == "bob")
    ex.set_events(bob)  # as a query result arrives: the pick is bob's, so it stays
    assert ex.selected == ["session_1796412538239"] and set(ex.listed) == set(bob["session"].unique())
    ex.set_events(apply(SAMPLE, Q.user == "carol"))  # not carol's: dropped
    assert ex.selected == [] and ex.table["user"].unique().tolist() == ["carol"]


def test_explorer_bad_settings_are_named():
    with pytest.raises(ValueError, match="sort must be one of"):
        SessionExplorer(SAMPLE, sort="colour")
    with pytest.raises(ValueError, match="y must be one of"):
        SessionExplorer(SAMPLE, y="colour")
    with pytest.raises(ValueError, match="not listed"):
        SessionExplorer(SAMPLE, filter="alice", sessions=["session_1796412538239"])
    with pytest.raises(ValueError, match="after its end"):
        SessionExplorer(SAMPLE).brush("2026-12-04T19:30:00Z", "2026-12-04T19:29:00Z")


# -- PathGraph ------------------------------------------------------------------------------------
def _page_transitions(rows, drop_self_loops=True) -> Counter:
    """Slow reference: consecutive pages within each session, in frame order, events without a page skipped."""
    out: Counter = Counter()
    for sess_rows in _by_session(rows).values():
        pages = [p for p in (_page_of(r["page_url"]) for r in sess_rows) if p is not None]
        for a, b in pairwise(pages):
            if a != b or not drop_self_loops:
                out[(a, b)] += 1
    return out


def _by_session(rows) -> dict:
    out: dict = {}
    for r in rows:
        if r["session"] is not None and r["session"] == r["session"]:
            out.setdefault(r["session"], []).append(r)
    return out


class _Points:
    def __init__(self, inds):
        self.point_inds = inds


def _edge_count(fig, trace: int) -> int:
    xs = fig.data[trace].x or ()
    return sum(1 for v in xs if v is None)


def test_graph_shows_the_transitions():
    pg = PathGraph(SAMPLE, by="page", top=None, drop_self_loops=False)
    expected = _page_transitions(ROWS, drop_self_loops=False)
    assert {(u, v): d["count"] for u, v, d in pg.graph.edges(data=True)} == dict(expected)
    outs = Counter()
    for (a, _), n in expected.items():
        outs[a] += n
    for u, v, d in pg.graph.edges(data=True):
        assert d["probability"] == pytest.approx(expected[(u, v)] / outs[u])
    fig = pg.figure
    assert len(fig.data[-1].x) == 3 and sorted(fig.data[-1].customdata)[0].startswith("<b>http://127.0.0.1")
    drawn = sum(_edge_count(fig, i) for i in range(4))
    assert drawn == sum(1 for a, b in expected if a != b)  # self loops are not drawn as lines
    assert len(fig.data[6].x) == drawn  # one arrow per drawn edge


def test_sliders_prune_edges_and_keep_positions():
    pg = PathGraph(SAMPLE, top=None)
    full = {(u, v): d["count"] for u, v, d in pg.graph.edges(data=True)}
    pos = dict(zip(pg.graph.nodes, zip(pg.figure.data[-1].x, pg.figure.data[-1].y)))
    pg._min_count.value = 4  # moving the slider
    assert {(u, v): d["count"] for u, v, d in pg.graph.edges(data=True)} == {e: n for e, n in full.items() if n >= 4}
    nodes = pg.figure.data[-1]
    assert len(nodes.x) == pg.graph.number_of_nodes()
    for n, x, y in zip(pg.graph.nodes, nodes.x, nodes.y):
        assert (x, y) == pos[n]  # the layout is computed once
    pg._top.value = 10
    assert pg.graph.number_of_edges() == 10
    assert sorted(d["count"] for *_, d in pg.graph.edges(data=True)) == sorted(n for n in full.values() if n >= 4)[-10:]
    assert "10 edges shown" in pg._status.value
    pg.set(min_count=1, top=None)
    assert pg.graph.number_of_edges() == len(full)


def test_edge_width_follows_the_weight():
    pg = PathGraph(SAMPLE, top=None)
    for weight in ("count", "probability"):
        pg._weight.value = weight
        by_xy = {}
        for cls in range(4):
            xs, ys = pg.figure.data[cls].x, pg.figure.data[cls].y
            for i in range(0, len(xs), 3):
                by_xy[(xs[i], ys[i], xs[i + 1], ys[i + 1])] = cls
        classes: dict[int, list[float]] = {}
        for u, v, d in pg.graph.edges(data=True):
            if u == v:
                continue
            (x0, y0), (x1, y1) = _edge_ends(pg, u, v)
            classes.setdefault(by_xy[(x0, y0, x1, y1)], []).append(d[weight])
        ranks = sorted(classes)
        for lo, hi in pairwise(ranks):
            assert max(classes[lo]) <= min(classes[hi]), weight


def _edge_ends(pg, u, v):
    from distill.widgets.path_graph import _offset

    pos = pg._layout(pg.graph)
    return _offset(pos[u], pos[v])


def test_clicking_a_node_highlights_and_shows_metrics():
    from distill.graphs import click_graph, graph_metrics

    pg = PathGraph(SAMPLE, top=None)
    names = list(pg.graph.nodes)
    node = "input#username"
    pg._clicked(pg.figure.data[-1], _Points([names.index(node)]), None)  # what a click on the node sends
    assert pg.node == node
    ins = [u for u in pg.graph.predecessors(node) if u != node]
    outs = [v for v in pg.graph.successors(node) if v != node]
    assert _edge_count(pg.figure, 4) == len(ins) and _edge_count(pg.figure, 5) == len(outs)
    colours = dict(zip(names, pg.figure.data[-1].marker.color))
    assert colours[node] == "#d62728"
    assert {n for n, c in colours.items() if c == "#ff7f0e"} == set(ins)
    assert {n for n, c in colours.items() if c == "#2ca02c"} == set(outs) - set(ins)
    metrics = graph_metrics(click_graph(SAMPLE, by="target", drop_self_loops=True)).loc[node]
    shown = pg.node_metrics()
    assert shown["pagerank"] == pytest.approx(metrics["pagerank"]) and shown["in_degree"] == metrics["in_degree"]
    assert "input#username" in pg._info.value and f"{metrics['pagerank']:.4f}" in pg._info.value
    pg._clicked(pg.figure.data[-1], _Points([names.index(node)]), None)  # a second click clears
    assert pg.node is None and _edge_count(pg.figure, 4) == 0


@pytest.mark.parametrize("by, depth", [("type", None), ("type_target", None), ("path", 4), ("page", None)])
def test_granularity_is_the_graph_node_key(by, depth):
    from distill.graphs import click_graph

    pg = PathGraph(SAMPLE)
    pg.set(by=by, depth=depth or 3, min_count=2, top=30)
    args = {"by": by, "min_count": 2, "top": 30, "drop_self_loops": True}
    if depth:
        args["depth"] = depth
    expected = click_graph(SAMPLE, **args)
    assert sorted(pg.graph.edges(data="count")) == sorted(expected.edges(data="count"))
    assert pg._depth.disabled is (by != "path")


def test_flows_and_funnel_views():
    from distill.paths import flows, funnel

    pg = PathGraph(SAMPLE, by="page", view="flows", flow_depth=3, flow_top=5)
    expected = flows(SAMPLE, depth=3, top=5, by="page")
    pd.testing.assert_frame_equal(pg.flows, expected)
    sankey = pg.flow_figure.data[0]
    assert sum(sankey.link.value) == int(expected["count"].sum())
    assert pg._flow_out.outputs[0]["data"]["application/vnd.plotly.v1+json"]["data"][0]["type"] == "sankey"
    start = BASE + "catalog.html"
    pg._flow_start.value = start  # picking a start in the dropdown
    pd.testing.assert_frame_equal(pg.flows, flows(SAMPLE, start=start, depth=3, top=5, by="page"))
    steps = ["click button#login-btn.btn-primary", "filterApplied", "click a#to-checkout"]
    pg.set(by="type_target", view="funnel", funnel_steps=steps)
    f = funnel(SAMPLE, steps, by="type_target")
    assert pg.funnel.steps["entered"].tolist() == f.steps["entered"].tolist() == [10, 5, 1]
    assert list(pg.funnel_figure.data[0].x) == [10, 5, 1]
    doc = pg.to_dict()
    _validate(doc)
    assert doc["kind"] == "funnel" and doc["meta"]["settings"]["funnel_steps"] == steps


@settings(max_examples=12)
@given(
    by=st.sampled_from(["target", "page", "type", "type_target"]),
    min_count=st.integers(1, 6),
    top=st.sampled_from([None, 5, 25]),
    weight=st.sampled_from(["count", "probability"]),
    loops=st.booleans(),
    view=st.sampled_from(["graph", "flows"]),
)
def test_graph_settings_and_code_round_trip(by, min_count, top, weight, loops, view):
    pg = PathGraph(SAMPLE, by=by, min_count=min_count, top=top, weight=weight, drop_self_loops=loops, view=view)
    if pg.graph.number_of_nodes():
        pg.select_node(max(pg.graph.nodes, key=lambda n: pg.graph.nodes[n]["count"]))
    again = PathGraph(SAMPLE, **pg.settings())
    assert again.settings() == pg.settings() and again.node == pg.node
    assert sorted(again.graph.edges(data=True)) == sorted(pg.graph.edges(data=True))
    namespace = {"events": SAMPLE}
    exec(pg.to_code(), namespace)
    assert sorted(namespace["graph"].edges(data=True)) == sorted(pg.graph.edges(data=True))
    if pg.node is not None:
        assert namespace["metrics"]["pagerank"] == pytest.approx(pg.node_metrics()["pagerank"])
    if view == "flows":
        pd.testing.assert_frame_equal(namespace["flow"], pg.flows)
    doc = pg.to_dict()
    _validate(doc)
    assert doc["kind"] == ("graph" if view == "graph" else "flows")


def test_graph_export_is_the_graph_shown():
    pg = PathGraph(SAMPLE, min_count=3, node="input#username")
    doc = pg.to_dict()
    _validate(doc)
    assert doc["meta"]["panel"] == "PathGraph" and doc["meta"]["node"]["node"] == "input#username"
    back = export.from_dict(doc)
    assert sorted(back.edges(data="count")) == sorted(pg.graph.edges(data="count"))


def test_narrowed_data_keeps_node_positions():
    pg = PathGraph(SAMPLE, top=None)
    pos = pg._layout(pg.graph).copy()
    bob = apply(SAMPLE, Q.user == "bob")
    pg.set_events(bob)
    assert pg.graph.graph["sessions"] == len({r["session"] for r in ROWS if r["user"] == "bob"})
    for n, x, y in zip(pg.graph.nodes, pg.figure.data[-1].x, pg.figure.data[-1].y):
        assert (x, y) == pos[n]


def test_quiet_nodes_sit_on_the_outer_ring():
    pg = PathGraph(SAMPLE, top=None, layout_nodes=10)
    pos = pg._layout(pg.graph)
    counts = sorted(pg.graph.nodes(data="count"), key=lambda t: (-t[1], str(t[0])))
    for n, _ in counts[10:]:
        assert np.hypot(pos[n][0] / 1.6, pos[n][1]) == pytest.approx(1.5)
    assert all(abs(pos[n][0]) <= 1.6 + 1e-9 and abs(pos[n][1]) <= 1.0 + 1e-9 for n, _ in counts[:10])


def test_graph_bad_settings_are_named():
    with pytest.raises(ValueError, match="by must be one of"):
        PathGraph(SAMPLE, by="colour")
    with pytest.raises(ValueError, match="weight must be one of"):
        PathGraph(SAMPLE, weight="colour")
    with pytest.raises(ValueError, match="no setting"):
        PathGraph(SAMPLE).set(colour=1)
    with pytest.raises(KeyError, match="not a node"):
        PathGraph(SAMPLE).select_node("nothing#here")


# -- Dashboard ------------------------------------------------------------------------------------
def test_dashboard_links_query_sessions_and_graph():
    from distill.graphs import click_graph

    dash = Dashboard(SAMPLE)
    dash.query_builder._selects["users"].value = ("erin",)
    erin = [r for r in ROWS if r["user"] == "erin"]
    erin_sessions = sorted({r["session"] for r in erin})
    assert dash.session_explorer.listed == sorted(erin_sessions, key=lambda s: SESSION_ROWS[s][0]["time"])
    assert dash.path_graph.graph.graph["sessions"] == len(erin_sessions)
    graph_of = dict(dash.path_graph.options)
    expected = click_graph(apply(SAMPLE, Q.user == "erin"), **graph_of)
    assert sorted(dash.path_graph.graph.edges(data=True)) == sorted(expected.edges(data=True))
    # picking a session and brushing narrow the graph further
    sid = erin_sessions[0]
    dash.session_explorer.select([sid])
    dash.session_explorer.brush(SESSION_ROWS[sid][5]["time"], SESSION_ROWS[sid][80]["time"])
    assert len(dash.selection) == 76
    expected = click_graph(dash.selection, **graph_of)
    assert sorted(dash.path_graph.graph.edges(data=True)) == sorted(expected.edges(data=True))
    # the graph keeps the layout of the whole frame
    whole = PathGraph(SAMPLE)._layout(click_graph(SAMPLE, by="target", drop_self_loops=True))
    for n, x, y in zip(
        dash.path_graph.graph.nodes, dash.path_graph.figure.data[-1].x, dash.path_graph.figure.data[-1].y
    ):
        assert (x, y) == whole[n]


def test_dashboard_round_trips_and_exports():
    dash = Dashboard(SAMPLE, query={"types": ["click", "input"]}, graph={"by": "type_target", "top": 20})
    dash.session_explorer.select(dash.session_explorer.listed[:3])
    dash.path_graph.set(min_count=2)
    settings = dash.settings()
    assert settings["query"] == {"types": ["click", "input"]}
    again = Dashboard(SAMPLE, **settings)
    assert again.settings() == settings
    assert sorted(again.path_graph.graph.edges(data=True)) == sorted(dash.path_graph.graph.edges(data=True))
    namespace = {"events": SAMPLE}
    exec(dash.to_code(), namespace)
    assert namespace["query"] == dash.query_builder.query
    assert sorted(namespace["graph"].edges(data=True)) == sorted(dash.path_graph.graph.edges(data=True))
    doc = dash.to_dict(limit=5)
    _validate(doc)
    assert doc["kind"] == "dashboard" and doc["meta"]["settings"] == settings
    for part, kind in (("query", "events"), ("sessions", "sessions"), ("graph", "graph")):
        _validate(doc["data"][part])
        assert doc["data"][part]["kind"] == kind
    assert json.loads(dash.to_json())["data"]["graph"]["meta"]["panel"] == "PathGraph"


def test_panels_do_not_change_their_input():
    events = SAMPLE.copy()
    before = events.copy()
    dash = Dashboard(events)
    dash.query_builder.pick(users=["bob"])
    dash.session_explorer.select(dash.session_explorer.listed[:1])
    dash.path_graph.set(by="page", view="flows")
    pd.testing.assert_frame_equal(events, before)


def test_flow_and_funnel_errors_show_in_the_panel():
    pg = PathGraph(SAMPLE, by="page", view="funnel", funnel_steps=["no-such-page"])
    assert pg.funnel is None and "not a node" in pg._funnel_status.value
    with pytest.raises(ValueError, match="no steps"):
        pg.to_dict()
    pg.set(funnel_steps=[BASE + "index.html", BASE + "checkout.html"])
    assert pg.funnel.steps["entered"].tolist()[0] == len(
        {r["session"] for r in ROWS if _page_of(r["page_url"]) == BASE + "index.html"}
    )


def test_a_query_change_updates_the_graph_once():
    dash = Dashboard(SAMPLE)
    updates = []
    dash.path_graph.on_change(lambda p: updates.append(p.graph.graph["sessions"]))
    dash.query_builder.pick(users=["bob"])
    assert updates == [2]
    dash.session_explorer.select(dash.session_explorer.listed[:1])
    assert updates == [2, 1]
    dash.query_builder.pick(types=["click"])  # bob's clicks: the picked session stays picked
    assert updates == [2, 1, 1] and set(dash.selection["type"]) == {"click"}


# -- Binder and conda ------------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent


def _names(requirements) -> set[str]:
    import re

    return {re.split(r"[<>=!~;\[ ]", r.strip(), maxsplit=1)[0].lower() for r in requirements if r.strip()}


def test_binder_and_conda_environments_cover_the_package():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    import yaml

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = _names(project["dependencies"]) | _names(project["optional-dependencies"]["widgets"])
    binder = [
        line for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines() if not line.startswith("#")
    ]
    assert needed <= _names(binder), needed - _names(binder)
    assert {"jupyterlab", "voila"} <= _names(binder)
    post = ROOT / "binder" / "postBuild"
    assert post.stat().st_mode & 0o111, "binder/postBuild must be executable"
    assert "pip install --no-deps ." in post.read_text()
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert needed <= _names(conda) | {"tomli"}, needed - _names(conda)
    assert "-e ." in pip and "conda-forge" in env["channels"]
