"""``/v1/funnels`` and ``/v1/paths``: funnels, frequent paths, before/after, flows (distill.paths)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from distill.paths import before_after, flows, funnel, top_paths
from distill.service.models import (
    BeforeAfterRequest,
    FlowsRequest,
    FunnelRequest,
    PathsParams,
    PathsRequest,
    TableDocument,
    ValueDocument,
)
from distill.service.routers._common import analyse, as_step, options

__all__ = ["router", "funnels_router"]

router = APIRouter(prefix="/paths", tags=["paths"])
funnels_router = APIRouter(prefix="/funnels", tags=["paths"])


@funnels_router.post("", response_model=ValueDocument, summary="How far sessions get through ordered steps")
async def funnel_post(request: Request, body: FunnelRequest) -> Response:
    """Kind ``funnel``: exactly ``distill.to_dict(distill.paths.funnel(events, steps, by=..., within=...))``.

    A step is a node value, a list of node values (any of them) or a distill Query as a JSON object.
    """
    steps = [as_step(s) for s in body.steps]
    opts = {"by": body.by, **options(depth=body.depth, column=body.column, within=body.within)}
    return await analyse(request, body, lambda ev: funnel(ev, steps, **opts))


async def _top(request: Request, req: PathsRequest) -> Response:
    opts = {"by": req.by, "collapse": req.collapse, **options(depth=req.depth, column=req.column)}
    return await analyse(request, req, lambda ev: top_paths(ev, req.n, req.length, **opts), page=True)


@router.get("/top", response_model=TableDocument, summary="The most frequent paths")
async def top_get(request: Request, params: Annotated[PathsParams, Query()]) -> Response:
    """Kind ``paths``: ``distill.paths.top_paths(events, n, length, by=..., collapse=...)``, paged."""
    return await _top(request, params)


@router.post("/top", response_model=TableDocument, summary="The most frequent paths (options in the body)")
async def top_post(request: Request, body: PathsRequest) -> Response:
    """As GET /v1/paths/top, with the Query as a JSON object in the body."""
    return await _top(request, body)


@router.post("/before-after", response_model=TableDocument, summary="What comes before and after an anchor")
async def before_after_post(request: Request, body: BeforeAfterRequest) -> Response:
    """Kind ``before_after``: ``distill.paths.before_after(events, node, steps=..., by=...)``."""
    node = as_step(body.node)
    opts = {"by": body.by, "collapse": body.collapse, **options(depth=body.depth, column=body.column)}
    return await analyse(request, body, lambda ev: before_after(ev, node, steps=body.steps, **opts))


@router.post("/flows", response_model=TableDocument, summary="Links of the most frequent paths from a start")
async def flows_post(request: Request, body: FlowsRequest) -> Response:
    """Kind ``flows``: ``distill.paths.flows(events, start, depth, top, by=..., collapse=...)`` (Sankey links)."""
    start = as_step(body.start) if body.start is not None else None
    opts: dict[str, Any] = {"by": body.by, "collapse": body.collapse, **options(column=body.column)}
    return await analyse(request, body, lambda ev: flows(ev, start, body.depth, body.top, **opts))
