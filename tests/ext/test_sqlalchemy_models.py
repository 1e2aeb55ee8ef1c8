"""``db.Model``: table names, inheritance, declarative bases, ``db.`` names."""

from __future__ import annotations

import itertools
import typing as t

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedAsDataclass, mapped_column

from kolba import Kolba
from kolba.ext.sqlalchemy import Pagination, SQLAlchemy
from kolba.ext.sqlalchemy.model import camel_to_snake_case
from kolba.testing import KolbaClient


@pytest.fixture
def db(app: Kolba) -> t.Iterator[SQLAlchemy]:
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app)
    yield db
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    "name",
    [
        "User", "BlogPost", "HTTPResponse", "UserV2", "V2User", "ABCdef",
        "already_snake", "Post2Tag", "OAuthToken", "XMLHttpRequest", "A", "_Private",
    ],
)  # fmt: skip
def test_table_names_match_flask_sqlalchemy(name: str) -> None:
    from flask_sqlalchemy.model import camel_to_snake_case as theirs

    assert camel_to_snake_case(name) == theirs(name)


def test_automatic_and_explicit_table_names(db: SQLAlchemy) -> None:
    class BlogPost(db.Model):  # type: ignore[name-defined]  # db.Model is dynamic
        id = db.Column(db.Integer, primary_key=True)

    class Named(db.Model):  # type: ignore[name-defined]
        __tablename__ = "custom_name"
        id: Mapped[int] = mapped_column(primary_key=True)

    class IdMixin:
        id = sa.Column(sa.Integer, primary_key=True)

    class MixedIn(IdMixin, db.Model):  # type: ignore[name-defined]
        pass

    class Base(db.Model):  # type: ignore[name-defined]
        __abstract__ = True
        id: Mapped[int] = mapped_column(primary_key=True)

    class FromAbstract(Base):
        pass

    assert BlogPost.__table__.name == "blog_post"
    assert Named.__table__.name == "custom_name"
    assert MixedIn.__table__.name == "mixed_in"
    assert FromAbstract.__table__.name == "from_abstract"
    assert "base" not in db.metadata.tables


def test_single_and_joined_table_inheritance(
    app: Kolba, db: SQLAlchemy, client: KolbaClient
) -> None:
    class Employee(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)
        kind = db.Column(db.String(20))
        __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "e"}

    class Manager(Employee):  # single table: no primary key of its own
        __mapper_args__ = {"polymorphic_identity": "m"}

    class Engineer(Employee):  # joined table: its own primary key
        id = db.Column(db.Integer, db.ForeignKey("employee.id"), primary_key=True)
        __mapper_args__ = {"polymorphic_identity": "eng"}

    assert Manager.__table__ is Employee.__table__
    assert "__tablename__" not in Manager.__dict__
    assert Engineer.__table__.name == "engineer"

    @app.get("/kinds")
    def kinds() -> list[str]:
        db.create_all()
        db.session.add_all([Employee(), Manager(), Engineer()])
        db.session.commit()
        return sorted(type(e).__name__ for e in Employee.query.all())

    assert client.get("/kinds").json == ["Employee", "Engineer", "Manager"]


def test_declarative_base_model_class(app: Kolba, client: KolbaClient) -> None:
    class Base(DeclarativeBase):
        type_annotation_map = {str: sa.String(50)}

    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app, model_class=Base)

    class Tag(db.Model):  # type: ignore[name-defined]
        id: Mapped[int] = mapped_column(primary_key=True)
        label: Mapped[str] = mapped_column(unique=True)

    assert issubclass(Tag, Base)
    assert Tag.__table__.name == "tag"
    assert Tag.__table__.c.label.type.length == 50
    assert db.metadata is Base.metadata

    @app.post("/tags/<label>")
    def add(label: str) -> t.Any:
        db.create_all()
        db.session.add(Tag(label=label))
        db.session.commit()
        return {"repr": repr(Tag.query.filter_by(label=label).one())}

    try:
        assert client.post("/tags/x").json == {"repr": "<Tag 1>"}
    finally:
        with app.app_context():
            db.engine.dispose()


