"""The ``kolba db`` command group (its name comes from ``Migrate(command=...)``).

Every command runs in the app context and calls the function of the same
name in :mod:`kolba.ext.migrate.commands`. Alembic's errors become a
one-line ``Error: ...`` and exit status 1, not a traceback.
"""

from __future__ import annotations

import functools
import typing as t

import click
from alembic.script.revision import RevisionError
from alembic.util import CommandError

from ...cli import AppGroup, with_appcontext
from . import commands
from ._state import MigrateSetupError

_F = t.TypeVar("_F", bound=t.Callable[..., t.Any])


def _alembic_errors_as_click(f: _F) -> _F:
    @functools.wraps(f)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        try:
            return f(*args, **kwargs)
        except (CommandError, RevisionError, MigrateSetupError) as exc:
            raise click.ClickException(str(exc)) from exc

    # cast: wraps() returns wrapper, which takes f's arguments.
    return t.cast(_F, wrapper)


_directory = click.option(
    "-d",
    "--directory",
    default=None,
    help='Migration folder (default: the one given to Migrate, "migrations").',
)
_message = click.option("-m", "--message", default=None, help="Revision message.")
_sql = click.option(
    "--sql", is_flag=True, help="Print the SQL instead of running it (offline)."
)
_tag = click.option(
    "--tag", default=None, help="A tag that env.py can read (offline mode)."
)
_x_arg = click.option(
    "-x",
    "--x-arg",
    multiple=True,
    help="KEY=VALUE for env.py (context.get_x_argument()); repeatable.",
)
_verbose = click.option("-v", "--verbose", is_flag=True, help="More details.")
_head = click.option(
    "--head",
    default="head",
    show_default=True,
    help="Revision the new one is based on.",
)
_splice = click.option(
    "--splice", is_flag=True, help="Allow a non-head revision as --head."
)
_branch_label = click.option(
    "--branch-label", default=None, help="Label of a new branch."
)
_version_path = click.option(
    "--version-path", default=None, help="Folder to write the revision into."
)
_rev_id = click.option(
    "--rev-id", default=None, help="Revision id to use instead of a random one."
)


def _revision_options(f: _F) -> _F:
    """The options ``revision`` and ``migrate`` share, as one decorator.

    They reach the command as keyword arguments of the same names as those of
    :func:`~kolba.ext.migrate.commands.revision`.
    """
    for option in reversed(
        (_sql, _head, _splice, _branch_label, _version_path, _rev_id)
    ):
        f = option(f)
    return f


def _verbose_command(
    name: str, run: t.Callable[..., None], help_text: str
) -> click.Command:
    """A command with only ``--directory`` and ``--verbose`` that calls ``run``."""

    @click.command(name, help=help_text)
    @_directory
    @_verbose
    @with_appcontext
    @_alembic_errors_as_click
    def command(directory: str | None, verbose: bool) -> None:
        run(directory, verbose=verbose)

    return command


def _migrate_to_command(
    name: str, run: t.Callable[..., None], default: str, help_text: str
) -> click.Command:
    """``upgrade``/``downgrade``: run migrations to REVISION (or print the SQL)."""

    @click.command(name, help=help_text)
    @_directory
    @_sql
    @_tag
    @_x_arg
    @click.argument("revision", default=default)
    @with_appcontext
    @_alembic_errors_as_click
    def command(
        directory: str | None,
        sql: bool,
        tag: str | None,
        x_arg: tuple[str, ...],
        revision: str,
    ) -> None:
        run(directory, revision, sql=sql, tag=tag, x_arg=x_arg)

    return command


