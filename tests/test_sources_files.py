"""Reading files: every format, every real fixture, and every kind of bad input."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import distill
from distill.errors import DistillDataWarning, InputError
from distill.frame import CORE_COLUMNS, validate


def _digest(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


# -- real fixtures ----------------------------------------------------------------------
EXPECTED = {
    "sample_data.json": 19,
    "sample_data_multiusers.json": 196,
    "deadspace_detection_sample_data.json": 19,
    "log_test_data.json": 1,
    "log_interval_data.json": 1,
    "monorepo-current-format-75.json": 75,
}


@pytest.mark.parametrize("name,count", sorted(EXPECTED.items()))
def test_every_real_fixture_reads_completely(data_dir, name, count):
    events = distill.read(data_dir / name)
    validate(events)
    assert len(events) == count
    assert events.distill.report.rejected == 0
    assert events.distill.report.read == count
    assert events["event_id"].is_unique
    assert events["time"].is_monotonic_increasing


def test_fixture_without_type_reports_the_three_records(data_dir):
    with pytest.warns(DistillDataWarning, match="3 rejected"):
        events = distill.read(data_dir / "sample_data_without_type.json")
    rep = events.distill.report
    assert (rep.read, rep.accepted, rep.rejected) == (19, 16, 3)
    raw = json.loads((data_dir / "sample_data_without_type.json").read_text())
    missing = [i + 1 for i, r in enumerate(raw) if "type" not in r]
    assert sorted(i.record for i in rep.rejections) == missing
    assert all(i.role == "type" and "missing required role 'type'" in i.reason for i in rep.rejections)
    # lines point at where each record starts in the pretty-printed file
    lines = (data_dir / "sample_data_without_type.json").read_text().splitlines()
    for issue in rep.rejections:
        assert lines[issue.line - 1].strip().startswith("{")


def test_shopdemo_counts_match_the_driver(sample_ndjson):
    events = distill.read(sample_ndjson)
    assert len(events) == 4863
    assert events["user"].nunique() == 8
    assert events["session"].nunique() == 21
    assert events["log_type"].value_counts().to_dict() == {"raw": 3173, "interval": 1605, "custom": 85}
    driver = distill.datasets.driver_summary()
    produced = {s["sessionId"]: s["produced"] for s in driver["summary"]}
    assert events["session"].value_counts().to_dict() == produced
    users = {s["sessionId"]: s["user"] for s in driver["summary"]}
    pairs = events.groupby("session", observed=True)["user"].agg(lambda s: set(s.astype(str)))
    assert {k: v for k, v in pairs.items()} == {k: {u} for k, u in users.items()}


def test_values_parsed_like_an_independent_reader(sample_ndjson):
    """A plain json-module reading of the same file agrees field by field."""
    events = distill.read(sample_ndjson).set_index("event_id")
    for line_no, line in enumerate(sample_ndjson.read_text().splitlines(), start=1):
        if line_no % 97:  # a spread-out sample of lines keeps this quick
            continue
        rec = json.loads(line)
        row = events.loc[f"shopdemo-4863.ndjson:{line_no}"]
        ms = rec.get("clientTime", rec.get("startTime"))
        ns = ms * 1_000_000 + round(rec.get("microTime", 0) * 1_000_000)
        assert row["time"].value == ns
        if "endTime" in rec:
            assert row["end_time"].value == rec["endTime"] * 1_000_000
        assert row["type"] == rec["type"] and row["log_type"] == rec["logType"]
        assert row["user"] == rec["userId"] and row["session"] == rec["sessionId"]
        assert (row["target"] if pd.notna(row["target"]) else None) == rec.get("target")
        assert row["path"] == (tuple(rec["path"]) if "path" in rec else None)
        loc = rec.get("location") or {}
        assert (None if pd.isna(row["x"]) else row["x"]) == loc.get("x")
        details = rec.get("details")
        assert (None if pd.isna(row["details"]) else json.loads(row["details"])) == details


def test_legacy_session_id_and_browser_object(data_dir):
    events = distill.read(data_dir / "sample_data.json", schema="userale-full")
    assert events["session"].notna().all()  # sessionID (2.2) maps to session
    assert set(events["browser"].dropna().astype(str)) == {"chrome"}
    assert "browser" not in distill.read(data_dir / "sample_data.json").columns  # the lean default
    current = distill.read(data_dir / "monorepo-current-format-75.json", schema="userale-full")
    assert current["user_agent"].notna().all() and current["browser"].isna().all()


def test_interval_logs_take_start_and_end(data_dir):
    events = distill.read(data_dir / "log_interval_data.json")
    row = events.iloc[0]
    assert row["log_type"] == "interval"
    assert row["time"] == pd.Timestamp(1708447014463, unit="ms", tz="UTC")
    assert row["end_time"] == pd.Timestamp(1708447014592, unit="ms", tz="UTC")


def test_paths_are_shared_tuples(sample):
    paths = sample["path"].dropna()
    assert all(isinstance(p, tuple) for p in paths)
    assert len({id(p) for p in paths}) == len(set(paths))  # one object per distinct path


# -- formats ------------------------------------------------------------------------------
def test_all_formats_give_the_same_frame(tmp_path, data_dir, sample_ndjson):
    records = [json.loads(line) for line in sample_ndjson.read_text().splitlines()[:300]]
    (tmp_path / "a.ndjson").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (tmp_path / "a.json").write_text(json.dumps(records, indent=2))
    (tmp_path / "b.ndjson.gz").write_bytes(gzip.compress((tmp_path / "a.ndjson").read_bytes()))
    (tmp_path / "b.json.gz").write_bytes(gzip.compress((tmp_path / "a.json").read_bytes()))
    (tmp_path / "c.jsonl").write_text((tmp_path / "a.ndjson").read_text())
    base = distill.read(tmp_path / "a.ndjson").drop(columns=["event_id", "source"])
    for name in ["a.json", "b.ndjson.gz", "b.json.gz", "c.jsonl"]:
        other = distill.read(tmp_path / name).drop(columns=["event_id", "source"])
        pd.testing.assert_frame_equal(other, base, obj=name)


def test_directory_and_glob_read_every_file_once(tmp_path, data_dir):
    for name in ["sample_data.json", "sample_data_multiusers.json"]:
        shutil.copy(data_dir / name, tmp_path / name)
    (tmp_path / "sub").mkdir()
    shutil.copy(data_dir / "log_test_data.json", tmp_path / "sub" / "one.json")
    by_dir = distill.read(tmp_path)
    assert len(by_dir) == 19 + 196 + 1
    assert set(by_dir["source"].astype(str)) == {"sample_data.json", "sample_data_multiusers.json", "sub/one.json"}
    by_glob = distill.read(str(tmp_path / "*.json"))
    assert len(by_glob) == 19 + 196
    twice = distill.read([tmp_path / "sample_data.json", str(tmp_path / "sample*.json")])
    assert len(twice) == 19 + 196  # the same file named twice is read once
    assert by_dir["event_id"].is_unique


def _same_but_source(back: pd.DataFrame, events: pd.DataFrame) -> None:
    """Every column and dtype equal; ``source`` is the new file's name (the reader sets it)."""
    assert back.columns.tolist() == events.columns.tolist()
    pd.testing.assert_frame_equal(back.drop(columns="source"), events.drop(columns="source"), check_exact=True)


