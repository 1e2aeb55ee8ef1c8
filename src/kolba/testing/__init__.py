"""Testing tools: the test client, the environ builder and the CLI runner.

The client calls the application directly — no socket, no server — with an
environ built exactly as a server would build it, and keeps cookies between
requests like a browser. By default it calls the WSGI callable; with
``asgi=True`` (or :attr:`KolbaClient.default_asgi`) the same request goes
through ``app.asgi_app`` (see :mod:`kolba.testing.asgi`), and
:meth:`KolbaClient.websocket` opens WebSockets.
"""

from __future__ import annotations

import io
import json as _json
import sys
import typing as t
from base64 import b64encode
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from urllib.parse import unquote_to_bytes, urlencode, urljoin, urlsplit

from click.testing import CliRunner, Result

from ..response import Response
from ..sansio.cookies import _quote_value, _unslash
from ..sansio.datastructures import FileStorage, Headers, MultiDict
from ..sansio.http import parse_date
from ..sansio.multipart import encode_multipart

if t.TYPE_CHECKING:  # pragma: no cover
    from ..app import Kolba
    from .asgi import WebsocketSession

__all__ = [
    "ClientRedirectError",
    "EnvironBuilder",
    "KolbaClient",
    "KolbaCliRunner",
    "TestResponse",
]

_USER_AGENT = "Kolba-test-client/0.1"


def _is_file_value(value: t.Any) -> bool:
    return isinstance(value, (FileStorage, tuple)) or hasattr(value, "read")


