"""distill.graphs: click-path graphs, transition matrices, graph metrics, graph features.

Expected values come from a slow reference that walks each session event by
event (written here from the documented rules), from networkx itself, and
from the ShopDemo driver's page flow (login page -> catalog -> checkout).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict

import jsonschema
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill import export, graphs
from distill.errors import FrameError

FIXTURE = "sample_data_multiusers.json"


def _valid(doc):
    jsonschema.validate(doc, export.json_schema())
    return doc


def _text(v):
    return None if v is None or (not isinstance(v, (str, tuple)) and pd.isna(v)) else v


def ref_nodes(events, by):
    out = []
    for row in events.itertuples(index=False):
        if by == "target":
            out.append(_text(row.target))
        elif by == "type":
            out.append(_text(row.type))
        elif by == "page":
            url = _text(row.page_url)
            out.append(None if url is None else url.split("#")[0].split("?")[0])
        elif by == "type_target":
            t, g = _text(row.type), _text(row.target)
            out.append(None if t is None else (t if g is None else f"{t} {g}"))
        else:
            raise AssertionError(by)
    return out


def ref_sequences(events, by, session="session"):
    """session -> list of (node, user) in (time, frame order), skipping events without node/session."""
    nodes = ref_nodes(events, by)
    order = sorted(range(len(events)), key=lambda i: (events["time"].iloc[i].value, i))
    seqs = defaultdict(list)
    sess = events[session].astype(object).tolist()
    users = events["user"].astype(object).tolist()
    for i in order:
        if _text(sess[i]) is None or nodes[i] is None:
            continue
        seqs[sess[i]].append((nodes[i], _text(users[i])))
    return seqs


def ref_graph(events, by, *, start_end=False, drop_self_loops=False):
    seqs = ref_sequences(events, by)
    edges = Counter()
    count = Counter()
    sessions = defaultdict(set)
    users = defaultdict(set)
    for sid, seq in seqs.items():
        for node, user in seq:
            count[node] += 1
            sessions[node].add(sid)
            if user is not None:
                users[node].add(user)
        path = [n for n, _ in seq]
        if start_end:
            path = [graphs.START, *path, graphs.END]
        for a, b in itertools.pairwise(path):
            if drop_self_loops and a == b:
                continue
            edges[(a, b)] += 1
    out = Counter()
    for (a, _b), c in edges.items():
        out[a] += c
    prob = {e: c / out[e[0]] for e, c in edges.items()}
    return edges, prob, count, sessions, users


@pytest.fixture(scope="module")
def multi(data_dir):
    return distill.read(data_dir / FIXTURE)


# -- click graph ---------------------------------------------------------------------------------
@pytest.mark.parametrize("by", ["target", "page", "type", "type_target"])
@pytest.mark.parametrize("start_end", [False, True])
def test_click_graph_matches_reference(sample, multi, by, start_end):
    for events in (sample, multi):
        g = graphs.click_graph(events, by, start_end=start_end)
        edges, prob, count, sessions, users = ref_graph(events, by, start_end=start_end)
        assert {(u, v): d["count"] for u, v, d in g.edges(data=True)} == dict(edges)
        for u, v, d in g.edges(data=True):
            assert d["probability"] == pytest.approx(prob[(u, v)], rel=1e-12)
        real = [n for n, d in g.nodes(data=True) if not d["synthetic"]]
        assert sorted(real) == sorted(count)
        for n in real:
            assert g.nodes[n]["count"] == count[n]
            assert g.nodes[n]["sessions"] == len(sessions[n])
            assert g.nodes[n]["users"] == len(users[n])
        if start_end:
            n_sess = len(ref_sequences(events, by))
            assert g.nodes[graphs.START]["count"] == n_sess == g.out_degree(graphs.START, weight="count")
            assert g.in_degree(graphs.END, weight="count") == n_sess


def test_click_graph_drop_self_loops_matches_reference(sample):
    g = graphs.click_graph(sample, "target", drop_self_loops=True)
    edges, _prob, *_ = ref_graph(sample, "target", drop_self_loops=True)
    assert {(u, v): d["count"] for u, v, d in g.edges(data=True)} == dict(edges)
    assert nx.number_of_selfloops(g) == 0
    plain = graphs.click_graph(sample, "target")
    loops = sum(d["count"] for u, v, d in plain.edges(data=True) if u == v)
    assert g.graph["self_loops_dropped"] == loops
    for node in g:
        out = [d["probability"] for _, _, d in g.out_edges(node, data=True)]
        assert not out or math.isclose(sum(out), 1.0)


def test_page_graph_is_interpretable_login_catalog_checkout(sample):
    """The busiest page moves are the shop's flow: login page (index) -> catalog -> checkout."""
    g = graphs.click_graph(sample, by="page", drop_self_loops=True)
    short = {n: n.rsplit("/", 1)[1] for n in g}
    busiest = sorted(g.edges(data="count"), key=lambda e: -e[2])
    top2 = [(short[u], short[v]) for u, v, _ in busiest[:2]]
    assert top2 == [("index.html", "catalog.html"), ("catalog.html", "checkout.html")]
    # every session that starts on the login page goes to the catalog next
    assert g["http://127.0.0.1:8765/index.html"]["http://127.0.0.1:8765/catalog.html"]["probability"] == 1.0
    # and the driver's own record agrees: sessions whose actions reach checkout.html
    driver = distill.datasets.driver_summary()["summary"]
    with_checkout = sum(any(a[1] == "/checkout.html" for a in s["actions"]) for s in driver)
    to_checkout = sum(d["count"] for u, v, d in g.edges(data=True) if short[v] == "checkout.html")
    assert to_checkout >= with_checkout > 0


