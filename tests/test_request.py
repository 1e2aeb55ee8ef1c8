"""The ``request`` object, read from views over HTTP through the test client."""

from __future__ import annotations

import io
import typing as t
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kolba import Kolba, request
from kolba.testing import KolbaClient
from kolba.utils import secure_filename

Echo = t.Callable[[], t.Any]


@pytest.fixture
def echo(app: Kolba) -> t.Callable[[Echo], None]:
    """Register ``fn`` as the view of ``/<path:p>`` and ``/`` for every method."""

    def register(fn: Echo) -> None:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]

        def view(**_: t.Any) -> t.Any:
            return fn()

        app.add_url_rule("/", "root", view, methods=methods)
        app.add_url_rule("/<path:p>", "echo", view, methods=methods)

    return register


# -- URL parts --------------------------------------------------------------------

BASE = "http://example.com/app/"


def test_method(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: request.method)
    assert client.patch("/").text == "PATCH"


def test_scheme_http_and_https(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: f"{request.scheme} {request.is_secure}")
    assert client.get("/", base_url="https://example.com/").text == "https True"
    assert client.get("/").text == "http False"


def test_host(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: request.host)
    assert client.get("/", base_url=BASE).text == "example.com"
    assert (
        client.get("/", base_url="http://example.com:8080/").text == "example.com:8080"
    )


def test_host_drops_default_port(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.host)
    assert client.get("/", headers={"Host": "example.com:80"}).text == "example.com"


def test_path_is_below_script_root(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.path)
    assert client.get("/p/x", base_url=BASE).text == "/p/x"


def test_path_is_percent_decoded(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.path)
    assert client.get("/p/x%20y/%C3%A9").text == "/p/x y/é"


def test_full_path(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: request.full_path)
    assert client.get("/p/x?a=1&b=%20", base_url=BASE).text == "/p/x?a=1&b=%20"


def test_full_path_without_query_ends_in_question_mark(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.full_path)
    assert client.get("/p/x").text == "/p/x?"


def test_url(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: request.url)
    rv = client.get("/p/x y?a=1&b=%20", base_url=BASE)
    assert rv.text == "http://example.com/app/p/x%20y?a=1&b=%20"


def test_base_url(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: request.base_url)
    rv = client.get("/p/x y?a=1", base_url=BASE)
    assert rv.text == "http://example.com/app/p/x%20y"


def test_url_root_and_host_url(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: f"{request.url_root} {request.host_url} {request.root_url}")
    rv = client.get("/p/x", base_url=BASE)
    assert rv.text == f"{BASE} http://example.com/ {BASE}"


def test_script_root(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: request.script_root)
    assert client.get("/p/x", base_url=BASE).text == "/app"
    assert client.get("/p/x").text == ""


# -- query string --------------------------------------------------------------------


def test_args_get(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: request.args.get("q", "none"))
    assert client.get("/?q=hello+world").text == "hello world"
    assert client.get("/").text == "none"


def test_args_get_with_type(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: repr(request.args.get("n", default=-1, type=int)))
    assert client.get("/?n=5").text == "5"


def test_args_get_with_type_bad_value_gives_default(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: repr(request.args.get("n", default=-1, type=int)))
    assert client.get("/?n=abc").text == "-1"


