"""Jinja2 templates: the application's environment, its loader, the render functions.

How this file works: every application owns one :class:`Environment`
(``app.jinja_env``), built on first use by ``app.create_jinja_environment()``.
Its loader is a :class:`DispatchingJinjaLoader`, which asks the application's
own ``jinja_loader`` first and then each registered blueprint's, in
registration order; the first loader that knows the name wins.

:func:`render_template` finds the template (Jinja caches compiled templates
by name), lets :meth:`~kolba.Kolba.update_template_context` add ``request``,
``session``, ``g`` and the context processors' values, then renders.

Invariants:

- Values passed by the caller always win over context processors.
- Output is escaped for ``.html``, ``.htm``, ``.xml``, ``.xhtml`` and ``.svg``
  templates and for every template given as a string.
- Signals are sent only when a receiver was ever connected
  (``kolba.signals._connected``).

PERF: ``render_template_string`` compiles a source once per environment and
keeps the compiled template (Flask compiles on every call, which costs far
more than rendering); the per-render work beyond Jinja's own is two context
variable reads and a few dict writes.
"""

from __future__ import annotations

import typing as t
from collections import ChainMap

import jinja2
from jinja2 import BaseLoader, TemplateNotFound
from jinja2 import Environment as _JinjaEnvironment
from jinja2.runtime import Context
from jinja2.utils import pass_environment
from markupsafe import Markup

from . import signals as _signals
from .globals import _cv_app, _cv_request
from .helpers import stream_with_context

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .scaffold import Scaffold

__all__ = [
    "DispatchingJinjaLoader",
    "Environment",
    "Template",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]

#: How many distinct sources ``render_template_string`` keeps compiled.
STRING_TEMPLATE_CACHE_SIZE = 128

# SECURITY: characters that could end a <script> element or an HTML attribute
# written inside a JSON value; JSON accepts \uXXXX for each of them.
_HTML_UNSAFE_JSON = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}
)


def _htmlsafe_json_dumps(
    dumps: t.Callable[..., str], obj: t.Any, **kwargs: t.Any
) -> Markup:
    # <, >, & and ' become \u003c … so the value can neither close a <script>
    # element nor leave a single-quoted attribute. Double quotes stay: JSON
    # needs them, so never put tojson output in a double-quoted attribute.
    return Markup(dumps(obj, **kwargs).translate(_HTML_UNSAFE_JSON))


@pass_environment
def _tojson_filter(
    env: _JinjaEnvironment, value: t.Any, indent: int | None = None
) -> Markup:
    app: Kolba | None = getattr(env, "app", None)
    dumps: t.Callable[..., str]
    if app is not None:
        # Looked up at call time: replacing app.json takes effect at once.
        dumps = app.json.dumps
    else:
        dumps = env.policies["json.dumps_function"]
    kwargs: dict[str, t.Any] = dict(env.policies["json.dumps_kwargs"] or {})
    if indent is not None:
        kwargs["indent"] = indent
    return _htmlsafe_json_dumps(dumps, value, **kwargs)


class Template(jinja2.Template):
    """A Jinja template that builds its render context with C-level merges.

    Behaves exactly like :class:`jinja2.Template`. PERF: Jinja copies the
    template's globals, a :class:`~collections.ChainMap`, into every render
    context key by key in Python; merging its maps with ``dict.update``
    gives the same dict several times faster.
    """

    def new_context(
        self,
        vars: dict[str, t.Any] | None = None,
        shared: bool = False,
        locals: t.Mapping[str, t.Any] | None = None,
    ) -> Context:
        """Create the context of one render; see :meth:`jinja2.Template.new_context`."""
        globals_ = self.globals
        if shared or locals or type(globals_) is not ChainMap:
            return super().new_context(vars, shared, locals)
        merged: dict[str, t.Any] = {}
        for mapping in reversed(globals_.maps):
            merged.update(mapping)
        parent = {**merged, **vars} if vars else merged.copy()
        # Context only reads the keys of ``globals``; the merged dict has the
        # same keys as the ChainMap.
        return self.environment.context_class(
            self.environment, parent, self.name, self.blocks, globals=merged
        )


