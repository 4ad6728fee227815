"""distill-example: a Distill plugin package (a schema, a transformation and a feature).

Distill finds these through the entry points in ``pyproject.toml``; nothing here
runs at import time except defining them. The package re-exports them so they
can also be called as plain functions.

Examples
--------
>>> import distill
>>> from distill_example import rage_clicks
>>> int(rage_clicks(distill.datasets.load_sample())["clicks"].min())
3
"""

from distill_example.features import rage_clicks
from distill_example.schema import SCHEMA
from distill_example.transforms import drop_rare_users

__all__ = ["SCHEMA", "drop_rare_users", "rage_clicks"]
