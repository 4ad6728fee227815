"""The ``example-clicks`` schema: a product-analytics clickstream export.

Records look like this (NDJSON, one per line)::

    {"ts": "2026-01-05T10:00:00.123Z", "who": "ann", "visit": "v1", "event": "click",
     "element": "button#buy", "url": "https://shop.example/cart", "props": {"plan": "pro"}}

A schema is configuration, not code: this block is what the entry point
``distill.schemas: example-clicks`` loads. Its ``name`` must equal the entry
point name.

Examples
--------
>>> from distill.plugins import check
>>> check("distill.schemas", SCHEMA, name="example-clicks").roles["user"].fields
('who',)
"""

from typing import Any

__all__ = ["SCHEMA"]

SCHEMA: dict[str, Any] = {
    "name": "example-clicks",
    "description": "Product-analytics clickstream export (ts, who, visit, event, element, url, props).",
    "roles": {
        "time": {"fields": ["ts"], "parser": "iso8601"},
        "user": "who",
        "session": "visit",
        "type": {"fields": ["event"], "required": True},
        "target": "element",
        "page_url": "url",
        "details": "props",
        "plan": {"fields": ["props.plan"], "kind": "category", "description": "The customer's plan."},
    },
}
