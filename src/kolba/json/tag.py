"""Compact JSON that round-trips the types sessions commonly hold.

Plain JSON turns a tuple into a list and cannot hold bytes, datetimes or UUIDs.
Each such value is written as a one-key object whose key is a tag starting
with a space (``{" t": [1, 2]}``), which ordinary session keys never do:

========  ==============================  =================================
tag       Python value                    JSON value
========  ==============================  =================================
``" t"``  ``tuple``                       list of (tagged) items
``" b"``  ``bytes``                       standard base64 text
``" m"``  ``Markup`` (has ``__html__``)   the HTML text
``" u"``  ``uuid.UUID``                   32 hex digits
``" d"``  ``datetime``                    RFC 2822 date, UTC, whole seconds
``" di"`` a dict with one ``" "``-key     the dict, each key suffixed ``__``
========  ==============================  =================================

A real dict whose only key starts with a space would read as a tag, so it is
wrapped as ``" di"`` and its key gets a ``__`` suffix; the suffix keeps the
inner object from being mistaken for a tag when the decoder, which works from
the innermost object outwards, reaches it first.
"""

from __future__ import annotations

import json
import typing as t
from base64 import b64decode, b64encode
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from json.scanner import make_scanner
from uuid import UUID

from markupsafe import Markup

__all__ = ["TaggedJSONSerializer"]

# PERF: most session values are plain JSON scalars; one type() lookup skips
# the isinstance() chain for them.
_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})


class TaggedJSONSerializer:
    """``dumps``/``loads`` for session data, with tags for non-JSON types.

    ``loads`` only needs to read what ``dumps`` wrote: sessions verify a
    signature (or read from a trusted store) before calling it.
    """

    def __init__(self) -> None:
        # PERF: json.dumps/loads with arguments build a new encoder/decoder
        # per call; these are built once. JSONEncoder.encode still builds its
        # C encoder per call, so the C encoder is built once here when the
        # interpreter has it (CPython does). Without circular-reference
        # markers, a self-containing value fails with RecursionError.
        encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)
        self._encode: t.Callable[[t.Any], str] = encoder.encode
        if c_make_encoder is not None:
            try:
                c_encoder = c_make_encoder(
                    None,  # markers (circular-reference check)
                    encoder.default,
                    encode_basestring_ascii,
                    None,  # indent
                    ":",
                    ",",
                    False,  # sort_keys
                    False,  # skipkeys
                    True,  # allow_nan
                )
            except TypeError:  # pragma: no cover - another interpreter's signature
                pass
            else:
                self._encode = lambda value: "".join(c_encoder(value, 0))
        plain = json.JSONDecoder()
        hooked = json.JSONDecoder(object_hook=self._untag)
        self._plain_decode = plain.decode
        self._decode = hooked.decode
        # PERF: JSONDecoder.decode wraps its scanner in two regex matches for
        # surrounding whitespace, which dumps() never writes.
        # cast: make_scanner reads the decoder's parse_*/hook attributes;
        # typeshed spells that duck type as make_scanner itself.
        self._plain_scan = make_scanner(t.cast(t.Any, plain))
        self._scan = make_scanner(t.cast(t.Any, hooked))

    def _tag(self, value: t.Any) -> t.Any:
        if type(value) in _PLAIN:
            return value
        if isinstance(value, dict):
            # dict.items: a session subclass would count the read as an access.
            items = dict.items(value)
            for key, item in items:
                if type(item) not in _PLAIN or (type(key) is str and key[:1] == " "):
                    break
            else:
                return value
            if len(items) == 1:
                key, inner = next(iter(items))
                if isinstance(key, str) and key.startswith(" "):
                    return {" di": {f"{key}__": self._tag(inner)}}
            return {k: self._tag(v) for k, v in items}
        if isinstance(value, tuple):
            return {" t": [self._tag(item) for item in value]}
        if isinstance(value, list):
            return [self._tag(item) for item in value]
        if isinstance(value, bytes):
            return {" b": b64encode(value).decode("ascii")}
        if callable(getattr(value, "__html__", None)):
            return {" m": str(value.__html__())}
        if isinstance(value, UUID):
            return {" u": value.hex}
        if isinstance(value, datetime):
            # As in Flask: a naive datetime is taken as UTC; every datetime
            # comes back aware, in UTC, without microseconds.
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            return {" d": format_datetime(value.astimezone(UTC), usegmt=True)}
        return value

    def _untag(self, value: dict[str, t.Any]) -> t.Any:
        if len(value) != 1:
            return value
        key, inner = next(iter(value.items()))
        if key[:1] != " ":
            return value
        if key == " t":
            return tuple(inner)
        if key == " b":
            return b64decode(inner)
        if key == " m":
            return Markup(inner)
        if key == " u":
            return UUID(inner)
        if key == " d":
            return parsedate_to_datetime(inner)
        if key == " di" and isinstance(inner, dict) and len(inner) == 1:
            inner_key, inner_value = next(iter(inner.items()))
            return {inner_key[:-2]: inner_value}
        return value

    def dumps(self, value: t.Any) -> str:
        """Serialize to compact JSON with tags."""
        return self._encode(self._tag(value))

    def loads(self, value: str | bytes) -> t.Any:
        """Parse JSON written by :meth:`dumps`.

        :raises ValueError: if ``value`` is not JSON or a tag is malformed.
        """
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        # PERF: every tag is an object key starting with a space, so JSON
        # without '{" ' has no tags and needs no per-object hook.
        tagged = '{" ' in value
        try:
            result, end = (self._scan if tagged else self._plain_scan)(value, 0)
        except StopIteration:
            end = -1
        if end != len(value):
            # Whitespace around the value, or not JSON: the full decoder
            # accepts the first and raises a clear ValueError for the second.
            return (self._decode if tagged else self._plain_decode)(value)
        return result
