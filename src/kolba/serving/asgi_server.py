"""The development server over ASGI: uvicorn serving ``app.asgi_app``.

How this file works: the WSGI server of :mod:`.http11` cannot carry a
WebSocket, so when the app has WebSocket routes (rules whose methods include
``WEBSOCKET``) :func:`run_simple` serves ``app.asgi_app`` with uvicorn
instead (:func:`choose_asgi` decides; ``asgi=True``/``False`` forces either).
uvicorn is an optional dependency (``pip install 'kolba[asgi]'``); without it
an app with WebSocket routes gets a warning and the WSGI server.

Everything around the protocol stays Kolba's: the socket is bound here (or,
under the reloader, inherited from the watching process, which binds it once
and replaces the serving child on a change — uvicorn's own reloader is not
used), the banner and the shutdown message are the dev server's, and in debug
mode :class:`ASGIDebugTraceback` answers an unhandled exception in an HTTP
request with :func:`kolba.debug.render_traceback`'s page, as
:class:`kolba.debug.DebugTraceback` does for WSGI. uvicorn serves HTTP and
WebSocket connections on the same port; its lifecycle messages are filtered
out; its access log and WebSocket handshake lines are kept.
"""

from __future__ import annotations

import logging
import socket
import traceback
import typing as t

from .log import _log

if t.TYPE_CHECKING:  # pragma: no cover
    import ssl

INSTALL_HINT = "pip install 'kolba[asgi]'"

Scope = t.MutableMapping[str, t.Any]
Message = t.MutableMapping[str, t.Any]
Receive = t.Callable[[], t.Awaitable[Message]]
Send = t.Callable[[Message], t.Awaitable[None]]
ASGIApplication = t.Callable[[Scope, Receive, Send], t.Awaitable[None]]

#: How long a stopping server waits for open requests and WebSockets (uvicorn
#: asks WebSockets to close with 1012) before cancelling them. The reloader
#: gives a child 5 seconds before killing it.
GRACEFUL_SHUTDOWN = 3


def has_websocket_routes(application: t.Any) -> bool:
    """Whether ``application`` (a Kolba app) has at least one WebSocket route."""
    url_map = getattr(application, "url_map", None)
    if url_map is None:
        return False
    return any("WEBSOCKET" in (rule.methods or ()) for rule in url_map.iter_rules())


def missing_asgi_package() -> str | None:
    """The package the ASGI server needs and cannot import, or ``None``."""
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        return "uvicorn"
    try:
        import websockets  # noqa: F401
    except ImportError:
        try:
            import wsproto  # noqa: F401
        except ImportError:
            return "websockets"
    return None


def choose_asgi(application: t.Any, asgi: bool | None, warn: bool = True) -> bool:
    """Whether to serve ``application`` over ASGI.

    :param asgi: ``True`` or ``False`` forces the choice; ``None`` picks ASGI
        when the app has WebSocket routes and uvicorn is installed.
    :param warn: log a warning when WebSocket routes are served over WSGI
        because uvicorn is missing.
    :raises ImportError: ``asgi=True`` without uvicorn.
    :raises TypeError: ``asgi=True`` for an object without ``asgi_app``.
    """
    if asgi is False:
        return False
    if asgi:
        if getattr(application, "asgi_app", None) is None:
            raise TypeError(
                f"Cannot serve {application!r} over ASGI: it has no 'asgi_app'. "
                "Serve a Kolba app, or run with the WSGI server (asgi=False)."
            )
        missing = missing_asgi_package()
        if missing is not None:
            raise ImportError(
                f"Serving over ASGI needs {missing}, which is not installed. "
                f"Install it with: {INSTALL_HINT}, or serve with the WSGI server "
                "(--wsgi)."
            )
        return True
    if not has_websocket_routes(application):
        return False
    missing = missing_asgi_package()
    if missing is None:
        return True
    if warn:
        _log(
            logging.WARNING,
            " * WARNING: The app has WebSocket routes, but %s is not installed, "
            "so they cannot be served: their handshakes are refused. Install it "
            "with: %s. Serving HTTP with the WSGI development server.",
            missing,
            INSTALL_HINT,
        )
    return False


class ASGIDebugTraceback:
    """ASGI middleware that shows unhandled exceptions as a traceback page.

    The ASGI counterpart of :class:`kolba.debug.DebugTraceback`, with the same
    page (:func:`kolba.debug.render_traceback`) and headers. Only ``http``
    scopes are watched; WebSocket and lifespan scopes pass through. If the
    response had already started, the error is re-raised so uvicorn logs it
    and cuts the connection.

    :param app: the ASGI application to wrap.
    """

    def __init__(self, app: ASGIApplication) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_watched(message: Message) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_watched)
        except Exception as exc:
            if started:
                raise
            from ..debug import render_traceback

            _log(
                logging.ERROR,
                "Unhandled exception, shown on the debug page:\n%s",
                "".join(traceback.format_exception(exc)).rstrip(),
            )
            page = render_traceback(exc).encode("utf-8")
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"text/html; charset=utf-8"),
                        (b"content-length", str(len(page)).encode("ascii")),
                        # SECURITY: defence in depth; the page has no script.
                        (
                            b"content-security-policy",
                            b"default-src 'none'; style-src 'unsafe-inline'",
                        ),
                        (b"x-content-type-options", b"nosniff"),
                        (b"cache-control", b"no-store"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": page})


class _QuietLifecycle(logging.Filter):
    """Pass warnings, errors and WebSocket handshake lines of ``uvicorn.error``.

    uvicorn's lifecycle messages ("Started server process", "Uvicorn running
    on ...") would repeat the banner on every reload.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or '"WebSocket ' in str(record.msg)


def _log_config() -> dict[str, t.Any]:
    # Access lines look like the WSGI server's, with the client's port.
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"quiet": {"()": _QuietLifecycle}},
        "formatters": {
            "default": {
                "()": "uvicorn.logging.DefaultFormatter",
                "fmt": "%(message)s",
                "use_colors": None,
            },
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(client_addr)s - - [%(asctime)s] "%(request_line)s" '
                "%(status_code)s",
                "datefmt": "%d/%b/%Y %H:%M:%S",
                "use_colors": None,
            },
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["quiet"],
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.access": {
                "handlers": ["access"],
                "level": "INFO",
                "propagate": False,
            },
        },
    }


def serve_asgi(
    sock: socket.socket,
    application: t.Any,
    use_debugger: bool,
    ssl_context: ssl.SSLContext | None,
) -> None:
    """Serve ``application.asgi_app`` with uvicorn on the listening ``sock``.

    Returns when the server stops: on SIGINT (Ctrl-C) by raising
    :exc:`KeyboardInterrupt` after a graceful shutdown, as uvicorn re-raises
    the signal it caught; on SIGTERM the process ends by that signal.
    ``sock`` is closed on return.

    :raises SystemExit: with code 3 when the app's startup (its lifespan
        serving hooks) failed; uvicorn has logged why.
    """
    import uvicorn

    asgi: ASGIApplication = application.asgi_app
    if use_debugger:
        asgi = ASGIDebugTraceback(asgi)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        asgi,
        host=host,
        port=port,
        interface="asgi3",
        lifespan="auto",
        log_config=_log_config(),
        # The WSGI dev server ignores X-Forwarded-* headers too.
        proxy_headers=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
    )
    config.load()
    if ssl_context is not None:
        # The context was built (and its files checked) by the caller; uvicorn
        # takes the scheme from the connection's transport.
        config.ssl = ssl_context
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    if not server.started:
        raise SystemExit(3)
