"""The ``distill`` command: the library's analyses from a shell, and the REST service.

::

    distill summary logs/*.ndjson.gz                     # counts and span, as JSON
    distill sessions logs/ --by logged gap --gap 10min   # the session table
    distill graph logs/ --by page --min-count 3 --format html -o graph.html
    distill query logs/ --query clicks.json --limit 100  # events matching a Query
    distill serve --config service.yaml                  # the REST service (HTTPS)
    distill demo                                         # a tour of the bundled sample

Every analysis command reads files (paths, directories, globs), a source from a
service settings file (``--config FILE --source NAME``) or the bundled sample
(``--sample``), and writes exactly the library's export JSON
(:func:`distill.to_json`) to stdout or ``--output``. Typed values are
redacted (:func:`distill.filters.redact`) unless ``--no-redact`` is given.
Long reads show a progress bar on stderr. Bad input ends the command with a
one-line message on stderr and exit status 1 (2 for bad usage); no traceback.

Examples
--------
>>> main(["summary", "--sample"])  # doctest: +ELLIPSIS
{"format":"distill","version":"1.0","kind":"summary",...,"data":{"events":4863,"users":8,"sessions":21,...}}
0
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = ["main", "build_parser", "ProgressBar"]

_PROG = "distill"


class _Failure(Exception):
    """A bad input or usage the command reports in one line."""


# -- progress ------------------------------------------------------------------------------------
class ProgressBar:
    """A one-line progress bar on a terminal stream, for ``progress(bytes_done, bytes_total, path)`` callbacks.

    Nothing is drawn for reads that finish within ``delay`` seconds.

    Parameters
    ----------
    stream : text stream
        Where to draw (stderr).
    enabled : bool
        Draw at all.
    delay : float
        Seconds before the bar first appears.
    width : int
        Characters of the bar itself.
    unit : str
        ``"bytes"`` (shown as MB) or what else is counted (``"documents"``).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgressBar(out, delay=0)
    >>> bar(50, 100, "a.ndjson"); bar(100, 100, "a.ndjson"); bar.close()
    >>> "100%" in out.getvalue() and out.getvalue().endswith("\\n")
    True
    """

    def __init__(
        self, stream: TextIO, *, enabled: bool = True, delay: float = 0.5, width: int = 28, unit: str = "bytes"
    ):
        self.stream = stream
        self.unit = unit
        self.enabled = enabled
        self.delay = delay
        self.width = width
        self._start = time.monotonic()
        self._drawn = False
        self._last = 0.0

    def __call__(self, done: int, total: int, path: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._start < self.delay or (self._drawn and now - self._last < 0.1 and done < total):
            return
        self._last = now
        share = done / total if total else 1.0
        filled = round(share * self.width)
        name = os.path.basename(path)
        if len(name) > 40:
            name = "..." + name[-37:]
        amount = (
            f"{done / 1e6:,.1f}/{total / 1e6:,.1f} MB" if self.unit == "bytes" else f"{done:,}/{total:,} {self.unit}"
        )
        line = f"\r[{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%} {amount} {name}"
        self.stream.write(line.ljust(80))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the bar's line (if one was drawn)."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


# -- reading -------------------------------------------------------------------------------------
def _read_json_arg(value: str, what: str) -> Any:
    """JSON from inline text, ``-`` (stdin) or a file."""
    if value == "-":
        text = sys.stdin.read()
    elif value.lstrip().startswith(("{", "[")):
        text = value
    else:
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as err:
            raise _Failure(f"{what} {value}: {err.strerror or err}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise _Failure(f"{what} {value}: not valid JSON ({err})") from None
    except RecursionError:
        raise _Failure(f"{what} {value}: nested too deeply") from None


def _progress_enabled(args: argparse.Namespace) -> bool:
    mode = getattr(args, "progress", "auto")
    if mode == "always":
        return True
    if mode == "never":
        return False
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def _events(args: argparse.Namespace) -> Any:
    """The event frame the arguments name (files, a configured source or the sample), redacted unless told not to."""
    import pandas as pd

    from distill.errors import DistillDataWarning

    given = [bool(args.files), bool(args.source), bool(args.sample)]
    if sum(given) != 1:
        raise _Failure("give event files (FILE...), a configured source (--config FILE --source NAME) or --sample")
    settings = None
    unit = "bytes"
    if args.source:
        from distill.service.settings import load_settings

        settings = load_settings(args.config) if args.config else load_settings()
        if args.no_redact:
            settings = settings.replace(redact=False)
        kinds = {s.name: s.kind for s in settings.sources}
        if kinds.get(args.source) in ("elasticsearch", "opensearch"):
            unit = "documents"
    bar = ProgressBar(
        sys.stderr,
        enabled=_progress_enabled(args),
        delay=0.0 if getattr(args, "progress", "") == "always" else 0.5,
        unit=unit,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DistillDataWarning)
        try:
            if settings is not None:
                from distill.service.catalog import Catalog

                events: pd.DataFrame = Catalog(settings).events(args.source, progress=bar)
            else:
                if args.sample:
                    from distill.datasets import load_sample

                    events = load_sample()
                else:
                    from distill.sources.files import read_files

                    events = read_files(args.files, args.schema, progress=bar)
                if not args.no_redact:
                    from distill.filters import redact

                    events = redact(events)
        finally:
            bar.close()
    for w in caught:
        if issubclass(w.category, DistillDataWarning):
            print(f"{_PROG}: warning: {_one_line(str(w.message))}", file=sys.stderr)
    if getattr(args, "where", None):
        from distill.query import apply

        events = apply(events, _read_json_arg(args.where, "--where"))
    return events


# -- output --------------------------------------------------------------------------------------
def _write(args: argparse.Namespace, text: str | bytes) -> None:
    if args.output and args.output != "-":
        data = text.encode("utf-8") if isinstance(text, str) else text
        try:
            Path(args.output).write_bytes(data)
        except OSError as err:
            raise _Failure(f"--output {args.output}: {err.strerror or err}") from None
        return
    if isinstance(text, bytes):
        sys.stdout.buffer.write(text)
    else:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
    sys.stdout.flush()


def _export(args: argparse.Namespace, obj: Any, meta: dict[str, Any] | None = None) -> None:
    from distill.export import to_json

    _write(args, to_json(obj, meta=meta, indent=args.indent))


# -- commands ------------------------------------------------------------------------------------
def _cmd_summary(args: argparse.Namespace) -> None:
    from distill.overview import summary

    _export(args, summary(_events(args)))


def _cmd_sessions(args: argparse.Namespace) -> None:
    from distill.sessions import session_table, sessionize

    events = _events(args)
    if args.by:
        events = sessionize(events, args.by, **_given(gap=args.gap))
    _export(args, session_table(events, **_given(idle=args.idle, bounce_actions=args.bounce_actions)))


def _cmd_graph(args: argparse.Namespace) -> None:
    from distill.graphs import click_graph

    graph = click_graph(
        _events(args),
        args.by,
        **_given(depth=args.depth, top=args.top),
        min_count=args.min_count,
        start_end=args.start_end,
        drop_self_loops=args.drop_self_loops,
    )
    if args.format == "json":
        _export(args, graph)
    elif args.format == "graphml":
        _write(args, _graphml(graph))
    else:
        _write(args, _graph_html(graph))


def _cmd_query(args: argparse.Namespace) -> None:
    from distill.query import Query, apply

    query = Query.from_dict(_read_json_arg(args.query, "--query"))
    found = apply(_events(args), query)
    meta: dict[str, Any] = {"query": query.to_dict()}
    if args.offset or args.limit is not None:
        end = None if args.limit is None else args.offset + args.limit
        meta.update({"offset": args.offset, "limit": args.limit, "total": len(found)})
        found = found.iloc[args.offset : end]
    _export(args, found, meta)


def _cmd_serve(args: argparse.Namespace) -> None:
    from distill.service.server import serve
    from distill.service.settings import load_settings

    settings = load_settings(args.config) if args.config else load_settings()
    serve(
        settings,
        host=args.host,
        port=args.port,
        certfile=args.certfile,
        keyfile=args.keyfile,
        http=True if args.http else None,
        workers=args.workers,
        log_level=args.log_level,
    )


def _cmd_demo(args: argparse.Namespace) -> None:
    from distill import export
    from distill.datasets import load_sample
    from distill.filters import redact
    from distill.graphs import click_graph
    from distill.overview import summary
    from distill.paths import top_paths
    from distill.sessions import session_table

    events = redact(load_sample())
    s = summary(events)
    table = session_table(events)
    pages = click_graph(events, "page", drop_self_loops=True)
    paths = top_paths(events, 5, 3, by="type_target", collapse=True)
    out = sys.stdout
    out.write("Distill demo: the bundled ShopDemo sample (real UserALE logs; typed values redacted)\n\n")
    out.write(str(s) + "\n\n")
    cols = [c for c in ("user", "duration", "events", "pages", "actions", "bounce") if c in table.columns]
    out.write(f"Sessions (first 5 of {len(table)}):\n{table[cols].head(5).to_string()}\n\n")
    out.write("Moves between pages (session count):\n")
    edges = sorted(pages.edges(data="count"), key=lambda e: -e[2])[:6]
    for u, v, n in edges:
        out.write(f"  {str(u).rsplit('/', 1)[-1]:>16} -> {str(v).rsplit('/', 1)[-1]:<16} {n}\n")
    out.write("\nMost frequent paths (click, type, focus... collapsed):\n")
    for path, n in zip(paths["path"], paths["count"]):
        out.write(f"  {n:4d}  {' > '.join(map(str, path))}\n")
    if args.output:
        folder = Path(args.output)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            export.to_json(s, folder / "summary.json", indent=2)
            export.to_json(table, folder / "sessions.json", indent=2)
            export.to_json(pages, folder / "graph.json", indent=2)
            (folder / "graph.html").write_text(_graph_html(pages), encoding="utf-8")
        except OSError as err:
            raise _Failure(f"--output {folder}: {err.strerror or err}") from None
        out.write(f"\nWrote summary.json, sessions.json, graph.json and graph.html to {folder}\n")
    out.write(
        "\nTry next:\n"
        "  distill sessions --sample --indent 2\n"
        "  distill graph --sample --by page --format html -o graph.html\n"
        "  DISTILL_API_KEYS=$(python -c 'import secrets; print(secrets.token_urlsafe(32))') distill serve --http\n"
    )
    out.flush()


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# -- graph formats -------------------------------------------------------------------------------
def _graphml(graph: Any) -> bytes:
    """GraphML of a click graph (attributes that are not text, numbers or booleans become JSON text)."""
    import io

    import networkx as nx

    from distill.export import plain

    def scalar(value: Any) -> Any:
        value = plain(value)
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        return json.dumps(value)

    out = nx.DiGraph()
    out.graph.update({k: v for k, v in ((k, scalar(v)) for k, v in graph.graph.items()) if v is not None})
    for node, attrs in graph.nodes(data=True):
        out.add_node(str(node), **{k: v for k, v in ((k, scalar(v)) for k, v in attrs.items()) if v is not None})
    for u, v, attrs in graph.edges(data=True):
        kept = {k: x for k, x in ((k, scalar(x)) for k, x in attrs.items()) if x is not None}
        out.add_edge(str(u), str(v), **kept)
    buf = io.BytesIO()
    nx.write_graphml(out, buf, encoding="utf-8")
    return buf.getvalue()


def _graph_html(graph: Any) -> str:
    """A self-contained HTML page: the graph drawn as SVG, its edges as a table, its export JSON embedded."""
    import networkx as nx

    from distill.export import to_json

    nodes = list(graph.nodes)
    if len(nodes) <= 300:
        pos = nx.spring_layout(graph, seed=0, weight=None) if nodes else {}
    else:
        pos = nx.circular_layout(graph)
    size, pad = 900, 60

    def xy(n: Any) -> tuple[float, float]:
        x, y = pos[n]
        return pad + (float(x) + 1) / 2 * (size - 2 * pad), pad + (float(y) + 1) / 2 * (size - 2 * pad)

    counts = [d.get("count", 1) for _, _, d in graph.edges(data=True)] or [1]
    top = max(counts) or 1
    parts = []
    for u, v, d in graph.edges(data=True):
        (x1, y1), (x2, y2) = xy(u), xy(v)
        w = 0.5 + 4.5 * math.sqrt(d.get("count", 1) / top)
        tip = html.escape(f"{u} -> {v}: {d.get('count')} (p={d.get('probability', 0):.3f})")
        if u == v:
            parts.append(
                f'<circle cx="{x1:.1f}" cy="{y1 - 12:.1f}" r="10" fill="none" stroke="#7a8ca3" '
                f'stroke-width="{w:.2f}"><title>{tip}</title></circle>'
            )
        else:
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#7a8ca3" '
                f'stroke-opacity="0.7" stroke-width="{w:.2f}" marker-end="url(#arrow)"><title>{tip}</title></line>'
            )
    ncounts = [d.get("count", 1) or 1 for _, d in graph.nodes(data=True)] or [1]
    ntop = max(ncounts)
    for n, d in graph.nodes(data=True):
        x, y = xy(n)
        r = 4 + 10 * math.sqrt((d.get("count", 1) or 1) / ntop)
        label = str(n).rsplit("/", 1)[-1] if str(n).startswith("http") else str(n)
        short = label if len(label) <= 28 else label[:25] + "..."
        tip = html.escape(f"{n}: {d.get('count')} events, {d.get('sessions')} sessions")
        parts.append(
            f'<g><circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#2f6db5"><title>{tip}</title></circle>'
            f'<text x="{x + r + 3:.1f}" y="{y + 4:.1f}">{html.escape(short)}</text></g>'
        )
    rows = "".join(
        f"<tr><td>{html.escape(str(u))}</td><td>{html.escape(str(v))}</td><td>{d.get('count')}</td>"
        f"<td>{d.get('probability', 0):.3f}</td></tr>"
        for u, v, d in sorted(graph.edges(data=True), key=lambda e: -e[2].get("count", 0))
    )
    data = to_json(graph).replace("</", "<\\/")
    by = html.escape(str(graph.graph.get("by", "")))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Distill click graph ({by})</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5em;color:#222}}svg text{{font-size:11px;fill:#222}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:left}}</style>
</head><body>
<h1>Click graph by {by}</h1>
<p>{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges. Line width: transitions; hover for counts.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="14" refY="5" markerWidth="6" markerHeight="6" orient="auto">
<path d="M0,0 L10,5 L0,10 z" fill="#7a8ca3"/></marker></defs>
{"".join(parts)}
</svg>
<h2>Edges</h2>
<table><tr><th>from</th><th>to</th><th>count</th><th>probability</th></tr>{rows}</table>
<script type="application/json" id="distill-export">{data}</script>
</body></html>
"""


