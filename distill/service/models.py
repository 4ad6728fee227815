"""Pydantic models of the REST service: the export documents it returns, the requests it takes.

Responses are exactly :func:`distill.export.to_dict` documents; the models
here describe them (for OpenAPI and for clients) and mirror
``distill/export.schema.json``. Requests forbid unknown fields, so a typo is a
422, not a silently ignored option.

Importing this module needs the ``service`` extra (pydantic).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Meta",
    "FieldInfo",
    "TableData",
    "EventRecord",
    "EventsData",
    "GraphData",
    "Document",
    "EventsDocument",
    "TableDocument",
    "GraphDocument",
    "SummaryDocument",
    "Problem",
    "SourceRequest",
    "EventsRequest",
    "SessionsRequest",
    "SessionRequest",
    "GraphRequest",
    "MetricsRequest",
    "MatrixRequest",
    "CountsRequest",
    "WithinUsersRequest",
    "BetweenUsersRequest",
    "InteractionRequest",
    "SessionFeaturesRequest",
    "GraphFeaturesRequest",
    "FunnelRequest",
    "PathsRequest",
    "BeforeAfterRequest",
    "FlowsRequest",
    "MAX_INDEX",
]

#: Largest offset or limit a request may carry (pages are bounded far below by the settings).
MAX_INDEX = 2**31 - 1

FieldType = Literal["time", "duration", "category", "string", "json", "string_list", "int32", "int64", "float", "bool"]
_TIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$"
Time = Annotated[str | None, Field(pattern=_TIME_PATTERN, description="ISO-8601 UTC time, or null")]


# -- documents (responses) ----------------------------------------------------------------
class Meta(BaseModel):
    """Parameters, counts and paging of a document (further keys allowed)."""

    model_config = ConfigDict(extra="allow")

    rows: int | None = Field(None, description="Rows in this document (tables and events)")
    offset: int | None = Field(None, description="Index of the first row of this page")
    limit: int | None = Field(None, description="Page size asked for")
    total: int | None = Field(None, description="Rows in the whole result, across pages")
    source: str | None = Field(None, description="Source the result was computed from")


class FieldInfo(BaseModel):
    """A column of a table: its name and value type."""

    model_config = ConfigDict(extra="allow")

    name: str
    type: FieldType


class TableData(BaseModel):
    """A table: its fields and one record (object) per row."""

    model_config = ConfigDict(extra="allow")

    fields: list[FieldInfo]
    records: list[dict[str, Any]]


class EventRecord(BaseModel):
    """One event of the canonical event frame (further role columns allowed)."""

    model_config = ConfigDict(extra="allow")

    event_id: str
    time: Time
    end_time: Time = None
    user: str | None = None
    session: str | None = None
    type: str
    log_type: str | None = None
    target: str | None = None
    path: list[str] | None = None
    page_url: str | None = None
    page_title: str | None = None
    x: int | None = None
    y: int | None = None
    details: Any = None
    source: str | None = None


class EventsData(BaseModel):
    """Events: fields and one record per event."""

    model_config = ConfigDict(extra="allow")

    fields: list[FieldInfo]
    records: list[EventRecord]


class GraphNode(BaseModel):
    """A node: its id and attributes (count, metrics, ...)."""

    model_config = ConfigDict(extra="allow")

    id: Any


class GraphEdge(BaseModel):
    """An edge: source, target and attributes (count, probability, ...)."""

    model_config = ConfigDict(extra="allow")

    source: Any
    target: Any


class GraphData(BaseModel):
    """A graph in node-link form."""

    model_config = ConfigDict(extra="allow")

    directed: bool
    multigraph: bool
    graph: dict[str, Any]
    nodes: list[GraphNode]
    edges: list[GraphEdge]


class SummaryData(BaseModel):
    """Counts and span of events."""

    model_config = ConfigDict(extra="allow")

    events: int = Field(ge=0)
    users: int = Field(ge=0)
    sessions: int = Field(ge=0)
    start: Time
    end: Time
    span_seconds: float | None = None
    by_type: dict[str, int] = {}
    by_log_type: dict[str, int] = {}


class Document(BaseModel):
    """The export envelope every response body is (see ``distill/export.schema.json``)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["distill"] = Field(description="Always 'distill'")
    version: str = Field(pattern=r"^1\.[0-9]+$", description="Version of the export structure")
    kind: str = Field(min_length=1, description="What 'data' holds")
    generator: str = Field(description="Library and version that wrote the document")
    meta: Meta
    data: Any


class EventsDocument(Document):
    """Events (kind ``events``)."""

    kind: Literal["events"]
    data: EventsData


class TableDocument(Document):
    """A table (kind ``table``, ``sessions``, ``features``, ``matrix``, ``sources``, ``fields``, ...)."""

    data: TableData


