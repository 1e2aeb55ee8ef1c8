from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kolba.datastructures import ETags, IfRange
from kolba.sansio import http


def test_parse_options_header_basic() -> None:
    assert http.parse_options_header('text/html; charset="utf-8"') == (
        "text/html",
        {"charset": "utf-8"},
    )
    assert http.parse_options_header("TEXT/Html ; Charset=UTF-8") == (
        "TEXT/Html",
        {"charset": "UTF-8"},
    )
    assert http.parse_options_header(None) == ("", {})
    assert http.parse_options_header("") == ("", {})
    assert http.parse_options_header("a; b; c=") == ("a", {"c": ""})


def test_parse_options_header_quoted_semicolons_and_escapes() -> None:
    value = 'form-data; name="a\\"b"; x="1;2"; y=z'
    assert http.parse_options_header(value) == (
        "form-data",
        {"name": 'a"b', "x": "1;2", "y": "z"},
    )


def test_parse_options_header_extended_filename_wins() -> None:
    for value in (
        "attachment; filename*=UTF-8''%C3%A9t%C3%A9.txt; filename=\"ete.txt\"",
        "attachment; filename=\"ete.txt\"; filename*=UTF-8''%C3%A9t%C3%A9.txt",
    ):
        assert http.parse_options_header(value)[1] == {"filename": "été.txt"}
    latin = "a; title*=iso-8859-1'en'%A3%20rates"
    assert http.parse_options_header(latin)[1] == {"title": "£ rates"}
    assert http.parse_options_header("a; t*=bogus''%41")[1] == {"t": "A"}


def test_parse_options_header_continuations() -> None:
    assert http.parse_options_header("a; b*0=x; b*1=y")[1] == {"b": "xy"}
    value = "a; b*0*=UTF-8''%C3; b*1*=%A9"
    assert http.parse_options_header(value)[1] == {"b": "é"}


@pytest.mark.parametrize(
    "value",
    [
        'text/html; charset="utf-8"',
        "text/plain",
        "multipart/form-data; boundary=----abc",
        'form-data; name="field"; filename="a b.txt"',
        "a; b=c; d=e",
    ],
)
def test_parse_options_header_agrees_with_werkzeug(value: str) -> None:
    from werkzeug.http import parse_options_header as wparse

    assert http.parse_options_header(value) == wparse(value)


@given(st.text(max_size=200))
def test_parse_options_header_never_raises(value: str) -> None:
    main, options = http.parse_options_header(value)
    assert isinstance(main, str) and isinstance(options, dict)


def test_dump_and_quote() -> None:
    options = {"charset": "utf-8", "flag": None, "b": "x y", "c": 'a"b'}
    assert (
        http.dump_options_header("text/html", options)
        == 'text/html; charset=utf-8; flag; b="x y"; c="a\\"b"'
    )
    assert http.quote_header_value("abc") == "abc"
    assert http.quote_header_value("") == '""'
    assert http.quote_header_value("a/b") == '"a/b"'
    assert http.quote_header_value("abc", allow_token=False) == '"abc"'
    assert http.unquote_header_value('"a\\"b\\\\c"') == 'a"b\\c'
    assert http.unquote_header_value("plain") == "plain"
    assert http.unquote_header_value('"\\\\server\\share"', is_filename=True) == (
        "\\\\server\\share"
    )
    assert http.dump_header({"a": "b", "c": None, "d": "x y"}) == 'a=b, c, d="x y"'
    assert http.dump_header(["a", "b c"]) == 'a, "b c"'


def test_list_and_dict_headers() -> None:
    assert http.parse_list_header('a, "b,c", d="e f", , g') == [
        "a",
        "b,c",
        'd="e f"',
        "g",
    ]
    assert http.parse_list_header(None) == []
    assert http.parse_dict_header('a=b, c="d, e", f, g=""') == {
        "a": "b",
        "c": "d, e",
        "f": None,
        "g": "",
    }


def test_http_date() -> None:
    assert http.http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
    moment = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert http.http_date(moment) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert (
        http.http_date(moment.replace(tzinfo=None)) == "Sun, 06 Nov 1994 08:49:37 GMT"
    )
    plus_two = moment.astimezone(timezone(timedelta(hours=2)))
    assert http.http_date(plus_two) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert http.http_date(date(2020, 2, 29)) == "Sat, 29 Feb 2020 00:00:00 GMT"
    assert http.http_date().endswith(" GMT")


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ],
)
def test_parse_date_three_formats(value: str) -> None:
    assert http.parse_date(value) == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [None, "", "garbage", "Sun, 31 Feb 1994 08:49:37 GMT", "06 Nov", "99999999999"],
)
def test_parse_date_garbage_is_none(value: str | None) -> None:
    assert http.parse_date(value) is None


