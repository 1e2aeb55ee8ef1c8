"""Engine options per database: URL rewrites, pools, SQLite pragmas.

What :func:`apply_driver_defaults` changes (a user's explicit option wins
everywhere it says "default"):

- ``postgresql://`` and ``postgres://`` without a driver use psycopg 3
  (``postgresql+psycopg://``); a missing psycopg is an ImportError with the
  pip command, raised at ``init_app``, not at the first query.
- SQLite files with a relative path (``sqlite:///app.db``) live in the app's
  instance folder, which is created if missing.
- In-memory SQLite (``sqlite://``) gets one shared connection
  (``StaticPool``) usable from every thread, so every session sees the same
  database — otherwise each pooled connection would be a new, empty one.
- Every SQLite connection runs ``PRAGMA foreign_keys=ON`` (SQLite does not
  enforce foreign keys unless asked, per connection).
- Server databases default to ``pool_pre_ping=True``: a connection the
  server closed while idle is replaced instead of failing a request.
"""

from __future__ import annotations

import os
import typing as t

import sqlalchemy as sa
import sqlalchemy.event as sa_event
import sqlalchemy.pool as sa_pool

if t.TYPE_CHECKING:  # pragma: no cover
    from kolba import Kolba

__all__ = ["apply_driver_defaults", "create_engine"]


def _use_psycopg(url: sa.URL) -> sa.URL:
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"The database URL {url.render_as_string()!r} is PostgreSQL without a "
            "driver, which Kolba maps to psycopg 3 (postgresql+psycopg://), but "
            "psycopg is not installed. Install it with: "
            "pip install 'kolba[postgres]' (or name another driver in the URL, "
            "e.g. postgresql+pg8000://)."
        ) from exc
    return url.set(drivername="postgresql+psycopg")


def _is_sqlite_memory(url: sa.URL) -> bool:
    database = url.database or ""
    if database in ("", ":memory:"):
        return True
    uri_mode = str(url.query.get("uri", "")).lower() in ("true", "1")
    return uri_mode and (
        "mode=memory" in database
        or str(url.query.get("mode", "")) == "memory"
        or database.startswith("file::memory:")
    )


def apply_driver_defaults(app: Kolba, options: dict[str, t.Any]) -> None:
    """Rewrite ``options["url"]`` and add per-database defaults, in place."""
    url = sa.make_url(options["url"])
    if url.drivername in ("postgresql", "postgres"):
        url = _use_psycopg(url)
    if url.get_backend_name() == "sqlite":
        if _is_sqlite_memory(url):
            options.setdefault("poolclass", sa_pool.StaticPool)
            connect_args = options.setdefault("connect_args", {})
            connect_args.setdefault("check_same_thread", False)
        elif str(url.query.get("uri", "")).lower() not in ("true", "1"):
            database = url.database or ""
            if not os.path.isabs(database):
                os.makedirs(app.instance_path, exist_ok=True)
                url = url.set(database=os.path.join(app.instance_path, database))
    else:
        options.setdefault("pool_pre_ping", True)
    options["url"] = url


def _enable_sqlite_foreign_keys(dbapi_connection: t.Any, record: t.Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def create_engine(options: dict[str, t.Any]) -> sa.Engine:
    """Create the engine for prepared ``options`` (``url`` plus keywords)."""
    options = dict(options)
    url = options.pop("url")
    engine = sa.create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        sa_event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine
