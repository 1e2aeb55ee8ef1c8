"""Serving hooks and background tasks: code that lives as long as the server.

How this file works: :class:`ServingMixin` gives the app
``@app.before_serving``, ``@app.after_serving``, ``@app.while_serving`` and
``app.add_background_task``. Under ASGI the ``lifespan`` scope calls
:func:`startup` before the first request and :func:`shutdown` when the server
stops; a failing startup hook makes the server refuse to start, with the
error. A server that sends no lifespan events (a WSGI server, or
``uvicorn --lifespan off``) gets the same hooks on the first request
(:func:`ensure_started`) and at interpreter exit.

Hooks may be sync or ``async def``; each runs with an application context.
Background tasks run on the server's loop (async) or in the thread pool
(sync) under ASGI, in a thread pool under WSGI; at shutdown the server waits
for them up to ``BACKGROUND_TASK_SHUTDOWN_TIMEOUT`` seconds, then cancels
what is left.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextvars
import inspect
import threading
import typing as t
import weakref

from . import _bridge

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba

__all__ = ["ServingMixin", "ensure_started", "shutdown", "startup"]

_F = t.TypeVar("_F", bound=t.Callable[..., t.Any])


class ServingMixin:
    """The serving hooks of :class:`~kolba.Kolba` (Quart's names and shapes)."""

    before_serving_funcs: list[t.Callable[[], t.Any]]
    after_serving_funcs: list[t.Callable[[], t.Any]]
    while_serving_gens: list[t.Callable[[], t.Any]]

    def _init_serving(self) -> None:
        self.before_serving_funcs = []
        self.after_serving_funcs = []
        self.while_serving_gens = []
        self._serving = _ServingState()

    def before_serving(self, func: _F) -> _F:
        """Run ``func()`` once before the first request is served.

        Sync or ``async def``; it runs with an application context. If it
        raises, the server does not start (ASGI lifespan).
        """
        self.before_serving_funcs.append(func)
        return func

    def after_serving(self, func: _F) -> _F:
        """Run ``func()`` once when the server shuts down."""
        self.after_serving_funcs.append(func)
        return func

    def while_serving(self, func: _F) -> _F:
        """A generator function around the serving time: code before its
        ``yield`` runs at startup, code after it at shutdown::

            @app.while_serving
            async def pool():
                app.pool = await create_pool()
                yield
                await app.pool.close()
        """
        self.while_serving_gens.append(func)
        return func

    def add_background_task(
        self, func: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any
    ) -> None:
        """Run ``func(*args, **kwargs)`` after the response, outside the request.

        It runs with an application context (not the request's). Under ASGI
        an ``async def`` task runs on the server's loop and a sync one in the
        thread pool; under WSGI in a background thread. The server waits for
        unfinished tasks at shutdown, up to ``BACKGROUND_TASK_SHUTDOWN_TIMEOUT``
        seconds. Exceptions are logged with the app's logger.
        """
        app = t.cast("Kolba", self)
        loop = _bridge.server_loop()
        state = self._serving
        # A fresh, empty context: the task must not see the request (which
        # is over by the time it runs), only the app context it pushes.
        fresh = contextvars.Context()
        if loop is not None:
            future: concurrent.futures.Future[t.Any] = fresh.run(
                asyncio.run_coroutine_threadsafe,
                _run_background(app, func, args, kwargs),
                loop,
            )
        else:
            future = _wsgi_pool().submit(
                fresh.run, _run_background_sync, app, func, args, kwargs
            )
        state.tasks.add(future)
        future.add_done_callback(state.tasks.discard)


_END = object()


class _ServingState:
    def __init__(self) -> None:
        #: Startup began / finished: requests wait for ``ready``.
        self.started = False
        self.ready = False
        self.stopped = False
        self.generators: list[t.Any] = []
        self.tasks: set[concurrent.futures.Future[t.Any]] = set()
        self.lock = threading.Lock()
        self.async_lock: asyncio.Lock | None = None


# -- running hooks ---------------------------------------------------------------


async def _call(app: Kolba, func: t.Callable[[], t.Any]) -> t.Any:
    if _bridge.is_async_callable(func):
        return await func()
    return await _bridge.run_in_thread(func)


async def startup(app: Kolba) -> None:
    """Run ``before_serving`` hooks and the first half of ``while_serving``."""
    state = app._serving
    if state.started:
        return
    state.started = True
    if not (app.before_serving_funcs or app.while_serving_gens):
        state.ready = True
        return  # nothing to run: no application context either
    with app.app_context():
        for func in app.before_serving_funcs:
            await _call(app, func)
        for gen_func in app.while_serving_gens:
            gen = gen_func()
            if inspect.isasyncgen(gen):
                await gen.__anext__()
            else:
                await _bridge.run_in_thread(next, gen)
            state.generators.append(gen)
    state.ready = True


async def shutdown(app: Kolba) -> None:
    """Finish ``while_serving`` generators, run ``after_serving``, await tasks."""
    state = app._serving
    if state.stopped or not state.started:
        return
    state.stopped = True
    errors: list[BaseException] = []
    if not (state.generators or app.after_serving_funcs):
        await wait_for_tasks(app)
        return
    with app.app_context():
        for gen in reversed(state.generators):
            try:
                if inspect.isasyncgen(gen):
                    await gen.__anext__()
                    ended = False
                else:
                    # StopIteration cannot cross a Future: ask for a sentinel.
                    ended = await _bridge.run_in_thread(next, gen, _END) is _END
            except StopAsyncIteration:
                ended = True
            except Exception as exc:
                errors.append(exc)
                continue
            if not ended:
                errors.append(
                    RuntimeError(
                        f"The while_serving generator {gen!r} yielded more than "
                        "once; it must yield exactly once."
                    )
                )
        for func in app.after_serving_funcs:
            try:
                await _call(app, func)
            except Exception as exc:
                errors.append(exc)
    await wait_for_tasks(app)
    if errors:
        raise errors[0]


async def wait_for_tasks(app: Kolba) -> None:
    """Wait for background tasks up to the grace period; cancel the rest."""
    tasks = list(app._serving.tasks)
    if not tasks:
        return
    timeout = float(app.config.get("BACKGROUND_TASK_SHUTDOWN_TIMEOUT") or 0)
    wrapped = [asyncio.wrap_future(task) for task in tasks]
    done, pending = await asyncio.wait(wrapped, timeout=timeout or None)
    for task in pending:
        task.cancel()
    if pending:
        app.logger.warning(
            f"{len(pending)} background task(s) did not finish within "
            f"{timeout:g} s (BACKGROUND_TASK_SHUTDOWN_TIMEOUT) and were cancelled."
        )


async def ensure_started(app: Kolba) -> None:
    """Start the serving hooks on the first request when no lifespan ran."""
    state = app._serving
    if state.ready:
        return
    if state.async_lock is None:
        state.async_lock = asyncio.Lock()
    # Concurrent first requests queue here until the hooks have finished.
    async with state.async_lock:
        await startup(app)


def ensure_started_sync(app: Kolba) -> None:
    """The same for a WSGI server: first request starts, interpreter exit stops."""
    state = app._serving
    if state.ready:
        return
    with state.lock:
        if state.ready:
            return
        _bridge.await_only(startup(app))
        _exiting.add(app)


_exiting: weakref.WeakSet[Kolba] = weakref.WeakSet()


@atexit.register
def _shutdown_at_exit() -> None:  # pragma: no cover - runs at interpreter exit
    for app in list(_exiting):
        try:
            _bridge.await_only(shutdown(app))
        except Exception:
            app.logger.exception("A serving hook failed at shutdown.")


# -- background tasks --------------------------------------------------------------


async def _run_background(
    app: Kolba, func: t.Callable[..., t.Any], args: tuple[t.Any, ...], kwargs: t.Any
) -> None:
    try:
        with app.app_context():
            if _bridge.is_async_callable(func):
                await func(*args, **kwargs)
            else:
                await _bridge.run_in_thread(lambda: func(*args, **kwargs))
    except Exception:
        app.logger.exception(f"Background task {func!r} failed.")


def _run_background_sync(
    app: Kolba, func: t.Callable[..., t.Any], args: tuple[t.Any, ...], kwargs: t.Any
) -> None:
    try:
        with app.app_context():
            if _bridge.is_async_callable(func):
                _bridge.run_coroutine(func(*args, **kwargs))
            else:
                func(*args, **kwargs)
    except Exception:
        app.logger.exception(f"Background task {func!r} failed.")


_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _wsgi_pool() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=8, thread_name_prefix="kolba-background"
            )
        return _pool
