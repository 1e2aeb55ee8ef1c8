"""``SQLALCHEMY_RECORD_QUERIES``: what SQL ran in this app context, and how long.

With the setting on when ``init_app`` runs, every engine of the app gets two
cursor-execute listeners. The first pushes a start time on the connection's
``info``; the second pops it and, inside an app context, appends a
:class:`QueryInfo` to a list kept on ``g``, which
:func:`get_recorded_queries` returns. Outside an app context nothing is
recorded. The list lives as long as the context, so a long-lived context
(a CLI command running thousands of queries) grows it: turn the setting off
outside development.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import typing as t

import sqlalchemy as sa
import sqlalchemy.event as sa_event

from kolba import current_app, g, has_app_context

__all__ = ["QueryInfo", "get_recorded_queries"]

_G_KEY = "_kolba_sqlalchemy_queries"
_START_KEY = "kolba_query_start"
# Frames of these packages are never a query's "location".
_LIBRARIES = ("sqlalchemy", "kolba")


@dataclasses.dataclass(frozen=True)
class QueryInfo:
    """One executed statement, as recorded by ``SQLALCHEMY_RECORD_QUERIES``."""

    #: The SQL string sent to the driver.
    statement: str | None
    #: The parameters sent with it.
    parameters: t.Any
    #: ``time.perf_counter()`` before execution.
    start_time: float
    #: ``time.perf_counter()`` after execution.
    end_time: float
    #: ``"file:line (function)"`` of the code that ran the query.
    location: str

    @property
    def duration(self) -> float:
        """Seconds the statement took (``end_time - start_time``)."""
        return self.end_time - self.start_time


def get_recorded_queries() -> list[QueryInfo]:
    """The queries recorded in the current app context, oldest first.

    Empty when ``SQLALCHEMY_RECORD_QUERIES`` was off at ``init_app``.
    Needs an app context (as ``g`` does).
    """
    return t.cast("list[QueryInfo]", g.get(_G_KEY, []))  # only QueryInfo is stored


def _is_library(module: str) -> bool:
    top = module.partition(".")[0]
    return top in _LIBRARIES


def _find_location() -> str:
    """The caller outside SQLAlchemy and Kolba; the app's own module if any."""
    app_module = current_app.import_name
    frame = sys._getframe(1)
    fallback: str | None = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        here = f"{frame.f_code.co_filename}:{frame.f_lineno} ({frame.f_code.co_name})"
        if module == app_module or module.startswith(app_module + "."):
            return here
        if fallback is None and not _is_library(module):
            fallback = here
        frame = frame.f_back  # type: ignore[assignment]  # None ends the loop
    return fallback or "<unknown>"


def _before_cursor_execute(conn: sa.Connection, *args: t.Any) -> None:
    conn.info.setdefault(_START_KEY, []).append(time.perf_counter())


def _after_cursor_execute(
    conn: sa.Connection,
    cursor: t.Any,
    statement: str | None,
    parameters: t.Any,
    context: t.Any,
    executemany: bool,
) -> None:
    end = time.perf_counter()
    starts = conn.info.get(_START_KEY)
    if not starts:
        return
    start = starts.pop()
    if not has_app_context():
        return
    queries = g.setdefault(_G_KEY, [])
    queries.append(QueryInfo(statement, parameters, start, end, _find_location()))


def _handle_error(context: sa.engine.ExceptionContext) -> None:
    # A failed statement never reaches after_cursor_execute: drop its start.
    conn = context.connection
    if conn is not None and conn.info.get(_START_KEY):
        conn.info[_START_KEY].pop()


def listen(engine: sa.Engine) -> None:
    """Record every statement ``engine`` runs (see the module docstring)."""
    sa_event.listen(engine, "before_cursor_execute", _before_cursor_execute)
    sa_event.listen(engine, "after_cursor_execute", _after_cursor_execute)
    sa_event.listen(engine, "handle_error", _handle_error)
