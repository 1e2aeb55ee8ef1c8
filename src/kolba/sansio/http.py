"""Parse and format HTTP header values: options, lists, dates, etags, ranges.

Parsers are tolerant: a malformed header gives an empty or ``None`` result, not
an exception, because a client's bad header must not turn into a 500. The
scanners walk each value once, left to right, so their cost is linear in the
length of the header.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import typing as t
import unicodedata
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

from ..exceptions import HTTP_STATUS_CODES
from .datastructures import (
    Accept,
    Authorization,
    ContentRange,
    ETags,
    IfRange,
    Range,
)

__all__ = [
    "HTTP_STATUS_CODES",
    "content_disposition",
    "dump_header",
    "dump_options_header",
    "generate_etag",
    "http_date",
    "is_resource_modified",
    "parse_accept_header",
    "parse_authorization_header",
    "parse_content_range_header",
    "parse_date",
    "parse_dict_header",
    "parse_etags",
    "parse_if_range_header",
    "parse_list_header",
    "parse_options_header",
    "parse_range_header",
    "quote_etag",
    "quote_header_value",
    "unquote_etag",
    "unquote_header_value",
]

AcceptT = t.TypeVar("AcceptT", bound=Accept)

# SPEC: RFC 9110 §5.6.2 tchar.
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
# Python refuses to int() very long digit strings; no real range needs more.
_MAX_DIGITS = 19


# ---------------------------------------------------------------------------
# Quoting


def quote_header_value(value: object, allow_token: bool = True) -> str:
    """Quote a header parameter value if it is not a plain token.

    :param value: the value; non-strings are converted with ``str()``.
    :param allow_token: leave tokens unquoted; if false, always quote.
    """
    text = value if isinstance(value, str) else str(value)
    if allow_token and text and all(char in _TOKEN_CHARS for char in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_header_value(value: str, is_filename: bool = False) -> str:
    """Remove surrounding quotes and backslash escapes from a header value.

    :param value: the value, quoted or not.
    :param is_filename: keep a leading ``\\\\`` (a Windows UNC path) as is.
    """
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    inner = value[1:-1]
    if is_filename and inner[:2] == "\\\\":
        return inner
    if "\\" not in inner:
        return inner
    return _unescape(inner)


def _unescape(text: str) -> str:
    out = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\\" and index + 1 < length:
            index += 1
            char = text[index]
        out.append(char)
        index += 1
    return "".join(out)


def _read_quoted(value: str, start: int) -> tuple[str, int]:
    """Read a quoted string whose opening quote is at ``start``.

    Returns the unescaped text and the index after the closing quote (or the
    end of ``value`` when the quote is never closed).
    """
    out = []
    index = start + 1
    length = len(value)
    while index < length:
        char = value[index]
        if char == "\\" and index + 1 < length:
            out.append(value[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(out), index + 1
        out.append(char)
        index += 1
    return "".join(out), length


def dump_options_header(header: str | None, options: t.Mapping[str, t.Any]) -> str:
    """Format a value with options: ``text/html; charset=utf-8``.

    :param header: the main value (may be empty or ``None``).
    :param options: the options; a ``None`` value writes the bare key.
    """
    parts = [header] if header else []
    for key, value in options.items():
        if value is None:
            parts.append(key)
        else:
            parts.append(f"{key}={quote_header_value(value)}")
    return "; ".join(parts)


def dump_header(iterable: t.Mapping[str, t.Any] | t.Iterable[t.Any]) -> str:
    """Format a list (``a, "b c"``) or a dict (``a=b, c``) header value."""
    if isinstance(iterable, t.Mapping):
        items = []
        for key, value in iterable.items():
            items.append(key if value is None else f"{key}={quote_header_value(value)}")
        return ", ".join(items)
    return ", ".join(quote_header_value(item) for item in iterable)


# ---------------------------------------------------------------------------
# Options, lists and dicts


def _decode_extended(value: str) -> str:
    # SPEC: RFC 8187 / RFC 2231: charset'language'percent-encoded-bytes.
    charset, _sep, rest = value.partition("'")
    _language, sep, encoded = rest.partition("'")
    if not sep:
        return unquote(value, errors="replace")
    try:
        return unquote(encoded, encoding=charset or "utf-8", errors="replace")
    except LookupError:
        return unquote(encoded, encoding="latin-1")


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """Split ``text/html; charset="utf-8"`` into a value and its options.

    Option names are lower-cased; quoted values are unescaped; RFC 2231/8187
    extended values (``filename*=UTF-8''%C3%A9.txt``) are decoded and win over
    the plain form; continuations (``name*0``, ``name*1``) are joined.

    :param value: the header value; ``None`` or empty gives ``("", {})``.
    """
    if not value:
        return "", {}
    main, sep, rest = value.partition(";")
    main = main.strip()
    options: dict[str, str] = {}
    if not sep:
        return main, options
    extended: dict[str, str] = {}
    pieces: dict[str, list[tuple[int, str, bool]]] = {}
    index = 0
    length = len(rest)
    while index < length:
        char = rest[index]
        if char in "; \t":
            index += 1
            continue
        equals = rest.find("=", index)
        semicolon = rest.find(";", index)
        if semicolon == -1:
            semicolon = length
        if equals == -1 or equals > semicolon:
            index = semicolon + 1  # a bare key: ignored
            continue
        key = rest[index:equals].strip().lower()
        index = equals + 1
        while index < length and rest[index] in " \t":
            index += 1
        if index < length and rest[index] == '"':
            option, index = _read_quoted(rest, index)
            end = rest.find(";", index)
            index = length if end == -1 else end + 1
        else:
            end = rest.find(";", index)
            end = length if end == -1 else end
            option = rest[index:end].strip()
            index = end + 1
        if not key:
            continue
        name, star, section = key.partition("*")
        if not star:
            options.setdefault(key, option)
        elif not section:
            extended[name] = _decode_extended(option)
        else:
            number, _star, _empty = section.partition("*")
            if number.isdigit() and len(number) < 4:
                pieces.setdefault(name, []).append((int(number), option, bool(_star)))
    for name, parts in pieces.items():
        parts.sort()
        joined = "".join(part for _number, part, _ext in parts)
        extended.setdefault(name, _decode_extended(joined) if parts[0][2] else joined)
    options.update(extended)
    return main, options


def _split_list(value: str) -> list[str]:
    """Split on commas that are not inside a quoted string."""
    items: list[str] = []
    start = 0
    index = 0
    length = len(value)
    quoted = False
    while index < length:
        char = value[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == ",":
            items.append(value[start:index])
            start = index + 1
        index += 1
    items.append(value[start:])
    return items


def parse_list_header(value: str | None) -> list[str]:
    """Parse a comma-separated list; quoted items are unquoted.

    ``a, "b,c", d`` gives ``["a", "b,c", "d"]``. Empty items are dropped.
    """
    if not value:
        return []
    result = []
    for item in _split_list(value):
        item = item.strip()
        if item:
            result.append(unquote_header_value(item))
    return result


def parse_dict_header(value: str | None) -> dict[str, str | None]:
    """Parse ``a=b, c="d, e", f`` into ``{"a": "b", "c": "d, e", "f": None}``."""
    result: dict[str, str | None] = {}
    if not value:
        return result
    for item in _split_list(value):
        key, sep, option = item.partition("=")
        key = key.strip()
        if not key:
            continue
        result[key] = unquote_header_value(option.strip()) if sep else None
    return result


@t.overload
def parse_accept_header(value: str | None) -> Accept: ...
@t.overload
def parse_accept_header(value: str | None, cls: type[AcceptT]) -> AcceptT: ...


def parse_accept_header(value: str | None, cls: type[Accept] | None = None) -> Accept:
    """Parse an ``Accept*`` header into an :class:`Accept` (or ``cls``).

    Items with an invalid quality (not a number from 0 to 1) are dropped.
    An absent or empty header gives an empty instance whose ``provided`` is
    false; like Werkzeug's, it matches nothing (``best_match`` gives the
    default), so an app can tell "not sent" apart and choose its own default.

    :param value: the header value.
    :param cls: the class to return, such as ``MIMEAccept``.
    """
    klass = Accept if cls is None else cls
    if not value or not value.strip():
        return klass(None)
    items: list[tuple[str, float]] = []
    for raw in _split_list(value):
        item, options = parse_options_header(raw)
        if not item:
            continue
        quality_text = options.pop("q", None)
        # An int 1, as Werkzeug does, so JSON shows 1 rather than 1.0.
        quality: float = 1
        if quality_text is not None:
            try:
                quality = float(quality_text)
            except ValueError:
                continue
            if not 0 <= quality <= 1:
                continue
        if options:
            item = dump_options_header(item, options)
        items.append((item, quality))
    result = klass(items)
    result.provided = True
    return result


# ---------------------------------------------------------------------------
# Dates


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def http_date(timestamp: datetime | date | float | None = None) -> str:
    """Format a date as an IMF-fixdate: ``Sun, 06 Nov 1994 08:49:37 GMT``.

    :param timestamp: a datetime (naive means UTC), a date, a Unix time, or
        ``None`` for now.
    """
    if timestamp is None:
        moment = datetime.now(UTC)
    elif isinstance(timestamp, datetime):
        moment = _as_utc(timestamp)
    elif isinstance(timestamp, date):
        moment = datetime(timestamp.year, timestamp.month, timestamp.day, tzinfo=UTC)
    else:
        moment = datetime.fromtimestamp(timestamp, UTC)
    # Not strftime: its day and month names follow the process locale.
    day = f"{_WEEKDAYS[moment.weekday()]}, {moment.day:02d}"
    clock = f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    return f"{day} {_MONTHS[moment.month - 1]} {moment.year:04d} {clock} GMT"


def parse_date(value: str | None) -> datetime | None:
    """Parse an HTTP date (IMF-fixdate, RFC 850 or asctime) as aware UTC.

    Returns ``None`` for a missing or malformed value.
    """
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return _as_utc(parsed)


# ---------------------------------------------------------------------------
# ETags


def quote_etag(etag: str, weak: bool = False) -> str:
    """Quote an entity tag: ``"abc"`` or ``W/"abc"``.

    :raises ValueError: if the tag contains a double quote.
    """
    if '"' in etag:
        raise ValueError(f"Invalid entity tag {etag!r}: it must not contain '\"'.")
    quoted = f'"{etag}"'
    return "W/" + quoted if weak else quoted


@t.overload
def unquote_etag(etag: str) -> tuple[str, bool]: ...
@t.overload
def unquote_etag(etag: None) -> tuple[None, None]: ...


def unquote_etag(etag: str | None) -> tuple[str, bool] | tuple[None, None]:
    """Split a quoted tag into ``(tag, is_weak)``; ``None`` gives ``(None, None)``."""
    if etag is None:
        return None, None
    etag = etag.strip()
    weak = etag[:2] in ("W/", "w/")
    if weak:
        etag = etag[2:]
    if len(etag) >= 2 and etag[0] == etag[-1] == '"':
        etag = etag[1:-1]
    return etag, weak


def parse_etags(value: str | None) -> ETags:
    """Parse ``If-Match``/``If-None-Match`` into :class:`ETags`.

    Unquoted tags are tolerated; ``*`` sets ``star_tag``.
    """
    if not value:
        return ETags()
    strong: list[str] = []
    weak: list[str] = []
    index = 0
    length = len(value)
    while index < length:
        char = value[index]
        if char in ", \t":
            index += 1
            continue
        is_weak = value.startswith(("W/", "w/"), index)
        if is_weak:
            index += 2
        if index < length and value[index] == '"':
            end = value.find('"', index + 1)
            end = length if end == -1 else end
            tag = value[index + 1 : end]
            index = end + 1
        else:
            end = index
            while end < length and value[end] not in ", \t":
                end += 1
            tag = value[index:end]
            index = end
        if tag == "*" and not is_weak:
            return ETags(star_tag=True)
        if tag:
            (weak if is_weak else strong).append(tag)
    return ETags(strong, weak)


def generate_etag(data: bytes) -> str:
    """Return a strong entity tag for ``data`` (its SHA-1 hex digest)."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


