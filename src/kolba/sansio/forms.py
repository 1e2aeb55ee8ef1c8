"""Turn a request body into ``(form, files)`` for ``request.form``/``files``.

Two body types are forms: ``application/x-www-form-urlencoded`` and
``multipart/form-data``. Anything else gives two empty dicts; the body stays
unread for ``request.get_data()`` or ``get_json()``.

Every limit raises ``RequestEntityTooLarge`` (413) and names the setting to
change; malformed bodies raise ``BadRequest`` (400).
"""

from __future__ import annotations

import typing as t

from ..exceptions import BadRequest, RequestEntityTooLarge
from .datastructures import FileStorage, ImmutableMultiDict, MultiDict
from .http import parse_options_header
from .multipart import (
    MultipartPart,
    StreamFactory,
    default_stream_factory,
    is_valid_boundary,
    iter_multipart,
)
from .urls import parse_qsl

__all__ = ["parse_form_data"]

_CHUNK = 64 * 1024


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


def _read_limited(stream: t.Any, limit: int | None) -> bytes:
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if limit is not None and size > limit:
            raise _memory_limit_error(limit)
        parts.append(chunk)


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
) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
    """Parse a form body into ``(form, files)``.

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
    mimetype = mimetype.lower()
    if (
        max_content_length is not None
        and content_length is not None
        and content_length > max_content_length
    ):
        raise RequestEntityTooLarge(
            f"The request body is {content_length} bytes, more than the limit of"
            f" {max_content_length} bytes (MAX_CONTENT_LENGTH)."
        )
    if mimetype == "application/x-www-form-urlencoded":
        return _parse_urlencoded(
            stream, content_length, max_form_memory_size, max_form_parts
        )
    if mimetype == "multipart/form-data":
        return _parse_multipart(
            stream,
            options,
            content_length,
            max_form_memory_size=max_form_memory_size,
            max_form_parts=max_form_parts,
            max_content_length=max_content_length,
            stream_factory=stream_factory or default_stream_factory,
        )
    return ImmutableMultiDict(), ImmutableMultiDict()


def _parse_urlencoded(
    stream: t.Any,
    content_length: int | None,
    max_form_memory_size: int | None,
    max_form_parts: int | None,
) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
    if (
        max_form_memory_size is not None
        and content_length is not None
        and content_length > max_form_memory_size
    ):
        raise _memory_limit_error(max_form_memory_size)
    body = _read_limited(stream, max_form_memory_size)
    try:
        pairs = parse_qsl(body, max_fields=max_form_parts, part="form")
    except RequestEntityTooLarge:
        # cast: parse_qsl raises this only when max_fields is set.
        raise _parts_limit_error(t.cast(int, max_form_parts)) from None
    return ImmutableMultiDict(pairs), ImmutableMultiDict()


def _charset_of(headers_content_type: str | None) -> str:
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


def _parse_multipart(
    stream: t.Any,
    options: t.Mapping[str, str],
    content_length: int | None,
    *,
    max_form_memory_size: int | None,
    max_form_parts: int | None,
    max_content_length: int | None,
    stream_factory: StreamFactory,
) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
    boundary = options.get("boundary", "")
    if not is_valid_boundary(boundary):
        raise BadRequest(
            "The multipart/form-data request has no valid boundary: the"
            " Content-Type header needs a 'boundary' option of 1 to 70 allowed"
            f" characters, got {boundary!r}."
        )
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, FileStorage]] = []
    memory_used = 0
    part_count = 0
    part: MultipartPart | None = None
    field_data = bytearray()
    file_stream: t.IO[bytes] | None = None
    try:
        for event in iter_multipart(
            stream, boundary.encode("ascii"), max_content_length=max_content_length
        ):
            if isinstance(event, MultipartPart):
                part = event
                part_count += 1
                if max_form_parts is not None and part_count > max_form_parts:
                    raise _parts_limit_error(max_form_parts)
                if part.filename is not None:
                    file_stream = stream_factory(
                        content_length,
                        part.headers.get("Content-Type"),
                        part.filename,
                        part.headers.get("Content-Length", type=int),
                    )
                else:
                    file_stream = None
                    field_data = bytearray()
            elif isinstance(event, bytes):
                if file_stream is not None:
                    file_stream.write(event)
                else:
                    memory_used += len(event)
                    if (
                        max_form_memory_size is not None
                        and memory_used > max_form_memory_size
                    ):
                        raise _memory_limit_error(max_form_memory_size)
                    field_data += event
            elif part is not None:
                name = part.name
                if file_stream is not None:
                    file_stream.seek(0)
                    if name is None:
                        file_stream.close()
                    else:
                        files.append(
                            (
                                name,
                                FileStorage(
                                    file_stream,
                                    part.filename,
                                    name,
                                    headers=part.headers,
                                ),
                            )
                        )
                    file_stream = None
                elif name is not None:
                    charset = _charset_of(part.headers.get("Content-Type"))
                    fields.append(
                        (name, _decode_field(bytes(field_data), name, charset))
                    )
                part = None
    except BaseException:
        if file_stream is not None:
            file_stream.close()
        for _name, upload in files:
            upload.close()
        raise
    return ImmutableMultiDict(fields), ImmutableMultiDict(files)
