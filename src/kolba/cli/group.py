"""The ``kolba`` group (:class:`KolbaGroup`), the ``cli`` instance and ``main``."""

from __future__ import annotations

import importlib.metadata
import os
import traceback
import typing as t

import click

from .appgroup import AppGroup
from .commands import routes_command, run_command, shell_command
from .discovery import NoAppException, ScriptInfo
from .options import _app_option, _debug_option, _env_file_option, version_option

if t.TYPE_CHECKING:  # pragma: no cover
    from ..app import Kolba


class KolbaGroup(AppGroup):
    """The ``kolba`` command: built-in commands plus the app's own.

    Use it to write a project's own command-line script.

    :param add_default_commands: add ``run``, ``shell`` and ``routes``.
    :param create_app: a function returning the app (instead of ``--app``).
    :param add_version_option: add ``--version``.
    :param load_dotenv: load ``.kolbaenv`` and ``.env`` files.
    :param set_debug_flag: set the app's debug flag from ``KOLBA_DEBUG``.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., Kolba] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params: list[click.Parameter] = list(extra.pop("params", None) or ())
        params.extend((_env_file_option, _app_option, _debug_option))
        if add_version_option:
            params.append(version_option)
        extra.setdefault("context_settings", {})
        extra["context_settings"].setdefault("auto_envvar_prefix", "KOLBA")
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)
        self._loaded_plugin_commands = False

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        for entry_point in importlib.metadata.entry_points(group="kolba.commands"):
            self.add_command(entry_point.load(), entry_point.name)
        self._loaded_plugin_commands = True

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """A built-in or plugin command, else one of the app's commands."""
        self._load_plugin_commands()
        rv = super().get_command(ctx, name)
        if rv is not None:
            return rv
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as exc:
            click.secho(f"Error: {exc.format_message()}\n", err=True, fg="red")
            return None
        from ..globals import _cv_app

        # App commands run in the app context, so their parameter callbacks
        # can use current_app too.
        app_ctx = _cv_app.get(None)
        if app_ctx is None or app_ctx.app is not app:
            ctx.with_resource(app.app_context())
        return app.cli.get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The built-in commands and, if the app loads, the app's."""
        self._load_plugin_commands()
        rv = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            rv.update(info.load_app().cli.list_commands(ctx))
        except NoAppException as exc:
            click.secho(f"Error: {exc.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(rv)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        """Create the context with a :class:`ScriptInfo` as its ``obj``."""
        # app.run() becomes a no-op under the CLI, so a module calling it at
        # import time does not start a second server.
        os.environ["KOLBA_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Load env files and the app early when only help is asked for."""
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            # So the help lists the app's commands too.
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


cli = KolbaGroup(
    name="kolba",
    help=(
        "A command line for Kolba applications.\n\n"
        "Name the app with --app or KOLBA_APP: a module ('hello'), a module "
        "and name ('hello:app'), a factory ('hello:create_app()'), or a path "
        "to a .py file."
    ),
)


def main() -> None:
    """Entry point of the ``kolba`` console script."""
    cli.main()