def test_parse_date_is_aware_utc() -> None:
    parsed = http.parse_date("Sun, 06 Nov 1994 10:49:37 +0200")
    assert parsed == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@given(st.text(max_size=60))
def test_parse_date_never_raises(value: str) -> None:
    result = http.parse_date(value)
    assert result is None or result.tzinfo is not None


def test_etag_helpers() -> None:
    assert http.quote_etag("x") == '"x"'
    assert http.quote_etag("x", weak=True) == 'W/"x"'
    with pytest.raises(ValueError):
        http.quote_etag('x"y')
    assert http.unquote_etag('W/"x"') == ("x", True)
    assert http.unquote_etag('"x"') == ("x", False)
    assert http.unquote_etag(None) == (None, None)
    assert http.generate_etag(b"abc") == "a9993e364706816aba3e25717850c26c9cd0d89d"


def test_parse_etags() -> None:
    tags = http.parse_etags('"a", W/"b", c, "d,e"')
    assert tags.as_set() == {"a", "c", "d,e"}
    assert tags.is_weak("b")
    assert http.parse_etags("*").star_tag
    assert not http.parse_etags("")
    assert not http.parse_etags(None)


@pytest.mark.parametrize(
    ("value", "units", "ranges"),
    [
        ("bytes=0-499", "bytes", [(0, 500)]),
        ("bytes=-500", "bytes", [(-500, None)]),
        ("bytes=500-", "bytes", [(500, None)]),
        ("bytes=0-0,-1", "bytes", [(0, 1), (-1, None)]),
        ("bytes=0-499, 500-999", "bytes", [(0, 500), (500, 1000)]),
        ("bytes= 1 - 2 ", "bytes", [(1, 3)]),
        ("Bytes=1-2", "bytes", [(1, 3)]),
        ("items=0-1", "items", [(0, 2)]),
    ],
)
def test_parse_range_header(
    value: str, units: str, ranges: list[tuple[int, int]]
) -> None:
    parsed = http.parse_range_header(value)
    assert parsed is not None
    assert (parsed.units, parsed.ranges) == (units, ranges)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "bytes",
        "bytes=",
        "bytes=1",
        "bytes=-0",
        "bytes=5-3",
        "bytes=abc",
        "bytes=-1-2",
        "bytes=0-1,0-5",
        "bytes=+1-2",
        "bytes=-5,-6",
        "bytes=1" + "0" * 5000 + "-",
        "=0-1",
        "bytes=٣-٤",
    ],
)
def test_parse_range_header_garbage(value: str | None) -> None:
    assert http.parse_range_header(value) is None


@pytest.mark.parametrize(
    "value",
    ["bytes=0-499", "bytes=-500", "bytes=500-", "bytes=0-0,-1", "bytes=5-3", "x=1-"],
)
def test_parse_range_header_agrees_with_werkzeug(value: str) -> None:
    from werkzeug.http import parse_range_header as wparse

    ours, theirs = http.parse_range_header(value), wparse(value)
    assert (ours is None) == (theirs is None)
    if ours is not None and theirs is not None:
        assert (ours.units, ours.ranges) == (theirs.units, theirs.ranges)


@given(st.text(max_size=80))
def test_parse_range_header_never_raises(value: str) -> None:
    result = http.parse_range_header(value)
    if result is not None:
        for start, stop in result.ranges:
            assert stop is None or 0 <= start < stop


def test_parse_content_range_header() -> None:
    parsed = http.parse_content_range_header("bytes 0-98/*")
    assert parsed is not None
    assert (parsed.units, parsed.start, parsed.stop, parsed.length) == (
        "bytes",
        0,
        99,
        None,
    )
    star = http.parse_content_range_header("bytes */100")
    assert star is not None and star.length == 100 and star.start is None
    for bad in ["bytes 0-100/100", "bytes 5-3/100", "bytes x", "bytes */*", "", None]:
        assert http.parse_content_range_header(bad) is None


