from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix as WerkzeugProxyFix

from kolba.middleware import ProxyFix

Environ = dict[str, Any]

BASE_ENVIRON: Environ = {
    "REQUEST_METHOD": "GET",
    "PATH_INFO": "/",
    "SCRIPT_NAME": "",
    "REMOTE_ADDR": "192.168.0.1",
    "wsgi.url_scheme": "http",
    "HTTP_HOST": "internal:8000",
    "SERVER_NAME": "internal",
    "SERVER_PORT": "8000",
}

WATCHED = (
    "REMOTE_ADDR",
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
)


def _start_response(status: str, headers: list[tuple[str, str]]) -> None:
    return None


def run(
    middleware_class: Callable[..., Any], headers: Environ, **counts: int
) -> Environ:
    seen: list[Environ] = []

    def app(environ: Environ, start_response: Any) -> Iterable[bytes]:
        seen.append(environ)
        return [b""]

    environ = {**BASE_ENVIRON, **headers}
    middleware_class(app, **counts)(environ, _start_response)
    return seen[0]


def watched(environ: Environ) -> dict[str, Any]:
    return {key: environ.get(key) for key in WATCHED}


# -- basic behaviour --------------------------------------------------------


def test_defaults_trust_one_for_and_proto() -> None:
    environ = run(
        ProxyFix,
        {
            "HTTP_X_FORWARDED_FOR": "203.0.113.9",
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_X_FORWARDED_HOST": "evil.example",
        },
    )
    assert environ["REMOTE_ADDR"] == "203.0.113.9"
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["HTTP_HOST"] == "internal:8000"


def test_all_headers_applied() -> None:
    environ = run(
        ProxyFix,
        {
            "HTTP_X_FORWARDED_FOR": "203.0.113.9",
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_X_FORWARDED_HOST": "example.com",
            "HTTP_X_FORWARDED_PORT": "8443",
            "HTTP_X_FORWARDED_PREFIX": "/app",
        },
        x_host=1,
        x_port=1,
        x_prefix=1,
    )
    assert watched(environ) == {
        "REMOTE_ADDR": "203.0.113.9",
        "wsgi.url_scheme": "https",
        "HTTP_HOST": "example.com:8443",
        "SERVER_NAME": "example.com",
        "SERVER_PORT": "8443",
        "SCRIPT_NAME": "/app",
    }


def test_originals_saved_under_both_keys() -> None:
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_FOR": "203.0.113.9"})
    expected = watched(BASE_ENVIRON)
    assert environ["kolba.proxy_fix.orig"] == expected
    assert environ["werkzeug.proxy_fix.orig"] == expected


def test_host_with_port_sets_server_port() -> None:
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_HOST": "example.com:81"}, x_host=1)
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("example.com", "81")


def test_ipv6_host_without_port() -> None:
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_HOST": "[2001:db8::1]"}, x_host=1)
    assert environ["SERVER_NAME"] == "[2001:db8::1]"
    assert environ["SERVER_PORT"] == "8000"


def test_zero_counts_ignore_headers() -> None:
    environ = run(
        ProxyFix,
        {"HTTP_X_FORWARDED_FOR": "203.0.113.9", "HTTP_X_FORWARDED_PROTO": "https"},
        x_for=0,
        x_proto=0,
    )
    assert watched(environ) == watched(BASE_ENVIRON)


def test_negative_count_rejected() -> None:
    def app(environ: Environ, start_response: Any) -> Iterable[bytes]:
        return []

    with pytest.raises(ValueError, match="x_for=-1"):
        ProxyFix(app, x_for=-1)


# -- hop counting and spoofing ----------------------------------------------


def test_client_supplied_values_left_of_trusted_hop_are_ignored() -> None:
    # The client sent "X-Forwarded-For: 6.6.6.6"; one proxy appended the
    # real peer address.
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"})
    assert environ["REMOTE_ADDR"] == "203.0.113.9"


def test_two_proxies_take_second_from_right() -> None:
    environ = run(
        ProxyFix,
        {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9, 10.0.0.2"},
        x_for=2,
    )
    assert environ["REMOTE_ADDR"] == "203.0.113.9"


def test_fewer_values_than_hops_ignores_header() -> None:
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, x_for=2)
    assert environ["REMOTE_ADDR"] == "192.168.0.1"


def test_spoofed_host_with_extra_hop_is_ignored() -> None:
    environ = run(
        ProxyFix,
        {"HTTP_X_FORWARDED_HOST": "evil.example, example.com"},
        x_host=1,
    )
    assert environ["HTTP_HOST"] == "example.com"


def test_empty_items_are_skipped() -> None:
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_FOR": "1.2.3.4,, ,"})
    assert environ["REMOTE_ADDR"] == "1.2.3.4"


# -- validation -------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["javascript", "ftp", "http s", "https:"])
def test_bad_scheme_ignored(scheme: str) -> None:
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_PROTO": scheme})
    assert environ["wsgi.url_scheme"] == "http"


