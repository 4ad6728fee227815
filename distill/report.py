"""What a read kept, what it rejected, and why.

Every record a source reads is either in the resulting frame or listed here as
rejected with its reason, file and line. Fields that could not be parsed in an
otherwise good record are listed as field issues (the record is kept, the field
is empty). Problems with whole files (empty, truncated gzip, unreadable) are
file issues.

The report travels with the frame in ``df.attrs["distill_report"]`` and is
reachable as ``df.distill.report`` or :func:`report_of`.

Examples
--------
>>> import distill
>>> events = distill.read(distill.datasets.sample_path())
>>> rep = report_of(events)
>>> rep.read, rep.accepted, rep.rejected
(4863, 4863, 0)
"""

from __future__ import annotations

import os
import sys
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from distill.errors import DistillDataWarning

__all__ = ["Issue", "ReadReport", "report_of"]

_ATTR = "distill_report"


@dataclass(frozen=True)
class Issue:
    """One problem found while reading.

    Parameters
    ----------
    kind : {"record", "field", "file"}
        ``record``: the record was rejected; ``field``: one field was emptied and
        the record kept; ``file``: a whole file (or its tail) could not be used.
    reason : str
        What is wrong.
    source : str
        File path or index name.
    line : int or None
        1-based line (NDJSON, CSV; for JSON arrays the line where the record
        starts); None where there is no line.
    role : str or None
        The schema role concerned, if any.
    record : int or None
        1-based position of the record in a JSON array or Parquet file.

    Examples
    --------
    >>> Issue("record", "malformed JSON", "a.ndjson", 4).where
    'a.ndjson:4'
    >>> Issue("record", "missing required role 'type'", "a.json", 7, "type", record=2).where
    'a.json:7 (record #2)'
    """

    kind: str
    reason: str
    source: str
    line: int | None = None
    role: str | None = None
    record: int | None = None

    @property
    def where(self) -> str:
        """``source:line`` (and the record number where there is one)."""
        text = f"{self.source}:{self.line}" if self.line is not None else self.source
        if self.record is not None:
            text += f" (record #{self.record})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the issue."""
        return {
            "kind": self.kind,
            "reason": self.reason,
            "source": self.source,
            "line": self.line,
            "record": self.record,
            "role": self.role,
        }


