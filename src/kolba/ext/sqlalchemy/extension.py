"""The :class:`SQLAlchemy` extension object: engines, session, models, helpers.

How it hooks into an app (``init_app``)
---------------------------------------

- reads ``SQLALCHEMY_*`` settings and creates one engine per bind key
  (``None`` is the default database), stored per app, so one ``db`` can
  serve several apps;
- registers a ``teardown_appcontext`` function that removes the current
  context's session (``db.session.remove()``): uncommitted work is rolled
  back and the connection goes back to the pool;
- adds ``db`` and every model to ``kolba shell`` (``add_models_to_shell``);
- stores itself as ``app.extensions["sqlalchemy"]``.

Configuration (``app.config``), with defaults:

=============================  ==============================================
``SQLALCHEMY_DATABASE_URI``    ``None``; the default database's URL
``SQLALCHEMY_BINDS``           ``{}``; bind key → URL, or dict of engine
                               options with a ``"url"`` key
``SQLALCHEMY_ENGINE_OPTIONS``  ``{}``; ``create_engine`` keywords for the
                               default database
``SQLALCHEMY_ECHO``            ``False``; log every statement (``echo``)
``SQLALCHEMY_RECORD_QUERIES``  ``False``; see :func:`get_recorded_queries`
=============================  ==============================================

Engine options are merged in this order, later winning: the constructor's
``engine_options``, then ``SQLALCHEMY_ENGINE_OPTIONS`` (default database
only) or the bind's dict, then the per-driver defaults of
:mod:`.engines` for keys still unset.
"""

from __future__ import annotations

import typing as t
import weakref

import sqlalchemy as sa
import sqlalchemy.event as sa_event
import sqlalchemy.orm as sa_orm

from kolba import has_app_context
from kolba.globals import app_ctx

from . import engines as _engines
from . import record_queries as _record_queries
from .model import make_declarative_base
from .pagination import Pagination, SelectPagination
from .query import Query, _found_or_404, _one_or_404
from .session import NO_APP_CONTEXT, Session, app_context_scope

if t.TYPE_CHECKING:  # pragma: no cover
    from kolba import Kolba

__all__ = ["SQLAlchemy"]

_T = t.TypeVar("_T")
_ALL: t.Final = "__all__"

_NO_DATABASE = """\
No database is configured for {app!r}: set SQLALCHEMY_DATABASE_URI (or \
SQLALCHEMY_BINDS) before calling init_app, for example

    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///app.db"  # instance folder
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://user:pw@host/dbname"

or in the environment with app.config.from_prefixed_env() and \
KOLBA_SQLALCHEMY_DATABASE_URI=... ."""


