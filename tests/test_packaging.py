"""Packaging: a pure wheel with its data, and optional extras that stay optional."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OPTIONAL = ["elasticsearch", "opensearchpy", "ipywidgets", "plotly", "bqplot", "fastapi", "uvicorn", "yaml", "httpx"]


def test_import_needs_only_the_core_dependencies():
    code = (
        "import sys, distill; distill.read(distill.datasets.sample_path()); "
        f"print(','.join(m for m in {OPTIONAL!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"importing distill pulled in optional packages: {out.stdout}"


@pytest.mark.slow
def test_pure_wheel_with_package_data(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = tmp_path.glob("distill-*.whl")
    assert wheel.name.endswith("-py3-none-any.whl"), wheel.name
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in [
        "distill/data/shopdemo-4863.ndjson.gz",
        "distill/data/shopdemo-4863.driver_summary.json",
        "distill/schemas/userale.json",
        "distill/export.schema.json",
        "distill/py.typed",
    ]:
        assert needed in names, needed
    assert not any(n.startswith("tests/") for n in names)
    # the installed wheel (not the source tree) reads its bundled sample
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
    )
    code = "import distill; print(distill.__file__); print(len(distill.datasets.load_sample()))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    where, count = out.stdout.split()
    assert where.startswith(str(target)) and count == "4863"
