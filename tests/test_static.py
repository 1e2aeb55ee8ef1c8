"""The static routes (app and blueprints) and path-traversal attempts against them.

Every test builds a real folder in ``tmp_path``: an app root with a ``static``
folder, and a ``secret.txt`` *next to* the static folder that no request may
ever read. The traversal table is run against the app's ``/static`` route,
against a blueprint's static route, and against ``send_from_directory`` with the
untrusted name passed in the query string (so routing cannot clean it first).
"""

from __future__ import annotations

import os
import typing as t
from datetime import timedelta
from pathlib import Path

import pytest

from kolba import Blueprint, Kolba, request, send_from_directory, url_for
from kolba.testing import KolbaClient

SECRET = b"TOP-SECRET-do-not-serve"
ENV_SECRET = b"DATABASE_PASSWORD=hunter2"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An app root: ``static/`` with public and hidden files, secrets beside it."""
    root = tmp_path / "site"
    static = root / "static"
    (static / "css").mkdir(parents=True)
    (static / "sub").mkdir()
    (static / ".git").mkdir()
    (static / ".well-known").mkdir()
    (static / "index.html").write_bytes(b"<h1>home</h1>")
    (static / "css" / "site.css").write_bytes(b"body { color: red }")
    (static / "app.js").write_bytes(b"console.log(1)")
    (static / "a b.txt").write_bytes(b"space")
    (static / "caf\u00e9.txt").write_bytes(b"accent")
    (static / ".env").write_bytes(ENV_SECRET)
    (static / ".git" / "config").write_bytes(ENV_SECRET)
    (static / ".well-known" / "security.txt").write_bytes(b"Contact: a@b.c")
    (root / "secret.txt").write_bytes(SECRET)
    # SECURITY fixtures: one link leaving the folder, one staying inside.
    os.symlink(root / "secret.txt", static / "link_out.txt")
    os.symlink(root, static / "dir_link_out")
    os.symlink(static / "index.html", static / "link_in.html")
    os.symlink(static / "css", static / "css_link")
    return root


@pytest.fixture
def site(root: Path) -> Kolba:
    app = Kolba("static_test_app", root_path=str(root))
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def site_client(site: Kolba) -> KolbaClient:
    return site.test_client()


def _body(client: KolbaClient, url: str, **kwargs: t.Any) -> tuple[int, bytes, str]:
    response = client.get(url, **kwargs)
    return response.status_code, response.data, str(response.headers)


# -- serving ------------------------------------------------------------------


def test_static_file_is_served_with_type_and_length(site_client: KolbaClient) -> None:
    response = site_client.get("/static/css/site.css")
    assert response.status_code == 200
    assert response.data == b"body { color: red }"
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert response.headers["Content-Length"] == "19"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["ETag"].startswith('"')


def test_static_url_for_builds_the_route(site: Kolba) -> None:
    with site.test_request_context():
        assert url_for("static", filename="css/site.css") == "/static/css/site.css"


def test_static_file_name_with_space_and_accent(site_client: KolbaClient) -> None:
    assert site_client.get("/static/a%20b.txt").data == b"space"
    assert site_client.get("/static/caf%C3%A9.txt").data == b"accent"


def test_static_symlink_inside_folder_is_served(site_client: KolbaClient) -> None:
    assert site_client.get("/static/link_in.html").data == b"<h1>home</h1>"
    assert site_client.get("/static/css_link/site.css").data == b"body { color: red }"


def test_static_well_known_is_served(site_client: KolbaClient) -> None:
    response = site_client.get("/static/.well-known/security.txt")
    assert response.status_code == 200
    assert response.data == b"Contact: a@b.c"


def test_static_head_sends_headers_only(site_client: KolbaClient) -> None:
    response = site_client.head("/static/app.js")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == "14"


def test_static_post_is_405(site_client: KolbaClient) -> None:
    assert site_client.post("/static/app.js").status_code == 405


def test_static_conditional_get_is_304(site_client: KolbaClient) -> None:
    first = site_client.get("/static/index.html")
    etag = first.headers["ETag"]
    assert first.data == b"<h1>home</h1>"
    again = site_client.get("/static/index.html", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def test_static_range_is_206(site_client: KolbaClient) -> None:
    response = site_client.get("/static/index.html", headers={"Range": "bytes=1-2"})
    assert response.status_code == 206
    assert response.data == b"h1"
    assert response.headers["Content-Range"] == "bytes 1-2/13"


def test_static_max_age_from_config(site: Kolba, site_client: KolbaClient) -> None:
    site.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(hours=1)
    response = site_client.get("/static/app.js")
    assert response.data == b"console.log(1)"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert "Expires" in response.headers


def test_static_max_age_from_overridden_method(root: Path) -> None:
    class ImmutableAssets(Kolba):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            if filename is not None and filename.endswith(".css"):
                return 31536000
            return super().get_send_file_max_age(filename)

    app = ImmutableAssets("static_override_app", root_path=str(root))
    client = app.test_client()
    css = client.get("/static/css/site.css")
    js = client.get("/static/app.js")
    assert css.data and js.data
    assert css.headers["Cache-Control"] == "public, max-age=31536000"
    assert js.headers["Cache-Control"] == "no-cache"


def test_custom_static_url_path_and_folder(root: Path) -> None:
    (root / "assets").mkdir()
    (root / "assets" / "logo.svg").write_bytes(b"<svg/>")
    app = Kolba(
        "static_custom_app",
        root_path=str(root),
        static_folder="assets",
        static_url_path="/a",
    )
    client = app.test_client()
    response = client.get("/a/logo.svg")
    assert response.data == b"<svg/>"
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert client.get("/static/index.html").status_code == 404


def test_no_static_folder_means_no_route(root: Path) -> None:
    app = Kolba("static_none_app", root_path=str(root), static_folder=None)
    assert "static" not in {rule.endpoint for rule in app.url_map.iter_rules()}
    assert app.test_client().get("/static/index.html").status_code == 404


def test_missing_static_file_is_404(site_client: KolbaClient) -> None:
    assert site_client.get("/static/nope.css").status_code == 404


# -- blueprints ---------------------------------------------------------------


@pytest.fixture
def bp_site(root: Path) -> Kolba:
    admin_root = root / "admin"
    (admin_root / "static").mkdir(parents=True)
    (admin_root / "static" / "admin.css").write_bytes(b".admin{}")
    (admin_root / "static" / ".env").write_bytes(ENV_SECRET)
    (admin_root / "secret.txt").write_bytes(SECRET)
    os.symlink(admin_root / "secret.txt", admin_root / "static" / "link_out.txt")
    app = Kolba("bp_static_app", root_path=str(root))
    app.config.update(TESTING=True)
    admin = Blueprint(
        "admin",
        "bp_static_app.admin",
        root_path=str(admin_root),
        static_folder="static",
        url_prefix="/admin",
    )
    app.register_blueprint(admin)
    return app


def test_blueprint_static_file_is_served(bp_site: Kolba) -> None:
    response = bp_site.test_client().get("/admin/static/admin.css")
    assert response.status_code == 200
    assert response.data == b".admin{}"
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"


def test_blueprint_static_url_for(bp_site: Kolba) -> None:
    with bp_site.test_request_context():
        assert url_for("admin.static", filename="admin.css") == (
            "/admin/static/admin.css"
        )


def test_blueprint_static_max_age_override(root: Path) -> None:
    bp_root = root / "bp"
    (bp_root / "static").mkdir(parents=True)
    (bp_root / "static" / "x.js").write_bytes(b"x")

    class LongCache(Blueprint):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 600

    app = Kolba("bp_static_cache_app", root_path=str(root))
    app.register_blueprint(
        LongCache("long", "bp_static_cache_app.bp", root_path=str(bp_root),
                  static_folder="static", url_prefix="/bp")
    )  # fmt: skip
    client = app.test_client()
    bp_file = client.get("/bp/static/x.js")
    assert bp_file.data == b"x"
    assert bp_file.headers["Cache-Control"] == "public, max-age=600"
    app_file = client.get("/static/app.js")
    assert app_file.data == b"console.log(1)"
    assert app_file.headers["Cache-Control"] == "no-cache"


# -- the path-traversal table ---------------------------------------------------

# Each attempt is a URL tail appended to a static prefix. Every one must be a
# 4xx (after following redirects) and no response may contain a secret or the
# absolute path of the app root.
TRAVERSAL_URLS: list[tuple[str, str]] = [
    ("raw dot-dot", "../secret.txt"),
    ("raw dot-dot twice", "../../secret.txt"),
    ("dot-dot after a folder", "css/../../secret.txt"),
    ("encoded dots", "%2e%2e/secret.txt"),
    ("encoded dots and slash", "%2e%2e%2fsecret.txt"),
    ("encoded, upper case", "%2E%2E%2Fsecret.txt"),
    ("double-encoded", "%252e%252e%252fsecret.txt"),
    ("backslash", "..\\secret.txt"),
    ("encoded backslash", "..%5csecret.txt"),
    ("encoded backslash twice", "..%5c..%5csecret.txt"),
    ("NUL after a name", "index.html%00"),
    ("NUL then dot-dot", "%00/../secret.txt"),
    ("NUL alone", "%00"),
    ("absolute path", "/etc/passwd"),
    ("absolute path, encoded slash", "%2fetc%2fpasswd"),
    ("double slash absolute", "//etc/passwd"),
    ("drive letter, backslash", "C:\\Windows\\win.ini"),
    ("drive letter, relative", "c:secret.txt"),
    ("drive letter, slash", "c:/secret.txt"),
    ("UNC path", "\\\\server\\share\\secret.txt"),
    ("two-dot leader U+2025", "\u2025/secret.txt"),
    ("fullwidth dots", "\uff0e\uff0e/secret.txt"),
    ("fullwidth dots and solidus", "\uff0e\uff0e\uff0fsecret.txt"),
    ("fullwidth reverse solidus", "\uff0e\uff0e\uff3csecret.txt"),
    ("overlong UTF-8 dots", "%c0%ae%c0%ae/secret.txt"),
    ("overlong UTF-8 slash", "..%c0%afsecret.txt"),
    ("overlong segment", "a" * 5000),
    ("many segments", "a/" * 2000 + "x"),
    ("symlink to a file outside", "link_out.txt"),
    ("symlink to a folder outside", "dir_link_out/secret.txt"),
    ("hidden file", ".env"),
    ("hidden folder", ".git/config"),
    ("encoded hidden file", "%2eenv"),
    ("directory", "css"),
    ("directory with slash", "css/"),
    ("empty name", ""),
    ("dot", "."),
    ("dot-dot alone", ".."),
]


def _assert_refused(status: int, body: bytes, headers: str, root: Path) -> None:
    assert 400 <= status < 500, status
    assert SECRET not in body
    assert ENV_SECRET not in body
    assert str(root).encode() not in body
    assert str(root) not in headers


@pytest.mark.parametrize(
    "tail", [tail for _, tail in TRAVERSAL_URLS], ids=[n for n, _ in TRAVERSAL_URLS]
)
def test_app_static_refuses_traversal(
    root: Path, site_client: KolbaClient, tail: str
) -> None:
    status, body, headers = _body(site_client, "/static/" + tail, follow_redirects=True)
    _assert_refused(status, body, headers, root)


@pytest.mark.parametrize(
    "tail", [tail for _, tail in TRAVERSAL_URLS], ids=[n for n, _ in TRAVERSAL_URLS]
)
def test_blueprint_static_refuses_traversal(
    root: Path, bp_site: Kolba, tail: str
) -> None:
    client = bp_site.test_client()
    status, body, headers = _body(
        client, "/admin/static/" + tail, follow_redirects=True
    )
    _assert_refused(status, body, headers, root)


# The same attempts as raw strings, given to send_from_directory unchanged
# (through the query string, so no routing or URL decoding cleans them).
TRAVERSAL_NAMES: list[tuple[str, str]] = [
    ("raw dot-dot", "../secret.txt"),
    ("dot-dot after a folder", "css/../../secret.txt"),
    ("trailing dot-dot", "css/.."),
    ("double-encoded stays literal", "%2e%2e/secret.txt"),
    ("backslash", "..\\secret.txt"),
    ("backslash inside", "css\\..\\..\\secret.txt"),
    ("NUL", "index.html\x00.png"),
    ("absolute path", "/etc/passwd"),
    ("absolute path to the secret", "{root}/secret.txt"),
    ("double slash absolute", "//etc/passwd"),
    ("drive letter, backslash", "C:\\secret.txt"),
    ("drive letter, relative", "c:secret.txt"),
    ("two-dot leader U+2025", "\u2025/secret.txt"),
    ("fullwidth dots", "\uff0e\uff0e/secret.txt"),
    ("fullwidth solidus", "\uff0e\uff0e\uff0fsecret.txt"),
    ("overlong segment", "b" * 5000),
    ("symlink to a file outside", "link_out.txt"),
    ("symlink to a folder outside", "dir_link_out/secret.txt"),
    ("hidden file", ".env"),
    ("hidden folder", ".git/config"),
    ("hidden file in a subfolder", "css/.env"),
    ("directory", "sub"),
    ("the folder itself", ""),
    ("dot", "."),
]


@pytest.fixture
def download_client(root: Path, site: Kolba) -> KolbaClient:
    @site.get("/download")
    def download() -> t.Any:
        return send_from_directory("static", request.args["name"])

    return site.test_client()


@pytest.mark.parametrize(
    "name", [name for _, name in TRAVERSAL_NAMES], ids=[n for n, _ in TRAVERSAL_NAMES]
)
def test_send_from_directory_refuses_traversal(
    root: Path, download_client: KolbaClient, name: str
) -> None:
    name = name.replace("{root}", str(root))
    status, body, headers = _body(
        download_client, "/download", query_string={"name": name}
    )
    _assert_refused(status, body, headers, root)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("index.html", b"<h1>home</h1>"),
        ("css/site.css", b"body { color: red }"),
        ("./css/./site.css", b"body { color: red }"),
        ("link_in.html", b"<h1>home</h1>"),
        ("css_link/site.css", b"body { color: red }"),
        (".well-known/security.txt", b"Contact: a@b.c"),
    ],
)
def test_send_from_directory_serves_safe_names(
    download_client: KolbaClient, name: str, content: bytes
) -> None:
    response = download_client.get("/download", query_string={"name": name})
    assert response.status_code == 200
    assert response.data == content


def test_send_from_directory_absolute_directory(root: Path) -> None:
    app = Kolba("sfd_abs_app", root_path="/nonexistent-kolba-root")

    @app.get("/<path:name>")
    def download(name: str) -> t.Any:
        return send_from_directory(root / "static", name)

    client = app.test_client()
    assert client.get("/index.html").data == b"<h1>home</h1>"
    status, body, headers = _body(client, "/link_out.txt")
    _assert_refused(status, body, headers, root)


@pytest.mark.parametrize("folded", ["\uff0e\uff0e", "\u2025"])
def test_names_that_fold_to_dot_dot_are_refused(
    root: Path, download_client: KolbaClient, folded: str
) -> None:
    # A folder with this literal name exists, so only the policy refuses it: a
    # proxy, file system or code-page conversion that applies compatibility
    # folding would read the same bytes as "..".
    (root / "static" / folded).mkdir()
    (root / "static" / folded / "x.txt").write_bytes(b"folded")
    response = download_client.get(
        "/download", query_string={"name": f"{folded}/x.txt"}
    )
    assert response.status_code == 404
    assert b"folded" not in response.data


def test_static_double_slash_redirects_inside_the_folder(
    site_client: KolbaClient,
) -> None:
    # As Flask: the router merges slashes with a 308, which stays under /static.
    response = site_client.get("/static//etc/passwd")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/static/etc/passwd")
    assert site_client.get(response.headers["Location"]).status_code == 404
