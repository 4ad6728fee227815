"""Where events come from: files, Elasticsearch/OpenSearch, or several at once.

:func:`read` is the one entry point: give it paths (files, directories, globs)
or a source object (such as an Elasticsearch source)
and get the canonical event frame back.

Examples
--------
>>> import distill
>>> events = distill.read(distill.datasets.sample_path())
>>> events["source"].unique().tolist()
['shopdemo-4863.ndjson.gz']
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import pandas as pd

from distill.sources.files import from_frame, read_files
from distill.sources.multi import merge

__all__ = ["read", "read_files", "from_frame", "merge"]


def read(
    source: Any,
    schema: Any = "userale",
    **options: Any,
) -> pd.DataFrame:
    """Read events from files or a source object into the canonical event frame.

    Parameters
    ----------
    source : path, glob, directory, iterable of paths, or a source object
        Files are read by :func:`~distill.sources.files.read_files`; an object
        with a ``read(schema=..., **options)`` method (an Elasticsearch source)
        is asked to read itself.
    schema : str, Schema or mapping
        How records map to roles (default ``"userale"``).
    **options
        Passed on (``errors=``, ``format=``, ``query=`` for Elasticsearch, ...).

    Returns
    -------
    pandas.DataFrame
        Sorted by ``(time, event_id)``; ``df.distill.report`` says what was
        rejected and why.

    Examples
    --------
    >>> import distill
    >>> distill.read(distill.datasets.sample_path()).shape[0]
    4863
    """
    if isinstance(source, (str, os.PathLike)) or (
        isinstance(source, Iterable) and not hasattr(source, "read") and not isinstance(source, pd.DataFrame)
    ):
        return read_files(source, schema, **options)
    if isinstance(source, pd.DataFrame):
        return from_frame(source, schema, **options)
    if hasattr(source, "read"):
        return source.read(schema=schema, **options)
    raise TypeError(f"cannot read events from a {type(source).__name__}; give paths or a source object")
