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

from distill import (
    aggregates,
    export,
    features,
    filters,
    frame,
    graphs,
    intervals,
    overview,
    paths,
    query,
    report,
    segments,
    sessions,
)

__all__ = ["DistillAccessor"]


@pd.api.extensions.register_dataframe_accessor("distill")
class DistillAccessor:
    """Distill methods on a canonical event frame (``df.distill``).

    pandas builds it when ``df.distill`` is accessed; do not build it
    yourself. Every method is a one-line delegation to the function it
    names (``df.distill.funnel(steps)`` is ``distill.paths.funnel(df,
    steps)``), with the same arguments after the events and the same result;
    functions that plugins register (entry points ``distill.transforms`` and
    ``distill.features``) appear as methods too.

    Parameters
    ----------
    df : pandas.DataFrame
        The frame the methods work on, checked with
        :func:`distill.frame.validate` (columns, dtypes, time order).

    Raises
    ------
    FrameError
        If ``df`` is not an event frame, saying what is wrong and how to
        build one.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> clicks = events.distill.query(distill.Q.type == "click")
    >>> len(clicks), clicks.distill.summary().users
    (310, 8)
    >>> events.distill.session_table().equals(distill.sessions.session_table(events))
    True
    >>> import pandas as pd
    >>> pd.DataFrame({"a": [1]}).distill
    Traceback (most recent call last):
    ...
    distill.errors.FrameError: not a Distill event frame: missing columns: event_id, ...
    """

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
        """Export as JSON text, or to a file (returning its path): :func:`distill.export.to_json`."""
        return export.to_json(self._df, path, **options)

    # -- query (distill.query) --------------------------------------------------------------
    def query(self, q: Any) -> pd.DataFrame:
        """Events matching a Query (or its dict/JSON): :func:`distill.query.apply`."""
        return query.apply(self._df, q)

    def mask(self, q: Any) -> Any:
        """Boolean array of events matching a Query: :func:`distill.query.mask`."""
        return query.mask(self._df, q)

    # -- filters (distill.filters) ----------------------------------------------------------
    def drop_types(self, types: Any) -> pd.DataFrame:
        """Drop events of some types: :func:`distill.filters.drop_types`."""
        return filters.drop_types(self._df, types)

    def keep_types(self, types: Any) -> pd.DataFrame:
        """Keep only events of some types: :func:`distill.filters.keep_types`."""
        return filters.keep_types(self._df, types)

    def drop(self, where: Any) -> pd.DataFrame:
        """Drop events matching a mask, callable or query: :func:`distill.filters.drop`."""
        return filters.drop(self._df, where)

    def keep(self, where: Any) -> pd.DataFrame:
        """Keep events matching a mask, callable or query: :func:`distill.filters.keep`."""
        return filters.keep(self._df, where)

    def drop_noise(self, **options: Any) -> pd.DataFrame:
        """Collapse noisy bursts and window copies: :func:`distill.filters.drop_noise`."""
        return filters.drop_noise(self._df, **options)

    def near(self, anchor: Any, within: Any = "5s", **options: Any) -> pd.DataFrame:
        """Events within some time of anchor events: :func:`distill.filters.near`."""
        return filters.near(self._df, anchor, within, **options)

    def drop_dangling(self, pairs: Any = filters.DANGLING_PAIRS, **options: Any) -> pd.DataFrame:
        """Drop starts without stops and stops without starts: :func:`distill.filters.drop_dangling`."""
        return filters.drop_dangling(self._df, pairs, **options)

    def dedupe(self, **options: Any) -> pd.DataFrame:
        """Collapse duplicate events: :func:`distill.filters.dedupe`."""
        return filters.dedupe(self._df, **options)

    def resample(self, every: Any = "1min", n: int = 1, **options: Any) -> pd.DataFrame:
        """Keep n random events per time bin: :func:`distill.filters.resample`."""
        return filters.resample(self._df, every, n, **options)

    def relabel(self, rules: Any, **options: Any) -> pd.DataFrame:
        """Name values by rules: :func:`distill.filters.relabel`."""
        return filters.relabel(self._df, rules, **options)

    def redact(self, **options: Any) -> pd.DataFrame:
        """Mask or drop what users typed: :func:`distill.redact.redact`."""
        return filters.redact(self._df, **options)

    def filter_history(self) -> list[dict[str, Any]]:
        """The filter steps applied to this frame: :func:`distill.filters.history`."""
        return filters.history(self._df)

    # -- sessions (distill.sessions) --------------------------------------------------------
    def sessionize(self, by: Any = "logged", **options: Any) -> pd.DataFrame:
        """Events with computed session ids: :func:`distill.sessions.sessionize`."""
        return sessions.sessionize(self._df, by, **options)

    def session_table(self, **options: Any) -> pd.DataFrame:
        """One row per session: :func:`distill.sessions.session_table`."""
        return sessions.session_table(self._df, **options)

    def session_events(self, session_id: Any, **options: Any) -> pd.DataFrame:
        """One session's events: :func:`distill.sessions.session_events`."""
        return sessions.session_events(self._df, session_id, **options)

    def tabs(self, **options: Any) -> pd.DataFrame:
        """Events attributed to browser tabs: :func:`distill.sessions.tabs`."""
        return sessions.tabs(self._df, **options)

    # -- intervals and segments (distill.intervals) -----------------------------------------
    def pairs(self, start: Any = "focus", stop: Any = "blur", **options: Any) -> pd.DataFrame:
        """Intervals from start/stop pairs: :func:`distill.intervals.pairs`."""
        return intervals.pairs(self._df, start, stop, **options)

    def sandwiches(self, start: Any = "focus", stop: Any = "blur", **options: Any) -> pd.DataFrame:
        """Events between a start and its stop: :func:`distill.intervals.sandwiches`."""
        return intervals.sandwiches(self._df, start, stop, **options)

    def logged_intervals(self, **options: Any) -> pd.DataFrame:
        """UserALE interval logs, corrected: :func:`distill.intervals.logged_intervals`."""
        return intervals.logged_intervals(self._df, **options)

    def dwell(self, **options: Any) -> pd.DataFrame:
        """Dwell time per target from interval logs: :func:`distill.intervals.dwell`."""
        return intervals.dwell(self._df, **options)

    # -- segments (distill.segments) --------------------------------------------------------
    def windows(self, every: Any = "1min", **options: Any) -> pd.DataFrame:
        """Fixed time windows covering the events: :func:`distill.segments.windows`."""
        return segments.windows(self._df, every, **options)

    def around(self, where: Any, before: Any = "5s", after: Any = "5s", **options: Any) -> pd.DataFrame:
        """Windows around matching events: :func:`distill.segments.around`."""
        return segments.around(self._df, where, before, after, **options)

    def idle(self, gap: Any = "5min", **options: Any) -> pd.DataFrame:
        """Dead space between events, as segments: :func:`distill.segments.idle`."""
        return segments.idle(self._df, gap, **options)

    def events_in(self, segs: pd.DataFrame, **options: Any) -> pd.DataFrame:
        """The events inside segments: :func:`distill.segments.events_in`."""
        return segments.events_in(self._df, segs, **options)

    def label_events(self, segs: pd.DataFrame, **options: Any) -> pd.DataFrame:
        """Every event with its segment: :func:`distill.segments.label_events`."""
        return segments.label_events(self._df, segs, **options)

    # -- features (distill.features) --------------------------------------------------------
    def node_key(self, by: Any = "target", **options: Any) -> pd.Series:
        """What a node of a path is, per event: :func:`distill.features.node_key`."""
        return features.node_key(self._df, by, **options)

    def rollup(self, depth: int, **options: Any) -> pd.Series:
        """DOM roll-up to the ancestor at a depth: :func:`distill.features.rollup`."""
        return features.rollup(self._df, depth, **options)

    def counts(self, every: Any = "1min", **options: Any) -> pd.DataFrame:
        """Events per user per time bin: :func:`distill.features.counts`."""
        return features.counts(self._df, every, **options)

    def within_users(self, **options: Any) -> pd.DataFrame:
        """Per-user statistics over time bins: :func:`distill.features.within_users`."""
        return features.within_users(self._df, **options)

    def between_users(self, **options: Any) -> pd.DataFrame:
        """Statistics across users: :func:`distill.features.between_users`."""
        return features.between_users(self._df, **options)

    def interaction_probability(self, by: Any = "target", **options: Any) -> pd.DataFrame:
        """Each user's probability of each node: :func:`distill.features.interaction_probability`."""
        return features.interaction_probability(self._df, by, **options)

    def session_features(self, **options: Any) -> pd.DataFrame:
        """Per-session features: :func:`distill.features.session_features`."""
        return features.session_features(self._df, **options)

    # -- graphs and models (distill.graphs) -------------------------------------------------
    def click_graph(self, by: Any = "target", **options: Any) -> Any:
        """Click-path graph (networkx.DiGraph): :func:`distill.graphs.click_graph`."""
        return graphs.click_graph(self._df, by, **options)

    def transition_matrix(self, **options: Any) -> pd.DataFrame:
        """Transition matrix of the click graph: :func:`distill.graphs.transition_matrix`."""
        return graphs.transition_matrix(self._df, **options)

    def graph_metrics(self, **options: Any) -> pd.DataFrame:
        """Per-node metrics of the click graph: :func:`distill.graphs.graph_metrics`."""
        return graphs.graph_metrics(self._df, **options)

    def graph_features(self, per: str = "session", by: Any = "target", **options: Any) -> pd.DataFrame:
        """Graph statistics per session or user: :func:`distill.graphs.graph_features`."""
        return graphs.graph_features(self._df, per, by, **options)

    # -- paths (distill.paths) --------------------------------------------------------------
    def funnel(self, steps: Any, **options: Any) -> paths.Funnel:
        """Ordered steps through sessions: :func:`distill.paths.funnel`."""
        return paths.funnel(self._df, steps, **options)

    def top_paths(self, n: int | None = 10, length: int = 3, **options: Any) -> pd.DataFrame:
        """Most frequent paths: :func:`distill.paths.top_paths`."""
        return paths.top_paths(self._df, n, length, **options)

    def before_after(self, node: Any, **options: Any) -> pd.DataFrame:
        """What comes before and after an event kind: :func:`distill.paths.before_after`."""
        return paths.before_after(self._df, node, **options)

    def flows(self, start: Any = None, depth: int = 4, top: int | None = 10, **options: Any) -> pd.DataFrame:
        """Sankey links of the top paths from a start: :func:`distill.paths.flows`."""
        return paths.flows(self._df, start, depth, top, **options)

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

        return plugins.bind(name, self._df)

    def __dir__(self) -> list[str]:
        from distill import plugins

        return sorted(set(super().__dir__()) | set(plugins.functions()))
