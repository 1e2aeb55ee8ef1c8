"""JSON providers: the pluggable object behind ``app.json``.

An application owns one provider. :func:`kolba.json.jsonify` and the other
functions in :mod:`kolba.json` call it when an application context is active,
so replacing ``app.json`` (for example with a provider built on ``orjson``)
changes JSON handling across the whole application.
"""

from __future__ import annotations

import dataclasses
import decimal
import email.utils
import json
import uuid
import weakref
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import IO, TYPE_CHECKING, Any, AnyStr, cast

if TYPE_CHECKING:  # pragma: no cover
    from ..app import Kolba
    from ..response import Response

__all__ = ["DefaultJSONProvider", "JSONProvider"]


class JSONProvider:
    """Base class for an application's JSON operations.

    Subclass it to use another JSON library: implement at least
    :meth:`dumps` and :meth:`loads`; :meth:`dump`, :meth:`load` and
    :meth:`response` are built on them. Install the provider by setting the
    application's ``json_provider_class`` before creating it, or by assigning
    an instance to ``app.json``.

    :param app: The application. It is kept as a :func:`weakref.proxy` on
        ``_app``, so the provider does not keep the application alive.
    """

    def __init__(self, app: Kolba) -> None:
        # The application class is defined above this module in the layering,
        # so it is imported for type checking only; a provider needs only
        # ``debug`` and ``response_class`` from it.
        # cast: a weakref proxy forwards every attribute to the application.
        self._app = cast("Kolba", weakref.proxy(app))

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize ``obj`` to a JSON string.

        :param obj: The data to serialize.
        :param kwargs: Options for the underlying JSON library.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement dumps(); JSONProvider is a "
            "base class. Subclass DefaultJSONProvider to extend the default."
        )

    def dump(self, obj: Any, fp: IO[str], **kwargs: Any) -> None:
        """Serialize ``obj`` as JSON and write it to a text file.

        :param obj: The data to serialize.
        :param fp: A file opened for writing text, ideally as UTF-8.
        :param kwargs: Options for the underlying JSON library.
        """
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Deserialize a JSON document.

        :param s: Text, or bytes in UTF-8, UTF-16 or UTF-32.
        :param kwargs: Options for the underlying JSON library.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement loads(); JSONProvider is a "
            "base class. Subclass DefaultJSONProvider to extend the default."
        )

    def load(self, fp: IO[AnyStr], **kwargs: Any) -> Any:
        """Deserialize a JSON document read from a file.

        :param fp: A file opened for reading text or UTF-8 bytes.
        :param kwargs: Options for the underlying JSON library.
        """
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if args and kwargs:
            raise TypeError(
                "app.json.response() (and jsonify()) take either positional or "
                "keyword arguments, not both. Pass a single dict instead, such "
                "as jsonify({'items': items, 'count': n})."
            )
        if len(args) == 1:
            return args[0]
        return args or kwargs or None

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """Serialize the arguments and return an ``application/json`` response.

        :func:`kolba.json.jsonify` calls this on the current application.
        No arguments serialize ``null``; one positional argument is serialized
        as is; several become a list; keyword arguments become an object.

        :param args: A value, or several values to send as a list.
        :param kwargs: Names and values to send as an object.
        :return: An instance of the application's ``response_class``.
        :raises TypeError: If both positional and keyword arguments are given.
        """
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


def _json_default(o: Any) -> Any:
    if isinstance(o, date):
        return _http_date(o)
    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _http_date(value: date) -> str:
    # SPEC: RFC 9110 §5.6.7 IMF-fixdate, always in GMT. A plain date means
    # midnight UTC; a naive datetime is taken to be UTC already.
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return email.utils.format_datetime(value, usegmt=True)


