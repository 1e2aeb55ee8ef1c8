"""Fixtures for the blog: an app per test on a clean SQLite or PostgreSQL database.

``make_blog(**env)`` builds ``examples.blog`` through ``create_app`` with a
temporary instance folder (and so a fresh SQLite file, or a freshly emptied
PostgreSQL schema); sample posts are off unless a test asks for them. CSRF
protection stays on: :class:`blog_helpers.BlogClient` reads the token from a
form page before each POST, as a browser does.
"""

from __future__ import annotations

import os
import sys
import typing as t

import pytest
import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)  # ``examples`` is a package of the repository

from blog_helpers import BlogClient  # noqa: E402

from kolba import Kolba  # noqa: E402


def reset_postgres(url: str) -> None:
    """Drop everything the previous test left (tables, alembic_version)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str | None:
    """``None`` for SQLite in the instance folder, or a clean PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    reset_postgres(url)
    return url


@pytest.fixture
def blog_env(
    database: str | None, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The environment ``create_app`` reads (a fresh instance folder)."""
    env = {
        "KOLBA_BLOG_INSTANCE": str(tmp_path_factory.mktemp("instance")),
        "BLOG_SAMPLE_POSTS": "0",
    }
    if database is not None:
        env["DATABASE_URL"] = database
    return env


@pytest.fixture
def make_blog(blog_env: dict[str, str]) -> t.Iterator[t.Callable[..., Kolba]]:
    """Build a blog app; keyword arguments override environment variables."""
    from examples.blog.app import create_app
    from examples.blog.models import db

    apps: list[Kolba] = []

    def make(test_config: dict[str, t.Any] | None = None, **env: str) -> Kolba:
        app = create_app(
            test_config={"TESTING": True, **(test_config or {})},
            environ={**blog_env, **env},
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def blog(make_blog: t.Callable[..., Kolba]) -> Kolba:
    return make_blog()


@pytest.fixture
def client(blog: Kolba) -> BlogClient:
    return BlogClient(blog)


@pytest.fixture
def other(blog: Kolba) -> BlogClient:
    """A second browser, for a second user."""
    return BlogClient(blog)
