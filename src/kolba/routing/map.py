"""The map: the set of rules of an application, matched and built as one.

:class:`Map` is sans-IO: :meth:`Map.match` takes a method, a decoded path and a
host, and :meth:`Map.build` takes an endpoint and values; neither reads an
environ. :class:`MapAdapter` (from :meth:`Map.bind`) keeps Werkzeug's bound-map
interface for code that uses it, as thin wrappers over the same two methods.
"""

from __future__ import annotations

import bisect
import difflib
import typing as t
from urllib.parse import quote, urlencode, urljoin

from ..exceptions import (
    BadRequest,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestRedirect,
)
from .converters import DEFAULT_CONVERTERS, BaseConverter, quote_path
from .matcher import Matcher, NeedsRedirect, NoMatch
from .rules import QUERY_SAFE, Rule

_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"

QueryArgs = str | t.Mapping[str, t.Any] | None


class BuildError(LookupError):
    """No rule can build a URL for this endpoint with these values.

    :param endpoint: the endpoint asked for.
    :param values: the values given (``None`` values already dropped).
    :param method: the method asked for, if any.
    :param map: the map searched, used to suggest a close match.
    """

    def __init__(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any],
        method: str | None,
        map: Map | None = None,
    ) -> None:
        super().__init__(endpoint, values, method)
        self.endpoint = endpoint
        self.values = values
        self.method = method
        self.map = map

    @property
    def suggested(self) -> Rule | None:
        """The rule closest to what was asked for, to hint at a typo."""
        if self.map is None or not self.map._rules:
            return None
        wanted = str(self.endpoint)
        keys = set(self.values)

        def score(rule: Rule) -> float:
            ratio = difflib.SequenceMatcher(None, str(rule.endpoint), wanted).ratio()
            return (
                0.98 * ratio
                + 0.01 * keys.issubset(rule.arguments)
                + 0.01 * bool(rule.methods and self.method in rule.methods)
            )

        return max(self.map._rules, key=score)

    def __str__(self) -> str:
        message = f"Could not build a URL for endpoint {self.endpoint!r}"
        if self.method:
            message += f" with method {self.method!r}"
        if self.values:
            message += f" with values {sorted(self.values)!r}"
        message += "."
        if self.map is None:
            return message
        rules = self.map._rules_by_endpoint.get(self.endpoint)
        if not rules:
            names = sorted({str(rule.endpoint) for rule in self.map._rules})
            close = difflib.get_close_matches(str(self.endpoint), names, n=3)
            if close:
                choices = " or ".join(repr(name) for name in close)
                return (
                    f"{message} No rule has this endpoint. "
                    f"Did you mean {choices} instead?"
                )
            return (
                f"{message} No rule has this endpoint. Check the endpoint name "
                "(for a blueprint view it is 'blueprint_name.view_name')."
            )
        hints: list[str] = []
        for rule in rules:
            methods = rule.methods
            if self.method and methods is not None and self.method not in methods:
                hints.append(f"{rule.rule!r} allows only {sorted(methods)!r}")
                continue
            missing = sorted(
                key
                for key in rule.arguments
                if key not in self.values and key not in (rule.defaults or {})
            )
            if missing:
                hints.append(f"{rule.rule!r} needs values for {missing!r}")
                continue
            wrong = sorted(
                key
                for key, value in (rule.defaults or {}).items()
                if key in self.values and self.values[key] != value
            )
            if wrong:
                hints.append(f"{rule.rule!r} requires the default values of {wrong!r}")
            else:
                hints.append(f"{rule.rule!r} rejected a value in its converter")
        return f"{message} {'; '.join(hints)}."


