"""Sending files: ``send_file`` and ``send_from_directory``.

``send_from_directory`` is the safe one for names that come from a URL: the
name is joined to the folder with :func:`kolba.utils.safe_join`, which refuses
``..``, absolute paths, backslashes, drive letters and NUL, and the resolved
path must still lie inside the folder (no escape through a symlink).
"""

from __future__ import annotations

import io
import mimetypes
import os
import typing as t
from datetime import UTC, datetime
from zlib import adler32

from .exceptions import NotFound
from .globals import _cv_app, _cv_request
from .response import Response
from .sansio.http import content_disposition
from .utils import safe_join

__all__ = ["send_file", "send_from_directory"]


def _app_max_age(path: str | None) -> int | None:
    ctx = _cv_app.get(None)
    if ctx is None:
        return None
    return ctx.app.get_send_file_max_age(path)


def send_file(
    path_or_file: os.PathLike[str] | str | t.IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | t.Callable[[str | None], int | None] | None = None,
) -> Response:
    """Send a file's contents, with caching and range support.

    Never pass a path built from user input: use :func:`send_from_directory`.

    :param path_or_file: a path, or a binary file object opened by you.
    :param mimetype: the media type; guessed from the name when not given.
    :param as_attachment: ask the browser to download instead of display.
    :param download_name: the file name the browser shows (non-ASCII names are
        sent as RFC 5987 ``filename*``).
    :param conditional: answer 304 / 206 / 416 from the request's headers.
    :param etag: compute an ETag (or use this string).
    :param last_modified: override the Last-Modified time.
    :param max_age: seconds the client may cache (or a function of the path);
        defaults to the app's ``get_send_file_max_age``.
    """
    req_ctx = _cv_request.get(None)
    environ: dict[str, t.Any] = req_ctx.request.environ if req_ctx is not None else {}
    app_ctx = _cv_app.get(None)
    response_class = app_ctx.app.response_class if app_ctx is not None else Response

    path: str | None = None
    file: t.IO[bytes] | None = None
    size: int | None = None
    mtime: float | None = None
    if isinstance(path_or_file, (os.PathLike, str)):
        path = os.fspath(path_or_file)
        if not os.path.isabs(path) and app_ctx is not None:
            path = os.path.join(app_ctx.app.root_path, path)
        stat = os.stat(path)
        size = stat.st_size
        mtime = stat.st_mtime
    else:
        file = path_or_file
        if isinstance(file, io.TextIOBase):
            raise TypeError(
                "send_file() needs a binary file object; open the file with "
                "mode 'rb' (a text-mode file was given)."
            )

    if download_name is None and path is not None:
        download_name = os.path.basename(path)
    if mimetype is None:
        if download_name is None:
            raise TypeError(
                "Unable to detect the MIME type because a file name is not "
                "available. Pass 'download_name' or 'mimetype' to send_file()."
            )
        mimetype = mimetypes.guess_type(download_name)[0] or "application/octet-stream"

    headers: list[tuple[str, str]] = []
    if download_name is not None:
        disposition = "attachment" if as_attachment else "inline"
        headers.append(
            ("Content-Disposition", content_disposition(disposition, download_name))
        )
    elif as_attachment:
        raise TypeError(
            "No file name is available for the attachment; pass download_name."
        )

    if file is None:
        assert path is not None  # one of the two is always set above
        file = open(path, "rb")  # noqa: SIM115 - closed by the response
    elif size is None:
        try:
            size = os.fstat(file.fileno()).st_size
        except (OSError, AttributeError, io.UnsupportedOperation):
            pos = file.tell() if file.seekable() else None
            if pos is not None:
                size = file.seek(0, io.SEEK_END) - pos
                file.seek(pos)

    file_wrapper = environ.get("wsgi.file_wrapper")
    data: t.Iterable[bytes]
    if file_wrapper is not None:
        data = file_wrapper(file, 8192)
    else:
        data = _FileIterator(file)
    response = response_class(
        data, mimetype=mimetype, headers=headers, direct_passthrough=True
    )
    if size is not None:
        response.content_length = size
    if last_modified is not None:
        response.last_modified = last_modified
    elif mtime is not None:
        response.last_modified = int(mtime)

    if callable(max_age):
        max_age = max_age(path)
    elif max_age is None:
        max_age = _app_max_age(path)
    if max_age is not None:
        if max_age > 0:
            response.cache_control.no_cache = False
            response.cache_control.public = True
        response.cache_control.max_age = max_age
        response.expires = int(datetime.now(UTC).timestamp() + max_age)
    else:
        response.cache_control.no_cache = True

    if isinstance(etag, str):
        response.set_etag(etag)
    elif etag and path is not None and mtime is not None and size is not None:
        check = adler32(path.encode("utf-8", "surrogateescape")) & 0xFFFFFFFF
        response.set_etag(f"{mtime}-{size}-{check}")

    if conditional:
        response = _conditional(response, environ, file, size)
    return response


