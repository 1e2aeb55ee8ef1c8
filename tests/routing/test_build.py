"""Building URLs: rule choice, quoting, query strings, errors; vs Werkzeug."""

from __future__ import annotations

import typing as t
import uuid
from urllib.parse import unquote

import pytest
from werkzeug import routing as wz

from kolba.routing import BuildError, Map, Rule

SPECS: list[tuple[str, dict[str, t.Any]]] = [
    ("/", {"endpoint": "index"}),
    ("/post/<int:post_id>", {"endpoint": "show_post"}),
    ("/user/<name>", {"endpoint": "user"}),
    ("/files/<path:p>", {"endpoint": "files"}),
    ("/all/", {"endpoint": "all", "defaults": {"page": 1}}),
    ("/all/page/<int:page>", {"endpoint": "all"}),
    ("/form", {"endpoint": "form", "methods": ["POST"]}),
    ("/form/view", {"endpoint": "form", "methods": ["GET"]}),
    ("/v/<float:x>", {"endpoint": "float"}),
    ("/y/<int(fixed_digits=4):year>", {"endpoint": "year"}),
    ("/u/<uuid:ident>", {"endpoint": "uuid"}),
    ("/a b/<name>", {"endpoint": "spacey"}),
    ("/static/<path:filename>", {"endpoint": "static", "build_only": True}),
    ("/sub", {"endpoint": "sub", "subdomain": "api"}),
    ("/ws", {"endpoint": "ws", "websocket": True}),
    ("/kind/<any(cat, dog):kind>", {"endpoint": "kind"}),
    ("/two/<a>/<int:b>", {"endpoint": "two"}),
    ("/two/<a>", {"endpoint": "two"}),
]

IDENT = uuid.UUID("12345678-1234-5678-1234-567812345678")

CASES: list[tuple[str, dict[str, t.Any], str | None, dict[str, t.Any]]] = [
    ("index", {}, None, {}),
    ("index", {"q": "a b", "n": 1}, None, {}),
    ("index", {"tag": ["x", "y"], "none": None}, None, {}),
    ("index", {"z": "ü&=?#/"}, None, {}),
    ("show_post", {"post_id": 42}, None, {}),
    ("show_post", {"post_id": 42, "next": "/a?b=c"}, None, {}),
    ("user", {"name": "zoë/../x y?#%"}, None, {}),
    ("user", {"name": "!$&'()*+,;=:@"}, None, {}),
    ("files", {"p": "a/b c/d.txt"}, None, {}),
    ("all", {}, None, {}),
    ("all", {"page": 1}, None, {}),
    ("all", {"page": 2}, None, {}),
    ("all", {"page": 2, "q": 1}, None, {}),
    ("form", {}, None, {}),
    ("form", {}, "POST", {}),
    ("form", {}, "GET", {}),
    ("float", {"x": 1.5}, None, {}),
    ("year", {"year": 7}, None, {}),
    ("uuid", {"ident": IDENT}, None, {}),
    ("spacey", {"name": "n"}, None, {}),
    ("static", {"filename": "css/site.css"}, None, {}),
    ("sub", {}, None, {}),
    ("ws", {}, None, {}),
    ("kind", {"kind": "cat"}, None, {}),
    ("two", {"a": "x"}, None, {}),
    ("two", {"a": "x", "b": 3}, None, {}),
    ("index", {}, None, {"force_external": True}),
    ("user", {"name": "n", "q": "1"}, None, {"append_unknown": False}),
    ("index", {}, None, {"url_scheme": "https", "force_external": True}),
]


@pytest.mark.parametrize(("endpoint", "values", "method", "options"), CASES)
@pytest.mark.parametrize("script_name", ["/", "/app/"])
def test_differential_build(
    endpoint: str,
    values: dict[str, t.Any],
    method: str | None,
    options: dict[str, t.Any],
    script_name: str,
) -> None:
    ours = Map([Rule(string, **opts) for string, opts in SPECS])
    theirs = wz.Map([wz.Rule(string, **opts) for string, opts in SPECS])
    expected = theirs.bind("example.com", script_name).build(
        endpoint, values, method, **options
    )
    adapter = ours.bind("example.com", script_name)
    assert adapter.build(endpoint, values, method, **options) == expected


