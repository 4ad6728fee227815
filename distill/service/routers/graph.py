"""``/v1/graph``: the click-path graph, its node metrics and its transition matrix."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from distill.graphs import click_graph, graph_metrics, transition_matrix
from distill.service.models import (
    GraphDocument,
    GraphParams,
    GraphRequest,
    MatrixParams,
    MatrixRequest,
    MetricsParams,
    MetricsRequest,
    TableDocument,
)
from distill.service.routers._common import analyse, options

__all__ = ["router"]

router = APIRouter(prefix="/graph", tags=["graph"])


def _graph_options(req: GraphRequest) -> dict[str, Any]:
    return {
        "by": req.by,
        **options(depth=req.depth, column=req.column, top=req.top),
        "min_count": req.min_count,
        "start_end": req.start_end,
        "drop_self_loops": req.drop_self_loops,
    }


async def _graph(request: Request, req: GraphRequest) -> Response:
    return await analyse(request, req, lambda events: click_graph(events, **_graph_options(req)))


@router.get("", response_model=GraphDocument, summary="The click-path graph (node-link)")
async def graph_get(request: Request, params: Annotated[GraphParams, Query()]) -> Response:
    """Kind ``graph``: exactly ``distill.to_dict(distill.graphs.click_graph(events, by=..., ...))``.

    Nodes carry ``count``, ``sessions``, ``users``; edges ``count`` and ``probability`` (the share
    of moves out of the source node); ``data.graph`` the parameters and the accounting.
    """
    return await _graph(request, params)


@router.post("", response_model=GraphDocument, summary="The click-path graph (options in the body)")
async def graph_post(request: Request, body: GraphRequest) -> Response:
    """As GET /v1/graph, with the Query as a JSON object in the body."""
    return await _graph(request, body)


async def _metrics(request: Request, req: MetricsRequest) -> Response:
    def compute(events: Any) -> Any:
        return graph_metrics(click_graph(events, **_graph_options(req)), **options(betweenness_k=req.betweenness_k))

    return await analyse(request, req, compute, page=True)


@router.get("/metrics", response_model=TableDocument, summary="Node metrics of the click graph, a page of nodes")
async def metrics_get(request: Request, params: Annotated[MetricsParams, Query()]) -> Response:
    """Table: ``distill.graphs.graph_metrics(click_graph(events, ...))``: degrees, weights, PageRank, betweenness, closeness."""
    return await _metrics(request, params)


@router.post("/metrics", response_model=TableDocument, summary="Node metrics (options in the body)")
async def metrics_post(request: Request, body: MetricsRequest) -> Response:
    """As GET /v1/graph/metrics, with the Query as a JSON object in the body."""
    return await _metrics(request, body)


async def _matrix(request: Request, req: MatrixRequest) -> Response:
    def compute(events: Any) -> Any:
        return transition_matrix(click_graph(events, **_graph_options(req)), normalize=req.probabilities)

    return await analyse(request, req, compute)


@router.get("/matrix", response_model=TableDocument, summary="The transition matrix of the click graph")
async def matrix_get(request: Request, params: Annotated[MatrixParams, Query()]) -> Response:
    """Kind ``matrix``: ``distill.graphs.transition_matrix(click_graph(events, ...), normalize=probabilities)``."""
    return await _matrix(request, params)


@router.post("/matrix", response_model=TableDocument, summary="The transition matrix (options in the body)")
async def matrix_post(request: Request, body: MatrixRequest) -> Response:
    """As GET /v1/graph/matrix, with the Query as a JSON object in the body."""
    return await _matrix(request, body)
