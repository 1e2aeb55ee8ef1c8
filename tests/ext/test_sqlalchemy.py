"""kolba.ext.sqlalchemy over HTTP, on SQLite (file and memory) and PostgreSQL.

Every test taking the ``db`` fixture runs once per database. On PostgreSQL
each test gets its own schema (``search_path`` in the URL), dropped after
the test, so tests never see each other's tables.
"""

from __future__ import annotations

import json
import threading
import typing as t
import urllib.request
import uuid

import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from sqlalchemy.orm import Mapped, mapped_column

from kolba import Kolba, jsonify, request
from kolba.ext.sqlalchemy import SQLAlchemy, get_recorded_queries
from kolba.testing import KolbaClient

DATABASES = ["sqlite-file", "sqlite-memory", "postgresql"]


@pytest.fixture(params=DATABASES)
def database_uri(request: pytest.FixtureRequest, tmp_path: t.Any) -> t.Iterator[str]:
    """A database URL for one test: a file, memory, or a fresh PG schema."""
    kind = request.param
    if kind == "sqlite-file":
        yield f"sqlite:///{tmp_path / 'app.db'}"
    elif kind == "sqlite-memory":
        yield "sqlite://"
    else:
        base: str = request.getfixturevalue("postgres_url")
        schema = f"test_{uuid.uuid4().hex[:16]}"
        admin = sa.create_engine(base, poolclass=sa.NullPool)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{base}?options=-csearch_path%3D{schema}"
        finally:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()


def dispose(app: Kolba, db: SQLAlchemy) -> None:
    """Close every pooled connection (an open one would outlive the test)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def db(app: Kolba, database_uri: str) -> t.Iterator[SQLAlchemy]:
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri
    db = SQLAlchemy(app)
    yield db
    dispose(app, db)


class Blog(t.NamedTuple):
    db: SQLAlchemy
    Author: t.Any
    Post: t.Any


@pytest.fixture
def blog(app: Kolba, db: SQLAlchemy) -> Blog:
    """The seed's blog: a legacy-style Post, a typed Author, and their views."""

    class Author(db.Model):  # type: ignore[name-defined]  # db.Model is dynamic
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(sa.String(80), unique=True)

    class Post(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(80), nullable=False)
        content = db.Column(db.Text, nullable=False, default="")
        author_id = db.Column(db.Integer, db.ForeignKey("author.id"), nullable=True)
        author = db.relationship("Author", backref=db.backref("posts"))

    with app.app_context():
        db.create_all()

    def as_json(post: t.Any) -> dict[str, t.Any]:
        return {
            "id": post.id,
            "title": post.title,
            "content": post.content,
            "author": post.author.name if post.author else None,
        }

    @app.post("/posts")
    def create_post() -> t.Any:
        post = Post(
            title=request.form["title"],
            content=request.form.get("content", ""),
            author_id=request.form.get("author_id", type=int),
        )
        db.session.add(post)
        try:
            db.session.commit()
        except sa_exc.IntegrityError:
            db.session.rollback()
            return {"error": "author_id does not name an existing author"}, 400
        return as_json(post), 201

    @app.get("/posts/<int:post_id>")
    def show_post(post_id: int) -> t.Any:
        return as_json(Post.query.get_or_404(post_id))

    @app.put("/posts/<int:post_id>")
    def update_post(post_id: int) -> t.Any:
        post = db.get_or_404(Post, post_id)
        post.title = request.form["title"]
        db.session.commit()
        return as_json(post)

    @app.delete("/posts/<int:post_id>")
    def delete_post(post_id: int) -> t.Any:
        db.session.delete(db.get_or_404(Post, post_id))
        db.session.commit()
        return "", 204

    @app.get("/posts")
    def list_posts() -> t.Any:
        page = db.paginate(db.select(Post).order_by(Post.id), max_per_page=25)
        return {
            "ids": [post.id for post in page],
            "page": page.page,
            "per_page": page.per_page,
            "pages": page.pages,
            "total": page.total,
            "next": page.next_num,
            "prev": page.prev_num,
        }

    @app.get("/legacy-posts")
    def list_posts_legacy() -> t.Any:
        page = Post.query.order_by(Post.id).paginate(error_out=False)
        return {"ids": [post.id for post in page.items], "page": page.page}

    @app.post("/authors")
    def create_author() -> t.Any:
        author = Author(name=request.form["name"])
        db.session.add(author)
        try:
            db.session.commit()
        except sa_exc.IntegrityError:
            db.session.rollback()
            count = db.session.scalar(db.select(db.func.count()).select_from(Author))
            return {"error": "that name is taken", "authors": count}, 409
        return {"id": author.id}, 201

    return Blog(db, Author, Post)