class GraphDocument(Document):
    """A click-path graph in node-link form (kind ``graph``)."""

    data: GraphData


class SummaryDocument(Document):
    """A summary (kind ``summary``)."""

    kind: Literal["summary"]
    data: SummaryData


class ValueDocument(Document):
    """A result object's own dict (``funnel``, ``paths``, ``version``, ``health``, ``time_range``, ...)."""

    data: dict[str, Any]


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI naming the kind of problem (see the service guide)")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = Field(None, description="For 422: each invalid field and why")


# -- requests ------------------------------------------------------------------------------
_QUERY_DOC = (
    "Restrict to the events matching this distill Query, as JSON (Query.to_dict()), e.g. "
    '{"field": "type", "op": "eq", "value": "click"}'
)
_NAME = Field(default=None, max_length=200, description="Source name (GET /v1/sources); the default source if omitted")


class SourceRequest(BaseModel):
    """Which source, and which of its events (common to every analysis)."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = _NAME
    query: dict[str, Any] | None = Field(default=None, description=_QUERY_DOC)


class _Page(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offset: int = Field(0, ge=0, le=MAX_INDEX, description="First row to return")
    limit: int | None = Field(
        None, ge=0, le=MAX_INDEX, description="Rows to return (default and maximum set by the service's limits)"
    )


class EventsRequest(SourceRequest, _Page):
    """A page of the events matching a query."""


class SessionsRequest(SourceRequest, _Page):
    """A page of the session table."""

    by: list[Literal["logged", "gap", "page", "tab"]] | None = Field(
        None, max_length=4, description="Re-cut sessions first (distill.sessions.sessionize); default: as logged"
    )
    gap: str | None = Field(None, max_length=40, description="With by 'gap': the longest pause within a session")
    idle: str | None = Field(None, max_length=40, description="Pauses longer than this count as idle time")
    bounce_actions: int | None = Field(None, ge=0, le=MAX_INDEX, description="At most this many actions: a bounce")


class SessionRequest(_Page):
    """A page of one session's events."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = _NAME


class _Nodes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str = Field(
        "target",
        max_length=200,
        description="What a node (step) is (distill.features.node_key): target, page, type, type_target, "
        "path (with depth), or a column name",
    )
    depth: int | None = Field(None, ge=0, le=1000, description="With by 'path': the ancestor depth to roll up to")
    column: str | None = Field(None, max_length=200, description="The source column, where not the canonical one")


class GraphRequest(SourceRequest, _Nodes):
    """A click-path graph: distill.graphs.click_graph(events, by=..., depth=..., min_count=..., top=..., ...)."""

    min_count: int = Field(1, ge=1, le=MAX_INDEX, description="Drop edges seen fewer times")
    top: int | None = Field(None, ge=0, le=MAX_INDEX, description="Keep only the busiest edges")
    start_end: bool = Field(False, description="Add (start) and (end) nodes")
    drop_self_loops: bool = Field(False, description="Do not count a node followed by itself")


class MetricsRequest(GraphRequest, _Page):
    """Node metrics of the click graph: distill.graphs.graph_metrics, a page of nodes."""

    betweenness_k: int | None = Field(
        None, ge=1, le=100_000, description="Estimate betweenness from this many sampled nodes (large graphs)"
    )


class MatrixRequest(GraphRequest):
    """The transition matrix of the click graph: distill.graphs.transition_matrix."""

    probabilities: bool = Field(True, description="Transition probabilities (true) or counts (false)")


class _Binned(BaseModel):
    model_config = ConfigDict(extra="forbid")

    every: str = Field("1min", max_length=40, description="Time bin width, e.g. '1min', '30s'")
    by: str = Field("user", max_length=200, description="Group column (rows)")
    column: str | None = Field("type", max_length=200, description="Column whose values become feature columns")


class CountsRequest(SourceRequest, _Binned, _Page):
    """Events per group per time bin: distill.features.counts."""

    fill: bool = Field(False, description="Add empty bins between a group's first and last")


class WithinUsersRequest(SourceRequest, _Binned, _Page):
    """Statistics of each feature over each group's bins: distill.features.within_users."""


class BetweenUsersRequest(SourceRequest, _Binned, _Page):
    """Statistics of each feature across groups: distill.features.between_users."""

    agg: Literal["sum", "mean", "median", "max"] = Field("sum", description="How each group's bins are reduced first")


class InteractionRequest(SourceRequest, _Nodes, _Page):
    """Each group's share of events on each node: distill.features.interaction_probability."""

    per: str | None = Field("user", max_length=200, description="Group column (null: all events together)")


