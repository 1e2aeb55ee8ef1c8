"""Rules: parsing a rule string into matchable parts and a precompiled builder.

How this file works
-------------------
A rule string such as ``/post/<int:post_id>/edit`` is tokenised once, when the rule
is added to a map (:meth:`Rule.bind`). From the tokens come two products:

* **Parts** for the matcher (:mod:`.matcher`): one per ``/``-separated segment,
  preceded by one part for the domain (host or subdomain, ``""`` when unused). A
  part is *static* (plain text, looked up in a dict) or *dynamic* (a compiled
  regex with one named group per variable). Once a converter that is not
  ``part_isolating`` (``path``) appears, the rest of the rule becomes one *final*
  part matched against the rest of the path.
* **Build ops** for :meth:`Rule.build`: a list whose items are either literal text,
  already percent-encoded, or ``(name, to_url)`` slots. Building is a join; no
  regex runs at build time.

Invariants: ``arguments`` is the set of variable names plus the keys of
``defaults``; ``_slots`` lists ``(name, to_python)`` in the order the matcher
captures values (domain first, then path, left to right).
"""

from __future__ import annotations

import re
import typing as t
from urllib.parse import urlencode

from .converters import PATH_SAFE, BaseConverter, ValidationError, quote_path

if t.TYPE_CHECKING:
    from .map import Map

#: Characters left unquoted in a query string built from unknown values.
QUERY_SAFE = "!$'()*,/:;?@"

_VARIABLE_RE = re.compile(
    r"(?:(?P<converter>[A-Za-z_]\w*)(?:\((?P<args>.*)\))?:)?"
    r"(?P<name>[A-Za-z_]\w*)\Z",
    re.DOTALL,
)
_ARGUMENT_RE = re.compile(
    r"""\s*(?:(?P<key>[A-Za-z_]\w*)\s*=\s*)?
    (?P<value>"[^"]*"|'[^']*'|[^\s,"'=]+)
    \s*(?:,|\Z)""",
    re.VERBOSE,
)
_PLACEHOLDER_RE = re.compile(r"<([^>]+)>")
_CONSTANTS: dict[str, t.Any] = {"None": None, "True": True, "False": False}

# A part's sort key: (-number of static pieces, their (index, -length) pairs,
# -number of converters, the converters' weights). Lower sorts first, so text-rich,
# argument-rich, low-weight (more specific) alternatives are tried first.
Weight = tuple[int, tuple[tuple[int, int], ...], int, tuple[float, ...]]


def parse_converter_args(text: str) -> tuple[tuple[t.Any, ...], dict[str, t.Any]]:
    """Parse ``1, x=2.5, "a b", flag=True`` into positional and keyword values.

    Bare words are ints, floats, ``True``/``False``/``None`` when they read as
    such, otherwise strings; quoted words are always strings.

    :raise ValueError: when part of the text is not an argument.
    """
    args: list[t.Any] = []
    kwargs: dict[str, t.Any] = {}
    pos = 0
    end = len(text)
    if not text.strip():
        return (), {}
    while pos < end:
        match = _ARGUMENT_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"cannot parse converter argument {text[pos:]!r}")
        raw = match.group("value")
        value: t.Any
        if raw[0] in "\"'":
            value = raw[1:-1]
        elif raw in _CONSTANTS:
            value = _CONSTANTS[raw]
        else:
            value = raw
            for number in (int, float):
                try:
                    value = number(raw)
                    break
                except ValueError:
                    pass
        key = match.group("key")
        if key is None:
            if kwargs:
                raise ValueError("positional argument follows keyword argument")
            args.append(value)
        else:
            kwargs[key] = value
        pos = match.end()
    return tuple(args), kwargs


class _Token(t.NamedTuple):
    kind: int  # _SLASH, _TEXT or _VARIABLE
    text: str  # the static text, or the variable name
    converter: BaseConverter | None


_SLASH, _TEXT, _VARIABLE = 0, 1, 2


