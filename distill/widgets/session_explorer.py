"""SessionExplorer: a sortable, filterable session table with a timeline you can brush.

The table is :func:`distill.sessions.session_table` of the frame (sort it by
any column, filter it by text and size); selecting sessions draws their events
over time, by event type (or page, or session) and coloured by page, on a
bqplot timeline; brushing a time range on the timeline narrows the selection.
The selection is handed on as a :class:`~distill.query.Query`
(:attr:`SessionExplorer.selection_query`) and as the frame it selects
(``SessionExplorer.selection``).

Examples
--------
>>> import distill
>>> from distill.query import Q
>>> from distill.widgets import SessionExplorer
>>> events = distill.datasets.load_sample()
>>> ex = SessionExplorer(events, sort="events", descending=True)
>>> ex.listed[:3]
['session_1796412620523', 'session_1796412654486', 'session_1796412538239']
>>> ex.select(["session_1796412538239"])
>>> ex.selection_query == (Q.session == "session_1796412538239")
True
>>> len(ex.selection)
355
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from distill import frame as _frame
from distill import query as _query
from distill import sessions as _sessions
from distill.query import Q, Query
from distill.widgets import _deps
from distill.widgets._base import Panel, as_list, iso, plural, pre

__all__ = ["SessionExplorer"]

#: Columns the table can be sorted by (those of distill.sessions.session_table).
SORT_COLUMNS = ("start", "end", "duration", "events", "pages", "targets", "actions", "idle_share", "user", "session")
#: What the timeline's vertical axis shows.
Y_FIELDS = ("type", "page", "session", "target")
_PAGE_COLOURS = 9
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf")
_OTHER = "#7f7f7f"
_CSS = """<style>
.distill-se-table select, .distill-se-header {font-family: monospace; font-size: 12px; white-space: pre;}
.distill-se-header {padding-left: 4px; color: #555;}
</style>"""


class SessionExplorer(Panel):
    """Sessions of an event frame: sort, filter, select, see their timeline, brush a time range.

    Parameters
    ----------
    frame : DataFrame
        An event frame (logged sessions) or a sessionised one
        (:func:`distill.sessions.sessionize`).
    sort : str
        Column of the session table to sort by (one of ``SORT_COLUMNS``).
    descending : bool
        Sort order.
    filter : str
        Keep sessions whose id or user contains this text (case-insensitive).
    min_events : int
        Keep sessions with at least this many events.
    sessions : list of str
        The selected sessions (empty: every listed session).
    start, end : str, optional
        The brushed time range (ISO-8601); None: no time limit.
    y : str
        Timeline rows: ``"type"``, ``"page"``, ``"session"`` or ``"target"``.
    max_points : int
        At most this many events are drawn on the timeline (every k-th event
        beyond that, and the timeline says so); the selection always holds all.

    Attributes
    ----------
    table : DataFrame
        The session table of the frame (all sessions).
    selection_query : Query
        Sessions picked (or listed, when a filter is on) and the brushed time.
    selection : DataFrame
        The events the selection query keeps.

    Examples
    --------
    The four sessions with at least 300 events, busiest first; the panel's
    state recreates it and its selection is a plain query:

    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> explorer = SessionExplorer(events, sort="events", descending=True, min_events=300)
    >>> explorer.selection_query.to_code()[:40]
    "Q.session.isin(['session_1796412620523',"
    >>> len(explorer.selection), int(explorer.table["events"].nlargest(4).sum())
    (1522, 1522)
    >>> SessionExplorer(events, **explorer.settings()).settings() == explorer.settings()
    True
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        sort: str = "start",
        descending: bool = False,
        filter: str = "",
        min_events: int = 0,
        sessions: Sequence[str] = (),
        start: Any = None,
        end: Any = None,
        y: str = "type",
        max_points: int = 5000,
    ) -> None:
        super().__init__()
        w = _deps.need("ipywidgets")
        bq = _deps.need("bqplot")
        if sort not in SORT_COLUMNS:
            raise ValueError(f"sort must be one of {', '.join(SORT_COLUMNS)}; got {sort!r}")
        if y not in Y_FIELDS:
            raise ValueError(f"y must be one of {', '.join(Y_FIELDS)}; got {y!r}")
        if int(max_points) < 1:
            raise ValueError(f"max_points must be at least 1, got {max_points!r}")
        self.max_points = int(max_points)
        self._events = _frame.require(frame, ["time", "session", "user", "type"], what="SessionExplorer")
        self.table = _sessions.session_table(self._events)
        self.selection: pd.DataFrame = self._events
        self._brush: tuple[pd.Timestamp, pd.Timestamp] | None = None
        self._drawn_key: Any = None
        self._notified: Any = None
        self._colours: tuple[pd.DataFrame, dict[str, str]] | None = None
        self._drawn = (0, 1)  # events drawn on the timeline, every k-th

        self._filter = w.Text(value=filter, placeholder="session or user contains…", description="Filter")
        self._filter.add_class("distill-se-filter")
        self._min_events = w.BoundedIntText(value=int(min_events), min=0, max=10**12, description="Min events")
        self._sort = w.Dropdown(options=list(SORT_COLUMNS), value=sort, description="Sort by")
        self._sort.add_class("distill-se-sort")
        self._descending = w.ToggleButton(value=bool(descending), description="descending", icon="sort-amount-desc")
        self._clear = w.Button(description="Clear selection", icon="times")
        for ctl in (self._filter, self._min_events, self._sort):
            ctl.style.description_width = "80px"
            ctl.layout.width = "260px"
        self._header = w.HTML()
        self._list = w.SelectMultiple(options=[], rows=10, layout=w.Layout(width="98%"))
        self._list.add_class("distill-se-table")
        self._y = w.ToggleButtons(options=list(Y_FIELDS), value=y, description="Rows")
        self._y.style.button_width = "70px"
        self._status = w.HTML()
        self._status.add_class("distill-se-status")
        self._code = w.HTML()
        self._code.add_class("distill-se-code")

        self._xs = bq.DateScale()
        self._ys = bq.OrdinalScale()
        self._marks: list[Any] = []
        self._x_axis = bq.Axis(scale=self._xs, label="time", tick_format="%H:%M:%S")
        self._y_axis = bq.Axis(scale=self._ys, side="left")
        self._key = w.HTML()
        self._key.add_class("distill-se-key")
        self._brusher = bq.interacts.BrushIntervalSelector(scale=self._xs, color="steelblue")
        self._figure = bq.Figure(
            marks=[],
            axes=[self._x_axis, self._y_axis],
            interaction=self._brusher,
            fig_margin={"top": 20, "bottom": 40, "left": 150, "right": 20},
            layout=w.Layout(width="98%", height="320px"),
            animation_duration=0,
        )
        self._figure.add_class("distill-se-timeline")
        self.widget = w.VBox(
            [
                w.HTML(_CSS),
                w.HBox([self._filter, self._min_events, self._sort, self._descending, self._clear]),
                self._header,
                self._list,
                w.HBox([self._y, self._key], layout=w.Layout(align_items="center")),
                self._figure,
                self._status,
                self._code,
            ]
        )
        self.widget.add_class("distill-session-explorer")

        with self.hold():
            self._render_table()
            self.select(sessions)
            if start is not None or end is not None:
                self.brush(start, end)
            self._pending = True
        for ctl in (self._filter, self._min_events, self._sort, self._descending):
            ctl.observe(self._table_changed, names="value")
        self._list.observe(self._changed, names="value")
        self._y.observe(self._changed, names="value")
        self._brusher.observe(self._brushed, names=["selected", "brushing"])
        self._clear.on_click(lambda _: self.select([]))

    # -- state -----------------------------------------------------------------------------
    @property
    def listed(self) -> list[str]:
        """Session ids the table lists (filtered, in sort order)."""
        return [v for _, v in self._list.options]

    @property
    def selected(self) -> list[str]:
        """Session ids picked in the table."""
        return list(self._list.value)

    def select(self, sessions: Sequence[str]) -> None:
        """Pick sessions (ids from the listed ones); empty picks none (the selection is then every listed one)."""
        wanted = as_list(sessions)
        known = set(self.listed)
        missing = [s for s in wanted if s not in known]
        if missing:
            raise ValueError(f"sessions not listed (check the filter): {missing!r}")
        self._list.value = tuple(wanted)

    def brush(self, start: Any = None, end: Any = None) -> None:
        """Narrow the selection to ``start <= time <= end`` (None, None: no time limit), as brushing does."""
        if start is None and end is None:
            self._brush = None
        else:
            rng = self._events["time"]
            lo = _utc(start) if start is not None else rng.min()
            hi = _utc(end) if end is not None else rng.max()
            if lo > hi:
                raise ValueError(f"brush start {iso(lo)} is after its end {iso(hi)}")
            self._brush = (lo, hi)
        sel = None if self._brush is None else np.array([t.tz_convert(None) for t in self._brush], dtype="M8[ns]")
        if not _same(self._brusher.selected, sel):
            self._updating_brush = True
            try:
                self._brusher.selected = sel
            finally:
                self._updating_brush = False
        self._changed()

    @property
    def filtering(self) -> bool:
        """Whether the filter or the minimum size hides some sessions."""
        return len(self._list.options) < len(self.table)

    @property
    def selection_query(self) -> Query:
        """The selection as a query: picked (or, with a filter on, listed) sessions and the brushed time."""
        return self._query_for(self.selected or (self.listed if self.filtering else None))

    def _query_for(self, ids: Sequence[str] | None) -> Query:
        q = Query.all()
        if ids is not None:
            q = Q.session == ids[0] if len(ids) == 1 else Q.session.isin(list(ids))
        if self._brush is not None:
            q = q & Q.time.between(*self._brush)
        return q

    def set_events(self, frame: pd.DataFrame) -> None:
        """Explore another frame (a query result, say); picks not in it are dropped."""
        self._events = _frame.require(frame, ["time", "session", "user", "type"], what="SessionExplorer")
        picked = self.selected
        if not (self._filter.value.strip() or self._min_events.value):
            # the selection does not depend on the table: hand it on first (a linked graph follows at
            # once), then describe the sessions (session_table is the slow part on large frames)
            present = _present(self._events["session"])
            keep = [s for s in picked if s in present]
            q = self._query_for(keep or None)
            self.selection = self._events if q == Query.all() else _query.apply(self._events, q)
            self._notify_selection(q)
        self.table = _sessions.session_table(self._events)
        with self.hold():
            self._render_table(keep=picked)
            self._pending = True

    def _notify_selection(self, q: Query) -> None:
        """Tell the listeners, unless they already have this selection of these events."""
        key = (id(self._events), q)
        if key != self._notified:
            self._notified = key
            self._notify()

    def settings(self) -> dict[str, Any]:
        """Sort, filter, picks and brush as keyword arguments of :class:`SessionExplorer`."""
        out: dict[str, Any] = {}
        if self._sort.value != "start":
            out["sort"] = self._sort.value
        if self._descending.value:
            out["descending"] = True
        if self._filter.value:
            out["filter"] = self._filter.value
        if self._min_events.value:
            out["min_events"] = int(self._min_events.value)
        if self.selected:
            out["sessions"] = self.selected
        if self._brush is not None:
            out["start"], out["end"] = iso(self._brush[0]), iso(self._brush[1])
        if self._y.value != "type":
            out["y"] = self._y.value
        if self.max_points != 5000:
            out["max_points"] = self.max_points
        return out

    def listed_table(self) -> pd.DataFrame:
        """The session table as listed: filtered and sorted (kind ``sessions``)."""
        return self.table.loc[self.listed]

    def to_code(self, events: str = "events") -> str:
        """The Python that computes the listed table and the selection from ``events``."""
        lines = ["from distill.query import Q, Query, apply", "from distill.sessions import session_table"]
        lines.append(f"table = session_table({events})")
        text = self._filter.value.strip().lower()
        if text:
            lines.append(
                f"table = table[table.index.astype(str).str.lower().str.contains({text!r}, regex=False)"
                f" | table['user'].astype(str).str.lower().str.contains({text!r}, regex=False)]"
            )
        if self._min_events.value:
            lines.append(f"table = table[table['events'] >= {int(self._min_events.value)}]")
        lines.append(f"table = {_sort_code('table', self._sort.value, self._descending.value)}")
        lines.append(f"selection = apply({events}, {self.selection_query.to_code()})")
        return "\n".join(lines)

    def shown(self) -> Any:
        return self.listed_table()

    def _meta(self) -> dict[str, Any]:
        return {
            **super()._meta(),
            "selection": self.selection_query.to_dict(),
            "selected_events": len(self.selection),
        }

    # -- views -----------------------------------------------------------------------------
    def _table_changed(self, *_: Any) -> None:
        with self.hold():
            self._render_table(keep=self.selected)
            self._pending = True

    def _render_table(self, keep: Sequence[str] = ()) -> None:
        table = self.table
        text = self._filter.value.strip().lower()
        keep_rows = np.ones(len(table), dtype=bool)
        if text:
            ids = table.index.astype(str).str.lower()
            users = table["user"].astype(str).str.lower()
            keep_rows &= np.asarray(ids.str.contains(text, regex=False)) | np.asarray(
                users.str.contains(text, regex=False)
            )
        if self._min_events.value:
            keep_rows &= table["events"].to_numpy() >= int(self._min_events.value)
        shown = table.loc[keep_rows]
        shown = _sort(shown, self._sort.value, self._descending.value)
        labels, header = _row_labels(shown)
        self._header.value = f"<div class='distill-se-header'>{html.escape(header)}</div>"
        ids = [str(s) for s in shown.index]
        old = set(keep)
        self._list.value = ()
        self._list.options = list(zip(labels, ids))
        self._list.value = tuple(s for s in ids if s in old)

    def _brushed(self, change: Any) -> None:
        if getattr(self, "_updating_brush", False) or self._brusher.brushing:
            return
        sel = self._brusher.selected
        if sel is None or len(sel) < 2:
            if self._brush is not None:
                self._brush = None
                self._changed()
            return
        lo, hi = sorted(pd.Timestamp(v).tz_localize("UTC") for v in np.asarray(sel)[:2])
        self._brush = (lo, hi)
        self._changed()

    def _refresh(self) -> None:
        q = self.selection_query
        self.selection = self._events if q == Query.all() else _query.apply(self._events, q)
        key = (id(self._events), tuple(self.selected), tuple(self.listed) if self.filtering else None, self._y.value)
        if key != self._drawn_key:
            self._draw()
            self._drawn_key = key
        self._show_status()
        self._code.value = pre(q.to_code())
        self._notify_selection(q)

    def _palette(self) -> dict[str, str]:
        """Colour of each of the busiest pages of the frame (the same whatever is picked)."""
        if self._colours is None or self._colours[0] is not self._events:
            pages = _frame.page_key(self._events).value_counts()
            names = [str(p) for p in pages.index[:_PAGE_COLOURS] if pages[p] > 0]
            self._colours = (self._events, dict(zip(names, _COLOURS)))
        return self._colours[1]

    def _timeline_events(self) -> pd.DataFrame:
        ids = self.selected or (self.listed if self.filtering else None)
        if ids is None:
            return self._events
        return _query.apply(self._events, Q.session.isin(ids))

    def _draw(self) -> None:
        bq = _deps.need("bqplot")
        ev = self._timeline_events()
        n = len(ev)
        step = max(1, -(-n // self.max_points))
        drawn = ev.iloc[::step] if step > 1 else ev
        yfield = self._y.value
        rows = _frame.page_key(drawn) if yfield == "page" else drawn[yfield]
        pages = _frame.page_key(drawn)
        times = drawn["time"].dt.tz_convert(None).to_numpy(dtype="M8[ns]")
        yvals = rows.astype(object).where(rows.notna(), "(none)").astype(str).to_numpy()
        page_names = pages.astype(object).where(pages.notna(), "(no page)").astype(str)
        palette = self._palette()
        group = page_names.where(page_names.isin(list(palette)), "(other pages)").to_numpy()
        marks = []
        key: list[str] = []
        for name, colour in [*palette.items(), ("(other pages)", _OTHER)]:
            hit = group == name
            if not hit.any():
                continue
            marks.append(
                bq.Scatter(
                    x=times[hit],
                    y=yvals[hit],
                    scales={"x": self._xs, "y": self._ys},
                    colors=[colour],
                    default_size=18,
                    opacities=[0.8],
                    labels=[_short_page(name)],
                    stroke_width=0,
                )
            )
            key.append(f"<span style='color:{colour};font-size:16px'>●</span>&nbsp;{html.escape(_short_page(name))}")
        if len(times):
            lo, hi = times.min(), times.max()
            pad = max((hi - lo) / 50, np.timedelta64(50, "ms"))
            self._xs.min, self._xs.max = lo - pad, hi + pad
        self._ys.domain = sorted(set(yvals.tolist()))
        self._key.value = "<span style='margin-left:16px'>colour: page&nbsp;&nbsp;" + " &nbsp; ".join(key) + "</span>"
        self._figure.marks = marks
        self._brusher.marks = marks
        self._marks = marks
        self._drawn = (n, step)

    def _show_status(self) -> None:
        n, step = self._drawn
        drawn = -(-n // step) if n else 0
        shown = f"{plural(drawn, 'event')} drawn" + (f" (every {step}th of {n:,})" if step > 1 else "")
        sel_sessions = int(self.selection["session"].nunique()) if len(self.selection) else 0
        brush = (
            f"; brushed {self._brush[0].strftime('%H:%M:%S')}–{self._brush[1].strftime('%H:%M:%S')}"
            if self._brush is not None
            else ""
        )
        picked = f"{len(self.selected):,} of {len(self.listed):,} listed sessions picked"
        self._status.value = (
            f"{picked}; selection: <b class='distill-se-count'>{plural(len(self.selection), 'event')}</b> in "
            f"{plural(sel_sessions, 'session')}{brush}. Timeline: {shown}."
        )


def _present(series: pd.Series) -> set[str]:
    """Distinct values of a column, as text (categorical: from the codes in use)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        return {str(v) for v in series.cat.categories[np.unique(codes[codes >= 0])]}
    return {str(v) for v in pd.unique(series.dropna())}


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return len(a) == len(b) and bool(np.all(np.asarray(a) == np.asarray(b)))


def _sort(table: pd.DataFrame, column: str, descending: bool) -> pd.DataFrame:
    """Stable sort (ties keep session order), the same call :meth:`SessionExplorer.to_code` writes."""
    if column == "session":
        return table.sort_index(kind="stable", ascending=not descending)
    key = (lambda s: s.astype(str)) if column == "user" else None
    return table.sort_values(column, key=key, kind="stable", ascending=not descending)


def _sort_code(name: str, column: str, descending: bool) -> str:
    asc = "" if not descending else ", ascending=False"
    if column == "session":
        return f"{name}.sort_index(kind='stable'{asc})"
    if column == "user":
        return f"{name}.sort_values('user', key=lambda s: s.astype(str), kind='stable'{asc})"
    return f"{name}.sort_values({column!r}, kind='stable'{asc})"


def _seconds(td: Any) -> str:
    if pd.isna(td):
        return ""
    s = pd.Timedelta(td).total_seconds()
    if s < 60:
        return f"{s:.1f}s"
    m, sec = divmod(round(s), 60)
    return f"{m}m{sec:02d}s" if m < 60 else f"{m // 60}h{m % 60:02d}m"


def _row_labels(table: pd.DataFrame) -> tuple[list[str], str]:
    """One fixed-width text line per session, and the header line above them."""
    if not len(table):
        return [], "(no sessions)"
    ids = [str(s) for s in table.index]
    users = table["user"].astype(object).where(table["user"].notna(), "").astype(str).tolist()
    starts = table["start"]
    multi_day = bool(starts.notna().any()) and starts.max().normalize() != starts.min().normalize()
    fmt = "%Y-%m-%d %H:%M:%S" if multi_day else "%H:%M:%S"
    start_txt = ["" if pd.isna(t) else t.strftime(fmt) for t in starts]
    dur = [_seconds(d) for d in table["duration"]]
    ev = [f"{int(v):,}" for v in table["events"]]
    pages = [str(int(v)) for v in table["pages"]]
    acts = [str(int(v)) for v in table["actions"]]
    cols = [("session", ids, "<"), ("user", users, "<"), ("start", start_txt, "<"), ("duration", dur, ">")]
    cols += [("events", ev, ">"), ("pages", pages, ">"), ("actions", acts, ">")]
    widths = [max(len(name), *(len(v) for v in vals)) for name, vals, _ in cols]
    header = "  ".join(f"{name:{al}{wd}}" for (name, _, al), wd in zip(cols, widths))
    lines = ["  ".join(f"{vals[i]:{al}{wd}}" for (_, vals, al), wd in zip(cols, widths)) for i in range(len(table))]
    return lines, header


def _short_page(url: str) -> str:
    if url.startswith("("):
        return url
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return tail or url
