"""The request pipeline, written once for every front end.

How this file works: :class:`Pipeline` is the part of :class:`~kolba.Kolba`
that handles one request, whatever server it came from.
:meth:`~Pipeline.handle_request` pushes the request context (which matches
the URL), runs :meth:`~Pipeline.full_dispatch_request` — URL value
preprocessors and ``before_request`` hooks (a returned value short-circuits),
the view, :meth:`~Pipeline.make_response`, ``after_this_request`` and
``after_request`` functions, session save — turns an unhandled error into a
response (:meth:`~Pipeline.handle_exception`) and, unless the front end pops
later, runs teardown. It is synchronous code that never touches a socket: the
WSGI front end (:meth:`kolba.Kolba.wsgi_app`) runs it in the server's thread;
the ASGI front end (:mod:`kolba.asgi`) runs it in a bridge greenlet on the
event loop or in a pool thread, and user functions are called through
:meth:`kolba.Kolba.ensure_sync`, which knows where async and blocking code
must go (:mod:`kolba._bridge`).

PERF: the per-request path creates two small context objects and one request;
it never builds a URL adapter, never opens the session unless the view reads
it (or a session cookie needs refreshing), and skips each hook list that is
empty. Error handlers are found by dict lookups along the exception's MRO.
"""

from __future__ import annotations

import sys
import typing as t
from collections.abc import AsyncIterator as _abc_AsyncIterator
from collections.abc import Iterator as _abc_Iterator
from itertools import chain
from types import TracebackType
from urllib.parse import quote as _url_quote

from . import signals as _signals
from . import typing as ft
from .exceptions import (
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    RequestRedirect,
    UpgradeRequired,
)
from .exceptions import NotImplemented as NotImplementedHTTP
from .globals import _cv_request
from .response import Response
from .sansio.datastructures import Headers

if t.TYPE_CHECKING:  # pragma: no cover
    import logging

    from .app import Kolba
    from .config import Config
    from .ctx import RequestContext
    from .json.provider import JSONProvider
    from .request import Request
    from .routing import Map, Rule
    from .sessions import SessionInterface

__all__ = ["Pipeline"]

_ERROR_PREFERENCES = ["text/html", "application/json"]


