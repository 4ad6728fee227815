"""``/v1/events``: the events matching a query, a page at a time."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from distill.service.models import EventsDocument, EventsParams, EventsRequest
from distill.service.routers._common import paged, parse_query, runtime, select

__all__ = ["router"]

router = APIRouter(prefix="/events", tags=["events"])


async def _events(request: Request, req: EventsRequest | EventsParams) -> Response:
    rt = runtime(request)
    q = parse_query(req.query)
    offset, limit = rt.page(req.offset, req.limit)

    def work() -> tuple[Any, dict[str, Any]]:
        events, meta = select(rt, req.source, q)
        page, paging = paged(events, offset, limit)
        return page, {**meta, **paging}

    return await rt.respond(work)


@router.get("", response_model=EventsDocument, summary="A page of the events matching a query")
async def events_get(request: Request, params: Annotated[EventsParams, Query()]) -> Response:
    """Exactly ``distill.to_dict(distill.query.apply(events, query).iloc[offset:offset + limit], meta=...)``.

    ``meta`` holds ``source``, ``query`` (the query as a dict), ``offset``, ``limit`` and ``total``
    (events matching, across pages). ``query`` is the Query as URL-encoded JSON text.
    """
    return await _events(request, params)


@router.post("", response_model=EventsDocument, summary="A page of the events matching a query (query in the body)")
async def events_post(request: Request, body: EventsRequest) -> Response:
    """As GET /v1/events, with the Query as a JSON object in the body."""
    return await _events(request, body)
