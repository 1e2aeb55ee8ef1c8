"""Shared fixtures: an app, its test client and CLI runner; a context-leak check."""

from __future__ import annotations

import typing as t

import pytest

from kolba import Kolba
from kolba.globals import _cv_app, _cv_request
from kolba.testing import KolbaClient, KolbaCliRunner


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