def add_posts(app: Kolba, blog: Blog, count: int) -> None:
    with app.app_context():
        blog.db.session.add_all(
            blog.Post(title=f"post {n}", content="") for n in range(1, count + 1)
        )
        blog.db.session.commit()


# -- CRUD over HTTP -------------------------------------------------------------


def test_crud_round_trip_over_http(blog: Blog, client: KolbaClient) -> None:
    created = client.post("/posts", data={"title": "Hello", "content": "First"})
    assert created.status_code == 201
    post_id = created.json["id"]
    assert client.get(f"/posts/{post_id}").json == {
        "id": post_id,
        "title": "Hello",
        "content": "First",
        "author": None,
    }
    assert client.put(f"/posts/{post_id}", data={"title": "Bye"}).json["title"] == (
        "Bye"
    )
    assert client.get(f"/posts/{post_id}").json["title"] == "Bye"
    assert client.delete(f"/posts/{post_id}").status_code == 204
    assert client.get(f"/posts/{post_id}").status_code == 404
    assert client.delete(f"/posts/{post_id}").status_code == 404


def test_relationship_between_typed_and_legacy_models(
    blog: Blog, client: KolbaClient
) -> None:
    author_id = client.post("/authors", data={"name": "ada"}).json["id"]
    post = client.post("/posts", data={"title": "t", "author_id": str(author_id)})
    assert post.json["author"] == "ada"
    with client.application.app_context():
        author = blog.db.session.get(blog.Author, author_id)
        assert [p.title for p in author.posts] == ["t"]


def test_hostile_title_is_stored_as_data(blog: Blog, client: KolbaClient) -> None:
    hostile = "x'); DROP TABLE post;--"
    post_id = client.post("/posts", data={"title": hostile}).json["id"]
    assert client.get(f"/posts/{post_id}").json["title"] == hostile
    with client.application.app_context():
        assert sa.inspect(blog.db.engine).has_table("post")
        assert (
            blog.db.session.scalar(
                blog.db.select(blog.Post.title).filter_by(title=hostile)
            )
            == hostile
        )


def test_uncommitted_work_is_discarded_at_teardown(
    app: Kolba, blog: Blog, client: KolbaClient
) -> None:
    @app.post("/draft")
    def draft() -> str:
        blog.db.session.add(blog.Post(title="never committed", content=""))
        blog.db.session.flush()
        return "ok"

    assert client.post("/draft").text == "ok"
    with app.app_context():
        assert blog.Post.query.count() == 0


# -- 404 helpers and pagination ---------------------------------------------------


def test_or_404_helpers(app: Kolba, blog: Blog, client: KolbaClient) -> None:
    db, post_model = blog.db, blog.Post
    add_posts(app, blog, 2)

    @app.get("/first/<title>")
    def first(title: str) -> str:
        return str(db.first_or_404(db.select(post_model).filter_by(title=title)).id)

    @app.get("/one/<title>")
    def one(title: str) -> str:
        statement = db.select(post_model).where(post_model.title.like(title))
        return str(db.one_or_404(statement, description="not exactly one").id)

    @app.get("/legacy-first/<title>")
    def legacy_first(title: str) -> str:
        return str(post_model.query.filter_by(title=title).first_or_404().id)

    @app.get("/legacy-one/<title>")
    def legacy_one(title: str) -> str:
        query = post_model.query.filter(post_model.title.like(title))
        return str(query.one_or_404().id)

    assert client.get("/first/post 2").text == "2"
    assert client.get("/first/nope").status_code == 404
    assert client.get("/one/post 1").text == "1"
    many = client.get("/one/post %")
    assert many.status_code == 404
    assert "not exactly one" in many.text
    assert client.get("/legacy-first/post 1").text == "1"
    assert client.get("/legacy-first/nope").status_code == 404
    assert client.get("/legacy-one/post %").status_code == 404
    assert client.get("/posts/999").status_code == 404


