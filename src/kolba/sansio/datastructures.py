"""Containers for HTTP data: multi-value dicts, headers, uploads, accept lists.

The behaviour follows Werkzeug's classes of the same names, because Flask users
call their methods directly (``request.args.get("page", type=int)``).

How :class:`MultiDict` stores values: the underlying ``dict`` maps each key to a
non-empty ``list`` of values. ``d[key]`` answers the first one, ``getlist`` the
whole list. The type checker sees ``dict[K, V]``; the ``_values_of`` helper is
the one place that reads the real ``list[V]`` storage.
"""

from __future__ import annotations

import codecs
import copy as _copy
import os
import shutil
import typing as t
from collections.abc import Iterable, Iterator, Mapping

from ..exceptions import BadRequestKeyError

if t.TYPE_CHECKING:  # pragma: no cover
    import datetime

__all__ = [
    "Accept",
    "Authorization",
    "CharsetAccept",
    "CombinedMultiDict",
    "ContentRange",
    "ETags",
    "EnvironHeaders",
    "FileStorage",
    "Headers",
    "IfRange",
    "ImmutableMultiDict",
    "LanguageAccept",
    "MIMEAccept",
    "MultiDict",
    "Range",
    "UserAgent",
    "WWWAuthenticate",
]

K = t.TypeVar("K")
V = t.TypeVar("V")
T = t.TypeVar("T")

_missing: t.Any = object()


def _iter_multi_items(
    source: MultiDict[K, V] | Mapping[K, V | Iterable[V]] | Iterable[tuple[K, V]],
) -> Iterator[tuple[t.Any, t.Any]]:
    """Yield every (key, value) pair of a MultiDict, a mapping or a pair list."""
    if isinstance(source, MultiDict):
        yield from source.items(multi=True)
    elif isinstance(source, Mapping):
        for key, value in source.items():
            if isinstance(value, list | tuple):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from source


# ---------------------------------------------------------------------------
# MultiDict family


def _raw(multidict: MultiDict[K, V]) -> dict[K, list[V]]:
    # The real storage behind the dict[K, V] face; see the module docstring.
    # Use it only with dict's own methods (dict.items(_raw(d))), never d[...].
    return t.cast("dict[K, list[V]]", multidict)


