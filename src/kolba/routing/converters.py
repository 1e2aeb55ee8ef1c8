"""Converters: how a ``<name>`` slot in a rule matches, converts and builds.

A converter is created once per slot when a rule is added to a :class:`~.Map`. Its
:attr:`~BaseConverter.regex` decides which text the slot accepts while matching,
:meth:`~BaseConverter.to_python` turns the matched text into the value the view
receives, and :meth:`~BaseConverter.to_url` turns a value back into URL text when
building. ``to_url`` must return text that is already safe for a URL path: the
builder inserts it as is, so a converter that joins several quoted pieces
(``"a,b"``) is not quoted twice.
"""

from __future__ import annotations

import re
import typing as t
import uuid
from urllib.parse import quote

if t.TYPE_CHECKING:
    from .map import Map

#: Characters left unquoted in a path segment: the WHATWG URL "path percent-encode
#: set" complement for sub-delimiters, which browsers and Werkzeug leave alone too.
PATH_SAFE = "!$&'()*+,/:;=@"


def quote_path(value: str) -> str:
    """Percent-encode ``value`` for use inside a URL path (UTF-8, ``/`` kept)."""
    return quote(value, safe=PATH_SAFE)


class ValidationError(ValueError):
    """Raised by :meth:`BaseConverter.to_python` to reject a matched value.

    The rule that owns the converter then does not match, and matching goes on
    with the next candidate rule, as if the regex had not matched.
    """


class BaseConverter:
    """Base class for converters; accepts one non-empty path segment.

    Subclass it to add a converter, set :attr:`regex` and override
    :meth:`to_python` and :meth:`to_url`, then register the class on the map
    before adding rules that use it::

        app.url_map.converters["list"] = ListConverter

    :param map: the :class:`~.Map` the rule is being added to.
    :param args: positional arguments written in the rule, ``<conv(a, b):name>``.
    :param kwargs: keyword arguments written in the rule, ``<conv(x=1):name>``.
    """

    #: The regular expression a slot must match (without anchors or slashes,
    #: unless :attr:`part_isolating` is false).
    regex: str = "[^/]+"
    #: Sort key among dynamic alternatives: lower weights are tried first.
    weight: int = 100
    #: Whether the regex stays inside one path segment. Set automatically to
    #: ``False`` for subclasses whose own ``regex`` contains a ``/``.
    part_isolating: bool = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        # A converter whose pattern can match "/" must see the rest of the path,
        # not one segment; infer that unless the subclass says otherwise.
        if "regex" in cls.__dict__ and "part_isolating" not in cls.__dict__:
            cls.part_isolating = "/" not in cls.regex

    def __init__(self, map: Map, *args: t.Any, **kwargs: t.Any) -> None:
        self.map = map

    def to_python(self, value: str) -> t.Any:
        """Convert the matched text into the value passed to the view.

        :raise ValidationError: to make the rule not match this URL.
        """
        return value

    def to_url(self, value: t.Any) -> str:
        """Convert a value into URL path text, percent-encoded."""
        return quote(str(value), safe=PATH_SAFE)


class UnicodeConverter(BaseConverter):
    """The default converter: any text within one path segment.

    ``<name>``, ``<string:name>``, ``<string(length=2):code>``.

    :param minlength: the minimum length, at least 1.
    :param maxlength: the maximum length, or ``None`` for no limit.
    :param length: an exact length, overriding the two above.
    """

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map)
        if length is not None:
            quantifier = f"{{{int(length)}}}"
        else:
            upper = "" if maxlength is None else str(int(maxlength))
            quantifier = f"{{{int(minlength)},{upper}}}"
        self.regex = f"[^/]{quantifier}"


class AnyConverter(BaseConverter):
    """One of a fixed set of words: ``<any(about, help, "a b"):page>``.

    :param items: the accepted values.
    """

    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        if not items:
            raise ValueError(
                "The 'any' converter needs at least one item, as in "
                "'<any(about, help):page>'."
            )
        self.items = {str(item) for item in items}
        self.regex = "(?:" + "|".join(re.escape(str(item)) for item in items) + ")"

    def to_url(self, value: t.Any) -> str:
        if value in self.items:
            return quote(str(value), safe=PATH_SAFE)
        choices = ", ".join(repr(item) for item in sorted(self.items))
        raise ValueError(f"{value!r} is not one of {choices}.")


class PathConverter(BaseConverter):
    """Like the default converter, but also matches slashes: ``<path:file>``.

    It consumes the rest of the path (minus any static text after it in the
    rule), so it is tried after every one-segment alternative.
    """

    regex = "[^/].*?"
    weight = 200
    part_isolating = False


class NumberConverter(BaseConverter):
    """Shared logic of :class:`IntegerConverter` and :class:`FloatConverter`."""

    weight = 50
    num_convert: t.Callable[[t.Any], t.Any] = int

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: t.Any = None,
        max: t.Any = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map)
        if signed:
            self.regex = "-?" + type(self).regex
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed
        if (
            not fixed_digits
            and min is None
            and max is None
            and type(self).to_python is NumberConverter.to_python
        ):
            # PERF: without limits, conversion is the number type alone.
            self.to_python = self._convert_only  # type: ignore[method-assign]  # PERF: per-instance fast path

    def _convert_only(self, value: str) -> t.Any:
        try:
            return self.num_convert(value)
        except ValueError:
            raise ValidationError() from None

    def to_python(self, value: str) -> t.Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        try:
            number = self.num_convert(value)
        except ValueError:
            raise ValidationError() from None
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number

    def to_url(self, value: t.Any) -> str:
        text = str(self.num_convert(value))
        if self.fixed_digits:
            text = text.zfill(self.fixed_digits)
        return text


class IntegerConverter(NumberConverter):
    """Unsigned integers by default: ``<int:id>``, ``<int(min=1, signed=True):n>``.

    :param fixed_digits: exact number of digits (zero-padded when building).
    :param min: the smallest accepted value.
    :param max: the largest accepted value.
    :param signed: also accept negative values.
    """

    regex = r"\d+"


class FloatConverter(NumberConverter):
    """Unsigned decimals with a dot by default: ``<float:ratio>``.

    :param min: the smallest accepted value.
    :param max: the largest accepted value.
    :param signed: also accept negative values.
    """

    regex = r"\d+\.\d+"
    num_convert = float

    def __init__(
        self,
        map: Map,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)


class UUIDConverter(BaseConverter):
    """A UUID in its canonical hyphenated form, converted to :class:`uuid.UUID`."""

    regex = (
        r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-"
        r"[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"
    )

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value: t.Any) -> str:
        return str(value)


#: The converters every new :class:`~.Map` starts with (copied, so each map's
#: :attr:`~.Map.converters` can be extended without affecting others).
DEFAULT_CONVERTERS: t.Mapping[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}
