from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kolba.sansio.cookies import dump_cookie, parse_cookie


def _werkzeug_parse(header: str) -> list[tuple[str, str]]:
    from werkzeug.sansio.http import parse_cookie as wparse

    return list(wparse(header).items(multi=True))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=b", [("a", "b")]),
        ("a=b; a=c", [("a", "b"), ("a", "c")]),
        (" j = k ;", [("j", "k")]),
        ("f; =g; h", [("f", ""), ("h", "")]),
        ('c="d\\"e\\073"', [("c", 'd"e;')]),
        ('i=""', [("i", "")]),
        ('"a"=b; c=d', [("c", "d")]),
        ('a="unterminated; b=c', [("b", "c")]),
        ("x=%zz; y=a%20b", [("x", "%zz"), ("y", "a%20b")]),
        ("a=b c; d=e", [("d", "e")]),
        ("a=b=c; d=,e", [("a", "b=c"), ("d", ",e")]),
        ("", []),
        ("  ;; ", []),
    ],
)
def test_parse_cookie(header: str, expected: list[tuple[str, str]]) -> None:
    assert parse_cookie(header) == expected


def test_parse_cookie_none() -> None:
    assert parse_cookie(None) == []


def test_parse_cookie_decodes_wsgi_utf8_and_keeps_invalid_losslessly() -> None:
    assert parse_cookie("h=\xc3\xa9") == [("h", "é")]
    # Not UTF-8: the latin-1 reading keeps every byte (as Flask does).
    assert parse_cookie("h=\xff") == [("h", "\xff")]
    assert parse_cookie('a="\\377"') == [("a", "\ufffd")]
    assert parse_cookie('a="\\303\\251"') == [("a", "é")]
    assert parse_cookie("k=€") == [("k", "€")]  # already text


cookie_text = st.text(alphabet=st.sampled_from('ab=;" \t\\,0137x\n'), max_size=40)


def _grouped(pairs: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    # Werkzeug hands back a MultiDict, which groups repeated keys; ours is the
    # flat list in header order. Compare what a MultiDict of each would hold.
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return list(grouped.items())


@given(cookie_text)
def test_parse_cookie_agrees_with_werkzeug(header: str) -> None:
    assert _grouped(parse_cookie(header)) == _grouped(_werkzeug_parse(header))


@given(st.text(max_size=80))
def test_parse_cookie_never_raises(header: str) -> None:
    for key, value in parse_cookie(header):
        assert isinstance(key, str) and isinstance(value, str)


@given(st.text(max_size=40))
def test_dump_then_parse_round_trip(value: str) -> None:
    header = dump_cookie("k", value)
    cookie = header.split("; Path=/")[0]
    assert parse_cookie(cookie.encode("utf-8").decode("latin-1")) == [("k", value)]


FIXED = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("a", "b"), {}),
        (("a", "b c"), {}),
        (("a", 'b,c;"d\\'), {}),
        (("a", "é"), {}),
        (("a", "\x7f\x01"), {}),
        (("a", "b=c:[]"), {}),
        (("a", "~!@#$%^&*()_+{}|`"), {}),
        (("a", "b"), {"expires": 0, "path": None}),
        (("a", "b"), {"expires": FIXED, "partitioned": True}),
        (("a", "b"), {"expires": "Wed, 01 Jan 2030 00:00:00 GMT"}),
        (("a", "b"), {"expires": datetime(2030, 1, 1)}),
        (("a", ""), {"max_age": 0, "expires": 0}),
        (("a", "b"), {"domain": "localhost"}),
        (("a", "b"), {"domain": ".Example.COM:8080"}),
        (("a", "b"), {"domain": "☃.net"}),
        (("a", "b"), {"path": "/a b/é;x"}),
        (("a", "b"), {"samesite": "None"}),
        (("a", "b"), {"samesite": "lax", "secure": True, "httponly": True}),
        (("a", "b"), {"max_age": 60, "sync_expires": False}),
        (("a b", "c"), {}),
        (("é", "c"), {}),
    ],
)
def test_dump_cookie_matches_werkzeug(args: tuple[str, str], kwargs: dict) -> None:  # type: ignore[type-arg]
    from werkzeug.http import dump_cookie as wdump

    assert dump_cookie(*args, **kwargs) == wdump(*args, **kwargs)


def test_dump_cookie_simple() -> None:
    assert dump_cookie("a", "b") == "a=b; Path=/"


def test_dump_cookie_max_age_sets_expires() -> None:
    header = dump_cookie("a", "b", max_age=timedelta(hours=1))
    assert "Max-Age=3600" in header
    assert "Expires=" in header


def test_dump_cookie_partitioned_implies_secure() -> None:
    assert dump_cookie("a", "b", partitioned=True) == "a=b; Secure; Path=/; Partitioned"


def test_dump_cookie_bad_samesite() -> None:
    with pytest.raises(ValueError, match="SameSite"):
        dump_cookie("a", "b", samesite="sometimes")


@pytest.mark.parametrize("key", ["a\r\nb", "a\nb", "a\0", "a;b", "a=b"])
def test_dump_cookie_refuses_bad_keys(key: str) -> None:
    with pytest.raises(ValueError):
        dump_cookie(key, "v")


def test_dump_cookie_escapes_control_characters_in_values() -> None:
    header = dump_cookie("a", "x\r\nSet-Cookie: evil=1\0")
    assert "\r" not in header and "\n" not in header and "\0" not in header
    assert header == 'a="x\\015\\012Set-Cookie: evil=1\\000"; Path=/'


@pytest.mark.parametrize(
    "kwargs", [{"domain": "a.com;b"}, {"domain": "a.com\r\n"}, {"expires": "x\r\ny"}]
)
def test_dump_cookie_refuses_injection_in_attributes(kwargs: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):
        dump_cookie("a", "b", **kwargs)


def test_dump_cookie_large_cookie_does_not_warn() -> None:
    # filterwarnings=error would turn a warning into a failure here.
    assert len(dump_cookie("a", "x" * 5000)) > 4093
