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
    """The OpenAPI document as stable, indented JSON text.

    Returns
    -------
    str
        :func:`distill.service.app.openapi_document` without plugin routes
        (they depend on what is installed), indented by two spaces, non-ASCII
        kept, ending with a newline: the text committed as
        ``docs/api/openapi.json``.

    Examples
    --------
    >>> import json
    >>> from distill.service.app import openapi_document
    >>> text = render()
    >>> json.loads(text) == openapi_document(plugins=False), text.splitlines()[-1]
    (True, '}')
    """
    from distill.service.app import openapi_document

    return json.dumps(openapi_document(plugins=False), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document to the path given (stdout without one).

    ``python -m distill.service.openapi docs/api/openapi.json`` calls it.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``): the path to write, UTF-8,
        replacing the file; none writes to stdout.

    Returns
    -------
    int
        The exit status, 0.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "openapi.json"
    >>> main([str(path)]), path.read_text(encoding="utf-8") == render()
    (0, True)
    """
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
