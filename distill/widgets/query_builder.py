"""QueryBuilder: build a :class:`~distill.query.Query` by picking values found in the data.

Pick users, sessions, event types, pages, targets and log types from the
values discovered in an event frame (or asked of a read-only source), narrow
the time range with a slider, and see the resulting query as Python code and
as JSON. Running it hands the matching events on (``QueryBuilder.result``)
to whatever listens (``QueryBuilder.on_change``), such as the
:class:`~distill.widgets.SessionExplorer` in a
:class:`~distill.widgets.Dashboard`.

The query is exactly what a person would type: each picked field gives
``Q.<field> == value`` (one value) or ``Q.<field>.isin([...])`` (several),
pages give :func:`distill.query.page` (one per page, or-ed), the time range
``Q.time.between(start, end)``, and the parts are and-ed in the order users,
sessions, types, pages, targets, log types, time.

Examples
--------
>>> import distill
>>> from distill.query import Q
>>> from distill.widgets import QueryBuilder
>>> qb = QueryBuilder(distill.datasets.load_sample(), users=["bob"], types=["click", "input"])
>>> qb.query == (Q.user == "bob") & Q.type.isin(["click", "input"])
True
>>> len(qb.result)
89
>>> QueryBuilder(distill.datasets.load_sample(), **qb.settings()).query == qb.query
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from distill import query as _query
from distill.query import Q, Query
from distill.widgets import _deps
from distill.widgets._base import Panel, as_list, dumps, iso, plural, pre
from distill.widgets._catalog import FIELDS, catalog_for

__all__ = ["QueryBuilder", "build_query"]

_LABELS = {
    "users": "Users",
    "sessions": "Sessions",
    "types": "Event types",
    "pages": "Pages",
    "targets": "Targets",
    "log_types": "Log types",
}
_TIME_STEPS = 240


def build_query(
    *,
    users: Iterable[str] = (),
    sessions: Iterable[str] = (),
    types: Iterable[str] = (),
    pages: Iterable[str] = (),
    targets: Iterable[str] = (),
    log_types: Iterable[str] = (),
    start: Any = None,
    end: Any = None,
) -> Query:
    """The query a :class:`QueryBuilder` with these picks shows.

    Parameters
    ----------
    users, sessions, types, targets, log_types : iterable of str
        Values to keep (empty: no condition on that field).
    pages : iterable of str
        Page addresses without query string (each becomes :func:`distill.query.page`).
    start, end : time, optional
        Keep events with ``start <= time <= end``: ``Q.time.between(start, end)``,
        or ``Q.time >= start`` / ``Q.time <= end`` when only one is given.

    Returns
    -------
    Query

    Examples
    --------
    >>> build_query(users=["bob"], log_types=["raw", "custom"]).to_code()
    "(Q.user == 'bob') & Q.log_type.isin(['raw', 'custom'])"
    >>> build_query().to_code()
    'Query.all()'
    """
    parts: list[Query] = []
    picks = {"users": users, "sessions": sessions, "types": types, "pages": pages, "targets": targets}
    picks["log_types"] = log_types
    for name, values in picks.items():
        vals = as_list(values)
        if not vals:
            continue
        if name == "pages":
            q = _query.page(vals[0])
            for v in vals[1:]:
                q = q | _query.page(v)
            parts.append(q)
            continue
        field = Q[FIELDS[name]]
        parts.append(field == vals[0] if len(vals) == 1 else field.isin(vals))
    if start is not None and end is not None:
        parts.append(Q.time.between(start, end))
    elif start is not None:
        parts.append(Q.time >= start)
    elif end is not None:
        parts.append(Q.time <= end)
    out = Query.all()
    for p in parts:
        out = out & p
    return out


class QueryBuilder(Panel):
    """Build a query from values found in the data, see it as code and JSON, run it, hand the result on.

    Parameters
    ----------
    source_or_frame : DataFrame or source
        An event frame, or a read-only source (``distill.sources.elasticsearch``)
        whose distinct values and time range are asked by aggregation.
    users, sessions, types, pages, targets, log_types : list of str
        The picked values (see :func:`build_query`).
    start, end : str, optional
        The time range (ISO-8601); None means the start / end of the data.
    auto_run : bool
        Run the query on every change (default for frames); otherwise press *Run*.

    Attributes
    ----------
    query : Query
        The query the picks make (always current).
    result : DataFrame or None
        The events of the last run.
    widget : ipywidgets.VBox
        The view.

    Examples
    --------
    >>> import distill
    >>> qb = QueryBuilder(distill.datasets.load_sample())
    >>> qb.pick(users=["alice", "bob"], log_types=["raw"])
    >>> print(qb.to_code())
    from distill.query import Q, Query, apply, page
    query = Q.user.isin(['alice', 'bob']) & (Q.log_type == 'raw')
    result = apply(events, query)
    """

    def __init__(
        self,
        source_or_frame: Any,
        *,
        users: Sequence[str] = (),
        sessions: Sequence[str] = (),
        types: Sequence[str] = (),
        pages: Sequence[str] = (),
        targets: Sequence[str] = (),
        log_types: Sequence[str] = (),
        start: Any = None,
        end: Any = None,
        auto_run: bool | None = None,
    ) -> None:
        super().__init__()
        w = _deps.need("ipywidgets")
        self._catalog = catalog_for(source_or_frame)
        self.result: pd.DataFrame | None = None
        self._total = self._catalog.total()
        self._selects: dict[str, Any] = {}
        boxes = []
        for name, column in FIELDS.items():
            options = [(f"{v} ({n:,})", v) for v, n in self._catalog.values(column)]
            sel = w.SelectMultiple(options=options, rows=6, layout=w.Layout(width="auto"))
            sel.add_class(f"distill-qb-{name.replace('_', '-')}")
            self._selects[name] = sel
            boxes.append(w.VBox([w.HTML(f"<b>{_LABELS[name]}</b>"), sel], layout=w.Layout(min_width="0")))
        grid = w.GridBox(boxes, layout=w.Layout(grid_template_columns="repeat(3, minmax(0, 1fr))", grid_gap="4px 12px"))
        self._range = self._catalog.time_range()
        self._time = w.SelectionRangeSlider(
            options=[("—", None)],
            description="Time",
            continuous_update=False,
            layout=w.Layout(width="98%"),
            style={"description_width": "40px"},
        )
        self._time.add_class("distill-qb-time")
        self._set_time_options(start, end)
        self._auto = w.Checkbox(
            value=self._catalog.kind == "frame" if auto_run is None else bool(auto_run),
            description="run on every change",
            indent=False,
            layout=w.Layout(width="auto"),
        )
        self._run_button = w.Button(description="Run", button_style="primary", icon="play")
        self._run_button.add_class("distill-qb-run")
        self._clear_button = w.Button(description="Clear", icon="times")
        self._status = w.HTML()
        self._status.add_class("distill-qb-status")
        self._code = w.HTML()
        self._code.add_class("distill-qb-code")
        self._json = w.HTML()
        self._json.add_class("distill-qb-json")
        self._preview = w.HTML()
        tabs = w.Tab(children=[self._code, self._json, self._preview])
        for i, title in enumerate(("Python", "JSON", "First rows")):
            tabs.set_title(i, title)
        self.widget = w.VBox(
            [
                grid,
                self._time,
                w.HBox([self._run_button, self._clear_button, self._auto, self._status]),
                tabs,
            ]
        )
        self.widget.add_class("distill-query-builder")
        with self.hold():
            self.pick(users=users, sessions=sessions, types=types, pages=pages, targets=targets, log_types=log_types)
        for sel in self._selects.values():
            sel.observe(self._changed, names="value")
        self._time.observe(self._changed, names="value")
        self._run_button.on_click(lambda _: self.run())
        self._clear_button.on_click(lambda _: self.clear())
        self._show_query()
        if self._auto.value:
            self.run()

    # -- state -----------------------------------------------------------------------------
    def pick(self, **values: Any) -> None:
        """Set picks by field name (``users=[...]``, ``start=...``), recomputing once.

        Raises
        ------
        ValueError
            For a field the builder does not have, or a value not found in the data.
        """
        with self.hold():
            for name, vals in values.items():
                if name in ("start", "end"):
                    start, end = self.time_window
                    if name == "start":
                        start = vals
                    else:
                        end = vals
                    self._set_time_options(start, end)
                    self._pending = True
                    continue
                if name not in self._selects:
                    raise ValueError(
                        f"QueryBuilder has no field {name!r}; fields: {', '.join(self._selects)}, start, end"
                    )
                sel = self._selects[name]
                wanted = as_list(vals)
                known = {v for _, v in sel.options}
                missing = [v for v in wanted if v not in known]
                if missing:
                    raise ValueError(f"{name}: {missing!r} not found in the data")
                if tuple(sel.value) != tuple(wanted):
                    sel.value = tuple(wanted)

    def clear(self) -> None:
        """Remove every pick and the time limit."""
        with self.hold():
            for sel in self._selects.values():
                sel.value = ()
            self._time.index = (0, len(self._time.options) - 1)

    @property
    def time_window(self) -> tuple[str | None, str | None]:
        """The picked ``(start, end)`` as ISO text; None where it is the start / end of the data."""
        i, j = self._time.index
        last = len(self._time.options) - 1
        start = None if i == 0 else iso(self._time.options[i][1])
        end = None if j == last else iso(self._time.options[j][1])
        return start, end

    def picks(self) -> dict[str, list[str]]:
        """The picked values of each field."""
        return {name: list(sel.value) for name, sel in self._selects.items()}

    @property
    def query(self) -> Query:
        """The query the current picks make."""
        start, end = self.time_window
        return build_query(**self.picks(), start=start, end=end)

    def settings(self) -> dict[str, Any]:
        """Picks, time window and run mode, as keyword arguments of :class:`QueryBuilder`."""
        start, end = self.time_window
        out: dict[str, Any] = {k: v for k, v in self.picks().items() if v}
        if start is not None:
            out["start"] = start
        if end is not None:
            out["end"] = end
        default_auto = self._catalog.kind == "frame"
        if self._auto.value != default_auto:
            out["auto_run"] = bool(self._auto.value)
        return out

    def to_code(self, events: str = "events") -> str:
        """The Python that builds the query and runs it on ``events``."""
        return "\n".join(
            [
                "from distill.query import Q, Query, apply, page",
                f"query = {self.query.to_code()}",
                f"result = apply({events}, query)",
            ]
        )

    def shown(self) -> Any:
        return self.result if self.result is not None else self.run()

    def _meta(self) -> dict[str, Any]:
        return {**super()._meta(), "query": self.query.to_dict()}

    # -- running ---------------------------------------------------------------------------
    def run(self) -> pd.DataFrame:
        """Run the query, keep the matching events in ``result`` and tell the listeners."""
        self.result = self._catalog.run(self.query)
        self._show_result()
        self._notify()
        return self.result

    def _refresh(self) -> None:
        self._show_query()
        if self._auto.value:
            self.run()
        else:
            self._status.value = "<i>query changed: press Run</i>"

    def _show_query(self) -> None:
        q = self.query
        self._code.value = pre(q.to_code())
        self._json.value = pre(dumps(q.to_dict()))

    def _show_result(self) -> None:
        res = self.result
        if res is None:
            return
        users = int(res["user"].nunique()) if "user" in res else 0
        sessions = int(res["session"].nunique()) if "session" in res else 0
        self._status.value = (
            f"<span class='distill-qb-count'><b>{len(res):,}</b> of {self._total:,} events</span>, "
            f"{plural(users, 'user')}, {plural(sessions, 'session')}"
        )
        cols = [c for c in ("time", "user", "session", "type", "target", "page_title") if c in res.columns]
        self._preview.value = res[cols].head(8).to_html(index=False, border=0, classes="distill-preview")

    # -- time slider -----------------------------------------------------------------------
    def _set_time_options(self, start: Any, end: Any) -> None:
        rng = self._range
        if rng is None:
            self._time.options = [("no times", None)]
            self._time.disabled = True
            return
        lo, hi = rng
        grid = _time_grid(lo, hi)
        extra = [pd.Timestamp(v) for v in (start, end) if v is not None]
        for ts in extra:
            ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
            if ts < lo or ts > hi:
                raise ValueError(f"time {iso(ts)} is outside the data ({iso(lo)} to {iso(hi)})")
            grid.append(ts)
        values = sorted(set(grid))
        labels = _time_labels(values, hi - lo)
        self._time.options = list(zip(labels, values))
        pos = {v: i for i, v in enumerate(values)}
        i = 0 if start is None else pos[_utc(start)]
        j = len(values) - 1 if end is None else pos[_utc(end)]
        if i > j:
            raise ValueError(f"start {iso(start)} is after end {iso(end)}")
        self._time.index = (i, j)


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _time_grid(lo: pd.Timestamp, hi: pd.Timestamp) -> list[pd.Timestamp]:
    """About ``_TIME_STEPS`` slider stops from ``lo`` to ``hi`` (both exact), inner stops on whole seconds."""
    if hi <= lo:
        return [lo]
    ns = np.linspace(lo.value, hi.value, _TIME_STEPS + 1)[1:-1].astype(np.int64)
    unit = 1_000_000_000 if (hi - lo) >= pd.Timedelta(seconds=30) else 1_000_000
    inner = np.unique((ns // unit) * unit)
    inner = inner[(inner > lo.value) & (inner < hi.value)]
    return [lo, *pd.to_datetime(inner, utc=True), hi]


def _time_labels(values: list[pd.Timestamp], span: pd.Timedelta) -> list[str]:
    if span < pd.Timedelta(days=1):
        fmt = "%H:%M:%S"
    else:
        fmt = "%Y-%m-%d %H:%M:%S"
    labels = [v.strftime(fmt) for v in values]
    # slider labels must tell stops apart: add milliseconds where two share a label
    seen: dict[str, int] = {}
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
    return [lab if seen[lab] == 1 else f"{lab}.{v.microsecond // 1000:03d}" for lab, v in zip(labels, values)]