def test_click_graph_metadata_says_what_was_skipped(sample):
    g = graphs.click_graph(sample)
    no_target = int(sample["target"].isna().sum())
    assert g.graph["distill_kind"] == "graph" and g.graph["by"] == "target"
    assert g.graph["without_node"] == no_target == 85
    assert g.graph["events_used"] == len(sample) - no_target
    assert g.graph["sessions"] == 21
    assert g.graph["transitions"] == g.graph["events_used"] - 21
    assert sum(d["count"] for *_, d in g.edges(data=True)) == g.graph["transitions"]


def test_click_graph_pruning(sample):
    full = graphs.click_graph(sample, "target")
    counts = sorted((d["count"] for *_, d in full.edges(data=True)), reverse=True)
    pruned = graphs.click_graph(sample, "target", min_count=5)
    assert all(d["count"] >= 5 for *_, d in pruned.edges(data=True))
    assert pruned.number_of_edges() == sum(c >= 5 for c in counts)
    assert pruned.graph["pruned_edges"] == full.number_of_edges() - pruned.number_of_edges()
    # probabilities are those of the full chain; nodes without edges are gone
    for u, v, d in pruned.edges(data=True):
        assert d["probability"] == full[u][v]["probability"]
    assert all(pruned.degree(n) > 0 for n in pruned)
    assert pruned.graph["pruned_nodes"] == full.number_of_nodes() - pruned.number_of_nodes()
    top = graphs.click_graph(sample, "target", top=7)
    assert top.number_of_edges() == 7
    assert sorted((d["count"] for *_, d in top.edges(data=True)), reverse=True) == counts[:7]


def test_click_graph_on_unsorted_frames_and_other_sessions(sample):
    shuffled = sample.sample(frac=1, random_state=3).reset_index(drop=True)
    g = graphs.click_graph(shuffled, "page")
    edges, *_ = ref_graph(shuffled, "page")
    assert {(u, v): d["count"] for u, v, d in g.edges(data=True)} == dict(edges)
    # per user instead of per session: transitions cross the user's sessions
    by_user = graphs.click_graph(sample, "page", session="user")
    assert by_user.graph["sessions"] == 8
    assert by_user.graph["transitions"] == len(sample) - 8


