from __future__ import annotations

from urllib.parse import parse_qsl as stdlib_parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kolba.datastructures import MultiDict
from kolba.exceptions import BadRequest, RequestEntityTooLarge
from kolba.sansio import urls


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a%20b", b"a b"),
        ("%zz", b"%zz"),
        ("100%", b"100%"),
        ("%4", b"%4"),
        ("%%41", b"%A"),
        ("%ff", b"\xff"),
        (b"%C3%A9", b"\xc3\xa9"),
        ("plain", b"plain"),
        ("\xc3\xa9%21", b"\xc3\xa9!"),  # WSGI latin-1 string
        ("é€", "é€".encode()),  # real text above U+00FF
    ],
)
def test_percent_decode_is_lossless(raw: str | bytes, expected: bytes) -> None:
    assert urls.percent_decode(raw) == expected


def test_decode_component_names_the_part() -> None:
    assert urls.decode_component(b"\xc3\xa9", "path") == "é"
    with pytest.raises(BadRequest, match="The query string is not valid UTF-8"):
        urls.decode_component(b"ok\xff", "query string")


def test_parse_qsl_basics() -> None:
    assert urls.parse_qsl("a=1&b=2") == [("a", "1"), ("b", "2")]
    assert urls.parse_qsl("a=x+y&b=%2B") == [("a", "x y"), ("b", "+")]
    assert urls.parse_qsl("flag&&=v&a=") == [("flag", ""), ("", "v"), ("a", "")]
    assert urls.parse_qsl("a=&b=1", keep_blank=False) == [("b", "1")]
    assert urls.parse_qsl("a=1;b=2", separator=";") == [("a", "1"), ("b", "2")]
    assert urls.parse_qsl("") == []
    assert urls.parse_qsl(b"k=%C3%A9") == [("k", "é")]
    assert urls.parse_qsl("k=\xc3\xa9") == [("k", "é")]  # raw UTF-8 via WSGI
    assert urls.parse_qsl("e=a=b") == [("e", "a=b")]


@pytest.mark.parametrize("query", ["a=%zz", "a=100%", "a=%", "%=%", "a=%4"])
def test_parse_qsl_keeps_bad_escapes(query: str) -> None:
    key, value = query.split("=", 1)
    assert urls.parse_qsl(query) == [(key, value)]


@pytest.mark.parametrize("query", ["a=%ff", "%ff=1", "a=\xff", b"a=\xc3"])
def test_parse_qsl_invalid_utf8_is_bad_request(query: str | bytes) -> None:
    with pytest.raises(BadRequest, match="form is not valid UTF-8"):
        urls.parse_qsl(query, part="form")


def test_parse_qsl_max_fields() -> None:
    query = "&".join(f"f{i}=1" for i in range(11))
    assert len(urls.parse_qsl(query, max_fields=11)) == 11
    with pytest.raises(RequestEntityTooLarge):
        urls.parse_qsl(query, max_fields=10)
    # Empty fields are not fields.
    assert urls.parse_qsl("a=1&&&&&", max_fields=1) == [("a", "1")]


def test_parse_qsl_matches_stdlib_on_valid_input() -> None:
    query = "a=1&b=x+y&c=%C3%A9&d=&e&f=%2F%3F"
    expected = stdlib_parse_qsl(query, keep_blank_values=True)
    assert urls.parse_qsl(query) == expected


@given(st.text(max_size=100))
def test_parse_qsl_only_raises_bad_request(query: str) -> None:
    wsgi = query.encode("utf-8").decode("latin-1")
    try:
        urls.parse_qsl(wsgi)
    except BadRequest:
        pass


@given(st.binary(max_size=100))
def test_parse_qsl_bytes_only_raises_bad_request(query: bytes) -> None:
    try:
        urls.parse_qsl(query)
    except BadRequest:
        pass


pair = st.tuples(st.text(min_size=1, max_size=20), st.text(max_size=20))


@given(st.lists(pair, max_size=10))
def test_url_encode_parse_qsl_round_trip(pairs: list[tuple[str, str]]) -> None:
    encoded = urls.url_encode(pairs)
    assert encoded.isascii()
    assert urls.parse_qsl(encoded) == pairs


def test_url_encode() -> None:
    assert urls.url_encode({"a": 1, "b": "x y", "n": None}) == "a=1&b=x+y"
    assert urls.url_encode({"b": ["1", "2"], "a": "é"}, sort=True) == "a=%C3%A9&b=1&b=2"
    md = MultiDict([("t", "a"), ("t", "b")])
    assert urls.url_encode(md) == "t=a&t=b"
    assert urls.url_encode([("q", "a&b=c+d/e?")]) == "q=a%26b%3Dc%2Bd/e?"


def test_url_encode_agrees_with_werkzeug() -> None:
    from werkzeug.urls import _urlencode

    data = [("a", "x y"), ("b", "é/!$'()*,:;?@&=+#"), ("c", "~-._")]
    assert urls.url_encode(data) == _urlencode(data)


def test_url_quote_and_segment() -> None:
    assert urls.url_quote("/a b/é") == "/a%20b/%C3%A9"
    assert urls.url_quote("a:b/c?d") == "a:b/c%3Fd"
    assert urls.url_quote("x", safe="") == "x"
    assert urls.quote_segment("a/b c") == "a%2Fb%20c"
    assert urls.quote_segment("a+b=c@d") == "a+b=c@d"
    assert urls.quote_segment("a/b", safe="/") == "a%2Fb"


def test_iri_to_uri() -> None:
    assert urls.iri_to_uri("http://☃.net/p ä?q=ü#f") == (
        "http://xn--n3h.net/p%20%C3%A4?q=%C3%BC#f"
    )
    assert urls.iri_to_uri("/already%20quoted/é") == "/already%20quoted/%C3%A9"
    assert urls.iri_to_uri("http://üser:pä@host:8080/") == (
        "http://%C3%BCser:p%C3%A4@host:8080/"
    )
    assert urls.iri_to_uri("/plain?a=b") == "/plain?a=b"


def test_iri_to_uri_agrees_with_werkzeug() -> None:
    from werkzeug.urls import iri_to_uri as wiri

    for iri in ["http://☃.net/p ä?q=ü#f", "/x/ü y", "https://example.com/a?b=ç"]:
        assert urls.iri_to_uri(iri) == wiri(iri)


def test_url_unquote_path() -> None:
    assert urls.url_unquote_path("/plain") == "/plain"
    assert urls.url_unquote_path("/\xc3\xa9") == "/é"
    assert urls.url_unquote_path("/€") == "/€"  # already text
    with pytest.raises(BadRequest, match="The path is not valid UTF-8"):
        urls.url_unquote_path("/\xff")
