"""The ``distill`` command: the library's export on stdout, one-line errors, a progress bar."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import distill
from distill import graphs, sessions
from distill.cli import ProgressBar, main
from distill.filters import redact
from distill.query import Q, apply

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    """The sample as a plain NDJSON file, as UserALE sent it."""
    path = tmp_path_factory.mktemp("cli") / "shop.ndjson"
    path.write_bytes(gzip.decompress(distill.datasets.sample_path().read_bytes()))
    return path


@pytest.fixture(scope="module")
def events(logs):
    return distill.read(logs)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys, *argv: str) -> dict:
    code, out, err = _run(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


def test_summary_equals_the_library(capsys, logs, events):
    assert _json(capsys, "summary", str(logs)) == distill.to_dict(distill.summary(redact(events)))
    assert _json(capsys, "summary", str(logs), "--no-redact") == distill.to_dict(distill.summary(events))
    assert _json(capsys, "summary", "--sample") == distill.to_dict(
        distill.summary(redact(distill.datasets.load_sample()))
    )


def test_sessions_equal_the_library(capsys, logs, events):
    got = _json(capsys, "sessions", str(logs), "--by", "logged", "gap", "--gap", "20s", "--idle", "5s")
    expected = sessions.session_table(sessions.sessionize(redact(events), ["logged", "gap"], gap="20s"), idle="5s")
    assert got == distill.to_dict(expected)
    where = json.dumps((Q.user == "bob").to_dict())
    got = _json(capsys, "sessions", str(logs), "--where", where)
    assert got == distill.to_dict(sessions.session_table(apply(redact(events), Q.user == "bob")))


def test_graph_json_graphml_html(capsys, logs, events, tmp_path):
    expected = graphs.click_graph(redact(events), "page", min_count=2, start_end=False, drop_self_loops=False)
    got = _json(capsys, "graph", str(logs), "--by", "page", "--min-count", "2")
    assert got == distill.to_dict(expected)

    out = tmp_path / "g.graphml"
    code, _, err = _run(
        capsys, "graph", str(logs), "--by", "target", "--top", "20", "--format", "graphml", "-o", str(out)
    )
    assert code == 0, err
    back = nx.read_graphml(out)
    g = graphs.click_graph(redact(events), "target", top=20)
    assert back.number_of_nodes() == g.number_of_nodes() and back.number_of_edges() == g.number_of_edges()
    for u, v, d in g.edges(data=True):
        assert back[u][v]["count"] == d["count"] and back[u][v]["probability"] == pytest.approx(d["probability"])
    assert back.graph["pruned_edges"] == g.graph["pruned_edges"] > 0 and back.graph["by"] == "target"

    page = tmp_path / "g.html"
    code, _, err = _run(capsys, "graph", str(logs), "--by", "page", "--format", "html", "-o", str(page))
    assert code == 0, err
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and text.count("<line") + text.count("<circle") > 3
    embedded = text.split('id="distill-export">', 1)[1].split("</script>", 1)[0].replace("<\\/", "</")
    assert json.loads(embedded) == distill.to_dict(graphs.click_graph(redact(events), "page"))


def test_query_file_stdin_paging_and_output(capsys, logs, events, tmp_path, monkeypatch):
    q = Q.type.isin(["submit", "change"]) & (Q.user != "alice")
    qfile = tmp_path / "q.json"
    qfile.write_text(q.to_json())
    found = apply(redact(events), q)
    assert _json(capsys, "query", str(logs), "--query", str(qfile)) == distill.to_dict(
        found, meta={"query": q.to_dict()}
    )
    got = _json(capsys, "query", str(logs), "--query", str(qfile), "--offset", "5", "--limit", "10")
    meta = {"query": q.to_dict(), "offset": 5, "limit": 10, "total": len(found)}
    assert got == distill.to_dict(found.iloc[5:15], meta=meta)
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(q.to_json()))
    assert _json(capsys, "query", str(logs), "--query", "-", "--limit", "3")["meta"]["limit"] == 3
    out = tmp_path / "found.json"
    code, stdout, _ = _run(capsys, "query", str(logs), "--query", q.to_json(), "-o", str(out), "--indent", "2")
    assert code == 0 and stdout == "" and json.loads(out.read_text())["meta"]["rows"] == len(found)
    assert "\n  " in out.read_text()


def test_typed_values_are_redacted_unless_asked(capsys, logs):
    q = Q.details.contains("hunter2").to_json()
    code, out, _ = _run(capsys, "query", str(logs), "--query", q)
    assert code == 0 and json.loads(out)["meta"]["rows"] == 0
    code, out, _ = _run(capsys, "query", str(logs), "--query", Q.type.isin(["change", "keydown"]).to_json())
    assert code == 0 and json.loads(out)["meta"]["rows"] > 500 and "hunter2" not in out
    code, out, _ = _run(capsys, "query", str(logs), "--query", q, "--no-redact")
    assert code == 0 and "hunter2" in out


def test_configured_source(capsys, logs, events, tmp_path):
    config = tmp_path / "service.yaml"
    config.write_text(f"sources:\n  shop:\n    paths: ['{logs}']\n")
    got = _json(capsys, "summary", "--config", str(config), "--source", "shop")
    assert got == distill.to_dict(distill.summary(redact(events)))
    code, _, err = _run(capsys, "summary", "--config", str(config), "--source", "nope")
    assert code == 1 and "no source named 'nope'" in err


def test_progress_bar(capsys, logs):
    code, _, err = _run(capsys, "summary", str(logs), "--progress", "always")
    assert code == 0 and "100%" in err and "MB" in err and "shop.ndjson" in err and err.endswith("\n")
    code, _, err = _run(capsys, "summary", str(logs), "--progress", "never")
    assert code == 0 and err == ""


def test_progress_bar_waits_for_long_reads_and_counts_documents():
    import io

    out = io.StringIO()
    bar = ProgressBar(out, delay=60)
    bar(10, 100, "a")
    bar.close()
    assert out.getvalue() == ""
    bar = ProgressBar(out, delay=0, unit="documents")
    bar(2500, 10000, "userale-*")
    bar.close()
    assert "25%" in out.getvalue() and "2,500/10,000 documents userale-*" in out.getvalue()


def test_rejected_records_are_one_warning_line(capsys, tmp_path, logs):
    bad = tmp_path / "bad.ndjson"
    lines = logs.read_text().splitlines()[:20]
    bad.write_text("\n".join([*lines, "{not json", '{"type": "click"}']) + "\n")
    code, out, err = _run(capsys, "summary", str(bad))
    assert code == 0 and json.loads(out)["data"]["events"] == 20
    assert err.startswith("distill: warning:") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "words", "status"),
    [
        (["summary", "/no/such/file.ndjson"], "no such file", 1),
        (["summary"], "give event files", 1),
        (["query", "--sample", "--query", "{broken"], "not valid JSON", 1),
        (["query", "--sample", "--query", '{"field": "type", "op": "like", "value": 1}'], "unknown operator", 1),
        (["query", "--sample", "--query", '{"field": "nope", "op": "eq", "value": 1}'], "nope", 1),
        (["graph", "--sample", "--by", "no_column"], "no_column", 1),
        (["graph", "--sample", "--min-count", "0"], "--min-count", 2),
        (["graph", "--sample", "--format", "pdf"], "invalid choice", 2),
        (["sessions", "--sample", "--by", "gap", "--gap", "soon"], "gap", 1),
        (["summary", "--sample", "-o", "/no/such/dir/out.json"], "--output", 1),
        (["nosuchcommand"], "invalid choice", 2),
    ],
)
def test_bad_input_is_one_line(capsys, argv, words, status):
    code, _, err = _run(capsys, *argv)
    assert code == status, err
    if status:
        assert err.count("\n") == 1 and err.startswith("distill") and words in err
        assert "Traceback" not in err


def test_empty_directory_and_unparsable_schema(capsys, tmp_path):
    code, _, err = _run(capsys, "summary", str(tmp_path))
    assert code == 1 and "no event files" in err and err.count("\n") == 1
    (tmp_path / "x.ndjson").write_text("{}\n")
    code, _, err = _run(capsys, "summary", str(tmp_path / "x.ndjson"), "--schema", str(tmp_path / "missing.yaml"))
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err


def test_demo(capsys, tmp_path):
    code, out, err = _run(capsys, "demo", "-o", str(tmp_path / "demo"))
    assert code == 0, err
    assert "4,863 events, 8 users, 21 sessions" in out and "hunter2" not in out
    written = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert written == ["graph.html", "graph.json", "sessions.json", "summary.json"]
    assert json.loads((tmp_path / "demo" / "summary.json").read_text())["data"]["events"] == 4863


def test_the_installed_command(logs):
    exe = shutil.which("distill", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("the distill console script is not installed in this environment")
    out = subprocess.run([exe, "summary", str(logs)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and json.loads(out.stdout)["data"]["events"] == 4863
    out = subprocess.run([exe, "summary", str(logs) + ".missing"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == f"distill {distill.__version__}"
