"""The REST service: Distill's analyses as JSON over HTTPS (FastAPI).

A thin shell: every route reads a configured source, calls the library
function of the same name and returns exactly ``distill.to_dict(result)``.
Needs the ``service`` extra (``pip install 'distill[service]'``); importing
this package does not, the names below import FastAPI when first used.

- :func:`~distill.service.create_app` builds the ASGI application from settings;
- :func:`~distill.service.serve` runs it with uvicorn (HTTPS unless plain HTTP on loopback is
  asked for);
- :func:`~distill.service.settings.load_settings` / :class:`~distill.service.settings.Settings` read the settings file and the
  environment;
- :func:`~distill.service.openapi_document` is the OpenAPI document (committed as
  ``docs/api/openapi.json``).

Examples
--------
>>> from distill.service import load_settings
>>> load_settings(env={}).server.port
8443
"""

from __future__ import annotations

from typing import Any

from distill.service.settings import Settings, SettingsError, load_settings

__all__ = ["create_app", "serve", "openapi_document", "load_settings", "Settings", "SettingsError"]


def create_app(settings: Any = None, *, env: Any = None) -> Any:
    """The FastAPI application; see :func:`distill.service.app.create_app`."""
    from distill.service.app import create_app as _create

    return _create(settings, env=env)


def openapi_document(settings: Any = None, *, plugins: bool = True) -> dict[str, Any]:
    """The OpenAPI document; see :func:`distill.service.app.openapi_document`."""
    from distill.service.app import openapi_document as _doc

    return _doc(settings, plugins=plugins)


def serve(settings: Any = None, **overrides: Any) -> None:
    """Run the service; see :func:`distill.service.server.serve`."""
    from distill.service.server import serve as _serve

    _serve(settings, **overrides)