class Part:
    """One step of a rule in the matcher: a path segment, or the domain.

    :internal:
    """

    __slots__ = (
        "static",
        "content",
        "pattern",
        "names",
        "plain_groups",
        "final",
        "suffixed",
        "any_segment",
        "digits_segment",
        "weight",
        "key",
    )

    def __init__(
        self,
        content: str,
        *,
        static: bool,
        names: tuple[str, ...] = (),
        final: bool = False,
        suffixed: bool = False,
        weight: Weight = (0, (), 0, ()),
        any_segment: bool = False,
    ) -> None:
        self.static = static
        self.content = content
        self.names = names
        self.final = final
        self.suffixed = suffixed
        self.weight = weight
        self.any_segment = any_segment
        # PERF: "<int:x>" alone in a segment is the regex \d+, which is
        # exactly str.isdecimal(); skip the regex engine for it.
        self.digits_segment = (
            not static
            and not final
            and len(names) == 1
            and content == f"(?P<{names[0]}>\\d+)\\Z"
        )
        self.pattern: re.Pattern[str] | None = None
        self.plain_groups = False
        if not static:
            self.pattern = re.compile(content)
            # PERF: when the only groups are ours, Match.groups() beats
            # looking each group up by name.
            self.plain_groups = self.pattern.groups == len(names)
        self.key = (content, static, final, suffixed, weight)


def _compile_parts(tokens: list[_Token], slot_index: list[int]) -> list[Part]:
    """Group tokens into matcher parts (see the module docstring)."""
    parts: list[Part] = []
    content = ""
    static = True
    static_weights: list[tuple[int, int]] = []
    argument_weights: list[float] = []
    names: list[str] = []
    final = False
    simple = True

    def finish(suffixed: bool = False) -> Part:
        weight: Weight = (
            -len(static_weights),
            tuple(static_weights),
            -len(argument_weights),
            tuple(argument_weights),
        )
        if static:
            return Part(content, static=True, weight=weight)
        return Part(
            content + r"\Z",
            static=False,
            names=tuple(names),
            final=final,
            suffixed=suffixed,
            weight=weight,
            any_segment=simple and len(names) == 1 and not static_weights,
        )

    for token in tokens:
        if token.kind == _TEXT:
            static_weights.append((len(static_weights), -len(token.text)))
            content += token.text if static else re.escape(token.text)
        elif token.kind == _VARIABLE:
            converter = token.converter
            assert converter is not None  # a _VARIABLE token always carries one
            if static:
                content = re.escape(content)
                static = False
            if not converter.part_isolating:
                final = True
            group = f"_k{slot_index[0]}"
            slot_index[0] += 1
            names.append(group)
            # PERF: a lone "[^/]+"-like slot only needs a non-empty check.
            simple = simple and converter.regex in ("[^/]+", "[^/]{1,}")
            content += f"(?P<{group}>{converter.regex})"
            argument_weights.append(converter.weight)
        elif final:
            content += "/"
        else:
            parts.append(finish())
            content, static, final, simple = "", True, False, True
            static_weights, argument_weights, names = [], [], []

    if final and content.endswith("/"):
        # A trailing slash after a slash-matching converter: capture it apart so
        # that "/<path:p>/" can redirect ".../x" to ".../x/" like any branch rule.
        content = content[:-1] + "(?<!/)(?P<_ks>/?)"
        parts.append(finish(suffixed=True))
        parts.append(Part("", static=True, weight=parts[-1].weight))
    else:
        parts.append(finish())
    return parts


