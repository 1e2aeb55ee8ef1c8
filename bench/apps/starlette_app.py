"""Benchmark app for Starlette, written the idiomatic Starlette way (async endpoints).

Mirrors ``flask_app.py`` case by case: ``PlainTextResponse`` for the plaintext case,
``JSONResponse`` for json, ``HTMLResponse`` where the Flask view returns a ``str``
(Flask answers those as ``text/html``), ``await request.form()`` for the form,
``Jinja2Templates`` over the same ``templates/`` folder, and Starlette's own
``SessionMiddleware`` (a signed cookie, like Flask's) for the session case.

The session middleware wraps only the ``/session`` route (Starlette's per-route
``middleware=``), so the other cases do not pay for it: of the fair choices, the one
most favourable to Starlette.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.templating import Jinja2Templates
from starlette.websockets import WebSocketDisconnect

from .spec import (
    FORM_FIELDS,
    FORM_SEPARATOR,
    HELLO,
    SECRET_KEY,
    TEMPLATE_NAME,
    TEMPLATE_ROWS,
    TEMPLATE_TITLE,
    TEMPLATES_DIR,
    filler_routes,
    static_body,
)

UNSUPPORTED_CASES = {}
try:  # Starlette parses forms with python-multipart, an optional dependency.
    import python_multipart  # noqa: F401
except ImportError:
    try:
        import multipart  # noqa: F401
    except ImportError:
        UNSUPPORTED_CASES["form"] = (
            "Starlette needs python-multipart to parse forms (not installed)"
        )


def _static_view(i):
    body = static_body(i)

    async def view(request):
        return HTMLResponse(body)

    return view


async def _user_view(request):
    return HTMLResponse(request.path_params["name"])


async def _post_view(request):
    return HTMLResponse(str(request.path_params["post_id"]))


def make_app(n_routes=100):
    """The ASGI callable a server would be given: the Starlette app."""
    templates = Jinja2Templates(directory=TEMPLATES_DIR)

    async def plaintext(request):
        return PlainTextResponse(HELLO)

    async def json_message(request):
        return JSONResponse({"message": HELLO})

    async def form(request):
        data = await request.form()
        return HTMLResponse(FORM_SEPARATOR.join(data[name] for name in FORM_FIELDS))

    async def template(request):
        return templates.TemplateResponse(
            request, TEMPLATE_NAME, {"title": TEMPLATE_TITLE, "rows": TEMPLATE_ROWS}
        )

    async def session_counter(request):
        session = request.session
        session["count"] = session.get("count", 0) + 1
        return HTMLResponse(str(session["count"]))

    async def echo(websocket):
        await websocket.accept()
        try:
            while True:
                await websocket.send_text(await websocket.receive_text())
        except WebSocketDisconnect:
            pass

    routes = [
        Route("/plaintext", plaintext),
        Route("/json", json_message),
        Route("/form", form, methods=["POST"]),
        Route("/template", template),
        Route(
            "/session",
            session_counter,
            middleware=[Middleware(SessionMiddleware, secret_key=SECRET_KEY)],
        ),
        WebSocketRoute("/ws", echo),
    ]
    for kind, i in filler_routes(n_routes):
        if kind == "static":
            routes.append(Route(f"/static-route-{i}", _static_view(i)))
        elif kind == "user":
            routes.append(Route(f"/user-{i}/{{name}}", _user_view))
        else:
            routes.append(Route(f"/post-{i}/{{post_id:int}}", _post_view))

    async def item(request):
        return HTMLResponse(str(request.path_params["item_id"]))

    routes.append(Route("/item/{item_id:int}", item))
    return Starlette(routes=routes)