# -- the parser ----------------------------------------------------------------------------------
def _add_input(p: argparse.ArgumentParser, *, where: bool = True) -> None:
    p.add_argument("files", nargs="*", metavar="FILE", help="event files, directories or glob patterns")
    p.add_argument("--sample", action="store_true", help="use the bundled ShopDemo sample")
    p.add_argument("--source", metavar="NAME", help="a source configured in the service settings (--config)")
    p.add_argument("--config", metavar="FILE", help="service settings file (YAML/TOML/JSON) with sources")
    p.add_argument("--schema", default="userale", help="schema name or file for FILE (default: userale)")
    p.add_argument("--no-redact", action="store_true", help="keep typed values (default: redact them)")
    if where:
        p.add_argument("--where", metavar="QUERY", help="only events matching this Query (JSON text or file)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--indent", type=int, default=None, metavar="N", help="pretty-print JSON with this indent")
    p.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress bar on stderr for long reads (auto: when stderr is a terminal)",
    )


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors in one line."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``, with a one-line error otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
        return value

    return parse


_positive = _whole_number(1)
_non_negative = _whole_number(0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``distill`` command.

    Each sub-command (``summary``, ``sessions``, ``graph``, ``query``,
    ``serve``, ``demo``) sets ``func``, the function :func:`main` calls with
    the parsed arguments. Useful to read the options a command takes, or to
    check arguments without running anything.

    Returns
    -------
    argparse.ArgumentParser
        A new parser; its ``error`` prints a one-line message and exits with
        status 2.

    Examples
    --------
    >>> args = build_parser().parse_args(["graph", "--sample", "--by", "page", "--min-count", "3"])
    >>> args.command, args.sample, args.by, args.min_count, args.format
    ('graph', True, 'page', 3, 'json')
    """
    from distill._version import __version__

    parser = _Parser(
        prog=_PROG,
        description="Distill: analyses of user-activity logs (UserALE and others) as JSON, and the REST service.",
    )
    parser.add_argument("--version", action="version", version=f"distill {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("summary", help="counts and time span of events")
    _add_input(p)
    p.set_defaults(func=_cmd_summary)

    p = sub.add_parser("sessions", help="the session table (one row per session)")
    _add_input(p)
    p.add_argument(
        "--by", nargs="+", choices=("logged", "gap", "page", "tab"), help="re-cut sessions first (sessionize)"
    )
    p.add_argument("--gap", help="with --by gap: longest pause within a session (e.g. 30min)")
    p.add_argument("--idle", help="pauses longer than this count as idle time (default 30s)")
    p.add_argument("--bounce-actions", type=_non_negative, help="at most this many actions makes a bounce")
    p.set_defaults(func=_cmd_sessions)

    p = sub.add_parser("graph", help="the click-path graph (transitions within sessions)")
    _add_input(p)
    p.add_argument("--by", default="target", help="what a node is: target, page, type, type_target, path, a column")
    p.add_argument("--depth", type=_non_negative, help="with --by path: the ancestor depth")
    p.add_argument("--min-count", type=_positive, default=1, metavar="N", help="drop edges seen fewer times")
    p.add_argument("--top", type=_non_negative, metavar="N", help="keep only the N busiest edges")
    p.add_argument("--start-end", action="store_true", help="add (start) and (end) nodes")
    p.add_argument("--drop-self-loops", action="store_true", help="do not count a node followed by itself")
    p.add_argument("--format", choices=("json", "graphml", "html"), default="json", help="output format")
    p.set_defaults(func=_cmd_graph)

    p = sub.add_parser("query", help="the events matching a Query")
    _add_input(p, where=False)
    p.add_argument("--query", required=True, metavar="QUERY.json", help="the Query as JSON (a file, '-' or text)")
    p.add_argument("--offset", type=_non_negative, default=0, help="skip this many matching events")
    p.add_argument("--limit", type=_non_negative, help="at most this many events")
    p.set_defaults(func=_cmd_query)

    p = sub.add_parser("serve", help="run the REST service (HTTPS; --http for loopback only)")
    p.add_argument("--config", metavar="FILE", help="settings file (YAML/TOML/JSON); default $DISTILL_SETTINGS")
    p.add_argument("--host", help="address to bind (default from settings: 127.0.0.1)")
    p.add_argument("--port", type=_positive, help="port (default from settings: 8443)")
    p.add_argument("--certfile", help="TLS certificate chain (PEM)")
    p.add_argument("--keyfile", help="TLS private key (PEM)")
    p.add_argument("--http", action="store_true", help="plain HTTP (allowed on a loopback address only)")
    p.add_argument("--workers", type=_positive, help="worker processes")
    p.add_argument("--log-level", choices=("critical", "error", "warning", "info", "debug"), help="log level")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("demo", help="a short tour of the bundled sample")
    p.add_argument("-o", "--output", metavar="DIR", help="also write the results (JSON, HTML) to this folder")
    p.set_defaults(func=_cmd_demo)
    return parser


def _one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return "; ".join(lines) if lines else "failed"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``distill`` command; returns the exit status (0 ok, 1 bad input, 2 bad usage).

    The console script ``distill`` calls it. Output goes to stdout (or
    ``--output``), messages to stderr, one line each; with the environment
    variable ``DISTILL_DEBUG`` set, errors raise with their traceback instead.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 when the command succeeded (also when stdout was
        closed early, as by ``| head``), 1 for bad input or any other error,
        2 for bad usage (argparse's status), 130 when interrupted.

    Examples
    --------
    >>> import contextlib, io, json
    >>> out = io.StringIO()
    >>> with contextlib.redirect_stdout(out):
    ...     status = main(["sessions", "--sample"])
    >>> doc = json.loads(out.getvalue())
    >>> status, doc["kind"], len(doc["data"]["records"])
    (0, 'sessions', 21)
    >>> main(["summary", "--no-such-option"])  # the message goes to stderr
    2
    >>> main(["summary", "/no/such/file.ndjson"])
    1
    """
    from distill.errors import DistillError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) if isinstance(exit_.code, int) else 2
    func: Callable[[argparse.Namespace], None] = args.func
    try:
        func(args)
    except KeyboardInterrupt:
        print(f"{_PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except (_Failure, DistillError, ValueError, TypeError, LookupError, OSError, ImportError) as err:
        if os.environ.get("DISTILL_DEBUG"):
            raise
        text = f"not found: {err.args[0]}" if type(err) is KeyError and err.args else str(err)
        print(f"{_PROG} {args.command}: error: {_one_line(text)}", file=sys.stderr)
        return 1
    except Exception as err:  # a bug: still one line, the traceback on request
        if os.environ.get("DISTILL_DEBUG"):
            raise
        print(
            f"{_PROG} {args.command}: internal error: {type(err).__name__}: {_one_line(str(err))} "
            "(set DISTILL_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
