from __future__ import annotations

import json
import os
import sys
import textwrap
import tomllib
import types
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask
import pytest

from kolba._imports import ImportStringError, import_string
from kolba.config import DEFAULT_CONFIG, Config, ConfigAttribute


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(tmp_path)


@pytest.fixture
def settings_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    package = tmp_path / "kolba_test_settings_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(
        textwrap.dedent(
            """
            SECRET_KEY = "module-secret"
            lower_helper = 1

            class Production:
                DEBUG = False
                DATABASE = "postgres://prod"
                ignored = "lower"

                class Nested:
                    VALUE = 42
            """
        )
    )
    (package / "broken.py").write_text("import kolba_no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "kolba_test_settings_pkg"
    for name in list(sys.modules):
        if name.startswith("kolba_test_settings_pkg"):
            del sys.modules[name]


# -- DEFAULT_CONFIG ---------------------------------------------------------


def test_default_config_has_exactly_flasks_keys() -> None:
    assert set(DEFAULT_CONFIG) == set(flask.Flask.default_config)


def test_default_config_matches_flask_except_secure_defaults() -> None:
    deviations = {"MAX_CONTENT_LENGTH", "SESSION_COOKIE_SAMESITE"}
    for key, value in flask.Flask.default_config.items():
        if key not in deviations:
            assert DEFAULT_CONFIG[key] == value, key


def test_default_config_secure_values() -> None:
    assert DEFAULT_CONFIG["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert DEFAULT_CONFIG["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert DEFAULT_CONFIG["MAX_FORM_MEMORY_SIZE"] == 500_000
    assert DEFAULT_CONFIG["MAX_FORM_PARTS"] == 1000
    assert DEFAULT_CONFIG["PERMANENT_SESSION_LIFETIME"] == timedelta(days=31)


def test_config_copies_defaults(tmp_path: Path) -> None:
    config = Config(tmp_path, DEFAULT_CONFIG)
    config["DEBUG"] = True
    assert DEFAULT_CONFIG["DEBUG"] is None
    assert config.root_path == tmp_path


# -- from_object ------------------------------------------------------------


def test_from_object_class_takes_uppercase_only(config: Config) -> None:
    class Settings:
        DEBUG = True
        SECRET_KEY = "s"
        lower = "ignored"
        _private = "ignored"

    config.from_object(Settings)
    assert config == {"DEBUG": True, "SECRET_KEY": "s"}


def test_from_object_module(config: Config) -> None:
    module = types.ModuleType("settings")
    module.TESTING = True  # type: ignore[attr-defined]
    module.helper = 1  # type: ignore[attr-defined]
    config.from_object(module)
    assert config == {"TESTING": True}


def test_from_object_import_string_with_colon(
    config: Config, settings_module: str
) -> None:
    config.from_object(f"{settings_module}.settings:Production")
    assert config == {"DEBUG": False, "DATABASE": "postgres://prod"}


def test_from_object_import_string_dotted(config: Config, settings_module: str) -> None:
    config.from_object(f"{settings_module}.settings.Production")
    assert config["DATABASE"] == "postgres://prod"


def test_from_object_import_string_module(config: Config, settings_module: str) -> None:
    config.from_object(f"{settings_module}.settings")
    assert config == {"SECRET_KEY": "module-secret"}


def test_from_object_missing_attribute_names_it(
    config: Config, settings_module: str
) -> None:
    with pytest.raises(ImportError, match="has no attribute 'Staging'") as info:
        config.from_object(f"{settings_module}.settings:Staging")
    assert "Production" in str(info.value)


def test_from_object_missing_module_names_it(config: Config) -> None:
    with pytest.raises(ImportError, match="no module named 'kolba_nope_xyz'"):
        config.from_object("kolba_nope_xyz.settings:Production")


# -- import_string ----------------------------------------------------------


def test_import_string_nested_attribute(settings_module: str) -> None:
    obj = import_string(f"{settings_module}.settings:Production.Nested")
    assert obj.VALUE == 42


def test_import_string_top_level_module() -> None:
    assert import_string("json") is json


def test_import_string_stdlib_dotted_attribute() -> None:
    assert import_string("os.path.join") is os.path.join


def test_import_string_reports_missing_dependency_inside_module(
    settings_module: str,
) -> None:
    with pytest.raises(
        ImportStringError, match="'kolba_no_such_dependency_xyz' is missing"
    ) as info:
        import_string(f"{settings_module}.broken")
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


@pytest.mark.parametrize("name", ["", ".relative", ":Obj"])
def test_import_string_rejects_non_absolute(name: str) -> None:
    with pytest.raises(ImportStringError, match="absolute module path"):
        import_string(name)


# -- from_pyfile / from_envvar ----------------------------------------------


def test_from_pyfile_relative_to_root_path(config: Config, tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text(
        "import os\nSECRET_KEY = 'k'\nPATH = __file__\nlower = 1\n"
    )
    assert config.from_pyfile("settings.py") is True
    assert config == {"SECRET_KEY": "k", "PATH": str(tmp_path / "settings.py")}


def test_from_pyfile_missing_error_message(config: Config, tmp_path: Path) -> None:
    with pytest.raises(OSError, match="Unable to load configuration file") as info:
        config.from_pyfile("missing.py")
    assert str(tmp_path / "missing.py") in str(info.value)
    assert info.value.filename == str(tmp_path / "missing.py")


def test_from_pyfile_error_message_matches_flask(tmp_path: Path) -> None:
    with pytest.raises(OSError) as ours:
        Config(tmp_path).from_pyfile("missing.py")
    with pytest.raises(OSError) as theirs:
        flask.Config(tmp_path).from_pyfile("missing.py")
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name", ["missing.py", ".", "file.txt/inside.py"])
def test_from_pyfile_silent_ignores_missing(
    config: Config, tmp_path: Path, name: str
) -> None:
    (tmp_path / "file.txt").write_text("")
    assert config.from_pyfile(name, silent=True) is False
    assert config == {}


def test_from_pyfile_syntax_error_propagates(config: Config, tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("SECRET_KEY = (\n")
    with pytest.raises(SyntaxError):
        config.from_pyfile("bad.py", silent=True)


def test_from_envvar_loads_file(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "env_settings.py").write_text("DEBUG = True\n")
    monkeypatch.setenv("KOLBA_TEST_SETTINGS", str(tmp_path / "env_settings.py"))
    assert config.from_envvar("KOLBA_TEST_SETTINGS") is True
    assert config["DEBUG"] is True


def test_from_envvar_unset_raises_with_hint(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KOLBA_TEST_SETTINGS", raising=False)
    with pytest.raises(RuntimeError, match="'KOLBA_TEST_SETTINGS' is not set"):
        config.from_envvar("KOLBA_TEST_SETTINGS")
    assert config.from_envvar("KOLBA_TEST_SETTINGS", silent=True) is False


def test_from_envvar_silent_missing_file(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOLBA_TEST_SETTINGS", str(tmp_path / "nope.py"))
    assert config.from_envvar("KOLBA_TEST_SETTINGS", silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        config.from_envvar("KOLBA_TEST_SETTINGS")


# -- from_prefixed_env ------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith(("KOLBA_", "FLASK_", "APP_")):
            monkeypatch.delenv(key)
    return monkeypatch


def test_from_prefixed_env_parses_json(config: Config, clean_env: Any) -> None:
    clean_env.setenv("KOLBA_STRING", "value")
    clean_env.setenv("KOLBA_BOOL", "true")
    clean_env.setenv("KOLBA_INT", "1")
    clean_env.setenv("KOLBA_LIST", "[1, 2]")
    clean_env.setenv("KOLBA_DICT", '{"k": "v"}')
    clean_env.setenv("KOLBA_BROKEN_JSON", "{not json")
    clean_env.setenv("OTHER_VALUE", "ignored")
    assert config.from_prefixed_env() is True
    assert config == {
        "STRING": "value",
        "BOOL": True,
        "INT": 1,
        "LIST": [1, 2],
        "DICT": {"k": "v"},
        "BROKEN_JSON": "{not json",
    }


def test_from_prefixed_env_custom_prefix_and_loads(
    config: Config, clean_env: Any
) -> None:
    clean_env.setenv("APP_A", "1")
    clean_env.setenv("KOLBA_B", "2")
    config.from_prefixed_env("APP", loads=lambda value: value * 2)
    assert config == {"A": "11"}


def test_from_prefixed_env_nested(config: Config, clean_env: Any) -> None:
    config["EXIST"] = {"ok": "value", "flag": False}
    clean_env.setenv("KOLBA_EXIST__flag", "true")
    clean_env.setenv("KOLBA_EXIST__new__more", "1")
    clean_env.setenv("KOLBA_NEW__K", "v")
    config.from_prefixed_env()
    assert config == {
        "EXIST": {"ok": "value", "flag": True, "new": {"more": 1}},
        "NEW": {"K": "v"},
    }


def test_from_prefixed_env_matches_flask(tmp_path: Path, clean_env: Any) -> None:
    for key, value in {
        "X": "1",
        "Y": "null",
        "Z": "text",
        "D__A": "[1]",
        "D__B__C": '"s"',
    }.items():
        clean_env.setenv(f"KOLBA_{key}", value)
        clean_env.setenv(f"FLASK_{key}", value)
    ours = Config(tmp_path)
    ours.from_prefixed_env()
    theirs = flask.Config(tmp_path)
    theirs.from_prefixed_env()
    assert dict(ours) == dict(theirs)


def test_from_prefixed_env_nesting_into_non_dict_explains(
    config: Config, clean_env: Any
) -> None:
    config["DB"] = "sqlite://"
    clean_env.setenv("KOLBA_DB__HOST", "x")
    with pytest.raises(TypeError, match="'DB', which holds a str, not a dict"):
        config.from_prefixed_env()


# -- from_file / from_mapping -----------------------------------------------


def test_from_file_json(config: Config, tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(
        '{"SECRET_KEY": "\u00e9", "lower": 1}', encoding="utf-8"
    )
    assert config.from_file("c.json", load=json.load) is True
    assert config == {"SECRET_KEY": "\u00e9"}


def test_from_file_toml_binary(config: Config, tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('DEBUG = true\n[DB]\nhost = "h"\n')
    assert config.from_file("c.toml", load=tomllib.load, text=False) is True
    assert config == {"DEBUG": True, "DB": {"host": "h"}}


def test_from_file_missing(config: Config) -> None:
    assert config.from_file("nope.json", load=json.load, silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        config.from_file("nope.json", load=json.load)


def test_from_mapping_uppercase_only(config: Config) -> None:
    assert config.from_mapping({"A": 1, "b": 2}, C=3, d=4) is True
    assert config == {"A": 1, "C": 3}


def test_from_mapping_kwargs_win(config: Config) -> None:
    config.from_mapping({"A": 1}, A=2)
    assert config["A"] == 2


def test_from_mapping_none(config: Config) -> None:
    assert config.from_mapping() is True
    assert config == {}


# -- get_namespace / repr ---------------------------------------------------


@pytest.fixture
def namespaced(config: Config) -> Config:
    config.update(
        {"IMAGE_STORE_TYPE": "fs", "IMAGE_STORE_PATH": "/var/img", "OTHER": 1}
    )
    return config


def test_get_namespace_default(namespaced: Config) -> None:
    assert namespaced.get_namespace("IMAGE_STORE_") == {
        "type": "fs",
        "path": "/var/img",
    }


def test_get_namespace_keep_case_and_prefix(namespaced: Config) -> None:
    assert namespaced.get_namespace(
        "IMAGE_STORE_", lowercase=False, trim_namespace=False
    ) == {"IMAGE_STORE_TYPE": "fs", "IMAGE_STORE_PATH": "/var/img"}


def test_get_namespace_matches_flask(namespaced: Config, tmp_path: Path) -> None:
    theirs = flask.Config(tmp_path, dict(namespaced))
    for lowercase in (True, False):
        for trim in (True, False):
            assert namespaced.get_namespace(
                "IMAGE_", lowercase, trim
            ) == theirs.get_namespace("IMAGE_", lowercase, trim)


def test_repr(config: Config) -> None:
    config["A"] = 1
    assert repr(config) == "<Config {'A': 1}>"


# -- ConfigAttribute --------------------------------------------------------


class _App:
    debug = ConfigAttribute[bool]("DEBUG")
    lifetime = ConfigAttribute[timedelta](
        "LIFETIME",
        get_converter=lambda v: v if isinstance(v, timedelta) else timedelta(seconds=v),
    )

    def __init__(self, config: Config) -> None:
        self.config = config


def test_config_attribute_forwards_reads_and_writes(config: Config) -> None:
    app = _App(config)
    config["DEBUG"] = False
    assert app.debug is False
    app.debug = True
    assert config["DEBUG"] is True


def test_config_attribute_converter(config: Config) -> None:
    app = _App(config)
    app.lifetime = 60
    assert config["LIFETIME"] == 60
    assert app.lifetime == timedelta(seconds=60)


def test_config_attribute_on_class_returns_descriptor() -> None:
    assert isinstance(_App.debug, ConfigAttribute)
    assert _App.debug.__name__ == "DEBUG"
