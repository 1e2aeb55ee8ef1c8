"""Per-app migration settings and the in-memory Alembic configuration.

:class:`MigrateState` is what :meth:`Migrate.init_app
<kolba.ext.migrate.Migrate.init_app>` stores in ``app.extensions["migrate"]``;
the ``env.py`` of a migration environment reads it through ``current_app``.
:func:`build_config` makes the :class:`alembic.config.Config` every command
runs with: no ``alembic.ini`` is needed (one is used when the migration
folder has it), and ``kolba db init`` copies Kolba's own templates.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import typing as t

from alembic.config import Config

from ...globals import current_app

if t.TYPE_CHECKING:
    from ...app import Kolba
    from . import Migrate

#: ``True`` (batch only where ``ALTER`` is limited: SQLite), ``"always"`` or
#: ``False``.
RenderAsBatch = bool | t.Literal["always"]

TEMPLATES_DIRECTORY = os.path.join(os.path.dirname(__file__), "templates")

# Dialects whose ALTER TABLE cannot change or drop columns and constraints;
# Alembic's batch mode copies the table instead.
_BATCH_DIALECTS = frozenset({"sqlite"})


class MigrateSetupError(RuntimeError):
    """The app is not set up for migrations (no ``Migrate``, no database …).

    The ``kolba db`` commands print its message as a clean error line.
    """


class MigrateState:
    """The migration settings of one app: ``app.extensions["migrate"]``.

    ``env.py`` reads :attr:`db` and calls :meth:`configure_args_for`. The
    attribute names :attr:`db`, :attr:`directory` and :attr:`configure_args`
    are the ones Flask-Migrate's ``env.py`` files use, so an environment
    made by Flask-Migrate keeps working once it imports ``current_app``
    from ``kolba``.
    """

    def __init__(
        self,
        migrate: Migrate,
        app: Kolba,
        db: t.Any,
        directory: str,
        command: str,
        compare_type: bool,
        render_as_batch: RenderAsBatch,
        alembic_options: dict[str, t.Any],
    ) -> None:
        self.migrate = migrate
        self._app_name = app.name
        self._app_extensions = app.extensions
        self._db = db
        self.directory = directory
        self.command = command
        self.compare_type = compare_type
        self.render_as_batch: RenderAsBatch = render_as_batch
        self.alembic_options = alembic_options

    @property
    def db(self) -> t.Any:
        """The ``SQLAlchemy`` extension whose models are migrated.

        The one given to :class:`~kolba.ext.migrate.Migrate`, else the one
        registered on the app as ``app.extensions["sqlalchemy"]``.
        """
        if self._db is not None:
            return self._db
        db = self._app_extensions.get("sqlalchemy")
        if db is None:
            raise MigrateSetupError(
                f"kolba.ext.migrate has no database for the app {self._app_name!r}: "
                "no SQLAlchemy extension was given to Migrate(app, db) and none is "
                "registered on the app. Create it first: db = SQLAlchemy(app), "
                "then Migrate(app, db)."
            )
        return db

    def configure_args_for(self, dialect_name: str) -> dict[str, t.Any]:
        """The keyword arguments for ``context.configure`` on one dialect.

        :param dialect_name: the SQLAlchemy dialect's name (``"sqlite"``,
            ``"postgresql"`` ...): batch mode depends on it.
        """
        batch = self.render_as_batch
        args: dict[str, t.Any] = {
            "compare_type": self.compare_type,
            "render_as_batch": batch == "always"
            or (batch is True and dialect_name in _BATCH_DIALECTS),
        }
        args.update(self.alembic_options)
        return args

    @property
    def configure_args(self) -> dict[str, t.Any]:
        """:meth:`configure_args_for` the default engine's dialect."""
        return self.configure_args_for(self.db.engine.dialect.name)

    def metadata_for(self, bind_key: str | None) -> t.Any:
        """The ``MetaData`` of the models of one bind (``None``: default).

        A bind without models gets an empty ``MetaData``: autogenerate then
        compares its database with no tables.
        """
        db = self.db
        metadatas = getattr(db, "metadatas", None)
        if metadatas is None:
            return db.metadata if bind_key is None else _empty_metadata()
        metadata = metadatas.get(bind_key)
        return metadata if metadata is not None else _empty_metadata()

    def engine_names(self) -> list[str]:
        """The engine names of a multi-database environment, default first.

        The default engine is named ``""`` and each bind by its key, as in
        Flask-Migrate, so a revision's functions are ``upgrade_()``,
        ``upgrade_users()`` ...
        """
        keys = [key for key in self.db.engines if key is not None]
        for key in keys:
            if not key.isidentifier():
                raise MigrateSetupError(
                    f"The bind key {key!r} cannot name migration functions "
                    f"(upgrade_{key}): a multi-database migration needs bind keys "
                    "that are Python identifiers. Rename the bind in "
                    "SQLALCHEMY_BINDS and in the models' __bind_key__."
                )
        return ["", *sorted(keys)]

    def engine_for(self, name: str) -> t.Any:
        """The engine named ``name`` by :meth:`engine_names`."""
        return self.db.engines[name or None]


