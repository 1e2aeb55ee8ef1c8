"""Sending files: ``send_file`` and ``send_from_directory``.

How this file works: :func:`send_file` builds a :class:`~kolba.Response` whose
body is a :class:`_FileBody` (the open file, read in blocks), sets the
headers Flask sets (Content-Type, Content-Disposition, Content-Length,
Last-Modified, ETag, Cache-Control, Expires), then hands the response to
:meth:`Response.make_conditional <kolba.Response.make_conditional>`. That one
method answers 304, 412, 206 and 416 for every response in Kolba; a range of
a file is served by seeking the file body, never by reading it into memory.
When the request was a plain 200 and the server offers ``wsgi.file_wrapper``,
the body is handed to it last, so servers with ``sendfile()`` can use it.

``send_from_directory`` is the safe one for names that come from a URL: the
name is joined to the folder with :func:`kolba.utils.safe_join`, which refuses
``..``, absolute paths, backslashes, drive letters, NUL and characters that
compatibility normalisation turns into any of those; hidden names (a segment
starting with ``.``, except ``.well-known``) are not served; and the resolved
path must still lie inside the folder (no escape through a symlink).
"""

from __future__ import annotations

import io
import mimetypes
import os
import typing as t
from datetime import datetime
from time import time
from zlib import adler32

from .exceptions import NotFound, RequestedRangeNotSatisfiable
from .globals import _cv_app, _cv_request
from .response import Response
from .sansio.http import content_disposition
from .utils import safe_join

__all__ = ["send_file", "send_from_directory"]

# Block size for reading files and for the server's wsgi.file_wrapper.
_BLOCK_SIZE = 65536
# RFC 8615: the one hidden folder the web is meant to read (ACME challenges,
# security.txt, openid-configuration).
_PUBLIC_HIDDEN_SEGMENTS = frozenset({".well-known"})