# ---------------------------------------------------------------------------
# Ranges


def _non_negative(text: str) -> int | None:
    text = text.strip()
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def parse_range_header(value: str | None, make_inclusive: bool = True) -> Range | None:
    """Parse a ``Range`` header such as ``bytes=0-499,-500``.

    Returns ``None`` for anything malformed: a missing ``=``, a range whose end
    is before its start, ``bytes=-0``, or ranges out of ascending order.

    :param value: the header value.
    :param make_inclusive: the header's last position is inclusive; store
        ``stop`` one past it, as Python slices do.
    """
    if not value:
        return None
    units, sep, spec = value.partition("=")
    units = units.strip().lower()
    if not sep or not units:
        return None
    extra = 1 if make_inclusive else 0
    ranges: list[tuple[int, int | None]] = []
    last_stop = 0
    for item in spec.split(","):
        item = item.strip()
        first, dash, second = item.partition("-")
        if not dash:
            return None
        if not first.strip():
            if last_stop < 0:
                return None
            suffix = _non_negative(second)
            if not suffix:
                return None
            ranges.append((-suffix, None))
            last_stop = -1
            continue
        start = _non_negative(first)
        if start is None or last_stop < 0 or start < last_stop:
            return None
        if second.strip():
            end = _non_negative(second)
            if end is None or end < start:
                return None
            ranges.append((start, end + extra))
            last_stop = end + extra
        else:
            ranges.append((start, None))
            last_stop = -1
    return Range(units, ranges)