class MultiDict(dict[K, V]):
    """A dict that keeps every value given for a key, in order.

    Query strings and forms may repeat a field (``?tag=a&tag=b``). ``d[key]`` and
    :meth:`get` answer the first value; :meth:`getlist` answers all of them.
    A missing key raises :class:`~kolba.exceptions.BadRequestKeyError`, which
    is both a ``KeyError`` and a 400 response.

    :param mapping: a mapping (list values are expanded), a ``MultiDict`` or an
        iterable of ``(key, value)`` pairs.
    """

    @t.overload
    def __init__(self, mapping: None = None) -> None: ...
    @t.overload
    def __init__(self, mapping: MultiDict[K, V]) -> None: ...
    @t.overload
    def __init__(self, mapping: Mapping[K, list[V]]) -> None: ...
    @t.overload
    def __init__(self, mapping: Mapping[K, tuple[V, ...]]) -> None: ...
    @t.overload
    def __init__(self, mapping: Mapping[K, V]) -> None: ...
    @t.overload
    def __init__(self, mapping: Iterable[tuple[K, V]]) -> None: ...

    def __init__(self, mapping: t.Any = None) -> None:
        super().__init__()
        if mapping is None:
            return
        if type(mapping) is list:
            # PERF: parsers hand over a list of pairs; skip the generator.
            self._extend(mapping)
            return
        if isinstance(mapping, MultiDict):
            for key, values in mapping.lists():
                dict.__setitem__(_raw(self), key, list(values))
            return
        self._extend(_iter_multi_items(mapping))

    def _extend(self, pairs: Iterable[tuple[K, V]]) -> None:
        # PERF: collect into a plain dict (no overridden methods on the hot
        # loop), then merge once.
        collected: dict[K, list[V]] = {}
        for key, value in pairs:
            values = collected.get(key)
            if values is None:
                collected[key] = [value]
            else:
                values.append(value)
        if not dict.__len__(self):
            dict.update(_raw(self), collected)
            return
        for key, new_values in collected.items():
            if dict.__contains__(self, key):
                self._values_of(key).extend(new_values)
            else:
                dict.__setitem__(_raw(self), key, new_values)

    def _values_of(self, key: K) -> list[V]:
        return dict.__getitem__(_raw(self), key)

    def _raise_immutable(self) -> t.NoReturn:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    # -- reading

    def __getitem__(self, key: K) -> V:
        try:
            return dict.__getitem__(_raw(self), key)[0]
        except (KeyError, IndexError):
            raise BadRequestKeyError(key) from None

    @t.overload  # type: ignore[override]  # Werkzeug's get(key, default, type)
    def get(self, key: K) -> V | None: ...
    @t.overload
    def get(self, key: K, default: V) -> V: ...
    @t.overload
    def get(self, key: K, default: T) -> V | T: ...
    @t.overload
    def get(self, key: K, *, type: t.Callable[[V], T]) -> T | None: ...
    @t.overload
    def get(self, key: K, default: T, type: t.Callable[[V], T]) -> T: ...

    def get(
        self,
        key: K,
        default: t.Any = None,
        type: t.Callable[[V], t.Any] | None = None,
    ) -> t.Any:
        """Return the first value for ``key``, or ``default``.

        :param key: the key to look up.
        :param default: returned when the key is missing or conversion fails.
        :param type: a callable converting the value, such as ``int``. If it
            raises ``ValueError`` or ``TypeError``, ``default`` is returned.
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
    def getlist(self, key: K, type: None = None) -> list[V]: ...
    @t.overload
    def getlist(self, key: K, type: t.Callable[[V], T]) -> list[T]: ...

    def getlist(
        self, key: K, type: t.Callable[[V], t.Any] | None = None
    ) -> list[t.Any]:
        """Return all values for ``key`` (a new list; empty if missing).

        :param key: the key to look up.
        :param type: a converter; values it rejects (``ValueError`` or
            ``TypeError``) are left out.
        """
        if not dict.__contains__(self, key):
            return []
        values = self._values_of(key)
        if type is None:
            return list(values)
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]  # Werkzeug API: iterator, multi=
        """Iterate over ``(key, value)`` pairs.

        :param multi: yield every value of each key, not only the first.
        """
        for key, values in dict.items(_raw(self)):
            if multi:
                for value in values:
                    yield key, value
            elif values:
                yield key, values[0]

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        """Iterate over ``(key, list_of_values)`` pairs."""
        for key, values in dict.items(_raw(self)):
            yield key, list(values)

    def values(self) -> Iterator[V]:  # type: ignore[override]  # Werkzeug API: first values, iterator
        """Iterate over the first value of each key."""
        for values in dict.values(_raw(self)):
            if values:
                yield values[0]

    def listvalues(self) -> Iterator[list[V]]:
        """Iterate over the list of values of each key."""
        for values in dict.values(_raw(self)):
            yield list(values)

    def to_dict(self, flat: bool = True) -> dict[K, t.Any]:
        """Return a plain ``dict``.

        :param flat: map each key to its first value; if false, to the list.
        """
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def copy(self) -> MultiDict[K, V]:
        """Return a shallow copy (a mutable ``MultiDict``)."""
        return MultiDict(self)

    def deepcopy(self, memo: dict[int, t.Any] | None = None) -> MultiDict[K, V]:
        """Return a deep copy (a mutable ``MultiDict``)."""
        return MultiDict(dict(_copy.deepcopy(list(self.lists()), memo)))

    def __copy__(self) -> MultiDict[K, V]:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, t.Any]) -> MultiDict[K, V]:
        return self.deepcopy(memo)

    def __iter__(self) -> Iterator[K]:
        return dict.__iter__(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"

    def __reduce__(self) -> tuple[t.Any, ...]:
        return (type(self), (list(self.items(multi=True)),))

    # -- writing

    def __setitem__(self, key: K, value: V) -> None:
        dict.__setitem__(_raw(self), key, [value])

    def add(self, key: K, value: V) -> None:
        """Append ``value`` to the values of ``key``."""
        self._extend(((key, value),))

    def setlist(self, key: K, new_list: Iterable[V]) -> None:
        """Replace all values of ``key``; an empty list removes the key."""
        values = list(new_list)
        if values:
            dict.__setitem__(_raw(self), key, values)
        else:
            dict.pop(_raw(self), key, None)

    def setdefault(self, key: K, default: V = None) -> V:  # type: ignore[assignment]  # Werkzeug API: default None
        """Return the first value of ``key``, setting it to ``default`` if missing."""
        if key in self:
            return self[key]
        self[key] = default
        return default

    def setlistdefault(
        self, key: K, default_list: Iterable[V] | None = None
    ) -> list[V]:
        """Return the live list of values of ``key``, creating it if missing.

        Changes to the returned list change the dict.
        """
        if not dict.__contains__(self, key):
            dict.__setitem__(_raw(self), key, list(default_list or ()))
        return self._values_of(key)

    def update(  # type: ignore[override]  # Werkzeug API: adds, not replaces
        self,
        mapping: MultiDict[K, V] | Mapping[K, V | Iterable[V]] | Iterable[tuple[K, V]],
    ) -> None:
        """Add the values of ``mapping``; existing values are kept."""
        self._extend(_iter_multi_items(mapping))

    def __ior__(self, other: t.Any) -> MultiDict[K, V]:  # type: ignore[override,misc]  # Werkzeug API: |= adds values
        self.update(other)
        return self

    def pop(self, key: K, default: t.Any = _missing) -> t.Any:
        """Remove ``key`` and return its first value.

        :raises BadRequestKeyError: if missing and no default is given.
        """
        if dict.__contains__(self, key):
            values = dict.pop(_raw(self), key)
            if values:
                return values[0]
        if default is _missing:
            raise BadRequestKeyError(key)
        return default

    def popitem(self) -> tuple[K, V]:
        """Remove some key and return ``(key, first_value)``."""
        try:
            key, values = dict.popitem(_raw(self))
        except KeyError as exc:
            raise BadRequestKeyError(exc.args[0] if exc.args else None) from None
        return key, values[0]

    def poplist(self, key: K) -> list[V]:
        """Remove ``key`` and return its list of values (empty if missing)."""
        return dict.pop(_raw(self), key, [])

    def popitemlist(self) -> tuple[K, list[V]]:
        """Remove some key and return ``(key, list_of_values)``."""
        key, values = dict.popitem(_raw(self))
        return key, values


class ImmutableMultiDict(MultiDict[K, V]):
    """A :class:`MultiDict` that refuses changes (``request.args``, ``form``).

    :meth:`copy` returns a mutable ``MultiDict``.
    """

    def __setitem__(self, key: K, value: V) -> None:
        self._raise_immutable()

    def __delitem__(self, key: K) -> None:
        self._raise_immutable()

    def add(self, key: K, value: V) -> None:
        self._raise_immutable()

    def setlist(self, key: K, new_list: Iterable[V]) -> None:
        self._raise_immutable()

    def setdefault(self, key: K, default: V = None) -> V:  # type: ignore[assignment]  # Werkzeug API: default None
        self._raise_immutable()

    def setlistdefault(
        self, key: K, default_list: Iterable[V] | None = None
    ) -> list[V]:
        self._raise_immutable()

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        self._raise_immutable()

    def __ior__(self, other: t.Any) -> MultiDict[K, V]:  # type: ignore[override,misc]  # Werkzeug API: |= adds values
        self._raise_immutable()

    def pop(self, key: K, default: t.Any = _missing) -> t.Any:
        self._raise_immutable()

    def popitem(self) -> tuple[K, V]:
        self._raise_immutable()

    def poplist(self, key: K) -> list[V]:
        self._raise_immutable()

    def popitemlist(self) -> tuple[K, list[V]]:
        self._raise_immutable()

    def clear(self) -> None:
        self._raise_immutable()

    def __hash__(self) -> int:  # type: ignore[override]  # immutable: hashable again
        return hash(tuple(self.items(multi=True)))


class CombinedMultiDict(ImmutableMultiDict[K, V]):
    """A read-only view over several MultiDicts, searched in order.

    ``request.values`` combines ``args`` and ``form`` this way. ``getlist``
    joins the values of every dict.

    :param dicts: the dicts to combine; earlier ones win for ``d[key]``.
    """

    def __init__(self, dicts: Iterable[MultiDict[K, V]] | None = None) -> None:
        super().__init__()
        self.dicts: list[MultiDict[K, V]] = list(dicts or ())

    def __reduce__(self) -> tuple[t.Any, ...]:
        return (type(self), (self.dicts,))

    def __getitem__(self, key: K) -> V:
        for d in self.dicts:
            if key in d:
                return d[key]
        raise BadRequestKeyError(key)

    def getlist(
        self, key: K, type: t.Callable[[V], t.Any] | None = None
    ) -> list[t.Any]:
        result: list[t.Any] = []
        for d in self.dicts:
            result.extend(d.getlist(key, type))
        return result

    def _keys(self) -> list[K]:
        seen: dict[K, None] = {}
        for d in self.dicts:
            for key in d:
                seen.setdefault(key, None)
        return list(seen)

    def keys(self) -> t.KeysView[K]:  # type: ignore[override]  # merged keys, not a dict_keys
        return dict.fromkeys(self._keys()).keys()

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __contains__(self, key: object) -> bool:
        return any(key in d for d in self.dicts)

    def __bool__(self) -> bool:
        return any(self.dicts)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self.to_dict(flat=False) == (
                other.to_dict(flat=False)
                if isinstance(other, MultiDict)
                else dict(other)
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]  # Werkzeug API: iterator, multi=
        if multi:
            for d in self.dicts:
                yield from d.items(multi=True)
        else:
            for key in self._keys():
                yield key, self[key]

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        for key in self._keys():
            yield key, self.getlist(key)

    def values(self) -> Iterator[V]:  # type: ignore[override]  # Werkzeug API: first values, iterator
        for _key, value in self.items():
            yield value

    def listvalues(self) -> Iterator[list[V]]:
        for _key, values in self.lists():
            yield values

    def copy(self) -> MultiDict[K, V]:
        """Return a mutable ``MultiDict`` holding every value."""
        return MultiDict(list(self.items(multi=True)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dicts!r})"


# ---------------------------------------------------------------------------
# Headers


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
    from .http import dump_options_header

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

    @classmethod
    def _from_checked(cls, pairs: list[tuple[str, str]]) -> Headers:
        """Wrap pairs that are already validated, without copying.

        PERF: for the response fast path, whose pairs are built by Kolba from
        constants; never pass values that came from outside.
        """
        headers = cls.__new__(cls)
        headers._list = pairs
        return headers

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


# ---------------------------------------------------------------------------
# Uploaded files


class FileStorage:
    """An uploaded file: a stream plus the metadata from its form part.

    ``request.files["avatar"]`` is one of these. Read it like a file, or
    :meth:`save` it. Never trust :attr:`filename` as a path; pass it through
    :func:`kolba.utils.secure_filename` first.

    :param stream: the file's content, a binary file-like object.
    :param filename: the client's file name (unsafe).
    :param name: the form field name.
    :param content_type: the part's ``Content-Type``.
    :param content_length: the part's length, if known.
    :param headers: the part's headers.
    """

    def __init__(
        self,
        stream: t.IO[bytes] | None = None,
        filename: str | os.PathLike[str] | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        import io

        self.name = name
        self.stream: t.IO[bytes] = stream if stream is not None else io.BytesIO()
        if filename is None:
            raw_name = getattr(stream, "name", None)
            if isinstance(raw_name, bytes):
                raw_name = raw_name.decode("utf-8", "replace")
            # Real file names look like "<stdin>" or paths; keep only the latter.
            if isinstance(raw_name, str) and not (
                raw_name.startswith("<") and raw_name.endswith(">")
            ):
                filename = raw_name
        self.filename: str | None = (
            os.fspath(filename) if filename is not None else None
        )
        self.headers = headers if headers is not None else Headers()
        if content_type is not None:
            self.headers["Content-Type"] = content_type
        if content_length is not None:
            self.headers["Content-Length"] = str(content_length)

    @property
    def content_type(self) -> str | None:
        """The part's ``Content-Type`` header, if any."""
        return self.headers.get("content-type")

    @property
    def content_length(self) -> int:
        """The part's ``Content-Length`` header, or 0."""
        try:
            return int(self.headers.get("content-length") or 0)
        except ValueError:
            return 0

    @property
    def mimetype(self) -> str:
        """The content type without options, lower-cased (``text/plain``)."""
        from .http import parse_options_header

        return parse_options_header(self.content_type)[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's options (``{"charset": "utf-8"}``)."""
        from .http import parse_options_header

        return parse_options_header(self.content_type)[1]

    def save(
        self, dst: str | os.PathLike[str] | t.IO[bytes], buffer_size: int = 16384
    ) -> None:
        """Copy the content to a path or an open binary file.

        A file object is not closed; a file opened from a path is.

        :param dst: the destination path or file object.
        :param buffer_size: bytes copied per read.
        """
        if isinstance(dst, str | os.PathLike):
            with open(dst, "wb") as target:
                shutil.copyfileobj(self.stream, target, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def read(self, size: int = -1) -> bytes:
        """Read from the stream."""
        return self.stream.read(size)

    def readline(self, size: int = -1) -> bytes:
        """Read a line from the stream."""
        return self.stream.readline(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the stream position."""
        return self.stream.seek(offset, whence)

    def tell(self) -> int:
        """Return the stream position."""
        return self.stream.tell()

    def close(self) -> None:
        """Close the stream (errors on an already closed one are ignored)."""
        try:
            self.stream.close()
        except Exception:
            pass

    def __getattr__(self, name: str) -> t.Any:
        # Only reached for names not defined here: proxy to the stream, so a
        # FileStorage works wherever a file object is expected.
        if name == "stream":
            raise AttributeError(name)
        return getattr(self.stream, name)

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"


# ---------------------------------------------------------------------------
# Accept headers


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


# ---------------------------------------------------------------------------
# Authorization


class Authorization:
    """The ``Authorization`` header: a scheme plus credentials.

    ``Basic`` credentials appear as :attr:`username` and :attr:`password`;
    token schemes (``Bearer``) as :attr:`token`; schemes with parameters
    (``Digest``) in :attr:`parameters`.

    :param auth_type: the scheme, stored lower-case.
    :param data: the scheme's parameters.
    :param token: the token of a token scheme.
    """

    def __init__(
        self,
        auth_type: str,
        data: Mapping[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type.lower()
        self.parameters: dict[str, str | None] = dict(data or {})
        self.token = token

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse a header value; ``None`` when absent or malformed."""
        from .http import parse_authorization_header

        return parse_authorization_header(value)

    @property
    def username(self) -> str | None:
        """The user name (Basic and Digest)."""
        return self.parameters.get("username")

    @property
    def password(self) -> str | None:
        """The password (Basic)."""
        return self.parameters.get("password")

    def __getattr__(self, name: str) -> str | None:
        # Digest and similar schemes: auth.realm, auth.nonce …
        if name.startswith("__"):
            raise AttributeError(name)
        return self.parameters.get(name)

    def get(self, key: str, default: str | None = None) -> str | None:
        """Return a parameter, or ``default``."""
        value = self.parameters.get(key)
        return default if value is None else value

    def __getitem__(self, key: str) -> str | None:
        return self.parameters[key]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.parameters, self.token) == (
            other.type,
            other.parameters,
            other.token,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable

    def to_header(self) -> str:
        """Serialize to a header value."""
        import base64

        if self.type == "basic":
            raw = f"{self.username or ''}:{self.password or ''}".encode()
            return "Basic " + base64.b64encode(raw).decode("ascii")
        scheme = self.type.title()
        if self.token is not None:
            return f"{scheme} {self.token}"
        from .http import dump_header

        return f"{scheme} {dump_header(self.parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class WWWAuthenticate:
    """The ``WWW-Authenticate`` challenge sent with a 401 response.

    :param auth_type: the scheme, such as ``"basic"``.
    :param values: challenge parameters, such as ``{"realm": "admin"}``.
    :param token: a token68 challenge instead of parameters.
    """

    def __init__(
        self,
        auth_type: str = "basic",
        values: Mapping[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type.lower()
        self.parameters: dict[str, str | None] = dict(values or {})
        self.token = token

    @property
    def realm(self) -> str | None:
        """The protection space."""
        return self.parameters.get("realm")

    @realm.setter
    def realm(self, value: str | None) -> None:
        self.parameters["realm"] = value

    def to_header(self) -> str:
        """Serialize to a header value."""
        scheme = self.type.title()
        if self.token is not None:
            return f"{scheme} {self.token}"
        if not self.parameters:
            return scheme
        from .http import quote_header_value

        params = ", ".join(
            f"{key}={quote_header_value(value or '', allow_token=key != 'realm')}"
            for key, value in self.parameters.items()
        )
        return f"{scheme} {params}"

    def __str__(self) -> str:
        return self.to_header()


# ---------------------------------------------------------------------------
# Ranges and ETags


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
        from .http import unquote_etag

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
            from .http import generate_etag

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
        from .http import http_date, quote_etag

        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            return quote_etag(self.etag)
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


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