class EnvironBuilder:
    """Build a WSGI environ from test-client style arguments.

    :param app: the application; its SERVER_NAME, APPLICATION_ROOT and
        PREFERRED_URL_SCHEME shape the default base URL.
    :param path: the path, optionally with a query string; or a full URL.
    :param base_url: ``scheme://host/root`` to serve under.
    :param query_string: a dict, MultiDict, list of pairs or a string.
    :param method: the request method.
    :param headers: a dict, list of pairs or :class:`Headers`.
    :param data: a dict (form; multipart when it holds files), ``str`` or
        ``bytes`` (the raw body), or a file-like object.
    :param json: a value sent as a JSON body.
    :param content_type: the Content-Type of a raw body.
    :param auth: ``(username, password)`` for Basic auth, or a header value.
    :param environ_base: environ keys to start from.
    :param environ_overrides: environ keys applied last.
    """

    def __init__(
        self,
        app: Kolba | None = None,
        path: str = "/",
        base_url: str | None = None,
        query_string: t.Any = None,
        method: str = "GET",
        input_stream: t.IO[bytes] | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        errors_stream: t.IO[str] | None = None,
        multithread: bool = False,
        multiprocess: bool = False,
        run_once: bool = False,
        headers: t.Any = None,
        data: t.Any = None,
        environ_base: t.Mapping[str, t.Any] | None = None,
        environ_overrides: t.Mapping[str, t.Any] | None = None,
        mimetype: str | None = None,
        json: t.Any = None,
        auth: tuple[str, str] | str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
    ) -> None:
        self.app = app
        parts = urlsplit(path)
        if base_url is None:
            if parts.scheme and parts.netloc:
                base_url = f"{parts.scheme}://{parts.netloc}/"
            elif app is not None:
                server_name = app.config.get("SERVER_NAME") or "localhost"
                root = str(app.config.get("APPLICATION_ROOT") or "/").lstrip("/")
                scheme = url_scheme or app.config.get("PREFERRED_URL_SCHEME") or "http"
                host = f"{subdomain}.{server_name}" if subdomain else server_name
                base_url = f"{scheme}://{host}/{root}"
            else:
                base_url = "http://localhost/"
        elif subdomain or url_scheme:
            raise ValueError("Pass base_url or subdomain/url_scheme, not both.")
        base = urlsplit(base_url)
        self.url_scheme = base.scheme or "http"
        self.host = base.netloc or "localhost"
        self.script_root = base.path.rstrip("/")
        self.path = parts.path or "/"
        self.method = method.upper()
        if query_string is None:
            self.query_string = _wsgi_str(parts.query)
        elif isinstance(query_string, (str, bytes)):
            qs = (
                query_string.decode("latin-1")
                if isinstance(query_string, bytes)
                else _wsgi_str(query_string)
            )
            self.query_string = qs
        else:
            self.query_string = _encode_pairs(query_string)
        self.headers = Headers(headers) if headers is not None else Headers()
        if auth is not None:
            if isinstance(auth, tuple):
                token = b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
                self.headers["Authorization"] = f"Basic {token}"
            else:
                self.headers["Authorization"] = str(auth)
        self.errors_stream = errors_stream if errors_stream is not None else sys.stderr
        self.multithread = multithread
        self.multiprocess = multiprocess
        self.run_once = run_once
        self.environ_base = dict(environ_base or {})
        self.environ_overrides = dict(environ_overrides or {})
        if mimetype is not None and content_type is None:
            content_type = mimetype
        self.content_type = content_type
        self.content_length = content_length
        self.input_stream = input_stream
        self.body: bytes | None = None

        if json is not None:
            if data is not None:
                raise TypeError("Pass either 'data' or 'json', not both.")
            dumps = app.json.dumps if app is not None else _json.dumps
            data = dumps(json)
            if self.content_type is None:
                self.content_type = "application/json"
        if data is not None:
            if input_stream is not None:
                raise TypeError("Pass either 'data' or 'input_stream', not both.")
            self._set_data(data)

    def _set_data(self, data: t.Any) -> None:
        if isinstance(data, str):
            self.body = data.encode("utf-8")
        elif isinstance(data, (bytes, bytearray)):
            self.body = bytes(data)
        elif hasattr(data, "read"):
            self.body = data.read()
        else:
            items = _pairs(data)
            if any(_is_file_value(value) for _key, value in items):
                fields: list[tuple[str, t.Any]] = []
                for key, value in items:
                    fields.append(
                        (
                            key,
                            _file_field(value) if _is_file_value(value) else str(value),
                        )
                    )
                body, content_type = encode_multipart(fields)
                self.body = body
                self.content_type = content_type
            else:
                self.body = _encode_pairs(items).encode("utf-8")
                if self.content_type is None:
                    self.content_type = "application/x-www-form-urlencoded"
            return

    def get_environ(self) -> dict[str, t.Any]:
        """The environ for this request."""
        host, _, port = self.host.partition(":")
        if not port:
            port = "443" if self.url_scheme == "https" else "80"
        path = unquote_to_bytes(self.path).decode("latin-1")
        script = unquote_to_bytes(self.script_root).decode("latin-1")
        environ: dict[str, t.Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": script,
            "PATH_INFO": path,
            "QUERY_STRING": self.query_string,
            "REQUEST_URI": (self.script_root + self.path)
            + (f"?{self.query_string}" if self.query_string else ""),
            "RAW_URI": (self.script_root + self.path)
            + (f"?{self.query_string}" if self.query_string else ""),
            "SERVER_NAME": host,
            "SERVER_PORT": port,
            "HTTP_HOST": self.host,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.url_scheme,
            "wsgi.errors": self.errors_stream,
            "wsgi.multithread": self.multithread,
            "wsgi.multiprocess": self.multiprocess,
            "wsgi.run_once": self.run_once,
        }
        environ.update(self.environ_base)
        if self.input_stream is not None:
            environ["wsgi.input"] = self.input_stream
            if self.content_length is not None:
                environ["CONTENT_LENGTH"] = str(self.content_length)
            else:
                environ["wsgi.input_terminated"] = True
        else:
            body = self.body or b""
            environ["wsgi.input"] = io.BytesIO(body)
            if self.body is not None:
                environ["CONTENT_LENGTH"] = str(
                    self.content_length
                    if self.content_length is not None
                    else len(body)
                )
            elif self.content_length is not None:
                environ["CONTENT_LENGTH"] = str(self.content_length)
        if self.content_type is not None:
            environ["CONTENT_TYPE"] = self.content_type
        from_headers: set[str] = set()
        for key, text in self.headers.items():
            # A server hands header bytes over as latin-1 text (PEP 3333).
            value = _wsgi_str(text)
            name = key.upper().replace("-", "_")
            if name == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif name == "CONTENT_LENGTH":
                environ["CONTENT_LENGTH"] = value
            else:
                wsgi_key = f"HTTP_{name}"
                # A header given twice is joined, as a server joins repeated
                # headers; a header given once replaces the environ default.
                if wsgi_key in from_headers:
                    environ[wsgi_key] = f"{environ[wsgi_key]}, {value}"
                else:
                    environ[wsgi_key] = value
                    from_headers.add(wsgi_key)
        environ.update(self.environ_overrides)
        return environ

    def get_request(self, cls: type[t.Any] | None = None) -> t.Any:
        """A request object for this environ."""
        if cls is None:
            from ..request import Request

            cls = Request
        return cls(self.get_environ())

    def close(self) -> None:
        """Release resources (nothing is held; kept for API compatibility)."""


