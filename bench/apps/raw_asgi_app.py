"""A raw ASGI 3 callable: the floor for the ASGI column, as raw_app.py is for WSGI.

It does the same work as raw_app.py (method checks, a static-route dict, an ordered
list of compiled patterns with the typed route last, form decoding, JSON, 404/405),
answers ``lifespan`` and echoes text (and bytes) over ``websocket``.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

import jinja2

from .spec import (
    FORM_FIELDS,
    FORM_SEPARATOR,
    HELLO,
    TEMPLATE,
    TEMPLATE_ROWS,
    TEMPLATE_TITLE,
    filler_routes,
    static_body,
)

UNSUPPORTED_CASES = {"session": "no built-in session"}

_TEXT = (b"content-type", b"text/plain; charset=utf-8")
_JSON = (b"content-type", b"application/json")
_HTML = (b"content-type", b"text/html; charset=utf-8")


async def _answer(send, status, text, ctype=_TEXT):
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [ctype, (b"content-length", str(len(body)).encode("ascii"))],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # http.disconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _echo(receive, send):
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return  # websocket.disconnect
        text = message.get("text")
        if text is not None:
            await send({"type": "websocket.send", "text": text})
        else:
            await send({"type": "websocket.send", "bytes": message.get("bytes")})


def make_app(n_routes=100):
    hello = HELLO.encode("utf-8")
    hello_headers = [_TEXT, (b"content-length", str(len(hello)).encode("ascii"))]

    async def plaintext(scope, receive, send):
        await send(
            {"type": "http.response.start", "status": 200, "headers": hello_headers}
        )
        await send({"type": "http.response.body", "body": hello})

    async def json_message(scope, receive, send):
        await _answer(send, 200, json.dumps({"message": HELLO}), _JSON)

    async def form(scope, receive, send):
        raw = await _read_body(receive)
        data = dict(parse_qsl(raw.decode("latin-1"), encoding="utf-8"))
        try:
            text = FORM_SEPARATOR.join(data[name] for name in FORM_FIELDS)
        except KeyError:
            return await _answer(send, 400, "Bad Request")
        await _answer(send, 200, text)

    page = jinja2.Environment(autoescape=True).from_string(TEMPLATE)

    async def template(scope, receive, send):
        text = page.render(title=TEMPLATE_TITLE, rows=TEMPLATE_ROWS)
        await _answer(send, 200, text, _HTML)

    def static_view(i):
        body = static_body(i)

        async def view(scope, receive, send):
            await _answer(send, 200, body)

        return view

    async def text_param(scope, receive, send, value):
        await _answer(send, 200, value)

    async def int_param(scope, receive, send, value):
        await _answer(send, 200, str(int(value)))

    static = {
        "/plaintext": {"GET": plaintext},
        "/json": {"GET": json_message},
        "/form": {"POST": form},
        "/template": {"GET": template},
    }
    dynamic = []
    for kind, i in filler_routes(n_routes):
        if kind == "static":
            static[f"/static-route-{i}"] = {"GET": static_view(i)}
        elif kind == "user":
            dynamic.append((re.compile(rf"/user-{i}/([^/]+)"), "GET", text_param))
        else:
            dynamic.append((re.compile(rf"/post-{i}/(\d+)"), "GET", int_param))
    dynamic.append((re.compile(r"/item/(\d+)"), "GET", int_param))

    async def app(scope, receive, send):
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket" and scope["path"] == "/ws":
                return await _echo(receive, send)
            if kind == "lifespan":
                return await _lifespan(receive, send)
            return None
        path = scope["path"] or "/"
        method = scope["method"]
        if method == "HEAD":
            method = "GET"
        handlers = static.get(path)
        if handlers is not None:
            handler = handlers.get(method)
            if handler is not None:
                return await handler(scope, receive, send)
            return await _answer(send, 405, "Method Not Allowed")
        for pattern, allowed, handler in dynamic:
            m = pattern.fullmatch(path)
            if m is not None:
                if method != allowed:
                    return await _answer(send, 405, "Method Not Allowed")
                return await handler(scope, receive, send, m.group(1))
        return await _answer(send, 404, "Not Found")

    return app
