"""CSRF, escaping, Markdown sanitizing, cookies, error pages, proxies."""

from __future__ import annotations

import re
import typing as t

import pytest
from blog_helpers import BlogClient

from kolba import Kolba


@pytest.fixture
def alice(client: BlogClient) -> BlogClient:
    assert client.register("alice").status_code == 302
    return client


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (
            "/auth/register",
            {"username": "eve", "password": "x" * 8, "confirm": "x" * 8},
        ),
        ("/auth/login", {"username": "alice", "password": "correct horse battery"}),
    ],
)
@pytest.mark.parametrize("token", [None, "forged"])
def test_csrf_anonymous_forms(
    client: BlogClient, url: str, data: dict[str, str], token: str | None
) -> None:
    client.get(url)  # the session has a CSRF secret
    if token is not None:
        data = {**data, "csrf_token": token}
    assert client.http.post(url, data=data).status_code == 400


def test_csrf_logged_in_forms(blog: Kolba, alice: BlogClient) -> None:
    from examples.blog.models import Post, db

    post_id = alice.create_post("Kept", "kept")
    for url, data in [
        ("/add", {"title": "t", "body": "b"}),
        (f"/post/{post_id}/edit", {"title": "t", "body": "b"}),
        (f"/post/{post_id}/delete", {}),
        ("/auth/logout", {}),
    ]:
        assert alice.http.post(url, data=data).status_code == 400, url
    with blog.app_context():
        assert db.session.query(Post).count() == 1
        assert db.session.get(Post, post_id).title == "Kept"  # type: ignore[union-attr]
    assert "Log out" in alice.get("/").text


def test_every_form_has_a_token(alice: BlogClient) -> None:
    post_id = alice.create_post()
    for url in ("/", "/add", f"/post/{post_id}", f"/post/{post_id}/edit"):
        page = alice.get(url).text
        forms = page.count("<form")
        assert forms and page.count('name="csrf_token"') == forms, url
    anon = BlogClient(alice.app)
    for url in ("/auth/login", "/auth/register"):
        page = anon.get(url).text
        assert page.count("<form") == page.count('name="csrf_token"') == 1


def test_script_title_is_escaped(alice: BlogClient) -> None:
    title = "<script>alert(1)</script>"
    post_id = alice.create_post(title, "body")
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    index = alice.get("/").text
    assert f'<a href="/post/{post_id}">{escaped}</a>' in index
    page = alice.get(f"/post/{post_id}").text
    assert f'<h1 class="post-title">{escaped}</h1>' in page
    for text in (index, page):
        assert "<script>" not in text
    edit = alice.get(f"/post/{post_id}/edit").text
    assert "<script>" not in edit


def test_markdown_body_is_sanitized(alice: BlogClient) -> None:
    body = (
        "**bold** and [a link](https://example.com/x)\n\n"
        "<script>alert(1)</script>\n\n"
        '<img src="x" onerror="alert(2)">\n\n'
        "[bad](javascript:alert(3)) ![pic](javascript:alert(4))\n\n"
        '<a href="https://example.com" onclick="alert(5)">raw</a>'
    )
    post_id = alice.create_post("Markdown", body)
    page = alice.get(f"/post/{post_id}").text
    html = page.split('<div class="post-body">', 1)[1].split("</div>", 1)[0]
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.com/x" rel="nofollow noopener">a link</a>' in html
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text
    assert not re.search(r"<[^>]*\son\w+=", html)  # no event handler attributes
    assert "javascript:" not in re.sub(r"&[^;]+;|[^<]*", "", html)  # not in a tag
    assert 'href="javascript' not in html
    assert 'src="javascript' not in html


def test_markdown_render_unit() -> None:
    from examples.blog.markdown import render

    html = render('[x](http://a.example "t")\n\n<iframe src="https://a"></iframe>')
    assert 'rel="nofollow noopener"' in html
    assert "<iframe" not in html


def test_session_cookie_flags(client: BlogClient) -> None:
    response = client.register("alice")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_secure_cookies_on_request(make_blog: t.Callable[..., Kolba]) -> None:
    app = make_blog(BLOG_SECURE_COOKIES="1")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = BlogClient(app).http.get("/auth/register")
    assert "Secure" in response.headers["Set-Cookie"]


def test_friendly_404(client: BlogClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text
    assert '<a href="/">Home</a>' in response.text  # the site's layout


def test_friendly_500(make_blog: t.Callable[..., Kolba]) -> None:
    app = make_blog({"PROPAGATE_EXCEPTIONS": False})

    def boom() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/boom", view_func=boom)

    app.logger.disabled = True
    try:
        response = app.test_client().get("/boom")
    finally:
        app.logger.disabled = False
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.text
    assert "boom" not in response.text


def test_proxy_hops(make_blog: t.Callable[..., Kolba]) -> None:
    app = make_blog(BLOG_PROXY_HOPS="1")
    client = BlogClient(app)
    client.register("alice")
    post_id = client.create_post()
    response = client.get(
        f"/api/posts/{post_id}",
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "blog.example",
        },
    )
    assert response.json["url"] == f"https://blog.example/post/{post_id}"
    plain = client.get(f"/api/posts/{post_id}")
    assert plain.json["url"] == f"http://localhost/post/{post_id}"


def test_no_proxy_trust_by_default(blog: Kolba, alice: BlogClient) -> None:
    post_id = alice.create_post()
    response = alice.get(
        f"/api/posts/{post_id}", headers={"X-Forwarded-Host": "evil.example"}
    )
    assert response.json["url"] == f"http://localhost/post/{post_id}"
