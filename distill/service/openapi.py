"""Write the service's OpenAPI document: ``python -m distill.service.openapi docs/api/openapi.json``.

The committed ``docs/api/openapi.json`` is checked against
:func:`distill.service.app.openapi_document` by the test suite; run this after
changing a route or a model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["render", "main"]


def render() -> str:
    """The OpenAPI document as stable, indented JSON text."""
    from distill.service.app import openapi_document

    return json.dumps(openapi_document(plugins=False), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document to the path given (stdout without one)."""
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
