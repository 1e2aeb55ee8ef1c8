"""A push (sans-IO) ``multipart/form-data`` decoder and an encoder.

:class:`MultipartDecoder` is fed the body in chunks of any size, as they come
from ``wsgi.input`` or ASGI ``receive()``, and returns events: a
:class:`PartStart` with the part's headers, :class:`PartData` pieces of its
content, :class:`PartEnd`, and finally :class:`BodyEnd`. It never reads
anything itself; :func:`iter_multipart` is the blocking pull wrapper.

States (RFC 2046 §5.1.1, RFC 7578 §4.1)::

    PREAMBLE --"--boundary CRLF"--> HEADERS --empty line--> DATA
       DATA --"CRLF --boundary CRLF"--> DELIMITER check --> HEADERS
       DATA --"CRLF --boundary--"-----> END (the epilogue is ignored)

Invariants:

- Unconsumed input is at most the last feed plus what is still undecided: a
  delimiter's length in DATA/PREAMBLE, one header line (``MAX_HEADER_LINE``),
  or a delimiter plus its transport padding (also ``MAX_HEADER_LINE``). Part
  content is handed out as it arrives, never gathered whole.
- Every search resumes where the previous one stopped (minus the few bytes a
  split delimiter may occupy), so each byte is scanned a bounded number of
  times whatever the chunking: linear time, even for one byte per feed.
- The result does not depend on how the body is split into chunks.
"""

from __future__ import annotations

import re
import secrets
import tempfile
import typing as t
from collections.abc import Callable, Iterator

from ..exceptions import BadRequest
from .datastructures import Headers
from .http import parse_options_header
from .streams import BodyLimiter

__all__ = [
    "BodyEnd",
    "MultipartDecoder",
    "MultipartEvent",
    "MultipartPart",
    "PartData",
    "PartEnd",
    "PartStart",
    "StreamFactory",
    "default_stream_factory",
    "encode_multipart",
    "is_valid_boundary",
    "iter_multipart",
]

#: ``stream_factory(total_content_length, content_type, filename, content_length)``
StreamFactory = Callable[[int | None, str | None, str | None, int | None], t.IO[bytes]]

CHUNK_SIZE = 64 * 1024
MAX_HEADER_LINE = 8 * 1024
MAX_PART_HEADERS = 64
# SPEC: RFC 2046 §5.1.1 bchars: DIGIT / ALPHA / "'()+_,-./:=?" and space.
_BOUNDARY_CHARS = frozenset(
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? "
)
# SPEC: RFC 2046 §5.1.1 transport-padding := *LWSP-char, after a delimiter.
_PADDING = re.compile(rb"[ \t]*")


def default_stream_factory(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None,
    content_length: int | None = None,
) -> t.IO[bytes]:
    """Return a file for an upload: in memory up to 500 KiB, then on disk."""
    return t.cast(  # SpooledTemporaryFile implements the binary file API.
        "t.IO[bytes]", tempfile.SpooledTemporaryFile(max_size=500 * 1024, mode="rb+")
    )


def is_valid_boundary(boundary: str) -> bool:
    """Whether ``boundary`` is allowed by RFC 2046 §5.1.1 (1-70 chars)."""
    # SPEC: RFC 2046 §5.1.1 boundary := 0*69<bchars> bcharsnospace
    if not 0 < len(boundary) <= 70 or boundary.endswith(" "):
        return False
    try:
        raw = boundary.encode("ascii")
    except UnicodeEncodeError:
        return False
    return all(byte in _BOUNDARY_CHARS for byte in raw)


# -- events -------------------------------------------------------------------


class PartStart:
    """Event: a part begins. Carries its headers and Content-Disposition names.

    ``name`` and ``filename`` come from ``Content-Disposition: form-data``
    (RFC 7578 §4.2); ``filename`` is ``None`` for a plain field.
    """

    __slots__ = ("filename", "headers", "name")

    def __init__(self, headers: Headers) -> None:
        self.headers = headers
        # SPEC: RFC 7578 §4.2 — each part has Content-Disposition: form-data
        # with a "name" and, for files, a "filename" (filename* wins, §4.2 +
        # RFC 5987).
        _disposition, options = parse_options_header(headers.get("Content-Disposition"))
        self.name: str | None = options.get("name")
        self.filename: str | None = options.get("filename")

    def __repr__(self) -> str:
        return f"PartStart(name={self.name!r}, filename={self.filename!r})"


#: The name :func:`iter_multipart` has always used for :class:`PartStart`.
MultipartPart = PartStart


class PartData:
    """Event: a piece of the current part's content (any size, never empty).

    The pieces of one part, joined, are its exact content.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"PartData({self.data[:40]!r}{'...' if len(self.data) > 40 else ''})"


class PartEnd:
    """Event: the current part is complete."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PartEnd()"


