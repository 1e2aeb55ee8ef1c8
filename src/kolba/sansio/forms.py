"""Turn a request body into ``(form, files)`` for ``request.form``/``files``.

Two body types are forms: ``application/x-www-form-urlencoded`` and
``multipart/form-data``. Anything else gives two empty dicts; the body stays
unread for ``request.get_data()`` or ``get_json()``.

The decoders here are push-style (sans-IO): :func:`form_decoder` builds one,
the caller feeds it the body as it arrives (``wsgi.input`` reads or ASGI
``receive()`` messages) and calls ``close()`` for the result.
:func:`parse_form_data` is the blocking pull wrapper over them.

Every limit raises ``RequestEntityTooLarge`` (413) and names the setting to
change; malformed bodies raise ``BadRequest`` (400).
"""

from __future__ import annotations

import typing as t

from ..exceptions import BadRequest, RequestEntityTooLarge
from .datastructures import FileStorage, ImmutableMultiDict, MultiDict
from .http import parse_options_header
from .multipart import (
    MultipartDecoder,
    MultipartEvent,
    PartData,
    PartStart,
    StreamFactory,
    default_stream_factory,
)
from .streams import BodyLimiter, check_content_length
from .urls import parse_qsl

__all__ = [
    "FormDecoder",
    "MultipartFormDecoder",
    "UrlencodedDecoder",
    "form_decoder",
    "parse_form_data",
]

_CHUNK = 64 * 1024
_URLENCODED = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"

#: What a form decoder returns: ``(form, files)``.
FormResult = tuple[MultiDict[str, str], MultiDict[str, FileStorage]]


def _memory_limit_error(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"The form data is larger than the limit of {limit} bytes"
        " (MAX_FORM_MEMORY_SIZE). Send large content as a file upload, or raise"
        " the limit."
    )


def _parts_limit_error(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"The form has more than {limit} fields or parts (MAX_FORM_PARTS)."
    )


class FormDecoder:
    """Base of the push form decoders: ``feed()`` chunks, then ``close()``.

    Every chunk is counted against ``MAX_CONTENT_LENGTH`` by :attr:`limiter`.
    After an exception the decoder has released what it held (see
    :meth:`abort`) and must be dropped.

    :param max_content_length: the most bytes the body may have.
    """

    __slots__ = ("done", "limiter")

    def __init__(self, max_content_length: int | None) -> None:
        #: Counts the body against ``MAX_CONTENT_LENGTH``.
        self.limiter = BodyLimiter(max_content_length)
        #: Whether the rest of the body is not needed (a multipart epilogue).
        self.done = False

    def feed(self, data: bytes) -> None:
        """Add the next chunk of the body.

        :raises RequestEntityTooLarge: when a limit is crossed.
        :raises BadRequest: when the body is malformed.
        """
        raise NotImplementedError

    def close(self) -> FormResult:
        """Declare the end of the body and return ``(form, files)``.

        :raises BadRequest: when the body is malformed or cut short.
        """
        raise NotImplementedError

    def abort(self) -> None:
        """Release anything held (open upload files); for abandoned bodies."""


class UrlencodedDecoder(FormDecoder):
    """Push decoder for ``application/x-www-form-urlencoded`` bodies.

    The whole body is kept in memory, so it is bounded by
    ``max_form_memory_size``; fields are counted against ``max_form_parts``.

    :param content_length: the declared length, if any; checked at once.
    :raises RequestEntityTooLarge: when the body is, or grows, over a limit.
    """

    __slots__ = ("_chunks", "_size", "max_form_memory_size", "max_form_parts")

    def __init__(
        self,
        content_length: int | None = None,
        *,
        max_form_memory_size: int | None = 500_000,
        max_form_parts: int | None = 1000,
        max_content_length: int | None = None,
    ) -> None:
        # PERF: the base __init__, inlined (urlencoded bodies are small).
        self.limiter = BodyLimiter(max_content_length)
        self.done = False
        self.max_form_memory_size = max_form_memory_size
        self.max_form_parts = max_form_parts
        if (
            max_form_memory_size is not None
            and content_length is not None
            and content_length > max_form_memory_size
        ):
            raise _memory_limit_error(max_form_memory_size)
        self._chunks: list[bytes] = []
        self._size = 0

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self.limiter.count(len(data))
        self._size += len(data)
        limit = self.max_form_memory_size
        if limit is not None and self._size > limit:
            raise _memory_limit_error(limit)
        self._chunks.append(data if type(data) is bytes else bytes(data))

    def close(self) -> FormResult:
        chunks = self._chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._chunks = []
        try:
            pairs = parse_qsl(body, max_fields=self.max_form_parts, part="form")
        except RequestEntityTooLarge:
            # cast: parse_qsl raises this only when max_fields is set.
            raise _parts_limit_error(t.cast(int, self.max_form_parts)) from None
        return ImmutableMultiDict(pairs), ImmutableMultiDict()

    def abort(self) -> None:
        self._chunks = []


