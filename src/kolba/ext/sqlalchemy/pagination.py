"""Pages of query results: :class:`Pagination` and its two query flavours.

A pagination object runs two queries when it is made: the page's items
(``LIMIT``/``OFFSET``) and, unless ``count=False``, the total (``COUNT(*)``
over the statement without its ``ORDER BY``). Everything else — page
numbers, ``first``/``last``, :meth:`Pagination.iter_pages` — is arithmetic
on ``page``, ``per_page`` and ``total``.

Inside a request, a missing ``page`` or ``per_page`` is read from the query
string (``?page=3&per_page=50``). With ``error_out`` (the default), a value
that is not an integer, is below 1, or names a page past the end answers
404; without it, bad values fall back to page 1 and 20 per page.
"""

from __future__ import annotations

import math
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

from kolba import abort, has_request_context, request

__all__ = ["Pagination", "QueryPagination", "SelectPagination"]

_DEFAULT_PAGE = 1
_DEFAULT_PER_PAGE = 20


def _read_page_arg(name: str, default: int, error_out: bool) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        if error_out:
            abort(404, f"The {name!r} query argument must be an integer, got {raw!r}.")
        return default


class Pagination:
    """One page of results, with what a template needs to link the others.

    Do not make one directly: call ``db.paginate(select(...))`` or
    ``Model.query.paginate()``. Iterating over it yields :attr:`items`.

    :param page: the page number, from 1; ``None`` reads ``?page=``.
    :param per_page: items per page; ``None`` reads ``?per_page=`` (20).
    :param max_per_page: upper bound for ``per_page``; ``None`` for none.
    :param error_out: answer 404 for bad or out-of-range values instead of
        falling back to the defaults.
    :param count: run the ``COUNT`` query; ``False`` leaves :attr:`total`
        ``None`` (and :attr:`pages` 0).
    :param kwargs: what the subclass needs to run its queries.
    """

    def __init__(
        self,
        page: int | None = None,
        per_page: int | None = None,
        max_per_page: int | None = 100,
        error_out: bool = True,
        count: bool = True,
        **kwargs: t.Any,
    ) -> None:
        self._query_args = kwargs
        if has_request_context():
            if page is None:
                page = _read_page_arg("page", _DEFAULT_PAGE, error_out)
            if per_page is None:
                per_page = _read_page_arg("per_page", _DEFAULT_PER_PAGE, error_out)
        else:
            page = _DEFAULT_PAGE if page is None else page
            per_page = _DEFAULT_PER_PAGE if per_page is None else per_page
        if max_per_page is not None:
            per_page = min(per_page, max_per_page)
        if page < 1:
            if error_out:
                abort(404, f"Page numbers start at 1, got {page}.")
            page = _DEFAULT_PAGE
        if per_page < 1:
            if error_out:
                abort(404, f"per_page must be at least 1, got {per_page}.")
            per_page = _DEFAULT_PER_PAGE

        #: The current page number, from 1.
        self.page: int = page
        #: The most items a page holds.
        self.per_page: int = per_page
        #: The bound applied to ``per_page``, if any.
        self.max_per_page: int | None = max_per_page

        items = self._query_items()
        if not items and page != 1 and error_out:
            abort(404, f"Page {page} is past the last page.")
        #: The items on this page.
        self.items: list[t.Any] = items
        #: The number of items on all pages, or ``None`` with ``count=False``.
        self.total: int | None = self._query_count() if count else None

    @property
    def _offset(self) -> int:
        return (self.page - 1) * self.per_page

    def _query_items(self) -> list[t.Any]:
        raise NotImplementedError

    def _query_count(self) -> int:
        raise NotImplementedError

    @property
    def first(self) -> int:
        """The 1-based number of the first item on the page; 0 when empty."""
        return self._offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The 1-based number of the last item on the page; 0 when empty."""
        return self._offset + len(self.items) if self.items else 0

    @property
    def pages(self) -> int:
        """How many pages there are (0 when nothing was counted)."""
        if not self.total:
            return 0
        return math.ceil(self.total / self.per_page)

    @property
    def has_prev(self) -> bool:
        """Whether a page comes before this one."""
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        """The previous page's number, or ``None`` on the first page."""
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        """Whether a page comes after this one."""
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        """The next page's number, or ``None`` on the last page."""
        return self.page + 1 if self.has_next else None

    def _sibling(self, page: int, error_out: bool) -> Pagination:
        sibling = type(self)(
            page=page,
            per_page=self.per_page,
            max_per_page=self.max_per_page,
            error_out=error_out,
            count=False,
            **self._query_args,
        )
        sibling.total = self.total
        return sibling

    def prev(self, *, error_out: bool = False) -> Pagination:
        """Query the previous page (the total is reused, not counted again)."""
        return self._sibling(self.page - 1, error_out)

    def next(self, *, error_out: bool = False) -> Pagination:
        """Query the next page (the total is reused, not counted again)."""
        return self._sibling(self.page + 1, error_out)

    def iter_pages(
        self,
        *,
        left_edge: int = 2,
        left_current: int = 2,
        right_current: int = 4,
        right_edge: int = 2,
    ) -> t.Iterator[int | None]:
        """Page numbers for a pager, with ``None`` where numbers are skipped.

        With 20 pages and page 7 current, the defaults yield
        ``1, 2, None, 5, 6, 7, 8, 9, 10, 11, None, 19, 20``.

        :param left_edge: pages shown from the first page on.
        :param left_current: pages shown before the current page.
        :param right_current: pages shown after the current page.
        :param right_edge: pages shown up to the last page.
        """
        # Three runs of numbers — the left edge, around the current page, the
        # right edge — each starting where the one before stopped at the
        # earliest; ``stop`` values are one past a run's last page.
        end = self.pages + 1
        left_stop = min(1 + left_edge, end)
        yield from range(1, left_stop)
        if left_stop == end:
            return
        middle_start = max(left_stop, self.page - left_current)
        middle_stop = min(self.page + right_current + 1, end)
        if middle_start > left_stop:
            yield None
        yield from range(middle_start, middle_stop)
        if middle_stop == end:
            return
        right_start = max(middle_stop, end - right_edge)
        if right_start > middle_stop:
            yield None
        yield from range(right_start, end)

    def __iter__(self) -> t.Iterator[t.Any]:
        return iter(self.items)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} page {self.page} of {self.pages}, "
            f"{len(self.items)} items>"
        )


class SelectPagination(Pagination):
    """A page of a 2.0-style ``select()``; made by ``db.paginate()``.

    Rows are de-duplicated (``unique()``) and the first column returned,
    as ``session.scalars()`` does.
    """

    def _query_items(self) -> list[t.Any]:
        select: sa.Select[t.Any] = self._query_args["select"]
        session: sa_orm.Session = self._query_args["session"]
        page = select.limit(self.per_page).offset(self._offset)
        return list(session.execute(page).unique().scalars())

    def _query_count(self) -> int:
        select: sa.Select[t.Any] = self._query_args["select"]
        session: sa_orm.Session = self._query_args["session"]
        counted = sa.select(sa.func.count()).select_from(
            select.order_by(None).subquery()
        )
        return int(session.execute(counted).scalar_one())


class QueryPagination(Pagination):
    """A page of a legacy :class:`~kolba.ext.sqlalchemy.Query`."""

    def _query_items(self) -> list[t.Any]:
        query: sa_orm.Query[t.Any] = self._query_args["query"]
        return query.limit(self.per_page).offset(self._offset).all()

    def _query_count(self) -> int:
        query: sa_orm.Query[t.Any] = self._query_args["query"]
        return query.order_by(None).count()
