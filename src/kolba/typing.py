"""Named types for every public callback shape.

Users see ``ResponseReturnValue`` in an error message instead of a long union.
WSGI's environ is ``dict[str, Any]`` because PEP 3333 leaves its values untyped.
"""

from __future__ import annotations

import typing as t
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence

if t.TYPE_CHECKING:  # pragma: no cover
    from .response import Response
    from .sansio.datastructures import Headers

# The WSGI environ: PEP 3333 gives its values no types.
WSGIEnvironment = dict[str, t.Any]
StartResponse = Callable[..., t.Any]
WSGIApplication = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]

ResponseValue = t.Union[
    "Response",
    str,
    bytes,
    bytearray,
    list[t.Any],
    Mapping[str, t.Any],
    Iterator[str],
    Iterator[bytes],
]
HeaderValue = t.Union[str, list[str], tuple[str, ...]]
HeadersValue = t.Union[
    "Headers",
    Mapping[str, HeaderValue],
    Sequence[tuple[str, HeaderValue]],
]
ResponseReturnValue = t.Union[
    ResponseValue,
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, int],
    tuple[ResponseValue, str],
    tuple[ResponseValue, int, HeadersValue],
    tuple[ResponseValue, str, HeadersValue],
    WSGIApplication,
]
ResponseClass = t.TypeVar("ResponseClass", bound="Response")

AfterRequestCallable = t.Union[
    Callable[[ResponseClass], ResponseClass],
    Callable[[ResponseClass], Awaitable[ResponseClass]],
]
BeforeRequestCallable = t.Union[
    Callable[[], t.Optional[ResponseReturnValue]],
    Callable[[], Awaitable[t.Optional[ResponseReturnValue]]],
]
TeardownCallable = t.Union[
    Callable[[t.Optional[BaseException]], None],
    Callable[[t.Optional[BaseException]], Awaitable[None]],
]
TemplateContextProcessorCallable = t.Union[
    Callable[[], dict[str, t.Any]],
    Callable[[], Awaitable[dict[str, t.Any]]],
]
TemplateFilterCallable = Callable[..., t.Any]
TemplateGlobalCallable = Callable[..., t.Any]
TemplateTestCallable = Callable[..., bool]
URLDefaultCallable = Callable[[str, dict[str, t.Any]], None]
URLValuePreprocessorCallable = Callable[
    [t.Optional[str], t.Optional[dict[str, t.Any]]], None
]
ErrorHandlerCallable = t.Union[
    Callable[[t.Any], ResponseReturnValue],
    Callable[[t.Any], Awaitable[ResponseReturnValue]],
]
RouteCallable = t.Union[
    Callable[..., ResponseReturnValue],
    Callable[..., Awaitable[ResponseReturnValue]],
]
