"""Small internal helpers shared by the core modules."""

from __future__ import annotations

import typing as t

_T = t.TypeVar("_T")
_missing: t.Any = object()


class cached_property(t.Generic[_T]):  # noqa: N801 - mirrors functools' name
    """A non-data descriptor that computes once and stores in ``__dict__``.

    PERF: ``functools.cached_property`` on Python 3.11 takes a lock on every
    first access; request attributes are read once per request on a single
    thread, so the lock is pure cost. After the first access the value lives in
    the instance dict and the descriptor is never consulted again.
    """

    def __init__(self, func: t.Callable[[t.Any], _T]) -> None:
        self.func = func
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__
        self.attrname = func.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.attrname = name

    @t.overload
    def __get__(self, obj: None, owner: type | None = None) -> cached_property[_T]: ...

    @t.overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        value = self.func(obj)
        obj.__dict__[self.attrname] = value
        return value
