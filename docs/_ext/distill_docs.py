"""Sphinx extension: pages generated from Distill's own data at build time, so they cannot drift.

Both directives emit reStructuredText; in a MyST page, wrap them in an
``{eval-rst}`` block.

``.. distill-export-schema::``
    The export structure, rendered from ``distill/export.schema.json``
    (:func:`distill.export.json_schema`): the envelope, which ``data`` each
    ``kind`` holds, and every definition as a table of its fields.

``.. distill-plugin-groups::``
    The plugin entry-point groups and what each accepts (:mod:`distill.plugins`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _label(name: str) -> str:
    return f"export-def-{name}"


def _ref(pointer: str) -> str:
    name = pointer.rsplit("/", 1)[-1]
    return f":ref:`{name} <{_label(name)}>`"


def _cell(text: str) -> str:
    """Text safe inside a list-table cell (one line, no stray markup)."""
    return " ".join(str(text).split()) or " "


def _type(spec: Any) -> str:
    """A JSON Schema fragment as a short readable type."""
    if spec is True or spec == {}:
        return "any JSON value"
    if not isinstance(spec, dict):
        return f"``{json.dumps(spec)}``"
    if "$ref" in spec:
        return _ref(spec["$ref"])
    if "const" in spec:
        return f"``{json.dumps(spec['const'])}``"
    if "enum" in spec:
        return "one of " + ", ".join(f"``{json.dumps(v)}``" for v in spec["enum"])
    types = spec.get("type")
    names = types if isinstance(types, list) else [types] if types else []
    parts = []
    for t in names:
        if t == "array":
            items = spec.get("items")
            parts.append(f"array of {_type(items)}" if items is not None else "array")
        elif t == "object" and isinstance(spec.get("additionalProperties"), dict):
            parts.append(f"object of {_type(spec['additionalProperties'])}")
        elif t is not None:
            parts.append(str(t))
    text = " or ".join(parts) if parts else "any JSON value"
    extra = []
    if "pattern" in spec:
        extra.append(f"matching ``{spec['pattern']}``")
    if "minimum" in spec:
        extra.append(f">= {spec['minimum']}")
    if "minLength" in spec:
        extra.append(f"at least {spec['minLength']} character(s)")
    return text + (" (" + ", ".join(extra) + ")" if extra else "")


def _table(title: str, rows: list[tuple[str, ...]], header: tuple[str, ...]) -> list[str]:
    out = [f".. list-table:: {title}" if title else ".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *rows]:
        out.append(f"   * - {_cell(row[0])}")
        out.extend(f"     - {_cell(c)}" for c in row[1:])
    return [*out, ""]


def _properties(spec: dict[str, Any]) -> list[tuple[str, ...]]:
    required = set(spec.get("required", ()))
    return [
        (f"``{name}``", _type(prop), "yes" if name in required else "no", prop.get("description", ""))
        for name, prop in spec.get("properties", {}).items()
    ]


def _kinds(schema: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for rule in schema.get("allOf", []):
        kind = rule.get("if", {}).get("properties", {}).get("kind", {})
        data = rule.get("then", {}).get("properties", {}).get("data", {})
        values = [kind["const"]] if "const" in kind else list(kind.get("enum", []))
        rows.append((", ".join(f"``{v}``" for v in values), _type(data)))
    rows.append(("any other kind", "any JSON value (a result object's own dict, ``value`` for a mapping)"))
    return rows


def export_schema_rst(schema: dict[str, Any]) -> list[str]:
    """The reStructuredText lines that document an export JSON Schema.

    Parameters
    ----------
    schema : dict
        The JSON Schema (``distill.export.json_schema()``).

    Returns
    -------
    list of str
        Lines of reStructuredText.
    """
    lines = [schema.get("description", ""), ""]
    lines += _table(
        "The envelope: every document has these keys and no others",
        _properties(schema),
        ("key", "type", "required", "what"),
    )
    lines += ["What ``data`` holds, by ``kind``:", ""]
    lines += _table("", _kinds(schema), ("kind", "data"))
    lines += [".. rubric:: Definitions", ""]
    for name, spec in schema.get("$defs", {}).items():
        lines += [f".. _{_label(name)}:", "", f".. rubric:: {name}", ""]
        if spec.get("description"):
            lines += [spec["description"], ""]
        if spec.get("properties"):
            closed = spec.get("additionalProperties") is False
            lines += [f"An object with these fields{' and no others' if closed else ''}:", ""]
            lines += _table("", _properties(spec), ("field", "type", "required", "what"))
        else:
            lines += [f"Type: {_type(spec)}.", ""]
        items = spec.get("properties", {}).get("steps", {}).get("items", {})
        if isinstance(items, dict) and items.get("properties"):
            lines += ["Each step:", ""]
            lines += _table("", _properties(items), ("field", "type", "required", "what"))
    return lines


class ExportSchema(SphinxDirective):
    """``.. distill-export-schema::``: the export structure from its JSON Schema."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from distill import export

        schema = export.json_schema()
        self.env.note_dependency(str(Path(export.__file__).with_name("export.schema.json")))
        return self.parse_text_to_nodes("\n".join(export_schema_rst(schema)), allow_section_headings=False)


class PluginGroups(SphinxDirective):
    """``.. distill-plugin-groups::``: the entry-point groups and their default export kinds."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from distill import plugins

        what = {
            "distill.schemas": "a ``Schema`` or a configuration block; entry point name = schema name",
            "distill.transforms": "``f(events, ...)`` returning a new event frame",
            "distill.features": "``f(events, ...)`` returning a DataFrame, graph, result object or mapping",
        }
        rows = [
            (f"``{g}``", what[g], f"``{plugins.DEFAULT_KINDS[g]}``" if g in plugins.DEFAULT_KINDS else "")
            for g in plugins.GROUPS
        ]
        return self.parse_text_to_nodes(
            "\n".join(_table("", rows, ("entry-point group", "the object", "default export kind")))
        )


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("distill-export-schema", ExportSchema)
    app.add_directive("distill-plugin-groups", PluginGroups)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
