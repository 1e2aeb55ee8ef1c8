"""The ``Accept*`` request headers: quality-ordered lists of what a client takes."""

from __future__ import annotations

import codecs
import typing as t
from collections.abc import Iterable, Iterator

__all__ = [
    "Accept",
    "CharsetAccept",
    "LanguageAccept",
    "MIMEAccept",
]


class Accept(list[tuple[str, float]]):
    """The parsed value of an ``Accept*`` header: ``(value, quality)`` pairs.

    The list is ordered most specific first, then by quality (highest first),
    then as sent, so the first range matching a value gives its quality
    (RFC 9110 §12.5.1). When the header was absent or empty the list is
    empty and :attr:`provided` is false; as in Werkzeug, nothing matches
    then, and :meth:`best_match` answers its default.

    :param values: ``(value, quality)`` pairs, or ``None`` for "not sent".
    """

    def __init__(
        self, values: Accept | Iterable[tuple[str, float]] | None = ()
    ) -> None:
        if values is None:
            super().__init__()
            self.provided = False
        elif isinstance(values, Accept):
            super().__init__(values)
            self.provided = values.provided
        else:
            items = list(values)
            self.provided = bool(items)
            items.sort(
                key=lambda item: (self._specificity(item[0]), item[1]), reverse=True
            )
            super().__init__(items)

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return (value != "*",)

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or item.lower() == value.lower()

    @t.overload
    def __getitem__(self, key: str) -> float: ...
    @t.overload
    def __getitem__(self, key: t.SupportsIndex) -> tuple[str, float]: ...
    @t.overload
    def __getitem__(self, key: slice) -> list[tuple[str, float]]: ...

    def __getitem__(
        self, key: str | t.SupportsIndex | slice
    ) -> float | tuple[str, float] | list[tuple[str, float]]:
        if isinstance(key, str):
            return self.quality(key)
        return list.__getitem__(self, key)

    def quality(self, key: str) -> float:
        """Return the quality the client gives ``key`` (0 if not acceptable)."""
        for item, quality in self:
            if self._value_matches(key, item):
                return quality
        return 0

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self._accepts(value)

    def _accepts(self, value: str) -> bool:
        return any(self._value_matches(value, item) for item, _quality in self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}([{', '.join(repr(pair) for pair in self)}])"

    def index(self, key: t.Any, *args: t.Any) -> int:
        """Return the position of ``key`` (a value or a pair); ValueError if absent."""
        if isinstance(key, str):
            for position, (item, _quality) in enumerate(self):
                if self._value_matches(key, item):
                    return position
            raise ValueError(key)
        return list.index(self, key, *args)

    def find(self, key: str | tuple[str, float]) -> int:
        """Like :meth:`index` but returns -1 when absent."""
        try:
            return self.index(key)
        except ValueError:
            return -1

    def values(self) -> Iterator[str]:
        """Iterate over the values without qualities."""
        for item, _quality in self:
            yield item

    def to_header(self) -> str:
        """Serialize back to a header value."""
        parts = []
        for item, quality in self:
            parts.append(item if quality == 1 else f"{item};q={quality}")
        return ",".join(parts)

    def __str__(self) -> str:
        return self.to_header()

    def _best_quality_of(self, value: str) -> tuple[float, tuple[bool, ...]]:
        for item, quality in self:
            if self._value_matches(value, item):
                return quality, self._specificity(item)
        return 0, ()

    def best_match(
        self, matches: Iterable[str], default: str | None = None
    ) -> str | None:
        """Return the value of ``matches`` the client likes best.

        Ties go to the more specific client range, then to the earlier entry
        of ``matches``, so list the server's preference first.

        :param matches: the values the server can produce.
        :param default: returned when nothing is acceptable.
        """
        candidates = list(matches)
        best: str | None = default
        best_rank: tuple[float, tuple[bool, ...]] = (0, ())
        for candidate in candidates:
            rank = self._best_quality_of(candidate)
            if rank[0] > 0 and rank > best_rank:
                best, best_rank = candidate, rank
        return best

    @property
    def best(self) -> str | None:
        """The client's first choice, or ``None``."""
        return self[0][0] if self else None


def _split_mime(value: str) -> tuple[str, str]:
    mime = value.partition(";")[0].strip().lower()
    if mime == "*":
        return "*", "*"
    major, _slash, minor = mime.partition("/")
    return major, minor


class MIMEAccept(Accept):
    """The ``Accept`` header: media ranges like ``text/*``.

    Options such as ``level=1`` are ignored when matching.
    """

    def _specificity(self, value: str) -> tuple[bool, ...]:
        major, minor = _split_mime(value)
        return (major != "*", minor != "*", ";" in value)

    def _value_matches(self, value: str, item: str) -> bool:
        value_major, value_minor = _split_mime(value)
        item_major, item_minor = _split_mime(item)
        if not item_minor or not value_minor:
            # Not a media type; only an exact match counts.
            return value_major == item_major and value_minor == item_minor
        if item_major == "*":
            return item_minor == "*" or item_minor == value_minor
        if item_major != value_major and value_major != "*":
            return False
        return item_minor == "*" or value_minor == "*" or item_minor == value_minor

    @property
    def accept_html(self) -> bool:
        """Whether the client accepts HTML."""
        return (
            self._accepts("text/html")
            or self._accepts("application/xhtml+xml")
            or self.accept_xhtml
        )

    @property
    def accept_xhtml(self) -> bool:
        """Whether the client accepts XHTML."""
        return self._accepts("application/xhtml+xml") or self._accepts(
            "application/xml"
        )

    @property
    def accept_json(self) -> bool:
        """Whether the client accepts JSON."""
        return self._accepts("application/json")


def _normalize_language(value: str) -> str:
    return value.replace("_", "-").lower()


class LanguageAccept(Accept):
    """The ``Accept-Language`` header.

    ``best_match`` first looks for exact tags; failing that it compares
    primary subtags, so a client asking for ``en-US`` gets a server's ``en``
    and a client asking for ``en`` gets a server's ``en-GB``.
    """

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _normalize_language(item) == _normalize_language(value)

    def best_match(
        self, matches: Iterable[str], default: str | None = None
    ) -> str | None:
        candidates = list(matches)
        found = super().best_match(candidates)
        if found is not None:
            return found
        # Compare primary subtags: "en-US" and "en" both become "en".
        primary = Accept(
            [(_normalize_language(item).partition("-")[0], q) for item, q in self]
        )
        best: str | None = None
        best_quality: float = 0
        for candidate in candidates:
            quality = primary.quality(_normalize_language(candidate).partition("-")[0])
            if quality > best_quality:
                best, best_quality = candidate, quality
        return best if best is not None else default


def _normalize_charset(value: str) -> str:
    try:
        return codecs.lookup(value).name
    except LookupError:
        return value.lower()


class CharsetAccept(Accept):
    """The ``Accept-Charset`` header; aliases like ``latin1`` match."""

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _normalize_charset(item) == _normalize_charset(value)
