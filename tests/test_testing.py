"""The test client and the CLI runner."""

from __future__ import annotations

import io
import typing as t

import click
import pytest

from kolba import Kolba, current_app, redirect, request, session, url_for
from kolba.testing import KolbaClient, KolbaCliRunner


@pytest.fixture
def echo_app(app: Kolba) -> Kolba:
    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo() -> dict[str, t.Any]:
        files = {
            name: [f.filename, f.read().decode(), f.mimetype]
            for name, f in request.files.items()
        }
        return {
            "method": request.method,
            "args": request.args.to_dict(flat=False),
            "form": request.form.to_dict(flat=False),
            "files": files,
            "json": request.get_json(silent=True),
            "content_type": request.content_type,
            "body": request.get_data(as_text=True) if not files else "",
            "header": request.headers.get("X-Test"),
        }

    return app


# -- methods -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_client_method_helpers(
    echo_app: Kolba, client: KolbaClient, method: str
) -> None:
    rv = getattr(client, method)("/echo")
    assert rv.status_code == 200
    assert rv.json["method"] == method.upper()


def test_client_head(echo_app: Kolba, client: KolbaClient) -> None:
    rv = client.head("/echo")
    assert rv.status_code == 200
    assert rv.data == b""
    assert int(rv.headers["Content-Length"]) > 0


def test_client_open_with_method(echo_app: Kolba, client: KolbaClient) -> None:
    assert client.open("/echo", method="PATCH").json["method"] == "PATCH"


def test_client_options(echo_app: Kolba, client: KolbaClient) -> None:
    rv = client.options("/echo")
    assert "PATCH" in rv.headers["Allow"]


# -- request bodies --------------------------------------------------------------------


def test_client_data_dict_is_urlencoded(echo_app: Kolba, client: KolbaClient) -> None:
    rv = client.post("/echo", data={"a": "1", "b": ["2", "3"]})
    assert rv.json["content_type"] == "application/x-www-form-urlencoded"
    assert rv.json["form"] == {"a": ["1"], "b": ["2", "3"]}


def test_client_data_with_file_is_multipart(
    echo_app: Kolba, client: KolbaClient
) -> None:
    rv = client.post(
        "/echo", data={"name": "x", "upload": (io.BytesIO(b"file body"), "a.txt")}
    )
    assert rv.json["content_type"].startswith("multipart/form-data; boundary=")
    assert rv.json["form"] == {"name": ["x"]}
    assert rv.json["files"] == {"upload": ["a.txt", "file body", "text/plain"]}


def test_client_file_with_explicit_content_type(
    echo_app: Kolba, client: KolbaClient
) -> None:
    rv = client.post(
        "/echo", data={"f": (io.BytesIO(b"{}"), "d.json", "application/json")}
    )
    assert rv.json["files"]["f"] == ["d.json", "{}", "application/json"]


def test_client_raw_data(echo_app: Kolba, client: KolbaClient) -> None:
    rv = client.post("/echo", data=b"raw bytes", content_type="text/plain")
    assert rv.json["body"] == "raw bytes"
    assert rv.json["content_type"] == "text/plain"


def test_client_json(echo_app: Kolba, client: KolbaClient) -> None:
    rv = client.post("/echo", json={"k": [1, 2]})
    assert rv.json["content_type"] == "application/json"
    assert rv.json["json"] == {"k": [1, 2]}


def test_client_json_and_data_is_error(echo_app: Kolba, client: KolbaClient) -> None:
    with pytest.raises(TypeError):
        client.post("/echo", json={}, data="x")


def test_client_headers(echo_app: Kolba, client: KolbaClient) -> None:
    assert client.get("/echo", headers={"X-Test": "yes"}).json["header"] == "yes"


def test_client_query_string_dict(echo_app: Kolba, client: KolbaClient) -> None:
    rv = client.get("/echo", query_string={"q": "a b", "n": ["1", "2"]})
    assert rv.json["args"] == {"q": ["a b"], "n": ["1", "2"]}


def test_client_query_string_in_path(echo_app: Kolba, client: KolbaClient) -> None:
    assert client.get("/echo?x=1&x=2").json["args"] == {"x": ["1", "2"]}


# -- responses ------------------------------------------------------------------------


