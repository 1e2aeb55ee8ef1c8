"""Checked by mypy only (never collected by pytest): views keep their types
and may return any documented response value."""

from __future__ import annotations

import typing as t
from http import HTTPStatus

from kolba import Kolba, Response, jsonify
from kolba.typing import ResponseReturnValue

app = Kolba(__name__)


@app.route("/str")
def hello_str() -> str:
    return "<p>Hello, World!</p>"


t.assert_type(hello_str, t.Callable[[], str])


@app.route("/bytes")
def hello_bytes() -> bytes:
    return b"<p>Hello, World!</p>"


@app.route("/json")
def hello_json() -> Response:
    return jsonify("Hello, World!")


@app.route("/json/dict")
def hello_json_dict() -> dict[str, t.Any]:
    return {"response": "Hello, World!"}


t.assert_type(hello_json_dict, t.Callable[[], dict[str, t.Any]])


@app.route("/json/list")
def hello_json_list() -> list[t.Any]:
    return [{"message": "Hello"}, {"message": "World"}]


@app.route("/status")
@app.route("/status/<int:code>")
def tuple_status(code: int = 200) -> tuple[str, int]:
    return "hello", code


t.assert_type(tuple_status(201), tuple[str, int])


@app.route("/status-code")
def tuple_status_enum() -> ResponseReturnValue:
    return "hello", HTTPStatus.OK


@app.route("/headers")
def tuple_headers() -> tuple[str, dict[str, str]]:
    return "Hello, World!", {"Content-Type": "text/plain"}


@app.route("/status-headers")
def tuple_status_headers() -> tuple[str, int, dict[str, str]]:
    return "Hello, World!", 201, {"X-Kolba": "1"}


@app.route("/response")
def response_object() -> Response:
    return Response("Hello, World!", status=201, mimetype="text/plain")


@app.route("/iterator")
def generator() -> t.Iterator[str]:
    yield "Hello, "
    yield "World!"


@app.get("/get/<name>")
def get_view(name: str) -> str:
    return name


t.assert_type(get_view("kolba"), str)


@app.post("/post")
def post_view() -> tuple[dict[str, bool], int]:
    return {"created": True}, 201


t.assert_type(post_view, t.Callable[[], tuple[dict[str, bool], int]])


@app.route("/async")
async def async_view() -> str:
    return "async"


t.assert_type(async_view, t.Callable[[], t.Coroutine[t.Any, t.Any, str]])


def add_rule_view() -> str:
    return "added"


app.add_url_rule("/added", view_func=add_rule_view)
app.add_url_rule("/lambda", "lambda", lambda: "lambda")
