"""Plugins: other packages add schemas, transforms and features through entry points.

A plugin package declares entry points in its ``pyproject.toml``::

    [project.entry-points."distill.schemas"]
    mytool = "distill_mytool:SCHEMA"          # a Schema or a configuration dict

    [project.entry-points."distill.transforms"]
    drop_bots = "distill_mytool:drop_bots"    # f(events, ...) -> events

    [project.entry-points."distill.features"]
    rage_clicks = "distill_mytool:rage_clicks"  # f(events, ...) -> DataFrame

Schemas become available by name to :func:`distill.read`; transforms and
features appear as methods on ``df.distill`` (``df.distill.drop_bots()``)
and, for features, as routes of the REST service.

A plugin that fails to load is reported with a warning naming it and the
error; it never breaks ``import distill``.

Examples
--------
>>> sorted(GROUPS)
['distill.features', 'distill.schemas', 'distill.transforms']
>>> isinstance(load("distill.features"), dict)
True
"""

from __future__ import annotations

import warnings
from functools import cache
from importlib.metadata import entry_points
from typing import Any

__all__ = ["GROUPS", "PluginWarning", "load", "functions"]

GROUPS = ("distill.schemas", "distill.transforms", "distill.features")


class PluginWarning(UserWarning):
    """A plugin entry point could not be loaded."""


@cache
def _load(group: str) -> tuple[tuple[str, Any], ...]:
    found = []
    for ep in entry_points(group=group):
        try:
            found.append((ep.name, ep.load()))
        except Exception as err:  # a broken plugin must not break distill
            warnings.warn(
                f"distill plugin {ep.name!r} ({ep.value}) in group {group!r} failed to load: "
                f"{type(err).__name__}: {err}",
                PluginWarning,
                stacklevel=3,
            )
    return tuple(found)


def load(group: str) -> dict[str, Any]:
    """Objects registered under an entry-point group, name to object.

    Parameters
    ----------
    group : str
        One of ``GROUPS``.

    Returns
    -------
    dict
        Entry-point name to the loaded object.

    Examples
    --------
    >>> load("distill.schemas") == load("distill.schemas")
    True
    """
    if group not in GROUPS:
        raise ValueError(f"unknown plugin group {group!r}; expected one of {', '.join(GROUPS)}")
    return dict(_load(group))


def functions() -> dict[str, Any]:
    """Plugin transforms and features: name to callable (features win on clashes).

    Examples
    --------
    >>> all(callable(f) for f in functions().values())
    True
    """
    out = {}
    for group in ("distill.transforms", "distill.features"):
        for name, obj in load(group).items():
            if callable(obj):
                out[name] = obj
            else:
                warnings.warn(
                    f"distill plugin {name!r} in {group!r} is not callable; ignored", PluginWarning, stacklevel=2
                )
    return out
