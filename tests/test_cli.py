"""The ``kolba`` command: app discovery, ``routes``, custom commands, ``python -m``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest

from kolba import Kolba, current_app
from kolba.cli import NoAppException, ScriptInfo, cli, load_app

APP_SOURCE = textwrap.dedent(
    """
    from kolba import Kolba

    app = Kolba(__name__)

    @app.route("/")
    def index():
        return "hi"

    @app.post("/post/<int:post_id>")
    def show_post(post_id):
        return str(post_id)

    @app.cli.command("hello")
    def hello():
        print("hello from", app.name)
    """
)

FACTORY_SOURCE = textwrap.dedent(
    """
    from kolba import Kolba

    def create_app(name="factory"):
        app = Kolba(name)

        @app.route("/made")
        def made():
            return "made"

        return app
    """
)


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "hello_app.py").write_text(APP_SOURCE)
    (tmp_path / "factory_app.py").write_text(FACTORY_SOURCE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("hello_app", "factory_app"):
        sys.modules.pop(name, None)
    return tmp_path


def _run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "KOLBA_APP"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "kolba", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_python_m_kolba_lists_routes(app_dir: Path) -> None:
    result = _run("--app", "hello_app", "routes", cwd=app_dir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Rule"]
    assert any("show_post" in line and "POST" in line for line in lines)
    assert any(line.startswith("static") for line in lines)


def test_routes_sorted_by_rule(app_dir: Path) -> None:
    result = _run("--app", "hello_app:app", "routes", "--sort", "rule", cwd=app_dir)
    assert result.returncode == 0, result.stderr
    rules = [line.split()[-1] for line in result.stdout.splitlines()[2:]]
    assert rules == sorted(rules)


def test_app_found_from_environment_variable(app_dir: Path) -> None:
    result = _run("routes", cwd=app_dir, env={"KOLBA_APP": "hello_app"})
    assert result.returncode == 0, result.stderr
    assert "show_post" in result.stdout


def test_app_found_from_a_file_path(app_dir: Path) -> None:
    result = _run("--app", str(app_dir / "hello_app.py"), "hello", cwd=Path("/"))
    assert result.returncode == 0, result.stderr
    assert "hello from hello_app" in result.stdout


def test_factory_call_with_arguments(app_dir: Path) -> None:
    app = load_app("factory_app:create_app('named')")
    assert app.name == "named"
    assert app.test_client().get("/made").text == "made"


def test_factory_found_without_naming_it(app_dir: Path) -> None:
    app = load_app("factory_app")
    assert app.name == "factory"


def test_missing_module_gives_a_clear_error(app_dir: Path) -> None:
    with pytest.raises(NoAppException, match="Could not import 'no_such_module'"):
        load_app("no_such_module")


def test_missing_attribute_gives_a_clear_error(app_dir: Path) -> None:
    with pytest.raises(NoAppException, match="Failed to find attribute 'nope'"):
        load_app("hello_app:nope")


def test_unknown_command_without_app_explains_how_to_name_one(tmp_path: Path) -> None:
    result = _run("frobnicate", cwd=tmp_path)
    assert result.returncode != 0
    assert "--app" in result.stderr


def test_custom_command_runs_in_app_context(app: Kolba) -> None:
    @app.cli.command("whoami")
    @click.option("--shout", is_flag=True)
    def whoami(shout: bool) -> None:
        name = current_app.name
        click.echo(name.upper() if shout else name)

    runner = app.test_cli_runner()
    result = runner.invoke(args=["whoami", "--shout"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == app.name.upper()


def test_routes_command_through_the_runner(app: Kolba) -> None:
    @app.get("/x")
    def x() -> str:
        return "x"

    result = app.test_cli_runner().invoke(
        cli, ["routes"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 0, result.output
    assert "/x" in result.output
