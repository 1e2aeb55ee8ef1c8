"""Request bodies of the development server: ``wsgi.input`` never reads past
the message.

A Content-Length body is bounded (:class:`_LengthBody`); a chunked one is
decoded (:class:`_ChunkedBody`, RFC 9112 §7.1). A body whose framing breaks
(the client leaves early, a malformed chunk) raises :class:`_BadBody`, a
:class:`~kolba.exceptions.BadRequest`: an app reading the body answers 400,
and the server, draining an unread body after the response, closes the
connection instead.
"""

from __future__ import annotations

import typing as t

from ..exceptions import BadRequest
from .limits import MAX_HEADER_BYTES


class _BadBody(BadRequest):
    """The request body's framing broke; the connection cannot be reused."""


class _Body:
    """``wsgi.input``: the request body, never read past its end."""

    def __init__(self, rfile: t.BinaryIO, on_first_read: t.Callable[[], None] | None):
        self._rfile = rfile
        self._on_first_read = on_first_read
        #: Set when the body's framing broke; the connection must then close.
        self.broken = False

    def _started(self) -> None:
        if self._on_first_read is not None:
            callback, self._on_first_read = self._on_first_read, None
            callback()

    def _read_some(self, size: int) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def done(self) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all of the rest when negative)."""
        self._started()
        if size is None or size < 0:
            parts = []
            while not self.done:
                parts.append(self._read_some(64 * 1024))
            return b"".join(parts)
        parts = []
        while size > 0 and not self.done:
            chunk = self._read_some(size)
            parts.append(chunk)
            size -= len(chunk)
        return b"".join(parts)

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line, at most ``size`` bytes."""
        self._started()
        line = bytearray()
        while not self.done and (size is None or size < 0 or len(line) < size):
            byte = self._read_some(1)
            line += byte
            if byte == b"\n":
                break
        return bytes(line)

    def readlines(self, hint: int = -1) -> list[bytes]:
        """Read the remaining lines."""
        lines = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> t.Iterator[bytes]:
        while line := self.readline():
            yield line

    def drain(self, limit: int) -> bool:
        """Discard up to ``limit`` unread bytes; whether the body ended."""
        if self._on_first_read is not None:
            # The client waits for "100 Continue" before sending the body;
            # without it nothing comes, so the connection cannot be reused.
            return False
        try:
            while not self.done and limit > 0:
                limit -= len(self._read_some(min(limit, 64 * 1024)))
        except (OSError, ValueError, _BadBody):
            return False
        return self.done and not self.broken


class _LengthBody(_Body):
    def __init__(
        self,
        rfile: t.BinaryIO,
        length: int,
        on_first_read: t.Callable[[], None] | None = None,
    ) -> None:
        super().__init__(rfile, on_first_read)
        self.remaining = length

    @property
    def done(self) -> bool:
        return self.remaining <= 0

    def _read_some(self, size: int) -> bytes:
        data = self._rfile.read(min(size, self.remaining))
        if not data:
            self.broken = True
            self.remaining = 0
            raise _BadBody(
                "The client disconnected before sending the whole request body."
            )
        self.remaining -= len(data)
        return data


class _ChunkedBody(_Body):
    """Decode ``Transfer-Encoding: chunked`` (RFC 9112 §7.1)."""

    def __init__(
        self, rfile: t.BinaryIO, on_first_read: t.Callable[[], None] | None = None
    ) -> None:
        super().__init__(rfile, on_first_read)
        self._left = 0
        self._done = False

    @property
    def done(self) -> bool:
        return self._done

    def _fail(self, message: str) -> t.NoReturn:
        self.broken = True
        self._done = True
        raise _BadBody(f"Malformed chunked request body: {message}.")

    def _read_some(self, size: int) -> bytes:
        if self._left == 0:
            line = self._rfile.readline(1025)
            if not line.endswith(b"\n"):
                self._fail("chunk-size line too long or body cut off")
            size_text = line.split(b";", 1)[0].strip()
            if (
                not size_text
                or len(size_text) > 16
                or not all(c in b"0123456789abcdefABCDEF" for c in size_text)
            ):
                self._fail(f"bad chunk size {size_text[:20]!r}")
            self._left = int(size_text, 16)
            if self._left == 0:
                self._read_trailers()
                return b""
        data = self._rfile.read(min(size, self._left))
        if not data:
            self._fail("the client disconnected inside a chunk")
        self._left -= len(data)
        if self._left == 0 and self._rfile.read(2) not in (b"\r\n",):
            self._fail("chunk data not followed by CRLF")
        return data

    def _read_trailers(self) -> None:
        total = 0
        while True:
            line = self._rfile.readline(MAX_HEADER_BYTES + 1)
            total += len(line)
            if not line.endswith(b"\n") or total > MAX_HEADER_BYTES:
                self._fail("trailer section too large or cut off")
            if line in (b"\r\n", b"\n"):
                self._done = True
                return