class _TextModeFileError(TypeError, ValueError):
    """A text-mode file was given where bytes are needed.

    A ``TypeError`` (the file has the wrong type) that is also a
    ``ValueError``, the class Flask raises here, so ``except`` clauses
    written for Flask keep working.
    """


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
    """Send a file's contents, with caching, conditional and range support.

    Never pass a path built from user input: a path is trusted as given. Use
    :func:`send_from_directory` for names that come from the URL.

    A path is opened here and closed when the response is closed. A file
    object must be opened in binary mode; it is sent from its current
    position, and closed with the response too. Unlike Flask, Kolba sends
    Content-Length and serves ranges for any seekable file object, not only
    for paths and ``BytesIO``.

    With ``USE_X_SENDFILE`` set and a path given, the body is left to the
    front server (``X-Sendfile`` header); 304 is still answered here, ranges
    are left to the front server too.

    :param path_or_file: a path (relative paths are relative to the app's
        ``root_path``), or a binary file object such as ``io.BytesIO``.
    :param mimetype: the media type; guessed from the file name when not
        given (``application/octet-stream`` if unknown). Text types get
        ``; charset=utf-8``.
    :param as_attachment: ask the browser to save the file instead of
        showing it (``Content-Disposition: attachment``).
    :param download_name: the name the browser shows or saves under;
        defaults to the path's file name. Non-ASCII names are sent as
        RFC 8187 ``filename*=UTF-8''...`` with an ASCII fallback.
    :param conditional: answer 304, 206 and 416 from the request's
        ``If-None-Match``, ``If-Modified-Since``, ``Range`` and ``If-Range``.
    :param etag: compute an ETag from the path (``True``), use this string,
        or send none (``False``).
    :param last_modified: the Last-Modified time to send; defaults to the
        file's modification time when a path is given.
    :param max_age: seconds the client may cache the file, or a function of
        the path returning that; ``None`` asks the app's
        :meth:`~kolba.Kolba.get_send_file_max_age`. No max-age means
        ``Cache-Control: no-cache`` (revalidate with the ETag each time).
    :raises TypeError: for a text-mode file, or when neither a file name nor
        ``mimetype`` is available.
    """
    req_ctx = _cv_request.get(None)
    request = req_ctx.request if req_ctx is not None else None
    # Only a WSGI server offers a file wrapper (sendfile); under ASGI the file
    # is streamed in bounded chunks by the front end.
    environ: dict[str, t.Any] = (
        request.__dict__.get("environ") or {} if request is not None else {}
    )
    app_ctx = _cv_app.get(None)
    app = app_ctx.app if app_ctx is not None else None
    response_class: type[Response] = app.response_class if app is not None else Response

    path: str | None = None
    file: t.IO[bytes] | None = None
    size: int | None = None
    mtime: float | None = None
    if isinstance(path_or_file, (os.PathLike, str)):
        path = os.fspath(path_or_file)
        if app is not None:
            path = os.path.join(app.root_path, path)
        else:
            path = os.path.abspath(path)
        stat = os.stat(path)
        size = stat.st_size
        mtime = stat.st_mtime
    else:
        file = path_or_file
        if isinstance(file, io.TextIOBase):
            raise _TextModeFileError(
                "send_file() needs a file opened in binary mode, but "
                f"{type(file).__name__} is a text-mode file. Open it with mode "
                "'rb', or wrap text in io.BytesIO(text.encode())."
            )

    if download_name is None and path is not None:
        download_name = os.path.basename(path)

    headers: list[tuple[str, str]] = []
    if mimetype is None:
        if download_name is None:
            raise TypeError(
                "send_file() cannot guess the MIME type: the file object has no "
                "file name. Pass 'mimetype' (for example "
                "mimetype='application/pdf') or 'download_name'."
            )
        mimetype, encoding = mimetypes.guess_type(download_name)
        if mimetype is None:
            mimetype = "application/octet-stream"
        # As Flask: a name like "data.json.gz" is JSON sent gzip-encoded, which
        # a browser decodes for display; a download keeps the file as it is.
        if encoding is not None and not as_attachment:
            headers.append(("Content-Encoding", encoding))

    if download_name is not None:
        disposition = "attachment" if as_attachment else "inline"
        headers.append(
            ("Content-Disposition", content_disposition(disposition, download_name))
        )
    elif as_attachment:
        raise TypeError(
            "send_file(as_attachment=True) needs a file name for the download, "
            "and the file object has none. Pass 'download_name'."
        )

    x_sendfile = (
        path is not None and app is not None and bool(app.config["USE_X_SENDFILE"])
    )
    body: _FileBody | None = None
    if x_sendfile:
        assert path is not None  # x_sendfile implies a path
        headers.append(("X-Sendfile", path))
    else:
        if file is None:
            assert path is not None  # one of the two is always set above
            file = open(path, "rb")  # noqa: SIM115 - closed with the response
        body = _FileBody(file)
        if size is None:
            size = body.remaining_size()

    response = response_class(
        [] if body is None else body,
        mimetype=mimetype,
        headers=headers,
        direct_passthrough=True,
    )
    if size is not None:
        response.content_length = size
    if last_modified is not None:
        response.last_modified = last_modified
    elif mtime is not None:
        response.last_modified = mtime

    response.cache_control.no_cache = True
    if callable(max_age):
        max_age = max_age(path)
    elif max_age is None and app is not None:
        max_age = app.get_send_file_max_age(path)
    if max_age is not None:
        if max_age > 0:
            response.cache_control.no_cache = False
            response.cache_control.public = True
        response.cache_control.max_age = max_age
        response.expires = int(time() + max_age)

    if isinstance(etag, str):
        response.set_etag(etag)
    elif etag and path is not None:
        check = adler32(path.encode("utf-8", "surrogateescape")) & 0xFFFFFFFF
        response.set_etag(f"{mtime}-{size}-{check}")

    if conditional and request is not None:
        try:
            response = response.make_conditional(
                request, accept_ranges=not x_sendfile, complete_length=size
            )
        except RequestedRangeNotSatisfiable:
            if body is not None:
                body.close()
            raise
        if response.status_code in (304, 412):
            # Some X-Sendfile servers send the file whatever the status.
            if "X-Sendfile" in response.headers:
                del response.headers["X-Sendfile"]
            # No body goes out (Flask sends the file with a 412; a failed
            # precondition should not): give the file descriptor back now.
            if body is not None:
                body.close()
            response.response = []

    file_wrapper = environ.get("wsgi.file_wrapper")
    if (
        file_wrapper is not None
        and body is not None
        and response.response is body
        and response.status_code == 200
    ):
        # PEP 3333: the server's wrapper may send the file with sendfile().
        # Only a whole file goes this way: a server wrapper sends to the end
        # of the file, so a 206 range keeps Kolba's own bounded reader.
        response.response = file_wrapper(body.file, _BLOCK_SIZE)
    return response


