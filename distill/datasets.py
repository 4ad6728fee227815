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
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["sample_path", "load_sample", "driver_summary"]

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
