"""``/v1/plugins/<name>``: every installed plugin transform and feature, as a route of its own.

Plugins (see :mod:`distill.plugins`) that register functions under the
``distill.transforms`` or ``distill.features`` entry points get a GET and a
POST route named after the entry point. Their keyword arguments become query
parameters (GET) or body fields (POST) next to ``source``, ``query``,
``offset`` and ``limit``; the response is exactly ``distill.to_dict`` of the
function's result on the selected (redacted) events, a page of rows at a time.

The routes depend on what is installed, so they are built when the app is
created, and the committed OpenAPI document (built without plugins) leaves
them out.
"""

from __future__ import annotations

import inspect
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import create_model

from distill import plugins
from distill.service.models import _QUERY_TEXT, Document, SourceRequest, _Page
from distill.service.routers._common import analyse

__all__ = ["plugins_router", "PREFIX"]

log = logging.getLogger("distill.service")

#: Where plugin routes live, under ``/v1``.
PREFIX = "/plugins"
_SCALARS: dict[Any, Any] = {
    int: int,
    float: float,
    bool: bool,
    str: str,
    "int": int,
    "float": float,
    "bool": bool,
    "str": str,
}
_RESERVED = {"source", "query", "offset", "limit"}


def _fields(plugin: plugins.Plugin) -> dict[str, Any]:
    """Pydantic field definitions for a plugin function's keyword arguments (after the events)."""
    params = list(inspect.signature(plugin.obj).parameters.values())[1:]
    out: dict[str, Any] = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in _RESERVED:
            log.warning("plugin %s: argument %r clashes with a service parameter; not exposed", plugin.name, p.name)
            continue
        kind = _SCALARS.get(p.annotation, str)
        if p.default is inspect.Parameter.empty:
            out[p.name] = (kind, ...)
        elif p.default is None or isinstance(p.default, (int, float, bool, str)):
            out[p.name] = (kind | None, p.default)
        else:  # defaults that are not plain values stay the function's own
            out[p.name] = (kind | None, None)
    return out


def _add(router: APIRouter, plugin: plugins.Plugin) -> None:
    fields = _fields(plugin)
    model = f"Plugin_{plugin.name}"
    body_model = create_model(f"{model}Request", __base__=(SourceRequest, _Page), **fields)  # type: ignore[call-overload]
    params_model = create_model(f"{model}Params", __base__=body_model, query=(str | None, _QUERY_TEXT))  # type: ignore[call-overload]
    names = list(fields)

    def make(req: Any) -> Any:
        given = {n: getattr(req, n) for n in names if getattr(req, n) is not None}
        return lambda events: plugins.call(plugin.name, events, **given)

    async def get(request: Request, params: Any) -> Response:
        return await analyse(request, params, make(params), page=True)

    async def post(request: Request, body: Any) -> Response:
        return await analyse(request, body, make(body), page=True)

    get.__annotations__["params"] = Annotated[params_model, Query()]
    post.__annotations__["body"] = body_model
    get.__name__, post.__name__ = f"plugin_{plugin.name}_get", f"plugin_{plugin.name}_post"
    doc = inspect.getdoc(plugin.obj) or plugin.summary
    where = f"Plugin `{plugin.value}` ({plugin.package or 'unknown package'}), group {plugin.group}."
    for method, handler, suffix in (("GET", get, ""), ("POST", post, " (options in the body)")):
        router.add_api_route(
            f"/{plugin.name}",
            handler,
            methods=[method],
            response_model=Document,
            summary=(plugin.summary or plugin.name) + suffix,
            description=f"{where}\n\n{doc}\n\nThe response is `distill.to_dict` of the result, a page of rows.",
        )


def plugins_router() -> APIRouter:
    """A router with one GET and one POST route per installed plugin function.

    Returns
    -------
    fastapi.APIRouter
        Empty when no plugin is installed.

    Examples
    --------
    >>> router = plugins_router()
    >>> all(r.path.startswith("/plugins/") for r in router.routes)
    True
    """
    router = APIRouter(prefix=PREFIX, tags=["plugins"])
    for plugin in plugins.available("distill.transforms") + plugins.available("distill.features"):
        try:
            _add(router, plugin)
        except Exception as err:  # a plugin must never stop the service from starting
            log.warning("plugin %s: no route (%s: %s)", plugin.name, type(err).__name__, err)
    return router
