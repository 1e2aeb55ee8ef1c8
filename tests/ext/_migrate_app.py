"""An app whose models come in versions, for the migration tests.

``create_app(url, directory, version)`` builds a fresh app and a fresh
``SQLAlchemy`` (so a fresh ``MetaData``) each time: version 1 is the first
schema, version 2 widens ``author.name`` (String 50 -> 200) and
``author.views`` (Integer -> BigInteger) and adds ``author.email`` with a
unique constraint; version 3 adds ``author.bio`` on top. With ``users_url``
a second database (bind ``users``) holds ``account``, which changes in the
same steps. The console test imports it in a subprocess
(``kolba --app "_migrate_app:create_app(...)"``).
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

from kolba import Kolba
from kolba.ext.migrate import Migrate, RenderAsBatch
from kolba.ext.sqlalchemy import SQLAlchemy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def create_app(
    url: str,
    directory: str,
    version: int = 1,
    users_url: str | None = None,
    render_as_batch: RenderAsBatch = True,
    command: str = "db",
) -> Kolba:
    app = Kolba("migrate_app", root_path=directory)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if users_url is not None:
        app.config["SQLALCHEMY_BINDS"] = {"users": users_url}
    # The documented recommendation: constraint names a later migration can
    # drop (SQLite cannot drop an unnamed constraint at all).
    db = SQLAlchemy(app, metadata=sa.MetaData(naming_convention=NAMING_CONVENTION))
    define_models(db, version, with_users=users_url is not None)
    Migrate(
        app, db, directory=directory, render_as_batch=render_as_batch, command=command
    )
    return app


def define_models(db: t.Any, version: int, with_users: bool) -> None:
    class Author(db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "author"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(50 if version == 1 else 200), nullable=False)
        views = db.Column(db.Integer if version == 1 else db.BigInteger)
        if version >= 2:
            email = db.Column(db.String(120), unique=True)
        if version >= 3:
            bio = db.Column(db.Text)

    if with_users:

        class Account(db.Model):  # type: ignore[name-defined,misc]
            __bind_key__ = "users"
            __tablename__ = "account"
            id = db.Column(db.Integer, primary_key=True)
            login = db.Column(db.String(50 if version == 1 else 200))
            if version >= 2:
                active = db.Column(db.Boolean)
