"""HTTP exceptions: raise one anywhere in a request and the client gets its status.

Every class here is both a Python exception and a ready error response. Raising
``NotFound()`` inside a view, a hook or a parser ends the request with a 404 page
(HTML, or JSON when the client prefers it). ``abort(404)`` is the short spelling.

This module is a leaf: it imports nothing from Kolba at import time, so the
sans-IO layer and the router may raise these exceptions without depending on the
rest of the framework.

The tree::

    Exception
     └── HTTPException                 code, name, description, get_response()
          ├── RequestRedirect (308)    raised by the router for a canonical URL
          ├── BadRequest (400)
          │    ├── BadRequestKeyError  also a KeyError: request.form["missing"]
          │    └── SecurityError       a request that breaks a safety rule
          ├── Unauthorized (401) … HTTPVersionNotSupported (505)
          └── InternalServerError (500) with original_exception
"""

from __future__ import annotations

import html
import json
import typing as t

if t.TYPE_CHECKING:  # pragma: no cover
    from .response import Response

__all__ = [
    "Aborter",
    "BadGateway",
    "BadRequest",
    "BadRequestKeyError",
    "Conflict",
    "ExpectationFailed",
    "FailedDependency",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "HTTPException",
    "HTTPVersionNotSupported",
    "ImATeapot",
    "InternalServerError",
    "LengthRequired",
    "Locked",
    "MethodNotAllowed",
    "MisdirectedRequest",
    "NotAcceptable",
    "NotFound",
    "NotImplemented",
    "PreconditionFailed",
    "PreconditionRequired",
    "RequestEntityTooLarge",
    "RequestHeaderFieldsTooLarge",
    "RequestRedirect",
    "RequestTimeout",
    "RequestURITooLarge",
    "RequestedRangeNotSatisfiable",
    "SecurityError",
    "ServiceUnavailable",
    "TooManyRequests",
    "UnavailableForLegalReasons",
    "Unauthorized",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "UpgradeRequired",
    "abort",
    "default_exceptions",
]

#: Reason phrases for every status code Kolba knows (RFC 9110 and friends).
HTTP_STATUS_CODES: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi Status",
    208: "Already Reported",
    226: "IM Used",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    414: "Request URI Too Long",
    415: "Unsupported Media Type",
    416: "Requested Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a teapot",
    421: "Misdirected Request",
    422: "Unprocessable Entity",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    449: "Retry With",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    510: "Not Extended",
    511: "Network Authentication Failed",
}


_page_cache: dict[tuple[type, str | None], str] = {}


