"""``send_file`` over HTTP: types, names, caching, conditional and range requests.

Real files in ``tmp_path``, real file objects, the real test client. Where Kolba
means to behave as Flask, a differential test runs the same view on Flask (the
oracle, installed for tests only) and compares status, headers and body.
"""

from __future__ import annotations

import gc
import io
import os
import typing as t
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kolba import Kolba, Response, send_file, send_from_directory
from kolba.testing import KolbaClient

CONTENT = b"hello world 0123456789"  # 22 bytes


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.txt"
    path.write_bytes(CONTENT)
    # A fixed, whole-second mtime makes Last-Modified exact.
    os.utime(path, (1_700_000_000, 1_700_000_000))
    return path


def _view(app: Kolba, func: t.Callable[[], t.Any], rule: str = "/f") -> None:
    app.add_url_rule(rule, rule, func)


def _etag(client: KolbaClient) -> str:
    # A streamed response that is never read must be closed (it holds a file).
    with client.get("/f") as response:
        return response.headers["ETag"]


# -- types and names ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("page.html", "text/html; charset=utf-8"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("data.json", "application/json"),
        ("image.png", "image/png"),
        ("archive.zip", "application/zip"),
        ("blob.unknownext", "application/octet-stream"),
        ("noextension", "application/octet-stream"),
    ],
)
def test_mimetype_is_guessed_from_the_name(
    app: Kolba, client: KolbaClient, tmp_path: Path, name: str, content_type: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"x")
    _view(app, lambda: send_file(path))
    response = client.get("/f")
    assert response.data == b"x"
    assert response.headers["Content-Type"] == content_type


def test_compressed_name_sends_content_encoding(
    app: Kolba, client: KolbaClient, tmp_path: Path
) -> None:
    path = tmp_path / "data.json.gz"
    path.write_bytes(b"gz")
    _view(app, lambda: send_file(path))
    response = client.get("/f")
    assert response.data == b"gz"
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Encoding"] == "gzip"


def test_compressed_download_keeps_its_encoding(
    app: Kolba, client: KolbaClient, tmp_path: Path
) -> None:
    path = tmp_path / "backup.tar.gz"
    path.write_bytes(b"gz")
    _view(app, lambda: send_file(path, as_attachment=True))
    response = client.get("/f")
    assert response.data == b"gz"
    assert "Content-Encoding" not in response.headers


def test_explicit_mimetype_wins(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file, mimetype="application/x-custom"))
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["Content-Type"] == "application/x-custom"


def test_relative_path_is_relative_to_root_path(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "r.txt").write_bytes(b"relative")
    app = Kolba("files_relative_app", root_path=str(tmp_path))
    _view(app, lambda: send_file("files/r.txt"))
    assert app.test_client().get("/f").data == b"relative"


def test_bytesio_with_mimetype(app: Kolba, client: KolbaClient) -> None:
    _view(app, lambda: send_file(io.BytesIO(b"in memory"), mimetype="text/csv"))
    response = client.get("/f")
    assert response.data == b"in memory"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Length"] == "9"
    assert "Content-Disposition" not in response.headers
    assert "ETag" not in response.headers


def test_bytesio_with_download_name_guesses_type(
    app: Kolba, client: KolbaClient
) -> None:
    _view(app, lambda: send_file(io.BytesIO(b"%PDF"), download_name="r.pdf"))
    response = client.get("/f")
    assert response.data == b"%PDF"
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == "inline; filename=r.pdf"


