"""The application object and the request pipeline.

How this file works: :class:`Kolba` is a PEP 3333 callable. For every request
:meth:`Kolba.wsgi_app` builds a :class:`~kolba.ctx.RequestContext` over the
environ, pushes it (which matches the URL), runs :meth:`full_dispatch_request`
(``before_request`` hooks → view → return-value conversion → ``after_request``
hooks → session save) and hands the response to the server. Teardown functions
run when the context pops, always.

The pipeline is written once, over a WSGI environ. The ASGI front end builds
an environ from its scope and calls the same methods; nothing here knows which
front end called it.

PERF: the per-request path creates two small context objects and one request;
it never builds a URL adapter, never opens the session unless the view reads
it (or a session cookie needs refreshing), and skips each hook list that is
empty. Error handlers are found by dict lookups along the exception's MRO.
"""

from __future__ import annotations

import logging
import os
import sys
import typing as t
from datetime import timedelta
from functools import partial
from itertools import chain

from . import _bridge as _bridge_state
from . import signals as _signals
from . import typing as ft
from . import wsgi as _wsgi
from ._bridge import _in_bridge, call_blocking, is_async_callable, run_coroutine
from ._compat import cached_property
from .config import DEFAULT_CONFIG, KOLBA_DEFAULT_CONFIG, Config, ConfigAttribute
from .ctx import AppContext, RequestContext, _AppCtxGlobals
from .exceptions import (
    Aborter,
)
from .globals import _cv_app, _cv_request
from .globals import session as _session_proxy
from .json.provider import DefaultJSONProvider, JSONProvider
from .lifespan import ServingMixin, ensure_started_sync
from .pipeline import Pipeline
from .request import Request
from .response import Response
from .routing import Map, Rule
from .scaffold import (
    Scaffold,
    _endpoint_from_view_func,
    _named_registrar,
    find_package,
    setupmethod,
)
from .sessions import SecureCookieSessionInterface, SessionInterface
from .templating import DispatchingJinjaLoader, Environment, _tojson_filter
from .urlbuilding import URLBuilder
from .websocket import Websocket

if t.TYPE_CHECKING:  # pragma: no cover
    from .asgi import ASGIApp
    from .blueprints import Blueprint
    from .testing import KolbaClient, KolbaCliRunner

__all__ = ["Kolba"]

_T = t.TypeVar("_T")
_F = t.TypeVar("_F", bound=t.Callable[..., t.Any])
T_shell_context_processor = t.TypeVar(
    "T_shell_context_processor", bound=t.Callable[[], dict[str, t.Any]]
)
T_template_filter = t.TypeVar("T_template_filter", bound=ft.TemplateFilterCallable)
T_template_global = t.TypeVar("T_template_global", bound=ft.TemplateGlobalCallable)
T_template_test = t.TypeVar("T_template_test", bound=ft.TemplateTestCallable)

_ERROR_PREFERENCES = ["text/html", "application/json"]


