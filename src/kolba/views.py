"""Class-based views: :class:`View` and the per-method :class:`MethodView`.

A class is not a view function, so :meth:`View.as_view` turns it into one: the
returned function creates an instance (once per request, or once in total
with ``init_every_request = False``) and calls its ``dispatch_request`` with
the URL values. The function carries ``view_class``, ``methods`` and
``provide_automatic_options``, which ``add_url_rule`` reads.
"""

from __future__ import annotations

import typing as t

from . import typing as ft
from .exceptions import MethodNotAllowed
from .globals import current_app, request

__all__ = ["MethodView", "View", "http_method_funcs"]

#: The method names :class:`MethodView` looks for (lower case).
http_method_funcs = frozenset(
    ["get", "post", "head", "options", "delete", "put", "trace", "patch"]
)


class View:
    """A view written as a class: subclass it and define ``dispatch_request``.

    ::

        class Hello(View):
            init_every_request = False

            def dispatch_request(self, name):
                return f"Hello, {name}!"

        app.add_url_rule("/hello/<name>", view_func=Hello.as_view("hello"))

    Use it when views share behaviour through inheritance or are configured by
    constructor arguments (``as_view("name", *args, **kwargs)``). For one
    handler per HTTP method, use :class:`MethodView`.

    Class attributes:

    - ``methods``: the HTTP methods of the route (default: ``GET`` only).
    - ``decorators``: applied, in order, to the generated view function.
      Decorating the class itself does nothing useful: ``as_view`` builds
      a new function.
    - ``provide_automatic_options``: answer OPTIONS automatically.
    - ``init_every_request``: ``True`` (default) creates a new instance per
      request, so ``self`` may hold per-request data; ``False`` creates one
      instance for every request, which is faster but shared between
      concurrent requests.
    """

    #: The methods the route accepts; ``None`` means ``["GET"]``.
    methods: t.ClassVar[t.Collection[str] | None] = None
    #: Answer OPTIONS automatically; ``None`` follows the app's config.
    provide_automatic_options: t.ClassVar[bool | None] = None
    #: Decorators applied to the generated view function, innermost first.
    decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = []
    #: Create a new instance for every request.
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self) -> ft.ResponseReturnValue:
        """Handle the request; URL values arrive as keyword arguments."""
        raise NotImplementedError(
            f"{type(self).__name__} must define dispatch_request() (or, as a "
            "MethodView, a method such as get() or post())."
        )

    @classmethod
    def as_view(
        cls, name: str, *class_args: t.Any, **class_kwargs: t.Any
    ) -> ft.RouteCallable:
        """Turn the class into a view function for ``add_url_rule``.

        :param name: the view function's name, which is the default endpoint.
        :param class_args: positional arguments for the class's ``__init__``.
        :param class_kwargs: keyword arguments for the class's ``__init__``.
        """
        view: t.Callable[..., ft.ResponseReturnValue]
        if cls.init_every_request:

            def view(**kwargs: t.Any) -> ft.ResponseReturnValue:
                # view.view_class, not cls: a decorator or a test may swap it.
                instance = view.view_class(  # type: ignore[attr-defined]  # set below
                    *class_args, **class_kwargs
                )
                rv: ft.ResponseReturnValue = current_app.ensure_sync(
                    instance.dispatch_request
                )(**kwargs)
                return rv

        else:
            shared = cls(*class_args, **class_kwargs)

            def view(**kwargs: t.Any) -> ft.ResponseReturnValue:
                rv: ft.ResponseReturnValue = current_app.ensure_sync(
                    shared.dispatch_request
                )(**kwargs)
                return rv

        if cls.decorators:
            # Decorators that read the name (functools.wraps, logging) see
            # the final one.
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                view = decorator(view)

        view.view_class = cls  # type: ignore[attr-defined]  # the documented attribute
        view.__name__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        view.methods = cls.methods  # type: ignore[attr-defined]  # read by add_url_rule
        view.provide_automatic_options = cls.provide_automatic_options  # type: ignore[attr-defined]  # read by add_url_rule
        return view


class MethodView(View):
    """A class-based view with one method per HTTP method.

    ``get`` handles GET (and HEAD, when there is no ``head``), ``post``
    handles POST, and so on. ``methods`` is set from the handlers the class
    defines or inherits, so a request with another method gets 405 from the
    router. ::

        class CounterAPI(MethodView):
            def get(self):
                return str(session.get("counter", 0))

            def post(self):
                session["counter"] = session.get("counter", 0) + 1
                return redirect(url_for("counter"))

        app.add_url_rule("/counter", view_func=CounterAPI.as_view("counter"))

    Handlers may be ``async def``; they run through ``current_app.ensure_sync``.
    """

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" in cls.__dict__:
            return
        methods: set[str] = set()
        for base in cls.__bases__:
            base_methods = getattr(base, "methods", None)
            if base_methods:
                methods.update(base_methods)
        for key in http_method_funcs:
            if hasattr(cls, key):
                methods.add(key.upper())
        if methods:
            cls.methods = methods

    def dispatch_request(self, **kwargs: t.Any) -> ft.ResponseReturnValue:
        """Call the method named after the request's HTTP method."""
        method = request.method
        handler = getattr(self, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(self, "get", None)
        if handler is None:
            # The route allows a method the class does not implement (an
            # explicit ``methods`` list): answer 405, not a crash.
            allowed = {
                name.upper() for name in http_method_funcs if hasattr(self, name)
            }
            if "GET" in allowed:
                allowed.add("HEAD")
            raise MethodNotAllowed(valid_methods=allowed)
        rv: ft.ResponseReturnValue = current_app.ensure_sync(handler)(**kwargs)
        return rv
