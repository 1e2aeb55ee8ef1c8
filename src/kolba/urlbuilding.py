"""Building URLs: ``url_for`` and the hooks around it.

How this file works: :class:`URLBuilder` is the part of :class:`~kolba.Kolba`
that turns an endpoint and values back into a URL. Inside a request it builds
relative to the request (its mount point, scheme and host, and — with
subdomain matching — its subdomain); outside one it needs ``SERVER_NAME``.
``url_defaults`` functions fill in values first; a :class:`BuildError` goes to
the ``url_build_error_handlers`` before it is raised.
"""

from __future__ import annotations

import sys
import typing as t
from itertools import chain
from urllib.parse import quote as _url_quote

from .globals import _cv_app, _cv_request
from .routing import BuildError
from .routing.map import _strip_default_port

if t.TYPE_CHECKING:  # pragma: no cover
    from .config import Config
    from .request import Request
    from .response import Response
    from .routing import Map

__all__ = ["URLBuilder"]


class URLBuilder:
    """URL building of :class:`~kolba.Kolba` (a mixin; see the module)."""

    if t.TYPE_CHECKING:  # what URL building reads of the application
        config: Config
        url_map: Map
        subdomain_matching: bool
        url_default_functions: dict[str | None, list[t.Callable[..., t.Any]]]
        url_build_error_handlers: list[
            t.Callable[[Exception, str, dict[str, t.Any]], str]
        ]
        response_class: type[Response]

    def _subdomain_binding(self, request: Request) -> tuple[str, str | None]:
        """The server name and subdomain of a request, for subdomain matching.

        The subdomain is the part of the host before ``SERVER_NAME``
        (``"api"`` for ``api.example.com``); without ``SERVER_NAME`` it is
        ``""``. A host outside ``SERVER_NAME`` matches no subdomain rule.
        """
        scheme = request.scheme
        request_host = _strip_default_port(request.host.lower(), scheme)
        server_name = self.config["SERVER_NAME"]
        if not server_name:
            return request_host, ""
        server_name = _strip_default_port(server_name.lower(), scheme)
        current = request_host.split(".")
        real = server_name.split(".")
        if current[-len(real) :] != real:
            return server_name, "<invalid>"
        return server_name, ".".join(filter(None, current[: -len(real)]))

    def url_for(
        self,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """Build the URL of an endpoint; see :func:`kolba.url_for`."""
        subdomain: str | None = None
        req_ctx = _cv_request.get(None)
        if req_ctx is not None:
            request = req_ctx.request
            blueprint_name = request.blueprint
            if endpoint[:1] == ".":
                if blueprint_name is not None:
                    endpoint = f"{blueprint_name}{endpoint}"
                else:
                    endpoint = endpoint[1:]
            if _external is None:
                _external = _scheme is not None
            script_name = request.root_path
            url_scheme = request.scheme
            host = request.host
            if self.subdomain_matching and not self.url_map.host_matching:
                # Build relative to SERVER_NAME and the current subdomain, so
                # a link to another subdomain's rule is external.
                host, subdomain = self._subdomain_binding(request)
        else:
            if _cv_app.get(None) is None:
                raise RuntimeError(
                    "url_for() needs an application context. Use it in a view, "
                    "or inside 'with app.app_context():'."
                )
            server_name = self.config["SERVER_NAME"]
            if not server_name:
                raise RuntimeError(
                    "Unable to build URLs outside an active request without "
                    "'SERVER_NAME' configured. Also configure 'APPLICATION_ROOT' "
                    "and 'PREFERRED_URL_SCHEME' as needed."
                )
            if endpoint[:1] == ".":
                endpoint = endpoint[1:]
            if _external is None:
                _external = True
            script_name = str(self.config["APPLICATION_ROOT"] or "").rstrip("/")
            url_scheme = self.config["PREFERRED_URL_SCHEME"]
            host = server_name
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        self.inject_url_defaults(endpoint, values)
        try:
            rv = self.url_map.build(
                endpoint,
                values,
                _method,
                script_name=script_name,
                url_scheme=_scheme or url_scheme,
                host=host,
                subdomain=subdomain,
                force_external=_external,
            )
        except BuildError as error:
            values.update(
                _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external
            )
            return self.handle_url_build_error(error, endpoint, values)
        if _anchor is not None:
            rv = f"{rv}#{_url_quote(_anchor, safe='%!#$&()*+,/:;=?@')}"
        return rv

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Let ``url_defaults`` functions fill in values for an endpoint."""
        funcs = self.url_default_functions
        if not funcs:
            return
        names: t.Iterable[str | None] = (None,)
        if "." in endpoint:
            # Outermost first, as for url_value_preprocessors: app, then
            # "parent", then "parent.child".
            parts = endpoint.split(".")[:-1]
            names = chain(
                names, [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
            )
        for name in names:
            for func in funcs.get(name, ()):
                func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        """Try ``url_build_error_handlers``; re-raise the error if none answers."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as exc:
                error = exc
            else:
                if rv is not None:
                    return rv
        if error is sys.exc_info()[1]:
            raise
        raise error

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response built with this app's response class."""
        from .helpers import _make_redirect

        return _make_redirect(location, code, self.response_class)
