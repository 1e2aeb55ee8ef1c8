"""The blog in a real browser: Playwright (sync API) driving Debian's chromium.

The blog runs under gunicorn (2 workers) as a real server process; the test
registers, logs out and in, creates a post, finds it on the home page, opens,
edits and deletes it, checking each flash message of the UI contract, and
checks that a post titled ``<script>alert(1)</script>`` is shown as text.
One screenshot per step goes to the artefacts folder (``KOLBA_ARTIFACTS``,
or ``/tmp/kolba-artifacts/<timestamp>``), never into the repository.

Never downloads a browser: chromium comes from the OS (``chromium`` package,
``scripts/system-deps.sh``). Without it, or without Playwright, the test
fails in CI and is skipped elsewhere.
"""

from __future__ import annotations

import os
import re
import time
import typing as t
from pathlib import Path

import pytest
from _blog_e2e import blog_environment, missing, require_blog, run_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
XSS_TITLE = "<script>alert(1)</script>"

if t.TYPE_CHECKING:
    from playwright.sync_api import Page


@pytest.fixture(scope="module")
def browser() -> t.Iterator[t.Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python is not installed (pip install playwright)")
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"chromium is not installed at {CHROMIUM}; run scripts/system-deps.sh")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


class Steps:
    """Numbered screenshots of one flow, with a line of description each."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.count = 0
        self.taken: list[str] = []

    def shot(self, name: str, description: str) -> None:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.taken.append(f"{path.name}: {description}")

    def write_index(self, seconds: float) -> None:
        lines = [*self.taken, f"duration: {seconds:.1f} s"]
        (self.folder / "steps.txt").write_text("\n".join(lines) + "\n")


def submit(page: Page, button: str) -> None:
    """Click a submit button and wait for the page it leads to."""
    with page.expect_navigation(wait_until="load", timeout=15_000):
        page.get_by_role("button", name=button, exact=True).click()


def expect_flash(page: Page, text: str, category: str) -> None:
    from playwright.sync_api import expect

    flash = page.locator(f"#flashes .flash.flash-{category}[role=status]")
    expect(flash.filter(has_text=text)).to_have_count(1)
    assert text in (flash.filter(has_text=text).text_content() or "")


def fill_post(page: Page, title: str, body: str) -> None:
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Body", exact=True).fill(body)


def post_id_of(page: Page, title: str) -> int:
    """The id of the post titled ``title`` on the current list page."""
    link = page.locator("article.post-summary h2 a").filter(
        has_text=re.compile("^" + re.escape(title) + "$")
    )
    href = link.get_attribute("href") or ""
    match = re.fullmatch(r"/post/(\d+)", href)
    assert match, href
    return int(match.group(1))


@pytest.mark.parametrize("server_kind", ["gunicorn", "uvicorn"])
def test_blog_in_a_browser(
    browser: t.Any,
    database_url: str | None,
    tmp_path: Path,
    artifacts: Path,
    server_kind: str,
) -> None:
    from playwright.sync_api import expect

    require_blog()
    started = time.monotonic()
    env = blog_environment(tmp_path / "instance", database_url)
    with run_server(server_kind, tmp_path, env) as server:
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        page = context.new_page()
        page.set_default_timeout(10_000)
        dialogs: list[tuple[str, str]] = []

        def on_dialog(dialog: t.Any) -> None:
            dialogs.append((dialog.type, dialog.message))
            dialog.accept()  # a "really delete?" confirm is allowed

        page.on("dialog", on_dialog)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        steps = Steps(page, artifacts)
        try:
            base = server.url
            page.goto(base + "/")
            expect(page.locator("article.post-summary")).to_have_count(0)
            steps.shot("home-empty", "home page of a new blog, logged out, no posts")

            # Register (logs the user in).
            page.get_by_role("link", name="Register", exact=True).click()
            page.wait_for_url(base + "/auth/register")
            page.get_by_label("Username", exact=True).fill("alice")
            page.get_by_label("Password", exact=True).fill("correct horse 1")
            page.get_by_label("Confirm password", exact=True).fill("correct horse 1")
            steps.shot("register-form", "registration form filled in")
            submit(page, "Register")
            assert page.url == base + "/"
            expect_flash(page, "Welcome, alice! Your account is ready.", "success")
            expect(page.get_by_role("button", name="Log out")).to_be_visible()
            steps.shot("registered", "home page after registering: welcome flash")

            # Log out, fail to log in, log in.
            submit(page, "Log out")
            expect_flash(page, "You have been logged out.", "info")
            steps.shot("logged-out", "after logging out: logged-out flash")
            page.get_by_role("link", name="Log in", exact=True).click()
            page.wait_for_url(re.compile(r".*/auth/login.*"))
            page.get_by_label("Username", exact=True).fill("alice")
            page.get_by_label("Password", exact=True).fill("wrong password")
            submit(page, "Log in")
            expect_flash(page, "Wrong username or password.", "error")
            steps.shot("bad-login", "login form with the wrong-password flash")
            page.get_by_label("Username", exact=True).fill("alice")
            page.get_by_label("Password", exact=True).fill("correct horse 1")
            submit(page, "Log in")
            expect_flash(page, "Logged in as alice.", "success")
            steps.shot("logged-in", "after logging in: logged-in flash")

            # Create a post.
            page.get_by_role("link", name="New post", exact=True).click()
            page.wait_for_url(base + "/add")
            fill_post(page, "First light", "Hello **Kolba** world.")
            steps.shot("add-form", "new post form filled in")
            submit(page, "Publish")
            expect_flash(page, "Post published.", "success")
            steps.shot("published", "after publishing: post-published flash")

            # See it on the home page and open it.
            page.goto(base + "/")
            summary = page.locator("article.post-summary h2 a")
            expect(summary.filter(has_text="First light")).to_have_count(1)
            post_id = post_id_of(page, "First light")
            steps.shot("home-with-post", "home page listing the new post")
            summary.filter(has_text="First light").click()
            page.wait_for_url(f"{base}/post/{post_id}")
            expect(page.locator("h1.post-title")).to_have_text("First light")
            expect(page.locator(".post-body strong")).to_have_text("Kolba")
            expect(page.locator(".post-author")).to_have_text("alice")
            steps.shot("post", "the post's page, Markdown rendered (bold Kolba)")

            # Edit it.
            page.get_by_role("link", name="Edit", exact=True).click()
            page.wait_for_url(f"{base}/post/{post_id}/edit")
            expect(page.get_by_label("Title", exact=True)).to_have_value("First light")
            page.get_by_label("Title", exact=True).fill("First light, edited")
            submit(page, "Save")
            expect_flash(page, "Post saved.", "success")
            steps.shot("edited", "after saving the edit: post-saved flash")
            page.goto(f"{base}/post/{post_id}")
            expect(page.locator("h1.post-title")).to_have_text("First light, edited")

            # Delete it.
            submit(page, "Delete")
            assert page.url == base + "/"
            expect_flash(page, "Post deleted.", "success")
            expect(page.locator("article.post-summary")).to_have_count(0)
            steps.shot("deleted", "home page after deleting: post-deleted flash")

            # A hostile title and body are shown as text, never run.
            dialogs_before = len(dialogs)
            page.get_by_role("link", name="New post", exact=True).click()
            page.wait_for_url(base + "/add")
            fill_post(page, XSS_TITLE, 'Body <img src=x onerror="alert(2)"> here')
            submit(page, "Publish")
            expect_flash(page, "Post published.", "success")
            page.goto(base + "/")
            hostile_id = post_id_of(page, XSS_TITLE)
            steps.shot("home-xss", "home page listing the <script> title as text")
            page.goto(f"{base}/post/{hostile_id}")
            title = page.locator("h1.post-title")
            assert title.text_content() == XSS_TITLE
            assert page.locator(".post-body img").count() == 0
            assert page.locator(".post-body script").count() == 0
            page.wait_for_timeout(300)  # give a (wrongly) injected script time
            steps.shot("xss-as-text", "post titled <script>alert(1)</script> as text")
            assert dialogs[dialogs_before:] == [], dialogs
            assert not [kind for kind, _ in dialogs if kind == "alert"], dialogs
            assert errors == [], errors
        finally:
            seconds = time.monotonic() - started
            steps.write_index(seconds)
            context.close()
    seconds = time.monotonic() - started
    print(f"browser flow: {seconds:.1f} s; screenshots in {artifacts}")
