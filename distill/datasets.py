"""Bundled sample data, so every example runs with no server.

The sample is 4,863 real UserALE.js 2.4.0 logs from headless Chromium driving
a three-page shop ("ShopDemo"): 8 users, 21 sessions, raw, interval and custom
logs, together with the driver's own record of what each session did.

Examples
--------
>>> events = load_sample()
>>> len(events), events["user"].nunique(), events["session"].nunique()
(4863, 8, 21)
>>> len(driver_summary()["summary"])
21
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["sample_path", "load_sample", "driver_summary", "scale_sample", "write_scaled_ndjson"]

_SAMPLE = "shopdemo-4863.ndjson.gz"


def sample_path() -> Path:
    """Path of the bundled ShopDemo logs (gzipped NDJSON).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> sample_path().name
    'shopdemo-4863.ndjson.gz'
    """
    return Path(str(resources.files("distill") / "data" / _SAMPLE))


@lru_cache(maxsize=1)
def _sample() -> pd.DataFrame:
    from distill.sources.files import read_files

    return read_files(sample_path(), "userale")


def load_sample() -> pd.DataFrame:
    """The ShopDemo logs as a canonical event frame (a fresh copy each call).

    Returns
    -------
    pandas.DataFrame
        4,863 events sorted by ``(time, event_id)``.

    Examples
    --------
    >>> load_sample()["log_type"].value_counts().to_dict()
    {'raw': 3173, 'interval': 1605, 'custom': 85}
    """
    frame = _sample()
    out = frame.copy()
    out.attrs = dict(frame.attrs)
    return out


def driver_summary() -> dict[str, Any]:
    """What the browser driver did in each ShopDemo session.

    Returns
    -------
    dict
        ``{"sessions": 21, "summary": [{"user", "sessionId", "actions": [[name, page, ms, logs], ...], ...}]}``

    Examples
    --------
    >>> sorted({s["user"] for s in driver_summary()["summary"]})[:3]
    ['alice', 'bob', 'carol']
    """
    text = (resources.files("distill") / "data" / "shopdemo-4863.driver_summary.json").read_text(encoding="utf-8")
    return json.loads(text)


def scale_sample(n_events: int, seed: int = 0) -> pd.DataFrame:
    """A large, realistic event frame replayed from the ShopDemo sample.

    The real sessions are replayed in copies: each copy keeps every event
    (type, target, path, page, details, position and the gaps between events)
    and gets new users, sessions and HTTP sessions (``"<original>-<copy>"``) and
    times shifted by a whole number of milliseconds. Copies start a quarter of
    the sample's span apart plus a seeded jitter, so about four run at once and
    their events interleave in time. When ``n_events`` is not a multiple of
    4,863, the last copy keeps whole sessions (in a seeded order) and cuts at
    most one short. Built with vectorised takes: 5 million events in a couple
    of seconds.

    Parameters
    ----------
    n_events : int
        Number of events (0 or more).
    seed : int
        Seed of the time jitter and of the sessions kept in the last copy;
        the same seed gives the same frame.

    Returns
    -------
    pandas.DataFrame
        A canonical event frame sorted by ``(time, event_id)``; ids are
        ``scale:<line>``, the event's line in :func:`write_scaled_ndjson`'s file,
        zero-padded to one width; ``source`` is ``scale_sample``.

    Examples
    --------
    >>> big = scale_sample(3 * 4863)
    >>> len(big), big["user"].nunique(), big["session"].nunique()
    (14589, 24, 63)
    >>> big["type"].value_counts().equals(3 * load_sample()["type"].value_counts())
    True
    """
    from distill import _scale

    return _scale.frame(n_events, seed)


def write_scaled_ndjson(path: str | os.PathLike[str], n_events: int, seed: int = 0) -> Path:
    """Write the events of :func:`scale_sample` as UserALE NDJSON, one log per line.

    Each line is the original ShopDemo log with the new ``userId``,
    ``sessionId``, ``httpSessionId`` and shifted ``clientTime`` /
    ``startTime`` / ``endTime``; everything else (details, path, location,
    attributes, style, microTime, ...) is as UserALE sent it. Lines come copy by
    copy in the original file's (out of time) order, so reading the file with
    :func:`distill.read` gives the events of ``scale_sample(n_events, seed)``.

    Parameters
    ----------
    path : path
        File to write (overwritten).
    n_events : int
        Number of lines.
    seed : int
        As in :func:`scale_sample`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile, distill
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     events = distill.read(write_scaled_ndjson(Path(tmp) / "big.ndjson", 10_000))
    >>> len(events), events["session"].nunique()  # 2 copies of 21 sessions, then 2 sessions of a third
    (10000, 44)
    """
    from distill import _scale

    return _scale.write_ndjson(path, n_events, seed)