@pytest.mark.parametrize(
    ("endpoint", "values", "method"),
    [
        ("nope", {}, None),
        ("show_post", {}, None),
        ("show_post", {"post_id": "x"}, None),
        ("form", {}, "PUT"),
    ],
)
def test_build_errors_agree_with_werkzeug(
    endpoint: str, values: dict[str, t.Any], method: str | None
) -> None:
    ours = Map([Rule(string, **opts) for string, opts in SPECS])
    theirs = wz.Map([wz.Rule(string, **opts) for string, opts in SPECS])
    adapter = theirs.bind("example.com")
    try:
        adapter.build(endpoint, values, method)
    except wz.BuildError:
        expected: type[Exception] = BuildError
    except ValueError:
        expected = ValueError
    else:  # pragma: no cover
        pytest.fail("werkzeug built a URL")
    with pytest.raises(expected):
        ours.build(endpoint, values, method)


def test_build_error_is_a_lookup_error_with_a_suggestion() -> None:
    url_map = Map([Rule("/post/<int:post_id>", endpoint="show_post")])
    with pytest.raises(LookupError) as info:
        url_map.build("show_pots", {"post_id": 1})
    error = info.value
    assert isinstance(error, BuildError)
    assert error.endpoint == "show_pots"
    assert "Did you mean 'show_post' instead?" in str(error)
    assert error.suggested is not None
    assert error.suggested.endpoint == "show_post"


def test_build_error_names_missing_values_and_methods() -> None:
    url_map = Map(
        [
            Rule("/post/<int:post_id>", endpoint="show_post"),
            Rule("/new", endpoint="new", methods=["POST"]),
        ]
    )
    with pytest.raises(BuildError, match=r"needs values for \['post_id'\]"):
        url_map.build("show_post", {"page": 2})
    with pytest.raises(BuildError, match=r"allows only \['POST'\]"):
        url_map.build("new", method="GET")


def test_build_sans_io_options() -> None:
    url_map = Map(
        [
            Rule("/", endpoint="index"),
            Rule("/sub", endpoint="sub", subdomain="api"),
        ]
    )
    assert url_map.build("index", script_name="/app/") == "/app/"
    assert url_map.build("index", {"b": 2, "a": 1}) == "/?b=2&a=1"
    assert (
        url_map.build("index", force_external=True, host="example.com")
        == "http://example.com/"
    )
    assert url_map.build("sub", host="example.com") == "http://api.example.com/sub"
    assert url_map.build("sub", host="example.com", subdomain="api") == "/sub"
    assert url_map.build("index", anchor="sec 1/ü") == "/#sec%201/%C3%BC"


def test_sort_parameters() -> None:
    url_map = Map([Rule("/", endpoint="index")], sort_parameters=True)
    assert url_map.build("index", {"b": 2, "a": 1, "c": [3, 0]}) == "/?a=1&b=2&c=0&c=3"


def test_host_matching_build() -> None:
    url_map = Map(
        [
            Rule("/", endpoint="main", host="example.com"),
            Rule("/u/<int:id>", endpoint="user", host="<sub>.example.com"),
        ],
        host_matching=True,
    )
    assert url_map.build("main", host="example.com") == "/"
    assert url_map.build("main", host="other.org") == "http://example.com/"
    assert (
        url_map.build("user", {"sub": "api", "id": 3}, host="example.com")
        == "http://api.example.com/u/3"
    )


def test_multidict_like_values() -> None:
    class FakeMultiDict(dict[str, list[t.Any]]):
        def getlist(self, key: str) -> list[t.Any]:
            return self[key]

    url_map = Map([Rule("/<name>", endpoint="n")])
    values = FakeMultiDict(name=["x"], tag=["a", "b"], empty=[])
    assert url_map.build("n", values) == "/x?tag=a&tag=b"


def test_round_trip_build_then_match() -> None:
    url_map = Map([Rule(string, **opts) for string, opts in SPECS])
    cases: list[tuple[str, dict[str, t.Any]]] = [
        ("show_post", {"post_id": 9}),
        ("user", {"name": "zoë"}),
        ("year", {"year": 12}),
        ("uuid", {"ident": IDENT}),
        ("two", {"a": "q", "b": 1}),
    ]
    for endpoint, values in cases:
        path = unquote(url_map.build(endpoint, values))
        rule, matched = url_map.match("GET", path)
        assert (rule.endpoint, matched) == (endpoint, values)
