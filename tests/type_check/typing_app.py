"""Checked by mypy only (never collected by pytest): hook and error-handler
decorators return the decorated function unchanged."""

from __future__ import annotations

import typing as t
from http import HTTPStatus

from kolba import Kolba, Response
from kolba.exceptions import HTTPException, NotFound

app = Kolba(__name__)


@app.before_request
def before() -> None:
    return None


t.assert_type(before, t.Callable[[], None])


@app.before_request
def before_short_circuit() -> str | None:
    return None


t.assert_type(before_short_circuit, t.Callable[[], str | None])


@app.before_request
async def before_async() -> None:
    return None


@app.after_request
def after(response: Response) -> Response:
    response.headers["X-Kolba"] = "1"
    return response


t.assert_type(after(Response()), Response)


@app.after_request
async def after_async(response: Response) -> Response:
    return response


@app.teardown_request
def teardown(exc: BaseException | None) -> None:
    pass


t.assert_type(teardown(None), None)


@app.teardown_request
async def teardown_async(exc: BaseException | None) -> None:
    pass


@app.errorhandler(404)
def not_found(e: NotFound) -> tuple[str, int]:
    return "not here", 404


t.assert_type(not_found(NotFound()), tuple[str, int])


@app.errorhandler(HTTPStatus.INTERNAL_SERVER_ERROR)
def server_error(e: Exception) -> tuple[str, HTTPStatus]:
    return "oops", HTTPStatus.INTERNAL_SERVER_ERROR


@app.errorhandler(HTTPException)
def http_error(e: HTTPException) -> Response:
    return e.get_response()


t.assert_type(http_error(NotFound()), Response)


@app.errorhandler(ValueError)
def value_error(e: ValueError) -> dict[str, str]:
    return {"error": str(e)}


@app.errorhandler(KeyError)
async def key_error(e: KeyError) -> str:
    return "missing"


def later_handler(e: TypeError) -> str:
    return "later"


app.register_error_handler(TypeError, later_handler)
