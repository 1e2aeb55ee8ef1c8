"""The push form decoders (form_decoder) and the parse_form_data pull wrapper."""

from __future__ import annotations

import io
import tempfile
import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kolba.exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from kolba.sansio.forms import (
    MultipartFormDecoder,
    UrlencodedDecoder,
    form_decoder,
    parse_form_data,
)
from kolba.sansio.multipart import encode_multipart
from kolba.sansio.streams import ClientDisconnected, LimitedStream

BOUNDARY = "XyZ123"
MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"
END = f"--{BOUNDARY}--\r\n".encode()


def part(name: str, value: bytes, extra: str = "") -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"{extra}\r\n'
    return f"--{BOUNDARY}\r\n{disposition}\r\n".encode() + value + b"\r\n"


class Tracked(io.BytesIO):
    """An in-memory upload file that records every instance, to check closing."""

    made: t.ClassVar[list[Tracked]] = []

    def __init__(self) -> None:
        super().__init__()
        Tracked.made.append(self)


def tracked_factory(*_args: t.Any) -> t.IO[bytes]:
    return Tracked()


@pytest.fixture(autouse=True)
def _reset_tracked() -> None:
    Tracked.made = []


def decode(
    body: bytes,
    chunk: int | None = None,
    mimetype: str = MULTIPART,
    content_length: int | None = -1,
    **limits: t.Any,
) -> t.Any:
    """Push ``body`` through form_decoder in chunks; return the result as plain
    data, or ``("error", type, description)``."""
    limits.setdefault("stream_factory", tracked_factory)
    try:
        decoder = form_decoder(
            mimetype,
            {"boundary": BOUNDARY},
            len(body) if content_length == -1 else content_length,
            **limits,
        )
        assert decoder is not None
        step = chunk or len(body) or 1
        for start in range(0, len(body), step):
            decoder.feed(body[start : start + step])
        form, files = decoder.close()
    except HTTPException as exc:
        return ("error", type(exc), exc.description)
    result = (
        list(form.items(multi=True)),
        [(n, f.filename, f.read()) for n, f in files.items(multi=True)],
    )
    for _name, upload in files.items(multi=True):
        upload.close()
    return result


FORM = (
    part("a", b"1")
    + part("a", "é".encode())
    + part(
        "latin", "é".encode("latin-1"), "\r\nContent-Type: text/plain; charset=latin-1"
    )
    + part("up", b"file\r\n--XyZ12 data", '; filename="h.txt"')
    + part("", b"nameless", '; filename="n"').replace(b'name=""; ', b"")
    + END
)
FORM_RESULT = (
    [("a", "1"), ("a", "é"), ("latin", "é")],
    [("up", "h.txt", b"file\r\n--XyZ12 data")],
)


@pytest.mark.parametrize("chunk", [None, 1, 2, 7, 64])
def test_multipart_result_does_not_depend_on_chunks(chunk: int | None) -> None:
    assert decode(FORM, chunk) == FORM_RESULT
    # The file part without a name was dropped, and the decoder closed its
    # file (decode() closes only the returned upload).
    assert len(Tracked.made) == 2 and Tracked.made[1].closed


@settings(max_examples=80)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abc", min_size=1, max_size=3),
            st.one_of(
                st.text(max_size=30),
                st.tuples(st.binary(max_size=200), st.just("f"), st.just(None)),
            ),
        ),
        max_size=6,
    ),
    st.integers(1, 300),
)
def test_any_chunk_size_gives_the_same_form(
    fields: list[tuple[str, t.Any]], chunk: int
) -> None:
    body, content_type = encode_multipart(fields, boundary=BOUNDARY)
    assert decode(body, chunk) == decode(body)
    whole_stream = parse_form_data(
        io.BytesIO(body),
        MULTIPART,
        {"boundary": BOUNDARY},
        len(body),
        stream_factory=tracked_factory,
    )
    assert list(whole_stream[0].items(multi=True)) == decode(body)[0]


