"""Benchmark app for Falcon 4, the idiomatic Falcon way (resources, responders)."""

from __future__ import annotations

import falcon
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


class PlainText:
    def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = HELLO


class JsonMessage:
    def on_get(self, req, resp):
        resp.media = {"message": HELLO}


class Form:
    def on_post(self, req, resp):
        # Falcon 4: urlencoded bodies are parsed by the default media handler
        # (URLEncodedFormHandler); auto_parse_form_urlencoded is deprecated.
        data = req.get_media()
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = FORM_SEPARATOR.join(data[name] for name in FORM_FIELDS)


class Page:
    def __init__(self):
        self.page = jinja2.Environment(autoescape=True).from_string(TEMPLATE)

    def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_HTML
        resp.text = self.page.render(title=TEMPLATE_TITLE, rows=TEMPLATE_ROWS)


class Static:
    def __init__(self, i):
        self.body = static_body(i)

    def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = self.body


class User:
    def on_get(self, req, resp, name):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = name


class Post:
    def on_get(self, req, resp, post_id):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = str(post_id)


class Item:
    def on_get(self, req, resp, item_id):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = str(item_id)


def make_app(n_routes=100):
    app = falcon.App()
    app.add_route("/plaintext", PlainText())
    app.add_route("/json", JsonMessage())
    app.add_route("/form", Form())
    app.add_route("/template", Page())
    user, post = User(), Post()
    for kind, i in filler_routes(n_routes):
        if kind == "static":
            app.add_route(f"/static-route-{i}", Static(i))
        elif kind == "user":
            app.add_route(f"/user-{i}/{{name}}", user)
        else:
            app.add_route(f"/post-{i}/{{post_id:int}}", post)
    app.add_route("/item/{item_id:int}", Item())
    return app
