"""SQLAlchemy 2 for Kolba apps, shaped like Flask-SQLAlchemy 3.1.

::

    from kolba import Kolba
    from kolba.ext.sqlalchemy import SQLAlchemy

    app = Kolba(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///app.db"  # instance folder
    db = SQLAlchemy(app)

    class Post(db.Model):  # table "post"
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(80), nullable=False)

Modules: :mod:`.extension` (the :class:`SQLAlchemy` object, engines,
binds), :mod:`.model` (``db.Model``), :mod:`.session` (the session and its
per-app-context scope), :mod:`.query` (``Model.query``), :mod:`.pagination`
and :mod:`.record_queries`.
"""

from __future__ import annotations

try:
    import sqlalchemy as _sqlalchemy  # noqa: F401
except ImportError as exc:  # pragma: no cover - the test extra installs it
    raise ImportError(
        "kolba.ext.sqlalchemy needs SQLAlchemy, which is not installed. "
        "Install it with: pip install 'kolba[sqlalchemy]'"
    ) from exc

from .extension import SQLAlchemy as SQLAlchemy
from .model import Model as Model
from .pagination import Pagination as Pagination
from .pagination import QueryPagination as QueryPagination
from .pagination import SelectPagination as SelectPagination
from .query import Query as Query
from .record_queries import QueryInfo as QueryInfo
from .record_queries import get_recorded_queries as get_recorded_queries
from .session import Session as Session

__all__ = [
    "Model",
    "Pagination",
    "Query",
    "QueryInfo",
    "QueryPagination",
    "SQLAlchemy",
    "SelectPagination",
    "Session",
    "get_recorded_queries",
]
