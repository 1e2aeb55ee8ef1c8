"""Shared benchmark machinery: environs, correctness checks, timing loops, calibration.

Every request calls the app's WSGI callable directly (no sockets), with a fresh copy
of a prebuilt environ (and a fresh ``wsgi.input`` for POST), fully consumes the
returned iterable and calls its ``close()`` if it has one, as a WSGI server must.
"""

from __future__ import annotations

import ast
import importlib
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path
from time import perf_counter
from urllib.parse import urlencode

from apps.spec import (
    DB_EXPECT,
    DB_ITEM_ID,
    FORM_FIELDS,
    FORM_SEPARATOR,
    FORM_VALUES,
    HELLO,
    TEMPLATE_BODY,
    static_body,
)

FRAMEWORKS = ("kolba", "flask", "bottle", "falcon", "raw")
BASELINE = "sqlalchemy"
LABELS = {
    "kolba": "Kolba",
    "flask": "Flask",
    "bottle": "Bottle",
    "falcon": "Falcon",
    "raw": "raw WSGI",
    # Not a framework: the db case's floor, timed in the same rounds.
    BASELINE: "bare SQLAlchemy",
}

APPS_DIR = Path(__file__).resolve().parent / "apps"


class BrokenApp(AssertionError):
    """An app answered a case wrongly; it must not be timed."""


# -- environs --------


def base_environ(
    method: str, path: str, body: bytes | None = None, content_type: str | None = None
) -> dict:
    env = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "54321",
        "HTTP_HOST": "localhost",
        "HTTP_USER_AGENT": "kolba-bench/1.0",
        "HTTP_ACCEPT": "*/*",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
        "HTTP_CONNECTION": "keep-alive",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body is not None:
        env["CONTENT_LENGTH"] = str(len(body))
        env["CONTENT_TYPE"] = content_type or "application/octet-stream"
    return env


# -- cases --------


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    status: int
    body: bytes | None = None  # request body (POST)
    content_type: str | None = None  # request content type
    expect_body: bytes | None = None  # exact response body, if checked
    expect_json: object = None  # parsed JSON response body, if checked
    expect_ctype: str | None = None  # response Content-Type prefix, if checked
    # Session cases: the request carries the cookie the app set on a first
    # request (see prepare()); ``cookie`` holds it once prepared.
    needs_cookie: bool = False
    first_body: bytes | None = None  # the first (cookie-less) answer
    cookie: str | None = None

    def environ(self) -> dict:
        env = base_environ(self.method, self.path, self.body, self.content_type)
        if self.cookie is not None:
            env["HTTP_COOKIE"] = self.cookie
        return env


FORM_BODY = urlencode([(k, FORM_VALUES[k]) for k in FORM_FIELDS]).encode("ascii")
FORM_EXPECT = FORM_SEPARATOR.join(FORM_VALUES[k] for k in FORM_FIELDS).encode("utf-8")

CASES = {
    "plaintext": Case(
        "plaintext",
        "GET",
        "/plaintext",
        200,
        expect_body=HELLO.encode(),
        expect_ctype="text/plain",
    ),
    "json": Case(
        "json",
        "GET",
        "/json",
        200,
        expect_json={"message": HELLO},
        expect_ctype="application/json",
    ),
    "routing": Case("routing", "GET", "/item/42", 200, expect_body=b"42"),
    "form": Case(
        "form",
        "POST",
        "/form",
        200,
        body=FORM_BODY,
        content_type="application/x-www-form-urlencoded",
        expect_body=FORM_EXPECT,
    ),
    "404": Case("404", "GET", "/missing", 404),
    "template": Case(
        "template",
        "GET",
        "/template",
        200,
        expect_body=TEMPLATE_BODY.encode(),
        expect_ctype="text/html",
    ),
    # The cookie from the first request says count=1; each timed request reads
    # it, increments, writes a new signed cookie and answers 2.
    "session": Case(
        "session",
        "GET",
        "/session",
        200,
        expect_body=b"2",
        needs_cookie=True,
        first_body=b"1",
    ),
    # One row by primary key through the ORM, as JSON; the database is the
    # SQLite file bench_database() makes (apps/database.py).
    "db": Case(
        "db",
        "GET",
        f"/db/{DB_ITEM_ID}",
        200,
        expect_json=DB_EXPECT,
        expect_ctype="application/json",
    ),
}


def static_case(i: int) -> Case:
    return Case(
        f"static-{i}",
        "GET",
        f"/static-route-{i}",
        200,
        expect_body=static_body(i).encode(),
    )


# -- loading apps --------


def load_factory(framework: str):
    """Return ``apps.<framework>_app.make_app``; raises if it cannot be imported."""
    return importlib.import_module(f"apps.{framework}_app").make_app


def unsupported_cases(framework: str) -> dict[str, str]:
    """Cases a framework's app does not implement (case -> why): shown as n/a."""
    module = importlib.import_module(f"apps.{framework}_app")
    return dict(getattr(module, "UNSUPPORTED_CASES", {}))


def close_app(framework: str, app) -> None:
    """Release what an app holds (its database engines) via its ``close_app``."""
    module = importlib.import_module(f"apps.{framework}_app")
    close = getattr(module, "close_app", None)
    if close is not None:
        close(app)


@contextmanager
def bench_database() -> Iterator[str]:
    """The db case's SQLite file, in a temporary folder removed on exit; its URL."""
    from apps.database import create_database

    with tempfile.TemporaryDirectory(prefix="kolba-bench-db-") as folder:
        yield create_database(Path(folder) / "bench.db")


