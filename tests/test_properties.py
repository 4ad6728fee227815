"""Property tests: arbitrary JSON in any field never crashes the reader."""

from __future__ import annotations

import json
import warnings

from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill.errors import DistillDataWarning

_scalar = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
_value = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
FIELDS = [
    "clientTime",
    "startTime",
    "endTime",
    "microTime",
    "type",
    "logType",
    "userId",
    "sessionId",
    "sessionID",
    "target",
    "path",
    "pageUrl",
    "pageTitle",
    "location",
    "details",
    "userAction",
    "browser",
    "scrnRes",
    "tabId",
]
_record = st.fixed_dictionaries({}, optional={f: _value for f in FIELDS}) | _value


@settings(max_examples=150)
@given(st.lists(_record, min_size=1, max_size=8))
def test_any_json_is_parsed_or_rejected_with_a_reason(tmp_path_factory, records):
    folder = tmp_path_factory.mktemp("prop")
    for name, text in [("a.ndjson", "\n".join(json.dumps(r) for r in records)), ("b.json", json.dumps(records))]:
        path = folder / name
        path.write_text(text)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DistillDataWarning)
            events = distill.read(path)
        rep = events.distill.report
        assert rep.read == len(records)
        assert rep.accepted == len(events)
        assert rep.read == rep.accepted + rep.rejected
        assert all(i.reason for i in rep.issues)
        distill.validate(events)
        assert events["event_id"].is_unique


@settings(max_examples=60)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=6))
def test_arbitrary_bytes_never_crash(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("bytes") / "x.ndjson"
    path.write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in lines))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillDataWarning)
        events = distill.read(path)
    rep = events.distill.report
    assert rep.read == rep.accepted + rep.rejected
