"""Alembic environment of a Kolba app: several databases (``--multidb``).

Each engine of the app's SQLAlchemy extension (the default one, named
``""``, and one per ``SQLALCHEMY_BINDS`` key) is migrated with the models
of its bind; a revision has ``upgrade_<name>()`` and ``downgrade_<name>()``
for each. Online, every database's migrations run in its own transaction,
and all are committed only when all succeeded. Edit freely: this file is
yours.
"""

from __future__ import annotations

import logging
import typing as t

from alembic import context

from kolba import current_app
from kolba.ext.migrate import configure_logging

config = context.config
configure_logging(config)
logger = logging.getLogger("alembic.env")

state = current_app.extensions["migrate"]
engine_names = state.engine_names()


def process_revision_directives(
    migration_context: t.Any, revision: t.Any, directives: list[t.Any]
) -> None:
    """Write no revision file when autogenerate finds nothing to do."""
    cmd_opts = config.cmd_opts
    if cmd_opts is None or not getattr(cmd_opts, "autogenerate", False):
        return
    script = directives[0]
    # Called after each database; decide once all of them were compared.
    if len(script.upgrade_ops_list) < len(engine_names):
        return
    if all(ops.is_empty() for ops in script.upgrade_ops_list):
        directives[:] = []
        logger.info("No changes in schema detected.")


def configure_args(name: str, dialect_name: str) -> dict[str, t.Any]:
    args: dict[str, t.Any] = state.configure_args_for(dialect_name)
    args.setdefault("process_revision_directives", process_revision_directives)
    args["upgrade_token"] = f"{name}_upgrades"
    args["downgrade_token"] = f"{name}_downgrades"
    return args


def label(name: str) -> str:
    return repr(name) if name else "default"


def run_migrations_offline() -> None:
    """Write each database's migrations' SQL to standard output (``--sql``)."""
    for name in engine_names:
        engine = state.engine_for(name)
        logger.info("Migrating the %s database.", label(name))
        context.configure(
            url=engine.url.render_as_string(hide_password=False),
            target_metadata=state.metadata_for(name or None),
            literal_binds=True,
            dialect_opts={"paramstyle": "named"},
            **configure_args(name, engine.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations(engine_name=name)


def run_migrations_online() -> None:
    """Run each database's migrations; commit all or none."""
    connections = {name: state.engine_for(name).connect() for name in engine_names}
    transactions = {name: conn.begin() for name, conn in connections.items()}
    try:
        for name, connection in connections.items():
            logger.info("Migrating the %s database.", label(name))
            context.configure(
                connection=connection,
                target_metadata=state.metadata_for(name or None),
                **configure_args(name, connection.dialect.name),
            )
            context.run_migrations(engine_name=name)
    except BaseException:
        for transaction in transactions.values():
            transaction.rollback()
        raise
    else:
        for transaction in transactions.values():
            transaction.commit()
    finally:
        for connection in connections.values():
            connection.close()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
