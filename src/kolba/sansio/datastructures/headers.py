"""Headers and EnvironHeaders: ordered, case-insensitive lists of header fields."""

from __future__ import annotations

import typing as t
from collections.abc import Iterable, Iterator, Mapping

from ...exceptions import BadRequestKeyError
from .multidict import MultiDict, _iter_multi_items, _missing

__all__ = [
    "EnvironHeaders",
    "Headers",
]

T = t.TypeVar("T")


def _header_text(value: object, what: str) -> str:
    text = value if isinstance(value, str) else str(value)
    # SECURITY: a CR or LF would let a value start a new header line (response
    # splitting); NUL is refused by most servers and confuses some proxies.
    if "\n" in text or "\r" in text or "\0" in text:
        raise ValueError(
            f"Header {what}s must not contain newline characters or NUL bytes:"
            f" {text!r}. Strip them, or encode the value before setting it."
        )
    return text


def _with_params(value: object, params: dict[str, t.Any]) -> str:
    text = _header_text(value, "value")
    if not params:
        return text
    from ..http import dump_options_header

    options = {key.replace("_", "-"): param for key, param in params.items()}
    return _header_text(dump_options_header(text, options), "value")


class Headers:
    """HTTP headers: an ordered list of ``(name, value)`` pairs.

    Lookup by name is case-insensitive; the original spelling is kept for
    output. A name may appear several times (``Set-Cookie``). Any value with
    CR, LF or NUL raises ``ValueError``, so headers cannot be injected.

    :param defaults: pairs, a mapping (list values are expanded) or Headers.
    """

    def __init__(
        self,
        defaults: Headers
        | MultiDict[str, t.Any]
        | Mapping[str, t.Any]
        | Iterable[tuple[str, t.Any]]
        | None = None,
    ) -> None:
        self._list: list[tuple[str, str]] = []
        if defaults is not None:
            self.extend(defaults)

    # -- reading

    @t.overload
    def __getitem__(self, key: str) -> str: ...
    @t.overload
    def __getitem__(self, key: int) -> tuple[str, str]: ...
    @t.overload
    def __getitem__(self, key: slice) -> Headers: ...

    def __getitem__(self, key: str | int | slice) -> str | tuple[str, str] | Headers:
        if isinstance(key, str):
            lowered = key.lower()
            for name, value in self._list:
                if name.lower() == lowered:
                    return value
            raise BadRequestKeyError(key)
        if isinstance(key, slice):
            return (
                type(self)(self._list[key])
                if type(self) is Headers
                else Headers(self._list[key])
            )
        return self._list[key]

    @t.overload
    def get(self, key: str) -> str | None: ...
    @t.overload
    def get(self, key: str, default: str) -> str: ...
    @t.overload
    def get(self, key: str, default: T) -> str | T: ...
    @t.overload
    def get(self, key: str, *, type: t.Callable[[str], T]) -> T | None: ...
    @t.overload
    def get(self, key: str, default: T, type: t.Callable[[str], T]) -> T: ...

    def get(
        self,
        key: str,
        default: t.Any = None,
        type: t.Callable[[str], t.Any] | None = None,
    ) -> t.Any:
        """Return the first value of header ``key``, or ``default``.

        :param key: the header name, any case.
        :param default: returned when missing or when ``type`` fails.
        :param type: a converter such as ``int``; ``ValueError`` and
            ``TypeError`` from it give ``default``.
        """
        try:
            value = self[key]
        except KeyError:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    @t.overload
    def getlist(self, key: str) -> list[str]: ...
    @t.overload
    def getlist(self, key: str, type: t.Callable[[str], T]) -> list[T]: ...

    def getlist(
        self, key: str, type: t.Callable[[str], t.Any] | None = None
    ) -> list[t.Any]:
        """Return every value of header ``key``, in order.

        :param type: a converter; values it rejects are left out.
        """
        lowered = key.lower()
        values = [value for name, value in self._list if name.lower() == lowered]
        if type is None:
            return values
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    def get_all(self, name: str) -> list[str]:
        """Alias of :meth:`getlist`, for ``email.message`` compatibility."""
        return self.getlist(name)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        lowered = key.lower()
        # PERF: a plain loop with an exact-spelling shortcut; checked on every
        # response for Content-Length.
        for name, _value in self._list:
            if name == key or name.lower() == lowered:
                return True
        return False

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def __bool__(self) -> bool:
        return len(self) > 0

    def items(self, lower: bool = False) -> Iterator[tuple[str, str]]:
        """Iterate over ``(name, value)`` pairs.

        :param lower: lower-case the names.
        """
        for name, value in self:
            yield (name.lower() if lower else name), value

    def keys(self, lower: bool = False) -> Iterator[str]:
        """Iterate over the names (repeated names appear repeatedly)."""
        for name, _value in self.items(lower):
            yield name

    def values(self) -> Iterator[str]:
        """Iterate over the values."""
        for _name, value in self:
            yield value

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """Return the pairs as a list, as WSGI's ``start_response`` wants."""
        return list(self._list)

    def copy(self) -> Headers:
        """Return a mutable copy."""
        return Headers(self._list)

    def __copy__(self) -> Headers:
        return self.copy()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        mine = sorted((name.lower(), value) for name, value in self)
        theirs = sorted((name.lower(), value) for name, value in other)
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable

    def __str__(self) -> str:
        lines = [f"{name}: {value}\r\n" for name, value in self]
        return "".join(lines) + "\r\n"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"

    # -- writing

    def add(self, key: str, value: t.Any, **params: t.Any) -> None:
        """Append a header; keyword arguments become ``; key=value`` options.

        ``add("Content-Disposition", "attachment", filename="a b.txt")`` gives
        ``attachment; filename="a b.txt"``. An underscore in an option name
        becomes a dash; an option whose value is ``None`` is written bare.
        """
        self._list.append((_header_text(key, "name"), _with_params(value, params)))

    add_header = add

    def set(self, key: str, value: t.Any, **params: t.Any) -> None:
        """Replace every header ``key`` with one value, keeping its position."""
        new = (_header_text(key, "name"), _with_params(value, params))
        lowered = key.lower()
        for index, (name, _old) in enumerate(self._list):
            if name.lower() == lowered:
                self._list[index] = new
                self._list[index + 1 :] = [
                    pair
                    for pair in self._list[index + 1 :]
                    if pair[0].lower() != lowered
                ]
                return
        self._list.append(new)

    def setlist(self, key: str, values: Iterable[t.Any]) -> None:
        """Replace header ``key`` with several values (empty removes it)."""
        items = list(values)
        if not items:
            self.remove(key)
            return
        self.set(key, items[0])
        for value in items[1:]:
            self.add(key, value)

    def setdefault(self, key: str, default: t.Any) -> str:
        """Return the value of ``key``, adding ``default`` first if missing."""
        if key in self:
            return self[key]
        self.add(key, default)
        return self[key]

    def setlistdefault(self, key: str, default: Iterable[t.Any]) -> list[str]:
        """Return the values of ``key``, adding ``default`` first if missing."""
        if key not in self:
            for value in default:
                self.add(key, value)
        return self.getlist(key)

    def extend(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Add headers from pairs, a mapping or Headers, keeping existing ones."""
        if len(args) > 1:
            raise TypeError(
                f"extend() takes at most 1 positional argument, got {len(args)}"
            )
        if args:
            for key, value in _iter_multi_items(args[0]):
                self.add(key, value)
        for key, value in _iter_multi_items(kwargs):
            self.add(key, value)

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Replace headers with those given; list values set several."""
        if len(args) > 1:
            raise TypeError(
                f"update() takes at most 1 positional argument, got {len(args)}"
            )
        sources: list[t.Any] = [*args, kwargs]
        for source in sources:
            if isinstance(source, Headers | MultiDict):
                grouped: dict[str, list[t.Any]] = {}
                for key, value in _iter_multi_items(source):
                    grouped.setdefault(key.lower(), [key]).append(value)
                for key_and_values in grouped.values():
                    self.setlist(key_and_values[0], key_and_values[1:])
            elif isinstance(source, Mapping):
                for key, value in source.items():
                    if isinstance(value, list | tuple):
                        self.setlist(key, value)
                    else:
                        self.set(key, value)
            else:
                grouped = {}
                for key, value in source:
                    grouped.setdefault(key.lower(), [key]).append(value)
                for key_and_values in grouped.values():
                    self.setlist(key_and_values[0], key_and_values[1:])

    def __setitem__(self, key: str | int | slice, value: t.Any) -> None:
        if isinstance(key, str):
            self.set(key, value)
        elif isinstance(key, slice):
            self._list[key] = [
                (_header_text(name, "name"), _header_text(item, "value"))
                for name, item in value
            ]
        else:
            name, item = value
            self._list[key] = (_header_text(name, "name"), _header_text(item, "value"))

    def remove(self, key: str) -> None:
        """Remove every header named ``key`` (no error if missing)."""
        lowered = key.lower()
        self._list = [pair for pair in self._list if pair[0].lower() != lowered]

    def __delitem__(self, key: str | int | slice) -> None:
        if isinstance(key, str):
            self.remove(key)
        else:
            del self._list[key]

    def pop(self, key: str | int | None = None, default: t.Any = _missing) -> t.Any:
        """Remove and return a header: by name (its first value) or index."""
        if key is None:
            return self._list.pop()
        if isinstance(key, int):
            return self._list.pop(key)
        try:
            value = self[key]
        except KeyError:
            if default is _missing:
                raise
            return default
        self.remove(key)
        return value

    def popitem(self) -> tuple[str, str]:
        """Remove and return the last ``(name, value)`` pair."""
        return self._list.pop()

    def clear(self) -> None:
        """Remove every header."""
        self._list.clear()


class EnvironHeaders(Headers):
    """A read-only :class:`Headers` view over a WSGI environ.

    Names come from the ``HTTP_*`` keys plus ``CONTENT_TYPE`` and
    ``CONTENT_LENGTH``: ``HTTP_X_FORWARDED_FOR`` reads as ``X-Forwarded-For``.
    Values are the environ's latin-1 strings. Lookup translates the name to
    its environ key, so it costs one dict access.

    :param environ: the WSGI environ to read.
    """

    def __init__(self, environ: Mapping[str, t.Any]) -> None:
        super().__init__()
        self.environ = environ

    @staticmethod
    def _environ_key(key: str) -> str:
        name = key.upper().replace("-", "_")
        if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            return name
        return "HTTP_" + name

    def __getitem__(self, key: t.Any) -> t.Any:
        if isinstance(key, str):
            try:
                value = self.environ[self._environ_key(key)]
            except KeyError:
                raise BadRequestKeyError(key) from None
            return value if isinstance(value, str) else str(value)
        return list(self)[key]

    def getlist(
        self, key: str, type: t.Callable[[str], t.Any] | None = None
    ) -> list[t.Any]:
        try:
            value = self[key]
        except KeyError:
            return []
        if type is None:
            return [value]
        return Headers([(key, value)]).getlist(key, type)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._environ_key(key) in self.environ

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for key, value in self.environ.items():
            if key.startswith("HTTP_") and key not in (
                "HTTP_CONTENT_TYPE",
                "HTTP_CONTENT_LENGTH",
            ):
                yield key[5:].replace("_", "-").title(), value
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                yield key.replace("_", "-").title(), value

    def __len__(self) -> int:
        return sum(1 for _pair in self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EnvironHeaders):
            return self.environ is other.environ
        return Headers.__eq__(Headers(list(self)), other)

    __hash__ = None

    def copy(self) -> Headers:
        """Return a mutable :class:`Headers` copy of the current values."""
        return Headers(list(self))

    def _refuse(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise TypeError("EnvironHeaders are immutable; copy() them to change headers")

    add = add_header = set = setlist = setdefault = setlistdefault = _refuse
    extend = update = remove = pop = popitem = clear = _refuse
    __setitem__ = __delitem__ = _refuse
