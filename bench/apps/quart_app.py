"""Benchmark app for Quart (Flask's API on asyncio): ``flask_app.py`` with async views.

The differences from ``flask_app.py`` are Quart's own: ``await request.form``,
``await render_template(...)``, and a ``@app.websocket`` echo route. No database.
"""

from __future__ import annotations

from quart import Quart, Response, jsonify, render_template, request, session, websocket

from .spec import (
    FORM_FIELDS,
    FORM_SEPARATOR,
    HELLO,
    SECRET_KEY,
    TEMPLATE_NAME,
    TEMPLATE_ROWS,
    TEMPLATE_TITLE,
    filler_routes,
    static_body,
)


def _static_view(i):
    body = static_body(i)

    async def view():
        return body

    return view


async def _user_view(name):
    return name


async def _post_view(post_id):
    return str(post_id)


def make_app(n_routes=100):
    """The ASGI callable a server would be given: the Quart app."""
    app = Quart(__name__)
    app.secret_key = SECRET_KEY

    @app.route("/plaintext")
    async def plaintext():
        return Response(HELLO, mimetype="text/plain")

    @app.route("/json")
    async def json_message():
        return jsonify(message=HELLO)

    @app.route("/form", methods=["POST"])
    async def form():
        data = await request.form
        return FORM_SEPARATOR.join(data[name] for name in FORM_FIELDS)

    @app.route("/template")
    async def template():
        return await render_template(
            TEMPLATE_NAME, title=TEMPLATE_TITLE, rows=TEMPLATE_ROWS
        )

    @app.route("/session")
    async def session_counter():
        session["count"] = session.get("count", 0) + 1
        return str(session["count"])

    @app.websocket("/ws")
    async def echo():
        while True:
            await websocket.send(await websocket.receive())

    for kind, i in filler_routes(n_routes):
        if kind == "static":
            app.add_url_rule(f"/static-route-{i}", f"static_{i}", _static_view(i))
        elif kind == "user":
            app.add_url_rule(f"/user-{i}/<name>", f"user_{i}", _user_view)
        else:
            app.add_url_rule(f"/post-{i}/<int:post_id>", f"post_{i}", _post_view)

    @app.route("/item/<int:item_id>")
    async def item(item_id):
        return str(item_id)

    return app
