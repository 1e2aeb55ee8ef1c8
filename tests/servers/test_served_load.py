"""Many connections against one uvicorn worker: idle WebSockets, slow clients.

Each test starts its own uvicorn (``app.asgi_app``); every loop is bounded in
count and in time.
"""

from __future__ import annotations

import asyncio
import json
import resource
import typing as t

import httpx
import pytest
from _procs import Launcher, ServerProc
from websockets.asyncio.client import ClientConnection, connect
from websockets.protocol import State

pytestmark = pytest.mark.heavy

IDLE_WEBSOCKETS = 1000
OPEN_CONCURRENCY = 50
SLOW_CLIENTS = 100
TEST_DEADLINE = 120.0  # the whole asyncio part of a test; it normally takes seconds


def ensure_fd_limit(needed: int) -> None:
    """Raise the soft open-file limit to ``needed`` (inherited by the server)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(
                f"needs {needed} open files; the hard limit is {hard} "
                "(raise it with ulimit -Hn)"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def test_thousand_idle_websockets_on_one_worker(launcher: Launcher) -> None:
    ensure_fd_limit(IDLE_WEBSOCKETS * 2 + 512)  # the client's and the server's
    server = launcher.start("uvicorn-asgi_app")

    async def scenario() -> None:
        limit = asyncio.Semaphore(OPEN_CONCURRENCY)
        connections: list[ClientConnection] = []

        async def open_one(i: int) -> ClientConnection:
            async with limit:
                ws = await connect(
                    f"{server.ws_url}/ws/echo?n={i}", open_timeout=60, close_timeout=10
                )
                hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
                assert hello["args"] == {"n": [str(i)]}
                connections.append(ws)
                return ws

        try:
            opened = await asyncio.gather(
                *(open_one(i) for i in range(IDLE_WEBSOCKETS))
            )
            assert len(opened) == IDLE_WEBSOCKETS
            # One more connection still gets a working echo.
            async with connect(f"{server.ws_url}/ws/echo", open_timeout=60) as extra:
                await asyncio.wait_for(extra.recv(), 60)
                await extra.send("one more")
                assert await asyncio.wait_for(extra.recv(), 60) == "one more"
            # And every idle one is still open, and still answers.
            assert all(ws.state is State.OPEN for ws in opened)

            async def echo(i: int, ws: ClientConnection) -> str | bytes:
                async with limit:
                    await ws.send(f"still {i}")
                    return await asyncio.wait_for(ws.recv(), 60)

            replies = await asyncio.gather(
                *(echo(i, ws) for i, ws in enumerate(opened))
            )
            assert replies == [f"still {i}" for i in range(IDLE_WEBSOCKETS)]
        finally:

            async def close(ws: ClientConnection) -> None:
                async with limit:
                    await ws.close()

            await asyncio.gather(
                *(close(ws) for ws in connections), return_exceptions=True
            )

    asyncio.run(asyncio.wait_for(scenario(), TEST_DEADLINE))
    assert server.alive(), server.describe()
    assert "Traceback" not in server.output(), server.describe()


# -- slow clients -----------------------------------------------------------------


class SlowClient:
    """A TCP connection that sends its request a few bytes at a time."""

    def __init__(self, port: int, head: bytes, trickle: t.Callable[[int], bytes]):
        self.port = port
        self.head = head
        self.trickle = trickle
        self.writer: asyncio.StreamWriter | None = None
        self.reader: asyncio.StreamReader | None = None
        self.sent = 0

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", self.port), 60
        )
        self.writer.write(self.head)
        await self.writer.drain()

    async def dribble(self, stop: asyncio.Event, interval: float = 0.25) -> None:
        """Send one more piece every ``interval`` until ``stop`` (bounded)."""
        assert self.writer is not None
        for step in range(int(TEST_DEADLINE / interval)):
            if stop.is_set():
                return
            self.writer.write(self.trickle(step))
            await self.writer.drain()
            self.sent += 1
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass

    def still_open(self) -> bool:
        """The server has not answered nor closed the connection."""
        assert self.reader is not None and self.writer is not None
        return not self.reader.at_eof() and not self.reader._buffer  # type: ignore[attr-defined]

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def header_trickler(port: int) -> SlowClient:
    # A request head that never ends: one more header line at a time.
    return SlowClient(
        port,
        b"GET /hello/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        lambda step: f"X-Slow-{step}: {'y' * 10}\r\n".encode(),
    )


def body_holder(port: int, path: str) -> SlowClient:
    # A complete head announcing a JSON body that arrives one byte at a time.
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\n"
        'Content-Length: 100000\r\n\r\n{"field": "'
    ).encode()
    return SlowClient(port, head, lambda step: b"x")


async def normal_traffic(server: ServerProc, timeout: float = 30.0) -> None:
    """Ordinary requests that must all succeed while the slow clients hang."""
    async with httpx.AsyncClient(
        base_url=server.url, timeout=httpx.Timeout(timeout)
    ) as http:
        for round_ in range(3):
            responses = await asyncio.gather(
                *(http.get("/ping", params={"i": i}) for i in range(10)),
                http.get("/sync"),
                http.get("/hello/7", params={"name": "normal"}),
                http.post("/form", data={"round": str(round_)}),
                http.post("/async-form", data={"round": str(round_)}),
            )
            assert [r.status_code for r in responses] == [200] * 14, [
                r.text for r in responses
            ]
            assert [r.text for r in responses[:10]] == [f"pong {i}" for i in range(10)]
            assert responses[11].json()["name"] == "normal"
            assert responses[12].json()["fields"] == {"round": [str(round_)]}
            assert responses[13].json()["fields"] == {"round": [str(round_)]}


async def with_slow_clients(
    server: ServerProc, clients: list[SlowClient], check: t.Awaitable[None]
) -> None:
    stop = asyncio.Event()
    limit = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def open_one(client: SlowClient) -> None:
        async with limit:
            await client.open()

    try:
        await asyncio.gather(*(open_one(c) for c in clients))
        dribblers = [asyncio.create_task(c.dribble(stop)) for c in clients]
        # Let each slow client send a few pieces first: they are really slow
        # now, not just connected (bounded by the test deadline).
        while min(c.sent for c in clients) < 2:
            await asyncio.sleep(0.05)
        await check
        assert sum(c.still_open() for c in clients) == len(clients), (
            "the server answered or closed a slow client mid-request"
        )
    finally:
        stop.set()
        for client in clients:
            client.close()
        if "dribblers" in locals():
            await asyncio.gather(*dribblers, return_exceptions=True)


def test_slow_clients_do_not_starve_normal_requests(launcher: Launcher) -> None:
    """Half trickle a request head, half hold the body of an async view."""
    ensure_fd_limit(SLOW_CLIENTS * 2 + 512)
    server = launcher.start("uvicorn-asgi_app")
    half = SLOW_CLIENTS // 2
    clients = [header_trickler(server.port) for _ in range(half)]
    clients += [body_holder(server.port, "/async-json") for _ in range(half)]
    asyncio.run(
        asyncio.wait_for(
            with_slow_clients(server, clients, normal_traffic(server)), TEST_DEADLINE
        )
    )
    assert server.alive(), server.describe()


def test_slow_bodies_of_sync_views_do_not_starve_sync_views(
    launcher: Launcher,
) -> None:
    ensure_fd_limit(SLOW_CLIENTS * 2 + 512)
    server = launcher.start("uvicorn-asgi_app")
    clients = [body_holder(server.port, "/json") for _ in range(SLOW_CLIENTS // 2)]
    asyncio.run(
        asyncio.wait_for(
            with_slow_clients(server, clients, normal_traffic(server, timeout=15)),
            TEST_DEADLINE,
        )
    )
