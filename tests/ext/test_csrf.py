"""CSRF protection over HTTP: tokens in forms and headers, exemptions, expiry."""

from __future__ import annotations

import re
import time
import typing as t

import pytest

from kolba import Kolba, render_template_string, session
from kolba.ext.csrf import CSRFError, CSRFProtect, generate_csrf, validate_csrf
from kolba.testing import KolbaClient

if t.TYPE_CHECKING:
    from kolba import Blueprint


@pytest.fixture
def csrf(app: Kolba) -> CSRFProtect:
    csrf = CSRFProtect(app)

    @app.route("/token")
    def token() -> str:
        return generate_csrf()

    @app.route("/submit", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def submit() -> str:
        return "accepted"

    return csrf


def _token(client: KolbaClient) -> str:
    return client.get("/token").text


def _reason(response: t.Any) -> str:
    return t.cast(str, response.text)


# -- accepted -------------------------------------------------------------------------


def test_token_in_form_field_is_accepted(
    csrf: CSRFProtect, client: KolbaClient
) -> None:
    token = _token(client)
    response = client.post("/submit", data={"csrf_token": token})
    assert (response.status_code, response.text) == (200, "accepted")


@pytest.mark.parametrize("header", ["X-CSRFToken", "X-CSRF-Token"])
def test_token_in_header_is_accepted(
    csrf: CSRFProtect, client: KolbaClient, header: str
) -> None:
    token = _token(client)
    response = client.post("/submit", headers={header: token})
    assert response.status_code == 200


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_unsafe_methods_are_checked(
    csrf: CSRFProtect, client: KolbaClient, method: str
) -> None:
    _token(client)
    assert client.open("/submit", method=method).status_code == 400
    token = _token(client)
    response = client.open("/submit", method=method, headers={"X-CSRFToken": token})
    assert response.status_code == 200


def test_prefixed_form_field_is_accepted(
    csrf: CSRFProtect, client: KolbaClient
) -> None:
    token = _token(client)
    response = client.post("/submit", data={"login-csrf_token": token})
    assert response.status_code == 200


def test_tokens_differ_per_request_but_all_validate(
    csrf: CSRFProtect, client: KolbaClient
) -> None:
    first, second = _token(client), _token(client)
    assert first != second  # masked: nothing stable for BREACH to recover
    assert client.post("/submit", data={"csrf_token": first}).status_code == 200
    assert client.post("/submit", data={"csrf_token": second}).status_code == 200


def test_token_is_stable_within_a_request(app: Kolba, csrf: CSRFProtect) -> None:
    with app.test_request_context("/"):
        assert generate_csrf() == generate_csrf()


def test_get_is_not_checked(csrf: CSRFProtect, client: KolbaClient) -> None:
    assert client.get("/submit").status_code == 200


def test_unknown_url_is_a_404_not_a_csrf_error(
    csrf: CSRFProtect, client: KolbaClient
) -> None:
    assert client.post("/missing").status_code == 404


# -- rejected -------------------------------------------------------------------------


def test_missing_token_is_rejected(csrf: CSRFProtect, client: KolbaClient) -> None:
    _token(client)
    response = client.post("/submit")
    assert response.status_code == 400
    assert "The CSRF token is missing." in _reason(response)


def test_missing_session_secret_is_rejected(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    token = _token(client)
    other = app.test_client()  # no session cookie
    response = other.post("/submit", data={"csrf_token": token})
    assert response.status_code == 400
    assert "The CSRF session token is missing." in _reason(response)


@pytest.mark.parametrize(
    "bad", ["garbage", "a.b.c", "é" * 10, "x" * 2000, "AAAA.1.AAAA"]
)
def test_invalid_token_is_rejected(
    csrf: CSRFProtect, client: KolbaClient, bad: str
) -> None:
    _token(client)
    response = client.post("/submit", data={"csrf_token": bad})
    assert response.status_code == 400
    assert "The CSRF token is invalid." in _reason(response)


def test_tampered_token_is_rejected(csrf: CSRFProtect, client: KolbaClient) -> None:
    token = _token(client)
    masked, stamp, signature = token.split(".")
    flipped = ("B" if masked[3] == "A" else "A").join((masked[:3], masked[4:]))
    response = client.post(
        "/submit", data={"csrf_token": f"{flipped}.{stamp}.{signature}"}
    )
    assert "The CSRF token is invalid." in _reason(response)


def test_token_of_another_session_is_rejected(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    _token(client)
    other = app.test_client()
    foreign = _token(other)
    response = client.post("/submit", data={"csrf_token": foreign})
    assert response.status_code == 400
    assert "The CSRF token is invalid." in _reason(response)


def test_token_signed_with_another_key_is_rejected(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    token = _token(client)
    app.config["WTF_CSRF_SECRET_KEY"] = "a different csrf key"
    response = client.post("/submit", data={"csrf_token": token})
    assert "The CSRF token is invalid." in _reason(response)


def test_expired_token_is_rejected(
    csrf: CSRFProtect,
    app: Kolba,
    client: KolbaClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app.config["WTF_CSRF_TIME_LIMIT"] = 60
    token = _token(client)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 61)
    response = client.post("/submit", data={"csrf_token": token})
    assert response.status_code == 400
    assert "The CSRF token has expired." in _reason(response)


def test_time_limit_none_never_expires(
    csrf: CSRFProtect,
    app: Kolba,
    client: KolbaClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    token = _token(client)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 10 * 86400)
    app.config["PERMANENT_SESSION_LIFETIME"] = 365 * 86400
    response = client.post("/submit", data={"csrf_token": token})
    assert response.status_code == 200


def test_error_handler_catches_csrf_error(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        return f"custom: {error.description}", 400

    response = client.post("/submit")
    assert response.text == "custom: The CSRF token is missing."


def test_csrf_error_is_a_bad_request() -> None:
    from kolba.exceptions import BadRequest

    assert issubclass(CSRFError, BadRequest)
    assert CSRFError.code == 400


# -- HTTPS referrer check ------------------------------------------------------------


def test_https_requires_a_referrer(csrf: CSRFProtect, client: KolbaClient) -> None:
    token = client.get("/token", base_url="https://localhost").text
    response = client.post(
        "/submit", base_url="https://localhost", data={"csrf_token": token}
    )
    assert "The referrer header is missing." in _reason(response)


def test_https_rejects_a_cross_origin_referrer(
    csrf: CSRFProtect, client: KolbaClient
) -> None:
    token = client.get("/token", base_url="https://localhost").text
    response = client.post(
        "/submit",
        base_url="https://localhost",
        data={"csrf_token": token},
        headers={"Referer": "https://evil.example/form"},
    )
    assert "The referrer does not match the host." in _reason(response)


def test_https_accepts_a_same_origin_referrer(
    csrf: CSRFProtect, client: KolbaClient
) -> None:
    token = client.get("/token", base_url="https://localhost").text
    response = client.post(
        "/submit",
        base_url="https://localhost",
        data={"csrf_token": token},
        headers={"Referer": "https://localhost/form"},
    )
    assert response.status_code == 200


def test_ssl_strict_off_skips_the_referrer_check(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    app.config["WTF_CSRF_SSL_STRICT"] = False
    token = client.get("/token", base_url="https://localhost").text
    response = client.post(
        "/submit", base_url="https://localhost", data={"csrf_token": token}
    )
    assert response.status_code == 200


# -- configuration and exemptions ----------------------------------------------------


def test_disabled_config_turns_checks_off(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/submit").status_code == 200


def test_check_default_off_checks_only_on_protect(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    @app.post("/guarded")
    def guarded() -> str:
        csrf.protect()
        return "guarded"

    assert client.post("/submit").status_code == 200
    assert client.post("/guarded").status_code == 400


def test_custom_methods_and_field_name(app: Kolba, client: KolbaClient) -> None:
    app.config.update(WTF_CSRF_METHODS={"POST"}, WTF_CSRF_FIELD_NAME="_csrf")
    CSRFProtect(app)

    @app.route("/token")
    def token() -> str:
        return generate_csrf()

    @app.route("/x", methods=["POST", "DELETE"])
    def x() -> str:
        return "ok"

    value = client.get("/token").text
    assert client.delete("/x").status_code == 200
    assert client.post("/x", data={"csrf_token": value}).status_code == 400
    assert client.post("/x", data={"_csrf": value}).status_code == 200


def test_exempt_view(csrf: CSRFProtect, app: Kolba, client: KolbaClient) -> None:
    @csrf.exempt
    @app.post("/webhook")
    def webhook() -> str:
        return "hooked"

    assert client.post("/webhook").text == "hooked"
    assert client.post("/submit").status_code == 400


def test_exempt_view_by_dotted_name(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    @app.post("/named-hook")
    def named_hook() -> str:
        return "hooked"

    csrf.exempt(f"{__name__}.named_hook")
    assert client.post("/named-hook").text == "hooked"


def _blueprint(name: str) -> Blueprint:
    from kolba import Blueprint

    return Blueprint(name, __name__)


def test_exempt_blueprint(csrf: CSRFProtect, app: Kolba, client: KolbaClient) -> None:
    api = _blueprint("api")

    @api.post("/ping")
    def api_ping() -> str:
        return "pong"

    csrf.exempt(api)
    app.register_blueprint(api, url_prefix="/api")
    assert client.post("/api/ping").text == "pong"
    assert client.post("/submit").status_code == 400


def test_exempt_blueprint_covers_nested_blueprints(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    parent = _blueprint("parent")
    child = _blueprint("child")

    @child.post("/inner")
    def nested_inner() -> str:
        return "inner"

    parent.register_blueprint(child, url_prefix="/child")
    csrf.exempt(parent)
    app.register_blueprint(parent, url_prefix="/parent")
    assert client.post("/parent/child/inner").text == "inner"


def test_unexempt_blueprint_is_checked(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    admin = _blueprint("admin")

    @admin.post("/delete")
    def admin_delete() -> str:
        return "deleted"

    app.register_blueprint(admin, url_prefix="/admin")
    assert client.post("/admin/delete").status_code == 400


def test_validate_csrf_directly(app: Kolba, csrf: CSRFProtect) -> None:
    with app.test_request_context("/"):
        token = generate_csrf()
        validate_csrf(token)
        with pytest.raises(CSRFError, match="missing"):
            validate_csrf(None)
        with pytest.raises(CSRFError, match="invalid"):
            validate_csrf(token + "x")


def test_generating_a_token_stores_the_secret_in_the_session(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    @app.route("/secret")
    def secret() -> str:
        return str("csrf_token" in session)

    assert client.get("/secret").text == "False"
    _token(client)
    assert client.get("/secret").text == "True"


def test_without_secret_key_generating_a_token_raises(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    app.secret_key = None
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        client.get("/token")


# -- templates ------------------------------------------------------------------------


def test_csrf_token_in_a_rendered_template(
    csrf: CSRFProtect, app: Kolba, client: KolbaClient
) -> None:
    @app.route("/form")
    def form() -> str:
        return render_template_string(
            '<form method="post"><input name="csrf_token" value="{{ csrf_token() }}">'
        )

    page = client.get("/form").text
    match = re.search(r'value="([^"]+)"', page)
    assert match is not None
    response = client.post("/submit", data={"csrf_token": match.group(1)})
    assert response.status_code == 200
