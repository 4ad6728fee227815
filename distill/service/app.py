"""The FastAPI application: :func:`~distill.service.app.create_app` and what guards every request.

Layers, outermost first:

1. ``_Guard`` (plain ASGI): refuses over-long URLs (414) and over-large bodies
   (413, also for chunked bodies, which it reads up to the limit), and adds
   security headers (``nosniff``, ``no-store``, HSTS on HTTPS) to every
   response.
2. CORS, only when ``cors.origins`` lists origins.
3. FastAPI's routing, with the API-key dependency on every router but health.
4. Exception handlers that turn every error into RFC 9457 problem details
   (``application/problem+json``), never a stack trace: unexpected errors are
   logged on the server with an id, and the response only carries the id.

Analyses run in worker threads: at most ``limits.concurrency`` at once, each
request within ``limits.timeout`` seconds including its wait (504 beyond; a
computation that overruns is abandoned, finishes in the background and its
result is dropped). Results are serialised with :func:`distill.export.to_json`
in the worker, so a response body is exactly the library's export.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

from distill.errors import DistillError, MissingDependencyError

try:
    import anyio
    from fastapi import Depends, FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
    from starlette.exceptions import HTTPException as StarletteHTTPException
except ImportError as _err:  # pragma: no cover - exercised without the extra
    raise MissingDependencyError(
        getattr(_err, "name", None) or "fastapi", extra="service", feature="the REST service"
    ) from None

from distill import export
from distill._version import __version__
from distill.query import QueryError
from distill.service.catalog import Catalog, SourceNotFoundError, SourceUnavailableError
from distill.service.settings import Settings, SettingsError, is_loopback, load_settings

__all__ = ["create_app", "openapi_document", "ProblemError", "Runtime", "API_PREFIX", "PROBLEM_TYPES"]

log = logging.getLogger("distill.service")

#: Every route lives under this prefix.
API_PREFIX = "/v1"
_PROBLEM = "urn:distill:problem:"

#: Problem types (``type`` of a problem document) and what they mean.
PROBLEM_TYPES: dict[str, str] = {
    "unauthorized": "No API key, or a key the service does not know (401).",
    "not-found": "No such route, source or session (404).",
    "method-not-allowed": "The route exists but not with this HTTP method (405).",
    "invalid-json": "The request body is not valid JSON (400).",
    "invalid-query": "The distill Query in the request is malformed or does not fit the data (400).",
    "invalid-request": "A parameter is missing, unknown, or out of range (422).",
    "invalid-parameter": "The analysis refused a parameter value, e.g. a column that does not exist (422).",
    "page-too-large": "'limit' is larger than the service's largest page (422).",
    "result-too-large": "The result is larger than the service's response limit; page or narrow it (422).",
    "request-too-large": "The request body is larger than the service accepts (413).",
    "uri-too-long": "The URL is longer than the service accepts (414).",
    "unsupported-media-type": "A request body that is not application/json (415).",
    "source-unavailable": "A configured source cannot be read now: files gone, cluster unreachable (503).",
    "overloaded": "Every analysis worker stayed busy for the whole time limit (503).",
    "timeout": "The request took longer than the service's time limit (504).",
    "internal": "An unexpected error; the server log has the details under the given id (500).",
}


class ProblemError(Exception):
    """An error answered as problem details.

    Parameters
    ----------
    status : int
        HTTP status.
    slug : str
        Key of :data:`PROBLEM_TYPES`.
    detail : str
        What went wrong, for people (never a stack trace or a secret).
    headers : mapping, optional
        Extra response headers.
    extra : mapping, optional
        Further members of the problem document.
    """

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _problem_body(status: int, slug: str, detail: str | None, instance: str | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": _PROBLEM + slug,
        "title": _TITLES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def _problem(
    status: int,
    slug: str,
    detail: str | None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return JSONResponse(
        _problem_body(status, slug, detail, instance, **extra),
        status_code=status,
        headers=dict(headers or {}),
        media_type="application/problem+json",
    )


# -- runtime ----------------------------------------------------------------------------------
class _Deadline:
    __slots__ = ("end",)

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def check(self) -> None:
        if self.remaining() <= 0:
            raise _Expired


class _Expired(Exception):
    pass


class _Overloaded(Exception):
    pass


class Runtime:
    """What a running app holds: settings, the source catalog, API keys, the worker pool.

    Reached from a route as ``request.app.state.distill``; :func:`create_app`
    builds one per application. Routes use it to check keys
    (:meth:`key_ok`), bound pages (:meth:`page`) and run analyses in worker
    threads within the time limit (:meth:`respond`).

    Parameters
    ----------
    settings : Settings
        The service's settings.
    env : mapping, optional
        Where API keys and source credentials are read (default
        ``os.environ``).

    Attributes
    ----------
    settings : Settings
        The settings it was built with.
    catalog : Catalog
        The sources and the cache of their (redacted) event frames.

    Raises
    ------
    SettingsError
        Authentication on without any key, with a key shorter than 16
        characters, or with an unreadable ``auth.keys_file``.

    Examples
    --------
    >>> from distill.service.settings import load_settings
    >>> rt = Runtime(load_settings({}, env={}), env={"DISTILL_API_KEYS": "k-0123456789abcdef"})
    >>> rt.key_ok("k-0123456789abcdef"), rt.key_ok("guess"), rt.key_ok(None)
    (True, False, False)
    >>> rt.page(0, None)  # the default page size
    (0, 100)
    >>> len(rt.catalog.events())  # the default source: the bundled sample
    4863
    """

    def __init__(self, settings: Settings, *, env: Mapping[str, str] | None = None):
        self.settings = settings
        env = os.environ if env is None else env
        self.catalog = Catalog(settings, env=env)
        self._keys = _load_keys(settings, env)
        self._workers = threading.BoundedSemaphore(settings.limits.concurrency)
        self._limiter: anyio.CapacityLimiter | None = None

    # -- authentication ---------------------------------------------------------------------
    def key_ok(self, presented: str | None) -> bool:
        """Whether ``presented`` is a configured API key (constant-time comparison)."""
        if not self.settings.auth.enabled:
            return True
        if not presented:
            return False
        digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        ok = False
        for key in self._keys:  # compare with every key, always: no early exit
            ok |= hmac.compare_digest(digest, key)
        return ok

    # -- running analyses -------------------------------------------------------------------
    def page(self, offset: int, limit: int | None) -> tuple[int, int]:
        """``(offset, limit)`` with the default page size, or 422 when ``limit`` is too large."""
        lim = self.settings.limits
        if limit is None:
            limit = lim.default_page
        if limit > lim.max_page:
            raise ProblemError(
                422,
                "page-too-large",
                f"limit {limit} is larger than the largest page this service returns ({lim.max_page}); "
                "ask for pages with offset and limit",
                extra={"max_page": lim.max_page},
            )
        return offset, limit

    def encode(self, obj: Any, meta: Mapping[str, Any] | None = None) -> bytes:
        """The export JSON of a result, refused when larger than ``limits.max_response_bytes``."""
        data = export.to_json(obj, meta=meta).encode("utf-8")
        if len(data) > self.settings.limits.max_response_bytes:
            raise ProblemError(
                422,
                "result-too-large",
                f"the result is {len(data):,} bytes, more than this service returns "
                f"({self.settings.limits.max_response_bytes:,}); page it (offset, limit), "
                "narrow it with a query, or prune it (min_count, top)",
            )
        return data

    async def respond(self, work: Callable[[], Any], meta: Mapping[str, Any] | None = None) -> Response:
        """Run ``work()`` in a worker thread, within the time limit; answer its export JSON.

        ``work`` returns a result (exported with ``meta``) or a ``(result, meta)`` pair.
        """
        deadline = _Deadline(self.settings.limits.timeout)

        def job() -> bytes:
            if not self._workers.acquire(timeout=max(deadline.remaining(), 0.0)):
                raise _Overloaded
            try:
                deadline.check()
                out = work()
                deadline.check()
                if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], Mapping):
                    result, extra = out
                else:
                    result, extra = out, {}
                body = self.encode(result, {**(meta or {}), **extra})
                deadline.check()
                return body
            finally:
                self._workers.release()

        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.limits.concurrency * 4)
        try:
            # a little grace, so a request that waited the whole time for a worker is told "overloaded"
            with anyio.fail_after(max(deadline.remaining(), 0.0) + 0.05):
                body = await anyio.to_thread.run_sync(job, abandon_on_cancel=True, limiter=self._limiter)
        except (TimeoutError, _Expired):
            raise ProblemError(
                504, "timeout", f"the request took longer than this service allows ({self.settings.limits.timeout:g} s)"
            ) from None
        except _Overloaded:
            raise ProblemError(
                503, "overloaded", "every analysis worker stayed busy; try again later", headers={"Retry-After": "5"}
            ) from None
        return Response(body, media_type="application/json")


def _load_keys(settings: Settings, env: Mapping[str, str]) -> list[bytes]:
    auth = settings.auth
    if not auth.enabled:
        return []
    keys: list[str] = []
    raw = env.get(auth.keys_env, "")
    keys.extend(k.strip() for k in raw.split(",") if k.strip())
    if auth.keys_file:
        try:
            text = Path(auth.keys_file).read_text(encoding="utf-8")
        except OSError as err:
            raise SettingsError(f"auth.keys_file {auth.keys_file}: cannot read it ({err.strerror or err})") from None
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                keys.append(line)
    if not keys:
        raise SettingsError(
            f"auth: no API key configured; set {auth.keys_env} (comma-separated keys) or auth.keys_file, "
            "or turn authentication off with auth.enabled: false (loopback only)"
        )
    short = [k for k in keys if len(k) < 16]
    if short:
        raise SettingsError(f"auth: {len(short)} API key(s) shorter than 16 characters; use long random keys")
    return [hashlib.sha256(k.encode("utf-8")).digest() for k in keys]


# -- middleware ---------------------------------------------------------------------------------
class _Guard:
    """Size limits for URLs and bodies, and security headers (plain ASGI middleware)."""

    def __init__(self, app: Any, settings: Settings):
        self.app = app
        self.limits = settings.limits
        self.hsts = not settings.server.http

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hsts = self.hsts and scope.get("scheme") == "https"
        docs = scope.get("path", "").rstrip("/") == API_PREFIX + "/docs"

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"cache-control", b"no-store"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if not docs:
                    headers.append((b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"))
                if hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers}
            await send(message)

        url_len = len(scope.get("raw_path") or scope.get("path", "").encode()) + len(scope.get("query_string", b""))
        if url_len > self.limits.max_url_bytes:
            await self._refuse(
                scope,
                receive,
                send_with_headers,
                414,
                "uri-too-long",
                f"the URL is longer than {self.limits.max_url_bytes} bytes",
            )
            return
        limit = self.limits.max_request_bytes
        length = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = limit + 1
        if length is not None and length > limit:
            await self._refuse(
                scope,
                receive,
                send_with_headers,
                413,
                "request-too-large",
                f"the request body is larger than {limit} bytes",
            )
            return
        if scope.get("method") in ("POST", "PUT", "PATCH") and length is None:
            # chunked body: read it here, up to the limit, then replay it
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body = message.get("body", b"")
                size += len(body)
                if size > limit:
                    await self._refuse(
                        scope,
                        None,
                        send_with_headers,
                        413,
                        "request-too-large",
                        f"the request body is larger than {limit} bytes",
                    )
                    return
                chunks.append(body)
                more = message.get("more_body", False)
            replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

            async def replay_receive() -> dict[str, Any]:
                if replay:
                    return replay.pop()
                return await receive()

            await self.app(scope, replay_receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _refuse(scope: dict[str, Any], receive: Any, send: Any, status: int, slug: str, detail: str) -> None:
        response = _problem(status, slug, detail, scope.get("path"), headers={"Connection": "close"})
        await response(scope, receive, send)


# -- the app -------------------------------------------------------------------------------------
_DESCRIPTION = """\
Distill's analyses of user-activity logs (Apache Flagon UserALE.js and other event streams) as JSON.

