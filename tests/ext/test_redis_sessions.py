"""Server-side sessions in a real, throwaway redis-server."""

from __future__ import annotations

import logging
import time
import typing as t
from datetime import timedelta

import pytest
import redis

from kolba import Kolba, session
from kolba.ext.redis_sessions import RedisSessionInterface, SessionUnavailable
from kolba.signing import TimestampSigner
from kolba.testing import KolbaClient


@pytest.fixture
def redis_client(redis_server: str) -> t.Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def redis_app(app: Kolba, redis_client: redis.Redis) -> Kolba:
    app.session_interface = RedisSessionInterface(client=redis_client)

    @app.route("/set/<value>")
    def set_value(value: str) -> str:
        session["value"] = value
        return "ok"

    @app.route("/get")
    def get_value() -> str:
        return str(session.get("value", "<none>"))

    @app.route("/login")
    def login() -> str:
        t.cast(t.Any, session).regenerate()
        session["user"] = "ada"
        return "ok"

    @app.route("/logout")
    def logout() -> str:
        session.clear()
        return "ok"

    return app


def _cookie(client: KolbaClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _sid(client: KolbaClient) -> str:
    return _cookie(client).split(".")[0]


def test_value_survives_between_requests(redis_app: Kolba, client: KolbaClient) -> None:
    client.get("/set/apple")
    assert client.get("/get").text == "apple"


def test_cookie_holds_only_a_signed_random_id(
    redis_app: Kolba, client: KolbaClient, redis_client: redis.Redis
) -> None:
    client.get("/set/secret-value")
    value = _cookie(client)
    assert "secret" not in value
    sid = _sid(client)
    assert len(sid) == 43  # token_urlsafe(32)
    TimestampSigner(["test key"], "redis-session-id").unsign(value)
    assert redis_client.get(f"session:{sid}") == b'{"value":"secret-value"}'


def test_data_is_stored_with_the_session_lifetime_as_ttl(
    redis_app: Kolba, client: KolbaClient, redis_client: redis.Redis
) -> None:
    redis_app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=5)
    client.get("/set/apple")
    ttl = redis_client.ttl(f"session:{_sid(client)}")
    assert 290 <= ttl <= 300


def test_key_prefix_is_used(
    app: Kolba, client: KolbaClient, redis_client: redis.Redis
) -> None:
    app.session_interface = RedisSessionInterface(
        client=redis_client, key_prefix="myapp:"
    )

    @app.route("/")
    def index() -> str:
        session["a"] = 1
        return "ok"

    client.get("/")
    assert redis_client.exists(f"myapp:{_sid(client)}")


def test_client_made_from_url(
    app: Kolba, client: KolbaClient, redis_server: str
) -> None:
    app.session_interface = RedisSessionInterface(url=redis_server)

    @app.route("/")
    def index() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    assert client.get("/").text == "1"
    assert client.get("/").text == "2"


def test_tagged_types_round_trip(redis_app: Kolba, client: KolbaClient) -> None:
    @redis_app.route("/store")
    def store() -> str:
        session["pair"] = (1, b"x")
        return "ok"

    @redis_app.route("/load")
    def load() -> str:
        return repr(session["pair"])

    client.get("/store")
    assert client.get("/load").text == "(1, b'x')"


def test_forged_id_is_rejected_without_touching_redis(
    redis_app: Kolba, client: KolbaClient, redis_client: redis.Redis
) -> None:
    client.get("/set/apple")
    sid = _sid(client)
    forged = TimestampSigner(["attacker"], "redis-session-id").sign(sid)
    client.set_cookie("session", forged)
    before = redis_client.info("stats")["keyspace_hits"]
    assert client.get("/get").text == "<none>"
    assert redis_client.info("stats")["keyspace_hits"] == before


def test_unsigned_id_is_rejected(redis_app: Kolba, client: KolbaClient) -> None:
    client.get("/set/apple")
    client.set_cookie("session", _sid(client))
    assert client.get("/get").text == "<none>"


def test_expired_key_gives_a_new_empty_session_with_a_new_id(
    redis_app: Kolba, client: KolbaClient, redis_client: redis.Redis
) -> None:
    client.get("/set/apple")
    old_sid = _sid(client)
    redis_client.delete(f"session:{old_sid}")
    assert client.get("/get").text == "<none>"
    client.get("/set/pear")
    assert _sid(client) != old_sid
    assert not redis_client.exists(f"session:{old_sid}")


def test_regenerate_moves_data_to_a_new_id(
    redis_app: Kolba, client: KolbaClient, redis_client: redis.Redis
) -> None:
    client.get("/set/apple")
    old_cookie = _cookie(client)
    old_sid = _sid(client)
    client.get("/login")
    new_sid = _sid(client)
    assert new_sid != old_sid
    assert not redis_client.exists(f"session:{old_sid}")
    assert client.get("/get").text == "apple"
    # The old id (a fixated or stolen cookie) is now worthless.
    attacker = redis_app.test_client()
    attacker.set_cookie("session", old_cookie)
    assert attacker.get("/get").text == "<none>"


