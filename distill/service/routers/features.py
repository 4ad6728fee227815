"""``/v1/features``: feature tables from distill.features (and graph features), a page at a time."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from distill import features
from distill.graphs import graph_features
from distill.service.models import (
    BetweenUsersParams,
    BetweenUsersRequest,
    CountsParams,
    CountsRequest,
    GraphFeaturesParams,
    GraphFeaturesRequest,
    InteractionParams,
    InteractionRequest,
    SessionFeaturesParams,
    SessionFeaturesRequest,
    TableDocument,
    WithinUsersParams,
    WithinUsersRequest,
)
from distill.service.routers._common import analyse, options

__all__ = ["router"]

router = APIRouter(prefix="/features", tags=["features"])


def _counts(req: CountsRequest) -> Any:
    return lambda ev: features.counts(ev, req.every, by=req.by, column=req.column, fill=req.fill)


def _within(req: WithinUsersRequest) -> Any:
    return lambda ev: features.within_users(ev, by=req.by, every=req.every, column=req.column)


def _between(req: BetweenUsersRequest) -> Any:
    return lambda ev: features.between_users(ev, by=req.by, agg=req.agg, every=req.every, column=req.column)


def _interaction(req: InteractionRequest) -> Any:
    return lambda ev: features.interaction_probability(
        ev, req.by, per=req.per, **options(depth=req.depth, column=req.column)
    )


def _sessions(req: SessionFeaturesRequest) -> Any:
    return lambda ev: features.session_features(ev, **options(idle=req.idle, bounce_actions=req.bounce_actions))


def _graph(req: GraphFeaturesRequest) -> Any:
    return lambda ev: graph_features(ev, req.per, req.by, **options(depth=req.depth, column=req.column))


_ROUTES: list[tuple[str, Any, Any, Any, str]] = [
    ("/counts", CountsRequest, CountsParams, _counts, "distill.features.counts: events per group per time bin"),
    (
        "/within-users",
        WithinUsersRequest,
        WithinUsersParams,
        _within,
        "distill.features.within_users: statistics over each group's bins",
    ),
    (
        "/between-users",
        BetweenUsersRequest,
        BetweenUsersParams,
        _between,
        "distill.features.between_users: statistics across groups",
    ),
    (
        "/interaction-probability",
        InteractionRequest,
        InteractionParams,
        _interaction,
        "distill.features.interaction_probability: each group's share of events per node",
    ),
    (
        "/sessions",
        SessionFeaturesRequest,
        SessionFeaturesParams,
        _sessions,
        "distill.features.session_features: one row of features per session",
    ),
    (
        "/graph",
        GraphFeaturesRequest,
        GraphFeaturesParams,
        _graph,
        "distill.graphs.graph_features: statistics of each session's or user's click graph",
    ),
]


def _add(path: str, body_model: Any, params_model: Any, make: Any, doc: str) -> None:
    name = path.strip("/").replace("-", "_")

    async def get(request: Request, params: Annotated[params_model, Query()]) -> Response:  # type: ignore[valid-type]
        return await analyse(request, params, make(params), page=True)

    async def post(request: Request, body: body_model) -> Response:  # type: ignore[valid-type]
        return await analyse(request, body, make(body), page=True)

    get.__name__, post.__name__ = f"features_{name}_get", f"features_{name}_post"
    get.__doc__ = f"Table: exactly ``distill.to_dict`` of {doc}, a page of rows (``meta.total`` rows in all)."
    post.__doc__ = f"As GET /v1/features{path}, with the Query as a JSON object in the body."
    what = doc.split(": ", 1)[1]
    what = what[0].upper() + what[1:]
    router.add_api_route(path, get, methods=["GET"], response_model=TableDocument, summary=what)
    router.add_api_route(
        path, post, methods=["POST"], response_model=TableDocument, summary=what + " (options in the body)"
    )


for _route in _ROUTES:
    _add(*_route)
