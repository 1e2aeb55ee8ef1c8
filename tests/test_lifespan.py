"""Serving hooks and background tasks: the ASGI lifespan protocol in-process.

A :class:`Server` plays the server's part: it runs the app's ``lifespan``
scope as a task and serves ``http`` scopes on the same loop, as uvicorn does.
Waiting is on events with generous deadlines, never on fixed sleeps.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import typing as t

import pytest

from kolba import Kolba, current_app, g, has_request_context

DEADLINE = 60.0
Message = dict[str, t.Any]


class Server:
    """An in-process ASGI server for one app on the running loop."""

    def __init__(self, app: Kolba) -> None:
        self.app = app
        self.to_app: asyncio.Queue[Message] = asyncio.Queue()
        self.from_app: asyncio.Queue[Message] = asyncio.Queue()
        self.log: list[str] = []
        self.on_shutdown_delivered: t.Callable[[], None] | None = None
        self.task: asyncio.Task[None] | None = None

    async def _receive(self) -> Message:
        message = await self.to_app.get()
        if message["type"] == "lifespan.shutdown" and self.on_shutdown_delivered:
            asyncio.get_running_loop().call_soon(self.on_shutdown_delivered)
        return message

    async def _send(self, message: Message) -> None:
        self.log.append(message["type"])
        await self.from_app.put(message)

    async def startup(self) -> Message:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        self.task = asyncio.ensure_future(
            self.app.asgi_app(scope, self._receive, self._send)
        )
        await self.to_app.put({"type": "lifespan.startup"})
        return await asyncio.wait_for(self.from_app.get(), DEADLINE)

    async def shutdown(self) -> Message:
        await self.to_app.put({"type": "lifespan.shutdown"})
        message = await asyncio.wait_for(self.from_app.get(), DEADLINE)
        assert self.task is not None
        await asyncio.wait_for(self.task, DEADLINE)
        return message

    async def get(self, path: str) -> tuple[int, bytes]:
        sent: list[Message] = []
        done = asyncio.Event()
        incoming = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> Message:
            if incoming:
                return incoming.pop()
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                done.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"localhost")],
            "client": ("127.0.0.1", 5000),
            "server": ("localhost", 80),
            "extensions": {},
        }
        await asyncio.wait_for(self.app.asgi_app(scope, receive, send), DEADLINE)
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        body = b"".join(
            m.get("body", b"") for m in sent if m["type"] == "http.response.body"
        )
        return status, body


def run(coro: t.Awaitable[t.Any]) -> t.Any:
    return asyncio.run(asyncio.wait_for(coro, DEADLINE))  # type: ignore[arg-type]


class Signal(logging.Handler):
    """A logging handler that lets a thread wait for a record."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.arrived = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.arrived.set()


@pytest.fixture
def signal(app: Kolba) -> t.Iterator[Signal]:
    handler = Signal()
    app.logger.addHandler(handler)
    try:
        yield handler
    finally:
        app.logger.removeHandler(handler)


# -- serving hooks ---------------------------------------------------------------------


def test_startup_and_shutdown_run_all_hooks(app: Kolba) -> None:
    ran: list[str] = []

    @app.before_serving
    def sync_before() -> None:
        ran.append(f"sync before {current_app.name}")

    @app.before_serving
    async def async_before() -> None:
        await asyncio.sleep(0)
        ran.append(f"async before {current_app.name}")

    @app.while_serving
    async def outer_around() -> t.AsyncIterator[None]:
        ran.append("outer around: enter")
        yield
        ran.append("outer around: exit")

    @app.while_serving
    async def async_around() -> t.AsyncIterator[None]:
        ran.append("async around: enter")
        yield
        ran.append(f"async around: exit {current_app.name}")

    @app.after_serving
    def sync_after() -> None:
        ran.append("sync after")

    @app.after_serving
    async def async_after() -> None:
        ran.append(f"async after {current_app.name}")

    @app.get("/")
    def index() -> str:
        return "|".join(ran)

    async def main() -> tuple[Message, bytes, list[str], Message]:
        server = Server(app)
        started = await server.startup()
        at_start = list(ran)
        _, body = await server.get("/")
        stopped = await server.shutdown()
        return started, body, at_start, stopped

    started, body, at_start, stopped = run(main())
    assert started["type"] == "lifespan.startup.complete"
    assert stopped["type"] == "lifespan.shutdown.complete"
    name = app.name
    assert at_start == [
        f"sync before {name}",
        f"async before {name}",
        "outer around: enter",
        "async around: enter",
    ]
    # The first request did not start the hooks a second time.
    assert body.decode() == "|".join(at_start)
    after_start = ran[len(at_start) :]
    assert sorted(after_start) == sorted(
        [
            "async around: exit " + name,
            "outer around: exit",
            "sync after",
            f"async after {name}",
        ]
    )
    # while_serving generators finish in reverse order; after_serving in order.
    assert after_start.index(f"async around: exit {name}") < after_start.index(
        "outer around: exit"
    )
    assert after_start.index("sync after") < after_start.index(f"async after {name}")