class _FileBody:
    """A binary file as a response body: read in blocks, closed with the response.

    Positions are relative to where the file was when it was handed over, so
    a range of a file object that was already partly read is still right.
    """

    __slots__ = ("file", "_base")

    def __init__(self, file: t.IO[bytes]) -> None:
        self.file = file
        try:
            self._base = file.tell() if file.seekable() else 0
        except (AttributeError, OSError):
            self._base = 0

    def remaining_size(self) -> int | None:
        """The number of bytes from the current position to the end, if known."""
        file = self.file
        if isinstance(file, io.BytesIO):
            return file.getbuffer().nbytes - self._base
        try:
            return max(os.fstat(file.fileno()).st_size - self._base, 0)
        except (AttributeError, OSError, io.UnsupportedOperation):
            pass
        try:
            if not file.seekable():
                return None
            end = file.seek(0, io.SEEK_END)
            file.seek(self._base)
        except (AttributeError, OSError):
            return None
        return max(end - self._base, 0)

    def seekable(self) -> bool:
        try:
            return bool(self.file.seekable())
        except AttributeError:
            return False

    def seek(self, offset: int) -> None:
        self.file.seek(self._base + offset)

    def read(self, size: int = -1) -> bytes:
        return self.file.read(size)

    def __iter__(self) -> t.Iterator[bytes]:
        read = self.file.read
        while chunk := read(_BLOCK_SIZE):
            yield chunk

    def close(self) -> None:
        self.file.close()


def send_from_directory(
    directory: os.PathLike[str] | str,
    path: os.PathLike[str] | str,
    **kwargs: t.Any,
) -> Response:
    """Send a file from inside ``directory``; 404 for anything unsafe or missing.

    This is the function for file names that come from a request, such as the
    ``static`` route's ``filename``. Refused with 404 (and nothing about the
    file system in the body): ``..`` segments, absolute paths, backslashes,
    drive letters, NUL, characters that Unicode compatibility normalisation
    turns into any of those (``．．``), a symlink that resolves outside the
    folder, directories, and hidden names: any segment starting with ``.``
    (``.env``, ``.git/config``) except ``.well-known``. Flask serves hidden
    files; to serve one on purpose, call :func:`send_file` with a path you
    built yourself.

    :param directory: the folder files may come from (trusted; relative paths
        are relative to the app's ``root_path``).
    :param path: the file's path inside it (untrusted: from the URL).
    :param kwargs: passed on to :func:`send_file`.
    :raises NotFound: when the path is unsafe, hidden or not a regular file.
    """
    directory = os.fspath(directory)
    app_ctx = _cv_app.get(None)
    if app_ctx is not None:
        directory = os.path.join(app_ctx.app.root_path, directory)
    name = os.fspath(path)
    joined = safe_join(directory, name)
    if joined is None:
        raise NotFound()
    # SECURITY: dotfiles in a served folder are almost always accidents
    # (.env, .git, .htpasswd); Flask serves them, Kolba does not.
    if any(
        segment.startswith(".")
        and segment != "."
        and segment not in _PUBLIC_HIDDEN_SEGMENTS
        for segment in name.split("/")
    ):
        raise NotFound()
    # SECURITY: a symlink inside the folder must not lead outside it.
    real_dir = os.path.realpath(directory)
    real = os.path.realpath(joined)
    if real != real_dir and not real.startswith(real_dir.rstrip(os.sep) + os.sep):
        raise NotFound()
    if not os.path.isfile(real):
        raise NotFound()
    return send_file(joined, **kwargs)
