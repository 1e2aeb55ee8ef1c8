"""The development server: threaded, for one developer on one machine.

It prints, every time it starts, that it is not a production server. Deploy
behind gunicorn (WSGI) instead::

    gunicorn -w 4 'module:app'

Kept out of ``import kolba``: only ``kolba run`` and ``app.run()`` import it.
"""

from __future__ import annotations

import socketserver
import sys
import typing as t
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

__all__ = ["run_simple"]


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: t.Any) -> None:  # noqa: A002
        sys.stderr.write(f"{self.address_string()} - {format % args}\n")


def run_simple(
    hostname: str,
    port: int,
    application: t.Callable[..., t.Any],
    use_reloader: bool = False,
    threaded: bool = True,
    **options: t.Any,
) -> None:
    """Serve ``application`` on ``hostname:port`` until interrupted (Ctrl-C)."""
    server_class = _ThreadingWSGIServer if threaded else WSGIServer
    with make_server(
        hostname,
        port,
        application,
        server_class=server_class,
        handler_class=_QuietHandler,
    ) as server:
        sys.stderr.write(
            "WARNING: This is a development server. Do not use it in production.\n"
            "Run a production WSGI server instead, for example:\n"
            "    gunicorn -w 4 'yourmodule:app'\n"
            f" * Running on http://{hostname}:{port}\n"
            "Press CTRL+C to quit\n"
        )
        sys.stderr.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            sys.stderr.write("\nShutting down.\n")
