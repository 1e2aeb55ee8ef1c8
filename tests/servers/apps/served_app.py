"""The app the server tests run in real server processes.

Imported by uvicorn, hypercorn, granian and gunicorn from this folder (the
fixtures put it on ``PYTHONPATH``). ``KOLBA_SERVERS_STATE`` names a folder for
files the app and the tests exchange: flags a view waits for, markers the
serving hooks and background tasks write. ``KOLBA_SERVERS_FAIL_STARTUP=1``
makes a ``before_serving`` hook raise.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from pathlib import Path

from kolba import (
    Blueprint,
    Kolba,
    abort,
    g,
    jsonify,
    request,
    send_file,
    session,
    stream_with_context,
    websocket,
)

STATE = Path(os.environ["KOLBA_SERVERS_STATE"])
FLAG_DEADLINE = 60.0  # seconds a view or task waits for a flag from the test

app = Kolba(__name__)
app.config.update(SECRET_KEY="servers test key", BACKGROUND_TASK_SHUTDOWN_TIMEOUT=60)

# What ``app`` is served as under ASGI (``asgi = app.asgi_app`` for servers
# that want a plain module attribute).
asgi = app.asgi_app


def _mark(name: str, text: str = "") -> None:
    path = STATE / name
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)  # atomic: the test never reads a half-written marker


# -- serving hooks ------------------------------------------------------------------


@app.before_serving
def before_serving() -> None:
    if os.environ.get("KOLBA_SERVERS_FAIL_STARTUP") == "1":
        raise RuntimeError("before_serving refused to start: KOLBA-STARTUP-FAILURE")
    app.config["SERVING_LOG"] = ["before_serving"]
    _mark(f"before_serving-{os.getpid()}", "before_serving ran")


@app.while_serving
async def while_serving():  # type: ignore[no-untyped-def]
    app.config["SERVING_LOG"].append("while_serving:enter")
    yield
    _mark(f"while_serving-exit-{os.getpid()}", "exited")


@app.after_serving
async def after_serving() -> None:
    _mark(f"after_serving-{os.getpid()}", "after_serving ran")


@app.get("/serving-log")
def serving_log():  # type: ignore[no-untyped-def]
    return jsonify(log=app.config.get("SERVING_LOG"), pid=os.getpid())


# -- HTTP -------------------------------------------------------------------------


@app.get("/hello/<int:number>")
def hello(number: int):  # type: ignore[no-untyped-def]
    return jsonify(
        number=number,
        type=type(number).__name__,
        name=request.args.get("name"),
        tags=request.args.getlist("tag"),
    )


@app.post("/form")
def form():  # type: ignore[no-untyped-def]
    return jsonify(
        fields={key: request.form.getlist(key) for key in request.form},
        length=request.content_length,
    )


@app.post("/async-form")
async def async_form():  # type: ignore[no-untyped-def]
    return jsonify(fields={key: request.form.getlist(key) for key in request.form})


@app.post("/upload")
def upload():  # type: ignore[no-untyped-def]
    data = request.files["file"].read()
    return jsonify(
        name=request.files["file"].filename,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        note=request.form.get("note"),
    )


@app.post("/async-json")
async def async_json():  # type: ignore[no-untyped-def]
    return jsonify(received=request.get_json())


@app.post("/json")
def post_json():  # type: ignore[no-untyped-def]
    data = request.get_json()
    return jsonify(received=data, kind=type(data).__name__)


@app.get("/stream")
def stream():  # type: ignore[no-untyped-def]
    count = request.args.get("count", 500, type=int)

    @stream_with_context
    def generate():  # type: ignore[no-untyped-def]
        yield f"start {request.args.get('tag', '')}\n"
        for i in range(count):
            yield f"line {i:05d} " + "x" * 100 + "\n"
        yield "end\n"

    return app.response_class(generate(), mimetype="text/plain")


@app.get("/async-stream")
async def async_stream():  # type: ignore[no-untyped-def]
    count = request.args.get("count", 500, type=int)

    async def generate():  # type: ignore[no-untyped-def]
        for i in range(count):
            if i % 50 == 0:
                await asyncio.sleep(0)
            yield f"async {i:05d}\n".encode()

    return app.response_class(generate(), mimetype="text/plain")


@app.get("/async")
async def async_view():  # type: ignore[no-untyped-def]
    await asyncio.sleep(0.01)
    return jsonify(
        view="async",
        arg=request.args.get("arg"),
        loop_running=asyncio.get_running_loop().is_running(),
    )


@app.get("/sync")
def sync_view():  # type: ignore[no-untyped-def]
    return jsonify(view="sync", thread=threading.current_thread().name)


@app.get("/session/set/<value>")
def session_set(value: str):  # type: ignore[no-untyped-def]
    session["value"] = value
    session["count"] = session.get("count", 0) + 1
    return "stored"


@app.get("/session/get")
def session_get():  # type: ignore[no-untyped-def]
    return jsonify(value=session.get("value"), count=session.get("count"))


@app.get("/file")
def big_file():  # type: ignore[no-untyped-def]
    return send_file(STATE / "big.bin", mimetype="application/octet-stream")


# Sync hooks and error handlers around async views: under ASGI they run in the
# thread pool, and must still see the request context.
hooked = Blueprint("hooked", __name__, url_prefix="/hooked")


@hooked.before_request
def hooked_before():  # type: ignore[no-untyped-def]
    g.hooked_path = request.path


@hooked.after_request
def hooked_after(response):  # type: ignore[no-untyped-def]
    response.headers["X-Hooked-After"] = request.path
    return response


@hooked.errorhandler(410)
def hooked_gone(error):  # type: ignore[no-untyped-def]
    return f"gone: {request.path}", 410


@hooked.get("/async")
async def hooked_async():  # type: ignore[no-untyped-def]
    return jsonify(seen_by_hook=g.hooked_path)


@hooked.get("/sync")
def hooked_sync():  # type: ignore[no-untyped-def]
    return jsonify(seen_by_hook=g.hooked_path)


@hooked.get("/async-gone")
async def hooked_async_gone():  # type: ignore[no-untyped-def]
    abort(410)


app.register_blueprint(hooked)


# -- concurrency --------------------------------------------------------------------


@app.get("/slow-sync/<flag>")
def slow_sync(flag: str):  # type: ignore[no-untyped-def]
    """Block this thread (time.sleep) until the test creates ``<flag>.go``."""
    _mark(f"{flag}.started", "started")
    deadline = time.monotonic() + FLAG_DEADLINE
    while not (STATE / f"{flag}.go").exists():
        if time.monotonic() > deadline:
            return "the test never released me", 504
        time.sleep(0.02)
    return "released"


@app.get("/ping")
async def ping():  # type: ignore[no-untyped-def]
    await asyncio.sleep(0)
    return f"pong {request.args.get('i', '')}"


# -- background tasks ---------------------------------------------------------------


async def _background(name: str) -> None:
    """Wait until shutdown has begun (after_serving ran), then write a marker."""
    _mark(f"{name}.task-started", "started")
    after = STATE / f"after_serving-{os.getpid()}"
    deadline = time.monotonic() + FLAG_DEADLINE
    while not after.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    _mark(f"{name}.task-done", "after shutdown began" if after.exists() else "timeout")


@app.get("/background/<name>")
def start_background(name: str):  # type: ignore[no-untyped-def]
    app.add_background_task(_background, name)
    return "scheduled"


# -- WebSockets ----------------------------------------------------------------------

SUPPORTED_SUBPROTOCOLS = ("kolba.v2", "kolba.v1")


@app.before_websocket
async def guard():  # type: ignore[no-untyped-def]
    if websocket.path == "/ws/guarded":
        return "refused by before_websocket", 403
    return None


# A *sync* before_websocket hook (it runs in the thread pool under ASGI).
sync_guard = Blueprint("sync_guard", __name__, url_prefix="/sync-guard")


@sync_guard.before_websocket
def sync_guard_hook():  # type: ignore[no-untyped-def]
    if websocket.args.get("let") != "in":
        return "refused by a sync hook", 403
    return None


@sync_guard.websocket("/ws")
async def sync_guarded() -> None:
    await websocket.send("through the sync guard")


app.register_blueprint(sync_guard)


@app.websocket("/ws/echo")
async def ws_echo() -> None:
    chosen = next(
        (p for p in websocket.requested_subprotocols if p in SUPPORTED_SUBPROTOCOLS),
        None,
    )
    await websocket.accept(subprotocol=chosen, headers={"X-Kolba-Ws": "yes"})
    await websocket.send_json(
        {
            "path": websocket.path,
            "args": {key: websocket.args.getlist(key) for key in websocket.args},
            "subprotocol": chosen,
            "header": websocket.headers.get("X-Test"),
            "session": session.get("value"),
        }
    )
    while True:
        message = await websocket.receive()
        if message == "close-me":
            await websocket.close(4001, "bye")
            return
        await websocket.send(message)


@app.websocket("/ws/json")
async def ws_json() -> None:
    while True:
        data = await websocket.receive_json()
        await websocket.send_json({"got": data, "kind": type(data).__name__})


@app.websocket("/ws/guarded")
async def ws_guarded() -> None:
    await websocket.send("the guard let me through")


@app.websocket("/ws/abort")
async def ws_abort() -> None:
    abort(websocket.args.get("code", 403, type=int))


@app.websocket("/ws/close")
async def ws_close() -> None:
    await websocket.accept()
    await websocket.close(4001, "bye")