class Environment(_JinjaEnvironment):
    """A Jinja2 environment that knows its application.

    Created by :meth:`kolba.Kolba.create_jinja_environment`; use
    ``app.jinja_env`` rather than building one. Unless ``loader`` is given,
    templates are found by :meth:`~kolba.Kolba.create_global_jinja_loader`.

    :param app: the application.
    :param options: any :class:`jinja2.Environment` option.
    """

    template_class: type[jinja2.Template] = Template

    def __init__(self, app: Kolba, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app
        self._string_templates: dict[str, jinja2.Template] = {}

    def _from_string_cached(self, source: str) -> jinja2.Template:
        """``from_string(source)``, compiled once and then reused.

        A compiled template holds no per-render state, so sharing it is safe.
        """
        templates = self._string_templates
        template = templates.get(source)
        if template is None:
            template = self.from_string(source)
            if self.cache is not None:  # cache_size=0 turns all caching off
                if len(templates) >= STRING_TEMPLATE_CACHE_SIZE:
                    # Drop the oldest entry: insertion order is age.
                    templates.pop(next(iter(templates)), None)
                templates[source] = template
        return template


class DispatchingJinjaLoader(BaseLoader):
    """Find a template in the application's folder, then in each blueprint's.

    The application's ``jinja_loader`` is asked first, then every registered
    blueprint's in registration order; the first match wins. With
    ``EXPLAIN_TEMPLATE_LOADING`` set, every search is logged (INFO on the
    application's logger), so a template found in the wrong folder is easy
    to spot.

    :param app: the application.
    """

    def __init__(self, app: Kolba) -> None:
        self.app = app

    def get_source(
        self, environment: _JinjaEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        """Return ``(source, filename, uptodate)`` from the first loader that has it."""
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._get_source_explained(environment, template)
        for _where, loader in self._iter_loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template, self._not_found_message(template))

    def _get_source_explained(
        self, environment: _JinjaEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        lines = [f"Locating template {template!r}:"]
        found: tuple[str, str | None, t.Callable[[], bool] | None] | None = None
        matches = 0
        for number, (where, loader) in enumerate(self._iter_loaders(), 1):
            lines.append(f"{number:5}: trying {where}")
            try:
                result = loader.get_source(environment, template)
            except TemplateNotFound:
                lines.append("       -> no match")
                continue
            matches += 1
            lines.append(f"       -> found ({result[1] or '<no file>'!r})")
            if found is None:
                found = result
        if matches == 0:
            lines.append("Error: the template was not found.")
            blueprint = _current_blueprint()
            if blueprint is not None:
                lines.append(
                    f"  The request was handled by blueprint {blueprint!r}. Did you "
                    "set its template_folder and put the file there?"
                )
        elif matches > 1:
            lines.append(
                "Warning: several loaders have this template; the first one wins. "
                "Give blueprint templates a sub-folder named after the blueprint "
                "to keep them apart."
            )
        self.app.logger.info("\n".join(lines))
        if found is None:
            raise TemplateNotFound(template, self._not_found_message(template))
        return found

    def _iter_loaders(self) -> t.Iterator[tuple[str, BaseLoader]]:
        """``(description, loader)`` pairs, in search order."""
        loader = self.app.jinja_loader
        if loader is not None:
            yield _describe("application", self.app, loader), loader
        for blueprint in self.app.iter_blueprints():
            loader = blueprint.jinja_loader
            if loader is not None:
                yield _describe("blueprint", blueprint, loader), loader

    def _not_found_message(self, template: str) -> str:
        searched = [where for where, _loader in self._iter_loaders()]
        if not searched:
            return (
                f"Template {template!r} not found: no template folder is configured "
                "(template_folder is None on the app and its blueprints)."
            )
        return (
            f"Template {template!r} not found. Searched: {'; '.join(searched)}. "
            "Check the name (relative to a template folder, '/'-separated) or set "
            "EXPLAIN_TEMPLATE_LOADING = True to log each search."
        )

    def list_templates(self) -> list[str]:
        """Every template name any of the loaders knows, without duplicates."""
        names: set[str] = set()
        for _where, loader in self._iter_loaders():
            names.update(loader.list_templates())
        return sorted(names)


def _describe(what: str, owner: Scaffold, loader: BaseLoader) -> str:
    paths = getattr(loader, "searchpath", None)
    where = f"folder {', '.join(map(str, paths))}" if paths else type(loader).__name__
    return f"{what} {owner.name!r} ({where})"


def _current_blueprint() -> str | None:
    ctx = _cv_request.get(None)
    return ctx.request.blueprint if ctx is not None else None


def _app_for(function: str) -> Kolba:
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(
            f"{function}() needs an application context, to know which app's "
            "templates and configuration to use. Call it in a view, or inside "
            "'with app.app_context():'."
        )
    return ctx.app


def render_template(
    template_name_or_list: str | jinja2.Template | list[str | jinja2.Template],
    **context: t.Any,
) -> str:
    """Render a template from the template folder with the given context.

    ``render_template("post.html", post=post)``. The template also sees
    ``request``, ``session``, ``g``, ``config``, ``url_for``,
    ``get_flashed_messages`` and the context processors' values; keyword
    arguments win over all of them.

    :param template_name_or_list: a template name, or a list of names (the
        first that exists is used), or a :class:`jinja2.Template`.
    :param context: the variables the template can use.
    """
    app = _app_for("render_template")
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template given as a string, with autoescaping on.

    Kolba compiles each distinct source once and reuses it; Flask compiles it
    again on every call.

    :param source: the template's source code.
    :param context: the variables the template can use.
    """
    app = _app_for("render_template_string")
    template = app.jinja_env._from_string_cached(source)
    return _render(app, template, context)


def _render(app: Kolba, template: jinja2.Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    if _signals._connected:
        app._send_signal("before_render_template", template=template, context=context)
    rv = template.render(context)
    if _signals._connected:
        app._send_signal("template_rendered", template=template, context=context)
    return rv


def stream_template(
    template_name_or_list: str | jinja2.Template | list[str | jinja2.Template],
    **context: t.Any,
) -> t.Iterator[str]:
    """Render a template piece by piece, as an iterator for a streamed response.

    ``return stream_template("log.html", lines=lines)``. During a request the
    request context stays available while the response is generated, as
    with :func:`~kolba.stream_with_context`.

    :param template_name_or_list: see :func:`render_template`.
    :param context: the variables the template can use.
    """
    app = _app_for("stream_template")
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> t.Iterator[str]:
    """Render a template given as a string piece by piece; see :func:`stream_template`.

    :param source: the template's source code.
    :param context: the variables the template can use.
    """
    app = _app_for("stream_template_string")
    template = app.jinja_env._from_string_cached(source)
    return _stream(app, template, context)


def _stream(
    app: Kolba, template: jinja2.Template, context: dict[str, t.Any]
) -> t.Iterator[str]:
    app.update_template_context(context)
    if _signals._connected:
        app._send_signal("before_render_template", template=template, context=context)

    def generate() -> t.Iterator[str]:
        yield from template.generate(context)
        if _signals._connected:
            app._send_signal("template_rendered", template=template, context=context)

    rv = generate()
    if _cv_request.get(None) is not None:
        rv = stream_with_context(rv)
    return rv
