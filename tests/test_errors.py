"""Error handlers, HTTP exceptions and error pages over HTTP."""

from __future__ import annotations

import logging
import typing as t

import flask
import pytest
import werkzeug.exceptions as wz

from kolba import Kolba, abort, request
from kolba import exceptions as kx
from kolba.testing import KolbaClient

# -- error handlers --------------------------------------------------------------------


def test_errorhandler_for_code(app: Kolba, client: KolbaClient) -> None:
    @app.errorhandler(404)
    def not_found(e: kx.NotFound) -> tuple[str, int]:
        return f"custom {e.code}", 404

    rv = client.get("/missing")
    assert rv.status_code == 404
    assert rv.text == "custom 404"


def test_errorhandler_for_code_catches_abort(app: Kolba, client: KolbaClient) -> None:
    @app.errorhandler(403)
    def forbidden(e: kx.Forbidden) -> tuple[str, int]:
        return f"no: {e.description}", 403

    @app.route("/")
    def index() -> str:
        abort(403, "private")

    assert client.get("/").text == "no: private"


def test_errorhandler_for_exception_class(app: Kolba, client: KolbaClient) -> None:
    @app.errorhandler(KeyError)
    def handle(e: KeyError) -> tuple[str, int]:
        return f"missing {e.args[0]}", 400

    @app.route("/")
    def index() -> str:
        raise KeyError("thing")

    rv = client.get("/")
    assert rv.status_code == 400
    assert rv.text == "missing thing"


class _AppError(Exception):
    pass


class _SpecificError(_AppError):
    pass


class _MoreSpecificError(_SpecificError):
    pass


def test_errorhandler_on_base_catches_subclass(app: Kolba, client: KolbaClient) -> None:
    @app.errorhandler(_AppError)
    def handle(e: _AppError) -> str:
        return f"base caught {type(e).__name__}"

    @app.route("/")
    def index() -> str:
        raise _MoreSpecificError

    assert client.get("/").text == "base caught _MoreSpecificError"


def test_errorhandler_most_specific_wins(app: Kolba, client: KolbaClient) -> None:
    @app.errorhandler(_AppError)
    def base(e: _AppError) -> str:
        return "base"

    @app.errorhandler(_SpecificError)
    def specific(e: _SpecificError) -> str:
        return "specific"

    @app.route("/<int:n>")
    def index(n: int) -> str:
        raise (_AppError, _SpecificError, _MoreSpecificError)[n]

    assert client.get("/0").text == "base"
    assert client.get("/1").text == "specific"
    assert client.get("/2").text == "specific"


def test_errorhandler_generic_http_exception(app: Kolba, client: KolbaClient) -> None:
    @app.errorhandler(kx.HTTPException)
    def handle(e: kx.HTTPException) -> tuple[str, int]:
        return f"http {e.code} {e.name}", e.code or 500

    rv = client.get("/missing")
    assert rv.status_code == 404
    assert rv.text == "http 404 Not Found"


def test_errorhandler_code_beats_generic_http_exception(
    app: Kolba, client: KolbaClient
) -> None:
    app.register_error_handler(kx.HTTPException, lambda e: ("generic", 500))
    app.register_error_handler(404, lambda e: ("specific", 404))
    assert client.get("/missing").text == "specific"


def test_errorhandler_http_exception_class(app: Kolba, client: KolbaClient) -> None:
    app.register_error_handler(kx.NotFound, lambda e: ("by class", 404))
    assert client.get("/missing").text == "by class"


def test_register_error_handler(app: Kolba, client: KolbaClient) -> None:
    def handle(e: ValueError) -> tuple[str, int]:
        return "registered", 422

    app.register_error_handler(ValueError, handle)

    @app.route("/")
    def index() -> str:
        raise ValueError

    rv = client.get("/")
    assert rv.status_code == 422
    assert rv.text == "registered"


def test_errorhandler_unknown_code_raises(app: Kolba) -> None:
    with pytest.raises(ValueError, match="999"):
        app.register_error_handler(999, lambda e: "x")


def test_errorhandler_instance_raises(app: Kolba) -> None:
    with pytest.raises(TypeError):
        app.register_error_handler(kx.NotFound(), lambda e: "x")  # type: ignore[arg-type]


def test_errorhandler_for_405(app: Kolba, client: KolbaClient) -> None:
    app.register_error_handler(405, lambda e: ("nope", 405))
    app.add_url_rule("/", "index", lambda: "x")
    rv = client.post("/")
    assert rv.status_code == 405
    assert rv.text == "nope"


