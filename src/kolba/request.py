"""The incoming request: the sans-IO head plus the body, parsed lazily.

How this file works: :class:`Request` joins the head
(:class:`kolba.sansio.request.RequestHead`: URL, headers, cookies, ``args``)
with the body (``stream``, ``data``, ``form``, ``files``, ``json``). The body
comes from ``_input``, a file-like object the front end provides: the WSGI
binding (:class:`kolba.wsgi.EnvironRequest`) gives ``wsgi.input``, the ASGI
front end a stream fed by ``receive()``. Every attribute is a
:class:`~kolba._compat.cached_property` that parses its piece on first read
and keeps the result, so a view that reads
only ``request.args`` never pays for headers, cookies or the body.

Invariants:

- Nothing here raises anything but an :class:`~kolba.exceptions.HTTPException`
  on bad client input: malformed percent-encoding is kept literally, bytes that
  are not UTF-8 give a 400 naming the part, oversized bodies give a 413.
- The body is read at most once; ``data``, ``form``, ``files`` and ``json``
  share what was read.
"""

from __future__ import annotations

import io
import typing as t

from . import json as _kolba_json
from ._compat import cached_property
from .exceptions import (
    BadRequest,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)
from .globals import _cv_app
from .sansio.datastructures import (
    CombinedMultiDict,
    FileStorage,
    ImmutableMultiDict,
    MultiDict,
)
from .sansio.forms import parse_form_data
from .sansio.request import RequestHead
from .sansio.streams import LimitedStream, MaxSizeStream
from .sansio.urls import parse_qsl
from .wsgi import EnvironRequest

if t.TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = ["Request"]

_URLENCODED = "application/x-www-form-urlencoded"
_NO_FILES: ImmutableMultiDict[str, FileStorage] = ImmutableMultiDict()