@pytest.mark.parametrize("scheme", ["HTTPS", "wss", "ws"])
def test_scheme_accepted_and_lowercased(scheme: str) -> None:
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_PROTO": scheme})
    assert environ["wsgi.url_scheme"] == scheme.lower()


@pytest.mark.parametrize(
    "host",
    [
        "evil.example/path",
        "user@evil.example",
        "a b",
        "evil.example\\x",
        "evil.example?q",
        "evil.example#f",
        "example.com:80x",
        ":80",
        "ex\x00ample",
    ],
)
def test_bad_host_ignored(host: str) -> None:
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_HOST": host}, x_host=1)
    assert watched(environ) == watched(BASE_ENVIRON)


@pytest.mark.parametrize("port", ["80a", "-1", "123456", "８０"])
def test_bad_port_ignored(port: str) -> None:
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_PORT": port}, x_port=1)
    assert environ["SERVER_PORT"] == "8000"
    assert environ["HTTP_HOST"] == "internal:8000"


def test_bad_remote_addr_ignored() -> None:
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_FOR": '"1.2.3.4"'})
    assert environ["REMOTE_ADDR"] == "192.168.0.1"


@pytest.mark.parametrize("prefix", ["app", "/a b", "/a?b", "/a\\b"])
def test_bad_prefix_ignored(prefix: str) -> None:
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_PREFIX": prefix}, x_prefix=1)
    assert environ["SCRIPT_NAME"] == ""


def test_prefix_trailing_slash_removed() -> None:
    environ = run(ProxyFix, {"HTTP_X_FORWARDED_PREFIX": "/app/"}, x_prefix=1)
    assert environ["SCRIPT_NAME"] == "/app"


# -- differential against Werkzeug ------------------------------------------

ALL = {"x_for": 1, "x_proto": 1, "x_host": 1, "x_port": 1, "x_prefix": 1}

TABLE: list[tuple[Environ, dict[str, int]]] = [
    ({}, {}),
    ({"HTTP_X_FORWARDED_FOR": "1.2.3.4"}, {}),
    ({"HTTP_X_FORWARDED_FOR": "1.2.3.4, 5.6.7.8"}, {}),
    ({"HTTP_X_FORWARDED_FOR": "1.2.3.4, 5.6.7.8"}, {"x_for": 2}),
    ({"HTTP_X_FORWARDED_FOR": "1.2.3.4"}, {"x_for": 3}),
    ({"HTTP_X_FORWARDED_FOR": "2001:db8::1"}, {}),
    ({"HTTP_X_FORWARDED_PROTO": "https"}, {}),
    ({"HTTP_X_FORWARDED_PROTO": "http, https"}, {"x_proto": 2}),
    ({"HTTP_X_FORWARDED_HOST": "example.com"}, ALL),
    ({"HTTP_X_FORWARDED_HOST": "example.com:8080"}, ALL),
    ({"HTTP_X_FORWARDED_HOST": "[::1]:8080"}, ALL),
    ({"HTTP_X_FORWARDED_HOST": "[::1]"}, ALL),
    ({"HTTP_X_FORWARDED_HOST": "a.example, b.example"}, {"x_host": 2}),
    ({"HTTP_X_FORWARDED_PORT": "8443"}, ALL),
    (
        {"HTTP_X_FORWARDED_HOST": "example.com:8080", "HTTP_X_FORWARDED_PORT": "443"},
        ALL,
    ),
    ({"HTTP_X_FORWARDED_PORT": "443", "HTTP_HOST": "[::1]"}, ALL),
    ({"HTTP_X_FORWARDED_PREFIX": "/app"}, ALL),
    ({"HTTP_X_FORWARDED_PREFIX": "/a, /b"}, {"x_prefix": 2}),
    (
        {
            "HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.1.1.1, 10.0.0.1",
            "HTTP_X_FORWARDED_PROTO": "http, https, http",
            "HTTP_X_FORWARDED_HOST": "evil, example.com, internal",
            "HTTP_X_FORWARDED_PORT": "1, 443, 80",
            "HTTP_X_FORWARDED_PREFIX": "/x, /app, /y",
        },
        {"x_for": 2, "x_proto": 2, "x_host": 2, "x_port": 2, "x_prefix": 2},
    ),
]


@pytest.mark.parametrize(("headers", "counts"), TABLE, ids=repr)
def test_matches_werkzeug_for_well_formed_headers(
    headers: Environ, counts: dict[str, int]
) -> None:
    ours = run(ProxyFix, headers, **counts)
    theirs = run(WerkzeugProxyFix, headers, **counts)
    assert watched(ours) == watched(theirs)
    assert ours["werkzeug.proxy_fix.orig"] == theirs["werkzeug.proxy_fix.orig"]


def test_returns_app_result() -> None:
    def app(environ: Environ, start_response: Any) -> Iterable[bytes]:
        return [b"body"]

    assert ProxyFix(app)(dict(BASE_ENVIRON), _start_response) == [b"body"]
