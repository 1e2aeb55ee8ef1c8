"""Registration shared by the application and blueprints.

:class:`Scaffold` records routes, hooks and error handlers. On the app they take
effect directly; a :class:`~kolba.Blueprint` records the same calls and
replays them on the app it is registered with. Nothing here dispatches a
request.
"""

from __future__ import annotations

import os
import pathlib
import sys
import typing as t
from collections import defaultdict
from datetime import timedelta

from . import typing as ft
from ._bridge import is_async_callable as _is_async_callable
from ._compat import cached_property
from .exceptions import HTTPException, default_exceptions

if t.TYPE_CHECKING:  # pragma: no cover
    from jinja2 import BaseLoader

    from .response import Response

__all__ = ["Scaffold", "find_package", "get_root_path", "setupmethod"]

_F = t.TypeVar("_F", bound=t.Callable[..., t.Any])
T_after_request = t.TypeVar("T_after_request", bound=ft.AfterRequestCallable[t.Any])
T_before_request = t.TypeVar("T_before_request", bound=ft.BeforeRequestCallable)
T_error_handler = t.TypeVar("T_error_handler", bound=ft.ErrorHandlerCallable)
T_teardown = t.TypeVar("T_teardown", bound=ft.TeardownCallable)
T_template_context_processor = t.TypeVar(
    "T_template_context_processor", bound=ft.TemplateContextProcessorCallable
)
T_url_defaults = t.TypeVar("T_url_defaults", bound=ft.URLDefaultCallable)
T_url_value_preprocessor = t.TypeVar(
    "T_url_value_preprocessor", bound=ft.URLValuePreprocessorCallable
)
T_route = t.TypeVar("T_route", bound=ft.RouteCallable)


