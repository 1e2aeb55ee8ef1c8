"""Range and conditional requests: Range, ContentRange, ETags, IfRange."""

from __future__ import annotations

import typing as t
from collections.abc import Iterable, Iterator

if t.TYPE_CHECKING:  # pragma: no cover
    import datetime

__all__ = [
    "ContentRange",
    "ETags",
    "IfRange",
    "Range",
]


class ContentRange:
    """The ``Content-Range`` response header.

    ``stop`` is exclusive, as in Python slices; the header shows it inclusive.

    :param units: the range unit, normally ``"bytes"``.
    :param start: first byte, or ``None`` for ``bytes */length``.
    :param stop: one past the last byte.
    :param length: the full length, or ``None`` for ``*``.
    """

    def __init__(
        self,
        units: str | None,
        start: int | None,
        stop: int | None,
        length: int | None = None,
    ) -> None:
        self.units = units
        self.start = start
        self.stop = stop
        self.length = length

    def set(
        self,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        units: str | None = "bytes",
    ) -> None:
        """Change the range in place."""
        self.units, self.start, self.stop, self.length = units, start, stop, length

    def unset(self) -> None:
        """Clear the range (the header becomes empty)."""
        self.set(None, None, units=None)

    def to_header(self) -> str:
        """Serialize to a header value."""
        if self.units is None:
            return ""
        length = "*" if self.length is None else str(self.length)
        if self.start is None or self.stop is None:
            return f"{self.units} */{length}"
        return f"{self.units} {self.start}-{self.stop - 1}/{length}"

    def __bool__(self) -> bool:
        return self.units is not None

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class Range:
    """The ``Range`` request header.

    Each range is ``(start, stop)`` with ``stop`` exclusive. A suffix range
    (``bytes=-500``) is ``(-500, None)``; an open one (``bytes=500-``) is
    ``(500, None)``.

    :param units: the range unit, normally ``"bytes"``.
    :param ranges: the ranges.
    """

    def __init__(self, units: str, ranges: Iterable[tuple[int, int | None]]) -> None:
        self.units = units
        self.ranges = list(ranges)

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """Resolve a single byte range against a known length.

        Returns ``(start, stop)`` clamped to the length, or ``None`` when the
        range cannot be served (several ranges, unknown length, or it starts
        past the end). A suffix longer than the resource means the whole
        resource (RFC 9110 §14.1.2).
        """
        if self.units != "bytes" or length is None or len(self.ranges) != 1:
            return None
        start, stop = self.ranges[0]
        if stop is None:
            stop = length
            if start < 0:
                start = max(start + length, 0)
        if start < 0 or start >= stop or start >= length:
            return None
        return start, min(stop, length)

    def make_content_range(self, length: int | None) -> ContentRange | None:
        """Return the matching :class:`ContentRange`, or ``None``."""
        resolved = self.range_for_length(length)
        if resolved is None:
            return None
        return ContentRange(self.units, resolved[0], resolved[1], length)

    def to_header(self) -> str:
        """Serialize to a header value."""
        parts = []
        for start, stop in self.ranges:
            if stop is None:
                parts.append(f"{start}-" if start >= 0 else str(start))
            else:
                parts.append(f"{start}-{stop - 1}")
        return f"{self.units}={','.join(parts)}"

    def to_content_range_header(self, length: int | None) -> str | None:
        """The ``Content-Range`` header value for ``length``, or ``None``."""
        content_range = self.make_content_range(length)
        return content_range.to_header() if content_range else None

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class ETags:
    """A set of entity tags from ``If-Match`` or ``If-None-Match``.

    :param strong_etags: the strong tags, unquoted.
    :param weak_etags: the weak tags, unquoted.
    :param star_tag: whether the header was ``*`` (matches anything).
    """

    def __init__(
        self,
        strong_etags: Iterable[str] | None = None,
        weak_etags: Iterable[str] | None = None,
        star_tag: bool = False,
    ) -> None:
        self._strong = frozenset(strong_etags or ())
        self._weak = frozenset(weak_etags or ())
        self.star_tag = star_tag

    def as_set(self, include_weak: bool = False) -> set[str]:
        """Return the tags as a set; weak ones only if asked."""
        result = set(self._strong)
        if include_weak:
            result.update(self._weak)
        return result

    def is_weak(self, etag: str) -> bool:
        """Whether ``etag`` is listed as weak."""
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        """Whether ``etag`` is listed as strong."""
        return etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Whether ``etag`` matches, counting weak tags (weak comparison)."""
        return self.is_weak(etag) or self.contains(etag)

    def contains(self, etag: str) -> bool:
        """Whether ``etag`` matches a strong tag or ``*`` (strong comparison)."""
        return self.star_tag or self.is_strong(etag)

    def contains_raw(self, etag: str) -> bool:
        """Like :meth:`contains` for a quoted tag; ``W/"x"`` compares weakly."""
        from ..http import unquote_etag

        tag, weak = unquote_etag(etag)
        if tag is None:
            return False
        return self.contains_weak(tag) if weak else self.contains(tag)

    def to_header(self) -> str:
        """Serialize to a header value."""
        if self.star_tag:
            return "*"
        return ", ".join(
            [f'"{tag}"' for tag in sorted(self._strong)]
            + [f'W/"{tag}"' for tag in sorted(self._weak)]
        )

    def __call__(
        self,
        etag: str | None = None,
        data: bytes | None = None,
        include_weak: bool = False,
    ) -> bool:
        if etag is None:
            if data is None:
                raise TypeError("either tag or data required.")
            from ..http import generate_etag

            etag = generate_etag(data)
        if include_weak and etag in self._weak:
            return True
        return etag in self._strong

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __len__(self) -> int:
        return len(self._strong)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class IfRange:
    """The ``If-Range`` header: an entity tag or a date, or neither.

    :param etag: the (unquoted) entity tag.
    :param date: the date.
    """

    def __init__(
        self, etag: str | None = None, date: datetime.datetime | None = None
    ) -> None:
        self.etag = etag
        self.date = date

    def to_header(self) -> str:
        """Serialize to a header value."""
        from ..http import http_date, quote_etag

        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            return quote_etag(self.etag)
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"
