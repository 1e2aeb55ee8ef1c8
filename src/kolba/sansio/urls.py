"""Percent-coding, query strings and IRIs.

Decoding is lossless for malformed escapes: ``%zz`` and a trailing ``%`` stay
as they are, like browsers do. Bytes that are not UTF-8 after decoding are a
client error and raise :class:`~kolba.exceptions.BadRequest` naming the part of
the request (path, query string, form) so the message says where to look.

WSGI hands the path and query over as ``str`` whose characters are the raw
bytes (latin-1); the functions here accept that form as well as ``bytes``.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from ..exceptions import BadRequest, RequestEntityTooLarge

__all__ = [
    "decode_component",
    "iri_to_uri",
    "parse_qsl",
    "percent_decode",
    "quote_segment",
    "url_encode",
    "url_quote",
    "url_unquote_path",
]

_HEX = "0123456789abcdefABCDEF"
# PERF: one dict lookup per escape instead of int(..., 16) in a try block.
_HEX_TO_BYTE = {
    (first + second).encode("ascii"): bytes([int(first + second, 16)])
    for first in _HEX
    for second in _HEX
}
# Characters left alone in query keys and values when encoding; the rest of the
# reserved set would change the meaning of the query (&, =, +, #).
_QUERY_SAFE = "!$'()*,/:;?@"
# A path segment may hold these sub-delimiters unescaped (RFC 3986 §3.3).
_SEGMENT_SAFE = "!$&'()*+,:;=@"


def _to_bytes(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        return value
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        # Not a WSGI string: real text, from an ASGI server or the caller.
        return value.encode("utf-8")


def percent_decode(value: str | bytes) -> bytes:
    """Decode ``%XX`` escapes; malformed escapes are kept as they are.

    ``"a%20b%zz%"`` gives ``b"a b%zz%"``. A ``str`` is taken as WSGI latin-1
    (its characters are bytes) unless it holds characters above U+00FF.
    """
    data = _to_bytes(value)
    if b"%" not in data:
        return data
    chunks = data.split(b"%")
    out = [chunks[0]]
    for chunk in chunks[1:]:
        byte = _HEX_TO_BYTE.get(chunk[:2])
        if byte is None:
            out.append(b"%")
            out.append(chunk)
        else:
            out.append(byte)
            out.append(chunk[2:])
    return b"".join(out)


def decode_component(raw: bytes, part: str) -> str:
    """Decode ``raw`` as UTF-8, or raise ``BadRequest`` naming ``part``.

    :param raw: the bytes, already percent-decoded.
    :param part: what they came from, such as ``"query string"``.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"The {part} is not valid UTF-8: byte 0x{raw[exc.start]:02x} at"
            f" position {exc.start} cannot be decoded. Clients must percent-encode"
            " text as UTF-8."
        ) from None


_HEX_DIGITS = "0123456789abcdefABCDEF"
_HEX_TEXT_TO_BYTE: dict[str, bytes] = {
    a + b: bytes([int(a + b, 16)]) for a in _HEX_DIGITS for b in _HEX_DIGITS
}


_HEX_TEXT_TO_CHAR: dict[str, str] = {
    key: value.decode("latin-1") for key, value in _HEX_TEXT_TO_BYTE.items()
}


def _decode_ascii(text: str, part: str) -> str:
    """Decode ``+`` and ``%XX`` in ASCII text; the result must be UTF-8."""
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    # PERF: let the C "unicode_escape" codec do the work: with every existing
    # backslash doubled, the only escapes left are the "\xXX" made from
    # "%XX", which it turns into U+00XX — latin-1 stand-ins for the bytes.
    # A malformed escape ("%zz", a trailing "%") or bytes that are not UTF-8
    # raise, and the careful loop below handles (or reports) them.
    try:
        escaped = text.replace("\\", "\\\\") if "\\" in text else text
        return (
            escaped.replace("%", "\\x")
            .encode("ascii")
            .decode("unicode_escape")
            .encode("latin-1")
            .decode("utf-8")
        )
    except UnicodeError:
        pass
    chunks = text.split("%")
    out = [chunks[0]]
    lookup = _HEX_TEXT_TO_CHAR.get
    for chunk in chunks[1:]:
        char = lookup(chunk[:2])
        if char is None:
            out.append("%")
            out.append(chunk)
        else:
            out.append(char)
            out.append(chunk[2:])
    # The pieces are latin-1 stand-ins for bytes: one char per byte.
    return decode_component("".join(out).encode("latin-1"), part)


def _decode_field(text: str, part: str) -> str:
    if text.isascii():
        return _decode_ascii(text, part)
    raw = _to_bytes(text)
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    return decode_component(percent_decode(raw), part)


