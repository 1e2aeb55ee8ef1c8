"""WebSockets: ``@app.websocket`` routes and the ``websocket`` object (ASGI).

How this file works: a WebSocket route is a URL rule whose only method is
``WEBSOCKET``, so an HTTP route and a WebSocket route may share a path and
``url_for`` builds both. A :class:`Websocket` is the sans-IO request head plus
a *channel*: an object with ``accept``, ``receive``, ``send``, ``close`` and
``refuse`` coroutines that a front end provides (:mod:`kolba.asgi` over ASGI
messages), so nothing here knows a protocol's calling convention.
:func:`run_websocket` is the WebSocket pipeline: it pushes a request context
holding the websocket (so ``session``, ``g`` and ``url_for`` work, and the
``websocket`` global finds it), runs ``before_websocket`` hooks, the handler
and ``after_websocket`` hooks, closes or refuses the connection, and tears
down. The ASGI front end runs it in a bridge greenlet on the event loop. Handlers are
``async def``, in Quart's shape::

    @app.websocket("/ws")
    async def echo():
        while True:
            await websocket.send(await websocket.receive())

The handshake is accepted by ``await websocket.accept()`` or by the first
``send``/``receive``. A hook or handler that returns a response, or raises an
HTTP error, before accepting refuses the handshake with that status (where
the server supports the ASGI ``websocket.http.response`` extension; otherwise
the handshake is closed, which clients see as 403). Limits:
``WEBSOCKET_MAX_MESSAGE_SIZE`` (a larger message closes the connection with
1009) and ``WEBSOCKET_IDLE_TIMEOUT`` (seconds ``receive()`` waits for a
message before closing with 1001). Keep-alive pings are the server's job
(uvicorn's ``--ws-ping-interval``, on by default).
"""

from __future__ import annotations

import asyncio
import typing as t

from . import _bridge
from .exceptions import HTTPException
from .sansio.request import RequestHead

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .ctx import RequestContext
    from .response import Response

__all__ = ["Channel", "Websocket", "WebsocketDisconnect", "run_websocket"]


