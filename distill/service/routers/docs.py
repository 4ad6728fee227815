"""``/v1/openapi.json`` and, when the docs are public, ``/v1/docs`` (Swagger UI)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from distill.service.routers._common import runtime

__all__ = ["docs_router"]


def docs_router() -> APIRouter:
    """A router serving the OpenAPI document (and the Swagger UI page)."""
    router = APIRouter(tags=["docs"], include_in_schema=False)

    @router.get("/openapi.json")
    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(request.app.openapi())

    @router.get("/docs")
    async def docs(request: Request) -> HTMLResponse:
        if not runtime(request).settings.public_docs:
            from distill.service.app import ProblemError

            raise ProblemError(
                404, "not-found", "the interactive docs are off (public_docs: false); GET /v1/openapi.json"
            )
        return get_swagger_ui_html(
            openapi_url=request.scope.get("root_path", "") + "/v1/openapi.json", title="Distill API"
        )

    return router
