"""Read events from Elasticsearch or OpenSearch -- read only, queries pushed down.

:class:`ElasticsearchSource` reads an index, an index pattern
(``userale-*``) or an alias into the canonical event frame: the same columns,
dtypes, order and read report a file read gives for the same logs, with
``event_id`` the document ``_id`` and ``source`` the index name. Queries
(:class:`~distill.query.Query`) compile to the server's query DSL, counts by
user, type, page, target and time bucket run on the server
(:mod:`distill.aggregates`), and the source tells what it holds (indices,
fields, time range, users, sessions) for the query builder.

Read only, provably. The source sends only these requests: ``GET /`` (server
version), ``_cat/indices`` and ``_alias`` (which indices a pattern matches),
``_field_caps`` (field types), ``_search`` and ``_count`` (documents and
aggregations), and the paging requests that go with searches: opening and
closing a point in time (``_pit`` on Elasticsearch,
``_search/point_in_time`` on OpenSearch) or ``_search/scroll`` and its clear.
A point in time or a scroll is a search context: a lease on the index
snapshot held in the server's memory for ``keep_alive``. Opening and closing
one needs only the ``read`` index privilege, changes no document, mapping or
setting, and closing it early just frees that memory sooner. Every request
made is listed in :attr:`ElasticsearchSource.requests`. Nothing is written,
cached or stored on the server.

Supported servers
-----------------
- Elasticsearch 7.10 to 9 and OpenSearch 2.4 to 3: point in time with
  ``search_after``; OpenSearch 1.x and Elasticsearch before 7.10: scroll.
- Elasticsearch 5.6 and 6.x: scroll (``paging="scroll"`` is chosen
  automatically from the server version); composite aggregations need 6.4.
- Clients: ``elasticsearch`` 8.x (for Elasticsearch 7.14 to 8) and 9.x (for
  Elasticsearch 9), ``opensearch-py`` 2 or 3 (for OpenSearch, and for
  Elasticsearch 7.10 or older servers the ``elasticsearch`` client will not
  talk to).

Examples
--------
The bundled sample served by a test server (``tests/es_support.py`` starts
one)::

    from distill.sources.elasticsearch import ElasticsearchSource
    es = ElasticsearchSource("https://logs.example.org:9200", index="userale-*",
                             basic_auth=("analyst", "secret"), ca_certs="ca.pem")
    events = es.read(Q.type == "click")
    distill.aggregates.count_by(es, "user")     # computed by the server

>>> src = ElasticsearchSource("http://127.0.0.1:9", index="userale", library="opensearch")
>>> src.index, src.paging
('userale', 'auto')
"""

from __future__ import annotations

import base64
import collections
import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
import pandas as pd

from distill.errors import InputError, MissingDependencyError, SourceError
from distill.frame import empty
from distill.query import Query, as_query
from distill.report import Issue, ReadReport, attach
from distill.schema import Role, Schema, get_schema
from distill.sources import _build
from distill.sources._decode import FieldSet
from distill.sources._esdsl import (
    MATCH_ALL,
    MATCH_NONE,
    Compiled,
    FieldMap,
    and_,
    compile_query,
    exists,
    not_,
    or_,
    presence,
    time_unit,
)

__all__ = ["ElasticsearchSource", "READ_ENDPOINTS", "is_read_request"]

#: The requests the source may send, as (method, path pattern); ``{i}`` is an
#: index expression. Anything else is a write (or unknown) and never sent.
READ_ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("GET", "/"),
    ("GET", "/_cat/indices/{i}"),
    ("GET", "/{i}/_alias"),
    ("GET", "/{i}/_field_caps"),
    ("POST", "/{i}/_search"),
    ("POST", "/_search"),
    ("POST", "/{i}/_count"),
    ("POST", "/{i}/_pit"),
    ("DELETE", "/_pit"),
    ("POST", "/{i}/_search/point_in_time"),
    ("DELETE", "/_search/point_in_time"),
    ("POST", "/_search/scroll"),
    ("DELETE", "/_search/scroll"),
)

_JSON_HEADERS = {"accept": "application/json", "content-type": "application/json"}
_MAX_PAGE = 10_000
_RETRYABLE_SORT = ("fielddata", "_id")


def is_read_request(method: str, path: str) -> bool:
    """Whether ``method path`` is one of :data:`READ_ENDPOINTS` (the query string ignored).

    The source checks every request with it before sending, so Distill never
    writes to a cluster; tests use it to prove that no other request left.

    Parameters
    ----------
    method : str
        The HTTP method, any case (``"POST"``, ``"get"``).
    path : str
        The request path, with or without a query string. An index
        expression (``{i}`` in the patterns) is any path segment that does
        not start with ``_``, so ``/_bulk`` is never taken for an index.

    Returns
    -------
    bool
        True for the search, count, point-in-time, scroll and metadata
        reads the source uses; False for anything else (writes, deletes of
        documents or indices, unknown endpoints).

    Examples
    --------
    >>> is_read_request("POST", "/userale-*/_search?scroll=2m")
    True
    >>> is_read_request("POST", "/userale/_doc"), is_read_request("PUT", "/userale")
    (False, False)
    >>> is_read_request("POST", "/_bulk"), is_read_request("POST", "/userale/_delete_by_query")
    (False, False)
    """
    path = path.split("?", 1)[0]
    parts = [p for p in path.split("/") if p]
    for m, pattern in READ_ENDPOINTS:
        if m != method.upper():
            continue
        want = [p for p in pattern.split("/") if p]
        if len(want) != len(parts):
            continue
        if all(w == p or (w == "{i}" and not p.startswith("_")) for w, p in zip(want, parts)):
            return True
    return False


# -- the connection -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Server:
    distribution: str  # "elasticsearch" or "opensearch"
    version: tuple[int, ...]
    known: bool  # False when GET / was refused and the version is assumed

    @property
    def pit(self) -> bool:
        if self.distribution == "opensearch":
            return self.version >= (2, 4)
        return self.version >= (7, 10)

    def label(self) -> str:
        v = ".".join(map(str, self.version))
        return f"{self.distribution.capitalize()} {v}" + ("" if self.known else " (assumed: GET / refused)")


def _version_tuple(text: str) -> tuple[int, ...]:
    out = []
    for part in text.split("-")[0].split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out[:3])


