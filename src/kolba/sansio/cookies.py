"""Read ``Cookie`` request headers and write ``Set-Cookie`` values.

Parsing never raises: browsers and proxies send odd cookies, and one bad
cookie must not make a request fail. Invalid items are skipped; invalid UTF-8
is decoded with replacement characters. The output of :func:`dump_cookie`
matches Werkzeug's, so a Flask app sees the same headers under Kolba.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from .http import http_date

__all__ = ["dump_cookie", "parse_cookie"]

_BLANK = " \t"
# Characters a value may hold without quoting: RFC 6265 cookie-octets plus a
# few that every browser accepts (Werkzeug 2.3.1 widened the same way).
_PLAIN_VALUE_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    "_!#$%&'()*+-./:<=>?@[]^`{|}~"
)
# Inside quotes: escape the quote and backslash; use octal for bytes that
# cannot appear in a header (controls, non-ASCII) or that end a cookie (, ;).
_ESCAPES = {
    byte: f"\\{byte:03o}" for byte in (*range(0x20), 0x2C, 0x3B, *range(0x7F, 0x100))
}
_ESCAPES[0x22] = '\\"'
_ESCAPES[0x5C] = "\\\\"
_SAMESITE = ("Strict", "Lax", "None")


def _to_text(header: str) -> str:
    # WSGI gives header values as latin-1 characters standing for bytes.
    if header.isascii():
        return header
    try:
        return header.encode("latin-1").decode("utf-8")
    except UnicodeEncodeError:
        return header  # already text
    except UnicodeDecodeError:
        # Not UTF-8: keep the latin-1 reading, which loses nothing (each
        # character is one byte of the original), as Flask does.
        return header


def _unslash(quoted: str) -> str:
    # Undo backslash escapes: "\X" is X, "\ooo" (octal, first digit 0-3) a byte.
    data = quoted.encode("utf-8")
    if b"\\" not in data:
        return quoted
    out = bytearray()
    index = 0
    length = len(data)
    while index < length:
        byte = data[index]
        if byte == 0x5C and index + 1 < length and data[index + 1] != 0x0A:
            octal = data[index + 1 : index + 4]
            if (
                len(octal) == 3
                and 0x30 <= octal[0] <= 0x33
                and 0x30 <= octal[1] <= 0x37
                and 0x30 <= octal[2] <= 0x37
            ):
                out.append(int(octal, 8))
                index += 4
                continue
            out.append(data[index + 1])
            index += 2
            continue
        out.append(byte)
        index += 1
    return out.decode("utf-8", "replace")


def _end_of_item(cookie: str, index: int) -> int | None:
    """After optional blanks, expect ``;`` or the end; return the next index."""
    length = len(cookie)
    while index < length and cookie[index] in _BLANK:
        index += 1
    if index == length:
        return length
    if cookie[index] == ";":
        return index + 1
    return None


def _scan_item(cookie: str, index: int) -> tuple[str, str, int] | None:
    """Read ``key[=value]`` at ``index``; ``None`` if the item is malformed."""
    length = len(cookie)
    while index < length and cookie[index] in _BLANK:
        index += 1
    key_start = index
    while index < length and cookie[index] not in ' \t=";':
        index += 1
    if index == key_start:
        return None
    key = cookie[key_start:index]
    cursor = index
    while cursor < length and cookie[cursor] in _BLANK:
        cursor += 1
    if cursor < length and cookie[cursor] == "=":
        cursor += 1
        while cursor < length and cookie[cursor] in _BLANK:
            cursor += 1
        value_start = cursor
        if cursor < length and cookie[cursor] == '"':
            cursor += 1
            closed = False
            while cursor < length:
                char = cookie[cursor]
                if char == "\\":
                    if cursor + 1 < length and cookie[cursor + 1] != "\n":
                        cursor += 2
                        continue
                    break
                cursor += 1
                if char == '"':
                    closed = True
                    break
            if closed:
                after = _end_of_item(cookie, cursor)
                if after is not None:
                    return key, _unslash(cookie[value_start + 1 : cursor - 1]), after
        else:
            while cursor < length and cookie[cursor] not in ' \t";':
                cursor += 1
            after = _end_of_item(cookie, cursor)
            if after is not None:
                return key, cookie[value_start:cursor], after
    after = _end_of_item(cookie, index)
    if after is not None:
        return key, "", after
    return None


def parse_cookie(header: str | None) -> list[tuple[str, str]]:
    """Parse a ``Cookie`` header into ``(name, value)`` pairs, in order.

    Quoted values are unquoted (``\\"`` and octal escapes such as ``\\073``
    are decoded); malformed items are skipped; never raises.

    :param header: the header as WSGI gives it (latin-1 characters standing
        for UTF-8 bytes), or ``None``.
    """
    if not header:
        return []
    cookie = _to_text(header)
    result: list[tuple[str, str]] = []
    if '"' not in cookie:
        # PERF: without quotes each ";"-separated item stands alone, so plain
        # string methods parse it; the scanner below handles quoted values.
        for item in cookie.split(";"):
            item = item.strip(_BLANK)
            if not item:
                continue
            key, eq, value = item.partition("=")
            key = key.rstrip(_BLANK)
            value = value.lstrip(_BLANK)
            if (
                not key
                or " " in key
                or "\t" in key
                or (eq and (" " in value or "\t" in value))
            ):
                continue
            result.append((key, value))
        return result
    index = 0
    length = len(cookie)
    while index < length:
        found = _scan_item(cookie, index)
        if found is None:
            next_item = cookie.find(";", index)
            if next_item == -1:
                break
            index = next_item + 1
            continue
        key, value, index = found
        result.append((key, value))
    return result


def _quote_value(value: str) -> str:
    if all(char in _PLAIN_VALUE_CHARS for char in value):
        return value
    escaped = "".join(_ESCAPES.get(byte, chr(byte)) for byte in value.encode("utf-8"))
    return f'"{escaped}"'


def _check(text: str, what: str, forbidden: str) -> None:
    for char in forbidden:
        if char in text:
            raise ValueError(
                f"The cookie {what} {text!r} contains {char!r}, which would break"
                " the Set-Cookie header. Remove it or encode the value."
            )


def dump_cookie(
    key: str,
    value: str = "",
    max_age: timedelta | int | None = None,
    expires: str | datetime | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
    partitioned: bool = False,
    sync_expires: bool = True,
    max_size: int = 4093,
) -> str:
    """Build a ``Set-Cookie`` header value.

    A value with characters outside the cookie-octet set is quoted, with
    octal escapes for bytes that cannot appear in a header.

    :param key: the cookie name.
    :param value: the cookie value.
    :param max_age: lifetime in seconds or a ``timedelta``.
    :param expires: expiry as a datetime, a Unix time or a ready string.
    :param path: the path the cookie applies to; ``None`` omits it.
    :param domain: the domain; a leading dot and a port are dropped.
    :param secure: send the cookie over HTTPS only.
    :param httponly: hide the cookie from JavaScript.
    :param samesite: ``"Strict"``, ``"Lax"`` or ``"None"``.
    :param partitioned: ask for a partitioned cookie (CHIPS); implies secure.
    :param sync_expires: derive ``Expires`` from ``max_age`` if not given.
    :param max_size: accepted for Werkzeug compatibility; no warning is
        emitted for large cookies.
    :raises ValueError: for an invalid ``samesite``, or a key or value
        that would break the header (CR, LF, NUL; ``;`` or ``=`` in a key).
    """
    _check(key, "name", "\r\n\0;=")
    if path is not None:
        path = quote(path, safe="%!$&'()*+,/:=@")
    if domain:
        domain = domain.partition(":")[0].lstrip(".")
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"The cookie domain {domain!r} is not a valid host name.")
        _check(domain, "domain", '\r\n\0;, \t"')
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    expires_text: str | None
    if expires is None:
        expires_text = None
        if max_age is not None and sync_expires:
            expires_text = http_date(datetime.now(UTC).timestamp() + max_age)
    elif isinstance(expires, str):
        _check(expires, "expiry", "\r\n\0;")
        expires_text = expires
    else:
        expires_text = http_date(expires)
    if samesite is not None:
        samesite = samesite.title()
        if samesite not in _SAMESITE:
            raise ValueError(
                f"SameSite must be 'Strict', 'Lax' or 'None', not {samesite!r}."
            )
    if partitioned:
        secure = True

    # Like Werkzeug: a non-ASCII name travels as UTF-8 bytes through WSGI's
    # latin-1 header strings.
    parts = [f"{key.encode('utf-8').decode('latin-1')}={_quote_value(value)}"]
    if domain:
        parts.append(f"Domain={domain}")
    if expires_text is not None:
        parts.append(f"Expires={expires_text}")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if path is not None:
        parts.append(f"Path={path}")
    if samesite is not None:
        parts.append(f"SameSite={samesite}")
    if partitioned:
        parts.append("Partitioned")
    return "; ".join(parts)
