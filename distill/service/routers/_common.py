"""Helpers shared by the routers: the runtime, queries, paging, options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from fastapi import Request

from distill.query import Query, QueryError, apply
from distill.service.app import ProblemError, Runtime

__all__ = ["runtime", "parse_query", "select", "paged", "options", "Value"]


def runtime(request: Request) -> Runtime:
    """The app's :class:`~distill.service.app.Runtime`."""
    return request.app.state.distill  # type: ignore[no-any-return]


def parse_query(value: str | Mapping[str, Any] | None) -> Query:
    """A :class:`~distill.query.Query` from JSON text (GET) or a dict (POST); 400 when malformed."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Query.all()
    try:
        if isinstance(value, str):
            return Query.from_json(value)
        return Query.from_dict(value)
    except QueryError as err:
        raise ProblemError(400, "invalid-query", f"query: {err}") from None
    except RecursionError:
        raise ProblemError(400, "invalid-query", "query: nested too deeply") from None


def select(rt: Runtime, source: str | None, query: Query) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The source's events matching ``query`` (call in a worker) and the meta naming both."""
    name = rt.catalog.source(source).name
    events = rt.catalog.events(name)
    if query.op != "all":
        events = apply(events, query)
    return events, {"source": name, "query": query.to_dict()}


def paged(frame: pd.DataFrame, offset: int, limit: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Rows ``offset .. offset + limit`` of a result and the paging meta (``offset``, ``limit``, ``total``)."""
    return frame.iloc[offset : offset + limit], {"offset": offset, "limit": limit, "total": len(frame)}


def options(**values: Any) -> dict[str, Any]:
    """Keyword arguments that were given (None means: the library's default)."""
    return {k: v for k, v in values.items() if v is not None}


class Value:
    """A small result of a kind of its own (``time_range``) in the library's export protocol."""

    def __init__(self, kind: str, data: Mapping[str, Any]):
        self.kind = kind
        self.data = dict(data)

    def __distill_export__(self) -> dict[str, Any]:
        return {"kind": self.kind, "data": self.data, "meta": {}}


def as_step(value: Any) -> Any:
    """A funnel step, anchor or start: node values as they are, a JSON object as a Query."""
    if isinstance(value, Mapping):
        return parse_query(value)
    return value


async def analyse(
    request: Request,
    req: Any,
    compute: Any,
    *,
    page: bool = False,
) -> Any:
    """Select the request's events, run ``compute(events)`` in a worker, page a table result, respond.

    ``meta`` carries ``source`` and ``query`` (and ``offset``, ``limit``, ``total`` when paged).
    """
    rt = runtime(request)
    q = parse_query(req.query)
    offset, limit = rt.page(req.offset, req.limit) if page else (0, 0)

    def work() -> tuple[Any, dict[str, Any]]:
        events, meta = select(rt, req.source, q)
        result = compute(events)
        if page:
            result, paging = paged(result, offset, limit)
            meta.update(paging)
        return result, meta

    return await rt.respond(work)