def test_errorhandler_for_custom_http_exception_subclass(
    app: Kolba, client: KolbaClient
) -> None:
    class PaymentRequired(kx.HTTPException):
        code = 402
        description = "Pay up."

    app.register_error_handler(PaymentRequired, lambda e: (e.description, 402))

    @app.route("/")
    def index() -> str:
        raise PaymentRequired

    rv = client.get("/")
    assert rv.status_code == 402
    assert rv.text == "Pay up."


# -- exception classes -----------------------------------------------------------------

_CODES = [
    400,
    401,
    403,
    404,
    405,
    406,
    408,
    409,
    410,
    411,
    412,
    413,
    414,
    415,
    416,
    417,
    418,
    421,
    422,
    423,
    424,
    428,
    429,
    431,
    451,
    500,
    501,
    502,
    503,
    504,
    505,
]


@pytest.mark.parametrize("code", _CODES)
def test_exception_class_code_name_description(code: int) -> None:
    ours = kx.default_exceptions[code]
    theirs = wz.default_exceptions[code]
    assert ours.__name__ == theirs.__name__
    assert ours.code == code
    assert ours().name == theirs().name
    description = ours().description
    assert isinstance(description, str)
    assert description


def test_exception_custom_description() -> None:
    assert kx.NotFound("gone fishing").description == "gone fishing"


def test_abort_unknown_code_raises_lookup_error(app: Kolba) -> None:
    with pytest.raises(LookupError):
        abort(299)


# -- error pages -----------------------------------------------------------------------


def test_error_page_is_html_by_default(client: KolbaClient) -> None:
    rv = client.get("/missing")
    assert rv.status_code == 404
    assert rv.mimetype == "text/html"
    assert "<title>404 Not Found</title>" in rv.text
    assert kx.NotFound.description in rv.text


def test_error_page_has_werkzeug_layout(client: KolbaClient) -> None:
    rv = client.get("/missing")
    assert rv.text == (
        "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n"
        f"<h1>Not Found</h1>\n<p>{kx.NotFound.description}</p>\n"
    )


def test_error_page_is_json_when_accepted(client: KolbaClient) -> None:
    rv = client.get("/missing", headers={"Accept": "application/json"})
    assert rv.status_code == 404
    assert rv.mimetype == "application/json"
    assert rv.json == {
        "code": 404,
        "name": "Not Found",
        "description": kx.NotFound.description,
    }


def test_error_page_prefers_html_when_both_accepted(client: KolbaClient) -> None:
    rv = client.get("/missing", headers={"Accept": "text/html, application/json"})
    assert rv.mimetype == "text/html"


