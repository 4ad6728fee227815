"""One payload: every result as plain dicts or JSON in one documented structure.

Every export is an *envelope*::

    {
      "format": "distill",          # always this string
      "version": "1.0",             # version of this structure
      "kind": "events",             # what ``data`` holds (see below)
      "generator": "distill 0.1.0", # the library that wrote it
      "meta": {...},                # parameters, counts, paging, read report, ...
      "data": ...
    }

Kinds and their ``data``:

``events``
    ``{"fields": [{"name", "type"}], "records": [{column: value}]}``: the event
    frame, one record per event; times are ISO-8601 UTC strings, ``details``
    is the JSON object itself, ``path`` a list of strings.
``table`` (and named tables such as ``sessions``, ``features``, ``matrix``)
    ``{"fields": [...], "records": [...]}`` for any other DataFrame; a
    DataFrame names its kind in ``df.attrs["distill_kind"]``. Durations are
    seconds.
``graph``
    node-link: ``{"directed", "multigraph", "graph", "nodes": [{"id", ...}],
    "edges": [{"source", "target", ...}]}``.
anything else
    a result object's own dict (``summary``, ``report``, ``query``, ``funnel``, ...).

The JSON Schema of the structure ships with the package
(:func:`json_schema`); the REST service returns exactly these documents.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample().head(2)
>>> doc = to_dict(events)
>>> doc["format"], doc["version"], doc["kind"], len(doc["data"]["records"])
('distill', '1.0', 'events', 2)
>>> from_dict(doc)["event_id"].tolist() == events["event_id"].tolist()
True
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec
import networkx as nx
import numpy as np
import pandas as pd

from distill._version import __version__
from distill.errors import InputError
from distill.frame import CORE_COLUMNS, ROLE_KINDS

__all__ = [
    "FORMAT_VERSION",
    "to_dict",
    "to_json",
    "from_dict",
    "from_json",
    "json_schema",
    "plain",
    "envelope",
]

#: Version of the export structure; bumped on incompatible changes.
FORMAT_VERSION = "1.0"
_I64_MIN = np.iinfo(np.int64).min


def envelope(kind: str, data: Any, meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Wrap ``data`` of a kind in the export envelope.

    Use it to export a result that is not a DataFrame, a graph or an object
    with ``__distill_export__`` (the REST service wraps its own small answers,
    such as ``health``, this way).

    Parameters
    ----------
    kind : str
        What ``data`` holds (``events``, ``table``, ``summary``, ... or a new
        kind; see the module docstring).
    data : object
        The payload, put in the envelope as it is: it must already be plain
        JSON-able Python (pass it through :func:`plain` if it may hold numpy
        scalars, timestamps or NaN).
    meta : mapping, optional
        Parameters, counts or paging; made plain with :func:`plain`.

    Returns
    -------
    dict
        ``{"format": "distill", "version": FORMAT_VERSION, "kind": kind,
        "generator": "distill <version>", "meta": {...}, "data": data}``.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> doc = envelope("summary", {"events": len(events)}, {"source": "sample"})
    >>> doc["kind"], doc["data"], doc["meta"]
    ('summary', {'events': 4863}, {'source': 'sample'})
    >>> doc["format"], doc["version"] == FORMAT_VERSION
    ('distill', True)
    """
    return {
        "format": "distill",
        "version": FORMAT_VERSION,
        "kind": kind,
        "generator": f"distill {__version__}",
        "meta": plain(dict(meta or {})),
        "data": data,
    }


