"""Serving hooks and background tasks over real servers (ASGI lifespan).

Each test starts its own server (a fresh process, a fresh state folder) and
stops it with SIGTERM, as a process manager would.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx
import pytest
from _procs import ASGI_SERVERS, Launcher, ServerProc

DEADLINE = 60.0

# uvicorn (0.29+) re-raises the signal it handled once it has shut down, so a
# clean stop on SIGTERM ends with -SIGTERM; the others exit with 0.
CLEAN_EXIT = (0, -signal.SIGTERM)


def wait_for_file(path: Path, server: ServerProc, deadline: float = DEADLINE) -> str:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if path.exists():
            return path.read_text()
        if not server.alive():
            break
        time.sleep(0.05)
    raise AssertionError(f"{path.name} never appeared: {server.describe()}")


@pytest.mark.parametrize("name", ASGI_SERVERS)
def test_serving_hooks_run_before_the_first_request(
    launcher: Launcher, name: str
) -> None:
    server = launcher.start(name, wait=False)
    # Lifespan startup runs as the server starts, before any request: the
    # hook's marker appears while no request has been sent.
    end = time.monotonic() + DEADLINE
    while not list(launcher.state.glob("before_serving-*")):
        assert server.alive(), server.describe()
        assert time.monotonic() < end, server.describe()
        time.sleep(0.05)
    info = json.loads(server.wait_ready(path="/serving-log"))
    assert info["log"] == ["before_serving", "while_serving:enter"]
    marker = launcher.state / f"before_serving-{info['pid']}"
    assert marker.read_text() == "before_serving ran"


@pytest.mark.parametrize("name", [*ASGI_SERVERS, "gunicorn-sync"])
def test_after_serving_runs_at_shutdown(launcher: Launcher, name: str) -> None:
    server = launcher.start(name)
    info = httpx.get(server.url + "/serving-log", timeout=30).json()
    # (Under gunicorn the hooks start with the first request, not at boot.)
    assert info["log"] == ["before_serving", "while_serving:enter"]
    worker_pid = info["pid"]
    after = launcher.state / f"after_serving-{worker_pid}"
    leave = launcher.state / f"while_serving-exit-{worker_pid}"
    assert not after.exists()
    assert not leave.exists()
    server.send_signal(signal.SIGTERM)
    assert server.wait_exit(DEADLINE) in CLEAN_EXIT, server.describe()
    assert after.read_text() == "after_serving ran", server.describe()
    assert leave.read_text() == "exited"


@pytest.mark.parametrize("name", ["uvicorn-asgi_app", "uvicorn-app", "granian"])
def test_failing_before_serving_stops_the_server(launcher: Launcher, name: str) -> None:
    server = launcher.start(name, wait=False, KOLBA_SERVERS_FAIL_STARTUP="1")
    code = server.wait_exit(DEADLINE)
    output = server.output()
    assert code != 0, output
    assert "RuntimeError: before_serving refused to start" in output
    assert "KOLBA-STARTUP-FAILURE" in output


def test_failing_before_serving_stops_hypercorn(launcher: Launcher) -> None:
    """hypercorn stops with the error, but (0.18) exits with status 0."""
    server = launcher.start("hypercorn", wait=False, KOLBA_SERVERS_FAIL_STARTUP="1")
    server.wait_exit(DEADLINE)
    output = server.output()
    assert "LifespanFailureError" in output
    assert "KOLBA-STARTUP-FAILURE" in output


@pytest.mark.parametrize("name", ASGI_SERVERS)
def test_background_task_finishes_before_exit(launcher: Launcher, name: str) -> None:
    server = launcher.start(name)
    response = httpx.get(server.url + "/background/job", timeout=30)
    assert (response.status_code, response.text) == (200, "scheduled")
    state = launcher.state
    wait_for_file(state / "job.task-started", server)
    # The task waits until shutdown has begun (after_serving ran), then
    # writes its marker: it can only finish if the server waits for it.
    assert not (state / "job.task-done").exists()
    server.send_signal(signal.SIGTERM)
    assert server.wait_exit(DEADLINE) in CLEAN_EXIT, server.describe()
    assert (state / "job.task-done").read_text() == "after shutdown began", (
        server.describe()
    )
