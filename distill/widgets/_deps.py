"""Lazy access to the optional ``widgets`` extra (ipywidgets, plotly, bqplot)."""

from __future__ import annotations

import importlib
from types import ModuleType

from distill.errors import MissingDependencyError

__all__: list[str] = []

_FEATURE = "Distill's Jupyter panels"


def need(module: str, package: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the ``widgets`` extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(package or module.split(".")[0], extra="widgets", feature=_FEATURE) from None


def require_all() -> None:
    """Check every package the panels use is importable (raises the first that is missing)."""
    need("ipywidgets")
    need("plotly.graph_objects", "plotly")
    need("anywidget")
    need("bqplot")
