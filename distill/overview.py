"""A first look at an event frame: how many events, users, sessions, when, what.

Examples
--------
>>> import distill
>>> s = summary(distill.datasets.load_sample())
>>> s.events, s.users, s.sessions
(4863, 8, 21)
>>> s.by_log_type
{'raw': 3173, 'interval': 1605, 'custom': 85}
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from distill.export import _iso
from distill.frame import validate
from distill.report import report_of

__all__ = ["Summary", "summary"]


@dataclass(frozen=True)
class Summary:
    """Counts and span of an event frame.

    Attributes
    ----------
    events, users, sessions : int
        Number of events, distinct users, distinct sessions.
    start, end : pandas.Timestamp or None
        First and last event time.
    by_type, by_log_type, by_user, by_source : dict of str to int
        Event counts, largest first.
    missing : dict of str to int
        Events without a user, session, target or page.
    read : dict or None
        Counts of the read that made the frame (records read, accepted,
        rejected, rejected by reason; :meth:`distill.report.ReadReport.counts`),
        exported under ``meta["read"]``; None for a frame not made by a read.

    See Also
    --------
    summary : builds it from an event frame.

    Examples
    --------
    >>> import distill
    >>> s = distill.summary(distill.datasets.load_sample())
    >>> s.events, s.users, s.sessions
    (4863, 8, 21)
    >>> sum(s.by_type.values()) == s.events, s.by_log_type
    (True, {'raw': 3173, 'interval': 1605, 'custom': 85})
    >>> s.span.total_seconds(), s.to_dict()["span_seconds"]
    (197.387, 197.387)
    """

    events: int
    users: int
    sessions: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    by_type: dict[str, int] = field(default_factory=dict)
    by_log_type: dict[str, int] = field(default_factory=dict)
    by_user: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    read: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def span(self) -> pd.Timedelta | None:
        """Time from the first to the last event."""
        return None if self.start is None or self.end is None else self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (times as ISO-8601 text, span in seconds)."""
        out = asdict(self)
        del out["read"]  # exported in meta, as for events
        out["start"] = _iso(self.start) if self.start is not None else None
        out["end"] = _iso(self.end) if self.end is not None else None
        out["span_seconds"] = self.span.total_seconds() if self.span is not None else None
        return out

    def __distill_export__(self) -> dict[str, Any]:
        return {"kind": "summary", "data": self.to_dict(), "meta": {"read": self.read} if self.read else {}}

    def _rejected_line(self) -> str | None:
        if not self.read or not self.read.get("rejected"):
            return None
        return (
            f"{self.read['rejected']:,} of {self.read['read']:,} records rejected when read "
            "(reasons: df.distill.report)"
        )

    def __str__(self) -> str:
        lines = [
            f"{self.events:,} events, {self.users:,} users, {self.sessions:,} sessions",
            f"from {self.start} to {self.end} ({self.span})",
            "by log type: " + ", ".join(f"{k} {v:,}" for k, v in self.by_log_type.items()),
            "top types: " + ", ".join(f"{k} {v:,}" for k, v in list(self.by_type.items())[:8]),
        ]
        rejected = self._rejected_line()
        return "\n".join(lines + ([rejected] if rejected else []))

    def _repr_html_(self) -> str:
        rows = [
            ("events", f"{self.events:,}"),
            ("users", f"{self.users:,}"),
            ("sessions", f"{self.sessions:,}"),
            ("from", str(self.start)),
            ("to", str(self.end)),
            ("span", str(self.span)),
            ("by log type", ", ".join(f"{k}: {v:,}" for k, v in self.by_log_type.items())),
            ("top types", ", ".join(f"{k}: {v:,}" for k, v in list(self.by_type.items())[:10])),
        ]
        rejected = self._rejected_line()
        if rejected:
            rows.append(("rejected", rejected))
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
            f"{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table class='distill-summary'>{body}</table>"


def _counts(series: pd.Series) -> dict[str, int]:
    counts = series.value_counts(dropna=True, sort=True)
    return {str(k): int(v) for k, v in counts.items() if v > 0}


def summary(events: pd.DataFrame) -> Summary:
    """Summarise an event frame.

    Parameters
    ----------
    events : pandas.DataFrame
        A canonical event frame.

    Returns
    -------
    Summary
        Counts (events, users, sessions, by type, log type, user, source),
        first and last time, and how many events lack a user, session,
        target or page.

    Examples
    --------
    >>> import distill
    >>> summary(distill.datasets.load_sample()).by_type["click"]
    310
    """
    validate(events)
    times = events["time"]
    start = times.min() if len(events) else None
    end = times.max() if len(events) else None
    return Summary(
        events=len(events),
        users=int(events["user"].nunique()),
        sessions=int(events["session"].nunique()),
        start=None if start is None or pd.isna(start) else start,
        end=None if end is None or pd.isna(end) else end,
        by_type=_counts(events["type"]),
        by_log_type=_counts(events["log_type"]),
        by_user=_counts(events["user"]),
        by_source=_counts(events["source"]),
        missing={c: int(events[c].isna().sum()) for c in ("user", "session", "target", "page_url")},
        read=rep.counts() if (rep := report_of(events)) is not None else None,
    )
