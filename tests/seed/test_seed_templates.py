"""The blog templates of the design document (section 6), rendered by Kolba.

``templates/`` holds base.html, index.html and post.html exactly as the
document gives them. The app below is the document's app.py with an in-memory
list of posts in place of the SQLAlchemy model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from kolba import Kolba, abort, redirect, render_template, request, url_for
from kolba.testing import KolbaClient

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Post:
    id: int
    title: str
    content: str


@pytest.fixture
def posts() -> list[Post]:
    return [
        Post(1, "Hello", "First post."),
        Post(2, "<script>alert(1)</script>", "Tom & Jerry's <b>show</b>"),
    ]


@pytest.fixture
def blog(posts: list[Post]) -> Kolba:
    app = Kolba("seed_blog", root_path=HERE)
    app.config.update(TESTING=True, SECRET_KEY="supersecretkey")

    @app.route("/")
    def index() -> str:
        return render_template("index.html", posts=posts)

    @app.route("/post/<int:post_id>")
    def post(post_id: int) -> str:
        found = next((p for p in posts if p.id == post_id), None)
        if found is None:
            abort(404)
        return render_template("post.html", post=found)

    @app.route("/add", methods=["GET", "POST"])
    def add() -> object:
        if request.method == "POST":
            title = request.form["title"]
            content = request.form["content"]
            posts.append(Post(len(posts) + 1, title, content))
            return redirect(url_for("index"))
        return "add form"

    return app


@pytest.fixture
def blog_client(blog: Kolba) -> KolbaClient:
    return blog.test_client()


def test_index_extends_base_and_links_every_post(blog_client: KolbaClient) -> None:
    response = blog_client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    text = response.text
    assert text.startswith(
        "<!DOCTYPE html>\n<html>\n<head>\n    <title>My Blog</title>"
    )
    assert "<h1>My Blog</h1>" in text
    assert '<a href="/add">Add Post</a>' in text
    assert '<a href="/post/1">Hello</a>' in text
    assert text.rstrip().endswith("</ul>\n\n</body>\n</html>")
    assert "{%" not in text and "{{" not in text


def test_index_escapes_a_hostile_title(blog_client: KolbaClient) -> None:
    text = blog_client.get("/").text
    assert "<script>" not in text
    assert '<a href="/post/2">&lt;script&gt;alert(1)&lt;/script&gt;</a>' in text


def test_post_page_fills_the_content_block(blog_client: KolbaClient) -> None:
    text = blog_client.get("/post/1").text
    assert text == (
        "<!DOCTYPE html>\n<html>\n<head>\n    <title>My Blog</title>\n</head>\n"
        "<body>\n    <h1>My Blog</h1>\n    \n<h2>Hello</h2>\n<p>First post.</p>\n"
        '<a href="/">Back</a>\n\n</body>\n</html>'
    )


def test_post_page_escapes_content(blog_client: KolbaClient) -> None:
    text = blog_client.get("/post/2").text
    assert "<p>Tom &amp; Jerry&#39;s &lt;b&gt;show&lt;/b&gt;</p>" in text


def test_missing_post_is_404(blog_client: KolbaClient) -> None:
    assert blog_client.get("/post/99").status_code == 404


def test_added_post_appears_on_the_index(blog_client: KolbaClient) -> None:
    response = blog_client.post(
        "/add", data={"title": "New & shiny", "content": "Body"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    text = blog_client.get("/").text
    assert '<a href="/post/3">New &amp; shiny</a>' in text
