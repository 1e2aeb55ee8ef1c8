"""The incoming request: a lazy, read-only view over one WSGI environ.

How this file works: ``Request(environ)`` stores the environ and nothing else.
Every attribute is a :class:`~kolba._compat.cached_property` that parses its
piece of the environ on first read and keeps the result, so a view that reads
only ``request.args`` never pays for headers, cookies or the body.

Invariants:

- Nothing here raises anything but an :class:`~kolba.exceptions.HTTPException`
  on bad client input: malformed percent-encoding is kept literally, bytes that
  are not UTF-8 give a 400 naming the part, oversized bodies give a 413.
- The body is read at most once; ``data``, ``form``, ``files`` and ``json``
  share what was read.
"""

from __future__ import annotations

import io
import typing as t
from urllib.parse import quote as _quote

from . import json as _kolba_json
from ._compat import cached_property
from .exceptions import (
    BadRequest,
    RequestEntityTooLarge,
    SecurityError,
    UnsupportedMediaType,
)
from .globals import _cv_app
from .sansio.cookies import parse_cookie
from .sansio.datastructures import (
    Accept,
    Authorization,
    CharsetAccept,
    CombinedMultiDict,
    EnvironHeaders,
    ETags,
    FileStorage,
    IfRange,
    ImmutableMultiDict,
    LanguageAccept,
    MIMEAccept,
    MultiDict,
    Range,
    UserAgent,
)
from .sansio.forms import parse_form_data
from .sansio.http import (
    parse_accept_header,
    parse_authorization_header,
    parse_date,
    parse_etags,
    parse_if_range_header,
    parse_options_header,
    parse_range_header,
)
from .sansio.streams import LimitedStream
from .sansio.urls import parse_qsl, url_unquote_path

if t.TYPE_CHECKING:  # pragma: no cover
    from datetime import datetime

    from .routing import Rule

__all__ = ["Request"]

_URLENCODED = "application/x-www-form-urlencoded"
_NO_FILES: ImmutableMultiDict[str, FileStorage] = ImmutableMultiDict()
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}
# SPEC: RFC 3986 §3.2.2 reg-name / IP-literal, plus an optional port. Anything
# else in Host (spaces, slashes, @, control characters) is refused.
_HOST_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:[]%!$&'()*+,;="
)


