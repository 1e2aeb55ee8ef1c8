"""The application logger: ``app.logger``, named after the app."""

from __future__ import annotations

import logging
import sys
import typing as t

from .globals import _cv_request

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba

__all__ = [
    "create_logger",
    "default_handler",
    "has_level_handler",
    "wsgi_errors_stream",
]


def _errors_of(ctx: t.Any) -> t.Any:
    # Only a WSGI request has a server error stream; never build an environ.
    if ctx is None:
        return None
    environ = ctx.request.__dict__.get("environ")
    return environ.get("wsgi.errors") if environ else None


class _WSGIErrorsStream:
    """Write to the current request's ``wsgi.errors``, else to stderr."""

    def write(self, text: str) -> int:
        ctx = _cv_request.get(None)
        stream = _errors_of(ctx)
        if stream is None:
            stream = sys.stderr
        stream.write(text)
        return len(text)

    def flush(self) -> None:
        ctx = _cv_request.get(None)
        stream = _errors_of(ctx)
        (stream or sys.stderr).flush()


#: A stream that follows the current request's ``wsgi.errors``.
wsgi_errors_stream = _WSGIErrorsStream()

#: The handler Kolba adds when the logger has none of its own level.
default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether some handler in the logger's chain handles its effective level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: Kolba) -> logging.Logger:
    """The logger for ``app.name``; DEBUG in debug mode, a handler if none."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