def make_db_group(name: str = "db") -> AppGroup:
    """A new ``kolba db`` group; :meth:`Migrate.init_app` adds it to ``app.cli``."""
    group = AppGroup(name, help="Database migrations (Alembic).")

    @click.command("list-templates")
    @with_appcontext
    @_alembic_errors_as_click
    def list_templates_command() -> None:
        """List the environment templates for init."""
        commands.list_templates()

    @click.command("init")
    @_directory
    @click.option(
        "--multidb",
        is_flag=True,
        help="One set of migrations per database (SQLALCHEMY_BINDS).",
    )
    @click.option("-t", "--template", default=None, help="Template name.")
    @click.option("--package", is_flag=True, help="Write __init__.py files.")
    @with_appcontext
    @_alembic_errors_as_click
    def init_command(
        directory: str | None, multidb: bool, template: str | None, package: bool
    ) -> None:
        """Create the migration folder."""
        commands.init(directory, multidb=multidb, template=template, package=package)

    @click.command("revision")
    @_directory
    @_message
    @click.option(
        "--autogenerate",
        is_flag=True,
        help="Compare the models with the database to fill the revision.",
    )
    @_revision_options
    @with_appcontext
    @_alembic_errors_as_click
    def revision_command(
        directory: str | None,
        message: str | None,
        autogenerate: bool,
        **options: t.Any,
    ) -> None:
        """Write a new revision script."""
        commands.revision(directory, message, autogenerate=autogenerate, **options)

    @click.command("migrate")
    @_directory
    @_message
    @_revision_options
    @_x_arg
    @with_appcontext
    @_alembic_errors_as_click
    def migrate_command(
        directory: str | None,
        message: str | None,
        x_arg: tuple[str, ...],
        **options: t.Any,
    ) -> None:
        """Autogenerate a revision from the models (revision --autogenerate)."""
        commands.migrate(directory, message, x_arg=x_arg, **options)

    @click.command("edit")
    @_directory
    @click.argument("revision", default="head")
    @with_appcontext
    @_alembic_errors_as_click
    def edit_command(directory: str | None, revision: str) -> None:
        """Open a revision script in $EDITOR."""
        commands.edit(directory, revision)

    @click.command("merge")
    @_directory
    @_message
    @_branch_label
    @_rev_id
    @click.argument("revisions", nargs=-1)
    @with_appcontext
    @_alembic_errors_as_click
    def merge_command(
        directory: str | None,
        message: str | None,
        branch_label: str | None,
        rev_id: str | None,
        revisions: tuple[str, ...],
    ) -> None:
        """Join several heads (default: all) into one revision."""
        commands.merge(
            directory,
            list(revisions) or "heads",
            message=message,
            branch_label=branch_label,
            rev_id=rev_id,
        )

    upgrade_command = _migrate_to_command(
        "upgrade",
        commands.upgrade,
        "head",
        "Apply migrations up to REVISION (default: head).",
    )
    downgrade_command = _migrate_to_command(
        "downgrade",
        commands.downgrade,
        "-1",
        "Revert migrations down to REVISION (default: -1, the last one).",
    )

    @click.command("show")
    @_directory
    @click.argument("revision", default="head")
    @with_appcontext
    @_alembic_errors_as_click
    def show_command(directory: str | None, revision: str) -> None:
        """Show a revision (default: head)."""
        commands.show(directory, revision)

    @click.command("history")
    @_directory
    @click.option("-r", "--rev-range", default=None, help="Range, [start]:[end].")
    @_verbose
    @click.option(
        "-i",
        "--indicate-current",
        is_flag=True,
        help="Mark the database's current revision.",
    )
    @with_appcontext
    @_alembic_errors_as_click
    def history_command(
        directory: str | None,
        rev_range: str | None,
        verbose: bool,
        indicate_current: bool,
    ) -> None:
        """List the revisions, newest first."""
        commands.history(
            directory, rev_range, verbose=verbose, indicate_current=indicate_current
        )

    @click.command("heads")
    @_directory
    @_verbose
    @click.option(
        "--resolve-dependencies",
        is_flag=True,
        help="Treat dependency versions as down revisions.",
    )
    @with_appcontext
    @_alembic_errors_as_click
    def heads_command(
        directory: str | None, verbose: bool, resolve_dependencies: bool
    ) -> None:
        """Show the newest revision of each branch."""
        commands.heads(
            directory, verbose=verbose, resolve_dependencies=resolve_dependencies
        )

    branches_command = _verbose_command(
        "branches", commands.branches, "Show the revisions where history branches."
    )
    current_command = _verbose_command(
        "current", commands.current, "Show the revision the database is at."
    )

    @click.command("stamp")
    @_directory
    @_sql
    @_tag
    @click.option(
        "--purge", is_flag=True, help="Empty the version table before stamping."
    )
    @click.argument("revision", default="head")
    @with_appcontext
    @_alembic_errors_as_click
    def stamp_command(
        directory: str | None, sql: bool, tag: str | None, purge: bool, revision: str
    ) -> None:
        """Record REVISION as current without running migrations."""
        commands.stamp(directory, revision, sql=sql, tag=tag, purge=purge)

    @click.command("check")
    @_directory
    @with_appcontext
    @_alembic_errors_as_click
    def check_command(directory: str | None) -> None:
        """Fail (status 1) if the models differ from the latest migration."""
        commands.check(directory)

    for command in (
        list_templates_command,
        init_command,
        revision_command,
        migrate_command,
        edit_command,
        merge_command,
        upgrade_command,
        downgrade_command,
        show_command,
        history_command,
        heads_command,
        branches_command,
        current_command,
        stamp_command,
        check_command,
    ):
        group.add_command(command)
    return group