class DefaultJSONProvider(JSONProvider):
    """JSON operations with the standard library's :mod:`json`.

    Besides the JSON types, it serializes:

    - :class:`datetime.datetime` and :class:`datetime.date` as HTTP dates
      (``"Thu, 02 Jan 2020 03:04:05 GMT"``), converted to UTC; naive values
      are taken to be UTC. Note this drops sub-second precision; serialize
      ``value.isoformat()`` yourself if you need it.
    - :class:`decimal.Decimal` and :class:`uuid.UUID` as strings.
    - dataclass instances through :func:`dataclasses.asdict`.
    - anything with an ``__html__`` method (such as
      :class:`markupsafe.Markup`) as the string that method returns.

    Options are class attributes; change them on a subclass or on the
    instance, for example ``app.json.sort_keys = False``.
    """

    default: Callable[[Any], Any] = staticmethod(_json_default)
    """Called for objects :mod:`json` cannot serialize. It returns a value
    that can be serialized, or raises :class:`TypeError`."""

    ensure_ascii = True
    """Escape non-ASCII characters as ``\\uXXXX``. Turning it off gives
    smaller output for non-English text."""

    sort_keys = True
    """Sort the keys of objects, which gives stable output for caching and
    tests. All keys must then be strings. Turning it off is faster."""

    compact: bool | None = None
    """Whether :meth:`response` leaves out indentation and spaces. ``None``
    means compact unless the application is in debug mode."""

    mimetype = "application/json"
    """The mimetype :meth:`response` sets."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        # PERF: json.dumps() with any non-default option builds a new
        # JSONEncoder on every call. Reusing one per option set is about 30%
        # faster for typical API payloads. The options are part of the key,
        # so changing an attribute after creation still takes effect.
        self._encoders: dict[tuple[Any, ...], json.JSONEncoder] = {}

    def _encoder(self, layout: str) -> json.JSONEncoder:
        # layout: "plain" is json.dumps()'s own spacing, "compact" drops the
        # spaces, "pretty" indents by two.
        default = self.default
        key = (default, self.ensure_ascii, self.sort_keys, layout)
        encoder = self._encoders.get(key)
        if encoder is None:
            encoder = json.JSONEncoder(
                default=default,
                ensure_ascii=self.ensure_ascii,
                sort_keys=self.sort_keys,
                indent=2 if layout == "pretty" else None,
                separators=(",", ":") if layout == "compact" else None,
            )
            self._encoders[key] = encoder
        return encoder

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize ``obj`` to a JSON string with :func:`json.dumps`.

        :attr:`default`, :attr:`ensure_ascii` and :attr:`sort_keys` supply
        defaults for the options of the same names.

        :param obj: The data to serialize.
        :param kwargs: Passed to :func:`json.dumps`; they override the
            attributes.
        :raises TypeError: If ``obj`` contains a value that cannot be
            serialized.
        """
        if not kwargs:
            return self._encoder("plain").encode(obj)
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Deserialize a JSON document with :func:`json.loads`.

        :param s: Text, or bytes in UTF-8, UTF-16 or UTF-32.
        :param kwargs: Passed to :func:`json.loads`.
        :raises json.JSONDecodeError: If ``s`` is not valid JSON.
        """
        return json.loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """Serialize the arguments and return a JSON response.

        The body ends with a newline. It is compact (no spaces) unless
        :attr:`compact` is false, or is ``None`` and the application is in
        debug mode; then it is indented by two spaces. The mimetype is
        :attr:`mimetype`.

        :param args: A value, or several values to send as a list.
        :param kwargs: Names and values to send as an object.
        :return: An instance of the application's ``response_class``.
        :raises TypeError: If both positional and keyword arguments are given,
            or a value cannot be serialized.
        """
        obj = self._prepare_response_obj(args, kwargs)
        compact = self.compact
        pretty = compact is False or (compact is None and self._app.debug)
        if type(self).dumps is DefaultJSONProvider.dumps:
            body = self._encoder("pretty" if pretty else "compact").encode(obj)
        elif pretty:
            # A subclass replaced dumps(); honour it, as Flask does.
            body = self.dumps(obj, indent=2)
        else:
            body = self.dumps(obj, separators=(",", ":"))
        return self._app.response_class(f"{body}\n", mimetype=self.mimetype)
