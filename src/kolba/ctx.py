"""Application and request contexts, held in context variables.

How this file works: handling a request pushes an :class:`AppContext` (the
app and ``g``) and a :class:`RequestContext` (the request, the session and
per-request callbacks) by setting :data:`kolba.globals._cv_app` and
:data:`kolba.globals._cv_request`; popping resets them with the tokens taken at
push time. Because context variables are copied per thread and per asyncio
task, two concurrent requests never see each other's state.

Invariants:

- A context is popped in the reverse order it was pushed, by the same code;
  popping the wrong one raises an AssertionError-free ``RuntimeError``.
- Teardown functions always run on pop, and receive the unhandled exception
  (or ``None``).
- The session is opened lazily, on first access, so a view that never touches
  it pays nothing for signature checks.
"""

from __future__ import annotations

import contextvars
import sys
import typing as t
from functools import update_wrapper
from types import TracebackType

from . import signals as _signals
from ._compat import cached_property
from .exceptions import HTTPException
from .globals import _cv_app, _cv_request
from .request import Request

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .sessions import SessionMixin

__all__ = [
    "AppContext",
    "RequestContext",
    "after_this_request",
    "copy_current_request_context",
    "has_app_context",
    "has_request_context",
]

_F = t.TypeVar("_F", bound=t.Callable[..., t.Any])
_sentinel = object()


class _AppCtxGlobals:
    """``g``: a plain namespace for data that lives as long as the app context."""

    if t.TYPE_CHECKING:  # pragma: no cover
        # Type checkers accept ``g.name = value``, as with Flask; no runtime cost.
        def __setattr__(self, name: str, value: t.Any) -> None: ...

    def __getattr__(self, name: str) -> t.Any:
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(
                f"'g' has no attribute {name!r}; set it first (g.{name} = ...) or "
                f"read it with g.get({name!r})."
            ) from None

    def get(self, name: str, default: t.Any | None = None) -> t.Any:
        """The attribute's value, or ``default``."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        """Remove and return an attribute (``default`` when absent, if given)."""
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        """Return the attribute, setting it to ``default`` first if absent."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_app.get(None)
        if ctx is not None:
            return f"<kolba.g of {ctx.app.name!r}>"
        return object.__repr__(self)


class AppContext:
    """Binds an application to the current thread or task.

    Pushed for you during a request, a CLI command and the test client. Push it
    yourself in scripts: ``with app.app_context(): ...``.
    """

    def __init__(self, app: Kolba) -> None:
        self.app = app
        self.url_adapter = None
        #: The error the pipeline ended with (for a front end's late pop).
        self._error: BaseException | None = None
        self._cv_tokens: list[contextvars.Token[AppContext]] = []

    @cached_property
    def g(self) -> _AppCtxGlobals:
        """The context's ``g`` namespace, created on first use."""
        return self.app.app_ctx_globals_class()

    def push(self) -> None:
        """Make this context the active one."""
        self._cv_tokens.append(_cv_app.set(self))
        if _signals._connected:
            self.app._send_signal("appcontext_pushed")

    def pop(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]  # sentinel: "not given", not None
        """Run ``teardown_appcontext`` functions, then deactivate the context."""
        try:
            if len(self._cv_tokens) == 1 and (
                self.app.teardown_appcontext_funcs or _signals._connected
            ):
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_appcontext(exc)
        finally:
            ctx = _cv_app.get(None)
            token = self._cv_tokens.pop()
            _cv_app.reset(token)
        if ctx is not self:
            raise RuntimeError(
                f"Popped the wrong app context ({ctx!r} instead of {self!r}). "
                "Contexts must be popped in the reverse order they were pushed."
            )
        if _signals._connected:
            self.app._send_signal("appcontext_popped")

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return f"<AppContext of {self.app.name!r}>"


