"""Compact JSON that round-trips the types sessions commonly hold.

Plain JSON turns a tuple into a list and cannot hold bytes, datetimes or UUIDs.
Each such value is written as a one-key object whose key is a tag starting
with a space (``{" t": [1, 2]}``), which ordinary session keys never do. A
real dict with one such key is itself wrapped (``" di"``), so decoding is
never ambiguous.
"""

from __future__ import annotations

import json
import typing as t
from base64 import b64decode, b64encode
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from uuid import UUID

from markupsafe import Markup

__all__ = ["TaggedJSONSerializer"]


class TaggedJSONSerializer:
    """``dumps``/``loads`` for session data, with tags for non-JSON types."""

    def _tag(self, value: t.Any) -> t.Any:
        if isinstance(value, dict):
            tagged = {k: self._tag(v) for k, v in value.items()}
            if len(value) == 1 and next(iter(value)).startswith(" "):
                return {" di": tagged}
            return tagged
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
            return {" d": format_datetime(value, usegmt=value.tzinfo is not None)}
        return value

    def _untag(self, value: t.Any) -> t.Any:
        if isinstance(value, dict):
            if len(value) == 1:
                key, inner = next(iter(value.items()))
                if key == " di":
                    return dict(inner)
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
            return value
        return value

    def dumps(self, value: t.Any) -> str:
        """Serialize to compact JSON with tags."""
        return json.dumps(self._tag(value), separators=(",", ":"), ensure_ascii=True)

    def loads(self, value: str | bytes) -> t.Any:
        """Parse JSON written by :meth:`dumps`."""
        return json.loads(value, object_hook=self._untag)
