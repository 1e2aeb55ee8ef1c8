"""The built-in commands: ``run``, ``shell`` and ``routes``."""

from __future__ import annotations

import errno
import os
import sys
import traceback
import typing as t

import click

from .appgroup import with_appcontext
from .discovery import ScriptInfo, pass_script_info
from .env import _get_debug_flag
from .options import _debug_option

if t.TYPE_CHECKING:  # pragma: no cover
    import ssl

    from ..typing import StartResponse, WSGIEnvironment


def show_server_banner(debug: bool, app_import_path: str | None) -> None:
    """Print which app is served and whether debug mode is on (once)."""
    from ..serving import is_running_from_reloader

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


class _BrokenApp:
    """Served by the reloader's child while an edit keeps the app from loading.

    Every request (WSGI, or HTTP over ASGI) raises the load error, so the
    debug page or the server's log shows it until the next change fixes it.
    It has no routes, so unless ``--asgi`` is given the WSGI server serves it.
    """

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Any:
        raise self.error from None

    async def asgi_app(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
        if scope["type"] == "lifespan":
            # Nothing to start or stop: let the server start, to show the error.
            await receive()  # lifespan.startup
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            await send({"type": "lifespan.shutdown.complete"})
            return
        raise self.error from None


@click.command("run", short_help="Run the development server.")
@click.option(
    "--host",
    "-h",
    default="127.0.0.1",
    show_default=True,
    help="The interface to bind to (both servers).",
)
@click.option(
    "--port", "-p", default=5000, show_default=True, help="The port to bind to."
)
@click.option(
    "--cert",
    type=CertParamType(),
    help="A certificate file (PEM) to serve HTTPS (and WSS); needs --key.",
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
    "--asgi/--wsgi",
    "asgi",
    default=None,
    help=(
        "Serve over ASGI with uvicorn (HTTP and WebSocket routes), or with the "
        "WSGI development server (a WebSocket handshake is refused). Default: "
        "ASGI when the app has WebSocket routes, else WSGI. ASGI needs: pip "
        "install 'kolba[asgi]'; without it, an app with WebSocket routes is "
        "served over WSGI, with a warning."
    ),
)
@click.option(
    "--with-threads/--without-threads",
    default=True,
    help=(
        "Serve each connection in its own thread. WSGI only: under ASGI, "
        "uvicorn runs one event loop and sync views run in a thread pool "
        "(ASGI_MAX_THREADS)."
    ),
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
    asgi: bool | None,
    with_threads: bool,
    cert: t.Any,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Serve the app with the development server. Not for production.

    It lacks the robustness, security and speed of a production server
    (gunicorn -w 4 'module:app', or uvicorn 'module:app.asgi_app' for
    WebSockets). With --debug, the reloader and the traceback page are on.

    An app with WebSocket routes is served over ASGI with uvicorn, HTTP and
    WebSocket on the same port; other apps with Kolba's WSGI server. --asgi
    and --wsgi force either. The reloader and the traceback page work with
    both; --without-threads applies to WSGI only.
    """
    from ..serving import default_reloader, is_running_from_reloader, run_simple
    from ..serving.asgi_server import INSTALL_HINT, missing_asgi_package

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
        app = _BrokenApp(exc)

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
    if asgi:
        missing = missing_asgi_package()
        if missing is not None:
            raise click.UsageError(
                f"--asgi needs {missing}, which is not installed. Install it "
                f"with: {INSTALL_HINT}, or run with --wsgi."
            )
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
            asgi=asgi,
        )
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise click.ClickException(
            f"Address already in use: {host}:{port} is taken by another program. "
            "Stop it, or pick another port with --port."
        ) from None


run_command.params.insert(0, _debug_option)


@click.command("shell", short_help="Run a Python shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """An interactive Python shell with the app and its context loaded.

    The namespace holds ``app``, ``g`` and what the app's shell context
    processors add. IPython is used when it is installed.
    """
    import code

    from ..globals import current_app

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
    """List every route: endpoint, methods and rule.

    A WebSocket route's method is WEBSOCKET.
    """
    from ..globals import current_app

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
