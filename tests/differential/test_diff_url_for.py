"""url_for inside a test request context, on both apps."""

from __future__ import annotations

import pytest
from kolba_diffkit import FLASK, KOLBA, make_app, outcome, skip_without_kolba

skip_without_kolba()


def url_app(fw):
    app = fw.App(__name__)
    app.testing = True

    def view(**kw):
        return "x"

    app.add_url_rule("/", "index", view)
    app.add_url_rule("/user/<name>", "user", view)
    app.add_url_rule("/post/<int:pid>", "post", view)
    app.add_url_rule("/signed/<int(signed=True):n>", "signed", view)
    app.add_url_rule("/price/<float:x>", "price", view)
    app.add_url_rule("/files/<path:p>", "files", view)
    app.add_url_rule("/u/<uuid:u>", "uuid", view)
    app.add_url_rule("/color/<any(red, blue):c>", "color", view)
    app.add_url_rule("/two/<a>/<int:b>", "two", view)
    app.add_url_rule("/thing", "thing", view, methods=["GET"])
    app.add_url_rule("/thing/new", "thing", view, methods=["POST"])
    app.add_url_rule("/page/", "page", view, defaults={"n": 1})
    app.add_url_rule("/page/<int:n>", "page", view)
    app.add_url_rule("/caf\u00e9/<name>", "cafe", view)
    app.add_url_rule("/slash/", "slash", view)
    return app


ARGS = [
    (("index",), {}),
    (("index",), {"a": "1"}),
    (("index",), {"b": "1", "a": "2", "c": "3"}),
    (("index",), {"q": "a b&c=d?e#f/g"}),
    (("index",), {"q": "caf\u00e9 \u2713"}),
    (("index",), {"tag": ["x", "y"]}),
    (("index",), {"tag": ("x",), "n": 3}),
    (("index",), {"x": None, "y": ""}),
    (("index",), {"n": 1.5, "b": True}),
    (("index",), {"_anchor": "top"}),
    (("index",), {"_anchor": "a b#c/d?e&f"}),
    (("index",), {"_anchor": "caf\u00e9"}),
    (("index",), {"_external": True}),
    (("index",), {"_external": True, "_scheme": "https"}),
    (("index",), {"_external": True, "_anchor": "x", "q": "1"}),
    (("user",), {"name": "alice"}),
    (("user",), {"name": "a b"}),
    (("user",), {"name": "a/b"}),
    (("user",), {"name": "caf\u00e9"}),
    (("user",), {"name": "q?x"}),
    (("user",), {"name": "h#x"}),
    (("user",), {"name": "a&b=c+d"}),
    (("user",), {"name": "%41"}),
    (("user",), {"name": "~tilde.-_"}),
    (("user",), {"name": "!$'()*,;:@"}),
    (("user",), {"name": 42}),
    (("user",), {"name": "x", "extra": "1"}),
    (("post",), {"pid": 7}),
    (("post",), {"pid": "7"}),
    (("post",), {"pid": 0}),
    (("post",), {"pid": 10**20}),
    (("signed",), {"n": -3}),
    (("price",), {"x": 2.5}),
    (("price",), {"x": 2}),
    (("files",), {"p": "a/b c/d.txt"}),
    (("files",), {"p": "/lead"}),
    (("files",), {"p": "caf\u00e9/x?y"}),
    (("uuid",), {"u": "d3b07384-d9a0-4c4e-9b1f-6f2c1e8e4a10"}),
    (("color",), {"c": "red"}),
    (("two",), {"a": "x", "b": 2, "c": "3"}),
    (("thing",), {}),
    (("thing",), {"_method": "POST"}),
    (("thing",), {"_method": "GET"}),
    (("page",), {}),
    (("page",), {"n": 1}),
    (("page",), {"n": 2}),
    (("cafe",), {"name": "\u00fc"}),
    (("slash",), {"_external": True}),
    # errors
    (("nope",), {}),
    (("user",), {}),
    (("post",), {"pid": "abc"}),
    (("thing",), {"_method": "DELETE"}),
    (("index",), {"_scheme": "https"}),
]


def _id(arg):
    args, kwargs = arg
    return ",".join([*map(str, args), *(f"{k}={v!r}" for k, v in kwargs.items())])


@pytest.mark.parametrize("arg", ARGS, ids=[_id(a) for a in ARGS])
@pytest.mark.parametrize(
    "ctx",
    [{}, {"path": "/sub?x=1"}, {"base_url": "https://example.org:8443/app/"}],
    ids=["plain", "path", "script_root"],
)
def test_url_for(arg, ctx):
    args, kwargs = arg
    got = {}
    for fw in (FLASK, KOLBA):
        app = make_app(url_app, fw)
        with app.test_request_context(**ctx):
            got[fw.name] = outcome(lambda: fw.url_for(*args, **kwargs))  # noqa: B023
    assert got[KOLBA.name] == got[FLASK.name]


def test_build_error_is_lookup_error():
    for fw in (FLASK, KOLBA):
        with make_app(url_app, fw).test_request_context():
            with pytest.raises(LookupError) as info:
                fw.url_for("nope")
            assert type(info.value).__name__ == "BuildError", fw
            assert isinstance(info.value, fw.BuildError), fw


def test_url_for_in_app_context_with_server_name():
    got = {}
    for fw in (FLASK, KOLBA):
        app = make_app(url_app, fw)
        app.config["SERVER_NAME"] = "example.com"
        app.config["PREFERRED_URL_SCHEME"] = "https"
        with app.app_context():
            got[fw.name] = [
                outcome(lambda: fw.url_for("user", name="x")),  # noqa: B023
                outcome(lambda: fw.url_for("index", _external=False)),  # noqa: B023
            ]
    assert got[KOLBA.name] == got[FLASK.name]