class Pipeline:
    """The request pipeline of :class:`~kolba.Kolba` (a mixin; see the module)."""

    if t.TYPE_CHECKING:  # what the pipeline reads of the application
        config: Config
        url_map: Map
        view_functions: dict[str, ft.RouteCallable]
        session_interface: SessionInterface
        response_class: type[Response]
        json: JSONProvider
        logger: logging.Logger
        debug: bool
        testing: bool
        subdomain_matching: bool
        error_handler_spec: dict[
            str | None,
            dict[int | None, dict[type[BaseException], ft.ErrorHandlerCallable]],
        ]
        before_request_funcs: dict[str | None, list[ft.BeforeRequestCallable]]
        after_request_funcs: dict[str | None, list[ft.AfterRequestCallable[t.Any]]]
        teardown_request_funcs: dict[str | None, list[ft.TeardownCallable]]
        teardown_appcontext_funcs: list[ft.TeardownCallable]
        url_value_preprocessors: dict[str | None, list[ft.URLValuePreprocessorCallable]]
        _got_first_request: bool

        def ensure_sync(
            self, func: t.Callable[..., t.Any]
        ) -> t.Callable[..., t.Any]: ...
        def _send_signal(self, name: str, **kwargs: t.Any) -> None: ...
        def _subdomain_binding(self, request: Request) -> tuple[str, str | None]: ...
        def _get_exc_class_and_code(
            self, exc_class_or_code: type[Exception] | int
        ) -> tuple[type[Exception], int | None]: ...

    def handle_request(self, ctx: RequestContext, pop: bool = True) -> Response:
        """Run the protocol-neutral pipeline for one request context.

        Push the context (matching the URL), run :meth:`full_dispatch_request`
        and turn an unhandled error into a response with
        :meth:`handle_exception`. With ``pop`` the context is popped (teardown
        functions run) before returning; a front end that must send the
        response first passes ``False`` and pops with ``ctx.pop(ctx._error)``.
        """
        error: BaseException | None = None
        try:
            try:
                ctx.push()
                response = self.full_dispatch_request()
            except Exception as exc:
                error = exc
                response = self.handle_exception(exc)
            except BaseException:
                error = sys.exc_info()[1]
                raise
            return response
        finally:
            if error is not None and self.should_ignore_error(error):
                error = None
            ctx._error = error
            if pop:
                ctx.pop(error)

    def _match_place(self, request: Request) -> tuple[str, str | None]:
        """The ``host`` and ``subdomain`` arguments of ``url_map.match``."""
        if self.url_map.host_matching:
            return request.host, None
        if self.subdomain_matching:
            return "", self._subdomain_binding(request)[1]
        return "", None

    def _match(self, request: Request) -> tuple[Rule, dict[str, t.Any]]:
        url_map = self.url_map
        host, subdomain = self._match_place(request)
        try:
            return url_map.match(
                request._match_method or request.method,
                request.path,
                host=host,
                subdomain=subdomain,
            )
        except MethodNotAllowed as exc:
            valid = exc.valid_methods or []
            if "WEBSOCKET" not in valid:
                raise
            _websocket_route_error(request, [m for m in valid if m != "WEBSOCKET"])
        except RequestRedirect as exc:
            target = exc.new_url
            if request._query_raw:
                # Rare path: match again so the router decides whether the
                # query string is kept (slash redirects) or not (redirect_to).
                try:
                    url_map.match(
                        request.method,
                        request.path,
                        host=host,
                        subdomain=subdomain,
                        query_args=request._quoted_query,
                    )
                except RequestRedirect as again:
                    target = again.new_url
            if target.startswith("/"):
                root = _url_quote(request.root_path)
                target = f"{request.scheme}://{request.host}{root}{target}"
            exc.new_url = target
            raise

    def full_dispatch_request(self) -> Response:
        """Run hooks and the view, and turn the result into a response."""
        self._got_first_request = True
        try:
            if _signals._connected:
                self._send_signal("request_started")
            # PERF: skip the hook machinery entirely when no hook is registered.
            if self.url_value_preprocessors or self.before_request_funcs:
                rv = self.preprocess_request()
                if rv is None:
                    rv = self.dispatch_request()
            else:
                rv = self.dispatch_request()
        except Exception as exc:
            rv = self.handle_user_exception(exc)
        return self.finalize_request(rv)

    def preprocess_request(self) -> ft.ResponseReturnValue | None:
        """Run URL value preprocessors and ``before_request`` hooks.

        The first hook that returns something other than ``None`` ends the
        request with that value; the view is not called.
        """
        request = _cv_request.get().request
        preprocessors = self.url_value_preprocessors
        before = self.before_request_funcs
        if not preprocessors and not before:
            return None
        names: t.Iterable[str | None] = (None, *reversed(request.blueprints))
        for name in names:
            for url_func in preprocessors.get(name, ()):
                url_func(request.endpoint, request.view_args)
        for name in names:
            for before_func in before.get(name, ()):
                rv: ft.ResponseReturnValue | None = self.ensure_sync(before_func)()
                if rv is not None:
                    return rv
        return None

    def dispatch_request(self) -> ft.ResponseReturnValue:
        """Call the view of the matched rule (or raise the routing error)."""
        request = _cv_request.get().request
        if request.routing_exception is not None:
            self.raise_routing_exception(request)
        rule: Rule = request.url_rule
        if rule.provide_automatic_options and request.method == "OPTIONS":
            return self.make_default_options_response()
        view_args: dict[str, t.Any] = request.view_args  # type: ignore[assignment]  # ditto
        return self.ensure_sync(self.view_functions[rule.endpoint])(**view_args)  # type: ignore[no-any-return]  # PERF: no typed local for ensure_sync's Any

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the stored routing error (404, 405 or a redirect)."""
        raise request.routing_exception  # type: ignore[misc]  # callers check not None

    def make_default_options_response(self) -> Response:
        """The automatic OPTIONS response, with ``Allow``."""
        request = _cv_request.get().request
        host, subdomain = self._match_place(request)
        try:
            self.url_map.match(
                "--KOLBA-OPTIONS--", request.path, host=host, subdomain=subdomain
            )
        except MethodNotAllowed as exc:
            methods = exc.valid_methods or []
        except HTTPException:
            methods = []
        else:
            methods = []
        response = self.response_class()
        response.allow.update(methods)
        return response

    def finalize_request(
        self,
        rv: ft.ResponseReturnValue | HTTPException,
        from_error_handler: bool = False,
    ) -> Response:
        """Convert the view's value, then run ``after_request`` processing."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            if _signals._connected:
                self._send_signal("request_finished", response=response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception(
                "Request finalizing failed with an error while handling an error"
            )
        return response

    def make_response(self, rv: ft.ResponseReturnValue | HTTPException) -> Response:
        """Turn a view's return value into a :class:`Response`.

        Accepted: ``str``/``bytes`` (the body), ``dict``/``list`` (JSON), a
        generator or iterator (streamed), a :class:`Response`, any WSGI
        callable, or a tuple ``(body, status)``, ``(body, headers)`` or
        ``(body, status, headers)``.
        """
        if type(rv) is str:
            return self.response_class(rv)  # PERF: the most common return value
        status: t.Any = None
        headers: t.Any = None
        if isinstance(rv, tuple):
            len_rv = len(rv)
            if len_rv == 3:
                rv, status, headers = rv  # type: ignore[misc]  # len_rv == 3 here; mypy narrows on len(rv) only
            elif len_rv == 2:
                if isinstance(rv[1], (Headers, dict, tuple, list)):
                    rv, headers = rv
                else:
                    rv, status = rv  # type: ignore[misc]  # len_rv == 2 here; mypy narrows on len(rv) only
            else:
                raise TypeError(
                    "The view function returned a tuple of the wrong size. A "
                    "response tuple must be (body, status, headers), "
                    "(body, status) or (body, headers)."
                )
        if rv is None:
            raise TypeError(
                f"The view function for {self._current_endpoint()!r} did not "
                "return a valid response: it returned None or ended without a "
                "return statement. Return a string, dict, list, tuple or Response."
            )
        response: Response
        if isinstance(rv, self.response_class):
            response = rv
        elif isinstance(rv, HTTPException):
            response = rv.get_response(prefer_json=self._prefers_json())
        elif isinstance(rv, (str, bytes, bytearray, _abc_Iterator, _abc_AsyncIterator)):
            response = self.response_class(rv, status=status, headers=headers)
            status = headers = None
        elif isinstance(rv, (dict, list)):
            response = self.json.response(rv)
        elif isinstance(rv, Response) or callable(rv):
            try:
                response = self.response_class.force_type(
                    rv,
                    _cv_request.get().request.environ,  # a WSGI app as a view
                )
            except TypeError as exc:
                raise TypeError(
                    f"{exc}\nThe view function did not return a valid response. "
                    "The return type must be a string, dict, list, tuple with "
                    "headers or status, Response instance, or WSGI callable, but "
                    f"it was a {type(rv).__name__}."
                ).with_traceback(sys.exc_info()[2]) from None
        else:
            raise TypeError(
                "The view function did not return a valid response. The return "
                "type must be a string, dict, list, tuple with headers or "
                "status, Response instance, or WSGI callable, but it was a "
                f"{type(rv).__name__}."
            )
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                response.status = status
            else:
                response.status_code = status
        if headers:
            response.headers.update(headers)
        return response

    @staticmethod
    def _current_endpoint() -> str | None:
        ctx = _cv_request.get(None)
        return ctx.request.endpoint if ctx is not None else None

    @staticmethod
    def _prefers_json() -> bool:
        ctx = _cv_request.get(None)
        if ctx is None:
            return False
        header = ctx.request._header("Accept")
        # PERF: most clients (browsers, curl) never mention JSON; skip parsing.
        if not header or "json" not in header:
            return False
        accept = ctx.request.accept_mimetypes
        best = accept.best_match(_ERROR_PREFERENCES)
        return best == "application/json"

    def process_response(self, response: Response) -> Response:
        """Run ``after_this_request``/``after_request`` functions; save the session."""
        ctx = _cv_request.get()
        for func in ctx._after_request_functions:
            response = self.ensure_sync(func)(response)
        after = self.after_request_funcs
        if after:
            for name in chain(ctx.request.blueprints, (None,)):
                if name in after:
                    for func in reversed(after[name]):
                        response = self.ensure_sync(func)(response)
        session = ctx._session
        if session is None:
            cookie = ctx.request._header("Cookie")
            # A permanent session cookie is refreshed on every request, as in
            # Flask; only then does a request that never read it pay to open it.
            if (
                cookie
                and self.config["SESSION_REFRESH_EACH_REQUEST"]
                and self.session_interface.get_cookie_name(t.cast("Kolba", self))
                in cookie
            ):
                session = ctx.session
        if session is not None and not self.session_interface.is_null_session(session):
            self.session_interface.save_session(
                t.cast("Kolba", self), session, response
            )
        return response

    # -- errors -----------------------------------------------------------------

    def handle_user_exception(
        self, e: Exception
    ) -> HTTPException | ft.ResponseReturnValue:
        """Handle an exception raised by a hook or view, via error handlers.

        HTTP exceptions go to :meth:`handle_http_exception`; anything without
        a handler is re-raised, to become a 500 in :meth:`handle_exception`.
        """
        if isinstance(e, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True
        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)
        handler = self._find_error_handler(e, _cv_request.get().request.blueprints)
        if handler is None:
            raise
        rv: ft.ResponseReturnValue = self.ensure_sync(handler)(e)
        return rv

    def handle_http_exception(
        self, e: HTTPException
    ) -> HTTPException | ft.ResponseReturnValue:
        """Find the error handler for an HTTP exception, or use its page."""
        if e.code is None:
            return e
        if isinstance(e, RequestRedirect):
            return e
        handler = self._find_error_handler(e, _cv_request.get().request.blueprints)
        if handler is None:
            return e
        rv: ft.ResponseReturnValue = self.ensure_sync(handler)(e)
        return rv

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether an HTTP exception should propagate like an ordinary error."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if (
            trap_bad_request is None
            and self.debug
            and isinstance(e, BadRequestKeyError)
        ):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequestKeyError) or (
                isinstance(e, HTTPException) and e.code == 400
            )
        return False

    def handle_exception(self, e: Exception) -> Response:
        """Handle an error nothing else handled: log it and answer 500.

        In testing or debug mode (``PROPAGATE_EXCEPTIONS`` unset) the error is
        re-raised instead, so the test or the debugger sees the traceback. The
        client never sees internals: the 500 page is generic.
        """
        exc_info = sys.exc_info()
        if _signals._connected:
            self._send_signal("got_request_exception", exception=e)
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        if propagate:
            if exc_info[1] is e:
                raise
            raise e
        self.log_exception(exc_info)
        server_error: InternalServerError | ft.ResponseReturnValue
        server_error = InternalServerError(original_exception=e)
        ctx = _cv_request.get(None)
        blueprints = ctx.request.blueprints if ctx is not None else []
        handler = self._find_error_handler(server_error, blueprints)
        if handler is not None:
            server_error = self.ensure_sync(handler)(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def log_exception(
        self,
        exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None],
    ) -> None:
        """Log an unhandled exception with the request line."""
        ctx = _cv_request.get(None)
        where = ""
        if ctx is not None:
            where = f" [{ctx.request.method}]"
            try:
                where = f" {ctx.request.path}{where}"
            except HTTPException:
                pass
        self.logger.error(f"Exception on{where}", exc_info=exc_info)

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown functions should see ``error`` (``False``: they do)."""
        return False

    def _find_error_handler(
        self, e: Exception, blueprints: list[str]
    ) -> ft.ErrorHandlerCallable | None:
        spec = self.error_handler_spec
        if not spec:
            return None  # PERF: no handler registered anywhere
        exc_class, code = self._get_exc_class_and_code(type(e))
        names = (*blueprints, None)
        for c in (code, None) if code is not None else (None,):
            for name in names:
                if name not in spec:
                    continue
                handler_map = spec[name].get(c)
                if not handler_map:
                    continue
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    # -- teardown ---------------------------------------------------------------

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Run every ``teardown_request`` function (all of them, even if one fails)."""
        funcs = self.teardown_request_funcs
        first_error: BaseException | None = None
        if funcs:
            ctx = _cv_request.get()
            for name in chain(ctx.request.blueprints, (None,)):
                for func in reversed(funcs.get(name, ())):
                    try:
                        self.ensure_sync(func)(exc)
                    except Exception as error:
                        if first_error is None:
                            first_error = error
        if _signals._connected:
            self._send_signal("request_tearing_down", exc=exc)
        if first_error is not None:
            raise first_error

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Run every ``teardown_appcontext`` function (all, even if one fails)."""
        first_error: BaseException | None = None
        for func in reversed(self.teardown_appcontext_funcs):
            try:
                self.ensure_sync(func)(exc)
            except Exception as error:
                if first_error is None:
                    first_error = error
        if _signals._connected:
            self._send_signal("appcontext_tearing_down", exc=exc)
        if first_error is not None:
            raise first_error


def _websocket_route_error(request: Request, methods: list[str]) -> t.NoReturn:
    """An HTTP request reached a WebSocket route: say what to do instead."""
    if methods:
        raise MethodNotAllowed(valid_methods=methods)
    upgrade = (request._header("Upgrade") or "").lower() == "websocket"
    if upgrade:
        # Only a WSGI server passes a handshake on as an HTTP request.
        raise NotImplementedHTTP(
            "This URL is a WebSocket route, and WebSockets need an ASGI server. "
            "Serve the app with one, for example 'uvicorn module:app.asgi_app' "
            "(or 'kolba run', which does so when the app has WebSocket routes)."
        )
    raise UpgradeRequired(
        "This URL is a WebSocket route: connect to it with a WebSocket client."
    )
