"""Service settings (file + environment), the source catalog and its cache, and the server's safety checks."""

from __future__ import annotations

import pytest

import distill
from distill.service.catalog import Catalog, SourceNotFoundError, SourceUnavailableError
from distill.service.server import check_server, uvicorn_config
from distill.service.settings import Settings, SettingsError, is_loopback, load_settings

YAML = """
server:
  host: 0.0.0.0
  port: 9443
  certfile: /etc/c.pem
  keyfile: /etc/k.pem
limits:
  timeout: 12.5
  max_page: 500
cors:
  origins: [https://a.example, https://b.example]
redact: false
sources:
  shop:
    paths: ["/data/*.ndjson.gz"]
    description: the shop
  prod:
    kind: opensearch
    hosts: [https://es:9200]
    index: userale-*
    username_env: ES_USER
    password_env: ES_PASSWORD
"""


def test_defaults():
    s = load_settings(env={})
    assert s.server.host == "127.0.0.1" and s.server.port == 8443 and not s.server.http
    assert s.auth.enabled and s.redact and not s.public_docs
    assert s.source_names() == ["sample"] and s.source().kind == "sample"
    assert s.limits.default_page <= s.limits.max_page and s.cors.origins == ()


@pytest.mark.parametrize("suffix", [".yaml", ".toml", ".json"])
def test_files_of_every_format(tmp_path, suffix):
    import json

    import yaml

    block = yaml.safe_load(YAML)
    path = tmp_path / f"service{suffix}"
    if suffix == ".yaml":
        path.write_text(YAML)
    elif suffix == ".json":
        path.write_text(json.dumps(block))
    else:
        path.write_text(_toml(block))
    s = load_settings(path, env={})
    assert (s.server.host, s.server.port, s.limits.timeout, s.limits.max_page) == ("0.0.0.0", 9443, 12.5, 500)
    assert s.cors.origins == ("https://a.example", "https://b.example") and s.redact is False
    assert s.source_names() == ["shop", "prod"] and s.default_source == "shop"
    assert s.source("shop").paths == ("/data/*.ndjson.gz",) and s.source("shop").kind == "files"
    assert s.source("prod").password_env == "ES_PASSWORD"


def _toml(block: dict) -> str:
    lines = []
    for section in ("server", "limits", "cors"):
        lines.append(f"[{section}]")
        for k, v in block[section].items():
            lines.append(f"{k} = {_tv(v)}")
    lines.insert(0, f"redact = {_tv(block['redact'])}")
    for name, src in block["sources"].items():
        lines.append(f"[sources.{name}]")
        lines += [f"{k} = {_tv(v)}" for k, v in src.items()]
    return "\n".join(lines) + "\n"


def _tv(v):
    import json

    return json.dumps(v) if not isinstance(v, bool) else str(v).lower()


def test_environment_overrides_the_file(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(YAML)
    env = {
        "DISTILL_SETTINGS": str(path),
        "DISTILL_SERVER__PORT": "10443",
        "DISTILL_LIMITS__TIMEOUT": "3",
        "DISTILL_CORS__ORIGINS": "https://c.example",
        "DISTILL_REDACT": "true",
        "DISTILL_SOURCES__SHOP__PATHS": "/x/*.json,/y/*.json",
        "DISTILL_SOURCES__EXTRA__PATHS": "/z",
        "DISTILL_API_KEYS": "not-a-setting",
        "DISTILL_UNRELATED": "ignored",
    }
    s = load_settings(env=env)
    assert s.server.port == 10443 and s.limits.timeout == 3.0 and s.redact is True
    assert s.cors.origins == ("https://c.example",)
    assert s.source("shop").paths == ("/x/*.json", "/y/*.json") and s.source("extra").kind == "files"


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ({"limits": {"timout": 1}}, "limits: unknown key 'timout'"),
        ({"limits": {"timeout": "soon"}}, "limits.timeout: expected a number"),
        ({"limits": {"max_page": True}}, "whole number"),
        ({"limits": {"default_page": 50, "max_page": 10}}, "default_page"),
        ({"server": {"port": 70000}}, "server.port"),
        ({"server": {"http": "maybe"}}, "true or false"),
        ({"sources": {"a": {"kind": "ftp"}}}, "sources.a.kind"),
        ({"sources": {"a": {"kind": "files"}}}, "sources.a.paths"),
        ({"sources": {"a": {"kind": "elasticsearch", "hosts": ["h"]}}}, "'hosts' and 'index'"),
        ({"sources": {"a b": {"paths": ["x"]}}}, "source name"),
        ({"sources": [{"paths": ["x"]}]}, "needs a 'name'"),
        ({"default_source": "nope"}, "default_source"),
        ({"cors": {"origins": ["*", "https://a"]}}, "stands alone"),
        ({"sourcs": {}}, "unknown settings ['sourcs']"),
        ({"auth": "yes"}, "auth: expected a mapping"),
    ],
)
def test_invalid_settings_name_the_key(block, words):
    with pytest.raises(SettingsError) as err:
        load_settings(block, env={})
    assert words in str(err.value)


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "missing.yaml", env={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("server: [1, 2\n")
    with pytest.raises(SettingsError, match="not valid YAML"):
        load_settings(bad, env={})
    other = tmp_path / "s.ini"
    other.write_text("x")
    with pytest.raises(SettingsError, match="unknown type"):
        load_settings(other, env={})
    top = tmp_path / "list.json"
    top.write_text("[1]")
    with pytest.raises(SettingsError, match="mapping at the top level"):
        load_settings(top, env={})


def test_sources_as_a_list_and_settings_pass_through():
    s = load_settings({"sources": [{"name": "b", "paths": ["x"]}, {"name": "a", "kind": "sample"}]}, env={})
    assert s.source_names() == ["b", "a"] and load_settings(s) is s
    assert isinstance(s.replace(redact=False), Settings) and s.replace(redact=False).redact is False


def test_loopback():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost", "LOCALHOST"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.org", ""))