def test_paginate_over_http(app: Kolba, blog: Blog, client: KolbaClient) -> None:
    add_posts(app, blog, 45)
    first = client.get("/posts").json
    assert first["ids"] == list(range(1, 21))
    assert (first["page"], first["pages"], first["total"]) == (1, 3, 45)
    assert (first["prev"], first["next"]) == (None, 2)

    page = client.get("/posts?page=2&per_page=10").json
    assert page["ids"] == list(range(11, 21))
    assert (page["pages"], page["prev"], page["next"]) == (5, 1, 3)
    assert client.get("/posts?page=3").json["ids"] == list(range(41, 46))


@pytest.mark.parametrize(
    "query", ["page=4", "page=abc", "page=0", "page=-1", "per_page=0", "per_page=x"]
)
def test_paginate_bad_or_out_of_range_page_is_404(
    app: Kolba, blog: Blog, client: KolbaClient, query: str
) -> None:
    add_posts(app, blog, 45)
    assert client.get(f"/posts?{query}").status_code == 404


def test_paginate_per_page_is_bounded(
    app: Kolba, blog: Blog, client: KolbaClient
) -> None:
    add_posts(app, blog, 45)
    page = client.get("/posts?per_page=1000").json
    assert page["per_page"] == 25
    assert page["ids"] == list(range(1, 26))


def test_legacy_paginate_without_error_out_falls_back(
    app: Kolba, blog: Blog, client: KolbaClient
) -> None:
    add_posts(app, blog, 25)
    assert client.get("/legacy-posts?page=abc").json == {
        "ids": list(range(1, 21)),
        "page": 1,
    }
    assert client.get("/legacy-posts?page=2").json["ids"] == list(range(21, 26))
    assert client.get("/legacy-posts?page=9").json == {"ids": [], "page": 9}


def test_pagination_matches_flask_sqlalchemy(app: Kolba, blog: Blog) -> None:
    from flask_sqlalchemy.pagination import SelectPagination as FsaPagination

    from kolba.ext.sqlalchemy import SelectPagination

    add_posts(app, blog, 53)
    statement = blog.db.select(blog.Post).order_by(blog.Post.id)
    with app.app_context():
        session = blog.db.session()
        for page, per_page in [(1, 20), (2, 20), (3, 20), (1, 1), (7, 8), (1, 100)]:
            ours = SelectPagination(
                select=statement, session=session, page=page, per_page=per_page
            )
            theirs = FsaPagination(
                select=statement, session=session, page=page, per_page=per_page
            )
            for name in (
                "page", "per_page", "total", "pages", "first", "last",
                "has_prev", "has_next", "prev_num", "next_num",
            ):  # fmt: skip
                assert getattr(ours, name) == getattr(theirs, name), name
            assert ours.items == theirs.items
            assert list(ours.iter_pages()) == list(theirs.iter_pages())
            for sibling in ("prev", "next"):
                if getattr(ours, f"has_{sibling}"):
                    assert getattr(ours, sibling)().items == (
                        getattr(theirs, sibling)().items
                    )


# -- integrity errors ---------------------------------------------------------------


