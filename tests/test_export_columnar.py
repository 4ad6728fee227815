"""The columnar record writer of distill.export: byte for byte the export it replaced.

The reference below is the row-by-row code path the writer replaced (one msgspec struct per
row), kept here verbatim; every test compares the two exports as text.
"""

from __future__ import annotations

import json
import math
import sys
from contextlib import contextmanager
from typing import Any

import msgspec
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import distill
from distill import export
from distill.frame import ROLE_KINDS


# -- the reference: the previous row-by-row export ------------------------------------------
def _ref_iso_column(series: pd.Series) -> list[str | None]:
    ns = series.to_numpy(dtype="datetime64[ns]")
    nat = np.isnat(ns)
    unit: Any = "us" if not (ns.view(np.int64)[~nat] % 1000).any() else "ns"
    text = np.datetime_as_string(ns.astype(f"datetime64[{unit}]"), unit=unit, timezone="UTC")
    out = text.astype(object)
    out[nat] = None
    return out.tolist()


def _ref_field_type(name: str, series: pd.Series, events: bool) -> str:
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


def _ref_column_values(series: pd.Series, ftype: str) -> list[Any]:
    plain = export.plain
    if ftype == "time":
        return _ref_iso_column(series)
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


def _ref_frame_payload(
    df: pd.DataFrame, events: bool, limit: int | None = None
) -> tuple[dict[str, Any], list[str], list[list[Any]]]:
    if limit is not None:
        df = df.iloc[:limit]
    names = [str(c) for c in df.columns]
    types = [_ref_field_type(n, df[c], events) for n, c in zip(names, df.columns)]
    columns = [_ref_column_values(df[c], t) for c, t in zip(df.columns, types)]
    fields = [{"name": n, "type": t} for n, t in zip(names, types)]
    return {"fields": fields}, names, columns


def _ref_document(obj: pd.DataFrame | pd.Series, meta: Any, limit: int | None) -> dict[str, Any]:
    extra = dict(meta or {})
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    kind = export._frame_kind(obj)
    frame = export._prepare(obj.copy(deep=False))
    frame.attrs = {}
    head, names, columns = _ref_frame_payload(frame, kind == "events", limit)
    struct = msgspec.defstruct(
        "Row", [(f"c{i}", Any) for i in range(len(names))], rename={f"c{i}": n for i, n in enumerate(names)}
    )
    head["records"] = [struct(*row) for row in zip(*columns)] if names else [{} for _ in range(len(frame))]
    full_meta = {**export._frame_meta(obj, kind), **extra}
    if limit is not None:
        full_meta.setdefault("rows_exported", min(limit, len(obj)))
    return export.envelope(kind, head, full_meta)


def reference_json(obj: Any, *, meta: Any = None, limit: int | None = None, indent: int | None = None) -> str:
    data = msgspec.json.encode(_ref_document(obj, meta, limit))
    if indent is not None:
        data = msgspec.json.format(data, indent=indent)
    return data.decode("utf-8")


# -- helpers ----------------------------------------------------------------------------------
@contextmanager
def chunk_rows(rows: int):
    """Make the writer cut frames into chunks of ``rows`` rows (many chunks on small frames)."""
    before = export._CHUNK_ROWS
    export._CHUNK_ROWS = rows
    try:
        yield
    finally:
        export._CHUNK_ROWS = before


def assert_same(obj: Any, **options: Any) -> str:
    """The export equals the reference's, as text and as a dict; returns the text."""
    try:
        expected = reference_json(obj, **options)
    except Exception as err:  # the reference refuses: so must the writer, the same way
        with pytest.raises(type(err)):
            export.to_json(obj, **options)
        return ""
    got = export.to_json(obj, **options)
    if got != expected:
        at = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
        raise AssertionError(
            f"export differs at {at}:\n got {got[at - 80 : at + 80]!r}\nwant {expected[at - 80 : at + 80]!r}"
        )
    if "indent" not in options:
        assert export.to_dict(obj, **options) == msgspec.json.decode(expected)
    return got


