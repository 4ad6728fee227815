"""Schemas: where each role of the event frame comes from in a source's records.

A :class:`Schema` maps roles (``time``, ``user``, ``type``, ``target``, ...) to
source fields and says how to parse them. It is built from a configuration
block (a dict, JSON, YAML or TOML), so a new event source needs configuration,
not code::

    name: clickstream
    roles:
      time: {fields: [timestamp, ts], parser: auto, required: true}
      user: user_id                      # shorthand: one field
      type: [event, event_type]          # shorthand: alternatives, first present wins
      target: element
      page_url: url
      details: properties
      plan: {fields: [properties.plan], kind: category}   # a role of your own

A field is a key, or a dotted path into nested objects (``location.x``).
Alternatives are tried in order; the first that is present and not null wins
(UserALE's ``sessionId`` / legacy ``sessionID``). A schema may ``extends``
another and override some roles.

Built-in schemas: ``userale`` (UserALE.js 2.2 to current: raw, interval and
custom logs) and ``userale-full`` (plus environment columns), ``clickstream``
(generic ``timestamp, user, event`` CSV/JSON), ``posthog`` (PostHog event
exports), and ``canonical`` / ``canonical-full`` (frames Distill itself
exported, as JSON or Parquet). Plugins add more through the
``distill.schemas`` entry point.

Examples
--------
>>> schema = Schema.from_dict({"name": "mini", "roles": {"time": "ts", "type": "kind"}})
>>> schema.roles["time"].fields, schema.roles["time"].parser
(('ts',), 'auto')
>>> get_schema("userale").roles["session"].fields
('sessionId', 'sessionID')
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from distill.errors import MissingDependencyError, SchemaError
from distill.frame import CORE_COLUMNS, ROLE_KINDS

__all__ = [
    "KINDS",
    "TIME_PARSERS",
    "Role",
    "Schema",
    "get_schema",
    "register_schema",
    "schema_names",
]

#: Column kinds a role may have.
KINDS = ("time", "category", "string", "json", "string_list", "int32", "int64", "float", "bool")
#: How a time field is read: epoch numbers in a unit, ISO-8601 text, or ``auto``
#: (numbers by magnitude: s, ms, us or ns; text as ISO-8601).
TIME_PARSERS = ("epoch_s", "epoch_ms", "epoch_us", "epoch_ns", "iso8601", "auto")

_ROLE_KEYS = {"fields", "kind", "parser", "required", "default", "fraction", "description"}
_SCHEMA_KEYS = {"name", "description", "extends", "roles", "event_id_prefix"}


@dataclass(frozen=True)
class Role:
    """Where one column of the event frame comes from.

    Parameters
    ----------
    name : str
        The column name in the event frame.
    fields : tuple of str
        Source fields (dotted paths for nested objects), tried in order.
    kind : str
        Column kind, one of :data:`~distill.schema.KINDS`.
    parser : str or None
        For ``time`` roles, one of :data:`~distill.schema.TIME_PARSERS`.
    required : bool
        A record without this role is rejected (and reported).
    default : object
        Value used when every field is missing (not when one is invalid).
    fraction : str or None
        For time roles: a field holding extra milliseconds as a fraction
        (UserALE's ``microTime``), added to the time.

    Examples
    --------
    >>> Role("x", ("location.x",), "int32").fields
    ('location.x',)
    """

    name: str
    fields: tuple[str, ...]
    kind: str
    parser: str | None = None
    required: bool = False
    default: Any = None
    fraction: str | None = None
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The role as a configuration block."""
        out: dict[str, Any] = {"fields": list(self.fields), "kind": self.kind}
        if self.parser:
            out["parser"] = self.parser
        if self.required:
            out["required"] = True
        if self.default is not None:
            out["default"] = self.default
        if self.fraction:
            out["fraction"] = self.fraction
        if self.description:
            out["description"] = self.description
        return out


def _role_from_block(name: str, block: Any, where: str) -> Role:
    if isinstance(block, str):
        block = {"fields": [block]}
    elif isinstance(block, (list, tuple)):
        block = {"fields": list(block)}
    if not isinstance(block, Mapping):
        raise SchemaError(f"{where}: role {name!r} must be a field name, a list of fields or a mapping")
    unknown = set(block) - _ROLE_KEYS
    if unknown:
        raise SchemaError(f"{where}: role {name!r} has unknown key(s) {sorted(unknown)}; allowed: {sorted(_ROLE_KEYS)}")
    fields = block.get("fields")
    if isinstance(fields, str):
        fields = [fields]
    if not fields or not all(isinstance(f, str) and f for f in fields):
        raise SchemaError(f"{where}: role {name!r} needs 'fields': a non-empty list of field names")
    kind = block.get("kind", ROLE_KINDS.get(name))
    if kind is None:
        raise SchemaError(
            f"{where}: role {name!r} is not a standard role, so it needs 'kind' (one of {', '.join(KINDS)})"
        )
    if kind not in KINDS:
        raise SchemaError(f"{where}: role {name!r} has kind {kind!r}; expected one of {', '.join(KINDS)}")
    if name in ROLE_KINDS and kind != ROLE_KINDS[name]:
        raise SchemaError(f"{where}: role {name!r} is a standard role of kind {ROLE_KINDS[name]!r}, not {kind!r}")
    parser = block.get("parser")
    if kind == "time":
        parser = parser or "auto"
        if parser not in TIME_PARSERS:
            raise SchemaError(
                f"{where}: role {name!r} has parser {parser!r}; expected one of {', '.join(TIME_PARSERS)}"
            )
    elif parser is not None:
        raise SchemaError(f"{where}: role {name!r}: 'parser' applies to time roles only")
    fraction = block.get("fraction")
    if fraction is not None and (kind != "time" or not isinstance(fraction, str)):
        raise SchemaError(f"{where}: role {name!r}: 'fraction' must be a field name on a time role")
    required = block.get("required", False)
    if not isinstance(required, bool):
        raise SchemaError(f"{where}: role {name!r}: 'required' must be true or false")
    if name == "source":
        raise SchemaError(f"{where}: 'source' is set by the reader and cannot be mapped")
    return Role(
        name=name,
        fields=tuple(fields),
        kind=kind,
        parser=parser,
        required=required,
        default=block.get("default"),
        fraction=fraction,
        description=str(block.get("description", "")),
    )


@dataclass(frozen=True)
class Schema:
    """A mapping from frame roles to source fields, built from configuration.

    Parameters
    ----------
    name : str
        Registry name.
    roles : mapping of str to Role
        Role name to :class:`Role`. ``time`` is required.
    description : str
        For people.

    Examples
    --------
    >>> s = Schema.from_dict({"name": "t", "roles": {"time": {"fields": ["at"], "parser": "epoch_s"}}})
    >>> s.roles["time"].required
    True
    >>> sorted(s.source_fields())
    ['at']
    """

    name: str
    roles: Mapping[str, Role]
    description: str = ""

    # -- construction -------------------------------------------------------------
    @classmethod
    def from_dict(cls, block: Mapping[str, Any], *, where: str = "schema") -> Schema:
        """Build a schema from a configuration block.

        Parameters
        ----------
        block : mapping
            ``{"name": ..., "roles": {...}, "extends": ..., "description": ...}``.
        where : str
            Named in error messages (e.g. the file the block came from).

        Returns
        -------
        Schema

        Raises
        ------
        SchemaError
            Naming the key that is wrong.

        Examples
        --------
        >>> s = Schema.from_dict({"name": "u2", "extends": "userale",
        ...                       "roles": {"plan": {"fields": ["details.plan"], "kind": "category"}}})
        >>> "plan" in s.roles and "session" in s.roles
        True
        """
        if not isinstance(block, Mapping):
            raise SchemaError(f"{where}: a schema block must be a mapping, got {type(block).__name__}")
        unknown = set(block) - _SCHEMA_KEYS
        if unknown:
            raise SchemaError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_SCHEMA_KEYS)}")
        name = block.get("name")
        if not isinstance(name, str) or not name:
            raise SchemaError(f"{where}: 'name' must be a non-empty string")
        where = f"{where} {name!r}"
        roles: dict[str, Role] = {}
        if block.get("extends"):
            roles.update(get_schema(block["extends"]).roles)
        raw_roles = block.get("roles")
        if not isinstance(raw_roles, Mapping) or (not raw_roles and not roles):
            raise SchemaError(f"{where}: 'roles' must be a mapping of role name to fields")
        for role_name, role_block in raw_roles.items():
            if not isinstance(role_name, str) or not role_name.isidentifier():
                raise SchemaError(f"{where}: role name {role_name!r} must be an identifier")
            if role_block is None:  # `role: null` in a child removes a parent's role
                roles.pop(role_name, None)
                continue
            roles[role_name] = _role_from_block(role_name, role_block, where)
        if "time" not in roles:
            raise SchemaError(f"{where}: the 'time' role must be mapped")
        if not roles["time"].required:
            t = roles["time"]
            roles["time"] = Role(t.name, t.fields, t.kind, t.parser, True, t.default, t.fraction, t.description)
        return cls(name=name, roles=roles, description=str(block.get("description", "")))

    @classmethod
    def from_json(cls, text_or_path: str | os.PathLike[str]) -> Schema:
        """Build from JSON text or a JSON file.

        Examples
        --------
        >>> Schema.from_json('{"name": "j", "roles": {"time": "t"}}').name
        'j'
        """
        text, where = _text_of(text_or_path)
        try:
            block = json.loads(text)
        except json.JSONDecodeError as err:
            raise SchemaError(f"{where}: not valid JSON: {err}") from None
        return cls.from_dict(block, where=where)

    @classmethod
    def from_yaml(cls, text_or_path: str | os.PathLike[str]) -> Schema:
        """Build from YAML text or a YAML file (needs PyYAML).

        Examples
        --------
        >>> Schema.from_yaml("name: y\\nroles:\\n  time: t\\n").name
        'y'
        """
        try:
            import yaml
        except ImportError:  # pragma: no cover - PyYAML is in every extra
            raise MissingDependencyError("pyyaml", extra="service", feature="YAML schemas") from None
        text, where = _text_of(text_or_path)
        try:
            block = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise SchemaError(f"{where}: not valid YAML: {err}") from None
        return cls.from_dict(block, where=where)

    @classmethod
    def from_toml(cls, text_or_path: str | os.PathLike[str]) -> Schema:
        """Build from TOML text or a TOML file.

        Examples
        --------
        >>> Schema.from_toml('name = "t"\\n[roles]\\ntime = "ts"\\n').name
        't'
        """
        try:
            import tomllib
        except ImportError:  # pragma: no cover - Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        text, where = _text_of(text_or_path)
        try:
            block = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise SchemaError(f"{where}: not valid TOML: {err}") from None
        return cls.from_dict(block, where=where)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Schema:
        """Build from a file, choosing the format by suffix (.json, .yaml/.yml, .toml).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.json"
        >>> _ = p.write_text('{"name": "f", "roles": {"time": "t"}}')
        >>> Schema.load(p).name
        'f'
        """
        suffix = Path(path).suffix.lower()
        if suffix == ".json":
            return cls.from_json(Path(path))
        if suffix in (".yaml", ".yml"):
            return cls.from_yaml(Path(path))
        if suffix == ".toml":
            return cls.from_toml(Path(path))
        raise SchemaError(f"{path}: unknown schema file type {suffix!r}; use .json, .yaml or .toml")

    # -- use -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The full configuration block (parents resolved).

        Examples
        --------
        >>> Schema.from_dict(get_schema("clickstream").to_dict()) == get_schema("clickstream")
        True
        """
        return {
            "name": self.name,
            "description": self.description,
            "roles": {k: r.to_dict() for k, r in self.roles.items()},
        }

    def source_fields(self) -> set[str]:
        """Every source field path the schema reads."""
        out: set[str] = set()
        for role in self.roles.values():
            out.update(role.fields)
            if role.fraction:
                out.add(role.fraction)
        return out

    @property
    def extra_roles(self) -> dict[str, str]:
        """Roles beyond the core columns, name to kind, in schema order."""
        return {n: r.kind for n, r in self.roles.items() if n not in CORE_COLUMNS}

    def __str__(self) -> str:
        return f"Schema({self.name!r}, roles={list(self.roles)})"


def _text_of(text_or_path: str | os.PathLike[str]) -> tuple[str, str]:
    if isinstance(text_or_path, os.PathLike) or (
        isinstance(text_or_path, str)
        and "\n" not in text_or_path
        and len(text_or_path) < 4096
        and Path(text_or_path).suffix.lower() in (".json", ".yaml", ".yml", ".toml")
    ):
        path = Path(text_or_path)
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except OSError as err:
            raise SchemaError(f"{path}: cannot read schema file: {err.strerror}") from None
    return str(text_or_path), "schema"


# -- registry ---------------------------------------------------------------------------
_REGISTRY: dict[str, Schema] = {}
_BUILTINS_LOADED = False


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if _BUILTINS_LOADED:
        return
    _BUILTINS_LOADED = True
    folder = resources.files("distill") / "schemas"
    blocks = {}
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            blocks[item.name] = json.loads(item.read_text(encoding="utf-8"))
    pending = dict(blocks)
    while pending:  # resolve `extends` in dependency order
        progressed = False
        for fname, block in list(pending.items()):
            parent = block.get("extends")
            if parent and parent not in _REGISTRY:
                continue
            _REGISTRY[block["name"]] = Schema.from_dict(block, where=f"distill/schemas/{fname}")
            del pending[fname]
            progressed = True
        if not progressed:
            raise SchemaError(f"built-in schemas with unresolved 'extends': {sorted(pending)}")
    from distill import plugins

    for name, obj in plugins.load("distill.schemas").items():
        schema = obj if isinstance(obj, Schema) else Schema.from_dict(obj, where=f"plugin schema {name!r}")
        _REGISTRY.setdefault(schema.name, schema)


def register_schema(schema: Schema | Mapping[str, Any], *, replace: bool = False) -> Schema:
    """Make a schema available by name to :func:`distill.read` and the service.

    Parameters
    ----------
    schema : Schema or mapping
        A schema or its configuration block.
    replace : bool
        Allow replacing a schema of the same name.

    Returns
    -------
    Schema

    Examples
    --------
    >>> s = register_schema({"name": "doc-example", "roles": {"time": "t"}}, replace=True)
    >>> get_schema("doc-example") is s
    True
    """
    _load_builtins()
    if not isinstance(schema, Schema):
        schema = Schema.from_dict(schema)
    if schema.name in _REGISTRY and not replace and _REGISTRY[schema.name] != schema:
        raise SchemaError(f"a schema named {schema.name!r} is already registered (pass replace=True)")
    _REGISTRY[schema.name] = schema
    return schema


def get_schema(schema: str | Schema | Mapping[str, Any] | os.PathLike[str]) -> Schema:
    """Resolve a schema given by name, object, configuration block or file.

    Parameters
    ----------
    schema : str, Schema, mapping or path
        A registered name (``"userale"``), a :class:`Schema`, a configuration
        block, or a path to a .json/.yaml/.toml file.

    Returns
    -------
    Schema

    Raises
    ------
    SchemaError
        For unknown names, listing the known ones.

    Examples
    --------
    >>> get_schema("userale").name
    'userale'
    """
    if isinstance(schema, Schema):
        return schema
    if isinstance(schema, Mapping):
        return Schema.from_dict(schema)
    if isinstance(schema, os.PathLike):
        return Schema.load(schema)
    if isinstance(schema, str):
        _load_builtins()
        if schema in _REGISTRY:
            return _REGISTRY[schema]
        if Path(schema).suffix.lower() in (".json", ".yaml", ".yml", ".toml") and Path(schema).exists():
            return Schema.load(schema)
        raise SchemaError(f"unknown schema {schema!r}; known: {', '.join(schema_names())}")
    raise SchemaError(f"a schema is a name, a Schema, a mapping or a file path, not {type(schema).__name__}")


def schema_names() -> list[str]:
    """Names of every registered schema.

    The built-in schemas and those registered with :func:`register_schema`
    or by plugins (entry point ``distill.schemas``); each name works as the
    ``schema=`` argument of the readers and with :func:`get_schema`.

    Returns
    -------
    list of str
        The names, sorted.

    Examples
    --------
    >>> {"userale", "clickstream", "posthog", "canonical"} <= set(schema_names())
    True
    """
    _load_builtins()
    return sorted(_REGISTRY)
