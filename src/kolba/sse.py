"""Server-Sent Events: a streamed ``text/event-stream`` response with heartbeats.

How this file works: :func:`event_stream` wraps a source of events — an async
iterable (best: under ASGI it holds no thread per client, the loop waits for
it) or a plain iterable — in a response that formats each item as an event
(:class:`ServerSentEvent`; a ``str`` is the data, a ``dict``/``list`` is sent
as JSON) and, for async sources, writes a comment line (``: ping``) whenever
the source has been quiet for ``heartbeat`` seconds, so proxies and browsers
keep the connection open. The source is never cancelled by a heartbeat: the
pending step is kept and awaited again. ::

    from kolba.sse import ServerSentEvent, event_stream

    @app.get("/events")
    async def events():
        async def source():
            while True:
                yield ServerSentEvent(await next_message(), event="message")
        return event_stream(source())

When the client goes away, the ASGI front end stops iterating and closes the
source (its ``finally`` blocks run). Under WSGI the stream works too, with one
server thread per client, as any streamed WSGI response.
"""

from __future__ import annotations

import asyncio
import json
import typing as t
from dataclasses import dataclass

from .response import Response

__all__ = ["ServerSentEvent", "event_stream"]


@dataclass
class ServerSentEvent:
    """One event: ``data`` with optional ``event`` name, ``id`` and ``retry`` (ms)."""

    data: t.Any = ""
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    def encode(self) -> str:
        """The event in the wire format (lines ending in one blank line)."""
        data = self.data
        if not isinstance(data, str):
            data = json.dumps(data, separators=(",", ":"))
        lines: list[str] = []
        # SPEC: WHATWG HTML §9.2.6 — field values must not contain line
        # breaks; multi-line data is sent as several data lines.
        if self.event is not None:
            lines.append(f"event: {_one_line(self.event, 'event')}")
        if self.id is not None:
            lines.append(f"id: {_one_line(self.id, 'id')}")
        if self.retry is not None:
            lines.append(f"retry: {int(self.retry)}")
        for line in data.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            lines.append(f"data: {line}")
        return "\n".join(lines) + "\n\n"


def _one_line(value: str, field: str) -> str:
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError(
            f"A Server-Sent Event's {field} must be one line without NUL: {value!r}."
        )
    return value


def _encode(item: t.Any) -> str:
    if isinstance(item, ServerSentEvent):
        return item.encode()
    return ServerSentEvent(item).encode()


async def _with_heartbeats(
    source: t.AsyncIterable[t.Any], heartbeat: float | None
) -> t.AsyncIterator[str]:
    iterator = source.__aiter__()
    pending: asyncio.Future[t.Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(iterator.__anext__())
            done, _ = await asyncio.wait({pending}, timeout=heartbeat)
            if not done:
                yield ": ping\n\n"
                continue
            step, pending = pending, None
            try:
                item = step.result()
            except StopAsyncIteration:
                return
            yield _encode(item)
    finally:
        if pending is not None:
            pending.cancel()
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()


def _sync_events(source: t.Iterable[t.Any]) -> t.Iterator[str]:
    iterator = iter(source)
    try:
        for item in iterator:
            yield _encode(item)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def event_stream(
    source: t.AsyncIterable[t.Any] | t.Iterable[t.Any],
    *,
    heartbeat: float | None = 15.0,
    status: int = 200,
    headers: t.Mapping[str, str] | None = None,
) -> Response:
    """A ``text/event-stream`` response streaming ``source``'s events.

    :param source: an async iterable (heartbeats apply) or an iterable of
        :class:`ServerSentEvent`, ``str`` or JSON-able values.
    :param heartbeat: seconds of silence before a ``: ping`` comment; ``None``
        for none. Only async sources get heartbeats.
    """
    body: t.Any
    if hasattr(source, "__aiter__"):
        body = _with_heartbeats(t.cast("t.AsyncIterable[t.Any]", source), heartbeat)
    else:
        body = _sync_events(source)
    response = Response(body, status=status, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    # nginx buffers proxied responses by default; events must go out at once.
    response.headers["X-Accel-Buffering"] = "no"
    if headers:
        response.headers.update(headers)
    return response
