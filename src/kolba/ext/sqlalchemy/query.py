"""``Model.query``: SQLAlchemy's legacy ``Query`` with 404 helpers and pages.

New code can use ``db.session.execute(db.select(...))`` with
``db.get_or_404``, ``db.first_or_404``, ``db.one_or_404`` and
``db.paginate``; this class keeps the 1.x style of the seed
(``Post.query.get_or_404(post_id)``) working.
"""

from __future__ import annotations

import typing as t

import sqlalchemy.exc as sa_exc
import sqlalchemy.orm as sa_orm

from kolba import abort

from .pagination import Pagination, QueryPagination

__all__ = ["Query"]

_T = t.TypeVar("_T")
_V = t.TypeVar("_V")


def _found_or_404(value: _V | None, description: str | None) -> _V:
    """``value``, or abort with 404 (and ``description``) if it is ``None``."""
    if value is None:
        abort(404, description)
    return value


def _one_or_404(fetch: t.Callable[[], _V], description: str | None) -> _V:
    """``fetch()``; abort with 404 if it finds no result or more than one."""
    try:
        return fetch()
    except (sa_exc.NoResultFound, sa_exc.MultipleResultsFound):
        abort(404, description)


class Query(sa_orm.Query[_T]):
    """SQLAlchemy's ``Query`` plus ``*_or_404`` helpers and :meth:`paginate`."""

    def get_or_404(self, ident: t.Any, description: str | None = None) -> _T:
        """The row with primary key ``ident``, or abort with 404.

        Uses ``Session.get`` (the identity map first), not the legacy
        ``Query.get``, which SQLAlchemy 2 warns about.

        :param ident: the primary key value (a tuple or dict for composite
            keys).
        :param description: the 404 page's message.
        """
        descriptions = self.column_descriptions
        entity = descriptions[0]["entity"] if len(descriptions) == 1 else None
        if not isinstance(entity, type | sa_orm.Mapper):
            raise TypeError(
                "get_or_404() needs a query for exactly one model, such as "
                f"Model.query; this one selects {len(descriptions)} column(s). "
                "Use first_or_404() with a filter instead."
            )
        rv = _found_or_404(self.session.get(entity, ident), description)
        return t.cast(_T, rv)  # the query's entity is _T

    def first_or_404(self, description: str | None = None) -> _T:
        """The first result, or abort with 404 if there is none."""
        return _found_or_404(self.first(), description)

    def one_or_404(self, description: str | None = None) -> _T:
        """The only result; abort with 404 for none or more than one."""
        return _one_or_404(self.one, description)

    def paginate(
        self,
        *,
        page: int | None = None,
        per_page: int | None = None,
        max_per_page: int | None = None,
        error_out: bool = True,
        count: bool = True,
    ) -> Pagination:
        """One page of the results; see :class:`~.pagination.Pagination`.

        The arguments are those of :meth:`SQLAlchemy.paginate
        <kolba.ext.sqlalchemy.SQLAlchemy.paginate>`.
        """
        return QueryPagination(
            query=self,
            page=page,
            per_page=per_page,
            max_per_page=max_per_page,
            error_out=error_out,
            count=count,
        )