def test_response_attributes(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        return "héllo", 201, {"X-A": "b"}

    rv = client.get("/")
    assert rv.status_code == 201
    assert rv.status == "201 CREATED"
    assert rv.headers["X-A"] == "b"
    assert rv.data == "héllo".encode()
    assert rv.get_data(as_text=True) == "héllo"
    assert rv.text == "héllo"
    assert rv.mimetype == "text/html"


def test_response_json_property(app: Kolba, client: KolbaClient) -> None:
    app.add_url_rule("/", "index", lambda: {"a": 1})
    rv = client.get("/")
    assert rv.json == {"a": 1}
    assert rv.mimetype == "application/json"


def test_response_request_attribute(app: Kolba, client: KolbaClient) -> None:
    app.add_url_rule("/p", "p", lambda: "x")
    rv = client.get("/p?q=1")
    assert rv.request.path == "/p"
    assert rv.request.method == "GET"


# -- cookies ---------------------------------------------------------------------------


@pytest.fixture
def cookie_app(app: Kolba) -> Kolba:
    @app.route("/set/<value>")
    def set_cookie(value: str) -> t.Any:
        rv = current_app.make_response("set")
        rv.set_cookie("flavour", value)
        return rv

    @app.route("/get")
    def get_cookie() -> str:
        return request.cookies.get("flavour", "<none>")

    @app.route("/del")
    def del_cookie() -> t.Any:
        rv = current_app.make_response("deleted")
        rv.delete_cookie("flavour")
        return rv

    return app


def test_client_keeps_cookies(cookie_app: Kolba, client: KolbaClient) -> None:
    client.get("/set/oat")
    assert client.get("/get").text == "oat"


def test_client_server_delete_cookie(cookie_app: Kolba, client: KolbaClient) -> None:
    client.get("/set/oat")
    client.get("/del")
    assert client.get("/get").text == "<none>"
    assert client.get_cookie("flavour") is None


def test_client_get_cookie(cookie_app: Kolba, client: KolbaClient) -> None:
    client.get("/set/rye")
    cookie = client.get_cookie("flavour")
    assert cookie is not None
    assert cookie.key == "flavour"
    assert cookie.value == "rye"


def test_client_set_cookie(cookie_app: Kolba, client: KolbaClient) -> None:
    client.set_cookie("flavour", "spelt")
    assert client.get("/get").text == "spelt"


def test_client_delete_cookie(cookie_app: Kolba, client: KolbaClient) -> None:
    client.set_cookie("flavour", "spelt")
    client.delete_cookie("flavour")
    assert client.get("/get").text == "<none>"


def test_client_cookie_path_scoping(cookie_app: Kolba, client: KolbaClient) -> None:
    client.set_cookie("flavour", "scoped", path="/other")
    assert client.get("/get").text == "<none>"


def test_client_without_cookies(cookie_app: Kolba) -> None:
    client = cookie_app.test_client(use_cookies=False)
    client.get("/set/oat")
    assert client.get("/get").text == "<none>"


def test_separate_clients_do_not_share_cookies(cookie_app: Kolba) -> None:
    one, two = cookie_app.test_client(), cookie_app.test_client()
    one.get("/set/oat")
    assert two.get("/get").text == "<none>"


# -- redirects -------------------------------------------------------------------------


@pytest.fixture
def redirect_app(app: Kolba) -> Kolba:
    @app.route("/start")
    def start() -> t.Any:
        return redirect(url_for("middle"))

    @app.route("/middle")
    def middle() -> t.Any:
        return redirect("/end?x=1", 301)

    @app.route("/end", methods=["GET", "POST"])
    def end() -> str:
        return f"end {request.method} {request.args['x']}"

    @app.route("/post", methods=["POST"])
    def post() -> t.Any:
        return redirect(url_for("end", x=2), int(request.args["code"]))

    return app


def test_follow_redirects_history(redirect_app: Kolba, client: KolbaClient) -> None:
    rv = client.get("/start", follow_redirects=True)
    assert rv.status_code == 200
    assert rv.text == "end GET 1"
    assert [r.status_code for r in rv.history] == [302, 301]
    assert rv.request.path == "/end"


def test_no_follow_by_default(redirect_app: Kolba, client: KolbaClient) -> None:
    rv = client.get("/start")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/middle"
    assert rv.history == ()


def test_follow_303_becomes_get(redirect_app: Kolba, client: KolbaClient) -> None:
    rv = client.post("/post?code=303", data={"a": "b"}, follow_redirects=True)
    assert rv.text == "end GET 2"


def test_follow_307_keeps_method(redirect_app: Kolba, client: KolbaClient) -> None:
    rv = client.post("/post?code=307", data={"a": "b"}, follow_redirects=True)
    assert rv.text == "end POST 2"


# -- contexts --------------------------------------------------------------------------


def test_with_client_keeps_last_request_context(
    app: Kolba, client: KolbaClient
) -> None:
    app.add_url_rule("/p", "p", lambda: "x")
    with client:
        client.get("/p?first=1")
        client.get("/p?second=2")
        assert request.args["second"] == "2"
        assert "first" not in request.args
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]


