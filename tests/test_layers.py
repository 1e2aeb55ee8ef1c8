"""Imports point down the layer map (docs/architecture.md, "Arrows point down").

Every module under ``src/kolba`` is parsed with :mod:`ast`; every import of a
Kolba module at any depth (module level, inside functions, under ``if
TYPE_CHECKING:``) is resolved to an absolute module name and checked against
:data:`LAYERS`: a module may import its own layer and the layers below it.
Imports under ``if TYPE_CHECKING:`` may point anywhere (they never run), but
must still name a module in the map. A module missing from the map fails.
"""

from __future__ import annotations

import ast
import textwrap
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest

# -- the map: data ------------------------------------------------------------------

#: Bottom to top. ``name.*`` means the module ``name`` and everything below it.
#: A module may import modules of its own layer and of any layer below.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    # Imports nothing of Kolba at run time (kolba.typing only under
    # TYPE_CHECKING).
    # kolba._bridge (where sync and async code run) imports only greenlet and
    # asyncio.
    (
        "leaf",
        (
            "kolba.exceptions",
            "kolba._compat",
            "kolba.typing",
            "kolba._imports",
            "kolba._bridge",
        ),
    ),
    # Pure HTTP: values in, values out.
    ("sansio", ("kolba.sansio.*",)),
    # Rules, converters, the matcher: may use sansio, uses only the leaf today.
    ("routing", ("kolba.routing.*",)),
    # The WSGI binding: reads an environ into the request head and writes a
    # finalized response with start_response; the request and response
    # classes build on it, so it imports nothing of the pipeline.
    ("wsgi binding", ("kolba.wsgi",)),
    # What the request and response objects build on; nothing here reaches a
    # request or the app at run time (kolba.globals only holds the context
    # variables; kolba.json reads them lazily).
    (
        "core.base",
        (
            "kolba.globals",
            "kolba.signals",
            "kolba.config",
            "kolba.utils",
            "kolba.datastructures",
            "kolba.json.*",
            "kolba.signing",
            "kolba.logging",
            "kolba.debug",
            "kolba.middleware.*",
            "kolba.lifespan",
        ),
    ),
    ("core.wrappers", ("kolba.request", "kolba.response", "kolba.wrappers")),
    # Built on a Request or a Response.
    ("core.context", ("kolba.ctx", "kolba.sessions", "kolba.files")),
    # Helpers for views: built on the contexts.
    ("core.helpers", ("kolba.helpers", "kolba.templating", "kolba.views", "kolba.sse")),
    # The WebSocket object and its pipeline (talks through a channel that a
    # front end provides).
    ("core.websocket", ("kolba.websocket",)),
    # The pipeline and URL building: mixins of the app class.
    (
        "core.scaffold",
        ("kolba.scaffold", "kolba.blueprints", "kolba.pipeline", "kolba.urlbuilding"),
    ),
    # The ASGI front end: receives the app object and runs its pipeline; it
    # imports no app module, so app.asgi_app can build it.
    ("asgi front end", ("kolba.asgi",)),
    ("app", ("kolba.app",)),
    # The package itself: the public API re-exported from the layers below.
    ("api", ("kolba",)),
    # The dev server serves the app; it is imported only by `kolba run` and
    # app.run().
    ("dev server", ("kolba.serving.*",)),
    # `kolba run` starts the dev server, so the CLI sits above it.
    ("cli", ("kolba.cli.*", "kolba.__main__")),
    # Above the CLI, not beside the front ends: KolbaCliRunner drives the CLI
    # (it imports kolba.cli.ScriptInfo), and nothing but lazy imports in
    # app.py and request.py (see below) reaches down to it.
    ("testing", ("kolba.testing", "kolba.testing.*")),
    # Batteries: use the core as a third-party extension would; the core never
    # imports them.
    ("ext", ("kolba.ext.*",)),
]

#: Upward imports that are part of the design. Each is allowed only inside a
#: function (so ``import kolba`` does not load the upper module) and only for
#: the importing module named here.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    ("kolba.exceptions", "kolba.response"): (
        "HTTPException.get_response builds the error page as a Response "
        "(Werkzeug's API); imported on call, so kolba.exceptions stays a leaf "
        "at import time."
    ),
    ("kolba.exceptions", "kolba.helpers"): (
        "RequestRedirect.get_response answers with helpers.redirect; imported on call."
    ),
    ("kolba.app", "kolba.cli"): (
        "Flask's API: app.cli is an AppGroup and app.run() loads .env files "
        "and prints the banner like `kolba run`."
    ),
    ("kolba.app", "kolba.serving"): "Flask's API: app.run() starts the dev server.",
    ("kolba.app", "kolba.testing"): (
        "Flask's API: app.test_client(), app.test_cli_runner(), "
        "app.test_request_context()."
    ),
    ("kolba.blueprints", "kolba.cli"): "Flask's API: blueprint.cli is an AppGroup.",
}

