"""The ``kolba`` command line, on click.

``kolba --app module:app routes`` lists the routes; ``kolba run`` serves the
app with the development server; ``kolba shell`` opens a Python shell in the
app context; the app's own commands (``@app.cli.command()``) and blueprint
commands appear beside them.

The app is found from ``--app`` or the ``KOLBA_APP`` environment variable: a
module (``hello``), a module and attribute (``hello:app``), a factory call
with literal arguments (``hello:create_app('dev')``) or a path to a ``.py``
file. Without either, ``wsgi.py`` or ``app.py`` in the current folder.

Environment files: with python-dotenv installed (``pip install
'kolba[dotenv]'``), the nearest ``.kolbaenv`` and ``.env`` files (searched from
the current folder upwards) set environment variables before the app loads;
``--env-file PATH`` adds one more, with precedence over both. Variables already
set in the environment always win. ``KOLBA_SKIP_DOTENV=1`` turns this off.
"""

from __future__ import annotations

import ast
import errno
import functools
import importlib
import importlib.metadata
import inspect
import os
import platform
import re
import sys
import traceback
import typing as t

import click

if t.TYPE_CHECKING:  # pragma: no cover
    import ssl

    from .app import Kolba
    from .typing import StartResponse, WSGIEnvironment

__all__ = [
    "AppGroup",
    "CertParamType",
    "KolbaGroup",
    "NoAppException",
    "ScriptInfo",
    "SeparatedPathType",
    "cli",
    "find_app_by_string",
    "find_best_app",
    "get_version",
    "load_app",
    "load_dotenv",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "routes_command",
    "run_command",
    "shell_command",
    "show_server_banner",
    "version_option",
    "with_appcontext",
]

_F = t.TypeVar("_F", bound=t.Callable[..., t.Any])

_DOTENV_HINT = "Install it with: pip install 'kolba[dotenv]' (python-dotenv)."


class NoAppException(click.UsageError):
    """The application could not be found or loaded."""


def _is_false(value: str) -> bool:
    return value.strip().lower() in {"", "0", "false", "no", "off"}


def _get_debug_flag() -> bool:
    return not _is_false(os.environ.get("KOLBA_DEBUG", ""))


def _get_load_dotenv(default: bool = True) -> bool:
    value = os.environ.get("KOLBA_SKIP_DOTENV")
    if value is None:
        return default
    return _is_false(value)


# -- finding the app ------------------------------------------------------------


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
    from .app import Kolba

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
    from .app import Kolba

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


# -- dotenv ---------------------------------------------------------------------


def load_dotenv(
    path: str | os.PathLike[str] | None = None, load_defaults: bool = True
) -> bool:
    """Load ``.kolbaenv``, ``.env`` and ``path`` into ``os.environ``.

    The default files are the nearest ones, searched from the current folder
    upwards. Precedence: ``path`` over ``.env`` over ``.kolbaenv``; variables
    already in the environment are never overwritten. Without python-dotenv,
    nothing is loaded and a tip is printed if such files exist.

    :param path: one more file to load, with the highest precedence.
    :param load_defaults: search for and load ``.kolbaenv`` and ``.env``.
    :return: whether at least one variable was read.
    """
    try:
        import dotenv
    except ImportError:
        if path or os.path.isfile(".env") or os.path.isfile(".kolbaenv"):
            click.secho(
                " * Tip: there are .env files present, but python-dotenv is not "
                f"installed, so they were not loaded. {_DOTENV_HINT}",
                fg="yellow",
                err=True,
            )
        return False
    data: dict[str, str | None] = {}
    if load_defaults:
        for name in (".kolbaenv", ".env"):
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                data |= dotenv.dotenv_values(found, encoding="utf-8")
    if path is not None and os.path.isfile(path):
        data |= dotenv.dotenv_values(path, encoding="utf-8")
    for key, value in data.items():
        if key not in os.environ and value is not None:
            os.environ[key] = value
    return bool(data)


# -- the script info and app context ---------------------------------------------


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


def with_appcontext(f: _F) -> _F:
    """Run the decorated command inside the app's application context.

    Commands registered with ``app.cli.command()`` get it already; use this
    on commands added to the ``kolba`` group some other way.
    """

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        from .globals import _cv_app

        if _cv_app.get(None) is None:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    # cast: update_wrapper returns decorator, which takes f's arguments.
    return t.cast(_F, functools.update_wrapper(decorator, f))