ODD = [
    'say "hi"',
    "back\\slash",
    "tab\there",
    "new\nline\r\n",
    "\x00\x01\x1f",
    "\x7f del",
    "é ü ß",
    "日本語",
    "emoji 😀🎉",
    "\u2028\u2029",
    "",
    " ",
    "</script>",
    "plain",
]


# -- real data --------------------------------------------------------------------------------
def test_sample_is_byte_identical(sample):
    text = assert_same(sample)
    assert len(text) > 1_000_000 and '"records":[{"event_id":' in text


@pytest.mark.parametrize("rows", [1, 7, 1000, 100_000])
def test_sample_in_chunks_of_any_size(sample, rows):
    with chunk_rows(rows):
        assert_same(sample.head(2500))


def test_sample_limit_meta_indent_and_series(sample):
    assert_same(sample, limit=10, meta={"offset": 0, "note": np.int64(3)})
    assert_same(sample, limit=0)
    assert_same(sample, limit=100_000)
    assert_same(sample.head(30), indent=2)
    assert_same(sample["event_id"])
    assert_same(sample["x"].rename("x coordinate"))


@pytest.mark.parametrize(
    "name",
    [
        "sample_data.json",
        "sample_data_multiusers.json",
        "sample_data_without_type.json",
        "deadspace_detection_sample_data.json",
        "log_test_data.json",
        "log_interval_data.json",
        "monorepo-current-format-75.json",
    ],
)
def test_every_fixture_is_byte_identical(data_dir, name):
    with pytest.warns() if name == "sample_data_without_type.json" else _nothing():
        events = distill.read(data_dir / name)
    with chunk_rows(5):
        assert_same(events)


@contextmanager
def _nothing():
    yield


def _tables(sample: pd.DataFrame) -> dict[str, pd.DataFrame]:
    from distill import aggregates, features, graphs, intervals, paths, sessions

    return {
        "counts": aggregates.count_by(sample, ["user", "type"], every="10min"),
        "sessions": sessions.session_table(sample),
        "session_features": features.session_features(sample),
        "feature_counts": features.counts(sample),
        "within_users": features.within_users(sample),
        "between_users": features.between_users(sample),
        "interaction": features.interaction_probability(sample),
        "matrix": graphs.transition_matrix(sample),
        "graph_metrics": graphs.graph_metrics(sample),
        "graph_features": graphs.graph_features(sample),
        "pairs": intervals.pairs(sample),
        "dwell": intervals.dwell(sample),
        "top_paths": paths.top_paths(sample),
        "flows": paths.flows(sample),
    }


def test_tables_of_every_kind(sample):
    tables = _tables(sample)
    assert tables["matrix"].index.name == "source" and tables["sessions"].index.name == "session"
    for name, table in tables.items():
        with chunk_rows(4):
            text = assert_same(table)
        assert text, name
    kinds = {json.loads(export.to_json(t, limit=0))["kind"] for t in tables.values()}
    assert {"sessions", "features", "counts", "matrix"} <= kinds


def test_real_frames_take_the_columnar_writers_only(sample):
    # a column written by the reference (a Python object per row) would be a silent slowdown
    for name, table in {"events": sample, **_tables(sample)}.items():
        frame = export._prepare(table)
        events = export._frame_kind(table) == "events"
        for col in frame.columns:
            ftype = export._field_type(str(col), frame[col], events)
            assert export._fast_writer(frame[col], ftype, b",") is not None, (name, col, ftype)


# -- nulls, odd strings, times, empty frames ----------------------------------------------
def test_nulls_everywhere(sample):
    ev = sample.head(300).copy()
    rng = np.random.default_rng(7)
    for col in ev.columns:
        ev[col] = ev[col].mask(rng.random(len(ev)) < 0.4)
    with chunk_rows(16):
        assert_same(ev)
    every = sample.head(40).copy()
    for col in every.columns:
        every[col] = every[col].mask(np.ones(len(every), dtype=bool))
    with chunk_rows(16):
        assert_same(every)