def _conditional(
    response: Response, environ: dict[str, t.Any], file: t.IO[bytes], size: int | None
) -> Response:
    if not environ:
        return response
    # The body is a stream: ranges are applied by seeking, not by slicing.
    from .exceptions import RequestedRangeNotSatisfiable
    from .sansio.http import is_resource_modified, parse_date, parse_etags

    method = environ.get("REQUEST_METHOD", "GET").upper()
    if method not in ("GET", "HEAD"):
        return response
    etag, _weak = response.get_etag()
    if not is_resource_modified(
        if_none_match=parse_etags(environ.get("HTTP_IF_NONE_MATCH")),
        if_modified_since=parse_date(environ.get("HTTP_IF_MODIFIED_SINCE")),
        etag=etag,
        last_modified=response.last_modified,
        method=method,
    ):
        response.status_code = 304
        response.close()
        response.response = []
        return response
    if size is None:
        return response
    response.accept_ranges = "bytes"
    header = environ.get("HTTP_RANGE")
    if not header:
        return response
    from .sansio.http import parse_if_range_header, parse_range_header

    if_range = parse_if_range_header(environ.get("HTTP_IF_RANGE"))
    if if_range.etag is not None and if_range.etag != etag:
        return response
    if if_range.date is not None and response.last_modified != if_range.date:
        return response
    parsed = parse_range_header(header)
    bounds = parsed.range_for_length(size) if parsed is not None else None
    if bounds is None:
        response.close()
        raise RequestedRangeNotSatisfiable(size)
    start, stop = bounds
    file.seek(start)
    response.response = _FileIterator(file, stop - start)
    response.content_length = stop - start
    response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    response.status_code = 206
    return response


class _FileIterator:
    """Read a file in blocks, at most ``limit`` bytes; closes the file."""

    def __init__(self, file: t.IO[bytes], limit: int | None = None) -> None:
        self.file = file
        self.limit = limit

    def __iter__(self) -> t.Iterator[bytes]:
        remaining = self.limit
        while remaining is None or remaining > 0:
            size = 65536 if remaining is None else min(65536, remaining)
            chunk = self.file.read(size)
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        self.file.close()


def send_from_directory(
    directory: os.PathLike[str] | str,
    path: os.PathLike[str] | str,
    **kwargs: t.Any,
) -> Response:
    """Send a file from inside ``directory``; 404 for anything unsafe or missing.

    :param directory: the folder files may come from (trusted).
    :param path: the file's path inside it (untrusted: from the URL).
    :param kwargs: passed on to :func:`send_file`.
    """
    directory = os.fspath(directory)
    app_ctx = _cv_app.get(None)
    if not os.path.isabs(directory) and app_ctx is not None:
        directory = os.path.join(app_ctx.app.root_path, directory)
    joined = safe_join(directory, os.fspath(path))
    if joined is None:
        raise NotFound()
    real_dir = os.path.realpath(directory)
    real = os.path.realpath(joined)
    # SECURITY: a symlink inside the folder must not lead outside it.
    if real != real_dir and not real.startswith(real_dir + os.sep):
        raise NotFound()
    if not os.path.isfile(real):
        raise NotFound()
    kwargs.setdefault("download_name", os.path.basename(joined))
    return send_file(real, **kwargs)
