"""URL routing: rules, converters, matching and building (sans-IO).

``Map`` holds the rules of an application. ``Map.match(method, path)`` finds the
rule for a request or raises ``NotFound``, ``MethodNotAllowed`` or
``RequestRedirect``; ``Map.build(endpoint, values)`` makes a URL or raises
``BuildError``. This package imports nothing of Kolba but ``kolba.exceptions``.
"""

from __future__ import annotations

from .converters import DEFAULT_CONVERTERS as DEFAULT_CONVERTERS
from .converters import AnyConverter as AnyConverter
from .converters import BaseConverter as BaseConverter
from .converters import FloatConverter as FloatConverter
from .converters import IntegerConverter as IntegerConverter
from .converters import NumberConverter as NumberConverter
from .converters import PathConverter as PathConverter
from .converters import UnicodeConverter as UnicodeConverter
from .converters import UUIDConverter as UUIDConverter
from .converters import ValidationError as ValidationError
from .map import BuildError as BuildError
from .map import Map as Map
from .map import MapAdapter as MapAdapter
from .rules import Rule as Rule
from .rules import parse_converter_args as parse_converter_args

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "BuildError",
    "FloatConverter",
    "IntegerConverter",
    "Map",
    "MapAdapter",
    "NumberConverter",
    "PathConverter",
    "Rule",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
    "parse_converter_args",
]
