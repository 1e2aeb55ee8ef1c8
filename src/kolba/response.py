"""The outgoing response: status, headers and a body, and a WSGI app of its own.

A :class:`Response` holds its body as a list of byte strings when it was given
``str`` or ``bytes`` (so its length is known and sent as Content-Length), or as
any iterable for streaming. Calling the response with ``(environ,
start_response)`` sends it; this is how the pipeline, middleware and tests
deliver it.
"""

from __future__ import annotations

import json as _json
import typing as t
from datetime import datetime, timedelta

from . import wsgi as _wsgi
from ._bridge import iterate_async
from ._compat import cached_property
from .exceptions import HTTP_STATUS_CODES, RequestedRangeNotSatisfiable
from .sansio.cookies import dump_cookie
from .sansio.datastructures import ContentRange, Headers
from .sansio.http import (
    generate_etag,
    http_date,
    is_resource_modified,
    parse_date,
    parse_etags,
    parse_if_range_header,
    parse_options_header,
    parse_range_header,
    quote_etag,
    unquote_etag,
)
from .sansio.request import RequestHead

__all__ = ["Response", "HeaderSet", "ResponseCacheControl"]

# PERF: status lines are built once, not per response.
_STATUS_LINES: dict[int, str] = {
    code: f"{code} {phrase.upper()}" for code, phrase in HTTP_STATUS_CODES.items()
}
_STATUS_LINES.update({200: "200 OK"})
_TEXT_CHARSET_TYPES = (
    "application/xml",
    "application/javascript",
    "application/ecmascript",
)
# SPEC: RFC 9110 §15.4.5 / §8 — what a 304 must not carry (entity headers).
_ENTITY_HEADERS = frozenset(
    (
        "allow",
        "content-encoding",
        "content-language",
        "content-length",
        "content-md5",
        "content-range",
        "content-type",
        "last-modified",
    )
)


_CONTENT_TYPES: dict[str, str] = {}
_new_headers = object.__new__


def _status_line(code: int) -> str:
    line = _STATUS_LINES.get(code)
    if line is None:
        line = f"{code} UNKNOWN"
    return line


def get_content_type(mimetype: str, charset: str = "utf-8") -> str:
    """Add ``; charset=utf-8`` to text media types that have no charset."""
    if (
        mimetype.startswith("text/")
        or mimetype in _TEXT_CHARSET_TYPES
        or (mimetype.startswith("application/") and mimetype.endswith("+xml"))
    ) and "charset" not in mimetype:
        return f"{mimetype}; charset={charset}"
    return mimetype


class HeaderSet:
    """A set-like view of a comma-separated header (``Vary``, ``Allow``)."""

    def __init__(self, headers: Headers, name: str) -> None:
        self._headers = headers
        self._name = name

    def _items(self) -> list[str]:
        value = self._headers.get(self._name)
        if not value:
            return []
        return [item.strip() for item in value.split(",") if item.strip()]

    def _store(self, items: list[str]) -> None:
        if items:
            self._headers[self._name] = ", ".join(items)
        elif self._name in self._headers:
            del self._headers[self._name]

    def add(self, item: str) -> None:
        items = self._items()
        if item.lower() not in {i.lower() for i in items}:
            items.append(item)
            self._store(items)

    def update(self, iterable: t.Iterable[str]) -> None:
        for item in iterable:
            self.add(item)

    def discard(self, item: str) -> None:
        self._store([i for i in self._items() if i.lower() != item.lower()])

    def remove(self, item: str) -> None:
        if item not in self:
            raise KeyError(item)
        self.discard(item)

    def clear(self) -> None:
        self._store([])

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        if preserve_casing:
            return set(self._items())
        return {i.lower() for i in self._items()}

    def to_header(self) -> str:
        return ", ".join(self._items())

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and item.lower() in self.as_set()

    def __iter__(self) -> t.Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __bool__(self) -> bool:
        return bool(self._items())

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"HeaderSet({self._items()!r})"


