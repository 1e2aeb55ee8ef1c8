"""The request head: everything about a request that is not its body.

How this file works: :class:`RequestHead` holds the request line and the
headers as plain values — method, scheme, the mount point and path, the query
string, the headers, the client and the server — and derives everything else
from them on first read (``args``, ``cookies``, ``host``, ``url``, the
``Accept`` family, conditional and range headers). It neither knows nor
imports a WSGI environ or an ASGI scope: a front end fills in the values
(:mod:`kolba.wsgi` lazily from the environ, :mod:`kolba.asgi` from the scope)
and the same code derives the rest for both.

What a front end provides (as attributes, plain or lazy):

- ``method`` — upper-case; ``scheme`` — ``"http"``/``"https"`` (``ws``/``wss``
  for WebSockets);
- ``_root_raw`` and ``_path_raw`` — the mount point and the path below it,
  percent-decoded, as latin-1 text of the raw bytes (what PEP 3333 calls
  ``SCRIPT_NAME`` and ``PATH_INFO``; decoding them as UTF-8 is done here, so a
  path that is not UTF-8 gets the same 400 under both front ends);
- ``_query_raw`` — the query string as sent, as latin-1 text;
- ``headers`` — a case-insensitive :class:`~kolba.sansio.datastructures.Headers`,
  and ``_header(name)`` — one header's value or ``None`` (a front end may give
  a faster lookup than ``headers.get``);
- ``remote_addr`` and ``server`` — the client's address and ``(host, port)``.

Invariants: nothing here raises anything but an
:class:`~kolba.exceptions.HTTPException` on bad client input; each derived
value is computed once and cached in the instance dict.
"""

from __future__ import annotations

import typing as t
from urllib.parse import quote as _quote

from .._compat import cached_property
from ..exceptions import BadRequest, SecurityError
from .cookies import parse_cookie
from .datastructures import (
    Accept,
    Authorization,
    CharsetAccept,
    ETags,
    Headers,
    IfRange,
    ImmutableMultiDict,
    LanguageAccept,
    MIMEAccept,
    MultiDict,
    Range,
    UserAgent,
)
from .http import (
    parse_accept_header,
    parse_authorization_header,
    parse_date,
    parse_etags,
    parse_if_range_header,
    parse_options_header,
    parse_range_header,
)
from .urls import parse_qsl, url_unquote_path

if t.TYPE_CHECKING:  # pragma: no cover
    from datetime import datetime

__all__ = ["RequestHead"]

_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}
# SPEC: RFC 3986 §3.2.2 reg-name / IP-literal, plus an optional port. Anything
# else in Host (spaces, slashes, @, control characters) is refused.
_HOST_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:[]%!$&'()*+,;="
)


