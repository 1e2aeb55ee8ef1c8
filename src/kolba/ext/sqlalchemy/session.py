"""``db.session``: one SQLAlchemy session per application context.

``db.session`` is a :class:`sqlalchemy.orm.scoped_session` whose scope key
is the identity of the active application context. A request pushes its own
app context, so each request — in whatever thread or asyncio task it runs —
gets its own session; the extension removes it in ``teardown_appcontext``,
which rolls back anything not committed and returns the connection to the
pool. A CLI command, ``kolba shell`` and the test client push a context
too; elsewhere, ``with app.app_context():`` does.

:class:`Session` picks the engine per statement: a model (or table) whose
metadata belongs to a bind key (``__bind_key__``) goes to that key's
engine, everything else to the default engine.
"""

from __future__ import annotations

import itertools
import typing as t

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
import sqlalchemy.orm as sa_orm

from kolba.globals import app_ctx

if t.TYPE_CHECKING:  # pragma: no cover
    from kolba.ctx import AppContext

    from .extension import SQLAlchemy

__all__ = ["Session"]

NO_APP_CONTEXT = """\
{what} needs an application context, and none is pushed.

The session lives as long as one app context (a request, a CLI command,
kolba shell or a test client call each push one for you). In a script, a
background thread or a test that does not go through the client, push one:

    with app.app_context():
        db.session.add(...)
        db.session.commit()
"""


def current_app_context(what: str) -> AppContext:
    """The active app context itself, or a RuntimeError naming ``what``."""
    # app_ctx is a proxy; the scope key must be the context object behind it,
    # which lives exactly as long as the scope.
    try:
        return t.cast("AppContext", t.cast(t.Any, app_ctx)._get_current_object())
    except RuntimeError:
        raise RuntimeError(NO_APP_CONTEXT.format(what=what)) from None


def app_context_scope() -> int:
    """The scope key of ``db.session``: the id of the active app context."""
    return id(current_app_context("db.session"))


def _bind_key_of(table: t.Any) -> tuple[bool, str | None]:
    """Whether ``table`` names a bind key through its metadata, and which."""
    metadata = getattr(table, "metadata", None)
    if isinstance(metadata, sa.MetaData) and "bind_key" in metadata.info:
        return True, metadata.info["bind_key"]
    return False, None


def _tables_of(clause: t.Any) -> t.Iterator[t.Any]:
    if isinstance(clause, sa.Table):
        yield clause
    elif isinstance(clause, sa.Join):
        yield from _tables_of(clause.left)
        yield from _tables_of(clause.right)
    elif isinstance(clause, sa.sql.expression.UpdateBase):
        yield from _tables_of(getattr(clause, "table", None))
    elif isinstance(clause, sa.Select):
        for from_clause in clause.get_final_froms():
            yield from _tables_of(from_clause)


class Session(sa_orm.Session):
    """The session class behind ``db.session``; chooses an engine per bind key.

    :param db: the extension that made it (for its engines).
    :param kwargs: passed to :class:`sqlalchemy.orm.Session`.
    """

    def __init__(self, db: SQLAlchemy, **kwargs: t.Any) -> None:
        super().__init__(**kwargs)
        self._db = db

    def get_bind(
        self,
        mapper: t.Any = None,
        clause: t.Any = None,
        bind: t.Any = None,
        **kwargs: t.Any,
    ) -> sa.Engine | sa.Connection:
        """The engine for a statement: its model's or table's bind key's.

        An explicit ``bind`` wins; then the mapped class's table; then the
        tables a ``clause`` reads or writes; then the default engine.
        """
        if bind is not None:
            return t.cast("sa.Engine | sa.Connection", bind)
        engines = self._db.engines
        mapped: list[t.Any] = []
        if mapper is not None:
            try:
                mapped.append(sa.inspect(mapper).local_table)
            except sa_exc.NoInspectionAvailable:
                mapped.append(mapper)
        # PERF: the clause's tables are looked at only when the mapped class
        # does not settle the bind; listing a Select's FROMs compiles it.
        candidates = itertools.chain(
            mapped, _tables_of(clause) if clause is not None else ()
        )
        for table in candidates:
            found, key = _bind_key_of(table)
            if not found:
                continue
            if key in engines:
                return engines[key]
            raise sa_exc.UnboundExecutionError(
                f"Table {getattr(table, 'name', table)!r} belongs to bind key "
                f"{key!r}, which has no engine. Configured bind keys: "
                f"{sorted(map(repr, engines))}. Add {key!r} to "
                "SQLALCHEMY_BINDS or fix the model's __bind_key__."
            )
        if None in engines:
            return engines[None]
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
