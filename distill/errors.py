"""Exceptions and warnings raised by Distill.

Every error names what went wrong and where (file and line, role, column or
parameter), so a user can fix the input without reading a traceback.

Examples
--------
>>> from distill.errors import InputError
>>> str(InputError("malformed JSON", source="logs.ndjson", line=12))
'logs.ndjson:12: malformed JSON'
"""

from __future__ import annotations

__all__ = [
    "DistillError",
    "InputError",
    "SchemaError",
    "FrameError",
    "MissingDependencyError",
    "SourceError",
    "DistillDataWarning",
]


class DistillError(Exception):
    """Base class of every error Distill raises on purpose."""


class InputError(DistillError, ValueError):
    """A record or file could not be read.

    Parameters
    ----------
    reason : str
        What is wrong, in words.
    source : str, optional
        The file (or index) the record came from.
    line : int, optional
        1-based line of the record in ``source`` (or record position for sources
        without lines).

    Examples
    --------
    >>> err = InputError("missing required role 'type'", source="a.json", line=3)
    >>> err.source, err.line
    ('a.json', 3)
    """

    def __init__(self, reason: str, *, source: str | None = None, line: int | None = None):
        self.reason = reason
        self.source = source
        self.line = line
        where = source or ""
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        super().__init__(f"{where}: {reason}" if where else reason)


class SchemaError(DistillError, ValueError):
    """A schema configuration block is invalid (names the key that is wrong)."""


class FrameError(DistillError, ValueError):
    """A DataFrame is not a Distill event frame (names the missing or mistyped columns)."""


class MissingDependencyError(DistillError, ImportError):
    """An optional extra is needed for this feature.

    Examples
    --------
    >>> str(MissingDependencyError("fastapi", extra="service", feature="the REST service"))
    "the REST service needs 'fastapi', which is not installed: pip install 'distill[service]'"
    """

    def __init__(self, package: str, *, extra: str, feature: str):
        self.package = package
        self.extra = extra
        super().__init__(f"{feature} needs {package!r}, which is not installed: pip install 'distill[{extra}]'")


class SourceError(DistillError):
    """A data source (an Elasticsearch or OpenSearch server) could not give a complete answer.

    Raised instead of returning a partial result: the server is unreachable,
    refused the credentials or the TLS certificate, lacks the index or a field
    the schema needs, timed out or let a scroll expire mid-read, or some shards
    failed.

    Parameters
    ----------
    reason : str
        What went wrong, in words, with what to do about it.
    cause : str
        A short machine-readable name: ``unreachable``, ``tls``, ``auth``,
        ``forbidden``, ``index_not_found``, ``missing_field``, ``timeout``,
        ``expired``, ``shard_failure``, ``incomplete``, ``not_supported``, ``server``.
    source : str, optional
        The server and index concerned.

    Examples
    --------
    >>> err = SourceError("no such index", cause="index_not_found", source="https://es:9200/userale")
    >>> str(err), err.cause
    ('https://es:9200/userale: no such index', 'index_not_found')
    """

    def __init__(self, reason: str, *, cause: str = "server", source: str | None = None):
        self.reason = reason
        self.cause = cause
        self.source = source
        super().__init__(f"{source}: {reason}" if source else reason)


class DistillDataWarning(UserWarning):
    """Some input records were rejected or some fields could not be parsed."""
