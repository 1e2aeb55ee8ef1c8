"""Real server processes for the tests in this folder.

A :class:`ServerProc` runs one server (uvicorn, hypercorn, granian or
gunicorn) on a free loopback port, serving ``apps/served_app.py`` with this
tree's ``src`` first on ``PYTHONPATH``. Its stdout and stderr go to one log
file, which ``conftest.py`` attaches to the report of a failing test. It runs
in its own session (process group) so that stopping it also ends workers the
server forked.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"
SRC = HERE.parent.parent / "src"

START_DEADLINE = 60.0  # seconds a server may take to answer (busy 2-core CI)
STOP_DEADLINE = 30.0  # seconds a server may take to exit after SIGTERM

BIG_FILE_SIZE = 2 * 1024 * 1024 + 123  # not a multiple of any buffer size


def big_file_bytes() -> bytes:
    """The content of ``big.bin`` (random, so a misplaced range shows)."""
    return random.Random(20240611).randbytes(BIG_FILE_SIZE)


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server: its command line and what it speaks."""

    name: str
    argv: t.Callable[[int], list[str]]
    asgi: bool  # WebSockets and lifespan; False for WSGI servers

    def command(self, port: int) -> list[str]:
        return [sys.executable, *self.argv(port)]


def _uvicorn(target: str) -> t.Callable[[int], list[str]]:
    def argv(port: int) -> list[str]:
        return ["-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]

    return argv


def _hypercorn(target: str) -> t.Callable[[int], list[str]]:
    def argv(port: int) -> list[str]:
        return ["-m", "hypercorn", "--bind", f"127.0.0.1:{port}", target]

    return argv


def _granian(target: str) -> t.Callable[[int], list[str]]:
    def argv(port: int) -> list[str]:
        return [
            "-m", "granian",
            "--interface", "asgi",
            "--host", "127.0.0.1",
            "--port", str(port),
            "--workers", "1",
            target,
        ]  # fmt: skip

    return argv


def _gunicorn(*extra: str) -> t.Callable[[int], list[str]]:
    def argv(port: int) -> list[str]:
        return [
            "-m", "gunicorn",
            "--bind", f"127.0.0.1:{port}",
            "--workers", "1",
            "--graceful-timeout", "10",
            "--no-control-socket",  # gunicorn 27: else one shared path in ~
            *extra,
            "served_app:app",
        ]  # fmt: skip

    return argv


SPECS: dict[str, ServerSpec] = {
    spec.name: spec
    for spec in (
        ServerSpec("uvicorn-asgi_app", _uvicorn("served_app:app.asgi_app"), True),
        # uvicorn sees the app's sync __call__ and serves it as ASGI 2.
        ServerSpec("uvicorn-app", _uvicorn("served_app:app"), True),
        ServerSpec("hypercorn", _hypercorn("served_app:app.asgi_app"), True),
        ServerSpec("granian", _granian("served_app:app.asgi_app"), True),
        ServerSpec("gunicorn-sync", _gunicorn(), False),
        ServerSpec(
            "gunicorn-gthread", _gunicorn("-k", "gthread", "--threads", "4"), False
        ),
    )
}

ASGI_SERVERS = [name for name, spec in SPECS.items() if spec.asgi]
WSGI_SERVERS = [name for name, spec in SPECS.items() if not spec.asgi]
ALL_SERVERS = list(SPECS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_state(state: Path) -> None:
    """Fill a state folder with what the app serves (``big.bin``)."""
    state.mkdir(parents=True, exist_ok=True)
    big = state / "big.bin"
    if not big.exists():
        big.write_bytes(big_file_bytes())


def server_env(state: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOLBA_")}
    path = [str(SRC), str(APPS)]
    env["PYTHONPATH"] = os.pathsep.join(path)  # absolute: this tree, not another
    env["PYTHONUNBUFFERED"] = "1"
    env["KOLBA_SERVERS_STATE"] = str(state)
    env.pop("PYTHONWARNINGS", None)
    env.update(extra)
    return env


class ServerError(AssertionError):
    pass


class ServerProc:
    """One running server; ``url`` is its base URL, ``output()`` its log."""

    def __init__(self, spec: ServerSpec, state: Path, env: dict[str, str]) -> None:
        self.spec = spec
        self.state = state
        self.env = env
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = state / "unstarted.log"

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no output)"

    def describe(self) -> str:
        code = None if self.process is None else self.process.poll()
        state = "running" if code is None else f"exited with {code}"
        return f"{self.name} on port {self.port} ({state}); output:\n{self.output()}"

    # -- starting ------------------------------------------------------------------

    def start(self, wait: bool = True) -> ServerProc:
        """Start on a free port; with ``wait``, return once it answers HTTP."""
        for attempt in range(3):
            self.port = free_port()
            self.log_path = self.state / f"{self.name}-{self.port}.log"
            with open(self.log_path, "wb") as log:
                self.process = subprocess.Popen(
                    self.spec.command(self.port),
                    cwd=self.state,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if not wait:
                return self
            try:
                self.wait_ready()
                return self
            except ServerError:
                in_use = "address already in use" in self.output().lower()
                self.stop()
                if in_use and attempt < 2:
                    continue  # someone took the port first: another one
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def wait_ready(
        self, deadline: float = START_DEADLINE, path: str = "/hello/0"
    ) -> bytes:
        """Poll until ``GET path`` answers 200 (its body), or fail with the output.

        Until the server listens, no request reaches the app: the first 200
        is the first request the app answered.
        """
        assert self.process is not None
        end = time.monotonic() + deadline
        last_error: object = None
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise ServerError(f"the server exited early: {self.describe()}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                if response.status == 200:
                    return body
                last_error = f"status {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                last_error = exc
            finally:
                conn.close()
            time.sleep(0.1)
        raise ServerError(
            f"the server did not answer within {deadline:g} s ({last_error!r}): "
            f"{self.describe()}"
        )

    # -- stopping ------------------------------------------------------------------

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def send_signal(self, signum: int = signal.SIGTERM) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signum)

    def wait_exit(self, deadline: float = STOP_DEADLINE) -> int:
        """Wait for the process to exit; its return code (fails if it does not)."""
        assert self.process is not None
        try:
            return self.process.wait(deadline)
        except subprocess.TimeoutExpired:
            raise ServerError(
                f"the server did not exit within {deadline:g} s: {self.describe()}"
            ) from None

    def stop(self, signum: int = signal.SIGTERM) -> int | None:
        """SIGTERM, wait, then SIGKILL the whole process group (workers too)."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            self.send_signal(signum)
            try:
                process.wait(STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # stragglers: forked workers
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        return process.returncode


class Launcher:
    """Starts servers for one test (or a session) and stops them all at the end."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.servers: list[ServerProc] = []
        prepare_state(state)

    def start(self, name: str, *, wait: bool = True, **env: str) -> ServerProc:
        server = ServerProc(SPECS[name], self.state, server_env(self.state, **env))
        self.servers.append(server)
        return server.start(wait=wait)

    def close(self) -> None:
        for server in self.servers:
            server.stop()


class ServerPool(Launcher):
    """One long-lived server per kind, started on first use (per xdist worker)."""

    def __init__(self, state: Path) -> None:
        super().__init__(state)
        self.by_name: dict[str, ServerProc] = {}

    def get(self, name: str) -> ServerProc:
        server = self.by_name.get(name)
        if server is None:
            server = self.by_name[name] = self.start(name)
        elif not server.alive():
            raise ServerError(f"a shared server died: {server.describe()}")
        return server