def test_args_getlist(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(
        lambda: {
            "a": request.args.getlist("a"),
            "n": request.args.getlist("n", type=int),
        }
    )
    assert client.get("/?a=1&a=2&n=3&n=x").json == {"a": ["1", "2"], "n": [3]}


def test_args_to_dict(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(
        lambda: {
            "flat": request.args.to_dict(),
            "all": request.args.to_dict(flat=False),
        }
    )
    assert client.get("/?a=1&a=2&b=3").json == {
        "flat": {"a": "1", "b": "3"},
        "all": {"a": ["1", "2"], "b": ["3"]},
    }


def test_args_from_query_string_argument(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.args.to_dict(flat=False))
    rv = client.get("/", query_string={"x": ["1", "2"], "y": "é"})
    assert rv.json == {"x": ["1", "2"], "y": ["é"]}


def test_args_missing_key_is_400(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.args["missing"])
    assert client.get("/").status_code == 400


def test_args_is_immutable(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    def view() -> str:
        with pytest.raises(TypeError):
            request.args["x"] = "1"
        return "ok"

    echo(view)
    assert client.get("/?x=0").text == "ok"


# -- form and files ------------------------------------------------------------


def test_form_urlencoded(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: request.form.to_dict(flat=False))
    rv = client.post("/", data={"a": ["1", "2"], "b": "é x"})
    assert rv.json == {"a": ["1", "2"], "b": ["é x"]}


def test_form_multipart_fields(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.form.to_dict())
    rv = client.post(
        "/",
        data={"a": "1", "f": (io.BytesIO(b"x"), "f.txt")},
        content_type="multipart/form-data",
    )
    assert rv.json == {"a": "1"}


def test_files_file_storage(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    def view() -> dict[str, t.Any]:
        f = request.files["upload"]
        return {
            "filename": f.filename,
            "content_type": f.content_type,
            "body": f.stream.read().decode(),
        }

    echo(view)
    rv = client.post(
        "/", data={"upload": (io.BytesIO(b"file body"), "hello.txt", "text/plain")}
    )
    assert rv.json == {
        "filename": "hello.txt",
        "content_type": "text/plain",
        "body": "file body",
    }


def test_files_multiple_under_one_key(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: [f.filename for f in request.files.getlist("f")])
    rv = client.post(
        "/", data={"f": [(io.BytesIO(b"1"), "a.txt"), (io.BytesIO(b"2"), "b.txt")]}
    )
    assert rv.json == ["a.txt", "b.txt"]


def test_files_save_to_tmp_path(
    echo: t.Callable[[Echo], None], client: KolbaClient, tmp_path: Path
) -> None:
    def view() -> str:
        f = request.files["upload"]
        name = secure_filename(f.filename or "")
        f.save(tmp_path / name)
        return name

    echo(view)
    rv = client.post("/", data={"upload": (io.BytesIO(b"saved!"), "../../etc/passwd")})
    assert rv.text == "etc_passwd"
    assert (tmp_path / "etc_passwd").read_bytes() == b"saved!"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("My cool movie.mov", "My_cool_movie.mov"),
        ("../../../etc/passwd", "etc_passwd"),
        ("i contain cool \xfcml\xe4uts.txt", "i_contain_cool_umlauts.txt"),
    ],
)
def test_secure_filename(name: str, expected: str) -> None:
    assert secure_filename(name) == expected


def test_files_empty_for_urlencoded(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: str(len(request.files)))
    assert client.post("/", data={"a": "1"}).text == "0"


def test_values_on_get_is_args_only(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.values.getlist("a"))
    assert client.get("/?a=1", data={"a": "2"}).json == ["1"]


def test_values_on_post_combines_args_and_form(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.values.getlist("a"))
    assert client.post("/?a=1", data={"a": "2"}).json == ["1", "2"]


# -- JSON ----------------------------------------------------------------------------


def test_json(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: {"got": request.json})
    assert client.post("/", json={"a": [1, 2]}).json == {"got": {"a": [1, 2]}}


def test_get_json_force_ignores_content_type(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: {"got": request.get_json(force=True)})
    rv = client.post("/", data=b'{"a": 1}', content_type="text/plain")
    assert rv.json == {"got": {"a": 1}}


def test_get_json_silent_on_malformed_returns_none(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: {"got": request.get_json(silent=True)})
    rv = client.post("/", data=b"{bad", content_type="application/json")
    assert rv.json == {"got": None}


def test_get_json_silent_on_non_json_returns_none(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: {"got": request.get_json(silent=True)})
    rv = client.post("/", data=b"{}", content_type="text/plain")
    assert rv.json == {"got": None}


def test_get_json_is_cached(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: str(request.get_json() is request.get_json()))
    assert client.post("/", json={"a": 1}).text == "True"


def test_get_json_cache_false_parses(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: {"got": request.get_json(cache=False)})
    assert client.post("/", json={"a": 1}).json == {"got": {"a": 1}}


def test_malformed_json_is_400_with_message(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: {"got": request.json})
    rv = client.post("/", data=b"{bad", content_type="application/json")
    assert rv.status_code == 400
    assert "Failed to decode JSON" in rv.text


def test_json_on_non_json_content_type_is_415(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: {"got": request.json})
    rv = client.post("/", data=b"{}", content_type="text/plain")
    assert rv.status_code == 415
    assert "application/json" in rv.text


def test_is_json(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: str(request.is_json))
    assert client.post("/", data=b"{}", content_type="application/json").text == "True"
    assert client.post("/", data=b"{}", content_type="text/plain").text == "False"


def test_is_json_plus_json_suffix(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: {"is_json": request.is_json, "json": request.json})
    rv = client.post(
        "/", data=b'{"x": 1}', content_type="application/vnd.api+json; charset=utf-8"
    )
    assert rv.json == {"is_json": True, "json": {"x": 1}}


# -- raw body ------------------------------------------------------------------


def test_data(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: request.data)
    assert client.post("/", data=b"raw \x00 bytes").data == b"raw \x00 bytes"


def test_get_data_as_text(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: request.get_data(as_text=True).upper())
    assert client.post("/", data="héllo".encode()).text == "HÉLLO"


def test_get_data_twice_is_cached(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.get_data() + b"|" + request.get_data())
    assert client.post("/", data=b"abc").data == b"abc|abc"


def test_data_is_empty_for_form_body(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: {"data": request.data.decode(), "form": request.form.to_dict()})
    assert client.post("/", data={"a": "1"}).json == {"data": "", "form": {"a": "1"}}


def test_get_data_before_form_keeps_both(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    def view() -> dict[str, t.Any]:
        raw = request.get_data().decode()
        return {"raw": raw, "form": request.form.to_dict()}

    echo(view)
    assert client.post("/", data={"a": "1"}).json == {"raw": "a=1", "form": {"a": "1"}}


def test_content_type_mimetype_and_params(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(
        lambda: {
            "content_type": request.content_type,
            "mimetype": request.mimetype,
            "params": request.mimetype_params,
            "length": request.content_length,
        }
    )
    rv = client.post("/", data=b"hi", content_type="Text/Plain; charset=UTF-8")
    assert rv.json == {
        "content_type": "Text/Plain; charset=UTF-8",
        "mimetype": "text/plain",
        "params": {"charset": "UTF-8"},
        "length": 2,
    }


def test_content_length_absent_is_none(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: repr(request.content_length))
    assert client.get("/").text == "None"


# -- headers, cookies, client --------------------------------------------------


def test_headers_case_insensitive(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: f"{request.headers['x-thing']} {request.headers.get('X-THING')}")
    assert client.get("/", headers={"X-Thing": "v"}).text == "v v"


def test_headers_multi_valued(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.headers.get("X-Multi"))
    rv = client.get("/", headers=[("X-Multi", "a"), ("X-Multi", "b")])
    # WSGI merges repeated headers into one comma-separated value.
    assert rv.text == "a, b"


def test_headers_missing_key_is_400(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.headers["X-Missing"])
    assert client.get("/").status_code == 400


def test_headers_content_type_and_length_visible(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(
        lambda: f"{request.headers['Content-Type']} {request.headers['Content-Length']}"
    )
    rv = client.post("/", data=b"abc", content_type="text/plain")
    assert rv.text == "text/plain 3"


def test_cookies(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: request.cookies.to_dict())
    client.set_cookie("name", "value")
    client.set_cookie("other", "x y")
    assert client.get("/").json == {"name": "value", "other": "x y"}


def test_cookie_set_by_server_round_trips_through_client(
    app: Kolba, client: KolbaClient
) -> None:
    from kolba import make_response

    @app.route("/set")
    def set_() -> t.Any:
        rv = make_response("set")
        rv.set_cookie("c", 'a b;"é"\\')
        return rv

    @app.route("/get")
    def get() -> str:
        return request.cookies.get("c", "<missing>")

    client.get("/set")
    assert client.get("/get").text == 'a b;"é"\\'


def test_cookies_from_raw_header(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.cookies.to_dict())
    rv = client.get("/", headers={"Cookie": 'a=1; b="quoted value"'})
    assert rv.json == {"a": "1", "b": "quoted value"}


def test_remote_addr(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: str(request.remote_addr))
    rv = client.get("/", environ_overrides={"REMOTE_ADDR": "10.1.2.3"})
    assert rv.text == "10.1.2.3"


def test_access_route_from_x_forwarded_for(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.access_route)
    rv = client.get(
        "/",
        headers={"X-Forwarded-For": "1.1.1.1, 2.2.2.2"},
        environ_overrides={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert rv.json == ["1.1.1.1", "2.2.2.2"]


def test_access_route_without_forwarding_is_remote_addr(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.access_route)
    rv = client.get("/", environ_overrides={"REMOTE_ADDR": "10.0.0.1"})
    assert rv.json == ["10.0.0.1"]


def test_user_agent(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(lambda: request.user_agent.string)
    rv = client.get("/", headers={"User-Agent": "Mozilla/5.0 test"})
    assert rv.text == "Mozilla/5.0 test"


# -- routing results -----------------------------------------------------------


def test_endpoint_view_args_blueprint(app: Kolba, client: KolbaClient) -> None:
    @app.route("/item/<int:n>")
    def item(n: int) -> dict[str, t.Any]:
        return {
            "endpoint": request.endpoint,
            "view_args": request.view_args,
            "blueprint": request.blueprint,
            "rule": request.url_rule.rule if request.url_rule else None,
        }

    assert client.get("/item/3").json == {
        "endpoint": "item",
        "view_args": {"n": 3},
        "blueprint": None,
        "rule": "/item/<int:n>",
    }


def test_endpoint_is_none_on_404(app: Kolba, client: KolbaClient) -> None:
    @app.errorhandler(404)
    def not_found(e: Exception) -> tuple[str, int]:
        return f"endpoint={request.endpoint}", 404

    assert client.get("/missing").text == "endpoint=None"


# -- auth and conditional headers ----------------------------------------------


def test_authorization_basic(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    def view() -> dict[str, t.Any]:
        auth = request.authorization
        assert auth is not None
        return {"type": auth.type, "username": auth.username, "password": auth.password}

    echo(view)
    rv = client.get("/", auth=("user", "pä:ss"))
    assert rv.json == {"type": "basic", "username": "user", "password": "pä:ss"}


def test_authorization_bearer(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    def view() -> dict[str, t.Any]:
        auth = request.authorization
        assert auth is not None
        return {"type": auth.type, "token": auth.token}

    echo(view)
    rv = client.get("/", headers={"Authorization": "Bearer tok123"})
    assert rv.json == {"type": "bearer", "token": "tok123"}


def test_authorization_absent_is_none(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: repr(request.authorization))
    assert client.get("/").text == "None"


def test_authorization_malformed_basic_is_none_or_4xx(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: repr(request.authorization))
    rv = client.get("/", headers={"Authorization": "Basic !!!notbase64"})
    assert rv.status_code < 500


def test_if_none_match(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    echo(
        lambda: [
            request.if_none_match.contains("abc"),
            request.if_none_match.contains_weak("def"),
            request.if_none_match.contains("def"),
        ]
    )
    rv = client.get("/", headers={"If-None-Match": '"abc", W/"def"'})
    assert rv.json == [True, True, False]


def test_if_modified_since(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    def view() -> str:
        value = request.if_modified_since
        assert value == datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
        return "ok"

    echo(view)
    rv = client.get("/", headers={"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert rv.text == "ok"


def test_if_modified_since_garbage_is_none(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: repr(request.if_modified_since))
    assert client.get("/", headers={"If-Modified-Since": "garbage"}).text == "None"


def test_range(echo: t.Callable[[Echo], None], client: KolbaClient) -> None:
    def view() -> dict[str, t.Any]:
        rng = request.range
        assert rng is not None
        return {"units": rng.units, "ranges": [list(r) for r in rng.ranges]}

    echo(view)
    rv = client.get("/", headers={"Range": "bytes=0-99"})
    assert rv.json == {"units": "bytes", "ranges": [[0, 100]]}


def test_range_garbage_is_none(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: repr(request.range))
    assert client.get("/", headers={"Range": "bytes=oops"}).text == "None"


def test_accept_mimetypes_best_match(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.accept_mimetypes.best_match(["text/html", "application/json"]))
    rv = client.get("/", headers={"Accept": "text/html;q=0.5, application/json"})
    assert rv.text == "application/json"


def test_accept_languages_best_match(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(lambda: request.accept_languages.best_match(["en", "fr"]))
    rv = client.get("/", headers={"Accept-Language": "fr;q=0.9, en;q=0.5"})
    assert rv.text == "fr"


def test_accept_best_match_without_header_is_none_like_flask(
    echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    echo(
        lambda: repr(
            request.accept_mimetypes.best_match(["text/html", "application/json"])
        )
    )
    assert client.get("/").text == "None"


# -- limits on the request object ----------------------------------------------


def test_max_content_length_follows_config(
    app: Kolba, echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1234
    echo(lambda: repr(request.max_content_length))
    assert client.get("/").text == "1234"


def test_max_form_limits_follow_config(
    app: Kolba, echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    app.config.update(MAX_FORM_MEMORY_SIZE=111, MAX_FORM_PARTS=22)
    echo(lambda: [request.max_form_memory_size, request.max_form_parts])
    assert client.get("/").json == [111, 22]


def test_max_content_length_per_request_override(
    app: Kolba, echo: t.Callable[[Echo], None], client: KolbaClient
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    def view() -> str:
        request.max_content_length = 100
        return str(len(request.get_data()))

    echo(view)
    assert client.post("/", data=b"x" * 50).text == "50"