def test_click_graph_roll_up_and_custom_column(sample):
    g = graphs.click_graph(sample, "path", depth=4)
    assert "form#checkout-form" in g and "div#filters" in g
    g2 = graphs.click_graph(sample, ("path", 4))
    assert nx.utils.graphs_equal(g, g2)
    series = distill.features.node_key(sample, "path", depth=4)
    g3 = graphs.click_graph(sample.assign(area=series), "area")
    assert {(u, v): d["count"] for u, v, d in g3.edges(data=True)} == {
        (u, v): d["count"] for u, v, d in g.edges(data=True)
    }


def test_click_graph_errors(sample):
    with pytest.raises(FrameError, match="session"):
        graphs.click_graph(sample.drop(columns="session"))
    with pytest.raises(ValueError, match="min_count"):
        graphs.click_graph(sample, min_count=0)
    with pytest.raises(ValueError, match="top"):
        graphs.click_graph(sample, top=-1)
    clash = sample.assign(target=sample["target"].cat.rename_categories({"body": graphs.START}))
    with pytest.raises(ValueError, match="start"):
        graphs.click_graph(clash, start_end=True)


def test_click_graph_empty_and_tiny():
    empty = distill.frame.empty()
    g = graphs.click_graph(empty, start_end=True)
    assert g.number_of_nodes() == 0 and g.graph["events"] == 0
    _valid(distill.to_dict(g))


def test_click_graph_exports_and_round_trips(sample):
    g = graphs.click_graph(sample, "page", start_end=True)
    doc = _valid(distill.to_dict(g))
    assert doc["kind"] == "graph" and doc["data"]["graph"]["by"] == "page"
    back = distill.from_dict(doc)
    assert {(u, v): d["count"] for u, v, d in back.edges(data=True)} == {
        (u, v): d["count"] for u, v, d in g.edges(data=True)
    }


# -- hypothesis: small random frames ------------------------------------------------------------
_TARGETS = ["a", "b", "c", "d", None]


@st.composite
def small_frames(draw):
    n = draw(st.integers(0, 40))
    rows = []
    for i in range(n):
        rows.append(
            {
                "time": pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(draw(st.integers(0, 30)), "s"),
                "session": draw(st.sampled_from(["s1", "s2", "s3", None])),
                "user": draw(st.sampled_from(["u1", "u2", None])),
                "target": draw(st.sampled_from(_TARGETS)),
                "type": draw(st.sampled_from(["click", "input"])),
                "event_id": f"e{i}",
            }
        )
    frame = pd.DataFrame(rows, columns=["time", "session", "user", "target", "type", "event_id"])
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    for col in ("session", "user", "target", "type"):
        frame[col] = frame[col].astype("category")
    if draw(st.booleans()):
        frame = frame.sort_values("time", kind="stable").reset_index(drop=True)
    return frame


@settings(max_examples=120)
@given(small_frames(), st.booleans(), st.booleans())
def test_graph_invariants(frame, start_end, drop_self_loops):
    before = frame.copy(deep=True)
    g = graphs.click_graph(frame, start_end=start_end, drop_self_loops=drop_self_loops)
    pd.testing.assert_frame_equal(frame, before)  # input never mutated
    edges, _prob, _count, *_ = ref_graph(frame, "target", start_end=start_end, drop_self_loops=drop_self_loops)
    assert {(u, v): d["count"] for u, v, d in g.edges(data=True)} == dict(edges)
    # probabilities out of every node with successors sum to 1
    for node in g:
        out = [d["probability"] for _, _, d in g.out_edges(node, data=True)]
        assert not out or math.isclose(sum(out), 1.0, rel_tol=1e-12)
    # edge counts sum to the consecutive within-session pairs
    seqs = ref_sequences(frame, "target")
    pairs = sum(max(len(s) - 1, 0) for s in seqs.values())
    assert g.graph["transitions"] == pairs
    real_edges = sum(d["count"] for u, v, d in g.edges(data=True) if graphs.START not in (u,) and v != graphs.END)
    assert real_edges == pairs - g.graph["self_loops_dropped"]
    assert g.graph["without_node"] + g.graph["without_session"] + g.graph["events_used"] == len(frame)
    m = graphs.transition_matrix(g)
    rows = m.sum(axis=1)
    assert np.allclose(rows[[g.out_degree(n) > 0 for n in m.index]], 1.0)


