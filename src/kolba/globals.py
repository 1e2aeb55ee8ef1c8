"""The context-bound globals: ``current_app``, ``g``, ``request``, ``session``.

Each name is a proxy that looks up the active context in a
:class:`contextvars.ContextVar` on every use. Context variables keep threads
and asyncio tasks apart without locks: a value set while handling one request
is invisible to every other thread or task.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .ctx import AppContext, RequestContext, _AppCtxGlobals
    from .request import Request
    from .sessions import SessionMixin
    from .websocket import Websocket

__all__ = [
    "current_app",
    "g",
    "request",
    "session",
    "app_ctx",
    "request_ctx",
    "websocket",
]

_no_app_msg = """\
Working outside of application context.

This code needs the active application (current_app, g, url_for …), but no
application context is pushed. Inside a request one is pushed for you. Anywhere
else — a script, a shell, a background thread — push one explicitly:

    with app.app_context():
        ...
"""

_no_req_msg = """\
Working outside of request context.

This code reads the current request (request, session …), but no request is
being handled. In a test, use app.test_request_context() or the test client;
in a background thread, pass the data along or use copy_current_request_context.
"""

_cv_app: ContextVar[AppContext] = ContextVar("kolba.app_ctx")
_cv_request: ContextVar[RequestContext] = ContextVar("kolba.request_ctx")


class _ContextProxy:
    """Forward every operation to an object found through a context variable.

    PERF: the lookup is one ``ContextVar.get`` plus one attribute read; no
    thread-local dict, no lock.
    """

    __slots__ = ("_kolba_get", "__wrapped__", "_kolba_name")

    def __init__(self, getter: t.Callable[[], t.Any], name: str) -> None:
        object.__setattr__(self, "_kolba_get", getter)
        object.__setattr__(self, "_kolba_name", name)

    def _get_current_object(self) -> t.Any:
        """The real object behind the proxy (for passing to other threads)."""
        return self._kolba_get()

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._kolba_get(), name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        setattr(self._kolba_get(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._kolba_get(), name)

    def __getitem__(self, key: t.Any) -> t.Any:
        return self._kolba_get()[key]

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        self._kolba_get()[key] = value

    def __delitem__(self, key: t.Any) -> None:
        del self._kolba_get()[key]

    def __contains__(self, key: t.Any) -> bool:
        return key in self._kolba_get()

    def __iter__(self) -> t.Iterator[t.Any]:
        return iter(self._kolba_get())

    def __len__(self) -> int:
        return len(self._kolba_get())

    def __bool__(self) -> bool:
        try:
            return bool(self._kolba_get())
        except RuntimeError:
            return False

    def __eq__(self, other: object) -> bool:
        return bool(self._kolba_get() == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._kolba_get() != other)

    def __hash__(self) -> int:
        return hash(self._kolba_get())

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return self._kolba_get()(*args, **kwargs)

    def __str__(self) -> str:
        return str(self._kolba_get())

    def __repr__(self) -> str:
        try:
            obj = self._kolba_get()
        except RuntimeError:
            return f"<{self._kolba_name} unbound>"
        return repr(obj)

    def __dir__(self) -> list[str]:
        try:
            return dir(self._kolba_get())
        except RuntimeError:
            return []

    @property  # type: ignore[misc]  # proxy reports the proxied class
    def __class__(self) -> type:
        try:
            return type(self._kolba_get())
        except RuntimeError:
            return _ContextProxy


def _find_app() -> Kolba:
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.app


def _find_g() -> _AppCtxGlobals:
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.g


def _find_app_ctx() -> AppContext:
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx


def _find_request_ctx() -> RequestContext:
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(_no_req_msg)
    return ctx


def _find_request() -> Request:
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(_no_req_msg)
    return ctx.request


def _find_session() -> SessionMixin:
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(_no_req_msg)
    session = ctx.session
    # Anything read through the proxy may shape the response, so it varies
    # on Cookie (as in Flask 3.1). Kolba's own session refresh does not go
    # through the proxy and adds no Vary.
    session.accessed = True
    return session


def _find_websocket() -> Websocket:
    ctx = _cv_request.get(None)
    if ctx is None or ctx.request._match_method != "WEBSOCKET":
        raise RuntimeError(
            "Working outside of a WebSocket context: 'websocket' is only "
            "available inside a handler registered with @app.websocket (served "
            "over ASGI)."
        )
    return ctx.request  # type: ignore[return-value]  # a Websocket, by the check


# The casts tell type checkers what the proxies stand for; at run time each is
# a _ContextProxy that forwards to the real object.
current_app: Kolba = t.cast("Kolba", _ContextProxy(_find_app, "current_app"))
g: _AppCtxGlobals = t.cast("_AppCtxGlobals", _ContextProxy(_find_g, "g"))
request: Request = t.cast("Request", _ContextProxy(_find_request, "request"))
session: SessionMixin = t.cast("SessionMixin", _ContextProxy(_find_session, "session"))
app_ctx: AppContext = t.cast("AppContext", _ContextProxy(_find_app_ctx, "app_ctx"))
websocket: Websocket = t.cast("Websocket", _ContextProxy(_find_websocket, "websocket"))
request_ctx: RequestContext = t.cast(
    "RequestContext", _ContextProxy(_find_request_ctx, "request_ctx")
)
