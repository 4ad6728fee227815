"""``/v1/sessions``: the session table, and one session's events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from distill.query import apply
from distill.service.app import ProblemError
from distill.service.models import EventsDocument, SessionRequest, SessionsParams, SessionsRequest, TableDocument
from distill.service.routers._common import options, paged, parse_query, runtime
from distill.sessions import session_events, session_table, sessionize

__all__ = ["router"]

router = APIRouter(prefix="/sessions", tags=["sessions"])


async def _sessions(request: Request, req: SessionsRequest | SessionsParams) -> Response:
    rt = runtime(request)
    q = parse_query(req.query)
    offset, limit = rt.page(req.offset, req.limit)

    def work() -> tuple[Any, dict[str, Any]]:
        name = rt.catalog.source(req.source).name
        events = rt.catalog.events(name)
        if req.by is not None:
            events = sessionize(events, list(req.by), **options(gap=req.gap))
        if q.op != "all":
            events = apply(events, q)
        table = session_table(events, **options(idle=req.idle, bounce_actions=req.bounce_actions))
        page, paging = paged(table, offset, limit)
        return page, {"source": name, "query": q.to_dict(), **paging}

    return await rt.respond(work)


@router.get("", response_model=TableDocument, summary="The session table, a page at a time")
async def sessions_get(request: Request, params: Annotated[SessionsParams, Query()]) -> Response:
    """Kind ``sessions``: ``distill.sessions.session_table`` of the source's events.

    With ``by``, sessions are first re-cut by ``distill.sessions.sessionize(events, by, gap=gap)``
    (on all of the source's events); then ``query`` selects events; then the table is made
    (``idle``, ``bounce_actions``) and paged (``offset``, ``limit``; ``meta.total`` sessions in all).
    """
    return await _sessions(request, params)


@router.post("", response_model=TableDocument, summary="The session table (options in the body)")
async def sessions_post(request: Request, body: SessionsRequest) -> Response:
    """As GET /v1/sessions, with the Query as a JSON object in the body."""
    return await _sessions(request, body)


@router.get("/{session_id}", response_model=EventsDocument, summary="One session's events, a page at a time")
async def one_session(
    request: Request,
    session_id: Annotated[str, Path(max_length=1000, description="A session id from the session table")],
    params: Annotated[SessionRequest, Query()],
) -> Response:
    """Kind ``events``: ``distill.sessions.session_events(events, session_id)``, paged; 404 for an unknown id."""
    rt = runtime(request)
    offset, limit = rt.page(params.offset, params.limit)

    def work() -> tuple[Any, dict[str, Any]]:
        name = rt.catalog.source(params.source).name
        try:
            found = session_events(rt.catalog.events(name), session_id)
        except ValueError as err:  # the library names the id and some that exist
            raise ProblemError(404, "not-found", str(err)) from None
        page, paging = paged(found, offset, limit)
        return page, {"source": name, "session": session_id, **paging}

    return await rt.respond(work)