def setupmethod(f: _F) -> _F:
    """Mark a registration method: it fails once the app has served a request."""
    name = f.__name__

    def wrapper_func(self: Scaffold, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._check_setup_finished(name)
        return f(self, *args, **kwargs)

    wrapper_func.__name__ = f.__name__
    wrapper_func.__qualname__ = f.__qualname__
    wrapper_func.__doc__ = f.__doc__
    wrapper_func.__wrapped__ = f  # type: ignore[attr-defined]  # like functools.wraps
    return t.cast(_F, wrapper_func)  # wrapper_func forwards every argument to f


class Scaffold:
    """Common registration API of :class:`~kolba.Kolba` and ``Blueprint``.

    :param import_name: the import name of the module or package that defines
        it, usually ``__name__``; used to find its folders.
    """

    name: str
    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        if root_path is None:
            root_path = get_root_path(self.import_name)
        self.root_path = root_path
        self.view_functions: dict[str, ft.RouteCallable] = {}
        self.error_handler_spec: dict[
            str | None,
            dict[int | None, dict[type[BaseException], ft.ErrorHandlerCallable]],
        ] = defaultdict(lambda: defaultdict(dict))
        self.before_request_funcs: dict[str | None, list[ft.BeforeRequestCallable]] = (
            defaultdict(list)
        )
        self.after_request_funcs: dict[
            str | None, list[ft.AfterRequestCallable[t.Any]]
        ] = defaultdict(list)
        self.teardown_request_funcs: dict[str | None, list[ft.TeardownCallable]] = (
            defaultdict(list)
        )
        self.template_context_processors: dict[
            str | None, list[ft.TemplateContextProcessorCallable]
        ] = defaultdict(list)
        self.url_value_preprocessors: dict[
            str | None, list[ft.URLValuePreprocessorCallable]
        ] = defaultdict(list)
        self.url_default_functions: dict[str | None, list[ft.URLDefaultCallable]] = (
            defaultdict(list)
        )
        self.before_websocket_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        self.after_websocket_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError  # each subclass knows when setup is over

    # -- folders -----------------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, or ``None``."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        """Whether a static folder is configured."""
        return self.static_folder is not None

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        """A loader for ``template_folder`` (``None`` when there is none).

        Computed once: set ``template_folder`` before the first template is
        rendered.
        """
        if self.template_folder is None:
            return None
        from jinja2 import FileSystemLoader

        return FileSystemLoader(os.path.join(self.root_path, self.template_folder))

    @property
    def static_url_path(self) -> str | None:
        """The URL prefix static files are served under (``/static``)."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            basename = os.path.basename(self.static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Cache max-age for static files (``SEND_FILE_MAX_AGE_DEFAULT``).

        ``None`` (the default) lets the browser revalidate with conditional
        requests instead of caching for a fixed time. A blueprint reads the
        config of the current app.
        """
        config = getattr(self, "config", None)
        if config is None:
            from .globals import current_app

            config = current_app.config
        value = config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return int(value)

    def send_static_file(self, filename: str) -> Response:
        """Serve a file from the static folder (the ``static`` endpoint's view).

        The path is resolved safely inside the folder: ``..`` and absolute
        paths give 404, never a file outside it.
        """
        if not self.has_static_folder:
            raise RuntimeError(
                f"{self!r} has no static folder, so it cannot serve static files. "
                "Pass static_folder=... when creating it."
            )
        from .helpers import send_from_directory

        # send_file asks the *app* for the max-age; ask self so a blueprint's
        # override of get_send_file_max_age applies to its own files.
        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(
            # cast: has_static_folder was checked above.
            t.cast(str, self.static_folder),
            filename,
            max_age=max_age,
        )

    # -- routes ------------------------------------------------------------------

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[T_route], T_route]:
        if "methods" in options:
            raise TypeError(
                f"Use the 'route' decorator to pass 'methods'; "
                f"'{method.lower()}' already sets methods=['{method}']."
            )
        return self.route(rule, methods=[method], **options)

    @setupmethod
    def get(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    @setupmethod
    def post(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    @setupmethod
    def put(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    @setupmethod
    def delete(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    @setupmethod
    def patch(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    @setupmethod
    def websocket(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Register the decorated ``async def`` function as a WebSocket handler.

        Served over ASGI (``app.asgi_app``); the handler talks to the client
        through the ``websocket`` global. An HTTP request to the rule gets 426
        (Upgrade Required). ``options`` are those of :meth:`route` except
        ``methods``.
        """
        if "methods" in options:
            raise TypeError("A WebSocket route takes no 'methods'.")

        def decorator(f: T_route) -> T_route:
            if not _is_async_callable(f):
                raise TypeError(
                    f"The WebSocket handler {getattr(f, '__qualname__', f)!r} must "
                    "be an 'async def' function: it awaits websocket.receive() "
                    "and websocket.send()."
                )
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(
                rule,
                endpoint,
                f,
                methods=["WEBSOCKET"],
                provide_automatic_options=False,
                **options,
            )
            return f

        return decorator

    @setupmethod
    def route(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Register the decorated function as the view for a URL rule.

        :param rule: the URL rule, such as ``"/post/<int:post_id>"``.
        :param options: ``methods``, ``endpoint``, ``defaults``,
            ``strict_slashes``, ``redirect_to`` and other rule options.
        """

        def decorator(f: T_route) -> T_route:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Register a rule; see :meth:`route`."""
        raise NotImplementedError  # implemented by Kolba and Blueprint

    @setupmethod
    def endpoint(self, endpoint: str) -> t.Callable[[_F], _F]:
        """Register the decorated function as the view for an endpoint name."""

        def decorator(f: _F) -> _F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    # -- hooks -------------------------------------------------------------------

    @setupmethod
    def before_request(self, f: T_before_request) -> T_before_request:
        """Run ``f()`` before each request; a non-``None`` return ends it early."""
        self.before_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def after_request(self, f: T_after_request) -> T_after_request:
        """Run ``f(response)`` after each request; it must return a response."""
        self.after_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def before_websocket(self, f: T_before_request) -> T_before_request:
        """Run ``f()`` before each WebSocket handler; a non-``None`` return
        refuses the handshake with that response (Quart's hook)."""
        self.before_websocket_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def after_websocket(self, f: T_after_request) -> T_after_request:
        """Run ``f(response)`` after each WebSocket handler; ``response`` is
        ``None`` unless the handshake was refused with one (Quart's hook)."""
        self.after_websocket_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def teardown_request(self, f: T_teardown) -> T_teardown:
        """Run ``f(exc)`` when the request context ends, even after an error."""
        self.teardown_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def context_processor(
        self, f: T_template_context_processor
    ) -> T_template_context_processor:
        """Add ``f()``'s returned dict to every template's context."""
        self.template_context_processors[None].append(f)
        return f

    @setupmethod
    def url_value_preprocessor(
        self, f: T_url_value_preprocessor
    ) -> T_url_value_preprocessor:
        """Run ``f(endpoint, values)`` before the view to pull values out."""
        self.url_value_preprocessors[None].append(f)
        return f

    @setupmethod
    def url_defaults(self, f: T_url_defaults) -> T_url_defaults:
        """Run ``f(endpoint, values)`` in ``url_for`` to fill in values."""
        self.url_default_functions[None].append(f)
        return f

    # -- errors ------------------------------------------------------------------

    @setupmethod
    def errorhandler(
        self, code_or_exception: type[Exception] | int
    ) -> t.Callable[[T_error_handler], T_error_handler]:
        """Register a handler for a status code or an exception class.

        The handler gets the exception and returns a response. The handler for
        the closest class in the exception's MRO wins.
        """

        def decorator(f: T_error_handler) -> T_error_handler:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(
        self, code_or_exception: type[Exception] | int, f: ft.ErrorHandlerCallable
    ) -> None:
        """The non-decorator form of :meth:`errorhandler`."""
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[Exception] | int,
    ) -> tuple[type[Exception], int | None]:
        exc_class: type[Exception]
        if isinstance(exc_class_or_code, int):
            try:
                exc_class = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP error code. "
                    "Use a subclass of HTTPException with that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, Exception):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers can only be "
                "registered for exception classes or HTTP error codes."
            )
        if not isinstance(exc_class, type) or not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{getattr(exc_class, '__name__', exc_class)}' is not a subclass "
                "of Exception. Handlers can only be registered for exception "
                "classes or HTTP error codes."
            )
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None


def _endpoint_from_view_func(view_func: t.Callable[..., t.Any] | None) -> str:
    if view_func is None:
        raise TypeError("A view function is needed to derive an endpoint name.")
    return view_func.__name__


def _named_registrar(
    add: t.Callable[..., None], name: str | None
) -> t.Callable[[_F], _F]:
    """Build a decorator that calls ``add(f, name=name)`` and returns ``f``.

    Shared by the ``template_filter``-style decorators of apps and blueprints.
    """

    def decorator(f: _F) -> _F:
        add(f, name=name)
        return f

    return decorator


def find_package(import_name: str) -> tuple[str | None, str]:
    """Find the installation prefix and the folder of a package.

    The folder is the ``sys.path`` entry the top-level package or module is
    imported from (the working directory when it cannot be found). The prefix
    is ``sys.prefix`` or a virtualenv's root when the package is installed
    there, else ``None``. Same results as Flask's ``find_package``.
    """
    import importlib.util

    top = import_name.partition(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None or top == "__main__":
        package_path = os.getcwd()
    elif spec.submodule_search_locations:
        if spec.origin is None or spec.origin == "namespace":
            locations = list(spec.submodule_search_locations)
            location = locations[0]
            sub = None
            if "." in import_name:
                try:
                    sub = importlib.util.find_spec(import_name)
                except (ImportError, ValueError):
                    sub = None
            if sub is not None and sub.submodule_search_locations:
                inner = pathlib.Path(os.path.commonpath(sub.submodule_search_locations))
                location = next(
                    (loc for loc in locations if inner.is_relative_to(loc)), location
                )
            package_path = os.path.dirname(location)
        else:
            package_path = os.path.dirname(os.path.dirname(spec.origin))
    else:
        # cast: only namespace packages (handled above) lack an origin.
        package_path = os.path.dirname(t.cast(str, spec.origin))
    py_prefix = os.path.abspath(sys.prefix)
    if pathlib.PurePath(package_path).is_relative_to(py_prefix):
        return py_prefix, package_path
    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() == "site-packages":
        parent, folder = os.path.split(site_parent)
        if folder.lower() == "lib":
            return parent, package_path
        if os.path.basename(parent).lower() == "lib":
            return os.path.dirname(parent), package_path
        return site_parent, package_path
    return None, package_path


def get_root_path(import_name: str) -> str:
    """The folder of the module or package named ``import_name``.

    Falls back to the working directory for ``__main__`` run interactively.
    """
    mod = sys.modules.get(import_name)
    mod_file: str | None = getattr(mod, "__file__", None)
    if mod_file is not None:
        return os.path.dirname(os.path.abspath(mod_file))
    import importlib.util

    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.loader is None or import_name == "__main__":
        return os.getcwd()
    if spec.submodule_search_locations:
        filepath = next(iter(spec.submodule_search_locations))
        return str(pathlib.Path(filepath).resolve())
    if spec.origin is None:
        raise RuntimeError(
            f"No root path can be found for {import_name!r} (it has no file, for "
            "example a namespace package or an interactive module). Pass "
            "root_path=... explicitly."
        )
    return os.path.dirname(os.path.abspath(spec.origin))