# -- transition matrix ----------------------------------------------------------------------------
def test_transition_matrix_matches_graph(sample):
    g = graphs.click_graph(sample, "type", start_end=True)
    prob = graphs.transition_matrix(g)
    counts = graphs.transition_matrix(g, normalize=False)
    assert list(prob.index) == list(g.nodes) == list(prob.columns)
    for u in g:
        for v in g:
            want = g[u][v] if g.has_edge(u, v) else {"count": 0, "probability": 0.0}
            assert counts.loc[u, v] == want["count"]
            assert prob.loc[u, v] == want["probability"]
    assert counts.to_numpy().dtype == np.int64
    assert np.allclose(prob.drop(index=graphs.END).sum(axis=1), 1.0)
    assert prob.attrs["distill_kind"] == "matrix"
    pd.testing.assert_frame_equal(graphs.transition_matrix(sample, by="type", start_end=True), prob)
    _valid(distill.to_dict(prob))


def test_transition_matrix_of_a_pruned_or_foreign_graph(sample):
    pruned = graphs.click_graph(sample, "type", top=5)
    m = graphs.transition_matrix(pruned)
    assert (m.sum(axis=1) <= 1 + 1e-12).all()
    foreign = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "c")])
    fm = graphs.transition_matrix(foreign)
    assert fm.loc["a", "b"] == 0.5 and fm.loc["b", "c"] == 1.0
    with pytest.raises(TypeError, match="options"):
        graphs.transition_matrix(pruned, by="page")
    with pytest.raises(TypeError, match="expected"):
        graphs.transition_matrix([1, 2])


# -- metrics ----------------------------------------------------------------------------------------
def _pagerank_reference(g):
    """PageRank as the stationary vector of networkx's Google matrix (numpy eigenvectors)."""
    gm = nx.google_matrix(g, alpha=0.85, weight="count")
    vals, vecs = np.linalg.eig(gm.T)
    v = np.real(vecs[:, np.argmax(np.real(vals))])
    v = v / v.sum()
    return dict(zip(g.nodes, v))


@pytest.mark.parametrize("by", ["page", "type", "target"])
def test_graph_metrics_match_networkx(sample, by):
    g = graphs.click_graph(sample, by, start_end=True)
    m = graphs.graph_metrics(g)
    pr = _pagerank_reference(g)
    bc = nx.betweenness_centrality(g)
    cc = nx.closeness_centrality(g)
    for n in g:
        row = m.loc[n]
        assert row["in_degree"] == g.in_degree(n) and row["out_degree"] == g.out_degree(n)
        assert row["in_weight"] == g.in_degree(n, weight="count")
        assert row["out_weight"] == g.out_degree(n, weight="count")
        assert row["self_loop"] == (g[n][n]["count"] if g.has_edge(n, n) else 0)
        assert row["pagerank"] == pytest.approx(pr[n], abs=1e-8)
        assert row["betweenness"] == pytest.approx(bc[n])
        assert row["closeness"] == pytest.approx(cc[n])
        assert row["count"] == g.nodes[n]["count"]
    assert m["pagerank"].sum() == pytest.approx(1.0)
    assert m.attrs["distill_kind"] == "table"
    _valid(distill.to_dict(m))


