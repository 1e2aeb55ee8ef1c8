"""A tiny Kolba app: the demo served by the README's first command."""

from __future__ import annotations

from kolba import Kolba, Response, abort, jsonify, redirect, request, url_for

app = Kolba(__name__)

POSTS = {1: "Hello, World!", 2: "Kolba speaks Flask."}


@app.route("/")
def index() -> str:
    links = "".join(
        f'<li><a href="{url_for("show_post", post_id=pid)}">{text}</a></li>'
        for pid, text in POSTS.items()
    )
    return f"<h1>Kolba demo</h1><ul>{links}</ul><p><a href='/api/posts'>JSON</a></p>"


@app.route("/post/<int:post_id>")
def show_post(post_id: int) -> str:
    if post_id not in POSTS:
        abort(404)
    return f"<h1>Post {post_id}</h1><p>{POSTS[post_id]}</p>"


@app.get("/api/posts")
def api_posts() -> Response:
    return jsonify([{"id": k, "text": v} for k, v in POSTS.items()])


@app.get("/search")
def search() -> Response:
    q = request.args.get("q", "")
    return redirect(url_for("index", q=q))


if __name__ == "__main__":
    app.run()
