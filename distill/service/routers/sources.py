"""``/v1/sources``: the configured sources, their fields, time range and summary."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Path, Request, Response

from distill import export
from distill.overview import summary
from distill.service.models import SummaryDocument, TableDocument, ValueDocument
from distill.service.routers._common import Value, runtime

__all__ = ["router"]

router = APIRouter(prefix="/sources", tags=["sources"])

SourceName = Annotated[str, Path(max_length=200, description="A source name from GET /v1/sources")]


@router.get("", response_model=TableDocument, summary="The configured sources")
async def list_sources(request: Request) -> Response:
    """Table (kind ``sources``) of name, kind, description, whether it is the default and whether it is cached.

    Hosts, paths and credentials are never shown.
    """
    rt = runtime(request)
    return await rt.respond(lambda: rt.catalog.table())


@router.get("/{name}/fields", response_model=TableDocument, summary="The fields (columns) of a source's events")
async def fields(request: Request, name: SourceName) -> Response:
    """Table (kind ``fields``): each column's name, its export type, and how many events have a value."""
    rt = runtime(request)

    def work() -> tuple[pd.DataFrame, dict[str, str]]:
        events = rt.catalog.events(name)
        types = export.to_dict(events, limit=0)["data"]["fields"]
        table = pd.DataFrame(
            {
                "name": [f["name"] for f in types],
                "type": [f["type"] for f in types],
                "present": [int(events[f["name"]].notna().sum()) for f in types],
            }
        )
        table.attrs["distill_kind"] = "fields"
        return table, {"source": name}

    return await rt.respond(work)


@router.get("/{name}/time-range", response_model=ValueDocument, summary="First and last event time of a source")
async def time_range(request: Request, name: SourceName) -> Response:
    """Kind ``time_range``: ``start``, ``end``, ``span_seconds`` and ``events`` (from distill.summary)."""
    rt = runtime(request)

    def work() -> tuple[Value, dict[str, str]]:
        s = summary(rt.catalog.events(name)).to_dict()
        return Value("time_range", {k: s[k] for k in ("start", "end", "span_seconds", "events")}), {"source": name}

    return await rt.respond(work)


@router.get("/{name}/summary", response_model=SummaryDocument, summary="Counts and span of a source (distill.summary)")
async def source_summary(request: Request, name: SourceName) -> Response:
    """Exactly ``distill.to_dict(distill.summary(events))`` with ``meta.source``."""
    rt = runtime(request)
    return await rt.respond(lambda: (summary(rt.catalog.events(name)), {"source": name}))
