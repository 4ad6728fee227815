"""Where a panel's data comes from: an event frame, or a read-only source (Elasticsearch).

A catalog answers what the query builder offers -- distinct values with
counts, the time range -- and runs a query. For frames it reads the frame;
for sources it asks the source (aggregations), so nothing is pulled until a
query runs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from distill import aggregates as _aggregates
from distill import frame as _frame
from distill import query as _query

__all__: list[str] = []

#: Builder field -> event frame column (``page`` is the URL without query string: frame.page_key).
FIELDS: dict[str, str] = {
    "users": "user",
    "sessions": "session",
    "types": "type",
    "pages": "page",
    "targets": "target",
    "log_types": "log_type",
}


class FrameCatalog:
    """Values and queries on an in-memory event frame.

    Counts come from the categorical columns directly (``value_counts``: a
    bincount of codes, milliseconds at a million events); they equal
    :func:`distill.aggregates.count_by` on the frame (tested).
    """

    def __init__(self, events: pd.DataFrame):
        self.events = _frame.validate(events)
        self.kind = "frame"

    def total(self) -> int:
        return len(self.events)

    def values(self, column: str) -> list[tuple[str, int]]:
        """Distinct values of a column (``page``: page keys) with event counts, in value order."""
        series = _frame.page_key(self.events) if column == "page" else self.events[column]
        counts = series.value_counts(sort=False, dropna=True)
        if not isinstance(series.dtype, pd.CategoricalDtype):
            counts = counts.sort_index()
        return [(str(k), int(v)) for k, v in counts.items() if v > 0]

    def time_range(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        times = self.events["time"]
        if not len(times) or times.isna().all():
            return None
        return times.min(), times.max()

    def run(self, query: _query.Query) -> pd.DataFrame:
        return _query.apply(self.events, query)


class SourceCatalog:
    """Values and queries on a read-only source (:class:`~distill.sources.elasticsearch.ElasticsearchSource`).

    The server counts (:mod:`distill.aggregates`); events are read only when a query runs.
    """

    def __init__(self, source: Any):
        self.source = source
        self.kind = "source"

    def total(self) -> int:
        return int(_aggregates.count(self.source))

    def values(self, column: str) -> list[tuple[str, int]]:
        table = _aggregates.count_by(self.source, column)
        table = table[table[column].notna()]
        return [(str(v), int(n)) for v, n in zip(table[column].tolist(), table["count"].tolist()) if n > 0]

    def time_range(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        rng = _aggregates.time_range(self.source)
        if rng.start is None or rng.end is None:
            return None
        return pd.Timestamp(rng.start), pd.Timestamp(rng.end)

    def run(self, query: _query.Query) -> pd.DataFrame:
        return self.source.read(query)  # type: ignore[no-any-return]


def catalog_for(data: Any) -> FrameCatalog | SourceCatalog:
    """A catalog for an event frame or a source object (anything :mod:`distill.aggregates` can ask)."""
    if isinstance(data, pd.DataFrame):
        return FrameCatalog(data)
    if all(hasattr(data, m) for m in ("read", "count_by", "count", "time_range")):
        return SourceCatalog(data)
    raise TypeError(f"a panel needs an event frame or a Distill source (with .read), got {type(data).__name__}")
