"""FileStorage: an uploaded file from a multipart form."""

from __future__ import annotations

import os
import shutil
import typing as t
from collections.abc import Iterator

from .headers import Headers

__all__ = [
    "FileStorage",
]


class FileStorage:
    """An uploaded file: a stream plus the metadata from its form part.

    ``request.files["avatar"]`` is one of these. Read it like a file, or
    :meth:`save` it. Never trust :attr:`filename` as a path; pass it through
    :func:`kolba.utils.secure_filename` first.

    :param stream: the file's content, a binary file-like object.
    :param filename: the client's file name (unsafe).
    :param name: the form field name.
    :param content_type: the part's ``Content-Type``.
    :param content_length: the part's length, if known.
    :param headers: the part's headers.
    """

    def __init__(
        self,
        stream: t.IO[bytes] | None = None,
        filename: str | os.PathLike[str] | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        import io

        self.name = name
        self.stream: t.IO[bytes] = stream if stream is not None else io.BytesIO()
        if filename is None:
            raw_name = getattr(stream, "name", None)
            if isinstance(raw_name, bytes):
                raw_name = raw_name.decode("utf-8", "replace")
            # Real file names look like "<stdin>" or paths; keep only the latter.
            if isinstance(raw_name, str) and not (
                raw_name.startswith("<") and raw_name.endswith(">")
            ):
                filename = raw_name
        self.filename: str | None = (
            os.fspath(filename) if filename is not None else None
        )
        self.headers = headers if headers is not None else Headers()
        if content_type is not None:
            self.headers["Content-Type"] = content_type
        if content_length is not None:
            self.headers["Content-Length"] = str(content_length)

    @property
    def content_type(self) -> str | None:
        """The part's ``Content-Type`` header, if any."""
        return self.headers.get("content-type")

    @property
    def content_length(self) -> int:
        """The part's ``Content-Length`` header, or 0."""
        try:
            return int(self.headers.get("content-length") or 0)
        except ValueError:
            return 0

    @property
    def mimetype(self) -> str:
        """The content type without options, lower-cased (``text/plain``)."""
        from ..http import parse_options_header

        return parse_options_header(self.content_type)[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's options (``{"charset": "utf-8"}``)."""
        from ..http import parse_options_header

        return parse_options_header(self.content_type)[1]

    def save(
        self, dst: str | os.PathLike[str] | t.IO[bytes], buffer_size: int = 16384
    ) -> None:
        """Copy the content to a path or an open binary file.

        A file object is not closed; a file opened from a path is.

        :param dst: the destination path or file object.
        :param buffer_size: bytes copied per read.
        """
        if isinstance(dst, str | os.PathLike):
            with open(dst, "wb") as target:
                shutil.copyfileobj(self.stream, target, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def read(self, size: int = -1) -> bytes:
        """Read from the stream."""
        return self.stream.read(size)

    def readline(self, size: int = -1) -> bytes:
        """Read a line from the stream."""
        return self.stream.readline(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the stream position."""
        return self.stream.seek(offset, whence)

    def tell(self) -> int:
        """Return the stream position."""
        return self.stream.tell()

    def close(self) -> None:
        """Close the stream (errors on an already closed one are ignored)."""
        try:
            self.stream.close()
        except Exception:
            pass

    def __getattr__(self, name: str) -> t.Any:
        # Only reached for names not defined here: proxy to the stream, so a
        # FileStorage works wherever a file object is expected.
        if name == "stream":
            raise AttributeError(name)
        return getattr(self.stream, name)

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"
