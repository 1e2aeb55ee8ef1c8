"""Alembic environment of a Kolba app: one database (``kolba db init``).

The URL, the models' metadata and the options (``compare_type``, batch mode
on SQLite, anything passed to ``Migrate(...)``) come from the app, through
``current_app.extensions["migrate"]``. Edit freely: this file is yours.
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
target_metadata = state.metadata_for(None)


def process_revision_directives(
    migration_context: t.Any, revision: t.Any, directives: list[t.Any]
) -> None:
    """Write no revision file when autogenerate finds nothing to do."""
    cmd_opts = config.cmd_opts
    if cmd_opts is None or not getattr(cmd_opts, "autogenerate", False):
        return
    script = directives[0]
    if script.upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def configure_args(dialect_name: str) -> dict[str, t.Any]:
    args: dict[str, t.Any] = state.configure_args_for(dialect_name)
    args.setdefault("process_revision_directives", process_revision_directives)
    return args


def run_migrations_offline() -> None:
    """Write the migrations' SQL to standard output (``--sql``)."""
    engine = state.db.engine
    context.configure(
        url=engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **configure_args(engine.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the app's database."""
    engine = state.db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            **configure_args(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