class HTTPException(Exception):
    """An error that ends the request with an HTTP status.

    Subclasses set :attr:`code` and :attr:`description`. Raise an instance with a
    more precise ``description`` to tell the client what was wrong with *its*
    request; never put server internals in it, it is shown to the client.

    :param description: text shown to the client, replacing the class default.
    :param response: a ready response to send instead of the generated page.
    """

    code: int | None = None
    description: str | None = None

    def __init__(
        self, description: str | None = None, response: Response | None = None
    ) -> None:
        super().__init__()
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The status reason phrase, such as ``"Not Found"``."""
        if self.code is None:
            return "Unknown Error"
        return HTTP_STATUS_CODES.get(self.code, "Unknown Error")

    def get_description(self) -> str:
        """The description as escaped HTML (one paragraph)."""
        text = self.description or ""
        return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"

    def get_body(self) -> str:
        """The HTML error page."""
        return (
            "<!doctype html>\n<html lang=en>\n"
            f"<title>{self.code} {html.escape(self.name)}</title>\n"
            f"<h1>{html.escape(self.name)}</h1>\n"
            f"{self.get_description()}\n"
        )

    def get_json(self) -> dict[str, t.Any]:
        """The JSON error body: ``{"code", "name", "description"}``."""
        return {"code": self.code, "name": self.name, "description": self.description}

    def get_headers(self) -> list[tuple[str, str]]:
        """Extra headers for the error response (``Allow``, ``Retry-After`` …)."""
        return []

    def get_response(
        self, environ: t.Any = None, *, prefer_json: bool = False
    ) -> Response:
        """Build the error response: the one given at construction, or a page.

        :param environ: accepted for compatibility; not used.
        :param prefer_json: answer ``application/json`` instead of HTML.
        """
        from .response import Response

        if self.response is not None:
            return self.response
        body: str | None
        if prefer_json:
            body = json.dumps(self.get_json(), separators=(",", ":")) + "\n"
            mimetype = "application/json"
        else:
            # PERF: error pages repeat; cache the rendered page per class and
            # description (bounded, descriptions are usually constants).
            cls = type(self)
            key = (cls, self.description)
            body = (
                _page_cache.get(key) if cls.get_body is HTTPException.get_body else None
            )
            if body is None:
                body = self.get_body()
                if cls.get_body is HTTPException.get_body and len(_page_cache) < 512:
                    _page_cache[key] = body
            mimetype = "text/html"
        response = Response(body, self.code or 500, mimetype=mimetype)
        extra = self.get_headers()
        if extra:
            response.headers.extend(extra)
        return response

    def __call__(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> t.Iterable[bytes]:
        """Serve this error as a WSGI application."""
        return self.get_response(environ)(environ, start_response)

    def __str__(self) -> str:
        return f"{self.code or '???'} {self.name}: {self.description}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} '{self.code}: {self.name}'>"


class RequestRedirect(HTTPException):
    """The router found the canonical URL elsewhere (a missing trailing slash)."""

    code = 308

    def __init__(self, new_url: str) -> None:
        super().__init__(f"The resource has moved to {new_url}.")
        self.new_url = new_url

    def get_response(
        self, environ: t.Any = None, *, prefer_json: bool = False
    ) -> Response:
        from .helpers import redirect

        return redirect(self.new_url, self.code)


class BadRequest(HTTPException):
    code = 400
    description = (
        "The browser (or proxy) sent a request that this server could not understand."
    )


class BadRequestKeyError(BadRequest, KeyError):
    """A missing key in ``request.args`` / ``form`` / ``files``: a client error."""

    #: In debug mode the key is added to the description, to help the developer.
    show_exception = False

    _explicit_description: str | None = None

    def __init__(
        self, arg: object | None = None, *args: t.Any, **kwargs: t.Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.args = () if arg is None else (arg,)

    @property
    def description(self) -> str:
        """A description given explicitly, else one derived from the key."""
        if self._explicit_description is not None:
            return self._explicit_description
        base = "The request is missing a required field, or a field has no value."
        if self.show_exception and self.args:
            return f"{base} KeyError: {self.args[0]!r}"
        return base

    @description.setter
    def description(self, value: str) -> None:
        self._explicit_description = value

    def __str__(self) -> str:
        return HTTPException.__str__(self)


class SecurityError(BadRequest):
    """The request broke a safety rule (for example a path escaping a folder)."""


class Unauthorized(HTTPException):
    code = 401
    description = (
        "The server could not verify that you are authorized to access the URL"
        " requested. Check your credentials."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        www_authenticate: str | list[str] | None = None,
    ) -> None:
        super().__init__(description, response)
        if isinstance(www_authenticate, str):
            www_authenticate = [www_authenticate]
        self.www_authenticate = www_authenticate or []

    def get_headers(self) -> list[tuple[str, str]]:
        return [("WWW-Authenticate", value) for value in self.www_authenticate]


class Forbidden(HTTPException):
    code = 403
    description = "You do not have permission to access this resource."


class NotFound(HTTPException):
    code = 404
    description = (
        "No page exists at this URL. If you typed the address, check its spelling."
    )


class MethodNotAllowed(HTTPException):
    """The URL exists, but not for this method; ``Allow`` lists the valid ones."""

    code = 405
    description = "The method is not allowed for the requested URL."

    def __init__(
        self,
        valid_methods: t.Iterable[str] | None = None,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.valid_methods = sorted(valid_methods) if valid_methods else None

    def get_headers(self) -> list[tuple[str, str]]:
        if self.valid_methods:
            return [("Allow", ", ".join(self.valid_methods))]
        return []


class NotAcceptable(HTTPException):
    code = 406
    description = "The resource cannot be sent in any format the client accepts."


class RequestTimeout(HTTPException):
    code = 408
    description = "The server closed the connection waiting for the request."


class Conflict(HTTPException):
    code = 409
    description = "The request conflicts with the current state of the resource."


class Gone(HTTPException):
    code = 410
    description = "The resource is no longer available and will not come back."


class LengthRequired(HTTPException):
    code = 411
    description = "This request needs a valid Content-Length header."


class PreconditionFailed(HTTPException):
    code = 412
    description = "A precondition in the request headers did not hold."


class RequestEntityTooLarge(HTTPException):
    code = 413
    description = "The request body is larger than this server accepts."


class RequestURITooLarge(HTTPException):
    code = 414
    description = "The URL is longer than this server accepts."


class UnsupportedMediaType(HTTPException):
    code = 415
    description = "The server does not support the media type of the request body."


class RequestedRangeNotSatisfiable(HTTPException):
    code = 416
    description = "The requested range lies outside the resource."

    def __init__(
        self,
        length: int | None = None,
        units: str = "bytes",
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.length = length
        self.units = units

    def get_headers(self) -> list[tuple[str, str]]:
        if self.length is not None:
            return [("Content-Range", f"{self.units} */{self.length}")]
        return []


class ExpectationFailed(HTTPException):
    code = 417
    description = "The server cannot meet the Expect request header."


class ImATeapot(HTTPException):
    code = 418
    description = "This server is a teapot and cannot brew coffee."


class MisdirectedRequest(HTTPException):
    code = 421
    description = "The request was sent to a server that cannot answer for it."


class UnprocessableEntity(HTTPException):
    code = 422
    description = "The request was well-formed but its content is not valid."


class Locked(HTTPException):
    code = 423
    description = "The resource is locked."


class FailedDependency(HTTPException):
    code = 424
    description = "The request depended on another request that failed."


class UpgradeRequired(HTTPException):
    """*426*: the client must switch protocols (a WebSocket route over HTTP)."""

    code = 426
    description = "The client must upgrade to another protocol to use this URL."

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("Upgrade", "websocket")]


class PreconditionRequired(HTTPException):
    code = 428
    description = "This request must be conditional (send If-Match or similar)."


class _RetryAfter(HTTPException):
    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description, response)
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        if self.retry_after is not None:
            return [("Retry-After", str(int(self.retry_after)))]
        return []


class TooManyRequests(_RetryAfter):
    code = 429
    description = "Too many requests were sent; slow down and try again later."


class RequestHeaderFieldsTooLarge(HTTPException):
    code = 431
    description = "A request header, or all of them together, is too large."


class UnavailableForLegalReasons(HTTPException):
    code = 451
    description = "The resource is unavailable for legal reasons."


class InternalServerError(HTTPException):
    """The server failed; ``original_exception`` holds the cause, if any."""

    code = 500
    description = "The server hit an internal error and could not complete the request."

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        super().__init__(description, response)
        self.original_exception = original_exception


class NotImplemented(HTTPException):  # noqa: A001 - the HTTP status name
    code = 501
    description = "The server does not support the action requested."


class BadGateway(HTTPException):
    code = 502
    description = "An upstream server sent an invalid response."


class ServiceUnavailable(_RetryAfter):
    code = 503
    description = "The server is temporarily unable to handle the request."


class GatewayTimeout(HTTPException):
    code = 504
    description = "An upstream server did not answer in time."


class HTTPVersionNotSupported(HTTPException):
    code = 505
    description = "The server does not support this HTTP protocol version."


def _collect_defaults() -> dict[int, type[HTTPException]]:
    found: dict[int, type[HTTPException]] = {}
    for obj in list(globals().values()):
        if (
            isinstance(obj, type)
            and issubclass(obj, HTTPException)
            and obj.code is not None
            and obj is not RequestRedirect
            # Not in Werkzeug's table: abort(426) stays a LookupError, as in Flask.
            and obj is not UpgradeRequired
            and not obj.__name__.startswith("_")
        ):
            found.setdefault(obj.code, obj)
    return found


#: The exception class for each status code, used by :func:`abort`.
default_exceptions: dict[int, type[HTTPException]] = _collect_defaults()
default_exceptions[400] = BadRequest


class Aborter:
    """Turn a status code (or a response) into the matching exception."""

    def __init__(self, mapping: dict[int, type[HTTPException]] | None = None) -> None:
        self.mapping = dict(default_exceptions if mapping is None else mapping)

    def __call__(
        self, code: int | Response, *args: t.Any, **kwargs: t.Any
    ) -> t.NoReturn:
        if not isinstance(code, int):
            raise HTTPException(response=code)
        try:
            cls = self.mapping[code]
        except KeyError:
            raise LookupError(
                f"abort({code!r}): no exception is registered for this status code. "
                "Use a code from 400 to 599 that Kolba knows, or pass a response."
            ) from None
        raise cls(*args, **kwargs)


_aborter = Aborter()


def abort(code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the HTTP exception for ``code``: ``abort(404)``, ``abort(403, "…")``."""
    _aborter(code, *args, **kwargs)