class Map:
    """All the URL rules of an application, and the switches that shape them.

    :param rules: initial rules, added in order.
    :param default_subdomain: the subdomain of rules that do not set one.
    :param strict_slashes: redirect ``/branch`` to ``/branch/`` for rules ending
        in a slash (and do not match ``/leaf/`` for rules that do not).
    :param merge_slashes: redirect ``/a//b`` to ``/a/b`` when that matches a rule.
    :param redirect_defaults: redirect a URL carrying a rule's default values to
        the rule that leaves them out.
    :param converters: extra converters by name, added to :data:`DEFAULT_CONVERTERS`.
    :param sort_parameters: sort the query string of built URLs.
    :param sort_key: the sort key for ``sort_parameters``.
    :param host_matching: match the whole host (``Rule(host=...)``) instead of
        the subdomain.
    """

    #: The converters a map starts with.
    default_converters: t.Mapping[str, type[BaseConverter]] = DEFAULT_CONVERTERS
    #: The name of :class:`Rule` for subclasses of the map to override.
    rule_class = Rule

    def __init__(
        self,
        rules: t.Iterable[Rule] | None = None,
        *,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        redirect_defaults: bool = True,
        converters: t.Mapping[str, type[BaseConverter]] | None = None,
        sort_parameters: bool = False,
        sort_key: t.Callable[[t.Any], t.Any] | None = None,
        host_matching: bool = False,
    ) -> None:
        self.default_subdomain = default_subdomain
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.redirect_defaults = redirect_defaults
        self.sort_parameters = sort_parameters
        self.sort_key = sort_key
        self.host_matching = host_matching
        #: Converter classes by name; add to it before adding rules that use it.
        self.converters: dict[str, type[BaseConverter]] = dict(self.default_converters)
        if converters:
            self.converters.update(converters)
        self._matcher = Matcher()
        self._rules: list[Rule] = []
        # Per endpoint, in build order (Rule.build_compare_key, then insertion).
        self._rules_by_endpoint: dict[t.Any, list[Rule]] = {}
        self._insertion_by_endpoint: dict[t.Any, list[Rule]] = {}
        self._endpoints_with_defaults: set[t.Any] = set()
        for rule in rules or ():
            self.add(rule)

    # -- registration ------------------------------------------------------------

    def add(self, rule: Rule) -> None:
        """Compile ``rule`` and add it; it takes effect immediately.

        :raise ValueError: if the rule string is malformed or uses an unknown
            converter.
        """
        rule.bind(self)
        if not rule.build_only:
            self._matcher.add(rule)
        self._rules.append(rule)
        endpoint = rule.endpoint
        self._insertion_by_endpoint.setdefault(endpoint, []).append(rule)
        ordered = self._rules_by_endpoint.setdefault(endpoint, [])
        bisect.insort_right(ordered, rule, key=Rule.build_compare_key)
        if rule.defaults or rule.alias:
            self._endpoints_with_defaults.add(endpoint)

    def iter_rules(self, endpoint: t.Any | None = None) -> t.Iterator[Rule]:
        """Iterate over the rules in the order they were added.

        :param endpoint: only the rules of this endpoint.
        """
        if endpoint is None:
            return iter(self._rules)
        return iter(self._insertion_by_endpoint.get(endpoint, ()))

    def rules_for(self, endpoint: t.Any) -> list[Rule]:
        """The rules of ``endpoint``, in the order they were added."""
        return list(self._insertion_by_endpoint.get(endpoint, ()))

    def is_endpoint_expecting(self, endpoint: t.Any, *arguments: str) -> bool:
        """Whether some rule of ``endpoint`` takes all of ``arguments``."""
        wanted = set(arguments)
        return any(
            wanted.issubset(rule.arguments)
            for rule in self._rules_by_endpoint.get(endpoint, ())
        )

    # -- matching -----------------------------------------------------------------

    def match(
        self,
        method: str,
        path: str,
        *,
        host: str = "",
        subdomain: str | None = None,
        query_args: QueryArgs = "",
        script_name: str = "",
        websocket: bool = False,
    ) -> tuple[Rule, dict[str, t.Any]]:
        """Find the rule for a request and convert its values.

        :param method: the request method.
        :param path: the decoded path, starting with ``/``.
        :param host: the request host; used with ``host_matching``.
        :param subdomain: the request's subdomain; defaults to
            :attr:`default_subdomain`.
        :param query_args: the query string, kept on redirects.
        :param script_name: the mount point, prefixed to redirect targets.
        :param websocket: whether the request is a WebSocket handshake.
        :return: the rule and its values (rule defaults included).
        :raise NotFound: no rule matches the path.
        :raise MethodNotAllowed: rules match the path, but not the method.
        :raise RequestRedirect: the canonical URL differs (slashes, defaults,
            ``redirect_to``); ``new_url`` is a path unless ``redirect_to`` gave an
            absolute URL.
        """
        if self.host_matching:
            domain = host.lower()
        else:
            domain = self.default_subdomain if subdomain is None else subdomain
        # Like Werkzeug, ignore extra leading slashes and treat "a" as "/a".
        if path[:1] != "/" or path[1:2] == "/":
            path = "/" + path.lstrip("/") if path else ""
        method = method.upper()
        try:
            rule, values = self._matcher.match(
                domain, path, method, websocket, self.merge_slashes
            )
        except NoMatch as exc:
            # PERF: a plain 404/405 needs no adapter (only redirects do).
            if exc.have_match_for:
                raise MethodNotAllowed(valid_methods=exc.have_match_for) from None
            if not exc.websocket_mismatch:
                raise NotFound() from None
            site = self._relative_adapter(host, script_name, domain, query_args)
            raise self._no_match_error(exc, query_args, site) from None
        except NeedsRedirect as exc:
            site = self._relative_adapter(host, script_name, domain, query_args)
            raise self._no_match_error(exc, query_args, site) from None
        # PERF: the common case (no redirect possible) returns right here.
        if rule.redirect_to is not None or (
            self.redirect_defaults and rule.endpoint in self._endpoints_with_defaults
        ):
            site = self._relative_adapter(host, script_name, domain, query_args)
            self._check_redirects(rule, values, method, query_args, site)
        return rule, values

    def _relative_adapter(
        self, host: str, script_name: str, domain: str, query_args: QueryArgs
    ) -> MapAdapter:
        adapter = MapAdapter(
            self,
            host or "localhost",
            script_name or "/",
            None if self.host_matching else domain,
            "http",
            "/",
            "GET",
            query_args,
        )
        adapter._relative = True
        return adapter

    def _no_match_error(
        self, exc: NeedsRedirect | NoMatch, query_args: QueryArgs, site: MapAdapter
    ) -> HTTPException:
        if isinstance(exc, NeedsRedirect):
            target = site._url_root(None) + quote_path(exc.path)
            return RequestRedirect(_with_query(target, query_args))
        if exc.have_match_for:
            return MethodNotAllowed(valid_methods=exc.have_match_for)
        if exc.websocket_mismatch:
            return BadRequest(
                "The URL exists, but for a different protocol "
                "(WebSocket versus plain HTTP)."
            )
        return NotFound()

    def _check_redirects(
        self,
        rule: Rule,
        values: dict[str, t.Any],
        method: str,
        query_args: QueryArgs,
        site: MapAdapter,
    ) -> None:
        if self.redirect_defaults and rule.endpoint in self._endpoints_with_defaults:
            for other in self._rules_by_endpoint[rule.endpoint]:
                # Rules before this one in build order are the canonical ones.
                if other is rule:
                    break
                if other.provides_defaults_for(rule) and other.suitable_for(
                    values, method
                ):
                    assert other.defaults is not None  # checked just above
                    built = other.build({**values, **other.defaults})
                    if built is not None:
                        target = site._url_root(built[0]) + built[1]
                        raise RequestRedirect(_with_query(target, query_args))
            if rule.alias:
                url = site.build(
                    rule.endpoint,
                    values,
                    method,
                    append_unknown=False,
                    force_external=not site._relative,
                )
                raise RequestRedirect(_with_query(url, query_args))

        if rule.redirect_to is not None:
            if isinstance(rule.redirect_to, str):
                target = rule._format_redirect(values)
            else:
                target = rule.redirect_to(site, **values)
            raise RequestRedirect(urljoin(site._url_root(None) + "/", target))

    # -- building -----------------------------------------------------------------

    def build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any] | None = None,
        method: str | None = None,
        *,
        script_name: str = "",
        url_scheme: str = "http",
        host: str = "",
        subdomain: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        anchor: str | None = None,
    ) -> str:
        """Build the URL of ``endpoint`` from ``values``.

        The first rule of the endpoint (rules with more arguments first, then in
        the order added) that takes all required values, agrees with its
        defaults, and allows ``method`` is used. Values the rule does not use
        become the query string (lists repeat the key; ``None`` is dropped).

        :param endpoint: the endpoint of the rule to build.
        :param values: the variable values, converted with ``to_url``.
        :param method: only consider rules allowing this method.
        :param script_name: the mount point, prefixed to the path.
        :param url_scheme: the scheme of external URLs.
        :param host: the current host (server name), for external URLs.
        :param subdomain: the current subdomain; defaults to
            :attr:`default_subdomain`. A rule on another subdomain or host is
            built as an external URL.
        :param force_external: always build ``scheme://host/path``.
        :param append_unknown: put unused values in the query string.
        :param anchor: a fragment to append after ``#``.
        :raise BuildError: when no rule fits.
        """
        values = _clean_values(values)
        current = self.default_subdomain if subdomain is None else subdomain
        found = self._partial_build(
            endpoint, values, method, append_unknown, host.lower()
        )
        if found is None:
            raise BuildError(endpoint, values, method, self)
        domain_part, path, websocket = found
        if self.host_matching:
            target_host = domain_part or host
            same_place = target_host == host
        else:
            target_host = f"{domain_part}.{host}" if domain_part else host
            same_place = domain_part == current

        secure = url_scheme in ("https", "wss")
        if websocket:
            force_external = True
            url_scheme = "wss" if secure else "ws"
        elif url_scheme:
            url_scheme = "https" if secure else "http"

        root = script_name.rstrip("/")
        if force_external or not same_place:
            scheme = f"{url_scheme}:" if url_scheme else ""
            url = f"{scheme}//{target_host}{root}{path}"
        else:
            url = root + path
        if anchor is not None:
            url = f"{url}#{quote(anchor, safe=_ANCHOR_SAFE)}"
        return url

    def _partial_build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any],
        method: str | None,
        append_unknown: bool,
        host: str,
    ) -> tuple[str, str, bool] | None:
        rules = self._rules_by_endpoint.get(endpoint)
        if not rules:
            return None
        # Without a method, prefer a rule that serves GET (the link a browser
        # follows), then any rule.
        attempts: tuple[str | None, ...] = (
            ("GET", None) if method is None else (method,)
        )
        for attempt in attempts:
            first: tuple[str, str, bool] | None = None
            for rule in rules:
                if not rule.suitable_for(values, attempt):
                    continue
                built = rule.build(values, append_unknown)
                if built is None:
                    continue
                if not self.host_matching or built[0] == host:
                    return built[0], built[1], rule.websocket
                if first is None:
                    first = (built[0], built[1], rule.websocket)
            if first is not None:
                return first
        return None

    # -- binding (Werkzeug-style) ----------------------------------------------------

    def bind(
        self,
        server_name: str,
        script_name: str | None = None,
        subdomain: str | None = None,
        url_scheme: str = "http",
        default_method: str = "GET",
        path_info: str | None = None,
        query_args: QueryArgs = None,
    ) -> MapAdapter:
        """Return a :class:`MapAdapter` for one server name and mount point.

        :raise RuntimeError: if ``subdomain`` is given with ``host_matching``.
        """
        server_name = server_name.lower()
        if self.host_matching:
            if subdomain is not None:
                raise RuntimeError(
                    "This map uses host_matching, so it takes no subdomain; "
                    "pass the full host as server_name instead."
                )
        elif subdomain is None:
            subdomain = self.default_subdomain
        name, separator, port = server_name.partition(":")
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise BadRequest("The host name is not valid.") from None
        return MapAdapter(
            self,
            f"{name}{separator}{port}",
            script_name or "/",
            subdomain,
            url_scheme,
            path_info or "/",
            default_method,
            query_args,
        )

    def bind_to_environ(
        self,
        environ: t.Mapping[str, t.Any],
        server_name: str | None = None,
        subdomain: str | None = None,
    ) -> MapAdapter:
        """Return a :class:`MapAdapter` for a WSGI environ.

        Reads the host, scheme, mount point, path, method and query from
        ``environ`` (a plain mapping; nothing is read from a stream).
        """
        scheme = environ.get("wsgi.url_scheme", "http")
        upgrade = environ.get("HTTP_UPGRADE", "").lower() == "websocket"
        if upgrade and "upgrade" in environ.get("HTTP_CONNECTION", "").lower():
            scheme = "wss" if scheme == "https" else "ws"
        request_host = _environ_host(environ, scheme)
        if server_name is None:
            server_name = request_host
        else:
            server_name = _strip_default_port(server_name.lower(), scheme)
        if subdomain is None and not self.host_matching:
            current = request_host.split(".")
            real = server_name.split(".")
            offset = -len(real)
            if current[offset:] != real:
                subdomain = "<invalid>"
            else:
                subdomain = ".".join(filter(None, current[:offset]))
        return self.bind(
            server_name,
            _wsgi_text(environ.get("SCRIPT_NAME", "")),
            subdomain,
            scheme,
            environ.get("REQUEST_METHOD", "GET"),
            _wsgi_text(environ.get("PATH_INFO", "")),
            environ.get("QUERY_STRING", ""),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._rules!r})"


