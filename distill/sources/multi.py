"""Several sources at once: one time-ordered frame with a ``source`` column.

Examples
--------
>>> import distill
>>> a = distill.read(distill.datasets.sample_path())
>>> both = merge([a.iloc[:100], a.iloc[100:]])
>>> both["event_id"].equals(a["event_id"])
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from distill.frame import validate
from distill.report import Issue, ReadReport, attach, report_of
from distill.sources import _build

__all__ = ["merge"]


def merge(sources: Iterable[Any], *, schema: Any = "userale") -> pd.DataFrame:
    """Merge event frames (or sources to read) into one frame sorted by (time, event_id).

    Parameters
    ----------
    sources : iterable of DataFrame, path, or source object
        Frames are used as they are; anything else is read with
        :func:`distill.read` and ``schema``.
    schema : str, Schema or mapping
        Schema for the sources that still need reading.

    Returns
    -------
    pandas.DataFrame
        All events; an event id seen in more than one source is kept once and
        the later copies are reported as rejected duplicates.

    Examples
    --------
    >>> import distill
    >>> ev = distill.datasets.load_sample()
    >>> merged = merge([ev, ev.iloc[:10]])
    >>> len(merged), merged.distill.report.rejected
    (4863, 10)
    """
    from distill.sources import read

    frames = []
    for src in sources:
        frames.append(validate(src) if isinstance(src, pd.DataFrame) else read(src, schema))
    if not frames:
        raise ValueError("merge needs at least one source")
    reports = [report_of(f) or ReadReport(len(f), len(f), (), tuple(f["source"].astype(str).unique())) for f in frames]
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    aligned = []
    for f in frames:
        missing = [c for c in columns if c not in f.columns]
        if missing:
            f = f.assign(**{c: pd.Series(pd.NA, index=f.index, dtype=_dtype_like(frames, c)) for c in missing})
        aligned.append(f[columns])
    merged = _build.concat_blocks(aligned)
    dup = merged["event_id"].duplicated(keep="first").to_numpy()
    issues = []
    if dup.any():
        for eid, src in zip(merged.loc[dup, "event_id"], merged.loc[dup, "source"]):
            issues.append(Issue("record", f"duplicate event_id {eid!r}: already read from another source", str(src)))
        merged = merged.loc[~dup]
    merged = _build.finish(merged.reset_index(drop=True))
    combined = ReadReport.combine(reports)
    report = ReadReport(combined.read, len(merged), combined.issues + tuple(issues), combined.sources, combined.paths)
    attach(merged, report)
    return merged


def _dtype_like(frames: list[pd.DataFrame], column: str) -> Any:
    for f in frames:
        if column in f.columns:
            return f[column].dtype
    return object