def test_sync_while_serving_generator_finishes_at_shutdown(app: Kolba) -> None:
    ran: list[str] = []

    @app.while_serving
    def around() -> t.Iterator[None]:
        ran.append(f"enter {current_app.name}")
        yield
        ran.append("exit")

    async def main() -> str:
        loop = asyncio.get_running_loop()
        failure: asyncio.Future[str] = loop.create_future()

        def on_error(loop: t.Any, context: dict[str, t.Any]) -> None:
            # The hang shows itself as an error in a loop callback: stop
            # waiting then rather than after a deadline.
            if not failure.done():
                failure.set_result(f"loop error: {context.get('exception')!r}")

        loop.set_exception_handler(on_error)
        server = Server(app)
        assert (await server.startup())["type"] == "lifespan.startup.complete"
        shutdown = asyncio.ensure_future(server.shutdown())
        done, _ = await asyncio.wait(
            [shutdown, failure], return_when=asyncio.FIRST_COMPLETED
        )
        if shutdown in done:
            return str(shutdown.result()["type"])
        shutdown.cancel()
        assert server.task is not None
        server.task.cancel()
        await asyncio.gather(shutdown, server.task, return_exceptions=True)
        return failure.result()

    assert run(main()) == "lifespan.shutdown.complete"
    assert ran == [f"enter {app.name}", "exit"]


def test_startup_failure_reports_the_traceback(app: Kolba) -> None:
    @app.before_serving
    async def broken() -> None:
        raise RuntimeError("database unreachable")

    reached: list[str] = []
    app.before_serving(lambda: reached.append("later hook"))

    async def main() -> Message:
        server = Server(app)
        message = await server.startup()
        assert server.task is not None
        await asyncio.wait_for(server.task, DEADLINE)  # the lifespan ends
        return message

    message = run(main())
    assert message["type"] == "lifespan.startup.failed"
    assert "Traceback" in message["message"]
    assert "RuntimeError: database unreachable" in message["message"]
    assert "broken" in message["message"]
    assert reached == []


def test_sync_startup_failure_reports_the_traceback(app: Kolba) -> None:
    @app.while_serving
    def broken_generator() -> t.Iterator[None]:
        raise KeyError("no config")
        yield  # pragma: no cover

    message = run(Server(app).startup())
    assert message["type"] == "lifespan.startup.failed"
    assert "KeyError: 'no config'" in message["message"]


def test_shutdown_failure_is_reported(app: Kolba) -> None:
    ran: list[str] = []

    @app.after_serving
    def broken() -> None:
        raise ValueError("cannot close pool")

    @app.after_serving
    def still_runs() -> None:
        ran.append("second after_serving")

    async def main() -> Message:
        server = Server(app)
        assert (await server.startup())["type"] == "lifespan.startup.complete"
        return await server.shutdown()

    message = run(main())
    assert message["type"] == "lifespan.shutdown.failed"
    assert "ValueError: cannot close pool" in message["message"]
    assert ran == ["second after_serving"]


def test_while_serving_generator_yielding_twice_fails_shutdown(app: Kolba) -> None:
    @app.while_serving
    async def greedy() -> t.AsyncIterator[None]:
        yield
        yield

    async def main() -> Message:
        server = Server(app)
        await server.startup()
        return await server.shutdown()

    message = run(main())
    assert message["type"] == "lifespan.shutdown.failed"
    assert "exactly once" in message["message"]


def test_lifespan_without_hooks_completes(app: Kolba) -> None:
    async def main() -> tuple[Message, Message]:
        server = Server(app)
        return await server.startup(), await server.shutdown()

    started, stopped = run(main())
    assert started["type"] == "lifespan.startup.complete"
    assert stopped["type"] == "lifespan.shutdown.complete"


