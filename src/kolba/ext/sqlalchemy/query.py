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
        rv = self.session.get(entity, ident)
        if rv is None:
            abort(404, description)
        return t.cast(_T, rv)  # the query's entity is _T

    def first_or_404(self, description: str | None = None) -> _T:
        """The first result, or abort with 404 if there is none."""
        rv = self.first()
        if rv is None:
            abort(404, description)
        return rv

    def one_or_404(self, description: str | None = None) -> _T:
        """The only result; abort with 404 for none or more than one."""
        try:
            return self.one()
        except (sa_exc.NoResultFound, sa_exc.MultipleResultsFound):
            abort(404, description)

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

        :param page: the page, from 1; ``None`` reads ``?page=`` (default 1).
        :param per_page: items per page; ``None`` reads ``?per_page=`` (20).
        :param max_per_page: upper bound for ``per_page``.
        :param error_out: 404 on bad values or a page past the end.
        :param count: also count all results (``total``, ``pages``).
        """
        return QueryPagination(
            query=self,
            page=page,
            per_page=per_page,
            max_per_page=max_per_page,
            error_out=error_out,
            count=count,
        )