class MapAdapter:
    """A map bound to a server name, mount point and scheme (Werkzeug-style).

    Prefer :meth:`Map.match` and :meth:`Map.build` in new code; this class
    exists for code written against Werkzeug's ``url_map.bind(...)``. Redirect
    targets it raises are absolute URLs.
    """

    def __init__(
        self,
        map: Map,
        server_name: str,
        script_name: str,
        subdomain: str | None,
        url_scheme: str,
        path_info: str,
        default_method: str,
        query_args: QueryArgs = None,
        websocket: bool = False,
    ) -> None:
        self.map = map
        self.server_name = server_name
        if not script_name.endswith("/"):
            script_name += "/"
        self.script_name = script_name
        self.subdomain = subdomain
        self.url_scheme = url_scheme
        self.path_info = path_info
        self.default_method = default_method
        self.query_args = query_args
        self.websocket = websocket or url_scheme in ("ws", "wss")
        # Set by Map.match: redirect targets are paths, not absolute URLs.
        self._relative = False

    def get_host(self, domain_part: str | None) -> str:
        """The full host for a rule's domain part (a subdomain or a host)."""
        if self.map.host_matching:
            return self.server_name if domain_part is None else domain_part
        subdomain = self.subdomain if domain_part is None else domain_part
        if subdomain:
            return f"{subdomain}.{self.server_name}"
        return self.server_name

    def _url_root(self, domain_part: str | None = None) -> str:
        if self._relative:
            return self.script_name.rstrip("/")
        return (
            f"{self.url_scheme or 'http'}://{self.get_host(domain_part)}"
            f"{self.script_name.rstrip('/')}"
        )

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: QueryArgs = None,
        websocket: bool | None = None,
    ) -> tuple[t.Any, dict[str, t.Any]]:
        """Match a path; return ``(endpoint, values)`` or ``(rule, values)``.

        :raise NotFound, MethodNotAllowed, RequestRedirect: as :meth:`Map.match`.
        """
        if path_info is None:
            path_info = self.path_info
        if query_args is None:
            query_args = self.query_args
        if websocket is None:
            websocket = self.websocket
        domain = self.server_name
        if not self.map.host_matching and self.subdomain is not None:
            domain = self.subdomain
        method = (method or self.default_method).upper()
        if path_info[:1] != "/" or path_info[1:2] == "/":
            path_info = "/" + path_info.lstrip("/") if path_info else ""
        map = self.map
        try:
            rule, values = map._matcher.match(
                domain, path_info, method, websocket, map.merge_slashes
            )
        except (NeedsRedirect, NoMatch) as exc:
            raise map._no_match_error(exc, query_args, self) from None
        map._check_redirects(rule, values, method, query_args, self)
        return (rule if return_rule else rule.endpoint), values

    def test(self, path_info: str | None = None, method: str | None = None) -> bool:
        """Whether the path would match (a redirect counts as a match)."""
        try:
            self.match(path_info, method)
        except RequestRedirect:
            return True
        except (NotFound, MethodNotAllowed, BadRequest):
            return False
        return True

    def allowed_methods(self, path_info: str | None = None) -> list[str]:
        """The methods some rule allows for the path."""
        try:
            self.match(path_info, method="--")
        except MethodNotAllowed as exc:
            return list(exc.valid_methods or ())
        except (NotFound, RequestRedirect, BadRequest):
            pass
        return []

    def build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str:
        """Build a URL; see :meth:`Map.build`.

        :raise BuildError: when no rule fits.
        """
        return self.map.build(
            endpoint,
            values,
            method,
            script_name=self.script_name,
            url_scheme=self.url_scheme if url_scheme is None else url_scheme,
            host=self.server_name,
            subdomain=self.subdomain,
            force_external=force_external,
            append_unknown=append_unknown,
        )