def test_open_binary_file_is_sent_and_closed(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    opened: list[t.IO[bytes]] = []

    def view() -> Response:
        file = open(data_file, "rb")  # noqa: SIM115 - send_file closes it
        opened.append(file)
        return send_file(file, mimetype="text/plain")

    _view(app, view)
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["Content-Length"] == "22"
    assert opened[0].closed


def test_file_object_is_sent_from_its_position(app: Kolba, client: KolbaClient) -> None:
    def view() -> Response:
        buffer = io.BytesIO(b"HEADER|payload")
        buffer.seek(7)
        return send_file(buffer, mimetype="text/plain")

    _view(app, view)
    response = client.get("/f")
    assert response.data == b"payload"
    assert response.headers["Content-Length"] == "7"
    ranged = client.get("/f", headers={"Range": "bytes=1-3"})
    assert ranged.status_code == 206
    assert ranged.data == b"ayl"
    assert ranged.headers["Content-Range"] == "bytes 1-3/7"


def test_unseekable_file_object_streams_without_length(
    app: Kolba, client: KolbaClient
) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.chunks = [b"a" * 10, b"b" * 10]

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: t.Any) -> int:
            if not self.chunks:
                return 0
            chunk = self.chunks.pop(0)
            buffer[: len(chunk)] = chunk
            return len(chunk)

    _view(app, lambda: send_file(Pipe(), mimetype="application/octet-stream"))
    response = client.get("/f", headers={"Range": "bytes=0-1"})
    assert response.status_code == 200
    assert response.data == b"a" * 10 + b"b" * 10
    assert "Content-Length" not in response.headers


def test_text_mode_file_is_a_type_error(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    with open(data_file) as text_file:
        _view(app, lambda: send_file(text_file))  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="binary mode") as info:
            client.get("/f")
    # Flask raises ValueError here: code written for Flask still catches it.
    assert isinstance(info.value, ValueError)


def test_string_io_is_a_type_error(app: Kolba, client: KolbaClient) -> None:
    _view(app, lambda: send_file(io.StringIO("text")))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text-mode"):
        client.get("/f")


def test_file_object_without_name_or_mimetype_is_a_type_error(
    app: Kolba, client: KolbaClient
) -> None:
    _view(app, lambda: send_file(io.BytesIO(b"x")))
    with pytest.raises(TypeError, match="mimetype"):
        client.get("/f")


def test_attachment_without_name_is_a_type_error(
    app: Kolba, client: KolbaClient
) -> None:
    _view(
        app,
        lambda: send_file(io.BytesIO(b"x"), mimetype="text/plain", as_attachment=True),
    )
    with pytest.raises(TypeError, match="download_name"):
        client.get("/f")


def test_as_attachment_uses_the_file_name(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file, as_attachment=True))
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["Content-Disposition"] == "attachment; filename=data.txt"


def test_download_name_replaces_the_file_name(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file, download_name="report.csv"))
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["Content-Disposition"] == "inline; filename=report.csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize(
    "name",
    [
        "report.pdf",
        'a "quoted" name.txt',
        "with space.txt",
        "semi;colon.txt",
        "back\\slash.txt",
        "percent%20.txt",
        "x'y.txt",
        "na\u00efve.txt",
        "\u6587\u4ef6.txt",
        "\u20acuro.txt",
        "\ufb01le.txt",
    ],
)
def test_content_disposition_matches_flask(tmp_path: Path, name: str) -> None:
    oracle = _flask_get(
        lambda flask: flask.send_file(
            io.BytesIO(b"x"), download_name=name, as_attachment=True
        ),
        tmp_path,
    )
    ours = _kolba_get(
        lambda: send_file(io.BytesIO(b"x"), download_name=name, as_attachment=True),
        tmp_path,
    )
    assert ours.headers["Content-Disposition"] == oracle.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ctl\x07.txt", "filename=ctl.txt; filename*=UTF-8''ctl%07.txt"),
        ("tab\there.txt", "filename=tabhere.txt; filename*=UTF-8''tab%09here.txt"),
        ("new\nline.txt", "filename=newline.txt; filename*=UTF-8''new%0Aline.txt"),
        (
            "cr\r\nSet-Cookie: a=b",
            'filename="crSet-Cookie: a=b"; '
            "filename*=UTF-8''cr%0D%0ASet-Cookie%3A%20a%3Db",
        ),
    ],
)
def test_control_characters_never_reach_the_header(
    app: Kolba, client: KolbaClient, name: str, expected: str
) -> None:
    # Flask writes tab and BEL raw into the header and fails with a 500 on a
    # newline; Kolba percent-encodes them in filename* and drops them from the
    # ASCII fallback.
    _view(
        app,
        lambda: send_file(io.BytesIO(b"x"), download_name=name, as_attachment=True),
    )
    response = client.get("/f")
    assert response.status_code == 200
    assert response.data == b"x"
    assert response.headers["Content-Disposition"] == "attachment; " + expected
    assert "Set-Cookie" not in response.headers


