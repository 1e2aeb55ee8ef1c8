"""kolba.ext.migrate through the real ``kolba db`` CLI, on SQLite and PostgreSQL.

Every test runs Alembic for real against a real database (a SQLite file in
``tmp_path`` or a fresh PostgreSQL database on the test cluster) and checks
the schema that results with ``sqlalchemy.inspect``. The models come from
``_migrate_app.create_app(url, directory, version)``: each call builds a
fresh app and ``SQLAlchemy``, so "changing a model" is building version 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
import typing as t
import uuid

import pytest
import sqlalchemy as sa
from _migrate_app import create_app
from click.testing import Result

from kolba import Kolba
from kolba.ext import migrate as migrate_api
from kolba.ext.migrate import Migrate

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src")


# -- databases --------------------------------------------------------------------


def _fresh_postgres_database(postgres_url: str) -> t.Iterator[str]:
    """A new, empty database on the test cluster; dropped afterwards."""
    name = f"kolba_migrate_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield (
            sa.make_url(postgres_url)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: t.Any) -> t.Iterator[str]:
    """An empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}"
    else:
        postgres_url = request.getfixturevalue("postgres_url")
        yield from _fresh_postgres_database(postgres_url)


@pytest.fixture
def users_url(
    request: pytest.FixtureRequest, database_url: str, tmp_path: t.Any
) -> t.Iterator[str]:
    """A second empty database of the same kind, for the ``users`` bind."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'users.db'}"
    else:
        yield from _fresh_postgres_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def migrations(tmp_path: t.Any) -> str:
    return str(tmp_path / "migrations")


AppFactory = t.Callable[..., Kolba]


@pytest.fixture
def make_app(database_url: str, migrations: str) -> t.Iterator[AppFactory]:
    """``make_app(version, **options)``: the app at one version of its models."""
    apps: list[Kolba] = []

    def make(version: int = 1, **options: t.Any) -> Kolba:
        app = create_app(database_url, migrations, version, **options)
        apps.append(app)
        return app

    yield make
    for app in apps:  # close the pools, or SQLite/psycopg warn at exit
        with app.app_context():
            for engine in app.extensions["sqlalchemy"].engines.values():
                engine.dispose()


# -- helpers ----------------------------------------------------------------------


def kolba_db(app: Kolba, *args: str, status: int = 0) -> Result:
    command = app.extensions["migrate"].command
    result = app.test_cli_runner().invoke(args=[command, *args])
    assert result.exit_code == status, (result.output, result.exception)
    return result


def schema(url: str) -> dict[str, dict[str, t.Any]]:
    """``{table: {column: reflected type}}`` of the database, as it is now."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {
            table: {c["name"]: c["type"] for c in inspector.get_columns(table)}
            for table in inspector.get_table_names()
        }
    finally:
        engine.dispose()


def unique_constraints(url: str, table: str) -> list[tuple[str | None, list[str]]]:
    engine = sa.create_engine(url)
    try:
        found = sa.inspect(engine).get_unique_constraints(table)
        return [(uc["name"], list(uc["column_names"])) for uc in found]
    finally:
        engine.dispose()