class Request(EnvironRequest, RequestHead):
    """The request object a view reads through the ``request`` proxy.

    The head (URL, headers, cookies, ``args`` …) comes from
    :class:`~kolba.sansio.request.RequestHead`; this class adds the body
    (``stream``, ``data``, ``form``, ``files``, ``json``) with its limits.
    ``Request(environ)`` binds it to a WSGI environ
    (:class:`~kolba.wsgi.EnvironRequest`), as in Flask; the ASGI front end
    builds the same class from a scope. Nothing is parsed until read.

    :param environ: the WSGI environ of the request.
    :param populate_request: store this object in the environ under
        ``"kolba.request"`` so middleware can find it.
    :param shallow: forbid reading the body (used by code that must not consume
        the input stream).
    """

    #: JSON module with ``loads``: :mod:`kolba.json`, which uses the current
    #: app's JSON provider (``app.json``) and the standard library outside one.
    json_module: t.Any = _kolba_json

    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None
    _cached_data: bytes | None = None

    def __repr__(self) -> str:
        try:
            url = self.url
        except Exception:  # a broken request still prints
            url = "(invalid URL)"
        return f"<{type(self).__name__} {url!r} [{self.method}]>"

    @classmethod
    def from_values(cls, *args: t.Any, **kwargs: t.Any) -> Request:
        """Build a request as the test client would; for tests and scripts."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(*args, **kwargs)
        try:
            return cls(builder.get_environ())
        finally:
            builder.close()

    # -- limits -----------------------------------------------------------------

    def _limits(self) -> tuple[int | None, int | None, int | None]:
        """``(max_content_length, max_form_memory_size, max_form_parts)``.

        PERF: reads the app config once for all three, instead of one context
        lookup per limit.
        """
        limits = self.__dict__.get("_limits_cache")
        if limits is not None:
            # cast: _limits() stores exactly this tuple.
            return t.cast("tuple[int | None, int | None, int | None]", limits)
        ctx = _cv_app.get(None)
        config = ctx.app.config if ctx is not None else {}
        limits = (
            self._max_content_length
            if self._max_content_length is not None
            else config.get("MAX_CONTENT_LENGTH"),
            self._max_form_memory_size
            if self._max_form_memory_size is not None
            else config.get("MAX_FORM_MEMORY_SIZE"),
            self._max_form_parts
            if self._max_form_parts is not None
            else config.get("MAX_FORM_PARTS"),
        )
        self.__dict__["_limits_cache"] = limits
        return limits

    @property
    def max_content_length(self) -> int | None:
        """The most body bytes accepted (MAX_CONTENT_LENGTH); beyond it, 413."""
        return self._limits()[0]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value
        self.__dict__.pop("_limits_cache", None)

    @property
    def max_form_memory_size(self) -> int | None:
        """The most bytes of non-file form fields kept in memory; beyond it, 413."""
        return self._limits()[1]

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value
        self.__dict__.pop("_limits_cache", None)

    @property
    def max_form_parts(self) -> int | None:
        """The most fields and files a form may carry; beyond it, 413."""
        return self._limits()[2]

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value
        self.__dict__.pop("_limits_cache", None)

    # -- body -------------------------------------------------------------------

    @cached_property
    def stream(self) -> t.IO[bytes]:
        """The body as a stream that never reads past Content-Length.

        A declared Content-Length above :attr:`max_content_length` raises 413
        before anything is read; a chunked body is cut off with a 413 when it
        crosses the limit.
        """
        if self.shallow:
            raise RuntimeError(
                "This request is shallow: reading its body is not allowed here."
            )
        raw = self._input
        limit = self._limits()[0]
        length = self.content_length
        if raw is None:
            return t.cast("t.IO[bytes]", LimitedStream(io.BytesIO(), 0))
        if length is not None:
            if limit is not None and length > limit:
                raise RequestEntityTooLarge(
                    f"The request body is {length} bytes; this server accepts at "
                    f"most {limit} (MAX_CONTENT_LENGTH)."
                )
            # LimitedStream is a RawIOBase: it has IO[bytes]'s read/readline/
            # readinto/close, but typeshed does not declare RawIOBase as IO.
            return t.cast("t.IO[bytes]", LimitedStream(raw, length))
        if self._input_terminated:
            # A chunked body: the server marks the stream's end for us.
            if limit is not None:
                # A RawIOBase, used as IO[bytes] like LimitedStream above.
                return t.cast("t.IO[bytes]", MaxSizeStream(raw, limit))
            # wsgi.input is untyped (PEP 3333); servers give a binary stream.
            return t.cast("t.IO[bytes]", raw)
        # SPEC: PEP 3333 — without Content-Length a WSGI app must not read input.
        return t.cast("t.IO[bytes]", LimitedStream(io.BytesIO(), 0))

    @property
    def input_stream(self) -> t.Any:
        """The raw input stream, unlimited. Prefer :attr:`stream`."""
        return self._input

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> t.Any:
        """Read the whole body.

        :param cache: keep the bytes so later calls return them again.
        :param as_text: decode as UTF-8 (invalid bytes raise a 400).
        :param parse_form_data: parse form data first, so form bodies land in
            :attr:`form` and this returns ``b""`` for them.
        """
        if parse_form_data:
            self._load_form_data()
        data = self._cached_data
        if data is None:
            data = self.stream.read()
            if cache:
                self._cached_data = data
        if as_text:
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest("The request body is not valid UTF-8.") from None
        return data

    @property
    def data(self) -> bytes:
        """The body as bytes (empty for form bodies, which go to :attr:`form`)."""
        # cast: get_data() without as_text returns bytes.
        return t.cast(bytes, self.get_data(parse_form_data=True))

    def _wants_form(self) -> bool:
        if self._header("Content-Type") == _URLENCODED:
            return True  # PERF: the usual header needs no parsing
        return self.mimetype in (_URLENCODED, "multipart/form-data")

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        if self.shallow or not self._wants_form():
            form: MultiDict[str, str] = self.parameter_storage_class()
            files: MultiDict[str, FileStorage] = self.parameter_storage_class()
        elif (
            self._cached_data is None
            and "stream" not in self.__dict__
            and (
                self._header("Content-Type") == _URLENCODED
                or self.mimetype == _URLENCODED
            )
            and self.content_length is not None
            and self._input is not None
        ):
            form, files = self._load_urlencoded(self.content_length)
        else:
            if self._cached_data is not None:
                stream: t.IO[bytes] = io.BytesIO(self._cached_data)
            else:
                stream = self.stream
                # The body is consumed by the form parser; data is empty after.
                self._cached_data = b""
            mimetype, options = self._parsed_content_type
            max_content_length, max_form_memory_size, max_form_parts = self._limits()
            form, files = parse_form_data(
                stream,
                mimetype.lower(),
                options,
                self.content_length,
                max_form_memory_size=max_form_memory_size,
                max_form_parts=max_form_parts,
                max_content_length=max_content_length,
            )
            # PERF: the parser already returns immutable multidicts; copy only
            # when a subclass asks for another storage class.
            storage = self.parameter_storage_class
            if type(form) is not storage:
                form = storage(form)
            if type(files) is not storage:
                files = storage(files)
        self.__dict__["form"] = form
        self.__dict__["files"] = files

    def _load_urlencoded(
        self, length: int
    ) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
        # PERF: the common form post (urlencoded, with Content-Length) reads
        # the exact body once, without wrapping the input in a stream object.
        max_content_length, max_form_memory_size, max_form_parts = self._limits()
        if max_content_length is not None and length > max_content_length:
            raise RequestEntityTooLarge(
                f"The request body is {length} bytes; this server accepts at "
                f"most {max_content_length} (MAX_CONTENT_LENGTH)."
            )
        if max_form_memory_size is not None and length > max_form_memory_size:
            raise RequestEntityTooLarge(
                f"The form data is {length} bytes; this server keeps at most "
                f"{max_form_memory_size} in memory (MAX_FORM_MEMORY_SIZE)."
            )
        body = self._input.read(length) if length else b""
        if len(body) < length:
            raise BadRequest(
                "The client disconnected before sending the whole request body."
            )
        self._cached_data = b""  # the body now lives in form, as with Flask
        try:
            pairs = parse_qsl(body, max_fields=max_form_parts, part="form")
        except RequestEntityTooLarge:
            raise RequestEntityTooLarge(
                f"The form has more than {max_form_parts} fields (MAX_FORM_PARTS)."
            ) from None
        storage = self.parameter_storage_class
        if storage is ImmutableMultiDict:
            # PERF: an immutable empty dict can be shared by every request.
            return storage(pairs), _NO_FILES
        return storage(pairs), storage()

    @cached_property
    def form(self) -> MultiDict[str, str]:
        """Fields of a urlencoded or multipart body (not files)."""
        self._load_form_data()
        # cast: _load_form_data() stored it.
        return t.cast("MultiDict[str, str]", self.__dict__["form"])

    @cached_property
    def files(self) -> MultiDict[str, FileStorage]:
        """Uploaded files of a multipart body, as :class:`FileStorage`."""
        self._load_form_data()
        # cast: _load_form_data() stored it.
        return t.cast("MultiDict[str, FileStorage]", self.__dict__["files"])

    @cached_property
    def values(self) -> CombinedMultiDict[str, str]:
        """``args`` and ``form`` combined (for GET, only ``args``, as Flask)."""
        sources: list[MultiDict[str, str]] = [self.args]
        if self.method != "GET":
            sources.append(self.form)
        return CombinedMultiDict(sources)

    # -- JSON -------------------------------------------------------------------

    @property
    def is_json(self) -> bool:
        """Whether the mimetype is ``application/json`` or ``application/*+json``."""
        mt = self.mimetype
        return mt == "application/json" or (
            mt.startswith("application/") and mt.endswith("+json")
        )

    @property
    def json(self) -> t.Any:
        """The parsed JSON body; 415 if the request is not JSON, 400 if invalid."""
        return self.get_json()

    _cached_json: tuple[t.Any, t.Any] = (Ellipsis, Ellipsis)

    def get_json(
        self, force: bool = False, silent: bool = False, cache: bool = True
    ) -> t.Any:
        """Parse the body as JSON.

        :param force: parse even when the mimetype is not JSON.
        :param silent: return ``None`` instead of raising on failure.
        :param cache: keep the result for later calls.
        """
        cached = self._cached_json[silent]
        if cached is not Ellipsis:
            return cached
        if not (force or self.is_json):
            if silent:
                return None
            return self.on_json_loading_failed(None)
        data = self.get_data(cache=cache)
        try:
            try:
                value = self.json_module.loads(data)
            except RecursionError:
                # SECURITY: deeply nested input is the client's error, not a 500.
                raise ValueError("the document is nested too deeply") from None
        except ValueError as exc:
            if silent:
                value = None
                if cache:
                    normal = self._cached_json[False]
                    self._cached_json = (normal, None)
            else:
                return self.on_json_loading_failed(exc)
        else:
            if cache:
                self._cached_json = (value, value)
        return value

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        """Called when JSON parsing fails; raises 400 (or 415 for non-JSON)."""
        if e is not None:
            raise BadRequest(f"Failed to decode JSON object: {e}")
        raise UnsupportedMediaType(
            "Did not attempt to load JSON data because the request Content-Type "
            "was not 'application/json'."
        )

    def close(self) -> None:
        """Close uploaded files."""
        files = self.__dict__.get("files")
        if files:
            for _key, value in files.items(multi=True):
                value.close()

    def __enter__(self) -> Request:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
