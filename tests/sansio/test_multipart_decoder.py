"""The push multipart decoder: events, chunking independence, limits, linear work."""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kolba.exceptions import BadRequest, HTTPException
from kolba.sansio.multipart import (
    BodyEnd,
    MultipartDecoder,
    PartData,
    PartEnd,
    PartStart,
    encode_multipart,
)

BOUNDARY = "XyZ123"
MARKER = b"\r\n--" + BOUNDARY.encode()
END = f"--{BOUNDARY}--\r\n".encode()


def part(name: str, value: bytes, extra: str = "") -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"{extra}\r\n'
    return f"--{BOUNDARY}\r\n{disposition}\r\n".encode() + value + b"\r\n"


Normal = list[tuple[t.Any, ...]]


def run(
    body: bytes,
    cuts: t.Iterable[int] = (),
    boundary: str = BOUNDARY,
    **options: t.Any,
) -> Normal:
    """Feed ``body`` split at ``cuts``; return the events, data pieces merged,
    or a final ``("error", type, description)`` entry."""
    decoder = MultipartDecoder(boundary, **options)
    points = sorted({c for c in cuts if 0 < c < len(body)})
    pieces = [
        body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)
    ]
    events: list[t.Any] = []
    try:
        for piece in pieces:
            events.extend(decoder.feed(piece))
        decoder.close()
    except HTTPException as exc:
        return [*normalize(events), ("error", type(exc), exc.description)]
    return normalize(events)


def normalize(events: list[t.Any]) -> Normal:
    out: Normal = []
    for event in events:
        if isinstance(event, PartData):
            assert event.data, "no empty data events"
            if out and out[-1][0] == "data":
                out[-1] = ("data", out[-1][1] + event.data)
            else:
                out.append(("data", event.data))
        elif isinstance(event, PartStart):
            items = list(event.headers.items())
            out.append(("start", event.name, event.filename, items))
        elif isinstance(event, PartEnd):
            out.append(("end",))
        else:
            assert isinstance(event, BodyEnd)
            out.append(("body-end",))
    return out


def bytewise(body: bytes) -> range:
    return range(1, len(body))


SAMPLE = (
    b"preamble\r\n--XyZ12 almost\r\n"
    + part("a", b"1")
    + part("empty", b"")
    + part("up", b"x\r\n--XyZ123!\r\n--XyZ12\r\n-", '; filename="f.txt"')
    + END
    + b"epilogue --XyZ123 junk"
)


def test_events_for_a_whole_body() -> None:
    assert run(SAMPLE) == [
        ("start", "a", None, [("Content-Disposition", 'form-data; name="a"')]),
        ("data", b"1"),
        ("end",),
        ("start", "empty", None, [("Content-Disposition", 'form-data; name="empty"')]),
        ("end",),
        (
            "start",
            "up",
            "f.txt",
            [("Content-Disposition", 'form-data; name="up"; filename="f.txt"')],
        ),
        ("data", b"x\r\n--XyZ123!\r\n--XyZ12\r\n-"),
        ("end",),
        ("body-end",),
    ]


def test_one_byte_per_feed_gives_the_same_events() -> None:
    assert run(SAMPLE, bytewise(SAMPLE)) == run(SAMPLE)


def test_every_single_split_gives_the_same_events() -> None:
    whole = run(SAMPLE)
    for cut in range(1, len(SAMPLE)):
        assert run(SAMPLE, [cut]) == whole, cut


@settings(max_examples=150)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abcé-_ ", min_size=1, max_size=8),
            st.one_of(
                st.text(max_size=40),
                st.tuples(st.binary(max_size=300), st.just("f.bin"), st.just(None)),
            ),
        ),
        max_size=5,
    ),
    st.lists(st.integers(0, 2000), max_size=30),
)
def test_any_split_of_an_encoded_form_gives_the_same_events(
    fields: list[tuple[str, t.Any]], cuts: list[int]
) -> None:
    body, content_type = encode_multipart(fields)
    boundary = content_type.partition("boundary=")[2]
    whole = run(body, boundary=boundary)
    assert run(body, cuts, boundary=boundary) == whole
    contents: list[bytes] = []
    for event in whole:
        if event[0] == "start":
            contents.append(b"")
        elif event[0] == "data":
            contents[-1] += event[1]
    expected = [v.encode() if isinstance(v, str) else v[0] for _name, v in fields]
    assert contents == expected


fragments = st.sampled_from(
    [
        b"\r\n",
        b"--",
        MARKER,
        MARKER + b"--",
        MARKER + b"  \r\n",
        b"-",
        b"\r",
        b"X: y\r\n",
        b"\r\n\r\n",
        b"Content-Disposition: form-data; name=a\r\n",
        b"a",
    ]
)


