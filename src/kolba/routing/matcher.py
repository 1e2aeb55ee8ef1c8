"""The matcher: from ``(domain, path, method)`` to a rule and its raw values.

How this file works
-------------------
Rules are stored twice.

1. **Static table.** A rule with no variables (in its path and its domain) sits in
   ``static[domain][path]``, a list in insertion order. Most requests are answered
   by these two dict lookups plus a method check: O(1) in the number of rules.
2. **Segment trie.** Every rule is also a path through a trie of :class:`Node`.
   The path ``/a/b`` is split on ``/`` into ``["", "a", "b"]`` and the domain is
   prepended, so each rule's parts (see :mod:`.rules`) are edges: static parts
   are dict keys of ``Node.static``; dynamic parts are a list ``Node.dynamic``,
   kept sorted by weight (identical parts of different rules share an edge).

A lookup first tries the static table. When that gives no rule for the method,
a depth-first search walks the trie: at each node the static child for the
next segment is tried first, then the dynamic edges in weight order (more
static text first, then more converters, then lower converter weight; ties keep
insertion order). A final edge (a ``path`` converter) matches the rest of the
path at once. The first rule reached whose method and values fit wins.

Cost: the static table is O(1). The search costs O(depth) dict lookups plus one
regex per dynamic edge tried at each visited node; it never scans rules that do
not share the prefix already matched, so it does not grow with the number of
routes elsewhere in the table. The worst case (many dynamic edges under one
node, each matching and then failing deeper) is bounded by the trie's size.

Invariants:

* The static table is a pure shortcut: for any input it returns the same rule
  the search would, because the search also explores all-static edges first and
  a node's rules are kept in insertion order.
* ``Node.dynamic`` is sorted by weight at all times (insertion uses bisect), so
  nothing is sorted lazily on the request path and rules may be added at any
  time from one thread while others match.
* Method and websocket mismatches never end the search; they are recorded so
  the caller can tell 405 from 404. A converter's ``ValidationError`` makes
  that rule a non-candidate, and the search goes on.
* A rule reached without its trailing slash (a branch rule, strict slashes)
  interrupts the search with :class:`SlashRequired`.
"""

from __future__ import annotations

import bisect
import re
import typing as t

if t.TYPE_CHECKING:
    from .rules import Part, Rule

_TRAILING: tuple[str, ...] = ("",)
_MANY_SLASHES = re.compile("/{2,}")

Match = tuple["Rule", dict[str, t.Any]]


class SlashRequired(Exception):
    """The path matches a branch rule once ``/`` is appended.

    :internal:
    """


class NeedsRedirect(Exception):
    """The canonical path differs from the requested one (slashes).

    :internal:
    """

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class NoMatch(Exception):
    """Nothing matched; ``have_match_for`` holds methods that would have.

    :internal:
    """

    def __init__(self, have_match_for: set[str], websocket_mismatch: bool) -> None:
        super().__init__()
        self.have_match_for = have_match_for
        self.websocket_mismatch = websocket_mismatch


class Node:
    """One state of the trie.

    :internal:
    """

    __slots__ = ("static", "dynamic", "weights", "rules")

    def __init__(self) -> None:
        self.static: dict[str, Node] = {}
        self.dynamic: list[tuple[Part, Node]] = []
        self.weights: list[t.Any] = []  # parallel to dynamic, for bisect
        self.rules: list[Rule] = []


