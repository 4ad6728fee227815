"""One peer measurement in a fresh process, run *as a script* by the peer's own Python.

    <venv>/bin/python benchmarks/peers/worker.py '<json args>'

Run as a script (not ``-m``), this directory is the first entry of
``sys.path`` and the current directory is not, so ``import distill`` in the
Flagon venv finds Flagon Distill (whose package is also called ``distill``)
and never this project. Each peer module defines ``available()`` (None or
why not) and ``STAGES``: stage name -> (setup, run, check, note).

``'{"list": true}'`` prints, for every peer module importable here, its
version and the stages it implements.
"""

from __future__ import annotations

import importlib
import json
import sys
import warnings
from typing import Any

from _measure import emit, measure

PEERS = {
    "pandas": "pandas_peer",
    "pm4py": "pm4py_peer",
    "retentioneering": "retentioneering_peer",
    "flagon": "flagon_peer",
}


def _module(name: str) -> Any:
    return importlib.import_module(PEERS[name])


def main(argv: list[str] | None = None) -> int:
    args: dict[str, Any] = json.loads((argv or sys.argv[1:])[0])
    if args.get("list"):
        found: dict[str, Any] = {}
        for name in args.get("peers", list(PEERS)):
            try:
                mod = _module(name)
                why = mod.available()
            except Exception as err:  # an import that fails is "not installed here"
                why = f"{type(err).__name__}: {err}"
            found[name] = (
                {"available": False, "why": why}
                if why
                else {
                    "available": True,
                    "version": mod.version(),
                    "stages": {k: v[3] for k, v in mod.STAGES.items()},
                }
            )
        emit({"status": "ok", "peers": found, "python": sys.version.split()[0]})
        return 0
    mod = _module(args["peer"])
    why = mod.available()
    if why:
        emit({"status": "unavailable", "missing": why})
        return 0
    setup, run, check, note = mod.STAGES[args["stage"]]
    warnings.simplefilter("ignore")
    result = measure(
        lambda: setup(args),
        run,
        repeat=int(args.get("repeat", 3)),
        budget=float(args.get("budget", 120.0)),
        check=check,
    )
    result.update(status="ok", note=note, version=mod.version())
    emit(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