def test_parquet_round_trip(tmp_path, sample):
    """A frame saved with plain DataFrame.to_parquet reads back whole: every column, dtype and value."""
    path = tmp_path / "events.parquet"
    sample.to_parquet(path)
    back = distill.read(path, schema="canonical")
    _same_but_source(back, sample)
    assert set(back["source"].astype(str)) == {"events.parquet"}
    assert back.distill.report.rejected == 0 and not back.distill.report.issues
    # pandas reads list columns as NumPy arrays: from_frame takes them as paths too
    again = distill.from_frame(pd.read_parquet(path), schema="canonical", source="events.parquet")
    _same_but_source(again, sample)
    assert not again.distill.report.issues
    with pytest.raises(InputError, match="does not name a record of this frame's files"):
        distill.original_records(back, [back["event_id"].iloc[5]])  # ids the source gave, not positions


def test_parquet_round_trip_of_the_full_schema(tmp_path, sample_ndjson):
    full = distill.read(sample_ndjson, schema="userale-full")
    path = tmp_path / "full.parquet"
    full.to_parquet(path)
    _same_but_source(distill.read(path, schema="canonical-full"), full)
    lean = distill.read(path, schema="canonical")  # the environment columns are left out, nothing else
    assert set(full.columns) - set(lean.columns) == {
        "tool_version",
        "logger_version",
        "browser",
        "browser_version",
        "user_agent",
        "screen_width",
        "screen_height",
    }


