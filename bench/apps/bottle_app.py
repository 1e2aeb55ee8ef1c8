"""Benchmark app for Bottle, written the idiomatic Bottle way."""

from __future__ import annotations

import jinja2
from bottle import Bottle, request, response

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


def _static_view(i):
    body = static_body(i)

    def view():
        return body

    return view


def _user_view(name):
    return name


def _post_view(post_id):
    return str(post_id)


def make_app(n_routes=100):
    app = Bottle()
    page = jinja2.Environment(autoescape=True).from_string(TEMPLATE)

    @app.get("/plaintext")
    def plaintext():
        response.content_type = "text/plain"
        return HELLO

    @app.get("/json")
    def json_message():
        return {"message": HELLO}  # serialised by Bottle's built-in JSONPlugin

    @app.post("/form")
    def form():
        data = request.forms
        # getunicode: Bottle keeps form values as latin-1 "native strings";
        # this is its documented way to get correctly decoded text.
        return FORM_SEPARATOR.join(data.getunicode(name) for name in FORM_FIELDS)

    @app.get("/template")
    def template():
        return page.render(title=TEMPLATE_TITLE, rows=TEMPLATE_ROWS)  # text/html

    for kind, i in filler_routes(n_routes):
        if kind == "static":
            app.route(f"/static-route-{i}", "GET", _static_view(i), name=f"static_{i}")
        elif kind == "user":
            app.route(f"/user-{i}/<name>", "GET", _user_view, name=f"user_{i}")
        else:
            app.route(f"/post-{i}/<post_id:int>", "GET", _post_view, name=f"post_{i}")

    @app.get("/item/<item_id:int>")
    def item(item_id):
        return str(item_id)

    return app