def test_null_only_chunks_and_columns(sample):
    ev = sample.head(50).copy()
    ev.loc[10:30, "event_id"] = pd.NA  # whole chunks without a value, others without a null
    ev.loc[10:30, "time"] = pd.NaT
    with chunk_rows(10):
        assert_same(ev)


def test_odd_strings_everywhere(sample):
    ev = sample.head(len(ODD) * 3).copy()
    odd = (ODD * 3)[: len(ev)]
    ev["event_id"] = pd.array(odd, dtype=ev["event_id"].dtype)
    ev["user"] = pd.Categorical(odd)
    ev["target"] = pd.Categorical(odd[::-1])
    ev["path"] = [tuple(odd[i : i + 3]) for i in range(len(ev))]
    ev["details"] = pd.array([msgspec.json.encode({"value": s}).decode() for s in odd], dtype=ev["details"].dtype)
    ev["page_title"] = pd.Categorical([None if i % 4 == 0 else s for i, s in enumerate(odd)])
    for rows in (1, 4, 100):
        with chunk_rows(rows):
            assert_same(ev)
    table = pd.DataFrame(
        {
            "text": odd,
            "python": pd.array(odd, dtype="string[python]"),
            "arrow": pd.array(odd, dtype="string[pyarrow]"),
            "nullable": [None if i % 3 == 0 else s for i, s in enumerate(odd)],
            "é名前 😀": range(len(odd)),
        }
    )
    with chunk_rows(5):
        assert_same(table)


def test_details_json_text_is_embedded_as_is(sample):
    ev = sample.head(6).copy()
    ev["details"] = pd.array(['{"a": 1}', "[1,2]", '"text"', None, "3.5", '{"b":"\\u00e9"}'], dtype="string")
    assert '"details":{"a": 1}' in assert_same(ev)


def test_nanosecond_times_and_time_units():
    base = pd.Timestamp("2026-12-04T19:28:31", tz="UTC")
    micro = pd.Series([base, base + pd.Timedelta(microseconds=1), pd.NaT])
    nano = pd.Series([base, base + pd.Timedelta(nanoseconds=1), pd.NaT])
    early = pd.Series(pd.to_datetime([-1, -(10**18) - 7, 0, None], unit="ns", utc=True))
    table = pd.DataFrame({"micro": micro, "nano": nano, "early": early.iloc[:3].reset_index(drop=True)})
    text = assert_same(table)
    assert '"2026-12-04T19:28:31.000000001Z"' in text and '"2026-12-04T19:28:31.000001Z"' in text
    assert '"1969-12-31T23:59:59.999999999Z"' in text
    naive = pd.DataFrame({"t": pd.to_datetime(["2026-01-01 10:00:00.5", None]), "n": [1, 2]})
    berlin = pd.DataFrame({"t": pd.to_datetime(["2026-06-01 10:00"]).tz_localize("Europe/Berlin")})
    seconds = pd.DataFrame({"t": pd.Series(pd.to_datetime(["2026-01-01", "2262-04-11"])).astype("datetime64[s]")})
    for t in (naive, berlin, seconds):
        with chunk_rows(1):
            assert_same(t)
    assert '"2026-06-01T08:00:00.000000Z"' in export.to_json(berlin)


def test_nanoseconds_in_a_later_chunk_set_the_unit_for_all(sample):
    ev = sample.head(40).copy()
    ev.loc[35, "time"] = ev.loc[35, "time"] + pd.Timedelta(nanoseconds=3)
    with chunk_rows(8):
        text = assert_same(ev)
    assert '"time":"2026-12-04T19:28:31.065000000Z"' in text


