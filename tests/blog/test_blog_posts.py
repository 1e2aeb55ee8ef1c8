"""Writing, reading, editing and deleting posts; permissions; pagination."""

from __future__ import annotations

import re

import pytest
from blog_helpers import BlogClient, field_error, flash

from kolba import Kolba


def _post(app: Kolba, post_id: int) -> tuple[str, str] | None:
    from examples.blog.models import Post, db

    with app.app_context():
        post = db.session.get(Post, post_id)
        return None if post is None else (post.title, post.body)


@pytest.fixture
def alice(client: BlogClient) -> BlogClient:
    assert client.register("alice").status_code == 302
    return client


@pytest.fixture
def bob(other: BlogClient) -> BlogClient:
    assert other.register("bob").status_code == 302
    return other


def test_add_form(alice: BlogClient) -> None:
    page = alice.get("/add").text
    assert '<label for="title">Title</label>' in page
    assert '<label for="body">Body</label>' in page
    assert 'id="title" name="title"' in page
    assert 'id="body" name="body"' in page
    assert '<button type="submit">Publish</button>' in page


def test_create_and_show(blog: Kolba, alice: BlogClient) -> None:
    response = alice.submit("/add", {"title": "Hello", "body": "First *post*"})
    assert response.status_code == 302
    post_id = int(re.search(r"/post/(\d+)$", response.headers["Location"]).group(1))  # type: ignore[union-attr]
    page = alice.get(f"/post/{post_id}").text
    assert flash("success", "Post published.") in page
    assert '<h1 class="post-title">Hello</h1>' in page
    assert '<div class="post-body"><p>First <em>post</em></p>' in page
    assert '<span class="post-author">alice</span>' in page
    assert f'<a href="/post/{post_id}/edit">Edit</a>' in page
    assert f'<form method="post" action="/post/{post_id}/delete"' in page
    assert '<button type="submit">Delete</button>' in page
    index = alice.get("/").text
    summary = (
        r'<article class="post-summary">\s*<h2><a href="/post/(\d+)">Hello</a></h2>'
    )
    assert re.search(summary, index).group(1) == str(post_id)  # type: ignore[union-attr]
    assert _post(blog, post_id) == ("Hello", "First *post*")


def test_others_see_no_edit_or_delete(alice: BlogClient, bob: BlogClient) -> None:
    post_id = alice.create_post()
    for viewer in (bob, BlogClient(alice.app)):
        page = viewer.get(f"/post/{post_id}").text
        assert "/edit" not in page
        assert "/delete" not in page


@pytest.mark.parametrize(
    ("title", "body", "errors"),
    [
        ("", "body", {"title"}),
        ("   ", "body", {"title"}),
        ("x" * 121, "body", {"title"}),
        ("title", "", {"body"}),
        ("title", "x" * 20001, {"body"}),
        ("", "", {"title", "body"}),
    ],
)
def test_create_validation(
    blog: Kolba, alice: BlogClient, title: str, body: str, errors: set[str]
) -> None:
    response = alice.submit("/add", {"title": title, "body": body})
    assert response.status_code == 400
    for name in ("title", "body"):
        assert (field_error(name) in response.text) == (name in errors)
    if title.strip():
        assert f'value="{title}"' in response.text
    if body:
        assert f">{body}</textarea>" in response.text
    assert _post(blog, 1) is None


def test_limits_are_inclusive(alice: BlogClient) -> None:
    alice.create_post("x" * 120, "y" * 20000)
    alice.create_post("t", "b")


def test_edit_by_author(blog: Kolba, alice: BlogClient) -> None:
    post_id = alice.create_post("Old", "old body")
    page = alice.get(f"/post/{post_id}/edit").text
    assert 'value="Old"' in page
    assert ">old body</textarea>" in page
    assert '<button type="submit">Save</button>' in page
    response = alice.submit(f"/post/{post_id}/edit", {"title": "New", "body": "new"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/post/{post_id}")
    page = alice.get(f"/post/{post_id}").text
    assert flash("success", "Post saved.") in page
    assert '<h1 class="post-title">New</h1>' in page
    assert _post(blog, post_id) == ("New", "new")


def test_edit_validation(blog: Kolba, alice: BlogClient) -> None:
    post_id = alice.create_post("Old", "old body")
    response = alice.submit(f"/post/{post_id}/edit", {"title": "", "body": "kept"})
    assert response.status_code == 400
    assert field_error("title", "Enter a title.") in response.text
    assert ">kept</textarea>" in response.text
    assert _post(blog, post_id) == ("Old", "old body")


def test_delete_by_author(blog: Kolba, alice: BlogClient) -> None:
    post_id = alice.create_post()
    response = alice.submit(f"/post/{post_id}/delete", form_page=f"/post/{post_id}")
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")
    assert flash("success", "Post deleted.") in alice.get("/").text
    assert alice.get(f"/post/{post_id}").status_code == 404
    assert _post(blog, post_id) is None


def test_delete_is_post_only(alice: BlogClient) -> None:
    post_id = alice.create_post()
    assert alice.get(f"/post/{post_id}/delete").status_code == 405


def _assert_forbidden(text: str) -> None:
    assert "<h1>Not allowed</h1>" in text
    assert flash("error", "You can only change your own posts.") in text


def test_other_user_cannot_edit(
    blog: Kolba, alice: BlogClient, bob: BlogClient
) -> None:
    post_id = alice.create_post("Mine", "my body")
    response = bob.get(f"/post/{post_id}/edit")
    assert response.status_code == 403
    _assert_forbidden(response.text)
    response = bob.submit(
        f"/post/{post_id}/edit", {"title": "Hacked", "body": "x"}, form_page="/add"
    )
    assert response.status_code == 403
    _assert_forbidden(response.text)
    assert _post(blog, post_id) == ("Mine", "my body")


def test_other_user_cannot_delete(
    blog: Kolba, alice: BlogClient, bob: BlogClient
) -> None:
    post_id = alice.create_post("Mine", "my body")
    response = bob.submit(f"/post/{post_id}/delete", form_page="/add")
    assert response.status_code == 403
    _assert_forbidden(response.text)
    assert _post(blog, post_id) == ("Mine", "my body")


def test_missing_posts_are_404(alice: BlogClient) -> None:
    for url in ("/post/999", "/post/999/edit"):
        response = alice.get(url)
        assert response.status_code == 404
        assert "<h1>Page not found</h1>" in response.text
    assert alice.submit("/post/999/delete", form_page="/add").status_code == 404


def test_index_newest_first_with_pagination(alice: BlogClient) -> None:
    ids = [alice.create_post(f"Post number {n}", "body") for n in range(1, 8)]
    page1 = alice.get("/").text
    shown = [int(i) for i in re.findall(r'<h2><a href="/post/(\d+)">', page1)]
    assert shown == ids[::-1][:5]
    assert '<a rel="next" href="/?page=2">' in page1
    assert 'rel="prev"' not in page1
    page2 = alice.get("/?page=2").text
    shown = [int(i) for i in re.findall(r'<h2><a href="/post/(\d+)">', page2)]
    assert shown == ids[::-1][5:]
    assert '<a rel="prev" href="/?page=1">' in page2
    assert 'rel="next"' not in page2
    response = alice.get("/?page=3")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text


def test_empty_index(client: BlogClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "No posts yet." in response.text
    assert 'class="post-summary"' not in response.text
    assert client.get("/?page=2").status_code == 404
