"""Matching: priority, methods, slashes, defaults, redirects, hosts; vs Werkzeug."""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug import routing as wz

from kolba.exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestRedirect,
)
from kolba.routing import Map, Rule

RuleSpec = tuple[str, dict[str, t.Any]]

RULES: list[RuleSpec] = [
    ("/", {"endpoint": "index"}),
    ("/page/<int:id>", {"endpoint": "page_int"}),
    ("/page/<name>", {"endpoint": "page_name"}),
    ("/user/me", {"endpoint": "me"}),
    ("/user/<name>", {"endpoint": "user"}),
    ("/user/<name>/posts/<int:post_id>", {"endpoint": "user_post"}),
    ("/projects/", {"endpoint": "projects"}),
    ("/about", {"endpoint": "about"}),
    ("/loose", {"endpoint": "loose", "strict_slashes": False}),
    ("/a/b", {"endpoint": "ab"}),
    ("/keep//double", {"endpoint": "double", "merge_slashes": False}),
    ("/files/<path:p>", {"endpoint": "files"}),
    ("/files/<path:p>/edit", {"endpoint": "files_edit"}),
    ("/dir/<path:p>/", {"endpoint": "dir"}),
    ("/post", {"endpoint": "post_new", "methods": ["POST"]}),
    ("/post", {"endpoint": "post_list", "methods": ["GET"]}),
    ("/item/<int:id>", {"endpoint": "item_put", "methods": ["PUT", "DELETE"]}),
    ("/all/", {"endpoint": "all", "defaults": {"page": 1}}),
    ("/all/page/<int:page>", {"endpoint": "all"}),
    ("/f.<ext>", {"endpoint": "file_ext"}),
    ("/v<int:version>/api", {"endpoint": "versioned"}),
    ("/<lang>/docs", {"endpoint": "docs"}),
    ("/n/<int(signed=True):n>", {"endpoint": "signed"}),
    ("/x/<float:x>", {"endpoint": "float"}),
    ("/kind/<any(cat, dog):kind>", {"endpoint": "kind"}),
    ("/kind/<other>", {"endpoint": "kind_other"}),
    ("/old/<slug>", {"endpoint": "old", "redirect_to": "new/<slug>"}),
    ("/new/<slug>", {"endpoint": "new"}),
    ("/build-only", {"endpoint": "bo", "build_only": True}),
    ("/ünï/<name>", {"endpoint": "unicode"}),
]

PATHS = [
    "/",
    "",
    "/page/3",
    "/page/x",
    "/page/3/",
    "/user/me",
    "/user/bob",
    "/user/bob/posts/7",
    "/user/bob/posts/x",
    "/projects",
    "/projects/",
    "/about",
    "/about/",
    "/loose",
    "/loose/",
    "/a//b",
    "//a/b",
    "/a/b/",
    "/keep//double",
    "/keep/double",
    "/files/x",
    "/files/x/y/z",
    "/files/x/y/edit",
    "/files/",
    "/dir/a/b",
    "/dir/a/b/",
    "/post",
    "/item/3",
    "/item/x",
    "/all/",
    "/all",
    "/all/page/1",
    "/all/page/2",
    "/f.txt",
    "/f.",
    "/v2/api",
    "/en/docs",
    "/n/-4",
    "/n/4",
    "/x/1.5",
    "/x/1",
    "/kind/cat",
    "/kind/cow",
    "/old/hello",
    "/build-only",
    "/ünï/zoë",
    "/%41",
    "/page/..",
    "/../etc/passwd",
    "/nope",
    "/a" * 500,
]

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]


def _outcome(
    call: t.Callable[[], tuple[t.Any, t.Mapping[str, t.Any]]],
) -> tuple[t.Any, ...]:
    try:
        endpoint, values = call()
    except RequestRedirect as exc:
        return ("redirect", exc.new_url)
    except MethodNotAllowed as exc:
        return ("405", sorted(exc.valid_methods or ()))
    except NotFound:
        return ("404",)
    return ("match", endpoint, values)


def _werkzeug_outcome(adapter: wz.MapAdapter, path: str, method: str) -> t.Any:
    try:
        return _outcome(lambda: adapter.match(path, method))
    except wz.RequestRedirect as exc:
        return ("redirect", exc.new_url)
    except Exception as exc:  # werkzeug's own HTTP exceptions
        code = getattr(exc, "code", None)
        if code == 405:
            return ("405", sorted(exc.valid_methods))  # type: ignore[attr-defined]
        if code == 404:
            return ("404",)
        raise