def test_nested_userale_parquet(tmp_path, sample_ndjson):
    """Parquet holding raw UserALE records (nested location) reads through the userale schema."""
    records = [json.loads(line) for line in sample_ndjson.read_text().splitlines()[:200]]
    for r in records:  # Parquet needs one type per column
        r["details"] = json.dumps(r.get("details"))
        r.pop("attributes", None)
        r.pop("style", None)
    pd.DataFrame.from_records(records).to_parquet(tmp_path / "raw.parquet")
    events = distill.read(tmp_path / "raw.parquet")
    assert len(events) == 200
    ref = distill.read(sample_ndjson).iloc[:0]
    assert list(events.columns) == list(ref.columns)
    assert events["x"].notna().sum() == sum(1 for r in records if (r.get("location") or {}).get("x") is not None)


def test_clickstream_csv(tmp_path):
    csv_text = (
        "timestamp,user_id,session_id,event,url,element,properties\n"
        '2026-03-01T10:00:00Z,ann,s1,page_view,/home,,"{""ref"": ""ad""}"\n'
        "2026-03-01T10:00:04.250Z,ann,s1,click,/home,button#buy,\n"
        "1772359210,bob,s2,page_view,/home,,\n"
    )
    (tmp_path / "clicks.csv").write_text(csv_text)
    events = distill.read(tmp_path / "clicks.csv", schema="clickstream")
    assert distill.original_records(events, ["clicks.csv:3"])[0]["element"] == "button#buy"
    assert events["type"].tolist() == ["page_view", "click", "page_view"]
    assert events["time"].tolist()[2] == pd.Timestamp(1772359210, unit="s", tz="UTC")
    assert events["time"].tolist()[1] == pd.Timestamp("2026-03-01T10:00:04.250Z")
    assert json.loads(events["details"].iloc[0]) == {"ref": "ad"}
    assert events["event_id"].tolist() == ["clicks.csv:2", "clicks.csv:3", "clicks.csv:4"]


def test_schema_from_yaml_config_reads_a_new_source(tmp_path):
    """A new event source needs configuration only."""
    (tmp_path / "app.yaml").write_text(
        "name: myapp\n"
        "roles:\n"
        "  time: {fields: [at], parser: epoch_s}\n"
        "  user: who.name\n"
        "  type: what\n"
        "  plan: {fields: [who.plan], kind: category}\n"
    )
    (tmp_path / "log.ndjson").write_text(
        '{"at": 1772359200, "who": {"name": "ann", "plan": "pro"}, "what": "open"}\n'
        '{"at": 1772359201.5, "who": {"name": "bob"}, "what": "close"}\n'
    )
    events = distill.read(tmp_path / "log.ndjson", schema=tmp_path / "app.yaml")
    assert events["user"].tolist() == ["ann", "bob"]
    assert events["plan"].tolist()[0] == "pro" and pd.isna(events["plan"].tolist()[1])
    assert events["time"].iloc[1] == pd.Timestamp(1772359201.5, unit="s", tz="UTC")


def test_from_frame_with_a_schema():
    raw = pd.DataFrame({"ts": [3, 1, 2], "who": ["a", "b", "a"], "kind": ["x", "y", "z"]})
    events = distill.from_frame(
        raw, {"name": "t", "roles": {"time": {"fields": ["ts"], "parser": "epoch_s"}, "user": "who", "type": "kind"}}
    )
    assert events["type"].tolist() == ["y", "z", "x"]
    assert raw["ts"].tolist() == [3, 1, 2]  # input unchanged


def test_from_frame_keeps_each_details_object_as_it_is():
    raw = pd.DataFrame({"ts": [1, 2], "kind": ["focus", "change"], "details": [{"window": True}, {"value": "x"}]})
    events = distill.from_frame(
        raw,
        {"name": "d", "roles": {"time": {"fields": ["ts"], "parser": "epoch_s"}, "type": "kind", "details": "details"}},
    )
    assert [json.loads(d) for d in events["details"]] == [{"window": True}, {"value": "x"}]


