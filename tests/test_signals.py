"""Signals over HTTP: who sends them, when, and with which arguments (as in Flask)."""

from __future__ import annotations

import typing as t
from contextlib import ExitStack

import pytest

from kolba import (
    Kolba,
    Response,
    abort,
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    flash,
    got_request_exception,
    message_flashed,
    request_finished,
    request_started,
    request_tearing_down,
)
from kolba.testing import KolbaClient

Record = list[tuple[str, t.Any, dict[str, t.Any]]]


def _recorder(name: str, record: Record) -> t.Callable[..., None]:
    def receiver(sender: t.Any, **kwargs: t.Any) -> None:
        record.append((name, sender, kwargs))

    return receiver


def test_request_started_is_sent_before_the_hooks(
    app: Kolba, client: KolbaClient
) -> None:
    record: Record = []

    @app.before_request
    def before() -> None:
        record.append(("before_request", None, {}))

    @app.route("/")
    def index() -> str:
        return "ok"

    with request_started.connected_to(_recorder("started", record), app):
        client.get("/")
    assert record == [("started", app, {}), ("before_request", None, {})]


def test_request_finished_gets_the_final_response(
    app: Kolba, client: KolbaClient
) -> None:
    record: Record = []

    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = "yes"
        return response

    @app.route("/")
    def index() -> str:
        return "body"

    with request_finished.connected_to(_recorder("finished", record), app):
        rv = client.get("/")
    [(name, sender, kwargs)] = record
    assert (name, sender, list(kwargs)) == ("finished", app, ["response"])
    assert kwargs["response"].headers["X-After"] == "yes"
    assert kwargs["response"].get_data() == b"body" == rv.data


def test_request_tearing_down_without_error(app: Kolba, client: KolbaClient) -> None:
    record: Record = []

    @app.route("/")
    def index() -> str:
        return "ok"

    with request_tearing_down.connected_to(_recorder("teardown", record), app):
        client.get("/")
    assert record == [("teardown", app, {"exc": None})]


def test_unhandled_error_sends_got_request_exception_and_teardown_exc(
    app: Kolba, client: KolbaClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    record: Record = []
    error = RuntimeError("boom")

    @app.route("/")
    def index() -> str:
        raise error

    with (
        got_request_exception.connected_to(_recorder("exception", record), app),
        request_tearing_down.connected_to(_recorder("teardown", record), app),
        request_finished.connected_to(_recorder("finished", record), app),
    ):
        rv = client.get("/")
    assert rv.status_code == 500
    assert [(name, sender) for name, sender, _ in record] == [
        ("exception", app),
        ("finished", app),
        ("teardown", app),
    ]
    assert record[0][2] == {"exception": error}
    assert record[1][2]["response"].status_code == 500
    assert record[2][2] == {"exc": error}


def test_got_request_exception_is_sent_before_propagating(app: Kolba) -> None:
    record: Record = []

    @app.route("/")
    def index() -> str:
        raise KeyError("propagated")

    with (
        got_request_exception.connected_to(_recorder("exception", record), app),
        pytest.raises(KeyError, match="propagated"),
    ):
        app.test_client().get("/")
    [(_, sender, kwargs)] = record
    assert sender is app
    assert isinstance(kwargs["exception"], KeyError)


def test_handled_errors_send_no_exception_signal(
    app: Kolba, client: KolbaClient
) -> None:
    record: Record = []

    @app.errorhandler(ValueError)
    def handle(exc: ValueError) -> tuple[str, int]:
        return "handled", 400

    @app.route("/value")
    def value() -> str:
        raise ValueError

    @app.route("/abort")
    def aborted() -> str:
        abort(404)

    with (
        got_request_exception.connected_to(_recorder("exception", record), app),
        request_tearing_down.connected_to(_recorder("teardown", record), app),
    ):
        assert client.get("/value").status_code == 400
        assert client.get("/abort").status_code == 404
    assert record == [("teardown", app, {"exc": None})] * 2


def test_appcontext_signals_order_and_arguments(app: Kolba) -> None:
    record: Record = []
    with (
        appcontext_pushed.connected_to(_recorder("pushed", record), app),
        appcontext_tearing_down.connected_to(_recorder("tearing_down", record), app),
        appcontext_popped.connected_to(_recorder("popped", record), app),
        app.app_context(),
    ):
        record.append(("inside", None, {}))
    assert record == [
        ("pushed", app, {}),
        ("inside", None, {}),
        ("tearing_down", app, {"exc": None}),
        ("popped", app, {}),
    ]


def test_appcontext_tearing_down_gets_the_error(app: Kolba) -> None:
    record: Record = []
    with (
        appcontext_tearing_down.connected_to(_recorder("tearing_down", record), app),
        pytest.raises(ZeroDivisionError),
        app.app_context(),
    ):
        1 / 0  # noqa: B018
    [(_, sender, kwargs)] = record
    assert sender is app
    assert isinstance(kwargs["exc"], ZeroDivisionError)


def test_full_request_signal_order(app: Kolba, client: KolbaClient) -> None:
    record: Record = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        record.append(("teardown_request", None, {}))

    @app.route("/")
    def index() -> str:
        record.append(("view", None, {}))
        return "ok"

    signals = [
        ("appcontext_pushed", appcontext_pushed),
        ("request_started", request_started),
        ("request_finished", request_finished),
        ("request_tearing_down", request_tearing_down),
        ("appcontext_tearing_down", appcontext_tearing_down),
        ("appcontext_popped", appcontext_popped),
    ]
    with ExitStack() as stack:
        for name, signal in signals:
            stack.enter_context(signal.connected_to(_recorder(name, record), app))
        client.get("/")
    assert [name for name, _, _ in record] == [
        "appcontext_pushed",
        "request_started",
        "view",
        "request_finished",
        "teardown_request",
        "request_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]


def test_message_flashed_sends_message_and_category(
    app: Kolba, client: KolbaClient
) -> None:
    record: Record = []

    @app.route("/")
    def index() -> str:
        flash("Saved")
        flash("Careful", "warning")
        return "ok"

    with message_flashed.connected_to(_recorder("flashed", record), app):
        client.get("/")
    assert record == [
        ("flashed", app, {"message": "Saved", "category": "message"}),
        ("flashed", app, {"message": "Careful", "category": "warning"}),
    ]


def test_receiver_for_one_app_ignores_another(app: Kolba) -> None:
    other = Kolba("other_app", root_path="/nonexistent-kolba-test-root")
    other.config["TESTING"] = True

    @other.route("/")
    def index() -> str:
        return "other"

    record: Record = []
    with request_started.connected_to(_recorder("started", record), app):
        assert other.test_client().get("/").text == "other"
    assert record == []


def test_async_receiver_runs_through_ensure_sync(
    app: Kolba, client: KolbaClient
) -> None:
    record: list[t.Any] = []

    async def receiver(sender: t.Any, **kwargs: t.Any) -> None:
        record.append(sender)

    @app.route("/")
    def index() -> str:
        return "ok"

    with request_started.connected_to(receiver, app):
        client.get("/")
    assert record == [app]