# -- ETag, Last-Modified, 304 ---------------------------------------------------------


def test_path_etag_and_last_modified(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file))
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["Last-Modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert response.headers["ETag"].startswith('"1700000000.0-22-')


def test_custom_string_etag(app: Kolba, client: KolbaClient, data_file: Path) -> None:
    _view(app, lambda: send_file(data_file, etag="v42"))
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["ETag"] == '"v42"'
    again = client.get("/f", headers={"If-None-Match": '"v42"'})
    assert again.status_code == 304
    assert again.data == b""


def test_etag_false_sends_no_etag(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file, etag=False))
    response = client.get("/f")
    assert response.data == CONTENT
    assert "ETag" not in response.headers


@pytest.mark.parametrize(
    "value",
    [
        datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
        1577934245,
        1577934245.9,
    ],
)
def test_last_modified_override(
    app: Kolba, client: KolbaClient, data_file: Path, value: datetime | float
) -> None:
    _view(app, lambda: send_file(data_file, last_modified=value))
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["Last-Modified"] == "Thu, 02 Jan 2020 03:04:05 GMT"


def test_if_none_match_gives_304(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file))
    etag = _etag(client)
    response = client.get("/f", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert "Content-Length" not in response.headers
    assert "Content-Type" not in response.headers


def test_if_modified_since_gives_304(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file))
    response = client.get(
        "/f", headers={"If-Modified-Since": "Tue, 14 Nov 2023 22:13:20 GMT"}
    )
    assert response.status_code == 304
    older = client.get(
        "/f", headers={"If-Modified-Since": "Tue, 14 Nov 2023 22:13:19 GMT"}
    )
    assert older.status_code == 200
    assert older.data == CONTENT


def test_conditional_false_ignores_request_headers(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file, conditional=False, etag="t"))
    response = client.get("/f", headers={"If-None-Match": '"t"', "Range": "bytes=0-1"})
    assert response.status_code == 200
    assert response.data == CONTENT
    assert "Accept-Ranges" not in response.headers


def test_if_match_mismatch_is_412_without_body(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file))
    response = client.get("/f", headers={"If-Match": '"other"'})
    assert response.status_code == 412
    assert response.data == b""


def test_head_sends_headers_only(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file))
    response = client.head("/f")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == "22"
    assert response.headers["Accept-Ranges"] == "bytes"


# -- ranges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "status", "body", "content_range"),
    [
        ("bytes=0-4", 206, b"hello", "bytes 0-4/22"),
        ("bytes=-5", 206, b"56789", "bytes 17-21/22"),
        ("bytes=5-", 206, CONTENT[5:], "bytes 5-21/22"),
        ("bytes=21-21", 206, b"9", "bytes 21-21/22"),
        ("bytes=0-100", 206, CONTENT, "bytes 0-21/22"),
        ("bytes= 0-4", 206, b"hello", "bytes 0-4/22"),
        ("bytes=22-", 416, None, "bytes */22"),
        ("bytes=100-200", 416, None, "bytes */22"),
        ("bytes=0-4,6-8", 416, None, "bytes */22"),
        ("bytes=5-2", 416, None, "bytes */22"),
        ("bytes=-0", 416, None, "bytes */22"),
        ("bytes=abc", 416, None, "bytes */22"),
        ("bytes=", 416, None, "bytes */22"),
        ("items=0-1", 416, None, "bytes */22"),
        ("0-4", 416, None, "bytes */22"),
        ("bytes=" + "9" * 40 + "-", 416, None, "bytes */22"),
    ],
)
def test_range_requests(
    app: Kolba,
    client: KolbaClient,
    data_file: Path,
    header: str,
    status: int,
    body: bytes | None,
    content_range: str,
) -> None:
    _view(app, lambda: send_file(data_file))
    response = client.get("/f", headers={"Range": header})
    assert response.status_code == status
    assert response.headers["Content-Range"] == content_range
    if body is not None:
        assert response.data == body
        assert response.headers["Content-Length"] == str(len(body))
    else:
        assert CONTENT not in response.data