#: Upward imports that are wrong but live in files being rewritten elsewhere;
#: listed so the test passes today, each with the fix. An entry that no longer
#: occurs fails ``test_known_violations_still_exist``: delete it.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {
    ("kolba.request", "kolba.testing"): (
        "Request.from_values imports testing.EnvironBuilder. Fix: move the "
        "environ builder below the wrappers (for example kolba/sansio or a "
        "core.base module) and re-export it from kolba.testing."
    ),
}

# -- the checker --------------------------------------------------------------------

SRC = Path(__file__).resolve().parent.parent / "src"


@dataclass(frozen=True)
class Import:
    line: int
    target: str
    type_checking: bool
    lazy: bool  # inside a function


def layer_of(module: str) -> tuple[int, str] | None:
    """The layer index and name of ``module``; the most specific entry wins."""
    best: tuple[int, int, str] | None = None
    for index, (name, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            if pattern.endswith(".*"):
                base = pattern[:-2]
                matches = module == base or module.startswith(base + ".")
                specificity = len(base)
            else:
                matches = module == pattern
                specificity = len(pattern) + 1  # exact beats a prefix
            if matches and (best is None or specificity > best[0]):
                best = (specificity, index, name)
    return None if best is None else (best[1], best[2])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def find_imports(
    source: str, module: str, is_package: bool, known: t.Collection[str]
) -> list[Import]:
    """Every import of a Kolba module in ``source``, with absolute names.

    ``from X import name`` counts as an import of ``X.name`` when that is a
    module in ``known``, else of ``X``.
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []

    def add(node: ast.stmt, target: str, type_checking: bool, lazy: bool) -> None:
        if target == "kolba" or target.startswith("kolba."):
            imp = Import(node.lineno, target, type_checking, lazy)
            if imp not in found:  # from x import a, b: one import of x
                found.append(imp)

    def visit(node: ast.AST, type_checking: bool, lazy: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(node, alias.name, type_checking, lazy)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                if node.level - 1 >= len(parts):
                    raise ValueError(f"{module}:{node.lineno}: relative import escapes")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                target = candidate if candidate in known else base
                add(node, target, type_checking, lazy)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True, lazy)
            for child in node.orelse:
                visit(child, type_checking, lazy)
            return
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            lazy = True
        for child in ast.iter_child_nodes(node):
            visit(child, type_checking, lazy)

    visit(ast.parse(source), False, False)
    return found


def _allowed(table: dict[tuple[str, str], str], importer: str, target: str) -> bool:
    return any(
        importer == src and (target == dst or target.startswith(dst + "."))
        for src, dst in table
    )


def check_module(
    source: str,
    module: str,
    is_package: bool,
    known: t.Collection[str],
    path: str = "<string>",
    allowed: dict[tuple[str, str], str] = ALLOWED_UPWARD,
    known_violations: dict[tuple[str, str], str] = KNOWN_VIOLATIONS,
) -> list[str]:
    """The problems with ``module``'s imports, one message each."""
    problems: list[str] = []
    own = layer_of(module)
    if own is None:
        return [
            f"{path}: the module {module} is not in the layer map: add it to "
            "LAYERS in tests/test_layers.py"
        ]
    for imp in find_imports(source, module, is_package, known):
        theirs = layer_of(imp.target)
        where = f"{path}:{imp.line}: {module}"
        if theirs is None:
            problems.append(
                f"{where} imports {imp.target}, which is not in the layer map: "
                "add it to LAYERS in tests/test_layers.py"
            )
            continue
        if imp.type_checking or theirs[0] <= own[0]:
            continue
        if imp.lazy and (
            _allowed(allowed, module, imp.target)
            or _allowed(known_violations, module, imp.target)
        ):
            continue
        problems.append(
            f"{where} (layer {own[1]!r}) imports {imp.target} (layer "
            f"{theirs[1]!r}), which is above it. Arrows point down: move the "
            "code, import it under TYPE_CHECKING if only types need it, or, if "
            "the upward import is by design, import it inside the function and "
            "list it in ALLOWED_UPWARD in tests/test_layers.py with the reason."
        )
    return problems


def _modules() -> dict[str, tuple[Path, bool]]:
    modules: dict[str, tuple[Path, bool]] = {}
    for path in sorted((SRC / "kolba").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules[".".join(parts)] = (path, is_package)
    return modules


# -- the tests ----------------------------------------------------------------------


def test_imports_point_down_the_layer_map() -> None:
    modules = _modules()
    assert "kolba.app" in modules  # the tree was found
    problems = []
    for module, (path, is_package) in modules.items():
        problems += check_module(
            path.read_text(encoding="utf-8"),
            module,
            is_package,
            modules,
            str(path.relative_to(SRC.parent)),
        )
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.parametrize("table", ["ALLOWED_UPWARD", "KNOWN_VIOLATIONS"])
def test_exceptions_to_the_map_still_exist(table: str) -> None:
    # A stale entry would silently allow a future upward import.
    modules = _modules()
    edges = set()
    for module, (path, is_package) in modules.items():
        for imp in find_imports(path.read_text(), module, is_package, modules):
            edges.add((module, imp.target))
    for src, dst in globals()[table]:
        assert any(
            s == src and (d == dst or d.startswith(dst + ".")) for s, d in edges
        ), f"{table} lists {src} -> {dst}, which no longer occurs: delete it"


def test_layer_names_are_unique_and_patterns_listed_once() -> None:
    names = [name for name, _ in LAYERS]
    assert len(names) == len(set(names))
    patterns = [p for _, group in LAYERS for p in group]
    assert len(patterns) == len(set(patterns))


# -- the checker checks -------------------------------------------------------------

KNOWN = {"kolba", "kolba.request", "kolba.sansio", "kolba.sansio.http", "kolba.app"}


def _check(source: str, module: str = "kolba.sansio.http", **kw: t.Any) -> list[str]:
    return check_module(
        textwrap.dedent(source), module, False, KNOWN, "sansio/http.py", **kw
    )


def test_checker_catches_an_upward_import_with_line_and_layers() -> None:
    (problem,) = _check("import re\n\nfrom ..request import Request\n")
    assert problem.startswith("sansio/http.py:3: kolba.sansio.http (layer 'sansio')")
    assert "imports kolba.request (layer 'core.wrappers')" in problem


def test_checker_catches_upward_imports_inside_functions() -> None:
    source = """
        def parse():
            if True:
                import kolba.app
            from kolba import request
    """
    problems = _check(source)
    assert len(problems) == 2
    assert "sansio/http.py:4:" in problems[0] and "kolba.app" in problems[0]
    assert "sansio/http.py:5:" in problems[1] and "kolba.request" in problems[1]


def test_checker_allows_type_checking_imports_and_downward_ones() -> None:
    source = """
        import typing as t
        from typing import TYPE_CHECKING

        from kolba.exceptions import BadRequest
        from . import http

        if t.TYPE_CHECKING:
            from ..app import Kolba
        if TYPE_CHECKING:
            from kolba.request import Request
    """
    assert _check(source) == []


def test_checker_counts_the_else_of_type_checking_as_run_time() -> None:
    source = """
        import typing as t
        if t.TYPE_CHECKING:
            pass
        else:
            from ..app import Kolba
    """
    assert len(_check(source)) == 1


def test_checker_allows_listed_upward_imports_only_lazily() -> None:
    allowed = {("kolba.sansio.http", "kolba.app"): "a test"}
    lazy = "def f():\n    from ..app import Kolba\n"
    eager = "from ..app import Kolba\n"
    assert _check(lazy, allowed=allowed) == []
    assert len(_check(eager, allowed=allowed)) == 1
    assert len(_check(lazy)) == 1


def test_checker_resolves_relative_imports_in_packages() -> None:
    known = {"kolba.sansio", "kolba.sansio.http", "kolba.request"}
    found = find_imports(
        "from . import http\nfrom .. import request\nfrom ..request import x\n",
        "kolba.sansio",
        True,
        known,
    )
    assert [i.target for i in found] == [
        "kolba.sansio.http",
        "kolba.request",
        "kolba.request",
    ]


def test_a_module_missing_from_the_map_fails_and_says_where_to_add_it() -> None:
    (problem,) = _check("", module="kolba.brand_new")
    assert "kolba.brand_new is not in the layer map" in problem
    assert "add it to LAYERS in tests/test_layers.py" in problem
    (problem,) = _check("from kolba.brand_new import x\n")
    assert "imports kolba.brand_new, which is not in the layer map" in problem


def test_layer_lookup_prefers_the_most_specific_entry() -> None:
    assert layer_of("kolba") == (LAYERS.index(("api", ("kolba",))), "api")
    assert layer_of("kolba.sansio") == layer_of("kolba.sansio.datastructures.headers")
    assert layer_of("kolba.sansiox") is None
    assert layer_of("kolba.serving.http11")[1] == "dev server"  # type: ignore[index]
