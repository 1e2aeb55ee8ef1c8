"""The blog application: ``create_app()`` and the WSGI entry ``app``.

::

    kolba --app examples.blog.app:app run          # development
    gunicorn -w 4 'examples.blog.app:app'           # production

``app`` is built on first access (``from examples.blog.app import app``,
``getattr(module, "app")`` as gunicorn and ``kolba --app`` do), so importing
this module for ``create_app`` alone touches no database.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import typing as t
import zlib
from collections.abc import Iterator, Mapping

import sqlalchemy as sa

from kolba import Kolba, g, jsonify, render_template, request
from kolba.exceptions import HTTPException
from kolba.ext.csrf import CSRFProtect
from kolba.ext.migrate import Migrate, upgrade
from kolba.middleware import ProxyFix

from . import api, auth, config, posts
from .markdown import render as render_markdown
from .models import Post, User, db

HERE = os.path.dirname(os.path.abspath(__file__))
MIGRATIONS = os.path.join(HERE, "migrations")

logger = logging.getLogger(__name__)
csrf = CSRFProtect()
migrate = Migrate(directory=MIGRATIONS, render_as_batch=True)

ERROR_TITLES = {
    403: "Not allowed",
    404: "Page not found",
    500: "Something went wrong",
}

SAMPLE_POSTS = [
    (
        "Welcome to the Kolba blog",
        "This blog runs on **Kolba**, a micro framework with Flask's API.\n\n"
        "Register an account to write your own posts. Bodies are written in "
        "[Markdown](https://commonmark.org/help/).",
    ),
    (
        "Markdown, safely",
        "You can use *emphasis*, **bold**, `code`, lists and links:\n\n"
        "- raw HTML is shown as text, never run\n"
        '- links get `rel="nofollow noopener"`\n\n'
        "```python\nfrom kolba import Kolba\napp = Kolba(__name__)\n```",
    ),
    (
        "Under the hood",
        "Posts live in SQLite by default, or PostgreSQL with `DATABASE_URL`. "
        "The schema is managed by `kolba db` migrations, applied on start.",
    ),
]


def create_app(
    test_config: Mapping[str, t.Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Kolba:
    """Build the blog from ``environ`` (default ``os.environ``; see config.py).

    :param test_config: settings applied last (tests).
    """
    env = os.environ if environ is None else environ
    instance = config.instance_path(env)
    app = Kolba(__name__, instance_path=instance)
    app.config.from_mapping(config.settings(instance, env))
    if test_config:
        app.config.from_mapping(test_config)

    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(posts.bp)
    app.register_blueprint(api.bp)
    app.add_template_filter(render_markdown, "markdown")
    register_error_handlers(app)

    hops = app.config["BLOG_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
        # The same rules for the ASGI front end (uvicorn module:app.asgi_app).
        app.asgi_app = ProxyFix(  # type: ignore[assignment]
            app.asgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    if os.path.exists(os.path.join(MIGRATIONS, "env.py")):
        with app.app_context():
            prepare_database(app)
    else:  # only while the migrations are being created (kolba db init)
        logger.warning("No migrations in %s: the schema is not applied.", MIGRATIONS)
    return app


def register_error_handlers(app: Kolba) -> None:
    def handle(error: HTTPException) -> t.Any:
        code = error.code or 500
        if code == 500:
            db.session.rollback()
        if request.path.startswith("/api/"):
            message = "not found" if code == 404 else (error.name or "error").lower()
            return jsonify(error=message), code
        if "user" not in g:  # the error came before the user was loaded
            g.user = None
        return render_template(
            f"errors/{code}.html", title=ERROR_TITLES[code], error=error
        ), code

    for code in ERROR_TITLES:
        app.register_error_handler(code, handle)


@contextlib.contextmanager
def startup_lock(app: Kolba) -> Iterator[None]:
    """Hold a lock across processes while the schema is set up.

    gunicorn workers all start at once: SQLite gets a ``flock`` on a file in
    the instance folder, PostgreSQL a session-level advisory lock.
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(b"kolba-blog-migrations")
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
    else:
        path = os.path.join(app.instance_path, "migrate.lock")
        with open(path, "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)


def prepare_database(app: Kolba) -> None:
    """Apply the migrations, then add sample posts to a new database."""
    with startup_lock(app):
        upgrade(directory=MIGRATIONS)
        # The table is missing only while the first revision is being made.
        if app.config["BLOG_SAMPLE_POSTS"] and sa.inspect(db.engine).has_table(
            Post.__tablename__
        ):
            insert_sample_posts()
    db.session.remove()


def insert_sample_posts() -> None:
    """Three posts by the user ``kolba``, when there are no posts at all."""
    if db.session.execute(sa.select(Post.id).limit(1)).first() is not None:
        return
    author = db.session.execute(
        sa.select(User).where(User.username == "kolba")
    ).scalar_one_or_none()
    if author is None:
        # Nobody knows this password: reset it to log in as "kolba".
        password = secrets.token_urlsafe(32)
        author = User(username="kolba", password_hash=auth.hash_password(password))
        db.session.add(author)
    for title, body in SAMPLE_POSTS:
        db.session.add(Post(title=title, body=body, author=author))
        db.session.flush()  # distinct ids and timestamps, oldest first
    db.session.commit()


_app: Kolba | None = None


def __getattr__(name: str) -> t.Any:
    """Build ``app`` on first access (module-level attribute, PEP 562)."""
    global _app
    if name == "app":
        if _app is None:
            _app = create_app()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if t.TYPE_CHECKING:
    app: Kolba


if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=5000)