@pytest.fixture(scope="module")
def maps() -> tuple[Map, wz.MapAdapter]:
    ours = Map([Rule(string, **options) for string, options in RULES])
    theirs = wz.Map([wz.Rule(string, **options) for string, options in RULES])
    return ours, theirs.bind("localhost")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", PATHS)
def test_differential_against_werkzeug(
    maps: tuple[Map, wz.MapAdapter], path: str, method: str
) -> None:
    ours, theirs = maps
    expected = _werkzeug_outcome(theirs, path, method)
    adapter = ours.bind("localhost")
    assert _outcome(lambda: adapter.match(path, method)) == expected
    # The sans-IO entry point gives the same answer, with path-only redirects.
    direct = _outcome(lambda: _endpoint(ours.match(method, path)))
    if expected[0] == "redirect":
        expected = ("redirect", expected[1].removeprefix("http://localhost"))
    assert direct == expected


def _endpoint(found: tuple[Rule, dict[str, t.Any]]) -> tuple[t.Any, dict[str, t.Any]]:
    return found[0].endpoint, found[1]


def test_static_beats_converter_and_int_beats_string() -> None:
    url_map = Map(
        [
            Rule("/user/<name>", endpoint="user"),
            Rule("/user/me", endpoint="me"),
            Rule("/page/<name>", endpoint="name"),
            Rule("/page/<int:id>", endpoint="int"),
        ]
    )
    assert url_map.match("GET", "/user/me")[0].endpoint == "me"
    assert url_map.match("GET", "/page/3")[0].endpoint == "int"
    assert url_map.match("GET", "/page/three")[0].endpoint == "name"


def test_method_not_allowed_lists_union_of_methods() -> None:
    url_map = Map(
        [
            Rule("/r", endpoint="a", methods=["POST"]),
            Rule("/r", endpoint="b", methods=["PUT"]),
        ]
    )
    with pytest.raises(MethodNotAllowed) as info:
        url_map.match("GET", "/r")
    assert info.value.valid_methods == ["POST", "PUT"]
    assert url_map.match("put", "/r")[0].endpoint == "b"


def test_head_added_with_get_and_repr() -> None:
    rule = Rule("/post/<int:post_id>", endpoint="show", methods=["get", "OPTIONS"])
    assert rule.methods == {"GET", "HEAD", "OPTIONS"}
    assert repr(rule) == "<Rule '/post/<int:post_id>' (GET, HEAD, OPTIONS) -> show>"
    assert rule.arguments == set()
    Map([rule])
    assert rule.arguments == {"post_id"}


def test_redirect_keeps_query_and_script_name() -> None:
    url_map = Map([Rule("/projects/", endpoint="p")])
    with pytest.raises(RequestRedirect) as info:
        url_map.match("GET", "/projects", query_args="a=1&b=2", script_name="/app/")
    assert info.value.new_url == "/app/projects/?a=1&b=2"


def test_redirect_target_is_quoted() -> None:
    url_map = Map([Rule("/<name>/", endpoint="p")])
    with pytest.raises(RequestRedirect) as info:
        url_map.match("GET", "/a b?ü")
    assert info.value.new_url == "/a%20b%3F%C3%BC/"


def test_strict_slashes_off_on_map() -> None:
    url_map = Map(
        [Rule("/branch/", endpoint="b"), Rule("/leaf", endpoint="l")],
        strict_slashes=False,
    )
    assert url_map.match("GET", "/branch")[0].endpoint == "b"
    assert url_map.match("GET", "/leaf/")[0].endpoint == "l"


def test_merge_slashes_only_when_the_merged_path_matches() -> None:
    url_map = Map([Rule("/a/b", endpoint="ab")])
    with pytest.raises(RequestRedirect) as info:
        url_map.match("GET", "/a//b")
    assert info.value.new_url == "/a/b"
    with pytest.raises(NotFound):
        url_map.match("GET", "/a//c")
    off = Map([Rule("/a/b", endpoint="ab")], merge_slashes=False)
    with pytest.raises(NotFound):
        off.match("GET", "/a//b")


def test_defaults_redirect_and_values() -> None:
    url_map = Map(
        [
            Rule("/page/", endpoint="page", defaults={"num": 1}),
            Rule("/page/<int:num>", endpoint="page"),
        ]
    )
    assert url_map.match("GET", "/page/")[1] == {"num": 1}
    assert url_map.match("GET", "/page/2")[1] == {"num": 2}
    with pytest.raises(RequestRedirect) as info:
        url_map.match("GET", "/page/1", query_args="q=x")
    assert info.value.new_url == "/page/?q=x"
    quiet = Map(
        [
            Rule("/page/", endpoint="page", defaults={"num": 1}),
            Rule("/page/<int:num>", endpoint="page"),
        ],
        redirect_defaults=False,
    )
    assert quiet.match("GET", "/page/1")[1] == {"num": 1}