Every successful response is a Distill export document (`format`, `version`, `kind`, `generator`, `meta`,
`data`): exactly what `distill.to_dict(result)` returns for the same analysis in Python. Errors are RFC 9457
problem details (`application/problem+json`).

Authenticate with an API key in the `X-API-Key` header (or `Authorization: Bearer <key>`); only
`/v1/health` is open. Typed values (form input, passwords, query strings) are redacted unless the
service's settings turn redaction off (`meta` of the health document says which).
"""


def create_app(
    settings: Settings | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> FastAPI:
    """The Distill REST service as a FastAPI (ASGI) application.

    Parameters
    ----------
    settings : Settings, mapping, settings file path, or None
        See :func:`distill.service.settings.load_settings` (None: the
        ``DISTILL_SETTINGS`` file if set, else defaults, plus ``DISTILL_*``
        environment variables).
    env : mapping, optional
        Where API keys and source credentials are read (default ``os.environ``).

    Returns
    -------
    fastapi.FastAPI
        Routes under ``/v1``; run it with :func:`distill.service.serve` (or any
        ASGI server).

    Raises
    ------
    SettingsError
        Invalid settings, or authentication on without any key.
    MissingDependencyError
        Without the ``service`` extra.

    Examples
    --------
    >>> app = create_app({"auth": {"enabled": False}})
    >>> sorted(set(app.openapi()["paths"]) & {"/v1/health", "/v1/events", "/v1/graph"})
    ['/v1/events', '/v1/graph', '/v1/health']
    """
    settings = load_settings(settings, env=env)
    if not settings.auth.enabled and not is_loopback(settings.server.host):
        raise SettingsError(
            f"auth.enabled is false but server.host is {settings.server.host!r}: "
            "a service without API keys may only listen on a loopback address"
        )
    runtime = Runtime(settings, env=env)
    app = FastAPI(
        title="Distill",
        version=__version__,
        description=_DESCRIPTION,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
        responses={
            "4XX": {"model": _problem_model(), "description": "Problem details", "content": _PROBLEM_CONTENT},
            "5XX": {"model": _problem_model(), "description": "Problem details", "content": _PROBLEM_CONTENT},
        },
    )
    app.state.distill = runtime
    _install_handlers(app)
    _install_routes(app, runtime)
    if settings.cors.origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors.origins),
            allow_methods=list(settings.cors.methods),
            allow_headers=list(settings.cors.headers),
            allow_credentials=False,
            max_age=settings.cors.max_age,
        )
    app.add_middleware(_Guard, settings=settings)
    return app


_PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _problem_model() -> Any:
    from distill.service.models import Problem

    return Problem


_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKey", description="An API key the service was given"
)
_bearer = HTTPBearer(auto_error=False, scheme_name="Bearer", description="The same API key as a bearer token")


async def require_key(
    request: Request,
    api_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Dependency: a valid API key in ``X-API-Key`` or ``Authorization: Bearer``."""
    runtime: Runtime = request.app.state.distill
    presented = api_key or (bearer.credentials if bearer is not None else None)
    if not runtime.key_ok(presented):
        raise ProblemError(
            401,
            "unauthorized",
            "a valid API key is needed (X-API-Key header or Authorization: Bearer)"
            if presented
            else "no API key: send one in the X-API-Key header (or Authorization: Bearer)",
            headers={"WWW-Authenticate": 'Bearer realm="distill"'},
        )