def _wsgi_str(text: str) -> str:
    """Text as a WSGI "native string": its UTF-8 bytes, one char per byte."""
    return text if text.isascii() else text.encode("utf-8").decode("latin-1")


def _pairs(data: t.Any) -> list[tuple[str, t.Any]]:
    if isinstance(data, MultiDict):
        return list(data.items(multi=True))
    if isinstance(data, t.Mapping):
        items: list[tuple[str, t.Any]] = []
        for key, value in data.items():
            if isinstance(value, list):
                items.extend((key, item) for item in value)
            else:
                items.append((key, value))
        return items
    return list(data)


def _encode_pairs(data: t.Any) -> str:
    return urlencode([(k, v) for k, v in _pairs(data) if v is not None], doseq=False)


def _file_field(value: t.Any) -> tuple[t.Any, str, str | None]:
    if isinstance(value, FileStorage):
        return (value.stream.read(), value.filename or "", value.content_type)
    if isinstance(value, tuple):
        stream = value[0]
        filename = value[1] if len(value) > 1 else getattr(stream, "name", "")
        ctype = value[2] if len(value) > 2 else None
        content = stream.read() if hasattr(stream, "read") else stream
        return (content, str(filename), ctype or _guess_type(str(filename)))
    name = getattr(value, "name", "") or ""
    if not isinstance(name, str):
        name = ""
    import os

    filename = os.path.basename(name)
    return (value.read(), filename, _guess_type(filename))


def _guess_type(filename: str) -> str:
    import mimetypes

    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


class ClientRedirectError(RuntimeError):
    """Following redirects led to a loop (or too many redirects)."""


