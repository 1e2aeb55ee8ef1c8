"""The ``kolba`` command line, on click.

``kolba --app module:app routes`` lists the routes; ``kolba run`` serves the
app with the development server; the app's own commands
(``@app.cli.command()``) appear beside them. The app is found from ``--app``
or the ``KOLBA_APP`` environment variable: a module (``hello``), a module and
attribute (``hello:app``), a factory call (``hello:create_app()``) or a path
to a ``.py`` file.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import os
import sys
import typing as t

import click

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba

__all__ = [
    "AppGroup",
    "KolbaGroup",
    "NoAppException",
    "ScriptInfo",
    "load_app",
    "main",
    "with_appcontext",
]

_F = t.TypeVar("_F", bound=t.Callable[..., t.Any])


class NoAppException(click.UsageError):
    """The application could not be found or loaded."""


def _find_app_in_module(module: t.Any) -> Kolba:
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
            app = factory()
            if isinstance(app, Kolba):
                return app
    raise NoAppException(
        f"No Kolba application was found in {module.__name__!r}. Define 'app' "
        "(app = Kolba(__name__)) or a 'create_app()' factory, or name it with "
        f"--app '{module.__name__}:name'."
    )


def _find_app_by_string(module: t.Any, spec: str) -> Kolba:
    from .app import Kolba

    try:
        expr = ast.parse(spec.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(f"Failed to parse {spec!r} as an attribute name or call.")
    if isinstance(expr, ast.Name):
        name, args, kwargs = expr.id, [], {}
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        name = expr.func.id
        try:
            args = [ast.literal_eval(arg) for arg in expr.args]
            kwargs = {
                kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg
            }
        except ValueError:
            raise NoAppException(
                f"Failed to parse the arguments of {spec!r}: use literal values."
            )
    else:
        raise NoAppException(f"Failed to parse {spec!r} as an attribute name or call.")
    try:
        attr = getattr(module, name)
    except AttributeError:
        raise NoAppException(
            f"Failed to find attribute {name!r} in {module.__name__!r}."
        )
    app = attr(*args, **kwargs) if inspect.isfunction(attr) else attr
    if isinstance(app, Kolba):
        return app
    raise NoAppException(
        f"A valid Kolba application was not obtained from '{module.__name__}:{spec}'."
    )


def prepare_import(path: str) -> str:
    """Put the folder of a module path on ``sys.path``; return the module name."""
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


def load_app(import_name: str) -> Kolba:
    """Import an app: ``module``, ``module:name``, ``module:factory()`` or a path."""
    module_part, sep, attr = import_name.partition(":")
    if module_part.endswith(".py") or os.sep in module_part:
        module_part = prepare_import(module_part)
    elif os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_part)
    except ImportError as exc:
        if sys.exc_info()[2] is not None and exc.name == module_part:
            raise NoAppException(
                f"Could not import {module_part!r}. Check the module name and that "
                "you are in the right folder (or pass a path to the .py file)."
            ) from None
        raise
    if sep:
        return _find_app_by_string(module, attr)
    return _find_app_in_module(module)


class ScriptInfo:
    """What the CLI knows about the app to load; passed as the click ``obj``."""

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
        self._loaded_app: Kolba | None = None

    def load_app(self) -> Kolba:
        """Load (once) and return the app."""
        if self._loaded_app is not None:
            return self._loaded_app
        if self.create_app is not None:
            app = self.create_app()
        else:
            path = self.app_import_path or os.environ.get("KOLBA_APP")
            if path:
                app = load_app(path)
            else:
                for candidate in ("wsgi.py", "app.py"):
                    if os.path.exists(candidate):
                        app = load_app(candidate)
                        break
                else:
                    raise NoAppException(
                        "Could not locate a Kolba application. Use 'kolba --app "
                        "module:app', set KOLBA_APP, or run from a folder with "
                        "app.py or wsgi.py."
                    )
        if self.set_debug_flag and os.environ.get("KOLBA_DEBUG"):
            app.debug = os.environ["KOLBA_DEBUG"].lower() not in {"0", "false", "no"}
        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: _F) -> _F:
    """Run the decorated command inside the app's application context."""

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
    """A click group whose commands run in the app context by default."""

    def command(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        wrap_for_ctx = kwargs.pop("with_appcontext", True)

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap_for_ctx:
                f = with_appcontext(f)
            command: click.Command = click.Group.command(self, *args, **kwargs)(f)
            return command

        return decorator

    def group(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)


def _set_app(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def _set_debug(
    ctx: click.Context, param: click.Parameter, value: bool | None
) -> bool | None:
    if value is not None:
        os.environ["KOLBA_DEBUG"] = "1" if value else "0"
    return value


class KolbaGroup(AppGroup):
    """The ``kolba`` command: built-in commands plus the app's own."""

    def __init__(self, **kwargs: t.Any) -> None:
        params = list(kwargs.pop("params", None) or ())
        params.extend(
            [
                click.Option(
                    ["-A", "--app"],
                    metavar="IMPORT",
                    help="The app: 'module:name', 'module:create_app()' or a path.",
                    is_eager=True,
                    expose_value=False,
                    callback=_set_app,
                ),
                click.Option(
                    ["--debug/--no-debug"],
                    default=None,
                    help="Set debug mode.",
                    expose_value=False,
                    callback=_set_debug,
                ),
            ]
        )
        super().__init__(params=params, **kwargs)
        self.add_command(run_command)
        self.add_command(routes_command)
        self.add_command(shell_command)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        rv = super().get_command(ctx, name)
        if rv is not None:
            return rv
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as exc:
            click.secho(f"Error: {exc.format_message()}\n", err=True, fg="red")
            return None
        return app.cli.get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        rv = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            rv.update(info.load_app().cli.list_commands(ctx))
        except NoAppException:
            pass
        return sorted(rv)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        os.environ["KOLBA_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo()
        return super().make_context(info_name, args, parent=parent, **extra)


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
    "--reload/--no-reload",
    default=None,
    help="Restart when code changes (default: on in debug).",
)
@pass_script_info
def run_command(info: ScriptInfo, host: str, port: int, reload: bool | None) -> None:
    """Serve the app with the development server. Not for production."""
    app = info.load_app()
    from .serving import run_simple

    use_reloader = app.debug if reload is None else reload
    run_simple(host, port, app, use_reloader=use_reloader, threaded=True)


@click.command("routes", short_help="Show the routes of the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "rule", "match")),
    default="endpoint",
    show_default=True,
    help="How to order the routes ('match' is the matching order).",
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

    def methods_of(rule: t.Any) -> str:
        return ", ".join(sorted(set(rule.methods or ()) - ignored))

    if sort == "endpoint":
        rules.sort(key=lambda r: r.endpoint)
    elif sort == "methods":
        rules.sort(key=methods_of)
    elif sort == "rule":
        rules.sort(key=lambda r: r.rule)
    rows = [("Endpoint", "Methods", "Rule")] + [
        (rule.endpoint, methods_of(rule), rule.rule) for rule in rules
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    fmt = "  ".join(f"{{:<{width}}}" for width in widths)
    click.echo(fmt.format(*rows[0]).rstrip())
    click.echo(fmt.format(*("-" * w for w in widths)))
    for row in rows[1:]:
        click.echo(fmt.format(*row).rstrip())


@click.command("shell", short_help="Run a Python shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """An interactive Python shell with the app and its context loaded."""
    import code

    from .globals import current_app

    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {current_app.import_name}\nInstance: {current_app.instance_path}"
    )
    ctx: dict[str, t.Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            eval(compile(f.read(), startup, "exec"), ctx)
    ctx.update(current_app.make_shell_context())
    try:
        from IPython import start_ipython
    except ImportError:
        code.interact(banner=banner, local=ctx)
    else:
        start_ipython(argv=[], user_ns=ctx)


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