def test_unique_violation_answers_409_and_keeps_stored_rows(
    blog: Blog, client: KolbaClient
) -> None:
    assert client.post("/authors", data={"name": "ada"}).status_code == 201
    duplicate = client.post("/authors", data={"name": "ada"})
    assert duplicate.status_code == 409
    # The count ran in the same request, after the rollback.
    assert duplicate.json == {"error": "that name is taken", "authors": 1}
    assert client.post("/authors", data={"name": "bob"}).status_code == 201
    with client.application.app_context():
        names = blog.db.session.scalars(
            blog.db.select(blog.Author.name).order_by(blog.Author.name)
        ).all()
    assert names == ["ada", "bob"]


def test_foreign_key_violation_answers_400(blog: Blog, client: KolbaClient) -> None:
    kept = client.post("/posts", data={"title": "kept"}).json["id"]
    bad = client.post("/posts", data={"title": "orphan", "author_id": "12345"})
    assert bad.status_code == 400
    assert bad.json == {"error": "author_id does not name an existing author"}
    assert client.get(f"/posts/{kept}").json["title"] == "kept"
    with client.application.app_context():
        assert blog.Post.query.count() == 1


# -- sessions and contexts ----------------------------------------------------------


def test_concurrent_requests_each_use_their_own_session(
    app: Kolba, blog: Blog, database_uri: str
) -> None:
    from kolba.serving import make_server

    db, post_model = blog.db, blog.Post
    barrier = threading.Barrier(2, timeout=10)
    sessions: list[t.Any] = []
    # One in-memory SQLite database is one shared connection: a session
    # returning it to the pool rolls back whatever the other one has not
    # committed yet, so there the database work (not the requests) is
    # serialised. Files and PostgreSQL commit concurrently.
    serial = threading.Lock() if database_uri == "sqlite://" else None

    @app.post("/concurrent/<title>")
    def concurrent(title: str) -> t.Any:
        session = db.session()
        sessions.append(session)
        barrier.wait()  # both requests are inside the view now
        if serial is not None:
            serial.acquire()
        try:
            db.session.add(post_model(title=title, content=""))
            db.session.commit()
            assert db.session() is session
        finally:
            if serial is not None:
                serial.release()
        return {"session": id(session)}

    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_address[1]
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    results: dict[str, t.Any] = {}

    def call(title: str) -> None:
        url = f"http://127.0.0.1:{port}/concurrent/{title}"
        with urllib.request.urlopen(urllib.request.Request(url, method="POST")) as r:
            results[title] = json.load(r)

    try:
        callers = [threading.Thread(target=call, args=(n,)) for n in ("a", "b")]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(timeout=20)
    finally:
        server.shutdown()
        server.server_close()
        serving.join(timeout=10)
    assert set(results) == {"a", "b"}
    assert len(sessions) == 2 and sessions[0] is not sessions[1]
    assert results["a"]["session"] != results["b"]["session"]
    with app.app_context():
        titles = db.session.scalars(db.select(post_model.title)).all()
    assert sorted(titles) == ["a", "b"]


def test_asyncio_tasks_get_their_own_session(app: Kolba, db: SQLAlchemy) -> None:
    import asyncio

    async def session_in_own_context() -> t.Any:
        with app.app_context():
            session = db.session()
            await asyncio.sleep(0)
            assert db.session() is session
            return session

    async def main() -> list[t.Any]:
        return await asyncio.gather(*(session_in_own_context() for _ in range(3)))

    sessions = asyncio.run(main())
    assert len({id(s) for s in sessions}) == 3


def test_teardown_removes_session_and_returns_connection(
    app: Kolba, blog: Blog, client: KolbaClient
) -> None:
    seen: list[t.Any] = []

    @app.get("/touch")
    def touch() -> str:
        seen.append(blog.db.session())
        return str(blog.Post.query.count())

    assert client.get("/touch").text == "0"
    assert client.get("/touch").text == "0"
    assert seen[0] is not seen[1]
    for session in seen:
        assert not session.in_transaction()
    with app.app_context():
        pool = blog.db.engine.pool
    if isinstance(pool, sa.pool.QueuePool):
        assert pool.checkedout() == 0
        assert pool.checkedin() >= 1


