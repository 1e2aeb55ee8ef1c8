"""A read-only JSON API: ``/api/posts`` (paginated) and ``/api/posts/<id>``."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

from kolba import Blueprint, abort, current_app, jsonify, request, url_for

from .models import Post, as_utc, db
from .posts import newest_first

bp = Blueprint("api", __name__, url_prefix="/api")


def post_json(post: Post) -> dict[str, t.Any]:
    return {
        "id": post.id,
        "title": post.title,
        "body": post.body,
        "author": post.author.username,
        "created": as_utc(post.created).isoformat(),
        "url": url_for("posts.show", post_id=post.id, _external=True),
    }


@bp.get("/posts")
def posts() -> t.Any:
    page = request.args.get("page", 1, type=int) or 1
    pagination = db.paginate(
        newest_first().options(sa.orm.joinedload(Post.author)),
        page=page,
        per_page=current_app.config["BLOG_API_PER_PAGE"],
        max_per_page=None,
    )
    return jsonify(
        posts=[post_json(post) for post in pagination.items],
        page=pagination.page,
        pages=pagination.pages,
        total=pagination.total,
    )


@bp.get("/posts/<int:post_id>")
def post(post_id: int) -> t.Any:
    found = db.session.get(Post, post_id)
    if found is None:
        abort(404)
    return jsonify(post_json(found))
