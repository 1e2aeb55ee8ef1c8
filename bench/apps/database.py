"""The database case's shared parts: the SQLite file, engine options and the floor.

The harness creates one SQLite file (``create_database``) before the apps are
built; Kolba's and Flask's apps map their ``Item`` model onto its ``item`` table
with the same ``ENGINE_OPTIONS``. ``baseline_runner`` times the same work with
no web framework at all (a session, ``session.get``, ``json.dumps``, close): the
floor each framework's overhead is measured against.
"""

from __future__ import annotations

import json
from pathlib import Path
from time import perf_counter

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import QueuePool

from .spec import DB_ITEM_ID, DB_ROWS, item_name, item_price

# Spelled out so neither extension's defaults decide the pool: SQLAlchemy's
# own default for a SQLite file, a QueuePool of 5 (one connection is used).
ENGINE_OPTIONS = {"poolclass": QueuePool, "pool_size": 5, "max_overflow": 10}


def create_database(path: Path) -> str:
    """Create the ``item`` table with ``DB_ROWS`` rows at ``path``; return its URL."""
    url = f"sqlite:///{path}"
    metadata = MetaData()
    table = Table(
        "item",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(80), unique=True, index=True, nullable=False),
        Column("price", Float, nullable=False),
    )
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            metadata.create_all(connection)
            connection.execute(
                table.insert(),
                [
                    {"id": i, "name": item_name(i), "price": item_price(i)}
                    for i in range(1, DB_ROWS + 1)
                ],
            )
    finally:
        engine.dispose()
    return url


class _Base(DeclarativeBase):
    pass


class _Item(_Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True, index=True)
    price: Mapped[float]


def baseline_runner(url: str):
    """Return ``(run, close)``: ``run(n)`` times n bare ORM reads rendered as JSON.

    Each iteration is what one request of the db case does, minus the web
    framework: open a session, ``session.get`` the row (a fresh identity map,
    so a real SELECT), ``json.dumps`` three fields to bytes, close the session
    (the connection goes back to the pool).
    """
    engine = create_engine(url, **ENGINE_OPTIONS)

    def run(n: int) -> float:
        dumps = json.dumps
        t0 = perf_counter()
        for _ in range(n):
            with Session(engine) as session:
                item = session.get(_Item, DB_ITEM_ID)
                dumps({"id": item.id, "name": item.name, "price": item.price}).encode()
        return perf_counter() - t0

    return run, engine.dispose