def database_baseline(url: str):
    """``(run, close)`` for the bare SQLAlchemy loop, the db case's floor."""
    from apps.database import baseline_runner

    return baseline_runner(url)


def kolba_module_drift() -> str | None:
    """Check kolba_app.py is flask_app.py with the imports renamed.

    The renames: flask_sqlalchemy->kolba.ext.sqlalchemy, flask->kolba, Flask->Kolba.

    Docstrings are ignored; the code must be identical.

    Returns a description of the difference, or None if they match.
    """

    def code_dump(path: Path, rename: bool) -> str:
        src = path.read_text(encoding="utf-8")
        if rename:
            src = (
                src.replace("flask_sqlalchemy", "kolba.ext.sqlalchemy")
                .replace("flask", "kolba")
                .replace("Flask", "Kolba")
            )
        tree = ast.parse(src)
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (
                isinstance(body, list)
                and body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
        return ast.dump(tree)

    flask_code = code_dump(APPS_DIR / "flask_app.py", rename=True)
    kolba_code = code_dump(APPS_DIR / "kolba_app.py", rename=False)
    if flask_code != kolba_code:
        return (
            "apps/kolba_app.py is not apps/flask_app.py with "
            "flask_sqlalchemy->kolba.ext.sqlalchemy, flask->kolba, Flask->Kolba"
        )
    return None


# -- one request, checked --------


def call_once(app, case: Case) -> tuple[str, list, bytes]:
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = list(headers)
        return lambda data: None

    env = case.environ()
    if case.body is not None:
        env["wsgi.input"] = BytesIO(case.body)
    it = app(env, start_response)
    try:
        body = b"".join(it)
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()
    if "status" not in captured:
        raise BrokenApp("start_response was never called")
    return captured["status"], captured["headers"], body


def prepare(app, case: Case) -> Case:
    """Return ``case`` ready for ``app``: with the app's own session cookie if needed.

    The cookie comes from one cookie-less request to the same app, so every
    framework signs it its own way.
    """
    if not case.needs_cookie or case.cookie is not None:
        return case
    status, headers, body = call_once(app, case)
    if not status.startswith("200") or body != case.first_body:
        raise BrokenApp(
            f"{case.path} without a cookie: {status!r} {body[:200]!r}, expected "
            f"200 {case.first_body!r}"
        )
    cookies = [v for k, v in headers if k.lower() == "set-cookie"]
    if len(cookies) != 1:
        raise BrokenApp(f"{case.path}: expected one Set-Cookie, got {cookies!r}")
    return replace(case, cookie=cookies[0].split(";", 1)[0])


def verify(app, case: Case) -> None:
    """Raise BrokenApp unless the app answers ``case`` correctly."""
    case = prepare(app, case)
    status, headers, body = call_once(app, case)
    shown = body[:200]
    try:
        code = int(status.split(" ", 1)[0])
    except ValueError:
        raise BrokenApp(f"malformed status line {status!r}") from None
    if code != case.status:
        raise BrokenApp(
            f"{case.method} {case.path}: status {status!r}, expected "
            f"{case.status}; body {shown!r}"
        )
    if case.expect_body is not None and body != case.expect_body:
        raise BrokenApp(
            f"{case.method} {case.path}: body {shown!r}, expected {case.expect_body!r}"
        )
    if case.expect_json is not None:
        try:
            data = json.loads(body)
        except ValueError:
            raise BrokenApp(f"{case.path}: body is not JSON: {shown!r}") from None
        if data != case.expect_json:
            raise BrokenApp(
                f"{case.path}: JSON {data!r}, expected {case.expect_json!r}"
            )
    if case.needs_cookie and not any(k.lower() == "set-cookie" for k, _ in headers):
        raise BrokenApp(f"{case.path}: the updated session was not sent back")
    if case.expect_ctype is not None:
        ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
        if not ctype.lower().startswith(case.expect_ctype):
            raise BrokenApp(
                f"{case.path}: Content-Type {ctype!r}, expected {case.expect_ctype}"
            )


# -- timing --------


def _sr(status, headers, exc_info=None):
    return None


def make_runner(app, case: Case):
    """Return ``run(n) -> seconds`` timing n requests of ``case`` against ``app``."""
    case = prepare(app, case)
    base = case.environ()
    payload = case.body

    if payload is None:

        def run(n: int) -> float:
            copy = base.copy
            sr = _sr
            t0 = perf_counter()
            for _ in range(n):
                it = app(copy(), sr)
                for _chunk in it:
                    pass
                close = getattr(it, "close", None)
                if close is not None:
                    close()
            return perf_counter() - t0

    else:

        def run(n: int) -> float:
            copy = base.copy
            sr = _sr
            t0 = perf_counter()
            for _ in range(n):
                env = copy()
                env["wsgi.input"] = BytesIO(payload)
                it = app(env, sr)
                for _chunk in it:
                    pass
                close = getattr(it, "close", None)
                if close is not None:
                    close()
            return perf_counter() - t0

    return run


def calibrate(run, target: float) -> int:
    """Number of requests that takes about ``target`` seconds (also warms up)."""
    floor = max(0.005, target / 5)
    n = 8
    while True:
        elapsed = run(n)
        if elapsed >= floor:
            break
        n *= 2 if elapsed <= 0 else min(10, max(2, int(floor / elapsed * 1.2) + 1))
    return max(1, int(n * target / elapsed))
