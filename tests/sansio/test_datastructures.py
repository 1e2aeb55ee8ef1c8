from __future__ import annotations

import copy
import io
import pickle
from pathlib import Path

import pytest

from kolba.datastructures import (
    Accept,
    Authorization,
    CharsetAccept,
    CombinedMultiDict,
    ContentRange,
    EnvironHeaders,
    ETags,
    FileStorage,
    Headers,
    ImmutableMultiDict,
    LanguageAccept,
    MIMEAccept,
    MultiDict,
    Range,
    UserAgent,
)
from kolba.exceptions import BadRequest, BadRequestKeyError
from kolba.sansio.http import parse_accept_header

# -- MultiDict


def test_multidict_first_value_and_getlist() -> None:
    d = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    assert d["a"] == "1"
    assert d.getlist("a") == ["1", "2"]
    assert d.getlist("missing") == []
    assert len(d) == 2
    assert list(d) == ["a", "b"]


def test_multidict_missing_key_is_bad_request_key_error() -> None:
    d: MultiDict[str, str] = MultiDict()
    with pytest.raises(BadRequestKeyError) as info:
        d["nope"]
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, BadRequest)


def test_multidict_get_with_type() -> None:
    d = MultiDict({"page": "3", "bad": "x"})
    assert d.get("page", type=int) == 3
    assert d.get("bad", type=int) is None
    assert d.get("bad", 7, type=int) == 7
    assert d.get("missing", "dflt") == "dflt"
    assert MultiDict({"n": ["1", "x", "2"]}).getlist("n", type=int) == [1, 2]


def test_multidict_constructor_forms() -> None:
    assert MultiDict({"a": ["1", "2"]}).getlist("a") == ["1", "2"]
    assert MultiDict({"a": ("1",)})["a"] == "1"
    src = MultiDict([("a", "1"), ("a", "2")])
    assert MultiDict(src).getlist("a") == ["1", "2"]


def test_multidict_mutators() -> None:
    d: MultiDict[str, str] = MultiDict()
    d.add("a", "1")
    d.add("a", "2")
    d["b"] = "x"
    assert d.setdefault("b", "y") == "x"
    assert d.setdefault("c", "z") == "z"
    lst = d.setlistdefault("e", ["1"])
    lst.append("2")
    assert d.getlist("e") == ["1", "2"]
    d.setlist("a", ["9"])
    assert d.getlist("a") == ["9"]
    d.setlist("a", [])
    assert "a" not in d
    d.update({"b": "y"})
    assert d.getlist("b") == ["x", "y"]
    assert d.pop("b") == "x"
    assert d.pop("b", "gone") == "gone"
    with pytest.raises(BadRequestKeyError):
        d.pop("b")
    assert d.poplist("c") == ["z"]
    assert d.poplist("c") == []


def test_multidict_views_and_to_dict() -> None:
    d = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    assert list(d.items()) == [("a", "1"), ("b", "3")]
    assert list(d.items(multi=True)) == [("a", "1"), ("a", "2"), ("b", "3")]
    assert list(d.values()) == ["1", "3"]
    assert list(d.listvalues()) == [["1", "2"], ["3"]]
    assert list(d.lists()) == [("a", ["1", "2"]), ("b", ["3"])]
    assert d.to_dict() == {"a": "1", "b": "3"}
    assert d.to_dict(flat=False) == {"a": ["1", "2"], "b": ["3"]}
    assert repr(d) == "MultiDict([('a', '1'), ('a', '2'), ('b', '3')])"


def test_multidict_copies_are_independent() -> None:
    d = MultiDict([("a", ["x"])])
    shallow = d.copy()
    deep = d.deepcopy()
    shallow.add("a", ["y"])
    deep["a"].append("z")
    assert d.getlist("a") == [["x"]]
    assert copy.deepcopy(d) == d
    assert pickle.loads(pickle.dumps(d)).getlist("a") == [["x"]]


def test_multidict_popitem() -> None:
    d = MultiDict([("a", "1"), ("a", "2")])
    assert d.popitem() == ("a", "1")
    with pytest.raises(BadRequestKeyError):
        d.popitem()


def test_multidict_matches_werkzeug() -> None:
    from werkzeug.datastructures import MultiDict as WMultiDict

    pairs = [("a", "1"), ("b", "2"), ("a", "3")]
    ours, theirs = MultiDict(pairs), WMultiDict(pairs)
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))
    assert ours.to_dict(flat=False) == theirs.to_dict(flat=False)
    assert list(ours.values()) == list(theirs.values())