def test_mapped_as_dataclass_model_class(app: Kolba, client: KolbaClient) -> None:
    class Base(MappedAsDataclass, DeclarativeBase):
        pass

    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app, model_class=Base)

    class Point(db.Model):  # type: ignore[name-defined]
        id: Mapped[int] = mapped_column(primary_key=True, init=False)
        x: Mapped[int]
        y: Mapped[int] = mapped_column(default=0)

    @app.post("/points")
    def add() -> t.Any:
        db.create_all()
        db.session.add(Point(3))
        db.session.commit()
        point = db.session.get(Point, 1)
        return {"x": point.x, "y": point.y, "repr": repr(point)}

    try:
        # The dataclass's own __repr__ wins over db.Model's.
        assert client.post("/points").json == {
            "x": 3,
            "y": 0,
            "repr": (
                "test_mapped_as_dataclass_model_class.<locals>.Point(id=1, x=3, y=0)"
            ),
        }
    finally:
        with app.app_context():
            db.engine.dispose()


def test_metadata_with_declarative_base_is_refused() -> None:
    class Base(DeclarativeBase):
        pass

    with pytest.raises(ValueError, match="owns its metadata"):
        SQLAlchemy(model_class=Base, metadata=sa.MetaData())


def test_custom_model_class_methods(app: Kolba) -> None:
    class Base:
        def describe(self) -> str:
            return f"a {type(self).__name__}"

    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app, model_class=Base)

    class Thing(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)

    assert Thing().describe() == "a Thing"
    with app.app_context():
        db.engine.dispose()


def test_association_table_and_dynamic_relationship(
    app: Kolba, db: SQLAlchemy, client: KolbaClient
) -> None:
    post_tags = db.Table(
        "post_tags",
        db.Column("post_id", db.ForeignKey("post.id"), primary_key=True),
        db.Column("tag_id", db.ForeignKey("tag.id"), primary_key=True),
    )

    class Tag(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(20))

    class Post(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)
        tags = db.relationship(Tag, secondary=post_tags, lazy="dynamic")

    @app.get("/tagged")
    def tagged() -> t.Any:
        db.create_all()
        post = Post()
        post.tags.append(Tag(name="a"))
        post.tags.append(Tag(name="b"))
        db.session.add(post)
        db.session.commit()
        page = post.tags.order_by(Tag.name).paginate(page=1, per_page=1)
        return {"names": [tag.name for tag in page.items], "pages": page.pages}

    assert post_tags.metadata is db.metadata
    assert client.get("/tagged").json == {"names": ["a"], "pages": 2}


def test_db_exposes_sqlalchemy_names(db: SQLAlchemy) -> None:
    from sqlalchemy import event, orm

    assert db.Column is sa.Column and db.select is sa.select and db.func is sa.func
    assert db.Mapped is orm.Mapped and db.mapped_column is orm.mapped_column
    assert db.event is event and db.Integer is sa.Integer
    with pytest.raises(AttributeError, match="neither sqlalchemy nor"):
        db.NoSuchThing


# -- iter_pages against Flask-SQLAlchemy's, on plain arithmetic ----------------


class _ListPagination(Pagination):
    def _query_items(self) -> list[t.Any]:
        data = self._query_args["data"]
        return list(data[(self.page - 1) * self.per_page :][: self.per_page])

    def _query_count(self) -> int:
        return len(self._query_args["data"])


def test_iter_pages_matches_flask_sqlalchemy() -> None:
    from flask_sqlalchemy.pagination import Pagination as FsaPagination

    class FsaListPagination(FsaPagination):
        def _query_items(self) -> list[t.Any]:
            data = self._query_args["data"]
            return list(data[(self.page - 1) * self.per_page :][: self.per_page])

        def _query_count(self) -> int:
            return len(self._query_args["data"])

    for total, page in itertools.product((0, 1, 5, 20, 57), (1, 2, 4, 7, 12, 20, 30)):
        data = list(range(total))
        ours = _ListPagination(page=page, per_page=3, error_out=False, data=data)
        theirs = FsaListPagination(page=page, per_page=3, error_out=False, data=data)
        for edges in itertools.product((0, 1, 2), (0, 2), (0, 4), (0, 1, 2)):
            kwargs = dict(
                zip(
                    ("left_edge", "left_current", "right_current", "right_edge"),
                    edges,
                    strict=True,
                )
            )
            assert list(ours.iter_pages(**kwargs)) == list(
                theirs.iter_pages(**kwargs)
            ), (total, page, kwargs)
        assert (ours.first, ours.last, ours.pages) == (
            theirs.first,
            theirs.last,
            theirs.pages,
        )


def test_iter_pages_default_shape() -> None:
    pagination = _ListPagination(page=7, per_page=1, data=list(range(20)))
    assert list(pagination.iter_pages()) == [
        1, 2, None, 5, 6, 7, 8, 9, 10, 11, None, 19, 20,
    ]  # fmt: skip
