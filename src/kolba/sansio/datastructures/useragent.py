"""UserAgent: the ``User-Agent`` request header, kept as a string."""

from __future__ import annotations

__all__ = [
    "UserAgent",
]


class UserAgent:
    """The ``User-Agent`` header, unparsed.

    Kolba does not guess browsers from the string (neither does Werkzeug 3);
    the attributes below exist for compatibility and are ``None``. Use a
    dedicated library on :attr:`string` if you need more.

    :param string: the header value.
    """

    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    def __init__(self, string: str) -> None:
        self.string = string

    def to_header(self) -> str:
        """The header value."""
        return self.string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        return bool(self.string)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.string!r}>"