def test_immutable_multidict_refuses_changes() -> None:
    d = ImmutableMultiDict([("a", "1")])
    for action in (
        lambda: d.__setitem__("a", "2"),
        lambda: d.add("a", "2"),
        lambda: d.setlist("a", []),
        lambda: d.pop("a"),
        lambda: d.update({}),
        lambda: d.clear(),
        lambda: d.setdefault("b", "c"),
        lambda: d.__delitem__("a"),
    ):
        with pytest.raises(TypeError, match="immutable"):
            action()
    mutable = d.copy()
    mutable.add("a", "2")
    assert type(mutable) is MultiDict
    assert d.getlist("a") == ["1"]


def test_combined_multidict() -> None:
    args = ImmutableMultiDict([("a", "1"), ("q", "x")])
    form = ImmutableMultiDict([("a", "2"), ("f", "y")])
    both = CombinedMultiDict([args, form])
    assert both["a"] == "1"
    assert both.getlist("a") == ["1", "2"]
    assert both["f"] == "y"
    assert "f" in both and "zz" not in both
    assert sorted(both) == ["a", "f", "q"]
    assert len(both) == 3
    assert both.to_dict() == {"a": "1", "q": "x", "f": "y"}
    assert both.get("missing") is None
    with pytest.raises(BadRequestKeyError):
        both["missing"]
    with pytest.raises(TypeError):
        both["a"] = "z"
    assert both.copy().getlist("a") == ["1", "2"]


# -- Headers


def test_headers_case_insensitive_and_ordered() -> None:
    h = Headers([("Content-Type", "text/html"), ("X-A", "1"), ("x-a", "2")])
    assert h["content-type"] == "text/html"
    assert h.getlist("X-a") == ["1", "2"]
    assert "CONTENT-TYPE" in h
    assert h[0] == ("Content-Type", "text/html")
    assert list(h) == [("Content-Type", "text/html"), ("X-A", "1"), ("x-a", "2")]
    assert len(h) == 3
    with pytest.raises(KeyError):
        h["missing"]
    assert isinstance(h[1:], Headers) and len(h[1:]) == 2


def test_headers_get_with_type() -> None:
    h = Headers({"Content-Length": "12", "X": "nope"})
    assert h.get("content-length", type=int) == 12
    assert h.get("x", type=int) is None
    assert h.get("missing", "d") == "d"


def test_headers_add_with_params() -> None:
    h = Headers()
    h.add("Content-Disposition", "attachment", filename="a b.txt")
    h.add("X-Flag", "v", some_flag=None, n=3)
    assert h["Content-Disposition"] == 'attachment; filename="a b.txt"'
    assert h["X-Flag"] == "v; some-flag; n=3"


def test_headers_set_replaces_in_place() -> None:
    h = Headers([("A", "1"), ("B", "2"), ("a", "3")])
    h.set("a", "new")
    assert list(h) == [("a", "new"), ("B", "2")]
    h.set("C", 5)
    assert h["c"] == "5"
    h["b"] = "x"
    assert h["B"] == "x"


def test_headers_setlist_setdefault_extend_update_remove() -> None:
    h = Headers()
    h.setlist("V", ["1", "2"])
    assert h.getlist("v") == ["1", "2"]
    assert h.setdefault("v", "9") == "1"
    assert h.setdefault("w", "9") == "9"
    h.extend({"v": "3"})
    assert h.getlist("v") == ["1", "2", "3"]
    h.update({"v": "only"})
    assert h.getlist("v") == ["only"]
    h.update({"v": ["a", "b"]})
    assert h.getlist("v") == ["a", "b"]
    h.remove("V")
    assert "v" not in h
    del h["w"]
    assert len(h) == 0


def test_headers_str_and_wsgi_list() -> None:
    h = Headers([("A", "1"), ("B", "2")])
    assert str(h) == "A: 1\r\nB: 2\r\n\r\n"
    assert h.to_wsgi_list() == [("A", "1"), ("B", "2")]
    assert h == Headers([("b", "2"), ("a", "1")])
    c = h.copy()
    c.add("C", "3")
    assert "C" not in h


