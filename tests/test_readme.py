"""The README's first Python example runs as written (on the bundled sample instead of logs/)."""

from __future__ import annotations

import re
from pathlib import Path

import distill

README = Path(__file__).resolve().parent.parent / "README.md"


def test_thirty_seconds_example_runs(tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    block = re.findall(r"```python\n(.*?)```", text, flags=re.S)[0]
    assert 'distill.read("logs/*.ndjson.gz")' in block
    code = block.replace('"logs/*.ndjson.gz"', repr(str(distill.datasets.sample_path())))
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, str(README), "exec"), scope)
    assert scope["steps"].steps["entered"].iloc[0] > 0
    assert scope["graph"].number_of_edges() > 0 and len(scope["table"]) >= 21
    assert "hunter2" not in (tmp_path / "safe.json").read_text()
