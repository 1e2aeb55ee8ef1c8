"""Converters: argument parsing, regexes, to_python/to_url, custom converters."""

from __future__ import annotations

import typing as t
import uuid

import pytest

from kolba.exceptions import NotFound
from kolba.routing import (
    BaseConverter,
    Map,
    Rule,
    ValidationError,
    parse_converter_args,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ((), {})),
        ("1, 2.5", ((1, 2.5), {})),
        ("min=1, signed=True", ((), {"min": 1, "signed": True})),
        ('about, help, "x y"', (("about", "help", "x y"), {})),
        ("'True', None", (("True", None), {})),
        ("length=2", ((), {"length": 2})),
    ],
)
def test_parse_converter_args(
    text: str, expected: tuple[tuple[t.Any, ...], dict[str, t.Any]]
) -> None:
    assert parse_converter_args(text) == expected


@pytest.mark.parametrize("text", ["a b", "x=", "=1", "'open"])
def test_parse_converter_args_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_converter_args(text)


def _match(url_map: Map, path: str) -> tuple[t.Any, dict[str, t.Any]]:
    rule, values = url_map.match("GET", path)
    return rule.endpoint, values


def test_int_converter_bounds_and_sign() -> None:
    rules = Map([Rule("/n/<int(min=1, max=10, signed=True):n>", endpoint="n")])
    assert _match(rules, "/n/5") == ("n", {"n": 5})
    for bad in ("/n/0", "/n/11", "/n/-3", "/n/x", "/n/1.5"):
        with pytest.raises(NotFound):
            _match(rules, bad)


def test_int_converter_fixed_digits() -> None:
    rule = Rule("/y/<int(fixed_digits=4):year>", endpoint="y")
    url_map = Map([rule])
    assert url_map.match("GET", "/y/0042")[1] == {"year": 42}
    assert url_map.build("y", {"year": 42}) == "/y/0042"


def test_float_uuid_any_path_string() -> None:
    ident = uuid.uuid4()
    rules = Map(
        [
            Rule("/f/<float:x>", endpoint="f"),
            Rule("/u/<uuid:ident>", endpoint="u"),
            Rule("/a/<any(about, help, 'x y'):page>", endpoint="a"),
            Rule("/p/<path:rest>", endpoint="p"),
            Rule("/s/<string(length=2):code>", endpoint="s"),
            Rule("/m/<string(minlength=2, maxlength=3):code>", endpoint="m"),
        ]
    )
    assert _match(rules, "/f/1.5") == ("f", {"x": 1.5})
    assert _match(rules, f"/u/{ident}") == ("u", {"ident": ident})
    assert _match(rules, "/a/help") == ("a", {"page": "help"})
    assert _match(rules, "/a/x y") == ("a", {"page": "x y"})
    assert _match(rules, "/p/a/b/c.txt") == ("p", {"rest": "a/b/c.txt"})
    assert _match(rules, "/s/en") == ("s", {"code": "en"})
    assert _match(rules, "/m/abc") == ("m", {"code": "abc"})
    for bad in ("/f/1", "/u/nope", "/a/other", "/s/eng", "/m/a", "/m/abcd"):
        with pytest.raises(NotFound):
            _match(rules, bad)


def test_any_converter_rejects_unknown_value_when_building() -> None:
    url_map = Map([Rule("/a/<any(about, help):page>", endpoint="a")])
    assert url_map.build("a", {"page": "about"}) == "/a/about"
    with pytest.raises(ValueError, match="not one of"):
        url_map.build("a", {"page": "other"})


class ListConverter(BaseConverter):
    """The Flask docs' example: comma-separated values."""

    def to_python(self, value: str) -> list[str]:
        return value.split(",")

    def to_url(self, value: t.Any) -> str:
        return ",".join(BaseConverter.to_url(self, item) for item in value)


def test_custom_converter_round_trip_without_double_quoting() -> None:
    url_map = Map()
    url_map.converters["list"] = ListConverter
    url_map.add(Rule("/tags/<list:tags>", endpoint="tags"))
    assert url_map.match("GET", "/tags/a,b")[1] == {"tags": ["a", "b"]}
    assert url_map.build("tags", {"tags": ["a", "b"]}) == "/tags/a,b"
    assert url_map.build("tags", {"tags": ["a b", "c"]}) == "/tags/a%20b,c"


def test_part_isolating_is_inferred_from_regex() -> None:
    class Slashy(BaseConverter):
        regex = "[a-z/]+"

    class Plain(BaseConverter):
        regex = "[a-z]+"

    assert Slashy.part_isolating is False
    assert Plain.part_isolating is True
    url_map = Map(converters={"slashy": Slashy})
    url_map.add(Rule("/s/<slashy:p>/end", endpoint="s"))
    assert url_map.match("GET", "/s/a/b/end")[1] == {"p": "a/b"}


def test_validation_error_falls_through_to_next_candidate() -> None:
    class Even(BaseConverter):
        regex = r"\d+"
        weight = 10

        def to_python(self, value: str) -> int:
            if int(value) % 2:
                raise ValidationError()
            return int(value)

    url_map = Map(converters={"even": Even})
    url_map.add(Rule("/n/<even:n>", endpoint="even"))
    url_map.add(Rule("/n/<int:n>", endpoint="int"))
    url_map.add(Rule("/n/<name>", endpoint="name"))
    assert url_map.match("GET", "/n/4")[0].endpoint == "even"
    assert url_map.match("GET", "/n/3")[0].endpoint == "int"
    assert url_map.match("GET", "/n/x")[0].endpoint == "name"


def test_converter_receives_map_and_arguments() -> None:
    seen: list[t.Any] = []

    class Recording(BaseConverter):
        def __init__(self, map: Map, *args: t.Any, **kwargs: t.Any) -> None:
            super().__init__(map)
            seen.append((map, args, kwargs))

    url_map = Map(converters={"rec": Recording})
    url_map.add(Rule("/<rec(1, 'two', flag=False):x>", endpoint="x"))
    assert seen == [(url_map, (1, "two"), {"flag": False})]