@dataclass(frozen=True)
class ReadReport:
    """Counts and issues of one read.

    Parameters
    ----------
    read : int
        Records found in the input (accepted + rejected).
    accepted : int
        Records in the frame.
    issues : tuple of Issue
        Every rejected record, emptied field and file problem.
    sources : tuple of str
        Labels of the files or indices read, in order (the ``source`` column).
    paths : tuple of str
        Where each source is (file path or index URL), aligned with ``sources``.

    Examples
    --------
    >>> rep = ReadReport(3, 2, (Issue("record", "missing required role 'type'", "a.json", 2, "type"),))
    >>> rep.rejected, dict(rep.by_reason())
    (1, {"missing required role 'type'": 1})
    """

    read: int = 0
    accepted: int = 0
    issues: tuple[Issue, ...] = ()
    sources: tuple[str, ...] = field(default_factory=tuple)
    paths: tuple[str, ...] = field(default_factory=tuple)

    def __deepcopy__(self, memo: dict) -> ReadReport:
        # immutable: pandas deep-copies attrs on every operation; share instead
        return self

    @property
    def rejected(self) -> int:
        """Number of records rejected."""
        return sum(1 for i in self.issues if i.kind == "record")

    @property
    def rejections(self) -> list[Issue]:
        """The rejected records."""
        return [i for i in self.issues if i.kind == "record"]

    @property
    def field_issues(self) -> list[Issue]:
        """Fields emptied in kept records."""
        return [i for i in self.issues if i.kind == "field"]

    @property
    def file_issues(self) -> list[Issue]:
        """Problems with whole files."""
        return [i for i in self.issues if i.kind == "file"]

    @property
    def ok(self) -> bool:
        """True when nothing was rejected and no issue was found."""
        return not self.issues

    def by_reason(self, kind: str | None = "record") -> Counter[str]:
        """Count issues by reason (of one kind, or all with ``kind=None``)."""
        return Counter(i.reason for i in self.issues if kind is None or i.kind == kind)

    def to_frame(self) -> pd.DataFrame:
        """All issues as a DataFrame (kind, reason, source, line, role).

        Examples
        --------
        >>> list(ReadReport().to_frame().columns)
        ['kind', 'reason', 'source', 'line', 'record', 'role']
        """
        cols = ["kind", "reason", "source", "line", "record", "role"]
        frame = pd.DataFrame([i.to_dict() for i in self.issues], columns=cols)
        frame["line"] = frame["line"].astype("Int64")
        frame["record"] = frame["record"].astype("Int64")
        return frame

    def to_dict(self, max_issues: int | None = None) -> dict[str, Any]:
        """Plain dict: counts, counts by reason, and the issues (all, or the first ``max_issues``)."""
        issues = self.issues if max_issues is None else self.issues[:max_issues]
        return {
            "read": self.read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "sources": list(self.sources),
            "paths": list(self.paths),
            "rejected_by_reason": dict(self.by_reason("record")),
            "field_issues_by_reason": dict(self.by_reason("field")),
            "issues_total": len(self.issues),
            "issues": [i.to_dict() for i in issues],
        }

    def counts(self) -> dict[str, Any]:
        """The counts of :meth:`to_dict` without the issue list and the file paths (what exports carry).

        Examples
        --------
        >>> rep = ReadReport(2, 1, (Issue("record", "bad", "a.json", 2),), ("a.json",), ("/x/a.json",))
        >>> rep.counts()["rejected"], rep.counts()["rejected_by_reason"], "paths" in rep.counts()
        (1, {'bad': 1}, False)
        """
        return {k: v for k, v in self.to_dict(max_issues=0).items() if k not in ("issues", "paths")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReadReport:
        """Rebuild from :meth:`to_dict` output (issues beyond those listed are not recoverable).

        Examples
        --------
        >>> rep = ReadReport(2, 1, (Issue("record", "bad", "a.json", 2),), ("a.json",), ("/x/a.json",))
        >>> ReadReport.from_dict(rep.to_dict()) == rep
        True
        """
        fields = ("kind", "reason", "source", "line", "role", "record")
        issues = tuple(Issue(**{k: i.get(k) for k in fields}) for i in data.get("issues", ()))
        return cls(
            int(data.get("read", 0)),
            int(data.get("accepted", 0)),
            issues,
            tuple(data.get("sources", ())),
            tuple(data.get("paths", ())),
        )

    def __distill_export__(self) -> dict[str, Any]:
        return {"kind": "report", "data": self.to_dict(), "meta": {}}

    def summary(self) -> str:
        """One paragraph for people: what was read and what was not.

        Examples
        --------
        >>> ReadReport(2, 2, (), ("a.json",)).summary()
        'read 2 records from 1 source(s): 2 accepted, 0 rejected'
        """
        text = (
            f"read {self.read} records from {len(self.sources)} source(s): "
            f"{self.accepted} accepted, {self.rejected} rejected"
        )
        parts = [f"{n} x {r}" for r, n in self.by_reason("record").most_common(5)]
        if parts:
            text += " (" + "; ".join(parts) + ")"
        nfield = len(self.field_issues)
        if nfield:
            text += f"; {nfield} field(s) emptied"
        for issue in self.file_issues[:5]:
            text += f"; {issue.where}: {issue.reason}"
        return text

    __str__ = summary

    @staticmethod
    def combine(reports: Iterable[ReadReport]) -> ReadReport:
        """One report for several reads (e.g. several sources merged)."""
        reports = list(reports)
        return ReadReport(
            read=sum(r.read for r in reports),
            accepted=sum(r.accepted for r in reports),
            issues=tuple(i for r in reports for i in r.issues),
            sources=tuple(s for r in reports for s in r.sources),
            paths=tuple(p for r in reports for p in r.paths),
        )

    def warn(self) -> None:
        """Emit one :class:`~distill.errors.DistillDataWarning` (pointing at the caller's code) if anything was rejected or emptied."""
        if self.issues:
            warnings.warn(
                self.summary() + " -- details: df.distill.report",
                DistillDataWarning,
                stacklevel=_caller_level(),
            )


def _caller_level() -> int:
    """Stack level of the first frame outside the distill package."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


class _Attached(dict):  # type: ignore[type-arg]
    """The report as it sits in ``df.attrs``: a JSON-able dict (pandas writes attrs
    into Parquet metadata) that also holds the full report, shared, not copied."""

    __slots__ = ("report",)
    report: ReadReport

    def __deepcopy__(self, memo: dict) -> _Attached:
        return self


def report_of(df: pd.DataFrame) -> ReadReport | None:
    """The :class:`ReadReport` a source attached to ``df`` (None if there is none).

    Sources keep the report in ``df.attrs["distill_report"]``; it is also
    found there when the frame was written to Parquet and read back (as a
    plain dict, rebuilt with :meth:`ReadReport.from_dict`).

    Parameters
    ----------
    df : pandas.DataFrame
        A frame, normally one a source returned.

    Returns
    -------
    ReadReport or None
        What the read kept and rejected; None when no source attached a
        report (a frame built by hand, or a result table).

    Examples
    --------
    >>> import distill
    >>> events = distill.read(distill.datasets.sample_path())
    >>> report_of(events).accepted == len(events)
    True
    >>> import pandas as pd
    >>> report_of(pd.DataFrame()) is None
    True
    """
    held = df.attrs.get(_ATTR)
    if isinstance(held, _Attached):
        return held.report
    if isinstance(held, dict):  # e.g. read back from Parquet metadata
        return ReadReport.from_dict(held)
    return None


def attach(df: pd.DataFrame, report: ReadReport) -> pd.DataFrame:
    """Attach ``report`` to ``df`` (in place on a frame the caller owns)."""
    held = _Attached(report.to_dict(max_issues=100))
    held.report = report
    df.attrs[_ATTR] = held
    return df