def test_suffix_longer_than_file_is_the_whole_file(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    # SPEC: RFC 9110 §14.1.2 — a suffix longer than the representation selects
    # all of it. Flask answers 416 here.
    _view(app, lambda: send_file(data_file))
    response = client.get("/f", headers={"Range": "bytes=-100"})
    assert response.status_code == 206
    assert response.data == CONTENT
    assert response.headers["Content-Range"] == "bytes 0-21/22"


def test_range_of_empty_file_is_ignored(
    app: Kolba, client: KolbaClient, tmp_path: Path
) -> None:
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    _view(app, lambda: send_file(path))
    response = client.get("/f", headers={"Range": "bytes=0-4"})
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == "0"


def test_if_range_with_matching_etag_gives_206(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file))
    etag = _etag(client)
    response = client.get("/f", headers={"Range": "bytes=0-4", "If-Range": etag})
    assert response.status_code == 206
    assert response.data == b"hello"


def test_if_range_with_other_etag_gives_200(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file))
    response = client.get("/f", headers={"Range": "bytes=0-4", "If-Range": '"old"'})
    assert response.status_code == 200
    assert response.data == CONTENT


@pytest.mark.parametrize(
    ("if_range", "status"),
    [
        ("Tue, 14 Nov 2023 22:13:20 GMT", 206),
        ("Tue, 14 Nov 2023 22:13:19 GMT", 200),
        ("Wed, 15 Nov 2023 00:00:00 GMT", 200),
        ("not a date", 200),
    ],
)
def test_if_range_with_date(
    app: Kolba, client: KolbaClient, data_file: Path, if_range: str, status: int
) -> None:
    _view(app, lambda: send_file(data_file))
    response = client.get("/f", headers={"Range": "bytes=0-4", "If-Range": if_range})
    assert response.status_code == status
    assert response.data == (b"hello" if status == 206 else CONTENT)