def test_empty_frames(sample):
    assert_same(sample.iloc[:0])
    assert_same(pd.DataFrame())
    assert_same(pd.DataFrame(index=range(3)))
    with chunk_rows(2):
        assert_same(pd.DataFrame(index=range(5)))
    assert_same(pd.DataFrame({"a": pd.Series([], dtype="Int64"), "b": pd.Series([], dtype="category")}))
    assert export.to_dict(pd.DataFrame(index=range(2)))["data"]["records"] == [{}, {}]
    nothing = pd.DataFrame(
        {"c": pd.Categorical([None, None]), "s": pd.array([None, None], dtype="string"), "e": ["", ""]}
    )
    assert '"records":[{"c":null,"s":null,"e":""},' in assert_same(nothing)


def test_dtypes_that_take_the_reference_path():
    # object columns the fast writers do not cover are written by the reference itself
    table = pd.DataFrame(
        {
            "mixed": [1, "a", 2.5, None, True],
            "decimal_nan": [None, float("nan"), "x", "y", "z"],
            "dicts": [{"a": 1}, None, {"b": [1, 2]}, {}, {"c": None}],
            "lists": [["a", 1], None, [], ["b"], ["c", "d"]],
            "period": pd.period_range("2026-01", periods=5, freq="M"),
            "interval": pd.interval_range(0, 5),
            "complex": [1 + 2j, 0j, 3j, 1.5 + 0j, 2j],
            "int_objects": pd.Series([1, 2, None, 4, 5], dtype=object),
            "float32": np.array([0.1, np.nan, np.inf, -0.0, 1e-40], dtype=np.float32),
        }
    )
    with chunk_rows(2):
        assert_same(table)


def test_events_columns_of_other_dtypes(sample):
    ev = sample.head(20).copy()
    ev["x"] = ev["x"].astype("float64")  # role int32, values floats
    ev["y"] = ev["y"].astype("string")  # role int32, values text: the reference path
    ev["user"] = ev["user"].astype(object)  # role category, values text
    ev["user_action"] = ev["user_action"].astype("Int8")  # role bool, values ints
    ev["session"] = ev["session"].astype("string[pyarrow]")
    ev["details"] = ev["details"].astype(object)  # role json, text in an object column
    with chunk_rows(6):
        assert_same(ev)
    ev["details"] = [None if i % 3 else {"value": i, "é": [1.5, None]} for i in range(len(ev))]  # objects
    with chunk_rows(6):
        assert_same(ev)


