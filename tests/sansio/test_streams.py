from __future__ import annotations

import io

import pytest

from kolba.exceptions import BadRequest, RequestEntityTooLarge
from kolba.sansio.streams import (
    BodyCollector,
    BodyLimiter,
    ClientDisconnected,
    LimitedStream,
    MaxSizeStream,
    check_content_length,
    limit_body_stream,
)

OVER_10 = "The request body is larger than the limit of 10 bytes (MAX_CONTENT_LENGTH)."


class Trickle(io.RawIOBase):
    """A stream that returns at most one byte per read, like a slow socket."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._data.read(1 if size is None or size < 0 else min(size, 1))

    def readline(self, size: int | None = -1) -> bytes:
        return self._data.readline(size)


def test_limited_stream_stops_at_limit() -> None:
    stream = LimitedStream(io.BytesIO(b"hello world, and more"), 11)
    assert stream.read(5) == b"hello"
    assert stream.tell() == 5
    assert stream.read() == b" world"
    assert stream.is_exhausted
    assert stream.read() == b""
    assert stream.read(3) == b""


def test_limited_stream_lines() -> None:
    stream = LimitedStream(io.BytesIO(b"a\nbb\nccc\nextra"), 9)
    assert stream.readline() == b"a\n"
    assert stream.readline(1) == b"b"
    assert list(stream) == [b"b\n", b"ccc\n"]
    assert stream.readline() == b""
    again = LimitedStream(io.BytesIO(b"a\nb\nc"), 5)
    assert again.readlines() == [b"a\n", b"b\n", b"c"]


def test_limited_stream_readinto_and_exhaust() -> None:
    stream = LimitedStream(io.BytesIO(b"abcdef"), 4)
    buffer = bytearray(3)
    assert stream.readinto(buffer) == 3
    assert bytes(buffer) == b"abc"
    assert stream.exhaust() == b"d"


def test_limited_stream_read_all_from_trickle() -> None:
    assert LimitedStream(Trickle(b"abcdef"), 6).read() == b"abcdef"


@pytest.mark.parametrize(
    "action",
    [
        lambda s: s.read(),
        lambda s: [s.read(2) for _ in range(5)],
        lambda s: list(s),
    ],
)
def test_limited_stream_early_end_is_client_disconnected(action) -> None:  # type: ignore[no-untyped-def]
    stream = LimitedStream(io.BytesIO(b"short"), 100)
    with pytest.raises(ClientDisconnected) as info:
        action(stream)
    assert isinstance(info.value, BadRequest)
    assert "disconnected" in (info.value.description or "")


def test_limited_stream_zero_limit() -> None:
    stream = LimitedStream(io.BytesIO(b"ignored"), 0)
    assert stream.read() == b"" and stream.readline() == b""
    assert stream.is_exhausted


def test_max_size_stream() -> None:
    assert MaxSizeStream(io.BytesIO(b"x" * 10), 10).read() == b"x" * 10
    with pytest.raises(RequestEntityTooLarge, match="MAX_CONTENT_LENGTH"):
        MaxSizeStream(io.BytesIO(b"x" * 11), 10).read()
    stream = MaxSizeStream(io.BytesIO(b"x" * 11), 10)
    stream.read(10)
    with pytest.raises(RequestEntityTooLarge):
        stream.read(5)
    assert MaxSizeStream(io.BytesIO(b"a\nb"), None).readline() == b"a\n"
    with pytest.raises(RequestEntityTooLarge):
        MaxSizeStream(io.BytesIO(b"x" * 100), 10).readline()


def test_limit_body_stream() -> None:
    body = io.BytesIO(b"abcdef")
    assert limit_body_stream(body, 3).read() == b"abc"
    with pytest.raises(RequestEntityTooLarge):
        limit_body_stream(io.BytesIO(b""), 100, max_content_length=10)
    chunked = limit_body_stream(io.BytesIO(b"abc"), None, input_terminated=True)
    assert chunked.read() == b"abc"
    assert limit_body_stream(io.BytesIO(b"never read"), None).read() == b""


def test_body_limiter_counts_to_the_exact_limit() -> None:
    limiter = BodyLimiter(10)
    limiter.count(4)
    limiter.count(6)
    assert limiter.received == 10
    with pytest.raises(RequestEntityTooLarge) as info:
        limiter.count(1)
    assert info.value.description == OVER_10
    unlimited = BodyLimiter(None)
    unlimited.count(10**12)
    assert unlimited.received == 10**12


def test_declared_length_check() -> None:
    BodyLimiter(10).check_declared(10)
    BodyLimiter(10).check_declared(None)
    BodyLimiter(None).check_declared(10**12)
    with pytest.raises(RequestEntityTooLarge) as info:
        BodyLimiter(10).check_declared(11)
    assert info.value.description == (
        "The request body is 11 bytes, more than the limit of 10 bytes"
        " (MAX_CONTENT_LENGTH)."
    )
    with pytest.raises(RequestEntityTooLarge, match="11 bytes"):
        check_content_length(11, 10)


def test_body_collector() -> None:
    collector = BodyCollector(10)
    for piece in (b"abc", b"", b"defg", b"hij"):
        collector.feed(piece)
    assert collector.close() == b"abcdefghij"
    assert collector.close() == b""
    with pytest.raises(RequestEntityTooLarge) as info:
        collector.feed(b"x" * 11)
    assert info.value.description == OVER_10
    with pytest.raises(RequestEntityTooLarge, match="11 bytes, more than"):
        BodyCollector(10, content_length=11)
    single = BodyCollector(None)
    single.feed(b"whole")
    assert single.close() == b"whole"


@pytest.mark.parametrize(
    "read",
    [
        lambda s: s.read(),
        lambda s: [s.read(3) for _ in range(5)],
        lambda s: [s.readinto(bytearray(4)) for _ in range(4)],
        lambda s: s.readline(),
        lambda s: list(s),
        lambda s: io.BufferedReader(s).read(),
    ],
)
def test_max_size_stream_refuses_past_the_cap_every_way(read) -> None:  # type: ignore[no-untyped-def]
    # The stream request.py uses for chunked bodies (wsgi.input_terminated).
    with pytest.raises(RequestEntityTooLarge) as info:
        read(MaxSizeStream(io.BytesIO(b"x" * 11), 10))
    assert info.value.description == OVER_10


def test_max_size_stream_at_the_cap_reads_everything() -> None:
    stream = MaxSizeStream(Trickle(b"0123456789"), 10)
    buffer = bytearray(4)
    assert stream.readinto(buffer) == 1 and buffer[:1] == b"0"
    assert stream.read(3) == b"1"
    assert stream.read() == b"23456789"
    assert stream.tell() == 10 and stream.max_size == 10
    assert stream.read() == b"" and stream.read(5) == b""
    assert io.BufferedReader(MaxSizeStream(io.BytesIO(b"ab\ncd"), 5)).read() == (
        b"ab\ncd"
    )
