"""The benchmark harness's bookkeeping (the measurements themselves run under `make bench`)."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench(monkeypatch) -> tuple[ModuleType, ModuleType]:
    """benchmarks.harness and benchmarks.report (a folder of the repository, not an installed package)."""
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module("benchmarks.harness"), importlib.import_module("benchmarks.report")


def test_a_later_run_never_replaces_an_earlier_one(tmp_path: Path, bench) -> None:
    _unused = bench[0]._unused
    first = tmp_path / "2026-12-05-vm.json"
    assert _unused(first) == first
    first.write_text("{}")
    second = _unused(first)
    assert second.name == "2026-12-05-vm-2.json"
    second.write_text("{}")
    assert _unused(first).name == "2026-12-05-vm-3.json"


def test_allocator_settings_are_recorded_and_printed(monkeypatch, bench) -> None:
    machine, report = bench[0].machine, bench[1]
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "1073741824")
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    info = machine()
    assert info["allocator_env"]["MALLOC_MMAP_THRESHOLD_"] == "1073741824"
    assert "NUMPY_MADVISE_HUGEPAGE" not in info["allocator_env"]
    text = report.header(info, [1000], argparse.Namespace(repeat=5))
    assert "allocator settings (all processes): " in text and "MALLOC_MMAP_THRESHOLD_=1073741824" in text
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    info = machine()
    if not info["allocator_env"]:
        assert "allocator settings" not in report.header(info, [1000], argparse.Namespace(repeat=5))
