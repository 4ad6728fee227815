"""distill.redact: nothing a user typed survives redaction, in any column.

The typed values are collected from the original logs independently (by
parsing every ``details`` and every address here), then searched for in the
exported JSON of the redacted frame.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote_plus

import jsonschema
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import distill
from distill import export, filters, redact
from distill.frame import string_dtype

TYPED = {"change", "input", "beforeinput", "textInput", "keydown", "keyup", "keypress", "paste", "compositionend"}
KEYS = {"value", "key", "code", "keyCode", "charCode", "which", "data", "text"}
PASSWORD = re.compile(r"pass|pwd|secret|token", re.IGNORECASE)


def _val(v):
    return None if v is None or (not isinstance(v, (str, tuple)) and pd.isna(v)) else v


def typed_values(events: pd.DataFrame) -> tuple[set[str], set[str]]:
    """(values typed into fields, values in address query strings) of the original logs."""
    typed, in_urls = set(), set()
    for t, d in zip(events["type"], events["details"]):
        d = _val(d)
        if t in TYPED and d:
            obj = json.loads(d)
            for k in ("value", "data", "text"):
                if isinstance(obj.get(k), str) and obj[k]:
                    typed.add(obj[k])
    for col in ("page_url", "page_referrer"):
        if col not in events.columns:
            continue
        for url in events[col].dropna().astype(str).unique():
            query = url.partition("#")[0].partition("?")[2]
            for part in query.split("&"):
                value = part.partition("=")[2]
                if value:
                    in_urls.add(unquote_plus(value))
    return typed, in_urls


def exported_text_without_user(events: pd.DataFrame) -> str:
    """The exported JSON without user ids and element selectors.

    User ids are not typed values (the username field's value is the user id
    in the sample), and selectors describe the page (``a#link-deals`` is a link,
    not the "deals" chosen in a select box); tests check separately that
    redaction leaves those columns alone.
    """
    doc = distill.to_dict(events)
    jsonschema.validate(doc, export.json_schema())
    for rec in doc["data"]["records"]:
        for col in ("user", "target", "path"):
            rec.pop(col, None)
    return json.dumps(doc, ensure_ascii=False)


def forms(value: str) -> set[str]:
    """How a value can appear in JSON text: as is, URL-encoded, JSON-escaped."""
    return {value, quote_plus(value), quote(value), json.dumps(value)[1:-1]}


# -- the sample -----------------------------------------------------------------------------------
def test_no_typed_value_survives_default_redaction(sample):
    typed, in_urls = typed_values(sample)
    assert "hunter2" in typed and "Bob Example" in typed and "bob@example.org" in in_urls
    before = exported_text_without_user(sample)
    assert "hunter2" in before and "bob%40example.org" in before
    safe = redact.redact(sample)
    text = exported_text_without_user(safe)
    long_values = {v for v in typed | in_urls if len(v) >= 4}
    survivors = sorted(v for v in long_values if any(f in text for f in forms(v)))
    assert survivors == []
    # short values (checkbox "on", country "fr"/"jp", ...) are gone from details and addresses
    doc = distill.to_dict(safe)
    for rec in doc["data"]["records"]:
        details = rec.get("details")
        if rec["type"] in TYPED and isinstance(details, dict):
            assert all(details[k] == "***" for k in KEYS & set(details)), rec["event_id"]
        for col in ("page_url", "page_referrer"):
            query = (rec.get(col) or "").partition("#")[0].partition("?")[2]
            assert all(part.partition("=")[2] in ("", "***") for part in query.split("&")), rec[col]
    # nothing else changed: same events, same order, same columns and dtypes
    assert safe["event_id"].equals(sample["event_id"])
    assert [str(d) for d in safe.dtypes] == [str(d) for d in sample.dtypes]  # categories may merge
    assert distill.frame.is_event_frame(safe)
    untouched = [c for c in sample.columns if c not in ("details", "page_url", "page_referrer", "page_title")]
    assert safe[untouched].equals(sample[untouched])


def test_redaction_report_counts_and_holds_no_values(sample):
    safe = redact.redact(sample)
    step = filters.history(safe)[-1]
    # reference counts, one event at a time
    events_with_values, values = 0, 0
    by_field: dict[str, int] = {}
    for t, d, target in zip(sample["type"], sample["details"], sample["target"]):
        d = _val(d)
        if t in TYPED and d:
            hit = KEYS & set(json.loads(d))
            if hit:
                events_with_values += 1
                values += len(hit)
                by_field[target] = by_field.get(target, 0) + 1
    assert step["events_redacted"] == events_with_values == 517
    assert step["values_redacted"] == values
    assert step["by_field"] == by_field
    assert step["by_type"] == {"keydown": 434, "change": 83}
    assert step["password_fields"] == ["input#password"]
    changed_urls = sum(1 for u in sample["page_url"].astype(str) if re.search(r"[?&][^=&#]+=[^&#]", u))
    assert step["url_events"]["page_url"] == changed_urls
    # custom filterApplied logs echo the search box: those values are masked there too
    typed, in_urls = typed_values(sample)
    echo = {v for v in typed | in_urls if len(v) >= 4}

    def strings(obj):
        if isinstance(obj, str):
            yield obj
        elif isinstance(obj, dict):
            for v in obj.values():
                yield from strings(v)
        elif isinstance(obj, list):
            for v in obj:
                yield from strings(v)

    echoed = 0
    for t, d in zip(sample["type"], sample["details"]):
        d = _val(d)
        if not d or (t in TYPED and KEYS & set(json.loads(d))):
            continue
        if any(v in s for s in strings(json.loads(d)) for v in echo):
            echoed += 1
    assert step["echo_events"] == echoed > 0
    report = json.dumps(filters.history(safe))
    assert not [v for v in typed | in_urls if len(v) >= 4 and v in report]


def test_passwords_only(sample):
    out = redact.redact(sample, fields="passwords", urls=False, echoes=False)
    for t, target, d_in, d_out in zip(sample["type"], sample["target"], sample["details"], out["details"]):
        d_in, d_out = _val(d_in), _val(d_out)
        if t in TYPED and d_in and target and PASSWORD.search(target):
            obj = json.loads(d_in)
            expect = {k: ("***" if k in KEYS else v) for k, v in obj.items()}
            assert json.loads(d_out) == expect
        else:
            assert d_out == d_in
    text = distill.to_json(out)
    assert "hunter2" not in text
    assert '"value":"Bob Example"' in text  # other fields untouched
    assert out["page_url"].equals(sample["page_url"])


def test_fields_rules_add_to_passwords(sample):
    out = redact.redact(sample, fields=["input#email", r"^textarea"], urls=False, echoes=False)
    changed = {
        str(target) for target, a, b in zip(sample["target"], sample["details"], out["details"]) if _val(a) != _val(b)
    }
    assert changed == {"input#email", "textarea#address", "input#password"}
    step = filters.history(out)[-1]
    assert step["fields"] == ["input#email", "^textarea"]
    only_callable = redact.redact(sample, fields=lambda t: t.startswith("select"), rules=(), urls=False, echoes=False)
    changed = {
        str(t) for t, a, b in zip(sample["target"], sample["details"], only_callable["details"]) if _val(a) != _val(b)
    }
    assert changed == {"select#category", "select#country"}


def test_drop_mode_removes_keys(sample):
    out = redact.redact(sample, mode="drop")
    for t, d in zip(out["type"], out["details"]):
        d = _val(d)
        if t in TYPED and d:
            assert not KEYS & set(json.loads(d))
    keys = out.loc[out["type"] == "keydown", "details"].unique().tolist()
    assert keys == ['{"ctrl":false,"alt":false,"shift":false,"meta":false}']
    assert "hunter2" not in distill.to_json(out)


def test_url_modes(sample):
    stripped = redact.redact(sample, urls="strip")
    assert not stripped["page_url"].astype(str).str.contains(r"[?#]").any()
    assert not stripped["page_referrer"].dropna().astype(str).str.contains(r"[?#]").any()
    untouched = redact.redact(sample, urls=False, echoes=False)
    assert untouched["page_url"].equals(sample["page_url"])
    with pytest.raises(ValueError, match="urls must be"):
        redact.redact(sample, urls="hide")
    with pytest.raises(ValueError, match="mode must be"):
        redact.redact(sample, mode="hash")


@pytest.mark.parametrize(
    ("url", "expect", "removed"),
    [
        ("http://h/a", "http://h/a", []),
        ("http://h/a?", "http://h/a?", []),
        ("http://h/a?u=erin&pw=", "http://h/a?u=***&pw=", ["erin"]),
        ("http://h/a?q=a+b%40c#top", "http://h/a?q=***#top", ["a b@c"]),
        ("http://h/a#access_token=xyz&state=1", "http://h/a#access_token=***&state=***", ["xyz", "1"]),
        ("http://h/a?secret", "http://h/a?***", ["secret"]),
    ],
)
def test_mask_url(url, expect, removed):
    assert redact.mask_url(url) == (expect, removed)
    stripped, _ = redact.mask_url(url, mode="strip")
    assert "?" not in stripped and "#" not in stripped


def test_current_format_fixture_and_attributes(data_dir):
    events = distill.read(data_dir / "monorepo-current-format-75.json")
    typed, _ = typed_values(events)
    assert "hello" in typed
    text = exported_text_without_user(redact.redact(events))
    assert not [v for v in typed if len(v) >= 4 and v in text]
    # a schema that maps UserALE's attributes marks password inputs by their type
    with_attrs = events.copy()
    attrs = np.where(with_attrs["target"] == "input#name", '{"type":"password","id":"name"}', None)
    with_attrs["attributes"] = pd.array(attrs, dtype=string_dtype())
    out = redact.redact(with_attrs, fields="passwords", urls=False, echoes=False)
    assert filters.history(out)[-1]["password_fields"] == ["input#name"]
    assert "hello" not in distill.to_json(out)


def test_service_contract_and_accessor(sample):
    # the REST service calls redact(frame) with no arguments, also through distill.filters
    assert filters.redact is redact.redact
    assert sample.distill.redact().equals(redact.redact(sample))


# -- property: whatever is typed does not survive ---------------------------------------------------
_word = st.text(alphabet="QXZKWJVY", min_size=6, max_size=12)


@settings(max_examples=40)
@given(st.lists(st.tuples(_word, st.sampled_from(["input#q", "input#pwd", "textarea#note"])), min_size=1, max_size=6))
def test_typed_values_never_survive(tmp_path_factory, typed):
    records = []
    t = 1_000_000
    for value, target in typed:
        for ch in value:
            t += 50
            records.append(
                {
                    "clientTime": t,
                    "type": "keydown",
                    "target": target,
                    "sessionId": "s",
                    "userId": "u",
                    "logType": "raw",
                    "details": {"key": ch, "code": f"Key{ch}"},
                    "pageUrl": "http://h/p",
                }
            )
        t += 50
        records.append(
            {
                "clientTime": t,
                "type": "change",
                "target": target,
                "sessionId": "s",
                "userId": "u",
                "logType": "raw",
                "details": {"value": value},
                "pageUrl": f"http://h/p?{target[6:]}={quote_plus(value)}",
            }
        )
        records.append(
            {
                "clientTime": t + 1,
                "type": "searched",
                "sessionId": "s",
                "userId": "u",
                "logType": "custom",
                "details": {"echo": f"you typed {value}!"},
                "pageUrl": "http://h/p",
            }
        )
    path = Path(tmp_path_factory.mktemp("typed")) / "typed.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    events = distill.read(path)
    safe = redact.redact(events)
    text = exported_text_without_user(safe)
    for value, _ in typed:
        assert not any(f in text for f in forms(value)), value
    keys = safe.loc[safe["type"] == "keydown", "details"].map(json.loads)
    assert all(k["key"] == "***" and k["code"] == "***" for k in keys)
    assert len(safe) == len(events) and safe["event_id"].equals(events["event_id"])
