"""The blog's pages: the list, a post, and writing, editing, deleting posts."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

from kolba import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from .auth import login_required
from .forms import validate_post
from .models import Post, db

bp = Blueprint("posts", __name__)


def newest_first() -> sa.Select[tuple[Post]]:
    return sa.select(Post).order_by(Post.created.desc(), Post.id.desc())


def get_own_post(post_id: int) -> Post:
    """The post, if the current user wrote it; 404 or 403 otherwise."""
    post = db.get_or_404(Post, post_id)
    if post.author_id != g.user.id:
        flash("You can only change your own posts.", "error")
        abort(403)
    return post


@bp.route("/")
def index() -> t.Any:
    page = request.args.get("page", 1, type=int) or 1
    pagination = db.paginate(
        newest_first().options(sa.orm.joinedload(Post.author)),
        page=page,
        per_page=current_app.config["BLOG_POSTS_PER_PAGE"],
        max_per_page=None,
    )
    return render_template("index.html", pagination=pagination)


@bp.route("/post/<int:post_id>")
def show(post_id: int) -> t.Any:
    post = db.get_or_404(Post, post_id)
    return render_template("post.html", post=post)


@bp.route("/add", methods=["GET", "POST"])
@login_required
def add() -> t.Any:
    if request.method == "GET":
        return render_template("add.html", values={}, errors={})
    values, errors = validate_post(request.form)
    if errors:
        return render_template("add.html", values=values, errors=errors), 400
    post = Post(title=values["title"], body=values["body"], author=g.user)
    db.session.add(post)
    db.session.commit()
    flash("Post published.", "success")
    return redirect(url_for("posts.show", post_id=post.id))


@bp.route("/post/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int) -> t.Any:
    post = get_own_post(post_id)
    if request.method == "GET":
        values = {"title": post.title, "body": post.body}
        return render_template("edit.html", post=post, values=values, errors={})
    values, errors = validate_post(request.form)
    if errors:
        return render_template(
            "edit.html", post=post, values=values, errors=errors
        ), 400
    post.title = values["title"]
    post.body = values["body"]
    db.session.commit()
    flash("Post saved.", "success")
    return redirect(url_for("posts.show", post_id=post.id))


@bp.post("/post/<int:post_id>/delete")
@login_required
def delete(post_id: int) -> t.Any:
    post = get_own_post(post_id)
    db.session.delete(post)
    db.session.commit()
    flash("Post deleted.", "success")
    return redirect(url_for("posts.index"))
