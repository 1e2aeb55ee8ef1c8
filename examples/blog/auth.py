"""Users: register, log in, log out; ``login_required``; passwords with Argon2."""

from __future__ import annotations

import functools
import typing as t
from urllib.parse import urlsplit

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kolba import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .forms import validate_login, validate_register
from .models import User, db

bp = Blueprint("auth", __name__, url_prefix="/auth")

#: argon2-cffi's defaults (RFC 9106's low-memory profile); when they change
#: in a new release, stored hashes are upgraded at the next log-in.
hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong username
# takes as long as a wrong password.
_DUMMY_HASH = hasher.hash("not a password of anyone")

_F = t.TypeVar("_F", bound=t.Callable[..., t.Any])


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s; rehashes it when parameters changed."""
    if user is None:
        try:
            hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return False
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
        db.session.commit()
    return True


def is_safe_next(target: str | None) -> bool:
    """Whether ``target`` is a path on this site (no scheme, host or ``//``)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@bp.before_app_request
def load_user() -> None:
    user_id = session.get("user_id")
    g.user = db.session.get(User, user_id) if isinstance(user_id, int) else None


def login_required(view: _F) -> _F:
    """Send anonymous users to the log-in page, coming back here afterwards."""

    @functools.wraps(view)
    def wrapped(*args: t.Any, **kwargs: t.Any) -> t.Any:
        if g.user is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(*args, **kwargs)

    return t.cast(_F, wrapped)


def _log_in(user: User) -> None:
    session.clear()  # a fresh session: no fixation
    session["user_id"] = user.id


@bp.route("/register", methods=["GET", "POST"])
def register() -> t.Any:
    if g.user is not None:
        return redirect(url_for("posts.index"))
    if request.method == "GET":
        return render_template("register.html", values={}, errors={})
    values, errors = validate_register(request.form)
    if not errors:
        existing = db.session.execute(
            sa.select(User.id).where(User.username == values["username"])
        ).first()
        if existing is not None:
            errors["username"] = "That username is taken."
    if not errors:
        user = User(
            username=values["username"], password_hash=hash_password(values["password"])
        )
        db.session.add(user)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # registered at the same moment
            db.session.rollback()
            errors["username"] = "That username is taken."
    if errors:
        values.pop("password", None)
        return render_template("register.html", values=values, errors=errors), 400
    _log_in(user)
    flash(f"Welcome, {user.username}! Your account is ready.", "success")
    return redirect(url_for("posts.index"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> t.Any:
    next_url = request.values.get("next")
    if not is_safe_next(next_url):
        next_url = None
    if request.method == "GET":
        return render_template("login.html", values={}, errors={}, next=next_url)
    values, errors = validate_login(request.form)
    values.pop("password", None)
    if errors:
        return render_template(
            "login.html", values=values, errors=errors, next=next_url
        ), 400
    user = db.session.execute(
        sa.select(User).where(User.username == values["username"])
    ).scalar_one_or_none()
    if not check_password(user, request.form["password"]):
        flash("Wrong username or password.", "error")
        return render_template(
            "login.html", values=values, errors={}, next=next_url
        ), 400
    assert user is not None
    _log_in(user)
    flash(f"Logged in as {user.username}.", "success")
    return redirect(next_url or url_for("posts.index"))


@bp.post("/logout")
def logout() -> t.Any:
    session.clear()
    flash("You have been logged out.", "info")
    return redirect(url_for("posts.index"))
