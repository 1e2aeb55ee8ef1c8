"""The blog deployed: gunicorn (2 workers, BLOG_PROXY_HOPS=1) behind nginx.

nginx runs from a generated nginx.conf in the test's tmp folder (no daemon,
pid, logs and temp paths all there) that includes the committed site config
``deploy/nginx/kolba-blog.conf`` with only ports and paths substituted, so
the file users install is the file tested. A second copy of the site, on
another port, sends ``X-Forwarded-Proto: https`` as a TLS-terminating nginx
would. Also here: a smoke test of ``kolba --app examples.blog.app:app run``.

HTTP goes through the standard library only (urllib with a cookie jar; the
CSRF token is read from each form).
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import json
import os
import re
import shutil
import stat
import time
import typing as t
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _blog_e2e import (
    BLOG,
    REPO,
    Server,
    answers,
    blog_environment,
    free_port,
    missing,
    require_blog,
    run_gunicorn,
    run_kolba,
    spawn,
    wait_until,
)

SITE_CONFIG = REPO / "deploy" / "nginx" / "kolba-blog.conf"


# -- a small HTTP client -----------------------------------------------------


class _Forms(HTMLParser):
    """The POST forms of a page: (action, csrf_token) of each."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and (values.get("method") or "").lower() == "post":
            self.forms.append((values.get("action") or "", None))
        elif tag == "input" and values.get("name") == "csrf_token" and self.forms:
            action, _ = self.forms[-1]
            self.forms[-1] = (action, values.get("value") or "")


class Answer(t.NamedTuple):
    status: int
    url: str
    headers: t.Any
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> t.Any:
        return json.loads(self.body)


class Client:
    """urllib with cookies; follows redirects; returns 4xx/5xx as answers."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> Answer:
        url = path if "://" in path else self.base + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)
        try:
            with self.opener.open(request, timeout=15) as response:
                return Answer(
                    response.status, response.url, response.headers, response.read()
                )
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.url, error.headers, error.read())

    def get(self, path: str) -> Answer:
        return self.request(path)

    def submit(
        self, page_path: str, fields: dict[str, str], action: str | None = None
    ) -> Answer:
        """GET a page, then POST ``fields`` and the CSRF token to its form
        (the one posting to ``action``, else the first besides log out)."""
        page = self.get(page_path)
        assert page.status == 200, (page_path, page.status, page.text[:500])
        parser = _Forms()
        parser.feed(page.text)
        for form_action, token in parser.forms:
            if form_action == action or (
                action is None and form_action != "/auth/logout"
            ):
                assert token, f"no csrf_token in the {form_action} form"
                target = urllib.parse.urljoin(page.url, form_action or page.url)
                return self.request(target, {**fields, "csrf_token": token})
        raise AssertionError(f"no form posting to {action} on {page_path}")


def flashes(page: Answer) -> list[tuple[str, str]]:
    """(category, text) of each flash message of a page."""
    found = re.findall(
        r'<div class="flash flash-([\w-]+)" role="status">\s*(.*?)\s*</div>',
        page.text,
        re.S,
    )
    return [(category, re.sub(r"\s+", " ", text)) for category, text in found]


# -- nginx -------------------------------------------------------------------


def _substitute(text: str, old: str, new: str) -> str:
    assert old in text, f"{SITE_CONFIG} no longer contains {old!r}; update the test"
    return text.replace(old, new)


def site_config(port: int, upstream_port: int, *, https: bool = False) -> str:
    """The committed site config, listening on ``port``, proxying to gunicorn."""
    text = SITE_CONFIG.read_text()
    text = _substitute(
        text, "listen 80 default_server;", f"listen 127.0.0.1:{port} default_server;"
    )
    text = _substitute(text, "listen 80;", f"listen 127.0.0.1:{port};")
    upstream = f"server 127.0.0.1:{upstream_port}"
    text = _substitute(text, "server 127.0.0.1:8000", upstream)
    text = _substitute(text, "server_name blog.example.com;", "server_name 127.0.0.1;")
    text = _substitute(text, "/srv/kolba/", f"{REPO}/")
    if https:
        # What an nginx terminating TLS would send; the connection stays http.
        text = _substitute(text, "upstream kolba_blog {", "upstream kolba_blog_tls {")
        text = _substitute(text, "http://kolba_blog;", "http://kolba_blog_tls;")
        text = _substitute(
            text, "X-Forwarded-Proto $scheme;", "X-Forwarded-Proto https;"
        )
    return text


def nginx_config(workdir: Path, sites: list[Path]) -> str:
    mime = "/etc/nginx/mime.types"
    types = f"include {mime};" if os.path.exists(mime) else "types { text/css css; }"
    user = "user root;" if os.geteuid() == 0 else ""
    temps = "\n".join(
        f"    {kind}_temp_path {workdir / ('nginx-' + kind)};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    includes = "\n".join(f"    include {site};" for site in sites)
    return f"""\
{user}
daemon off;
worker_processes 1;
pid {workdir / "nginx.pid"};
error_log {workdir / "nginx-error.log"} warn;
events {{ worker_connections 128; }}
http {{
    {types}
    default_type application/octet-stream;
    access_log {workdir / "nginx-access.log"};
{temps}
{includes}
}}
"""


@contextlib.contextmanager
def run_nginx(workdir: Path, upstream_port: int) -> t.Iterator[tuple[Server, int, int]]:
    """nginx with the site config twice: plain, and as if terminating TLS."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(nginx, os.X_OK):
        missing("nginx is not installed; run scripts/system-deps.sh")
    port, tls_port = free_port(), free_port()
    plain = workdir / "site-http.conf"
    plain.write_text(site_config(port, upstream_port))
    tls = workdir / "site-https.conf"
    tls.write_text(site_config(tls_port, upstream_port, https=True))
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_config(workdir, [plain, tls]))
    argv = [nginx, "-p", str(workdir), "-c", str(conf),
            "-e", str(workdir / "nginx-error.log")]  # fmt: skip
    with spawn("nginx", argv, dict(os.environ), port, workdir) as server:
        for each in (port, tls_port):
            wait_until(
                server,
                answers(f"http://127.0.0.1:{each}/api/posts"),
                f"answer on port {each}",
            )
        yield server, port, tls_port


