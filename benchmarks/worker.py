"""One Distill measurement in a fresh process: ``python -m benchmarks.worker '<json args>'``.

The harness starts one worker per (stage, size), so that peak memory is the
stage's own and nothing is left warm from another stage. The result is one
tagged JSON line on stdout (:func:`benchmarks.peers._measure.emit`).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

from benchmarks.peers._measure import emit, measure
from benchmarks.stages import STAGES, Context, missing


def main(argv: list[str] | None = None) -> int:
    args: dict[str, Any] = json.loads((argv or sys.argv[1:])[0])
    stage = STAGES[args["stage"]]
    gone = missing(stage)
    if gone:
        emit({"status": "unavailable", "missing": gone})
        return 0
    ctx = Context(
        n=int(args["n"]),
        seed=int(args.get("seed", 0)),
        ndjson=Path(args["ndjson"]) if args.get("ndjson") else None,
        parquet=Path(args["parquet"]) if args.get("parquet") else None,
        es_url=args.get("es_url"),
        es_index=args.get("es_index"),
    )
    warnings.simplefilter("ignore")  # data warnings are counted in reports, not timed
    result = measure(
        lambda: stage.setup(ctx),
        stage.run,
        repeat=int(args.get("repeat", 3)),
        budget=float(args.get("budget", 120.0)),
        check=stage.check,
    )
    result["status"] = "ok"
    emit(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