def _install_routes(app: FastAPI, runtime: Runtime) -> None:
    from distill.service.routers import ROUTERS, docs_router, health

    guarded = [Depends(require_key)]
    app.include_router(health.router, prefix=API_PREFIX)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX, dependencies=guarded)
    app.include_router(docs_router(), prefix=API_PREFIX, dependencies=[] if runtime.settings.public_docs else guarded)
    from distill.service.routers.plugins import plugins_router

    app.include_router(plugins_router(), prefix=API_PREFIX, dependencies=guarded)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem_error(request: Request, exc: ProblemError) -> JSONResponse:
        return _problem(exc.status, exc.slug, exc.detail, request.url.path, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _problem(400, "invalid-json", "the request body is not valid JSON", request.url.path)
        listed: list[dict[str, Any]] = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in errors[:50]
        ]
        loc: list[str] = listed[0]["loc"] if listed else []
        msg: str = listed[0]["msg"] if listed else "invalid request"
        where = ".".join(loc[1:] if len(loc) > 1 else loc)
        detail = f"{where}: {msg}" if where else msg
        return _problem(422, "invalid-request", detail, request.url.path, errors=listed)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 415: "unsupported-media-type", 401: "unauthorized"}.get(
            exc.status_code, "invalid-request"
        )
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path}; see {API_PREFIX}/openapi.json"
        return _problem(exc.status_code, slug, detail, request.url.path, getattr(exc, "headers", None) or {})

    @app.exception_handler(QueryError)
    async def _query(request: Request, exc: QueryError) -> JSONResponse:
        return _problem(400, "invalid-query", str(exc), request.url.path)

    @app.exception_handler(SourceNotFoundError)
    async def _no_source(request: Request, exc: SourceNotFoundError) -> JSONResponse:
        return _problem(404, "not-found", str(exc), request.url.path)

    @app.exception_handler(SourceUnavailableError)
    async def _unavailable(request: Request, exc: SourceUnavailableError) -> JSONResponse:
        log.warning("source %s unavailable: %s", exc.name, exc.reason)
        return _problem(503, "source-unavailable", str(exc), request.url.path, {"Retry-After": "30"})

    @app.exception_handler(RecursionError)
    async def _deep(request: Request, exc: RecursionError) -> JSONResponse:
        return _problem(400, "invalid-request", "the request is nested too deeply", request.url.path)

    async def _parameter(request: Request, exc: Exception) -> JSONResponse:
        text = str(exc).strip() or type(exc).__name__
        if isinstance(exc, KeyError) and exc.args:
            text = f"not found: {exc.args[0]!r}"
        return _problem(422, "invalid-parameter", text.splitlines()[0][:2000], request.url.path)

    for cls in (DistillError, ValueError, TypeError, KeyError):
        app.add_exception_handler(cls, _parameter)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        error_id = uuid.uuid4().hex[:12]
        log.error("internal error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc)
        return _problem(
            500, "internal", f"an unexpected error occurred (id {error_id})", request.url.path, error_id=error_id
        )


def openapi_document(settings: Settings | Mapping[str, Any] | None = None, *, plugins: bool = True) -> dict[str, Any]:
    """The service's OpenAPI document (as committed in ``docs/api/openapi.json``, without plugins).

    Parameters
    ----------
    settings : Settings or mapping, optional
        Settings of the app to describe (default: defaults, authentication
        off so no key is needed to build it). The document does not depend on
        the settings except through ``public_docs``.
    plugins : bool
        Include the ``/v1/plugins/<name>`` routes of the installed plugins
        (they depend on the machine, so the committed document leaves them out).

    Returns
    -------
    dict
        The OpenAPI 3.1 document: every route under ``/v1`` with its
        parameters, request and response models and problem responses.

    Examples
    --------
    >>> doc = openapi_document(plugins=False)
    >>> doc["openapi"], doc["info"]["title"]
    ('3.1.0', 'Distill')
    >>> "/v1/events" in doc["paths"], any(p.startswith("/v1/plugins/") for p in doc["paths"])
    (True, False)
    """
    if settings is None:
        settings = {"auth": {"enabled": False}}
    app = create_app(load_settings(settings, env={}))
    doc = app.openapi()
    if not plugins:
        doc = dict(doc)
        doc["paths"] = {k: v for k, v in doc["paths"].items() if not k.startswith(f"{API_PREFIX}/plugins/")}
        schemas = doc.get("components", {}).get("schemas", {})
        doc["components"] = {
            **doc["components"],
            "schemas": {k: v for k, v in schemas.items() if not k.startswith("Plugin_")},
        }
    return doc