def test_graph_metrics_from_events_and_empty(sample):
    m = graphs.graph_metrics(sample, by="page", drop_self_loops=True)
    assert m["pagerank"].idxmax().endswith("catalog.html")
    empty = graphs.graph_metrics(nx.DiGraph())
    assert len(empty) == 0
    sampled = graphs.graph_metrics(sample, betweenness_k=10)
    assert sampled["betweenness"].notna().all()


# -- graph features ---------------------------------------------------------------------------------
def _entropy(edges: Counter) -> float:
    total = sum(edges.values())
    out = Counter()
    for (a, _), c in edges.items():
        out[a] += c
    return -sum(c / total * math.log2(c / out[a]) for (a, _), c in edges.items()) if total else 0.0


@pytest.mark.parametrize(("per", "by"), [("session", "target"), ("user", "page"), ("user", "type_target")])
def test_graph_features_match_per_group_graphs(sample, multi, per, by):
    for events in (sample, multi):
        got = graphs.graph_features(events, per, by)
        seqs = ref_sequences(events, by)
        group_of = {}
        for s, u in zip(events["session"].astype(object), events[per].astype(object)):
            group_of[s] = u
        groups = defaultdict(list)
        for sid, seq in seqs.items():
            groups[group_of[sid]].append([n for n, _ in seq])
        assert len(got) == len({g for g in events[per].astype(object)})
        for g, paths in groups.items():
            edges = Counter()
            nodes = Counter()
            for path in paths:
                nodes.update(path)
                edges.update(itertools.pairwise(path))
            graph = nx.DiGraph()
            graph.add_nodes_from(nodes)
            graph.add_edges_from(edges)
            row = got.loc[g]
            assert row["events"] == sum(nodes.values())
            assert row["nodes"] == graph.number_of_nodes()
            assert row["edges"] == graph.number_of_edges()
            assert row["transitions"] == sum(edges.values())
            assert row["self_loops"] == sum(c for (a, b), c in edges.items() if a == b)
            assert row["revisits"] == sum(nodes.values()) - len(nodes)
            assert row["density"] == pytest.approx(nx.density(graph))
            assert row["mean_out_degree"] == pytest.approx(graph.number_of_edges() / max(len(nodes), 1))
            assert row["entropy"] == pytest.approx(_entropy(edges), abs=1e-12)
        assert got.attrs["distill_kind"] == "features"
        _valid(distill.to_dict(got))


def test_graph_features_hand_worked():
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    frame = pd.DataFrame(
        {
            "time": [t0 + pd.Timedelta(seconds=i) for i in range(6)],
            "session": pd.Categorical(["s", "s", "s", "s", "r", "r"]),
            "target": pd.Categorical(["a", "b", "a", "c", "x", "x"]),
        }
    )
    got = graphs.graph_features(frame)
    # s: a->b, b->a, a->c: a leaves twice (to b and c: 1 bit), b once (0 bits) -> 2/3 bit
    s = got.loc["s"]
    assert (s["events"], s["nodes"], s["transitions"], s["edges"], s["revisits"]) == (4, 3, 3, 3, 1)
    assert s["entropy"] == pytest.approx(2 / 3)
    assert s["density"] == pytest.approx(3 / 6)
    r = got.loc["r"]
    assert (r["nodes"], r["self_loops"], r["entropy"], r["density"]) == (1, 1, 0.0, 0.0)


# -- accessor --------------------------------------------------------------------------------------
def test_accessor_methods_delegate(sample):
    acc = sample.distill
    assert nx.utils.graphs_equal(acc.click_graph("page"), graphs.click_graph(sample, "page"))
    assert acc.click_graph("page").graph == graphs.click_graph(sample, "page").graph
    pd.testing.assert_frame_equal(acc.transition_matrix(by="type"), graphs.transition_matrix(sample, by="type"))
    pd.testing.assert_frame_equal(acc.graph_metrics(by="page"), graphs.graph_metrics(sample, by="page"))
    pd.testing.assert_frame_equal(acc.graph_features("user", "page"), graphs.graph_features(sample, "user", "page"))
