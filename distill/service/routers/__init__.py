"""Routers of the REST service, one per resource (all under ``/v1``)."""

from __future__ import annotations

from distill.service.routers import events, features, graph, health, paths, sessions, sources
from distill.service.routers.docs import docs_router

__all__ = ["ROUTERS", "docs_router", "health"]

#: Routers that need an API key (health is open).
ROUTERS = [
    health.version_router,
    sources.router,
    events.router,
    sessions.router,
    features.router,
    graph.router,
    paths.funnels_router,
    paths.router,
]