def parse_qsl(
    query: str | bytes,
    *,
    keep_blank: bool = True,
    separator: str = "&",
    max_fields: int | None = None,
    part: str = "query string",
) -> list[tuple[str, str]]:
    """Parse ``a=1&b=x+y`` into ``[("a", "1"), ("b", "x y")]``.

    A field without ``=`` has the value ``""``; empty fields are skipped.

    :param query: the query as WSGI latin-1 ``str`` or ``bytes``.
    :param keep_blank: keep fields whose value is empty.
    :param separator: the field separator.
    :param max_fields: raise ``RequestEntityTooLarge`` past this many fields.
    :param part: the name used in error messages.
    :raises BadRequest: if a decoded key or value is not valid UTF-8.
    """
    if isinstance(query, bytes):
        text = query.decode("latin-1")
    else:
        text = query
    if not text:
        return []
    ascii_only = text.isascii()
    fields = text.split(separator)
    if max_fields is not None and len(fields) > max_fields:
        count = sum(1 for field in fields if field)
        if count > max_fields:
            raise RequestEntityTooLarge(
                f"The {part} has {count} fields, more than the limit of {max_fields}."
            )
    result: list[tuple[str, str]] = []
    append = result.append
    if ascii_only and ("%" not in text and "+" not in text):
        # PERF: the plainest query needs no decoding at all.
        for field in fields:
            if field:
                key, _eq, value = field.partition("=")
                if value or keep_blank:
                    append((key, value))
        return result
    if (
        ascii_only
        and keep_blank
        and separator == "&"
        and "\0" not in text
        and "%00" not in text
        and text.count("=") == len(fields)
        and "" not in fields
    ):
        # PERF: the common shape — every field is exactly "key=value". Both
        # separators become NUL (which neither the text nor its escapes can
        # produce), the whole text is decoded in one pass, and the result
        # alternates key, value.
        flat = _decode_ascii(text.replace("&", "\0").replace("=", "\0"), part)
        items = flat.split("\0")
        return list(zip(items[::2], items[1::2], strict=True))
    if ascii_only and "\0" not in text and "%00" not in text:
        # PERF: decode every key and value in one pass. They are joined with
        # NUL, which neither the raw text nor any escape in it can produce,
        # so splitting the decoded text on NUL recovers them exactly.
        components: list[str] = []
        for field in fields:
            if field:
                key, _eq, value = field.partition("=")
                if value or keep_blank:
                    components.append(key)
                    components.append(value)
        decoded = _decode_field("\0".join(components), part).split("\0")
        return list(zip(decoded[::2], decoded[1::2], strict=True))
    for field in fields:
        if not field:
            continue
        key, _eq, value = field.partition("=")
        if not value and not keep_blank:
            continue
        if ascii_only and "%" not in field and "+" not in field:
            append((key, value))
            continue
        append((_decode_field(key, part), _decode_field(value, part)))
    return result


def url_quote(value: str | bytes, safe: str = "/:") -> str:
    """Percent-encode everything but RFC 3986 unreserved characters and ``safe``.

    Text is encoded as UTF-8 first.
    """
    return quote(value, safe=safe)


def quote_segment(value: str | bytes, safe: str = _SEGMENT_SAFE) -> str:
    """Percent-encode one path segment; ``/`` is always escaped."""
    return quote(value, safe=safe.replace("/", ""))


def _iter_pairs(obj: t.Any) -> Iterable[tuple[t.Any, t.Any]]:
    lists = getattr(obj, "lists", None)
    if lists is not None and callable(lists):
        for key, values in lists():
            for value in values:
                yield key, value
    elif isinstance(obj, Mapping):
        for key, value in obj.items():
            if isinstance(value, list | tuple):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from obj


def _plus_quote(value: t.Any) -> str:
    if not isinstance(value, str | bytes):
        value = str(value)
    return quote_plus(value, safe=_QUERY_SAFE)


def url_encode(
    obj: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]],
    sort: bool = False,
    separator: str = "&",
) -> str:
    """Build a query string: ``{"a": 1, "b": "x y"}`` gives ``a=1&b=x+y``.

    ``None`` values are skipped; list values (and MultiDicts) repeat the key.

    :param obj: a mapping, a MultiDict or ``(key, value)`` pairs.
    :param sort: sort the pairs by key.
    :param separator: the field separator.
    """
    pairs = [(key, value) for key, value in _iter_pairs(obj) if value is not None]
    if sort:
        pairs.sort(key=lambda pair: str(pair[0]))
    return separator.join(
        f"{_plus_quote(key)}={_plus_quote(value)}" for key, value in pairs
    )


def iri_to_uri(iri: str) -> str:
    """Turn an IRI into an ASCII URI.

    Non-ASCII and unsafe characters are percent-encoded as UTF-8 (existing
    escapes are kept); a non-ASCII host is encoded with IDNA.
    """
    if iri.isascii() and " " not in iri:
        return iri
    parts = urlsplit(iri)
    # Safe sets follow the WHATWG URL percent-encode sets, plus "%".
    path = quote(parts.path, safe="%!$&'()*+,/:;=@")
    query = quote(parts.query, safe="%!$&'()*+,/:;=?@")
    fragment = quote(parts.fragment, safe="%!#$&'()*+,/:;=?@")
    netloc = ""
    hostname = parts.hostname
    if hostname:
        try:
            netloc = hostname.encode("idna").decode("ascii")
        except UnicodeError:
            netloc = quote(hostname, safe="")
        if ":" in netloc:
            netloc = f"[{netloc}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None:
        netloc = f"{netloc}:{port}"
    if parts.username is not None:
        userinfo = quote(parts.username, safe="%!$&'()*+,;=")
        if parts.password is not None:
            userinfo += ":" + quote(parts.password, safe="%!$&'()*+,;=")
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def url_unquote_path(path_info: str) -> str:
    """Turn a WSGI ``PATH_INFO`` (latin-1 characters) into text.

    The server has already percent-decoded it; the bytes must be UTF-8.

    :raises BadRequest: if the path is not valid UTF-8.
    """
    if path_info.isascii():
        return path_info
    try:
        raw = path_info.encode("latin-1")
    except UnicodeEncodeError:
        return path_info  # already text (characters above U+00FF)
    return decode_component(raw, "path")
