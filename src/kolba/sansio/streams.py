"""Body size limits, and bounded views over a request body stream.

:class:`BodyLimiter` is the one place that enforces ``MAX_CONTENT_LENGTH``:
it checks a declared ``Content-Length`` and counts the bytes that actually
arrive, whether they come from a WSGI stream or from ASGI ``receive()``
messages. :class:`BodyCollector` gathers a whole body (for JSON or
``get_data()``) under that limit.

A WSGI server hands over ``wsgi.input`` without promising where the body ends:
reading past ``Content-Length`` may block forever. :class:`LimitedStream` stops
at the declared length and turns an early end into ``ClientDisconnected`` (a
400). For chunked bodies without a length (``wsgi.input_terminated``),
:class:`MaxSizeStream` reads to the end but counts every byte with a
:class:`BodyLimiter`, so it refuses to go past the cap.
"""

from __future__ import annotations

import io
import typing as t

from ..exceptions import BadRequest, RequestEntityTooLarge

__all__ = [
    "BodyCollector",
    "BodyLimiter",
    "ClientDisconnected",
    "LimitedStream",
    "check_content_length",
    "MaxSizeStream",
    "limit_body_stream",
]

_CHUNK = 64 * 1024


class BodyLimiter:
    """Count body bytes against ``MAX_CONTENT_LENGTH``.

    Push-style: the caller reports each chunk with :meth:`count`, so the same
    counter serves a blocking WSGI stream and ASGI ``receive()`` messages.

    :param limit: the most bytes the body may have; ``None`` for no limit.
    """

    __slots__ = ("limit", "received")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        #: Bytes counted so far.
        self.received = 0

    def check_declared(self, content_length: int | None) -> None:
        """Refuse a declared ``Content-Length`` over the limit, before reading.

        :raises RequestEntityTooLarge: if ``content_length`` is over the limit.
        """
        check_content_length(content_length, self.limit)

    def count(self, size: int) -> None:
        """Add ``size`` received bytes.

        :raises RequestEntityTooLarge: once more than ``limit`` bytes arrived.
        """
        self.received += size
        if self.limit is not None and self.received > self.limit:
            raise RequestEntityTooLarge(
                f"The request body is larger than the limit of {self.limit}"
                " bytes (MAX_CONTENT_LENGTH)."
            )


def check_content_length(content_length: int | None, limit: int | None) -> None:
    """Refuse a declared ``Content-Length`` over ``MAX_CONTENT_LENGTH``.

    The same check as :meth:`BodyLimiter.check_declared`, without making a
    counter (for callers that only need the check).

    :raises RequestEntityTooLarge: if ``content_length`` is over ``limit``.
    """
    if limit is not None and content_length is not None and content_length > limit:
        raise RequestEntityTooLarge(
            f"The request body is {content_length} bytes, more than the limit of"
            f" {limit} bytes (MAX_CONTENT_LENGTH)."
        )


class BodyCollector:
    """Gather a whole body in memory, bounded by ``MAX_CONTENT_LENGTH``.

    For bodies that are used whole (JSON, ``get_data()``); decoding them is the
    caller's job. Feed chunks as they arrive, then :meth:`close` for the bytes.

    :param max_content_length: the most bytes the body may have.
    :param content_length: the declared length, if any; checked at once.
    :raises RequestEntityTooLarge: when the body is, or grows, over the limit.
    """

    __slots__ = ("_chunks", "limiter")

    def __init__(
        self, max_content_length: int | None, content_length: int | None = None
    ) -> None:
        self.limiter = BodyLimiter(max_content_length)
        self.limiter.check_declared(content_length)
        self._chunks: list[bytes] = []

    def feed(self, data: bytes) -> None:
        """Add a chunk of the body."""
        if data:
            self.limiter.count(len(data))
            self._chunks.append(data)

    def close(self) -> bytes:
        """Return the body gathered so far and reset."""
        chunks = self._chunks
        self._chunks = []
        if len(chunks) == 1:
            return chunks[0]
        return b"".join(chunks)


class ClientDisconnected(BadRequest):
    """The body ended before the length the client announced."""

    description = "The client disconnected before sending the whole request body."


class _AsyncChunks:
    """``async for chunk in stream``: the same body, for async views.

    Reads with the stream's own (blocking) ``read``: under WSGI that is the
    server's input; the ASGI front end gives its own stream, fed by
    ``receive()``.
    """

    def read(self, size: int | None = -1) -> bytes:  # pragma: no cover - overridden
        raise NotImplementedError

    def _take(self, chunk: bytes) -> bytes:
        """Count a chunk read past this wrapper; return the part it may give."""
        raise NotImplementedError  # pragma: no cover - overridden

    async def __aiter__(self) -> t.AsyncIterator[bytes]:
        stream: t.Any = getattr(self, "_stream", None)
        if getattr(stream, "__aiter__", None) is None:
            while True:
                chunk = self.read(65536)
                if not chunk:
                    return
                yield chunk
            return
        # The inner stream can say when data arrives (ASGI): pass its chunks
        # on as they come, counted against this wrapper's limit.
        async for chunk in stream:
            part = self._take(chunk)
            if part:
                yield part