class RequestContext:
    """Everything that belongs to one request: the request, session, hooks.

    :param app: the application.
    :param environ: the WSGI environ.
    :param request: an already built request (else one is built).
    :param session: an already opened session (else opened on first use).
    """

    #: Set by :func:`~kolba.get_flashed_messages` the first time it runs.
    _kolba_flashes: list[tuple[str, str]]

    def __init__(
        self,
        app: Kolba,
        environ: dict[str, t.Any] | None,
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        self.app = app
        if request is None:
            if environ is None:
                raise TypeError("RequestContext needs an environ or a request.")
            request = app.request_class(environ, populate_request=False)
        self.request: Request = request
        self._session: SessionMixin | None = session
        self._after_request_functions: list[t.Callable[[t.Any], t.Any]] = []
        self._cv_tokens: list[
            tuple[contextvars.Token[RequestContext], AppContext | None]
        ] = []
        self.url_adapter = None
        #: The error the pipeline ended with (for a front end's late pop).
        self._error: BaseException | None = None

    @property
    def session(self) -> SessionMixin:
        """The session, opened from the request on first access."""
        session = self._session
        if session is None:
            interface = self.app.session_interface
            session = interface.open_session(self.app, self.request)
            if session is None:
                session = interface.make_null_session(self.app)
            self._session = session
        return session

    @session.setter
    def session(self, value: SessionMixin) -> None:
        self._session = value

    def match_request(self) -> None:
        """Match the URL; a failure is stored and raised later, after hooks."""
        request = self.request
        try:
            rule, args = self.app._match(request)
        except HTTPException as exc:
            request.routing_exception = exc
        else:
            request.url_rule = rule
            request.view_args = args

    def push(self) -> None:
        """Activate the request (and an app context if needed), then match it."""
        app = self.app
        current = _cv_app.get(None)
        app_ctx: AppContext | None = None
        if current is None or current.app is not app:
            app_ctx = app.app_context()
            app_ctx.push()
        self._cv_tokens.append((_cv_request.set(self), app_ctx))
        request = self.request
        if request.url_rule is None and request.routing_exception is None:
            self.match_request()

    def pop(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]  # sentinel: "not given", not None
        """Run teardown functions, close the request, deactivate the contexts."""
        tokens = self._cv_tokens
        app = self.app
        try:
            if len(tokens) == 1:
                # PERF: skip the teardown machinery when nothing listens.
                if app.teardown_request_funcs or _signals._connected:
                    if exc is _sentinel:
                        exc = sys.exc_info()[1]
                    app.do_teardown_request(exc)
                request = self.request
                if request._close_on_pop and (
                    "files" in request.__dict__
                    or type(request).close is not _request_close
                ):
                    request.close()
        finally:
            ctx = _cv_request.get(None)
            token, app_ctx = tokens.pop()
            _cv_request.reset(token)
            if app_ctx is not None:
                app_ctx.pop(exc)
            if ctx is not self:
                raise RuntimeError(
                    f"Popped the wrong request context ({ctx!r} instead of {self!r})."
                    " Contexts must be popped in the reverse order they were pushed."
                )

    def copy(self) -> RequestContext:
        """A new context for the same request and session (for other threads)."""
        return self.__class__(self.app, None, self.request, self._session)

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        request = self.request
        return (
            f"<{type(self).__name__} {request._path_raw!r} "
            f"[{request.method}] of {self.app.name}>"
        )


_request_close = Request.close


def has_app_context() -> bool:
    """Whether an application context is active."""
    return _cv_app.get(None) is not None


def has_request_context() -> bool:
    """Whether a request context is active."""
    return _cv_request.get(None) is not None


def after_this_request(f: _F) -> _F:
    """Run ``f(response)`` after this request; it must return a response.

    Use inside a view or ``before_request`` hook, for example to set a cookie
    on a response that is built elsewhere.
    """
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "after_this_request() can only be used while a request is being "
            "handled (in a view or a before_request hook)."
        )
    ctx._after_request_functions.append(f)
    return f


def copy_current_request_context(f: _F) -> _F:
    """Wrap ``f`` so it runs inside a copy of the current request context.

    For handing work to another thread or greenlet that needs ``request`` or
    ``session``. The copy shares the request object; the original request may
    have finished when ``f`` runs, so read what you need early.
    """
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "copy_current_request_context() can only be used while a request "
            "is being handled."
        )
    copied = ctx.copy()

    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with copied:
            return copied.app.ensure_sync(f)(*args, **kwargs)

    # cast: update_wrapper returns wrapper, which takes f's arguments.
    return t.cast(_F, update_wrapper(wrapper, f))