class _Search:
    __slots__ = ("method", "websocket", "have_match_for", "websocket_mismatch")

    def __init__(self, method: str, websocket: bool) -> None:
        self.method = method
        self.websocket = websocket
        self.have_match_for: set[str] = set()
        self.websocket_mismatch = False

    def accept(self, rule: Rule, values: tuple[str, ...]) -> Match | None:
        methods = rule.methods
        if methods is not None and self.method not in methods:
            self.have_match_for.update(methods)
            return None
        if rule.websocket != self.websocket:
            self.websocket_mismatch = True
            return None
        converted = rule._convert(values)
        if converted is None:
            return None
        return rule, converted

    def at_end(self, node: Node, values: tuple[str, ...]) -> Match | None:
        for rule in node.rules:
            found = self.accept(rule, values)
            if found is not None:
                return found
        branch = node.static.get("")
        if branch is not None:
            method = self.method
            for rule in branch.rules:
                if rule.websocket != self.websocket or (
                    rule.methods is not None and method not in rule.methods
                ):
                    continue
                converted = rule._convert(values)
                if converted is None:
                    continue
                if rule.strict_slashes:
                    raise SlashRequired()
                return rule, converted
        return None

    def walk(
        self, node: Node, parts: t.Sequence[str], i: int, values: tuple[str, ...]
    ) -> Match | None:
        end = len(parts)
        # PERF: while a node has no dynamic edges there is nothing to back
        # track to, so descend through static children in a loop instead of
        # recursing (the domain, the leading "" and static prefixes).
        while i < end and not node.dynamic:
            child = node.static.get(parts[i])
            if child is None:
                if parts[i] == "" and i == end - 1:
                    break  # "/about/" may still match a non-strict "/about"
                return None
            node = child
            i += 1
        if i == end:
            return self.at_end(node, values)
        part = parts[i]
        child = node.static.get(part)
        if child is not None:
            found = self.walk(child, parts, i + 1, values)
            if found is not None:
                return found
        for edge, child in node.dynamic:
            if edge.digits_segment:
                if part.isdecimal():
                    found = self.walk(child, parts, i + 1, (*values, part))
                    if found is not None:
                        return found
                continue
            if edge.any_segment:
                # PERF: "[^/]+" on a single segment is just "non-empty".
                if part:
                    found = self.walk(child, parts, i + 1, (*values, part))
                    if found is not None:
                        return found
                continue
            target = "/".join(parts[i:]) if edge.final else part
            match = edge.pattern.match(target)  # type: ignore[union-attr]  # dynamic edges always have a pattern
            if match is None:
                continue
            if edge.plain_groups:
                groups: tuple[str, ...] = match.groups()
            else:
                groups = tuple(match.group(name) for name in edge.names)
            if not edge.final:
                found = self.walk(child, parts, i + 1, values + groups)
            elif edge.suffixed and match.group("_ks") == "/":
                found = self.walk(child, _TRAILING, 0, values + groups)
            else:
                found = self.walk(child, parts, end, values + groups)
            if found is not None:
                return found
        if part == "" and i == end - 1:
            # "/about/" may still match "/about" when that rule is not strict.
            for rule in node.rules:
                if not rule.strict_slashes:
                    found = self.accept(rule, values)
                    if found is not None:
                        return found
        return None


class Matcher:
    """The static table and the trie (see the module docstring).

    :internal:
    """

    def __init__(self) -> None:
        self.root = Node()
        self.static: dict[str, dict[str, list[Rule]]] = {}

    def add(self, rule: Rule) -> None:
        node = self.root
        for part in rule._parts:
            if part.static:
                child = node.static.get(part.content)
                if child is None:
                    child = node.static[part.content] = Node()
                node = child
                continue
            for edge, child in node.dynamic:
                if edge.key == part.key:
                    node = child
                    break
            else:
                child = Node()
                # insort_right keeps insertion order among equal weights.
                index = bisect.bisect_right(node.weights, part.weight)
                node.weights.insert(index, part.weight)
                node.dynamic.insert(index, (part, child))
                node = child
        node.rules.append(rule)
        if rule._static_path is not None:
            domain = rule._parts[0].content
            by_path = self.static.setdefault(domain, {})
            by_path.setdefault(rule._static_path, []).append(rule)

    def match(
        self,
        domain: str,
        path: str,
        method: str,
        websocket: bool = False,
        merge_slashes: bool = True,
    ) -> Match:
        """Find the rule for a request.

        :raise NeedsRedirect: the path lacks a trailing slash or has doubled ones.
        :raise NoMatch: nothing matched.
        """
        by_path = self.static.get(domain)
        if by_path is not None:
            rules = by_path.get(path)
            if rules is not None:
                for rule in rules:
                    methods = rule.methods
                    if (
                        methods is None or method in methods
                    ) and rule.websocket == websocket:
                        return rule, dict(rule.defaults) if rule.defaults else {}

        search = _Search(method, websocket)
        try:
            found = search.walk(self.root, [domain, *path.split("/")], 0, ())
        except SlashRequired:
            raise NeedsRedirect(path + "/") from None
        if found is not None:
            return found

        if merge_slashes and "//" in path:
            merged = _MANY_SLASHES.sub("/", path)
            try:
                found = search.walk(self.root, [domain, *merged.split("/")], 0, ())
            except SlashRequired:
                raise NeedsRedirect(merged + "/") from None
            if found is not None and found[0].merge_slashes:
                raise NeedsRedirect(merged)
        raise NoMatch(search.have_match_for, search.websocket_mismatch)
