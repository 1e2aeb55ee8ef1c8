"""Fixtures for the blog's end-to-end tests (helpers live in _blog_e2e.py)."""

from __future__ import annotations

import datetime
import os
import secrets
import urllib.parse
from pathlib import Path

import pytest

# -- databases ---------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None for the blog's default (SQLite in the instance folder), or the URL
    of a new, empty PostgreSQL database."""
    if request.param == "sqlite":
        return None
    server_url = request.getfixturevalue("postgres_url")
    return fresh_postgres_database(server_url)


def fresh_postgres_database(server_url: str) -> str:
    import psycopg

    parts = urllib.parse.urlsplit(server_url)
    name = "blog_" + secrets.token_hex(6)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port,
        user=parts.username,
        dbname=parts.path.lstrip("/"),
        autocommit=True,
        connect_timeout=10,
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


# -- artefacts ---------------------------------------------------------------


def _run_folder() -> Path:
    """One folder per test run, shared by the xdist workers."""
    configured = os.environ.get("KOLBA_ARTIFACTS")
    if configured:
        return Path(configured)
    base = Path("/tmp/kolba-artifacts")
    base.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    uid = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not uid:
        return base / f"{stamp}-{os.getpid()}"
    # The first worker names the folder; the others read its choice.
    marker = base / f".run-{uid}"
    draft = base / f".run-{uid}.{os.getpid()}"
    draft.write_text(f"{stamp}-{uid[:8]}")
    try:
        os.link(draft, marker)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return base / marker.read_text()


@pytest.fixture(scope="session")
def artifacts_root() -> Path:
    folder = _run_folder()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def artifacts(artifacts_root: Path, request: pytest.FixtureRequest) -> Path:
    """This test's screenshot folder, inside the run's artefacts folder."""
    name = request.node.name.replace("[", "-").replace("]", "").replace("/", "_")
    folder = artifacts_root / name
    folder.mkdir(parents=True, exist_ok=True)
    print(f"artifacts: {folder}")
    return folder
