"""HTTP/1.1 for the development server: connections, request heads, responses.

- :class:`_Server` accepts connections; each connection gets a daemon thread
  running :class:`_Connection`, which reads requests one after another
  (HTTP/1.1 keep-alive) until the client closes, asks to close, or a request's
  framing can no longer be trusted.
- The request head is read with hard limits: the request line (414 beyond
  :data:`MAX_REQUEST_LINE` bytes), the header block (431 beyond
  :data:`MAX_HEADER_BYTES` bytes or :data:`MAX_HEADERS` fields), a deadline for
  the whole head (408) and a timeout on every socket read. A malformed head is
  answered 400 and the connection is closed. A stalled client holds only its
  own thread.
- The body is exposed as ``wsgi.input`` that never reads past the message
  (:mod:`.body`): a Content-Length body is bounded; a chunked body is decoded
  and the environ says ``wsgi.input_terminated``. Content-Length together with
  Transfer-Encoding is refused (400), which closes the door on request
  smuggling through a proxy in front.
- The response is framed by the server: the app's Content-Length is kept (the
  body is cut at it); without one, an HTTP/1.1 response is sent with
  ``Transfer-Encoding: chunked``, an HTTP/1.0 one by closing the connection.

The limits and timeouts are in :mod:`.limits`.
"""

from __future__ import annotations

import logging
import re
import socket
import socketserver
import sys
import time
import traceback
import typing as t
from email.utils import formatdate
from urllib.parse import unquote_to_bytes, urlsplit

from .body import _Body, _ChunkedBody, _LengthBody
from .limits import (
    HEADER_DEADLINE,
    MAX_DRAIN,
    MAX_HEADER_BYTES,
    MAX_HEADERS,
    MAX_REQUEST_LINE,
    SOCKET_TIMEOUT,
)
from .log import _log, _printable

if t.TYPE_CHECKING:  # pragma: no cover
    import ssl
    from types import TracebackType

    from ..typing import WSGIApplication

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_REQUEST_LINE = re.compile(rb"([^ ]+) ([^ ]+) HTTP/(\d)\.(\d)")
_HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer")
)


