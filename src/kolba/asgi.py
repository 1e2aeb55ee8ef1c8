"""The ASGI front end (ASGI 3): the only module that knows the scope.

How this file works: ``app.asgi_app`` is an :class:`ASGIApp`. For an ``http``
scope it builds the app's request class from the scope (the sans-IO head plus
a body stream fed by ``receive()``), matches the URL, and runs the same
pipeline as WSGI (:meth:`kolba.Kolba.handle_request`) where it belongs (see
:mod:`kolba._bridge`): in a bridge greenlet on the event loop when the view is
``async def``, in the bounded thread pool when it is sync. The response is
finalized protocol-neutrally (:meth:`kolba.Response.finalize`) and sent; a
streamed body is pulled chunk by chunk (sync iterators in the pool, async ones
on the loop) and stops when the client disconnects. ``websocket`` scopes go to
:mod:`kolba.websocket`; ``lifespan`` runs the serving hooks and waits for
background tasks at shutdown.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import traceback
import typing as t
from urllib.parse import unquote_to_bytes

from . import _bridge
from ._compat import cached_property
from .ctx import RequestContext
from .globals import _cv_app, _cv_request
from .lifespan import ensure_started, shutdown, startup
from .sansio.datastructures import Headers
from .sansio.streams import ClientDisconnected
from .websocket import Websocket, run_websocket

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .request import Request
    from .response import Response

__all__ = ["ASGIApp", "ASGIChannel", "ASGIRequestBinding"]

Scope = t.MutableMapping[str, t.Any]
Message = t.MutableMapping[str, t.Any]
Receive = t.Callable[[], t.Awaitable[Message]]
Send = t.Callable[[Message], t.Awaitable[None]]

# -- the request ---------------------------------------------------------------


class ASGIBodyStream(io.RawIOBase):
    """The request body as a file-like object fed by ``receive()``.

    ``read()`` may be called from the pipeline's greenlet or a pool thread:
    it waits for the next ``http.request`` message through
    :func:`kolba._bridge.await_only`. ``async for chunk in stream`` reads the
    same messages from async code. Either way the body is read once.
    """

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._buffer = b""
        self._done = False
        self.disconnected = False

    def readable(self) -> bool:
        return True

    async def _next_chunk(self) -> bytes:
        if self._done:
            return b""
        message = await self._receive()
        kind = message.get("type")
        if kind == "http.disconnect":
            self._done = True
            self.disconnected = True
            raise ClientDisconnected()
        if not message.get("more_body", False):
            self._done = True
        return bytes(message.get("body", b""))

    def _fill(self) -> bool:
        while not self._buffer and not self._done:
            self._buffer = _bridge.await_only(self._next_chunk())
        return bool(self._buffer)

    def read(self, size: int | None = -1) -> bytes:
        """Read ``size`` bytes (fewer only at the end of the body), or all."""
        if size is None or size < 0:
            chunks = [self._buffer]
            self._buffer = b""
            while not self._done:
                chunks.append(_bridge.await_only(self._next_chunk()))
            return b"".join(chunks)
        # Like a buffered file: a short read means the body ended, so callers
        # (the form parser) can tell a disconnect from a chunk boundary.
        while len(self._buffer) < size and not self._done:
            self._buffer += _bridge.await_only(self._next_chunk())
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    async def prefetch(self, limit: int | None) -> None:
        """Read the body now, on the loop, up to ``limit`` + 1 bytes.

        Done before a sync view runs in the thread pool, so a slow client
        holds no pool thread while it trickles its body. The view then reads
        from memory; a body over the limit is left for the request's limit
        check to refuse with 413.
        """
        chunks = [self._buffer]
        size = len(self._buffer)
        while not self._done and (limit is None or size <= limit):
            chunk = await self._next_chunk()
            chunks.append(chunk)
            size += len(chunk)
        self._buffer = b"".join(chunks)

    def readinto(self, buffer: t.Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        return self.read(-1)

    async def __aiter__(self) -> t.AsyncIterator[bytes]:
        if self._buffer:
            data, self._buffer = self._buffer, b""
            yield data
        while not self._done:
            chunk = await self._next_chunk()
            if chunk:
                yield chunk


class ASGIRequestBinding:
    """The ASGI binding of a request: head values taken from the scope.

    Mixed in front of the app's ``request_class`` (see :func:`_bound_class`),
    so subclasses' own properties and methods still apply; the WSGI
    constructor is not called.
    """

    def __init__(self, scope: Scope, receive: Receive | None) -> None:
        # PERF: only what every request needs (routing reads method and path)
        # is set here; the rest is read from the scope on first use.
        d = self.__dict__
        d["asgi_scope"] = scope
        d["method"] = scope.get("method") or "GET"  # SPEC: ASGI — upper-case
        d["shallow"] = receive is None
        d["_asgi_receive"] = receive
        raw_path = scope.get("raw_path")
        if (
            raw_path
            and not scope.get("root_path")
            and b"%" not in raw_path
            and raw_path.isascii()
        ):
            path = raw_path.decode("ascii")  # the common case: nothing to decode
        else:
            path = self._decoded_path(scope)
        d["_path_raw"] = path
        if path.isascii():
            d["path"] = path if path[:1] == "/" else "/" + path

    def _decoded_path(self, scope: Scope) -> str:
        """The path below the mount point, as latin-1 text of its raw bytes."""
        root = str(scope.get("root_path", "")).encode("utf-8").decode("latin-1")
        raw_path = scope.get("raw_path")
        if raw_path:
            path = unquote_to_bytes(bytes(raw_path)).decode("latin-1")
        else:
            path = str(scope.get("path", "/")).encode("utf-8").decode("latin-1")
        if root and path.startswith(root):
            path = path[len(root) :]
        return path

    @cached_property
    def scheme(self) -> str:
        """``http``/``https`` (``ws``/``wss`` for WebSockets), from the scope."""
        return str(self.__dict__["asgi_scope"].get("scheme", "http"))

    @cached_property
    def _root_raw(self) -> str:
        root = self.__dict__["asgi_scope"].get("root_path", "")
        return str(root).encode("utf-8").decode("latin-1")

    @cached_property
    def _query_raw(self) -> str:
        return bytes(self.__dict__["asgi_scope"].get("query_string", b"")).decode(
            "latin-1"
        )

    @cached_property
    def _joined_headers(self) -> dict[str, str]:
        # Joined per name as a WSGI server joins them, so both front ends agree.
        joined: dict[str, str] = {}
        for raw_name, raw_value in self.__dict__["asgi_scope"].get("headers") or ():
            name = bytes(raw_name).decode("latin-1").lower()
            value = bytes(raw_value).decode("latin-1")
            if name in joined:
                sep = "; " if name == "cookie" else ", "
                joined[name] = f"{joined[name]}{sep}{value}"
            else:
                joined[name] = value
        return joined

    @cached_property
    def _asgi_input(self) -> ASGIBodyStream | None:
        receive = self.__dict__["_asgi_receive"]
        return ASGIBodyStream(receive) if receive is not None else None

    def _header(self, name: str) -> str | None:
        joined = self.__dict__.get("_joined_headers")
        if joined is not None:
            return joined.get(name.lower())  # type: ignore[no-any-return]
        # PERF: most requests read two or three headers; a scan of the few
        # pairs beats building the joined dict. SPEC: ASGI header names are
        # lower-case bytes.
        key = _header_key(name)
        found: bytes | None = None
        for raw_name, raw_value in self.__dict__["asgi_scope"].get("headers") or ():
            if raw_name == key:
                if found is None:
                    found = raw_value
                else:
                    sep = b"; " if key == b"cookie" else b", "
                    found = found + sep + raw_value
        return None if found is None else bytes(found).decode("latin-1")

    @cached_property
    def headers(self) -> Headers:
        """The request headers: case-insensitive and multi-valued."""
        scope = self.__dict__["asgi_scope"]
        return Headers(
            [
                (bytes(k).decode("latin-1").title(), bytes(v).decode("latin-1"))
                for k, v in scope.get("headers") or ()
            ]
        )

    @cached_property
    def environ(self) -> dict[str, t.Any]:
        """A WSGI-style environ for code that reads one (built on first use)."""
        from .wsgi import environ_from_head

        return environ_from_head(self, self._asgi_input)  # type: ignore[arg-type]

    @property
    def remote_addr(self) -> str | None:
        """The client's address, from the scope's ``client``."""
        client = self.__dict__["asgi_scope"].get("client")
        return str(client[0]) if client else None

    @property
    def server(self) -> tuple[str, int | None] | None:
        """The server's ``(host, port)``, from the scope's ``server``."""
        server = self.__dict__["asgi_scope"].get("server")
        if not server:
            return None
        return (str(server[0]), server[1])

    @property
    def _input(self) -> ASGIBodyStream | None:
        return self._asgi_input

    @property
    def _input_terminated(self) -> bool:
        return True  # ASGI marks the body's end (more_body=False)

    @property
    def is_multithread(self) -> bool:
        return True

    @property
    def is_multiprocess(self) -> bool:
        return False

    @property
    def is_run_once(self) -> bool:
        return False


_KEYS: dict[str, bytes] = {}


def _header_key(name: str) -> bytes:
    key = _KEYS.get(name)
    if key is None:
        key = name.lower().encode("latin-1")
        if len(_KEYS) < 512:  # bounded: header names come from code, not clients
            _KEYS[name] = key
    return key


_BOUND: dict[type, type] = {}


def _bound_class(cls: type[Request]) -> type[Request]:
    """``cls`` with the ASGI binding in front (made once per class)."""
    bound = _BOUND.get(cls)
    if bound is None:
        bound = type(cls.__name__, (ASGIRequestBinding, cls), {})
        bound.__qualname__ = cls.__qualname__
        bound.__module__ = cls.__module__
        _BOUND[cls] = bound
    return bound


# -- the application -------------------------------------------------------------


class ASGIApp:
    """``app.asgi_app``: an ASGI 3 application for one :class:`~kolba.Kolba`.

    Its ``__call__`` is ``async def``, so servers that tell ASGI 2 from 3 by
    inspecting the object (uvicorn, hypercorn) see ASGI 3.
    """

    def __init__(self, app: Kolba) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "websocket":
            await self.websocket(scope, receive, send)
        elif kind == "lifespan":
            await self.lifespan(scope, receive, send)
        else:
            raise ValueError(f"Kolba cannot serve ASGI scopes of type {kind!r}.")

    # -- http -----------------------------------------------------------------

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request."""
        app = self.app
        if not app._serving.ready:
            await ensure_started(app)
        cls = _BOUND.get(app.request_class) or _bound_class(app.request_class)
        request: Request = cls(scope, receive)
        ctx = RequestContext(app, None, request=request)
        preserve = (scope.get("extensions") or {}).get("kolba.preserve_context")
        context = contextvars.copy_context()
        if self._view_is_async(ctx):
            response = await _bridge.run_in_greenlet(
                _run_pipeline, app, ctx, preserve, context=context
            )
        else:
            stream = request._input
            if stream is not None and _has_body(request):
                try:
                    await stream.prefetch(app.config.get("MAX_CONTENT_LENGTH"))
                except ClientDisconnected:
                    return  # nobody is left to answer
            response = await _bridge.run_in_thread(
                _run_pipeline,
                app,
                ctx,
                preserve,
                context=context,
                max_threads=app.config.get("ASGI_MAX_THREADS") or 40,
            )
        await send_response(app, response, request.method, send, receive, context)

    def _view_is_async(self, ctx: RequestContext) -> bool:
        """Match the URL now and tell whether the view is ``async def``."""
        app = self.app
        try:
            ctx.match_request()
        except Exception:  # matching errors are stored; anything else: pipeline
            return True
        rule = ctx.request.url_rule
        if rule is None:
            return True  # a routing error: error handlers run on the loop's side
        view = app.view_functions.get(rule.endpoint)
        # ensure_sync wraps exactly the async callables (and caches the answer).
        return view is None or app.ensure_sync(view) is not view

    # -- websocket ----------------------------------------------------------------

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one WebSocket connection with the app's WebSocket routes."""
        message = await receive()
        if message.get("type") != "websocket.connect":  # pragma: no cover - protocol
            return
        app = self.app
        if not app._serving.ready:
            await ensure_started(app)
        bound: t.Any = _bound_class(app.websocket_class)  # type: ignore[arg-type]
        ws: Websocket = bound(scope, None)
        ws.__dict__["_subprotocols"] = scope.get("subprotocols") or []
        ws._bind(app, ASGIChannel(scope, receive, send))
        ctx = RequestContext(app, None, request=ws)  # type: ignore[arg-type]  # a head without a body
        await _bridge.run_in_greenlet(
            run_websocket, app, ctx, context=contextvars.copy_context()
        )

    # -- lifespan -----------------------------------------------------------------

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the serving hooks at startup and shutdown (ASGI lifespan)."""
        message = await receive()
        if message["type"] != "lifespan.startup":  # pragma: no cover - protocol
            return
        try:
            await startup(self.app)
        except BaseException:
            await send(
                {"type": "lifespan.startup.failed", "message": traceback.format_exc()}
            )
            return
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        try:
            await shutdown(self.app)
        except BaseException:
            await send(
                {"type": "lifespan.shutdown.failed", "message": traceback.format_exc()}
            )
            return
        await send({"type": "lifespan.shutdown.complete"})


class ASGIChannel:
    """A WebSocket's channel over ASGI ``websocket.*`` messages."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send

    async def accept(
        self, subprotocol: str | None, headers: list[tuple[str, str]]
    ) -> None:
        message: Message = {"type": "websocket.accept"}
        if subprotocol is not None:
            message["subprotocol"] = subprotocol
        if headers:
            message["headers"] = _header_list(headers)
        await self._send(message)

    async def receive(self) -> str | bytes | int:
        message = await self._receive()
        if message.get("type") == "websocket.disconnect":
            return int(message.get("code", 1005))
        text = message.get("text")
        if text is not None:
            return str(text)
        return bytes(message.get("bytes") or b"")

    async def send(self, data: str | bytes) -> None:
        key = "text" if isinstance(data, str) else "bytes"
        await self._send({"type": "websocket.send", key: data})

    async def close(self, code: int, reason: str) -> None:
        await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def refuse(
        self, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        extensions = self._scope.get("extensions") or {}
        if "websocket.http.response" in extensions:
            await self._send(
                {
                    "type": "websocket.http.response.start",
                    "status": status,
                    "headers": _header_list(headers),
                }
            )
            await self._send({"type": "websocket.http.response.body", "body": body})
        else:
            # SPEC: ASGI — a close before accept refuses the handshake; the
            # server answers 403.
            await self._send({"type": "websocket.close", "code": 1008})


def _has_body(request: Request) -> bool:
    length = request._header("Content-Length")
    if length is not None:
        return length.strip() not in ("", "0")
    return request._header("Transfer-Encoding") is not None


def _run_pipeline(app: Kolba, ctx: RequestContext, preserve: t.Any) -> Response:
    """The pipeline, then teardown, in the worker (greenlet or pool thread)."""
    try:
        return app.handle_request(ctx, pop=False)
    finally:
        if preserve is not None:
            preserve(_cv_app.get())
            preserve(_cv_request.get())
        ctx.pop(ctx._error)


# -- sending ---------------------------------------------------------------------


def _header_list(pairs: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]


async def send_response(
    app: Kolba,
    response: Response,
    method: str,
    send: Send,
    receive: Receive,
    context: contextvars.Context,
) -> None:
    """Send a finalized response; stream iterables until done or disconnected."""
    body = response.response
    # PERF: the usual response (one chunk, length written, nothing to close)
    # goes out without finalize()'s general path.
    if (
        type(body) is list
        and len(body) == 1
        and method != "HEAD"
        and response._is_simple()
    ):
        await send(
            {
                "type": "http.response.start",
                "status": response._status_code,
                "headers": [
                    (k.encode("latin-1"), v.encode("latin-1"))
                    for k, v in response.headers._list
                ],
            }
        )
        await send({"type": "http.response.body", "body": body[0]})
        return
    status, headers, body = response.finalize(method)
    start = {"type": "http.response.start", "status": status}
    start["headers"] = _header_list(headers)
    if type(body) is list:
        await send(start)
        await send({"type": "http.response.body", "body": b"".join(body)})
        return
    await _stream(app, start, body, send, receive, context)


async def _watch_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return


_END = object()


async def _stream(
    app: Kolba,
    start: Message,
    body: t.Any,
    send: Send,
    receive: Receive,
    context: contextvars.Context,
) -> None:
    """Send a streamed body chunk by chunk; stop when the client goes away.

    Sync iterators are advanced in the thread pool (a generator may block),
    async ones on the loop — both in the pipeline's context, so
    ``stream_with_context`` finds the request it captured.
    """
    loop = asyncio.get_running_loop()
    max_threads = app.config.get("ASGI_MAX_THREADS") or 40
    watcher = loop.create_task(_watch_disconnect(receive))
    is_async = hasattr(body, "__aiter__")
    iterator: t.Any = body.__aiter__() if is_async else None
    try:
        if not is_async:
            iterator = await _bridge.run_in_thread(
                iter, body, context=context, max_threads=max_threads
            )
        await send(start)
        while not watcher.done():
            if is_async:
                step = loop.create_task(_anext(iterator), context=context)
                chunk = await step
            else:
                chunk = await _bridge.run_in_thread(
                    next, iterator, _END, context=context, max_threads=max_threads
                )
            if chunk is _END:
                break
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8")
            if chunk:
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": True}
                )
        if not watcher.done():
            await send({"type": "http.response.body", "body": b""})
    except OSError:  # the server reports the client gone
        pass
    finally:
        watcher.cancel()
        close = getattr(body, "aclose", None) if is_async else None
        if close is not None:
            await loop.create_task(close(), context=context)
        close = getattr(body, "close", None)
        if close is not None:
            await _bridge.run_in_thread(close, context=context, max_threads=max_threads)


async def _anext(iterator: t.AsyncIterator[t.Any]) -> t.Any:
    try:
        return await iterator.__anext__()
    except StopAsyncIteration:
        return _END
