"""A streaming ``multipart/form-data`` parser and encoder (RFC 7578, RFC 2046).

How the parser works: it reads the body in 64 KiB chunks into a buffer and
moves through four states::

    PREAMBLE --"--boundary CRLF"--> HEADERS --empty line--> DATA
       DATA --"CRLF --boundary CRLF"--> HEADERS
       DATA --"CRLF --boundary--"-----> END (the epilogue is not read)

Invariants:

- The buffer never holds more than one chunk plus a delimiter's length of
  unconsumed data (plus one header line of at most 8 KiB), so memory is
  bounded whatever the body.
- Every search is ``bytes.find`` from the start of unconsumed data, and all
  but ``len(delimiter) - 1`` bytes are consumed after a failed search, so
  each byte is scanned a bounded number of times: linear time, no regex.
- The body ending in any state but END is a ``BadRequest``; the parser never
  loops without consuming input or reaching the end of the stream.
"""

from __future__ import annotations

import secrets
import tempfile
import typing as t
from collections.abc import Callable, Iterator

from ..exceptions import BadRequest, RequestEntityTooLarge
from .datastructures import Headers
from .http import parse_options_header

__all__ = [
    "MultipartPart",
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
_BOUNDARY_CHARS = frozenset(
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? "
)


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
    if not 0 < len(boundary) <= 70 or boundary.endswith(" "):
        return False
    try:
        raw = boundary.encode("ascii")
    except UnicodeEncodeError:
        return False
    return all(byte in _BOUNDARY_CHARS for byte in raw)


class MultipartPart:
    """One part's headers, as :func:`iter_multipart` announces it."""

    __slots__ = ("filename", "headers", "name")

    def __init__(self, headers: Headers) -> None:
        self.headers = headers
        _disposition, options = parse_options_header(headers.get("Content-Disposition"))
        self.name: str | None = options.get("name")
        self.filename: str | None = options.get("filename")


class _Truncated(BadRequest):
    description = (
        "The multipart/form-data body ended before its closing boundary; the"
        " upload was cut short or the body is malformed."
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


def iter_multipart(
    stream: t.IO[bytes] | t.BinaryIO | t.Any,
    boundary: bytes,
    *,
    chunk_size: int = CHUNK_SIZE,
    max_content_length: int | None = None,
) -> Iterator[MultipartPart | bytes | None]:
    """Parse a multipart body as a stream of events.

    Yields a :class:`MultipartPart` when a part starts, ``bytes`` for its
    data (in pieces of any size), and ``None`` when it ends. The caller
    decides where the data goes and enforces its own limits.

    :param stream: the body; its ``read(n)`` returns ``b""`` at the end.
    :param boundary: the boundary from the ``Content-Type``.
    :param chunk_size: bytes read at a time.
    :param max_content_length: raise ``RequestEntityTooLarge`` past this.
    :raises BadRequest: if the body is malformed or truncated.
    """
    delimiter = b"--" + boundary
    part_marker = b"\r\n" + delimiter
    keep = len(part_marker) + 2
    buffer = bytearray()
    eof = False
    total = 0

    def fill() -> bool:
        nonlocal eof, total
        if eof:
            return False
        data = stream.read(chunk_size)
        if not data:
            eof = True
            return False
        total += len(data)
        if max_content_length is not None and total > max_content_length:
            raise RequestEntityTooLarge(
                f"The request body is larger than the limit of {max_content_length}"
                " bytes (MAX_CONTENT_LENGTH)."
            )
        buffer.extend(data)
        return True

    def after_delimiter() -> bool | None:
        """At the end of a delimiter: True for another part, False at the
        end, None if the bytes are not a delimiter line after all."""
        while len(buffer) < 2 and fill():
            pass
        if buffer[:2] == b"--":
            return False
        # Transport padding: blanks may follow the boundary (RFC 2046).
        index = 0
        while True:
            while index < len(buffer) and buffer[index] in b" \t":
                index += 1
            if index + 2 <= len(buffer) or not fill():
                break
            if index > MAX_HEADER_LINE:
                return None
        if buffer[index : index + 2] == b"\r\n":
            del buffer[: index + 2]
            return True
        return None

    # PREAMBLE: find the first delimiter at the very start or after CRLF.
    at_start = True
    while True:
        index = buffer.find(delimiter)
        while index >= 0 and not (
            (index == 0 and at_start) or buffer[index - 2 : index] == b"\r\n"
        ):
            index = buffer.find(delimiter, index + 1)
        if index >= 0:
            del buffer[: index + len(delimiter)]
            at_start = False
            more = after_delimiter()
            if more is False:
                return
            if more:
                break
            continue
        if len(buffer) > keep:
            del buffer[: len(buffer) - keep]
            at_start = False
        if not fill():
            raise BadRequest(
                "The multipart/form-data body does not contain its boundary"
                f" {boundary.decode('latin-1')!r}; check the Content-Type header."
            )

    while True:
        # HEADERS: CRLF-terminated lines up to an empty line.
        lines: list[bytes] = []
        while True:
            end = buffer.find(b"\r\n")
            if end == -1:
                if len(buffer) > MAX_HEADER_LINE:
                    raise BadRequest(
                        "A multipart/form-data part header line is longer than"
                        f" {MAX_HEADER_LINE} bytes."
                    )
                if not fill():
                    raise _Truncated()
                continue
            if end > MAX_HEADER_LINE:
                raise BadRequest(
                    "A multipart/form-data part header line is longer than"
                    f" {MAX_HEADER_LINE} bytes."
                )
            line = bytes(buffer[:end])
            del buffer[: end + 2]
            if not line:
                break
            lines.append(line)
            if len(lines) > MAX_PART_HEADERS:
                raise BadRequest(
                    f"A multipart/form-data part has more than {MAX_PART_HEADERS}"
                    " headers."
                )
        yield MultipartPart(_parse_header_lines(lines))

        # DATA: everything up to CRLF + delimiter.
        search_from = 0
        while True:
            index = buffer.find(part_marker, search_from)
            if index == -1:
                safe = len(buffer) - len(part_marker) + 1
                if safe > 0:
                    yield bytes(buffer[:safe])
                    del buffer[:safe]
                search_from = 0
                if not fill():
                    raise _Truncated()
                continue
            if index:
                yield bytes(buffer[:index])
                del buffer[:index]
            del buffer[: len(part_marker)]
            more = after_delimiter()
            if more is None:
                # The boundary text is part of the data (not followed by CRLF
                # or "--"): give it back as data and keep looking.
                buffer[:0] = part_marker
                yield bytes(buffer[:1])
                del buffer[:1]
                continue
            yield None
            if more:
                break
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
