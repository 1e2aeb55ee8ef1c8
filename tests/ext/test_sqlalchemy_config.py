"""Configuration: binds, SQLite paths and pragmas, PostgreSQL URLs, errors."""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from kolba import Kolba
from kolba.ext.sqlalchemy import SQLAlchemy


def make_app(tmp_path: Path, **config: t.Any) -> Kolba:
    app = Kolba(
        "kolba_db_app", root_path=str(tmp_path), instance_path=str(tmp_path / "inst")
    )
    app.config.update(TESTING=True, **config)
    return app


def dispose(app: Kolba, db: SQLAlchemy) -> None:
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def _bound_models(db: SQLAlchemy) -> tuple[t.Any, t.Any]:
    class Account(db.Model):  # type: ignore[name-defined]  # db.Model is dynamic
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40))

    class AuditEntry(db.Model):  # type: ignore[name-defined]
        __bind_key__ = "audit"
        id = db.Column(db.Integer, primary_key=True)
        message = db.Column(db.String(200))

    return Account, AuditEntry


def _exercise_binds(app: Kolba, db: SQLAlchemy, account: t.Any, audit: t.Any) -> None:
    @app.post("/accounts/<name>")
    def create(name: str) -> t.Any:
        db.session.add(account(name=name))
        db.session.add(audit(message=f"created {name}"))
        db.session.commit()
        return {
            "accounts": db.session.scalar(db.select(db.func.count(account.id))),
            "audit": [e.message for e in audit.query.all()],
        }

    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert client.post("/accounts/ada").json == {
        "accounts": 1,
        "audit": ["created ada"],
    }
    with app.app_context():
        default, other = db.engines[None], db.engines["audit"]
        assert db.get_engine("audit") is other and db.engine is default
        assert sa.inspect(default).has_table("account")
        assert not sa.inspect(default).has_table("audit_entry")
        assert sa.inspect(other).has_table("audit_entry")
        assert not sa.inspect(other).has_table("account")


def test_binds_on_two_sqlite_files(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'main.db'}",
        SQLALCHEMY_BINDS={"audit": f"sqlite:///{tmp_path / 'audit.db'}"},
    )
    db = SQLAlchemy(app)
    try:
        _exercise_binds(app, db, *_bound_models(db))
        assert (tmp_path / "main.db").exists() and (tmp_path / "audit.db").exists()
    finally:
        dispose(app, db)


def test_binds_on_postgresql_and_sqlite(tmp_path: Path, postgres_url: str) -> None:
    app = make_app(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'main.db'}",
        SQLALCHEMY_BINDS={"audit": {"url": postgres_url, "pool_size": 2}},
    )
    db = SQLAlchemy(app)
    try:
        account, audit = _bound_models(db)
        with app.app_context():
            assert db.engines["audit"].dialect.name == "postgresql"
            assert db.engines["audit"].pool.size() == 2
        _exercise_binds(app, db, account, audit)
        with app.app_context():
            db.drop_all(bind_key="audit")
            assert not sa.inspect(db.engines["audit"]).has_table("audit_entry")
    finally:
        dispose(app, db)


def test_unconfigured_bind_key_is_a_clear_error(tmp_path: Path) -> None:
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI="sqlite://")
    db = SQLAlchemy(app)

    class Stray(db.Model):  # type: ignore[name-defined]
        __bind_key__ = "missing"
        id = db.Column(db.Integer, primary_key=True)

    try:
        with app.app_context():
            with pytest.raises(KeyError, match="SQLALCHEMY_BINDS"):
                db.create_all()
            with pytest.raises(sa_exc.UnboundExecutionError, match="'missing'"):
                db.session.execute(db.select(Stray)).all()
    finally:
        dispose(app, db)


