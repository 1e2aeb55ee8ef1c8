"""Click groups whose commands run in the application context."""

from __future__ import annotations

import functools
import typing as t

import click

from .discovery import ScriptInfo

_F = t.TypeVar("_F", bound=t.Callable[..., t.Any])


def with_appcontext(f: _F) -> _F:
    """Run the decorated command inside the app's application context.

    Commands registered with ``app.cli.command()`` get it already; use this
    on commands added to the ``kolba`` group some other way.
    """

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        from ..globals import _cv_app

        if _cv_app.get(None) is None:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    # cast: update_wrapper returns decorator, which takes f's arguments.
    return t.cast(_F, functools.update_wrapper(decorator, f))


class AppGroup(click.Group):
    """A click group whose commands run in the app context by default.

    ``command(..., with_appcontext=False)`` opts a command out.
    """

    def command(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Like :meth:`click.Group.command`, wrapped in :func:`with_appcontext`."""
        wrap_for_ctx = kwargs.pop("with_appcontext", True)

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap_for_ctx:
                f = with_appcontext(f)
            command: click.Command = click.Group.command(self, *args, **kwargs)(f)
            return command

        return decorator

    def group(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Like :meth:`click.Group.group`; the new group is an :class:`AppGroup`."""
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)