def test_error_page_json_for_abort_description(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        abort(409, "Already exists.")

    rv = client.get("/", headers={"Accept": "application/json"})
    assert rv.json == {
        "code": 409,
        "name": "Conflict",
        "description": "Already exists.",
    }


def test_405_page_has_allow_header(app: Kolba, client: KolbaClient) -> None:
    app.add_url_rule("/", "index", lambda: "x", methods=["GET", "POST"])
    rv = client.delete("/")
    assert rv.status_code == 405
    assert set(rv.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


# -- unhandled errors ------------------------------------------------------------------


def _failing_app(app: Kolba) -> None:
    @app.route("/")
    def index() -> str:
        raise ValueError("secret internals: password=hunter2")


def test_unhandled_error_propagates_in_testing(app: Kolba, client: KolbaClient) -> None:
    _failing_app(app)
    with pytest.raises(ValueError, match="hunter2"):
        client.get("/")


def test_unhandled_error_is_generic_500_in_production(
    app: Kolba, client: KolbaClient
) -> None:
    app.testing = False
    _failing_app(app)
    rv = client.get("/")
    assert rv.status_code == 500
    assert "Internal Server Error" in rv.text
    assert "hunter2" not in rv.text
    assert "Traceback" not in rv.text
    assert "ValueError" not in rv.text


def test_unhandled_error_json_500_in_production(
    app: Kolba, client: KolbaClient
) -> None:
    app.testing = False
    _failing_app(app)
    rv = client.get("/", headers={"Accept": "application/json"})
    assert rv.status_code == 500
    assert rv.json["code"] == 500
    assert "hunter2" not in rv.text


def test_propagate_exceptions_false_overrides_testing(
    app: Kolba, client: KolbaClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _failing_app(app)
    assert client.get("/").status_code == 500


def test_propagate_exceptions_true_in_production(
    app: Kolba, client: KolbaClient
) -> None:
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = True
    _failing_app(app)
    with pytest.raises(ValueError):
        client.get("/")


def test_debug_propagates(app: Kolba, client: KolbaClient) -> None:
    app.testing = False
    app.debug = True
    _failing_app(app)
    with pytest.raises(ValueError):
        client.get("/")


def test_errorhandler_500_receives_original_exception(
    app: Kolba, client: KolbaClient
) -> None:
    app.testing = False
    seen: list[t.Any] = []

    @app.errorhandler(500)
    def handle(e: kx.InternalServerError) -> tuple[str, int]:
        seen.append(e)
        return "sorry", 500

    _failing_app(app)
    rv = client.get("/")
    assert rv.status_code == 500
    assert rv.text == "sorry"
    assert isinstance(seen[0], kx.InternalServerError)
    assert isinstance(seen[0].original_exception, ValueError)


def test_errorhandler_exception_catches_everything(
    app: Kolba, client: KolbaClient
) -> None:
    @app.errorhandler(Exception)
    def handle(e: Exception) -> tuple[str, int]:
        return type(e).__name__, 500

    _failing_app(app)
    assert client.get("/").text == "ValueError"
    # HTTP exceptions are Exceptions too, as in Flask
    assert client.get("/missing").text == "NotFound"


def test_errorhandler_that_raises_becomes_500(app: Kolba, client: KolbaClient) -> None:
    app.testing = False

    @app.errorhandler(ValueError)
    def handle(e: ValueError) -> str:
        raise RuntimeError("handler broke")

    _failing_app(app)
    assert client.get("/").status_code == 500


def test_unhandled_error_is_logged(
    app: Kolba, client: KolbaClient, caplog: pytest.LogCaptureFixture
) -> None:
    app.testing = False
    _failing_app(app)
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        client.get("/")
    records = [r for r in caplog.records if r.name == app.logger.name]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert "/" in records[0].getMessage()
    assert records[0].exc_info is not None
    assert records[0].exc_info[0] is ValueError


def test_http_exception_is_not_logged(
    app: Kolba, client: KolbaClient, caplog: pytest.LogCaptureFixture
) -> None:
    app.testing = False
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        client.get("/missing")
    assert not [r for r in caplog.records if r.name == app.logger.name]


def test_trap_http_exceptions_raises(app: Kolba, client: KolbaClient) -> None:
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    with pytest.raises(kx.NotFound):
        client.get("/missing")


def test_bad_request_key_error_shows_key_in_debug(
    app: Kolba, client: KolbaClient
) -> None:
    app.testing = False
    app.config["TRAP_BAD_REQUEST_ERRORS"] = False
    app.debug = True

    @app.route("/")
    def index() -> str:
        from kolba import request

        return request.args["needed"]

    rv = client.get("/")
    assert rv.status_code == 400
    assert "needed" in rv.text


def test_bad_request_key_error_hides_key_in_production(
    app: Kolba, client: KolbaClient
) -> None:
    app.testing = False

    @app.route("/")
    def index() -> str:
        from kolba import request

        return request.args["needed"]

    rv = client.get("/")
    assert rv.status_code == 400
    assert "needed" not in rv.text
    fapp = flask.Flask("oracle")
    fapp.add_url_rule("/", "index", lambda: flask.request.args["needed"])
    assert "needed" not in fapp.test_client().get("/").text


def test_bad_request_key_error_keeps_an_explicit_description(
    app: Kolba, client: KolbaClient
) -> None:
    BadRequestKeyError = kx.BadRequestKeyError

    @app.route("/missing")
    def missing() -> str:
        raise BadRequestKeyError("name", description="Send a 'name' field.")

    @app.route("/derived")
    def derived() -> str:
        return request.form["name"]

    assert BadRequestKeyError("k").description.startswith("The request is missing")
    response = client.get("/missing", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json["description"] == "Send a 'name' field."
    derived_response = client.get("/derived", headers={"Accept": "application/json"})
    assert derived_response.status_code == 400
    assert "missing a required field" in derived_response.json["description"]


def test_request_limits_follow_config_and_overrides(app: Kolba) -> None:
    app.config["MAX_FORM_PARTS"] = 7
    with app.test_request_context("/"):
        assert request.max_form_parts == 7
        assert request.max_content_length == app.config["MAX_CONTENT_LENGTH"]
        request.max_form_parts = 3
        assert request.max_form_parts == 3
