"""HTTP over real servers: every server, WSGI and ASGI, serves the same app.

The servers are shared (one per kind and xdist worker, see ``conftest.py``).
"""

from __future__ import annotations

import hashlib

import httpx
import pytest
from _procs import BIG_FILE_SIZE, ServerProc, big_file_bytes

TIMEOUT = httpx.Timeout(30.0)


def client(server: ServerProc) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=TIMEOUT)


def test_get_with_query_args_and_typed_route(http_server: ServerProc) -> None:
    with client(http_server) as http:
        response = http.get(
            "/hello/42", params=[("name", "zoë"), ("tag", "a"), ("tag", "b c")]
        )
        assert response.status_code == 200
        assert response.json() == {
            "number": 42,
            "type": "int",
            "name": "zoë",
            "tags": ["a", "b c"],
        }
        # The int converter refuses what is not a number.
        assert http.get("/hello/forty-two").status_code == 404


def test_post_form(http_server: ServerProc) -> None:
    data = {"title": "Grüße & <tags>", "choice": ["one", "two"]}
    with client(http_server) as http:
        response = http.post("/form", data=data)
    assert response.status_code == 200
    body = response.json()
    assert body["fields"] == {"title": ["Grüße & <tags>"], "choice": ["one", "two"]}
    assert body["length"] == len(response.request.content)


def test_post_large_urlencoded_form(
    http_server: ServerProc, request: pytest.FixtureRequest
) -> None:
    value = "ab&=%ü" * 20000  # 340 kB once encoded (MAX_FORM_MEMORY_SIZE: 500 kB)
    with client(http_server) as http:
        response = http.post("/form", data={"big": value, "small": "s"})
    assert response.status_code == 200, response.text[-300:]
    assert response.json()["fields"] == {"big": [value], "small": ["s"]}


def test_multipart_upload(http_server: ServerProc) -> None:
    data = big_file_bytes()[:400_000]
    with client(http_server) as http:
        response = http.post(
            "/upload",
            data={"note": "a file"},
            files={"file": ("blob.bin", data, "application/octet-stream")},
        )
    assert response.status_code == 200, response.text[-300:]
    assert response.json() == {
        "name": "blob.bin",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "note": "a file",
    }


def test_post_json(http_server: ServerProc) -> None:
    payload = {"items": [1, 2.5, None, True], "text": "ünïcode", "nested": {"a": []}}
    with client(http_server) as http:
        response = http.post("/json", json=payload)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"received": payload, "kind": "dict"}
        # Not JSON at all: a 400 from get_json, not a crash.
        bad = http.post(
            "/json", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert bad.status_code == 400


def test_not_found_and_method_not_allowed(http_server: ServerProc) -> None:
    with client(http_server) as http:
        missing = http.get("/no/such/page")
        assert missing.status_code == 404
        assert "Not Found" in missing.text
        wrong = http.delete("/json")
        assert wrong.status_code == 405
        assert "POST" in wrong.headers["allow"]


def test_http_get_to_websocket_route_is_426(http_server: ServerProc) -> None:
    with client(http_server) as http:
        response = http.get("/ws/echo")
    assert response.status_code == 426
    assert "WebSocket" in response.text


def test_streamed_response_arrives_whole(http_server: ServerProc) -> None:
    expected = (
        "start streamed\n"
        + "".join(f"line {i:05d} " + "x" * 100 + "\n" for i in range(2000))
        + "end\n"
    )
    with (
        client(http_server) as http,
        http.stream("GET", "/stream", params={"count": 2000, "tag": "streamed"}) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        assert "content-length" not in r.headers  # really streamed
        chunks = list(r.iter_bytes())
    body = b"".join(chunks).decode()
    assert len(body) == len(expected)
    assert body == expected


def test_async_generator_streamed(http_server: ServerProc) -> None:
    with client(http_server) as http:
        response = http.get("/async-stream", params={"count": 3000})
    assert response.status_code == 200
    assert response.text == "".join(f"async {i:05d}\n" for i in range(3000))


def test_async_view(http_server: ServerProc) -> None:
    with client(http_server) as http:
        response = http.get("/async", params={"arg": "value"})
    assert response.status_code == 200
    assert response.json() == {"view": "async", "arg": "value", "loop_running": True}


def test_sync_view_thread(http_server: ServerProc) -> None:
    with client(http_server) as http:
        response = http.get("/sync")
    assert response.status_code == 200
    body = response.json()
    assert body["view"] == "sync"
    if http_server.spec.asgi:
        # Under ASGI a sync view runs in Kolba's bounded pool, off the loop.
        assert body["thread"].startswith("kolba-sync")
    else:
        assert not body["thread"].startswith("kolba-sync")


@pytest.mark.parametrize("view", ["sync", "async"])
def test_sync_hooks_around_views_see_the_request(
    http_server: ServerProc, view: str, request: pytest.FixtureRequest
) -> None:
    with client(http_server) as http:
        response = http.get(f"/hooked/{view}")
    assert response.status_code == 200, response.text
    assert response.json() == {"seen_by_hook": f"/hooked/{view}"}
    assert response.headers["x-hooked-after"] == f"/hooked/{view}"


def test_sync_error_handler_for_async_view_sees_the_request(
    http_server: ServerProc, request: pytest.FixtureRequest
) -> None:
    with client(http_server) as http:
        response = http.get("/hooked/async-gone")
    assert response.status_code == 410, response.text
    assert response.text == "gone: /hooked/async-gone"


def test_session_cookie_across_requests(http_server: ServerProc) -> None:
    with client(http_server) as http:
        assert http.get("/session/get").json() == {"value": None, "count": None}
        first = http.get("/session/set/blue")
        assert first.status_code == 200
        assert "session" in first.cookies
        assert "HttpOnly" in first.headers["set-cookie"]
        http.get("/session/set/green")
        assert http.get("/session/get").json() == {"value": "green", "count": 2}
    # Another client (no cookie) has its own, empty session.
    with client(http_server) as other:
        assert other.get("/session/get").json() == {"value": None, "count": None}


def test_send_file_whole_and_ranges(http_server: ServerProc) -> None:
    data = big_file_bytes()
    with client(http_server) as http:
        whole = http.get("/file")
        assert whole.status_code == 200
        assert int(whole.headers["content-length"]) == BIG_FILE_SIZE
        assert whole.headers["accept-ranges"] == "bytes"
        assert whole.content == data
        etag = whole.headers["etag"]

        middle = http.get("/file", headers={"Range": "bytes=1000000-1065535"})
        assert middle.status_code == 206
        assert middle.headers["content-range"] == (
            f"bytes 1000000-1065535/{BIG_FILE_SIZE}"
        )
        assert middle.content == data[1000000:1065536]

        tail = http.get("/file", headers={"Range": "bytes=-777"})
        assert tail.status_code == 206
        assert tail.content == data[-777:]

        unsatisfiable = http.get("/file", headers={"Range": f"bytes={BIG_FILE_SIZE}-"})
        assert unsatisfiable.status_code == 416

        cached = http.get("/file", headers={"If-None-Match": etag})
        assert cached.status_code == 304
        assert cached.content == b""
