"""Finding the app: ``--app``/``KOLBA_APP`` import strings, factories, and the
:class:`ScriptInfo` that carries what the CLI knows about the app."""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
import traceback
import typing as t

import click

from .env import _get_debug_flag, _get_load_dotenv

if t.TYPE_CHECKING:  # pragma: no cover
    from ..app import Kolba


class NoAppException(click.UsageError):
    """The application could not be found or loaded."""


def _called_with_wrong_args(f: t.Callable[..., t.Any]) -> bool:
    # Whether the TypeError being handled came from calling ``f`` itself
    # (wrong arguments) rather than from inside it.
    tb = sys.exc_info()[2]
    try:
        while tb is not None:
            if tb.tb_frame.f_code is getattr(f, "__code__", None):
                return False  # the error was raised inside the factory
            tb = tb.tb_next
        return True
    finally:
        del tb


def find_best_app(module: t.Any) -> Kolba:
    """Find the app in ``module``: ``app``/``application``, the only app, or a
    ``create_app``/``make_app`` factory called without arguments.

    :raises NoAppException: if none or several are found.
    """
    from ..app import Kolba

    for name in ("app", "application"):
        obj = getattr(module, name, None)
        if isinstance(obj, Kolba):
            return obj
    matches = [value for value in vars(module).values() if isinstance(value, Kolba)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise NoAppException(
            f"Several Kolba applications were found in {module.__name__!r}. Name "
            f"the one to use: --app '{module.__name__}:name'."
        )
    for name in ("create_app", "make_app"):
        factory = getattr(module, name, None)
        if inspect.isfunction(factory):
            try:
                app = factory()
            except TypeError as exc:
                if not _called_with_wrong_args(factory):
                    raise
                raise NoAppException(
                    f"Found the factory {name!r} in {module.__name__!r}, but it "
                    "could not be called without arguments. Pass them: --app "
                    f"'{module.__name__}:{name}(args)'."
                ) from exc
            if isinstance(app, Kolba):
                return app
    raise NoAppException(
        f"No Kolba application was found in {module.__name__!r}. Define 'app' "
        "(app = Kolba(__name__)) or a 'create_app()' factory, or name it with "
        f"--app '{module.__name__}:name'."
    )


def find_app_by_string(module: t.Any, app_name: str) -> Kolba:
    """Find the app named by ``app_name`` in ``module``.

    ``app_name`` is an attribute (``app``) or a call of one with literal
    arguments (``create_app('dev', debug=True)``). Nothing else is evaluated.

    :raises NoAppException: if it cannot be parsed, found or called.
    """
    from ..app import Kolba

    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(
            f"Failed to parse {app_name!r} as an attribute name or function call."
        ) from None
    if isinstance(expr, ast.Name):
        name, args, kwargs = expr.id, [], {}
        is_call = False
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        name, is_call = expr.func.id, True
        try:
            args = [ast.literal_eval(arg) for arg in expr.args]
            kwargs = {
                kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg
            }
        except ValueError:
            # SECURITY: arguments are literals only, never evaluated code.
            raise NoAppException(
                f"Failed to parse the arguments of {app_name!r}: only literal "
                "values (strings, numbers, lists …) are allowed."
            ) from None
    else:
        raise NoAppException(
            f"Failed to parse {app_name!r} as an attribute name or function call."
        )
    try:
        attr = getattr(module, name)
    except AttributeError:
        raise NoAppException(
            f"Failed to find attribute {name!r} in {module.__name__!r}."
        ) from None
    if inspect.isfunction(attr):
        try:
            app = attr(*args, **kwargs)
        except TypeError as exc:
            if not _called_with_wrong_args(attr):
                raise
            raise NoAppException(
                f"The factory {app_name!r} in module {module.__name__!r} could "
                "not be called with the given arguments."
            ) from exc
    elif is_call:
        raise NoAppException(
            f"{name!r} in {module.__name__!r} is not a function, so it cannot be "
            f"called. Use --app '{module.__name__}:{name}'."
        )
    else:
        app = attr
    if isinstance(app, Kolba):
        return app
    raise NoAppException(
        "A valid Kolba application was not obtained from "
        f"'{module.__name__}:{app_name}' (got {type(app).__name__})."
    )


def prepare_import(path: str) -> str:
    """Put the folder of a module path on ``sys.path``; return the module name.

    Walks up through packages (folders with ``__init__.py``), so
    ``src/pkg/app.py`` becomes ``pkg.app`` with ``src`` on the path.
    """
    path = os.path.realpath(path)
    fname, ext = os.path.splitext(path)
    if ext == ".py":
        path = fname
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    module_name = []
    while True:
        path, name = os.path.split(path)
        module_name.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(module_name))


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> Kolba: ...


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[False] = ...
) -> Kolba | None: ...


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> Kolba | None:
    """Import ``module_name`` and find the app in it (see :func:`load_app`)."""
    try:
        __import__(module_name)
    except ImportError:
        # An ImportError raised while running the module is a real error in
        # it; only a missing module itself means "not found".
        tb = sys.exc_info()[2]
        if (
            tb is not None
            and tb.tb_next is not None
            and _import_failed_inside(module_name)
        ):
            raise NoAppException(
                f"While importing {module_name!r}, an ImportError was raised:"
                f"\n\n{traceback.format_exc()}"
            ) from None
        if raise_if_not_found:
            raise NoAppException(
                f"Could not import {module_name!r}. Check the module name and that "
                "you are in the right folder (or pass a path to the .py file)."
            ) from None
        return None
    module = sys.modules[module_name]
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def _import_failed_inside(module_name: str) -> bool:
    exc = sys.exc_info()[1]
    name = getattr(exc, "name", None)
    # ModuleNotFoundError names the missing module: the module itself or one
    # of its parent packages means "not found"; anything else failed inside.
    if isinstance(exc, ModuleNotFoundError) and name is not None:
        parts = module_name.split(".")
        return name not in {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return True


def load_app(import_name: str) -> Kolba:
    """Import an app: ``module``, ``module:name``, ``module:factory()`` or a path.

    :raises NoAppException: with what failed and how to fix it.
    """
    # The colon separates module and app, except in a Windows drive
    # ("C:\\app.py") or a URL-like path.
    parts = re.split(r":(?![\\/])", import_name, maxsplit=1)
    path = parts[0]
    app_name = parts[1] if len(parts) > 1 else ""
    if path.endswith(".py") or os.sep in path or (os.altsep and os.altsep in path):
        module_name = prepare_import(path)
    else:
        module_name = path
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.insert(0, os.getcwd())
    return locate_app(module_name, app_name or None)


class ScriptInfo:
    """What the CLI knows about the app to load; passed as the click ``obj``.

    :param app_import_path: the ``--app`` value.
    :param create_app: a function returning the app; wins over the path.
    :param set_debug_flag: set ``app.debug`` from ``KOLBA_DEBUG`` when it is set.
    :param load_dotenv_defaults: load ``.kolbaenv``/``.env`` files.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., Kolba] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.data: dict[t.Any, t.Any] = {}
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = _get_load_dotenv(load_dotenv_defaults)
        self._loaded_app: Kolba | None = None

    def load_app(self) -> Kolba:
        """Load (once) and return the app."""
        if self._loaded_app is not None:
            return self._loaded_app
        app: Kolba | None = None
        if self.create_app is not None:
            app = self.create_app()
        else:
            path = self.app_import_path or os.environ.get("KOLBA_APP")
            if path:
                app = load_app(path)
            else:
                for candidate in ("wsgi.py", "app.py"):
                    if os.path.exists(candidate):
                        app = locate_app(prepare_import(candidate), None, False)
                        if app is not None:
                            break
        if app is None:
            raise NoAppException(
                "Could not locate a Kolba application. Use 'kolba --app "
                "module:app', set KOLBA_APP, or run from a folder with app.py "
                "or wsgi.py."
            )
        if self.set_debug_flag and "KOLBA_DEBUG" in os.environ:
            app.debug = _get_debug_flag()
        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)