def test_redirect_to_string_and_callable() -> None:
    def to_slug(adapter: t.Any, id: int) -> str:
        return f"/posts/slug-{id}"

    url_map = Map(
        [
            Rule("/old/<int:id>", endpoint="old", redirect_to="new/<id>"),
            Rule("/older/<int:id>", endpoint="older", redirect_to=to_slug),
            Rule("/away", endpoint="away", redirect_to="https://example.org/x"),
        ]
    )
    with pytest.raises(RequestRedirect) as info:
        url_map.match("GET", "/old/5", script_name="/app")
    assert info.value.new_url == "/app/new/5"
    with pytest.raises(RequestRedirect) as info:
        url_map.match("GET", "/older/5")
    assert info.value.new_url == "/posts/slug-5"
    with pytest.raises(RequestRedirect) as info:
        url_map.match("GET", "/away")
    assert info.value.new_url == "https://example.org/x"


def test_host_matching() -> None:
    url_map = Map(
        [
            Rule("/", endpoint="main", host="example.com"),
            Rule("/", endpoint="sub", host="<sub>.example.com"),
            Rule("/u/<int:id>", endpoint="user", host="<sub>.example.com"),
        ],
        host_matching=True,
    )
    assert url_map.match("GET", "/", host="example.com")[0].endpoint == "main"
    rule, values = url_map.match("GET", "/u/3", host="API.example.com")
    assert (rule.endpoint, values) == ("user", {"sub": "api", "id": 3})
    with pytest.raises(NotFound):
        url_map.match("GET", "/", host="other.org")


def test_subdomain_matching() -> None:
    url_map = Map(
        [
            Rule("/", endpoint="main"),
            Rule("/", endpoint="user_home", subdomain="<user>"),
            Rule("/static", endpoint="api_static", subdomain="api"),
        ],
        default_subdomain="www",
    )
    assert url_map.match("GET", "/")[0].endpoint == "main"
    assert url_map.match("GET", "/", subdomain="bob")[1] == {"user": "bob"}
    assert url_map.match("GET", "/static", subdomain="api")[0].endpoint == "api_static"
    adapter = url_map.bind_to_environ(
        {"HTTP_HOST": "bob.example.com", "PATH_INFO": "/", "REQUEST_METHOD": "GET"},
        server_name="example.com",
    )
    assert adapter.match() == ("user_home", {"user": "bob"})


def test_alias_redirects_to_canonical() -> None:
    url_map = Map(
        [
            Rule("/canonical/<int:id>", endpoint="c"),
            Rule("/alias/<int:id>", endpoint="c", alias=True),
        ]
    )
    with pytest.raises(RequestRedirect) as info:
        url_map.match("GET", "/alias/3")
    assert info.value.new_url == "/canonical/3"


def test_adapter_helpers() -> None:
    url_map = Map([Rule("/r", endpoint="r", methods=["POST"])])
    adapter = url_map.bind("Example.COM", "/app")
    assert adapter.test("/r", "POST") is True
    assert adapter.test("/nope") is False
    assert sorted(adapter.allowed_methods("/r")) == ["POST"]
    assert adapter.match("/r", "POST", return_rule=True)[0].endpoint == "r"


def test_iter_rules_in_insertion_order() -> None:
    rules = [
        Rule("/b", endpoint="x"),
        Rule("/a/<int:id>", endpoint="x"),
        Rule("/c", endpoint="y"),
    ]
    url_map = Map(rules)
    assert list(url_map.iter_rules()) == rules
    assert list(url_map.iter_rules("x")) == rules[:2]
    assert url_map.rules_for("y") == rules[2:]
    assert url_map.is_endpoint_expecting("x", "id")
    assert not url_map.is_endpoint_expecting("y", "id")


def test_rules_can_be_added_after_matching() -> None:
    url_map = Map([Rule("/a/<int:x>", endpoint="int")])
    assert url_map.match("GET", "/a/1")[0].endpoint == "int"
    url_map.add(Rule("/a/1", endpoint="static"))
    url_map.add(Rule("/a/<name>", endpoint="name"))
    assert url_map.match("GET", "/a/1")[0].endpoint == "static"
    assert url_map.match("GET", "/a/z")[0].endpoint == "name"