@t.overload
def _make_timedelta(value: timedelta | int) -> timedelta: ...
@t.overload
def _make_timedelta(value: None) -> None: ...
def _make_timedelta(value: timedelta | int | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


class Kolba(Pipeline, URLBuilder, ServingMixin, Scaffold):
    """The application: a WSGI callable with routes, hooks and configuration.

    ::

        from kolba import Kolba

        app = Kolba(__name__)

        @app.route("/")
        def index():
            return "Hello, World!"

    :param import_name: the name of the application's module or package,
        usually ``__name__``; it locates the static, template and instance
        folders.
    :param static_url_path: the URL prefix of static files (default
        ``/static``).
    :param static_folder: the folder of static files, relative to the root
        path; ``None`` disables the static route.
    :param static_host: the host static files are served from, with
        ``host_matching``.
    :param host_matching: match rules on the Host header too.
    :param subdomain_matching: match subdomains relative to SERVER_NAME.
    :param template_folder: the templates folder, relative to the root path.
    :param instance_path: the instance folder (default: ``instance`` beside the
        package).
    :param instance_relative_config: load config files relative to the
        instance folder.
    :param root_path: the application's folder, when it cannot be found from
        ``import_name``.
    """

    request_class: type[Request] = Request
    #: The class of the ``websocket`` object of WebSocket routes.
    websocket_class: type[Websocket] = Websocket
    response_class: type[Response] = Response
    aborter_class = Aborter
    app_ctx_globals_class = _AppCtxGlobals
    config_class = Config
    url_rule_class = Rule
    url_map_class = Map
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    test_client_class: type[KolbaClient] | None = None
    test_cli_runner_class: type[KolbaCliRunner] | None = None
    session_interface: SessionInterface = SecureCookieSessionInterface()
    default_config: dict[str, t.Any] = {**DEFAULT_CONFIG, **KOLBA_DEFAULT_CONFIG}

    testing: ConfigAttribute[bool] = ConfigAttribute("TESTING")
    secret_key: ConfigAttribute[str | bytes | None] = ConfigAttribute("SECRET_KEY")
    permanent_session_lifetime: ConfigAttribute[timedelta] = ConfigAttribute(
        "PERMANENT_SESSION_LIFETIME", get_converter=_make_timedelta
    )

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                f"instance_path must be absolute, got {instance_path!r}. Pass "
                "os.path.abspath(...) or leave it out to use <root>/instance."
            )
        self.instance_path = instance_path
        self.config = self.make_config(instance_relative_config)
        self.aborter = self.aborter_class()
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_build_error_handlers: list[
            t.Callable[[Exception, str, dict[str, t.Any]], str]
        ] = []
        self.teardown_appcontext_funcs: list[ft.TeardownCallable] = []
        self.shell_context_processors: list[t.Callable[[], dict[str, t.Any]]] = []
        self.blueprints: dict[str, Blueprint] = {}
        self.extensions: dict[str, t.Any] = {}
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False
        self._sync_cache: dict[t.Callable[..., t.Any], t.Callable[..., t.Any]] = {}
        self._init_serving()

        from .cli import AppGroup

        self.cli = AppGroup()
        self.cli.name = self.name

        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise ValueError(
                    "Invalid static_host/host_matching combination: static_host "
                    "is required exactly when host_matching is on."
                )
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=lambda **kw: self.send_static_file(**kw),
            )

    # -- identity and configuration ---------------------------------------------

    @cached_property
    def name(self) -> str:
        """The application's name: the import name, or the script's file name."""
        if self.import_name == "__main__":
            fn: str | None = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    @property
    def debug(self) -> bool:
        """Debug mode (the DEBUG config key)."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self.config["TEMPLATES_AUTO_RELOAD"] is None:
            env = self.__dict__.get("jinja_env")
            if env is not None:
                env.auto_reload = value

    @cached_property
    def logger(self) -> logging.Logger:
        """The ``logging`` logger named after the app; DEBUG level in debug mode."""
        from .logging import create_logger

        return create_logger(self)

    def make_config(self, instance_relative: bool = False) -> Config:
        """Create the config with Kolba's defaults (see :data:`DEFAULT_CONFIG`)."""
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = _env_debug()
        return self.config_class(root_path, defaults)

    def auto_find_instance_path(self) -> str:
        """``instance`` beside the module or package, as in Flask.

        An installed package gets ``<prefix>/var/<name>-instance``.
        """
        prefix, package_path = find_package(self.import_name)
        if prefix is None:
            return os.path.join(package_path, "instance")
        return os.path.join(prefix, "var", f"{self.name}-instance")

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.Any]:
        """Open a file in the instance folder."""
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> t.IO[t.Any]:
        """Open a file relative to the root path, for reading."""
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the "
                "application. It has already handled its first request, and "
                "changes would not apply consistently.\nMake sure all routes, "
                "blueprints and hooks are registered before the app serves."
            )

    # -- registration -----------------------------------------------------------

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Connect a URL rule to an endpoint and (optionally) a view function.

        :param rule: the URL rule string.
        :param endpoint: the endpoint name; defaults to the view's ``__name__``.
        :param view_func: the view; may be registered later with
            :meth:`endpoint`.
        :param provide_automatic_options: answer OPTIONS automatically.
        :param options: ``methods``, ``defaults``, ``strict_slashes``,
            ``redirect_to``, ``host``, ``subdomain`` …
        """
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for example "
                '@app.route(..., methods=["POST"])'
            )
        methods = {item.upper() for item in methods}
        required_methods = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(
                view_func, "provide_automatic_options", None
            )
        if provide_automatic_options is None:
            if "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required_methods.add("OPTIONS")
            else:
                provide_automatic_options = False
        methods |= required_methods
        rule_obj = self.url_rule_class(rule, methods=methods, **options)
        rule_obj.provide_automatic_options = provide_automatic_options
        self.url_map.add(rule_obj)
        if view_func is not None:
            old_func = self.view_functions.get(endpoint)
            if old_func is not None and old_func != view_func:
                raise AssertionError(
                    f"View function mapping is overwriting an existing endpoint "
                    f"function: {endpoint}. Give the new view a different "
                    "endpoint name (endpoint=...) or a different function name."
                )
            self.view_functions[endpoint] = view_func

    @setupmethod
    def teardown_appcontext(self, f: _F) -> _F:
        """Run ``f(exc)`` when the application context ends."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def shell_context_processor(
        self, f: T_shell_context_processor
    ) -> T_shell_context_processor:
        """Add ``f()``'s returned dict to the ``kolba shell`` namespace."""
        self.shell_context_processors.append(f)
        return f

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Register a blueprint's routes, hooks and handlers on the app.

        :param blueprint: the :class:`~kolba.Blueprint`.
        :param options: override the blueprint's ``url_prefix``,
            ``subdomain``, ``url_defaults`` or ``cli_group``; ``name``
            registers it under another name (to register it twice). Recorded
            functions see all options in ``state.options``.
        """
        blueprint.register(self, options)

    def iter_blueprints(self) -> t.ValuesView[Blueprint]:
        """The registered blueprints, in registration order."""
        return self.blueprints.values()

    # -- running ----------------------------------------------------------------

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app with the development server (not for production).

        Under ``kolba run`` this does nothing, so ``if __name__ == "__main__":
        app.run()`` is safe to keep in a module that the CLI imports.

        :param host: the interface (default ``127.0.0.1`` or ``SERVER_NAME``'s).
        :param port: the port (default 5000 or ``SERVER_NAME``'s).
        :param debug: debug mode; it turns on the reloader and the traceback
            page unless ``use_reloader``/``use_debugger`` say otherwise.
        :param load_dotenv: load ``.kolbaenv``/``.env`` files first, like the CLI.
        :param options: passed to :func:`kolba.serving.run_simple`.
        """
        if os.environ.get("KOLBA_RUN_FROM_CLI") == "true":
            return
        from . import cli

        if cli._get_load_dotenv(load_dotenv):
            cli.load_dotenv()
            if "KOLBA_DEBUG" in os.environ:
                self.debug = cli._get_debug_flag()
        if debug is not None:
            self.debug = bool(debug)
        server_name = self.config.get("SERVER_NAME")
        sn_host = sn_port = None
        if server_name:
            sn_host, _, sn_port = server_name.partition(":")
        host = host or sn_host or "127.0.0.1"
        if port is None:
            port = int(sn_port) if sn_port else 5000
        from .serving import default_reloader, run_simple

        if "use_reloader" not in options:
            options["use_reloader"] = default_reloader(self.debug)
        options.setdefault("use_debugger", self.debug)
        options.setdefault("threaded", True)
        cli.show_server_banner(self.debug, self.name)
        run_simple(host, int(port), self, **options)

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> KolbaClient:
        """A client that sends requests to the app without a server."""
        cls = self.test_client_class
        if cls is None:
            from .testing import KolbaClient

            cls = KolbaClient
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

    def test_cli_runner(self, **kwargs: t.Any) -> KolbaCliRunner:
        """A runner that invokes the app's CLI commands in tests."""
        cls = self.test_cli_runner_class
        if cls is None:
            from .testing import KolbaCliRunner

            cls = KolbaCliRunner
        return cls(self, **kwargs)

    def app_context(self) -> AppContext:
        """A new application context: ``with app.app_context(): ...``."""
        return AppContext(self)

    def request_context(self, environ: dict[str, t.Any]) -> RequestContext:
        """A request context for a WSGI environ."""
        return RequestContext(self, environ)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context built from test-client arguments (path, method …)."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    # -- the pipeline -----------------------------------------------------------

    @t.overload
    def __call__(
        self, environ: dict[str, t.Any], start_response: ft.StartResponse
    ) -> t.Iterable[bytes]: ...
    @t.overload
    def __call__(
        self, environ: dict[str, t.Any], start_response: None = None
    ) -> t.Callable[[t.Any, t.Any], t.Awaitable[None]]: ...
    def __call__(
        self, environ: dict[str, t.Any], start_response: ft.StartResponse | None = None
    ) -> t.Any:
        """The WSGI entry point; calls :meth:`wsgi_app` (which middleware wraps).

        Called with one argument it is an ASGI 2 application instead: uvicorn
        treats an object with a plain ``__call__`` as ASGI 2 and calls
        ``app(scope)``, then awaits the result with ``(receive, send)``. So
        ``uvicorn module:app`` works as well as ``uvicorn module:app.asgi_app``.
        """
        if start_response is None:
            scope = environ

            async def asgi2_instance(receive: t.Any, send: t.Any) -> None:
                await self.asgi_app(scope, receive, send)

            return asgi2_instance
        return self.wsgi_app(environ, start_response)

    def wsgi_app(
        self, environ: dict[str, t.Any], start_response: ft.StartResponse
    ) -> t.Iterable[bytes]:
        """Handle one request: the real WSGI application.

        Replace it to add middleware while keeping ``app`` itself::

            app.wsgi_app = ProxyFix(app.wsgi_app)
        """
        if not self._serving.ready:
            ensure_started_sync(self)
        ctx = RequestContext(self, environ)
        try:
            response = self.handle_request(ctx, pop=False)
            return _wsgi.respond(response, environ, start_response)
        finally:
            if "kolba.debug.preserve_context" in environ:
                environ["kolba.debug.preserve_context"](_cv_app.get())
                environ["kolba.debug.preserve_context"](_cv_request.get())
            ctx.pop(ctx._error)

    @cached_property
    def asgi_app(self) -> ASGIApp:
        """The ASGI 3 application: ``uvicorn module:app.asgi_app``.

        It serves ``http``, ``websocket`` and ``lifespan`` scopes with the same
        pipeline as :meth:`wsgi_app`. Replace it to add ASGI middleware while
        keeping ``app`` itself: ``app.asgi_app = Middleware(app.asgi_app)``.
        """
        from .asgi import ASGIApp

        return ASGIApp(self)

    # -- signals ----------------------------------------------------------------

    def _send_signal(self, name: str, **kwargs: t.Any) -> None:
        getattr(_signals, name).send(self, _async_wrapper=self.ensure_sync, **kwargs)

    # -- async ------------------------------------------------------------------

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """Return ``func`` in a form synchronous pipeline code can call.

        An ``async def`` function is wrapped by :meth:`async_to_sync`. A sync
        function is returned as it is — except on the ASGI front end's event
        loop thread, where it is wrapped to run in the thread pool, so a
        blocking hook never stalls the loop.
        """
        # PERF: inspecting a function costs about 1 µs; remember the answer.
        cache = self._sync_cache
        try:
            result = cache[func]
        except KeyError:
            result = self.async_to_sync(func) if is_async_callable(func) else func
            if len(cache) < 4096:
                cache[func] = result
        except TypeError:  # an unhashable callable
            result = self.async_to_sync(func) if is_async_callable(func) else func
        if result is func and _bridge_state._active and _in_bridge():
            return partial(call_blocking, func)
        return result

    def async_to_sync(
        self, func: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]
    ) -> t.Callable[..., t.Any]:
        """Run an ``async def`` view or hook from the synchronous pipeline.

        Under ASGI the coroutine runs on the server's event loop (no new loop,
        no thread hop for async views); under WSGI on an event loop kept for
        the current thread. The current contexts are visible inside it, so
        ``request`` and ``g`` work. See :mod:`kolba._bridge`.
        """

        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return run_coroutine(func(*args, **kwargs))

        wrapper.__name__ = getattr(func, "__name__", "wrapper")
        wrapper.__wrapped__ = func  # type: ignore[attr-defined]  # like functools.wraps
        return wrapper

    # -- templates ----------------------------------------------------------------

    #: The class of :attr:`jinja_env`.
    jinja_environment: type[Environment] = Environment

    #: Options for the Jinja environment, read once when it is created; change
    #: them before the first template is rendered.
    jinja_options: dict[str, t.Any] = {}

    @cached_property
    def jinja_env(self) -> Environment:
        """The application's Jinja environment, created on first use.

        Created by :meth:`create_jinja_environment`; changing
        :attr:`jinja_options` afterwards has no effect.
        """
        return self.create_jinja_environment()

    def create_jinja_environment(self) -> Environment:
        """Build the Jinja environment from :attr:`jinja_options`.

        Autoescaping follows :meth:`select_jinja_autoescape`, auto reload
        follows :attr:`templates_auto_reload`. Templates see ``url_for``,
        ``get_flashed_messages``, ``config``, ``request``, ``session`` and
        ``g`` as globals (so imported macros see them too); the ``tojson``
        filter uses :attr:`json` and is safe inside ``<script>``.
        """
        options = dict(self.jinja_options)
        if "autoescape" not in options:
            options["autoescape"] = self.select_jinja_autoescape
        if "auto_reload" not in options:
            options["auto_reload"] = self.templates_auto_reload
        rv = self.jinja_environment(self, **options)
        from .globals import g, request, session
        from .helpers import get_flashed_messages

        rv.globals.update(
            url_for=self.url_for,
            get_flashed_messages=get_flashed_messages,
            config=self.config,
            request=request,
            session=session,
            g=g,
        )
        rv.policies["json.dumps_function"] = self.json.dumps
        rv.filters["tojson"] = _tojson_filter
        return rv

    def create_global_jinja_loader(self) -> DispatchingJinjaLoader:
        """The loader of :attr:`jinja_env`: the app's folder, then blueprints'."""
        return DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Whether a template is autoescaped: HTML/XML/SVG files and strings.

        :param filename: the template's name; ``None`` for a template made
            from a string, which is always escaped.
        """
        if filename is None:
            return True
        return filename.endswith((".html", ".htm", ".xml", ".xhtml", ".svg"))

    @property
    def templates_auto_reload(self) -> bool:
        """Reload changed templates (``TEMPLATES_AUTO_RELOAD``; unset: debug)."""
        rv = self.config["TEMPLATES_AUTO_RELOAD"]
        return rv if rv is not None else self.debug

    @templates_auto_reload.setter
    def templates_auto_reload(self, value: bool) -> None:
        self.config["TEMPLATES_AUTO_RELOAD"] = value

    @setupmethod
    def template_filter(
        self, name: str | None = None
    ) -> t.Callable[[T_template_filter], T_template_filter]:
        """Register the decorated function as a template filter.

        :param name: the filter's name; defaults to the function's name.
        """
        return _named_registrar(self.add_template_filter, name)

    @setupmethod
    def add_template_filter(
        self, f: ft.TemplateFilterCallable, name: str | None = None
    ) -> None:
        """Register a template filter; see :meth:`template_filter`."""
        self.jinja_env.filters[name or f.__name__] = f

    @setupmethod
    def template_test(
        self, name: str | None = None
    ) -> t.Callable[[T_template_test], T_template_test]:
        """Register the decorated function as a template test (``is name``).

        :param name: the test's name; defaults to the function's name.
        """
        return _named_registrar(self.add_template_test, name)

    @setupmethod
    def add_template_test(
        self, f: ft.TemplateTestCallable, name: str | None = None
    ) -> None:
        """Register a template test; see :meth:`template_test`."""
        self.jinja_env.tests[name or f.__name__] = f

    @setupmethod
    def template_global(
        self, name: str | None = None
    ) -> t.Callable[[T_template_global], T_template_global]:
        """Register the decorated function as a global in every template.

        :param name: the global's name; defaults to the function's name.
        """
        return _named_registrar(self.add_template_global, name)

    @setupmethod
    def add_template_global(
        self, f: ft.TemplateGlobalCallable, name: str | None = None
    ) -> None:
        """Register a template global; see :meth:`template_global`."""
        self.jinja_env.globals[name or f.__name__] = f

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add ``request``, ``session``, ``g`` and context processors' values.

        Processors of the app run first, then those of the current blueprints
        (outermost first); values already in ``context`` win over all of them.
        ``session`` is the lazy proxy: a template that never reads it does
        not open the session.
        """
        extra: dict[str, t.Any] = {}
        app_ctx = _cv_app.get(None)
        if app_ctx is not None:
            extra["g"] = app_ctx.g
        ctx = _cv_request.get(None)
        if ctx is not None:
            extra["request"] = ctx.request
            extra["session"] = _session_proxy
        processors = self.template_context_processors
        if processors:  # PERF: nothing to call in most apps
            names: t.Iterable[str | None] = (None,)
            if ctx is not None:
                names = chain(names, reversed(ctx.request.blueprints))
            for name in names:
                for func in processors.get(name, ()):
                    extra.update(self.ensure_sync(func)())
        extra.update(context)
        context.update(extra)

    def make_shell_context(self) -> dict[str, t.Any]:
        """The namespace of ``kolba shell``: app, g, and processors' values."""
        from .globals import g

        rv: dict[str, t.Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv


def _env_debug() -> bool:
    value = os.environ.get("KOLBA_DEBUG")
    if not value:
        return False
    return value.lower() not in {"0", "false", "no"}