def test_original_records_are_reachable(sample_ndjson):
    events = distill.read(sample_ndjson)
    row = events.iloc[100]
    rec = distill.original_records(events, [row["event_id"]])[0]
    assert (rec["type"] == row["type"] and "scrnRes" in rec) or "startTime" in rec


# -- bad input ----------------------------------------------------------------------------
GOOD = '{"clientTime": 1700000000000, "type": "click", "logType": "raw", "userId": "u", "sessionId": "s"}'


def _read_bad(path: Path, **kw):
    with pytest.warns(DistillDataWarning):
        return distill.read(path, **kw)


def test_malformed_line(tmp_path):
    path = tmp_path / "bad.ndjson"
    path.write_text(
        GOOD + "\n" + '{"clientTime": 1700000000001, "type": "click"' + "\n" + GOOD.replace("000,", "002,") + "\n"
    )
    events = _read_bad(path)
    assert len(events) == 2
    (issue,) = events.distill.report.rejections
    assert (issue.source, issue.line) == ("bad.ndjson", 2)
    assert "malformed JSON" in issue.reason
    with pytest.raises(InputError, match=r"bad\.ndjson:2: malformed JSON"):
        distill.read(path, errors="raise")


def test_missing_required_role(tmp_path):
    path = tmp_path / "missing.ndjson"
    path.write_text(GOOD + "\n" + '{"type": "click", "userId": "u"}' + "\n" + '{"clientTime": 1700000000000}' + "\n")
    events = _read_bad(path)
    assert len(events) == 1
    reasons = {i.line: i.reason for i in events.distill.report.rejections}
    assert "missing required role 'time'" in reasons[2]
    assert "missing required role 'type'" in reasons[3]
    with pytest.raises(InputError, match=r"missing\.ndjson:2: missing required role 'time'"):
        distill.read(path, errors="raise")


def test_wrong_types(tmp_path):
    path = tmp_path / "types.ndjson"
    lines = [
        GOOD,
        '{"clientTime": "yesterday", "type": "click"}',  # required role, wrong type: rejected
        '{"clientTime": "1700000000005", "type": "click"}',  # numeric text: accepted
        '{"clientTime": 1700000000006, "type": "click", "location": {"x": "left", "y": 3}}',  # optional: emptied
        '{"clientTime": 1700000000007, "type": ["click"]}',  # required, wrong type
        '{"clientTime": 1700000000008, "type": "click", "userId": 42, "path": ["a", 7]}',  # lossless coercion
        '{"clientTime": 1700000000009, "type": "click", "location": "here"}',  # parent not an object
        "[1, 2, 3]",  # not an object
    ]
    path.write_text("\n".join(lines) + "\n")
    events = _read_bad(path)
    rep = events.distill.report
    assert rep.read == 8 and rep.accepted == 5
    rejected = {i.line: i.reason for i in rep.rejections}
    assert set(rejected) == {2, 5, 8}
    assert "clientTime" in rejected[2] and "yesterday" in rejected[2]
    assert "expected a JSON object" in rejected[8]
    fields = {i.line: i for i in rep.field_issues}
    assert fields[4].role == "x" and "left" in fields[4].reason
    assert fields[7].role in ("x", "y") and "'location' is string 'here'" in fields[7].reason
    row = events.set_index("event_id").loc["types.ndjson:6"]
    assert row["user"] == "42" and row["path"] == ("a", "7")
    assert events.set_index("event_id").loc["types.ndjson:4", "y"] == 3


def test_non_utf8_byte(tmp_path):
    path = tmp_path / "latin.ndjson"
    path.write_bytes(GOOD.encode() + b"\n" + b'{"clientTime": 1700000000001, "type": "caf\xe9"}\n')
    events = _read_bad(path)
    (issue,) = events.distill.report.rejections
    assert (issue.line, issue.reason) == (2, "not valid UTF-8")
    arr = tmp_path / "latin.json"
    arr.write_bytes(b"[" + GOOD.encode() + b",\n" + b'{"clientTime": 1700000000001, "type": "caf\xe9"}]')
    events = _read_bad(arr)
    (issue,) = events.distill.report.rejections
    assert (issue.record, issue.line, issue.reason) == (2, 2, "not valid UTF-8")


