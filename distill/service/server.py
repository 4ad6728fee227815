"""Run the REST service with uvicorn: HTTPS with a certificate and key, or HTTP on loopback only.

:func:`serve` checks the settings before anything listens: HTTPS needs
``server.certfile`` and ``server.keyfile``; plain HTTP needs ``server.http:
true`` *and* a loopback ``server.host``; authentication needs at least one
API key. uvicorn then runs with ``limits.max_connections`` (503 beyond), no
``Server`` header, no proxy headers trusted, and short keep-alive.

Examples
--------
>>> from distill.service.settings import load_settings
>>> check_server(load_settings({"server": {"http": True}}, env={})).server.http
True
>>> check_server(load_settings({"server": {"http": True, "host": "0.0.0.0"}}, env={}))
Traceback (most recent call last):
...
distill.service.settings.SettingsError: server.http: plain HTTP is only served on a loopback address ...
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from distill.errors import MissingDependencyError
from distill.service.settings import Settings, SettingsError, is_loopback, load_settings

__all__ = ["serve", "check_server", "uvicorn_config"]

_SETTINGS_ENV = "_DISTILL_SERVE_SETTINGS"


def check_server(settings: Settings) -> Settings:
    """Refuse settings that would serve insecurely; return them unchanged otherwise.

    :func:`serve` calls it before anything listens.

    Parameters
    ----------
    settings : Settings
        The service's settings; only the ``server`` section is checked.

    Returns
    -------
    Settings
        ``settings`` itself.

    Raises
    ------
    SettingsError
        HTTPS without a readable certificate and key, or plain HTTP on a
        non-loopback address, or a ``server.keyfile_password_env`` that is
        not set.

    Examples
    --------
    >>> from distill.service.settings import load_settings
    >>> local = load_settings({"server": {"http": True}}, env={})
    >>> check_server(local) is local
    True
    >>> check_server(load_settings(env={}))  # the default is HTTPS, which needs a certificate
    Traceback (most recent call last):
    ...
    distill.service.settings.SettingsError: HTTPS needs server.certfile and server.keyfile (PEM); ...
    """
    server = settings.server
    if server.http:
        if not is_loopback(server.host):
            raise SettingsError(
                f"server.http: plain HTTP is only served on a loopback address (127.0.0.1, ::1, localhost), "
                f"not {server.host!r}; give server.certfile and server.keyfile for HTTPS"
            )
        return settings
    if not server.certfile or not server.keyfile:
        raise SettingsError(
            "HTTPS needs server.certfile and server.keyfile (PEM); for plain HTTP on loopback only, "
            "set server.http: true (distill serve --http)"
        )
    for name in ("certfile", "keyfile"):
        path = Path(getattr(server, name))
        if not path.is_file() or not os.access(path, os.R_OK):
            raise SettingsError(f"server.{name}: {path} is not a readable file")
    if server.keyfile_password_env and server.keyfile_password_env not in os.environ:
        raise SettingsError(
            f"server.keyfile_password_env: environment variable {server.keyfile_password_env} is not set"
        )
    return settings


def uvicorn_config(settings: Settings, app: Any) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.Config`` from the settings.

    Parameters
    ----------
    settings : Settings
        The service's settings (checked with :func:`check_server` first).
    app : object
        The ASGI application, or an import string of an app factory.

    Returns
    -------
    dict
        ``app``, ``host``, ``port``, ``log_level``; no ``Server`` header, no
        proxy headers trusted, ``limit_concurrency`` from
        ``limits.max_connections``, a 5-second keep-alive, and for HTTPS the
        certificate, key and (read from its environment variable) the key's
        password.

    Examples
    --------
    >>> from distill.service.settings import load_settings
    >>> options = uvicorn_config(load_settings({"server": {"http": True, "port": 8080}}, env={}), app=None)
    >>> options["host"], options["port"], options["server_header"], options["limit_concurrency"]
    ('127.0.0.1', 8080, False, 256)
    >>> "ssl_certfile" in options  # plain HTTP on loopback
    False
    """
    server = settings.server
    options: dict[str, Any] = {
        "app": app,
        "host": server.host,
        "port": server.port,
        "log_level": server.log_level,
        "server_header": False,
        "proxy_headers": False,
        "limit_concurrency": settings.limits.max_connections,
        "timeout_keep_alive": 5,
        # large enough that an over-long URL reaches the app and is answered 414 as problem details
        "h11_max_incomplete_event_size": max(16 * settings.limits.max_url_bytes + 65536, 1_048_576),
    }
    if not server.http:
        options["ssl_certfile"] = server.certfile
        options["ssl_keyfile"] = server.keyfile
        if server.keyfile_password_env:
            options["ssl_keyfile_password"] = os.environ[server.keyfile_password_env]
    return options


def _as_dict(settings: Settings) -> dict[str, Any]:
    out = dataclasses.asdict(settings)
    out["sources"] = [dict(s) for s in out["sources"]]
    return out


def _worker_app() -> Any:
    """App factory for worker processes (``server.workers > 1``)."""
    from distill.service.app import create_app

    return create_app(load_settings(json.loads(os.environ[_SETTINGS_ENV])))


def serve(settings: Any = None, **overrides: Any) -> None:
    """Run the service until interrupted.

    Parameters
    ----------
    settings : Settings, mapping, path or None
        See :func:`~distill.service.settings.load_settings`.
    **overrides
        Fields of the ``server`` section to override (``host``, ``port``,
        ``certfile``, ``keyfile``, ``http``, ``workers``, ``log_level``).

    Raises
    ------
    SettingsError
        Insecure or incomplete settings (see :func:`check_server`), or no API key.
    MissingDependencyError
        Without the ``service`` extra (uvicorn).

    Examples
    --------
    Settings are checked before anything listens; HTTPS with a certificate
    that is not there is refused:

    >>> serve(http=False, certfile="/no/such/cert.pem", keyfile="/no/such/key.pem")
    Traceback (most recent call last):
    ...
    distill.service.settings.SettingsError: server.certfile: /no/such/cert.pem is not a readable file
    """
    try:
        import uvicorn
    except ImportError:
        raise MissingDependencyError("uvicorn", extra="service", feature="distill serve") from None
    from distill.service.app import create_app

    settings = load_settings(settings)
    given = {k: v for k, v in overrides.items() if v is not None}
    if given:
        settings = settings.replace(server=dataclasses.replace(settings.server, **given))
    check_server(settings)
    app = create_app(settings)  # fails here, before listening, on bad settings or missing keys
    if settings.server.workers > 1:
        os.environ[_SETTINGS_ENV] = json.dumps(_as_dict(settings))
        options = uvicorn_config(settings, "distill.service.server:_worker_app")
        uvicorn.run(**options, factory=True, workers=settings.server.workers)
        return
    uvicorn.Server(uvicorn.Config(**uvicorn_config(settings, app))).run()
