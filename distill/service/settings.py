"""Service settings: one YAML/TOML/JSON file plus environment variables.

Everything the REST service (and ``distill serve``) can be told lives in one
:class:`Settings` object, built by :func:`load_settings` from, in order of
precedence (later wins):

1. the defaults below (the bundled sample as the only source, HTTPS on
   ``127.0.0.1:8443``, API keys required, typed values redacted);
2. a settings file (``.yaml``/``.yml``, ``.toml`` or ``.json``), given as a
   path or named by the ``DISTILL_SETTINGS`` environment variable;
3. environment variables ``DISTILL_<SECTION>__<KEY>`` (``DISTILL_SERVER__PORT=9443``,
   ``DISTILL_LIMITS__TIMEOUT=10``, ``DISTILL_REDACT=false``,
   ``DISTILL_SOURCES__LOGS__PATHS=/data/*.ndjson.gz``).

Secrets never go in the file: API keys come from the environment variable
named by ``auth.keys_env`` (default ``DISTILL_API_KEYS``, comma-separated) or
from ``auth.keys_file`` (one key per line); Elasticsearch credentials from the
variables a source names (``username_env``, ``password_env``, ``api_key_env``);
a TLS key password from ``server.keyfile_password_env``. Settings hold only
the *names* of those variables.

A settings file::

    server:
      host: 0.0.0.0
      port: 8443
      certfile: /etc/distill/cert.pem
      keyfile: /etc/distill/key.pem
    auth:
      keys_file: /etc/distill/api-keys
    limits:
      timeout: 20
      max_page: 5000
    cors:
      origins: [https://dashboard.example.org]
    sources:
      shop:
        kind: files
        paths: [/data/shop/*.ndjson.gz]
      prod:
        kind: elasticsearch
        hosts: [https://es.example.org:9200]
        index: userale-*
        username_env: ES_USER
        password_env: ES_PASSWORD

This module needs no optional dependency except PyYAML for YAML files, so the
command line uses it too.

Examples
--------
>>> s = load_settings(env={})
>>> s.source_names(), s.default_source, s.redact, s.auth.enabled
(['sample'], 'sample', True, True)
>>> s = load_settings({"limits": {"timeout": 5}}, env={"DISTILL_SERVER__PORT": "9000"})
>>> s.limits.timeout, s.server.port
(5.0, 9000)
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distill.errors import DistillError, MissingDependencyError

__all__ = [
    "SettingsError",
    "Settings",
    "ServerSettings",
    "AuthSettings",
    "LimitSettings",
    "CacheSettings",
    "CorsSettings",
    "SourceSettings",
    "SOURCE_KINDS",
    "load_settings",
    "read_settings_file",
    "is_loopback",
]

#: Kinds of data source a service can serve.
SOURCE_KINDS = ("sample", "files", "elasticsearch", "opensearch")

_ENV_PREFIX = "DISTILL_"
_RESERVED_ENV = {"DISTILL_SETTINGS", "DISTILL_API_KEYS"}


class SettingsError(DistillError, ValueError):
    """Settings are invalid (names the file, the key and what is expected)."""


@dataclass(frozen=True)
class ServerSettings:
    """Where and how the service listens.

    Attributes
    ----------
    host, port : str, int
        Address to bind (default ``127.0.0.1:8443``).
    certfile, keyfile : str or None
        TLS certificate chain and private key (PEM). Both are needed unless
        ``http`` is true.
    keyfile_password_env : str or None
        Environment variable holding the key's password, if it is encrypted.
    http : bool
        Serve plain HTTP instead of HTTPS. Allowed only when ``host`` is a
        loopback address (``127.0.0.1``, ``::1``, ``localhost``).
    workers : int
        Worker processes (each holds its own frame cache).
    log_level : str
        uvicorn's log level (``critical``, ``error``, ``warning``, ``info``,
        ``debug``, ``trace``; default ``info``).

    Examples
    --------
    >>> server = load_settings({"server": {"port": 9443}}, env={}).server
    >>> server.host, server.port, server.http
    ('127.0.0.1', 9443, False)
    >>> load_settings({"server": {"port": 70000}}, env={})
    Traceback (most recent call last):
    ...
    distill.service.settings.SettingsError: server.port: 70000 is not a TCP port
    """

    host: str = "127.0.0.1"
    port: int = 8443
    certfile: str | None = None
    keyfile: str | None = None
    keyfile_password_env: str | None = None
    http: bool = False
    workers: int = 1
    log_level: str = "info"


@dataclass(frozen=True)
class AuthSettings:
    """API-key authentication (every route but ``/v1/health``).

    Attributes
    ----------
    enabled : bool
        Require a key (default). Turning it off is allowed only for a service
        on a loopback address.
    keys_env : str
        Environment variable with comma-separated keys.
    keys_file : str or None
        File with one key per line (``#`` starts a comment).

    Examples
    --------
    >>> auth = load_settings({"auth": {"keys_file": "/etc/distill/api-keys"}}, env={}).auth
    >>> auth.enabled, auth.keys_env, auth.keys_file
    (True, 'DISTILL_API_KEYS', '/etc/distill/api-keys')
    """

    enabled: bool = True
    keys_env: str = "DISTILL_API_KEYS"
    keys_file: str | None = None


@dataclass(frozen=True)
class LimitSettings:
    """Bounds on requests, results and work.

    Attributes
    ----------
    max_request_bytes : int
        Largest request body (413 beyond).
    max_url_bytes : int
        Longest path plus query string (414 beyond).
    default_page, max_page : int
        Rows per page when ``limit`` is not given, and the largest ``limit``
        accepted (422 beyond).
    max_response_bytes : int
        Largest response body; larger results are refused with 422 and a hint
        to page or narrow the request.
    timeout : float
        Seconds a request may take, waiting included (504 beyond).
    concurrency : int
        Analyses running at once (threads); others wait, within ``timeout``.
    max_connections : int
        Open connections the server accepts before answering 503.

    Examples
    --------
    >>> limits = load_settings({"limits": {"max_page": 500, "default_page": 50}},
    ...                        env={"DISTILL_LIMITS__TIMEOUT": "10"}).limits
    >>> limits.default_page, limits.max_page, limits.timeout
    (50, 500, 10.0)
    >>> load_settings({"limits": {"default_page": 0}}, env={})
    Traceback (most recent call last):
    ...
    distill.service.settings.SettingsError: limits.default_page: must be between 1 and limits.max_page (10000)
    """

    max_request_bytes: int = 1_048_576
    max_url_bytes: int = 8192
    default_page: int = 100
    max_page: int = 10_000
    max_response_bytes: int = 64 * 1_048_576
    timeout: float = 30.0
    concurrency: int = 4
    max_connections: int = 256


@dataclass(frozen=True)
class CacheSettings:
    """The in-memory cache of loaded event frames (nothing is ever written to disk).

    Attributes
    ----------
    frames : int
        How many loaded sources to keep (least recently used goes first); 0
        loads on every request.
    ttl : float
        Seconds before a cached frame is loaded again. File sources are also
        reloaded as soon as a file's size or modification time changes.

    Examples
    --------
    >>> load_settings(env={"DISTILL_CACHE__FRAMES": "0"}).cache  # no cache: read on every request
    CacheSettings(frames=0, ttl=300.0)
    """

    frames: int = 4
    ttl: float = 300.0


@dataclass(frozen=True)
class CorsSettings:
    """Cross-origin requests: off unless ``origins`` lists some.

    Browsers on the listed origins may call the service (``Access-Control-*``
    headers); credentials (cookies) are never allowed, the API key travels in
    a header.

    Attributes
    ----------
    origins : tuple of str
        Origins allowed (``https://dashboard.example.org``), or ``("*",)``
        for any; ``*`` stands alone. Empty (default): no CORS headers.
    methods : tuple of str
        HTTP methods allowed (default GET and POST).
    headers : tuple of str
        Request headers allowed (default ``X-API-Key``, ``Authorization``,
        ``Content-Type``).
    max_age : int
        Seconds a browser may cache a preflight answer.

    Examples
    --------
    >>> cors = load_settings({"cors": {"origins": ["https://dashboard.example.org"]}}, env={}).cors
    >>> cors.origins, cors.methods
    (('https://dashboard.example.org',), ('GET', 'POST'))
    >>> load_settings({"cors": {"origins": ["*", "https://dashboard.example.org"]}}, env={})
    Traceback (most recent call last):
    ...
    distill.service.settings.SettingsError: cors.origins: '*' stands alone
    """

    origins: tuple[str, ...] = ()
    methods: tuple[str, ...] = ("GET", "POST")
    headers: tuple[str, ...] = ("X-API-Key", "Authorization", "Content-Type")
    max_age: int = 600


@dataclass(frozen=True)
class SourceSettings:
    """One data source the service reads (read only).

    Attributes
    ----------
    name : str
        How requests name it (``?source=name``).
    kind : {"sample", "files", "elasticsearch", "opensearch"}
        The bundled sample, files (paths, directories, globs), or an index.
    paths : tuple of str
        For ``files``.
    schema : str or mapping
        How records map to roles (default ``"userale"``).
    description : str
        Shown by ``GET /v1/sources``.
    hosts, index : tuple of str, str
        For ``elasticsearch``/``opensearch``.
    username_env, password_env, api_key_env : str or None
        Environment variables with the credentials.
    ca_certs : str or None
        CA bundle to verify the cluster's certificate.
    verify_certs : bool
        Verify the cluster's certificate (default true).
    query : mapping or None
        A :class:`~distill.query.Query` (as a dict) every read is restricted to.
    options : mapping
        Further keyword arguments for the source object.

    Examples
    --------
    >>> s = load_settings({"sources": {"prod": {"kind": "elasticsearch", "hosts": ["https://es.example.org:9200"],
    ...                                         "index": "userale-*", "password_env": "ES_PASSWORD"}}}, env={})
    >>> prod = s.source("prod")
    >>> prod.kind, prod.index, prod.password_env, prod.schema
    ('elasticsearch', 'userale-*', 'ES_PASSWORD', 'userale')
    >>> load_settings({"sources": {"prod": {"kind": "elasticsearch", "hosts": ["https://es:9200"]}}}, env={})
    Traceback (most recent call last):
    ...
    distill.service.settings.SettingsError: sources.prod: an elasticsearch source needs 'hosts' and 'index'
    """

    name: str
    kind: str = "files"
    paths: tuple[str, ...] = ()
    schema: Any = "userale"
    description: str = ""
    hosts: tuple[str, ...] = ()
    index: str | None = None
    username_env: str | None = None
    password_env: str | None = None
    api_key_env: str | None = None
    ca_certs: str | None = None
    verify_certs: bool = True
    query: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """All service settings (see the module docstring).

    Attributes
    ----------
    server, auth, limits, cache, cors
        The sections.
    sources : tuple of SourceSettings
        Configured sources; the bundled sample when none is configured.
    default_source : str or None
        The source used when a request names none (the first one if not set).
    redact : bool
        Mask typed values (form input, passwords, query strings) in every
        response (default true).
    public_docs : bool
        Serve ``/v1/openapi.json`` and ``/v1/docs`` without an API key.

    Examples
    --------
    >>> s = load_settings({"sources": {"logs": {"paths": ["/data/*.ndjson.gz"]}}, "redact": False}, env={})
    >>> s.source_names(), s.default_source, s.redact, s.server.port
    (['logs'], 'logs', False, 8443)
    >>> s.replace(redact=True).redact, s.redact  # a changed copy; settings are frozen
    (True, False)
    """

    server: ServerSettings = field(default_factory=ServerSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    cors: CorsSettings = field(default_factory=CorsSettings)
    sources: tuple[SourceSettings, ...] = (SourceSettings("sample", "sample", description="bundled ShopDemo logs"),)
    default_source: str | None = None
    redact: bool = True
    public_docs: bool = False

    def __post_init__(self) -> None:
        _check(self)

    def source_names(self) -> list[str]:
        """Names of the configured sources, in order."""
        return [s.name for s in self.sources]

    def source(self, name: str | None = None) -> SourceSettings:
        """The settings of one source (the default source for None).

        Raises
        ------
        KeyError
            For an unknown name.
        """
        wanted = name or self.default_source
        for s in self.sources:
            if s.name == wanted:
                return s
        raise KeyError(wanted)

    def replace(self, **changes: Any) -> Settings:
        """A copy with sections or fields replaced (``settings.replace(redact=False)``)."""
        return dataclasses.replace(self, **changes)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address.

    Plain HTTP, and a service without API keys, are allowed only there.

    Parameters
    ----------
    host : str
        A host name or an IPv4/IPv6 address (brackets allowed: ``[::1]``).

    Returns
    -------
    bool
        True for ``localhost`` (any case) and addresses in ``127.0.0.0/8``
        or ``::1``; False for other names and addresses (names are not
        resolved).

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check(s: Settings) -> None:
    names = [src.name for src in s.sources]
    if not names:
        raise SettingsError("sources: configure at least one source")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SettingsError(f"sources: duplicate source names {dupes}")
    if s.default_source is None:
        object.__setattr__(s, "default_source", names[0])
    elif s.default_source not in names:
        raise SettingsError(f"default_source: {s.default_source!r} is not a configured source; sources: {names}")
    for src in s.sources:
        where = f"sources.{src.name}"
        if not src.name or not all(c.isalnum() or c in "-_." for c in src.name):
            raise SettingsError(f"{where}: a source name uses letters, digits, '-', '_' and '.' only")
        if src.kind not in SOURCE_KINDS:
            raise SettingsError(f"{where}.kind: {src.kind!r} is not one of {', '.join(SOURCE_KINDS)}")
        if src.kind == "files" and not src.paths:
            raise SettingsError(f"{where}.paths: a files source needs at least one path or glob")
        if src.kind in ("elasticsearch", "opensearch") and (not src.hosts or not src.index):
            raise SettingsError(f"{where}: an {src.kind} source needs 'hosts' and 'index'")
    lim = s.limits
    for name in ("max_request_bytes", "max_url_bytes", "max_page", "max_response_bytes", "concurrency"):
        if getattr(lim, name) < 1:
            raise SettingsError(f"limits.{name}: must be at least 1")
    if not 0 < lim.default_page <= lim.max_page:
        raise SettingsError(f"limits.default_page: must be between 1 and limits.max_page ({lim.max_page})")
    if lim.timeout <= 0:
        raise SettingsError("limits.timeout: must be positive (seconds)")
    if s.cache.frames < 0 or s.cache.ttl < 0:
        raise SettingsError("cache: frames and ttl must not be negative")
    if not 0 < s.server.port < 65536:
        raise SettingsError(f"server.port: {s.server.port} is not a TCP port")
    if s.server.workers < 1:
        raise SettingsError("server.workers: must be at least 1")
    if "*" in s.cors.origins and len(s.cors.origins) > 1:
        raise SettingsError("cors.origins: '*' stands alone")


# -- building from mappings -----------------------------------------------------------------
_SECTIONS: dict[str, type] = {
    "server": ServerSettings,
    "auth": AuthSettings,
    "limits": LimitSettings,
    "cache": CacheSettings,
    "cors": CorsSettings,
}


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Check and convert one value to a field's type (text from the environment included)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        if isinstance(value, str) and value.strip().lower() in ("", "none", "null") and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        errors = []
        for a in inner:
            try:
                return _coerce(value, a, where)
            except SettingsError as err:
                errors.append(str(err))
        raise SettingsError(errors[0] if errors else f"{where}: invalid value {value!r}")
    if hint is Any:
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{where}: expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, bool):
            raise SettingsError(f"{where}: expected a whole number, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value.replace("_", "").strip())
            except ValueError:
                pass
        raise SettingsError(f"{where}: expected a whole number, got {value!r}")
    if hint is float:
        if isinstance(value, bool):
            raise SettingsError(f"{where}: expected a number, got {value!r}")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise SettingsError(f"{where}: expected a number, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise SettingsError(f"{where}: expected text, got {type(value).__name__} {value!r}")
    if origin is tuple:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise SettingsError(f"{where}: expected a list, got {type(value).__name__}")
        return tuple(_coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise SettingsError(f"{where}: expected a mapping (JSON text in the environment)") from None
        if not isinstance(value, Mapping):
            raise SettingsError(f"{where}: expected a mapping, got {type(value).__name__}")
        return dict(value)
    raise SettingsError(f"{where}: unsupported setting type {hint!r}")  # pragma: no cover


def _build(cls: type, block: Any, where: str, **fixed: Any) -> Any:
    if block is None:
        block = {}
    if not isinstance(block, Mapping):
        raise SettingsError(f"{where}: expected a mapping of settings, got {type(block).__name__}")
    hints = _hints(cls)
    known = [f.name for f in dataclasses.fields(cls) if f.name not in fixed]
    kwargs: dict[str, Any] = dict(fixed)
    for key, value in block.items():
        key = str(key)
        if key not in known:
            raise SettingsError(f"{where}: unknown key {key!r}; known keys: {', '.join(known)}")
        kwargs[key] = _coerce(value, hints[key], f"{where}.{key}" if where else key)
    return cls(**kwargs)


def _sources(block: Any, where: str = "sources") -> tuple[SourceSettings, ...]:
    if isinstance(block, Mapping):
        items = [(str(k), v) for k, v in block.items()]
    elif isinstance(block, list):
        items = []
        for i, entry in enumerate(block):
            if not isinstance(entry, Mapping) or "name" not in entry:
                raise SettingsError(f"{where}[{i}]: a source in a list needs a 'name'")
            items.append((str(entry["name"]), {k: v for k, v in entry.items() if k != "name"}))
    else:
        raise SettingsError(f"{where}: expected a mapping of source name to settings")
    out = []
    for name, entry in items:
        if entry is None:
            entry = {}
        if isinstance(entry, Mapping) and "kind" not in entry:
            entry = {**entry, "kind": "sample" if name == "sample" and "paths" not in entry else "files"}
        out.append(_build(SourceSettings, entry, f"{where}.{name}", name=name))
    return tuple(out)


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """``DISTILL_A__B__C=value`` as ``{"a": {"b": {"c": value}}}`` (names lowercased)."""
    out: dict[str, Any] = {}
    for name, value in env.items():
        if not name.startswith(_ENV_PREFIX) or name in _RESERVED_ENV:
            continue
        parts = [p.lower() for p in name[len(_ENV_PREFIX) :].split("__")]
        top = parts[0]
        if top not in _SECTIONS and top != "sources" and top not in {f.name for f in dataclasses.fields(Settings)}:
            continue  # other DISTILL_* variables (credentials named by sources, ...) are not settings
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise SettingsError(f"environment variable {name}: conflicts with another DISTILL_ variable")
        node[parts[-1]] = value
    return out


def read_settings_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a settings file (``.yaml``/``.yml``, ``.toml`` or ``.json``) into a dict.

    Only parses: :func:`load_settings` checks the content. YAML needs PyYAML
    (part of the ``service`` extra).

    Parameters
    ----------
    path : str or path
        The file; its suffix says the format.

    Returns
    -------
    dict
        The top-level mapping (empty for an empty file).

    Raises
    ------
    SettingsError
        A missing or unparsable file, or an unknown suffix.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "service.json"
    >>> _ = path.write_text('{"redact": true, "limits": {"timeout": 10}}', encoding="utf-8")
    >>> read_settings_file(path)
    {'redact': True, 'limits': {'timeout': 10}}
    >>> load_settings(path, env={}).limits.timeout
    10.0
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise SettingsError(f"settings file {p}: cannot read it ({err.strerror or err})") from None
    suffix = p.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise MissingDependencyError("pyyaml", extra="service", feature="YAML settings files") from None
            try:
                block = yaml.safe_load(text)
            except yaml.YAMLError as err:
                raise SettingsError(f"settings file {p}: not valid YAML ({err})") from None
        elif suffix == ".toml":
            try:
                import tomllib
            except ImportError:  # pragma: no cover - Python 3.10
                import tomli as tomllib  # type: ignore[no-redef]
            try:
                block = tomllib.loads(text)
            except tomllib.TOMLDecodeError as err:
                raise SettingsError(f"settings file {p}: not valid TOML ({err})") from None
        elif suffix == ".json":
            try:
                block = json.loads(text)
            except json.JSONDecodeError as err:
                raise SettingsError(f"settings file {p}: not valid JSON ({err})") from None
        else:
            raise SettingsError(f"settings file {p}: unknown type {suffix!r}; use .yaml, .toml or .json")
    except RecursionError:
        raise SettingsError(f"settings file {p}: nested too deeply") from None
    if block is None:
        block = {}
    if not isinstance(block, Mapping):
        raise SettingsError(f"settings file {p}: expected a mapping at the top level")
    return dict(block)


def load_settings(
    source: str | os.PathLike[str] | Mapping[str, Any] | Settings | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Build :class:`Settings` from a file or mapping and the environment.

    Parameters
    ----------
    source : path, mapping, Settings or None
        A settings file (YAML, TOML or JSON), the same content as a dict, or
        settings already built (returned as they are). None reads the file
        named by ``DISTILL_SETTINGS`` if set, else starts from the defaults.
    env : mapping, optional
        The environment (default ``os.environ``): ``DISTILL_<SECTION>__<KEY>``
        variables override the file.

    Returns
    -------
    Settings

    Raises
    ------
    SettingsError
        Naming the file and key that is wrong.

    Examples
    --------
    >>> s = load_settings({"sources": {"logs": {"paths": ["/data/*.ndjson"]}}}, env={})
    >>> s.source("logs").kind, s.default_source
    ('files', 'logs')
    >>> load_settings({"limits": {"timout": 3}}, env={})
    Traceback (most recent call last):
    ...
    distill.service.settings.SettingsError: limits: unknown key 'timout'; known keys: ...
    """
    if isinstance(source, Settings):
        return source
    env = os.environ if env is None else env
    if source is None and env.get("DISTILL_SETTINGS"):
        source = env["DISTILL_SETTINGS"]
    if source is None:
        block: dict[str, Any] = {}
    elif isinstance(source, Mapping):
        block = dict(source)
    else:
        block = read_settings_file(source)
    block = _merge(block, _from_env(env))
    top = {f.name for f in dataclasses.fields(Settings)}
    unknown = sorted(set(map(str, block)) - top)
    if unknown:
        raise SettingsError(f"unknown settings {unknown}; known: {', '.join(sorted(top))}")
    kwargs: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        if name in block:
            kwargs[name] = _build(cls, block[name], name)
    if block.get("sources"):
        kwargs["sources"] = _sources(block["sources"])
    for name in ("default_source",):
        if name in block:
            kwargs[name] = _coerce(block[name], str | None, name)
    for name in ("redact", "public_docs"):
        if name in block:
            kwargs[name] = _coerce(block[name], bool, name)
    return Settings(**kwargs)