def _error_info(body: Any) -> tuple[str, str]:
    """(type, reason) of an error response body."""
    if isinstance(body, (bytes, str)):
        try:
            body = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return "", str(body)[:300]
    if isinstance(body, Mapping):
        err = body.get("error", body)
        if isinstance(err, Mapping):
            cause = err.get("caused_by") or {}
            roots = err.get("root_cause") or []
            etype = str(err.get("type", ""))
            reason = str(err.get("reason") or "")
            if roots and isinstance(roots[0], Mapping):
                etype = str(roots[0].get("type", etype))
                reason = str(roots[0].get("reason") or reason)
            elif isinstance(cause, Mapping) and cause.get("reason"):
                reason = f"{reason}: {cause.get('reason')}" if reason else str(cause.get("reason"))
            return etype, reason
        return "", str(err)[:300]
    return "", str(body)[:300]


def _translate(err: Exception, where: str, doing: str) -> SourceError:
    """One clear :class:`SourceError` from any client exception."""
    names = {c.__name__ for c in type(err).__mro__}
    text = str(err)
    meta = getattr(err, "meta", None)
    status = getattr(meta, "status", None) if meta is not None else None
    if status is None:
        code = getattr(err, "status_code", None)
        status = code if isinstance(code, int) else None
    body = getattr(err, "body", None)
    if body is None:
        body = getattr(err, "info", None)
    tls_words = ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "SSL", "TLS")
    if names & {"TlsError", "SSLError"} or (status is None and any(w in text for w in tls_words)):
        return SourceError(
            f"TLS verification failed while {doing}: the server's certificate is not trusted "
            f"({_short(text)}); pass ca_certs= the CA bundle that signed it (or verify_certs=False "
            "on a test server only)",
            cause="tls",
            source=where,
        )
    if any("Timeout" in n for n in names):
        return SourceError(
            f"the server did not answer in time while {doing} ({_short(text)}); "
            "raise request_timeout= or narrow the query",
            cause="timeout",
            source=where,
        )
    if "UnsupportedProductError" in names:
        return SourceError(
            "the server is not Elasticsearch (it did not identify itself as such); for OpenSearch "
            "use library='opensearch' (pip install 'distill[opensearch]')",
            cause="not_supported",
            source=where,
        )
    if status is None and names & {"ConnectionError"}:
        return SourceError(
            f"cannot reach the server while {doing} ({_short(text)}); check the address, the port and "
            "that the server is running",
            cause="unreachable",
            source=where,
        )
    etype, reason = _error_info(body)
    if status == 401:
        return SourceError(
            f"the server refused the credentials (401 {etype or 'unauthorized'}) while {doing}; "
            "check basic_auth= or api_key=",
            cause="auth",
            source=where,
        )
    if status == 403:
        return SourceError(
            f"the credentials lack a privilege needed for {doing} (403 {reason or etype}); reading needs "
            "the 'read' and 'view_index_metadata' index privileges",
            cause="forbidden",
            source=where,
        )
    if etype == "index_not_found_exception" or (status == 404 and "index" in reason and "no such" in reason):
        return SourceError(f"no such index: {reason}", cause="index_not_found", source=where)
    if etype == "search_context_missing_exception" or "No search context found" in reason:
        return SourceError(
            f"the point in time or scroll expired while {doing} ({reason}); the pages read so far are "
            "discarded rather than returned incomplete: raise keep_alive= or read less at a time",
            cause="expired",
            source=where,
        )
    return SourceError(
        f"the server answered {status} {etype} while {doing}: {reason or _short(text)}",
        cause="server",
        source=where,
    )


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Connection:
    """Requests through an ``elasticsearch`` or ``opensearch-py`` client, errors made clear."""

    def __init__(self, client: Any, library: str, where: str, log: collections.deque[tuple[str, str]]):
        self.client = client
        self.library = library
        self.where = where
        self.log = log

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        doing: str = "reading",
    ) -> Any:
        if not is_read_request(method, path):  # pragma: no cover - a bug, not a user error
            raise AssertionError(f"refusing to send a non-read request {method} {path}")
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        self.log.append((method, path + ("?" + query if query else "")))
        try:
            if self.library == "elasticsearch":
                resp = self.client.perform_request(
                    method, path, params=dict(params or {}), headers=_JSON_HEADERS, body=body
                )
                return resp.body
            return self.client.transport.perform_request(method, path, params=dict(params or {}), body=body)
        except SourceError:
            raise
        except Exception as err:
            if _is_client_error(err):
                raise _translate(err, self.where, doing) from err
            raise


def _is_client_error(err: Exception) -> bool:
    module = type(err).__module__ or ""
    return module.startswith(("elasticsearch", "elastic_transport", "opensearchpy"))


def _import_client(library: str) -> Any:
    if library == "elasticsearch":
        try:
            import elasticsearch
        except ImportError:
            raise MissingDependencyError(
                "elasticsearch", extra="elasticsearch", feature="reading from Elasticsearch"
            ) from None
        return elasticsearch
    try:
        import opensearchpy
    except ImportError:
        raise MissingDependencyError("opensearch-py", extra="opensearch", feature="reading from OpenSearch") from None
    return opensearchpy


def _library_of(client: Any) -> str:
    module = type(client).__module__ or ""
    if module.startswith("elasticsearch"):
        return "elasticsearch"
    if module.startswith("opensearchpy"):
        return "opensearch"
    raise TypeError(
        f"client must be an elasticsearch.Elasticsearch or opensearchpy.OpenSearch client, "
        f"not {type(client).__module__}.{type(client).__name__}"
    )


def _host_label(client: Any, library: str) -> str:
    with contextlib.suppress(Exception):
        if library == "elasticsearch":
            nodes = list(client.transport.node_pool.all())
            return str(nodes[0].base_url)
        conn = client.transport.connection_pool.connections[0]
        return str(conn.host)
    return "server"


# -- the source ---------------------------------------------------------------------------------
Progress = Callable[[int, int, str], None]


@dataclass
class _Context:
    indices: list[str]
    fields: FieldMap
    server: _Server


