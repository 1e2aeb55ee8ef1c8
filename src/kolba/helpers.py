"""Helpers used inside views: ``url_for``, ``redirect``, ``abort``, ``flash`` …"""

from __future__ import annotations

import html
import typing as t
from functools import update_wrapper

from .ctx import after_this_request, copy_current_request_context
from .exceptions import abort as _default_abort
from .files import send_file, send_from_directory
from .globals import _cv_app, _cv_request, current_app, session
from .response import Response
from .sansio.urls import iri_to_uri

__all__ = [
    "abort",
    "after_this_request",
    "copy_current_request_context",
    "flash",
    "get_flashed_messages",
    "get_template_attribute",
    "make_response",
    "redirect",
    "send_file",
    "send_from_directory",
    "stream_with_context",
    "url_for",
]

_P = t.ParamSpec("_P")


def _safe_location(location: str) -> str:
    # SECURITY: iri_to_uri percent-encodes spaces, non-ASCII and above all CR
    # and LF, so a Location header can never be split into two headers.
    # Encode control characters first: urlsplit() would silently drop CR, LF
    # and tab, and iri_to_uri's ASCII fast path would keep them as they are.
    if not location.isprintable():
        location = "".join(
            f"%{ord(char):02X}" if ord(char) < 0x20 or ord(char) == 0x7F else char
            for char in location
        )
    return iri_to_uri(location)


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """Build the URL of an endpoint.

    ``url_for("show_post", post_id=3)`` → ``/post/3``. Values that are not
    part of the rule become the query string. ``url_for(".name")`` is relative
    to the current blueprint.

    :param endpoint: the endpoint name (usually the view function's name).
    :param _anchor: a ``#fragment`` to append.
    :param _method: pick the rule that allows this method.
    :param _scheme: the scheme of an external URL.
    :param _external: build an absolute URL (``http://host/...``).
    :param values: the rule's variables, then query arguments.
    """
    return current_app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def redirect(
    location: str, code: int = 302, Response: type[Response] | None = None
) -> Response:
    """A redirect response to ``location``.

    The location is made a valid URI: non-ASCII text and unsafe characters
    are percent-encoded; CR and LF can never reach the header.

    :param location: the target URL (relative or absolute).
    :param code: 301, 302, 303, 307 or 308.
    :param Response: the response class to use.
    """
    ctx = _cv_app.get(None)
    if ctx is not None and Response is None:
        return ctx.app.redirect(location, code)
    return _make_redirect(location, code, Response)


def _make_redirect(
    location: str, code: int = 302, response_class: type[Response] | None = None
) -> Response:
    if response_class is None:
        response_class = Response
    target = _safe_location(location)
    display = html.escape(location)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to "
        f'the target URL: <a href="{html.escape(target)}">{display}</a>. If not, '
        "click the link.\n"
    )
    response = response_class(body, code, mimetype="text/html")
    response.headers["Location"] = target
    return response


def abort(code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Stop the request with an HTTP error: ``abort(404)``, ``abort(403, "why")``."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        ctx.app.aborter(code, *args, **kwargs)
    _default_abort(code, *args, **kwargs)


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """A macro or variable a template exports, usable from Python.

    ``get_template_attribute("_macros.html", "hello")("World")`` calls the
    ``hello`` macro of ``_macros.html``. Needs an application context.

    :param template_name: the template's name.
    :param attribute: the name of the macro or variable.
    """
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)


def make_response(*args: t.Any) -> Response:
    """Turn view-style return values into a response you can modify.

    ``make_response("body", 201, {"X": "1"})`` accepts the same values a view
    may return. With no arguments it returns an empty response.
    """
    if not args:
        return current_app.response_class()
    if len(args) == 1:
        args = args[0]
    return current_app.make_response(args)


@t.overload
def stream_with_context(
    generator_or_function: t.Iterator[t.AnyStr],
) -> t.Iterator[t.AnyStr]: ...
@t.overload
def stream_with_context(
    generator_or_function: t.Callable[_P, t.Iterator[t.AnyStr]],
) -> t.Callable[_P, t.Iterator[t.AnyStr]]: ...
def stream_with_context(generator_or_function: t.Any) -> t.Any:
    """Keep the request context alive while a streamed response is generated.

    Without it, ``request`` is gone by the time the server iterates the body.
    Use as a wrapper (``stream_with_context(gen())``) or a decorator.
    """
    try:
        gen = iter(generator_or_function)
    except TypeError:

        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            gen = generator_or_function(*args, **kwargs)
            return stream_with_context(gen)

        return update_wrapper(decorator, generator_or_function)

    def generator() -> t.Iterator[t.Any]:
        ctx = _cv_request.get(None)
        if ctx is None:
            raise RuntimeError(
                "'stream_with_context' can only be used while a request is being "
                "handled; call it inside the view."
            )
        app_ctx = _cv_app.get()
        # Push both contexts again for the duration of the iteration.
        with app_ctx, ctx:
            yield None
            try:
                yield from gen
            finally:
                close = getattr(gen, "close", None)
                if close is not None:
                    close()

    wrapped = generator()
    next(wrapped)  # enter the contexts now, while they are still active
    return wrapped


def flash(message: str, category: str = "message") -> None:
    """Store a message for the next page to show (``get_flashed_messages``).

    Messages live in the session (key ``_flashes``) until read, so they
    survive a redirect; this needs ``SECRET_KEY``. Sends the
    ``message_flashed`` signal.

    :param message: the text (a :class:`~markupsafe.Markup` stays markup).
    :param category: any label; ``"message"``, ``"error"``, ``"info"`` and
        ``"warning"`` are the usual ones.
    """
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    ctx = _cv_app.get(None)
    if ctx is not None:
        from . import signals

        if signals._connected:
            signals.message_flashed.send(
                ctx.app,
                _async_wrapper=ctx.app.ensure_sync,
                message=message,
                category=category,
            )


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """Return the flashed messages and remove them from the session.

    The first call in a request takes every message out of the session;
    later calls in the same request return the same messages (messages
    flashed in between wait for the next request), as in Flask.

    :param with_categories: return ``(category, message)`` pairs.
    :param category_filter: return only messages of these categories (the
        others are still removed from the session).
    """
    ctx = _cv_request.get()
    flashes = getattr(ctx, "_kolba_flashes", None)
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        ctx._kolba_flashes = flashes
    if category_filter:
        wanted = set(category_filter)
        flashes = [f for f in flashes if f[0] in wanted]
    if not with_categories:
        return [f[1] for f in flashes]
    return [tuple(f) for f in flashes]