class AppGroup(click.Group):
    """A click group whose commands run in the app context by default.

    ``command(..., with_appcontext=False)`` opts a command out.
    """

    def command(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Like :meth:`click.Group.command`, wrapped in :func:`with_appcontext`."""
        wrap_for_ctx = kwargs.pop("with_appcontext", True)

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap_for_ctx:
                f = with_appcontext(f)
            command: click.Command = click.Group.command(self, *args, **kwargs)(f)
            return command

        return decorator

    def group(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Like :meth:`click.Group.group`; the new group is an :class:`AppGroup`."""
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)


# -- the kolba group --------------------------------------------------------------


def get_version(ctx: click.Context, param: click.Parameter, value: t.Any) -> None:
    """The ``--version`` callback: print the Kolba and Python versions."""
    if not value or ctx.resilient_parsing:
        return
    from . import __version__

    try:
        kolba_version = importlib.metadata.version("kolba")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        kolba_version = __version__
    click.echo(
        f"Python {platform.python_version()}\nKolba {kolba_version}",
        color=ctx.color,
    )
    ctx.exit()


version_option = click.Option(
    ["--version"],
    help="Show the Kolba and Python versions.",
    expose_value=False,
    callback=get_version,
    is_flag=True,
    is_eager=True,
)


def _set_app(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def _set_debug(
    ctx: click.Context, param: click.Parameter, value: bool | None
) -> bool | None:
    # The environment variable (not only the app) carries the flag, so a
    # factory reading it early, and the reloader's child, see it too.
    source = ctx.get_parameter_source(param.name) if param.name else None
    if value is None or source is click.core.ParameterSource.DEFAULT:
        return value
    os.environ["KOLBA_DEBUG"] = "1" if value else "0"
    return value


def _env_file_callback(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    try:
        import dotenv  # noqa: F401
    except ImportError:
        if value is not None:
            raise click.BadParameter(
                f"python-dotenv must be installed to load an env file. {_DOTENV_HINT}",
                ctx=ctx,
                param=param,
            ) from None
    info = ctx.ensure_object(ScriptInfo)
    if value is not None or info.load_dotenv_defaults:
        load_dotenv(value, load_defaults=info.load_dotenv_defaults)
    return value


# Eager, and first, so variables from the files are set before --app and
# --debug read theirs.
_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    help=(
        "Load environment variables from this file, over those of '.env' and "
        "'.kolbaenv'. Variables already set in the environment win. Needs "
        "python-dotenv."
    ),
    is_eager=True,
    expose_value=False,
    callback=_env_file_callback,
)

_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    help=(
        "The app: 'module', 'module:name', 'module:create_app()' or a path to "
        "a .py file. Default: KOLBA_APP, else app.py or wsgi.py."
    ),
    is_eager=True,
    expose_value=False,
    callback=_set_app,
)

_debug_option = click.Option(
    ["--debug/--no-debug"],
    default=None,
    help="Set debug mode (also KOLBA_DEBUG).",
    expose_value=False,
    callback=_set_debug,
)


