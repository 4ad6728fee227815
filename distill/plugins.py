"""Plugins: other packages add schemas, transformations and features through entry points.

A plugin is an ordinary Python package that declares entry points in its
``pyproject.toml``; Distill finds them when it is installed in the same
environment, with no registration code::

    [project.entry-points."distill.schemas"]
    example-clicks = "distill_example:SCHEMA"          # a Schema or a configuration block

    [project.entry-points."distill.transforms"]
    drop_rare_users = "distill_example:drop_rare_users"  # f(events, ...) -> event frame

    [project.entry-points."distill.features"]
    rage_clicks = "distill_example:rage_clicks"          # f(events, ...) -> DataFrame (or result)

What each group accepts:

``distill.schemas``
    A :class:`~distill.schema.Schema` or a configuration block (a dict as
    :meth:`Schema.from_dict <distill.schema.Schema.from_dict>` takes). It is
    registered under the schema's own ``name`` (use that name as the entry
    point name) so ``distill.read(path, schema="example-clicks")`` finds it.
    A name that a built-in schema already has is refused.
``distill.transforms``
    A function that takes the event frame as its first positional argument,
    never changes it, and returns a new event frame.
``distill.features``
    A function that takes the event frame first and returns something
    :func:`distill.to_dict <distill.export.to_dict>` exports: a DataFrame
    (its kind from ``attrs["distill_kind"]``, else the function's
    ``distill_kind`` attribute, else ``"features"``), a networkx graph, a
    result object with ``__distill_export__`` or a mapping.

Transforms and features become methods of ``df.distill`` under their entry
point name (``df.distill.rage_clicks(within="1s")``), with the function's own
docstring, and the REST service offers them under ``/v1/plugins/<name>``. The
name must be a Python identifier and must not hide a built-in ``df.distill``
method.

Every plugin is checked when Distill first loads its group: a plugin that
fails to import or does not meet the rules above is skipped with a
:class:`PluginWarning` that names it, its package and what is wrong; it never
breaks ``import distill``. A name that two plugins claim (two packages, or
a transform and a feature) is used by neither. :func:`check` runs the same checks on an object
directly, for a plugin's own tests. Plugins are loaded once per process:
restart the kernel after installing one.

Examples
--------
>>> sorted(GROUPS)
['distill.features', 'distill.schemas', 'distill.transforms']
>>> isinstance(load("distill.features"), dict)
True
>>> def clicks_per_user(events):
...     '''Clicks per user.'''
...     return events[events["type"] == "click"].groupby("user", observed=True).size().to_frame("clicks")
>>> check("distill.features", clicks_per_user, name="clicks_per_user") is clicks_per_user
True
"""

from __future__ import annotations

import functools
import inspect
import keyword
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import networkx as nx
import pandas as pd

from distill.errors import DistillError, SchemaError

__all__ = [
    "GROUPS",
    "DEFAULT_KINDS",
    "Plugin",
    "PluginError",
    "PluginWarning",
    "available",
    "load",
    "functions",
    "check",
    "call",
    "bind",
]

#: The entry-point groups Distill reads.
GROUPS = ("distill.schemas", "distill.transforms", "distill.features")
#: Export kind given to a plugin function's DataFrame result that names none.
DEFAULT_KINDS = {"distill.transforms": "events", "distill.features": "features"}
_FUNCTION_GROUPS = ("distill.transforms", "distill.features")


class PluginWarning(UserWarning):
    """A plugin could not be loaded or broke a rule; it was skipped (the message says why).

    Examples
    --------
    >>> issubclass(PluginWarning, UserWarning)
    True
    """


class PluginError(DistillError, TypeError):
    """A plugin object breaks a rule of its group, or a plugin function returned the wrong thing.

    Examples
    --------
    >>> try:
    ...     check("distill.transforms", 42, name="answer")
    ... except PluginError as err:
    ...     print(err)
    plugin 'answer' in 'distill.transforms': not callable (got int)
    """