class LimitedStream(_AsyncChunks, io.RawIOBase):
    """A read-only stream giving at most ``limit`` bytes of ``stream``.

    :param stream: the underlying binary stream (``wsgi.input``).
    :param limit: the number of bytes the body has (``Content-Length``).
    :raises ClientDisconnected: on read, if ``stream`` ends before ``limit``.
    """

    def __init__(
        self, stream: t.IO[bytes] | t.BinaryIO | io.RawIOBase, limit: int
    ) -> None:
        super().__init__()
        self._stream = stream
        self.limit = max(limit, 0)
        self._pos = 0

    @property
    def is_exhausted(self) -> bool:
        """Whether every byte up to the limit has been read."""
        return self._pos >= self.limit

    def exhaust(self) -> bytes:
        """Read and return whatever is left, up to the limit."""
        return self.read()

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def _disconnected(self) -> t.NoReturn:
        raise ClientDisconnected()

    def _take(self, chunk: bytes) -> bytes:
        remaining = self.limit - self._pos
        part = chunk[: max(remaining, 0)]
        self._pos += len(part)
        return part

    def read(self, size: int | None = -1) -> bytes:
        remaining = self.limit - self._pos
        if remaining <= 0:
            return b""
        if size is None or size < 0:
            parts: list[bytes] = []
            while remaining > 0:
                data = self._stream.read(min(remaining, _CHUNK))
                if not data:
                    self._disconnected()
                data = data[:remaining]
                parts.append(data)
                remaining -= len(data)
                self._pos += len(data)
            return b"".join(parts)
        if size == 0:
            return b""
        data = self._stream.read(min(size, remaining))
        if not data:
            self._disconnected()
        data = data[: min(size, remaining)]
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        return self.read()

    def readinto(self, buffer: t.Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        remaining = self.limit - self._pos
        if remaining <= 0:
            return b""
        if size is None or size < 0 or size > remaining:
            size = remaining
        if size == 0:
            return b""
        line = self._stream.readline(size)
        if not line:
            self._disconnected()
        line = line[:size]
        self._pos += len(line)
        return line

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        lines: list[bytes] = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                return lines

    def __iter__(self) -> t.Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line


class MaxSizeStream(_AsyncChunks, io.RawIOBase):
    """A read-only stream that reads ``stream`` to its end, up to a cap.

    For bodies without ``Content-Length`` whose server marks the end
    (``wsgi.input_terminated``, chunked transfer).

    :param stream: the underlying binary stream.
    :param max_size: the most bytes allowed; ``None`` for no cap.
    :raises RequestEntityTooLarge: on read, once more than ``max_size`` bytes
        have arrived.
    """

    def __init__(
        self, stream: t.IO[bytes] | t.BinaryIO | io.RawIOBase, max_size: int | None
    ) -> None:
        super().__init__()
        self._stream = stream
        self._limiter = BodyLimiter(max_size)

    @property
    def max_size(self) -> int | None:
        """The cap given at creation."""
        return self._limiter.limit

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._limiter.received

    def _take(self, chunk: bytes) -> bytes:
        return self._count(chunk)

    def _count(self, data: bytes) -> bytes:
        self._limiter.count(len(data))
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            parts: list[bytes] = []
            while True:
                data = self._stream.read(_CHUNK)
                if not data:
                    return b"".join(parts)
                parts.append(self._count(data))
        if size == 0:
            return b""
        return self._count(self._stream.read(size) or b"")

    def readall(self) -> bytes:
        return self.read()

    def readinto(self, buffer: t.Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        if size is not None and size >= 0:
            return self._count(self._stream.readline(size))
        if self.max_size is not None:
            # Bound the line too, so a body without newlines cannot pile up.
            remaining = self.max_size - self._limiter.received
            return self._count(self._stream.readline(remaining + 1))
        return self._count(self._stream.readline())

    def __iter__(self) -> t.Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line


def limit_body_stream(
    stream: t.IO[bytes] | t.BinaryIO | io.RawIOBase,
    content_length: int | None,
    *,
    max_content_length: int | None = None,
    input_terminated: bool = False,
) -> io.RawIOBase | io.BytesIO:
    """Wrap a raw body stream so reading it is safe and bounded.

    With a length: a :class:`LimitedStream` (after checking the cap). Without
    a length: a :class:`MaxSizeStream` if the server marks the end of the body,
    otherwise an empty stream, since reading could block forever.

    :param stream: the server's body stream.
    :param content_length: the parsed ``Content-Length``, if any.
    :param max_content_length: the app's cap on body size.
    :param input_terminated: whether the server signals the end of the body.
    :raises RequestEntityTooLarge: if ``content_length`` is over the cap.
    """
    if content_length is not None:
        check_content_length(content_length, max_content_length)
        return LimitedStream(stream, content_length)
    if input_terminated:
        return MaxSizeStream(stream, max_content_length)
    return io.BytesIO()