class ElasticsearchSource:
    """An Elasticsearch or OpenSearch index (or pattern, or alias) to read events from.

    Parameters
    ----------
    hosts : str or list of str, optional
        Server address(es), e.g. ``"https://logs.example.org:9200"``. Not
        needed when ``client`` is given.
    index : str
        Index name, comma-separated names, a pattern (``userale-*``) or an alias.
    client : elasticsearch.Elasticsearch or opensearchpy.OpenSearch, optional
        A client you already have (its own settings for TLS and credentials
        apply); the library is detected from it.
    api_key : str or (str, str), optional
        Elasticsearch API key (encoded, or ``(id, key)``).
    basic_auth : (str, str), optional
        User name and password.
    ca_certs : str, optional
        Path of the CA bundle that signed the server's certificate.
    verify_certs : bool
        Verify the server's certificate (default True; never turn it off
        outside tests).
    client_cert, client_key : str, optional
        Client certificate and key for mutual TLS.
    request_timeout : float
        Seconds to wait for any one answer.
    library : {"auto", "elasticsearch", "opensearch"}
        Client library to build. ``auto`` uses ``elasticsearch`` when it is
        installed and the server is Elasticsearch, else ``opensearch-py``.
    client_options : mapping, optional
        Further keyword arguments for the client constructor.
    schema : str, Schema or mapping
        Default schema for :meth:`read` and the aggregates.
    query : Query, optional
        A condition every read and aggregate of this source applies (see :meth:`where`).
    page_size : int
        Documents per page (at most 10,000).
    keep_alive : str
        How long the server keeps the point in time (or scroll) between pages.
    paging : {"auto", "pit", "scroll"}
        ``auto``: point in time with ``search_after`` where the server has it,
        scroll otherwise.
    slices : int, optional
        Read a scroll in this many slices (sliced scroll), one after another.
    tiebreaker : str
        Unique field that orders documents with equal times: ``"auto"`` sorts
        on ``_index`` and ``_id`` (falling back to ``_shard_doc`` where the
        server refuses to sort on ``_id``, as Elasticsearch 8 does by default).

    Examples
    --------
    >>> from distill.query import Q
    >>> src = ElasticsearchSource("http://127.0.0.1:9", index="userale-*", library="opensearch")
    >>> src.where(Q.type == "click").query.to_code()
    "Q.type == 'click'"
    """

    def __init__(
        self,
        hosts: str | list[str] | None = None,
        index: str = "userale",
        *,
        client: Any = None,
        api_key: str | tuple[str, str] | None = None,
        basic_auth: tuple[str, str] | None = None,
        ca_certs: str | None = None,
        verify_certs: bool = True,
        client_cert: str | None = None,
        client_key: str | None = None,
        request_timeout: float = 30.0,
        library: str = "auto",
        client_options: Mapping[str, Any] | None = None,
        schema: str | Schema | Mapping[str, Any] = "userale",
        query: Query | Mapping[str, Any] | str | None = None,
        page_size: int = 5000,
        keep_alive: str = "2m",
        paging: str = "auto",
        slices: int | None = None,
        tiebreaker: str = "auto",
    ):
        if not isinstance(index, str) or not index.strip():
            raise ValueError("index must be an index name, a comma-separated list, a pattern or an alias")
        if not 1 <= int(page_size) <= _MAX_PAGE:
            raise ValueError(f"page_size must be between 1 and {_MAX_PAGE} (pages never reach past 10,000)")
        if paging not in ("auto", "pit", "scroll"):
            raise ValueError(f"paging must be 'auto', 'pit' or 'scroll', not {paging!r}")
        if library not in ("auto", "elasticsearch", "opensearch"):
            raise ValueError(f"library must be 'auto', 'elasticsearch' or 'opensearch', not {library!r}")
        if slices is not None and int(slices) < 2:
            raise ValueError("slices must be 2 or more (or None)")
        if client is None and not hosts:
            raise ValueError("give hosts= (the server address) or client= (a client object)")
        self.index = index.strip()
        self.schema = get_schema(schema)
        self.query = as_query(query)
        self.page_size = int(page_size)
        self.keep_alive = keep_alive
        self.paging = paging
        self.slices = int(slices) if slices else None
        self.tiebreaker = tiebreaker
        self.request_timeout = request_timeout
        #: Every request sent, as (method, path with query string), newest last.
        self.requests: collections.deque[tuple[str, str]] = collections.deque(maxlen=100_000)
        self._owns_client = client is None
        self._settings: dict[str, Any] = {
            "hosts": hosts,
            "api_key": api_key,
            "basic_auth": basic_auth,
            "ca_certs": ca_certs,
            "verify_certs": verify_certs,
            "client_cert": client_cert,
            "client_key": client_key,
            "request_timeout": request_timeout,
            "client_options": dict(client_options or {}),
        }
        self._library = library if client is None else _library_of(client)
        self._client = client
        self._conn: _Connection | None = None
        self._server: _Server | None = None

    # -- connection ---------------------------------------------------------------------------
    def _build_client(self, library: str) -> Any:
        s = self._settings
        mod = _import_client(library)
        opts = dict(s["client_options"])
        if library == "elasticsearch":
            kw: dict[str, Any] = {
                "request_timeout": s["request_timeout"],
                "max_retries": opts.pop("max_retries", 1),
                "retry_on_timeout": False,
            }
            for key in ("api_key", "basic_auth", "ca_certs", "client_cert", "client_key"):
                if s[key] is not None:
                    kw[key] = s[key]
            if not s["verify_certs"]:
                kw["verify_certs"] = False
                kw["ssl_show_warn"] = False
            kw.update(opts)
            return mod.Elasticsearch(s["hosts"], **kw)
        kw = {"timeout": s["request_timeout"], "max_retries": opts.pop("max_retries", 1), "retry_on_timeout": False}
        if s["basic_auth"] is not None:
            kw["http_auth"] = tuple(s["basic_auth"])
        if s["api_key"] is not None:
            key = s["api_key"]
            if isinstance(key, (tuple, list)):
                key = base64.b64encode(f"{key[0]}:{key[1]}".encode()).decode()
            kw["headers"] = {"authorization": f"ApiKey {key}"}
        for key in ("ca_certs", "client_cert", "client_key"):
            if s[key] is not None:
                kw[key] = s[key]
        hosts = s["hosts"] if isinstance(s["hosts"], list) else [s["hosts"]]
        if any(str(h).startswith("https") for h in hosts):
            kw["use_ssl"] = True
        kw["verify_certs"] = bool(s["verify_certs"])
        if not s["verify_certs"]:
            kw["ssl_show_warn"] = False
            kw["ssl_assert_hostname"] = False
        kw.update(opts)
        return mod.OpenSearch(hosts, **kw)

    def _connection(self) -> _Connection:
        if self._conn is not None:
            return self._conn
        library = self._library
        if self._client is None:
            if library == "auto":
                library = "elasticsearch"
                try:
                    _import_client("elasticsearch")
                except MissingDependencyError:
                    library = "opensearch"
            self._client = self._build_client(library)
        where = f"{_host_label(self._client, library)}/{self.index}"
        conn = _Connection(self._client, library, where, self.requests)
        self._conn = conn
        try:
            self._server = self._probe(conn)
        except SourceError as err:
            if err.cause == "not_supported" and self._library == "auto" and self._owns_client:
                with contextlib.suppress(MissingDependencyError):
                    self._client = self._build_client("opensearch")
                    conn = _Connection(
                        self._client,
                        "opensearch",
                        f"{_host_label(self._client, 'opensearch')}/{self.index}",
                        self.requests,
                    )
                    self._conn = conn
                    self._server = self._probe(conn)
                    return conn
            self._conn = None
            raise
        return conn

    def _probe(self, conn: _Connection) -> _Server:
        try:
            info = conn.request("GET", "/", doing="asking the server for its version")
        except SourceError as err:
            if err.cause != "forbidden":
                raise
            # a read-only user may not see cluster info: assume a current server
            if conn.library == "elasticsearch":
                return _Server("elasticsearch", (8, 0), False)
            return _Server("opensearch", (2, 4), False)
        version = info.get("version", {}) if isinstance(info, Mapping) else {}
        dist = "opensearch" if version.get("distribution") == "opensearch" else "elasticsearch"
        return _Server(dist, _version_tuple(str(version.get("number", "0"))), True)

    @property
    def server(self) -> str:
        """Which server this is (``"OpenSearch 3.8.0"``); connects if needed."""
        self._connection()
        assert self._server is not None
        return self._server.label()

    @property
    def library(self) -> str:
        """The client library in use (``elasticsearch`` or ``opensearch``); connects if needed."""
        return self._connection().library

    def close(self) -> None:
        """Close the client if this source created it (a client passed in stays open)."""
        if self._owns_client and self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
        self._client = None if self._owns_client else self._client
        self._conn = None

    def __enter__(self) -> ElasticsearchSource:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        hosts = self._settings["hosts"] or "client"
        return f"ElasticsearchSource({hosts!r}, index={self.index!r}, query={self.query.to_code()!r})"

    def where(self, query: Query | Mapping[str, Any] | str) -> ElasticsearchSource:
        """The same source, narrowed to events matching ``query`` as well (shares the connection).

        Useful with :func:`distill.merge`, which reads every source whole.
        """
        import copy

        other = copy.copy(self)
        other.query = self.query & as_query(query)
        other._owns_client = False
        return other

    # -- what is there ------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        doing: str = "reading",
    ) -> Any:
        return self._connection().request(method, path, params=params, body=body, doing=doing)

    def indices(self) -> pd.DataFrame:
        """The indices the index expression matches, with document counts and aliases.

        Returns
        -------
        pandas.DataFrame
            Columns ``index``, ``docs``, ``health``, ``status``, ``aliases``
            (comma-separated), one row per index, sorted by name.

        Raises
        ------
        SourceError
            ``index_not_found`` when nothing matches.
        """
        rows = self._request(
            "GET",
            f"/_cat/indices/{self.index}",
            params={"format": "json", "h": "index,docs.count,health,status"},
            doing="listing indices",
        )
        if not rows:
            raise SourceError(
                f"no index matches {self.index!r}", cause="index_not_found", source=self._connection().where
            )
        aliases = self._request("GET", f"/{self.index}/_alias", doing="listing aliases")
        out = pd.DataFrame(
            {
                "index": [r["index"] for r in rows],
                "docs": pd.array([int(r.get("docs.count") or 0) for r in rows], dtype="Int64"),
                "health": [r.get("health") for r in rows],
                "status": [r.get("status") for r in rows],
                "aliases": [",".join(sorted((aliases.get(r["index"]) or {}).get("aliases", {}))) for r in rows],
            }
        )
        out = out.sort_values("index").reset_index(drop=True)
        out.attrs["distill_kind"] = "table"
        return out

    def _caps(self, fields: Iterable[str]) -> dict[str, Any]:
        names = sorted(set(fields))
        if not names:
            return {}
        ask = ",".join(names + [n + ".keyword" for n in names])
        got = self._request(
            "GET", f"/{self.index}/_field_caps", params={"fields": ask}, doing="reading the field mapping"
        )
        return dict(got.get("fields", {}))

    def fields(self, schema: str | Schema | Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Every field the indices map, with its type, and the schema role that reads it.

        Parameters
        ----------
        schema : str, Schema or mapping, optional
            Whose roles to name (default: the source's schema).

        Returns
        -------
        pandas.DataFrame
            Columns ``field``, ``type`` (comma-separated where indices differ),
            ``searchable``, ``aggregatable``, ``term_field`` (the field term
            queries and counts use: the field or its ``.keyword`` sub-field),
            ``role`` (or None), sorted by field.
        """
        sch = get_schema(schema) if schema is not None else self.schema
        caps = self._request("GET", f"/{self.index}/_field_caps", params={"fields": "*"}, doing="reading the fields")
        caps = dict(caps.get("fields", {}))
        fm = FieldMap.from_caps(caps)
        role_of = {f: r.name for r in sch.roles.values() for f in r.fields}
        rows = []
        for name in fm.names():
            if name.startswith("_"):
                continue
            info = fm[name]
            by_type = caps.get(name, {})
            term_caps = caps.get(info.term_field or name) or by_type
            rows.append(
                {
                    "field": name,
                    "type": ",".join(info.types),
                    "searchable": all(v.get("searchable", False) for v in by_type.values()),
                    "aggregatable": info.term_field is not None
                    and all(v.get("aggregatable", False) for v in term_caps.values()),
                    "term_field": info.term_field,
                    "role": role_of.get(name),
                }
            )
        out = pd.DataFrame(rows, columns=["field", "type", "searchable", "aggregatable", "term_field", "role"])
        out.attrs["distill_kind"] = "table"
        return out

    def describe(self, schema: str | Schema | Mapping[str, Any] | None = None, *, limit: int = 1000) -> dict[str, Any]:
        """What the source holds, for a query builder: server, indices, fields, time range, users, sessions, types.

        Parameters
        ----------
        schema : str, Schema or mapping, optional
            Default: the source's schema.
        limit : int
            At most this many distinct users, sessions, types and pages.

        Returns
        -------
        dict
            Plain JSON-able dict.
        """
        from distill import aggregates
        from distill.export import plain

        sch = get_schema(schema) if schema is not None else self.schema
        tr = aggregates.time_range(self, schema=sch)
        out: dict[str, Any] = {
            "server": self.server,
            "index": self.index,
            "indices": self.indices().to_dict(orient="records"),
            "fields": self.fields(sch).to_dict(orient="records"),
            "time_range": tr.to_dict(),
        }
        for name, key in (("users", "user"), ("sessions", "session"), ("types", "type"), ("pages", "page")):
            if key != "page" and key not in sch.roles:
                continue
            values = aggregates.distinct(self, key, schema=sch)
            out[name] = values[:limit]
            out[name + "_total"] = len(values)
        return plain(out)

    # -- reading ------------------------------------------------------------------------------------
    def _schema_for(self, schema: Any, roles: Iterable[str] | None) -> Schema:
        sch = get_schema(schema) if schema is not None else self.schema
        if roles is None:
            return sch
        wanted = set(roles)
        unknown = wanted - set(sch.roles) - {"event_id", "source"}
        if unknown:
            raise ValueError(f"fields {sorted(unknown)} are not roles of schema {sch.name!r}; roles: {list(sch.roles)}")
        keep = {n: r for n, r in sch.roles.items() if n in wanted or r.required}
        return Schema(sch.name, keep, sch.description)

    def _context(self, schema: Schema, extra_fields: Iterable[str] = ()) -> _Context:
        conn = self._connection()
        assert self._server is not None
        caps = self._caps(list(schema.source_fields()) + list(extra_fields))
        fm = FieldMap.from_caps(caps)
        for role in schema.roles.values():
            if role.required and not any(f in fm for f in role.fields):
                # is there an index at all?
                self.indices()
                raise SourceError(
                    f"the schema {schema.name!r} needs role {role.name!r} (field "
                    f"{' or '.join(role.fields)}), which no index matching {self.index!r} maps; every document "
                    "would be rejected. Check the index or pass a schema that fits it",
                    cause="missing_field",
                    source=conn.where,
                )
        return _Context([], fm, self._server)

    def read(
        self,
        query: Query | Mapping[str, Any] | str | None = None,
        schema: str | Schema | Mapping[str, Any] | None = None,
        *,
        errors: str = "report",
        fields: Iterable[str] | None = None,
        progress: Progress | None = None,
    ) -> pd.DataFrame:
        """Read the events matching ``query`` into the canonical event frame.

        Parameters
        ----------
        query : Query, dict, JSON text or None
            Which events (None: all); compiled to the query DSL, the exact
            condition applied once more to the frame.
        schema : str, Schema or mapping, optional
            How documents map to roles (default: the source's schema, ``userale``).
        errors : {"report", "raise"}
            ``report``: list rejected documents (index and ``_id``) in the
            frame's report and warn once; ``raise``: raise at the first.
        fields : iterable of str, optional
            Only these roles (plus the required ones); the server sends only
            the source fields they need. Default: every role of the schema.
        progress : callable, optional
            Called as ``progress(documents_done, documents_total, index)`` after each page.

        Returns
        -------
        pandas.DataFrame
            The canonical event frame sorted by ``(time, event_id)``; ``event_id``
            is the document ``_id``, ``source`` the index name.

        Raises
        ------
        SourceError
            The server is unreachable, refuses, lacks the index or a required
            field, times out, lets the paging context expire, or some shards
            fail: never a partial result.
        InputError
            With ``errors="raise"``, the first document that does not fit the schema.
        """
        if errors not in ("report", "raise"):
            raise ValueError(f"errors must be 'report' or 'raise', not {errors!r}")
        sch = self._schema_for(schema, fields)
        q = self.query & as_query(query)
        ctx = self._context(sch)
        compiled = compile_query(q, sch, ctx.fields)
        frame, report = self._read_dsl(compiled.upper, sch, ctx, progress=progress)
        if q.op != "all":
            from distill.query import apply

            before = len(frame)
            frame = apply(frame, q)
            dropped = before - len(frame)
            report = ReadReport(report.read - dropped, len(frame), report.issues, report.sources, report.paths)
        if errors == "raise" and report.issues:
            first = report.issues[0]
            raise InputError(first.reason, source=first.source)
        attach(frame, report)
        report.warn()
        return frame

    def _read_dsl(
        self, dsl: dict[str, Any], schema: Schema, ctx: _Context, *, progress: Progress | None = None
    ) -> tuple[pd.DataFrame, ReadReport]:
        """Every document matching ``dsl`` as an event frame (no local filtering)."""
        fieldset = FieldSet(schema)
        frames: list[pd.DataFrame] = []
        issues: list[Issue] = []
        read = 0
        seen_indices: dict[str, None] = {}
        if dsl == MATCH_NONE:
            pages: Iterator[list[dict[str, Any]]] = iter(())
        else:
            pages = self._pages(dsl, sorted(schema.source_fields()), schema, ctx, progress)
        for hits in pages:
            read += len(hits)
            frame, found = _build_page(hits, fieldset, schema)
            for h in hits:
                seen_indices.setdefault(h["_index"], None)
            if len(frame):
                frames.append(frame)
            issues.extend(found)
        if frames:
            frame = _build.concat_blocks(frames)
            dup = frame["event_id"].duplicated(keep="first").to_numpy()
            if dup.any():
                for eid, src in zip(frame.loc[dup, "event_id"], frame.loc[dup, "source"]):
                    issues.append(
                        Issue(
                            "record",
                            f"duplicate _id {eid!r}: another index read has a document with it",
                            f"{src}/_doc/{eid}",
                        )
                    )
                frame = frame.loc[~dup].reset_index(drop=True)
            frame = _build.finish(frame)
        else:
            frame = empty(schema.extra_roles)
        where = self._connection().where.rsplit("/", 1)[0]
        names = tuple(seen_indices) or (self.index,)
        report = ReadReport(read, len(frame), tuple(issues), names, tuple(f"{where}/{n}" for n in names))
        return frame, report

    # -- paging -----------------------------------------------------------------------------------
    def _sort(self, schema: Schema, ctx: _Context, tiebreaker: str) -> list[Any]:
        sort: list[Any] = []
        time_role = schema.roles["time"]
        info = ctx.fields[time_role.fields[0]]
        if info.kind in ("date", "number") and info.term_field:
            sort.append({info.term_field: {"order": "asc", "missing": "_last", "unmapped_type": "long"}})
        if tiebreaker == "auto":
            sort += [{"_index": "asc"}, {"_id": "asc"}]
        elif tiebreaker == "_shard_doc":
            sort.append({"_shard_doc": "asc"})
        else:
            sort += [{"_index": "asc"}, {tiebreaker: "asc"}]
        return sort

    def _pages(
        self,
        dsl: dict[str, Any],
        source_fields: list[str],
        schema: Schema,
        ctx: _Context,
        progress: Progress | None,
    ) -> Iterator[list[dict[str, Any]]]:
        server = ctx.server
        mode = self.paging
        if mode == "auto":
            mode = "pit" if server.pit and not self.slices else "scroll"
        if mode == "pit" and not server.pit:
            raise SourceError(
                f"{server.label()} has no point in time; use paging='scroll'",
                cause="not_supported",
                source=self._connection().where,
            )
        body: dict[str, Any] = {"query": dsl, "_source": {"includes": source_fields}}
        if server.version >= (7,) or server.distribution == "opensearch":
            body["track_total_hits"] = True
        if mode == "pit":
            yield from self._pit_pages(body, schema, ctx, progress)
        else:
            slices = range(self.slices) if self.slices else [None]
            for s in slices:
                yield from self._scroll_pages(body, s, progress)

    def _check(self, resp: Mapping[str, Any], doing: str) -> None:
        where = self._connection().where
        if resp.get("timed_out"):
            raise SourceError(
                f"the search timed out on the server while {doing}; the answer would be incomplete, so "
                "nothing is returned: narrow the query or raise the server's search timeout",
                cause="timeout",
                source=where,
            )
        shards = resp.get("_shards") or {}
        if shards.get("failed"):
            reasons = []
            for f in shards.get("failures", [])[:5]:
                etype, reason = _error_info({"error": f.get("reason", {})})
                reasons.append(f"{f.get('index')}[{f.get('shard')}]: {etype} {reason}".strip())
            raise SourceError(
                f"{shards.get('failed')} of {shards.get('total')} shards failed while {doing}, so the answer "
                f"would be partial: {'; '.join(reasons) or 'no reason given'}",
                cause="shard_failure",
                source=where,
            )

    def _pit_pages(
        self, body: dict[str, Any], schema: Schema, ctx: _Context, progress: Progress | None
    ) -> Iterator[list[dict[str, Any]]]:
        os_style = ctx.server.distribution == "opensearch"
        if os_style:
            opened = self._request(
                "POST",
                f"/{self.index}/_search/point_in_time",
                params={"keep_alive": self.keep_alive},
                doing="opening a point in time",
            )
            pit = opened["pit_id"]
        else:
            opened = self._request(
                "POST", f"/{self.index}/_pit", params={"keep_alive": self.keep_alive}, doing="opening a point in time"
            )
            pit = opened["id"]
        tiebreaker = self.tiebreaker
        try:
            done, total, page_no = 0, None, 0
            after: list[Any] | None = None
            while True:
                page_no += 1
                req = dict(body)
                req["size"] = self.page_size
                req["pit"] = {"id": pit, "keep_alive": self.keep_alive}
                req["sort"] = self._sort(schema, ctx, tiebreaker)
                if after is not None:
                    req["search_after"] = after
                doing = f"reading page {page_no} ({done} documents so far)"
                try:
                    resp = self._request("POST", "/_search", body=req, doing=doing)
                except SourceError as err:
                    if page_no == 1 and tiebreaker == "auto" and all(w in err.reason for w in _RETRYABLE_SORT):
                        tiebreaker = "_shard_doc"  # Elasticsearch 8 refuses to sort on _id
                        page_no = 0
                        continue
                    raise
                self._check(resp, doing)
                pit = resp.get("pit_id", pit)
                hits = resp["hits"]["hits"]
                if total is None:
                    total = _total(resp)
                if not hits:
                    break
                done += len(hits)
                yield hits
                if progress:
                    progress(done, total or done, self.index)
                after = hits[-1]["sort"]
                if len(hits) < self.page_size:
                    break
            if total is not None and done != total:
                raise SourceError(
                    f"read {done} documents but the server counted {total} for this query; the paging lost or "
                    "repeated documents (the sort tiebreaker is not unique?), so nothing is returned",
                    cause="incomplete",
                    source=self._connection().where,
                )
        finally:
            with contextlib.suppress(SourceError):
                if os_style:
                    self._request(
                        "DELETE", "/_search/point_in_time", body={"pit_id": [pit]}, doing="closing the point in time"
                    )
                else:
                    self._request("DELETE", "/_pit", body={"id": pit}, doing="closing the point in time")

    def _scroll_pages(
        self, body: dict[str, Any], slice_id: int | None, progress: Progress | None
    ) -> Iterator[list[dict[str, Any]]]:
        req = dict(body)
        req["size"] = self.page_size
        req["sort"] = ["_doc"]
        if slice_id is not None:
            req["slice"] = {"id": slice_id, "max": self.slices}
        label = f" (slice {slice_id + 1} of {self.slices})" if slice_id is not None else ""
        resp = self._request(
            "POST",
            f"/{self.index}/_search",
            params={"scroll": self.keep_alive},
            body=req,
            doing=f"starting a scroll{label}",
        )
        scroll_id = resp.get("_scroll_id")
        try:
            total = _total(resp)
            done, page_no = 0, 1
            while True:
                doing = f"reading page {page_no}{label} ({done} documents so far)"
                self._check(resp, doing)
                scroll_id = resp.get("_scroll_id", scroll_id)
                hits = resp["hits"]["hits"]
                if not hits:
                    break
                done += len(hits)
                yield hits
                if progress:
                    progress(done, total or done, self.index)
                page_no += 1
                resp = self._request(
                    "POST",
                    "/_search/scroll",
                    body={"scroll": self.keep_alive, "scroll_id": scroll_id},
                    doing=f"reading page {page_no}{label} ({done} documents so far)",
                )
            if total is not None and done != total:
                raise SourceError(
                    f"read {done} documents but the server counted {total}{label}; nothing is returned",
                    cause="incomplete",
                    source=self._connection().where,
                )
        finally:
            if scroll_id:
                with contextlib.suppress(SourceError):
                    self._request(
                        "DELETE", "/_search/scroll", body={"scroll_id": [scroll_id]}, doing="clearing the scroll"
                    )

    # -- aggregations (pushdown) ----------------------------------------------------------------------
    def _search_aggs(self, dsl: dict[str, Any], aggs: dict[str, Any], doing: str) -> dict[str, Any]:
        body = {"size": 0, "query": dsl, "aggs": aggs}
        resp = self._request("POST", f"/{self.index}/_search", body=body, doing=doing)
        self._check(resp, doing)
        return dict(resp.get("aggregations") or {})

    def _count_dsl(self, dsl: dict[str, Any]) -> int:
        if dsl == MATCH_NONE:
            return 0
        resp = self._request("POST", f"/{self.index}/_count", body={"query": dsl}, doing="counting documents")
        self._check(resp, "counting documents")
        return int(resp["count"])

    def _split(
        self, q: Query, schema: Schema, ctx: _Context, residual: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(S, B): the server counts S exactly; the documents of B are read and counted locally."""
        compiled = compile_query(q, schema, ctx.fields)
        req = _required(schema, ctx.fields)
        server_part = and_(compiled.lower, req.lower, not_(residual))
        band = and_(compiled.upper, req.upper, not_(server_part))
        return server_part, band

    def _read_band(self, band: dict[str, Any], q: Query, schema: Schema, ctx: _Context) -> pd.DataFrame:
        if band == MATCH_NONE or self._count_dsl(band) == 0:
            return empty(schema.extra_roles)
        frame, _ = self._read_dsl(band, schema, ctx)
        from distill.query import apply

        return apply(frame, q) if q.op != "all" else frame

    def count(self, query: Any = None, *, schema: Any = None) -> int:
        """Number of events matching ``query``, counted by the server (see :func:`distill.aggregates.count`)."""
        sch = self._schema_for(schema, None)
        q = self.query & as_query(query)
        ctx = self._context(sch)
        server_part, band = self._split(q, sch, ctx, MATCH_NONE)
        return self._count_dsl(server_part) + len(self._read_band(band, q, sch, ctx))

    def count_by(
        self,
        by: str | Iterable[str] = "type",
        *,
        every: Any = None,
        query: Any = None,
        schema: Any = None,
    ) -> pd.DataFrame:
        """Event counts by roles (and time bucket), computed by the server (see :func:`distill.aggregates.count_by`)."""
        from distill import aggregates as agg

        keys = agg._as_by(by)
        every_ns = agg._every_ns(every)
        sch = self._schema_for(schema, None)
        q = self.query & as_query(query)
        needed = [r for k in keys for r in ([agg._role_for(k)] if k != "source" else [])]
        for name in needed:
            agg._check_groupable(name, sch.roles.get(name), sch)
        ctx = self._context(sch)
        roles = {k: (sch.roles[agg._role_for(k)] if k != "source" else None) for k in keys}
        # composite sources: each field of each role, then each time field
        sources: list[dict[str, Any]] = []
        names: dict[str, list[str]] = {}
        residual: list[dict[str, Any]] = []
        pushable = True
        for k, role in roles.items():
            if role is None:
                names[k] = [f"k{len(sources)}"]
                sources.append({names[k][0]: {"terms": {"field": "_index", "missing_bucket": True}}})
                continue
            names[k] = []
            for f in role.fields:
                info = ctx.fields[f]
                if info.kind == "missing":
                    continue
                if info.term_field is None or not _fits(role, info):
                    pushable = False
                    break
                residual.append(info.lossy_docs())
                n = f"k{len(sources)}"
                names[k].append(n)
                sources.append({n: {"terms": {"field": info.term_field, "missing_bucket": True}}})
        time_names: list[tuple[str, int]] = []
        if every_ns is not None and pushable:
            time_role = sch.roles["time"]
            for f in time_role.fields:
                info = ctx.fields[f]
                if info.kind == "missing":
                    continue
                got = time_unit(time_role, info)
                if got is None or info.term_field is None or every_ns % got[0]:
                    pushable = False
                    break
                unit = got[0]
                n = f"k{len(sources)}"
                time_names.append((n, unit))
                if info.kind == "date":
                    key = (
                        "fixed_interval"
                        if ctx.server.version >= (7, 2) or ctx.server.distribution == "opensearch"
                        else "interval"
                    )
                    hist = {
                        "date_histogram": {
                            "field": info.term_field,
                            key: f"{every_ns // 1_000_000}ms",
                            "missing_bucket": True,
                        }
                    }
                else:
                    hist = {
                        "histogram": {"field": info.term_field, "interval": every_ns // unit, "missing_bucket": True}
                    }
                sources.append({n: hist})
            if time_role.fraction and pushable:
                frac = ctx.fields[time_role.fraction]
                if frac.kind == "number":
                    residual.append(and_(exists(frac.name), not_({"range": {frac.name: {"gte": 0, "lt": 0.999}}})))
                elif frac.kind != "missing":
                    residual.append(exists(frac.name))
        if not pushable:
            frame = self.read(q, sch, fields=[agg._role_for(k) for k in keys if k != "source"] + ["time"])
            out = agg.count_by(frame, keys, every=every)
            out.attrs["distill_pushdown"] = False
            return out
        server_part, band = self._split(q, sch, ctx, or_(*residual))
        rows = self._composite(server_part, sources) if server_part != MATCH_NONE else []
        table: dict[str, Any] = {}
        for k in roles:
            table[k] = _coalesce_keys(rows, names[k])
        if every_ns is not None:
            table["time"] = _coalesce_time(rows, time_names, every_ns)
        counts = np.array([r["doc_count"] for r in rows], dtype=np.int64)
        server_table = agg._typed_keys(table, keys, every_ns is not None, sch, counts)
        local = agg.count_by(self._read_band(band, q, sch, ctx), keys, every=every)
        out = agg._combine([server_table, local], keys, every_ns is not None)
        out.attrs["distill_pushdown"] = True
        return out

    def _composite(self, dsl: dict[str, Any], sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        after = None
        page = 0
        while True:
            page += 1
            comp: dict[str, Any] = {"size": 1000, "sources": sources}
            if after is not None:
                comp["after"] = after
            aggs = self._search_aggs(dsl, {"c": {"composite": comp}}, f"counting (bucket page {page})")
            got = aggs["c"]
            for b in got.get("buckets", []):
                rows.append({**b["key"], "doc_count": b["doc_count"]})
            after = got.get("after_key")
            if not got.get("buckets") or after is None:
                return rows

    def distinct(self, field: str, *, query: Any = None, schema: Any = None) -> list[Any]:
        """Distinct values of a role, found by the server (see :func:`distill.aggregates.distinct`)."""
        from distill import aggregates as agg

        table = self.count_by(field, query=query, schema=schema)
        return agg._distinct_from_counts(table, field)

    def time_range(self, *, query: Any = None, schema: Any = None) -> Any:
        """First and last event time and the number of events (see :func:`distill.aggregates.time_range`)."""
        from distill import aggregates as agg

        sch = self._schema_for(schema, None)
        q = self.query & as_query(query)
        ctx = self._context(sch)
        server_part, band = self._split(q, sch, ctx, MATCH_NONE)
        time_role = sch.roles["time"]
        local = self._read_band(band, q, sch, ctx)
        parts = [agg.time_range(local)]
        n_server = self._count_dsl(server_part)
        if n_server:
            infos = [ctx.fields[f] for f in time_role.fields]
            aggs: dict[str, Any] = {}
            guards: list[dict[str, Any]] = []
            for i, info in enumerate(infos):
                if info.kind == "missing":
                    continue
                got = time_unit(time_role, info)
                if got is None or info.term_field is None:
                    # the server cannot order these times: read that part
                    part = and_(server_part, exists(info.name), *guards)
                    parts.append(agg.time_range(self._read_dsl(part, sch, ctx)[0]))
                else:
                    part = and_(server_part, exists(info.name), *guards)
                    aggs[f"p{i}"] = {
                        "filter": part,
                        "aggs": {"lo": {"min": {"field": info.term_field}}, "hi": {"max": {"field": info.term_field}}},
                    }
                guards.append(not_(exists(info.name)))
            found = self._search_aggs(MATCH_ALL, aggs, "finding the time range") if aggs else {}
            for i, info in enumerate(infos):
                got_agg = found.get(f"p{i}")
                if not got_agg or not got_agg.get("doc_count"):
                    continue
                unit, dev = time_unit(time_role, info)  # type: ignore[misc]
                lo, hi = int(got_agg["lo"]["value"]), int(got_agg["hi"]["value"])
                part = aggs[f"p{i}"]["filter"]
                if dev == 0:
                    parts.append(agg.TimeRange(_ts(lo * unit), _ts(hi * unit), 0))
                    continue
                # times deviate from the field by up to `dev`: read the documents near each end
                span = -(-2 * dev // unit) + 1
                fmt = {"format": "epoch_millis"} if info.kind == "date" else {}
                near = or_(
                    {"range": {info.term_field: {"lte": lo + span, **fmt}}},
                    {"range": {info.term_field: {"gte": hi - span, **fmt}}},
                )
                ends = self._read_dsl(and_(part, near), sch, ctx)[0]
                tr = agg.time_range(ends)
                parts.append(agg.TimeRange(tr.start, tr.end, 0))
        combined = agg._combine_ranges(parts)
        return agg.TimeRange(combined.start, combined.end, n_server + len(local))


# -- helpers ----------------------------------------------------------------------------------------
def _ts(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, unit="ns", tz="UTC")


def _total(resp: Mapping[str, Any]) -> int | None:
    total = (resp.get("hits") or {}).get("total")
    if isinstance(total, Mapping):
        return int(total["value"]) if total.get("relation", "eq") == "eq" else None
    return int(total) if total is not None else None


def _required(schema: Schema, fields: FieldMap) -> Compiled:
    parts = [presence(r, fields) for r in schema.roles.values() if r.required]
    return Compiled(and_(*(p.upper for p in parts)), and_(*(p.lower for p in parts)))


def _fits(role: Role, info: Any) -> bool:
    """Whether terms of this field give the role's values exactly."""
    if role.kind in ("category", "string"):
        return bool(info.kind in ("keyword", "text"))
    if role.kind in ("int32", "int64"):
        return bool(info.kind == "number")
    if role.kind == "bool":
        return bool(info.kind == "boolean")
    return False


def _coalesce_keys(rows: list[dict[str, Any]], names: list[str]) -> list[Any]:
    out: list[Any] = []
    for r in rows:
        value = None
        for n in names:
            v = r.get(n)
            if v is not None:
                value = v
                break
        out.append(value)
    return out


def _coalesce_time(rows: list[dict[str, Any]], names: list[tuple[str, int]], every_ns: int) -> list[Any]:
    out: list[Any] = []
    for r in rows:
        value = None
        for n, unit in names:
            v = r.get(n)
            if v is not None:
                ns = int(v) * unit
                value = ns - ns % every_ns
                break
        out.append(value)
    return out


_ENCODE = msgspec.json.Encoder()


def _build_page(hits: list[dict[str, Any]], fieldset: FieldSet, schema: Schema) -> tuple[pd.DataFrame, list[Issue]]:
    """One page of hits as event rows; issues name ``index/_doc/_id``."""
    ids = np.array([str(h["_id"]) for h in hits], dtype=object)
    indices = np.array([str(h["_index"]) for h in hits], dtype=object)
    no_source = [i for i, h in enumerate(hits) if "_source" not in h]
    block = b"\n".join(_ENCODE.encode(h.get("_source") or {}) for h in hits)
    cols = fieldset.decode_lines(block, 1) if hits else fieldset.decode_items([])
    if no_source:
        lines = {i + 1 for i in no_source}
        cols.rejected.extend((p, "the document has no _source (the index does not store it)") for p in sorted(lines))
        keep = [k for k, p in enumerate(cols.positions) if p not in lines]
        cols.values = {n: [v[k] for k in keep] for n, v in cols.values.items()}
        cols.problems = {keep.index(k): p for k, p in cols.problems.items() if k in keep}
        cols.positions = [cols.positions[k] for k in keep]
    frame, issues = _build.build_block(cols, schema, "es", by_record=False)
    rejected = {i.line for i in issues if i.kind == "record"}
    kept = np.array([p - 1 for p in cols.positions if p not in rejected], dtype=np.int64)
    out = frame.copy()
    out["event_id"] = pd.array(ids[kept], dtype=out["event_id"].dtype)
    out["source"] = _build._categorical(list(indices[kept]))
    remapped = [
        Issue(i.kind, i.reason, f"{indices[i.line - 1]}/_doc/{ids[i.line - 1]}", None, i.role, None)
        if i.line is not None
        else i
        for i in issues
    ]
    return out, remapped
