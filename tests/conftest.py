"""Shared fixtures: an app, its test client and CLI runner; a context-leak check."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import typing as t

import pytest
from hypothesis import settings

from kolba import Kolba
from kolba.globals import _cv_app, _cv_request
from kolba.testing import KolbaClient, KolbaCliRunner

# Timing deadlines make property tests flaky on a loaded 2-core CI machine;
# correctness, not speed, is what they check (speed lives in bench/).
settings.register_profile("kolba", deadline=None)
settings.load_profile("kolba")


# -- every HTTP behaviour test over both front ends -------------------------------
#
# Tests in these places run twice, as test[wsgi] and test[asgi]: the autouse
# fixture below makes every KolbaClient created during the test send its
# requests through the WSGI callable or through app.asgi_app. Pure layers
# (sansio, routing), type checks, the layer map and tests that start real
# processes run once.
_ONE_FRONT_END = (
    "tests/sansio/",
    "tests/routing/",
    "tests/type_check/",
    "tests/servers/",
    "tests/blog_e2e/",
    "tests/test_layers.py",
    "tests/test_serving.py",
    "tests/test_cli.py",
    "tests/test_exports.py",
    "tests/test_signing.py",
    "tests/test_config.py",
    "tests/test_utils.py",
    "tests/test_debug.py",
    "tests/ext/test_migrate.py",
    # ASGI by nature (or both front ends chosen explicitly per test):
    "tests/test_asgi.py",
    "tests/test_websocket.py",
    "tests/test_lifespan.py",
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "_front_end" not in metafunc.fixturenames:
        return
    path = str(metafunc.definition.path).replace(os.sep, "/")
    if any(f"/{part}" in path or path.endswith(part) for part in _ONE_FRONT_END):
        return
    metafunc.parametrize("_front_end", ["wsgi", "asgi"], indirect=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "wsgi_only(reason): the behaviour exists only on the WSGI front end "
        "(say why); the [asgi] run is skipped",
    )


@pytest.fixture(autouse=True)
def _front_end(request: pytest.FixtureRequest) -> t.Iterator[str]:
    mode = getattr(request, "param", "wsgi")
    if mode == "asgi":
        marker = request.node.get_closest_marker("wsgi_only")
        if marker is not None:
            pytest.skip(f"WSGI only: {marker.args[0] if marker.args else ''}")
    KolbaClient.default_asgi = mode == "asgi"
    try:
        yield mode
    finally:
        KolbaClient.default_asgi = False


@pytest.fixture
def app() -> Kolba:
    app = Kolba("kolba_test_app", root_path="/nonexistent-kolba-test-root")
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture
def client(app: Kolba) -> KolbaClient:
    return app.test_client()


@pytest.fixture
def runner(app: Kolba) -> KolbaCliRunner:
    return app.test_cli_runner()


@pytest.fixture(autouse=True)
def _leak_detector() -> t.Iterator[None]:
    yield
    leaks = []
    while _cv_request.get(None) is not None:
        ctx = _cv_request.get()
        leaks.append(ctx)
        ctx.pop()
    while _cv_app.get(None) is not None:
        app_ctx = _cv_app.get()
        leaks.append(app_ctx)
        app_ctx.pop()
    assert not leaks, f"contexts left pushed by the test: {leaks}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_server() -> t.Iterator[str]:
    """A throwaway ``redis-server`` on 127.0.0.1 (no persistence); its URL.

    Each xdist worker starts its own. Skips only if ``redis-server`` is not
    installed (``scripts/system-deps.sh`` installs it).
    """
    executable = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(executable, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; scripts/system-deps.sh does it")
        pytest.skip("redis-server is not installed; run scripts/system-deps.sh")
    port = _free_port()
    with tempfile.TemporaryDirectory() as workdir:
        process = subprocess.Popen(
            [
                executable,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", workdir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"redis-server did not start on port {port}"
                        ) from None
                    time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def postgres_url() -> t.Iterator[str]:
    """A SQLAlchemy URL of a throwaway PostgreSQL database (one cluster per worker).

    ``scripts/system-deps.sh`` installs PostgreSQL; in CI a missing server is
    a failure, elsewhere the PostgreSQL tests are skipped with the reason.
    """
    from _postgres import find_bindir, postgres_cluster

    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail(
                "PostgreSQL is not installed; scripts/system-deps.sh installs it"
            )
        pytest.skip("PostgreSQL is not installed; run scripts/system-deps.sh")
    with postgres_cluster(bindir) as url:
        yield url