def test_hooks_start_once_with_concurrent_first_requests(app: Kolba) -> None:
    # No lifespan events: the first requests start the hooks, exactly once even
    # when several arrive together.
    ran: list[str] = []

    @app.before_serving
    async def start() -> None:
        ran.append("start")
        await asyncio.sleep(0)
        ran.append("ready")

    @app.get("/")
    async def index() -> str:
        return ",".join(ran)

    async def main() -> list[tuple[int, bytes]]:
        server = Server(app)
        return await asyncio.gather(*(server.get("/") for _ in range(5)))

    results = run(main())
    assert ran == ["start", "ready"]
    assert [status for status, _ in results] == [200] * 5


def test_concurrent_first_requests_wait_for_before_serving(app: Kolba) -> None:
    ran: list[str] = []

    async def main() -> list[tuple[int, bytes]]:
        gate = asyncio.Event()

        @app.before_serving
        async def slow_start() -> None:
            ran.append("start")
            await gate.wait()
            ran.append("ready")

        @app.get("/")
        async def index() -> str:
            return ",".join(ran)

        server = Server(app)
        requests = [asyncio.ensure_future(server.get("/")) for _ in range(5)]
        while not ran:  # the first request is inside the hook
            await asyncio.sleep(0)
        # Give the other requests many loop turns (no clock involved): served
        # early, they finish within a few; waiting, they stay pending.
        for _ in range(200):
            await asyncio.sleep(0)
        gate.set()
        return await asyncio.gather(*requests)

    results = run(main())
    assert [body for _, body in results] == [b"start,ready"] * 5


# -- background tasks under ASGI -------------------------------------------------------


def test_background_tasks_run_with_an_app_context(app: Kolba) -> None:
    results: dict[str, t.Any] = {}
    finished = asyncio.Event()

    async def async_job(x: int, *, y: int) -> None:
        await asyncio.sleep(0)
        results["async"] = (x + y, current_app.name, has_request_context())
        results["async loop"] = asyncio.get_running_loop()

    def sync_job(word: str) -> None:
        results["sync"] = (
            word,
            current_app.name,
            has_request_context(),
            threading.current_thread().name,
        )

    @app.get("/")
    async def index() -> str:
        g.request_only = True
        app.add_background_task(async_job, 1, y=2)
        app.add_background_task(sync_job, "hello")
        return "queued"

    async def main() -> asyncio.AbstractEventLoop:
        server = Server(app)
        await server.startup()
        status, body = await server.get("/")
        assert (status, body) == (200, b"queued")
        assert (await server.shutdown())["type"] == "lifespan.shutdown.complete"
        finished.set()
        return asyncio.get_running_loop()

    loop = run(main())
    assert results["async"][:2] == (3, app.name)
    assert results["async loop"] is loop
    word, name, _, thread_name = results["sync"]
    assert (word, name) == ("hello", app.name)
    assert thread_name.startswith("kolba-sync")


def test_background_tasks_see_no_request_context(app: Kolba) -> None:
    seen: dict[str, bool] = {}

    async def async_job() -> None:
        seen["async"] = has_request_context()

    def sync_job() -> None:
        seen["sync"] = has_request_context()

    @app.get("/")
    async def index() -> str:
        app.add_background_task(async_job)
        app.add_background_task(sync_job)
        return "ok"

    async def main() -> None:
        server = Server(app)
        await server.startup()
        await server.get("/")
        await server.shutdown()

    run(main())
    assert seen == {"async": False, "sync": False}


def test_shutdown_waits_for_background_tasks(app: Kolba) -> None:
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = DEADLINE
    order: list[str] = []

    async def main() -> None:
        gate = asyncio.Event()

        async def job() -> None:
            await gate.wait()  # released only once shutdown has begun
            await asyncio.sleep(0)
            order.append("task finished")

        @app.get("/")
        async def index() -> str:
            app.add_background_task(job)
            return "ok"

        server = Server(app)
        server.on_shutdown_delivered = gate.set
        await server.startup()
        await server.get("/")
        message = await server.shutdown()
        order.append(message["type"])

    run(main())
    assert order == ["task finished", "lifespan.shutdown.complete"]


def test_shutdown_waits_for_sync_background_tasks(app: Kolba) -> None:
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = DEADLINE
    order: list[str] = []
    gate = threading.Event()

    def job() -> None:
        assert gate.wait(DEADLINE)
        order.append("task finished")

    @app.get("/")
    def index() -> str:
        app.add_background_task(job)
        return "ok"

    async def main() -> None:
        server = Server(app)
        server.on_shutdown_delivered = gate.set
        await server.startup()
        await server.get("/")
        order.append((await server.shutdown())["type"])

    try:
        run(main())
    finally:
        gate.set()
    assert order == ["task finished", "lifespan.shutdown.complete"]


