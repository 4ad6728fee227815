"""The documentation can be trusted: every public name is in the API reference and documented.

- Every name in ``distill.__all__`` and in each public module's ``__all__`` is listed in the API
  reference that autosummary generates (the same stubs ``make docs`` builds, generated here with
  ``sphinx-autogen -i -a``, the options ``docs/conf.py`` sets).
- Each has a numpydoc docstring (read with numpydoc's own parser) with Parameters, Returns and
  Examples; classes Parameters or Attributes, and Examples. Exception classes and constants need a
  summary only; :data:`EXEMPT` lists the few other names that do, with the reason.
- The Markdown sources link only to files that exist.

``make docs`` (part of ``make test``) builds the HTML with warnings as errors, which catches broken
cross-references and failing examples on the pages.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import pkgutil
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from numpydoc.docscrape import ClassDoc, FunctionDoc

import distill

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: Modules not checked yet, neither for being in the API reference nor for their docstring
#: sections. The lead empties this set; then every public module is checked. To see what each
#: still lacks: ``DISTILL_DOCS_CHECK_ALL=1 .venv/bin/pytest tests/test_docs.py -q``.
MODULES_STILL_TO_CHECK: frozenset[str] = frozenset({})

#: Modules that are importable without a leading underscore but are not part of the Python API: left
#: out of the API reference and of these checks (with their submodules), and why. Renaming them would
#: touch every router, the app, the tests and CONTRIBUTING for no reader's gain.
INTERNAL_MODULES: dict[str, str] = {
    "distill.service.models": "the REST API's pydantic request and response models: the HTTP contract they "
    "describe is the OpenAPI document (docs/api/openapi.json, GET /v1/openapi.json) and the export format "
    "page; only the service's routers and its tests use the classes",
    "distill.service.routers": "the FastAPI routers that distill.service.app.create_app mounts: every route is "
    "documented in the OpenAPI document and docs/guide/service.md; only the app imports them",
}

#: Public names exempt from the rules, and why. Exception classes and constants (data with a
#: ``#:`` comment) need only a summary by their kind and need no entry here.
EXEMPT: dict[str, str] = {
    "distill.__version__": "the version string (autosummary lists no dunder names; it is in the page title)",
}


# -- what is public -----------------------------------------------------------------------------------
def _public_modules() -> list[str]:
    names = ["distill"]
    for info in pkgutil.walk_packages(distill.__path__, "distill."):
        internal = any(info.name == m or info.name.startswith(m + ".") for m in INTERNAL_MODULES)
        if not internal and not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


PUBLIC_MODULES = _public_modules()
CHECKED_MODULES = [
    m for m in PUBLIC_MODULES if m not in MODULES_STILL_TO_CHECK or os.environ.get("DISTILL_DOCS_CHECK_ALL")
]


def _import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:  # an optional extra that is not installed
        return None


def _home(obj: Any) -> str | None:
    """The module a function or class is defined in (None for data)."""
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return getattr(obj, "__module__", None)
    return None


# -- the API reference, as autosummary generates it ----------------------------------------------------
@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Module page -> names its autosummary tables list (``sphinx-autogen -i -a docs/api/index.rst``)."""
    from sphinx.ext.autosummary.generate import main as autogen

    out = tmp_path_factory.mktemp("autosummary")
    saved = list(sys.argv)
    try:
        autogen(["-i", "-a", "-o", str(out), str(DOCS / "api" / "index.rst")])
    finally:
        sys.argv[:] = saved
    pages: dict[str, set[str]] = {}
    for page in out.glob("*.rst"):
        listed: set[str] = set()
        in_table = False
        for line in page.read_text(encoding="utf-8-sig").splitlines():
            if line.strip().startswith(".. autosummary::"):
                in_table = True
            elif in_table and line.strip() and not line.strip().startswith(":"):
                if line.startswith(("   ", "\t")) and re.fullmatch(r"\s+[\w.]+", line):
                    listed.add(line.strip())
                elif not line.startswith(" ") or line.strip().startswith(".. "):
                    in_table = False
        pages[page.stem] = listed
    return pages


def _listed(pages: dict[str, set[str]], module: str, name: str, obj: Any) -> bool:
    if inspect.ismodule(obj):
        return obj.__name__ in pages
    if name in pages.get(module, ()):
        return True
    home = _home(obj)
    if home and name in pages.get(home, ()):
        return True
    # data re-exported from another public module (``distill.Q`` is documented in distill.query)
    for other in PUBLIC_MODULES:
        mod = sys.modules.get(other)
        exported = mod is not None and name in getattr(mod, "__all__", ()) and getattr(mod, name, None) is obj
        if exported and name in pages.get(other, ()):
            return True
    return False