@pytest.mark.parametrize(
    ("string", "message"),
    [
        ("no-slash", "must start with a slash"),
        ("/a/<unclosed", "unclosed '<'"),
        ("/a/<1bad>", "malformed variable"),
        ("/a/<x>/<int:x>", "more than once"),
        ("/a/<list:x>", "Known converters: any, default"),
        ("/a/<int(min=):x>", "cannot parse converter argument"),
        ("/a/<int(nope=1):x>", "rejected its arguments"),
    ],
)
def test_malformed_rules_are_rejected_at_add_time(string: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Map([Rule(string, endpoint="e")])


def test_unknown_converter_message_names_the_fix() -> None:
    with pytest.raises(ValueError) as info:
        Map([Rule("/a/<list:x>", endpoint="e")])
    assert "url_map.converters" in str(info.value)
    assert "'/a/<list:x>'" in str(info.value)


def test_rule_cannot_join_two_maps() -> None:
    rule = Rule("/a", endpoint="a")
    Map([rule])
    with pytest.raises(RuntimeError, match="empty"):
        Map([rule])
    Map([rule.empty()])


def test_methods_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="list of strings"):
        Rule("/a", methods="GET")


def test_hostile_paths() -> None:
    url_map = Map(
        [
            Rule("/", endpoint="index"),
            Rule("/<name>", endpoint="name"),
            Rule("/p/<path:rest>", endpoint="path"),
        ]
    )
    assert url_map.match("GET", "/" + "x" * 100_000)[0].endpoint == "name"
    assert url_map.match("GET", "/p/" + "a/" * 5_000 + "z")[0].endpoint == "path"
    assert url_map.match("GET", "/%2F%zz")[1] == {"name": "%2F%zz"}
    assert url_map.match("GET", "/..")[1] == {"name": ".."}
    assert url_map.match("GET", "/p/../../etc")[1] == {"rest": "../../etc"}
    assert url_map.match("GET", "/\x00\n")[1] == {"name": "\x00\n"}
    with pytest.raises(RequestRedirect):
        url_map.match("GET", "")
    with pytest.raises(NotFound):
        url_map.match("GET", "/a/b" * 2_000)


HOSTILE_RULES = Map(
    [
        Rule("/", endpoint="index"),
        Rule("/a/", endpoint="branch"),
        Rule("/a/<int:id>", endpoint="int", methods=["GET"]),
        Rule("/a/<name>/x", endpoint="x", methods=["POST"]),
        Rule("/p/<path:rest>/", endpoint="path"),
        Rule("/<lang>/<path:rest>", endpoint="lang"),
        Rule("/old/<slug>", endpoint="old", redirect_to="/new/<slug>"),
        Rule("/d/", endpoint="d", defaults={"n": 1}),
        Rule("/d/<int:n>", endpoint="d"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    path=st.text(alphabet=st.sampled_from("/a0.%-_~xpdold é\x00"), max_size=40)
    | st.text(max_size=40),
    method=st.sampled_from(["GET", "POST", "HEAD", "BREW"]),
)
def test_match_only_raises_routing_errors(path: str, method: str) -> None:
    try:
        rule, values = HOSTILE_RULES.match(method, path)
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return
    except HTTPException as exc:  # pragma: no cover - a failure report
        pytest.fail(f"unexpected {exc!r}")
    assert isinstance(values, dict)
    assert rule in list(HOSTILE_RULES.iter_rules())


@settings(max_examples=200, deadline=None)
@given(path=st.text(alphabet=st.sampled_from("/a0.-xpdn1"), max_size=20))
def test_hypothesis_agrees_with_werkzeug(path: str) -> None:
    specs: list[RuleSpec] = [
        ("/", {"endpoint": "index"}),
        ("/a/", {"endpoint": "branch"}),
        ("/a/<int:id>", {"endpoint": "int"}),
        ("/a/<name>/x", {"endpoint": "x", "methods": ["POST"]}),
        ("/p/<path:rest>/", {"endpoint": "path"}),
        ("/<lang>/<path:rest>", {"endpoint": "lang"}),
        ("/d/", {"endpoint": "d", "defaults": {"n": 1}}),
        ("/d/<int:n>", {"endpoint": "d"}),
    ]
    ours = Map([Rule(string, **options) for string, options in specs])
    theirs = wz.Map([wz.Rule(string, **options) for string, options in specs])
    expected = _werkzeug_outcome(theirs.bind("localhost"), path, "GET")
    assert _outcome(lambda: ours.bind("localhost").match(path, "GET")) == expected