class Request:
    """The request object a view reads through the ``request`` proxy.

    It is a thin, lazy wrapper over the WSGI environ: build it freely, it costs
    one attribute store. Reading an attribute parses only that part.

    :param environ: the WSGI environ of the request.
    :param populate_request: store this object in the environ under
        ``"kolba.request"`` so middleware can find it.
    :param shallow: forbid reading the body (used by code that must not consume
        the input stream).
    """

    #: Class used for ``args``, ``form``, ``cookies`` (immutable).
    parameter_storage_class: type[MultiDict[str, t.Any]] = ImmutableMultiDict
    #: Class used by ``values``.
    dict_storage_class: type[MultiDict[str, t.Any]] = ImmutableMultiDict
    #: JSON module with ``loads``: :mod:`kolba.json`, which uses the current
    #: app's JSON provider (``app.json``) and the standard library outside one.
    json_module: t.Any = _kolba_json

    #: The matched rule, or ``None`` before routing or when routing failed.
    url_rule: Rule | None = None
    #: The view arguments of the matched rule.
    view_args: dict[str, t.Any] | None = None
    #: The routing error (404/405/redirect) when matching failed.
    routing_exception: Exception | None = None
    #: Hosts allowed in the Host header; ``None`` allows any host.
    trusted_hosts: list[str] | None = None

    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None
    _cached_data: bytes | None = None

    def __init__(
        self,
        environ: dict[str, t.Any],
        populate_request: bool = True,
        shallow: bool = False,
    ) -> None:
        self.environ = environ
        self.shallow = shallow
        if populate_request and not shallow:
            environ["kolba.request"] = self
        # PERF: every request is routed, so method and path are always read;
        # storing them now (they shadow the lazy properties below) saves a
        # Python-level descriptor call each. A non-ASCII path is left to the
        # lazy property, which may raise 400 inside the pipeline's handling.
        self.method = str(environ.get("REQUEST_METHOD") or "GET").upper()
        raw = environ.get("PATH_INFO") or "/"
        if raw.isascii():
            self.path = raw if raw[0] == "/" else "/" + raw

    def __repr__(self) -> str:
        try:
            url = self.url
        except Exception:  # a broken request still prints
            url = "(invalid URL)"
        return f"<{type(self).__name__} {url!r} [{self.method}]>"

    @classmethod
    def from_values(cls, *args: t.Any, **kwargs: t.Any) -> Request:
        """Build a request as the test client would; for tests and scripts."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(*args, **kwargs)
        try:
            return cls(builder.get_environ())
        finally:
            builder.close()

    # -- request line ---------------------------------------------------------

    @cached_property
    def method(self) -> str:
        """The request method, upper-case (``"GET"``)."""
        return str(self.environ.get("REQUEST_METHOD", "GET")).upper()

    @cached_property
    def scheme(self) -> str:
        """``"http"`` or ``"https"`` (after any proxy fix-up)."""
        return str(self.environ.get("wsgi.url_scheme", "http"))

    @property
    def is_secure(self) -> bool:
        """Whether the request came over HTTPS (or WSS)."""
        return self.scheme in ("https", "wss")

    @cached_property
    def path(self) -> str:
        """The decoded path below the script root, always starting with ``/``.

        A path whose bytes are not UTF-8 raises a 400.
        """
        raw = self.environ.get("PATH_INFO") or ""
        # PERF: the common case is plain ASCII, which needs no decoding at all.
        path = raw if raw.isascii() else url_unquote_path(raw)
        if not path.startswith("/"):
            path = "/" + path
        return path

    @cached_property
    def root_path(self) -> str:
        """The decoded SCRIPT_NAME (where the app is mounted), no trailing slash."""
        raw = self.environ.get("SCRIPT_NAME") or ""
        path = raw if raw.isascii() else url_unquote_path(raw)
        return path.rstrip("/")

    @property
    def script_root(self) -> str:
        """Alias of :attr:`root_path`."""
        return self.root_path

    @cached_property
    def query_string(self) -> bytes:
        """The raw query string as bytes."""
        return str(self.environ.get("QUERY_STRING", "")).encode("latin-1", "replace")

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
        environ = self.environ
        host = environ.get("HTTP_HOST")
        if not host:
            host = environ.get("SERVER_NAME", "")
            port = str(environ.get("SERVER_PORT", ""))
            if port and port != _DEFAULT_PORTS.get(self.scheme):
                host = f"{host}:{port}"
        elif not host.isascii() or not _HOST_CHARS.issuperset(host):
            raise BadRequest(
                "The Host header contains characters that cannot appear in a host name."
            )
        else:
            # SPEC: RFC 9110 §7.2 — a default port is equivalent to none.
            name, sep, port = host.rpartition(":")
            if sep and "]" not in port and port == _DEFAULT_PORTS.get(self.scheme):
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
    def remote_addr(self) -> str | None:
        """The client's address as the server saw it (REMOTE_ADDR)."""
        return self.environ.get("REMOTE_ADDR")

    @cached_property
    def access_route(self) -> list[str]:
        """The X-Forwarded-For chain, client first; ``[remote_addr]`` without it."""
        forwarded = self.environ.get("HTTP_X_FORWARDED_FOR")
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
    def headers(self) -> EnvironHeaders:
        """The request headers: case-insensitive and multi-valued."""
        return EnvironHeaders(self.environ)

    @cached_property
    def args(self) -> MultiDict[str, str]:
        """The parsed query string (``?a=1&a=2`` keeps both values)."""
        return self.parameter_storage_class(
            parse_qsl(self.environ.get("QUERY_STRING", ""), part="query string")
        )

    @cached_property
    def cookies(self) -> MultiDict[str, str]:
        """The cookies the client sent."""
        return self.parameter_storage_class(
            parse_cookie(self.environ.get("HTTP_COOKIE"))
        )

    @cached_property
    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        return parse_options_header(self.environ.get("CONTENT_TYPE", ""))

    @property
    def content_type(self) -> str | None:
        """The raw Content-Type header."""
        return self.environ.get("CONTENT_TYPE") or None

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
        environ = self.environ
        raw = environ.get("CONTENT_LENGTH")
        encoding = environ.get("HTTP_TRANSFER_ENCODING")
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
        return self.environ.get("HTTP_CONTENT_ENCODING")

    @property
    def referrer(self) -> str | None:
        """The Referer header."""
        return self.environ.get("HTTP_REFERER")

    @property
    def origin(self) -> str | None:
        """The Origin header."""
        return self.environ.get("HTTP_ORIGIN")

    @cached_property
    def date(self) -> datetime | None:
        """The Date header as an aware datetime."""
        return parse_date(self.environ.get("HTTP_DATE"))

    @cached_property
    def user_agent(self) -> UserAgent:
        """The User-Agent header."""
        return UserAgent(self.environ.get("HTTP_USER_AGENT", ""))

    @cached_property
    def authorization(self) -> Authorization | None:
        """The parsed Authorization header (Basic or a token scheme), or ``None``."""
        return parse_authorization_header(self.environ.get("HTTP_AUTHORIZATION"))

    @cached_property
    def accept_mimetypes(self) -> MIMEAccept:
        """The Accept header, with ``best_match``."""
        return parse_accept_header(self.environ.get("HTTP_ACCEPT"), MIMEAccept)

    @cached_property
    def accept_languages(self) -> LanguageAccept:
        """The Accept-Language header."""
        return parse_accept_header(
            self.environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept
        )

    @cached_property
    def accept_charsets(self) -> CharsetAccept:
        """The Accept-Charset header."""
        return parse_accept_header(
            self.environ.get("HTTP_ACCEPT_CHARSET"), CharsetAccept
        )

    @cached_property
    def accept_encodings(self) -> Accept:
        """The Accept-Encoding header."""
        return parse_accept_header(self.environ.get("HTTP_ACCEPT_ENCODING"), Accept)

    @cached_property
    def if_none_match(self) -> ETags:
        """The If-None-Match header as ETags."""
        return parse_etags(self.environ.get("HTTP_IF_NONE_MATCH"))

    @cached_property
    def if_match(self) -> ETags:
        """The If-Match header as ETags."""
        return parse_etags(self.environ.get("HTTP_IF_MATCH"))

    @cached_property
    def if_modified_since(self) -> datetime | None:
        """The If-Modified-Since header as an aware datetime."""
        return parse_date(self.environ.get("HTTP_IF_MODIFIED_SINCE"))

    @cached_property
    def if_unmodified_since(self) -> datetime | None:
        """The If-Unmodified-Since header as an aware datetime."""
        return parse_date(self.environ.get("HTTP_IF_UNMODIFIED_SINCE"))

    @cached_property
    def if_range(self) -> IfRange:
        """The If-Range header."""
        return parse_if_range_header(self.environ.get("HTTP_IF_RANGE"))

    @cached_property
    def range(self) -> Range | None:
        """The Range header, or ``None`` when absent or malformed."""
        return parse_range_header(self.environ.get("HTTP_RANGE"))

    @property
    def is_multithread(self) -> bool:
        return bool(self.environ.get("wsgi.multithread"))

    @property
    def is_multiprocess(self) -> bool:
        return bool(self.environ.get("wsgi.multiprocess"))

    @property
    def is_run_once(self) -> bool:
        return bool(self.environ.get("wsgi.run_once"))

    # -- limits -----------------------------------------------------------------

    def _limits(self) -> tuple[int | None, int | None, int | None]:
        """``(max_content_length, max_form_memory_size, max_form_parts)``.

        PERF: reads the app config once for all three, instead of one context
        lookup per limit.
        """
        limits = self.__dict__.get("_limits_cache")
        if limits is not None:
            # cast: _limits() stores exactly this tuple.
            return t.cast("tuple[int | None, int | None, int | None]", limits)
        ctx = _cv_app.get(None)
        config = ctx.app.config if ctx is not None else {}
        limits = (
            self._max_content_length
            if self._max_content_length is not None
            else config.get("MAX_CONTENT_LENGTH"),
            self._max_form_memory_size
            if self._max_form_memory_size is not None
            else config.get("MAX_FORM_MEMORY_SIZE"),
            self._max_form_parts
            if self._max_form_parts is not None
            else config.get("MAX_FORM_PARTS"),
        )
        self.__dict__["_limits_cache"] = limits
        return limits

    @property
    def max_content_length(self) -> int | None:
        """The most body bytes accepted (MAX_CONTENT_LENGTH); beyond it, 413."""
        return self._limits()[0]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value
        self.__dict__.pop("_limits_cache", None)

    @property
    def max_form_memory_size(self) -> int | None:
        """The most bytes of non-file form fields kept in memory; beyond it, 413."""
        return self._limits()[1]

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value
        self.__dict__.pop("_limits_cache", None)

    @property
    def max_form_parts(self) -> int | None:
        """The most fields and files a form may carry; beyond it, 413."""
        return self._limits()[2]

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value
        self.__dict__.pop("_limits_cache", None)

    # -- body -------------------------------------------------------------------

    @cached_property
    def stream(self) -> t.IO[bytes]:
        """The body as a stream that never reads past Content-Length.

        A declared Content-Length above :attr:`max_content_length` raises 413
        before anything is read; a chunked body is cut off with a 413 when it
        crosses the limit.
        """
        if self.shallow:
            raise RuntimeError(
                "This request is shallow: reading its body is not allowed here."
            )
        environ = self.environ
        raw = environ.get("wsgi.input")
        limit = self._limits()[0]
        length = self.content_length
        if raw is None:
            return io.BytesIO()
        if length is not None:
            if limit is not None and length > limit:
                raise RequestEntityTooLarge(
                    f"The request body is {length} bytes; this server accepts at "
                    f"most {limit} (MAX_CONTENT_LENGTH)."
                )
            # LimitedStream is a RawIOBase: it has IO[bytes]'s read/readline/
            # readinto/close, but typeshed does not declare RawIOBase as IO.
            return t.cast("t.IO[bytes]", LimitedStream(raw, length))
        if environ.get("wsgi.input_terminated"):
            # A chunked body: the server marks the stream's end for us.
            if limit is not None:
                # A RawIOBase, used as IO[bytes] like LimitedStream above.
                return t.cast("t.IO[bytes]", _CappedStream(raw, limit))
            # wsgi.input is untyped (PEP 3333); servers give a binary stream.
            return t.cast("t.IO[bytes]", raw)
        # SPEC: PEP 3333 — without Content-Length a WSGI app must not read input.
        return io.BytesIO()

    @property
    def input_stream(self) -> t.Any:
        """The raw ``wsgi.input``, unlimited. Prefer :attr:`stream`."""
        return self.environ.get("wsgi.input")

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> t.Any:
        """Read the whole body.

        :param cache: keep the bytes so later calls return them again.
        :param as_text: decode as UTF-8 (invalid bytes raise a 400).
        :param parse_form_data: parse form data first, so form bodies land in
            :attr:`form` and this returns ``b""`` for them.
        """
        if parse_form_data:
            self._load_form_data()
        data = self._cached_data
        if data is None:
            data = self.stream.read()
            if cache:
                self._cached_data = data
        if as_text:
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest("The request body is not valid UTF-8.") from None
        return data

    @property
    def data(self) -> bytes:
        """The body as bytes (empty for form bodies, which go to :attr:`form`)."""
        # cast: get_data() without as_text returns bytes.
        return t.cast(bytes, self.get_data(parse_form_data=True))

    def _wants_form(self) -> bool:
        if self.environ.get("CONTENT_TYPE") == _URLENCODED:
            return True  # PERF: the usual header needs no parsing
        return self.mimetype in (_URLENCODED, "multipart/form-data")

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        if self.shallow or not self._wants_form():
            form: MultiDict[str, str] = self.parameter_storage_class()
            files: MultiDict[str, FileStorage] = self.parameter_storage_class()
        elif (
            self._cached_data is None
            and "stream" not in self.__dict__
            and (
                self.environ.get("CONTENT_TYPE") == _URLENCODED
                or self.mimetype == _URLENCODED
            )
            and self.content_length is not None
            and self.environ.get("wsgi.input") is not None
        ):
            form, files = self._load_urlencoded(self.content_length)
        else:
            if self._cached_data is not None:
                stream: t.IO[bytes] = io.BytesIO(self._cached_data)
            else:
                stream = self.stream
                # The body is consumed by the form parser; data is empty after.
                self._cached_data = b""
            mimetype, options = self._parsed_content_type
            max_content_length, max_form_memory_size, max_form_parts = self._limits()
            form, files = parse_form_data(
                stream,
                mimetype.lower(),
                options,
                self.content_length,
                max_form_memory_size=max_form_memory_size,
                max_form_parts=max_form_parts,
                max_content_length=max_content_length,
            )
            # PERF: the parser already returns immutable multidicts; copy only
            # when a subclass asks for another storage class.
            storage = self.parameter_storage_class
            if type(form) is not storage:
                form = storage(form)
            if type(files) is not storage:
                files = storage(files)
        self.__dict__["form"] = form
        self.__dict__["files"] = files

    def _load_urlencoded(
        self, length: int
    ) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
        # PERF: the common form post (urlencoded, with Content-Length) reads
        # the exact body once, without wrapping the input in a stream object.
        max_content_length, max_form_memory_size, max_form_parts = self._limits()
        if max_content_length is not None and length > max_content_length:
            raise RequestEntityTooLarge(
                f"The request body is {length} bytes; this server accepts at "
                f"most {max_content_length} (MAX_CONTENT_LENGTH)."
            )
        if max_form_memory_size is not None and length > max_form_memory_size:
            raise RequestEntityTooLarge(
                f"The form data is {length} bytes; this server keeps at most "
                f"{max_form_memory_size} in memory (MAX_FORM_MEMORY_SIZE)."
            )
        body = self.environ["wsgi.input"].read(length) if length else b""
        if len(body) < length:
            raise BadRequest(
                "The client disconnected before sending the whole request body."
            )
        self._cached_data = b""  # the body now lives in form, as with Flask
        try:
            pairs = parse_qsl(body, max_fields=max_form_parts, part="form")
        except RequestEntityTooLarge:
            raise RequestEntityTooLarge(
                f"The form has more than {max_form_parts} fields (MAX_FORM_PARTS)."
            ) from None
        storage = self.parameter_storage_class
        if storage is ImmutableMultiDict:
            # PERF: an immutable empty dict can be shared by every request.
            return storage(pairs), _NO_FILES
        return storage(pairs), storage()

    @cached_property
    def form(self) -> MultiDict[str, str]:
        """Fields of a urlencoded or multipart body (not files)."""
        self._load_form_data()
        # cast: _load_form_data() stored it.
        return t.cast("MultiDict[str, str]", self.__dict__["form"])

    @cached_property
    def files(self) -> MultiDict[str, FileStorage]:
        """Uploaded files of a multipart body, as :class:`FileStorage`."""
        self._load_form_data()
        # cast: _load_form_data() stored it.
        return t.cast("MultiDict[str, FileStorage]", self.__dict__["files"])

    @cached_property
    def values(self) -> CombinedMultiDict[str, str]:
        """``args`` and ``form`` combined (for GET, only ``args``, as Flask)."""
        sources: list[MultiDict[str, str]] = [self.args]
        if self.method != "GET":
            sources.append(self.form)
        return CombinedMultiDict(sources)

    # -- JSON -------------------------------------------------------------------

    @property
    def is_json(self) -> bool:
        """Whether the mimetype is ``application/json`` or ``application/*+json``."""
        mt = self.mimetype
        return mt == "application/json" or (
            mt.startswith("application/") and mt.endswith("+json")
        )

    @property
    def json(self) -> t.Any:
        """The parsed JSON body; 415 if the request is not JSON, 400 if invalid."""
        return self.get_json()

    _cached_json: tuple[t.Any, t.Any] = (Ellipsis, Ellipsis)

    def get_json(
        self, force: bool = False, silent: bool = False, cache: bool = True
    ) -> t.Any:
        """Parse the body as JSON.

        :param force: parse even when the mimetype is not JSON.
        :param silent: return ``None`` instead of raising on failure.
        :param cache: keep the result for later calls.
        """
        cached = self._cached_json[silent]
        if cached is not Ellipsis:
            return cached
        if not (force or self.is_json):
            if silent:
                return None
            return self.on_json_loading_failed(None)
        data = self.get_data(cache=cache)
        try:
            try:
                value = self.json_module.loads(data)
            except RecursionError:
                # SECURITY: deeply nested input is the client's error, not a 500.
                raise ValueError("the document is nested too deeply") from None
        except ValueError as exc:
            if silent:
                value = None
                if cache:
                    normal = self._cached_json[False]
                    self._cached_json = (normal, None)
            else:
                return self.on_json_loading_failed(exc)
        else:
            if cache:
                self._cached_json = (value, value)
        return value

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        """Called when JSON parsing fails; raises 400 (or 415 for non-JSON)."""
        if e is not None:
            raise BadRequest(f"Failed to decode JSON object: {e}")
        raise UnsupportedMediaType(
            "Did not attempt to load JSON data because the request Content-Type "
            "was not 'application/json'."
        )

    def close(self) -> None:
        """Close uploaded files."""
        files = self.__dict__.get("files")
        if files:
            for _key, value in files.items(multi=True):
                value.close()

    def __enter__(self) -> Request:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


class _CappedStream(io.RawIOBase):
    """A terminated (chunked) input that raises 413 past ``limit`` bytes."""

    def __init__(self, stream: t.Any, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        view = memoryview(buffer)
        chunk = self._stream.read(len(view))
        self._account(len(chunk))
        view[: len(chunk)] = chunk
        return len(chunk)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while True:
                chunk = self._stream.read(65536)
                if not chunk:
                    break
                self._account(len(chunk))
                chunks.append(chunk)
            return b"".join(chunks)
        chunk = self._stream.read(size)
        self._account(len(chunk))
        return t.cast(bytes, chunk)  # wsgi.input is a binary stream (PEP 3333)

    def _account(self, count: int) -> None:
        self._read += count
        if self._read > self._limit:
            raise RequestEntityTooLarge(
                f"The request body is larger than {self._limit} bytes "
                "(MAX_CONTENT_LENGTH)."
            )