class SQLAlchemy:
    """SQLAlchemy in a Kolba app: ``db.Model``, ``db.session`` and helpers.

    ``db.Column``, ``db.Integer``, ``db.select``, ``db.func``,
    ``db.Mapped``, ``db.mapped_column`` … — every name of ``sqlalchemy`` and
    ``sqlalchemy.orm`` — are reachable as attributes of this object.

    :param app: the app to initialise now; or call :meth:`init_app` later.
    :param metadata: the default database's :class:`~sqlalchemy.MetaData`
        (e.g. with a naming convention, which migrations need to name
        constraints). Bind keys get copies with the same convention.
    :param model_class: a class whose methods every model gets, or a
        :class:`~sqlalchemy.orm.DeclarativeBase` subclass to base
        ``db.Model`` on.
    :param query_class: the class of ``Model.query`` and of
        ``db.session.query()``.
    :param engine_options: ``create_engine`` keywords for every engine.
    :param session_options: ``sessionmaker`` keywords for ``db.session``;
        ``scopefunc`` replaces the per-app-context scope.
    :param add_models_to_shell: put ``db`` and every model in the
        ``kolba shell`` namespace.
    """

    def __init__(
        self,
        app: Kolba | None = None,
        *,
        metadata: sa.MetaData | None = None,
        model_class: type[t.Any] | None = None,
        query_class: type[Query[t.Any]] = Query,
        engine_options: dict[str, t.Any] | None = None,
        session_options: dict[str, t.Any] | None = None,
        add_models_to_shell: bool = True,
    ) -> None:
        self._engine_options = dict(engine_options or {})
        self._add_models_to_shell = add_models_to_shell
        self._app_engines: weakref.WeakKeyDictionary[
            Kolba, dict[str | None, sa.Engine]
        ] = weakref.WeakKeyDictionary()
        #: Bind key → :class:`~sqlalchemy.MetaData`; ``None`` is the default.
        self.metadatas: dict[str | None, sa.MetaData] = {}
        #: The class of ``Model.query``.
        self.Query = query_class
        #: The declarative base of the models.
        self.Model: type[t.Any] = make_declarative_base(self, model_class, metadata)
        self.Model.query_class = query_class
        self.metadatas[None] = self.Model.metadata
        #: The session of the current app context (a ``scoped_session``).
        self.session: sa_orm.scoped_session[Session] = self._make_scoped_session(
            dict(session_options or {})
        )
        if app is not None:
            self.init_app(app)

    def __repr__(self) -> str:
        if has_app_context() and app_ctx.app in self._app_engines:
            engine = self.engines.get(None)
            if engine is not None:
                return f"<{type(self).__name__} {engine.url!r}>"
        return f"<{type(self).__name__}>"

    # -- setup ----------------------------------------------------------------

    def init_app(self, app: Kolba) -> None:
        """Configure engines for ``app`` and hook the session into its contexts.

        :raises RuntimeError: neither ``SQLALCHEMY_DATABASE_URI`` nor
            ``SQLALCHEMY_BINDS`` is set.
        """
        config = app.config
        uri = config.setdefault("SQLALCHEMY_DATABASE_URI", None)
        binds = config.setdefault("SQLALCHEMY_BINDS", {})
        default_options = {
            **self._engine_options,
            **config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}),
        }
        echo = config.setdefault("SQLALCHEMY_ECHO", False)
        record = config.setdefault("SQLALCHEMY_RECORD_QUERIES", False)

        all_options: dict[str | None, dict[str, t.Any]] = {}
        if uri is not None:
            all_options[None] = {**default_options, "url": uri}
        elif "url" in default_options:
            all_options[None] = default_options
        for key, value in binds.items():
            options = dict(self._engine_options)
            if isinstance(value, str | sa.URL):
                options["url"] = value
            else:
                options.update(value)
            if "url" not in options:
                raise ValueError(
                    f"SQLALCHEMY_BINDS[{key!r}] has no 'url'. Give a URL string or "
                    "a dict of engine options with a 'url' key."
                )
            all_options[key] = options
        if not all_options:
            raise RuntimeError(_NO_DATABASE.format(app=app.name))

        created: dict[str | None, sa.Engine] = {}
        for key, options in all_options.items():
            self._make_metadata(key)
            options.setdefault("echo", echo)
            options.setdefault("echo_pool", echo)
            _engines.apply_driver_defaults(app, options)
            created[key] = _engines.create_engine(options)
            if record:
                _record_queries.listen(created[key])
        previous = self._app_engines.get(app)
        if previous:
            for engine in previous.values():
                engine.dispose()
        self._app_engines[app] = created

        app.extensions["sqlalchemy"] = self
        app.teardown_appcontext(self._teardown_session)
        if self._add_models_to_shell:
            app.shell_context_processor(self._shell_context)

    def _make_scoped_session(
        self, options: dict[str, t.Any]
    ) -> sa_orm.scoped_session[Session]:
        scopefunc = options.pop("scopefunc", app_context_scope)
        options.setdefault("class_", Session)
        options.setdefault("query_cls", self.Query)
        factory = sa_orm.sessionmaker(db=self, **options)
        return sa_orm.scoped_session(factory, scopefunc)

    def _make_metadata(self, bind_key: str | None) -> sa.MetaData:
        """The metadata of ``bind_key``, made on first use (default's convention)."""
        metadata = self.metadatas.get(bind_key)
        if metadata is None:
            default = self.metadatas[None]
            metadata = sa.MetaData(
                schema=default.schema,
                naming_convention=default.naming_convention,
                info={"bind_key": bind_key},
            )
            self.metadatas[bind_key] = metadata
        return metadata

    def _teardown_session(self, exc: BaseException | None) -> None:
        # PERF: most requests of most apps never open a session; only then is
        # there something to close (one scope lookup instead of two).
        if self.session.registry.has():
            self.session.remove()

    def _shell_context(self) -> dict[str, t.Any]:
        namespace: dict[str, t.Any] = {"db": self}
        for mapper in self.Model.registry.mappers:
            namespace.setdefault(mapper.class_.__name__, mapper.class_)
        return namespace

    # -- engines and metadata -------------------------------------------------

    @property
    def metadata(self) -> sa.MetaData:
        """The default database's metadata."""
        return self.metadatas[None]

    @property
    def engines(self) -> t.Mapping[str | None, sa.Engine]:
        """Bind key → engine for the current app (``None``: the default).

        Outside an app context this works when exactly one app uses this
        ``db`` (so ``db.create_all()`` at a script's top level works, as the
        Flask tutorials write it); otherwise push a context.
        """
        if has_app_context():
            app = app_ctx.app
            engines = self._app_engines.get(app)
            if engines is None:
                raise RuntimeError(
                    f"The app {app.name!r} is not registered with this SQLAlchemy "
                    "object. Call db.init_app(app) (or SQLAlchemy(app)) first."
                )
            return engines
        registered = list(self._app_engines.values())
        if len(registered) == 1:
            return registered[0]
        raise RuntimeError(
            NO_APP_CONTEXT.format(what="Finding the database engines")
            + f"\n({len(registered)} apps use this SQLAlchemy object, so it "
            "cannot pick one without a context.)"
        )

    @property
    def engine(self) -> sa.Engine:
        """The default database's engine for the current app."""
        return self.get_engine()

    def get_engine(self, bind_key: str | None = None) -> sa.Engine:
        """The engine of ``bind_key`` (``None``: the default database)."""
        engines = self.engines
        try:
            return engines[bind_key]
        except KeyError:
            raise KeyError(
                f"No engine for bind key {bind_key!r}. Configured: "
                f"{sorted(map(repr, engines))}. Set SQLALCHEMY_DATABASE_URI for "
                "the default database and SQLALCHEMY_BINDS for the others."
            ) from None

    def _call_for_binds(
        self, bind_key: str | None | list[str | None], operation: str
    ) -> None:
        engines = self.engines
        if bind_key == _ALL:
            keys = list(dict.fromkeys([*engines, *self.metadatas]))
        elif isinstance(bind_key, str) or bind_key is None:
            keys = [bind_key]
        else:
            keys = list(bind_key)
        for key in keys:
            engine = engines.get(key)
            metadata = self._make_metadata(key)
            if engine is None:
                if bind_key == _ALL and not metadata.tables:
                    continue
                raise KeyError(
                    f"{operation}() needs an engine for bind key {key!r}, which is "
                    f"not configured (configured: {sorted(map(repr, engines))}). "
                    "Set SQLALCHEMY_DATABASE_URI for the default database and "
                    "SQLALCHEMY_BINDS for the others."
                )
            if operation == "reflect":
                metadata.reflect(bind=engine)
            elif operation == "create_all":
                metadata.create_all(bind=engine)
            else:
                metadata.drop_all(bind=engine)

    def create_all(self, bind_key: str | None | list[str | None] = _ALL) -> None:
        """Create the tables that do not exist yet, on every bind by default.

        Existing tables are not altered: use migrations
        (``kolba.ext.migrate``) to change a schema.

        :param bind_key: a bind key, a list of them, or ``"__all__"``.
        """
        self._call_for_binds(bind_key, "create_all")

    def drop_all(self, bind_key: str | None | list[str | None] = _ALL) -> None:
        """Drop the models' tables, on every bind by default."""
        self._call_for_binds(bind_key, "drop_all")

    def reflect(self, bind_key: str | None | list[str | None] = _ALL) -> None:
        """Load the databases' existing tables into the metadata."""
        self._call_for_binds(bind_key, "reflect")

    # -- query helpers --------------------------------------------------------

    def get_or_404(
        self, entity: type[_T], ident: t.Any, *, description: str | None = None
    ) -> _T:
        """``db.session.get(entity, ident)``, or abort with 404 if missing."""
        return _found_or_404(self.session.get(entity, ident), description)

    def first_or_404(
        self, statement: sa.Select[t.Any], *, description: str | None = None
    ) -> t.Any:
        """The first result's first column, or abort with 404 if none."""
        return _found_or_404(self.session.execute(statement).scalar(), description)

    def one_or_404(
        self, statement: sa.Select[t.Any], *, description: str | None = None
    ) -> t.Any:
        """The only result's first column; abort with 404 for none or several."""
        return _one_or_404(
            lambda: self.session.execute(statement).scalar_one(), description
        )

    def paginate(
        self,
        select: sa.Select[t.Any],
        *,
        page: int | None = None,
        per_page: int | None = None,
        max_per_page: int | None = None,
        error_out: bool = True,
        count: bool = True,
    ) -> Pagination:
        """One page of ``select``'s results; see :class:`.Pagination`.

        :param page: the page, from 1; ``None`` reads ``?page=`` (default 1).
        :param per_page: items per page; ``None`` reads ``?per_page=`` (20).
        :param max_per_page: upper bound for ``per_page``.
        :param error_out: 404 on bad values or a page past the end.
        :param count: also count all results (``total``, ``pages``).
        """
        return SelectPagination(
            select=select,
            session=self.session(),
            page=page,
            per_page=per_page,
            max_per_page=max_per_page,
            error_out=error_out,
            count=count,
        )

    # -- names of sqlalchemy and sqlalchemy.orm ---------------------------------

    def Table(  # noqa: N802 - stands in for sqlalchemy.Table
        self, name: str, *args: t.Any, bind_key: str | None = None, **kwargs: t.Any
    ) -> sa.Table:
        """``sqlalchemy.Table`` on this ``db``'s metadata (of ``bind_key``).

        ``db.Table("tag_post", db.Column("tag_id", db.ForeignKey("tag.id")))``
        — an association table needs no model. An explicit ``MetaData`` as
        first argument is used as given.
        """
        if args and isinstance(args[0], sa.MetaData):
            return sa.Table(name, *args, **kwargs)
        return sa.Table(name, self._make_metadata(bind_key), *args, **kwargs)

    def relationship(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """``sqlalchemy.orm.relationship``; dynamic ones use ``db.Query``."""
        kwargs.setdefault("query_class", self.Query)
        return sa_orm.relationship(*args, **kwargs)

    def dynamic_loader(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """``sqlalchemy.orm.dynamic_loader`` with ``db.Query``."""
        kwargs.setdefault("query_class", self.Query)
        return sa_orm.dynamic_loader(*args, **kwargs)

    def backref(self, name: str, **kwargs: t.Any) -> t.Any:
        """``sqlalchemy.orm.backref``; dynamic ones use ``db.Query``."""
        kwargs.setdefault("query_class", self.Query)
        return sa_orm.backref(name, **kwargs)

    def __getattr__(self, name: str) -> t.Any:
        if name == "event":
            return sa_event
        if not name.startswith("_"):
            for module in (sa, sa_orm):
                if hasattr(module, name):
                    return getattr(module, name)
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}, and "
            "neither sqlalchemy nor sqlalchemy.orm has that name."
        )
