"""Blueprints: a group of routes, hooks and handlers registered on an app later.

How this file works: a :class:`Blueprint` has the same registration API as the
application (it is a :class:`~kolba.scaffold.Scaffold`), but a route cannot be
added to a URL map that does not exist yet. So :meth:`Blueprint.add_url_rule`
and the ``app_*`` methods *record* a function; :meth:`Blueprint.register`
(called by ``app.register_blueprint``) builds a :class:`BlueprintSetupState`
and replays every recorded function with it. The state applies the URL prefix,
subdomain and URL defaults, and prefixes endpoints with the dotted blueprint
name (``parent.child.view``).

Hooks and error handlers scoped to the blueprint (``before_request``,
``errorhandler`` …) are stored on the blueprint under the key ``None`` like on
the app, and copied into the app's dicts under the blueprint's dotted name at
registration. The app's pipeline then walks ``request.blueprints`` (innermost
first) to find them, so a blueprint's hooks only run for its own endpoints.

Invariants:

- A name registered on an app is unique: registering a second blueprint (or
  the same one again) under a taken name raises; pass ``name=`` to register a
  blueprint more than once.
- Setup methods fail once the blueprint was registered, because the recorded
  functions already ran and a later change would reach some apps and not
  others.
"""

from __future__ import annotations

import os
import typing as t
from collections import defaultdict

from . import typing as ft
from .scaffold import (
    Scaffold,
    _endpoint_from_view_func,
    _named_registrar,
    setupmethod,
)

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .cli import AppGroup

__all__ = ["Blueprint", "BlueprintSetupState"]

DeferredSetupFunction = t.Callable[["BlueprintSetupState"], None]
T_after_request = t.TypeVar("T_after_request", bound=ft.AfterRequestCallable[t.Any])
T_before_request = t.TypeVar("T_before_request", bound=ft.BeforeRequestCallable)
T_error_handler = t.TypeVar("T_error_handler", bound=ft.ErrorHandlerCallable)
T_teardown = t.TypeVar("T_teardown", bound=ft.TeardownCallable)
T_template_context_processor = t.TypeVar(
    "T_template_context_processor", bound=ft.TemplateContextProcessorCallable
)
T_template_filter = t.TypeVar("T_template_filter", bound=ft.TemplateFilterCallable)
T_template_global = t.TypeVar("T_template_global", bound=ft.TemplateGlobalCallable)
T_template_test = t.TypeVar("T_template_test", bound=ft.TemplateTestCallable)
T_url_defaults = t.TypeVar("T_url_defaults", bound=ft.URLDefaultCallable)
T_url_value_preprocessor = t.TypeVar(
    "T_url_value_preprocessor", bound=ft.URLValuePreprocessorCallable
)


class _DefaultGroup:
    """The ``cli_group`` default: a group named after the blueprint."""

    def __repr__(self) -> str:
        return "<default cli group: the blueprint's name>"


_DEFAULT_CLI_GROUP: t.Any = _DefaultGroup()