class TestResponse(Response):
    """A response from the test client, with the request and redirect history."""

    __test__ = False  # not a pytest test class

    # Show only the headers the app sent: never invent a Content-Type (a 304
    # or a bare WSGI response has none), as in Werkzeug's TestResponse.
    default_mimetype: str | None = None
    request: t.Any = None
    history: tuple[TestResponse, ...] = ()

    def __init__(self, *args: t.Any, request: t.Any = None, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.history = ()

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        # cast: get_data(as_text=True) returns str.
        return t.cast(str, self.get_data(as_text=True))

    def make_sequence(self) -> None:
        # Consume the body and close it at once, so contexts kept alive by a
        # streamed response (stream_with_context) end when the test reads it.
        if not self.is_sequence:
            iterable = self.response
            try:
                self.response = list(self.iter_encoded())
            finally:
                close = getattr(iterable, "close", None)
                if close is not None:
                    close()


class Cookie:
    """A cookie held by the test client."""

    def __init__(
        self,
        key: str,
        value: str,
        domain: str,
        path: str,
        origin_only: bool = True,
        expires: datetime | None = None,
        max_age: int | None = None,
        secure: bool = False,
        http_only: bool = False,
        same_site: str | None = None,
        partitioned: bool = False,
    ) -> None:
        self.key = key
        self.value = value
        self.domain = domain
        self.path = path
        self.origin_only = origin_only
        self.expires = expires
        self.max_age = max_age
        self.secure = secure
        self.http_only = http_only
        self.same_site = same_site
        self.partitioned = partitioned

    @property
    def decoded_key(self) -> str:
        return self.key

    @property
    def decoded_value(self) -> str:
        return self.value

    def _matches(self, host: str, path: str) -> bool:
        host = host.partition(":")[0]
        if self.origin_only:
            if host != self.domain:
                return False
        elif not (host == self.domain or host.endswith("." + self.domain)):
            return False
        return path.startswith(self.path) or path + "/" == self.path

    def _expired(self) -> bool:
        if self.max_age is not None and self.max_age <= 0:
            return True
        return self.expires is not None and self.expires <= datetime.now(UTC)

    def __repr__(self) -> str:
        return (
            f"<Cookie {self.key}={self.value!r} domain={self.domain} path={self.path}>"
        )


def _parse_set_cookie(header: str, default_host: str) -> Cookie | None:
    parts = [part.strip() for part in header.split(";")]
    name, sep, value = parts[0].partition("=")
    if not sep or not name.strip():
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = _unslash(value[1:-1])
    attrs: dict[str, str] = {}
    for part in parts[1:]:
        key, _, val = part.partition("=")
        attrs[key.strip().lower()] = val.strip()
    domain = attrs.get("domain", "").lstrip(".")
    max_age = None
    if attrs.get("max-age", "").lstrip("-").isdigit():
        max_age = int(attrs["max-age"])
    return Cookie(
        name.strip(),
        value,
        domain or default_host.partition(":")[0],
        attrs.get("path") or "/",
        origin_only=not domain,
        expires=parse_date(attrs.get("expires")),
        max_age=max_age,
        secure="secure" in attrs,
        http_only="httponly" in attrs,
        same_site=attrs.get("samesite"),
        partitioned="partitioned" in attrs,
    )


class KolbaClient:
    """Send requests to an app and read its responses; keeps cookies.

    Obtain one with ``app.test_client()``. ``with client:`` keeps the last
    request's context active after the request, so ``request`` and
    ``session`` can be inspected.
    """

    __test__ = False  # not a pytest test class

    #: The front end new clients use: ``True`` sends every request through
    #: ``app.asgi_app`` (the ASGI front end), ``False`` through the WSGI
    #: callable. A test suite can flip it to run the same tests over both.
    default_asgi: t.ClassVar[bool] = False

    def __init__(
        self,
        application: Kolba,
        response_wrapper: type[Response] | None = None,
        use_cookies: bool = True,
        allow_subdomain_redirects: bool = False,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> None:
        self.application = application
        if response_wrapper in (None, Response):
            response_wrapper = TestResponse
        elif response_wrapper is not None and not issubclass(
            response_wrapper, TestResponse
        ):
            response_wrapper = type(
                "WrapperTestResponse", (TestResponse, response_wrapper), {}
            )
        # cast: each branch above leaves a TestResponse subclass.
        self.response_wrapper = t.cast("type[TestResponse]", response_wrapper)
        self._cookies: dict[tuple[str, str, str], Cookie] | None = (
            {} if use_cookies else None
        )
        self.allow_subdomain_redirects = allow_subdomain_redirects
        self.environ_base: dict[str, t.Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": _USER_AGENT,
        }
        self.preserve_context = False
        self._new_contexts: list[t.Any] = []
        self._context_stack = ExitStack()
        asgi = kwargs.pop("asgi", None)
        #: Send requests through ``app.asgi_app`` instead of the WSGI callable.
        self.asgi: bool = type(self).default_asgi if asgi is None else bool(asgi)

    # -- cookies ---------------------------------------------------------------------

    def get_cookie(
        self, key: str, domain: str = "localhost", path: str = "/"
    ) -> Cookie | None:
        """The cookie the client holds for ``key`` (and domain/path), if any."""
        if self._cookies is None:
            raise TypeError(
                "Cookies are disabled: create the client with use_cookies=True."
            )
        return self._cookies.get((domain, path, key))

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        **kwargs: t.Any,
    ) -> None:
        """Store a cookie as if the server had set it."""
        if self._cookies is None:
            raise TypeError(
                "Cookies are disabled: create the client with use_cookies=True."
            )
        cookie = Cookie(key, value, domain, path, origin_only=origin_only)
        if kwargs.get("max_age") is not None and int(kwargs["max_age"]) <= 0:
            self._cookies.pop((domain, path, key), None)
            return
        self._cookies[(domain, path, key)] = cookie

    def delete_cookie(
        self, key: str, *, domain: str = "localhost", path: str = "/"
    ) -> None:
        """Forget a cookie."""
        if self._cookies is None:
            raise TypeError(
                "Cookies are disabled: create the client with use_cookies=True."
            )
        self._cookies.pop((domain, path, key), None)

    def _add_cookies_to_environ(self, environ: dict[str, t.Any]) -> None:
        if self._cookies is None:
            return
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/")
        secure = environ.get("wsgi.url_scheme") == "https"
        values = []
        for key, cookie in list(self._cookies.items()):
            if cookie._expired():
                del self._cookies[key]
                continue
            if (
                cookie.secure
                and not secure
                and host.partition(":")[0] not in ("localhost", "127.0.0.1")
            ):
                continue
            if cookie._matches(host, path):
                # Values are kept decoded; quote them as dump_cookie would.
                values.append(f"{cookie.key}={_quote_value(cookie.value)}")
        if values:
            existing = environ.get("HTTP_COOKIE")
            joined = "; ".join(values)
            environ["HTTP_COOKIE"] = f"{existing}; {joined}" if existing else joined

    def _update_cookies(self, environ: dict[str, t.Any], headers: Headers) -> None:
        if self._cookies is None:
            return
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
        for header in headers.getlist("Set-Cookie"):
            cookie = _parse_set_cookie(header, host)
            if cookie is None:
                continue
            key = (cookie.domain, cookie.path, cookie.key)
            if cookie._expired():
                self._cookies.pop(key, None)
            else:
                self._cookies[key] = cookie

    @contextmanager
    def session_transaction(self, *args: t.Any, **kwargs: t.Any) -> t.Iterator[t.Any]:
        """Open the session as the next request would see it, edit, save back."""
        if self._cookies is None:
            raise TypeError(
                "Cookies are disabled: session_transaction() needs use_cookies=True."
            )
        app = self.application
        ctx = app.test_request_context(*args, **kwargs)
        self._add_cookies_to_environ(ctx.request.environ)
        ctx.request.__dict__.pop("cookies", None)
        with ctx:
            interface = app.session_interface
            sess = interface.open_session(app, ctx.request)
            if sess is None:
                raise RuntimeError(
                    "The session backend failed to open a session; set SECRET_KEY."
                )
            yield sess
            response = app.response_class()
            if not interface.is_null_session(sess):
                interface.save_session(app, sess, response)
        self._update_cookies(ctx.request.environ, response.headers)

    # -- requests ----------------------------------------------------------------------

    def _request_from_builder_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> EnvironBuilder:
        kwargs["environ_base"] = {
            **self.environ_base,
            **(kwargs.get("environ_base") or {}),
        }
        return EnvironBuilder(self.application, *args, **kwargs)

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Send a request; takes the :class:`EnvironBuilder` arguments."""
        environ: dict[str, t.Any]
        if args and isinstance(args[0], EnvironBuilder):
            environ = args[0].get_environ()
        elif args and isinstance(args[0], dict):
            environ = dict(args[0])
        else:
            environ = self._request_from_builder_args(args, kwargs).get_environ()
        self._context_stack.close()
        response = self._run(environ, buffered)
        if not follow_redirects:
            return response
        history: list[TestResponse] = []
        seen: set[tuple[str, str]] = set()
        while response.status_code in (301, 302, 303, 305, 307, 308):
            location = response.headers.get("Location")
            if location is None:
                break
            response.make_sequence()
            history.append(response)
            environ = self._redirect_environ(environ, response.status_code, location)
            marker = (environ["PATH_INFO"], environ["QUERY_STRING"])
            if marker in seen:
                raise ClientRedirectError(f"Redirect loop detected at {location!r}.")
            seen.add(marker)
            if len(history) > 30:
                raise ClientRedirectError("More than 30 redirects; stopping.")
            self._context_stack.close()
            response = self._run(environ, buffered)
        response.history = tuple(history)
        return response

    def _redirect_environ(
        self, environ: dict[str, t.Any], code: int, location: str
    ) -> dict[str, t.Any]:
        current = (
            f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST', 'localhost')}"
            f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '/')}"
        )
        target = urlsplit(urljoin(current, location))
        host = environ.get("HTTP_HOST", "localhost")
        if target.netloc and target.netloc != host:
            base_host = host.partition(":")[0]
            if not (
                self.allow_subdomain_redirects
                and target.netloc.partition(":")[0].endswith("." + base_host)
            ):
                raise RuntimeError(
                    f"Following external redirects is not supported ({location!r})."
                )
        new = {
            key: value
            for key, value in environ.items()
            if key not in ("HTTP_COOKIE", "kolba.request")
        }
        new["wsgi.url_scheme"] = target.scheme or environ["wsgi.url_scheme"]
        if target.netloc:
            new["HTTP_HOST"] = target.netloc
        script = environ.get("SCRIPT_NAME", "")
        path = unquote_to_bytes(target.path or "/").decode("latin-1")
        if script and path.startswith(script):
            path = path[len(script) :]
        new["PATH_INFO"] = path
        new["QUERY_STRING"] = target.query
        if code in (307, 308):
            body = environ["wsgi.input"]
            body.seek(0)
        else:
            if environ["REQUEST_METHOD"] != "HEAD":
                new["REQUEST_METHOD"] = "GET"
            new["wsgi.input"] = io.BytesIO()
            new.pop("CONTENT_TYPE", None)
            new.pop("CONTENT_LENGTH", None)
        return new

    def _run(self, environ: dict[str, t.Any], buffered: bool) -> TestResponse:
        self._add_cookies_to_environ(environ)
        self._new_contexts = []
        if self.asgi:
            return self._run_asgi(environ)
        if self.preserve_context:
            environ["kolba.debug.preserve_context"] = self._new_contexts.append
        captured: list[t.Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
        ) -> t.Callable[[bytes], None]:
            if exc_info is not None and captured:
                raise exc_info[1].with_traceback(exc_info[2])
            captured[:] = [status, headers]
            return lambda data: None

        app_iter = self.application(environ, start_response)
        for ctx in self._new_contexts:
            self._context_stack.enter_context(ctx)
        if not captured:
            # The app returned an iterator and calls start_response lazily.
            iterator = iter(app_iter)
            first = next(iterator, None)
            chunks = [] if first is None else [first]
            close = getattr(app_iter, "close", None)
            app_iter = _Chained(chunks, iterator, close)
        status, headers = captured
        request = _RequestStub(environ)
        response = self.response_wrapper(
            app_iter, status, Headers(headers), request=request
        )
        if buffered:
            response.make_sequence()
        self._update_cookies(environ, response.headers)
        return response

    def _run_asgi(self, environ: dict[str, t.Any]) -> TestResponse:
        from .asgi import run_http

        preserve = self._new_contexts.append if self.preserve_context else None
        status, headers, chunks = run_http(self.application, environ, preserve)
        for ctx in self._new_contexts:
            self._context_stack.enter_context(ctx)
        response = self.response_wrapper(
            chunks, status, Headers(headers), request=_RequestStub(environ)
        )
        self._update_cookies(environ, response.headers)
        return response

    def websocket(
        self,
        *args: t.Any,
        subprotocols: t.Sequence[str] = (),
        timeout: float = 30.0,
        **kwargs: t.Any,
    ) -> WebsocketSession:
        """Open a WebSocket to the app (over its ASGI front end)::

            with client.websocket("/ws") as ws:
                ws.send("hi")
                assert ws.receive() == "hi"

        Takes the :class:`EnvironBuilder` arguments (path, ``query_string``,
        ``headers`` …); the client's cookies are sent. A refused handshake
        raises :class:`~kolba.testing.asgi.WebsocketRejected` on entering.
        """
        from .asgi import WebsocketSession, scope_from_environ

        kwargs.setdefault("method", "GET")
        environ = self._request_from_builder_args(args, kwargs).get_environ()
        self._add_cookies_to_environ(environ)
        scope = scope_from_environ(environ, kind="websocket")
        scope["subprotocols"] = list(subprotocols)
        scope["extensions"]["websocket.http.response"] = {}
        return WebsocketSession(self.application, scope, timeout=timeout)

    def get(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open(..., method="GET")``."""
        return self.open(*args, method="GET", **kw)

    def post(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open(..., method="POST")``."""
        return self.open(*args, method="POST", **kw)

    def put(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open(..., method="PUT")``."""
        return self.open(*args, method="PUT", **kw)

    def delete(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open(..., method="DELETE")``."""
        return self.open(*args, method="DELETE", **kw)

    def patch(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open(..., method="PATCH")``."""
        return self.open(*args, method="PATCH", **kw)

    def options(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open(..., method="OPTIONS")``."""
        return self.open(*args, method="OPTIONS", **kw)

    def head(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open(..., method="HEAD")``."""
        return self.open(*args, method="HEAD", **kw)

    def trace(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open(..., method="TRACE")``."""
        return self.open(*args, method="TRACE", **kw)

    def __enter__(self) -> KolbaClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations.")
        self.preserve_context = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.preserve_context = False
        self._context_stack.close()


class _Chained:
    def __init__(
        self, head: list[bytes], tail: t.Iterator[bytes], close: t.Any
    ) -> None:
        self._head = head
        self._tail = tail
        self._close = close

    def __iter__(self) -> t.Iterator[bytes]:
        yield from self._head
        yield from self._tail

    def close(self) -> None:
        if self._close is not None:
            self._close()


class _RequestStub:
    """The request a test response answered (its environ, method, path)."""

    def __init__(self, environ: dict[str, t.Any]) -> None:
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD")
        self.path = environ.get("PATH_INFO")
        self.query_string = environ.get("QUERY_STRING", "").encode("latin-1")


class KolbaCliRunner(CliRunner):
    """Invoke the app's CLI commands in tests: ``app.test_cli_runner().invoke(...)``."""

    def __init__(self, app: Kolba, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]  # Flask API: cli defaults to app.cli
        self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any
    ) -> Result:
        """Run a command; the default is the app's ``cli`` group."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            from ..cli import ScriptInfo

            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)
