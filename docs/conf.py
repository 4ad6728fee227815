"""Sphinx configuration for Distill's documentation."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import distill  # noqa: E402

project = "Distill"
author = "Distill developers"
copyright = "2026, Distill developers (Apache License 2.0)"
release = distill.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "sphinx_copybutton",
    "distill_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "jupyter_execute"]
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(pandas|pd|np|numpy|nx|networkx|pa|pyarrow|msgspec)\..*"),
    (r"py:class", r"(optional|callable|iterable|mapping|path|sequence|object|dtype|default .*)"),
    (r"py:class", r"(array-like|DataFrame|Series|Timestamp|Timedelta|DiGraph|Path|PathLike)"),
    (r"py:class", r"(str|int|float|bool|dict|list|tuple|set|None|bytes)( or .*|, .*)?"),
    (r"py:class", r"(of|to|str to int|str to str)"),
    (r"py:class", r"distill\..*\._.*"),
]

autosummary_generate = True
autosummary_imported_members = True
autosummary_ignore_module_all = False
autodoc_default_options = {"members": True, "inherited-members": False, "show-inheritance": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

intersphinx_mapping = {}  # offline builds: no inventories are fetched

myst_enable_extensions = ["colon_fence", "deflist"]
nb_execution_mode = os.environ.get("DISTILL_DOCS_EXECUTE", "cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_cache_path = str(ROOT / "docs" / "_build" / ".jupyter_cache")
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]

html_theme = "pydata_sphinx_theme"
html_title = f"Distill {release}"
html_static_path = ["_static"]
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
