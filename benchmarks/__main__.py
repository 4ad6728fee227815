"""``python -m benchmarks``: run the benchmarks (see ``--help``)."""

from benchmarks.harness import main

raise SystemExit(main())