class BlueprintSetupState:
    """What one registration of a blueprint on an app applies.

    :meth:`Blueprint.make_setup_state` creates it; every function recorded
    with :meth:`Blueprint.record` is called with it.

    :param blueprint: the blueprint being registered.
    :param app: the application it is registered on.
    :param options: the keyword arguments of ``register_blueprint``.
    :param first_registration: whether this blueprint was not registered on
        this app before (under any name).
    """

    def __init__(
        self,
        blueprint: Blueprint,
        app: Kolba,
        options: dict[str, t.Any],
        first_registration: bool,
    ) -> None:
        #: The application the blueprint is registered on.
        self.app = app
        #: The blueprint being registered.
        self.blueprint = blueprint
        #: The options passed to ``register_blueprint``.
        self.options = options
        #: ``False`` when the blueprint was already registered on this app
        #: under another name; :meth:`Blueprint.record_once` functions skip.
        self.first_registration = first_registration
        subdomain = options.get("subdomain")
        if subdomain is None:
            subdomain = blueprint.subdomain
        #: The subdomain the blueprint's routes match, or ``None``.
        self.subdomain: str | None = subdomain
        url_prefix = options.get("url_prefix")
        if url_prefix is None:
            url_prefix = blueprint.url_prefix
        #: The prefix of every route of the blueprint, or ``None``.
        self.url_prefix: str | None = url_prefix
        #: The (undotted) name the blueprint is registered under.
        self.name: str = options.get("name", blueprint.name)
        #: The dotted name of the parent blueprint, ``""`` at the top level.
        self.name_prefix: str = options.get("name_prefix", "")
        #: Default URL values given to every route of the blueprint.
        self.url_defaults: dict[str, t.Any] = dict(blueprint.url_values_defaults)
        self.url_defaults.update(options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        **options: t.Any,
    ) -> None:
        """Add a rule to the app, prefixed and named for this blueprint.

        The URL prefix is joined to ``rule`` with exactly one slash, the
        subdomain and URL defaults are applied unless the rule sets its own,
        and the endpoint becomes ``<dotted blueprint name>.<endpoint>``.
        """
        if self.url_prefix is not None:
            if rule:
                rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
            else:
                rule = self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint(Scaffold):
    """A group of routes, hooks, templates and static files for an app.

    It has the application's decorators (``route``, ``before_request``,
    ``errorhandler`` …) but needs no app to be created: everything is recorded
    and applied when the blueprint is registered with
    :meth:`Kolba.register_blueprint <kolba.Kolba.register_blueprint>`. Its
    endpoints are named ``<blueprint>.<view>``; its hooks and error handlers
    apply only to its own views (use the ``app_*`` variants for every
    request). A blueprint may be registered on several apps, or several times
    on one app under different ``name=``\\ s, and may contain blueprints.

    ::

        bp = Blueprint("admin", __name__, url_prefix="/admin")

        @bp.route("/")
        def index():
            return "admin home"

        app.register_blueprint(bp)

    :param name: the blueprint's name, prefixed to its endpoints. It may not
        be empty or contain a dot.
    :param import_name: the import name of the blueprint's module, usually
        ``__name__``; it locates ``root_path``.
    :param static_folder: a folder of static files, relative to ``root_path``,
        served at ``<url_prefix><static_url_path>/<path:filename>`` as the
        ``<name>.static`` endpoint. Off by default. Without a ``url_prefix``
        or ``static_url_path`` the app's own ``/static`` route shadows it.
    :param static_url_path: the URL of the static files (default: the folder's
        name).
    :param template_folder: a templates folder, relative to ``root_path``,
        searched after the app's own templates folder. Off by default.
    :param url_prefix: a path prepended to every route of the blueprint.
    :param subdomain: the subdomain the blueprint's routes match by default.
    :param url_defaults: default URL values given to every route.
    :param root_path: the blueprint's folder, when ``import_name`` cannot
        locate it.
    :param cli_group: the name of the ``kolba`` sub-command holding the
        blueprint's CLI commands (default: the blueprint's name); ``None``
        adds the commands to the app's top level.
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _DEFAULT_CLI_GROUP,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        _check_name(name, "Blueprint name")
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        #: Functions called with a :class:`BlueprintSetupState` at registration.
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults: dict[str, t.Any] = (
            {} if url_defaults is None else url_defaults
        )
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []

        from .cli import AppGroup

        #: The click group of the blueprint's commands; it is added to the
        #: app's ``cli`` at registration (see ``cli_group``).
        self.cli: AppGroup = AppGroup()
        self.cli.name = self.name

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the "
                f"blueprint '{self.name}'. It has already been registered at "
                "least once, so a change now would not apply consistently.\n"
                "Make sure all routes, hooks and nested blueprints of the "
                "blueprint are set up before registering it."
            )

    # -- deferred registration --------------------------------------------------

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` each time the blueprint is registered.

        ``state`` is the :class:`BlueprintSetupState` of that registration.
        """
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Like :meth:`record`, but only on the first registration on an app.

        Registering the blueprint again on the same app (under another
        ``name=``) skips ``func``; registering it on another app calls it.
        """

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        wrapper.__name__ = getattr(func, "__name__", "wrapper")
        wrapper.__doc__ = func.__doc__
        wrapper.__wrapped__ = func  # type: ignore[attr-defined]  # like functools.wraps
        self.record(wrapper)

    def make_setup_state(
        self,
        app: Kolba,
        options: dict[str, t.Any],
        first_registration: bool = False,
    ) -> BlueprintSetupState:
        """Create the state for one registration; override to customise it."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest ``blueprint`` in this one.

        It is registered on the app together with this blueprint, under the
        dotted name ``<this>.<child>``, with the URL prefixes and subdomains
        joined. ``options`` override the child's own settings, as in
        :meth:`Kolba.register_blueprint <kolba.Kolba.register_blueprint>`.
        """
        if blueprint is self:
            raise ValueError(
                f"Cannot register the blueprint {self.name!r} on itself. Nest a "
                "different Blueprint instance."
            )
        self._blueprints.append((blueprint, options))

    def register(self, app: Kolba, options: dict[str, t.Any]) -> None:
        """Apply everything recorded on the blueprint to ``app``.

        :meth:`Kolba.register_blueprint <kolba.Kolba.register_blueprint>`
        calls this; call that instead.

        :param app: the application.
        :param options: ``name``, ``url_prefix``, ``subdomain``,
            ``url_defaults`` and ``cli_group`` overrides, plus anything the
            recorded functions read from ``state.options``.
        :raises ValueError: when the name is already registered on ``app``.
        """
        name_prefix: str = options.get("name_prefix", "")
        self_name: str = options.get("name", self.name)
        if "name" in options:
            _check_name(self_name, "The 'name' given to register_blueprint")
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            which = "this" if app.blueprints[name] is self else "a different"
            where = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for {which} "
                f"blueprint{where}. Use 'name=' to register it under a unique "
                "name, for example "
                f"app.register_blueprint(bp, name='{self_name}_2')."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        first_name_registration = name not in app.blueprints
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)

        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )

        if first_bp_registration or first_name_registration:
            self._merge_blueprint_funcs(app, name)

        for deferred in self.deferred_functions:
            deferred(state)

        cli_group = options.get("cli_group", self.cli_group)
        if self.cli.commands:
            if cli_group is None:
                app.cli.commands.update(self.cli.commands)
            else:
                self.cli.name = name if cli_group is _DEFAULT_CLI_GROUP else cli_group
                app.cli.add_command(self.cli)

        for blueprint, child_options in self._blueprints:
            self._register_child(app, state, name, blueprint, child_options)

    @staticmethod
    def _register_child(
        app: Kolba,
        state: BlueprintSetupState,
        name: str,
        blueprint: Blueprint,
        child_options: dict[str, t.Any],
    ) -> None:
        child_options = child_options.copy()
        subdomain = child_options.get("subdomain")
        if subdomain is None:
            subdomain = blueprint.subdomain
        # A nested subdomain is a sub-subdomain: "api" inside "v1" is "api.v1".
        if state.subdomain is not None and subdomain is not None:
            child_options["subdomain"] = f"{subdomain}.{state.subdomain}"
        elif subdomain is not None:
            child_options["subdomain"] = subdomain
        elif state.subdomain is not None:
            child_options["subdomain"] = state.subdomain
        url_prefix = child_options.get("url_prefix")
        if url_prefix is None:
            url_prefix = blueprint.url_prefix
        if state.url_prefix is not None and url_prefix is not None:
            child_options["url_prefix"] = (
                f"{state.url_prefix.rstrip('/')}/{url_prefix.lstrip('/')}"
            )
        elif url_prefix is not None:
            child_options["url_prefix"] = url_prefix
        elif state.url_prefix is not None:
            child_options["url_prefix"] = state.url_prefix
        child_options["name_prefix"] = name
        blueprint.register(app, child_options)

    def _merge_blueprint_funcs(self, app: Kolba, name: str) -> None:
        def scoped(key: str | None) -> str:
            return name if key is None else f"{name}.{key}"

        def extend(
            source: dict[str | None, list[t.Any]],
            target: dict[str | None, list[t.Any]],
        ) -> None:
            for key, values in source.items():
                target.setdefault(scoped(key), []).extend(values)

        for key, by_code in self.error_handler_spec.items():
            app.error_handler_spec[scoped(key)] = defaultdict(
                dict, {code: dict(handlers) for code, handlers in by_code.items()}
            )
        # Views registered with @bp.endpoint keep their own endpoint name.
        app.view_functions.update(self.view_functions)
        extend(self.before_request_funcs, app.before_request_funcs)
        extend(self.after_request_funcs, app.after_request_funcs)
        extend(self.teardown_request_funcs, app.teardown_request_funcs)
        extend(self.url_default_functions, app.url_default_functions)
        extend(self.url_value_preprocessors, app.url_value_preprocessors)
        extend(self.template_context_processors, app.template_context_processors)
        extend(self.before_websocket_funcs, app.before_websocket_funcs)
        extend(self.after_websocket_funcs, app.after_websocket_funcs)

    # -- routes -----------------------------------------------------------------

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Record a rule, prefixed with ``url_prefix`` and named ``<bp>.<endpoint>``.

        See :meth:`Kolba.add_url_rule <kolba.Kolba.add_url_rule>` for the
        options. The endpoint (or the view's name) may not contain a dot.
        """
        if endpoint and "." in endpoint:
            raise ValueError(
                f"The endpoint {endpoint!r} contains a dot. Blueprint endpoints "
                "are prefixed with the blueprint's name and a dot, so a dot of "
                "their own would be ambiguous; use '_' instead."
            )
        view_name = getattr(view_func, "__name__", None)
        if endpoint is None and view_name is not None and "." in view_name:
            raise ValueError(
                f"The view function's name {view_name!r} contains a dot, which "
                "blueprint endpoints may not. Pass endpoint='...' explicitly."
            )
        self.record(
            lambda state: state.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    # -- templates for the whole app ---------------------------------------------

    @setupmethod
    def app_template_filter(
        self, name: str | None = None
    ) -> t.Callable[[T_template_filter], T_template_filter]:
        """Register a template filter for every template of the app.

        :param name: the filter's name (default: the function's name).
        """
        return _named_registrar(self.add_app_template_filter, name)

    @setupmethod
    def add_app_template_filter(
        self, f: ft.TemplateFilterCallable, name: str | None = None
    ) -> None:
        """The non-decorator form of :meth:`app_template_filter`."""
        self.record_once(lambda state: state.app.add_template_filter(f, name=name))

    @setupmethod
    def app_template_test(
        self, name: str | None = None
    ) -> t.Callable[[T_template_test], T_template_test]:
        """Register a template test for every template of the app.

        :param name: the test's name (default: the function's name).
        """
        return _named_registrar(self.add_app_template_test, name)

    @setupmethod
    def add_app_template_test(
        self, f: ft.TemplateTestCallable, name: str | None = None
    ) -> None:
        """The non-decorator form of :meth:`app_template_test`."""
        self.record_once(lambda state: state.app.add_template_test(f, name=name))

    @setupmethod
    def app_template_global(
        self, name: str | None = None
    ) -> t.Callable[[T_template_global], T_template_global]:
        """Register a template global for every template of the app.

        :param name: the global's name (default: the function's name).
        """
        return _named_registrar(self.add_app_template_global, name)

    @setupmethod
    def add_app_template_global(
        self, f: ft.TemplateGlobalCallable, name: str | None = None
    ) -> None:
        """The non-decorator form of :meth:`app_template_global`."""
        self.record_once(lambda state: state.app.add_template_global(f, name=name))

    # -- hooks and handlers for the whole app -------------------------------------

    @setupmethod
    def before_app_request(self, f: T_before_request) -> T_before_request:
        """Like :meth:`before_request`, but for every request of the app."""
        self.record_once(_add_to_app("before_request_funcs", f))
        return f

    @setupmethod
    def after_app_request(self, f: T_after_request) -> T_after_request:
        """Like :meth:`after_request`, but for every request of the app."""
        self.record_once(_add_to_app("after_request_funcs", f))
        return f

    @setupmethod
    def teardown_app_request(self, f: T_teardown) -> T_teardown:
        """Like :meth:`teardown_request`, but for every request of the app."""
        self.record_once(_add_to_app("teardown_request_funcs", f))
        return f

    @setupmethod
    def app_context_processor(
        self, f: T_template_context_processor
    ) -> T_template_context_processor:
        """Like :meth:`context_processor`, but for every template of the app."""
        self.record_once(_add_to_app("template_context_processors", f))
        return f

    @setupmethod
    def app_errorhandler(
        self, code: type[Exception] | int
    ) -> t.Callable[[T_error_handler], T_error_handler]:
        """Like :meth:`errorhandler`, but for errors raised anywhere in the app."""

        def decorator(f: T_error_handler) -> T_error_handler:
            self.record_once(lambda state: state.app.register_error_handler(code, f))
            return f

        return decorator

    @setupmethod
    def app_url_value_preprocessor(
        self, f: T_url_value_preprocessor
    ) -> T_url_value_preprocessor:
        """Like :meth:`url_value_preprocessor`, but for every request."""
        self.record_once(_add_to_app("url_value_preprocessors", f))
        return f

    @setupmethod
    def app_url_defaults(self, f: T_url_defaults) -> T_url_defaults:
        """Like :meth:`url_defaults`, but for every endpoint of the app."""
        self.record_once(_add_to_app("url_default_functions", f))
        return f

    # -- resources ----------------------------------------------------------------

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.Any]:
        """Open a file relative to the blueprint's ``root_path``, for reading.

        :param resource: the path, relative to ``root_path``.
        :param mode: ``"rb"`` (default), ``"r"`` or ``"rt"``.
        :param encoding: the encoding in text mode.
        """
        if mode not in {"r", "rt", "rb"}:
            raise ValueError(
                f"Resources can only be opened for reading, not with mode {mode!r}. "
                "Use 'rb', 'r' or 'rt'."
            )
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)


def _add_to_app(attribute: str, f: t.Any) -> DeferredSetupFunction:
    """A setup function adding ``f`` to an app-wide hook list, like ``app.<hook>``."""

    def register(state: BlueprintSetupState) -> None:
        getattr(state.app, attribute).setdefault(None, []).append(f)

    return register


def _check_name(name: t.Any, what: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"{what} may not be empty: it prefixes every endpoint of the "
            f"blueprint. Got {name!r}."
        )
    if "." in name:
        raise ValueError(
            f"{what} {name!r} may not contain a dot: dots separate the names of "
            "nested blueprints in endpoints. Use '_' instead."
        )
