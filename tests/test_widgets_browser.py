"""The panels in a real browser: JupyterLab and Voila serve notebooks/04-panels.ipynb to Debian's Chromium.

JupyterLab runs headless on 127.0.0.1 (free port, token, temporary runtime,
settings and workspace folders) on a copy of the notebook; Playwright drives
/usr/bin/chromium (never a downloaded browser), runs all cells, then uses the
panels as a person would and checks what the page shows. Screenshots go to
test-output/ for people to look at. A widget that fails to render ("Error
displaying widget", "model not found") or a cell that raises fails the test.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "04-panels.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BIN = Path(sys.executable).parent
#: anywidget (which plotly's FigureWidget is built on) rejects a promise when a model is not ready
#: within 2 s (``AbortSignal.timeout(2000)`` in its runtime); loading plotly.js for a figure on a busy
#: machine can take longer, and the figure then still draws. Tolerated because the tests check that
#: every figure drew; any other page error fails.
KNOWN_PAGE_ERRORS = ("[anywidget] Failed to initialize model.",)
RENDER_ERRORS = ("Error displaying widget", "model not found", "Failed to load model class")
TIMEOUT = 90_000  # ms, for kernel start and running the whole notebook


def _need() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    for module in ("playwright", "jupyterlab", "voila", "ipywidgets", "plotly", "bqplot"):
        try:
            __import__(module)
        except ImportError:
            pytest.skip(f"browser tests need the Python package {module!r}")
    for exe in ("jupyter-lab", "voila"):
        if not (BIN / exe).exists():
            pytest.skip(f"browser tests need the {exe!r} command next to {sys.executable}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serve(cmd: list[str], ready_url: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server in its own process group (in the log's folder, so no stray config file is read),
    wait until ``ready_url`` answers, stop it afterwards."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(ready_url, timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # the server answers (a 403 or 404 is an answer)
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{cmd[0]} did not answer at {ready_url}:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.3)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _jupyter_env(base: Path) -> dict[str, str]:
    """Environment with private runtime, config, settings and workspace folders."""
    runtime, config, settings, workspaces = (base / n for n in ("runtime", "config", "settings", "workspaces"))
    for d in (runtime, config, workspaces):
        d.mkdir(parents=True, exist_ok=True)
    # render every cell (no windowing), no news or update checks
    for ext, body in {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        path = settings / f"{ext}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body))
    env = dict(os.environ)
    env.update(
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(workspaces),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
    )
    return env


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need()
    base = tmp_path_factory.mktemp("panels-browser")
    (base / "notebooks").mkdir()
    shutil.copy(NOTEBOOK, base / "notebooks" / NOTEBOOK.name)
    return base


@pytest.fixture(scope="module")
def lab(workdir: Path) -> Iterator[str]:
    """JupyterLab on 127.0.0.1; yields the URL of the panels notebook (with the token)."""
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [
        str(BIN / "jupyter-lab"),
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={workdir / 'notebooks'}",
        "--LabApp.extension_manager=readonly",
    ]
    base = f"http://127.0.0.1:{port}"
    with _serve(cmd, f"{base}/api/status?token={token}", _jupyter_env(workdir / "lab"), workdir / "lab.log"):
        yield f"{base}/lab/tree/{NOTEBOOK.name}?token={token}"


@pytest.fixture(scope="module")
def voila(workdir: Path) -> Iterator[str]:
    """Voila serving the panels notebook on 127.0.0.1; yields its URL."""
    port = _free_port()
    cmd = [
        str(BIN / "voila"),
        str(workdir / "notebooks" / NOTEBOOK.name),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
    ]
    base = f"http://127.0.0.1:{port}"
    with _serve(cmd, f"{base}/voila/static/", _jupyter_env(workdir / "voila"), workdir / "voila.log"):
        yield base + "/"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def _page(browser: Any, output_dir: Path, name: str) -> Iterator[Any]:
    """A fresh page that records console errors; screenshots the whole window if the test fails."""
    page = browser.new_page(viewport={"width": 1500, "height": 2200})
    page.set_default_timeout(TIMEOUT)
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda err: None if str(err) in KNOWN_PAGE_ERRORS else page.errors.append(str(err)))
    try:
        yield page
    except BaseException:
        page.screenshot(path=str(output_dir / f"{name}-failure.png"))
        raise
    finally:
        page.close()


def _assert_rendered(page: Any, where: str) -> None:
    text = page.locator("body").inner_text()
    for bad in RENDER_ERRORS:
        assert bad not in text, f"{where}: a widget failed to render ({bad!r})"
    _assert_no_traceback(page, where)


def _assert_no_traceback(page: Any, where: str) -> None:
    errors = page.locator(
        "[data-mime-type='application/vnd.jupyter.stderr'], [data-mime-type='application/vnd.jupyter.error']"
    )
    for text in errors.all_inner_texts():
        assert "Traceback" not in text and "Error" not in text, f"{where}: a cell raised:\n{text[-3000:]}"


def _wait_text(locator: Any, pattern: str, timeout: float = 30.0) -> str:
    """Wait until the element's text matches ``pattern`` (regex); return the text."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = locator.inner_text()
        if re.search(pattern, text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"expected text matching {pattern!r}, the page shows {text[:500]!r}")


