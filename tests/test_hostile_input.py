"""Hostile and malformed input: always a clean 4xx (or a lossless value), never a 500.

Each hostile request runs twice: with ``app.testing`` True (a crash would
propagate and fail the test loudly) and with ``testing`` False and
``PROPAGATE_EXCEPTIONS`` False (a crash would be hidden as a 500, so the tests
assert ``status < 500`` and that no traceback leaks into the body).
"""

from __future__ import annotations

import io
import typing as t

import pytest

from kolba import Kolba, abort, redirect, request
from kolba.testing import KolbaClient, TestResponse

Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@pytest.fixture(params=[False, True], ids=["testing", "production"])
def production(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def hostile_app(production: bool, app: Kolba) -> Kolba:
    if production:
        app.testing = False
        app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/path/<path:p>", methods=Methods)
    def path_echo(p: str) -> str:
        return request.path

    @app.route("/", methods=Methods)
    def index() -> str:
        return "index"

    @app.route("/args")
    def args() -> dict[str, t.Any]:
        return {"args": request.args.to_dict(flat=False)}

    @app.route("/form", methods=["POST"])
    def form() -> dict[str, t.Any]:
        return {
            "form": request.form.to_dict(flat=False),
            "files": sorted(request.files),
        }

    @app.route("/json", methods=["POST"])
    def json_view() -> dict[str, t.Any]:
        return {"json": request.json}

    @app.route("/data", methods=["POST"])
    def data() -> str:
        return str(len(request.get_data()))

    @app.route("/cookies")
    def cookies() -> dict[str, t.Any]:
        return {"cookies": request.cookies.to_dict()}

    @app.route("/header")
    def header() -> dict[str, t.Any]:
        return {"x": request.headers.get("X-Thing")}

    @app.route("/host")
    def host() -> str:
        return request.host

    @app.route("/url")
    def url() -> str:
        return request.url

    @app.route("/redirect")
    def redirect_view() -> t.Any:
        return redirect("/a\r\nSet-Cookie: x=1")

    @app.route("/abort")
    def abort_view() -> t.Any:
        abort(400, description=request.args.get("d", ""))

    return app


@pytest.fixture
def hclient(hostile_app: Kolba) -> KolbaClient:
    return hostile_app.test_client()


def assert_clean(rv: TestResponse) -> None:
    """Not a server error, and nothing of the internals leaks."""
    assert rv.status_code < 500, rv.text
    assert "Traceback" not in rv.text
    assert 'File "' not in rv.text


# -- defaults -------------------------------------------------------------------------


def test_default_limits_are_at_least_as_safe_as_flask(app: Kolba) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] is not None
    assert app.config["MAX_FORM_MEMORY_SIZE"] is not None
    assert app.config["MAX_FORM_MEMORY_SIZE"] <= 500_000
    assert app.config["MAX_FORM_PARTS"] is not None
    assert app.config["MAX_FORM_PARTS"] <= 1000


# -- JSON ----------------------------------------------------------------------


def test_malformed_json_is_400_with_message(hclient: KolbaClient) -> None:
    rv = hclient.post("/json", data=b'{"a": ', content_type="application/json")
    assert rv.status_code == 400
    assert "JSON" in rv.text
    assert_clean(rv)


def test_json_not_utf8_is_400(hclient: KolbaClient) -> None:
    rv = hclient.post("/json", data=b'{"a": "\xff"}', content_type="application/json")
    assert rv.status_code == 400
    assert_clean(rv)


def test_json_nested_100k_deep_is_400(hclient: KolbaClient) -> None:
    rv = hclient.post(
        "/json", data=b"[" * 100_000 + b"]" * 100_000, content_type="application/json"
    )
    assert rv.status_code == 400
    assert_clean(rv)


def test_json_nested_objects_100k_deep_is_400(hclient: KolbaClient) -> None:
    rv = hclient.post(
        "/json",
        data=b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        content_type="application/json",
    )
    assert rv.status_code == 400
    assert_clean(rv)


def test_json_on_wrong_content_type_is_415(hclient: KolbaClient) -> None:
    rv = hclient.post("/json", data=b"{}", content_type="text/plain")
    assert rv.status_code == 415
    assert_clean(rv)


# -- body size limits ----------------------------------------------------------