def test_memory_limit_counts_all_fields_together_exactly() -> None:
    ok = (
        part("a", b"x" * 60)
        + part("b", b"y" * 40)
        + part("f", b"z" * 500, '; filename="f"')
        + END
    )
    over = part("a", b"x" * 60) + part("b", b"y" * 41) + END
    for chunk in (None, 1, 13):
        assert decode(ok, chunk, max_form_memory_size=100)[0][1] == ("b", "y" * 40)
        assert decode(over, chunk, max_form_memory_size=100) == (
            "error",
            RequestEntityTooLarge,
            "The form data is larger than the limit of 100 bytes"
            " (MAX_FORM_MEMORY_SIZE). Send large content as a file upload, or"
            " raise the limit.",
        )


def test_parts_limit_counts_fields_and_files() -> None:
    body = part("a", b"1") + part("f", b"2", '; filename="x"') + END
    assert decode(body, 1, max_form_parts=2) == ([("a", "1")], [("f", "x", b"2")])
    assert decode(body, 1, max_form_parts=1) == (
        "error",
        RequestEntityTooLarge,
        "The form has more than 1 fields or parts (MAX_FORM_PARTS).",
    )


def test_errors_close_every_upload_file() -> None:
    body = part("f", b"1", '; filename="x"') + part("g", b"2", '; filename="y"')
    body += part("a", b"x" * 50) + END
    result = decode(body, 5, max_form_memory_size=10)
    assert result[0] == "error"
    assert len(Tracked.made) == 2 and all(f.closed for f in Tracked.made)
    truncated = decode(body[:-5], 5)
    assert truncated[2].startswith("The multipart/form-data body ended before")
    assert len(Tracked.made) == 4 and all(f.closed for f in Tracked.made)


def test_abort_releases_a_half_read_upload() -> None:
    decoder = form_decoder(
        MULTIPART, {"boundary": BOUNDARY}, None, stream_factory=tracked_factory
    )
    assert isinstance(decoder, MultipartFormDecoder)
    decoder.feed(part("f", b"1", '; filename="x"') + part("g", b"partial")[:-6])
    decoder.abort()
    assert [f.closed for f in Tracked.made] == [True]


def test_max_content_length_is_counted_while_feeding() -> None:
    body = part("a", b"x" * 100) + END
    declared = decode(body, max_content_length=50)
    assert declared == (
        "error",
        RequestEntityTooLarge,
        f"The request body is {len(body)} bytes, more than the limit of 50 bytes"
        " (MAX_CONTENT_LENGTH).",
    )
    counted = decode(body, 10, content_length=None, max_content_length=50)
    assert counted == (
        "error",
        RequestEntityTooLarge,
        "The request body is larger than the limit of 50 bytes (MAX_CONTENT_LENGTH).",
    )
    assert decode(body, 10, content_length=None, max_content_length=len(body))[0]


def test_invalid_boundary_is_refused_before_reading() -> None:
    with pytest.raises(BadRequest, match="no valid boundary"):
        form_decoder(MULTIPART, {}, 10)
    with pytest.raises(BadRequest, match="got 'x '"):
        form_decoder("Multipart/Form-Data", {"boundary": "x "}, 10)


def test_invalid_utf8_field() -> None:
    assert decode(part("a", b"\xff") + END, 1) == (
        "error",
        BadRequest,
        "The form field 'a' is not valid UTF-8: byte 0xff at position 0 cannot"
        " be decoded.",
    )


def test_large_uploads_spill_to_disk_small_ones_stay_in_memory() -> None:
    big = bytes(range(256)) * 2400  # 600 KiB, above the 500 KiB threshold
    body = part("big", big, '; filename="b"') + part("small", b"s", '; filename="s"')
    body += END
    decoder = form_decoder(MULTIPART, {"boundary": BOUNDARY}, len(body))
    assert decoder is not None
    for start in range(0, len(body), 64 * 1024):
        decoder.feed(body[start : start + 64 * 1024])
    _form, files = decoder.close()
    try:
        big_file = files["big"].stream
        small_file = files["small"].stream
        assert isinstance(big_file, tempfile.SpooledTemporaryFile)
        assert isinstance(small_file, tempfile.SpooledTemporaryFile)
        assert big_file._rolled  # on disk
        assert not small_file._rolled
        assert files["big"].read() == big
    finally:
        files["big"].close()
        files["small"].close()


