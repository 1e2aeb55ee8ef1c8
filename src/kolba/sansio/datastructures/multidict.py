"""MultiDict and its family: dicts that keep several values per key.

How :class:`MultiDict` stores values: the underlying ``dict`` maps each key to a
non-empty ``list`` of values. ``d[key]`` answers the first one, ``getlist`` the
whole list. The type checker sees ``dict[K, V]``; the ``_values_of`` helper is
the one place that reads the real ``list[V]`` storage.
"""

from __future__ import annotations

import copy as _copy
import typing as t
from collections.abc import Iterable, Iterator, Mapping

from ...exceptions import BadRequestKeyError

__all__ = [
    "CombinedMultiDict",
    "ImmutableMultiDict",
    "MultiDict",
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
