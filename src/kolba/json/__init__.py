"""JSON helpers that follow the current application's settings.

Inside an application context each function delegates to ``current_app.json``
(a :class:`~kolba.json.provider.JSONProvider`), so an application's provider
options and overrides apply. Outside one, :func:`dumps`, :func:`dump`,
:func:`loads` and :func:`load` fall back to the standard library, with
:func:`dumps`/:func:`dump` still able to serialize dates, decimals, UUIDs,
dataclasses and ``__html__`` objects. Keys are not sorted in that fallback,
matching Flask.
"""

from __future__ import annotations

import json as _json
from contextvars import ContextVar
from typing import IO, TYPE_CHECKING, Any, AnyStr

from .provider import _json_default

if TYPE_CHECKING:  # pragma: no cover
    from ..app import Kolba
    from ..response import Response

__all__ = ["dump", "dumps", "jsonify", "load", "loads"]

_cv_app: ContextVar[Any] | None = None

# PERF: json.dumps(obj, default=...) builds an encoder per call; one shared
# encoder serves the common no-options call outside an application context.
_plain_encoder = _json.JSONEncoder(default=_json_default)


def _current_app() -> Kolba | None:
    """Return the active application, or ``None`` outside an app context."""
    global _cv_app
    if _cv_app is None:
        # Imported on first use: kolba.globals sits above this module (it
        # reaches the application, which imports kolba.json), so a top-level
        # import would be circular.
        from kolba.globals import _cv_app as context_var

        _cv_app = context_var
    ctx = _cv_app.get(None)
    return None if ctx is None else ctx.app


def dumps(obj: Any, **kwargs: Any) -> str:
    """Serialize ``obj`` to a JSON string.

    Uses ``current_app.json.dumps`` when an application context is active,
    otherwise :func:`json.dumps` with the extra types of
    :class:`~kolba.json.provider.DefaultJSONProvider` (keys unsorted).

    :param obj: The data to serialize.
    :param kwargs: Passed to the provider or to :func:`json.dumps`.
    :raises TypeError: If ``obj`` contains a value that cannot be serialized.
    """
    app = _current_app()
    if app is not None:
        text: str = app.json.dumps(obj, **kwargs)
        return text
    if not kwargs:
        return _plain_encoder.encode(obj)
    kwargs.setdefault("default", _json_default)
    return _json.dumps(obj, **kwargs)


def dump(obj: Any, fp: IO[str], **kwargs: Any) -> None:
    """Serialize ``obj`` as JSON and write it to a text file.

    Uses ``current_app.json.dump`` when an application context is active,
    otherwise :func:`json.dump` with the extra types of the default provider.

    :param obj: The data to serialize.
    :param fp: A file opened for writing text, ideally as UTF-8.
    :param kwargs: Passed to the provider or to :func:`json.dump`.
    """
    app = _current_app()
    if app is not None:
        app.json.dump(obj, fp, **kwargs)
        return
    kwargs.setdefault("default", _json_default)
    _json.dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Deserialize a JSON document.

    Uses ``current_app.json.loads`` when an application context is active,
    otherwise :func:`json.loads`.

    :param s: Text, or bytes in UTF-8, UTF-16 or UTF-32.
    :param kwargs: Passed to the provider or to :func:`json.loads`.
    :raises json.JSONDecodeError: If ``s`` is not valid JSON (default
        provider).
    """
    app = _current_app()
    if app is not None:
        return app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: IO[AnyStr], **kwargs: Any) -> Any:
    """Deserialize a JSON document read from a file.

    Uses ``current_app.json.load`` when an application context is active,
    otherwise :func:`json.load`.

    :param fp: A file opened for reading text or UTF-8 bytes.
    :param kwargs: Passed to the provider or to :func:`json.load`.
    """
    app = _current_app()
    if app is not None:
        return app.json.load(fp, **kwargs)
    return _json.load(fp, **kwargs)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """Return a JSON response built from the arguments.

    A view can usually return a dict or list directly instead; use this when
    you need the response object, or to send another top-level value. It calls
    ``current_app.json.response``, which with the default provider gives:

    - no arguments: ``null``;
    - one positional argument: that value;
    - several positional arguments: a list of them;
    - keyword arguments: an object.

    The body is compact and ends with a newline; in debug mode it is indented.

    :param args: A value, or several values to send as a list.
    :param kwargs: Names and values to send as an object.
    :return: The application's ``response_class`` with ``application/json``.
    :raises TypeError: If both positional and keyword arguments are given.
    :raises RuntimeError: If no application context is active.
    """
    app = _current_app()
    if app is None:
        raise RuntimeError(
            "jsonify() was called outside an application context, so there is "
            "no application to build the response with. Call it from a view, "
            "or push a context first with 'with app.app_context():'."
        )
    return app.json.response(*args, **kwargs)
