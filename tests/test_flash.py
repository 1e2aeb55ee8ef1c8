"""Flashed messages: stored in the session, read once, across a redirect."""

from __future__ import annotations

import typing as t

import pytest
from markupsafe import Markup

from kolba import (
    Kolba,
    flash,
    get_flashed_messages,
    message_flashed,
    redirect,
    session,
)
from kolba.testing import KolbaClient


@pytest.fixture
def flash_app(app: Kolba) -> Kolba:
    @app.route("/flash")
    def flash_and_redirect() -> t.Any:
        flash("saved")
        flash("disk almost full", "warning")
        flash("upload failed", "error")
        return redirect("/show")

    @app.route("/show")
    def show() -> str:
        return "|".join(t.cast(list[str], get_flashed_messages()))

    @app.route("/show-categories")
    def show_categories() -> str:
        pairs = t.cast(list[tuple[str, str]], get_flashed_messages(True))
        return "|".join(f"{category}:{message}" for category, message in pairs)

    @app.route("/show-errors")
    def show_errors() -> str:
        messages = get_flashed_messages(category_filter=["error", "warning"])
        return "|".join(t.cast(list[str], messages))

    return app


def test_messages_survive_a_redirect(flash_app: Kolba, client: KolbaClient) -> None:
    response = client.get("/flash", follow_redirects=True)
    assert response.text == "saved|disk almost full|upload failed"


def test_messages_are_consumed_once(flash_app: Kolba, client: KolbaClient) -> None:
    client.get("/flash", follow_redirects=True)
    assert client.get("/show").text == ""


def test_with_categories(flash_app: Kolba, client: KolbaClient) -> None:
    client.get("/flash")
    assert client.get("/show-categories").text == (
        "message:saved|warning:disk almost full|error:upload failed"
    )


def test_category_filter_keeps_order_and_consumes_all(
    flash_app: Kolba, client: KolbaClient
) -> None:
    client.get("/flash")
    assert client.get("/show-errors").text == "disk almost full|upload failed"
    # As in Flask, reading with a filter pops every message from the session.
    assert client.get("/show").text == ""


def test_second_call_in_a_request_returns_the_same_messages(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/twice")
    def twice() -> str:
        flash("one")
        first = get_flashed_messages()
        flash("two")  # stored for the next request, as in Flask
        second = get_flashed_messages()
        return f"{first}{second}"

    assert client.get("/twice").text == "['one']['one']"
    assert client.get("/twice").text == "['two', 'one']['two', 'one']"


def test_no_messages_leaves_the_session_untouched(
    flash_app: Kolba, client: KolbaClient
) -> None:
    response = client.get("/show")
    assert response.text == ""
    assert "Set-Cookie" not in response.headers


def test_flashed_markup_stays_markup(app: Kolba, client: KolbaClient) -> None:
    @app.route("/set")
    def set_() -> str:
        flash(Markup("<b>bold</b>"))
        return "ok"

    @app.route("/get")
    def get() -> str:
        (message,) = get_flashed_messages()
        return type(message).__name__

    client.get("/set")
    assert client.get("/get").text == "Markup"


def test_message_flashed_signal(app: Kolba, client: KolbaClient) -> None:
    received: list[tuple[str, str]] = []

    def record(sender: Kolba, message: str, category: str, **extra: t.Any) -> None:
        received.append((message, category))

    @app.route("/")
    def index() -> str:
        flash("hello", "info")
        return "ok"

    with message_flashed.connected_to(record, app):
        client.get("/")
    assert received == [("hello", "info")]


def test_flash_without_secret_key_raises(app: Kolba, client: KolbaClient) -> None:
    app.secret_key = None

    @app.route("/")
    def index() -> str:
        flash("lost")
        return "ok"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        client.get("/")


def test_flashes_live_in_the_session(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        flash("hello")
        return repr(session["_flashes"])

    assert client.get("/").text == "[('message', 'hello')]"
