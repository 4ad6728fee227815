"""What every panel shares: settings, code, export, display and change callbacks."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from distill import export

__all__: list[str] = []


class Panel:
    """Base of the Distill panels.

    A panel is typed state (the values of its controls) plus a view built
    from it (:attr:`widget`). The state round-trips: ``type(p)(data,
    **p.settings())`` recreates the panel, :meth:`to_code` gives the Python
    calls that compute what it shows, and :meth:`to_dict` / :meth:`to_json`
    export what it shows through :mod:`distill.export`.
    """

    #: The ipywidgets view of the panel (displayed in a notebook).
    widget: Any

    def __init__(self) -> None:
        self._callbacks: list[Callable[[Any], None]] = []
        self._hold_depth = 0
        self._pending = False
        self._muted = 0

    # -- state -----------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """The panel's state as plain keyword arguments: ``type(panel)(data, **panel.settings())``."""
        raise NotImplementedError

    def to_code(self, events: str = "events") -> str:
        """The Python calls that compute what the panel shows, on a frame named ``events``."""
        raise NotImplementedError

    def shown(self) -> Any:
        """The result the panel shows (a frame, a graph or a result object)."""
        raise NotImplementedError

    def _meta(self) -> dict[str, Any]:
        return {"panel": type(self).__name__, "settings": self.settings()}

    def to_dict(self, *, limit: int | None = None) -> dict[str, Any]:
        """Export what the panel shows (:func:`distill.export.to_dict`), with the panel's settings in ``meta``.

        Parameters
        ----------
        limit : int, optional
            At most this many rows of a table or event frame.
        """
        return export.to_dict(self.shown(), meta=self._meta(), limit=limit)

    def to_json(self, path: Any = None, *, limit: int | None = None, indent: int | None = None) -> str:
        """Export what the panel shows as JSON text, or write it to ``path`` and return the path."""
        return export.to_json(self.shown(), path, meta=self._meta(), limit=limit, indent=indent)

    # -- change notification ---------------------------------------------------------------
    def on_change(self, callback: Callable[[Any], None], *, remove: bool = False) -> None:
        """Call ``callback(panel)`` whenever what the panel hands on changes (or stop, with ``remove=True``)."""
        if remove:
            self._callbacks.remove(callback)
        else:
            self._callbacks.append(callback)

    def _notify(self) -> None:
        for cb in list(self._callbacks):
            cb(self)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls and recompute once, on leaving the block."""
        self._hold_depth += 1
        try:
            yield
        finally:
            self._hold_depth -= 1
            if self._hold_depth == 0 and self._pending:
                self._pending = False
                self._refresh()

    @contextmanager
    def _mute(self) -> Iterator[None]:
        """Change controls from code without reacting to it (updating a control's choices, say)."""
        self._muted += 1
        try:
            yield
        finally:
            self._muted -= 1

    def _changed(self, *_: Any) -> None:
        if self._muted:
            return
        if self._hold_depth:
            self._pending = True
        else:
            self._refresh()

    def _refresh(self) -> None:
        raise NotImplementedError

    # -- display ---------------------------------------------------------------------------
    def _before_display(self) -> None:
        """Make what is only worth making when the panel is shown (heavy figure widgets)."""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        self._before_display()
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings().items())
        return f"{type(self).__name__}(<events>{', ' if args else ''}{args})"


# -- small shared helpers -----------------------------------------------------------------------
def pre(text: str, css: str = "") -> str:
    """Text in a ``<pre>`` block, escaped."""
    return f"<pre class='distill-code {css}' style='margin:0;white-space:pre-wrap;font-family:monospace'>{html.escape(text)}</pre>"


def plural(n: int, word: str) -> str:
    """``"1 user"``, ``"2 users"`` (thousands separated)."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def iso(value: Any) -> str | None:
    """A time as ISO-8601 UTC text (None stays None)."""
    if value is None:
        return None
    return export.plain(pd.Timestamp(value))


def as_list(values: Any) -> list[Any]:
    """Settings values as a plain list (a single string is one value)."""
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    return [export.plain(v) if isinstance(v, np.generic) else v for v in values]


def code_call(func: str, first: str, kwargs: dict[str, Any]) -> str:
    """``func(first, k=v, ...)`` with values as Python literals (defaults left out by the caller)."""
    parts = [first, *(f"{k}={v!r}" for k, v in kwargs.items())]
    return f"{func}({', '.join(parts)})"


def dumps(value: Any) -> str:
    """Indented JSON of plain values."""
    return json.dumps(export.plain(value), indent=2)
