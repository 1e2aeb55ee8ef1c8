"""Fixtures: real servers over loopback, with their output on failure."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from _procs import (
    ALL_SERVERS,
    ASGI_SERVERS,
    WSGI_SERVERS,
    Launcher,
    ServerPool,
    ServerProc,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "heavy: many connections against one real server (runs in the normal "
        "suite; deselect with -m 'not heavy')",
    )


@pytest.fixture(scope="session")
def server_pool(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[ServerPool]:
    """Shared servers, one per kind, for tests that do not need a fresh one."""
    pool = ServerPool(tmp_path_factory.mktemp("shared-servers"))
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(params=ALL_SERVERS)
def http_server(request: pytest.FixtureRequest, server_pool: ServerPool) -> ServerProc:
    """Every server, WSGI and ASGI (shared instance)."""
    return server_pool.get(request.param)


@pytest.fixture(params=ASGI_SERVERS)
def asgi_server(request: pytest.FixtureRequest, server_pool: ServerPool) -> ServerProc:
    """The ASGI servers (shared instance)."""
    return server_pool.get(request.param)


@pytest.fixture(params=WSGI_SERVERS)
def wsgi_server(request: pytest.FixtureRequest, server_pool: ServerPool) -> ServerProc:
    """The WSGI servers (shared instance)."""
    return server_pool.get(request.param)


@pytest.fixture
def launcher(tmp_path: Path) -> t.Iterator[Launcher]:
    """Fresh servers for one test (lifespan, load); all stopped at its end."""
    launcher = Launcher(tmp_path / "state")
    try:
        yield launcher
    finally:
        launcher.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> t.Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the output of the servers a failing test used to its report."""
    report = yield
    if report.failed:
        servers: list[ServerProc] = []
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, ServerProc):
                servers.append(value)
            elif isinstance(value, Launcher) and not isinstance(value, ServerPool):
                servers.extend(value.servers)
        for server in servers:
            text = server.output()
            if len(text) > 20000:
                text = "[… earlier output cut …]\n" + text[-20000:]
            report.sections.append(
                (f"server output: {server.name} port {server.port}", text)
            )
    return report