def test_empty_files(tmp_path):
    for name in ["empty.ndjson", "empty.json", "blank.json", "empty.csv"]:
        (tmp_path / name).write_text("" if "blank" not in name else "  \n\n")
        events = _read_bad(tmp_path / name, **({"schema": "clickstream"} if name.endswith(".csv") else {}))
        assert len(events) == 0
        validate(events)
        assert [i.reason for i in events.distill.report.file_issues] == ["empty file"]
        with pytest.raises(InputError, match="empty file"):
            distill.read(
                tmp_path / name, errors="raise", **({"schema": "clickstream"} if name.endswith(".csv") else {})
            )


def test_truncated_gzip(tmp_path, sample_ndjson):
    data = gzip.compress(sample_ndjson.read_bytes())
    path = tmp_path / "cut.ndjson.gz"
    path.write_bytes(data[: len(data) // 2])
    events = _read_bad(path)
    rep = events.distill.report
    assert 1000 < len(events) < 4863
    assert any("truncated gzip" in i.reason for i in rep.file_issues)
    # the record cut in the middle is counted, not lost
    assert rep.read == rep.accepted + rep.rejected
    assert rep.rejected == 1 and rep.rejections[0].line == len(events) + 1
    with pytest.raises(InputError, match="truncated gzip"):
        distill.read(path, errors="raise")


def test_malformed_json_array_salvages_what_it_can(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("[\n" + GOOD + ",\n" + GOOD.replace("000,", "001,") + ',\n{"clientTime": 17, oops}\n]')
    events = _read_bad(path)
    assert len(events) == 2
    (issue,) = events.distill.report.file_issues
    assert issue.line == 4 and "records from #3 on could not be read" in issue.reason


def test_csv_row_with_wrong_width(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("timestamp,event\n2026-01-01T00:00:00Z,a\n2026-01-01T00:00:01Z,b,extra\n2026-01-01T00:00:02Z,c\n")
    events = _read_bad(path, schema="clickstream")
    assert events["type"].tolist() == ["a", "c"]
    (issue,) = events.distill.report.rejections
    assert (issue.line, issue.reason) == (3, "expected 2 columns, got 3")


def test_missing_paths_raise_clearly(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        distill.read(tmp_path / "nope.json")
    with pytest.raises(InputError, match="no files match"):
        distill.read(str(tmp_path / "*.ndjson"))
    with pytest.raises(InputError, match="directory holds no event files"):
        distill.read(tmp_path)


def test_unknown_format_and_schema(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"\x00\x01binary")
    with pytest.raises(InputError, match="cannot tell the format"):
        distill.read(tmp_path / "x.bin")
    with pytest.raises(distill.SchemaError, match="unknown schema 'nope'; known: canonical"):
        distill.read(tmp_path / "x.bin", schema="nope")


def test_inputs_are_never_modified(tmp_path, data_dir, sample_ndjson):
    files = [shutil.copy(data_dir / n, tmp_path / n) for n in EXPECTED]
    files = [Path(f) for f in files] + [sample_ndjson]
    before = _digest(files)
    mtimes = {f: f.stat().st_mtime_ns for f in files}
    for f in files:
        distill.read(f)
    assert _digest(files) == before
    assert {f: f.stat().st_mtime_ns for f in files} == mtimes


def test_every_core_column_present_with_canonical_dtypes(sample):
    assert list(sample.columns[: len(CORE_COLUMNS)]) == list(CORE_COLUMNS)
    assert str(sample["time"].dtype) == "datetime64[ns, UTC]"
    for col in ["user", "session", "type", "log_type", "target", "page_url", "page_title", "source"]:
        assert isinstance(sample[col].dtype, pd.CategoricalDtype), col
        cats = sample[col].cat.categories
        assert list(cats) == sorted(cats), f"{col} categories are sorted"
    assert str(sample["x"].dtype) == "Int32"


def test_ties_are_broken_by_event_id(sample):
    t = sample["time"].to_numpy()
    ids = sample["event_id"].to_numpy(dtype=object)
    same = t[1:] == t[:-1]
    assert same.sum() > 100  # the sample really has ties
    assert (ids[1:][same] > ids[:-1][same]).all()


def test_events_out_of_order_in_the_file_are_sorted(sample_ndjson):
    lines = sample_ndjson.read_text().splitlines()
    times = [json.loads(line).get("clientTime") or json.loads(line)["startTime"] for line in lines]
    assert sum(b < a for a, b in itertools.pairwise(times)) > 1000
    events = distill.read(sample_ndjson)
    assert events["time"].is_monotonic_increasing
    assert Counter(events["type"].astype(str)) == Counter(json.loads(line)["type"] for line in lines)
    assert np.all(events.index == np.arange(len(events)))


def test_typed_columns_skip_coercion_with_the_same_result(tmp_path):
    """Parquet/typed columns whose Arrow type already fits are taken as they are; the result (frame and
    report) is the one value-by-value coercion gives: objects columns are coerced one value at a time."""
    typed = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(["2026-01-01T10:00:00Z", "2026-01-01T10:00:01Z", "2026-01-01T10:00:02Z"]),
            "user_id": ["ann", None, "bob"],  # text for a text role: clean
            "event": pd.Categorical(["view", "click", "view"]),  # dictionary of text: clean
            "x": [1.0, float("nan"), 3.5],  # floats with NaN for a number role: not clean, NaN is missing
            "page": [1, 2, 3],  # integers for a text role: coerced to text
            "flag": [True, False, None],
        }
    )
    path = tmp_path / "typed.parquet"
    typed.to_parquet(path)
    schema = {
        "name": "typed",
        "roles": {
            "time": {"fields": ["timestamp"], "parser": "auto", "required": True},
            "user": "user_id",
            "type": {"fields": ["event"], "required": True},
            "x": "x",
            "page_url": "page",
            "user_action": "flag",
        },
    }
    from_file = distill.read(path, schema=schema)
    as_objects = distill.from_frame(
        typed.astype({c: object for c in ["user_id", "event", "x", "page", "flag"]}), schema, source="typed.parquet"
    )
    _same_but_source(from_file, as_objects)
    assert from_file["page_url"].astype(str).tolist() == ["1", "2", "3"]
    assert from_file["x"].tolist()[1] is pd.NA
    assert (
        from_file.distill.report.to_dict()["field_issues_by_reason"]
        == as_objects.distill.report.to_dict()["field_issues_by_reason"]
    )


@pytest.mark.parametrize("schema", ["canonical", "canonical-full"])
def test_saved_frames_read_the_same_with_and_without_the_typed_path(tmp_path, monkeypatch, data_dir, schema):
    """A Parquet copy of an event frame is built straight from its Arrow columns; the general,
    value-by-value path must give the same frame and report."""
    from distill.sources import files

    full = schema == "canonical-full"
    frames = [
        distill.datasets.load_sample() if not full else distill.read(distill.datasets.sample_path(), "userale-full"),
        distill.read(data_dir / "sample_data_multiusers.json", "userale-full" if full else "userale"),
        distill.read(data_dir / "monorepo-current-format-75.json", "userale-full" if full else "userale"),
        distill.datasets.scale_sample(20_000, 3),
    ]
    for i, events in enumerate(frames):
        path = tmp_path / f"saved{i}.parquet"
        events.to_parquet(path)
        typed = distill.read(path, schema=schema)
        with monkeypatch.context() as m:
            m.setattr(files, "typed_block", lambda *a: None)
            general = distill.read(path, schema=schema)
        pd.testing.assert_frame_equal(typed, general, check_exact=True)
        assert typed.distill.report.to_dict() == general.distill.report.to_dict()
        if not (full and i == 3):  # scale_sample is lean: canonical-full adds empty environment columns
            _same_but_source(typed, events)


def test_saved_frames_with_problems_take_the_general_path(tmp_path, sample):
    """A value the typed path cannot vouch for sends the whole table the general way, which reports it."""
    broken = sample.copy()
    broken.loc[3, "type"] = None  # a required role missing
    broken["details"] = broken["details"].astype(object)
    broken.loc[5, "details"] = "{not json"  # details that do not parse
    path = tmp_path / "broken.parquet"
    broken.to_parquet(path)
    with pytest.warns(distill.DistillDataWarning):
        back = distill.read(path, schema="canonical")
    report = back.distill.report
    assert report.rejected == 1 and len(back) == len(sample) - 1
    assert report.issues[0].reason == "missing required role 'type' (field type)" and report.issues[0].record == 4
    # text that is not JSON is kept as a JSON string, as for any other tabular source
    assert back.loc[back["event_id"] == sample.loc[5, "event_id"], "details"].iloc[0] == '"{not json"'