def _charset_of(headers_content_type: str | None) -> str:
    # SPEC: RFC 7578 §4.4 — a text part may name its charset in Content-Type.
    charset = parse_options_header(headers_content_type)[1].get("charset", "utf-8")
    return charset or "utf-8"


def _decode_field(raw: bytes, name: str, charset: str) -> str:
    try:
        return raw.decode(charset)
    except (LookupError, UnicodeDecodeError):
        pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"The form field {name!r} is not valid UTF-8: byte 0x{raw[exc.start]:02x}"
            f" at position {exc.start} cannot be decoded."
        ) from None


class MultipartFormDecoder(FormDecoder):
    """Push decoder turning a ``multipart/form-data`` body into ``(form, files)``.

    Text fields are kept in memory, all together bounded by
    ``max_form_memory_size``; file parts (those with a ``filename``) are
    written as they arrive to a file from ``stream_factory`` (by default in
    memory up to 500 KiB, then a temporary file). Fields plus files are
    bounded by ``max_form_parts``.

    :param boundary: the Content-Type's ``boundary`` option.
    :param content_length: the declared body length, passed to the factory.
    :raises BadRequest: for an invalid boundary.
    """

    __slots__ = (
        "_content_length",
        "_decoder",
        "_field_data",
        "_fields",
        "_file",
        "_files",
        "_memory_used",
        "_part",
        "_part_count",
        "max_form_memory_size",
        "max_form_parts",
        "stream_factory",
    )

    def __init__(
        self,
        boundary: str,
        content_length: int | None = None,
        *,
        max_form_memory_size: int | None = 500_000,
        max_form_parts: int | None = 1000,
        max_content_length: int | None = None,
        stream_factory: StreamFactory | None = None,
    ) -> None:
        super().__init__(max_content_length)
        self._decoder = MultipartDecoder(boundary)
        self._content_length = content_length
        self.max_form_memory_size = max_form_memory_size
        self.max_form_parts = max_form_parts
        self.stream_factory = stream_factory or default_stream_factory
        self._fields: list[tuple[str, str]] = []
        self._files: list[tuple[str, FileStorage]] = []
        self._memory_used = 0
        self._part_count = 0
        self._part: PartStart | None = None
        self._field_data: list[bytes] = []
        self._file: t.IO[bytes] | None = None

    def feed(self, data: bytes) -> None:
        if not data:
            return
        try:
            self.limiter.count(len(data))
            self._handle(self._decoder.feed(data))
            self.done = self._decoder.done
        except BaseException:
            self.abort()
            raise

    def close(self) -> FormResult:
        try:
            self._decoder.close()
        except BaseException:
            self.abort()
            raise
        return ImmutableMultiDict(self._fields), ImmutableMultiDict(self._files)

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        for _name, upload in self._files:
            upload.close()
        self._files = []

    def _handle(self, events: list[MultipartEvent]) -> None:
        for event in events:
            kind = type(event)
            if kind is PartData:
                data = t.cast(PartData, event).data
                if self._file is not None:
                    self._file.write(data)
                else:
                    self._memory_used += len(data)
                    limit = self.max_form_memory_size
                    if limit is not None and self._memory_used > limit:
                        raise _memory_limit_error(limit)
                    self._field_data.append(data)
            elif kind is PartStart:
                self._start(t.cast(PartStart, event))
            elif self._part is not None:  # PartEnd (BodyEnd has no part open)
                self._end(self._part)

    def _start(self, part: PartStart) -> None:
        self._part = part
        self._part_count += 1
        limit = self.max_form_parts
        if limit is not None and self._part_count > limit:
            raise _parts_limit_error(limit)
        # SPEC: RFC 7578 §4.2 — a part with a filename is a file upload.
        if part.filename is not None:
            self._file = self.stream_factory(
                self._content_length,
                part.headers.get("Content-Type"),
                part.filename,
                part.headers.get("Content-Length", type=int),
            )
        else:
            self._field_data = []

    def _end(self, part: PartStart) -> None:
        name = part.name
        upload = self._file
        if upload is not None:
            self._file = None
            upload.seek(0)
            if name is None:
                upload.close()
            else:
                self._files.append(
                    (
                        name,
                        FileStorage(upload, part.filename, name, headers=part.headers),
                    )
                )
        elif name is not None:
            chunks = self._field_data
            raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            charset = _charset_of(part.headers.get("Content-Type"))
            self._fields.append((name, _decode_field(raw, name, charset)))
        self._field_data = []
        self._part = None