def test_if_none_match_wins_over_range(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    # SPEC: RFC 9110 §13.2.2 — If-None-Match is evaluated before Range, so a
    # current cache gets 304. Flask answers 206 here.
    _view(app, lambda: send_file(data_file))
    etag = _etag(client)
    response = client.get("/f", headers={"Range": "bytes=0-4", "If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""


def test_head_with_range(app: Kolba, client: KolbaClient, data_file: Path) -> None:
    _view(app, lambda: send_file(data_file))
    response = client.head("/f", headers={"Range": "bytes=0-4"})
    assert response.status_code == 206
    assert response.data == b""
    assert response.headers["Content-Length"] == "5"


def test_large_file_range_spans_blocks(
    app: Kolba, client: KolbaClient, tmp_path: Path
) -> None:
    path = tmp_path / "big.bin"
    blob = bytes(range(256)) * 1024  # 256 KiB: several read blocks
    path.write_bytes(blob)
    _view(app, lambda: send_file(path))
    response = client.get("/f", headers={"Range": "bytes=1000-200000"})
    assert response.status_code == 206
    assert response.data == blob[1000:200001]
    assert client.get("/f").data == blob


# -- one range implementation: make_conditional on streamed bodies ------------------


def test_make_conditional_cuts_a_generator_body(
    app: Kolba, client: KolbaClient
) -> None:
    def view() -> Response:
        from kolba import request

        chunks = (part for part in [b"abc", b"def", "ghi", b"jkl"])
        response = Response(chunks, mimetype="text/plain")
        return response.make_conditional(
            request, accept_ranges=True, complete_length=12
        )

    _view(app, view)
    response = client.get("/f", headers={"Range": "bytes=2-7"})
    assert response.status_code == 206
    assert response.data == b"cdefgh"
    assert response.headers["Content-Range"] == "bytes 2-7/12"


def test_make_conditional_on_unconditional_send_file(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    def view() -> Response:
        from kolba import request

        response = send_file(data_file, conditional=False)
        return response.make_conditional(
            request, accept_ranges=True, complete_length=22
        )

    _view(app, view)
    response = client.get("/f", headers={"Range": "bytes=-3"})
    assert response.status_code == 206
    assert response.data == b"789"


# -- caching --------------------------------------------------------------------------


def test_default_is_no_cache(app: Kolba, client: KolbaClient, data_file: Path) -> None:
    _view(app, lambda: send_file(data_file))
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Expires" not in response.headers


def test_max_age_argument(app: Kolba, client: KolbaClient, data_file: Path) -> None:
    _view(app, lambda: send_file(data_file, max_age=120))
    before = datetime.now(UTC).replace(microsecond=0)
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["Cache-Control"] == "public, max-age=120"
    expires = response.expires
    assert expires is not None
    assert before + timedelta(seconds=119) <= expires <= before + timedelta(seconds=122)


def test_max_age_zero_keeps_no_cache(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    _view(app, lambda: send_file(data_file, max_age=0))
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["Cache-Control"] == "no-cache, max-age=0"


def test_max_age_callable_gets_the_path(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    seen: list[str | None] = []

    def policy(path: str | None) -> int:
        seen.append(path)
        return 7

    _view(app, lambda: send_file(data_file, max_age=policy))
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["Cache-Control"] == "public, max-age=7"
    assert seen == [str(data_file)]


@pytest.mark.parametrize(
    ("setting", "cache_control"),
    [
        (None, "no-cache"),
        (300, "public, max-age=300"),
        (timedelta(minutes=2), "public, max-age=120"),
    ],
)
def test_max_age_from_config(
    app: Kolba,
    client: KolbaClient,
    data_file: Path,
    setting: int | timedelta | None,
    cache_control: str,
) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = setting
    _view(app, lambda: send_file(data_file))
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["Cache-Control"] == cache_control


def test_get_send_file_max_age_override_applies_to_send_file(
    data_file: Path,
) -> None:
    class PerTypeCache(Kolba):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            if filename is not None and filename.endswith(".txt"):
                return 99
            return super().get_send_file_max_age(filename)

    app = PerTypeCache("files_override_app", root_path=str(data_file.parent))
    _view(app, lambda: send_file(data_file))
    _view(app, lambda: send_file(io.BytesIO(b"x"), mimetype="text/plain"), "/mem")
    client = app.test_client()
    response = client.get("/f")
    assert response.data == CONTENT
    assert response.headers["Cache-Control"] == "public, max-age=99"
    in_memory = client.get("/mem")
    assert in_memory.data == b"x"
    assert in_memory.headers["Cache-Control"] == "no-cache"


# -- the server's file wrapper, and closing ------------------------------------------


class RecordingFileWrapper:
    """A PEP 3333 ``wsgi.file_wrapper`` that records what it was given."""

    calls: list[tuple[t.IO[bytes], int]]

    def __init__(self) -> None:
        self.calls = []

    def __call__(self, filelike: t.IO[bytes], block_size: int = 8192) -> _Wrapped:
        self.calls.append((filelike, block_size))
        return _Wrapped(filelike, block_size)


class _Wrapped:
    def __init__(self, filelike: t.IO[bytes], block_size: int) -> None:
        self.filelike = filelike
        self.block_size = block_size

    def __iter__(self) -> t.Iterator[bytes]:
        while chunk := self.filelike.read(self.block_size):
            yield chunk

    def close(self) -> None:
        self.filelike.close()


@pytest.mark.wsgi_only("wsgi.file_wrapper is a WSGI server feature")
def test_server_file_wrapper_is_used(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    wrapper = RecordingFileWrapper()
    _view(app, lambda: send_file(data_file))
    response = client.get("/f", environ_overrides={"wsgi.file_wrapper": wrapper})
    assert response.data == CONTENT
    assert len(wrapper.calls) == 1
    filelike, block_size = wrapper.calls[0]
    assert filelike.name == str(data_file)  # type: ignore[attr-defined]
    assert block_size > 0
    assert filelike.closed


def test_server_file_wrapper_is_not_used_for_a_range(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    # A server's wrapper sends to the end of the file; a range needs a bound.
    wrapper = RecordingFileWrapper()
    _view(app, lambda: send_file(data_file))
    response = client.get(
        "/f",
        headers={"Range": "bytes=0-4"},
        environ_overrides={"wsgi.file_wrapper": wrapper},
    )
    assert response.status_code == 206
    assert response.data == b"hello"
    assert wrapper.calls == []


@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [
        ("GET", {}, 200),
        ("HEAD", {}, 200),
        ("GET", {"Range": "bytes=0-4"}, 206),
        ("GET", {"Range": "bytes=99-"}, 416),
        ("GET", {"If-None-Match": '"t"'}, 304),
        ("GET", {"If-Match": '"other"'}, 412),
    ],
)
def test_file_is_closed_after_every_kind_of_response(
    app: Kolba,
    client: KolbaClient,
    data_file: Path,
    method: str,
    headers: dict[str, str],
    status: int,
) -> None:
    opened: list[t.IO[bytes]] = []

    def view() -> Response:
        file = open(data_file, "rb")  # noqa: SIM115 - send_file closes it
        opened.append(file)
        return send_file(file, mimetype="text/plain", etag="t")

    _view(app, view)
    response = client.open("/f", method=method, headers=headers)
    assert response.status_code == status
    response.close()
    assert opened[0].closed
    gc.collect()  # an unclosed file would warn here; warnings are errors


def test_x_sendfile_leaves_the_body_to_the_server(
    app: Kolba, client: KolbaClient, data_file: Path
) -> None:
    app.config["USE_X_SENDFILE"] = True
    _view(app, lambda: send_file(data_file))
    response = client.get("/f")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["X-Sendfile"] == str(data_file)
    etag = response.headers["ETag"]
    cached = client.get("/f", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert "X-Sendfile" not in cached.headers


# -- differential: the same view on Flask ---------------------------------------------

_TIME_HEADERS = ("Date", "Expires")


def _flask_get(make: t.Callable[[t.Any], t.Any], root: Path, **kwargs: t.Any) -> t.Any:
    import flask

    app = flask.Flask("files_oracle", root_path=str(root))
    app.add_url_rule("/f", "f", lambda: make(flask), methods=["GET", "HEAD"])
    response = app.test_client().open("/f", **kwargs)
    response.get_data()
    response.close()
    return response


def _kolba_get(make: t.Callable[[], t.Any], root: Path, **kwargs: t.Any) -> t.Any:
    app = Kolba("files_differential", root_path=str(root))
    app.add_url_rule("/f", "f", make, methods=["GET", "HEAD"])
    response = app.test_client().open("/f", **kwargs)
    response.get_data()
    response.close()
    return response


def _comparable(response: t.Any) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k not in _TIME_HEADERS}
    body = response.get_data() if response.status_code < 400 else b""
    if response.status_code >= 400:  # error pages differ in wording, not status
        headers = {"Content-Range": response.headers.get("Content-Range", "")}
    return response.status_code, headers, body


_DATE = "Tue, 14 Nov 2023 22:13:20 GMT"  # data_file's mtime
_OLD_DATE = "Mon, 13 Nov 2023 00:00:00 GMT"
_SEND_FILE_CASES: list[tuple[str, dict[str, t.Any], dict[str, str]]] = [
    ("plain", {}, {}),
    ("attachment", {"as_attachment": True}, {}),
    ("download name", {"download_name": "r\u00e9sum\u00e9.txt"}, {}),
    ("mimetype", {"mimetype": "application/x-thing"}, {}),
    ("string etag", {"etag": "abc"}, {}),
    ("no etag", {"etag": False}, {}),
    ("max age", {"max_age": 60}, {}),
    ("max age zero", {"max_age": 0}, {}),
    ("last modified", {"last_modified": 1_600_000_000}, {}),
    ("unconditional", {"conditional": False}, {"Range": "bytes=0-1"}),
    ("range", {}, {"Range": "bytes=0-4"}),
    ("suffix range", {}, {"Range": "bytes=-5"}),
    ("open range", {}, {"Range": "bytes=5-"}),
    ("range past the end", {}, {"Range": "bytes=10-99"}),
    ("unsatisfiable", {}, {"Range": "bytes=50-"}),
    ("multiple ranges", {}, {"Range": "bytes=0-1,4-5"}),
    ("malformed range", {}, {"Range": "bytes=x-y"}),
    ("if-range date", {}, {"Range": "bytes=0-1", "If-Range": _DATE}),
    ("if-range old date", {}, {"Range": "bytes=0-1", "If-Range": _OLD_DATE}),
    ("if-range other etag", {}, {"Range": "bytes=0-1", "If-Range": '"nope"'}),
    ("if-modified-since", {}, {"If-Modified-Since": _DATE}),
    ("if-none-match other", {}, {"If-None-Match": '"nope"'}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "headers"),
    [(kwargs, headers) for _, kwargs, headers in _SEND_FILE_CASES],
    ids=[name for name, _, _ in _SEND_FILE_CASES],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_send_file_path_matches_flask(
    data_file: Path, kwargs: dict[str, t.Any], headers: dict[str, str], method: str
) -> None:
    oracle = _flask_get(
        lambda flask: flask.send_file(data_file, **kwargs),
        data_file.parent,
        method=method,
        headers=headers,
    )
    ours = _kolba_get(
        lambda: send_file(data_file, **kwargs),
        data_file.parent,
        method=method,
        headers=headers,
    )
    assert _comparable(ours) == _comparable(oracle)
    if "Expires" in oracle.headers:
        delta = abs((ours.expires - oracle.expires).total_seconds())
        assert delta <= 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mimetype": "text/plain"},
        {"download_name": "x.json"},
        {"download_name": "x.bin", "as_attachment": True},
    ],
)
def test_send_file_bytesio_matches_flask(
    tmp_path: Path, kwargs: dict[str, t.Any]
) -> None:
    oracle = _flask_get(
        lambda flask: flask.send_file(io.BytesIO(CONTENT), **kwargs), tmp_path
    )
    ours = _kolba_get(lambda: send_file(io.BytesIO(CONTENT), **kwargs), tmp_path)
    assert _comparable(ours) == _comparable(oracle)


def test_etag_for_the_etag_request_matches_flask(data_file: Path) -> None:
    oracle = _flask_get(lambda flask: flask.send_file(data_file), data_file.parent)
    etag = oracle.headers["ETag"]
    again = _flask_get(
        lambda flask: flask.send_file(data_file),
        data_file.parent,
        headers={"If-None-Match": etag},
    )
    ours = _kolba_get(
        lambda: send_file(data_file), data_file.parent, headers={"If-None-Match": etag}
    )
    assert _comparable(ours) == _comparable(again)
    assert ours.status_code == 304


def test_send_from_directory_matches_flask(data_file: Path) -> None:
    folder = data_file.parent
    oracle = _flask_get(
        lambda flask: flask.send_from_directory(folder, "data.txt"), folder
    )
    ours = _kolba_get(lambda: send_from_directory(folder, "data.txt"), folder)
    assert _comparable(ours) == _comparable(oracle)
