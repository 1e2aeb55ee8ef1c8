"""A test client that fills in CSRF tokens, and small helpers for the blog tests."""

from __future__ import annotations

import html
import os
import re
import typing as t

from kolba import Kolba
from kolba.testing import TestResponse

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"
#: The repository (``examples`` is a package in it).
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def flash(category: str, text: str) -> str:
    """The HTML of one flash message, as the contract spells it."""
    return (
        f'<div class="flash flash-{category}" role="status">{html.escape(text)}</div>'
    )


def field_error(name: str, message: str | None = None) -> str:
    start = f'<p class="field-error" id="{name}-error">'
    return start if message is None else f"{start}{html.escape(message)}</p>"


class BlogClient:
    """One browser: a test client that reads CSRF tokens from form pages."""

    def __init__(self, app: Kolba) -> None:
        self.app = app
        self.http = app.test_client()
        self.username: str | None = None

    def get(self, url: str, **kwargs: t.Any) -> TestResponse:
        return self.http.get(url, **kwargs)

    def token(self, page: str) -> str:
        response = self.http.get(page)
        match = _TOKEN.search(response.text)
        assert match, f"no CSRF token on {page} ({response.status_code})"
        return html.unescape(match.group(1))

    def submit(
        self,
        url: str,
        data: dict[str, str] | None = None,
        form_page: str | None = None,
        **kwargs: t.Any,
    ) -> TestResponse:
        """POST ``data`` with the token of ``form_page`` (default: ``url``)."""
        token = self.token(form_page or url)
        return self.http.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)

    def register(
        self, username: str, password: str = PASSWORD, confirm: str | None = None
    ) -> TestResponse:
        response = self.submit(
            "/auth/register",
            {
                "username": username,
                "password": password,
                "confirm": password if confirm is None else confirm,
            },
        )
        if response.status_code == 302:
            self.username = username
        return response

    def login(self, username: str, password: str = PASSWORD) -> TestResponse:
        return self.submit("/auth/login", {"username": username, "password": password})

    def logout(self) -> TestResponse:
        return self.submit("/auth/logout", form_page="/")

    def create_post(self, title: str = "A title", body: str = "A body") -> int:
        response = self.submit("/add", {"title": title, "body": body})
        assert response.status_code == 302, response.text
        location = response.headers["Location"]
        match = re.fullmatch(r"(?:http://localhost)?/post/(\d+)", location)
        assert match, location
        return int(match.group(1))