def _run_all(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel")
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('| Idle')")
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    # every code cell has run: numbered prompts, none pending
    deadline = time.monotonic() + TIMEOUT / 1000
    while time.monotonic() < deadline:
        _assert_no_traceback(page, "running the notebook")
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        if prompts and all(re.search(r"\[\d+\]", p) for p in prompts):
            break
        time.sleep(0.25)
    else:
        raise AssertionError(f"not every cell ran: prompts {prompts}")
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('| Idle')")


#: Panels the notebook shows (the dashboard holds one of each of the first three).
PANELS = {"distill-query-builder": 2, "distill-session-explorer": 2, "distill-path-graph": 4, "distill-dashboard": 1}


def _count(text: str, what: str) -> int:
    found = re.search(rf"([\d,]+) {what}", text)
    assert found, f"no {what!r} count in {text!r}"
    return int(found.group(1).replace(",", ""))


def _drag(page: Any, handle: Any, dx: float) -> None:
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x + dx * k / 10, y)
    page.mouse.up()


def _check_panels(page: Any) -> None:
    """Every panel of the notebook is on the page, drawn, with its plots."""
    for cls, n in PANELS.items():
        found = page.locator(f".{cls}")
        assert found.count() == n, f"expected {n} .{cls}, found {found.count()}"
        for i in range(n):
            box = found.nth(i).bounding_box()
            assert box and box["width"] > 200 and box["height"] > 100, f".{cls} #{i} is not drawn: {box}"
    # plotly drew the graphs, bqplot the timelines, plotly's renderer the Sankey and the funnel
    assert page.locator(".distill-pg-figure .scatterlayer .trace .point").count() > 0
    assert page.locator(".distill-se-timeline path.dot").count() > 0
    assert page.locator(".distill-pg-flows .js-plotly-plot .sankey .sankey-node").count() > 0
    assert page.locator(".distill-pg-funnel .js-plotly-plot .funnellayer .trace").count() > 0


