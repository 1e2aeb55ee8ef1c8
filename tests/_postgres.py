"""A throwaway PostgreSQL cluster for the tests: initdb, start, stop, delete.

Each pytest(-xdist) worker starts its own cluster under a temporary folder,
listening on 127.0.0.1 and a free port, with durability switched off (the data
is thrown away anyway). As root, the server runs as the ``postgres`` user,
because PostgreSQL refuses to run as root. No pre-existing server is needed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import typing as t


def find_bindir() -> str | None:
    """The newest PostgreSQL ``bin`` folder holding ``initdb``, if any."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0,
    )
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@contextlib.contextmanager
def postgres_cluster(bindir: str, database: str = "kolba_test") -> t.Iterator[str]:
    """Run a cluster for the duration of the block; yield a SQLAlchemy URL."""
    root = tempfile.mkdtemp(prefix="kolba-pg-")
    data = os.path.join(root, "data")
    sockets = os.path.join(root, "sock")
    os.makedirs(sockets)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(sockets, "postgres", "postgres")
    port = _free_port()
    process: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            _as_server_user(
                [
                    os.path.join(bindir, "initdb"),
                    "-D", data,
                    "-U", "kolba",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )  # fmt: skip
        process = subprocess.Popen(
            _as_server_user(
                [
                    os.path.join(bindir, "postgres"),
                    "-D", data,
                    "-p", str(port),
                    "-h", "127.0.0.1",
                    "-k", sockets,
                    "-c", "fsync=off",
                    "-c", "synchronous_commit=off",
                    "-c", "full_page_writes=off",
                    "-c", "max_connections=100",
                ]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(
                    host="127.0.0.1", port=port, user="kolba", dbname="postgres",
                    autocommit=True, connect_timeout=2,
                ) as conn:  # fmt: skip
                    conn.execute(f'CREATE DATABASE "{database}"')
                break
            except psycopg.OperationalError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL did not start on 127.0.0.1:{port}"
                    ) from None
                time.sleep(0.1)
        yield f"postgresql+psycopg://kolba@127.0.0.1:{port}/{database}"
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)