class _ProtocolError(Exception):
    """The client sent something the server cannot answer normally."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _ClientGone(Exception):
    """The connection broke while the server was writing."""


# -- connections -------------------------------------------------------------


class _Connection(socketserver.BaseRequestHandler):
    """One client connection: requests read and answered one after another."""

    server: _Server

    def setup(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(SOCKET_TIMEOUT)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # pragma: no cover - not a TCP socket
            pass
        self.sock = sock
        self.rfile: t.BinaryIO | None = None
        if self.server.ssl_context is not None:
            try:
                self.sock = self.server.ssl_context.wrap_socket(sock, server_side=True)
            except (OSError, ValueError):
                return  # a failed TLS handshake (or plain HTTP on an HTTPS port)
        self.rfile = self.sock.makefile("rb")

    def handle(self) -> None:
        if self.rfile is None:
            return
        try:
            while self._handle_one():
                pass
        except (OSError, ValueError, _ClientGone):
            pass  # the client went away or timed out: nothing left to answer

    def finish(self) -> None:
        try:
            if self.rfile is not None:
                self.rfile.close()
        finally:
            if self.sock is not self.request:
                self.sock.close()

    # -- reading the head ----------------------------------------------------

    def _read_head(self) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
        assert self.rfile is not None  # noqa: S101 - set in setup
        line = b""
        # SPEC: RFC 9112 §2.2 — ignore empty lines before the request line.
        for _ in range(4):
            line = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if line not in (b"\r\n", b"\n"):
                break
        if not line:
            return None
        self.request_line = line.rstrip(b"\r\n").decode("latin-1")
        if len(line) > MAX_REQUEST_LINE:
            self.request_line = self.request_line[:80] + "..."
            raise _ProtocolError(
                "414 URI Too Long",
                f"The request line is longer than {MAX_REQUEST_LINE} bytes.",
            )
        if not line.endswith(b"\n"):
            return None  # the client closed mid-line
        deadline = time.monotonic() + HEADER_DEADLINE
        headers: list[tuple[bytes, bytes]] = []
        total = 0
        while True:
            if time.monotonic() > deadline:
                raise _ProtocolError(
                    "408 Request Timeout",
                    f"The request headers took longer than {HEADER_DEADLINE:g} "
                    "seconds to arrive.",
                )
            header = self.rfile.readline(MAX_HEADER_BYTES - total + 1)
            total += len(header)
            if total > MAX_HEADER_BYTES:
                raise _ProtocolError(
                    "431 Request Header Fields Too Large",
                    f"The request headers are larger than {MAX_HEADER_BYTES} bytes.",
                )
            if not header.endswith(b"\n"):
                raise _ClientGone()
            if header in (b"\r\n", b"\n"):
                break
            if header[:1] in (b" ", b"\t"):
                # SPEC: RFC 9112 §5.2 — obsolete line folding may be rejected.
                raise _ProtocolError(
                    "400 Bad Request", "Folded header lines are not accepted."
                )
            name, colon, value = header.partition(b":")
            value = value.strip(b" \t\r\n")
            if not colon or not _TOKEN.fullmatch(name):
                # Also catches "Name : value" (RFC 9112 §5.1 says reject it).
                raise _ProtocolError(
                    "400 Bad Request", f"Malformed header line {header[:40]!r}."
                )
            if any(c in value for c in b"\r\n\x00"):
                raise _ProtocolError(
                    "400 Bad Request", f"Header {name!r} holds a control character."
                )
            headers.append((name, value))
            if len(headers) > MAX_HEADERS:
                raise _ProtocolError(
                    "431 Request Header Fields Too Large",
                    f"The request has more than {MAX_HEADERS} header fields.",
                )
        return line, headers

    # -- one request -----------------------------------------------------------

    def _handle_one(self) -> bool:
        self.request_line = ""
        try:
            head = self._read_head()
            if head is None:
                return False
            environ, body = self._make_environ(*head)
        except _ProtocolError as exc:
            self._send_error(exc.status, exc.message)
            return False
        return self._run_app(environ, body)

    def _make_environ(
        self, line: bytes, headers: list[tuple[bytes, bytes]]
    ) -> tuple[dict[str, t.Any], _Body]:
        match = _REQUEST_LINE.fullmatch(line.rstrip(b"\r\n"))
        if match is None:
            raise _ProtocolError(
                "400 Bad Request",
                "Malformed request line; expected 'METHOD /path HTTP/1.1'.",
            )
        method_b, target_b, major, minor = match.groups()
        if not _TOKEN.fullmatch(method_b) or any(c < 0x21 for c in target_b):
            raise _ProtocolError("400 Bad Request", "Malformed request line.")
        if major != b"1":
            raise _ProtocolError(
                "505 HTTP Version Not Supported", "Only HTTP/1.x is supported."
            )
        self.http11 = minor != b"0"
        method = method_b.decode("ascii")
        target = target_b.decode("latin-1")
        self.method = method
        host_from_target = None
        if target.startswith("/"):
            path, _, query = target.partition("?")
        elif target == "*" and method == "OPTIONS":
            path, query = "*", ""
        elif target.lower().startswith(("http://", "https://")):
            # SPEC: RFC 9112 §3.2.2 — absolute-form; its host wins over Host.
            parts = urlsplit(target)
            path, query, host_from_target = parts.path or "/", parts.query, parts.netloc
        else:
            raise _ProtocolError(
                "400 Bad Request", f"Unsupported request target {target[:60]!r}."
            )
        server_host, server_port = self.server.server_address[:2]
        environ: dict[str, t.Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": target,
            "RAW_URI": target,
            "SERVER_NAME": str(server_host),
            "SERVER_PORT": str(server_port),
            "SERVER_PROTOCOL": f"HTTP/1.{minor.decode()}",
            "REMOTE_ADDR": self.client_address[0] if self.client_address else "",
            "REMOTE_PORT": self.client_address[1] if self.client_address else 0,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if self.server.ssl_context else "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": self.server.multithread,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        lengths: list[bytes] = []
        encodings: list[bytes] = []
        hosts = 0
        connection = b""
        expect = b""
        for name, value in headers:
            lower = name.lower()
            if lower == b"content-length":
                lengths.append(value)
                continue
            if lower == b"transfer-encoding":
                encodings.append(value)
                continue
            if lower == b"host":
                hosts += 1
            elif lower == b"connection":
                connection += b"," + value.lower()
            elif lower == b"expect":
                expect = value.lower()
            if b"_" in name:
                # SECURITY: "X_Forwarded_For" and "X-Forwarded-For" map to the
                # same environ key; drop the underscore form so a client cannot
                # shadow a header a proxy in front sets.
                continue
            key = name.decode("ascii").upper().replace("-", "_")
            text = value.decode("latin-1")
            if key != "CONTENT_TYPE":
                key = "HTTP_" + key
            if key in environ:
                text = environ[key] + ("; " if key == "HTTP_COOKIE" else ", ") + text
            environ[key] = text
        if self.http11 and hosts != 1:
            # SPEC: RFC 9112 §3.2 — exactly one Host header in HTTP/1.1.
            raise _ProtocolError(
                "400 Bad Request", "An HTTP/1.1 request needs exactly one Host header."
            )
        if host_from_target:
            environ["HTTP_HOST"] = host_from_target
        tokens = {token.strip() for token in connection.split(b",")}
        # Without threads, a kept-alive connection would block every other
        # client; close after each response, as Werkzeug does.
        self.close_connection = (
            b"close" in tokens or not self.http11 or not self.server.multithread
        )
        rfile = self.rfile
        assert rfile is not None  # noqa: S101 - set in setup
        on_first_read = None
        if expect == b"100-continue" and self.http11:
            on_first_read = self._send_continue
        body: _Body
        if encodings:
            if lengths:
                # SECURITY: RFC 9112 §6.1 — both framings at once is how
                # request smuggling works; refuse rather than pick one.
                raise _ProtocolError(
                    "400 Bad Request",
                    "The request has both Content-Length and Transfer-Encoding.",
                )
            codings = [
                c.strip().lower() for c in b",".join(encodings).split(b",") if c.strip()
            ]
            if codings != [b"chunked"]:
                if not codings or codings[-1] != b"chunked" or not self.http11:
                    raise _ProtocolError(
                        "400 Bad Request",
                        "The request's Transfer-Encoding must end with 'chunked'.",
                    )
                raise _ProtocolError(
                    "501 Not Implemented",
                    "Only 'Transfer-Encoding: chunked' request bodies are supported.",
                )
            body = _ChunkedBody(rfile, on_first_read)
            environ["wsgi.input_terminated"] = True
        else:
            length = 0
            if lengths:
                values = {v.strip() for v in b",".join(lengths).split(b",")}
                value = values.pop() if len(values) == 1 else b""
                if not value.isdigit() or len(value) > 18:
                    raise _ProtocolError(
                        "400 Bad Request", "The Content-Length header is not valid."
                    )
                length = int(value)
                environ["CONTENT_LENGTH"] = str(length)
            body = _LengthBody(rfile, length, on_first_read if length else None)
        environ["wsgi.input"] = body
        return environ, body

    def _send_continue(self) -> None:
        self._send(b"HTTP/1.1 100 Continue\r\n\r\n")

    # -- writing -------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except (OSError, ValueError) as exc:
            raise _ClientGone() from exc

    def _send_error(self, status: str, message: str) -> None:
        body = f"{status}\n\n{message}\n".encode()
        head = (
            f"HTTP/1.1 {status}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n"
            f"Date: {formatdate(usegmt=True)}\r\n\r\n"
        )
        self._log_request(status[:3])
        try:
            self._send(head.encode("latin-1") + body)
            self._lingering_close()
        except _ClientGone:
            pass

    def _lingering_close(self) -> None:
        # The client may still be sending what the server refused to read;
        # closing now would reset the connection and could destroy the error
        # response before the client reads it. Half-close, then discard a
        # bounded amount of input for a short while.
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        deadline = time.monotonic() + 1.0
        discarded = 0
        try:
            self.sock.settimeout(0.2)
            while discarded < 1024 * 1024 and time.monotonic() < deadline:
                data = self.sock.recv(65536)
                if not data:
                    break
                discarded += len(data)
        except OSError:
            pass

    def _log_request(self, code: str) -> None:
        address = self.client_address[0] if self.client_address else "-"
        _log(
            logging.INFO,
            '%s - - [%s] "%s" %s -',
            address,
            time.strftime("%d/%b/%Y %H:%M:%S"),
            _printable(self.request_line),
            code,
        )

    def _run_app(self, environ: dict[str, t.Any], body: _Body) -> bool:
        response = _Response(self, environ)
        try:
            app_iter = self.server.app(environ, response.start_response)
            try:
                if (
                    isinstance(app_iter, (list, tuple))
                    and response.status is not None
                    and not response.headers_sent
                ):
                    response.known_length(sum(len(chunk) for chunk in app_iter))
                for chunk in app_iter:
                    response.write(chunk)
                response.finish()
            finally:
                close = getattr(app_iter, "close", None)
                if close is not None:
                    close()
        except _ClientGone:
            return False
        except Exception:
            _log(
                logging.ERROR,
                "Error on request %r:\n%s",
                _printable(self.request_line),
                traceback.format_exc().rstrip(),
            )
            if response.headers_sent:
                # The status line is gone; closing without the final chunk
                # tells the client the response is incomplete.
                return False
            try:
                self._send_error(
                    "500 Internal Server Error",
                    "The server hit an error and could not complete the request.",
                )
            except _ClientGone:
                pass
            return False
        self._log_request(response.status_code)
        if response.close or self.close_connection:
            return False
        return body.drain(MAX_DRAIN)


class _Response:
    """The WSGI ``start_response``/``write`` pair for one request."""

    def __init__(self, connection: _Connection, environ: dict[str, t.Any]) -> None:
        self.connection = connection
        self.environ = environ
        self.status: str | None = None
        self.status_code = "-"
        self.headers: list[tuple[str, str]] = []
        self.headers_sent = False
        self.chunked = False
        self.length: int | None = None
        self.sent = 0
        self.close = False
        self.has_body = True

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: tuple[type[BaseException], BaseException, TracebackType]
        | tuple[None, None, None]
        | None = None,
    ) -> t.Callable[[bytes], None]:
        if exc_info:
            try:
                if self.headers_sent and exc_info[1] is not None:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise RuntimeError(
                "start_response() was called twice; pass exc_info to replace "
                "the status and headers after an error (PEP 3333)."
            )
        if not isinstance(status, str) or not re.fullmatch(r"[1-9]\d\d( .*)?", status):
            raise ValueError(f"Invalid WSGI status {status!r}; expected '200 OK'.")
        for name, value in headers:
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(f"Header {name!r}: {value!r} is not a pair of str.")
            if not _TOKEN.fullmatch(name.encode("latin-1", "replace")) or any(
                c in value for c in "\r\n\x00"
            ):
                # SECURITY: a newline in a header value would let data from
                # the request inject headers or a second response.
                raise ValueError(f"Header {name!r} has a forbidden character.")
        self.status = status
        self.status_code = status[:3]
        self.headers = list(headers)
        return self.write

    def known_length(self, length: int) -> None:
        # A HEAD response's body is empty here but not in the matching GET:
        # a computed length would lie (RFC 9110 §9.3.2).
        if self.connection.method == "HEAD":
            return
        if not any(name.lower() == "content-length" for name, _ in self.headers):
            self.headers.append(("Content-Length", str(length)))

    def _head(self) -> bytes:
        if self.status is None:
            raise RuntimeError("The application did not call start_response().")
        connection = self.connection
        code = int(self.status_code)
        self.has_body = not (
            connection.method == "HEAD" or code < 200 or code in (204, 304)
        )
        lines = [f"HTTP/1.1 {self.status}"]
        names = set()
        for name, value in self.headers:
            lower = name.lower()
            if lower in _HOP_BY_HOP:
                # The server owns the framing (PEP 3333 forbids hop-by-hop
                # headers from apps); only a request to close is honoured.
                if lower == "connection" and "close" in value.lower():
                    self.close = True
                continue
            if lower == "content-length":
                if not value.isdigit():
                    raise ValueError(f"Invalid Content-Length {value!r}.")
                self.length = int(value)
            names.add(lower)
            lines.append(f"{name}: {value}")
        if self.length is None and self.has_body:
            if connection.http11:
                self.chunked = True
                lines.append("Transfer-Encoding: chunked")
            else:
                self.close = True
        if self.close or connection.close_connection:
            lines.append("Connection: close")
        if "date" not in names:
            lines.append(f"Date: {formatdate(usegmt=True)}")
        if "server" not in names:
            lines.append(f"Server: {self.connection.server.server_version}")
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1")

    def write(self, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"The application returned {type(data).__name__} where WSGI "
                "needs bytes; encode the body."
            )
        prefix = b""
        if not self.headers_sent:
            prefix = self._head()
            self.headers_sent = True
        if not data or not self.has_body:
            if prefix:
                self.connection._send(prefix)
            return
        if self.chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        elif self.length is not None:
            left = self.length - self.sent
            if len(data) > left:
                data = data[:left]
                self.close = True
            self.sent += len(data)
        self.connection._send(prefix + bytes(data))

    def finish(self) -> None:
        if not self.headers_sent:
            if self.status is not None and self.length is None:
                self.known_length(0)
            self.write(b"")
        if self.chunked:
            self.connection._send(b"0\r\n\r\n")
        elif self.length is not None and self.has_body and self.sent < self.length:
            self.close = True  # the body is short: only a close tells the client


# -- the server --------------------------------------------------------------


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        host: str,
        port: int,
        app: WSGIApplication,
        *,
        threaded: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        fd: int | None = None,
    ) -> None:
        from .. import __version__

        self.app = app
        self.multithread = threaded
        self.ssl_context = ssl_context
        self.server_version = (
            f"Kolba/{__version__} Python/{sys.version_info[0]}.{sys.version_info[1]}"
        )
        if fd is not None:
            sock = socket.socket(fileno=fd)
            self.address_family = sock.family
            super().__init__(sock.getsockname()[:2], _Connection, False)
            self.socket.close()
            self.socket = sock
            self.server_address = sock.getsockname()[:2]
        else:
            self.address_family = _address_family(host, port)
            super().__init__((host, port), _Connection)

    def process_request(self, request: t.Any, client_address: t.Any) -> None:
        if self.multithread:
            super().process_request(request, client_address)
        else:
            socketserver.TCPServer.process_request(self, request, client_address)

    def handle_error(self, request: t.Any, client_address: t.Any) -> None:
        _log(
            logging.ERROR,
            "Error on the connection from %s:\n%s",
            client_address,
            traceback.format_exc().rstrip(),
        )


def _address_family(host: str, port: int) -> socket.AddressFamily:
    if ":" in host:
        return socket.AF_INET6
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return socket.AF_INET
    return infos[0][0] if infos else socket.AF_INET
