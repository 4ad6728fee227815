"""Schemas from configuration: dict, JSON, YAML, TOML; inheritance; clear errors."""

from __future__ import annotations

import json

import pytest

import distill
from distill.errors import SchemaError
from distill.schema import Schema, get_schema, register_schema, schema_names


def test_builtin_schemas_are_configuration():
    assert {"userale", "clickstream", "posthog", "canonical"} <= set(schema_names())
    userale = get_schema("userale")
    assert userale.roles["time"].fields == ("clientTime", "startTime")
    assert userale.roles["time"].fraction == "microTime"
    assert userale.roles["session"].fields == ("sessionId", "sessionID")
    assert userale.roles["type"].required and userale.roles["time"].required
    for name in schema_names():
        schema = get_schema(name)
        assert Schema.from_dict(schema.to_dict()) == schema


def test_same_schema_from_every_format(tmp_path):
    block = {"name": "fmt", "roles": {"time": {"fields": ["t"], "parser": "epoch_ms"}, "user": ["u", "user"]}}
    (tmp_path / "s.json").write_text(json.dumps(block))
    (tmp_path / "s.yaml").write_text("name: fmt\nroles:\n  time: {fields: [t], parser: epoch_ms}\n  user: [u, user]\n")
    (tmp_path / "s.toml").write_text(
        'name = "fmt"\n[roles]\nuser = ["u", "user"]\n[roles.time]\nfields = ["t"]\nparser = "epoch_ms"\n'
    )
    want = Schema.from_dict(block)
    assert Schema.load(tmp_path / "s.json") == want
    assert Schema.load(tmp_path / "s.yaml") == want
    assert Schema.load(tmp_path / "s.toml") == want
    assert get_schema(str(tmp_path / "s.yaml")) == want


def test_extends_overrides_and_removes():
    child = Schema.from_dict(
        {
            "name": "child",
            "extends": "userale",
            "roles": {
                "user": "details.login",
                "tab": None,
                "experiment": {"fields": ["details.exp"], "kind": "category"},
            },
        }
    )
    assert child.roles["user"].fields == ("details.login",)
    assert "tab" not in child.roles
    assert child.roles["experiment"].kind == "category"
    assert child.roles["session"] == get_schema("userale").roles["session"]


@pytest.mark.parametrize(
    "block,message",
    [
        ({"roles": {"time": "t"}}, "'name' must be a non-empty string"),
        ({"name": "x", "roles": {"user": "u"}}, "the 'time' role must be mapped"),
        ({"name": "x", "roles": {"time": "t", "plan": "p"}}, "role 'plan' is not a standard role, so it needs 'kind'"),
        ({"name": "x", "roles": {"time": {"fields": ["t"], "parser": "unix"}}}, "parser 'unix'"),
        (
            {"name": "x", "roles": {"time": "t", "x": {"fields": ["a"], "kind": "category"}}},
            "standard role of kind 'int32'",
        ),
        ({"name": "x", "roles": {"time": {"fields": []}}}, "needs 'fields'"),
        ({"name": "x", "roles": {"time": {"fields": ["t"], "colour": 1}}}, "unknown key(s) ['colour']"),
        ({"name": "x", "roles": {"time": "t"}, "rolez": {}}, "unknown key(s) ['rolez']"),
        ({"name": "x", "roles": {"time": "t", "source": "s"}}, "'source' is set by the reader"),
        ({"name": "x", "extends": "nope", "roles": {"time": "t"}}, "unknown schema 'nope'"),
    ],
)
def test_bad_blocks_name_the_problem(block, message):
    with pytest.raises(SchemaError) as err:
        Schema.from_dict(block)
    assert message in str(err.value)


def test_bad_files_name_the_file(tmp_path):
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(SchemaError, match=r"bad\.json: not valid JSON"):
        Schema.load(tmp_path / "bad.json")
    with pytest.raises(SchemaError, match="unknown schema file type"):
        Schema.load(tmp_path / "bad.ini")


def test_register_and_refuse_clash():
    s = register_schema({"name": "test-reg", "roles": {"time": "t"}}, replace=True)
    assert get_schema("test-reg") is s
    with pytest.raises(SchemaError, match="already registered"):
        register_schema({"name": "test-reg", "roles": {"time": "other"}})


def test_posthog_export_reads_by_configuration(tmp_path):
    events = [
        {
            "uuid": "0190-a",
            "event": "$pageview",
            "timestamp": "2026-02-01T09:00:00.000Z",
            "distinct_id": "p1",
            "properties": {"$session_id": "S1", "$current_url": "https://shop/", "$browser": "Firefox"},
        },
        {
            "uuid": "0190-b",
            "event": "$autocapture",
            "timestamp": "2026-02-01T09:00:02.500Z",
            "distinct_id": "p1",
            "properties": {"$session_id": "S1", "$current_url": "https://shop/", "$el_text": "Buy"},
        },
    ]
    (tmp_path / "ph.json").write_text(json.dumps(events))
    frame = distill.read(tmp_path / "ph.json", schema="posthog")
    assert frame["event_id"].tolist() == ["0190-a", "0190-b"]
    assert frame["session"].tolist() == ["S1", "S1"]
    assert frame["target"].tolist()[1] == "Buy"
    assert frame["browser"].tolist()[0] == "Firefox"