def _empty_metadata() -> t.Any:
    import sqlalchemy

    return sqlalchemy.MetaData()


def current_state() -> MigrateState:
    """``current_app.extensions["migrate"]``, or an error saying how to set it."""
    state = current_app.extensions.get("migrate")
    if not isinstance(state, MigrateState):
        raise MigrateSetupError(
            f"The app {current_app.name!r} has no migration settings: "
            "kolba.ext.migrate commands need Migrate(app, db) (or "
            "migrate.init_app(app, db)) in the app's setup."
        )
    return state


class KolbaAlembicConfig(Config):
    """An Alembic ``Config`` whose ``init`` templates are Kolba's own."""

    def get_template_directory(self) -> str:
        """Kolba's templates: ``kolba`` and ``kolba-multidb``."""
        return TEMPLATES_DIRECTORY


def build_config(
    directory: str | None = None,
    *,
    x_arg: t.Sequence[str] | None = None,
    autogenerate: bool = False,
    quiet: bool = False,
) -> Config:
    """The Alembic configuration of the current app's migrations.

    :param directory: the migration folder; default: the one given to
        :class:`~kolba.ext.migrate.Migrate` (``"migrations"``).
    :param x_arg: ``-x key=value`` arguments for ``env.py``
        (``context.get_x_argument()``).
    :param autogenerate: tell ``env.py`` that this run writes an
        autogenerated revision (it then skips empty ones).
    :param quiet: silence Alembic's own messages.
    """
    state = current_state()
    directory = os.fspath(directory if directory is not None else state.directory)
    ini_path = os.path.join(directory, "alembic.ini")
    # Config's ``stdout`` default is bound when Alembic is imported; the
    # current sys.stdout keeps output capturable (CliRunner swaps it).
    config: Config = KolbaAlembicConfig(
        ini_path,
        stdout=sys.stdout,
        cmd_opts=argparse.Namespace(
            autogenerate=autogenerate, x=list(x_arg or ()), quiet=quiet
        ),
    )
    # ConfigParser interpolates "%": a literal one in a path is written "%%".
    config.set_main_option("script_location", directory.replace("%", "%%"))
    config.attributes["kolba_migrate"] = state
    for callback in state.migrate.configure_callbacks:
        config = callback(config)
    return config


class _CurrentStderrHandler(logging.StreamHandler[t.TextIO]):
    """Writes to whatever ``sys.stderr`` is when a record is emitted."""

    @property
    def stream(self) -> t.TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: t.TextIO) -> None:
        pass


# Alembic announces these on every command; they say nothing the user asked.
_NOISE = frozenset(
    {"Context impl %s.", "Will assume %s DDL.", "setting up autogenerate plugin %s"}
)


def _drop_noise(record: logging.LogRecord) -> bool:
    return record.msg not in _NOISE


def configure_logging(config: Config) -> None:
    """Show Alembic's progress (``Running upgrade ...``) on standard error.

    Called by ``env.py``. When the migration folder's ``alembic.ini`` has
    logging sections, they are applied, without disabling the app's
    loggers. Otherwise only the ``alembic`` logger is set up (INFO, to
    standard error, minus Alembic's set-up chatter) and only when it has no
    handler yet, so an app that configured logging keeps its setup. The
    root logger is never touched.
    """
    config_file = config.config_file_name
    if config_file and os.path.exists(config_file):
        parser = config.file_config
        if parser.has_section("loggers") and parser.has_section("formatters"):
            from logging.config import fileConfig

            fileConfig(config_file, disable_existing_loggers=False)
            return
    logger = logging.getLogger("alembic")
    # Alembic itself adds a NullHandler; any other one is ours from an
    # earlier command, or the app's own.
    if any(not isinstance(h, logging.NullHandler) for h in logger.handlers):
        return
    handler = _CurrentStderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_drop_noise)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    logger.propagate = False
