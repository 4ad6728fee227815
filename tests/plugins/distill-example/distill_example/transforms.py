"""Transformations: ``f(events, ...) -> new event frame``.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> len(drop_rare_users(events, min_events=700)) < len(events)
True
"""

import pandas as pd

from distill import filters, frame

__all__ = ["drop_rare_users"]


def drop_rare_users(events: pd.DataFrame, min_events: int = 10) -> pd.DataFrame:
    """Drop the events of users with fewer than ``min_events`` events.

    Events without a user are kept. Built on :func:`distill.filters.drop`, so
    the step is recorded in the frame's filter history (nothing lost silently).

    Parameters
    ----------
    events : pandas.DataFrame
        A Distill event frame (not changed).
    min_events : int
        Users with fewer events than this are dropped.

    Returns
    -------
    pandas.DataFrame
        A new event frame.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> kept = drop_rare_users(events, min_events=700)
    >>> sorted(kept["user"].dropna().unique()) == sorted(
    ...     u for u, n in events["user"].value_counts().items() if n >= 700)
    True
    >>> distill.filters.history(kept)[-1]["step"]
    'drop'
    """
    frame.require(events, ["user"], what="drop_rare_users")
    if min_events < 0:
        raise ValueError(f"drop_rare_users: min_events must be >= 0, got {min_events}")
    per_user = events.groupby("user", observed=True)["user"].transform("size")
    rare = per_user.lt(min_events).fillna(False).to_numpy(dtype=bool)
    return filters.drop(events, rare)
