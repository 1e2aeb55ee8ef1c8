"""``db.Model``: the declarative base, with table names, binds and ``query``.

How ``db.Model`` is built
-------------------------

``db.Model`` is a fresh subclass of :class:`sqlalchemy.orm.DeclarativeBase`
made for each :class:`~kolba.ext.sqlalchemy.SQLAlchemy` object (so each has
its own registry and metadata). Both styles map on it:

- the 1.x style ``id = db.Column(db.Integer, primary_key=True)`` — plain
  ``Column`` attributes need no annotation, and ``__allow_unmapped__`` lets
  legacy annotations such as ``posts: list[Post] = db.relationship(...)``
  through;
- the 2.0 style ``id: Mapped[int] = mapped_column(primary_key=True)``.

When ``model_class`` is the user's own ``DeclarativeBase`` subclass (also
with ``MappedAsDataclass``), ``db.Model`` is an abstract subclass of it and
the user's base keeps its metadata, type map and ``__allow_unmapped__``.

Every subclass passes through :meth:`_KolbaModelHooks.__init_subclass__`
*before* SQLAlchemy maps it (``DeclarativeBase`` maps in its own
``__init_subclass__``, which ours calls last). There:

1. ``__bind_key__`` gives the class the metadata of that bind key, so its
   table is created on, and queried through, that bind's engine.
2. A class without ``__tablename__``/``__table__`` that declares a primary
   key itself (or through a mixin not already mapped) gets
   ``__tablename__ = camel_to_snake_case(cls.__name__)``. A subclass of a
   mapped model that declares no primary key is single-table inheritance
   and is left without a table name, as SQLAlchemy expects.
"""

from __future__ import annotations

import re
import types
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

from .query import Query

if t.TYPE_CHECKING:  # pragma: no cover
    from .extension import SQLAlchemy

__all__ = ["Model", "camel_to_snake_case"]

# A word starts at an upper-case letter after a lower-case letter or digit
# ("postTag" -> "post_Tag"), or at the last capital of an acronym that is
# followed by a lower-case letter ("HTTPResponse" -> "HTTP_Response").
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


#: The default constraint naming convention of ``db.metadata`` (the one the
#: SQLAlchemy documentation recommends). Pass ``SQLAlchemy(metadata=...)`` to
#: choose another.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def camel_to_snake_case(name: str) -> str:
    """``CamelCase`` → ``camel_case``, the automatic table name of a model."""
    return _WORD_BOUNDARY.sub("_", name).lower().lstrip("_")


class _QueryProperty:
    """``Model.query``: a new query for the class, on ``db.session``."""

    def __get__(self, obj: object, cls: type[Model]) -> Query[t.Any]:
        return cls.query_class(cls, session=cls.__kolba_db__.session())


class Model:
    """What every ``db.Model`` has besides SQLAlchemy's mapping.

    Pass a subclass as ``SQLAlchemy(model_class=...)`` to add methods to
    every model; or pass a ``DeclarativeBase`` subclass to use SQLAlchemy 2's
    own base (this class is then mixed in after it).
    """

    #: The extension the model belongs to (set on ``db.Model``).
    __kolba_db__: t.ClassVar[SQLAlchemy]

    #: The class of :attr:`query`.
    query_class: t.ClassVar[type[Query[t.Any]]] = Query

    #: A legacy query for this model on ``db.session``:
    #: ``User.query.filter_by(name="ada").first_or_404()``.
    query = _QueryProperty()

    def __repr__(self) -> str:
        state = sa.inspect(self)
        if state.transient:
            key = f"(transient {id(self)})"
        elif state.pending:
            key = f"(pending {id(self)})"
        else:
            key = ", ".join(str(value) for value in state.identity or ())
        return f"<{type(self).__name__} {key}>"


def _is_mapped(cls: type) -> bool:
    return "__table__" in cls.__dict__ or "__mapper__" in cls.__dict__


def _declares_primary_key(cls: type) -> bool:
    """Whether ``cls`` (or a mixin before its first mapped base) has a PK."""
    for klass in cls.__mro__:
        if klass is not cls and _is_mapped(klass):
            return False
        for value in vars(klass).values():
            if isinstance(value, sa_orm.MappedColumn):
                value = value.column
            if isinstance(value, sa.Column) and value.primary_key:
                return True
        table_args = vars(klass).get("__table_args__", ())
        if isinstance(table_args, tuple) and any(
            isinstance(arg, sa.PrimaryKeyConstraint) for arg in table_args
        ):
            return True
    return False


def _should_name_table(cls: type) -> bool:
    if "__tablename__" in cls.__dict__ or "__table__" in cls.__dict__:
        return False
    for base in cls.__mro__[1:]:
        # A mixin that computes table names itself keeps doing so.
        if isinstance(base.__dict__.get("__tablename__"), sa_orm.declared_attr):
            return False
    return _declares_primary_key(cls)


class _KolbaModelHooks:
    """Runs before SQLAlchemy maps a ``db.Model`` subclass (see module doc)."""

    __kolba_db__: t.ClassVar[SQLAlchemy]

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        is_base = (
            sa_orm.DeclarativeBase in cls.__bases__
            or sa_orm.DeclarativeBaseNoMeta in cls.__bases__
        )
        if not is_base:
            bind_key = cls.__dict__.get("__bind_key__")
            if (
                "__bind_key__" in cls.__dict__
                and "metadata" not in cls.__dict__
                and "__table__" not in cls.__dict__
            ):
                # type.__setattr__: DeclarativeBase's metaclass would try to
                # map a MetaData attribute.
                type.__setattr__(
                    cls, "metadata", cls.__kolba_db__._make_metadata(bind_key)
                )
            abstract = cls.__dict__.get("__abstract__", False)
            if not abstract and _should_name_table(cls):
                name = camel_to_snake_case(cls.__name__)
                type.__setattr__(cls, "__tablename__", name)
        super().__init_subclass__(**kwargs)


def make_declarative_base(
    db: SQLAlchemy,
    model_class: type[t.Any] | None,
    metadata: sa.MetaData | None,
) -> type[t.Any]:
    """Build ``db.Model`` for ``db`` (see the module docstring)."""
    if isinstance(model_class, type) and issubclass(
        model_class, sa_orm.DeclarativeBase | sa_orm.DeclarativeBaseNoMeta
    ):
        if metadata is not None:
            raise ValueError(
                "SQLAlchemy(metadata=...) cannot be combined with a "
                f"DeclarativeBase model_class ({model_class.__name__}): the base "
                "class owns its metadata. Set it there instead: "
                "class Base(DeclarativeBase): metadata = MetaData(...)"
            )
        model_class.metadata.info.setdefault("bind_key", None)
        bases: tuple[type, ...] = (_KolbaModelHooks, model_class, Model)
        body: dict[str, t.Any] = {"__abstract__": True}
    else:
        if metadata is None:
            # Better than Flask-SQLAlchemy: constraints get predictable names,
            # so migrations can drop and rename them (on SQLite too).
            metadata = sa.MetaData(naming_convention=dict(NAMING_CONVENTION))
        metadata.info.setdefault("bind_key", None)
        bases = (_KolbaModelHooks, model_class or Model, sa_orm.DeclarativeBase)
        body = {"metadata": metadata, "__allow_unmapped__": True}
    body["__kolba_db__"] = db
    body["__module__"] = __name__
    # new_class picks the bases' metaclass (DeclarativeBase's), as a class
    # statement would.
    return types.new_class("Model", bases, exec_body=lambda ns: ns.update(body))
