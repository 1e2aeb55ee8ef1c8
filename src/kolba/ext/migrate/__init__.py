"""Database migrations with Alembic, shaped like Flask-Migrate.

::

    from kolba import Kolba
    from kolba.ext.sqlalchemy import SQLAlchemy
    from kolba.ext.migrate import Migrate

    app = Kolba(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///app.db"
    db = SQLAlchemy(app)
    migrate = Migrate(app, db)

Then, from the project folder::

    kolba db init              # once: creates migrations/ (--multidb for binds)
    kolba db migrate -m "add users"   # writes a revision from the models
    kolba db upgrade           # applies it
    kolba db check             # exit 1 if the models changed without a revision

Commands: ``init``, ``revision``, ``migrate``, ``edit``, ``merge``,
``upgrade``, ``downgrade``, ``show``, ``history``, ``heads``, ``branches``,
``current``, ``stamp``, ``check``, ``list-templates`` (``kolba db CMD
--help``). The same operations are Python functions here
(``with app.app_context(): upgrade()``).

What the environment does
-------------------------

``kolba db init`` copies Kolba's own Alembic environment (``kolba`` or
``kolba-multidb``) into the folder; its ``env.py`` reads the app's
``SQLAlchemy`` object from ``current_app.extensions["migrate"]``, so the
database URL is the app's (no ``sqlalchemy.url`` in an ini file), and:

- compares column types (``compare_type=True``): ``String(50)`` to
  ``String(200)`` or ``Integer`` to ``BigInteger`` makes a migration;
- renders SQLite migrations in batch mode (``render_as_batch``), so
  changing or dropping a column or constraint works there: SQLite's
  ``ALTER TABLE`` cannot, and batch mode copies the table instead;
- writes nothing when the models and the database agree ("No changes in
  schema detected.");
- logs Alembic's progress to standard error without touching the app's
  loggers.

Constraint names: give the models' ``MetaData`` a naming convention
(``SQLAlchemy(metadata=MetaData(naming_convention=...))``) so that every
unique, foreign key and check constraint has a name a later migration
can drop; on SQLite, an unnamed constraint cannot be dropped at all.

Differences from Flask-Migrate
------------------------------

- ``render_as_batch=True`` means batch mode on SQLite only (scripts for
  other databases stay plain ``op.alter_column``); ``"always"`` renders
  batch operations for every database, ``False`` never.
- The database defaults to ``app.extensions["sqlalchemy"]``:
  ``Migrate(app)`` is enough when ``SQLAlchemy(app)`` came first.
- The Python functions raise Alembic's ``CommandError`` instead of
  logging it and calling ``sys.exit(1)``; the CLI prints ``Error: ...``
  and exits with status 1.
- No ``alembic.ini`` is needed; ``init`` writes a minimal one for options
  such as ``file_template``, and logging sections added to it are used.
"""

from __future__ import annotations

import os
import typing as t

try:
    import alembic  # noqa: F401
except ImportError as exc:  # pragma: no cover - the test extra installs it
    raise ImportError(
        "kolba.ext.migrate needs Alembic, which is not installed. "
        "Install it with: pip install 'kolba[migrate]'"
    ) from exc

from . import commands
from ._state import (
    KolbaAlembicConfig,
    MigrateSetupError,
    MigrateState,
    RenderAsBatch,
    build_config,
    configure_logging,
)
from .commands import *  # noqa: F403 - re-exported through __all__

if t.TYPE_CHECKING:
    from alembic.config import Config

    from ...app import Kolba

__all__ = [
    "KolbaAlembicConfig",
    "Migrate",
    "MigrateSetupError",
    "MigrateState",
    "RenderAsBatch",
    "configure_logging",
]
__all__ += commands.__all__  # the migration commands, re-exported

_ConfigCallback = t.Callable[["Config"], "Config"]
_C = t.TypeVar("_C", bound=_ConfigCallback)


def _check_render_as_batch(value: object) -> None:
    # ``is`` checks: 1 == True, and "sqlite" is a plausible wrong guess.
    if not (value is True or value is False or value == "always"):
        raise ValueError(
            f"render_as_batch={value!r} is not valid: use True (batch mode on "
            'SQLite only), "always" (every database) or False (never).'
        )


class Migrate:
    """Alembic migrations for the models of a ``SQLAlchemy`` extension.

    One instance can serve several apps (``init_app``); each app keeps its
    own settings in ``app.extensions["migrate"]`` (a :class:`MigrateState`).

    :param app: the app; or call :meth:`init_app` later.
    :param db: the ``SQLAlchemy`` extension; default: the app's
        ``app.extensions["sqlalchemy"]``, looked up when a command runs.
    :param directory: the migration folder, relative to the working
        directory (as in Flask-Migrate) unless absolute.
    :param command: the name of the CLI group (``kolba db``).
    :param compare_type: let autogenerate notice column type changes.
    :param render_as_batch: ``True``: batch mode where ``ALTER TABLE`` is
        limited (SQLite); ``"always"``: for every database; ``False``:
        never.
    :param alembic_options: more keyword arguments for Alembic's
        ``context.configure`` (``compare_server_default=True``,
        ``include_object=...``, ``process_revision_directives=...``).
    """

    def __init__(
        self,
        app: Kolba | None = None,
        db: t.Any = None,
        directory: str | os.PathLike[str] = "migrations",
        command: str = "db",
        compare_type: bool = True,
        render_as_batch: RenderAsBatch = True,
        **alembic_options: t.Any,
    ) -> None:
        _check_render_as_batch(render_as_batch)
        self.db = db
        self.directory = os.fspath(directory)
        self.command = command
        self.compare_type = compare_type
        self.render_as_batch: RenderAsBatch = render_as_batch
        self.alembic_options = alembic_options
        #: Functions run on every Alembic ``Config`` before a command uses
        #: it; see :meth:`configure`.
        self.configure_callbacks: list[_ConfigCallback] = []
        if app is not None:
            self.init_app(app)

    def init_app(
        self,
        app: Kolba,
        db: t.Any = None,
        directory: str | os.PathLike[str] | None = None,
        command: str | None = None,
        compare_type: bool | None = None,
        render_as_batch: RenderAsBatch | None = None,
        **alembic_options: t.Any,
    ) -> None:
        """Register the settings and the ``kolba db`` commands on ``app``.

        Arguments left out take the values given to the constructor.
        """
        if render_as_batch is not None:
            _check_render_as_batch(render_as_batch)
        options = {**self.alembic_options, **alembic_options}
        state = MigrateState(
            self,
            app,
            db if db is not None else self.db,
            os.fspath(directory) if directory is not None else self.directory,
            command if command is not None else self.command,
            compare_type if compare_type is not None else self.compare_type,
            render_as_batch if render_as_batch is not None else self.render_as_batch,
            options,
        )
        app.extensions["migrate"] = state

        from .cli import make_db_group

        app.cli.add_command(make_db_group(state.command))

    def configure(self, f: _C) -> _C:
        """Register a function that adjusts every Alembic ``Config``.

        ::

            @migrate.configure
            def set_file_template(config):
                config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
                return config
        """
        self.configure_callbacks.append(f)
        return f

    def get_config(
        self,
        directory: str | None = None,
        x_arg: t.Sequence[str] | None = None,
    ) -> Config:
        """The Alembic ``Config`` of the current app (app context needed)."""
        return build_config(directory, x_arg=x_arg)
