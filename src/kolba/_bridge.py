"""Where user code runs: sync and async code under WSGI and ASGI, one pipeline.

How this file works: the request pipeline (:meth:`kolba.Kolba.handle_request`)
is ordinary synchronous code, written once. What differs between the front
ends is only *where* it runs and how it waits:

- **WSGI** — the pipeline runs in the server's thread. A sync view is called
  directly; an ``async def`` view or hook runs on an event loop kept per
  thread (created once and reused, never one loop per call).
- **ASGI, async view** — the pipeline runs in a *bridge greenlet* on the
  server's event-loop thread (:func:`run_in_greenlet`). When it must wait (an
  ``async def`` view or hook, reading the body from ``receive()``), the
  greenlet hands the awaitable to the task that started it, which awaits it on
  the loop and switches back with the result: async code runs on the server's
  loop, with no thread hop and no new loop. An ``async def`` function met
  inside the greenlet is driven step by step *in* the greenlet
  (:func:`run_coroutine`), each suspension relayed to the task, so even inside
  an async view a plain ``request.form`` can read the body. Sync hooks met on
  this path run in the thread pool, so a blocking hook never stalls the loop.
- **ASGI, sync view** — the whole pipeline runs in one thread of a bounded
  pool (:func:`run_in_thread`), with the contexts copied; an ``async def``
  hook met there is scheduled on the server's loop and waited for.

Greenlets are the same tool SQLAlchemy's asyncio layer uses for the same
problem (sync code that must wait on an event loop). Worker greenlets are
pooled: creating one costs several microseconds, switching costs one.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor

from greenlet import GreenletExit, getcurrent, greenlet

__all__ = [
    "await_only",
    "call_blocking",
    "in_event_loop_thread",
    "run_coroutine",
    "run_in_greenlet",
    "run_in_thread",
]

_T = t.TypeVar("_T")


class _Local(threading.local):
    #: The server's loop, set in pool threads that run ASGI work.
    server_loop: asyncio.AbstractEventLoop | None = None
    #: This thread's own loop, for async code met under WSGI.
    own_loop: asyncio.AbstractEventLoop | None = None
    holder: t.Any = None
    #: Idle bridge greenlets of this thread.
    idle: list[t.Any] | None = None


_local = _Local()


# -- bridge greenlets --------------------------------------------------------


class _Done:
    """The value a worker greenlet switches out with when its job ended."""

    __slots__ = ("ok", "value")

    def __init__(self, ok: bool, value: t.Any) -> None:
        self.ok = ok
        self.value = value


class _Relay:
    """Yield one value to the running task and return what it sends back.

    ``value`` is what a coroutine yielded (an asyncio future, or ``None`` for
    a bare yield); the task treats it as if the coroutine had yielded it.
    """

    __slots__ = ("value",)

    def __init__(self, value: t.Any) -> None:
        self.value = value

    def __await__(self) -> t.Generator[t.Any, t.Any, t.Any]:
        return (yield self.value)


class _Bridge(greenlet):  # type: ignore[misc]  # greenlet has no type stubs for subclassing
    """A pooled worker greenlet that runs pipeline jobs on the loop thread."""


def _bridge_main(func: t.Callable[..., t.Any], args: tuple[t.Any, ...]) -> t.Any:
    while True:
        try:
            done = _Done(True, func(*args))
        except GreenletExit:  # the pool dropped this worker
            raise
        except BaseException as exc:  # handed to the awaiting task
            done = _Done(False, exc)
        func = args = None  # type: ignore[assignment]  # drop references between jobs
        func, args = getcurrent().parent.switch(done)


_MAX_IDLE = 256


async def run_in_greenlet(
    func: t.Callable[..., _T],
    *args: t.Any,
    context: contextvars.Context | None = None,
) -> _T:
    """Run ``func(*args)`` in a bridge greenlet on this loop; await its waits.

    ``func`` runs in ``context`` (default: a copy of the caller's, so ASGI
    middleware's context variables are visible); what it sets stays there.
    """
    # Greenlets belong to a thread: each loop thread keeps its own idle pool.
    idle = _local.idle
    if idle is None:
        idle = _local.idle = []
    worker = idle.pop() if idle else _Bridge(_bridge_main)
    worker.parent = getcurrent()
    worker.gr_context = context if context is not None else contextvars.copy_context()
    global _active
    _active += 1
    try:
        value = worker.switch(func, args)
        while type(value) is not _Done:
            try:
                result = await value
            except BaseException as exc:
                value = worker.throw(exc)
            else:
                value = worker.switch(result)
    finally:
        _active -= 1
    worker.gr_context = None
    if len(idle) < _MAX_IDLE:
        idle.append(worker)
    if value.ok:
        return t.cast(_T, value.value)
    raise value.value


#: How many bridge greenlets are running jobs in this process. PERF: while it
#: is zero (always, under WSGI) nothing needs to ask greenlet where it runs.
_active = 0


def _in_bridge() -> bool:
    return _active > 0 and type(getcurrent()) is _Bridge


def server_loop() -> asyncio.AbstractEventLoop | None:
    """The ASGI server's loop, seen from its thread or a pool thread; else None.

    A thread's own loop (async code under WSGI) is not a server loop: work
    scheduled there would never run once the call returns.
    """
    loop = _local.server_loop
    if loop is not None:
        return loop
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return None if loop is _local.own_loop else loop


def in_event_loop_thread() -> bool:
    """Whether code runs on a loop's thread, where blocking would stall it."""
    if _in_bridge():
        return True
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# -- waiting from sync code --------------------------------------------------


def await_only(awaitable: t.Awaitable[_T]) -> _T:
    """Wait for ``awaitable`` from synchronous code, wherever that runs.

    In a bridge greenlet the awaiting task awaits it on the loop; in a pool
    thread of the ASGI front end it is scheduled on the server's loop; in a
    plain thread (WSGI) it runs on this thread's own loop.
    """
    if _in_bridge():
        return t.cast(_T, getcurrent().parent.switch(awaitable))
    loop = _local.server_loop
    if loop is not None:
        return asyncio.run_coroutine_threadsafe(_as_coroutine(awaitable), loop).result()
    return _own_loop().run_until_complete(awaitable)


async def _as_coroutine(awaitable: t.Awaitable[_T]) -> _T:
    return await awaitable


def run_coroutine(coro: t.Coroutine[t.Any, t.Any, _T]) -> _T:
    """Run a coroutine to its end from synchronous code.

    In a bridge greenlet it is driven here, step by step, each suspension
    handed to the task on the loop — so the coroutine runs on the server's
    loop *and* inside the greenlet (sync helpers it calls can still wait).
    Elsewhere it goes through :func:`await_only`.
    """
    current = getcurrent() if _active else None
    if type(current) is not _Bridge:
        if _local.server_loop is None:
            # WSGI: drive it in a bridge greenlet that shares this thread's
            # context, on this thread's own loop — so what the coroutine sets
            # (stream_with_context pushing contexts) is seen after it.
            context = getcurrent().gr_context
            if context is not None:
                return t.cast(
                    _T,
                    _own_loop().run_until_complete(
                        run_in_greenlet(run_coroutine, coro, context=context)
                    ),
                )
        return await_only(coro)
    parent = current.parent
    send: t.Any = None
    error: BaseException | None = None
    while True:
        try:
            if error is None:
                yielded = coro.send(send)
            else:
                exc, error = error, None
                yielded = coro.throw(exc)
        except StopIteration as stop:
            return t.cast(_T, stop.value)
        try:
            send = parent.switch(_Relay(yielded))
        except BaseException as exc:  # cancellation and the like go in
            send = None
            error = exc


class _LoopHolder:
    """Owns a thread's own loop and closes it when the thread ends."""

    __slots__ = ("loop",)

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        loop = self.loop
        if not loop.is_closed() and not loop.is_running():
            loop.close()


def run_as_task(coro: t.Coroutine[t.Any, t.Any, _T]) -> _T:
    """Run a long-lived coroutine as a task on the loop, in the caller's context.

    From a bridge greenlet the coroutine gets a task of its own that runs in
    the greenlet's context (what it sets is seen by the pipeline after it),
    and the greenlet waits for it: each of its suspensions costs the loop
    nothing extra. Elsewhere it is :func:`run_coroutine`.
    """
    current = getcurrent() if _active else None
    if type(current) is not _Bridge:
        return run_coroutine(coro)
    context = current.gr_context
    loop = asyncio.get_running_loop()
    task = loop.create_task(coro, context=context)
    try:
        return await_only(task)
    except BaseException:
        task.cancel()  # the pipeline is being torn down: stop the handler too
        raise


def _own_loop() -> asyncio.AbstractEventLoop:
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None and running is not _local.own_loop:
        raise RuntimeError(
            "An async view or hook was called from synchronous code on a thread "
            "whose event loop is running, outside Kolba's ASGI front end, so it "
            "cannot be waited for here. Serve the app through app.asgi_app (for "
            "example 'uvicorn module:app.asgi_app'), or call the app from a "
            "thread without a running loop."
        )
    loop = _local.own_loop
    if loop is None or loop.is_closed():
        holder = _LoopHolder()
        _local.holder = holder
        loop = _local.own_loop = holder.loop
    if loop.is_running():
        raise RuntimeError(
            "An async view or hook was called from synchronous code while this "
            "thread's event loop is already running. Serve the app with an ASGI "
            "server (for example 'uvicorn module:app.asgi_app') to run async "
            "code on the server's loop."
        )
    return loop


# -- the thread pool -----------------------------------------------------------


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(size: int) -> ThreadPoolExecutor:
    pool = _pools.get(size)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(size)
            if pool is None:
                pool = _pools[size] = ThreadPoolExecutor(
                    max_workers=size, thread_name_prefix="kolba-sync"
                )
    return pool


def _run_with_loop(
    loop: asyncio.AbstractEventLoop, func: t.Callable[..., _T], args: tuple[t.Any, ...]
) -> _T:
    _local.server_loop = loop
    try:
        return func(*args)
    finally:
        _local.server_loop = None


async def run_in_thread(
    func: t.Callable[..., _T],
    *args: t.Any,
    context: contextvars.Context | None = None,
    max_threads: int = 40,
) -> _T:
    """Run blocking ``func(*args)`` in the bounded pool, in ``context``.

    ``context`` defaults to a copy of the caller's. Inside, :func:`await_only`
    schedules awaitables on this loop.
    """
    loop = asyncio.get_running_loop()
    if context is None:
        context = contextvars.copy_context()
    return await loop.run_in_executor(
        _pool(max_threads), context.run, _run_with_loop, loop, func, args
    )


def call_blocking(func: t.Callable[..., _T], *args: t.Any, **kwargs: t.Any) -> _T:
    """Call sync user code: in the pool when on the loop's greenlet, else here."""
    if _in_bridge():
        # The greenlet's context (the request's), not the awaiting task's.
        context = contextvars.copy_context()
        if kwargs:
            return await_only(
                run_in_thread(lambda: func(*args, **kwargs), context=context)
            )
        return await_only(run_in_thread(func, *args, context=context))
    return func(*args, **kwargs)


def is_async_callable(func: t.Any) -> bool:
    """Whether calling ``func`` returns a coroutine (functions, partials, objects)."""
    while isinstance(func, functools.partial):
        func = func.func
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - an instance's async __call__
    )


def iterate_async(iterable: t.AsyncIterable[_T]) -> t.Iterator[_T]:
    """Iterate an async iterable from sync code, each step by :func:`run_coroutine`."""
    iterator = iterable.__aiter__()
    try:
        while True:
            try:
                item = run_coroutine(_anext(iterator))
            except StopAsyncIteration:
                return
            yield item
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            run_coroutine(close())


async def _anext(iterator: t.AsyncIterator[_T]) -> _T:
    return await iterator.__anext__()