def execute(url: str, sql: str, **params: t.Any) -> list[tuple[t.Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def revision_files(directory: str) -> list[str]:
    versions = os.path.join(directory, "versions")
    return sorted(name for name in os.listdir(versions) if name.endswith(".py"))


def assert_version_1(url: str) -> None:
    columns = schema(url)["author"]
    assert set(columns) == {"id", "name", "views"}
    assert columns["name"].length == 50
    assert isinstance(columns["views"], sa.Integer)
    assert not isinstance(columns["views"], sa.BigInteger)
    assert unique_constraints(url, "author") == []


def assert_version_2(url: str) -> None:
    columns = schema(url)["author"]
    assert set(columns) == {"id", "name", "views", "email"}
    assert columns["name"].length == 200
    assert isinstance(columns["views"], sa.BigInteger)
    assert unique_constraints(url, "author") == [("uq_author_email", ["email"])]


def at_version_1(make_app: AppFactory) -> Kolba:
    """An initialised folder with revision r1 applied; the version-1 app."""
    app = make_app(1)
    kolba_db(app, "init")
    kolba_db(app, "migrate", "-m", "create author", "--rev-id", "r1")
    kolba_db(app, "upgrade")
    return app


# -- init -------------------------------------------------------------------------


def test_init_writes_kolba_environment(make_app: AppFactory, migrations: str) -> None:
    result = kolba_db(make_app(1), "init")

    assert sorted(os.listdir(migrations)) == [
        "README",
        "alembic.ini",
        "env.py",
        "script.py.mako",
        "versions",
    ]
    with open(os.path.join(migrations, "env.py")) as f:
        env = f.read()
    assert 'current_app.extensions["migrate"]' in env
    assert "Created the migration folder" in result.output
    assert "kolba db migrate" in result.output


def test_init_refuses_a_folder_that_is_not_empty(make_app: AppFactory) -> None:
    app = make_app(1)
    kolba_db(app, "init")

    result = kolba_db(app, "init", status=1)

    assert "Error:" in result.output
    assert "not empty" in result.output


def test_commands_before_init_fail_with_a_message(make_app: AppFactory) -> None:
    result = kolba_db(make_app(1), "upgrade", status=1)

    assert "Error:" in result.output
    assert "Traceback" not in result.output


# -- migrate / upgrade / downgrade ---------------------------------------------


def test_migrate_then_upgrade_creates_the_tables(
    make_app: AppFactory, migrations: str, database_url: str
) -> None:
    app = make_app(1)
    kolba_db(app, "init")

    result = kolba_db(app, "migrate", "-m", "create author", "--rev-id", "r1")

    assert "Detected added table 'author'" in result.output
    assert revision_files(migrations) == ["r1_create_author.py"]
    assert "author" not in schema(database_url)

    kolba_db(app, "upgrade")

    assert_version_1(database_url)
    assert execute(database_url, "SELECT version_num FROM alembic_version") == [("r1",)]


def test_migrate_without_changes_writes_no_revision(
    make_app: AppFactory, migrations: str
) -> None:
    app = at_version_1(make_app)

    result = kolba_db(app, "migrate", "-m", "nothing")

    assert "No changes in schema detected." in result.output
    assert revision_files(migrations) == ["r1_create_author.py"]


def test_changed_models_migrate_upgrade_and_downgrade(
    make_app: AppFactory, migrations: str, database_url: str
) -> None:
    at_version_1(make_app)
    execute(
        database_url,
        "INSERT INTO author (id, name, views) VALUES (1, 'ada', 7)",
    )
    app = make_app(2)

    result = kolba_db(app, "migrate", "-m", "widen author", "--rev-id", "r2")

    # compare_type: String(50)->String(200) and Integer->BigInteger are seen.
    assert "Detected added column 'author.email'" in result.output
    assert "Detected type change" in result.output
    assert "on 'author.name'" in result.output
    assert "on 'author.views'" in result.output
    assert "Detected added unique constraint 'uq_author_email'" in result.output
    with open(os.path.join(migrations, "versions", "r2_widen_author.py")) as f:
        script = f.read()
    # Batch mode on SQLite only: there ALTER cannot change a column type.
    uses_batch = "op.batch_alter_table('author'" in script
    assert uses_batch == database_url.startswith("sqlite")

    kolba_db(app, "upgrade")

    assert_version_2(database_url)
    assert execute(database_url, "SELECT id, name, views, email FROM author") == [
        (1, "ada", 7, None)
    ]
    execute(
        database_url,
        "INSERT INTO author (id, name, views, email) VALUES (2, :name, :views, 'b@x')",
        name="b" * 150,
        views=2**40,
    )
    execute(database_url, "DELETE FROM author WHERE id = 2")

    kolba_db(app, "downgrade")

    assert_version_1(database_url)
    assert execute(database_url, "SELECT id, name, views FROM author") == [
        (1, "ada", 7)
    ]
    assert execute(database_url, "SELECT version_num FROM alembic_version") == [("r1",)]


def test_downgrade_to_base_drops_the_tables(
    make_app: AppFactory, database_url: str
) -> None:
    app = at_version_1(make_app)

    kolba_db(app, "downgrade", "base")

    assert "author" not in schema(database_url)


# -- check ------------------------------------------------------------------------


def test_check_passes_when_models_match_the_last_revision(
    make_app: AppFactory,
) -> None:
    app = at_version_1(make_app)

    result = kolba_db(app, "check")

    assert "No new upgrade operations detected." in result.output


def test_check_fails_when_a_model_changed_without_a_revision(
    make_app: AppFactory,
) -> None:
    at_version_1(make_app)

    result = kolba_db(make_app(2), "check", status=1)

    assert "Error: New upgrade operations detected" in result.output
    assert "'email'" in result.output


def test_check_fails_when_the_database_is_behind(make_app: AppFactory) -> None:
    app = make_app(1)
    kolba_db(app, "init")
    kolba_db(app, "migrate", "--rev-id", "r1")

    result = kolba_db(app, "check", status=1)

    assert "Target database is not up to date" in result.output


# -- current / history / heads / show / stamp ------------------------------------


def _two_revisions(make_app: AppFactory) -> Kolba:
    at_version_1(make_app)
    app = make_app(2)
    kolba_db(app, "migrate", "-m", "widen author", "--rev-id", "r2")
    return app


def test_current_shows_the_database_revision(make_app: AppFactory) -> None:
    app = _two_revisions(make_app)

    assert kolba_db(app, "current").output.split() == ["r1"]
    kolba_db(app, "upgrade")
    assert kolba_db(app, "current").output.split() == ["r2", "(head)"]


def test_history_and_heads_list_the_revisions(make_app: AppFactory) -> None:
    app = _two_revisions(make_app)

    history = kolba_db(app, "history").output.splitlines()
    assert history == [
        "r1 -> r2 (head), widen author",
        "<base> -> r1, create author",
    ]
    current = kolba_db(app, "history", "-i").output
    assert "r1 (current)" in current
    assert kolba_db(app, "heads").output.split() == ["r2", "(head)"]
    assert "Revision ID: r2" in kolba_db(app, "heads", "-v").output
    assert "Rev: r1" in kolba_db(app, "show", "r1").output
    assert kolba_db(app, "branches").output == ""


def test_stamp_head_records_the_revision_without_running_it(
    make_app: AppFactory, database_url: str
) -> None:
    app = _two_revisions(make_app)

    kolba_db(app, "stamp", "head")

    assert kolba_db(app, "current").output.split() == ["r2", "(head)"]
    assert_version_1(database_url)  # r2 never ran


# -- offline SQL ------------------------------------------------------------------


def test_upgrade_sql_prints_the_sql_and_changes_nothing(
    make_app: AppFactory, database_url: str
) -> None:
    app = _two_revisions(make_app)
    kolba_db(app, "downgrade", "base")
    # SQLite batch operations must reflect the live table, so offline SQL
    # stops at r1 there; PostgreSQL renders both revisions.
    target = "r1" if database_url.startswith("sqlite") else "head"

    result = kolba_db(app, "upgrade", "--sql", target)

    assert "CREATE TABLE alembic_version" in result.stdout
    assert "CREATE TABLE author" in result.stdout
    if target == "head":
        assert "ALTER TABLE author ADD COLUMN email VARCHAR(120)" in result.stdout
        assert "ALTER COLUMN views TYPE BIGINT" in result.stdout
    assert set(schema(database_url)) <= {"alembic_version"}


def test_downgrade_sql_defaults_to_one_step_back(
    make_app: AppFactory, database_url: str
) -> None:
    app = at_version_1(make_app)

    result = kolba_db(app, "downgrade", "--sql")

    assert "DROP TABLE author" in result.stdout
    assert_version_1(database_url)


# -- the console path -------------------------------------------------------------


def test_console_kolba_db_upgrade_in_a_subprocess(
    make_app: AppFactory, migrations: str, database_url: str, tmp_path: t.Any
) -> None:
    app = make_app(1)
    kolba_db(app, "init")
    kolba_db(app, "migrate", "--rev-id", "r1")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([HERE, SRC, os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("KOLBA_APP", None)

    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "kolba",
            "--app",
            f"_migrate_app:create_app({database_url!r}, {migrations!r}, 1)",
            "db",
            "upgrade",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    assert "Running upgrade  -> r1" in completed.stderr
    assert_version_1(database_url)


# -- options ----------------------------------------------------------------------


def test_render_as_batch_always_and_never(
    make_app: AppFactory, migrations: str, database_url: str
) -> None:
    at_version_1(make_app)
    always = make_app(2, render_as_batch="always")
    kolba_db(always, "migrate", "--rev-id", "r2")
    with open(os.path.join(migrations, "versions", "r2_.py")) as f:
        assert "op.batch_alter_table('author'" in f.read()
    os.remove(os.path.join(migrations, "versions", "r2_.py"))

    never = make_app(2, render_as_batch=False)
    kolba_db(never, "migrate", "--rev-id", "r2")
    with open(os.path.join(migrations, "versions", "r2_.py")) as f:
        script = f.read()
    assert "batch_alter_table" not in script
    assert "op.add_column('author'" in script


def test_invalid_render_as_batch_is_refused(app: Kolba) -> None:
    with pytest.raises(ValueError, match="render_as_batch='sqlite' is not valid"):
        Migrate(app, render_as_batch="sqlite")  # type: ignore[arg-type]


def test_command_name_and_directory_option(
    make_app: AppFactory, tmp_path: t.Any, database_url: str
) -> None:
    app = make_app(1, command="database")
    other = str(tmp_path / "elsewhere")

    kolba_db(app, "init", "-d", other)
    kolba_db(app, "migrate", "-d", other, "--rev-id", "r1")
    kolba_db(app, "upgrade", "-d", other)

    assert revision_files(other) == ["r1_.py"]
    assert_version_1(database_url)
    assert "db" not in app.cli.commands


def test_python_functions_run_in_the_app_context(
    make_app: AppFactory, migrations: str, database_url: str
) -> None:
    app = make_app(1)

    with app.app_context():
        migrate_api.init()
        migrate_api.migrate(message="first", rev_id="r1")
        migrate_api.upgrade()

    assert_version_1(database_url)


def test_migrate_without_sqlalchemy_says_what_to_do(
    app: Kolba, tmp_path: t.Any
) -> None:
    Migrate(app, directory=str(tmp_path / "migrations"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "init"]).exit_code == 0

    for command in ("migrate", "current"):
        result = runner.invoke(args=["db", command])
        # A clean error line, exit status 1, no traceback.
        assert result.exit_code == 1
        assert "Error: " in result.output
        assert "no SQLAlchemy extension" in result.output
        assert "Migrate(app, db)" in result.output
        assert "Traceback" not in result.output


def test_configure_callback_adjusts_the_alembic_config(
    make_app: AppFactory, migrations: str
) -> None:
    app = make_app(1)
    migrate = app.extensions["migrate"].migrate

    @migrate.configure
    def file_template(config: t.Any) -> t.Any:
        config.set_main_option("file_template", "%%(rev)s_custom")
        return config

    kolba_db(app, "init")
    kolba_db(app, "migrate", "--rev-id", "r1")

    assert revision_files(migrations) == ["r1_custom.py"]


# -- several databases ------------------------------------------------------------


def test_multidb_round_trip(
    make_app: AppFactory, migrations: str, database_url: str, users_url: str
) -> None:
    app = make_app(1, users_url=users_url)
    kolba_db(app, "init", "--multidb")
    kolba_db(app, "migrate", "-m", "first", "--rev-id", "r1")
    kolba_db(app, "upgrade")

    assert set(schema(database_url)) == {"alembic_version", "author"}
    assert set(schema(users_url)) == {"alembic_version", "account"}
    assert "No changes in schema detected." in kolba_db(app, "migrate").output
    execute(users_url, "INSERT INTO account (id, login) VALUES (1, 'ada')")

    app2 = make_app(2, users_url=users_url)
    kolba_db(app2, "check", status=1)
    kolba_db(app2, "migrate", "-m", "second", "--rev-id", "r2")
    with open(os.path.join(migrations, "versions", "r2_second.py")) as f:
        script = f.read()
    assert "def upgrade_() -> None:" in script
    assert "def upgrade_users() -> None:" in script
    kolba_db(app2, "upgrade")

    assert_version_2(database_url)
    account = schema(users_url)["account"]
    assert set(account) == {"id", "login", "active"}
    assert account["login"].length == 200
    for url in (database_url, users_url):
        assert execute(url, "SELECT version_num FROM alembic_version") == [("r2",)]
    kolba_db(app2, "check")

    kolba_db(app2, "downgrade")

    assert_version_1(database_url)
    account = schema(users_url)["account"]
    assert set(account) == {"id", "login"}
    assert account["login"].length == 50
    assert execute(users_url, "SELECT id, login FROM account") == [(1, "ada")]
    for url in (database_url, users_url):
        assert execute(url, "SELECT version_num FROM alembic_version") == [("r1",)]


def test_db_group_lists_every_command(app: Kolba) -> None:
    Migrate(app)

    result = app.test_cli_runner().invoke(args=["db", "--help"])

    assert result.exit_code == 0
    listed = {
        line.split()[0] for line in result.output.splitlines()[6:] if line.strip()
    }
    assert {
        "branches",
        "check",
        "current",
        "downgrade",
        "edit",
        "heads",
        "history",
        "init",
        "list-templates",
        "merge",
        "migrate",
        "revision",
        "show",
        "stamp",
        "upgrade",
    } <= listed
    templates = app.test_cli_runner().invoke(args=["db", "list-templates"]).output
    assert "kolba - Kolba migration environment for one database" in templates
    assert "kolba-multidb - Kolba migration environment for several" in templates
