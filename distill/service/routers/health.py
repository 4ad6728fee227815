"""``/v1/health`` (no API key needed) and ``/v1/version``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from distill import export
from distill._version import __version__
from distill.service.models import ValueDocument
from distill.service.routers._common import runtime

__all__ = ["router", "version_router"]

router = APIRouter(tags=["health"])
version_router = APIRouter(tags=["health"])


@router.get("/health", response_model=ValueDocument, summary="Is the service up? (no API key needed)")
async def health() -> JSONResponse:
    """``{"status": "ok"}`` in an export envelope of kind ``health``; reveals nothing else."""
    return JSONResponse(export.envelope("health", {"status": "ok"}))


@version_router.get("/version", response_model=ValueDocument, summary="Versions and data-protection settings")
async def version(request: Request) -> JSONResponse:
    """Library version, export format version, API version, and whether typed values are redacted."""
    rt = runtime(request)
    data = {
        "distill": __version__,
        "api": "v1",
        "export_format": export.FORMAT_VERSION,
        "redact": rt.settings.redact,
        "limits": {
            "default_page": rt.settings.limits.default_page,
            "max_page": rt.settings.limits.max_page,
            "max_request_bytes": rt.settings.limits.max_request_bytes,
            "max_response_bytes": rt.settings.limits.max_response_bytes,
            "timeout": rt.settings.limits.timeout,
        },
    }
    return JSONResponse(export.envelope("version", data))