class Rule:
    """One URL pattern and what it maps to.

    Rule strings are paths with ``<converter(arguments):name>`` slots; the
    converter and its arguments are optional (``<name>`` accepts one segment).
    A rule ending in ``/`` is a *branch*: with strict slashes, a request without
    the slash is redirected to it. Only the rule string is positional.

    :param string: the rule, starting with ``/``.
    :param endpoint: what the match returns; usually the view's name.
    :param methods: the HTTP methods allowed, or ``None`` for any. ``HEAD`` is
        added when ``GET`` is present.
    :param defaults: values for the view that the URL does not carry. Another
        rule for the same endpoint that carries them in the URL then redirects
        here when they equal these defaults.
    :param strict_slashes: override :attr:`Map.strict_slashes` for this rule.
    :param merge_slashes: override :attr:`Map.merge_slashes` for this rule.
    :param redirect_to: a target with ``<name>`` placeholders, or a callable
        ``(adapter, **values) -> str``; matching the rule redirects there.
    :param host: the host pattern, used when the map has ``host_matching``.
    :param subdomain: the subdomain pattern; defaults to the map's
        ``default_subdomain``.
    :param build_only: never match; only build URLs (for example for files served
        by another server).
    :param alias: this rule is another URL for a rule with the same endpoint and
        arguments; matching it redirects to the canonical one.
    :param websocket: match only WebSocket requests.
    """

    map: Map | None

    def __init__(
        self,
        string: str,
        *,
        endpoint: t.Any = None,
        methods: t.Iterable[str] | None = None,
        defaults: t.Mapping[str, t.Any] | None = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        redirect_to: str | t.Callable[..., str] | None = None,
        host: str | None = None,
        subdomain: str | None = None,
        build_only: bool = False,
        alias: bool = False,
        websocket: bool = False,
    ) -> None:
        if not isinstance(string, str) or not string.startswith("/"):
            raise ValueError(
                f"URL rule {string!r} must start with a slash: write "
                f"'/{string if isinstance(string, str) else ''}'."
            )
        self.rule = string
        self.is_leaf = not string.endswith("/")
        self.is_branch = string.endswith("/")
        self.endpoint: t.Any = endpoint
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.redirect_to = redirect_to
        self.host = host
        self.subdomain = subdomain
        self.build_only = build_only
        self.alias = alias
        self.websocket = websocket
        self.defaults: dict[str, t.Any] | None = dict(defaults) if defaults else None
        #: Whether the app answers ``OPTIONS`` for this rule itself (set by the app).
        self.provide_automatic_options = False

        if methods is None:
            self.methods: set[str] | None = None
        else:
            if isinstance(methods, str):
                raise TypeError(
                    f"Rule {string!r}: 'methods' must be a list of strings such as "
                    f"['GET', 'POST'], not the string {methods!r}."
                )
            method_set = {method.upper() for method in methods}
            if "GET" in method_set:
                method_set.add("HEAD")
            if websocket and method_set - {"GET", "HEAD", "OPTIONS"}:
                raise ValueError(
                    f"WebSocket rule {string!r} can only use the GET, HEAD and "
                    f"OPTIONS methods, not {sorted(method_set)!r}."
                )
            self.methods = method_set

        self.arguments: set[str] = set(self.defaults or ())
        self.map = None
        self._converters: dict[str, BaseConverter] = {}
        self._slots: list[tuple[str, t.Callable[[str], t.Any] | None]] = []
        self._parts: list[Part] = []
        self._static_path: str | None = None
        self._domain_ops: list[str | tuple[str, t.Callable[[t.Any], str]]] = []
        self._path_ops: list[str | tuple[str, t.Callable[[t.Any], str]]] = []

    # -- setup ---------------------------------------------------------------

    def empty(self) -> Rule:
        """Return an unbound copy of this rule, to add to another map."""
        return type(self)(self.rule, **self.get_empty_kwargs())

    def get_empty_kwargs(self) -> dict[str, t.Any]:
        """The keyword arguments :meth:`empty` passes to the new rule."""
        return {
            "defaults": dict(self.defaults) if self.defaults else None,
            "subdomain": self.subdomain,
            "methods": self.methods,
            "build_only": self.build_only,
            "endpoint": self.endpoint,
            "strict_slashes": self.strict_slashes,
            "redirect_to": self.redirect_to,
            "alias": self.alias,
            "host": self.host,
            "websocket": self.websocket,
            "merge_slashes": self.merge_slashes,
        }

    def get_converter(
        self,
        variable_name: str,
        converter_name: str,
        args: tuple[t.Any, ...],
        kwargs: t.Mapping[str, t.Any],
    ) -> BaseConverter:
        """Create the converter for one slot; override to customise lookup."""
        assert self.map is not None  # only called from bind()
        converters = self.map.converters
        if converter_name not in converters:
            known = ", ".join(sorted(converters))
            raise ValueError(
                f"URL rule {self.rule!r} uses the converter {converter_name!r} "
                f"for {variable_name!r}, which is not registered. Known "
                f"converters: {known}. Register it on app.url_map.converters "
                "before adding the route."
            )
        try:
            return converters[converter_name](self.map, *args, **kwargs)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"URL rule {self.rule!r}: the converter {converter_name!r} for "
                f"{variable_name!r} rejected its arguments ({exc}). Check the "
                "arguments written between the parentheses."
            ) from exc

    def bind(self, map: Map, rebind: bool = False) -> None:
        """Attach the rule to ``map`` and compile it. Called by :meth:`Map.add`.

        :raise RuntimeError: if the rule already belongs to a map.
        :raise ValueError: if the rule string is malformed.
        """
        if self.map is not None and not rebind:
            raise RuntimeError(
                f"URL rule {self.rule!r} is already in a map. Use rule.empty() to "
                "get an unbound copy for another map."
            )
        self.map = map
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        if self.merge_slashes is None:
            self.merge_slashes = map.merge_slashes
        if self.subdomain is None:
            self.subdomain = map.default_subdomain
        self.compile()

    def refresh(self) -> None:
        """Recompile after changing the rule's attributes in place."""
        assert self.map is not None, "rule not bound"
        self.bind(self.map, rebind=True)

    def compile(self) -> None:
        """Build the matcher parts and the build ops from the rule string."""
        assert self.map is not None, "rule not bound"
        self._converters = {}
        self.arguments = set(self.defaults or ())
        domain = (self.host if self.map.host_matching else self.subdomain) or ""
        rule = self.rule
        if self.merge_slashes:
            rule = re.sub("/{2,}", "/", rule)
        domain_tokens = self._tokenize(domain) if domain else []
        path_tokens = self._tokenize(rule)

        slot_index = [0]
        if domain_tokens:
            self._parts = _compile_parts(domain_tokens, slot_index)
        else:
            self._parts = [Part("", static=True)]
        slot_index = [0]
        self._parts.extend(_compile_parts(path_tokens, slot_index))

        self._slots = []
        for name, converter in self._converters.items():
            to_python = converter.to_python
            # PERF: skip the call for converters that return the text unchanged.
            if type(converter).to_python is BaseConverter.to_python:
                self._slots.append((name, None))
            else:
                self._slots.append((name, to_python))

        self._static_path = None
        if all(token.kind != _VARIABLE for token in domain_tokens + path_tokens):
            self._static_path = rule
        self._domain_ops = self._build_ops(domain_tokens)
        self._path_ops = self._build_ops(path_tokens)

    def _tokenize(self, string: str) -> list[_Token]:
        tokens: list[_Token] = []
        pos = 0
        end = len(string)
        while pos < end:
            char = string[pos]
            if char == "/":
                tokens.append(_Token(_SLASH, "/", None))
                pos += 1
                continue
            if char != "<":
                stop = end
                for delimiter in "/<":
                    found = string.find(delimiter, pos)
                    if found != -1 and found < stop:
                        stop = found
                tokens.append(_Token(_TEXT, string[pos:stop], None))
                pos = stop
                continue
            close = string.find(">", pos)
            if close == -1:
                raise ValueError(
                    f"URL rule {self.rule!r} has an unclosed '<' at position {pos} "
                    f"in {string!r}. Close the variable as in '<name>' or "
                    "'<int:name>'."
                )
            match = _VARIABLE_RE.match(string, pos + 1, close)
            if match is None:
                raise ValueError(
                    f"URL rule {self.rule!r} has a malformed variable "
                    f"{string[pos : close + 1]!r}. Write '<name>', "
                    "'<converter:name>' or '<converter(arguments):name>', where "
                    "names are Python identifiers."
                )
            name = match.group("name")
            if name in self._converters:
                raise ValueError(
                    f"URL rule {self.rule!r} uses the variable name {name!r} more "
                    "than once. Give each variable a distinct name."
                )
            try:
                args, kwargs = parse_converter_args(match.group("args") or "")
            except ValueError as exc:
                raise ValueError(
                    f"URL rule {self.rule!r}: {exc} in {string[pos : close + 1]!r}. "
                    "Arguments are comma-separated Python literals or quoted "
                    "strings, as in '<int(min=1, signed=True):id>'."
                ) from None
            converter = self.get_converter(
                name, match.group("converter") or "default", args, kwargs
            )
            self._converters[name] = converter
            self.arguments.add(name)
            tokens.append(_Token(_VARIABLE, name, converter))
            pos = close + 1
        return tokens

    def _build_ops(
        self, tokens: list[_Token]
    ) -> list[str | tuple[str, t.Callable[[t.Any], str]]]:
        defaults = self.defaults or {}
        ops: list[str | tuple[str, t.Callable[[t.Any], str]]] = []
        for token in tokens:
            if token.kind == _VARIABLE:
                assert token.converter is not None  # see _Token
                if token.text in defaults:
                    # A default for a variable in the URL is a constant for building.
                    text = token.converter.to_url(defaults[token.text])
                else:
                    ops.append((token.text, token.converter.to_url))
                    continue
            else:
                text = quote_path(token.text)
            if ops and isinstance(ops[-1], str):
                ops[-1] += text
            else:
                ops.append(text)
        return ops

    # -- matching helpers ------------------------------------------------------

    def _convert(self, raw: t.Sequence[str]) -> dict[str, t.Any] | None:
        """Run the slots' ``to_python``; ``None`` when one rejects its value."""
        result: dict[str, t.Any] = {}
        for (name, to_python), text in zip(self._slots, raw, strict=False):
            if to_python is None:
                result[name] = text
            else:
                try:
                    result[name] = to_python(text)
                except ValidationError:
                    return None
        if self.defaults:
            result.update(self.defaults)
        return result

    # -- building --------------------------------------------------------------

    def suitable_for(
        self, values: t.Mapping[str, t.Any], method: str | None = None
    ) -> bool:
        """Whether this rule can build a URL from ``values`` for ``method``."""
        methods = self.methods
        if method is not None and methods is not None and method not in methods:
            return False
        defaults = self.defaults or {}
        for key in self.arguments:
            if key not in defaults and key not in values:
                return False
        for key, value in defaults.items():
            if key in values and value != values[key]:
                return False
        return True

    def provides_defaults_for(self, rule: Rule) -> bool:
        """Whether this rule is the canonical, defaults-carrying twin of ``rule``."""
        return bool(
            not self.build_only
            and self.defaults
            and self.endpoint == rule.endpoint
            and self is not rule
            and self.arguments == rule.arguments
        )

    def build_compare_key(self) -> tuple[int, int, int]:
        """Sort key among rules of one endpoint: which to try first when building."""
        return (1 if self.alias else 0, -len(self.arguments), -len(self.defaults or ()))

    def build(
        self, values: t.Mapping[str, t.Any], append_unknown: bool = True
    ) -> tuple[str, str] | None:
        """Return ``(domain, path_and_query)`` for ``values``, or ``None``.

        ``None`` means a converter raised :class:`ValidationError`. Values not
        used by the rule become the query string when ``append_unknown``.
        """
        try:
            domain = _render(self._domain_ops, values)
            path = _render(self._path_ops, values)
        except ValidationError:
            return None
        if append_unknown and not self.arguments.issuperset(values):
            query = self._encode_query(values)
            if query:
                path = f"{path}?{query}"
        return domain, path

    def _encode_query(self, values: t.Mapping[str, t.Any]) -> str:
        arguments = self.arguments
        items: list[tuple[str, t.Any]] = []
        for key, value in values.items():
            if key in arguments:
                continue
            if isinstance(value, list | tuple | set):
                items.extend((key, item) for item in value if item is not None)
            elif value is not None:
                items.append((key, value))
        if not items:
            return ""
        assert self.map is not None  # build() is only reachable through a map
        if self.map.sort_parameters:
            items.sort(key=self.map.sort_key)
        return urlencode(items, safe=QUERY_SAFE)

    def _format_redirect(self, values: t.Mapping[str, t.Any]) -> str:
        assert isinstance(self.redirect_to, str)

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            converter = self._converters.get(name)
            if converter is None:
                return quote_path(str(values[name]))
            return converter.to_url(values[name])

        return _PLACEHOLDER_RE.sub(replace, self.redirect_to)

    # -- dunder ----------------------------------------------------------------

    def __str__(self) -> str:
        return self.rule

    def __repr__(self) -> str:
        methods = f" ({', '.join(sorted(self.methods))})" if self.methods else ""
        where = self.rule
        if self.map is not None:
            domain = self.host if self.map.host_matching else self.subdomain
            if domain:
                where = f"{domain}|{where}"
        return f"<{type(self).__name__} {where!r}{methods} -> {self.endpoint}>"


def _render(
    ops: list[str | tuple[str, t.Callable[[t.Any], str]]],
    values: t.Mapping[str, t.Any],
) -> str:
    if len(ops) == 1 and isinstance(ops[0], str):
        return ops[0]
    out: list[str] = []
    for op in ops:
        if isinstance(op, str):
            out.append(op)
        else:
            out.append(op[1](values[op[0]]))
    return "".join(out)


__all__ = ["PATH_SAFE", "Part", "Rule", "parse_converter_args"]
