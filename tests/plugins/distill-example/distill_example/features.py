"""Features: ``f(events, ...) -> DataFrame`` (or graph, result object, mapping).

Examples
--------
>>> import distill
>>> list(rage_clicks(distill.datasets.load_sample()).columns)
['session', 'user', 'target', 'start', 'end', 'clicks']
"""

from typing import Any

import pandas as pd

from distill import frame

__all__ = ["rage_clicks"]


def rage_clicks(events: pd.DataFrame, within: Any = "1s", min_clicks: int = 3) -> pd.DataFrame:
    """Bursts of repeated clicks on one target: a sign of a frustrated user.

    A burst is a run of ``click`` events on the same target in the same
    session, each less than ``within`` after the one before.

    Parameters
    ----------
    events : pandas.DataFrame
        A Distill event frame (not changed).
    within : str or pandas.Timedelta
        Largest gap between clicks of one burst.
    min_clicks : int
        Smallest burst reported.

    Returns
    -------
    pandas.DataFrame
        One row per burst: ``session``, ``user``, ``target``, ``start``,
        ``end``, ``clicks``; export kind ``features``.

    Examples
    --------
    >>> import distill
    >>> bursts = rage_clicks(distill.datasets.load_sample(), within="1s")
    >>> len(bursts), int(bursts["clicks"].sum())
    (6, 18)
    """
    frame.require(events, ["session", "user", "type", "target", "time"], what="rage_clicks")
    gap = pd.Timedelta(within)
    clicks = events.loc[events["type"] == "click", ["session", "user", "target", "time"]]
    clicks = clicks.sort_values(["session", "target", "time"], kind="stable")
    same = clicks["session"].eq(clicks["session"].shift()) & clicks["target"].eq(clicks["target"].shift())
    close = clicks["time"].diff().lt(gap)
    burst = (~(same & close)).cumsum().rename("burst")
    out = clicks.groupby(burst.to_numpy(), sort=True).agg(
        session=("session", "first"),
        user=("user", "first"),
        target=("target", "first"),
        start=("time", "min"),
        end=("time", "max"),
        clicks=("time", "size"),
    )
    out = out[out["clicks"] >= min_clicks].reset_index(drop=True)
    out["clicks"] = out["clicks"].astype("int64")
    out.attrs["distill_kind"] = "features"
    return out


# The export kind of the result when it names none (here it does; shown for the layout).
rage_clicks.distill_kind = "features"  # type: ignore[attr-defined]