def test_declared_content_length_over_limit_is_413(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    hostile_app.config["MAX_CONTENT_LENGTH"] = 100
    rv = hclient.post("/data", data=b"x" * 101)
    assert rv.status_code == 413
    assert "MAX_CONTENT_LENGTH" in rv.text
    assert_clean(rv)


def test_content_length_at_limit_is_accepted(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    hostile_app.config["MAX_CONTENT_LENGTH"] = 100
    assert hclient.post("/data", data=b"x" * 100).text == "100"


def test_chunked_body_over_limit_is_413(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    hostile_app.config["MAX_CONTENT_LENGTH"] = 1000
    rv = hclient.post(
        "/data",
        input_stream=io.BytesIO(b"x" * 5000),
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert rv.status_code == 413
    assert_clean(rv)


def test_chunked_body_without_content_length_is_read(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    hostile_app.config["MAX_CONTENT_LENGTH"] = 1000
    rv = hclient.post(
        "/data",
        input_stream=io.BytesIO(b"x" * 500),
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert rv.text == "500"


def test_chunked_form_body_over_limit_is_413(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    hostile_app.config["MAX_CONTENT_LENGTH"] = 1000
    rv = hclient.post(
        "/form",
        input_stream=io.BytesIO(b"a=" + b"x" * 5000),
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert rv.status_code == 413
    assert_clean(rv)


def test_default_max_content_length_applies(hclient: KolbaClient) -> None:
    rv = hclient.post("/data", input_stream=io.BytesIO(b""), content_length=10**12)
    assert rv.status_code == 413
    assert_clean(rv)


def test_form_memory_size_urlencoded_is_413(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    hostile_app.config["MAX_FORM_MEMORY_SIZE"] = 100
    rv = hclient.post("/form", data={"a": "x" * 200})
    assert rv.status_code == 413
    assert_clean(rv)


def test_form_memory_size_multipart_field_is_413(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    hostile_app.config["MAX_FORM_MEMORY_SIZE"] = 100
    rv = hclient.post(
        "/form",
        data={"a": "x" * 200, "f": (io.BytesIO(b"1"), "f.txt")},
    )
    assert rv.status_code == 413
    assert_clean(rv)


def test_form_memory_size_does_not_limit_files(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    hostile_app.config["MAX_FORM_MEMORY_SIZE"] = 100
    rv = hclient.post("/form", data={"f": (io.BytesIO(b"x" * 5000), "f.txt")})
    assert rv.json == {"form": {}, "files": ["f"]}


def test_form_parts_urlencoded_is_413(hostile_app: Kolba, hclient: KolbaClient) -> None:
    hostile_app.config["MAX_FORM_PARTS"] = 10
    rv = hclient.post(
        "/form",
        data="&".join(f"k{i}=v" for i in range(50)),
        content_type="application/x-www-form-urlencoded",
    )
    assert rv.status_code == 413
    assert_clean(rv)


def test_form_parts_multipart_is_413(hostile_app: Kolba, hclient: KolbaClient) -> None:
    hostile_app.config["MAX_FORM_PARTS"] = 10
    fields: dict[str, t.Any] = {f"k{i}": "v" for i in range(50)}
    fields["f"] = (io.BytesIO(b"1"), "f.txt")
    rv = hclient.post("/form", data=fields)
    assert rv.status_code == 413
    assert_clean(rv)


def test_form_parts_at_limit_is_accepted(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    hostile_app.config["MAX_FORM_PARTS"] = 10
    rv = hclient.post("/form", data={f"k{i}": "v" for i in range(5)})
    assert rv.status_code == 200


# -- methods -------------------------------------------------------------------


def test_unknown_method_is_405_with_allow(hclient: KolbaClient) -> None:
    rv = hclient.open("/args", method="BREW")
    assert rv.status_code == 405
    assert set(rv.allow) == {"GET", "HEAD", "OPTIONS"}
    assert_clean(rv)


def test_crlf_without_space_in_redirect_target_is_encoded(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    @hostile_app.route("/redirect2")
    def redirect2() -> t.Any:
        return redirect("/a\r\nX-Evil:1\x00")

    rv = hclient.get("/redirect2")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/a%0D%0AX-Evil:1%00"
    assert "X-Evil" not in rv.headers


def test_garbage_method_is_4xx(hclient: KolbaClient) -> None:
    rv = hclient.open("/args", method="G E\tT")
    assert 400 <= rv.status_code < 500
    assert_clean(rv)


# -- percent-encoding ----------------------------------------------------------


@pytest.mark.parametrize("raw", ["%zz", "a%", "%", "%2", "100%25%zz"])
def test_bad_percent_encoding_in_path_kept_literally(
    hclient: KolbaClient, raw: str
) -> None:
    rv = hclient.get(f"/path/{raw}")
    assert rv.status_code == 200
    expected = raw.replace("%25", "%")
    assert rv.text == f"/path/{expected}"


@pytest.mark.parametrize("raw", ["%zz", "a%", "%", "%2"])
def test_bad_percent_encoding_in_query_kept_literally(
    hclient: KolbaClient, raw: str
) -> None:
    rv = hclient.get("/args", query_string=f"q={raw}")
    assert rv.status_code == 200
    assert rv.json == {"args": {"q": [raw]}}


def test_bad_percent_encoding_in_form_kept_literally(hclient: KolbaClient) -> None:
    rv = hclient.post(
        "/form", data=b"q=%zz&r=a%", content_type="application/x-www-form-urlencoded"
    )
    assert rv.json == {"form": {"q": ["%zz"], "r": ["a%"]}, "files": []}


# -- invalid UTF-8 -------------------------------------------------------------


def test_percent_ff_in_path(hclient: KolbaClient) -> None:
    rv = hclient.get("/path/%ff")
    assert rv.status_code == 400 or rv.status_code == 200
    assert_clean(rv)


def test_percent_ff_in_query(hclient: KolbaClient) -> None:
    rv = hclient.get("/args", query_string="q=%ff")
    assert rv.status_code in (200, 400)
    assert_clean(rv)


def test_raw_ff_byte_in_query_string(hclient: KolbaClient) -> None:
    rv = hclient.get("/args", environ_overrides={"QUERY_STRING": "q=\xff"})
    assert rv.status_code in (200, 400)
    assert_clean(rv)


def test_raw_ff_byte_in_path_info(hclient: KolbaClient) -> None:
    rv = hclient.get("/", environ_overrides={"PATH_INFO": "/path/\xff"})
    assert rv.status_code in (200, 400, 404)
    assert_clean(rv)


def test_raw_ff_byte_in_path_info_on_404(hclient: KolbaClient) -> None:
    rv = hclient.get("/", environ_overrides={"PATH_INFO": "/nowhere/\xff"})
    assert 400 <= rv.status_code < 500
    assert_clean(rv)


def test_raw_ff_byte_in_script_name(hclient: KolbaClient) -> None:
    rv = hclient.get("/url", environ_overrides={"SCRIPT_NAME": "/\xff"})
    assert_clean(rv)


def test_invalid_utf8_in_urlencoded_form(hclient: KolbaClient) -> None:
    rv = hclient.post(
        "/form", data=b"q=%ff&r=\xff", content_type="application/x-www-form-urlencoded"
    )
    assert rv.status_code in (200, 400)
    assert_clean(rv)


def test_invalid_utf8_in_multipart_field(hclient: KolbaClient) -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="q"\r\n\r\n\xff\xfe\r\n--b--\r\n'
    )
    rv = hclient.post(
        "/form", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert rv.status_code in (200, 400)
    assert_clean(rv)


def test_invalid_utf8_in_multipart_field_name(hclient: KolbaClient) -> None:
    body = b'--b\r\nContent-Disposition: form-data; name="\xff"\r\n\r\nv\r\n--b--\r\n'
    rv = hclient.post(
        "/form", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert rv.status_code in (200, 400)
    assert_clean(rv)


def test_invalid_utf8_in_cookie_is_kept_losslessly(hclient: KolbaClient) -> None:
    rv = hclient.get("/cookies", environ_overrides={"HTTP_COOKIE": "a=\xff; b=1"})
    assert rv.status_code == 200
    assert rv.json == {"cookies": {"a": "\xff", "b": "1"}}


def test_invalid_utf8_in_header_value(hclient: KolbaClient) -> None:
    rv = hclient.get("/header", environ_overrides={"HTTP_X_THING": "a\xffb"})
    assert rv.status_code == 200
    # Header values are latin-1 per PEP 3333: the byte survives losslessly.
    assert rv.json == {"x": "a\xffb"}


def test_invalid_utf8_in_request_body_as_text(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    @hostile_app.route("/text", methods=["POST"])
    def text() -> str:
        return str(request.get_data(as_text=True))

    rv = hclient.post("/text", data=b"\xff\xfe")
    assert rv.status_code in (200, 400)
    assert_clean(rv)


# -- multipart -----------------------------------------------------------------


def test_multipart_without_boundary_is_400(hclient: KolbaClient) -> None:
    rv = hclient.post("/form", data=b"whatever", content_type="multipart/form-data")
    assert rv.status_code == 400
    assert_clean(rv)


def test_multipart_truncated_is_400(hclient: KolbaClient) -> None:
    body = b'--b\r\nContent-Disposition: form-data; name="q"\r\n\r\nunfinished'
    rv = hclient.post(
        "/form", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert rv.status_code == 400
    assert_clean(rv)


def test_multipart_garbage_is_400(hclient: KolbaClient) -> None:
    rv = hclient.post(
        "/form",
        data=b"\x00\x01garbage\r\n\r\n--",
        content_type="multipart/form-data; boundary=b",
    )
    assert rv.status_code == 400
    assert_clean(rv)


def test_multipart_part_without_headers_end_is_400(hclient: KolbaClient) -> None:
    body = b'--b\r\nContent-Disposition: form-data; name="q"' + b"x" * 10_000
    rv = hclient.post(
        "/form", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert 400 <= rv.status_code < 500
    assert_clean(rv)


def test_multipart_huge_boundary_is_4xx(hclient: KolbaClient) -> None:
    boundary = "b" * 10_000
    rv = hclient.post(
        "/form",
        data=f"--{boundary}--\r\n".encode(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert rv.status_code < 500
    assert_clean(rv)


# -- headers -------------------------------------------------------------------


def test_huge_header_value(hclient: KolbaClient) -> None:
    rv = hclient.get("/header", headers={"X-Thing": "v" * 1_000_000})
    assert rv.status_code in (200, 400, 431)
    assert_clean(rv)


def test_huge_cookie_header(hclient: KolbaClient) -> None:
    rv = hclient.get("/cookies", headers={"Cookie": "a=b; " * 100_000})
    assert rv.status_code in (200, 400, 431)
    assert_clean(rv)


def test_huge_accept_header(hostile_app: Kolba, hclient: KolbaClient) -> None:
    rv = hclient.get("/nowhere", headers={"Accept": "text/html;q=0.5, " * 50_000})
    assert rv.status_code == 404
    assert_clean(rv)


@pytest.mark.parametrize(
    "host", ["exa mple.com", "example.com/evil", "a\\b", "evil.com@good.com", "x\x00y"]
)
def test_host_with_invalid_characters_is_400(hclient: KolbaClient, host: str) -> None:
    rv = hclient.get("/host", environ_overrides={"HTTP_HOST": host})
    assert rv.status_code == 400
    assert_clean(rv)


def test_host_with_invalid_characters_in_url_is_400(hclient: KolbaClient) -> None:
    rv = hclient.get("/url", environ_overrides={"HTTP_HOST": "a b/c"})
    assert rv.status_code == 400
    assert_clean(rv)


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "0x10", " ", "+5", "١٢"])
def test_bad_content_length_is_400(hclient: KolbaClient, length: str) -> None:
    rv = hclient.post(
        "/data",
        data=b"hello",
        environ_overrides={"CONTENT_LENGTH": length},
    )
    assert rv.status_code == 400 or (length == " " and rv.status_code == 200)
    assert_clean(rv)


def test_bad_content_length_on_form_is_400(hclient: KolbaClient) -> None:
    rv = hclient.post(
        "/form", data={"a": "1"}, environ_overrides={"CONTENT_LENGTH": "-5"}
    )
    assert rv.status_code == 400
    assert_clean(rv)


def test_malformed_authorization_header(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    @hostile_app.route("/auth")
    def auth() -> str:
        return repr(request.authorization)

    for value in ["Basic", "Basic ====", "Basic " + "\xff" * 10, "Bearer", "\x00"]:
        rv = hclient.get("/auth", environ_overrides={"HTTP_AUTHORIZATION": value})
        assert_clean(rv)


def test_malformed_conditional_headers(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    @hostile_app.route("/cond")
    def cond() -> str:
        return repr(
            (
                request.if_modified_since,
                request.range,
                list(request.if_none_match),
                request.accept_languages.best_match(["en"]),
            )
        )

    rv = hclient.get(
        "/cond",
        environ_overrides={
            "HTTP_IF_MODIFIED_SINCE": "Mon, 99 Foo 99999 99:99:99 GMT",
            "HTTP_RANGE": "bytes=9-1,,-",
            "HTTP_IF_NONE_MATCH": '"unterminated, W/',
            "HTTP_ACCEPT_LANGUAGE": ";q=abc, en;q=2",
        },
    )
    assert rv.status_code == 200
    assert_clean(rv)


# -- output safety -------------------------------------------------------------


def test_crlf_in_redirect_target_never_reaches_headers(hclient: KolbaClient) -> None:
    rv = hclient.get("/redirect")
    assert rv.status_code == 302
    location = rv.headers["Location"]
    assert "\r" not in location and "\n" not in location
    assert "%0D%0A" in location
    assert "Set-Cookie" not in rv.headers
    assert_clean(rv)


def test_abort_description_is_html_escaped(hclient: KolbaClient) -> None:
    rv = hclient.get("/abort", query_string={"d": "<script>alert(1)</script>"})
    assert rv.status_code == 400
    assert "<script>" not in rv.text
    assert "&lt;script&gt;" in rv.text


def test_404_page_does_not_reflect_path_unescaped(hclient: KolbaClient) -> None:
    rv = hclient.get("/<script>alert(1)</script>")
    assert rv.status_code == 404
    assert "<script>" not in rv.text


def test_405_page_does_not_reflect_method(hclient: KolbaClient) -> None:
    rv = hclient.open("/args", method="<SCRIPT>")
    assert rv.status_code in (400, 405)
    assert "<SCRIPT>" not in rv.text


# -- a view crash in production ------------------------------------------------


def test_view_crash_in_production_is_generic_500(app: Kolba) -> None:
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    import logging

    logger = logging.getLogger(app.logger.name)
    old = logger.disabled
    logger.disabled = True
    try:
        rv = app.test_client().get("/boom")
    finally:
        logger.disabled = old
    assert rv.status_code == 500
    assert "secret internals" not in rv.text
    assert_clean_500(rv)


def assert_clean_500(rv: TestResponse) -> None:
    assert "Traceback" not in rv.text
    assert "RuntimeError" not in rv.text


# -- more edge cases -----------------------------------------------------------


def test_body_shorter_than_content_length_is_4xx(hclient: KolbaClient) -> None:
    rv = hclient.post("/data", input_stream=io.BytesIO(b"abc"), content_length=100)
    assert 400 <= rv.status_code < 500
    assert_clean(rv)


def test_form_shorter_than_content_length_is_4xx(hclient: KolbaClient) -> None:
    rv = hclient.post(
        "/form",
        input_stream=io.BytesIO(b"a=1&b="),
        content_length=100,
        content_type="application/x-www-form-urlencoded",
    )
    assert 400 <= rv.status_code < 500
    assert_clean(rv)


def test_many_query_parameters(hclient: KolbaClient) -> None:
    rv = hclient.get("/args", query_string="a=1&" * 100_000)
    assert_clean(rv)


def test_json_huge_integer_is_400(hclient: KolbaClient) -> None:
    rv = hclient.post("/json", data=b"1" * 100_000, content_type="application/json")
    assert rv.status_code == 400
    assert_clean(rv)


@pytest.mark.parametrize("host", ["example.com:abc", "example.com:", "[::1", ":80"])
def test_odd_host_ports_are_not_500(hclient: KolbaClient, host: str) -> None:
    rv = hclient.get("/url", environ_overrides={"HTTP_HOST": host})
    assert_clean(rv)


def test_slash_redirect_never_puts_crlf_in_location(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    @hostile_app.route("/d/<name>/")
    def d(name: str) -> str:
        return name

    rv = hclient.get(
        "/",
        environ_overrides={
            "PATH_INFO": "/d/x\r\nX-Evil: 1",
            "QUERY_STRING": "q=\r\nX-Evil2: 1",
        },
    )
    assert rv.status_code == 308
    location = rv.headers["Location"]
    assert "\r" not in location and "\n" not in location
    assert "X-Evil" not in rv.headers and "X-Evil2" not in rv.headers
    assert_clean(rv)


def test_null_byte_in_path_and_query(hclient: KolbaClient) -> None:
    rv = hclient.get("/path/a%00b", query_string="q=%00")
    assert_clean(rv)
    rv = hclient.get("/args", query_string="q=%00")
    assert rv.json == {"args": {"q": ["\x00"]}}


def test_multipart_file_over_max_content_length_chunked_is_413(
    hostile_app: Kolba, hclient: KolbaClient
) -> None:
    hostile_app.config["MAX_CONTENT_LENGTH"] = 1000
    body = (
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\n'
        + b"x" * 5000
        + b"\r\n--b--\r\n"
    )
    rv = hclient.post(
        "/form",
        input_stream=io.BytesIO(body),
        content_type="multipart/form-data; boundary=b",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert rv.status_code == 413
    assert_clean(rv)


def test_error_page_json_for_json_clients(hclient: KolbaClient) -> None:
    rv = hclient.post(
        "/json",
        data=b"{bad",
        content_type="application/json",
        headers={"Accept": "application/json"},
    )
    assert rv.status_code == 400
    assert_clean(rv)