# -- docstring rules ----------------------------------------------------------------------------------
def _attr_docs(name: str, obj: Any) -> str:
    """The ``#:`` comment of a module-level constant, in any public module that exports it."""
    from sphinx.pycode import ModuleAnalyzer

    for module in PUBLIC_MODULES:
        mod = sys.modules.get(module)
        if mod is None or getattr(mod, name, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(module).find_attr_docs()
        except Exception:
            continue
        text = " ".join(docs.get(("", name), [])).strip()
        if text:
            return text
    return ""


def _documented(entries: list[Any]) -> list[Any]:
    return [e for e in entries if any(line.strip() for line in e.desc)]


def _signature_params(obj: Any) -> list[inspect.Parameter]:
    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return []
    return [p for p in params if p.name not in ("self", "cls")]


def _returns_nothing(obj: Any) -> bool:
    try:
        annotation = inspect.signature(obj).return_annotation
    except (TypeError, ValueError):
        return False
    return annotation in (None, "None", type(None))


def problems_of(qualname: str, obj: Any) -> list[str]:
    """What the docstring of one public object lacks (empty when it is complete).

    Parameters
    ----------
    qualname : str
        ``module.name``, for messages and :data:`EXEMPT`.
    obj : object
        The object.

    Returns
    -------
    list of str
        One entry per missing part.
    """
    if inspect.ismodule(obj):
        return [] if (obj.__doc__ or "").strip() else ["no module docstring"]
    if qualname in EXEMPT:
        return []
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return [] if (inspect.getdoc(obj) or "").strip() else ["exception class without a docstring"]
    if not inspect.isclass(obj) and not inspect.isroutine(obj):  # data, including callable instances
        return [] if _attr_docs(qualname.rsplit(".", 1)[1], obj) else ["constant without a '#:' comment"]
    found: list[str] = []
    if inspect.isclass(obj):
        doc = ClassDoc(obj, config={"show_class_members": False})
        if not "".join(doc["Summary"]).strip():
            found.append("no summary")
        if _signature_params(obj) and not (_documented(doc["Parameters"]) or _documented(doc["Attributes"])):
            found.append("no Parameters or Attributes")
    else:
        doc = FunctionDoc(obj)
        if not "".join(doc["Summary"]).strip():
            found.append("no summary")
        if _signature_params(obj) and not _documented(doc["Parameters"]):
            found.append("no Parameters")
        if not (doc["Returns"] or doc["Yields"]) and not _returns_nothing(obj):
            found.append("no Returns")
    if not "".join(doc["Examples"]).strip():
        found.append("no Examples")
    return found


def _public_names(module: str) -> list[tuple[str, Any]]:
    mod = _import(module)
    if mod is None:
        return []
    return [(name, getattr(mod, name)) for name in getattr(mod, "__all__", [])]


# -- the tests ----------------------------------------------------------------------------------------
def test_the_lists_are_real() -> None:
    assert not (MODULES_STILL_TO_CHECK - set(PUBLIC_MODULES)), "unknown modules in MODULES_STILL_TO_CHECK"
    for module in INTERNAL_MODULES:
        assert importlib.util.find_spec(module) is not None, f"INTERNAL_MODULES names a missing module: {module}"
    for qualname in EXEMPT:
        module, name = qualname.rsplit(".", 1)
        assert name in getattr(importlib.import_module(module), "__all__", ()), f"{qualname} is not public"
    assert {"distill", "distill.datasets", "distill.errors", "distill.plugins", "distill.sources"} <= set(
        CHECKED_MODULES
    )


@pytest.mark.parametrize("module", CHECKED_MODULES)
def test_module_has_all_and_a_docstring(module: str) -> None:
    mod = _import(module)
    if mod is None:
        pytest.skip(f"{module} needs an extra that is not installed")
    assert isinstance(getattr(mod, "__all__", None), (list, tuple)), f"{module} has no __all__"
    assert (mod.__doc__ or "").strip(), f"{module} has no module docstring"


@pytest.mark.parametrize("module", CHECKED_MODULES)
def test_every_public_name_is_in_the_api_reference(module: str, reference: dict[str, set[str]]) -> None:
    if _import(module) is None:
        pytest.skip(f"{module} needs an extra that is not installed")
    assert module in reference, f"{module} has no page in the API reference: list it in docs/api/index.rst"
    missing = [
        name
        for name, obj in _public_names(module)
        if f"{module}.{name}" not in EXEMPT and not _listed(reference, module, name, obj)
    ]
    assert not missing, f"{module}: not in the API reference: {missing}"


@pytest.mark.parametrize("module", CHECKED_MODULES)
def test_every_public_name_has_parameters_returns_and_examples(module: str) -> None:
    found = {}
    for name, obj in _public_names(module):
        home = _home(obj)
        if home != module and home in MODULES_STILL_TO_CHECK and home not in CHECKED_MODULES:
            continue  # a re-export (distill.sessionize): checked with its module
        lacks = problems_of(f"{module}.{name}", obj)
        if lacks:
            found[name] = lacks
    assert not found, f"{module}: " + "; ".join(f"{n}: {', '.join(p)}" for n, p in found.items())


def test_the_checker_catches_what_is_missing() -> None:
    def bare(events: Any, by: str = "x") -> int:
        """Summary only."""
        return 1

    def complete(events: Any) -> int:
        """Summary.

        Parameters
        ----------
        events : DataFrame
            The events.

        Returns
        -------
        int
            One.

        Examples
        --------
        >>> complete(None)
        1
        """
        return 1

    class Thing:
        """A thing."""

        def __init__(self, size: int):
            self.size = size

    assert problems_of("x.bare", bare) == ["no Parameters", "no Returns", "no Examples"]
    assert problems_of("x.complete", complete) == []
    assert problems_of("x.Thing", Thing) == ["no Parameters or Attributes", "no Examples"]
    assert problems_of("x.Error", type("Error", (ValueError,), {"__doc__": "Bad."})) == []
    assert problems_of("x.NOT_DOCUMENTED", object()) == ["constant without a '#:' comment"]
    assert problems_of("distill.query.Q", distill.query.Q) == []  # has a '#:' comment


# -- links in the Markdown sources --------------------------------------------------------------------
_MD_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_DOC_ROLE = re.compile(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`")
_INCLUDE = re.compile(r"^```\{(?:literalinclude|include)\}\s+(\S+)", re.M)


def _sources() -> list[Path]:
    skip = {"_build", "generated", "jupyter_execute"}
    return [p for p in DOCS.rglob("*.md") if not skip & set(p.relative_to(DOCS).parts)]


def _doc_exists(base: Path, target: str) -> bool:
    path = (DOCS / target.lstrip("/")) if target.startswith("/") else (base / target)
    return any(path.with_suffix(s).exists() or Path(f"{path}{s}").exists() for s in (".md", ".rst", ".ipynb"))


def _broken_links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    broken = []
    for target in _MD_LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#", target):  # URLs and anchors on the page
            continue
        file = target.split("#", 1)[0]
        if file and not (page.parent / file).exists():
            broken.append(target)
    broken += [t for t in _DOC_ROLE.findall(text) if not _doc_exists(page.parent, t.strip())]
    broken += [t for t in _INCLUDE.findall(text) if not (page.parent / t).exists()]
    return broken


@pytest.mark.parametrize("page", _sources(), ids=lambda p: str(p.relative_to(DOCS)))
def test_markdown_links_and_includes_resolve(page: Path) -> None:
    broken = _broken_links(page)
    assert not broken, f"{page.relative_to(DOCS)}: links to missing files: {broken}"


def test_the_link_checker_finds_broken_links(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("# There\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md) [ok](there.md#top) [web](https://example.org/x.md) [anchor](#here)\n"
        "[gone](missing.md#x) {doc}`there` {doc}`text <there>` {doc}`nowhere` {doc}`Text <gone/away>`\n"
        "```{literalinclude} there.md\n```\n```{include} ../nope.md\n```\n"
    )
    assert _broken_links(page) == ["missing.md#x", "nowhere", "gone/away", "../nope.md"]


def test_the_reference_is_read_from_autosummary(reference: dict[str, set[str]]) -> None:
    assert {"apply", "Q", "Query", "QueryError"} <= reference["distill.query"]
    assert {"read", "Schema", "DistillError"} <= reference["distill"]
    assert _listed(reference, "distill", "Q", distill.Q)  # data re-exported: documented in distill.query
    assert not _listed(reference, "distill.query", "no_such_name", object())


# -- the generated export-format page -----------------------------------------------------------------
def test_export_format_page_covers_every_definition_and_kind() -> None:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from distill_docs import export_schema_rst
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    schema = distill.export.json_schema()
    text = "\n".join(export_schema_rst(schema))
    for name in schema["$defs"]:
        assert f".. _export-def-{name}:" in text and f".. rubric:: {name}" in text
    for rule in schema["allOf"]:
        kind = rule["if"]["properties"]["kind"]
        for value in [kind["const"]] if "const" in kind else kind["enum"]:
            assert f"``{value}``" in text
    for key in schema["properties"]:
        assert f"``{key}``" in text