def test_stream_factory_gets_lengths_and_types() -> None:
    calls: list[tuple[t.Any, ...]] = []

    def factory(*args: t.Any) -> t.IO[bytes]:
        calls.append(args)
        return io.BytesIO()

    extra = (
        '; filename="n.bin"\r\nContent-Type: application/x-thing\r\nContent-Length: 3'
    )
    body = part("f", b"abc", extra) + END
    decode(body, 4, stream_factory=factory)
    assert calls == [(len(body), "application/x-thing", "n.bin", 3)]


def test_other_media_types_are_not_forms() -> None:
    assert form_decoder("application/json", {}, 10) is None
    with pytest.raises(RequestEntityTooLarge, match="MAX_CONTENT_LENGTH"):
        form_decoder("application/json", {}, 11, max_content_length=10)


# -- urlencoded -------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [None, 1, 3])
def test_urlencoded_chunks(chunk: int | None) -> None:
    body = b"a=1&a=2&b=x+y&c=%C3%A9"
    assert decode(body, chunk, URLENCODED) == (
        [("a", "1"), ("a", "2"), ("b", "x y"), ("c", "é")],
        [],
    )


def test_urlencoded_memory_limit_exact_and_early() -> None:
    body = b"a=" + b"x" * 98
    assert decode(body, 7, URLENCODED, None, max_form_memory_size=100)[0]
    message = (
        "The form data is larger than the limit of 100 bytes (MAX_FORM_MEMORY_SIZE)."
        " Send large content as a file upload, or raise the limit."
    )
    assert decode(body + b"x", 7, URLENCODED, None, max_form_memory_size=100) == (
        "error",
        RequestEntityTooLarge,
        message,
    )
    # A declared length over the limit is refused before any byte arrives.
    with pytest.raises(RequestEntityTooLarge) as info:
        UrlencodedDecoder(101, max_form_memory_size=100)
    assert info.value.description == message


def test_urlencoded_parts_limit() -> None:
    body = b"&".join(b"f=1" for _ in range(11))
    assert len(decode(body, 5, URLENCODED, max_form_parts=11)[0]) == 11
    assert decode(body, 5, URLENCODED, max_form_parts=10) == (
        "error",
        RequestEntityTooLarge,
        "The form has more than 10 fields or parts (MAX_FORM_PARTS).",
    )


def test_urlencoded_counts_max_content_length() -> None:
    body = b"a=" + b"x" * 50
    assert decode(body, 10, URLENCODED, None, max_content_length=20)[2] == (
        "The request body is larger than the limit of 20 bytes (MAX_CONTENT_LENGTH)."
    )


# -- the pull wrapper -----------------------------------------------------------


class OneShot(io.RawIOBase):
    """Gives ``data`` on the first read, then fails: reading on is a bug."""

    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._data is None:
            raise AssertionError("read past the closing boundary")
        data, self._data = self._data, None
        return data


def test_parse_form_data_stops_at_the_closing_boundary() -> None:
    body = part("a", b"1") + END + b"epilogue"
    form, _files = parse_form_data(
        OneShot(body), MULTIPART, {"boundary": BOUNDARY}, None
    )
    assert form["a"] == "1"


def test_parse_form_data_closes_uploads_when_the_client_disconnects() -> None:
    body = part("f", b"1", '; filename="x"') + part("g", b"2" * 100, '; filename="y"')
    stream = LimitedStream(io.BytesIO(body), len(body) + 100)
    with pytest.raises(ClientDisconnected):
        parse_form_data(
            stream,
            MULTIPART,
            {"boundary": BOUNDARY},
            len(body) + 100,
            stream_factory=tracked_factory,
        )
    assert len(Tracked.made) == 2 and all(f.closed for f in Tracked.made)