@settings(max_examples=300)
@given(st.lists(fragments, max_size=25), st.lists(st.integers(0, 400), max_size=20))
def test_any_split_of_any_body_gives_the_same_outcome(
    pieces: list[bytes], cuts: list[int]
) -> None:
    # Bodies made of delimiter-like fragments, valid or not: the events and
    # the error (type and message) never depend on the chunking.
    body = f"--{BOUNDARY}\r\n".encode() + b"".join(pieces)
    whole = outcome(run(body))
    assert outcome(run(body, cuts)) == whole
    assert outcome(run(body, bytewise(body))) == whole


def outcome(events: Normal) -> Normal:
    """The events, or only the error: the events of a feed that raises are
    lost, so how many came before an error depends on the chunking."""
    return events[-1:] if events and events[-1][0] == "error" else events


def test_transport_padding_split_over_feeds() -> None:
    body = (
        f"--{BOUNDARY} \t \r\n".encode()
        + b'Content-Disposition: form-data; name="a"\r\n\r\n1'
        + MARKER
        + b"   \r\n"
        + b'Content-Disposition: form-data; name="b"\r\n\r\n2\r\n'
        + END
    )
    events = run(body)
    assert [e[1] for e in events if e[0] == "data"] == [b"1", b"2"]
    assert run(body, bytewise(body)) == events


def test_too_much_padding_is_not_a_delimiter() -> None:
    head = f"--{BOUNDARY}\r\n\r\n".encode()  # a part without headers
    for pad, parts in ((20, [b"1", b"2"]), (21, None)):
        body = head + b"1" + MARKER + b" " * pad + b"\r\n\r\n2\r\n" + END
        # Past the limit the "delimiter" is content: one part holds it all.
        expected = parts or [b"1" + MARKER + b" " * pad + b"\r\n\r\n2"]
        for cuts in ((), bytewise(body)):
            events = run(body, cuts, max_header_line=20)
            assert [e[1] for e in events if e[0] == "data"] == expected


def test_close_delimiter_split_between_its_dashes() -> None:
    body = part("a", b"1") + END
    cut = body.rindex(b"--\r\n") + 1
    assert run(body, [cut]) == run(body)
    assert run(body, [cut])[-1] == ("body-end",)


def test_boundary_text_inside_content_is_content() -> None:
    data = MARKER + b"x" + MARKER + b"-x" + MARKER[:-1]
    body = part("f", data, '; filename="f"') + END
    assert ("data", data) in run(body)
    assert ("data", data) in run(body, bytewise(body))


def test_epilogue_is_ignored_and_done_is_reported() -> None:
    decoder = MultipartDecoder(BOUNDARY)
    assert not decoder.done
    events = decoder.feed(part("a", b"1") + END + b"--XyZ123\r\n garbage")
    assert isinstance(events[-1], BodyEnd)
    assert decoder.done
    assert decoder.feed(b"more epilogue") == []
    decoder.close()


def test_empty_form() -> None:
    assert run(END) == [("body-end",)]
    assert run(b"--" + BOUNDARY.encode() + b"--") == [("body-end",)]


# -- errors ---------------------------------------------------------------------


@pytest.mark.parametrize("boundary", ["", "x" * 71, "bad\x00", "trailing ", "é"])
def test_invalid_boundary_is_bad_request(boundary: str) -> None:
    with pytest.raises(BadRequest, match="no valid boundary"):
        MultipartDecoder(boundary)


def test_bytes_boundary_is_accepted() -> None:
    assert MultipartDecoder(BOUNDARY.encode()).boundary == BOUNDARY.encode()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "does not contain its boundary 'XyZ123'"),
        (b"--XyZ12\r\n", "does not contain its boundary"),
        (b"x--XyZ123\r\n", "does not contain its boundary"),
        (b"--XyZ123-", "does not contain its boundary"),
        (part("a", b"1"), "ended before its closing boundary"),
        (part("a", b"1")[:-3], "ended before its closing boundary"),
        (b"--XyZ123\r\nX: y", "ended before its closing boundary"),
        (b"--XyZ123\r\nNoColon\r\n\r\n" + END, "malformed header line 'NoColon'"),
    ],
)
def test_malformed_bodies(body: bytes, message: str) -> None:
    for cuts in ((), bytewise(body)):
        outcome = run(body, cuts)[-1]
        assert outcome[0] == "error" and issubclass(outcome[1], BadRequest)
        assert message in outcome[2]