def parse_content_range_header(value: str | None) -> ContentRange | None:
    """Parse ``Content-Range`` (``bytes 0-98/200``, ``bytes */200``).

    Returns ``None`` when malformed or when the range is not inside the
    length (RFC 9110 §14.4).
    """
    if not value:
        return None
    units, _sep, spec = value.strip().partition(" ")
    spec, slash, length_text = spec.strip().partition("/")
    if not units or not slash:
        return None
    length: int | None
    if length_text.strip() == "*":
        length = None
    else:
        length = _non_negative(length_text)
        if length is None:
            return None
    if spec.strip() == "*":
        if length is None:
            return None
        return ContentRange(units, None, None, length)
    first, dash, second = spec.partition("-")
    start = _non_negative(first)
    last = _non_negative(second)
    if not dash or start is None or last is None or last < start:
        return None
    if length is not None and last >= length:
        return None
    return ContentRange(units, start, last + 1, length)


def parse_if_range_header(value: str | None) -> IfRange:
    """Parse ``If-Range``: a date or an entity tag."""
    if not value:
        return IfRange()
    moment = parse_date(value)
    if moment is not None:
        return IfRange(date=moment)
    return IfRange(unquote_etag(value)[0])


# ---------------------------------------------------------------------------
# Authorization


def parse_authorization_header(value: str | None) -> Authorization | None:
    """Parse an ``Authorization`` header; ``None`` if absent or malformed.

    ``Basic`` credentials are base64-decoded (UTF-8, else latin-1); invalid
    base64 gives ``None``. Other schemes keep a token (``Bearer abc``) or
    parameters (``Digest username="a", realm="r"``). Never raises.
    """
    if not value:
        return None
    scheme, _sep, rest = value.strip().partition(" ")
    scheme = scheme.lower()
    rest = rest.strip()
    if not scheme:
        return None
    if scheme == "basic":
        try:
            raw = base64.b64decode(rest, validate=True)
        except (binascii.Error, ValueError):
            return None
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            decoded = raw.decode("latin-1")
        username, _colon, password = decoded.partition(":")
        return Authorization("basic", {"username": username, "password": password})
    if not rest:
        return Authorization(scheme)
    # token68 may end with "=" padding; an "=" before that means parameters.
    if "=" in rest.rstrip("="):
        return Authorization(scheme, parse_dict_header(rest))
    return Authorization(scheme, None, rest)


