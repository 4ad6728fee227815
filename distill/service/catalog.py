"""The sources a service (or the command line) reads, and a bounded cache of their frames.

A :class:`Catalog` turns :class:`~distill.service.settings.SourceSettings`
into event frames: the bundled sample, files (paths, directories, globs) or an
Elasticsearch/OpenSearch index. It only ever reads. Loaded frames are kept in
memory (never on disk), at most ``cache.frames`` of them, least recently used
first out, each for at most ``cache.ttl`` seconds; a file source is read again
as soon as one of its files changes size or modification time, appears or
disappears.

When the settings ask for redaction (the default), the frame is redacted once,
right after reading and before it is cached, so every analysis (and every
query) sees only masked typed values and a query cannot probe them.

Examples
--------
>>> from distill.service.settings import load_settings
>>> catalog = Catalog(load_settings(env={}))
>>> len(catalog.events("sample"))
4863
>>> catalog.events("sample") is catalog.events("sample")
True
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from distill.errors import DistillDataWarning, DistillError, InputError
from distill.service.settings import Settings, SettingsError, SourceSettings

__all__ = ["Catalog", "SourceNotFoundError", "SourceUnavailableError", "redactor"]

Progress = Callable[[int, int, str], None]

# warnings.catch_warnings changes process-wide state: one reader at a time inside it.
_WARN_LOCK = threading.Lock()


class SourceNotFoundError(DistillError, KeyError):
    """A request names a source that is not configured."""

    def __init__(self, name: str, known: list[str]):
        self.name = name
        self.known = known
        super().__init__(name)

    def __str__(self) -> str:
        return f"no source named {self.name!r}; sources: {', '.join(self.known)}"


class SourceUnavailableError(DistillError):
    """A configured source cannot be read right now (missing files, unreachable cluster)."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason
        super().__init__(f"source {name!r} is unavailable: {reason}")


@dataclass
class _Entry:
    frame: pd.DataFrame
    signature: Any
    loaded: float


