"""Signed cookie sessions: format, tampering, expiry, rotation, cookie attributes."""

from __future__ import annotations

import base64
import hmac
import json
import logging
import secrets
import time
import typing as t
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest
from markupsafe import Markup

from kolba import Kolba, session
from kolba.sessions import (
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionMixin,
)
from kolba.signing import BadSignature, TimestampSigner, derive_key
from kolba.testing import KolbaClient

if t.TYPE_CHECKING:
    from kolba.request import Request
    from kolba.response import Response


@pytest.fixture
def counter_app(app: Kolba) -> Kolba:
    @app.route("/set/<value>")
    def set_value(value: str) -> str:
        session["value"] = value
        return "ok"

    @app.route("/get")
    def get_value() -> str:
        return str(session.get("value", "<none>"))

    @app.route("/touch")
    def touch() -> str:
        return "untouched"

    @app.route("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["value"] = "kept"
        return "ok"

    return app


def _session_cookie(client: KolbaClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _set_cookie_header(response: t.Any) -> str:
    header: str = response.headers["Set-Cookie"]
    return header


# -- round trips ------------------------------------------------------------------


def test_value_survives_between_requests(
    counter_app: Kolba, client: KolbaClient
) -> None:
    client.get("/set/apple")
    assert client.get("/get").text == "apple"


def test_tagged_types_round_trip(app: Kolba, client: KolbaClient) -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    uid = UUID("12345678-1234-5678-1234-567812345678")

    @app.route("/store")
    def store() -> str:
        session.update(
            t=(1, 2),
            b=b"\x00\xff",
            m=Markup("<b>x</b>"),
            u=uid,
            d=when,
            nested={" t": [1]},
            lst=[(1,), {"k": b"v"}],
        )
        return "ok"

    @app.route("/load")
    def load() -> str:
        assert session["t"] == (1, 2)
        assert session["b"] == b"\x00\xff"
        assert session["m"] == Markup("<b>x</b>")
        assert isinstance(session["m"], Markup)
        assert session["u"] == uid
        assert session["d"] == when
        assert session["nested"] == {" t": [1]}
        assert session["lst"] == [(1,), {"k": b"v"}]
        return "ok"

    client.get("/store")
    assert client.get("/load").text == "ok"


def test_large_session_is_compressed_and_round_trips(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/store")
    def store() -> str:
        session["text"] = "abc" * 500
        return "ok"

    @app.route("/load")
    def load() -> str:
        return str(len(session["text"]))

    client.get("/store")
    value = _session_cookie(client)
    assert value.startswith(".")  # compressed payload marker
    assert len(value) < 400
    assert client.get("/load").text == "1500"


def test_cookie_format_is_payload_timestamp_signature(
    counter_app: Kolba, client: KolbaClient
) -> None:
    client.get("/set/apple")
    payload, stamp, signature = _session_cookie(client).split(".")
    assert abs(int(stamp) - time.time()) < 5
    assert len(signature) == 43
    # The documented derivation: key = HMAC-SHA256(SECRET_KEY, salt).
    key = hmac.digest(b"test key", b"cookie-session", "sha256")
    assert derive_key("test key", "cookie-session") == key
    mac = hmac.digest(key, f"{payload}.{stamp}".encode(), "sha256")
    assert base64.urlsafe_b64encode(mac).rstrip(b"=").decode() == signature
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert json.loads(data) == {"value": "apple"}


# -- hostile cookies ----------------------------------------------------------------


def _flip(text: str, index: int) -> str:
    char = text[index]
    return text[:index] + ("A" if char != "A" else "B") + text[index + 1 :]


@pytest.mark.parametrize("where", ["payload", "timestamp", "signature"])
def test_tampered_cookie_gives_empty_session(
    counter_app: Kolba, client: KolbaClient, where: str
) -> None:
    client.get("/set/apple")
    payload, stamp, signature = _session_cookie(client).split(".")
    if where == "payload":
        payload = _flip(payload, 2)
    elif where == "timestamp":
        stamp = str(int(stamp) - 1)
    else:
        signature = _flip(signature, 5)
    client.set_cookie("session", f"{payload}.{stamp}.{signature}")
    assert client.get("/get").text == "<none>"


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "a.b.c",
        "a.1.",
        "...",
        ".",
        "eyJ2YWx1ZSI6ImFwcGxlIn0.12345678901234567890.xx",
        "éé.1.sig",
        "x" * 5000,
    ],
)
def test_garbage_cookie_gives_empty_session(
    counter_app: Kolba, client: KolbaClient, value: str
) -> None:
    client.set_cookie("session", value)
    response = client.get("/get")
    assert response.status_code == 200
    assert response.text == "<none>"


def test_truncated_cookie_gives_empty_session(
    counter_app: Kolba, client: KolbaClient
) -> None:
    client.get("/set/apple")
    value = _session_cookie(client)
    for cut in (1, 10, len(value) // 2):
        client.set_cookie("session", value[:-cut])
        assert client.get("/get").text == "<none>"


def test_forged_cookie_signed_with_unknown_key_is_rejected(
    counter_app: Kolba, client: KolbaClient
) -> None:
    forged = TimestampSigner(["attacker key"], "cookie-session").dumps(
        {"value": "admin"}
    )
    client.set_cookie("session", forged)
    assert client.get("/get").text == "<none>"


def test_valid_signature_on_non_dict_gives_empty_session(
    counter_app: Kolba, client: KolbaClient
) -> None:
    client.set_cookie(
        "session", TimestampSigner(["test key"], "cookie-session").dumps([1, 2])
    )
    assert client.get("/get").text == "<none>"


def test_oversized_incoming_cookie_is_ignored_before_verifying(
    counter_app: Kolba, client: KolbaClient
) -> None:
    signer = TimestampSigner(["test key"], "cookie-session")
    # Validly signed, but random (incompressible) and over 4 KiB.
    big = signer.dumps({"value": secrets.token_urlsafe(3000)})
    assert len(big) > 4096
    client.set_cookie("session", big)
    assert client.get("/get").text == "<none>"


def test_invalid_cookie_makes_a_new_session(app: Kolba, client: KolbaClient) -> None:
    @app.route("/new")
    def new() -> str:
        return str(session.new)

    assert client.get("/new").text == "True"
    client.set_cookie("session", "garbage")
    assert client.get("/new").text == "True"


# -- expiry -------------------------------------------------------------------------


def _age_by(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + seconds)


def test_expired_cookie_gives_empty_session(
    counter_app: Kolba, client: KolbaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter_app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=60)
    client.get("/set/apple")
    _age_by(monkeypatch, 30)
    assert client.get("/get").text == "apple"
    _age_by(monkeypatch, 61)
    assert client.get("/get").text == "<none>"


def test_browser_session_cookie_also_expires_by_signature_age(
    counter_app: Kolba, client: KolbaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter_app.config["PERMANENT_SESSION_LIFETIME"] = 10
    client.get("/set/apple")
    assert "Expires" not in client.get("/set/apple").headers["Set-Cookie"]
    _age_by(monkeypatch, 11)
    assert client.get("/get").text == "<none>"


def test_cookie_from_the_far_future_is_rejected(
    counter_app: Kolba, client: KolbaClient
) -> None:
    signer = TimestampSigner(["test key"], "cookie-session")
    payload = signer.dumps({"value": "apple"}).split(".")[0]
    client.set_cookie("session", signer.sign(payload, int(time.time()) + 3600))
    assert client.get("/get").text == "<none>"


# -- key rotation -------------------------------------------------------------------


def test_fallback_key_is_accepted_and_new_cookie_uses_new_key(
    counter_app: Kolba, client: KolbaClient
) -> None:
    client.get("/set/apple")
    counter_app.config.update(SECRET_KEY="new key", SECRET_KEY_FALLBACKS=["test key"])
    assert client.get("/get").text == "apple"
    client.get("/set/pear")
    new_value = _session_cookie(client)
    TimestampSigner(["new key"], "cookie-session").loads(new_value)
    with pytest.raises(BadSignature):
        TimestampSigner(["test key"], "cookie-session").loads(new_value)
    counter_app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/get").text == "pear"


def test_old_key_without_fallback_is_rejected(
    counter_app: Kolba, client: KolbaClient
) -> None:
    client.get("/set/apple")
    counter_app.config["SECRET_KEY"] = "new key"
    assert client.get("/get").text == "<none>"


# -- size limit ---------------------------------------------------------------------


def test_session_too_big_for_a_cookie_fails_in_testing(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/big")
    def big() -> str:
        session["data"] = "".join(f"{i:x}" for i in range(2000))
        return "ok"

    with pytest.raises(RuntimeError, match="MAX_COOKIE_SIZE.*RedisSessionInterface"):
        client.get("/big")


def test_session_too_big_for_a_cookie_warns_in_production(
    app: Kolba, client: KolbaClient, caplog: pytest.LogCaptureFixture
) -> None:
    app.testing = False

    @app.route("/big")
    def big() -> str:
        session["data"] = "".join(f"{i:x}" for i in range(2000))
        return "ok"

    with caplog.at_level(logging.WARNING):
        response = client.get("/big")
    assert response.status_code == 200
    assert "MAX_COOKIE_SIZE" in caplog.text


def test_max_cookie_size_zero_disables_the_check(
    app: Kolba, client: KolbaClient
) -> None:
    app.config["MAX_COOKIE_SIZE"] = 0

    @app.route("/big")
    def big() -> str:
        session["data"] = "".join(f"{i:x}" for i in range(2000))
        return "ok"

    assert client.get("/big").status_code == 200


# -- cookie attributes --------------------------------------------------------------


def test_default_cookie_attributes(counter_app: Kolba, client: KolbaClient) -> None:
    header = _set_cookie_header(client.get("/set/apple"))
    attributes = [part.strip() for part in header.split(";")[1:]]
    assert sorted(attributes) == ["HttpOnly", "Path=/", "SameSite=Lax"]


def test_configured_cookie_attributes(counter_app: Kolba, client: KolbaClient) -> None:
    counter_app.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PARTITIONED=True,
    )
    header = _set_cookie_header(client.get("/set/apple"))
    assert header.startswith("sid=")
    attributes = {part.strip() for part in header.split(";")[1:]}
    assert attributes == {
        "Domain=example.com",
        "Path=/app",
        "Secure",
        "SameSite=Strict",
        "Partitioned",
    }


def test_samesite_none_is_allowed(counter_app: Kolba, client: KolbaClient) -> None:
    counter_app.config.update(SESSION_COOKIE_SAMESITE=None)
    assert "SameSite" not in _set_cookie_header(client.get("/set/apple"))


def test_cookie_path_defaults_to_application_root(
    counter_app: Kolba, client: KolbaClient
) -> None:
    counter_app.config["APPLICATION_ROOT"] = "/root"
    assert "Path=/root" in _set_cookie_header(client.get("/set/apple"))


def test_permanent_session_cookie_has_expires(
    counter_app: Kolba, client: KolbaClient
) -> None:
    counter_app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=2)
    header = _set_cookie_header(client.get("/permanent"))
    expires = header.split("Expires=")[1].split(";")[0]
    when = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    expected = datetime.now(UTC) + timedelta(days=2)
    assert abs((when - expected).total_seconds()) < 10


def test_browser_session_cookie_has_no_expires(
    counter_app: Kolba, client: KolbaClient
) -> None:
    header = _set_cookie_header(client.get("/set/apple"))
    assert "Expires" not in header
    assert "Max-Age" not in header


def test_cleared_session_deletes_the_cookie(app: Kolba, client: KolbaClient) -> None:
    app.config.update(SESSION_COOKIE_DOMAIN="example.com", SESSION_COOKIE_PATH="/")

    @app.route("/set")
    def set_() -> str:
        session["a"] = 1
        return "ok"

    @app.route("/clear")
    def clear() -> str:
        session.clear()
        return "ok"

    client.get("/set", base_url="http://example.com")
    header = _set_cookie_header(client.get("/clear", base_url="http://example.com"))
    assert header.startswith("session=;")
    assert "Domain=example.com" in header
    assert "Max-Age=0" in header
    assert client.get_cookie("session", domain="example.com") is None


# -- refresh each request -----------------------------------------------------------


def test_permanent_session_is_refreshed_each_request(
    counter_app: Kolba, client: KolbaClient
) -> None:
    client.get("/permanent")
    response = client.get("/touch")
    assert "Expires=" in response.headers["Set-Cookie"]


def test_refresh_each_request_off_leaves_cookie_alone(
    counter_app: Kolba, client: KolbaClient
) -> None:
    counter_app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    client.get("/permanent")
    assert "Set-Cookie" not in client.get("/get").headers
    assert "Set-Cookie" not in client.get("/touch").headers


def test_browser_session_is_not_refreshed(
    counter_app: Kolba, client: KolbaClient
) -> None:
    client.get("/set/apple")
    assert "Set-Cookie" not in client.get("/get").headers


# -- Vary ---------------------------------------------------------------------------


def test_reading_the_session_adds_vary_cookie(
    counter_app: Kolba, client: KolbaClient
) -> None:
    assert client.get("/get").headers["Vary"] == "Cookie"


def test_untouched_session_adds_no_vary(
    counter_app: Kolba, client: KolbaClient
) -> None:
    assert "Vary" not in client.get("/touch").headers


def test_vary_cookie_joins_existing_vary(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> tuple[str, dict[str, str]]:
        session["a"] = 1
        return "ok", {"Vary": "Accept-Encoding"}

    assert client.get("/").headers["Vary"] == "Accept-Encoding, Cookie"


def test_membership_test_counts_as_access(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        return str("user" in session)

    response = client.get("/")
    assert response.text == "False"
    assert response.headers["Vary"] == "Cookie"


# -- no secret key ------------------------------------------------------------------


def test_null_session_reads_without_secret_key(
    counter_app: Kolba, client: KolbaClient
) -> None:
    counter_app.secret_key = None
    response = client.get("/get")
    assert response.text == "<none>"
    assert "Set-Cookie" not in response.headers


def test_null_session_write_raises_with_instructions(
    counter_app: Kolba, client: KolbaClient
) -> None:
    counter_app.secret_key = None
    with pytest.raises(RuntimeError, match=r"SECRET_KEY.*secrets\.token_hex"):
        client.get("/set/apple")


# -- test client --------------------------------------------------------------------


def test_session_transaction_round_trip(
    counter_app: Kolba, client: KolbaClient
) -> None:
    with client.session_transaction() as sess:
        sess["value"] = "planted"
    assert client.get("/get").text == "planted"
    client.get("/set/apple")
    with client.session_transaction() as sess:
        assert sess["value"] == "apple"


# -- pluggable interface ------------------------------------------------------------


def test_custom_session_interface(app: Kolba, client: KolbaClient) -> None:
    store: dict[str, t.Any] = {}

    class MemoryInterface(SecureCookieSessionInterface):
        def open_session(self, app: Kolba, request: Request) -> SecureCookieSession:
            return SecureCookieSession(store)

        def save_session(
            self, app: Kolba, session: SessionMixin, response: Response
        ) -> None:
            store.update(session)

    app.session_interface = MemoryInterface()

    @app.route("/")
    def index() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    assert client.get("/").text == "1"
    assert client.get("/").text == "2"
    assert store == {"n": 2}


def test_session_is_opened_lazily(app: Kolba, client: KolbaClient) -> None:
    opened: list[int] = []

    class CountingInterface(SecureCookieSessionInterface):
        def open_session(
            self, app: Kolba, request: Request
        ) -> SecureCookieSession | None:
            opened.append(1)
            return super().open_session(app, request)

    app.session_interface = CountingInterface()

    @app.route("/")
    def index() -> str:
        return "no session"

    client.get("/")
    assert opened == []


def test_datetimes_come_back_aware_in_utc(app: Kolba, client: KolbaClient) -> None:
    plus_two = timezone(timedelta(hours=2))

    @app.route("/store")
    def store() -> str:
        session["naive"] = datetime(2024, 1, 2, 3, 4, 5)
        session["local"] = datetime(2024, 1, 2, 5, 4, 5, tzinfo=plus_two)
        return "ok"

    @app.route("/load")
    def load() -> str:
        return f"{session['naive'].isoformat()} {session['local'].isoformat()}"

    client.get("/store")
    assert client.get("/load").text == (
        "2024-01-02T03:04:05+00:00 2024-01-02T03:04:05+00:00"
    )


# -- modified / accessed tracking ---------------------------------------------------


def test_pop_of_a_missing_key_does_not_touch_the_cookie(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/pop")
    def pop() -> str:
        return str(session.pop("missing", None))

    response = client.get("/pop")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Cookie"


def test_iterating_the_session_counts_as_access(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/")
    def index() -> str:
        return str(sorted(dict(session)))

    assert client.get("/").headers["Vary"] == "Cookie"


def test_refresh_alone_does_not_add_vary(
    counter_app: Kolba, client: KolbaClient
) -> None:
    client.get("/set/apple")
    assert "Vary" not in client.get("/touch").headers


def test_new_is_true_only_without_a_valid_cookie(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/new")
    def new() -> str:
        session["seen"] = True
        return str(session.new)

    response = client.get("/new")
    assert response.text == "True"
    assert response.headers["Vary"] == "Cookie"
    assert client.get("/new").text == "False"


def test_request_class_with_its_own_cookies_is_honoured(
    counter_app: Kolba, client: KolbaClient
) -> None:
    from kolba.request import Request as BaseRequest

    client.get("/set/apple")
    value = _session_cookie(client)

    class HeaderCookieRequest(BaseRequest):
        @property
        def cookies(self) -> t.Any:  # the session arrives in a header instead
            return {"session": self.headers.get("X-Session", "")}

    counter_app.request_class = HeaderCookieRequest
    other = counter_app.test_client()
    assert other.get("/get", headers={"X-Session": value}).text == "apple"