def test_relative_sqlite_path_lands_in_instance_folder(tmp_path: Path) -> None:
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI="sqlite:///app.db")
    assert not (tmp_path / "inst").exists()
    db = SQLAlchemy(app)

    class Note(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)

    try:
        with app.app_context():
            db.create_all()
            assert db.engine.url.database == str(tmp_path / "inst" / "app.db")
        assert (tmp_path / "inst" / "app.db").is_file()
        assert not (tmp_path / "app.db").exists()
    finally:
        dispose(app, db)


def test_sqlite_memory_is_shared_and_enforces_foreign_keys(tmp_path: Path) -> None:
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI="sqlite://")
    db = SQLAlchemy(app)
    try:
        with app.app_context():
            assert isinstance(db.engine.pool, sa.pool.StaticPool)
            db.session.execute(sa.text("CREATE TABLE shared (id INTEGER)"))
            db.session.commit()
        with app.app_context():  # a new session, the same database
            assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            assert (
                db.session.execute(sa.text("SELECT count(*) FROM shared")).scalar() == 0
            )
    finally:
        dispose(app, db)


def test_missing_database_uri_says_how_to_set_it(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="SQLALCHEMY_DATABASE_URI") as info:
        SQLAlchemy(make_app(tmp_path))
    assert 'app.config["SQLALCHEMY_DATABASE_URI"] = ' in str(info.value)


def test_postgresql_url_without_driver_uses_psycopg(
    tmp_path: Path, postgres_url: str
) -> None:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=plain)
    db = SQLAlchemy(app)
    try:
        with app.app_context():
            assert db.engine.url.drivername == "postgresql+psycopg"
            assert db.engine.pool._pre_ping  # server databases ping before use
            assert db.session.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        dispose(app, db)


def test_missing_psycopg_is_a_clear_import_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg fails
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI="postgresql://u@localhost/db")
    with pytest.raises(ImportError, match=r"pip install 'kolba\[postgres\]'"):
        SQLAlchemy(app)


def test_one_db_for_two_apps(tmp_path: Path) -> None:
    db = SQLAlchemy()

    class Item(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)

    first = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'a.db'}")
    second = make_app(
        tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'b.db'}"
    )
    db.init_app(first)
    db.init_app(second)
    try:
        with pytest.raises(RuntimeError, match=r"with app\.app_context\(\):"):
            db.create_all()  # which app's database? a context must say
        for app, count in ((first, 1), (second, 2)):
            with app.app_context():
                db.create_all()
                db.session.add_all(Item() for _ in range(count))
                db.session.commit()
        for app, count in ((first, 1), (second, 2)):
            with app.app_context():
                assert Item.query.count() == count
    finally:
        dispose(first, db)
        dispose(second, db)


def test_unregistered_app_is_a_clear_error(tmp_path: Path) -> None:
    db = SQLAlchemy()
    app = make_app(tmp_path)
    with app.app_context(), pytest.raises(RuntimeError, match=r"db\.init_app\(app\)"):
        db.engine


def test_engine_options_from_config(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.db'}",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 3},
    )
    db = SQLAlchemy(app, engine_options={"pool_size": 1, "max_overflow": 4})
    try:
        with app.app_context():
            pool = db.engine.pool
            assert isinstance(pool, sa.pool.QueuePool)
            assert (pool.size(), pool._max_overflow) == (3, 4)
    finally:
        dispose(app, db)


def test_default_metadata_names_constraints(tmp_path: Path) -> None:
    app = Kolba(__name__, instance_path=str(tmp_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'names.db'}"
    db = SQLAlchemy(app)

    class Author(db.Model):  # type: ignore[name-defined,misc]
        id = db.Column(db.Integer, primary_key=True)
        email = db.Column(db.String(80), unique=True)

    with app.app_context():
        db.create_all()
        inspector = db.inspect(db.engine)
        names = {c["name"] for c in inspector.get_unique_constraints("author")}
        pk = inspector.get_pk_constraint("author")["name"]
        db.engine.dispose()
    assert names == {"uq_author_email"}
    # SQLite does not keep primary-key names; the convention is set all the same.
    assert db.metadata.naming_convention["pk"] == "pk_%(table_name)s"
    assert pk in (None, "pk_author")
