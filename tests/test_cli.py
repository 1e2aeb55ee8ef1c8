"""The ``kolba`` command: app discovery, ``routes``, custom commands, ``python -m``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import click.testing
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


# -- app discovery edge cases ------------------------------------------------------


def test_factory_needing_arguments_says_how_to_pass_them(
    app_dir: Path,
) -> None:
    (app_dir / "needs_args.py").write_text(
        "from kolba import Kolba\n\ndef create_app(name):\n    return Kolba(name)\n"
    )
    sys.modules.pop("needs_args", None)
    with pytest.raises(NoAppException, match=r"needs_args:create_app\(args\)"):
        load_app("needs_args")


def test_factory_called_with_wrong_arguments(app_dir: Path) -> None:
    with pytest.raises(NoAppException, match="could not be called"):
        load_app("factory_app:create_app(1, 2, 3)")


def test_factory_arguments_must_be_literals(app_dir: Path) -> None:
    with pytest.raises(NoAppException, match="only literal"):
        load_app("factory_app:create_app(__import__('os').getcwd())")


def test_calling_a_non_function_is_refused(app_dir: Path) -> None:
    with pytest.raises(NoAppException, match="is not a function"):
        load_app("hello_app:app()")


def test_attribute_that_is_not_an_app(app_dir: Path) -> None:
    (app_dir / "not_app.py").write_text("app = 42\n")
    sys.modules.pop("not_app", None)
    with pytest.raises(NoAppException, match=r"not obtained .* \(got int\)"):
        load_app("not_app:app")


def test_import_error_inside_the_module_is_reported(app_dir: Path) -> None:
    (app_dir / "broken_import.py").write_text("import no_such_dependency_x\n")
    sys.modules.pop("broken_import", None)
    with pytest.raises(NoAppException, match="While importing 'broken_import'"):
        load_app("broken_import")


def test_module_path_with_attribute(app_dir: Path) -> None:
    sys.modules.pop("hello_app", None)
    app = load_app(f"{app_dir / 'hello_app.py'}:app")
    assert app.name == "hello_app"


def test_app_py_in_the_current_folder_is_found(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP_SOURCE)
    result = _run("hello", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "hello from app" in result.stdout


def test_app_run_at_import_is_a_no_op_under_the_cli(tmp_path: Path) -> None:
    (tmp_path / "runs_at_import.py").write_text(APP_SOURCE + "\napp.run()\n")
    result = _run("--app", "runs_at_import", "hello", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "hello from runs_at_import" in result.stdout


def test_version_prints_kolba_and_python(tmp_path: Path) -> None:
    result = _run("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Kolba 0." in result.stdout
    assert f"Python {sys.version_info[0]}.{sys.version_info[1]}" in result.stdout


# -- environment files -------------------------------------------------------------

ENV_APP = textwrap.dedent(
    """
    import os
    from kolba import Kolba

    app = Kolba(__name__)

    @app.cli.command("env")
    def env():
        for name in ("A", "B", "C", "D"):
            print(name, os.environ.get("KOLBA_T_" + name))
    """
)


def _env_values(output: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in output.splitlines() if line)


@pytest.fixture
def env_dir(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    work = project / "sub"
    work.mkdir(parents=True)
    (work / "env_app.py").write_text(ENV_APP)
    (project / ".kolbaenv").write_text("KOLBA_T_A=kolbaenv\nKOLBA_T_B=kolbaenv\n")
    (project / ".env").write_text("KOLBA_T_B=dotenv\nKOLBA_T_C=dotenv\n")
    return work


def test_env_files_are_found_upwards_with_precedence(env_dir: Path) -> None:
    result = _run("--app", "env_app", "env", cwd=env_dir)
    assert result.returncode == 0, result.stderr
    assert _env_values(result.stdout) == {
        "A": "kolbaenv",
        "B": "dotenv",  # .env wins over .kolbaenv
        "C": "dotenv",
        "D": "None",
    }


def test_existing_environment_variables_win(env_dir: Path) -> None:
    result = _run("--app", "env_app", "env", cwd=env_dir, env={"KOLBA_T_B": "real"})
    assert _env_values(result.stdout)["B"] == "real"


def test_env_file_option_wins_over_default_files(env_dir: Path) -> None:
    extra = env_dir / "custom.env"
    extra.write_text("KOLBA_T_C=custom\nKOLBA_T_D=custom\n")
    result = _run("--env-file", str(extra), "--app", "env_app", "env", cwd=env_dir)
    assert result.returncode == 0, result.stderr
    values = _env_values(result.stdout)
    assert (values["A"], values["C"], values["D"]) == ("kolbaenv", "custom", "custom")


def test_skip_dotenv_disables_default_files(env_dir: Path) -> None:
    result = _run(
        "--app", "env_app", "env", cwd=env_dir, env={"KOLBA_SKIP_DOTENV": "1"}
    )
    assert _env_values(result.stdout)["A"] == "None"


def test_app_named_in_env_file(env_dir: Path) -> None:
    (env_dir / ".kolbaenv").write_text("KOLBA_APP=env_app\n")
    result = _run("env", cwd=env_dir)
    assert result.returncode == 0, result.stderr
    assert "A None" in result.stdout  # the nearer .kolbaenv hides the parent's


def test_missing_dotenv_gives_a_tip(
    app_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kolba.cli import load_dotenv

    (app_dir / ".env").write_text("X=1\n")
    monkeypatch.setitem(sys.modules, "dotenv", None)  # import fails
    assert load_dotenv() is False
    assert "pip install 'kolba[dotenv]'" in capsys.readouterr().err


def test_env_file_without_dotenv_is_a_usage_error(
    app_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (app_dir / "custom.env").write_text("X=1\n")
    monkeypatch.setitem(sys.modules, "dotenv", None)
    result = click.testing.CliRunner().invoke(
        cli, ["--env-file", "custom.env", "routes"]
    )
    assert result.exit_code == 2
    assert "pip install 'kolba[dotenv]'" in result.output


# -- debug flag --------------------------------------------------------------------


def _debug_of(app_dir: Path, *args: str, env: dict[str, str] | None = None) -> str:
    (app_dir / "debug_app.py").write_text(
        "from kolba import Kolba, current_app\n"
        "app = Kolba(__name__)\n"
        "@app.cli.command('debug')\n"
        "def debug():\n"
        "    print('debug', current_app.debug)\n"
    )
    result = _run(*args, "--app", "debug_app", "debug", cwd=app_dir, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_debug_option_sets_app_debug(app_dir: Path) -> None:
    assert _debug_of(app_dir, "--debug") == "debug True"
    assert _debug_of(app_dir) == "debug False"


def test_debug_environment_variable(app_dir: Path) -> None:
    assert _debug_of(app_dir, env={"KOLBA_DEBUG": "1"}) == "debug True"
    assert _debug_of(app_dir, "--no-debug", env={"KOLBA_DEBUG": "1"}) == "debug False"


# -- routes ------------------------------------------------------------------------


def _routes(app: Kolba, *args: str) -> list[list[str]]:
    result = app.test_cli_runner().invoke(
        cli, ["routes", *args], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 0, result.output
    return [line.split("  ") for line in result.output.splitlines()[2:]]


def test_routes_hide_head_and_options_unless_asked(app: Kolba) -> None:
    @app.route("/a", methods=["GET", "PUT"])
    def a() -> str:
        return ""

    result = app.test_cli_runner().invoke(
        cli, ["routes"], obj=ScriptInfo(create_app=lambda: app)
    )
    line = next(x for x in result.output.splitlines() if x.startswith("a "))
    assert "GET, PUT" in line and "HEAD" not in line
    result = app.test_cli_runner().invoke(
        cli, ["routes", "--all-methods"], obj=ScriptInfo(create_app=lambda: app)
    )
    line = next(x for x in result.output.splitlines() if x.startswith("a "))
    assert "GET, HEAD, OPTIONS, PUT" in line


def test_routes_sorted_by_methods_and_match_order(app: Kolba) -> None:
    @app.post("/z")
    def zed() -> str:
        return ""

    @app.delete("/m")
    def em() -> str:
        return ""

    result = app.test_cli_runner().invoke(
        cli, ["routes", "-s", "methods"], obj=ScriptInfo(create_app=lambda: app)
    )
    endpoints = [line.split()[0] for line in result.output.splitlines()[2:]]
    assert endpoints.index("em") < endpoints.index("zed")  # DELETE < POST
    result = app.test_cli_runner().invoke(
        cli, ["routes", "-s", "match"], obj=ScriptInfo(create_app=lambda: app)
    )
    endpoints = [line.split()[0] for line in result.output.splitlines()[2:]]
    assert endpoints.index("zed") < endpoints.index("em")  # registration order


def test_routes_list_websocket_routes(app: Kolba) -> None:
    @app.websocket("/ws")
    async def stream() -> None:
        pass

    @app.route("/ws")
    def stream_page() -> str:
        return ""

    rows = {row[0]: [c.strip() for c in row if c.strip()] for row in _routes(app)}
    assert rows["stream"][1:] == ["WEBSOCKET", "/ws"]
    assert rows["stream_page"][1:] == ["GET", "/ws"]
    by_methods = [row[0] for row in _routes(app, "--sort", "methods")]
    assert by_methods.index("stream_page") < by_methods.index("stream")
    all_methods = {
        row[0]: [c.strip() for c in row if c.strip()]
        for row in _routes(app, "--all-methods")
    }
    assert all_methods["stream"][1] == "WEBSOCKET"  # no HEAD or OPTIONS added


def test_routes_without_any_route() -> None:
    bare = Kolba("bare", static_folder=None, root_path="/nonexistent")
    result = bare.test_cli_runner().invoke(
        cli, ["routes"], obj=ScriptInfo(create_app=lambda: bare)
    )
    assert "No routes were registered." in result.output


# -- commands ----------------------------------------------------------------------


def test_command_without_app_context(app: Kolba) -> None:
    from kolba.globals import _cv_app

    seen: list[object] = []

    @app.cli.command("bare", with_appcontext=False)
    def bare() -> None:
        seen.append(_cv_app.get(None))

    result = app.test_cli_runner().invoke(args=["bare"])
    assert result.exit_code == 0, result.output
    assert seen == [None]


def test_with_appcontext_on_a_plain_click_command(app: Kolba) -> None:
    from kolba.cli import with_appcontext

    @click.command("plain")
    @with_appcontext
    def plain() -> None:
        click.echo(current_app.name)

    result = app.test_cli_runner().invoke(plain)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == app.name


def test_blueprint_commands_are_a_subgroup(tmp_path: Path) -> None:
    (tmp_path / "bp_app.py").write_text(
        textwrap.dedent(
            """
            from kolba import Blueprint, Kolba, current_app

            bp = Blueprint("admin", __name__)

            @bp.cli.command("create-user")
            def create_user():
                print("created in", current_app.name)

            app = Kolba(__name__)
            app.register_blueprint(bp)
            """
        )
    )
    result = _run("--app", "bp_app", "admin", "create-user", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "created in bp_app"
    listing = _run("--app", "bp_app", "--help", cwd=tmp_path)
    assert "admin" in listing.stdout


def test_help_lists_app_commands(app_dir: Path) -> None:
    result = _run("--app", "hello_app", "--help", cwd=app_dir)
    assert result.returncode == 0, result.stderr
    assert "hello" in result.stdout and "routes" in result.stdout


# -- shell -------------------------------------------------------------------------


def test_shell_runs_code_in_the_app_context(tmp_path: Path) -> None:
    (tmp_path / "shell_app.py").write_text(
        APP_SOURCE
        + "\n@app.shell_context_processor\ndef extra():\n    return {'answer': 42}\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "KOLBA_APP"}
    env.pop("PYTHONSTARTUP", None)
    result = subprocess.run(
        [sys.executable, "-m", "kolba", "--app", "shell_app", "shell"],
        cwd=tmp_path,
        env=env,
        input="print(app.name, answer)\nfrom kolba import current_app\n"
        "print('ctx', current_app.name)\n",
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert "shell_app 42" in result.stdout
    assert "ctx shell_app" in result.stdout
    assert "App: shell_app" in result.stderr  # the banner


# -- run: option checks (serving itself is in test_serving.py) --------------------


def test_reload_without_watchfiles_is_a_clear_error(
    app: Kolba, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "watchfiles", None)
    result = app.test_cli_runner().invoke(
        cli, ["run", "--reload"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 2
    assert "pip install 'kolba[reload]'" in result.output


def test_asgi_without_uvicorn_is_a_clear_error(
    app: Kolba, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = app.test_cli_runner().invoke(
        cli, ["run", "--asgi"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 2
    assert "pip install 'kolba[asgi]'" in result.output


def test_run_help_explains_asgi_and_wsgi(app: Kolba) -> None:
    result = app.test_cli_runner().invoke(
        cli, ["run", "--help"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert "--asgi / --wsgi" in result.output
    assert "WebSocket" in result.output
    assert "WSGI only" in result.output  # what --without-threads does not do


def test_cert_needs_key(app: Kolba, tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    result = app.test_cli_runner().invoke(
        cli, ["run", "--cert", str(cert)], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 2
    assert "Required when" in result.output


def test_adhoc_certificate_explains_openssl(app: Kolba) -> None:
    result = app.test_cli_runner().invoke(
        cli, ["run", "--cert", "adhoc"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 2
    assert "openssl req" in result.output


def test_port_in_use_is_a_clear_error(app_dir: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run("--app", "hello_app", "run", "--port", str(port), cwd=app_dir)
    assert result.returncode == 1
    assert "Address already in use" in result.stderr
    assert "Traceback" not in result.stderr
