"""Configuration, the secret key, migrations on first start, sample posts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import typing as t

import sqlalchemy as sa
from blog_helpers import ROOT

from kolba import Kolba

MakeBlog = t.Callable[..., Kolba]


def _count_posts(app: Kolba) -> int:
    from examples.blog.models import Post, db

    with app.app_context():
        return int(db.session.execute(sa.select(sa.func.count(Post.id))).scalar_one())


def test_secret_key_generated_once(
    make_blog: MakeBlog, blog_env: dict[str, str]
) -> None:
    first = make_blog()
    path = os.path.join(blog_env["KOLBA_BLOG_INSTANCE"], "secret_key")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key = first.config["SECRET_KEY"]
    assert len(key) >= 32
    with open(path) as f:
        assert f.read().strip() == key
    assert make_blog().config["SECRET_KEY"] == key
    assert [
        n for n in os.listdir(blog_env["KOLBA_BLOG_INSTANCE"]) if "secret" in n
    ] == ["secret_key"]


def test_secret_key_from_environment(
    make_blog: MakeBlog, blog_env: dict[str, str]
) -> None:
    app = make_blog(SECRET_KEY="from the environment")
    assert app.config["SECRET_KEY"] == "from the environment"
    assert not os.path.exists(
        os.path.join(blog_env["KOLBA_BLOG_INSTANCE"], "secret_key")
    )


def test_no_secret_literal_in_code() -> None:
    folder = os.path.join(ROOT, "examples", "blog")
    for name in ("app.py", "config.py"):
        with open(os.path.join(folder, name)) as f:
            source = f.read()
        assert "SECRET_KEY =" not in source
        assert "supersecretkey" not in source


def test_first_run_applies_migrations(blog: Kolba, database: str | None) -> None:
    from examples.blog.models import db

    with blog.app_context():
        inspector = sa.inspect(db.engine)
        assert {"users", "posts", "alembic_version"} <= set(inspector.get_table_names())
        version = db.session.execute(
            sa.text("SELECT version_num FROM alembic_version")
        ).scalar_one()
    versions = os.listdir(
        os.path.join(ROOT, "examples", "blog", "migrations", "versions")
    )
    assert any(name.startswith(version) for name in versions)
    if database is None:
        assert os.path.exists(os.path.join(blog.instance_path, "blog.db"))


def test_sample_posts_only_when_new(make_blog: MakeBlog) -> None:
    app = make_blog(BLOG_SAMPLE_POSTS="1")
    assert _count_posts(app) == 3
    page = app.test_client().get("/").text
    assert page.count('<article class="post-summary">') == 3
    assert page.count('<span class="post-author">kolba</span>') == 3
    assert _count_posts(make_blog(BLOG_SAMPLE_POSTS="1")) == 3  # not again


def test_no_sample_posts_when_disabled(make_blog: MakeBlog) -> None:
    assert _count_posts(make_blog()) == 0


def test_workers_starting_together(
    make_blog: MakeBlog, blog_env: dict[str, str]
) -> None:
    """Four processes start at once: one schema, one key, three sample posts."""
    code = "from examples.blog.app import create_app; create_app()"
    env = {**os.environ, **blog_env, "BLOG_SAMPLE_POSTS": "1", "PYTHONPATH": ROOT}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(4)
    ]
    for process in processes:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0, out.decode()
    app = make_blog()
    assert _count_posts(app) == 3
    with open(os.path.join(blog_env["KOLBA_BLOG_INSTANCE"], "secret_key")) as f:
        assert f.read().strip() == app.config["SECRET_KEY"]


def test_models_match_migrations(blog: Kolba) -> None:
    from kolba.ext.migrate import check

    with blog.app_context():
        check()  # raises if autogenerate would find differences


def test_db_check_command_is_clean(blog_env: dict[str, str]) -> None:
    kolba = os.path.join(os.path.dirname(sys.executable), "kolba")
    result = subprocess.run(
        [kolba, "--app", "examples.blog.app:app", "db", "check"],
        cwd=ROOT,
        env={**os.environ, **blog_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def test_database_url_defaults_and_postgres_driver(tmp_path: t.Any) -> None:
    from examples.blog import config

    instance = str(tmp_path)
    assert config.database_url(instance, {}) == "sqlite:///" + os.path.join(
        instance, "blog.db"
    )
    for url in ("postgresql://u@h/db", "postgres://u@h/db"):
        assert config.database_url(instance, {"DATABASE_URL": url}) == (
            "postgresql+psycopg://u@h/db"
        )
    other = "postgresql+psycopg://u@h/db"
    assert config.database_url(instance, {"DATABASE_URL": other}) == other


def test_settings_defaults(tmp_path: t.Any) -> None:
    from examples.blog import config

    settings = config.settings(str(tmp_path), {})
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["BLOG_PROXY_HOPS"] == 0
    assert settings["BLOG_SAMPLE_POSTS"] is True
    secure = config.settings(str(tmp_path), {"BLOG_SECURE_COOKIES": "1"})
    assert secure["SESSION_COOKIE_SECURE"] is True