# -- the tests ---------------------------------------------------------------


def test_deployed_behind_nginx(database_url: str | None, tmp_path: Path) -> None:
    require_blog()
    started = time.monotonic()
    instance = tmp_path / "instance"
    env = blog_environment(instance, database_url, BLOG_PROXY_HOPS="1")
    with (
        run_gunicorn(tmp_path, env, workers=2) as gunicorn,
        run_nginx(tmp_path, gunicorn.port) as (nginx, port, tls_port),
    ):
        base = f"http://127.0.0.1:{port}"
        client = Client(base)

        # Register (logs in), log out, get sent to log in by /add, log in.
        page = client.submit(
            "/auth/register",
            {"username": "bob", "password": "s3cret-pass", "confirm": "s3cret-pass"},
        )
        assert page.status == 200, page.text[:1000]
        assert page.url == base + "/"
        assert ("success", "Welcome, bob! Your account is ready.") in flashes(page)

        page = client.submit("/", {}, action="/auth/logout")
        assert ("info", "You have been logged out.") in flashes(page)
        page = client.get("/add")
        assert page.url.startswith(base + "/auth/login?next="), page.url
        assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query) == {
            "next": ["/add"]
        }
        login_path = page.url[len(base) :]
        page = client.submit(login_path, {"username": "bob", "password": "s3cret-pass"})
        assert ("success", "Logged in as bob.") in flashes(page)
        assert page.url == base + "/add", page.url

        # Create a post through nginx.
        page = client.submit(
            "/add", {"title": "Through nginx", "body": "Proxied **post**."}
        )
        assert page.status == 200, page.text[:1000]
        assert ("success", "Post published.") in flashes(page)

        # The JSON API's absolute URLs carry nginx's scheme, host and port.
        listing = client.get("/api/posts")
        assert listing.status == 200
        data = listing.json()
        assert data["total"] == 1, data
        post = data["posts"][0]
        assert post["title"] == "Through nginx"
        assert post["author"] == "bob"
        post_path = f"/post/{post['id']}"
        assert post["url"] == base + post_path, post["url"]
        page = client.get(post["url"])
        assert page.status == 200
        assert re.search(r'<h1 class="post-title">\s*Through nginx\s*</h1>', page.text)
        assert "<strong>post</strong>" in page.text

        one = Client(f"http://127.0.0.1:{tls_port}").get(f"/api/posts/{post['id']}")
        assert one.status == 200
        assert one.json()["url"] == f"https://127.0.0.1:{tls_port}{post_path}"
        # Straight to gunicorn, with no proxy headers: its own address.
        direct = Client(gunicorn.url).get(f"/api/posts/{post['id']}")
        assert direct.json()["url"] == gunicorn.url + post_path

        # Security headers on proxied pages.
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]

        # Static files come from disk through nginx, with cache headers.
        static = BLOG / "static"
        css = sorted(static.rglob("*.css"))
        assert css, f"no CSS file under {static}"
        relative = css[0].relative_to(static).as_posix()
        asset = client.get(f"/static/{relative}")
        assert asset.status == 200
        assert asset.body == css[0].read_bytes()
        assert asset.headers["Content-Type"].startswith("text/css")
        assert asset.headers["Cache-Control"] == "max-age=604800"
        assert asset.headers["Expires"]
        assert asset.headers["X-Content-Type-Options"] == "nosniff"
        access_log = (tmp_path / "gunicorn-access.log").read_text()
        assert "/static/" not in access_log, "gunicorn served a static file"
        assert "/api/posts" in access_log

        # Bodies over Kolba's MAX_CONTENT_LENGTH (16 MiB) stop at nginx.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.putrequest("POST", "/add")
            connection.putheader("Content-Type", "application/x-www-form-urlencoded")
            connection.putheader("Content-Length", str(16 * 1024 * 1024 + 1))
            connection.endheaders()
            with connection.getresponse() as response:
                assert response.status == 413
                response.read()
        finally:
            connection.close()

        # A foreign Host header gets no answer (nginx's 444).
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/", headers={"Host": "evil.example"})
            with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
                connection.getresponse()
        finally:
            connection.close()

        assert nginx.process.poll() is None, nginx.describe()

    if database_url is None:
        assert (instance / "blog.db").is_file()
    else:
        assert not (instance / "blog.db").exists()
        assert "alembic_version" in postgres_tables(database_url)
    print(f"deployment flow: {time.monotonic() - started:.1f} s")