# ---------------------------------------------------------------------------
# Conditional requests and downloads


def is_resource_modified(
    *,
    if_none_match: ETags | str | None = None,
    if_modified_since: datetime | str | None = None,
    if_range: IfRange | str | None = None,
    etag: str | None = None,
    last_modified: datetime | None = None,
    method: str = "GET",
    ignore_if_range: bool = True,
) -> bool:
    """Decide whether a conditional GET must get the full response.

    Returns ``False`` when a ``304 Not Modified`` may be sent. Follows RFC 9110
    §13.2.2: ``If-None-Match`` (weak comparison) wins over
    ``If-Modified-Since``, which is only used when no tag was sent. Only GET
    and HEAD can be "not modified".

    :param if_none_match: the ``If-None-Match`` header or parsed tags.
    :param if_modified_since: the ``If-Modified-Since`` header or date.
    :param if_range: the ``If-Range`` header or parsed value.
    :param etag: the resource's current tag (quoted or not).
    :param last_modified: the resource's modification time.
    :param method: the request method.
    :param ignore_if_range: ignore ``if_range`` (set false for a range request).
    """
    if method.upper() not in ("GET", "HEAD"):
        return True
    tag: str | None = None
    tag_is_weak = False
    if etag is not None:
        tag, tag_is_weak = unquote_etag(etag)
    modified_at = (
        _as_utc(last_modified).replace(microsecond=0) if last_modified else None
    )

    if not ignore_if_range and if_range is not None:
        condition = (
            parse_if_range_header(if_range) if isinstance(if_range, str) else if_range
        )
        if condition.date is not None:
            return not (modified_at is not None and modified_at <= condition.date)
        if condition.etag is not None:
            # SPEC: RFC 9110 §13.1.5: If-Range uses the strong comparison.
            return not (tag is not None and not tag_is_weak and condition.etag == tag)

    tags = (
        parse_etags(if_none_match)
        if isinstance(if_none_match, str | None)
        else if_none_match
    )
    if tags:
        if tags.star_tag:
            return False
        return not (tag is not None and tags.contains_weak(tag))

    since = (
        parse_date(if_modified_since)
        if isinstance(if_modified_since, str | None)
        else _as_utc(if_modified_since)
    )
    if since is not None and modified_at is not None:
        return not modified_at <= since
    return True


def content_disposition(disposition: str, filename: str) -> str:
    """Build a ``Content-Disposition`` value for a download.

    An ASCII, printable name is written as ``filename=...``. Any other name
    also gets an ASCII fallback and ``filename*=UTF-8''...`` (RFC 6266 and
    RFC 8187), so control characters can never reach the header.

    :param disposition: ``"attachment"`` or ``"inline"``.
    :param filename: the name the browser should save under.
    """
    if filename.isascii() and filename.isprintable():
        return dump_options_header(disposition, {"filename": filename})
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = "".join(char for char in folded if char.isprintable())
    encoded = quote(filename, safe="!#$&+^`|")
    return dump_options_header(
        disposition, {"filename": fallback, "filename*": f"UTF-8''{encoded}"}
    )