class KolbaGroup(AppGroup):
    """The ``kolba`` command: built-in commands plus the app's own.

    Use it to write a project's own command-line script.

    :param add_default_commands: add ``run``, ``shell`` and ``routes``.
    :param create_app: a function returning the app (instead of ``--app``).
    :param add_version_option: add ``--version``.
    :param load_dotenv: load ``.kolbaenv`` and ``.env`` files.
    :param set_debug_flag: set the app's debug flag from ``KOLBA_DEBUG``.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., Kolba] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params: list[click.Parameter] = list(extra.pop("params", None) or ())
        params.extend((_env_file_option, _app_option, _debug_option))
        if add_version_option:
            params.append(version_option)
        extra.setdefault("context_settings", {})
        extra["context_settings"].setdefault("auto_envvar_prefix", "KOLBA")
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)
        self._loaded_plugin_commands = False

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        for entry_point in importlib.metadata.entry_points(group="kolba.commands"):
            self.add_command(entry_point.load(), entry_point.name)
        self._loaded_plugin_commands = True

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """A built-in or plugin command, else one of the app's commands."""
        self._load_plugin_commands()
        rv = super().get_command(ctx, name)
        if rv is not None:
            return rv
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as exc:
            click.secho(f"Error: {exc.format_message()}\n", err=True, fg="red")
            return None
        from .globals import _cv_app

        # App commands run in the app context, so their parameter callbacks
        # can use current_app too.
        app_ctx = _cv_app.get(None)
        if app_ctx is None or app_ctx.app is not app:
            ctx.with_resource(app.app_context())
        return app.cli.get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The built-in commands and, if the app loads, the app's."""
        self._load_plugin_commands()
        rv = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            rv.update(info.load_app().cli.list_commands(ctx))
        except NoAppException as exc:
            click.secho(f"Error: {exc.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(rv)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        """Create the context with a :class:`ScriptInfo` as its ``obj``."""
        # app.run() becomes a no-op under the CLI, so a module calling it at
        # import time does not start a second server.
        os.environ["KOLBA_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Load env files and the app early when only help is asked for."""
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            # So the help lists the app's commands too.
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


# -- run ----------------------------------------------------------------------


def show_server_banner(debug: bool, app_import_path: str | None) -> None:
    """Print which app is served and whether debug mode is on (once)."""
    from .serving import is_running_from_reloader

    if is_running_from_reloader():
        return
    if app_import_path is not None:
        click.echo(f" * Serving Kolba app '{app_import_path}'")
    click.echo(f" * Debug mode: {'on' if debug else 'off'}")


class CertParamType(click.Path):
    """The ``--cert`` option: a certificate file (PEM)."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False, resolve_path=True)

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        if isinstance(value, str) and value.lower() == "adhoc":
            self.fail(
                "Ad-hoc certificates are not supported. Create a local one with: "
                "openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem "
                "-out cert.pem -days 30 -subj /CN=localhost, then pass "
                "--cert cert.pem --key key.pem.",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


def _validate_key(ctx: click.Context, param: click.Parameter, value: t.Any) -> t.Any:
    # --cert and --key come together; the pair replaces the cert parameter.
    cert = ctx.params.get("cert")
    if value is not None:
        if not cert:
            raise click.BadParameter('"--cert" must also be given.', ctx, param)
        ctx.params["cert"] = (cert, value)
    elif cert:
        raise click.BadParameter('Required when "--cert" is given.', ctx, param)
    return value


class SeparatedPathType(click.Path):
    """Paths separated by :data:`os.pathsep` (``:``, or ``;`` on Windows)."""

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        items = self.split_envvar_value(value)
        convert = super().convert
        return [convert(item, param, ctx) for item in items]


def _load_ssl_context(cert: t.Any) -> ssl.SSLContext | None:
    if cert is None:
        return None
    import ssl

    if isinstance(cert, ssl.SSLContext):
        return cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(*cert)
    except (OSError, ssl.SSLError) as exc:
        raise click.BadParameter(
            f"Could not load the certificate {cert[0]!r} with the key {cert[1]!r}: "
            f"{exc}. Check that both are PEM files and that they match."
        ) from None
    return context


@click.command("run", short_help="Run the development server.")
@click.option(
    "--host",
    "-h",
    default="127.0.0.1",
    show_default=True,
    help="The interface to bind to.",
)
@click.option(
    "--port", "-p", default=5000, show_default=True, help="The port to bind to."
)
@click.option(
    "--cert",
    type=CertParamType(),
    help="A certificate file (PEM) to serve HTTPS; needs --key.",
    is_eager=True,
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="The private key file of --cert.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart when code or templates change (default: on in debug mode).",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    help="Show a traceback page for errors (default: on in debug mode).",
)
@click.option(
    "--with-threads/--without-threads",
    default=True,
    help="Serve each connection in its own thread.",
)
@click.option(
    "--extra-files",
    default=None,
    type=SeparatedPathType(),
    help=(
        f"More files whose change triggers a reload, separated by {os.path.pathsep!r}."
    ),
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=SeparatedPathType(),
    help=(
        "fnmatch patterns of files that never trigger a reload, separated "
        f"by {os.path.pathsep!r}."
    ),
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: t.Any,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Serve the app with the development server. Not for production.

    It lacks the robustness, security and speed of a production WSGI server
    (gunicorn -w 4 'module:app'). With --debug, the reloader and the
    traceback page are on.
    """
    from .serving import default_reloader, is_running_from_reloader, run_simple

    app: t.Any
    try:
        app = info.load_app()
    except Exception as exc:
        if not is_running_from_reloader():
            raise
        # In the reloader's server process, an edit that breaks the app must
        # not kill the server: show the error on every request until the
        # next change fixes it.
        traceback.print_exc()
        error = exc

        def app(environ: WSGIEnvironment, start_response: StartResponse) -> t.Any:
            raise error from None

    debug = (
        _get_debug_flag()
        if "KOLBA_DEBUG" in os.environ
        else bool(getattr(app, "debug", False))
    )
    use_debugger = debug if debugger is None else debugger
    if reload is None:
        use_reloader = default_reloader(debug)
    else:
        use_reloader = reload
        try:
            if reload:
                import watchfiles  # noqa: F401
        except ImportError:
            raise click.UsageError(
                "The reloader needs watchfiles, which is not installed. Install "
                "it with: pip install 'kolba[reload]', or run with --no-reload."
            ) from None
    show_server_banner(debug, info.app_import_path)
    try:
        run_simple(
            host,
            port,
            app,
            use_reloader=use_reloader,
            use_debugger=use_debugger,
            threaded=with_threads,
            ssl_context=_load_ssl_context(cert),
            extra_files=extra_files,
            exclude_patterns=exclude_patterns,
        )
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise click.ClickException(
            f"Address already in use: {host}:{port} is taken by another program. "
            "Stop it, or pick another port with --port."
        ) from None


run_command.params.insert(0, _debug_option)


# -- shell and routes -------------------------------------------------------------


@click.command("shell", short_help="Run a Python shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """An interactive Python shell with the app and its context loaded.

    The namespace holds ``app``, ``g`` and what the app's shell context
    processors add. IPython is used when it is installed.
    """
    import code

    from .globals import current_app

    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {current_app.import_name}\nInstance: {current_app.instance_path}"
    )
    namespace: dict[str, t.Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            eval(compile(f.read(), startup, "exec"), namespace)
    namespace.update(current_app.make_shell_context())
    try:
        from IPython import start_ipython
    except ImportError:
        pass
    else:
        start_ipython(argv=[], user_ns=namespace)
        return
    hook = getattr(sys, "__interactivehook__", None)
    if hook is not None and sys.stdin.isatty():
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            # Complete names from the shell's namespace, not kolba.__main__'s.
            readline.set_completer(Completer(namespace).complete)
        hook()
    code.interact(banner=banner, local=namespace)


@click.command("routes", short_help="Show the routes of the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    show_default=True,
    help="How to order the routes ('match' is the order they are matched in).",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """List every route: endpoint, methods and rule."""
    from .globals import current_app

    rules = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    ignored = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = current_app.url_map.host_matching

    def domain_of(rule: t.Any) -> str:
        value = rule.host if host_matching else rule.subdomain
        return str(value or "")

    has_domain = any(domain_of(rule) for rule in rules)
    headers = ["Endpoint", "Methods"]
    sorts = ["endpoint", "methods"]
    if has_domain:
        headers.append("Host" if host_matching else "Subdomain")
        sorts.append("domain")
    headers.append("Rule")
    sorts.append("rule")
    rows = []
    for rule in rules:
        row = [str(rule.endpoint), ", ".join(sorted(set(rule.methods or ()) - ignored))]
        if has_domain:
            row.append(domain_of(rule))
        row.append(rule.rule)
        rows.append(row)
    if sort in sorts:
        index = sorts.index(sort)
        rows.sort(key=lambda row: row[index])
    rows.insert(0, headers)
    widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]
    rows.insert(1, ["-" * width for width in widths])
    template = "  ".join(f"{{{i}:<{width}}}" for i, width in enumerate(widths))
    for row in rows:
        click.echo(template.format(*row).rstrip())


cli = KolbaGroup(
    name="kolba",
    help=(
        "A command line for Kolba applications.\n\n"
        "Name the app with --app or KOLBA_APP: a module ('hello'), a module "
        "and name ('hello:app'), a factory ('hello:create_app()'), or a path "
        "to a .py file."
    ),
)


def main() -> None:
    """Entry point of the ``kolba`` console script."""
    cli.main()


if __name__ == "__main__":  # pragma: no cover
    main()