def test_shutdown_cancels_tasks_after_the_grace_period(
    app: Kolba, caplog: pytest.LogCaptureFixture
) -> None:
    # The task never finishes by itself; a short grace period ends the wait.
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0.05
    outcome: list[str] = []

    async def main() -> Message:
        cancelled = asyncio.Event()

        async def forever() -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                outcome.append("cancelled")
                cancelled.set()
                raise

        @app.get("/")
        async def index() -> str:
            app.add_background_task(forever)
            return "ok"

        server = Server(app)
        await server.startup()
        await server.get("/")
        message = await server.shutdown()
        await asyncio.wait_for(cancelled.wait(), DEADLINE)
        return message

    with caplog.at_level(logging.WARNING):
        message = run(main())
    assert message["type"] == "lifespan.shutdown.complete"
    assert outcome == ["cancelled"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert "1 background task(s)" in text
    assert "BACKGROUND_TASK_SHUTDOWN_TIMEOUT" in text


def test_background_task_exception_is_logged(
    app: Kolba, caplog: pytest.LogCaptureFixture
) -> None:
    async def failing() -> None:
        raise ValueError("task went wrong")

    def failing_sync() -> None:
        raise KeyError("sync task went wrong")

    @app.get("/")
    async def index() -> str:
        app.add_background_task(failing)
        app.add_background_task(failing_sync)
        return "fine"

    async def main() -> tuple[int, Message]:
        server = Server(app)
        await server.startup()
        status, _ = await server.get("/")
        return status, await server.shutdown()

    with caplog.at_level(logging.ERROR):
        status, message = run(main())
    assert status == 200  # the response is not affected
    assert message["type"] == "lifespan.shutdown.complete"
    errors = {
        r.exc_info[0]
        for r in caplog.records
        if r.levelno == logging.ERROR and r.exc_info and "Background task" in r.msg
    }
    assert errors == {ValueError, KeyError}


# -- background tasks under WSGI ------------------------------------------------------


def test_background_task_under_wsgi(app: Kolba) -> None:
    done = threading.Event()
    results: dict[str, t.Any] = {}

    def job(value: str) -> None:
        results["sync"] = (
            value,
            current_app.name,
            has_request_context(),
            threading.current_thread().name,
        )
        done.set()

    @app.get("/")
    def index() -> str:
        app.add_background_task(job, "v")
        return "ok"

    assert app.test_client(asgi=False).get("/").text == "ok"
    assert done.wait(DEADLINE)
    value, name, in_request, thread_name = results["sync"]
    assert (value, name, in_request) == ("v", app.name, False)
    assert thread_name.startswith("kolba-background")


def test_async_background_task_under_wsgi(app: Kolba) -> None:
    done = threading.Event()
    results: dict[str, t.Any] = {}

    async def job() -> None:
        await asyncio.sleep(0)
        results["name"] = current_app.name
        done.set()

    @app.get("/")
    async def index() -> str:
        app.add_background_task(job)
        return "ok"

    assert app.test_client(asgi=False).get("/").text == "ok"
    assert done.wait(DEADLINE)
    assert results["name"] == app.name


def test_background_task_exception_is_logged_under_wsgi(
    app: Kolba, signal: Signal
) -> None:
    def failing() -> None:
        raise ValueError("wsgi task went wrong")

    @app.get("/")
    def index() -> str:
        app.add_background_task(failing)
        return "ok"

    assert app.test_client(asgi=False).get("/").status_code == 200
    assert signal.arrived.wait(DEADLINE)
    record = signal.records[0]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and record.exc_info[0] is ValueError
    assert "Background task" in record.getMessage()


def test_background_task_completes_after_a_test_client_asgi_request(
    app: Kolba,
) -> None:
    release = threading.Event()
    done = threading.Event()

    async def job() -> None:
        # Waits for something outside the loop (as real tasks do: I/O).
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, release.wait, DEADLINE)
        done.set()

    @app.get("/")
    async def index() -> str:
        app.add_background_task(job)
        return "ok"

    try:
        assert app.test_client(asgi=True).get("/").text == "ok"
        release.set()
        # A short wait for the failing case: a fixed client would finish at once.
        assert done.wait(5.0)
    finally:
        release.set()