def _clean_values(values: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
    if not values:
        return {}
    getlist = getattr(values, "getlist", None)
    if callable(getlist):
        # A multi-value mapping: one value stays scalar, several become a list.
        cleaned: dict[str, t.Any] = {}
        for key in values:
            items = getlist(key)
            if items:
                cleaned[key] = items[0] if len(items) == 1 else list(items)
        return cleaned
    return {key: value for key, value in values.items() if value is not None}


def _with_query(url: str, query_args: QueryArgs) -> str:
    if not query_args:
        return url
    if isinstance(query_args, str):
        return f"{url}?{query_args}"
    items: list[tuple[str, t.Any]] = []
    for key, value in query_args.items():
        if isinstance(value, list | tuple):
            items.extend((key, item) for item in value if item is not None)
        elif value is not None:
            items.append((key, value))
    return f"{url}?{urlencode(items, safe=QUERY_SAFE)}" if items else url


def _strip_default_port(host: str, scheme: str) -> str:
    if scheme in ("http", "ws") and host.endswith(":80"):
        return host[:-3]
    if scheme in ("https", "wss") and host.endswith(":443"):
        return host[:-4]
    return host


def _environ_host(environ: t.Mapping[str, t.Any], scheme: str) -> str:
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = environ.get("SERVER_PORT")
        if port:
            host = f"{host}:{port}"
    return _strip_default_port(str(host).lower(), scheme)


def _wsgi_text(value: str) -> str:
    # SPEC: PEP 3333 carries bytes as latin-1 text; URLs are UTF-8.
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value
