from __future__ import annotations

import io
import time
import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kolba.datastructures import MultiDict
from kolba.exceptions import BadRequest, RequestEntityTooLarge
from kolba.sansio.forms import parse_form_data
from kolba.sansio.http import parse_options_header
from kolba.sansio.multipart import encode_multipart, is_valid_boundary, iter_multipart

BOUNDARY = "XyZ123"
CT = f"multipart/form-data; boundary={BOUNDARY}"


class Trickle(io.RawIOBase):
    """Returns one byte per read, so every boundary is split across reads."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._data.read(1)


def parse(
    body: bytes, content_type: str = CT, stream: t.Any = None, **limits: t.Any
) -> tuple[t.Any, t.Any]:
    mimetype, options = parse_options_header(content_type)
    # In-memory uploads: nothing to close, so tests cannot leak temp files.
    limits.setdefault("stream_factory", memory_factory)
    return parse_form_data(
        stream if stream is not None else io.BytesIO(body),
        mimetype,
        options,
        len(body),
        **limits,
    )


def memory_factory(*args: t.Any) -> t.IO[bytes]:
    return io.BytesIO()


def test_default_stream_factory_spools_to_a_temp_file() -> None:
    body = part("f", b"z" * 1000, '; filename="big"') + END
    mimetype, options = parse_options_header(CT)
    _form, files = parse_form_data(io.BytesIO(body), mimetype, options, len(body))
    try:
        assert files["f"].read() == b"z" * 1000
    finally:
        files["f"].close()


def part(name: str, value: bytes, extra: str = "") -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"{extra}\r\n'
    return f"--{BOUNDARY}\r\n{disposition}\r\n".encode() + value + b"\r\n"


END = f"--{BOUNDARY}--\r\n".encode()


def test_fields_and_files() -> None:
    body = (
        b"preamble is ignored\r\n"
        + part("a", b"1")
        + part("a", "é".encode())
        + part(
            "up",
            b"file\r\n--XyZ12 not a boundary\r\ncontent",
            '; filename="hello.txt"\r\nContent-Type: text/plain',
        )
        + END
        + b"epilogue"
    )
    form, files = parse(body)
    assert form.getlist("a") == ["1", "é"]
    upload = files["up"]
    assert upload.filename == "hello.txt"
    assert upload.name == "up"
    assert upload.content_type == "text/plain"
    assert upload.read() == b"file\r\n--XyZ12 not a boundary\r\ncontent"
    upload.close()


def test_filename_star_wins_and_empty_filename_is_a_file() -> None:
    body = (
        part("f", b"x", "; filename=\"plain.txt\"; filename*=UTF-8''%C3%A9.txt")
        + part("g", b"", '; filename=""')
        + END
    )
    _form, files = parse(body)
    assert files["f"].filename == "é.txt"
    assert files["g"].filename == "" and not files["g"]


def test_part_headers_utf8_with_latin1_fallback() -> None:
    body = (
        f"--{BOUNDARY}\r\n".encode()
        + 'Content-Disposition: form-data; name="é"\r\n\r\nv\r\n'.encode()
        + f"--{BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="\xe9x"\r\n\r\nw\r\n'
        + END
    )
    form, _files = parse(body)
    assert form["é"] == "v"
    assert form["éx"] == "w"


def test_boundary_split_across_one_byte_reads() -> None:
    body = part("a", b"x" * 100) + part("f", b"data\r\n-", '; filename="f"') + END
    form, files = parse(body, stream=Trickle(body))
    assert form["a"] == "x" * 100
    assert files["f"].read() == b"data\r\n-"


def test_empty_multipart() -> None:
    form, files = parse(END)
    assert not form and not files


def test_transport_padding_after_boundary() -> None:
    body = (
        f"--{BOUNDARY}  \r\n".encode()
        + b'Content-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        + END
    )
    assert parse(body)[0]["a"] == "1"


def test_charset_of_part_is_used() -> None:
    body = (
        part(
            "a", "é".encode("latin-1"), "\r\nContent-Type: text/plain; charset=latin-1"
        )
        + END
    )
    assert parse(body)[0]["a"] == "é"


def test_invalid_utf8_field_is_bad_request() -> None:
    with pytest.raises(BadRequest, match="form field 'a' is not valid UTF-8"):
        parse(part("a", b"\xff") + END)


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "x" * 71,
        "multipart/form-data; boundary=bad\x00",
        'multipart/form-data; boundary="trailing "',
        "multipart/form-data; boundary=é",
    ],
)
def test_missing_or_invalid_boundary(content_type: str) -> None:
    with pytest.raises(BadRequest, match="boundary"):
        parse(END, content_type)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"no boundary here at all",
        part("a", b"1"),  # no closing boundary
        part("a", b"1")[:-5],
        f"--{BOUNDARY}\r\nContent-Disposition: form-data".encode(),
        f"--{BOUNDARY}\r\nNoColonHere\r\n\r\nx\r\n".encode() + END,
        f"--{BOUNDARY}\r\n".encode() + b"X: " + b"a" * 9000 + b"\r\n\r\n" + END,
        f"--{BOUNDARY}\r\n".encode() + b"X: a\r\n" * 65 + b"\r\n" + END,
        f"--{BOUNDARY}\r\n".encode() + b"X: " + b"a" * 20000,
        f"--{BOUNDARY}-".encode(),
    ],
)
def test_malformed_bodies_are_bad_request(body: bytes) -> None:
    with pytest.raises(BadRequest):
        parse(body)


def test_malformed_bodies_with_trickle() -> None:
    body = part("a", b"1")
    with pytest.raises(BadRequest):
        parse(body, stream=Trickle(body))


def test_max_form_memory_size_counts_all_fields() -> None:
    body = part("a", b"x" * 60) + part("b", b"y" * 40) + END
    form, _ = parse(body, max_form_memory_size=100)
    assert len(form["a"]) == 60
    body_over = part("a", b"x" * 60) + part("b", b"y" * 41) + END
    with pytest.raises(RequestEntityTooLarge, match="MAX_FORM_MEMORY_SIZE"):
        parse(body_over, max_form_memory_size=100)


def test_files_do_not_count_against_memory_limit() -> None:
    body = part("f", b"z" * 1000, '; filename="big"') + END
    _form, files = parse(body, max_form_memory_size=10)
    assert len(files["f"].read()) == 1000


def test_max_form_parts_counts_files() -> None:
    body = part("a", b"1") + part("f", b"2", '; filename="x"') + END
    form, files = parse(body, max_form_parts=2)
    assert form["a"] == "1" and files["f"].read() == b"2"
    with pytest.raises(RequestEntityTooLarge, match="MAX_FORM_PARTS"):
        parse(body, max_form_parts=1)


def test_many_parts_rejected_quickly() -> None:
    body = part("a", b"") * 5000 + END
    with pytest.raises(RequestEntityTooLarge, match="MAX_FORM_PARTS"):
        parse(body, max_form_parts=1000)


def test_max_content_length() -> None:
    body = part("a", b"x" * 100) + END
    with pytest.raises(RequestEntityTooLarge):
        parse(body, max_content_length=50)
    mimetype, options = parse_options_header(CT)
    with pytest.raises(RequestEntityTooLarge):
        # Length unknown: counted while reading.
        parse_form_data(
            io.BytesIO(body), mimetype, options, None, max_content_length=50
        )


def test_stream_factory_is_used() -> None:
    calls: list[tuple[t.Any, ...]] = []

    def factory(
        total: int | None,
        content_type: str | None,
        filename: str | None,
        length: int | None,
    ) -> t.IO[bytes]:
        calls.append((total, content_type, filename, length))
        return io.BytesIO()

    body = (
        part("f", b"abc", '; filename="n.bin"\r\nContent-Type: application/x-thing')
        + END
    )
    _form, files = parse(body, stream_factory=factory)
    assert calls == [(len(body), "application/x-thing", "n.bin", None)]
    assert files["f"].read() == b"abc"


def test_linear_time_on_near_boundaries() -> None:
    # Data full of almost-boundaries must not make the search quadratic.
    noise = (b"\r\n--" + BOUNDARY[:-1].encode() + b"!") * 20000
    body = part("f", noise, '; filename="n"') + END
    start = time.perf_counter()
    _form, files = parse(body)
    assert time.perf_counter() - start < 2
    assert files["f"].read() == noise


def test_urlencoded_body() -> None:
    body = b"a=1&a=2&b=x+y&c=%C3%A9"
    form, files = parse(body, "application/x-www-form-urlencoded")
    assert form.getlist("a") == ["1", "2"]
    assert form["b"] == "x y" and form["c"] == "é"
    assert not files


def test_urlencoded_limits() -> None:
    ct = "application/x-www-form-urlencoded"
    body = b"a=" + b"x" * 98
    assert parse(body, ct, max_form_memory_size=100)[0]["a"] == "x" * 98
    with pytest.raises(RequestEntityTooLarge, match="MAX_FORM_MEMORY_SIZE"):
        parse(body + b"x", ct, max_form_memory_size=100)
    with pytest.raises(RequestEntityTooLarge, match="MAX_FORM_MEMORY_SIZE"):
        mimetype, options = parse_options_header(ct)
        parse_form_data(
            io.BytesIO(body + b"x"), mimetype, options, None, max_form_memory_size=100
        )
    many = b"&".join(b"f=1" for _ in range(1001))
    assert (
        len(
            parse(many, ct, max_form_memory_size=None, max_form_parts=1001)[0].getlist(
                "f"
            )
        )
        == 1001
    )
    with pytest.raises(RequestEntityTooLarge, match="MAX_FORM_PARTS"):
        parse(many, ct, max_form_memory_size=None)


def test_urlencoded_invalid_utf8_names_the_form() -> None:
    with pytest.raises(BadRequest, match="form is not valid UTF-8"):
        parse(b"a=%ff", "application/x-www-form-urlencoded")


def test_unknown_content_type_gives_empty_results() -> None:
    for content_type in ("application/json", "text/plain", ""):
        form, files = parse(b'{"a": 1}', content_type)
        assert not form and not files


def test_results_are_immutable() -> None:
    form, _files = parse(b"a=1", "application/x-www-form-urlencoded")
    with pytest.raises(TypeError):
        form["a"] = "2"


def test_encode_multipart_matches_werkzeug_parser() -> None:
    from werkzeug.formparser import parse_form_data as wparse

    body, content_type = encode_multipart(
        [
            ("a", "1"),
            ("b", 'q"uo\\te é'),
            ("f", (b"bytes\r\n", "a b.txt", "text/plain")),
        ]
    )
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    _stream, wform, wfiles = wparse(environ)
    form, files = parse(body, content_type)
    assert list(form.items(multi=True)) == list(wform.items(multi=True))
    assert files["f"].read() == wfiles["f"].read() == b"bytes\r\n"
    assert files["f"].filename == wfiles["f"].filename == "a b.txt"
    wfiles["f"].close()


def test_encode_multipart_validation() -> None:
    with pytest.raises(ValueError):
        encode_multipart([("a\r\nX: y", "1")])
    with pytest.raises(ValueError):
        encode_multipart([("a", "has --bound inside")], boundary="bound")
    body, content_type = encode_multipart([("a", (io.BytesIO(b"x"), "f", None))], "b1")
    assert content_type == "multipart/form-data; boundary=b1"
    assert b"Content-Type: application/octet-stream" in body


def test_is_valid_boundary() -> None:
    assert is_valid_boundary("----WebKitFormBoundary7MA4YWxkTrZu0gW")
    assert is_valid_boundary("a b")
    assert not is_valid_boundary("a ")
    assert not is_valid_boundary("")


def test_iter_multipart_events() -> None:
    body = part("a", b"12") + END
    events = list(iter_multipart(io.BytesIO(body), BOUNDARY.encode()))
    assert events[0].name == "a"  # type: ignore[union-attr]
    assert b"".join(e for e in events if isinstance(e, bytes)) == b"12"
    assert events[-1] is None


names = st.text(
    alphabet=st.characters(blacklist_characters="\r\n\0", blacklist_categories=["Cs"]),
    min_size=1,
    max_size=10,
)
values = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)
files_ = st.tuples(
    st.binary(max_size=200), names, st.sampled_from(["text/plain", None])
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(names, st.one_of(values, files_)), max_size=6),
    st.integers(1, 50),
)
def test_encode_parse_round_trip(fields: list[tuple[str, t.Any]], chunk: int) -> None:
    body, content_type = encode_multipart(fields)

    class Chunked(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(chunk)

    form, files = parse(body, content_type, stream=Chunked(body))
    expected_fields = [(n, v) for n, v in fields if isinstance(v, str)]
    expected_files = [(n, v[0], v[1]) for n, v in fields if isinstance(v, tuple)]
    # A MultiDict groups values by key, keeping their order within a key.
    assert form.to_dict(flat=False) == MultiDict(expected_fields).to_dict(flat=False)
    got = [(n, f.read(), f.filename) for n, f in files.items(multi=True)]
    grouped = MultiDict([(n, (data, name)) for n, data, name in expected_files])
    assert got == [(n, data, name) for n, (data, name) in grouped.items(multi=True)]


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bodies_only_raise_bad_request(tail: bytes) -> None:
    body = f"--{BOUNDARY}\r\n".encode() + tail
    try:
        parse(body)
    except BadRequest:
        pass