def test_session_outside_app_context_says_what_to_do(db: SQLAlchemy) -> None:
    with pytest.raises(RuntimeError) as info:
        db.session.execute(sa.text("SELECT 1"))
    assert "db.session needs an application context" in str(info.value)
    assert "with app.app_context():" in str(info.value)


def test_model_query_outside_app_context_says_what_to_do(blog: Blog) -> None:
    with pytest.raises(RuntimeError, match=r"with app\.app_context\(\):"):
        blog.Post.query.all()


def test_cli_command_runs_in_app_context(app: Kolba, blog: Blog) -> None:
    @app.cli.command("add-post")
    def add_post() -> None:
        blog.db.session.add(blog.Post(title="from cli", content=""))
        blog.db.session.commit()
        print(blog.Post.query.count())

    result = app.test_cli_runner().invoke(args=["add-post"])
    assert result.exception is None, result.output
    assert result.output.strip() == "1"


def test_shell_context_has_db_and_models(app: Kolba, blog: Blog) -> None:
    with app.app_context():
        namespace = app.make_shell_context()
    assert namespace["db"] is blog.db
    assert namespace["Post"] is blog.Post
    assert namespace["Author"] is blog.Author


def test_model_repr(app: Kolba, blog: Blog) -> None:
    with app.app_context():
        post = blog.Post(title="t", content="")
        assert repr(post).startswith("<Post (transient ")
        blog.db.session.add(post)
        assert repr(post).startswith("<Post (pending ")
        blog.db.session.commit()
        assert repr(post) == f"<Post {post.id}>"


# -- engines and configuration ---------------------------------------------------


def test_record_queries(app: Kolba, database_uri: str, client: KolbaClient) -> None:
    app.config.update(
        SQLALCHEMY_DATABASE_URI=database_uri, SQLALCHEMY_RECORD_QUERIES=True
    )
    db = SQLAlchemy(app)

    @app.get("/q")
    def run_query() -> t.Any:
        db.session.execute(sa.text("SELECT :value"), {"value": 42})
        return jsonify(
            [
                {
                    "statement": q.statement,
                    "parameters": str(q.parameters),
                    "duration": q.duration,
                    "ordered": q.start_time <= q.end_time,
                    "location": q.location,
                }
                for q in get_recorded_queries()
            ]
        )

    try:
        recorded = client.get("/q").json
    finally:
        dispose(app, db)
    [query] = [q for q in recorded if "42" in q["parameters"]]
    assert "SELECT" in query["statement"]
    assert query["duration"] >= 0 and query["ordered"]
    assert __file__ in query["location"] and "run_query" in query["location"]


def test_echo_logs_statements(
    app: Kolba, database_uri: str, caplog: pytest.LogCaptureFixture
) -> None:
    app.config.update(SQLALCHEMY_DATABASE_URI=database_uri, SQLALCHEMY_ECHO=True)
    db = SQLAlchemy(app)
    try:
        with caplog.at_level("INFO", logger="sqlalchemy.engine"), app.app_context():
            db.session.execute(sa.text("SELECT 'echo-marker'"))
    finally:
        dispose(app, db)
    assert any("echo-marker" in record.getMessage() for record in caplog.records)


def test_create_all_outside_context_with_one_app(app: Kolba, database_uri: str) -> None:
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri
    db = SQLAlchemy(app)

    class Note(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)

    try:
        db.create_all()  # no context needed: one app uses this db
        assert sa.inspect(db.engine).has_table("note")
        db.drop_all()
        assert not sa.inspect(db.engine).has_table("note")
    finally:
        dispose(app, db)


def test_reflect_loads_existing_tables(app: Kolba, database_uri: str) -> None:
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri
    db = SQLAlchemy(app)
    try:
        with app.app_context():
            with db.engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE legacy_table (id INTEGER)")
            db.reflect()
            assert "legacy_table" in db.metadata.tables
    finally:
        dispose(app, db)