class RequestHead:
    """The request line and headers, with everything derived from them.

    Subclasses (the request and the WebSocket of :mod:`kolba`) add a body or
    a message channel; front ends fill in the values listed in the module
    docstring.
    """

    #: Class used for ``args``, ``form``, ``cookies`` (immutable).
    parameter_storage_class: type[MultiDict[str, t.Any]] = ImmutableMultiDict
    #: Class used by ``values``.
    dict_storage_class: type[MultiDict[str, t.Any]] = ImmutableMultiDict

    #: The matched rule, or ``None`` before routing or when routing failed.
    url_rule: t.Any = None
    #: The view arguments of the matched rule.
    view_args: dict[str, t.Any] | None = None
    #: The routing error (404/405/redirect) when matching failed.
    routing_exception: Exception | None = None
    #: Hosts allowed in the Host header; ``None`` allows any host.
    trusted_hosts: list[str] | None = None
    #: The method routing matches with, when not ``method`` (WebSockets match
    #: their own rules, whose method is ``"WEBSOCKET"``).
    _match_method: str | None = None
    #: Whether popping the request context calls ``close()`` (uploads).
    _close_on_pop: bool = True

    # Filled in by the front end (see the module docstring).
    method: str
    scheme: str
    headers: Headers
    _root_raw: str
    _path_raw: str
    _query_raw: str

    if t.TYPE_CHECKING:  # provided by the front end's binding

        @property
        def remote_addr(self) -> str | None: ...
        @property
        def server(self) -> tuple[str, int | None] | None: ...

    def _header(self, name: str) -> str | None:
        """One header's value (the first), or ``None``."""
        value: str | None = self.headers.get(name)
        return value

    # -- request line ---------------------------------------------------------

    # -- request line ---------------------------------------------------------

    @property
    def is_secure(self) -> bool:
        """Whether the request came over HTTPS (or WSS)."""
        return self.scheme in ("https", "wss")

    @cached_property
    def path(self) -> str:
        """The decoded path below the script root, always starting with ``/``.

        A path whose bytes are not UTF-8 raises a 400.
        """
        raw = self._path_raw
        # PERF: the common case is plain ASCII, which needs no decoding at all.
        path = raw if raw.isascii() else url_unquote_path(raw)
        if not path.startswith("/"):
            path = "/" + path
        return path

    @cached_property
    def root_path(self) -> str:
        """The decoded SCRIPT_NAME (where the app is mounted), no trailing slash."""
        raw = self._root_raw
        path = raw if raw.isascii() else url_unquote_path(raw)
        return path.rstrip("/")

    @property
    def script_root(self) -> str:
        """Alias of :attr:`root_path`."""
        return self.root_path

    @cached_property
    def query_string(self) -> bytes:
        """The raw query string as bytes."""
        return self._query_raw.encode("latin-1", "replace")

    @cached_property
    def full_path(self) -> str:
        """The path and the query string: ``/page?x=1`` (``/page?`` if empty)."""
        return f"{self.path}?{self._quoted_query}"

    @cached_property
    def _quoted_query(self) -> str:
        return _quote(self.query_string, safe="=&%+;/:,?@!$'()*~[]")

    @cached_property
    def host(self) -> str:
        """The host (with port when not the default) the client asked for.

        The value comes from the Host header, falling back to SERVER_NAME. A
        value with characters no host can contain, or one outside
        :attr:`trusted_hosts` when that is set, raises a 400.
        """
        host = self._header("Host")
        if not host:
            server = self.server
            host = ""
            if server is not None:
                host, port = server[0], server[1]
                if port is not None and str(port) != _DEFAULT_PORTS.get(self.scheme):
                    host = f"{host}:{port}"
        elif not host.isascii() or not _HOST_CHARS.issuperset(host):
            raise BadRequest(
                "The Host header contains characters that cannot appear in a host name."
            )
        else:
            # SPEC: RFC 9110 §7.2 — a default port is equivalent to none.
            name, sep, given = host.rpartition(":")
            if sep and "]" not in given and given == _DEFAULT_PORTS.get(self.scheme):
                host = name
        if self.trusted_hosts is not None and not _host_is_trusted(
            host, self.trusted_hosts
        ):
            raise SecurityError(
                f"Host {host!r} is not in the trusted hosts list (TRUSTED_HOSTS)."
            )
        return host

    @cached_property
    def host_url(self) -> str:
        """``scheme://host/``."""
        return f"{self.scheme}://{self.host}/"

    @cached_property
    def root_url(self) -> str:
        """``scheme://host/root_path/`` as an IRI (non-ASCII text kept readable)."""
        return f"{self.scheme}://{self.host}{_to_iri(self.root_path.encode())}/"

    @property
    def url_root(self) -> str:
        """Alias of :attr:`root_url`."""
        return self.root_url

    @cached_property
    def base_url(self) -> str:
        """The URL without the query string, as an IRI."""
        return (
            f"{self.scheme}://{self.host}{_to_iri(self.root_path.encode())}"
            f"{_to_iri(self.path.encode())}"
        )

    @cached_property
    def url(self) -> str:
        """The full URL as an IRI, with the query string when there is one.

        Non-ASCII text is shown as characters; reserved and unsafe ASCII
        characters stay percent-encoded, so the URL keeps its meaning.
        """
        if self.query_string:
            return f"{self.base_url}?{_to_iri(self.query_string, _QUERY_SAFE)}"
        return self.base_url

    @cached_property
    def access_route(self) -> list[str]:
        """The X-Forwarded-For chain, client first; ``[remote_addr]`` without it."""
        forwarded = self._header("X-Forwarded-For")
        if forwarded:
            return [part.strip() for part in forwarded.split(",") if part.strip()]
        addr = self.remote_addr
        return [addr] if addr else []

    # -- routing results ------------------------------------------------------

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule, or ``None``."""
        rule = self.url_rule
        if rule is not None:
            endpoint: str = rule.endpoint  # Rule.endpoint is Any; Kolba's are str
            return endpoint
        return None

    @property
    def blueprint(self) -> str | None:
        """The dotted name of the blueprint that owns the endpoint, or ``None``."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and its parents, innermost first."""
        name = self.blueprint
        if name is None:
            return []
        parts = name.split(".")
        return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]

    # -- headers --------------------------------------------------------------

    @cached_property
    def args(self) -> MultiDict[str, str]:
        """The parsed query string (``?a=1&a=2`` keeps both values)."""
        return self.parameter_storage_class(
            parse_qsl(self._query_raw, part="query string")
        )

    @cached_property
    def cookies(self) -> MultiDict[str, str]:
        """The cookies the client sent."""
        return self.parameter_storage_class(parse_cookie(self._header("Cookie")))

    @cached_property
    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        return parse_options_header(self._header("Content-Type") or "")

    @property
    def content_type(self) -> str | None:
        """The raw Content-Type header."""
        return self._header("Content-Type") or None

    @property
    def mimetype(self) -> str:
        """The media type without parameters, lower-case (``"text/html"``)."""
        return self._parsed_content_type[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The Content-Type parameters (``{"charset": "utf-8"}``)."""
        return self._parsed_content_type[1]

    @cached_property
    def content_length(self) -> int | None:
        """The Content-Length as an int; ``None`` when absent or chunked.

        A value that is not a non-negative integer raises a 400.
        """
        raw = self._header("Content-Length")
        encoding = self._header("Transfer-Encoding")
        if encoding is not None and encoding.lower() == "chunked":
            return None
        if raw is None or raw == "":
            return None
        if not (raw.isdigit() and raw.isascii()):
            raw = str(raw).strip()
            if not (raw.isdigit() and raw.isascii()):
                raise BadRequest(
                    f"The Content-Length header {raw!r} is not a valid size."
                )
        return int(raw)

    @property
    def content_encoding(self) -> str | None:
        """The Content-Encoding header."""
        return self._header("Content-Encoding")

    @property
    def referrer(self) -> str | None:
        """The Referer header."""
        return self._header("Referer")

    @property
    def origin(self) -> str | None:
        """The Origin header."""
        return self._header("Origin")

    @cached_property
    def date(self) -> datetime | None:
        """The Date header as an aware datetime."""
        return parse_date(self._header("Date"))

    @cached_property
    def user_agent(self) -> UserAgent:
        """The User-Agent header."""
        return UserAgent(self._header("User-Agent") or "")

    @cached_property
    def authorization(self) -> Authorization | None:
        """The parsed Authorization header (Basic or a token scheme), or ``None``."""
        return parse_authorization_header(self._header("Authorization"))

    @cached_property
    def accept_mimetypes(self) -> MIMEAccept:
        """The Accept header, with ``best_match``."""
        return parse_accept_header(self._header("Accept"), MIMEAccept)

    @cached_property
    def accept_languages(self) -> LanguageAccept:
        """The Accept-Language header."""
        return parse_accept_header(self._header("Accept-Language"), LanguageAccept)

    @cached_property
    def accept_charsets(self) -> CharsetAccept:
        """The Accept-Charset header."""
        return parse_accept_header(self._header("Accept-Charset"), CharsetAccept)

    @cached_property
    def accept_encodings(self) -> Accept:
        """The Accept-Encoding header."""
        return parse_accept_header(self._header("Accept-Encoding"), Accept)

    @cached_property
    def if_none_match(self) -> ETags:
        """The If-None-Match header as ETags."""
        return parse_etags(self._header("If-None-Match"))

    @cached_property
    def if_match(self) -> ETags:
        """The If-Match header as ETags."""
        return parse_etags(self._header("If-Match"))

    @cached_property
    def if_modified_since(self) -> datetime | None:
        """The If-Modified-Since header as an aware datetime."""
        return parse_date(self._header("If-Modified-Since"))

    @cached_property
    def if_unmodified_since(self) -> datetime | None:
        """The If-Unmodified-Since header as an aware datetime."""
        return parse_date(self._header("If-Unmodified-Since"))

    @cached_property
    def if_range(self) -> IfRange:
        """The If-Range header."""
        return parse_if_range_header(self._header("If-Range"))

    @cached_property
    def range(self) -> Range | None:
        """The Range header, or ``None`` when absent or malformed."""
        return parse_range_header(self._header("Range"))


_PATH_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/:@!$&'()*+,;="
)
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_HEX = frozenset("0123456789abcdefABCDEF")


def _to_iri(raw: bytes, safe: frozenset[str] = _PATH_SAFE) -> str:
    """Render URL bytes as an IRI: UTF-8 text readable, everything else escaped.

    ``%XX`` escapes of ASCII stay escaped (``%26`` must not become ``&``);
    runs of bytes ≥ 0x80 that form valid UTF-8 become characters; any other
    byte is written as an upper-case ``%XX``.
    """
    items: list[tuple[int, bool]] = []  # (byte, came from a %XX escape)
    i, n = 0, len(raw)
    while i < n:
        byte = raw[i]
        if (
            byte == 0x25
            and i + 2 < n
            and chr(raw[i + 1]) in _HEX
            and chr(raw[i + 2]) in _HEX
        ):
            items.append((int(raw[i + 1 : i + 3], 16), True))
            i += 3
        else:
            items.append((byte, False))
            i += 1
    out: list[str] = []
    j = 0
    while j < len(items):
        byte, escaped = items[j]
        if byte < 0x80:
            char = chr(byte)
            out.append(f"%{byte:02X}" if escaped or char not in safe else char)
            j += 1
            continue
        k = j
        while k < len(items) and items[k][0] >= 0x80:
            k += 1
        chunk = bytes(b for b, _e in items[j:k])
        try:
            out.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            out.extend(f"%{b:02X}" for b in chunk)
        j = k
    return "".join(out)


def _host_is_trusted(host: str, trusted: list[str]) -> bool:
    name = host
    if name.startswith("["):
        name = name.partition("]")[0] + "]"
    else:
        name = name.rpartition(":")[0] if ":" in name else name
    name = name.lower()
    for pattern in trusted:
        pattern = pattern.lower()
        if pattern.startswith("."):
            if name == pattern[1:] or name.endswith(pattern):
                return True
        elif name == pattern:
            return True
    return False