@pytest.mark.parametrize("bad", ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\0b"])
def test_headers_refuse_injection(bad: str) -> None:
    h = Headers()
    with pytest.raises(ValueError, match="newline"):
        h.add("X", bad)
    with pytest.raises(ValueError):
        h.set("X", bad)
    with pytest.raises(ValueError):
        h.add(bad, "v")
    with pytest.raises(ValueError):
        h.add("X", "v", opt=bad)
    with pytest.raises(ValueError):
        Headers([("X", bad)])


def test_environ_headers() -> None:
    environ = {
        "HTTP_X_FORWARDED_FOR": "1.2.3.4",
        "HTTP_HOST": "example.com",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "",
        "wsgi.input": None,
        "PATH_INFO": "/",
    }
    h = EnvironHeaders(environ)
    assert h["x-forwarded-for"] == "1.2.3.4"
    assert h["Content-Type"] == "text/plain"
    assert "X-Forwarded-For" in h
    assert "Accept" not in h
    assert h.get("accept") is None
    assert sorted(h) == [
        ("Content-Type", "text/plain"),
        ("Host", "example.com"),
        ("X-Forwarded-For", "1.2.3.4"),
    ]
    assert len(h) == 3
    with pytest.raises(BadRequestKeyError):
        h["Accept"]
    with pytest.raises(TypeError):
        h.add("X", "y")
    with pytest.raises(TypeError):
        h["X"] = "y"
    copy_ = h.copy()
    copy_.add("X", "y")
    assert copy_["x"] == "y"


# -- FileStorage


def test_file_storage_basics(tmp_path: Path) -> None:
    fs = FileStorage(
        io.BytesIO(b"hello\nworld"),
        "a.txt",
        "upload",
        content_type="text/plain; charset=utf-8",
    )
    assert fs and fs.filename == "a.txt" and fs.name == "upload"
    assert fs.mimetype == "text/plain"
    assert fs.mimetype_params == {"charset": "utf-8"}
    assert fs.readline() == b"hello\n"
    assert fs.tell() == 6
    fs.seek(0)
    target = tmp_path / "out.bin"
    fs.save(target)
    assert target.read_bytes() == b"hello\nworld"
    fs.seek(0)
    buffer = io.BytesIO()
    fs.save(buffer)
    assert buffer.getvalue() == b"hello\nworld"
    fs.seek(0)
    assert list(fs) == [b"hello\n", b"world"]
    assert "a.txt" in repr(fs)
    fs.close()
    assert not FileStorage(io.BytesIO(b""), "")
    assert FileStorage().content_length == 0
    assert FileStorage(content_length=5).content_length == 5


# -- Accept


def test_accept_sorting_and_quality() -> None:
    a = parse_accept_header("a;q=0.5, b, c;q=0.5", Accept)
    assert list(a) == [("b", 1), ("a", 0.5), ("c", 0.5)]
    assert a["a"] == 0.5
    assert a.quality("zzz") == 0
    assert a.best == "b"
    assert a.find("c") == 2 and a.find("x") == -1
    assert a.index("c") == 2
    assert list(a.values()) == ["b", "a", "c"]
    assert a.to_header() == "b,a;q=0.5,c;q=0.5"


def test_mime_accept_wildcards() -> None:
    a = parse_accept_header("text/*;q=0.5, application/json, */*;q=0.1", MIMEAccept)
    assert a["text/plain"] == 0.5
    assert a["image/png"] == 0.1
    assert a.best_match(["text/html", "application/json"]) == "application/json"
    assert a.best_match(["image/png", "text/html"]) == "text/html"
    assert a.accept_json and a.accept_html


def test_mime_accept_zero_quality_excludes() -> None:
    a = parse_accept_header("text/html;q=0, */*", MIMEAccept)
    assert a.best_match(["text/html"]) is None
    assert a.best_match(["text/html", "application/json"]) == "application/json"


def test_mime_accept_ignores_params_for_matching() -> None:
    a = parse_accept_header("text/html;level=1;q=0.5", MIMEAccept)
    assert a.quality("text/html") == 0.5
    assert a.best_match(["text/html"]) == "text/html"


def test_accept_absent_or_empty_matches_nothing_like_werkzeug() -> None:
    for value in (None, "", "  "):
        a = parse_accept_header(value, MIMEAccept)
        assert not a.provided
        assert a.best_match(["text/html", "application/json"]) is None
        assert a.best_match(["text/html"], default="x") == "x"
        assert a.quality("image/png") == 0
        assert "text/html" not in a  # type: ignore[comparison-overlap]
        assert not a.accept_html and not a.accept_json
        assert a.best is None
    assert parse_accept_header(None, LanguageAccept).best_match(["en"]) is None


def test_accept_drops_invalid_qualities() -> None:
    a = parse_accept_header("a;q=x, b;q=2, c;q=0, d;q=0.25, e;q=nan")
    assert list(a) == [("d", 0.25), ("c", 0.0)]
    assert a.best_match(["c"]) is None


def test_language_accept_loose_matching() -> None:
    a = parse_accept_header("en-US, de;q=0.5", LanguageAccept)
    assert a.best_match(["de", "en-US"]) == "en-US"
    assert a.best_match(["en", "de"]) == "de"  # exact matches first
    assert a.best_match(["en"]) == "en"
    assert a.best_match(["fr"], default="fr-x") == "fr-x"
    b = parse_accept_header("en", LanguageAccept)
    assert b.best_match(["en-GB"]) == "en-GB"
    assert parse_accept_header("de_DE", LanguageAccept).best_match(["de-de"]) == "de-de"


def test_charset_accept_aliases() -> None:
    a = parse_accept_header("utf-8, ISO-8859-1;q=0.5", CharsetAccept)
    assert a["UTF8"] == 1
    assert a.best_match(["latin1"]) == "latin1"


@pytest.mark.parametrize(
    ("header", "offers"),
    [
        ("text/html, application/json;q=0.9", ["application/json", "text/html"]),
        ("text/*;q=0.9, text/html;q=0.1, */*;q=0.5", ["text/html", "image/png"]),
        ("application/json", ["text/html", "application/json"]),
        ("*/*", ["text/html", "application/json"]),
        ("", ["text/html"]),
        ("image/png;q=0", ["image/png"]),
    ],
)
def test_mime_best_match_agrees_with_werkzeug(header: str, offers: list[str]) -> None:
    from werkzeug.datastructures import MIMEAccept as WMIMEAccept
    from werkzeug.http import parse_accept_header as wparse

    ours = parse_accept_header(header, MIMEAccept)
    theirs = wparse(header, WMIMEAccept)
    assert ours.best_match(offers) == theirs.best_match(offers)
    assert list(ours) == list(theirs)
    assert [type(q) for _v, q in ours] == [type(q) for _v, q in theirs]
    assert (ours.accept_html, ours.accept_json) == (
        theirs.accept_html,
        theirs.accept_json,
    )


@pytest.mark.parametrize(
    "header", ["de-DE,de;q=0.9,en;q=0.5", "en-US", "fr-CA, fr;q=0.8", "", "*"]
)
def test_language_best_match_agrees_with_werkzeug(header: str) -> None:
    from werkzeug.datastructures import LanguageAccept as WLanguageAccept
    from werkzeug.http import parse_accept_header as wparse

    offers = ["en", "de", "fr"]
    ours = parse_accept_header(header, LanguageAccept)
    assert ours.best_match(offers) == wparse(header, WLanguageAccept).best_match(offers)


# -- Authorization, Range, ETags, UserAgent


def test_authorization_basic_round_trip() -> None:
    auth = Authorization("Basic", {"username": "ada", "password": "s:cret"})
    assert auth.type == "basic"
    assert auth.username == "ada" and auth["password"] == "s:cret"
    assert auth.to_header() == "Basic YWRhOnM6Y3JldA=="
    assert Authorization.from_header(auth.to_header()) == auth


def test_authorization_token() -> None:
    auth = Authorization("bearer", token="abc")
    assert auth.to_header() == "Bearer abc"
    assert auth.username is None
    assert auth.get("realm", "x") == "x"


def test_range_for_length() -> None:
    assert Range("bytes", [(0, 500)]).range_for_length(1000) == (0, 500)
    assert Range("bytes", [(0, 500)]).range_for_length(100) == (0, 100)
    assert Range("bytes", [(-500, None)]).range_for_length(1000) == (500, 1000)
    # SPEC: RFC 9110 §14.1.2: a suffix longer than the resource is all of it.
    assert Range("bytes", [(-500, None)]).range_for_length(100) == (0, 100)
    assert Range("bytes", [(500, None)]).range_for_length(1000) == (500, 1000)
    assert Range("bytes", [(500, None)]).range_for_length(100) is None
    assert Range("bytes", [(0, 1), (5, 6)]).range_for_length(100) is None
    assert Range("items", [(0, 1)]).range_for_length(100) is None
    assert Range("bytes", [(0, 1)]).range_for_length(None) is None


def test_range_headers() -> None:
    r = Range("bytes", [(0, 500), (-100, None), (900, None)])
    assert r.to_header() == "bytes=0-499,-100,900-"
    single = Range("bytes", [(10, 20)])
    content_range = single.make_content_range(100)
    assert content_range is not None
    assert content_range.to_header() == "bytes 10-19/100"
    assert single.make_content_range(5) is None
    assert ContentRange("bytes", None, None, 100).to_header() == "bytes */100"
    assert ContentRange("bytes", 0, 99, None).to_header() == "bytes 0-98/*"


def test_etags() -> None:
    tags = ETags(["a", "b"], ["w"])
    assert tags.contains("a") and "a" in tags
    assert not tags.contains("w") and tags.contains_weak("w")
    assert tags.is_weak("w") and tags.is_strong("b")
    assert tags.contains_raw('W/"w"') and tags.contains_raw('"a"')
    assert not tags.contains_raw('"w"')
    assert tags.as_set() == {"a", "b"}
    assert tags.as_set(include_weak=True) == {"a", "b", "w"}
    assert tags.to_header() == '"a", "b", W/"w"'
    assert bool(tags) and not ETags()
    star = ETags(star_tag=True)
    assert star.contains("anything") and star.to_header() == "*"


def test_user_agent_is_not_parsed() -> None:
    ua = UserAgent("Mozilla/5.0 (X11)")
    assert ua.string == str(ua) == "Mozilla/5.0 (X11)"
    assert ua and not UserAgent("")
    assert ua.browser is None