def test_panels_in_jupyterlab(lab: str, browser: Any, output_dir: Path) -> None:
    with _page(browser, output_dir, "panels-lab") as page:
        _run_all(page, lab)
        _assert_rendered(page, "JupyterLab")
        _check_panels(page)
        out = ".jp-OutputArea-output"

        # -- query builder: pick a user; the query, its JSON and the count follow
        qb = page.locator(f"{out} .distill-query-builder").first
        status = qb.locator(".distill-qb-status")
        _wait_text(status, r"4,863\s+of 4,863 events")
        qb.locator(".distill-qb-users select").select_option(label="bob (520)")
        _wait_text(qb.locator(".distill-qb-code"), r"Q\.user == 'bob'")
        _wait_text(status, r"520\s+of 4,863 events, 1 user, 2 sessions")
        qb.locator(".lm-TabBar-tab:has-text('JSON')").click()
        _wait_text(qb.locator(".distill-qb-json"), r'"value": "bob"')
        qb.screenshot(path=str(output_dir / "panels-lab-query-builder.png"))

        # -- session explorer: pick a session, then brush a time range on its timeline
        ex = page.locator(f"{out} .distill-session-explorer").first
        ex_status = ex.locator(".distill-se-status")
        _wait_text(ex_status, r"0 of 21 listed sessions picked; selection: 4,863 events")
        ex.locator(".distill-se-table select").select_option(index=0)
        text = _wait_text(ex_status, r"1 of 21 listed sessions picked")
        picked = _count(text, "events")
        assert picked == 501, text  # the longest session (sorted by events, descending)
        plot = ex.locator(".distill-se-timeline .plotarea_background")
        plot.scroll_into_view_if_needed()
        time.sleep(0.5)
        box = plot.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
        page.mouse.down()
        for k in range(1, 11):
            page.mouse.move(box["x"] + box["width"] * (0.3 + 0.03 * k), box["y"] + box["height"] / 2)
        page.mouse.up()
        text = _wait_text(ex_status, r"brushed")
        assert 0 < _count(text, "events") < picked, text
        _wait_text(ex.locator(".distill-se-code"), r"Q\.time\.between")
        ex.screenshot(path=str(output_dir / "panels-lab-session-explorer.png"))

        # -- path graph: move the edge slider, then click a node
        pg = page.locator(f"{out} .distill-path-graph").first
        pg.scroll_into_view_if_needed()
        pg_status = pg.locator(".distill-pg-status")
        before = _wait_text(pg_status, r"edges shown")
        nodes_before, edges_before = _count(before, "nodes"), _count(before, "edges shown")
        points = pg.locator(".distill-pg-figure .scatterlayer .trace:last-of-type .point")
        assert points.count() == nodes_before
        pg.screenshot(path=str(output_dir / "panels-lab-path-graph.png"))
        track = pg.locator(".distill-pg-min-count .noUi-base").bounding_box()
        _drag(page, pg.locator(".distill-pg-min-count .noUi-handle"), track["width"] * 0.6)
        readout = pg.locator(".distill-pg-min-count .widget-readout")
        deadline = time.monotonic() + 30
        while readout.inner_text().strip() == "1" and time.monotonic() < deadline:
            time.sleep(0.1)
        min_count = int(readout.inner_text().strip())
        assert min_count > 1
        after = _wait_text(pg_status, rf"^(?!.*{edges_before} edges shown).*edges shown")
        assert _count(after, "edges shown") < edges_before, after
        _wait_text(pg.locator(".distill-code"), rf"min_count={min_count}")
        deadline = time.monotonic() + 30
        while points.count() != _count(pg_status.inner_text(), "nodes") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert points.count() == _count(pg_status.inner_text(), "nodes")

        points.first.scroll_into_view_if_needed()
        node_box = points.first.bounding_box()
        cx, cy = node_box["x"] + node_box["width"] / 2, node_box["y"] + node_box["height"] / 2
        page.mouse.move(cx - 5, cy - 5)
        page.mouse.move(cx, cy)
        page.mouse.click(cx, cy)
        info = pg.locator(".distill-pg-node")
        shown = _wait_text(info, r"pagerank")
        assert "in / out degree" in shown and "betweenness" in shown
        name = info.locator(".distill-pg-node-name").inner_text().strip()
        labels = pg.locator(".distill-pg-figure .scatterlayer .trace:last-of-type .textpoint").all_text_contents()
        assert any(name.startswith(lab.rstrip("…")) for lab in labels), (name, labels)
        fills = points.evaluate_all("els => els.map(e => e.style.fill)")
        assert "rgb(214, 39, 40)" in fills  # the picked node is drawn red
        _wait_text(pg.locator(".distill-code"), r"graph_metrics\(")
        pg.screenshot(path=str(output_dir / "panels-lab-path-graph-node.png"))

        # -- flows and funnel views drew through plotly's renderer
        pg_flows = page.locator(f"{out} .distill-path-graph").nth(1)
        assert pg_flows.locator(".sankey .sankey-node").count() > 0
        pg_flows.screenshot(path=str(output_dir / "panels-lab-flows.png"))
        page.locator(f"{out} .distill-path-graph").nth(2).screenshot(path=str(output_dir / "panels-lab-funnel.png"))

        # -- dashboard: a query narrows the sessions and the graph follows
        dash = page.locator(f"{out} .distill-dashboard").first
        dash_graph = dash.locator(".distill-pg-status")
        _wait_text(dash_graph, r"in 21 sessions")
        dash.locator(".distill-qb-users select").select_option(label="carol (739)")
        _wait_text(dash.locator(".distill-se-status"), r"0 of 3 listed sessions picked; selection: 739 events")
        _wait_text(dash_graph, r"in 3 sessions")
        dash.locator(".distill-path-graph").screenshot(path=str(output_dir / "panels-lab-dashboard-graph.png"))
        _assert_rendered(page, "JupyterLab after using the panels")
        assert not page.errors, page.errors


def test_panels_in_voila(voila: str, browser: Any, output_dir: Path) -> None:
    with _page(browser, output_dir, "panels-voila") as page:
        page.goto(voila)
        page.wait_for_selector(".distill-dashboard .distill-pg-figure .scatterlayer .trace")
        _wait_text(page.locator(".distill-qb-status").first, r"4,863\s+of 4,863 events")
        _assert_rendered(page, "Voila")
        _check_panels(page)
        page.screenshot(path=str(output_dir / "panels-voila.png"))
        graph = page.locator(".distill-path-graph").first
        graph.scroll_into_view_if_needed()
        graph.screenshot(path=str(output_dir / "panels-voila-path-graph.png"))
        dash = page.locator(".distill-dashboard .distill-path-graph")
        dash.scroll_into_view_if_needed()
        dash.screenshot(path=str(output_dir / "panels-voila-dashboard-graph.png"))
        assert not page.errors, page.errors