@dataclass(frozen=True)
class Plugin:
    """One loaded, checked plugin.

    Parameters
    ----------
    name : str
        Entry point name: the schema name, or the ``df.distill`` method name.
    group : str
        One of :data:`GROUPS`.
    value : str
        Where the object lives, ``"module:attribute"``.
    package : str or None
        Distribution that declared it, ``"name version"``.
    obj : object
        The loaded object: a :class:`~distill.schema.Schema` for schemas,
        the function otherwise.
    kind : str or None
        Export kind of a function's DataFrame result when it names none
        (None for schemas).
    summary : str
        First line of the function's docstring, or the schema's description.

    Attributes
    ----------
    name, group, value, package, obj, kind, summary
        As given.

    Examples
    --------
    >>> [p.name for p in available("distill.features")] == sorted(load("distill.features"))
    True
    """

    name: str
    group: str
    value: str
    package: str | None
    obj: Any = field(repr=False, compare=False)
    kind: str | None = None
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Everything but the object, as plain JSON.

        Returns
        -------
        dict
            ``name``, ``group``, ``value``, ``package``, ``kind``, ``summary``.

        Examples
        --------
        >>> Plugin("x", "distill.features", "m:x", None, print, "features", "X.").to_dict()["kind"]
        'features'
        """
        return {
            "name": self.name,
            "group": self.group,
            "value": self.value,
            "package": self.package,
            "kind": self.kind,
            "summary": self.summary,
        }


def _summary(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _builtin_methods() -> set[str]:
    from distill.accessor import DistillAccessor

    return {n for n in dir(DistillAccessor) if not n.startswith("_")}


def _check_function(group: str, obj: Any, name: str) -> Callable[..., Any]:
    where = f"plugin {name!r} in {group!r}"
    if not callable(obj):
        raise PluginError(f"{where}: not callable (got {type(obj).__name__})")
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise PluginError(f"{where}: the name must be a Python identifier not starting with '_' (df.distill.{name})")
    if name in _builtin_methods():
        raise PluginError(f"{where}: df.distill already has a method {name!r}; choose another entry point name")
    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature: accept, cannot check
        return obj  # type: ignore[no-any-return]
    first = params[0] if params else None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if first is None or first.kind not in (*positional, inspect.Parameter.VAR_POSITIONAL):
        raise PluginError(f"{where}: must take the event frame as its first positional argument, f(events, ...)")
    kind = getattr(obj, "distill_kind", None)
    if kind is not None and (not isinstance(kind, str) or not kind):
        raise PluginError(f"{where}: distill_kind must be a non-empty string, got {kind!r}")
    return obj  # type: ignore[no-any-return]


def _check_schema(obj: Any, name: str) -> Any:
    from distill.schema import Schema

    where = f"plugin schema {name!r}"
    if isinstance(obj, Schema):
        return obj
    if not isinstance(obj, Mapping):
        raise PluginError(
            f"{where}: must be a distill.schema.Schema or a configuration block (dict), got {type(obj).__name__}"
        )
    try:
        return Schema.from_dict(obj, where=where)
    except SchemaError as err:
        raise PluginError(f"{where}: invalid configuration block: {err}") from None


def check(group: str, obj: Any, *, name: str | None = None) -> Any:
    """Check an object against the rules of an entry-point group.

    The same checks Distill runs when it loads plugins; use it in a plugin's
    own tests.

    Parameters
    ----------
    group : str
        One of :data:`GROUPS`.
    obj : object
        What the entry point would load.
    name : str, optional
        The entry point name (default: the function's ``__name__`` or the
        schema's name).

    Returns
    -------
    object
        ``obj`` itself for functions; for schemas the
        :class:`~distill.schema.Schema` (built from a block if need be).

    Raises
    ------
    PluginError
        Naming the plugin and the broken rule.

    Examples
    --------
    >>> check("distill.schemas", {"name": "tiny", "roles": {"time": "ts"}}, name="tiny").roles["time"].fields
    ('ts',)
    >>> try:
    ...     check("distill.features", lambda: 1, name="no_events")
    ... except PluginError as err:
    ...     print(err)
    plugin 'no_events' in 'distill.features': must take the event frame as its first positional argument, f(events, ...)
    """
    if group not in GROUPS:
        raise ValueError(f"unknown plugin group {group!r}; expected one of {', '.join(GROUPS)}")
    if group == "distill.schemas":
        schema = _check_schema(obj, name or "plugin")
        if name is not None and schema.name != name:
            raise PluginError(
                f"plugin schema {name!r}: the entry point name must be the schema's name ({schema.name!r})"
            )
        return schema
    return _check_function(group, obj, name or str(getattr(obj, "__name__", "plugin")))


def _package(ep: EntryPoint) -> str | None:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None
    return f"{dist.metadata['Name']} {dist.version}"


def _warn(ep: EntryPoint, group: str, problem: str) -> None:
    package = _package(ep)
    warnings.warn(
        f"distill plugin {ep.name!r} ({ep.value}{', package ' + package if package else ''}) in {group!r} "
        f"skipped: {problem}",
        PluginWarning,
        stacklevel=4,
    )


@cache
def _load(group: str) -> tuple[Plugin, ...]:
    found: list[Plugin] = []
    builtin: set[str] = set()
    if group == "distill.schemas":
        from distill import schema as _schema

        builtin = set(_schema.schema_names())
    by_name: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=group):
        same = by_name.setdefault(ep.name, [])
        if all(e.value != ep.value for e in same):  # one package seen twice on the path is one plugin
            same.append(ep)
    for name in sorted(by_name):
        if len(by_name[name]) > 1:
            owners = "; ".join(f"{e.value} ({_package(e) or 'unknown package'})" for e in by_name[name])
            for ep in by_name[name]:
                _warn(ep, group, f"{len(by_name[name])} plugins register {name!r} ({owners}); none is used")
            continue
        ep = by_name[name][0]
        try:
            obj = ep.load()
        except Exception as err:  # a broken plugin must not break distill
            _warn(ep, group, f"failed to import: {type(err).__name__}: {err}")
            continue
        try:
            checked = check(group, obj, name=ep.name)
        except PluginError as err:
            _warn(ep, group, str(err))
            continue
        if group == "distill.schemas":
            if checked.name in builtin:
                _warn(ep, group, f"a built-in schema is named {checked.name!r}; plugins cannot replace it")
                continue
            kind, summary = None, checked.description or ""
        else:
            kind = getattr(checked, "distill_kind", None) or DEFAULT_KINDS[group]
            summary = _summary(checked)
        found.append(Plugin(ep.name, group, ep.value, _package(ep), checked, kind, summary))
    return tuple(found)


def available(group: str | None = None) -> list[Plugin]:
    """The plugins that loaded and passed their checks.

    Parameters
    ----------
    group : str, optional
        One of :data:`GROUPS`; all groups when omitted.

    Returns
    -------
    list of Plugin
        Sorted by group, then name.

    Examples
    --------
    >>> all(isinstance(p, Plugin) for p in available())
    True
    """
    groups = GROUPS if group is None else (group,)
    for g in groups:
        if g not in GROUPS:
            raise ValueError(f"unknown plugin group {g!r}; expected one of {', '.join(GROUPS)}")
    if "distill.schemas" in groups:
        from distill import schema as _schema

        _schema.schema_names()  # loads built-in schemas first, which loads schema plugins once
    return [p for g in groups for p in _load(g)]


def load(group: str) -> dict[str, Any]:
    """Objects registered under an entry-point group, name to checked object.

    Parameters
    ----------
    group : str
        One of :data:`GROUPS`.

    Returns
    -------
    dict
        Entry point name to the loaded object (a :class:`~distill.schema.Schema`
        for ``distill.schemas``, the function otherwise).

    Examples
    --------
    >>> load("distill.schemas") == load("distill.schemas")
    True
    """
    return {p.name: p.obj for p in available(group)}


def _functions() -> dict[str, Plugin]:
    transforms = {p.name: p for p in available("distill.transforms")}
    features = {p.name: p for p in available("distill.features")}
    for name in sorted(set(transforms) & set(features)):
        warnings.warn(
            f"distill plugin {name!r} is both a transform ({transforms[name].value}) and a feature "
            f"({features[name].value}); neither is used",
            PluginWarning,
            stacklevel=3,
        )
        del transforms[name], features[name]
    return {**transforms, **features}


_functions_cached = cache(_functions)


def functions() -> dict[str, Callable[..., Any]]:
    """Plugin transforms and features, name to function (the ``df.distill`` plugin methods).

    Returns
    -------
    dict
        Entry point name to the checked function. A name that both a
        transform and a feature use is left out (with a warning).

    Examples
    --------
    >>> all(callable(f) for f in functions().values())
    True
    """
    return {name: p.obj for name, p in _functions_cached().items()}


def _plugin(name: str) -> Plugin:
    found = _functions_cached().get(name)
    if found is None:
        known = ", ".join(sorted(_functions_cached())) or "none installed"
        raise KeyError(f"no plugin transform or feature named {name!r} (known: {known})")
    return found


def call(name: str, events: pd.DataFrame, /, *args: Any, **kwargs: Any) -> Any:
    """Run a plugin function on an event frame and check what it returns.

    A transform must return an event frame; a feature must return something
    :func:`distill.to_dict <distill.export.to_dict>` exports. A DataFrame
    result that names no export kind gets the plugin's (see :class:`Plugin`).

    Parameters
    ----------
    name : str
        The plugin's entry point name.
    events : pandas.DataFrame
        The event frame, passed first.
    *args, **kwargs
        Passed on to the function.

    Returns
    -------
    object
        What the function returned.

    Raises
    ------
    KeyError
        If no plugin has that name (the message lists those that do).
    PluginError
        If the result breaks the rules of the plugin's group.

    Examples
    --------
    >>> import distill
    >>> try:
    ...     call("no_such_plugin", distill.datasets.load_sample())
    ... except KeyError as err:
    ...     print(err.args[0].split(" (")[0])
    no plugin transform or feature named 'no_such_plugin'
    """
    plugin = _plugin(name)
    result = plugin.obj(events, *args, **kwargs)
    where = f"plugin {plugin.name!r} ({plugin.value})"
    if plugin.group == "distill.transforms":
        from distill import frame

        if not isinstance(result, pd.DataFrame):
            raise PluginError(f"{where}: a transform must return an event frame, got {type(result).__name__}")
        problems = frame.problems(result)
        if problems:
            raise PluginError(f"{where}: returned a frame that is not an event frame: {'; '.join(problems)}")
        return result
    if isinstance(result, pd.Series):
        result = result.to_frame()
    if isinstance(result, pd.DataFrame):
        if not isinstance(result.attrs.get("distill_kind"), str):
            if result is events:
                result = result.copy(deep=False)
            result.attrs["distill_kind"] = plugin.kind
        return result
    if isinstance(result, (nx.Graph, Mapping)) or hasattr(result, "__distill_export__"):
        return result
    raise PluginError(
        f"{where}: a feature must return a DataFrame, a networkx graph, a result with __distill_export__ "
        f"or a mapping; got {type(result).__name__}"
    )


def bind(name: str, events: pd.DataFrame) -> Callable[..., Any]:
    """A plugin function with the event frame filled in (what ``df.distill.<name>`` returns).

    The bound function keeps the plugin's name and docstring, so ``help()`` and
    ``?`` in a notebook show the plugin's own documentation.

    Parameters
    ----------
    name : str
        The plugin's entry point name.
    events : pandas.DataFrame
        The event frame.

    Returns
    -------
    callable
        ``f(*args, **kwargs)`` calling :func:`call` with ``events`` first.

    Raises
    ------
    AttributeError
        If no plugin has that name.

    Examples
    --------
    >>> import distill
    >>> hasattr(distill.datasets.load_sample().distill, "no_such_plugin")
    False
    """
    try:
        plugin = _plugin(name)
    except KeyError as err:
        raise AttributeError(f"df.distill has no method {name!r}; {err.args[0]}") from None

    @functools.wraps(plugin.obj)
    def method(*args: Any, **kwargs: Any) -> Any:
        return call(name, events, *args, **kwargs)

    try:
        sig = inspect.signature(plugin.obj)
        method.__signature__ = sig.replace(parameters=list(sig.parameters.values())[1:])  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        pass
    return method
