"""The development server's entry points: :func:`make_server` and :func:`run_simple`.

:func:`run_simple` picks the protocol: the WSGI server of :mod:`.http11`, or
uvicorn over ASGI (:mod:`.asgi_server`) when the app has WebSocket routes or
``asgi=True`` asks for it. The reloader (:mod:`.reloader`) is the same for
both: it binds the socket, and each serving child decides for itself from the
app it has just loaded.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import socketserver
import threading
import typing as t

from .asgi_server import choose_asgi, serve_asgi
from .http11 import _Server
from .log import _log
from .reloader import _SERVER_FD, _bind, _Reloader, is_running_from_reloader

if t.TYPE_CHECKING:  # pragma: no cover
    import ssl

    from ..typing import WSGIApplication


def _load_ssl_context(
    ssl_context: ssl.SSLContext | tuple[str, str] | str | None,
) -> ssl.SSLContext | None:
    if ssl_context is None:
        return None
    import ssl

    if isinstance(ssl_context, ssl.SSLContext):
        return ssl_context
    if isinstance(ssl_context, tuple):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*ssl_context)
        return context
    raise ValueError(
        f"Unsupported ssl_context {ssl_context!r}. Pass an ssl.SSLContext or a "
        "(cert_file, key_file) pair; for a local certificate run: openssl req "
        "-x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 30 "
        "-subj /CN=localhost"
    )


def make_server(
    host: str,
    port: int,
    app: WSGIApplication,
    threaded: bool = True,
    ssl_context: ssl.SSLContext | tuple[str, str] | None = None,
    fd: int | None = None,
) -> socketserver.TCPServer:
    """Create (without starting) a development server for ``app``.

    :param host: the interface to bind to.
    :param port: the port to bind to; ``0`` picks a free one
        (``server.server_address[1]`` tells which).
    :param threaded: one thread per connection; otherwise one connection at a
        time, without keep-alive.
    :param ssl_context: an :class:`ssl.SSLContext` or a ``(cert, key)`` pair
        of file paths, to serve HTTPS.
    :param fd: serve on this already listening socket instead of binding.
    """
    return _Server(
        host,
        port,
        app,
        threaded=threaded,
        ssl_context=_load_ssl_context(ssl_context),
        fd=fd,
    )


def _banner(
    host: str,
    port: int,
    application: t.Any,
    scheme: str,
    use_debugger: bool,
    asgi: bool = False,
) -> None:
    module = getattr(application, "import_name", None)
    if not isinstance(module, str) or module == "__main__":
        module = "module"
    display = f"[{host}]" if ":" in host else host
    lines = [" * WARNING: This is a development server. Do not use it in production."]
    if asgi:
        lines += [
            "   Run a production ASGI server instead, for example:",
            f"       uvicorn --workers 4 '{module}:app.asgi_app'",
            " * Serving over ASGI with uvicorn (HTTP and WebSocket on one port)",
        ]
    else:
        lines += [
            "   Run a production WSGI server instead, for example:",
            f"       gunicorn -w 4 '{module}:app'",
        ]
    if host in ("0.0.0.0", "::"):
        lines.append(f" * Running on all addresses ({host})")
        display = "127.0.0.1" if host == "0.0.0.0" else "[::1]"
    lines.append(f" * Running on {scheme}://{display}:{port}")
    if use_debugger:
        lines.append(" * Debug traceback page: on (no console, no code execution)")
        if host not in ("127.0.0.1", "localhost", "::1"):
            lines.append(
                " * WARNING: error pages show source code to anyone who can "
                "reach this address."
            )
    lines.append(" * Press CTRL+C to quit")
    _log(logging.INFO, "%s", "\n".join(lines))


def run_simple(
    hostname: str,
    port: int,
    application: WSGIApplication,
    use_reloader: bool = False,
    use_debugger: bool = False,
    threaded: bool = True,
    ssl_context: ssl.SSLContext | tuple[str, str] | None = None,
    extra_files: t.Iterable[str] | None = None,
    exclude_patterns: t.Iterable[str] | None = None,
    reloader_interval: float = 1.0,
    asgi: bool | None = None,
) -> None:
    """Serve ``application`` on ``hostname:port`` until interrupted (Ctrl-C).

    For development only: it prints a warning saying so at start. Ctrl-C
    (SIGINT) shuts it down and returns normally.

    :param hostname: the interface to bind to (``"0.0.0.0"`` for all).
    :param port: the port to bind to; ``0`` picks a free one.
    :param application: the WSGI application (a :class:`~kolba.Kolba` app).
    :param use_reloader: run the server in a child process and restart it when
        a Python source file of a loaded module, a template or one of
        ``extra_files`` changes. Needs ``watchfiles``
        (``pip install 'kolba[reload]'``).
    :param use_debugger: answer an unhandled exception with an HTML traceback
        page (:class:`kolba.debug.DebugTraceback`). It has no console and
        never runs code, but it shows source code: keep it local.
    :param threaded: a thread per connection (the default).
    :param ssl_context: an :class:`ssl.SSLContext` or ``(cert, key)`` file
        paths to serve HTTPS.
    :param extra_files: more files whose change triggers a reload.
    :param exclude_patterns: :mod:`fnmatch` patterns of paths that never
        trigger a reload.
    :param reloader_interval: seconds between the reloader's checks that the
        server process is still alive.
    :param asgi: serve ``application.asgi_app`` over ASGI with uvicorn
        (``True``), or with the WSGI server (``False``). The default,
        ``None``, picks ASGI when the app has WebSocket routes, and warns and
        serves WSGI if uvicorn is not installed (``pip install
        'kolba[asgi]'``). Under ASGI, ``threaded`` does not apply: uvicorn
        runs one event loop, and sync views run in Kolba's thread pool
        (``ASGI_MAX_THREADS``).
    :raises ImportError: ``asgi=True`` without uvicorn.
    """
    ssl_ctx = _load_ssl_context(ssl_context)
    scheme = "https" if ssl_ctx is not None else "http"
    if use_reloader and not is_running_from_reloader():
        # The serving child decides (and warns) from the app it loads; this
        # decision is only for the banner, and to fail early on asgi=True.
        use_asgi = choose_asgi(application, asgi, warn=False)
        reloader = _Reloader(
            application, extra_files, exclude_patterns, reloader_interval
        )
        sock = _bind(hostname, port)
        try:
            _banner(
                hostname,
                sock.getsockname()[1],
                application,
                scheme,
                use_debugger,
                use_asgi,
            )
            _log(logging.INFO, " * Restarting with the watchfiles reloader")
            reloader.run(sock)
        finally:
            sock.close()
        return

    fd_text = os.environ.get(_SERVER_FD) if is_running_from_reloader() else None
    if choose_asgi(application, asgi):
        _run_asgi(hostname, port, application, use_debugger, ssl_ctx, fd_text)
        return
    served = application
    if use_debugger:
        from ..debug import DebugTraceback

        served = DebugTraceback(application)
    server = make_server(
        hostname,
        port,
        served,
        threaded=threaded,
        ssl_context=ssl_ctx,
        fd=int(fd_text) if fd_text else None,
    )
    if not is_running_from_reloader():
        _banner(hostname, server.server_address[1], application, scheme, use_debugger)
    in_main = threading.current_thread() is threading.main_thread()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        if in_main:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # see _Reloader.run
        if not is_running_from_reloader():
            _log(logging.INFO, " * Shutting down")
    finally:
        server.server_close()
        if in_main and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _run_asgi(
    hostname: str,
    port: int,
    application: t.Any,
    use_debugger: bool,
    ssl_ctx: ssl.SSLContext | None,
    fd_text: str | None,
) -> None:
    if fd_text:
        sock = socket.socket(fileno=int(fd_text))
    else:
        sock = _bind(hostname, port)
        scheme = "https" if ssl_ctx is not None else "http"
        _banner(
            hostname, sock.getsockname()[1], application, scheme, use_debugger, True
        )
    try:
        serve_asgi(sock, application, use_debugger, ssl_ctx)
    except KeyboardInterrupt:
        # uvicorn has shut down gracefully and re-raised the SIGINT it caught.
        if not is_running_from_reloader():
            _log(logging.INFO, " * Shutting down")