class SessionFeaturesRequest(SourceRequest, _Page):
    """One row of features per session: distill.features.session_features."""

    idle: str | None = Field(None, max_length=40, description="Pauses longer than this count as idle time")
    bounce_actions: int | None = Field(None, ge=0, le=MAX_INDEX, description="At most this many actions: a bounce")


class GraphFeaturesRequest(SourceRequest, _Nodes, _Page):
    """Graph statistics of each session's (or user's) click graph: distill.graphs.graph_features."""

    per: Literal["session", "user"] = Field("session", description="Whose graphs")


Step = str | list[str] | dict[str, Any]


class FunnelRequest(SourceRequest, _Nodes):
    """How far sessions get through ordered steps: distill.paths.funnel.

    A step is a node value (``"click button#checkout"`` with ``by`` type_target), a list of node
    values (any of them), or a distill Query as a JSON object.
    """

    steps: list[Step] = Field(min_length=1, max_length=100, description="The steps, in order")
    within: str | None = Field(None, max_length=40, description="Time allowed from the first step to the last")
    by: str = Field("type_target", max_length=200, description="What a node is (default type_target)")


class PathsRequest(SourceRequest, _Nodes, _Page):
    """The most frequent paths: distill.paths.top_paths."""

    length: int = Field(3, ge=1, le=100, description="Nodes per path")
    n: int | None = Field(10, ge=1, le=MAX_INDEX, description="How many paths (null: all)")
    collapse: bool = Field(False, description="Collapse runs of the same node first")


class BeforeAfterRequest(SourceRequest, _Nodes):
    """What comes before and after an anchor: distill.paths.before_after."""

    node: Step = Field(description="The anchor: a node value, a list of them, or a Query object")
    steps: int = Field(1, ge=1, le=100, description="How many positions before and after")
    collapse: bool = Field(False, description="Collapse runs of the same node first")


class FlowsRequest(SourceRequest):
    """Links of the most frequent paths from a start (Sankey): distill.paths.flows."""

    start: Step | None = Field(None, description="Where paths start (default: each session's first node)")
    depth: int = Field(4, ge=1, le=100, description="Nodes per path after the start")
    top: int | None = Field(10, ge=1, le=MAX_INDEX, description="Keep the most frequent paths (null: all)")
    by: str = Field("target", max_length=200, description="What a node is (distill.features.node_key)")
    column: str | None = Field(None, max_length=200, description="The source column, where not the canonical one")
    collapse: bool = Field(True, description="Collapse runs of the same node first")


# -- the same requests as GET query parameters (the query as JSON text) -----------------------
_QUERY_TEXT = Field(
    default=None,
    max_length=4000,
    description=_QUERY_DOC.replace("as JSON", "as JSON text (URL-encoded)"),
)


class EventsParams(EventsRequest):
    """Query parameters of GET /v1/events."""

    query: str | None = _QUERY_TEXT  # type: ignore[assignment]


class SessionsParams(SessionsRequest):
    """Query parameters of GET /v1/sessions."""

    query: str | None = _QUERY_TEXT  # type: ignore[assignment]


class GraphParams(GraphRequest):
    """Query parameters of GET /v1/graph."""

    query: str | None = _QUERY_TEXT  # type: ignore[assignment]


class MetricsParams(MetricsRequest):
    """Query parameters of GET /v1/graph/metrics."""

    query: str | None = _QUERY_TEXT  # type: ignore[assignment]


class MatrixParams(MatrixRequest):
    """Query parameters of GET /v1/graph/matrix."""

    query: str | None = _QUERY_TEXT  # type: ignore[assignment]


class CountsParams(CountsRequest):
    """Query parameters of GET /v1/features/counts."""

    query: str | None = _QUERY_TEXT  # type: ignore[assignment]


class WithinUsersParams(WithinUsersRequest):
    """Query parameters of GET /v1/features/within-users."""

    query: str | None = _QUERY_TEXT  # type: ignore[assignment]


class BetweenUsersParams(BetweenUsersRequest):
    """Query parameters of GET /v1/features/between-users."""

    query: str | None = _QUERY_TEXT  # type: ignore[assignment]


class InteractionParams(InteractionRequest):
    """Query parameters of GET /v1/features/interaction-probability."""

    query: str | None = _QUERY_TEXT  # type: ignore[assignment]


class SessionFeaturesParams(SessionFeaturesRequest):
    """Query parameters of GET /v1/features/sessions."""

    query: str | None = _QUERY_TEXT  # type: ignore[assignment]


class GraphFeaturesParams(GraphFeaturesRequest):
    """Query parameters of GET /v1/features/graph."""

    query: str | None = _QUERY_TEXT  # type: ignore[assignment]


class PathsParams(PathsRequest):
    """Query parameters of GET /v1/paths/top."""

    query: str | None = _QUERY_TEXT  # type: ignore[assignment]
