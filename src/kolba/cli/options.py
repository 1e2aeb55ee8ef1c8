"""The options of the ``kolba`` group: ``--env-file``, ``--app``, ``--debug``
and ``--version``."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import typing as t

import click

from .discovery import ScriptInfo
from .env import _DOTENV_HINT, load_dotenv


def get_version(ctx: click.Context, param: click.Parameter, value: t.Any) -> None:
    """The ``--version`` callback: print the Kolba and Python versions."""
    if not value or ctx.resilient_parsing:
        return
    from .. import __version__

    try:
        kolba_version = importlib.metadata.version("kolba")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        kolba_version = __version__
    click.echo(
        f"Python {platform.python_version()}\nKolba {kolba_version}",
        color=ctx.color,
    )
    ctx.exit()


version_option = click.Option(
    ["--version"],
    help="Show the Kolba and Python versions.",
    expose_value=False,
    callback=get_version,
    is_flag=True,
    is_eager=True,
)


def _set_app(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def _set_debug(
    ctx: click.Context, param: click.Parameter, value: bool | None
) -> bool | None:
    # The environment variable (not only the app) carries the flag, so a
    # factory reading it early, and the reloader's child, see it too.
    source = ctx.get_parameter_source(param.name) if param.name else None
    if value is None or source is click.core.ParameterSource.DEFAULT:
        return value
    os.environ["KOLBA_DEBUG"] = "1" if value else "0"
    return value


def _env_file_callback(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    try:
        import dotenv  # noqa: F401
    except ImportError:
        if value is not None:
            raise click.BadParameter(
                f"python-dotenv must be installed to load an env file. {_DOTENV_HINT}",
                ctx=ctx,
                param=param,
            ) from None
    info = ctx.ensure_object(ScriptInfo)
    if value is not None or info.load_dotenv_defaults:
        load_dotenv(value, load_defaults=info.load_dotenv_defaults)
    return value


# Eager, and first, so variables from the files are set before --app and
# --debug read theirs.
_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    help=(
        "Load environment variables from this file, over those of '.env' and "
        "'.kolbaenv'. Variables already set in the environment win. Needs "
        "python-dotenv."
    ),
    is_eager=True,
    expose_value=False,
    callback=_env_file_callback,
)

_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    help=(
        "The app: 'module', 'module:name', 'module:create_app()' or a path to "
        "a .py file. Default: KOLBA_APP, else app.py or wsgi.py."
    ),
    is_eager=True,
    expose_value=False,
    callback=_set_app,
)

_debug_option = click.Option(
    ["--debug/--no-debug"],
    default=None,
    help="Set debug mode (also KOLBA_DEBUG).",
    expose_value=False,
    callback=_set_debug,
)
