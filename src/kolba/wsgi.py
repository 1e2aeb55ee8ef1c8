"""The WSGI front end (PEP 3333): the only module that knows the environ.

How this file works: a WSGI server calls ``app(environ, start_response)``;
:meth:`kolba.Kolba.wsgi_app` builds the request context over the environ, runs
the app's protocol-neutral pipeline (:meth:`kolba.Kolba.handle_request`) and
writes the response with :func:`respond`. :class:`EnvironRequest` is the
request's WSGI binding: it fills in the values the sans-IO head
(:class:`kolba.sansio.request.RequestHead`) derives everything from, lazily,
straight from the environ — so a view that reads only ``request.args`` never
pays for the rest.

WSGI is synchronous: an ``async def`` view or hook met under WSGI runs on an
event loop kept per thread (created once, reused; see :mod:`kolba._bridge`).
A WebSocket route cannot be served here; a handshake reaching one is answered
with a clear error naming the fix (serve ``app.asgi_app`` with an ASGI server).

Layering: this module sits just above :mod:`kolba.sansio` — the request and
response classes build on it — so it imports nothing of the pipeline.
"""

from __future__ import annotations

import io
import sys
import typing as t

from ._compat import cached_property
from .sansio.datastructures import EnvironHeaders, Headers

if t.TYPE_CHECKING:  # pragma: no cover
    from .response import Response
    from .sansio.request import RequestHead
    from .typing import StartResponse

__all__ = ["EnvironRequest", "environ_from_head", "respond"]

_KEYS: dict[str, str] = {
    "Content-Type": "CONTENT_TYPE",
    "Content-Length": "CONTENT_LENGTH",
}


def _environ_key(name: str) -> str:
    """``"X-Forwarded-For"`` → ``"HTTP_X_FORWARDED_FOR"`` (cached per name)."""
    try:
        return _KEYS[name]
    except KeyError:
        upper = name.upper().replace("-", "_")
        key = upper if upper in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + upper
        if len(_KEYS) < 512:  # bounded: header names come from code, not clients
            _KEYS[name] = key
        return key


class EnvironRequest:
    """The WSGI binding of a request: head values read lazily from the environ.

    :param environ: the WSGI environ of the request.
    :param populate_request: store this object in the environ under
        ``"kolba.request"`` so middleware can find it.
    :param shallow: forbid reading the body (used by code that must not consume
        the input stream).
    """

    shallow: bool = False

    def __init__(
        self,
        environ: dict[str, t.Any],
        populate_request: bool = True,
        shallow: bool = False,
    ) -> None:
        self.__dict__["environ"] = environ
        self.shallow = shallow
        if populate_request and not shallow:
            environ["kolba.request"] = self
        # PERF: every request is routed, so method and path are always read;
        # storing them now (they shadow the lazy properties) saves a
        # descriptor call each. A non-ASCII path is left to the head's lazy
        # property, which may raise 400 inside the pipeline's error handling.
        self.method = str(environ.get("REQUEST_METHOD") or "GET").upper()
        raw = environ.get("PATH_INFO") or "/"
        if raw.isascii():
            self.path = raw if raw[0] == "/" else "/" + raw

    def _header(self, name: str) -> str | None:
        key = _KEYS.get(name)
        if key is None:
            key = _environ_key(name)
        value: str | None = self.__dict__["environ"].get(key)
        return value

    @cached_property
    def environ(self) -> dict[str, t.Any]:
        """The WSGI environ; built on first access for a request from ASGI."""
        return environ_from_head(t.cast("RequestHead", self), self._input)

    @cached_property
    def headers(self) -> Headers:
        """The request headers: case-insensitive and multi-valued."""
        return EnvironHeaders(self.environ)

    @cached_property
    def scheme(self) -> str:
        """``"http"`` or ``"https"`` (after any proxy fix-up)."""
        return str(self.environ.get("wsgi.url_scheme", "http"))

    @cached_property
    def _root_raw(self) -> str:
        return str(self.environ.get("SCRIPT_NAME") or "")

    @cached_property
    def _path_raw(self) -> str:
        return str(self.environ.get("PATH_INFO") or "")

    @cached_property
    def _query_raw(self) -> str:
        return str(self.environ.get("QUERY_STRING", ""))

    @property
    def remote_addr(self) -> str | None:
        """The client's address as the server saw it (REMOTE_ADDR)."""
        return self.environ.get("REMOTE_ADDR")

    @property
    def server(self) -> tuple[str, int | None] | None:
        """The server's ``(host, port)`` from SERVER_NAME / SERVER_PORT."""
        name = self.environ.get("SERVER_NAME")
        if not name:
            return None
        port = self.environ.get("SERVER_PORT")
        try:
            return (name, int(port)) if port else (name, None)
        except ValueError:
            return (name, None)

    @property
    def _input(self) -> t.Any:
        """The raw body stream (``wsgi.input``), or ``None``."""
        return self.environ.get("wsgi.input")

    @property
    def _input_terminated(self) -> bool:
        """Whether the server marks the body's end (a chunked body)."""
        return bool(self.environ.get("wsgi.input_terminated"))

    @property
    def is_multithread(self) -> bool:
        return bool(self.environ.get("wsgi.multithread"))

    @property
    def is_multiprocess(self) -> bool:
        return bool(self.environ.get("wsgi.multiprocess"))

    @property
    def is_run_once(self) -> bool:
        return bool(self.environ.get("wsgi.run_once"))


def environ_from_head(head: RequestHead, body: t.Any = None) -> dict[str, t.Any]:
    """A WSGI environ describing a request that did not come from WSGI.

    For code written against ``request.environ`` (Flask extensions read
    ``HTTP_*`` keys): the ASGI front end builds it on first access only.
    """
    server = head.server or ("localhost", None)
    port = server[1]
    if port is None:
        port = 443 if head.scheme in ("https", "wss") else 80
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": head.method,
        "SCRIPT_NAME": head._root_raw,
        "PATH_INFO": head._path_raw,
        "QUERY_STRING": head._query_raw,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": head.remote_addr or "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": head.scheme,
        "wsgi.input": body if body is not None else io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in head.headers.items():
        key = _environ_key(name)
        if key in environ:
            sep = "; " if key == "HTTP_COOKIE" else ", "
            environ[key] = f"{environ[key]}{sep}{value}"
        else:
            environ[key] = value
    return environ


def respond(
    response: Response, environ: dict[str, t.Any], start_response: StartResponse
) -> t.Iterable[bytes]:
    """Write ``response`` with ``start_response``; return the body iterable."""
    # PERF: the usual response — a one-chunk bytes body whose length the
    # constructor already wrote, a 2xx/3xx status, not HEAD, nothing to close
    # — goes straight out. Anything else takes the general path.
    body = response.response
    if (
        type(body) is list
        and len(body) == 1
        and environ.get("REQUEST_METHOD") != "HEAD"
        and response._is_simple()
    ):
        start_response(response._status, list(response.headers._list))
        return body
    app_iter, status, headers = response.get_wsgi_response(environ)
    start_response(status, headers)
    return app_iter