def test_parse_if_range_header() -> None:
    by_date = http.parse_if_range_header("Sun, 06 Nov 1994 08:49:37 GMT")
    assert by_date.date is not None and by_date.etag is None
    by_tag = http.parse_if_range_header('"abc"')
    assert by_tag.etag == "abc" and by_tag.to_header() == '"abc"'
    assert http.parse_if_range_header(None).to_header() == ""
    assert IfRange(date=by_date.date).to_header() == "Sun, 06 Nov 1994 08:49:37 GMT"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Basic YTpi", ("basic", "a", "b", None)),
        ("basic YTpi", ("basic", "a", "b", None)),
        ("Basic YWI=", ("basic", "ab", "", None)),
        ("Basic w6k6w6k=", ("basic", "é", "é", None)),
        ("Basic 6Trp", ("basic", "\xe9", "\xe9", None)),  # latin-1 fallback
        ("Bearer tok==", ("bearer", None, None, "tok==")),
        ("Digest username=\"a\", realm='r'", ("digest", "a", None, None)),
    ],
)
def test_parse_authorization_header(
    value: str, expected: tuple[str, str | None, str | None, str | None]
) -> None:
    auth = http.parse_authorization_header(value)
    assert auth is not None
    assert (auth.type, auth.username, auth.password, auth.token) == expected


@pytest.mark.parametrize("value", [None, "", "Basic !!!", "Basic YTp", "Basic ===="])
def test_parse_authorization_header_invalid(value: str | None) -> None:
    assert http.parse_authorization_header(value) is None


@given(st.text(max_size=80))
def test_parse_authorization_header_never_raises(value: str) -> None:
    http.parse_authorization_header(value)


MODIFIED = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_is_resource_modified_if_none_match() -> None:
    assert not http.is_resource_modified(if_none_match='"abc"', etag="abc")
    assert not http.is_resource_modified(if_none_match='W/"abc"', etag='"abc"')
    assert not http.is_resource_modified(if_none_match="*", etag="x")
    assert http.is_resource_modified(if_none_match='"other"', etag="abc")
    assert http.is_resource_modified(if_none_match=ETags(["x"]), etag=None)


def test_is_resource_modified_if_none_match_wins_over_date() -> None:
    assert http.is_resource_modified(
        if_none_match='"other"',
        if_modified_since=http.http_date(MODIFIED),
        etag="abc",
        last_modified=MODIFIED,
    )


def test_is_resource_modified_by_date() -> None:
    since = http.http_date(MODIFIED)
    assert not http.is_resource_modified(
        if_modified_since=since, last_modified=MODIFIED
    )
    later = MODIFIED + timedelta(seconds=1, microseconds=5)
    assert http.is_resource_modified(if_modified_since=since, last_modified=later)
    same_second = MODIFIED.replace(microsecond=999)
    assert not http.is_resource_modified(
        if_modified_since=MODIFIED, last_modified=same_second
    )
    assert http.is_resource_modified(
        if_modified_since="garbage", last_modified=MODIFIED
    )
    assert http.is_resource_modified()


def test_is_resource_modified_only_for_get_and_head() -> None:
    assert http.is_resource_modified(if_none_match='"a"', etag="a", method="POST")
    assert not http.is_resource_modified(if_none_match='"a"', etag="a", method="HEAD")


def test_is_resource_modified_if_range() -> None:
    kwargs = {"etag": "a", "last_modified": MODIFIED, "ignore_if_range": False}
    assert not http.is_resource_modified(if_range='"a"', **kwargs)  # type: ignore[arg-type]
    assert http.is_resource_modified(if_range='"b"', **kwargs)  # type: ignore[arg-type]
    assert not http.is_resource_modified(
        if_range=http.http_date(MODIFIED),
        **kwargs,  # type: ignore[arg-type]
    )
    assert http.is_resource_modified(
        if_range=http.http_date(MODIFIED), etag="a", ignore_if_range=False
    )


def test_content_disposition() -> None:
    assert http.content_disposition("attachment", "report.pdf") == (
        "attachment; filename=report.pdf"
    )
    assert http.content_disposition("inline", "a b.txt") == 'inline; filename="a b.txt"'
    assert http.content_disposition("attachment", "été 1.txt") == (
        "attachment; filename=\"ete 1.txt\"; filename*=UTF-8''%C3%A9t%C3%A9%201.txt"
    )
    injected = http.content_disposition("attachment", "a\r\nSet-Cookie: x")
    assert "\r" not in injected and "\n" not in injected
    assert "%0D%0A" in injected


def test_status_codes_reexported() -> None:
    assert http.HTTP_STATUS_CODES[404] == "Not Found"
