"""The read-only JSON API."""

from __future__ import annotations

from datetime import datetime

from blog_helpers import BlogClient


def test_posts_list_shape(client: BlogClient) -> None:
    client.register("alice")
    first = client.create_post("First", "**one**")
    second = client.create_post("Second", "two")
    response = client.get("/api/posts")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = response.json
    assert set(data) == {"posts", "page", "pages", "total"}
    assert (data["page"], data["pages"], data["total"]) == (1, 1, 2)
    assert [p["id"] for p in data["posts"]] == [second, first]
    post = data["posts"][1]
    assert set(post) == {"id", "title", "body", "author", "created", "url"}
    assert post["title"] == "First"
    assert post["body"] == "**one**"
    assert post["author"] == "alice"
    assert post["url"] == f"http://localhost/post/{first}"
    assert datetime.fromisoformat(post["created"]).tzinfo is not None


def test_one_post(client: BlogClient) -> None:
    client.register("alice")
    post_id = client.create_post("Title", "Body")
    data = client.get(f"/api/posts/{post_id}").json
    assert data["id"] == post_id
    assert data["title"] == "Title"
    assert data["author"] == "alice"


def test_missing_post_is_json_404(client: BlogClient) -> None:
    for url in ("/api/posts/999", "/api/nothing", "/api/posts?page=2"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json == {"error": "not found"}, url


def test_empty_list(client: BlogClient) -> None:
    data = client.get("/api/posts").json
    assert data["posts"] == []
    assert data["total"] == 0


def test_api_is_read_only(client: BlogClient) -> None:
    assert client.http.post("/api/posts").status_code in (400, 405)
    assert client.http.delete("/api/posts/1").status_code == 405
