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
    """The FastAPI application; see :func:`distill.service.app.create_app`.

    Imports FastAPI only when called, so ``import distill.service`` works
    without the ``service`` extra.

    Parameters
    ----------
    settings : Settings, mapping, settings file path, or None
        See :func:`~distill.service.settings.load_settings` (None: the
        ``DISTILL_SETTINGS`` file if set, else the defaults, plus
        ``DISTILL_*`` environment variables).
    env : mapping, optional
        Where API keys and source credentials are read (default
        ``os.environ``).

    Returns
    -------
    fastapi.FastAPI
        The ASGI application, routes under ``/v1``.

    Raises
    ------
    SettingsError
        Invalid settings, or authentication on without any key.
    MissingDependencyError
        Without the ``service`` extra.

    Examples
    --------
    >>> from fastapi.testclient import TestClient
    >>> app = create_app({"auth": {"enabled": False}}, env={})
    >>> with TestClient(app) as client:
    ...     doc = client.get("/v1/sessions", params={"limit": 50}).json()
    >>> doc["kind"], len(doc["data"]["records"]), doc["meta"]["source"]
    ('sessions', 21, 'sample')
    """
    from distill.service.app import create_app as _create

    return _create(settings, env=env)


def openapi_document(settings: Any = None, *, plugins: bool = True) -> dict[str, Any]:
    """The OpenAPI document; see :func:`distill.service.app.openapi_document`.

    Parameters
    ----------
    settings : Settings or mapping, optional
        Settings of the app to describe (default: the defaults with
        authentication off).
    plugins : bool
        Include the ``/v1/plugins/<name>`` routes of installed plugins.

    Returns
    -------
    dict
        The OpenAPI 3.1 document, as ``GET /v1/openapi.json`` serves it.

    Examples
    --------
    >>> doc = openapi_document(plugins=False)
    >>> doc["info"]["title"], sorted(p for p in doc["paths"] if p.startswith("/v1/sessions"))
    ('Distill', ['/v1/sessions', '/v1/sessions/{session_id}'])
    """
    from distill.service.app import openapi_document as _doc

    return _doc(settings, plugins=plugins)


def serve(settings: Any = None, **overrides: Any) -> None:
    """Run the service; see :func:`distill.service.server.serve`.

    Blocks until interrupted. The settings are checked before anything
    listens (:func:`~distill.service.server.check_server`).

    Parameters
    ----------
    settings : Settings, mapping, path or None
        See :func:`~distill.service.settings.load_settings`.
    **overrides
        Fields of the ``server`` section to override (``host``, ``port``,
        ``certfile``, ``keyfile``, ``http``, ``workers``, ``log_level``);
        None values are ignored.

    Raises
    ------
    SettingsError
        Insecure or incomplete settings, or no API key.
    MissingDependencyError
        Without the ``service`` extra.

    Examples
    --------
    Plain HTTP is refused on an address other than loopback, before anything
    listens:

    >>> serve({"auth": {"enabled": False}}, http=True, host="0.0.0.0")
    Traceback (most recent call last):
    ...
    distill.service.settings.SettingsError: server.http: plain HTTP is only served on a loopback address ...
    """
    from distill.service.server import serve as _serve

    _serve(settings, **overrides)