def test_refusals_match_the_reference(sample):
    for name in ['a"b', "back\\slash", "ctrl\x01"]:
        with pytest.raises(ValueError, match="Renamed field names must not contain"):
            export.to_json(pd.DataFrame({name: [1]}))
    assert_same(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    assert_same(pd.DataFrame({"t": np.array([np.str_("a"), "b"], dtype=object)}))  # msgspec refuses numpy str
    ev = sample.head(3).copy()
    ev["path"] = pd.Series([("a",), pd.NA, None], dtype=object)  # list(pd.NA) fails in the reference
    assert_same(ev)
    with pytest.raises(TypeError):
        export.to_json(ev)


def test_paths_that_compare_equal_but_encode_differently():
    # factorize would merge (1,) and (1.0,): such columns go the reference way
    table = pd.DataFrame({"p": pd.Series([(1,), (1.0,), ("a",), None], dtype=object)})
    assert '"p":[1]},{"p":[1.0]}' in assert_same(table)
    table = pd.DataFrame({"p": pd.Series(["ab", ("a",), float("nan"), None], dtype=object)})
    assert_same(table)


def test_floats_exactly_as_msgspec_writes_them():
    values = [
        0.1,
        -0.0,
        0.0,
        1e16,
        1e-5,
        5e-324,
        1.7976931348623157e308,
        float("nan"),
        float("inf"),
        -float("inf"),
        2.5,
    ]
    table = pd.DataFrame({"f": values, "F": pd.array([*values[:-1], None], dtype="Float64")})
    text = assert_same(table)
    assert '"f":-0.0,' in text and '"f":1e16,' in text and '"f":null,' in text
    durations = pd.DataFrame({"d": pd.to_timedelta([1.5, -0.25, None, 1e-9, 86400 * 365], unit="s")})
    assert_same(durations)


# -- files, dicts, graphs ------------------------------------------------------------------
def test_to_json_streams_to_a_file(tmp_path, sample):
    path = tmp_path / "events.json"
    with chunk_rows(1000):
        got = export.to_json(sample, path, meta={"offset": 0})
    assert got == str(path)
    assert path.read_bytes() == reference_json(sample, meta={"offset": 0}).encode("utf-8")
    pretty = tmp_path / "pretty.json"
    assert export.to_json(sample.head(3), str(pretty), indent=2) == str(pretty)
    assert pretty.read_text(encoding="utf-8") == reference_json(sample.head(3), indent=2)
    g = nx.DiGraph()
    g.add_edge("a", "b", count=1)
    export.to_json(g, tmp_path / "graph.json")
    assert (tmp_path / "graph.json").read_text(encoding="utf-8") == export.to_json(g)


def test_a_refused_export_leaves_no_file(tmp_path, sample, monkeypatch):
    path = tmp_path / "bad.json"
    with pytest.raises(ValueError):
        export.to_json(pd.DataFrame({'a"b': [1]}), path)
    assert not path.exists()

    def failing(*args, **kwargs):
        yield b"{"
        raise OSError("disk full")

    monkeypatch.setattr(export, "_records", failing)
    with pytest.raises(OSError, match="disk full"):
        export.to_json(sample.head(5), path)
    assert not path.exists()


def test_text_is_the_same_under_a_profiler(sample):
    # a profiler turns off CPython's in-place str growth: the pieces are joined instead
    expected = reference_json(sample.head(200))
    sys.setprofile(lambda *args: None)
    try:
        with chunk_rows(7):
            got = export.to_json(sample.head(200))
    finally:
        sys.setprofile(None)
    assert got == expected


def test_to_dict_is_unchanged(sample):
    doc = export.to_dict(sample.head(50))
    assert doc == json.loads(reference_json(sample.head(50)))
    assert doc["data"]["records"][0]["path"] is None or isinstance(doc["data"]["records"][0]["path"], list)


# -- properties ---------------------------------------------------------------------------------
# numpy wraps times in the first microsecond after the smallest (ns + 999 overflows in its cast
# to microseconds): the only time the reference could meet there is 1677-09-21T00:12:43.145225Z,
# which it wrote as 2262-04-11T23:47:16.854775Z (see the test after this one)
_ticks = st.integers(np.iinfo(np.int64).min + 1000, np.iinfo(np.int64).max)


@given(st.lists(_ticks, max_size=30), st.sampled_from(["us", "ns"]))
def test_iso_fragments_are_datetime_as_string(ticks, unit):
    arr = np.array(ticks, dtype=np.int64)
    got = export._iso_fragments(arr, unit, b',"t":').to_pylist()
    want = np.datetime_as_string(arr.view("datetime64[ns]").astype(f"datetime64[{unit}]"), unit=unit, timezone="UTC")
    assert got == [b',"t":"' + w.encode() + b'"' for w in want.tolist()]


def test_the_one_time_numpy_wrote_wrong():
    first = pd.DataFrame({"t": pd.Series(pd.to_datetime([np.iinfo(np.int64).min + 808], unit="ns", utc=True))})
    assert '"2262-04-11T23:47:16.854775Z"' in reference_json(first)
    assert '"1677-09-21T00:12:43.145225Z"' in export.to_json(first)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30))
def test_float_fragments_are_msgspec(values):
    got = export._float_fragments(np.array(values, dtype=np.float64)).to_pylist()
    assert got == [msgspec.json.encode(v) for v in values]


_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=8) | st.sampled_from(ODD)