def test_header_line_length_limit_is_exact() -> None:
    for size in (19, 20):
        line = b"X: " + b"a" * (size - 3)
        body = f"--{BOUNDARY}\r\n".encode() + line + b"\r\n\r\n\r\n" + END
        assert run(body, max_header_line=20)[-1] == ("body-end",)
        assert run(body, bytewise(body), max_header_line=20)[-1] == ("body-end",)
    body = f"--{BOUNDARY}\r\n".encode() + b"X: " + b"a" * 18 + b"\r\n\r\n\r\n" + END
    for cuts in ((), bytewise(body), [len(body) - len(END) - 6]):
        error = run(body, cuts, max_header_line=20)[-1]
        assert error[0] == "error"
        assert error[2] == (
            "A multipart/form-data part header line is longer than 20 bytes."
        )


def test_header_line_without_end_is_refused_early() -> None:
    decoder = MultipartDecoder(BOUNDARY, max_header_line=20)
    decoder.feed(f"--{BOUNDARY}\r\nX: ".encode())
    with pytest.raises(BadRequest, match="longer than 20 bytes"):
        for _ in range(30):
            decoder.feed(b"a")


def test_header_count_limit() -> None:
    head = f"--{BOUNDARY}\r\n".encode()
    ok = head + b"X: a\r\n" * 3 + b"\r\n\r\n" + END
    assert run(ok, max_part_headers=3)[-1] == ("body-end",)
    over = head + b"X: a\r\n" * 4 + b"\r\n\r\n" + END
    error = run(over, bytewise(over), max_part_headers=3)[-1]
    assert error[2] == "A multipart/form-data part has more than 3 headers."


# -- bounded memory and linear work -------------------------------------------


def test_data_is_handed_out_as_it_arrives() -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB
    body = part("f", payload, '; filename="f"') + END
    decoder = MultipartDecoder(BOUNDARY)
    chunk = 64 * 1024
    got: list[bytes] = []
    for start in range(0, len(body), chunk):
        events = decoder.feed(body[start : start + chunk])
        sizes = [len(e.data) for e in events if isinstance(e, PartData)]
        # Never more than this feed plus a held-back partial delimiter.
        assert all(size <= chunk + len(MARKER) for size in sizes)
        got.extend(e.data for e in events if isinstance(e, PartData))
        assert len(decoder._buf) < len(MARKER)  # only a partial delimiter waits
    decoder.close()
    assert b"".join(got) == payload
    assert len(got) >= len(body) // chunk


def near_boundary_noise(size: int) -> bytes:
    pieces = [
        b"\r\n--",
        MARKER[:-1],
        MARKER + b"!",
        MARKER + b" " * 5 + b"x",
        b"\r\n-",
        b"\r",
    ]
    out = bytearray()
    index = 0
    while len(out) < size:
        out += pieces[index % len(pieces)]
        index += 1
    return bytes(out[:size])


@pytest.mark.parametrize("chunk", [1 << 30, 64 * 1024, 1000, 7])
def test_hostile_data_is_scanned_a_bounded_number_of_times(chunk: int) -> None:
    noise = near_boundary_noise(1_000_000 if chunk > 100 else 100_000)
    body = part("f", noise, '; filename="f"') + END
    decoder = MultipartDecoder(BOUNDARY)
    data = bytearray()
    feeds = 0
    for start in range(0, len(body), chunk):
        for event in decoder.feed(body[start : start + chunk]):
            if isinstance(event, PartData):
                data += event.data
        feeds += 1
        assert len(decoder._buf) <= chunk + 64  # nothing piles up
    decoder.close()
    assert bytes(data) == noise
    # Each byte is examined a bounded number of times: a fresh search per
    # false delimiter over the whole buffer would be quadratic here.
    assert decoder.scanned <= 2 * len(body) + feeds * len(MARKER)


def test_one_byte_feeds_of_hostile_data_are_linear() -> None:
    noise = (b"\r\n--" * 2000) + (MARKER + b" " * 500 + b"z") * 20
    body = part("f", noise, '; filename="f"') + END
    decoder = MultipartDecoder(BOUNDARY)
    size = 0
    for byte in range(len(body)):
        for event in decoder.feed(body[byte : byte + 1]):
            if isinstance(event, PartData):
                size += len(event.data)
    decoder.close()
    assert size == len(noise)
    assert decoder.scanned <= (len(MARKER) + 2) * len(body)


def test_long_header_lines_fed_bytewise_are_linear() -> None:
    lines = b"".join(b"X: " + b"a" * 8000 + b"\r\n" for _ in range(8))
    body = f"--{BOUNDARY}\r\n".encode() + lines + b"\r\n1\r\n" + END
    decoder = MultipartDecoder(BOUNDARY)
    for byte in range(len(body)):
        decoder.feed(body[byte : byte + 1])
    decoder.close()
    assert decoder.done
    assert decoder.scanned <= (len(MARKER) + 2) * len(body)
