"""Configuration at the application level: defaults, loaders and their effects."""

from __future__ import annotations

import os
import typing as t
from pathlib import Path

import flask
import pytest

from kolba import Kolba, request, session
from kolba.testing import KolbaClient


class _Settings:
    SECRET_KEY = "from object"
    MAX_CONTENT_LENGTH = 10
    lowercase_ignored = True


def _fresh(**kwargs: t.Any) -> Kolba:
    return Kolba("kolba_cfg_app", root_path="/nonexistent-kolba-cfg-root", **kwargs)


def test_app_config_has_flasks_keys() -> None:
    app = _fresh()
    assert set(flask.Flask.default_config) <= set(app.config)


def test_app_config_defaults_match_flask_apart_from_safer_ones() -> None:
    ours = _fresh().config
    theirs = flask.Flask("oracle", root_path="/nonexistent-kolba-cfg-root").config
    safer = {"MAX_CONTENT_LENGTH", "SESSION_COOKIE_SAMESITE"}
    for key in flask.Flask.default_config:
        if key not in safer:
            assert ours[key] == theirs[key], key


def test_app_max_content_length_default_is_bounded() -> None:
    assert _fresh().config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024


def test_app_default_body_limit_enforced(app: Kolba, client: KolbaClient) -> None:
    @app.route("/", methods=["POST"])
    def index() -> str:
        return str(len(request.get_data()))

    assert client.post("/", data=b"x" * 100).text == "100"
    app.config["MAX_CONTENT_LENGTH"] = 50
    assert client.post("/", data=b"x" * 100).status_code == 413


def test_max_content_length_none_is_unlimited(app: Kolba, client: KolbaClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = None

    @app.route("/", methods=["POST"])
    def index() -> str:
        return str(len(request.get_data()))

    size = 16 * 1024 * 1024 + 1
    assert client.post("/", data=b"x" * size).text == str(size)


def test_from_mapping_changes_behaviour(app: Kolba, client: KolbaClient) -> None:
    app.config.from_mapping(SESSION_COOKIE_NAME="kolba_sess", ignored_lower=1)
    assert "ignored_lower" not in app.config

    @app.route("/")
    def index() -> str:
        session["a"] = 1
        return "x"

    assert client.get("/").headers["Set-Cookie"].startswith("kolba_sess=")


def test_from_object_changes_behaviour(client: KolbaClient, app: Kolba) -> None:
    app.config.from_object(_Settings)
    assert app.secret_key == "from object"
    assert "lowercase_ignored" not in app.config

    @app.route("/", methods=["POST"])
    def index() -> str:
        return request.get_data(as_text=True)

    assert client.post("/", data=b"x" * 11).status_code == 413


def test_from_prefixed_env_changes_behaviour(
    app: Kolba, client: KolbaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOLBA_MAX_CONTENT_LENGTH", "5")
    monkeypatch.setenv("KOLBA_SECRET_KEY", "env secret")
    app.config.from_prefixed_env()
    assert app.config["MAX_CONTENT_LENGTH"] == 5
    assert app.secret_key == "env secret"

    @app.route("/", methods=["POST"])
    def index() -> str:
        return request.get_data(as_text=True)

    assert client.post("/", data=b"123456").status_code == 413


def test_from_prefixed_env_custom_prefix(
    app: Kolba, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYAPP_DEBUG", "true")
    app.config.from_prefixed_env("MYAPP")
    assert app.debug is True


def test_testing_attribute_is_config(app: Kolba) -> None:
    assert app.testing is True
    app.testing = False
    assert app.config["TESTING"] is False


def test_secret_key_attribute_is_config(app: Kolba) -> None:
    app.secret_key = "abc"
    assert app.config["SECRET_KEY"] == "abc"
    app.config["SECRET_KEY"] = "def"
    assert app.secret_key == "def"


def test_debug_attribute_is_config(app: Kolba) -> None:
    app.debug = True
    assert app.config["DEBUG"] is True
    app.config["DEBUG"] = False
    assert app.debug is False


def test_debug_default_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOLBA_DEBUG", raising=False)
    assert _fresh().debug is False


def test_debug_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLBA_DEBUG", "1")
    assert _fresh().debug is True


def test_permanent_session_lifetime_accepts_int(app: Kolba) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = 60
    assert app.permanent_session_lifetime.total_seconds() == 60


@pytest.fixture
def importable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "kolba_cfg_module.py").write_text("")
    package = tmp_path / "kolba_cfg_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("name", ["kolba_cfg_module", "kolba_cfg_pkg"])
def test_instance_path_default_beside_module_or_package(
    importable: Path, name: str
) -> None:
    assert Kolba(name).instance_path == str(importable / "instance")


@pytest.mark.parametrize(
    "name", ["kolba_cfg_module", "kolba_cfg_pkg", "not_importable_x"]
)
def test_instance_path_default_matches_flask(importable: Path, name: str) -> None:
    assert Kolba(name).instance_path == flask.Flask(name).instance_path


def test_instance_path_unimportable_is_cwd_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _fresh().instance_path == str(tmp_path / "instance")


def test_instance_path_installed_package_uses_prefix() -> None:
    app = Kolba("flask")
    assert app.instance_path == flask.Flask("flask").instance_path
    assert app.instance_path.endswith(os.path.join("var", "flask-instance"))


def test_instance_path_explicit_absolute(tmp_path: Path) -> None:
    app = _fresh(instance_path=str(tmp_path / "inst"))
    assert app.instance_path == str(tmp_path / "inst")


def test_instance_path_relative_raises() -> None:
    with pytest.raises(ValueError, match="absolute"):
        _fresh(instance_path="relative/instance")


def test_config_root_is_root_path_by_default(tmp_path: Path) -> None:
    app = Kolba("kolba_cfg_app", root_path=str(tmp_path))
    assert app.config.root_path == str(tmp_path)


def test_instance_relative_config_loads_from_instance(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "settings.py").write_text("SECRET_KEY = 'from instance'\n")
    app = Kolba(
        "kolba_cfg_app",
        root_path=str(tmp_path),
        instance_path=str(instance),
        instance_relative_config=True,
    )
    assert app.config.root_path == str(instance)
    assert app.config.from_pyfile("settings.py")
    assert app.secret_key == "from instance"


def test_open_instance_resource(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "data.txt").write_text("hello")
    app = Kolba("kolba_cfg_app", root_path=str(tmp_path), instance_path=str(instance))
    with app.open_instance_resource("data.txt", "r") as f:
        assert f.read() == "hello"


def test_session_cookie_config_applies(app: Kolba, client: KolbaClient) -> None:
    app.config.update(
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PATH="/app",
    )

    @app.route("/")
    def index() -> str:
        session["a"] = 1
        return "x"

    header = client.get("/").headers["Set-Cookie"]
    assert "Secure" in header
    assert "SameSite=Strict" in header
    assert "Path=/app" in header


def test_session_cookie_default_samesite_lax(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        session["a"] = 1
        return "x"

    assert "SameSite=Lax" in client.get("/").headers["Set-Cookie"]
