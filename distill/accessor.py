"""``df.distill``: every Distill function as a method of the event frame.

Each method is a one-line delegation to a function that works without the
accessor; the accessor holds no state beyond the frame and checks it once,
when first used, with a clear error if it is not an event frame. Functions
from plugins (entry points ``distill.transforms`` and ``distill.features``)
appear here too.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> events.distill.summary().sessions
21
>>> events.distill.to_dict(limit=1)["kind"]
'events'
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from distill import aggregates, export, frame, overview, query, report

__all__ = ["DistillAccessor"]


@pd.api.extensions.register_dataframe_accessor("distill")
class DistillAccessor:
    """Distill methods on a canonical event frame (``df.distill``)."""

    def __init__(self, df: pd.DataFrame):
        self._df = frame.validate(df)

    # -- foundation ------------------------------------------------------------------------
    @property
    def report(self) -> report.ReadReport | None:
        """What the read kept and rejected (:class:`~distill.report.ReadReport`), if known."""
        return report.report_of(self._df)

    def summary(self) -> overview.Summary:
        """Counts and span: :func:`distill.overview.summary`."""
        return overview.summary(self._df)

    def to_dict(self, **options: Any) -> dict[str, Any]:
        """Export as a plain dict: :func:`distill.export.to_dict`."""
        return export.to_dict(self._df, **options)

    def to_json(self, path: Any = None, **options: Any) -> str:
        """Export as JSON: :func:`distill.export.to_json`."""
        return export.to_json(self._df, path, **options)

    # -- query (distill.query) --------------------------------------------------------------
    def query(self, q: Any) -> pd.DataFrame:
        """Events matching a Query (or its dict/JSON): :func:`distill.query.apply`."""
        return query.apply(self._df, q)

    def mask(self, q: Any) -> Any:
        """Boolean array of events matching a Query: :func:`distill.query.mask`."""
        return query.mask(self._df, q)

    # -- filters (distill.filters) ----------------------------------------------------------

    # -- sessions (distill.sessions) --------------------------------------------------------

    # -- intervals and segments (distill.intervals) -----------------------------------------

    # -- features (distill.features) --------------------------------------------------------

    # -- graphs and models (distill.graphs) -------------------------------------------------

    # -- aggregates (distill.aggregates) ----------------------------------------------------
    def count_by(self, by: Any = "type", **options: Any) -> pd.DataFrame:
        """Event counts by roles and time buckets: :func:`distill.aggregates.count_by`."""
        return aggregates.count_by(self._df, by, **options)

    def distinct(self, field: str, **options: Any) -> list[Any]:
        """Distinct values of a role: :func:`distill.aggregates.distinct`."""
        return aggregates.distinct(self._df, field, **options)

    def time_range(self, **options: Any) -> aggregates.TimeRange:
        """First and last event time and the number of events: :func:`distill.aggregates.time_range`."""
        return aggregates.time_range(self._df, **options)

    # -- plugins ---------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        from distill import plugins

        func = plugins.functions().get(name)
        if func is None:
            raise AttributeError(f"df.distill has no method {name!r} (and no plugin provides one)")
        return lambda *args, **kwargs: func(self._df, *args, **kwargs)

    def __dir__(self) -> list[str]:
        from distill import plugins

        return sorted(set(super().__dir__()) | set(plugins.functions()))
