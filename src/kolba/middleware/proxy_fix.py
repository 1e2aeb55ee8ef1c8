"""Trust ``X-Forwarded-*`` headers from a known number of reverse proxies.

How this file works: each ``X-Forwarded-*`` header is a comma-separated list
that every proxy appends to. Values on the right were added by proxies closest
to the application; values on the left came from further away, ultimately
from the client, who can write anything there. With ``n`` trusted proxies the
value to use is the ``n``-th from the right. Everything to its left is
untrusted and ignored.

Invariants:

- A header is used only if it has at least as many values as trusted hops;
  otherwise the request did not pass through the expected proxies and the
  header is ignored entirely.
- A value is used only if it is well formed for its purpose (see
  :class:`ProxyFix`); a malformed value leaves the environ unchanged.
- The original values are saved before anything is changed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from .._bridge import is_async_callable

__all__ = ["ASGIProxyFix", "ProxyFix"]

# The WSGI spec leaves environ and start_response untyped (PEP 3333).
WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

ORIG_KEY = "kolba.proxy_fix.orig"
WERKZEUG_ORIG_KEY = "werkzeug.proxy_fix.orig"

_SCHEMES = frozenset({"http", "https", "ws", "wss"})
_PORT = re.compile(r"[0-9]{1,5}")
# SECURITY: a forwarded host ends up in redirects and external URLs. Refuse
# anything that could change a URL's structure (path, query, fragment,
# userinfo) or smuggle whitespace and control characters into headers.
_BAD_HOST = re.compile(r"[\x00-\x20\x7f/\\?#@\"',;<>]")
_BAD_TOKEN = re.compile(r"[\x00-\x20\x7f\"]")
_BAD_PREFIX = re.compile(r"[\x00-\x20\x7f\\?#\"]")


class ProxyFix:
    """WSGI middleware that applies ``X-Forwarded-*`` headers from proxies.

    Behind a reverse proxy the application sees the proxy's address, the
    scheme and host the proxy used to reach it, and no path prefix. The proxy
    reports the original values in headers; this middleware copies them into
    the environ so that ``request.remote_addr``, ``request.scheme``,
    ``request.host`` and ``url_for(..., _external=True)`` describe the
    client's request:

    ============================  ==========================================
    Header                        Sets
    ============================  ==========================================
    ``X-Forwarded-For``           ``REMOTE_ADDR``
    ``X-Forwarded-Proto``         ``wsgi.url_scheme``
    ``X-Forwarded-Host``          ``HTTP_HOST``, ``SERVER_NAME``,
                                  ``SERVER_PORT``
    ``X-Forwarded-Port``          ``HTTP_HOST`` (port part), ``SERVER_PORT``
    ``X-Forwarded-Prefix``        ``SCRIPT_NAME``
    ============================  ==========================================

    Each argument is the number of proxies that set that header, and so the
    number of values to trust counting from the right. ``0`` ignores the
    header. Set them to exactly match your deployment.

    SECURITY: only use this when the application is reachable *only* through
    the proxies. Clients can send these headers themselves, and proxies append
    to whatever the client sent. Trusting one value more than the number of
    proxies lets a client choose its own IP address (defeating rate limits
    and audit logs) or host (poisoning password-reset links and caches). With
    the right count, a client's forged values are always left of the trusted
    one and ignored.

    A typical single nginx in front of the application::

        location / {
            proxy_pass http://127.0.0.1:8000;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Prefix /myapp;
        }

    with ``app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1,
    x_host=1, x_prefix=1)``. A load balancer in front of nginx that also
    appends to ``X-Forwarded-For`` makes that ``x_for=2``.

    Values are validated before use, and a malformed one is ignored rather
    than trusted: the scheme must be ``http``, ``https``, ``ws`` or ``wss``
    (case-insensitive, stored lower-case); a port must be 1 to 5 digits; a
    host must not contain whitespace, control characters or any of
    ``/ \\ ? # @ " ' , ; < >``; an address must not contain whitespace or
    quotes; a prefix must start with ``/`` and contain no whitespace,
    ``\\``, ``?`` or ``#``, and a trailing ``/`` is removed from it. Quoted
    list items (RFC 7239 ``Forwarded`` syntax) are not supported; these
    headers never need them.

    The original environ values are stored as a dict under
    ``environ["kolba.proxy_fix.orig"]``, and the same dict under
    ``"werkzeug.proxy_fix.orig"`` for code written for Werkzeug.

    :param app: The WSGI application to wrap.
    :param x_for: Number of values to trust in ``X-Forwarded-For``.
    :param x_proto: Number of values to trust in ``X-Forwarded-Proto``.
    :param x_host: Number of values to trust in ``X-Forwarded-Host``.
    :param x_port: Number of values to trust in ``X-Forwarded-Port``.
    :param x_prefix: Number of values to trust in ``X-Forwarded-Prefix``.
    :raises ValueError: If a count is negative.
    """

    def __init__(
        self,
        app: WSGIApp | ASGIApp,
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
    ) -> None:
        counts = {
            "x_for": x_for,
            "x_proto": x_proto,
            "x_host": x_host,
            "x_port": x_port,
            "x_prefix": x_prefix,
        }
        for name, count in counts.items():
            if count < 0:
                raise ValueError(
                    f"ProxyFix({name}={count!r}) is invalid: the count of trusted "
                    "proxies cannot be negative. Use 0 to ignore the header."
                )
        self.app = app
        self.x_for = x_for
        self.x_proto = x_proto
        self.x_host = x_host
        self.x_port = x_port
        self.x_prefix = x_prefix

    def __new__(cls, app: Any, *args: Any, **kwargs: Any) -> ProxyFix:
        # Wrapping an ASGI application (app.asgi_app) gives the ASGI variant,
        # whose __call__ is async so servers detect ASGI 3.
        if cls is ProxyFix and is_async_callable(app):
            return super().__new__(ASGIProxyFix)
        return super().__new__(cls)

    def __call__(
        self, environ: WSGIEnviron, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Rewrite ``environ`` from the trusted headers, then call the app."""
        self._rewrite(environ)
        app: Any = self.app
        return app(environ, start_response)  # type: ignore[no-any-return]

    def _rewrite(self, environ: WSGIEnviron) -> None:
        get = environ.get
        orig = {
            "REMOTE_ADDR": get("REMOTE_ADDR"),
            "wsgi.url_scheme": get("wsgi.url_scheme"),
            "HTTP_HOST": get("HTTP_HOST"),
            "SERVER_NAME": get("SERVER_NAME"),
            "SERVER_PORT": get("SERVER_PORT"),
            "SCRIPT_NAME": get("SCRIPT_NAME"),
        }
        environ[ORIG_KEY] = orig
        environ[WERKZEUG_ORIG_KEY] = orig

        remote_addr = _trusted(self.x_for, get("HTTP_X_FORWARDED_FOR"))
        if remote_addr and not _BAD_TOKEN.search(remote_addr):
            environ["REMOTE_ADDR"] = remote_addr

        scheme = _trusted(self.x_proto, get("HTTP_X_FORWARDED_PROTO"))
        if scheme and scheme.lower() in _SCHEMES:
            environ["wsgi.url_scheme"] = scheme.lower()

        host = _trusted(self.x_host, get("HTTP_X_FORWARDED_HOST"))
        if host and _is_valid_host(host):
            environ["HTTP_HOST"] = environ["SERVER_NAME"] = host
            name, port = _split_port(host)
            if port is not None:
                environ["SERVER_NAME"] = name
                environ["SERVER_PORT"] = port

        port = _trusted(self.x_port, get("HTTP_X_FORWARDED_PORT"))
        if port and _PORT.fullmatch(port):
            current_host = environ.get("HTTP_HOST")
            if current_host:
                environ["HTTP_HOST"] = f"{_split_port(current_host)[0]}:{port}"
            environ["SERVER_PORT"] = port

        prefix = _trusted(self.x_prefix, get("HTTP_X_FORWARDED_PREFIX"))
        if prefix and prefix.startswith("/") and not _BAD_PREFIX.search(prefix):
            # SCRIPT_NAME never ends in "/" (PEP 3333); keeping one would
            # double the slash in every URL the application builds.
            environ["SCRIPT_NAME"] = prefix.rstrip("/")