def postgres_tables(database_url: str) -> set[str]:
    import psycopg

    parts = urllib.parse.urlsplit(database_url)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port,
        user=parts.username,
        dbname=parts.path.lstrip("/"),
        connect_timeout=10,
    ) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def test_kolba_run_smoke(tmp_path: Path) -> None:
    """``kolba --app examples.blog.app:app run`` on a new instance folder:
    migrations applied, 3 sample posts, a secret key generated (mode 0600)."""
    require_blog()
    instance = tmp_path / "instance"
    env = blog_environment(instance, None)
    del env["SECRET_KEY"]  # generated into the instance folder
    del env["BLOG_SAMPLE_POSTS"]  # sample posts are on by default
    with run_kolba(tmp_path, env) as server:
        client = Client(server.url)
        home = client.get("/")
        assert home.status == 200
        assert home.text.count('<article class="post-summary">') == 3, home.text[:2000]
        data = client.get("/api/posts").json()
        assert data["total"] == 3
        assert {post["author"] for post in data["posts"]} == {"kolba"}
        assert data["posts"][0]["url"].startswith(server.url + "/post/")
        missing_post = client.get("/api/posts/999999")
        assert missing_post.status == 404
        assert missing_post.json() == {"error": "not found"}
        not_found = client.get("/no-such-page")
        assert not_found.status == 404
        assert re.search(r"<h1[^>]*>\s*Page not found\s*</h1>", not_found.text)
    key = instance / "secret_key"
    assert key.is_file()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (instance / "blog.db").is_file()
