"""Register, log in, log out; who may reach what; password hashing."""

from __future__ import annotations

import typing as t

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from blog_helpers import PASSWORD, BlogClient, field_error, flash

from kolba import Kolba


def _user(app: Kolba, username: str) -> t.Any:
    from examples.blog.models import User, db

    with app.app_context():
        return db.session.execute(
            sa.select(User).where(User.username == username)
        ).scalar_one_or_none()


def test_register_logs_in_and_hashes_with_argon2(
    blog: Kolba, client: BlogClient
) -> None:
    response = client.register("alice")
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")
    page = client.get("/").text
    assert flash("success", "Welcome, alice! Your account is ready.") in page
    assert '<button type="submit">Log out</button>' in page
    assert '<a href="/add">New post</a>' in page
    assert ">Log in</a>" not in page
    user = _user(blog, "alice")
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_register_form_page(client: BlogClient) -> None:
    page = client.get("/auth/register").text
    for name, label in [
        ("username", "Username"),
        ("password", "Password"),
        ("confirm", "Confirm password"),
    ]:
        assert f'<label for="{name}">{label}</label>' in page
        assert f'id="{name}" name="{name}"' in page
    assert '<button type="submit">Register</button>' in page
    assert 'name="csrf_token"' in page


@pytest.mark.parametrize(
    ("username", "password", "confirm", "field"),
    [
        ("ab", PASSWORD, PASSWORD, "username"),
        ("x" * 33, PASSWORD, PASSWORD, "username"),
        ("bad name!", PASSWORD, PASSWORD, "username"),
        ("", PASSWORD, PASSWORD, "username"),
        ("bob", "short", "short", "password"),
        ("bob", PASSWORD, PASSWORD + "x", "confirm"),
    ],
)
def test_register_validation(
    blog: Kolba,
    client: BlogClient,
    username: str,
    password: str,
    confirm: str,
    field: str,
) -> None:
    response = client.register(username, password, confirm)
    assert response.status_code == 400
    assert field_error(field) in response.text
    assert response.text.count('class="field-error"') == 1
    if username:
        assert f'value="{username.replace("!", "!")}"' in response.text
    assert f'value="{password}"' not in response.text  # passwords are not re-shown
    assert _user(blog, username) is None


def test_register_duplicate_username(client: BlogClient, other: BlogClient) -> None:
    assert client.register("alice").status_code == 302
    response = other.register("alice")
    assert response.status_code == 400
    assert field_error("username", "That username is taken.") in response.text
    assert 'value="alice"' in response.text


def test_login_and_logout(client: BlogClient) -> None:
    client.register("alice")
    response = client.logout()
    assert response.status_code == 302
    page = client.get("/").text
    assert flash("info", "You have been logged out.") in page
    assert '<a href="/auth/login">Log in</a>' in page
    assert '<a href="/auth/register">Register</a>' in page
    assert "New post" not in page
    page = client.get("/auth/login").text
    assert '<label for="username">Username</label>' in page
    assert '<label for="password">Password</label>' in page
    assert '<button type="submit">Log in</button>' in page
    response = client.login("alice")
    assert response.status_code == 302
    assert flash("success", "Logged in as alice.") in client.get("/").text


def test_logout_is_post_only(client: BlogClient) -> None:
    assert client.get("/auth/logout").status_code == 405


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_login_wrong_password(
    client: BlogClient, other: BlogClient, username: str
) -> None:
    client.register("alice")
    response = other.login(username, "wrong password")
    assert response.status_code == 400
    assert flash("error", "Wrong username or password.") in response.text
    assert f'value="{username}"' in response.text
    assert "Log out" not in other.get("/").text


def test_login_empty_fields(client: BlogClient) -> None:
    response = client.login("", "")
    assert response.status_code == 400
    assert field_error("username") in response.text
    assert field_error("password") in response.text


@pytest.mark.parametrize(
    ("method", "url"),
    [("GET", "/add"), ("GET", "/post/1/edit"), ("POST", "/post/1/delete")],
)
def test_anonymous_is_sent_to_login_with_next(
    client: BlogClient, method: str, url: str
) -> None:
    if method == "GET":
        response = client.get(url)
    else:
        response = client.submit(url, form_page="/auth/login")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/auth/login?next={url}")


def test_login_follows_safe_next(client: BlogClient, other: BlogClient) -> None:
    client.register("alice")
    page = other.get("/auth/login?next=/add").text
    assert 'action="/auth/login?next=/add"' in page or "next=%2Fadd" in page
    response = other.submit(
        "/auth/login?next=/add",
        {"username": "alice", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/add")


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "add"]
)
def test_login_ignores_unsafe_next(
    client: BlogClient, other: BlogClient, target: str
) -> None:
    client.register("alice")
    response = other.submit(
        "/auth/login", {"username": "alice", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_password_is_rehashed_when_parameters_change(
    blog: Kolba, client: BlogClient, other: BlogClient
) -> None:
    from examples.blog.models import User, db

    client.register("alice")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with blog.app_context():
        user = db.session.execute(sa.select(User)).scalar_one()
        user.password_hash = weak
        db.session.commit()
    assert other.login("alice").status_code == 302
    user = _user(blog, "alice")
    assert user.password_hash != weak
    assert not PasswordHasher().check_needs_rehash(user.password_hash)


def test_logged_in_user_visiting_register_goes_home(client: BlogClient) -> None:
    client.register("alice")
    assert client.get("/auth/register").status_code == 302