# -- the server's checks ------------------------------------------------------------------------
def test_check_server(tmp_path):
    with pytest.raises(SettingsError, match="loopback"):
        check_server(load_settings({"server": {"http": True, "host": "::"}}, env={}))
    with pytest.raises(SettingsError, match=r"certfile and server\.keyfile"):
        check_server(load_settings({}, env={}))
    with pytest.raises(SettingsError, match="readable"):
        check_server(
            load_settings({"server": {"certfile": str(tmp_path / "c"), "keyfile": str(tmp_path / "k")}}, env={})
        )
    (tmp_path / "c").write_text("x")
    (tmp_path / "k").write_text("x")
    ok = load_settings({"server": {"certfile": str(tmp_path / "c"), "keyfile": str(tmp_path / "k")}}, env={})
    assert check_server(ok) is ok
    options = uvicorn_config(ok, app=None)
    assert options["ssl_certfile"] == str(tmp_path / "c") and options["ssl_keyfile"] == str(tmp_path / "k")
    assert options["server_header"] is False and options["proxy_headers"] is False
    assert options["limit_concurrency"] == ok.limits.max_connections
    plain = uvicorn_config(load_settings({"server": {"http": True}}, env={}), app=None)
    assert "ssl_certfile" not in plain
    with pytest.raises(SettingsError, match="DISTILL_NO_SUCH_PASSWORD"):
        check_server(
            ok.replace(
                server=ok.server.__class__(**{**ok.server.__dict__, "keyfile_password_env": "DISTILL_NO_SUCH_PASSWORD"})
            )
        )


# -- the catalog ----------------------------------------------------------------------------------
def test_catalog_reads_caches_and_expires(tmp_path):
    f = tmp_path / "a.ndjson.gz"
    f.write_bytes(distill.datasets.sample_path().read_bytes())
    now = [0.0]
    s = load_settings({"sources": {"a": {"paths": [str(f)]}}, "cache": {"ttl": 10}, "redact": False}, env={})
    cat = Catalog(s, clock=lambda: now[0])
    first = cat.events("a")
    assert len(first) == 4863 and cat.events("a") is first
    now[0] = 11.0
    again = cat.events("a")
    assert again is not first and again.equals(first)
    assert cat.table()["cached"].tolist() == [True]
    cat.clear()
    assert cat.table()["cached"].tolist() == [False]
    with pytest.raises(SourceNotFoundError, match="no source named 'b'; sources: a"):
        cat.events("b")


def test_catalog_redacts_once_before_caching():
    cat = Catalog(load_settings(env={}))
    events = cat.events()
    assert "hunter2" not in distill.to_json(events)
    assert distill.filters.history(events)[-1]["step"] == "redact"


def test_catalog_query_restricts_a_files_source(tmp_path):
    f = tmp_path / "a.ndjson.gz"
    f.write_bytes(distill.datasets.sample_path().read_bytes())
    q = {"field": "user", "op": "eq", "value": "bob"}
    cat = Catalog(load_settings({"sources": {"a": {"paths": [str(f)], "query": q}}, "redact": False}, env={}))
    assert set(cat.events("a")["user"].unique()) == {"bob"}


def test_credentials_come_from_the_environment():
    pytest.importorskip("opensearchpy")
    s = load_settings(
        {
            "sources": {
                "es": {
                    "kind": "opensearch",
                    "hosts": ["http://127.0.0.1:9"],
                    "index": "x",
                    "username_env": "ES_USER",
                    "password_env": "ES_PASSWORD",
                    "options": {"request_timeout": 1},
                }
            },
            "redact": False,
        },
        env={},
    )
    with pytest.raises(SourceUnavailableError, match="ES_PASSWORD"):
        Catalog(s, env={"ES_USER": "u"}).events("es")
    with pytest.raises(SourceUnavailableError) as err:
        Catalog(s, env={"ES_USER": "u", "ES_PASSWORD": "p4ssw0rd-secret"}).events("es")
    assert "p4ssw0rd-secret" not in str(err.value) and "unavailable" in str(err.value)


def test_without_the_service_extra_a_clear_error():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['fastapi'] = None\n"
        "import distill, distill.service as s\n"
        "from distill.errors import MissingDependencyError\n"
        "assert s.load_settings(env={}).server.port == 8443\n"
        "try:\n"
        "    s.create_app({'auth': {'enabled': False}})\n"
        "except MissingDependencyError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "the REST service needs 'fastapi', which is not installed: pip install 'distill[service]'"
    )