# -- plain values ---------------------------------------------------------------------
def plain(value: Any) -> Any:
    """Turn a value into plain JSON-able Python (no numpy scalars, no NaN).

    Parameters
    ----------
    value : object
        Anything. Mappings (keys become str), lists, tuples, sets and numpy
        arrays are converted item by item.

    Returns
    -------
    object
        None, bool, int, float, str, list or dict only: numpy integers and
        booleans become ``int`` and ``bool``; NaN, infinities, ``pd.NA`` and
        ``NaT`` become None; timestamps become ISO-8601 UTC strings (``Z``);
        durations become seconds (float); a result object with
        ``__distill_export__`` becomes its :func:`to_dict` document, an object
        with ``to_dict()`` its plain dict; anything else its ``str()``.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> counts = plain(events["type"].value_counts().to_dict())
    >>> type(counts["click"]).__name__, sum(counts.values())
    ('int', 4863)
    >>> plain(events["time"].max() - events["time"].min()) > 0
    True

    >>> import numpy as np, pandas as pd
    >>> plain({"a": np.int64(3), "b": [np.float64("nan"), pd.Timestamp("2026-01-01", tz="UTC")]})
    {'a': 3, 'b': [None, '2026-01-01T00:00:00Z']}
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return [plain(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return _iso(value)
    if isinstance(value, _dt.datetime):
        return _iso(pd.Timestamp(value))
    if isinstance(value, (pd.Timedelta, _dt.timedelta, np.timedelta64)):
        td = pd.Timedelta(value)
        return None if pd.isna(td) else td.total_seconds()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else _iso(pd.Timestamp(value))
    if isinstance(value, msgspec.Raw):
        return msgspec.json.decode(value)
    if hasattr(value, "__distill_export__"):
        return to_dict(value)
    if hasattr(value, "to_dict") and not isinstance(value, pd.DataFrame):
        return plain(value.to_dict())
    return str(value)


def _iso(ts: pd.Timestamp) -> str | None:
    if pd.isna(ts):
        return None
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    ts = ts.tz_convert("UTC")
    text = ts.strftime("%Y-%m-%dT%H:%M:%S")
    frac = ts.microsecond * 1000 + ts.nanosecond
    if frac:
        text += "." + (f"{frac:09d}" if frac % 1000 else f"{frac // 1000:06d}")
    return text + "Z"


def _iso_column(series: pd.Series) -> list[str | None]:
    ns = series.to_numpy(dtype="datetime64[ns]")
    nat = np.isnat(ns)
    unit: Any = "us" if not (ns.view(np.int64)[~nat] % 1000).any() else "ns"
    text = np.datetime_as_string(ns.astype(f"datetime64[{unit}]"), unit=unit, timezone="UTC")
    out = text.astype(object)
    out[nat] = None
    return out.tolist()


# -- frames ---------------------------------------------------------------------------
def _field_type(name: str, series: pd.Series, events: bool) -> str:
    dt = series.dtype
    if events and name in ROLE_KINDS:
        return ROLE_KINDS[name]
    if isinstance(dt, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dt):
        return "time"
    if pd.api.types.is_timedelta64_dtype(dt):
        return "duration"
    if isinstance(dt, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dt):
        return "bool"
    if pd.api.types.is_integer_dtype(dt):
        return "int64"
    if pd.api.types.is_float_dtype(dt):
        return "float"
    if pd.api.types.is_string_dtype(dt):
        sample = series.dropna().head(50)
        if len(sample) and all(isinstance(v, (tuple, list)) for v in sample):
            return "string_list"
        if len(sample) and all(isinstance(v, (dict, list)) for v in sample):
            return "json"
        return "string"
    return "string"


def _column_values(series: pd.Series, ftype: str) -> list[Any]:
    if ftype == "time":
        return _iso_column(series)
    if ftype == "duration":
        secs = series.dt.total_seconds().to_numpy(dtype=float)
        return [None if math.isnan(v) else v for v in secs.tolist()]
    if ftype == "json" and (pd.api.types.is_string_dtype(series.dtype)):
        return [
            None
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
            else (msgspec.Raw(v.encode()) if isinstance(v, str) else v)
            for v in series.tolist()
        ]
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = [plain(c) for c in series.cat.categories.tolist()] + [None]
        codes = series.cat.codes.to_numpy()
        return [cats[c] for c in codes.tolist()]
    if ftype == "string_list":
        return [None if v is None or (isinstance(v, float) and math.isnan(v)) else list(v) for v in series.tolist()]
    if ftype in ("int32", "int64", "float", "bool"):
        arr = series.astype(object).where(series.notna(), None).tolist()
        if ftype == "float":
            return [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in arr]
        return [None if v is None else plain(v) for v in arr]
    values = series.tolist()
    return [plain(v) for v in values]


def _frame_payload(
    df: pd.DataFrame, events: bool, limit: int | None = None
) -> tuple[dict[str, Any], list[str], list[list[Any]]]:
    if limit is not None:
        df = df.iloc[:limit]
    names = [str(c) for c in df.columns]
    types = [_field_type(n, df[c], events) for n, c in zip(names, df.columns)]
    columns = [_column_values(df[c], t) for c, t in zip(df.columns, types)]
    fields = [{"name": n, "type": t} for n, t in zip(names, types)]
    return {"fields": fields}, names, columns


def _frame_kind(df: pd.DataFrame) -> str:
    kind = df.attrs.get("distill_kind")
    if isinstance(kind, str):
        return kind
    return "events" if all(c in df.columns for c in CORE_COLUMNS) else "table"


def _frame_meta(df: pd.DataFrame, kind: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"rows": len(df)}
    extra = df.attrs.get("distill_meta")
    if isinstance(extra, Mapping):
        meta.update(extra)
    if kind == "events":
        from distill.report import report_of

        rep = report_of(df)
        if rep is not None:  # counts only: issue lists and file paths stay with the library user
            meta["read"] = {k: v for k, v in rep.to_dict().items() if k not in ("issues", "paths")}
    return meta


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    """Index as columns where it carries information (named or non-integer)."""
    if isinstance(df.index, pd.RangeIndex):
        return df
    index = df.index
    if index.name is None and not isinstance(index, pd.MultiIndex) and pd.api.types.is_integer_dtype(index.dtype):
        return df.reset_index(drop=True)
    return df.reset_index()


# -- graphs ----------------------------------------------------------------------------
def _graph_data(graph: nx.Graph) -> dict[str, Any]:
    return {
        "directed": graph.is_directed(),
        "multigraph": graph.is_multigraph(),
        "graph": plain(dict(graph.graph)),
        "nodes": [{"id": plain(n), **plain(dict(a))} for n, a in graph.nodes(data=True)],
        "edges": [{"source": plain(u), "target": plain(v), **plain(dict(a))} for u, v, a in graph.edges(data=True)],
    }


# -- public ----------------------------------------------------------------------------
def to_dict(obj: Any, *, meta: Mapping[str, Any] | None = None, limit: int | None = None) -> dict[str, Any]:
    """Export a result as a plain dict in the documented envelope.

    Parameters
    ----------
    obj : DataFrame, networkx graph, result object, or mapping
        An event frame (kind ``events``), any other DataFrame (kind from
        ``df.attrs["distill_kind"]``, else ``table``), a graph (``graph``), an
        object with ``__distill_export__`` (its own kind), or a plain mapping
        (``value``).
    meta : mapping, optional
        Extra entries for ``meta`` (paging, parameters).
    limit : int, optional
        Export at most this many rows of a frame.

    Returns
    -------
    dict
        Plain Python: str, int, float, bool, None, list, dict.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph(); g.add_edge("a", "b", count=2)
    >>> to_dict(g)["data"]["edges"]
    [{'source': 'a', 'target': 'b', 'count': 2}]
    """
    return msgspec.json.decode(to_json(obj, meta=meta, limit=limit))


def _document(obj: Any, meta: Mapping[str, Any] | None, limit: int | None) -> dict[str, Any]:
    extra = dict(meta or {})
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    if isinstance(obj, pd.DataFrame):
        kind = _frame_kind(obj)
        frame = _prepare(obj.copy(deep=False))
        frame.attrs = {}  # pandas copies attrs on every column access; the envelope's meta carries them
        head, names, columns = _frame_payload(frame, kind == "events", limit)
        struct = msgspec.defstruct(
            "Row", [(f"c{i}", Any) for i in range(len(names))], rename={f"c{i}": n for i, n in enumerate(names)}
        )
        head["records"] = [struct(*row) for row in zip(*columns)] if names else [{} for _ in range(len(frame))]
        full_meta = {**_frame_meta(obj, kind), **extra}
        if limit is not None:
            full_meta.setdefault("rows_exported", min(limit, len(obj)))
        return envelope(kind, head, full_meta)
    if isinstance(obj, nx.Graph):
        meta_g = {"nodes": obj.number_of_nodes(), "edges": obj.number_of_edges(), **extra}
        return envelope(str(obj.graph.get("distill_kind", "graph")), _graph_data(obj), meta_g)
    if hasattr(obj, "__distill_export__"):
        part = obj.__distill_export__()
        return envelope(part["kind"], plain(part["data"]), {**part.get("meta", {}), **extra})
    if isinstance(obj, Mapping):
        return envelope("value", plain(obj), extra)
    raise TypeError(f"cannot export a {type(obj).__name__}; give a DataFrame, a graph or a Distill result")


def to_json(
    obj: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    meta: Mapping[str, Any] | None = None,
    limit: int | None = None,
    indent: int | None = None,
) -> str:
    """Export a result as JSON text (and write it to ``path`` if given).

    Parameters
    ----------
    obj : DataFrame, graph, result object, or mapping
        See :func:`to_dict`.
    path : path, optional
        Also write the JSON there (UTF-8).
    meta : mapping, optional
        Extra ``meta`` entries.
    limit : int, optional
        At most this many rows of a frame.
    indent : int, optional
        Pretty-print with this indent.

    Returns
    -------
    str
        The JSON document.

    Examples
    --------
    >>> import distill
    >>> text = to_json(distill.datasets.load_sample(), limit=1)
    >>> text.startswith('{"format":"distill","version":"1.0","kind":"events"')
    True
    """
    data = msgspec.json.encode(_document(obj, meta, limit))
    if indent is not None:
        data = msgspec.json.format(data, indent=indent)
    text = data.decode("utf-8")
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def from_dict(doc: Mapping[str, Any]) -> Any:
    """Rebuild a result from an exported document.

    ``events`` give back the canonical event frame (same ids, times, paths and
    dtypes), other tables a DataFrame, ``graph`` a :class:`networkx.DiGraph`;
    other kinds are returned as their ``data`` dict.

    Parameters
    ----------
    doc : mapping
        A document made by :func:`to_dict` (or parsed from :func:`to_json`).

    Returns
    -------
    DataFrame, networkx.DiGraph or dict

    Raises
    ------
    InputError
        If ``doc`` is not a Distill export, naming what is missing.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph(); g.add_edge("a", "b", count=2)
    >>> from_dict(to_dict(g))["a"]["b"]["count"]
    2
    """
    if not isinstance(doc, Mapping) or doc.get("format") != "distill":
        raise InputError('not a Distill export: expected an object with "format": "distill"')
    version = str(doc.get("version", ""))
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise InputError(f"unsupported Distill export version {version!r}; this library reads {FORMAT_VERSION}")
    kind = doc.get("kind")
    data = doc.get("data")
    if isinstance(data, Mapping) and "records" in data and "fields" in data:
        return _frame_from(data, kind, doc.get("meta") or {})
    if isinstance(data, Mapping) and "nodes" in data and "edges" in data:
        graph = nx.DiGraph() if data.get("directed", True) else nx.Graph()
        graph.graph.update(data.get("graph", {}))
        for node in data["nodes"]:
            attrs = {k: v for k, v in node.items() if k != "id"}
            graph.add_node(_hashable(node["id"]), **attrs)
        for edge in data["edges"]:
            attrs = {k: v for k, v in edge.items() if k not in ("source", "target")}
            graph.add_edge(_hashable(edge["source"]), _hashable(edge["target"]), **attrs)
        return graph
    return data


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


def _frame_from(data: Mapping[str, Any], kind: Any, meta: Mapping[str, Any]) -> pd.DataFrame:
    fields = data["fields"]
    records = data["records"]
    names = [f["name"] for f in fields]
    types = {f["name"]: f["type"] for f in fields}
    if kind == "events":
        from distill.report import ReadReport, attach
        from distill.schema import Schema
        from distill.sources import _build
        from distill.sources._decode import Columns, FieldSet

        roles = {
            n: {"fields": [n], "kind": t, **({"parser": "iso8601"} if t == "time" else {})}
            for n, t in types.items()
            if n != "source"
        }
        roles["time"]["required"] = True
        schema = Schema.from_dict({"name": "export", "roles": roles})
        fields_set = FieldSet(schema)
        values: dict[str, list[Any]] = {n: [] for n in fields_set.classes}
        for rec in records:
            for n in values:
                v = rec.get(n)
                if types.get(n) == "json":
                    v = msgspec.Raw(msgspec.json.encode(v)) if v is not None else None
                elif types.get(n) == "string_list" and v is not None:
                    v = tuple(v)
                values[n].append(v)
        sources = [rec.get("source") for rec in records]
        cols = Columns(values, list(range(1, len(records) + 1)))
        frame, issues = _build.build_block(cols, schema, "export", by_record=True)
        if issues:
            raise InputError(f"export record {issues[0].where}: {issues[0].reason}")
        if "source" in types:
            frame["source"] = pd.Categorical(sources)
        frame = _build.finish(frame)
        read = meta.get("read") if isinstance(meta, Mapping) else None
        if isinstance(read, Mapping):
            rep = ReadReport(
                int(read.get("read", len(frame))),
                int(read.get("accepted", len(frame))),
                (),
                tuple(read.get("sources", ())),
            )
            attach(frame, rep)
        return frame[[n for n in names if n in frame.columns]]
    frame = pd.DataFrame.from_records(records, columns=names)
    for name, ftype in types.items():
        if ftype == "time":
            frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
        elif ftype == "duration":
            frame[name] = pd.to_timedelta(frame[name], unit="s")
        elif ftype == "category":
            frame[name] = frame[name].astype("category")
        elif ftype in ("int32", "int64"):
            frame[name] = frame[name].astype("Int64" if frame[name].isna().any() else "int64")
        elif ftype == "bool" and not frame[name].isna().any():
            frame[name] = frame[name].astype(bool)
        elif ftype == "string_list":
            frame[name] = [tuple(v) if isinstance(v, list) else v for v in frame[name]]
    if isinstance(kind, str) and kind != "table":
        frame.attrs["distill_kind"] = kind
    return frame


def from_json(text_or_path: str | bytes | os.PathLike[str]) -> Any:
    """Rebuild a result from exported JSON text or a file.

    Parameters
    ----------
    text_or_path : str, bytes or path
        JSON text (str or bytes), or the path of a file holding it. A str is
        read as a path when it does not start with ``{`` and names an
        existing file; an ``os.PathLike`` is always a path.

    Returns
    -------
    DataFrame, networkx.DiGraph or dict
        As :func:`from_dict`: an event frame for ``events``, a DataFrame for
        other tables, a graph for ``graph``, else the ``data`` dict.

    Raises
    ------
    InputError
        If the text is not valid JSON or not a Distill export.

    Examples
    --------
    >>> import distill
    >>> ev = distill.datasets.load_sample().head(3)
    >>> back = from_json(to_json(ev))
    >>> back["time"].equals(ev["time"]) and back["path"].tolist() == ev["path"].tolist()
    True
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.json"
    >>> _ = to_json(ev, path)
    >>> from_json(path)["event_id"].tolist() == ev["event_id"].tolist()
    True
    """
    if isinstance(text_or_path, os.PathLike) or (
        isinstance(text_or_path, str) and not text_or_path.lstrip().startswith("{") and Path(text_or_path).is_file()
    ):
        raw: str | bytes = Path(text_or_path).read_bytes()
    else:
        raw = text_or_path  # type: ignore[assignment]
    try:
        doc = msgspec.json.decode(raw)
    except msgspec.DecodeError as err:
        raise InputError(f"not valid JSON: {err}") from None
    return from_dict(doc)


@lru_cache(maxsize=1)
def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the export structure.

    Read from ``distill/export.schema.json`` in the package, once: every call
    returns the same dict, so do not change it (copy it first).

    Returns
    -------
    dict
        The schema: the envelope's required keys and their types, one
        ``allOf`` rule per kind that constrains ``data``, and the shared
        ``$defs`` (fields, records, nodes, edges, ...).

    Examples
    --------
    >>> schema = json_schema()
    >>> schema["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    >>> import distill
    >>> doc = to_dict(distill.datasets.load_sample(), limit=1)
    >>> sorted(schema["required"]) == sorted(doc)
    True
    """
    return json.loads((resources.files("distill") / "export.schema.json").read_text(encoding="utf-8"))