class ASGIProxyFix(ProxyFix):
    """:class:`ProxyFix` for an ASGI application (``ProxyFix(app.asgi_app)``).

    The same rules rewrite the scope of ``http`` and ``websocket``
    connections: ``client``, ``scheme``, ``server``, the ``host`` header and
    ``root_path``. The original values are kept in
    ``scope["extensions"]["kolba.proxy_fix.orig"]``.
    """

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:  # type: ignore[override]
        if scope.get("type") in ("http", "websocket"):
            scope = self._rewrite_scope(scope)
        app: Any = self.app
        await app(scope, receive, send)

    def _rewrite_scope(self, scope: Any) -> Any:
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or ())
        environ: WSGIEnviron = {}
        for raw_name, raw_value in headers:
            key = "HTTP_" + raw_name.decode("latin-1").upper().replace("-", "_")
            value = raw_value.decode("latin-1")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        client = scope.get("client")
        server = scope.get("server")
        scheme = str(scope.get("scheme", "http"))
        environ["REMOTE_ADDR"] = client[0] if client else None
        environ["wsgi.url_scheme"] = scheme
        environ["SERVER_NAME"] = server[0] if server else None
        environ["SERVER_PORT"] = str(server[1]) if server and server[1] else None
        environ["SCRIPT_NAME"] = str(scope.get("root_path", ""))
        before = dict(environ)
        self._rewrite(environ)
        new = dict(scope)
        new["extensions"] = {**(scope.get("extensions") or {})}
        new["extensions"][ORIG_KEY] = environ[ORIG_KEY]
        if environ["REMOTE_ADDR"] != before["REMOTE_ADDR"]:
            new["client"] = (environ["REMOTE_ADDR"], client[1] if client else 0)
        if environ["wsgi.url_scheme"] != scheme:
            new_scheme = environ["wsgi.url_scheme"]
            if scope.get("type") == "websocket":
                new_scheme = {"http": "ws", "https": "wss"}.get(new_scheme, new_scheme)
            new["scheme"] = new_scheme
        if (
            environ["SERVER_NAME"] != before["SERVER_NAME"]
            or environ["SERVER_PORT"] != before["SERVER_PORT"]
        ):
            port = environ["SERVER_PORT"]
            new["server"] = (environ["SERVER_NAME"], int(port) if port else None)
        if environ.get("HTTP_HOST") != before.get("HTTP_HOST"):
            host = str(environ["HTTP_HOST"]).encode("latin-1")
            new["headers"] = [(k, v) for k, v in headers if k.lower() != b"host"]
            new["headers"].append((b"host", host))
        if environ["SCRIPT_NAME"] != before["SCRIPT_NAME"]:
            prefix = environ["SCRIPT_NAME"]
            path = str(scope.get("path", "/"))
            old_root = str(scope.get("root_path", ""))
            if old_root and path.startswith(old_root):
                path = path[len(old_root) :]
            new["root_path"] = prefix
            new["path"] = prefix + path
            raw_path = scope.get("raw_path")
            if raw_path is not None:
                encoded_root = old_root.encode("utf-8")
                if encoded_root and raw_path.startswith(encoded_root):
                    raw_path = raw_path[len(encoded_root) :]
                new["raw_path"] = prefix.encode("utf-8") + raw_path
        return new


def _trusted(count: int, header: str | None) -> str | None:
    """Return the ``count``-th value from the right, or ``None``."""
    if not count or not header:
        return None
    values = [value.strip() for value in header.split(",")]
    values = [value for value in values if value]
    if len(values) < count:
        return None
    return values[-count]


def _split_port(host: str) -> tuple[str, str | None]:
    # A bare IPv6 literal ("[::1]") contains colons but no port.
    if ":" in host and not host.endswith("]"):
        name, _, port = host.rpartition(":")
        return name, port
    return host, None


def _is_valid_host(host: str) -> bool:
    if _BAD_HOST.search(host):
        return False
    name, port = _split_port(host)
    if not name:
        return False
    return port is None or _PORT.fullmatch(port) is not None