def form_decoder(
    mimetype: str,
    options: t.Mapping[str, str],
    content_length: int | None,
    *,
    max_form_memory_size: int | None = 500_000,
    max_form_parts: int | None = 1000,
    max_content_length: int | None = None,
    stream_factory: StreamFactory | None = None,
) -> FormDecoder | None:
    """Make the push decoder for a form body, or ``None`` if it is no form.

    Limits that can be judged before reading are checked here: a declared
    length over ``max_content_length`` (any media type), a urlencoded length
    over ``max_form_memory_size``, a missing or invalid multipart boundary.

    :param mimetype: the body's media type, without options.
    :param options: the ``Content-Type`` options (``boundary``, ``charset``).
    :param content_length: the body's declared length, if known.
    :param max_form_memory_size: the most bytes of non-file fields kept in
        memory (for urlencoded bodies, the whole body).
    :param max_form_parts: the most fields plus files.
    :param max_content_length: the most bytes the body may have.
    :param stream_factory: creates the file object for each upload:
        ``(total_content_length, content_type, filename, content_length)``.
    :returns: a :class:`FormDecoder`; ``None`` when the media type is not a
        form (the body is then for ``get_data()``/``get_json()``).
    :raises RequestEntityTooLarge: when a limit is already crossed.
    :raises BadRequest: for a multipart body without a valid boundary.
    """
    check_content_length(content_length, max_content_length)
    mimetype = mimetype.lower()
    if mimetype == _URLENCODED:
        return UrlencodedDecoder(
            content_length,
            max_form_memory_size=max_form_memory_size,
            max_form_parts=max_form_parts,
            max_content_length=max_content_length,
        )
    if mimetype == _MULTIPART:
        return MultipartFormDecoder(
            options.get("boundary", ""),
            content_length,
            max_form_memory_size=max_form_memory_size,
            max_form_parts=max_form_parts,
            max_content_length=max_content_length,
            stream_factory=stream_factory,
        )
    return None


def parse_form_data(
    stream: t.Any,
    mimetype: str,
    options: t.Mapping[str, str],
    content_length: int | None,
    *,
    max_form_memory_size: int | None = 500_000,
    max_form_parts: int | None = 1000,
    max_content_length: int | None = None,
    stream_factory: StreamFactory | None = None,
) -> FormResult:
    """Parse a form body into ``(form, files)``, reading it from ``stream``.

    A blocking wrapper over :func:`form_decoder`: reads 64 KiB chunks and
    feeds them; a multipart body's epilogue is not read.

    :param stream: the body stream, already limited to the body's length.
    :param mimetype: the body's media type, without options.
    :param options: the ``Content-Type`` options (``boundary``, ``charset``).
    :param content_length: the body's length, if known.
    :param max_form_memory_size: the most bytes of non-file fields kept in
        memory (for urlencoded bodies, the whole body).
    :param max_form_parts: the most fields plus files.
    :param max_content_length: the most bytes the body may have.
    :param stream_factory: creates the file object for each upload:
        ``(total_content_length, content_type, filename, content_length)``.
    :raises RequestEntityTooLarge: when a limit is crossed.
    :raises BadRequest: when the body is malformed.
    """
    decoder = form_decoder(
        mimetype,
        options,
        content_length,
        max_form_memory_size=max_form_memory_size,
        max_form_parts=max_form_parts,
        max_content_length=max_content_length,
        stream_factory=stream_factory,
    )
    if decoder is None:
        return ImmutableMultiDict(), ImmutableMultiDict()
    read = stream.read
    try:
        while not decoder.done:
            chunk = read(_CHUNK)
            if not chunk:
                break
            decoder.feed(chunk)
    except BaseException:
        decoder.abort()
        raise
    return decoder.close()
