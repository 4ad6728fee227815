"""Distill: turn raw user-activity logs (Apache Flagon UserALE.js and others) into answers.

Read logs into one canonical event frame, then query, filter, sessionise,
build intervals, features and click-path graphs -- as functions, as the
``df.distill`` accessor, as Jupyter panels, as a REST service and as a CLI --
and export every result as plain JSON in one documented structure.

Importing the package registers the ``df.distill`` accessor.

Examples
--------
>>> import distill
>>> events = distill.read(distill.datasets.sample_path())
>>> print(events.distill.summary())  # doctest: +ELLIPSIS
4,863 events, 8 users, 21 sessions
...
"""

from distill import (
    aggregates,
    datasets,
    export,
    features,
    filters,
    frame,
    graphs,
    intervals,
    paths,
    plugins,
    query,
    redact,
    segments,
    sessions,
)
from distill._version import __version__
from distill.accessor import DistillAccessor
from distill.errors import (
    DistillDataWarning,
    DistillError,
    FrameError,
    InputError,
    MissingDependencyError,
    SchemaError,
    SourceError,
)
from distill.export import from_dict, from_json, to_dict, to_json
from distill.frame import sort_events, validate
from distill.overview import Summary, summary
from distill.query import Q, Query, QueryError
from distill.report import ReadReport, report_of
from distill.schema import Role, Schema, get_schema, register_schema, schema_names
from distill.sessions import session_table, sessionize
from distill.sources import from_frame, merge, read
from distill.sources.elasticsearch import ElasticsearchSource
from distill.sources.files import original_records

__all__ = [
    "__version__",
    # reading
    "read",
    "ElasticsearchSource",
    "from_frame",
    "merge",
    "original_records",
    "Schema",
    "Role",
    "get_schema",
    "register_schema",
    "schema_names",
    "ReadReport",
    "report_of",
    # queries
    "Q",
    "Query",
    "QueryError",
    # sessions
    "sessionize",
    "session_table",
    # the frame
    "validate",
    "sort_events",
    "summary",
    "Summary",
    # export
    "to_dict",
    "to_json",
    "from_dict",
    "from_json",
    # modules
    "aggregates",
    "datasets",
    "export",
    "features",
    "filters",
    "frame",
    "graphs",
    "intervals",
    "paths",
    "plugins",
    "query",
    "redact",
    "segments",
    "sessions",
    # errors
    "DistillError",
    "InputError",
    "SchemaError",
    "FrameError",
    "MissingDependencyError",
    "SourceError",
    "DistillDataWarning",
    "DistillAccessor",
]