class Channel(t.Protocol):
    """What a front end gives a :class:`Websocket` to talk to the client."""

    async def accept(
        self, subprotocol: str | None, headers: list[tuple[str, str]]
    ) -> None: ...

    async def receive(self) -> str | bytes | int:
        """The next message, or the close code (an ``int``) when closed."""
        ...

    async def send(self, data: str | bytes) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...

    async def refuse(
        self, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        """Refuse the handshake with an HTTP response (before accepting)."""
        ...


class WebsocketDisconnect(Exception):
    """The connection is closed (by the client, or by a limit); ``code`` says how."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        detail = f": {reason}" if reason else ""
        super().__init__(f"WebSocket closed with code {code}{detail}")
        self.code = code
        self.reason = reason


class Websocket(RequestHead):
    """The WebSocket being served, read through the ``websocket`` global.

    The head gives ``path``, ``args``, ``headers``, ``cookies``, ``url`` and
    the rest as on a request; the methods below talk to the client.
    """

    _match_method = "WEBSOCKET"
    _close_on_pop = False
    shallow = True

    _channel: Channel
    _app: Kolba
    accepted: bool = False
    closed: bool = False

    def _bind(self, app: Kolba, channel: Channel) -> None:
        self._app = app
        self._channel = channel
        # PERF: read once per connection, not per message.
        config = app.config
        self._idle_timeout: float | None = config.get("WEBSOCKET_IDLE_TIMEOUT") or None
        self._max_size: int | None = config.get("WEBSOCKET_MAX_MESSAGE_SIZE")

    @property
    def requested_subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference."""
        return list(self.__dict__.get("_subprotocols") or [])

    async def accept(
        self,
        headers: t.Mapping[str, str] | t.Iterable[tuple[str, str]] | None = None,
        subprotocol: str | None = None,
    ) -> None:
        """Accept the handshake (optional: the first send or receive does it)."""
        if self.accepted:
            return
        pairs: list[tuple[str, str]] = []
        if headers:
            items = headers.items() if isinstance(headers, t.Mapping) else headers
            pairs = [(str(k), str(v)) for k, v in items]
        self.accepted = True
        await self._channel.accept(subprotocol, pairs)

    async def receive(self) -> str | bytes:
        """The next message from the client: ``str`` for text, ``bytes`` for binary.

        :raises WebsocketDisconnect: when the connection is closed.
        """
        if not self.accepted:
            await self.accept()
        if self.closed:
            raise WebsocketDisconnect(1000, "the connection is closed")
        timeout = self._idle_timeout
        if timeout is None:
            data = await self._channel.receive()
        else:
            # PERF: asyncio.timeout arms a timer; wait_for would start a task.
            try:
                async with asyncio.timeout(timeout):
                    data = await self._channel.receive()
            except TimeoutError:
                await self.close(1001, "idle timeout")
                raise WebsocketDisconnect(1001, "idle timeout") from None
        if isinstance(data, int):
            self.closed = True
            raise WebsocketDisconnect(data)
        limit = self._max_size
        if limit is not None and len(data) > limit:
            await self.close(1009, "message too big")
            raise WebsocketDisconnect(1009, "message too big")
        return data

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message."""
        if not self.accepted:
            await self.accept()
        if self.closed:
            raise WebsocketDisconnect(1000, "the connection is closed")
        if isinstance(data, str):
            await self._channel.send(data)
        elif isinstance(data, (bytes, bytearray, memoryview)):
            await self._channel.send(bytes(data))
        else:
            raise TypeError(
                f"websocket.send() takes str or bytes, not {type(data).__name__}; "
                "use send_json() for other values."
            )

    async def receive_json(self) -> t.Any:
        """The next message, parsed as JSON with the app's JSON provider.

        Invalid JSON closes the connection with 1007.
        """
        data = await self.receive()
        try:
            return self._app.json.loads(data)
        except ValueError as exc:
            await self.close(1007, "invalid JSON")
            raise WebsocketDisconnect(1007, f"invalid JSON: {exc}") from None

    async def send_json(self, data: t.Any) -> None:
        """Send ``data`` as a JSON text message (the app's JSON provider)."""
        await self.send(self._app.json.dumps(data))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (before accepting: refuse the handshake)."""
        if self.closed:
            return
        self.closed = True
        await self._channel.close(code, reason)


def run_websocket(app: Kolba, ctx: RequestContext) -> None:
    """The WebSocket pipeline, for a context whose request is a :class:`Websocket`.

    Synchronous code: a front end runs it where waiting works (the ASGI front
    end: a bridge greenlet on the event loop).
    """
    ws = t.cast(Websocket, ctx.request)
    error: BaseException | None = None
    response: Response | None = None
    try:
        ctx.push()
        try:
            response = _dispatch(app, ws)
        except WebsocketDisconnect:
            pass
        except Exception as exc:
            response = _refusal_for(app, ws, exc)
            if response is None:
                error = exc
                app.log_exception(
                    (type(exc), exc, exc.__traceback__)  # type: ignore[arg-type]
                )
        response = _after(app, ws, response)
        _finish(ws, response, error)
    finally:
        ctx.pop(error)


def _dispatch(app: Kolba, ws: Websocket) -> Response | None:
    if ws.routing_exception is not None:
        raise ws.routing_exception
    names = (None, *reversed(ws.blueprints))
    for name in names:
        for func in app.url_value_preprocessors.get(name, ()):
            func(ws.endpoint, ws.view_args)
    for name in names:
        for hook in app.before_websocket_funcs.get(name, ()):
            rv = app.ensure_sync(hook)()
            if rv is not None:
                return app.make_response(rv)
    handler = app.view_functions[ws.url_rule.endpoint]
    coro: t.Any = handler(
        **(ws.view_args or {})
    )  # an async def (checked when registered)
    # PERF: the handler awaits on every message. It runs as a task of its own
    # on the loop, in this pipeline's context (so ``websocket``, ``session``
    # and ``g`` work), instead of being relayed through the bridge greenlet
    # at each suspension; the pipeline waits for it here.
    rv = _bridge.run_as_task(coro)
    return app.make_response(rv) if rv is not None else None


def _refusal_for(app: Kolba, ws: Websocket, exc: Exception) -> Response | None:
    if isinstance(exc, HTTPException) and not ws.accepted:
        try:
            return app.make_response(app.handle_http_exception(exc))
        except Exception:  # pragma: no cover - a failing error handler
            return exc.get_response()
    return None


def _after(app: Kolba, ws: Websocket, response: Response | None) -> Response | None:
    after = app.after_websocket_funcs
    if after:
        for name in (*ws.blueprints, None):
            for hook in reversed(after.get(name, ())):
                rv = app.ensure_sync(hook)(response)
                if rv is not None:
                    response = rv
    return response


def _finish(
    ws: Websocket, response: Response | None, error: BaseException | None
) -> None:
    if ws.closed:
        return
    if ws.accepted:
        _bridge.await_only(ws.close(1011 if error is not None else 1000))
        return
    if response is None and error is None:
        _bridge.await_only(ws.close(1000))
        return
    if response is None:
        from .response import Response as _Response

        response = _Response("Internal Server Error", status=500, mimetype="text/plain")
    ws.closed = True
    status, headers, body = response.finalize("GET")
    data = b"".join(body) if isinstance(body, list) else response.get_data()
    _bridge.await_only(ws._channel.refuse(status, headers, data))