def _column(draw: Any, kind: str, n: int) -> pd.Series:
    def values(elements: Any) -> list[Any]:
        return draw(st.lists(elements, min_size=n, max_size=n))

    maybe = st.none
    if kind == "int64":
        return pd.Series(values(st.integers(-(2**63), 2**63 - 1)), dtype="int64")
    if kind == "uint64":
        return pd.Series(values(st.integers(0, 2**64 - 1)), dtype="uint64")
    if kind == "Int32":
        return pd.Series(values(maybe() | st.integers(-(2**31), 2**31 - 1)), dtype="Int32")
    if kind == "float64":
        return pd.Series(values(st.floats(allow_nan=True, allow_infinity=True)), dtype="float64")
    if kind == "float32":
        return pd.Series(values(st.floats(width=32, allow_nan=True)), dtype="float32")
    if kind == "Float64":
        return pd.Series(values(maybe() | st.floats(allow_nan=False)), dtype="Float64")
    if kind == "bool":
        return pd.Series(values(st.booleans()), dtype=bool)
    if kind == "boolean":
        return pd.Series(values(maybe() | st.booleans()), dtype="boolean")
    if kind in ("object", "string[python]", "string[pyarrow]", "str"):
        return pd.Series(values(maybe() | _text), dtype=kind)
    if kind == "category":
        return pd.Series(pd.Categorical(values(maybe() | _text)))
    if kind == "int_category":
        return pd.Series(pd.Categorical(values(maybe() | st.integers(-5, 5))))
    if kind in ("time", "naive_time"):
        ns = values(maybe() | st.integers(-(2**62), 2**62) | st.integers(0, 10**6))
        out = pd.Series(pd.to_datetime(ns, unit="ns", utc=kind == "time"))
        return out
    if kind == "duration":
        return pd.Series(pd.to_timedelta(values(maybe() | st.integers(-(2**62), 2**62)), unit="ns"))
    if kind == "path":
        pool = draw(st.lists(st.tuples(_text, _text) | st.tuples(_text), min_size=1, max_size=4))
        return pd.Series(values(maybe() | st.sampled_from(pool)), dtype=object)
    if kind == "details":
        doc = st.dictionaries(_text, st.integers() | _text | st.none(), max_size=2)
        return pd.Series(values(maybe() | doc.map(lambda d: msgspec.json.encode(d).decode())), dtype="string")
    if kind == "mixed":
        return pd.Series(values(maybe() | st.integers(-5, 5) | _text | st.floats()), dtype=object)
    raise AssertionError(kind)


_KINDS = [
    "int64",
    "uint64",
    "Int32",
    "float64",
    "float32",
    "Float64",
    "bool",
    "boolean",
    "object",
    "string[python]",
    "string[pyarrow]",
    "str",
    "category",
    "int_category",
    "time",
    "naive_time",
    "duration",
    "path",
    "details",
    "mixed",
]


@given(st.data(), st.integers(0, 25), st.integers(1, 9))
def test_any_table_is_byte_identical(data, n, rows):
    kinds = data.draw(st.lists(st.sampled_from(_KINDS), min_size=1, max_size=6))
    table = pd.DataFrame({f"{k}_{i}": _column(data.draw, k, n) for i, k in enumerate(kinds)})
    with chunk_rows(rows):
        assert_same(table)


@given(st.data(), st.integers(1, 9))
def test_any_event_frame_is_byte_identical(_sample_frame, data, rows):
    n = data.draw(st.integers(0, 30))
    start = data.draw(st.integers(0, len(_sample_frame) - n))
    ev = _sample_frame.iloc[start : start + n].reset_index(drop=True)
    for col in data.draw(st.lists(st.sampled_from(list(ev.columns)), max_size=5, unique=True)):
        mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        ev[col] = ev[col].mask(mask)
    if n and data.draw(st.booleans()):
        ev["event_id"] = pd.array(data.draw(st.lists(_text, min_size=n, max_size=n)), dtype="string")
    with chunk_rows(rows):
        assert_same(ev)