def test_clear_deletes_key_and_cookie(
    redis_app: Kolba, client: KolbaClient, redis_client: redis.Redis
) -> None:
    client.get("/set/apple")
    sid = _sid(client)
    response = client.get("/logout")
    assert response.headers["Set-Cookie"].startswith("session=;")
    assert not redis_client.exists(f"session:{sid}")
    assert client.get_cookie("session") is None


def test_unmodified_session_is_not_rewritten(
    redis_app: Kolba, client: KolbaClient
) -> None:
    client.get("/set/apple")
    response = client.get("/get")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Cookie"


def test_permanent_session_cookie_and_ttl_are_refreshed(
    redis_app: Kolba, client: KolbaClient, redis_client: redis.Redis
) -> None:
    @redis_app.route("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["a"] = 1
        return "ok"

    client.get("/permanent")
    sid = _sid(client)
    redis_client.expire(f"session:{sid}", 100)
    response = client.get("/get")
    assert "Expires=" in response.headers["Set-Cookie"]
    assert _sid(client) == sid
    assert redis_client.ttl(f"session:{sid}") > 100


def test_signature_age_limits_the_cookie(
    redis_app: Kolba, client: KolbaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_app.config["PERMANENT_SESSION_LIFETIME"] = 60
    client.get("/set/apple")
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 61)
    assert client.get("/get").text == "<none>"


def test_without_secret_key_session_is_null(
    redis_app: Kolba, client: KolbaClient
) -> None:
    redis_app.secret_key = None
    assert client.get("/get").text == "<none>"
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        client.get("/set/apple")


def test_session_transaction(redis_app: Kolba, client: KolbaClient) -> None:
    with client.session_transaction() as sess:
        sess["value"] = "planted"
    assert client.get("/get").text == "planted"


# -- Redis down ---------------------------------------------------------------------


def _dead_redis_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def dead_redis_app(app: Kolba) -> Kolba:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.session_interface = RedisSessionInterface(url=_dead_redis_url(), timeout=0.5)

    @app.route("/get")
    def get_value() -> str:
        return str(session.get("value", "<none>"))

    @app.route("/plain")
    def plain() -> str:
        return "no session needed"

    return app


def test_redis_down_gives_503_and_logs_when_loading(
    dead_redis_app: Kolba, client: KolbaClient, caplog: pytest.LogCaptureFixture
) -> None:
    signer = TimestampSigner(["test key"], "redis-session-id")
    client.set_cookie("session", signer.sign("some-session-id"))
    with caplog.at_level(logging.ERROR):
        response = client.get("/get")
    assert response.status_code == 503
    assert "session store is temporarily unavailable" in response.text
    assert "Could not load the session in Redis" in caplog.text


def test_redis_down_gives_503_and_logs_when_saving(
    dead_redis_app: Kolba, client: KolbaClient, caplog: pytest.LogCaptureFixture
) -> None:
    @dead_redis_app.route("/set")
    def set_value() -> str:
        session["value"] = "apple"
        return "ok"

    with caplog.at_level(logging.ERROR):
        response = client.get("/set")
    assert response.status_code == 503
    assert "Set-Cookie" not in response.headers
    assert "Could not save the session in Redis" in caplog.text


def test_redis_down_error_handler_can_render_503(
    dead_redis_app: Kolba, client: KolbaClient
) -> None:
    @dead_redis_app.errorhandler(SessionUnavailable)
    def unavailable(error: SessionUnavailable) -> tuple[str, int]:
        return "come back later", 503

    signer = TimestampSigner(["test key"], "redis-session-id")
    client.set_cookie("session", signer.sign("some-session-id"))
    response = client.get("/get")
    assert (response.status_code, response.text) == (503, "come back later")


def test_redis_down_does_not_affect_requests_without_session(
    dead_redis_app: Kolba, client: KolbaClient
) -> None:
    assert client.get("/plain").text == "no session needed"


def test_missing_redis_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    monkeypatch.setitem(sys.modules, "redis", None)  # makes `import redis` fail
    monkeypatch.delitem(sys.modules, "kolba.ext.redis_sessions")
    with pytest.raises(ImportError, match=r"pip install 'kolba\[redis\]'"):
        importlib.import_module("kolba.ext.redis_sessions")


def test_redis_down_does_not_affect_requests_without_session_use_with_cookie(
    dead_redis_app: Kolba, client: KolbaClient, caplog: pytest.LogCaptureFixture
) -> None:
    signer = TimestampSigner(["test key"], "redis-session-id")
    client.set_cookie("session", signer.sign("some-session-id"))
    with caplog.at_level(logging.ERROR):
        response = client.get("/plain")
    assert (response.status_code, response.text) == (200, "no session needed")
    assert "Could not load the session in Redis" in caplog.text
