"""A raw PEP 3333 callable: the floor any framework's overhead is measured against.

It still does the work a correct app must do: method checks, a static-route dict,
an ordered list of compiled patterns for dynamic routes (the typed route last),
proper form decoding, JSON serialisation and 404/405 responses.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

import jinja2

from .spec import (
    FORM_FIELDS,
    FORM_SEPARATOR,
    HELLO,
    TEMPLATE,
    TEMPLATE_ROWS,
    TEMPLATE_TITLE,
    filler_routes,
    static_body,
)

# Bottle, Falcon and the raw callable have no session or ORM integration of their own.
UNSUPPORTED_CASES = {
    "session": "no built-in session",
    "db": "no ORM integration (the bare SQLAlchemy loop is the floor)",
}

_TEXT = [("Content-Type", "text/plain; charset=utf-8")]
_JSON = [("Content-Type", "application/json")]
_HTML = [("Content-Type", "text/html; charset=utf-8")]


def _text(start_response, status, text, headers=_TEXT):
    body = text.encode("utf-8")
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


def make_app(n_routes=100):
    hello = HELLO.encode("utf-8")

    def plaintext(environ, start_response):
        start_response("200 OK", [*_TEXT, ("Content-Length", str(len(hello)))])
        return [hello]

    def json_message(environ, start_response):
        return _text(start_response, "200 OK", json.dumps({"message": HELLO}), _JSON)

    def form(environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        data = dict(parse_qsl(raw.decode("latin-1"), encoding="utf-8"))
        try:
            text = FORM_SEPARATOR.join(data[name] for name in FORM_FIELDS)
        except KeyError:
            return _text(start_response, "400 Bad Request", "Bad Request")
        return _text(start_response, "200 OK", text)

    page = jinja2.Environment(autoescape=True).from_string(TEMPLATE)

    def template(environ, start_response):
        text = page.render(title=TEMPLATE_TITLE, rows=TEMPLATE_ROWS)
        return _text(start_response, "200 OK", text, _HTML)

    def static_view(i):
        body = static_body(i)
        return lambda environ, start_response: _text(start_response, "200 OK", body)

    def text_param(environ, start_response, value):
        return _text(start_response, "200 OK", value)

    def int_param(environ, start_response, value):
        return _text(start_response, "200 OK", str(int(value)))

    # path -> {method: handler}; dynamic: [(compiled pattern, method, handler)]
    static = {
        "/plaintext": {"GET": plaintext},
        "/json": {"GET": json_message},
        "/form": {"POST": form},
        "/template": {"GET": template},
    }
    dynamic = []
    for kind, i in filler_routes(n_routes):
        if kind == "static":
            static[f"/static-route-{i}"] = {"GET": static_view(i)}
        elif kind == "user":
            dynamic.append((re.compile(rf"/user-{i}/([^/]+)"), "GET", text_param))
        else:
            dynamic.append((re.compile(rf"/post-{i}/(\d+)"), "GET", int_param))
    dynamic.append((re.compile(r"/item/(\d+)"), "GET", int_param))

    def app(environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        method = environ["REQUEST_METHOD"]
        if method == "HEAD":
            method = "GET"
        handlers = static.get(path)
        if handlers is not None:
            handler = handlers.get(method)
            if handler is not None:
                return handler(environ, start_response)
            return _text(start_response, "405 Method Not Allowed", "Method Not Allowed")
        for pattern, allowed, handler in dynamic:
            m = pattern.fullmatch(path)
            if m is not None:
                if method != allowed:
                    return _text(
                        start_response, "405 Method Not Allowed", "Method Not Allowed"
                    )
                return handler(environ, start_response, m.group(1))
        return _text(start_response, "404 Not Found", "Not Found")

    return app
