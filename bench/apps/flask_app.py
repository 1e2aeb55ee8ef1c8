"""Benchmark app for Flask 3.1.

kolba_app.py is this file with ``flask_sqlalchemy`` -> ``kolba.ext.sqlalchemy``,
``flask`` -> ``kolba`` and ``Flask`` -> ``Kolba`` and nothing else: the two must stay
identical so the comparison is like for like.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request, session
from flask_sqlalchemy import SQLAlchemy

from .database import ENGINE_OPTIONS
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

db = SQLAlchemy()


class Item(db.Model):
    __tablename__ = "item"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), unique=True, index=True, nullable=False)
    price = db.Column(db.Float, nullable=False)


def _static_view(i):
    body = static_body(i)

    def view():
        return body

    return view


def _user_view(name):
    return name


def _post_view(post_id):
    return str(post_id)


def make_app(n_routes=100, database_uri=None):
    app = Flask(__name__)
    app.secret_key = SECRET_KEY
    if database_uri is not None:
        app.config["SQLALCHEMY_DATABASE_URI"] = database_uri
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = ENGINE_OPTIONS
        db.init_app(app)

        @app.route("/db/<int:item_id>")
        def db_item(item_id):
            item = db.get_or_404(Item, item_id)
            return jsonify(id=item.id, name=item.name, price=item.price)

    @app.route("/plaintext")
    def plaintext():
        return Response(HELLO, mimetype="text/plain")

    @app.route("/json")
    def json_message():
        return jsonify(message=HELLO)

    @app.route("/form", methods=["POST"])
    def form():
        data = request.form
        return FORM_SEPARATOR.join(data[name] for name in FORM_FIELDS)

    @app.route("/template")
    def template():
        return render_template(TEMPLATE_NAME, title=TEMPLATE_TITLE, rows=TEMPLATE_ROWS)

    @app.route("/session")
    def session_counter():
        session["count"] = session.get("count", 0) + 1
        return str(session["count"])

    for kind, i in filler_routes(n_routes):
        if kind == "static":
            app.add_url_rule(f"/static-route-{i}", f"static_{i}", _static_view(i))
        elif kind == "user":
            app.add_url_rule(f"/user-{i}/<name>", f"user_{i}", _user_view)
        else:
            app.add_url_rule(f"/post-{i}/<int:post_id>", f"post_{i}", _post_view)

    @app.route("/item/<int:item_id>")
    def item(item_id):
        return str(item_id)

    return app


def close_app(app):
    """Dispose of the app's database engines (the harness calls it when done)."""
    if "sqlalchemy" in app.extensions:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