def redactor() -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The library's redaction function (masks typed values in an event frame).

    The catalog applies it to every frame it reads when the settings ask for
    redaction (the default), before the frame is cached.

    Returns
    -------
    callable
        ``f(events) -> events``: :func:`distill.filters.redact` with its
        defaults (every typed value masked, passwords first).

    Raises
    ------
    SettingsError
        If this version of Distill has no redaction function.

    Examples
    --------
    >>> import distill
    >>> redact = redactor()
    >>> events = distill.datasets.load_sample()
    >>> "hunter2" in distill.to_json(events), "hunter2" in distill.to_json(redact(events))
    (True, False)
    """
    try:
        from distill.filters import redact
    except ImportError:
        try:
            from distill.redact import redact  # type: ignore[no-redef]
        except ImportError:
            raise SettingsError(
                "redaction is on but this Distill has no redaction function (distill.filters.redact)"
            ) from None
    return redact  # type: ignore[no-any-return]


class Catalog:
    """Read configured sources into event frames, with a bounded in-memory cache.

    Parameters
    ----------
    settings : Settings
        Sources, cache bounds and whether to redact.
    env : mapping, optional
        Where credentials named by sources are looked up (default ``os.environ``).
    clock : callable, optional
        Monotonic clock (for tests).

    Attributes
    ----------
    settings : Settings
        The settings it was built with.

    Raises
    ------
    SettingsError
        Redaction asked for but unavailable (see :func:`redactor`).

    Examples
    --------
    >>> from distill.service.settings import load_settings
    >>> catalog = Catalog(load_settings(env={}))
    >>> catalog.names()
    ['sample']
    >>> events = catalog.events("sample")  # read once, redacted, then cached
    >>> len(events), "hunter2" in events["details"].str.cat(sep=" ")
    (4863, False)
    >>> catalog.table()[["name", "kind", "default", "cached"]].to_dict("records")
    [{'name': 'sample', 'kind': 'sample', 'default': True, 'cached': True}]
    >>> catalog.events("nope")
    Traceback (most recent call last):
    ...
    distill.service.catalog.SourceNotFoundError: no source named 'nope'; sources: sample
    """

    def __init__(
        self,
        settings: Settings,
        *,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.settings = settings
        self._env = os.environ if env is None else env
        self._clock = clock
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._source_locks = {s.name: threading.Lock() for s in settings.sources}
        self._objects: dict[str, Any] = {}
        self._redact = redactor() if settings.redact else None

    # -- what there is ---------------------------------------------------------------------
    def names(self) -> list[str]:
        """Configured source names."""
        return self.settings.source_names()

    def source(self, name: str | None) -> SourceSettings:
        """Settings of a source (the default one for None), or :class:`SourceNotFoundError`."""
        try:
            return self.settings.source(name)
        except KeyError:
            raise SourceNotFoundError(str(name), self.names()) from None

    def table(self) -> pd.DataFrame:
        """The sources as a table (kind ``sources``): name, kind, description, default, cached.

        Credentials, hosts and paths are not shown.
        """
        with self._cache_lock:
            cached = set(self._cache)
        rows = [
            {
                "name": s.name,
                "kind": s.kind,
                "description": s.description,
                "default": s.name == self.settings.default_source,
                "cached": s.name in cached,
            }
            for s in self.settings.sources
        ]
        out = pd.DataFrame(rows, columns=["name", "kind", "description", "default", "cached"])
        out.attrs["distill_kind"] = "sources"
        return out

    def clear(self) -> None:
        """Forget every cached frame."""
        with self._cache_lock:
            self._cache.clear()

    # -- reading ---------------------------------------------------------------------------
    def events(self, name: str | None = None, *, progress: Progress | None = None) -> pd.DataFrame:
        """The event frame of a source (redacted if the settings say so), from cache when fresh.

        The returned frame is shared with the cache: callers must not mutate it
        (Distill's functions never do).

        Raises
        ------
        SourceNotFoundError
            Unknown name.
        SourceUnavailableError
            Files missing or unreadable, cluster unreachable.
        """
        src = self.source(name)
        lock = self._source_locks[src.name]
        with lock:  # one load per source at a time; others wait and then hit the cache
            signature = self._signature(src)
            now = self._clock()
            with self._cache_lock:
                entry = self._cache.get(src.name)
                if entry is not None:
                    fresh = entry.signature == signature and now - entry.loaded <= self.settings.cache.ttl
                    if fresh:
                        self._cache.move_to_end(src.name)
                        return entry.frame
                    del self._cache[src.name]
            frame = self._read(src, progress)
            if self._redact is not None:
                frame = self._redact(frame)
            if self.settings.cache.frames > 0:
                with self._cache_lock:
                    self._cache[src.name] = _Entry(frame, signature, self._clock())
                    while len(self._cache) > self.settings.cache.frames:
                        self._cache.popitem(last=False)
            return frame

    def _signature(self, src: SourceSettings) -> Any:
        if src.kind != "files":
            return src.kind
        from distill.sources.files import resolve_paths

        try:
            files = resolve_paths(list(src.paths))
            return tuple((str(f), st.st_size, st.st_mtime_ns) for f in files for st in (f.stat(),))
        except (InputError, OSError) as err:
            raise SourceUnavailableError(src.name, _reason(err)) from None

    def _object(self, src: SourceSettings) -> Any:
        obj = self._objects.get(src.name)
        if obj is None:
            obj = self._connect(src)
            self._objects[src.name] = obj
        return obj

    def _connect(self, src: SourceSettings) -> Any:
        from distill.sources.elasticsearch import ElasticsearchSource

        options: dict[str, Any] = dict(src.options)
        user = self._env.get(src.username_env) if src.username_env else None
        password = self._env.get(src.password_env) if src.password_env else None
        api_key = self._env.get(src.api_key_env) if src.api_key_env else None
        for var, value in ((src.username_env, user), (src.password_env, password), (src.api_key_env, api_key)):
            if var and value is None:
                raise SourceUnavailableError(src.name, f"environment variable {var} (a credential) is not set")
        if user is not None or password is not None:
            options["basic_auth"] = (user or "", password or "")
        if api_key is not None:
            options["api_key"] = api_key
        if src.ca_certs:
            options["ca_certs"] = src.ca_certs
        options["verify_certs"] = src.verify_certs
        return ElasticsearchSource(
            list(src.hosts), str(src.index), library=src.kind, schema=src.schema, query=src.query, **options
        )

    def _read(self, src: SourceSettings, progress: Progress | None) -> pd.DataFrame:
        from distill.errors import SourceError
        from distill.query import apply
        from distill.sources.files import read_files

        try:
            with _WARN_LOCK, warnings.catch_warnings():
                warnings.simplefilter("ignore", DistillDataWarning)
                if src.kind == "sample":
                    from distill.datasets import load_sample

                    frame = load_sample()
                elif src.kind == "files":
                    frame = read_files(list(src.paths), src.schema, progress=progress)
                    if src.query is not None:
                        frame = apply(frame, src.query)
                else:  # the source object applies its query on the server
                    frame = self._object(src).read(progress=progress)
            return frame
        except SourceUnavailableError:
            raise
        except SourceError as err:
            self._objects.pop(src.name, None)  # reconnect next time
            raise SourceUnavailableError(src.name, err.reason) from None
        except (InputError, OSError) as err:
            raise SourceUnavailableError(src.name, _reason(err)) from None


def _reason(err: BaseException) -> str:
    """The error in words, naming files by their base name only (no server directories in answers)."""
    if isinstance(err, InputError):
        where = os.path.basename(err.source.rstrip("/")) if err.source else ""
        line = f":{err.line}" if err.line is not None else ""
        return f"{where}{line}: {err.reason}" if where else err.reason
    if isinstance(err, OSError) and err.strerror:
        name = os.path.basename(err.filename) if isinstance(err.filename, str) else ""
        return f"{name}: {err.strerror}" if name else err.strerror
    return str(err)
