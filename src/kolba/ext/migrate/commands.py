"""Migration commands as Python functions, for scripts and app start-up.

Each function is the ``kolba db`` command of the same name and needs the
app context (``with app.app_context(): upgrade()``). ``directory``
defaults to the folder given to :class:`~kolba.ext.migrate.Migrate`.
Alembic's :class:`alembic.util.CommandError` propagates (the CLI turns it
into an error message and exit status 1).
"""

from __future__ import annotations

import os
import typing as t

from alembic import command as alembic_command

from ._state import build_config, current_state

__all__ = [
    "branches",
    "check",
    "current",
    "downgrade",
    "edit",
    "heads",
    "history",
    "init",
    "list_templates",
    "merge",
    "migrate",
    "revision",
    "show",
    "stamp",
    "upgrade",
]


def list_templates() -> None:
    """Print the migration environment templates ``init`` can use."""
    alembic_command.list_templates(build_config())


def init(
    directory: str | None = None,
    multidb: bool = False,
    template: str | None = None,
    package: bool = False,
) -> None:
    """Create a migration folder from Kolba's environment template.

    :param multidb: use ``kolba-multidb``: one set of migration functions
        per database of ``SQLALCHEMY_BINDS``.
    :param template: another template's name (see :func:`list_templates`).
    :param package: also write ``__init__.py`` files.
    """
    # Quiet: Alembic would end with "Please edit ... alembic.ini", which a
    # Kolba app does not need (the URL and models come from the app).
    config = build_config(directory, quiet=True)
    if template is None:
        template = "kolba-multidb" if multidb else "kolba"
    folder = current_state().directory if directory is None else directory
    alembic_command.init(config, folder, template=template, package=package)
    config.stdout.write(
        f"Created the migration folder {os.path.abspath(folder)} "
        f"(template {template!r}).\nNext: kolba db migrate -m 'message', "
        "then kolba db upgrade.\n"
    )


def revision(
    directory: str | None = None,
    message: str | None = None,
    autogenerate: bool = False,
    sql: bool = False,
    head: str = "head",
    splice: bool = False,
    branch_label: str | None = None,
    version_path: str | None = None,
    rev_id: str | None = None,
    x_arg: t.Sequence[str] | None = None,
) -> None:
    """Write a new revision script (compared with the models if autogenerate)."""
    config = build_config(directory, x_arg=x_arg, autogenerate=autogenerate)
    alembic_command.revision(
        config,
        message,
        autogenerate=autogenerate,
        sql=sql,
        head=head,
        splice=splice,
        branch_label=branch_label,
        version_path=version_path,
        rev_id=rev_id,
    )


def migrate(
    directory: str | None = None,
    message: str | None = None,
    sql: bool = False,
    head: str = "head",
    splice: bool = False,
    branch_label: str | None = None,
    version_path: str | None = None,
    rev_id: str | None = None,
    x_arg: t.Sequence[str] | None = None,
) -> None:
    """Autogenerate a revision from the difference between models and database.

    Nothing is written when there is no difference ("No changes in schema
    detected.").
    """
    revision(
        directory,
        message,
        autogenerate=True,
        sql=sql,
        head=head,
        splice=splice,
        branch_label=branch_label,
        version_path=version_path,
        rev_id=rev_id,
        x_arg=x_arg,
    )


def edit(directory: str | None = None, revision: str = "current") -> None:
    """Open a revision script in ``$EDITOR``."""
    alembic_command.edit(build_config(directory), revision)


def merge(
    directory: str | None = None,
    revisions: str | t.Sequence[str] = "heads",
    message: str | None = None,
    branch_label: str | None = None,
    rev_id: str | None = None,
) -> None:
    """Write a revision that joins several heads into one."""
    alembic_command.merge(
        build_config(directory),
        revisions if isinstance(revisions, str) else list(revisions),
        message=message,
        branch_label=branch_label,
        rev_id=rev_id,
    )


def upgrade(
    directory: str | None = None,
    revision: str = "head",
    sql: bool = False,
    tag: str | None = None,
    x_arg: t.Sequence[str] | None = None,
) -> None:
    """Apply migrations up to ``revision`` (SQL to standard output if ``sql``)."""
    config = build_config(directory, x_arg=x_arg)
    alembic_command.upgrade(config, revision, sql=sql, tag=tag)


def downgrade(
    directory: str | None = None,
    revision: str = "-1",
    sql: bool = False,
    tag: str | None = None,
    x_arg: t.Sequence[str] | None = None,
) -> None:
    """Revert migrations down to ``revision`` (default: the last one).

    Offline (``sql``) Alembic needs a start: ``-1`` then means
    ``head:-1``.
    """
    config = build_config(directory, x_arg=x_arg)
    if sql and revision == "-1":
        revision = "head:-1"
    alembic_command.downgrade(config, revision, sql=sql, tag=tag)


def show(directory: str | None = None, revision: str = "head") -> None:
    """Print one revision's details."""
    alembic_command.show(build_config(directory), revision)


def history(
    directory: str | None = None,
    rev_range: str | None = None,
    verbose: bool = False,
    indicate_current: bool = False,
) -> None:
    """Print the revisions, newest first."""
    alembic_command.history(
        build_config(directory),
        rev_range,
        verbose=verbose,
        indicate_current=indicate_current,
    )


def heads(
    directory: str | None = None,
    verbose: bool = False,
    resolve_dependencies: bool = False,
) -> None:
    """Print the newest revision of each branch."""
    alembic_command.heads(
        build_config(directory),
        verbose=verbose,
        resolve_dependencies=resolve_dependencies,
    )


def branches(directory: str | None = None, verbose: bool = False) -> None:
    """Print the revisions where history branches."""
    alembic_command.branches(build_config(directory), verbose=verbose)


def current(directory: str | None = None, verbose: bool = False) -> None:
    """Print the revision the database is at."""
    alembic_command.current(build_config(directory), verbose=verbose)


def stamp(
    directory: str | None = None,
    revision: str = "head",
    sql: bool = False,
    tag: str | None = None,
    purge: bool = False,
) -> None:
    """Record ``revision`` as the database's, without running migrations."""
    alembic_command.stamp(
        build_config(directory), revision, sql=sql, tag=tag, purge=purge
    )


def check(directory: str | None = None) -> None:
    """Fail when the models differ from the database at the latest revision.

    :raises alembic.util.AutoGenerateDiffsDetected: there are differences
        (the message lists them); ``kolba db check`` exits with status 1.
    """
    alembic_command.check(build_config(directory))
