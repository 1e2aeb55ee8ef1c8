"""Helpers for the blog's end-to-end tests: real server processes.

The blog (``examples.blog.app:app``) runs as a separate process on 127.0.0.1
and a free port, under gunicorn (2 workers) or ``kolba run``; nginx runs in
front of gunicorn for the deployment test. Every process gets its own
session (process group), every wait is bounded, and everything is terminated
in a ``finally``. Logs go to files in the test's tmp folder and are shown
when a process fails to start.

The database is SQLite in the test's instance folder, or a fresh PostgreSQL
database (one per test, created in the ``postgres_url`` cluster) for the
``postgresql`` variant. A fresh database means the blog's first-run migration
happens while the 2 gunicorn workers boot at the same time: the tests wait
until both workers report that they loaded the app, which proves the
migration does not race.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import typing as t
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BLOG = REPO / "examples" / "blog"
WSGI_ENTRY = "examples.blog.app:app"
ASGI_ENTRY = "examples.blog.app:app.asgi_app"
START_TIMEOUT = 30.0
# Environment variables of the blog that must not leak in from the caller.
_BLOG_VARIABLES = (
    "DATABASE_URL",
    "SECRET_KEY",
    "KOLBA_BLOG_INSTANCE",
    "BLOG_SECURE_COOKIES",
    "BLOG_PROXY_HOPS",
    "BLOG_SAMPLE_POSTS",
    "KOLBA_APP",
    "KOLBA_DEBUG",
)


def missing(reason: str) -> t.NoReturn:
    """Fail in CI (the tool must be there), skip elsewhere; with the reason."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def require_blog() -> None:
    if not (BLOG / "app.py").is_file():
        missing(f"the blog is missing: {BLOG / 'app.py'} does not exist")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return text[-limit:]


@dataclasses.dataclass
class Server:
    """A running server process and where to reach it."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    workdir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def describe(self) -> str:
        return f"{self.name} (pid {self.process.pid}) log:\n{log_tail(self.log)}"


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process and its whole group; kill it if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    # Kill whatever is left in the group (workers of a dead master, too).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@contextlib.contextmanager
def spawn(
    name: str, argv: list[str], env: dict[str, str], port: int, workdir: Path
) -> t.Iterator[Server]:
    """Start ``argv`` in its own process group; stop it when the block ends."""
    log = workdir / f"{name}.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            argv,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, port, process, log, workdir)
    try:
        yield server
    finally:
        stop(process)


def wait_until(
    server: Server,
    check: t.Callable[[], bool],
    what: str,
    timeout: float = START_TIMEOUT,
) -> None:
    """Poll ``check`` until true; fail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if server.process.poll() is not None:
            pytest.fail(
                f"{server.name} exited with {server.process.returncode} "
                f"before {what}; {server.describe()}"
            )
        if time.monotonic() > deadline:
            pytest.fail(
                f"{server.name}: no {what} after {timeout} s; {server.describe()}"
            )
        time.sleep(0.05)


def answers(url: str) -> t.Callable[[], bool]:
    """A check: ``url`` answers HTTP with a status below 500."""

    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return True
        except urllib.error.HTTPError as error:
            error.close()
            return error.code < 500
        except (OSError, ValueError):
            return False

    return check


def blog_environment(
    instance: Path, database_url: str | None, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _BLOG_VARIABLES}
    env.update(
        KOLBA_BLOG_INSTANCE=str(instance),
        SECRET_KEY=secrets.token_hex(32),
        BLOG_SAMPLE_POSTS="0",
        PYTHONUNBUFFERED="1",
    )
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


# A gunicorn config file (a test artefact): each worker reports when it has
# loaded the app, so the tests know that *both* workers survived the
# first-run migration, not only the first one to answer.
_GUNICORN_HOOKS = """\
def post_worker_init(worker):
    worker.log.info("kolba-e2e: worker %s loaded the app", worker.pid)
"""
WORKER_READY = "kolba-e2e: worker"


@contextlib.contextmanager
def run_gunicorn(
    workdir: Path, env: dict[str, str], workers: int = 2
) -> t.Iterator[Server]:
    """The blog under gunicorn; yields once every worker loaded the app."""
    hooks = workdir / "gunicorn_hooks.py"
    hooks.write_text(_GUNICORN_HOOKS)
    port = free_port()
    argv = [
        sys.executable, "-m", "gunicorn",
        "-c", str(hooks),
        "-w", str(workers),
        "-b", f"127.0.0.1:{port}",
        "--timeout", "30",
        "--graceful-timeout", "5",
        "--access-logfile", str(workdir / "gunicorn-access.log"),
        WSGI_ENTRY,
    ]  # fmt: skip
    with spawn("gunicorn", argv, env, port, workdir) as server:

        def all_workers_ready() -> bool:
            return log_tail(server.log, 10**7).count(WORKER_READY) >= workers

        wait_until(server, all_workers_ready, f"{workers} workers with the app")
        wait_until(server, answers(server.url + "/"), "answer on /")
        yield server
        assert "Traceback" not in log_tail(server.log, 10**7), server.describe()


@contextlib.contextmanager
def run_uvicorn(
    workdir: Path, env: dict[str, str], workers: int = 2
) -> t.Iterator[Server]:
    """The blog under uvicorn, served by the same app object's ASGI front end."""
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn",
        "--workers", str(workers),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--timeout-graceful-shutdown", "5",
        ASGI_ENTRY,
    ]  # fmt: skip
    with spawn("uvicorn", argv, env, port, workdir) as server:
        wait_until(server, answers(server.url + "/"), "answer on /")
        yield server
        assert "Traceback" not in log_tail(server.log, 10**7), server.describe()


@contextlib.contextmanager
def run_server(
    kind: str, workdir: Path, env: dict[str, str], workers: int = 2
) -> t.Iterator[Server]:
    """The blog under ``kind``: ``"gunicorn"`` (WSGI) or ``"uvicorn"`` (ASGI)."""
    runner = run_uvicorn if kind == "uvicorn" else run_gunicorn
    with runner(workdir, env, workers) as server:
        yield server


@contextlib.contextmanager
def run_kolba(workdir: Path, env: dict[str, str]) -> t.Iterator[Server]:
    """The blog under ``kolba --app examples.blog.app:app run``."""
    script = Path(sys.executable).parent / "kolba"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kolba"]
    port = free_port()
    argv = [*command, "--app", WSGI_ENTRY, "run", "--port", str(port)]
    with spawn("kolba-run", argv, env, port, workdir) as server:
        wait_until(server, answers(server.url + "/"), "answer on /")
        yield server