class ResponseCacheControl:
    """The Cache-Control header as attributes: ``max_age``, ``no_cache`` …

    Every change is written back to the response headers at once.
    """

    _flags = (
        "no_cache",
        "no_store",
        "no_transform",
        "must_revalidate",
        "proxy_revalidate",
        "public",
        "private",
        "immutable",
    )
    _numbers = ("max_age", "s_maxage")

    def __init__(self, headers: Headers) -> None:
        object.__setattr__(self, "_headers", headers)

    def _parse(self) -> dict[str, str | None]:
        result: dict[str, str | None] = {}
        for item in (self._headers.get("Cache-Control") or "").split(","):
            key, sep, value = item.strip().partition("=")
            if key:
                result[key.lower()] = value.strip('"') if sep else None
        return result

    def __getattr__(self, name: str) -> t.Any:
        key = name.replace("_", "-")
        values = self._parse()
        if name in self._flags:
            return key in values
        if name in self._numbers:
            raw = values.get(key)
            return int(raw) if raw and raw.isdigit() else None
        raise AttributeError(name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        if name not in self._flags and name not in self._numbers:
            raise AttributeError(f"Unknown Cache-Control directive {name!r}.")
        key = name.replace("_", "-")
        values = self._parse()
        values.pop(key, None)
        if name in self._flags:
            if value:
                values[key] = None
        elif value is not None:
            values[key] = str(
                int(value.total_seconds())
                if isinstance(value, timedelta)
                else int(value)
            )
        header = ", ".join(k if v is None else f"{k}={v}" for k, v in values.items())
        if header:
            self._headers["Cache-Control"] = header
        elif "Cache-Control" in self._headers:
            del self._headers["Cache-Control"]

    def to_header(self) -> str:
        return self._headers.get("Cache-Control") or ""


class _DateHeader:
    """A response header read as a datetime and set from one.

    Setting a datetime or a timestamp stores it as an HTTP date; a string is
    stored as it is; ``None`` removes the header.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.__doc__ = f"The {name} header as a datetime."

    @t.overload
    def __get__(self, obj: None, owner: type[t.Any] | None = None) -> _DateHeader: ...

    @t.overload
    def __get__(
        self, obj: Response, owner: type[t.Any] | None = None
    ) -> datetime | None: ...

    def __get__(
        self, obj: Response | None, owner: type[t.Any] | None = None
    ) -> _DateHeader | datetime | None:
        if obj is None:
            return self
        return parse_date(obj.headers.get(self.name))

    def __set__(
        self, obj: Response, value: datetime | int | float | str | None
    ) -> None:
        if value is None or isinstance(value, str):
            obj._set_header(self.name, value)
        else:
            obj._set_header(self.name, http_date(value))


class Response:
    """The response a view returns (or that Kolba builds from what it returns).

    :param response: the body: ``str``, ``bytes``, or an iterable of either
        (a generator streams).
    :param status: an int (``404``) or a status line (``"404 NOT FOUND"``).
    :param headers: a :class:`Headers`, a dict or a list of pairs.
    :param mimetype: the media type; text types get ``; charset=utf-8``.
    :param content_type: the full Content-Type (wins over ``mimetype``).
    :param direct_passthrough: send the iterable as it is, unencoded.
    """

    default_status = 200
    #: Flask's responses are HTML unless told otherwise.
    default_mimetype: str | None = "text/html"
    #: Relative Location headers are sent as they are (RFC 9110 allows them).
    autocorrect_location_header = False
    automatically_set_content_length = True
    #: JSON module for :meth:`get_json`.
    json_module: t.Any = _json

    _status_code: int
    _status: str

    def __init__(
        self,
        response: t.Any = None,
        status: int | str | None = None,
        headers: t.Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        self.direct_passthrough = direct_passthrough
        self._on_close: list[t.Callable[[], t.Any]] = []
        if status is None:
            self._status_code = code = self.default_status
            self._status = _STATUS_LINES.get(code) or _status_line(code)
        elif type(status) is int:
            self._status_code = status
            self._status = _status_line(status)
        else:
            self.status = status
        if headers is None and content_type is None:
            # PERF: the common case — no headers given — builds the pair list
            # directly from validated constants instead of going through
            # Headers.set's scan-and-validate.
            if mimetype is None:
                mimetype = self.default_mimetype
            pairs: list[tuple[str, str]]
            if mimetype is not None:
                ct = _CONTENT_TYPES.get(mimetype)
                if ct is None:
                    ct = _CONTENT_TYPES[mimetype] = get_content_type(mimetype)
                    Headers()["Content-Type"] = ct  # validates once per mimetype
                pairs = [("Content-Type", ct)]
            else:
                pairs = []
            headers_obj = _new_headers(Headers)
            headers_obj._list = pairs
            self.headers = headers_obj
            if type(response) is str:
                body = response.encode()
                self.response: t.Any = [body]
                if self.automatically_set_content_length:
                    pairs.append(("Content-Length", str(len(body))))
            elif response is None:
                self.response = []
            elif isinstance(response, (str, bytes, bytearray)):
                body = (
                    response.encode() if isinstance(response, str) else bytes(response)
                )
                self.response = [body]
                if self.automatically_set_content_length:
                    pairs.append(("Content-Length", str(len(body))))
            else:
                self.response = response
            return
        if isinstance(headers, Headers):
            self.headers = headers
        elif not headers:
            self.headers = Headers()
        else:
            self.headers = Headers(headers)
        if content_type is None:
            if mimetype is None and "Content-Type" not in self.headers:
                mimetype = self.default_mimetype
            if mimetype is not None:
                content_type = get_content_type(mimetype)
        if content_type is not None:
            self.headers["Content-Type"] = content_type
        if response is None:
            self.response = []
        elif isinstance(response, (str, bytes, bytearray)):
            self.set_data(response)
        else:
            self.response = response

    def __repr__(self) -> str:
        if self.is_sequence:
            body = f"{sum(len(chunk) for chunk in self.response)} bytes"
        else:
            body = "streamed"
        return f"<{type(self).__name__} {body} [{self.status}]>"

    # -- status -----------------------------------------------------------------

    @property
    def status_code(self) -> int:
        """The status as an int."""
        return self._status_code

    @status_code.setter
    def status_code(self, code: int) -> None:
        self._status_code = code
        self._status = _status_line(code)

    @property
    def status(self) -> str:
        """The status line, ``"200 OK"``."""
        return self._status

    @status.setter
    def status(self, value: int | str | t.Any) -> None:
        if isinstance(value, int):
            self.status_code = value
            return
        if isinstance(value, (bytes, bytearray)):
            value = value.decode("latin-1")
        if not isinstance(value, str):
            raise TypeError(
                "A response status must be an int or a str, not "
                f"{type(value).__name__}."
            )
        value = value.strip()
        if not value:
            raise ValueError("A response status must not be empty.")
        code_text, _, phrase = value.partition(" ")
        try:
            code = int(code_text)
        except ValueError:
            # Werkzeug-compatible: a status without a code becomes "0 <text>".
            self._status_code = 0
            self._status = f"0 {value.upper()}"
            return
        self._status_code = code
        if phrase:
            self._status = f"{code} {phrase.upper()}"
        else:
            self._status = _status_line(code)

    # -- body -------------------------------------------------------------------

    def get_data(self, as_text: bool = False) -> t.Any:
        """The body as bytes (or text); a streamed body is consumed and kept."""
        self._ensure_sequence()
        data = b"".join(self.iter_encoded())
        if as_text:
            return data.decode("utf-8", "replace")
        return data

    def set_data(self, value: str | bytes | bytearray) -> None:
        """Replace the body; sets Content-Length."""
        if isinstance(value, str):
            value = value.encode("utf-8")
        else:
            value = bytes(value)
        self.response = [value]
        if self.automatically_set_content_length:
            self.headers["Content-Length"] = str(len(value))

    data = property(get_data, set_data, doc="The body as bytes.")

    def get_json(self, force: bool = False, silent: bool = False) -> t.Any:
        """Parse the body as JSON (for tests); ``None`` if not JSON and not force."""
        if not (force or self.is_json):
            return None
        try:
            return self.json_module.loads(self.get_data())
        except ValueError:
            if silent:
                return None
            raise

    @property
    def json(self) -> t.Any:
        """The body parsed as JSON, or ``None`` when the mimetype is not JSON."""
        return self.get_json()

    @property
    def is_json(self) -> bool:
        mt = self.mimetype or ""
        return mt == "application/json" or (
            mt.startswith("application/") and mt.endswith("+json")
        )

    @property
    def is_sequence(self) -> bool:
        """Whether the body is a list or tuple (its length is known)."""
        return isinstance(self.response, (list, tuple))

    @property
    def is_streamed(self) -> bool:
        """Whether the body is an iterable of unknown length."""
        try:
            len(self.response)
        except (TypeError, AttributeError):
            return True
        return False

    def _ensure_sequence(self) -> None:
        if self.is_sequence:
            return
        if self.direct_passthrough:
            raise RuntimeError(
                "This response is in direct passthrough mode; its body cannot be "
                "read as a sequence."
            )
        self.make_sequence()

    def make_sequence(self) -> None:
        """Consume a streamed body into a list, closing the iterable."""
        if not self.is_sequence:
            close = getattr(self.response, "close", None)
            self.response = list(self.iter_encoded())
            if close is not None:
                self.call_on_close(close)

    def iter_encoded(self) -> t.Iterator[bytes]:
        """The body chunks, with ``str`` chunks encoded as UTF-8.

        An async iterable body (an ``async def`` generator) is iterated from
        sync code through :func:`kolba._bridge.iterate_async`.
        """
        body = self.response
        if not hasattr(body, "__iter__") and hasattr(body, "__aiter__"):
            body = iterate_async(body)
        for item in body:
            if isinstance(item, str):
                yield item.encode("utf-8")
            else:
                yield bytes(item)

    def calculate_content_length(self) -> int | None:
        """The body's length when it is a sequence."""
        try:
            self._ensure_sequence()
        except RuntimeError:
            return None
        return sum(len(chunk) for chunk in self.iter_encoded())

    def freeze(self) -> None:
        """Make the body a list and set Content-Length (for caching)."""
        self.response = list(self.iter_encoded())
        self.headers["Content-Length"] = str(sum(map(len, self.response)))

    def call_on_close(self, func: t.Callable[[], t.Any]) -> t.Callable[[], t.Any]:
        """Run ``func`` when the server closes the response."""
        self._on_close.append(func)
        return func

    def close(self) -> None:
        """Close the body iterable and run the close callbacks."""
        close = getattr(self.response, "close", None)
        if close is not None:
            close()
        for func in self._on_close:
            func()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- headers ----------------------------------------------------------------

    @property
    def mimetype(self) -> str | None:
        """The media type without parameters."""
        ct = self.headers.get("Content-Type")
        if ct is None:
            return None
        return ct.split(";", 1)[0].strip().lower()

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers["Content-Type"] = get_content_type(value)

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The Content-Type parameters."""
        return parse_options_header(self.headers.get("Content-Type", ""))[1]

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        self._set_header("Content-Type", value)

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        self._set_header("Content-Length", None if value is None else str(value))

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    @location.setter
    def location(self, value: str | None) -> None:
        self._set_header("Location", value)

    @property
    def content_encoding(self) -> str | None:
        return self.headers.get("Content-Encoding")

    @content_encoding.setter
    def content_encoding(self, value: str | None) -> None:
        self._set_header("Content-Encoding", value)

    @property
    def accept_ranges(self) -> str | None:
        return self.headers.get("Accept-Ranges")

    @accept_ranges.setter
    def accept_ranges(self, value: str | None) -> None:
        self._set_header("Accept-Ranges", value)

    last_modified = _DateHeader("Last-Modified")
    expires = _DateHeader("Expires")
    date = _DateHeader("Date")

    @property
    def vary(self) -> HeaderSet:
        """The Vary header as a set (``response.vary.add("Cookie")``)."""
        return HeaderSet(self.headers, "Vary")

    @vary.setter
    def vary(self, value: t.Iterable[str] | str | None) -> None:
        self._set_header("Vary", _join_set(value))

    @property
    def allow(self) -> HeaderSet:
        """The Allow header as a set."""
        return HeaderSet(self.headers, "Allow")

    @allow.setter
    def allow(self, value: t.Iterable[str] | str | None) -> None:
        self._set_header("Allow", _join_set(value))

    @cached_property
    def cache_control(self) -> ResponseCacheControl:
        """The Cache-Control header (``response.cache_control.max_age = 60``)."""
        return ResponseCacheControl(self.headers)

    @property
    def content_range(self) -> ContentRange | None:
        from .sansio.http import parse_content_range_header

        return parse_content_range_header(self.headers.get("Content-Range"))

    @content_range.setter
    def content_range(self, value: ContentRange | str | None) -> None:
        if value is not None and not isinstance(value, str):
            value = value.to_header()
        self._set_header("Content-Range", value)

    def _set_header(self, name: str, value: str | None) -> None:
        if value is None:
            if name in self.headers:
                del self.headers[name]
        else:
            self.headers[name] = value

    # -- cookies ----------------------------------------------------------------

    @property
    def max_cookie_size(self) -> int:
        """The largest Set-Cookie value allowed before a warning (MAX_COOKIE_SIZE)."""
        from .globals import _cv_app

        ctx = _cv_app.get(None)
        if ctx is not None:
            return int(ctx.app.config["MAX_COOKIE_SIZE"])
        return 4093

    def set_cookie(
        self,
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
    ) -> None:
        """Add a Set-Cookie header. ``partitioned=True`` implies ``secure``."""
        self.headers.add(
            "Set-Cookie",
            dump_cookie(
                key,
                value=value,
                max_age=max_age,
                expires=expires,
                path=path,
                domain=domain,
                secure=secure,
                httponly=httponly,
                max_size=self.max_cookie_size,
                samesite=samesite,
                partitioned=partitioned,
            ),
        )

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Tell the client to drop a cookie (same path and domain as set)."""
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    # -- conditional responses ------------------------------------------------

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """``(etag, is_weak)`` or ``(None, None)``."""
        return unquote_etag(self.headers.get("ETag"))

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ETag header (quoted for you)."""
        self.headers["ETag"] = quote_etag(etag, weak)

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an ETag computed from the body, unless one is set."""
        if overwrite or "ETag" not in self.headers:
            self.set_etag(generate_etag(self.get_data()), weak)

    def make_conditional(
        self,
        request_or_environ: t.Any,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Response:
        """Answer 304 / 206 / 416 from the request's conditional headers.

        For GET and HEAD only: if the request's If-None-Match or
        If-Modified-Since show the client's copy is current, the status becomes
        304 and the body is dropped; with ``accept_ranges`` a valid Range gives
        206 with Content-Range, and an unsatisfiable one raises 416.

        A streamed body is cut to the range lazily: a body that can seek (the
        file body of :func:`~kolba.send_file`) is seeked to the start, any
        other iterable has the leading bytes skipped; nothing is buffered.

        :param request_or_environ: the request (any front end), or a WSGI
            environ for code written against Werkzeug.
        """
        head = _as_head(request_or_environ)
        method = head.method
        if method not in ("GET", "HEAD"):
            return self
        if "Date" not in self.headers:
            self.headers["Date"] = http_date()
        is_range = False
        if accept_ranges:
            accept = "bytes" if accept_ranges is True else str(accept_ranges)
            self.headers["Accept-Ranges"] = accept
            is_range = self._process_range(head, complete_length)
        if self._status_code == 200 or is_range:
            etag, weak = self.get_etag()
            if_match = parse_etags(head._header("If-Match"))
            # SPEC: RFC 9110 §13.1.1: If-Match fails (412) unless a listed tag
            # strongly matches the current one; Flask answers 412 here too.
            if (
                if_match
                and etag is not None
                and not (if_match.star_tag or (not weak and if_match.is_strong(etag)))
            ):
                self.status_code = 412
                return self
            if not is_resource_modified(
                if_none_match=parse_etags(head._header("If-None-Match")),
                if_modified_since=parse_date(head._header("If-Modified-Since")),
                etag=etag,
                last_modified=self.last_modified,
                method=method,
            ):
                if if_match:
                    self.status_code = 412
                else:
                    self.status_code = 304
        return self

    def _process_range(self, head: RequestHead, length: int | None) -> bool:
        # As in Flask, ranges are served only when the caller states the
        # complete length (send_file does; a plain body opts in by passing it).
        if not length:
            return False
        header = head._header("Range")
        if not header:
            return False
        if_range = parse_if_range_header(head._header("If-Range"))
        if if_range.etag is not None or if_range.date is not None:
            etag, _weak = self.get_etag()
            if if_range.etag is not None and if_range.etag != etag:
                return False
            if if_range.date is not None and self.last_modified != if_range.date:
                return False
        parsed = parse_range_header(header)
        bounds = parsed.range_for_length(length) if parsed is not None else None
        if bounds is None:
            raise RequestedRangeNotSatisfiable(length)
        start, stop = bounds
        if self.is_sequence:
            data = self.get_data()
            self.response = [data[start:stop]]
        else:
            # A streamed body (send_file's file, a generator) is cut without
            # being read into memory: seeked when it can seek, skipped otherwise.
            self.response = _RangeBody(self.response, start, stop - start)
        self.headers["Content-Length"] = str(stop - start)
        self.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{length}"
        self.status_code = 206
        return True

    # -- finalization (protocol-neutral) ----------------------------------------

    def final_headers(self) -> Headers:
        """The headers to send: Content-Length filled in, 304/412 entity rules."""
        headers = self.headers
        code = self._status_code
        if code == 304 or code == 412:
            headers = Headers(
                [(k, v) for k, v in headers.items() if k.lower() not in _ENTITY_HEADERS]
            )
        elif (
            self.automatically_set_content_length
            and self.is_sequence
            and "Content-Length" not in headers
            and not (100 <= code < 200 or code == 204)
        ):
            headers = headers.copy()
            headers["Content-Length"] = str(
                sum(len(chunk) for chunk in self.iter_encoded())
            )
        return headers

    def final_body(self, method: str) -> t.Iterable[bytes]:
        """The body to send: empty for HEAD, 1xx, 204 and 304.

        The result has a ``close()`` that runs :meth:`call_on_close`
        functions, unless there is nothing to close (a list body).
        """
        code = self._status_code
        if method == "HEAD" or 100 <= code < 200 or code == 204 or code == 304:
            iterable: t.Iterable[bytes] = ()
        elif self.direct_passthrough:
            # cast: direct_passthrough: the caller promises bytes.
            return t.cast("t.Iterable[bytes]", self.response)
        elif self.is_sequence:
            response = self.response
            if all(type(chunk) is bytes for chunk in response):
                iterable = response
            else:
                iterable = list(self.iter_encoded())
            if not self._on_close:
                # PERF: a list body with nothing to close goes out as it is;
                # servers send a one-item list without iterating.
                return iterable
        elif not hasattr(self.response, "__iter__") and hasattr(
            self.response, "__aiter__"
        ):
            return _AsyncBody(self)
        else:
            iterable = self.iter_encoded()
        return _ClosingIterator(iterable, self.close)

    def finalize(self, method: str) -> tuple[int, list[tuple[str, str]], t.Any]:
        """``(status code, header pairs, body)`` ready to send, for any front end.

        The body is a list of bytes, or an iterable (sync or async) with
        ``close()``; the caller iterates it and closes it when done.
        """
        if self._is_simple() and method != "HEAD":
            return self._status_code, list(self.headers._list), self.response
        headers = self.get_wsgi_headers({"REQUEST_METHOD": method})
        body = self.get_app_iter({"REQUEST_METHOD": method})
        return self._status_code, headers.to_wsgi_list(), body

    def _is_simple(self) -> bool:
        """A one-chunk bytes body with its length written, 2xx/3xx, nothing to close."""
        response = self.response
        return (
            type(response) is list
            and len(response) == 1
            and type(response[0]) is bytes
            and not self._on_close
            and self._length_known
            and 200 <= self._status_code < 400
            and self._status_code not in (204, 304)
            and type(self).get_wsgi_response is Response.get_wsgi_response
            and type(self).get_wsgi_headers is Response.get_wsgi_headers
            and type(self).get_app_iter is Response.get_app_iter
        )

    # -- WSGI (Flask's API; the work is in kolba.wsgi) ----------------------------

    def get_wsgi_headers(self, environ: dict[str, t.Any]) -> Headers:
        """The headers to send for this environ (Content-Length, 304 rules)."""
        return self.final_headers()

    def get_app_iter(self, environ: dict[str, t.Any]) -> t.Iterable[bytes]:
        """The body to send: empty for HEAD, 1xx, 204 and 304."""
        return self.final_body(str(environ.get("REQUEST_METHOD", "GET")))

    def get_wsgi_response(
        self, environ: dict[str, t.Any]
    ) -> tuple[t.Iterable[bytes], str, list[tuple[str, str]]]:
        """``(app_iter, status, headers)`` for this environ."""
        headers = self.get_wsgi_headers(environ)
        return self.get_app_iter(environ), self._status, headers.to_wsgi_list()

    def __call__(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> t.Iterable[bytes]:
        """Run the response as a WSGI application."""
        return _wsgi.respond(self, environ, start_response)

    @property
    def _length_known(self) -> bool:
        # Content-Length was written by set_data or the constructor for the
        # current single-chunk body (and not removed or replaced since).
        pairs = self.headers._list
        body = self.response
        for name, value in pairs:
            if name == "Content-Length":
                return value == str(len(body[0]))
        return False

    @classmethod
    def force_type(
        cls,
        response: Response | t.Callable[..., t.Any],
        environ: dict[str, t.Any] | None = None,
    ) -> Response:
        """Return ``response`` as an instance of this class."""
        if isinstance(response, cls):
            return response
        if isinstance(response, Response):
            response.__class__ = cls
            return response
        if environ is None:
            raise TypeError(
                "force_type() needs a WSGI environ to run a non-Response object "
                "as an application."
            )
        return cls.from_app(response, environ)

    @classmethod
    def from_app(
        cls,
        app: t.Callable[..., t.Any],
        environ: dict[str, t.Any],
        buffered: bool = False,
    ) -> Response:
        """Run a WSGI application and wrap what it returned."""
        captured: list[t.Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
        ) -> t.Callable[[bytes], None]:
            captured[:] = [status, headers]
            return lambda data: None

        app_iter = app(environ, start_response)
        response = cls(
            app_iter,
            captured[0] if captured else 200,
            captured[1] if captured else None,
        )
        if buffered:
            response.make_sequence()
        return response


def _join_set(value: t.Iterable[str] | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return ", ".join(value)


class _ClosingIterator:
    """Wrap a body so the server's ``close()`` also runs the response's hooks."""

    __slots__ = ("_iterable", "_iterator", "_close")

    def __init__(
        self, iterable: t.Iterable[bytes], close: t.Callable[[], None]
    ) -> None:
        self._iterable = iterable
        self._iterator: t.Iterator[bytes] | None = None
        self._close = close

    def __iter__(self) -> t.Iterator[bytes]:
        return iter(self._iterable)

    def close(self) -> None:
        self._close()


class _RangeBody:
    """Yield ``length`` bytes of a streamed body, starting at byte ``start``.

    A body that can seek (it has ``seekable()``, ``seek()`` and ``read()``, as
    send_file's file body does) is positioned once and read in blocks; any
    other iterable is read from the beginning, dropping bytes before
    ``start``. ``close()`` closes the wrapped body.
    """

    __slots__ = ("_body", "_start", "_length")

    def __init__(self, body: t.Any, start: int, length: int) -> None:
        self._body = body
        self._start = start
        self._length = length

    def __iter__(self) -> t.Iterator[bytes]:
        body = self._body
        remaining = self._length
        seekable = getattr(body, "seekable", None)
        if callable(seekable) and seekable() and hasattr(body, "read"):
            body.seek(self._start)
            while remaining > 0:
                chunk = body.read(min(remaining, 65536))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk
            return
        skip = self._start
        for item in body:
            chunk = item.encode("utf-8") if isinstance(item, str) else bytes(item)
            if skip:
                if len(chunk) <= skip:
                    skip -= len(chunk)
                    continue
                chunk = chunk[skip:]
                skip = 0
            if len(chunk) >= remaining:
                yield chunk[:remaining]
                return
            remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()


def _as_head(request_or_environ: t.Any) -> RequestHead:
    """A request head from a request, or from a WSGI environ (Werkzeug style)."""
    if isinstance(request_or_environ, RequestHead):
        return request_or_environ
    from .request import Request

    return Request(request_or_environ, populate_request=False, shallow=True)


class _AsyncBody:
    """An async body: ``async for`` on the ASGI loop, ``for`` under WSGI.

    ``str`` chunks are encoded as UTF-8; closing closes the generator and runs
    the response's close callbacks.
    """

    def __init__(self, response: Response) -> None:
        self._response = response
        self._body = response.response

    async def __aiter__(self) -> t.AsyncIterator[bytes]:
        async for item in self._body:
            yield item.encode("utf-8") if isinstance(item, str) else bytes(item)

    def __iter__(self) -> t.Iterator[bytes]:
        return self._response.iter_encoded()

    async def aclose(self) -> None:
        close = getattr(self._body, "aclose", None)
        if close is not None:
            await close()

    def close(self) -> None:
        for func in self._response._on_close:
            func()