def test_with_client_pops_on_exit(app: Kolba, client: KolbaClient) -> None:
    app.add_url_rule("/p", "p", lambda: "x")
    with client:
        client.get("/p")
    with pytest.raises(RuntimeError):
        request.args  # noqa: B018


def test_with_client_session_readable(app: Kolba, client: KolbaClient) -> None:
    @app.route("/login")
    def login() -> str:
        session["user"] = "ada"
        return "ok"

    with client:
        client.get("/login")
        assert session["user"] == "ada"


def test_session_transaction_sets_session(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        return str(session.get("user", "<anon>"))

    with client.session_transaction() as sess:
        sess["user"] = "grace"
    assert client.get("/").text == "grace"


def test_session_transaction_reads_session(app: Kolba, client: KolbaClient) -> None:
    @app.route("/login")
    def login() -> str:
        session["user"] = "ada"
        return "ok"

    client.get("/login")
    with client.session_transaction() as sess:
        assert sess["user"] == "ada"


def test_session_transaction_without_cookies_raises(app: Kolba) -> None:
    client = app.test_client(use_cookies=False)
    with (
        pytest.raises(TypeError, match="use_cookies"),
        client.session_transaction(),
    ):
        pass


def test_session_transaction_without_secret_key_raises(
    app: Kolba, client: KolbaClient
) -> None:
    app.secret_key = None
    with pytest.raises(RuntimeError), client.session_transaction():
        pass


# -- CLI runner ------------------------------------------------------------------------


def test_cli_runner_invokes_command_with_app_context(
    app: Kolba, runner: KolbaCliRunner
) -> None:
    @app.cli.command("greet")
    @click.option("--name", default="world")
    @click.option("--times", type=int, default=1)
    def greet(name: str, times: int) -> None:
        for _ in range(times):
            click.echo(f"hello {name} from {current_app.name}")

    result = runner.invoke(args=["greet", "--name", "ada", "--times", "2"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello ada from kolba_test_app\n" * 2


def test_cli_runner_default_option(app: Kolba, runner: KolbaCliRunner) -> None:
    @app.cli.command()
    @click.argument("word")
    def shout(word: str) -> None:
        click.echo(word.upper() + current_app.config["SECRET_KEY"])

    result = runner.invoke(args=["shout", "hi"])
    assert result.output == "HItest key\n"


def test_cli_runner_invoke_command_object(app: Kolba, runner: KolbaCliRunner) -> None:
    @app.cli.command()
    def ping() -> None:
        click.echo("pong")

    result = runner.invoke(ping)
    assert result.output == "pong\n"


def test_cli_runner_reports_errors(app: Kolba, runner: KolbaCliRunner) -> None:
    @app.cli.command()
    def fail() -> None:
        raise click.ClickException("nope")

    result = runner.invoke(args=["fail"])
    assert result.exit_code == 1
    assert "nope" in result.output


@pytest.mark.wsgi_only("replaces the WSGI callable with a bare WSGI app")
def test_response_shows_only_headers_sent(app: Kolba, client: KolbaClient) -> None:
    def bare(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        start_response("200 OK", [("X-Only", "1")])
        return [b"bare"]

    app.wsgi_app = bare  # type: ignore[method-assign,assignment]
    rv = client.get("/")
    assert rv.data == b"bare"
    assert list(rv.headers.items()) == [("X-Only", "1")]
    assert rv.mimetype is None