class BodyEnd:
    """Event: the closing delimiter was seen; the rest (epilogue) is ignored."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "BodyEnd()"


PART_END = PartEnd()
BODY_END = BodyEnd()

#: What :meth:`MultipartDecoder.feed` returns a list of.
MultipartEvent = PartStart | PartData | PartEnd | BodyEnd


# -- errors and header parsing -----------------------------------------------


class _Truncated(BadRequest):
    description = (
        "The multipart/form-data body ended before its closing boundary; the"
        " upload was cut short or the body is malformed."
    )


def _bad_boundary(boundary: str) -> BadRequest:
    return BadRequest(
        "The multipart/form-data request has no valid boundary: the"
        " Content-Type header needs a 'boundary' option of 1 to 70 allowed"
        f" characters, got {boundary!r}."
    )


def _missing_boundary(boundary: bytes) -> BadRequest:
    return BadRequest(
        "The multipart/form-data body does not contain its boundary"
        f" {boundary.decode('latin-1')!r}; check the Content-Type header."
    )


def _line_too_long(limit: int) -> BadRequest:
    return BadRequest(
        f"A multipart/form-data part header line is longer than {limit} bytes."
    )


def _decode_header_bytes(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _parse_header_lines(lines: list[bytes]) -> Headers:
    pairs: list[tuple[str, str]] = []
    for raw in lines:
        line = _decode_header_bytes(raw)
        if line[:1] in (" ", "\t") and pairs:
            # Obsolete line folding: a continuation of the previous value.
            name, value = pairs[-1]
            pairs[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or not name:
            raise BadRequest(
                "A multipart/form-data part has a malformed header line"
                f" {line[:100]!r}; each line must be 'Name: value'."
            )
        pairs.append((name, value.strip()))
    headers = Headers()
    # SECURITY: values come from the client; drop characters Headers refuses.
    for name, value in pairs:
        headers.add(_clean(name), _clean(value))
    return headers


def _clean(text: str) -> str:
    if "\0" in text or "\r" in text or "\n" in text:
        return text.replace("\0", "").replace("\r", "").replace("\n", "")
    return text


# -- the decoder --------------------------------------------------------------

_PREAMBLE = 0
_HEADERS = 1
_DATA = 2
_DELIMITER = 3
_END = 4

# What follows a delimiter: not decidable yet, or a verdict.
_WAIT = 0
_NOT_DELIMITER = 1
_NEXT_PART = 2
_CLOSE = 3


class MultipartDecoder:
    """Push decoder for a ``multipart/form-data`` body (sans-IO).

    Feed the body with :meth:`feed` in chunks of any size; each call returns
    the events the new bytes complete. Call :meth:`close` when the body ends.
    After an exception the decoder is broken and must be dropped.

    Body size limits (``MAX_CONTENT_LENGTH``) and form limits are the
    caller's: see :class:`~kolba.sansio.streams.BodyLimiter` and
    :class:`~kolba.sansio.forms.MultipartFormDecoder`.

    :param boundary: the ``boundary`` option of the Content-Type.
    :param max_header_line: the longest part header line accepted, in bytes.
    :param max_part_headers: the most header lines a part may have.
    :raises BadRequest: for an invalid boundary (here), or a malformed body
        (from :meth:`feed` and :meth:`close`).
    """

    __slots__ = (
        "_buf",
        "_in_part",
        "_lines",
        "_marker",
        "_scan",
        "_state",
        "boundary",
        "max_header_line",
        "max_part_headers",
        "scanned",
    )

    def __init__(
        self,
        boundary: str | bytes,
        *,
        max_header_line: int = MAX_HEADER_LINE,
        max_part_headers: int = MAX_PART_HEADERS,
    ) -> None:
        text = boundary if isinstance(boundary, str) else boundary.decode("latin-1")
        if not is_valid_boundary(text):
            raise _bad_boundary(text)
        #: The boundary, as bytes.
        self.boundary = text.encode("ascii")
        self.max_header_line = max_header_line
        self.max_part_headers = max_part_headers
        # SPEC: RFC 2046 §5.1.1 — a delimiter is CRLF "--" boundary; the CRLF
        # belongs to the delimiter, not to the preceding content.
        self._marker = b"\r\n--" + self.boundary
        # SPEC: RFC 2046 §5.1.1 — the first delimiter may open the body with
        # no CRLF before it; a virtual CRLF lets one search serve both cases.
        self._buf = bytearray(b"\r\n")
        self._state = _PREAMBLE
        # In DELIMITER: whether the delimiter closes a part (vs the preamble).
        self._in_part = False
        # Where to resume scanning, relative to the start of ``_buf``.
        self._scan = 0
        self._lines: list[bytes] = []
        #: Bytes examined by searches so far: a work counter for tests of
        #: linear time (it stays within a small multiple of the body size).
        self.scanned = 0

    @property
    def done(self) -> bool:
        """Whether the closing delimiter was seen (the rest can be skipped)."""
        return self._state == _END

    def feed(self, data: bytes) -> list[MultipartEvent]:
        """Add the next bytes of the body; return the events they complete.

        :raises BadRequest: if the body is malformed.
        """
        if self._state == _END or not data:
            # SPEC: RFC 2046 §5.1.1 — the epilogue is to be ignored.
            return []
        self._buf += data
        events: list[MultipartEvent] = []
        self._run(events, False)
        return events

    def close(self) -> None:
        """Declare the end of the body.

        :raises BadRequest: if the body ended before its closing delimiter.
        """
        if self._state == _END:
            return
        events: list[MultipartEvent] = []
        self._run(events, True)
        if self._state == _PREAMBLE:
            raise _missing_boundary(self.boundary)
        if self._state != _END:
            raise _Truncated()

    def _run(self, events: list[MultipartEvent], final: bool) -> None:
        """Consume as much of the buffer as can be decided.

        ``final``: no more input will come, so undecided delimiters are
        resolved as "not a delimiter".
        """
        buf = self._buf
        marker = self._marker
        size = len(marker)
        pos = 0
        while True:
            state = self._state
            if state in (_DATA, _PREAMBLE):
                start = pos + self._scan
                index = buf.find(marker, start)
                if index == -1:
                    self.scanned += len(buf) - start
                    # Keep the bytes that may begin a delimiter split over feeds.
                    safe = len(buf) - size + 1
                    if safe > pos:
                        if state == _DATA:
                            events.append(PartData(_take(buf, pos, safe)))
                        pos = safe
                    self._scan = 0
                    break
                self.scanned += index + size - start
                in_part = state == _DATA
                if in_part and index > pos:
                    events.append(PartData(_take(buf, pos, index)))
                pos = index
                after = index + size
                # PERF: the usual delimiter endings, decided without the
                # DELIMITER state; anything else (padding, a split) goes there.
                if buf.startswith(b"\r\n", after):
                    if in_part:
                        events.append(PART_END)
                    pos = after + 2
                    self._state = _HEADERS
                    self._scan = 0
                    continue
                if buf.startswith(b"--", after):
                    if in_part:
                        events.append(PART_END)
                    events.append(BODY_END)
                    self._state = _END
                    pos = len(buf)
                    break
                self._in_part = in_part
                self._state = _DELIMITER
                self._scan = size
            elif state == _DELIMITER:
                verdict, end = self._after_delimiter(buf, pos, final)
                if verdict == _WAIT:
                    self._scan = end - pos
                    break
                if verdict == _NOT_DELIMITER:
                    # The boundary text is content: keep it, search past it.
                    self._state = _DATA if self._in_part else _PREAMBLE
                    self._scan = 1
                    continue
                if self._in_part:
                    events.append(PART_END)
                if verdict == _CLOSE:
                    events.append(BODY_END)
                    self._state = _END
                    pos = len(buf)
                    break
                pos = end
                self._state = _HEADERS
                self._scan = 0
            elif state == _HEADERS:
                # SPEC: RFC 2046 §5.1 — part headers are CRLF-terminated lines
                # up to an empty line, then the content.
                start = pos + self._scan
                end = buf.find(b"\r\n", start)
                limit = self.max_header_line
                if end == -1:
                    self.scanned += len(buf) - start
                    # +1: the last byte may be the CR of a line of exactly limit.
                    if len(buf) - pos > limit + 1:
                        raise _line_too_long(limit)
                    self._scan = max(len(buf) - pos - 1, 0)
                    break
                self.scanned += end + 2 - start
                if end - pos > limit:
                    raise _line_too_long(limit)
                line = bytes(buf[pos:end])
                pos = end + 2
                self._scan = 0
                if line:
                    self._lines.append(line)
                    if len(self._lines) > self.max_part_headers:
                        raise BadRequest(
                            "A multipart/form-data part has more than"
                            f" {self.max_part_headers} headers."
                        )
                    continue
                events.append(PartStart(_parse_header_lines(self._lines)))
                self._lines = []
                self._state = _DATA
            else:  # _END
                pos = len(buf)
                break
        if pos:
            # PERF: deleting from the front of a bytearray is O(1) in CPython.
            del buf[:pos]

    def _after_delimiter(
        self, buf: bytearray, pos: int, final: bool
    ) -> tuple[int, int]:
        """Decide what the delimiter at ``buf[pos:]`` is.

        Returns ``(verdict, index)``: for ``_NEXT_PART`` the index just past
        its CRLF; for ``_WAIT`` how far padding was scanned.
        """
        size = len(self._marker)
        after = pos + size
        index = pos + self._scan
        length = len(buf)
        if index == after:
            # SPEC: RFC 2046 §5.1.1 close-delimiter := delimiter "--".
            two = buf[after : after + 2]
            if two == b"--":
                return _CLOSE, after + 2
            if not final and (two == b"" or two == b"-"):
                return _WAIT, after
        # SPEC: RFC 2046 §5.1.1 — transport padding (blanks) may follow the
        # boundary before its CRLF; at most max_header_line bytes of it.
        match = _PADDING.match(buf, index)
        index = match.end() if match is not None else index
        self.scanned += index - (pos + self._scan)
        if index - after > self.max_header_line:
            return _NOT_DELIMITER, index
        if length - index >= 2:
            if buf[index] == 13 and buf[index + 1] == 10:
                return _NEXT_PART, index + 2
            return _NOT_DELIMITER, index
        if final or (length - index == 1 and buf[index] != 13):
            return _NOT_DELIMITER, index
        return _WAIT, index


def _take(buf: bytearray, start: int, end: int) -> bytes:
    """``bytes(buf[start:end])`` with one copy instead of two for big pieces."""
    if end - start < 2048:
        return bytes(buf[start:end])
    with memoryview(buf) as view:
        return view[start:end].tobytes()


def iter_multipart(
    stream: t.IO[bytes] | t.BinaryIO | t.Any,
    boundary: bytes | str,
    *,
    chunk_size: int = CHUNK_SIZE,
    max_content_length: int | None = None,
) -> Iterator[MultipartPart | bytes | None]:
    """Parse a multipart body from a blocking stream (pull wrapper).

    Yields a :class:`PartStart` when a part starts, ``bytes`` for its data
    (in pieces of any size), and ``None`` when it ends; it stops at the
    closing delimiter without reading the epilogue.

    :param stream: the body; its ``read(n)`` returns ``b""`` at the end.
    :param boundary: the boundary from the ``Content-Type``.
    :param chunk_size: bytes read at a time.
    :param max_content_length: raise ``RequestEntityTooLarge`` past this.
    :raises BadRequest: if the body is malformed or truncated.
    """
    decoder = MultipartDecoder(boundary)
    limiter = BodyLimiter(max_content_length)
    while True:
        data = stream.read(chunk_size)
        if not data:
            decoder.close()
            return
        limiter.count(len(data))
        for event in decoder.feed(data):
            if type(event) is PartData:
                yield event.data
            elif type(event) is PartStart:
                yield event
            elif type(event) is PartEnd:
                yield None
            else:
                return


def encode_multipart(
    fields: list[tuple[str, str | tuple[bytes | t.IO[bytes], str, str | None]]],
    boundary: str | None = None,
) -> tuple[bytes, str]:
    """Build a ``multipart/form-data`` body, for tests and clients.

    :param fields: ``(name, value)`` pairs; a value is text, or a file given as
        ``(content_or_file_object, filename, content_type_or_None)``.
    :param boundary: the boundary to use; a random one by default.
    :returns: ``(body, content_type_header)``.
    :raises ValueError: for CR, LF or NUL in a name or filename, or when a
        given boundary occurs in the content.
    """
    parts: list[tuple[bytes, bytes]] = []
    for name, value in fields:
        disposition = f"form-data; name={_quote_param(name)}"
        if isinstance(value, tuple):
            content, filename, content_type = value
            data: bytes = content if isinstance(content, bytes) else content.read()
            disposition += f"; filename={_quote_param(filename)}"
            head = f"Content-Disposition: {disposition}\r\n"
            head += f"Content-Type: {content_type or 'application/octet-stream'}\r\n"
        else:
            data = value.encode("utf-8")
            head = f"Content-Disposition: {disposition}\r\n"
        parts.append((head.encode("utf-8"), data))
    if boundary is None:
        while True:
            boundary = "----KolbaFormBoundary" + secrets.token_hex(16)
            if not any(boundary.encode() in data for _head, data in parts):
                break
    else:
        if not is_valid_boundary(boundary):
            raise ValueError(f"Invalid multipart boundary {boundary!r} (RFC 2046).")
        if any(boundary.encode() in data for _head, data in parts):
            raise ValueError(f"The boundary {boundary!r} occurs in the content.")
    delimiter = b"--" + boundary.encode("ascii")
    body = bytearray()
    for head_bytes, payload in parts:
        body += delimiter + b"\r\n" + head_bytes + b"\r\n" + payload + b"\r\n"
    body += delimiter + b"--\r\n"
    return bytes(body), f"multipart/form-data; boundary={boundary}"


def _quote_param(value: str) -> str:
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(
            f"Multipart names and filenames must not contain CR, LF or NUL: {value!r}."
        )
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
