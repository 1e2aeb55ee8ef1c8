"""Signed, timestamped values: HMAC over ``value.timestamp``.

Used by the cookie session (:mod:`kolba.sessions`), by
:mod:`kolba.ext.redis_sessions` (signed session ids) and by
:mod:`kolba.ext.csrf` (tokens).

Format
------

:meth:`TimestampSigner.sign` turns an ASCII ``value`` into::

    <value>.<timestamp>.<signature>

- ``timestamp``: the signing time, whole seconds since the epoch, in decimal.
- ``signature``: ``HMAC-<digest>(key, value + "." + timestamp)``, base64url
  without padding (43 characters for SHA-256).

The key is never the secret itself but ``HMAC-<digest>(secret, salt)``
(:func:`derive_key`), so one secret can sign several kinds of value without
a signature for one being replayable as another. Derived keys (and their HMAC
pad states) are computed once per secret, not per call.

:meth:`TimestampSigner.dumps` signs a serialized object: the payload is the
serializer's output (tagged JSON by default) in base64url without padding;
output longer than 200 bytes is zlib-compressed when that is shorter, and the
payload then starts with ``.``. :meth:`~TimestampSigner.loads` verifies first
(constant-time, every key in turn, then the age) and only then decompresses
(bounded to 1 MiB) and parses.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import time
import typing as t
import zlib
from collections.abc import Sequence

from .json.tag import TaggedJSONSerializer

__all__ = [
    "BadSignature",
    "SignatureExpired",
    "TimestampSigner",
    "derive_key",
]

#: Accepted clock skew between servers that share a key, in seconds.
_CLOCK_SKEW = 60
#: Serialized data above this many bytes is compressed when that helps.
_COMPRESS_ABOVE = 200
#: Decompressed payloads larger than this are rejected (zip-bomb guard).
_MAX_DECOMPRESSED = 1 << 20

#: The default serializer of :class:`TimestampSigner` (tagged JSON).
_TAGGED_JSON = TaggedJSONSerializer()


class BadSignature(ValueError):
    """A signed value was forged, tampered with, truncated or malformed."""


class SignatureExpired(BadSignature):
    """A signed value is authentic but older than the allowed age."""


_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = str.maketrans("-_", "+/")


def _b64encode(data: bytes) -> str:
    """base64url without padding."""
    return (
        binascii.b2a_base64(data, newline=False)
        .translate(_TO_URLSAFE)
        .rstrip(b"=")
        .decode("ascii")
    )


def _b64decode(text: str) -> bytes:
    """Decode base64url with or without padding; :class:`ValueError` if invalid."""
    padded = text.translate(_FROM_URLSAFE) + "=" * (-len(text) % 4)
    return binascii.a2b_base64(padded, strict_mode=True)


_derived_keys: dict[tuple[bytes, bytes, str], bytes] = {}


def derive_key(secret: str | bytes, salt: str | bytes, digest: str = "sha256") -> bytes:
    """The signing key for ``salt``: ``HMAC-<digest>(secret, salt)``, cached.

    :param secret: the application's secret (``SECRET_KEY`` or a fallback).
    :param salt: what the key is for (``"cookie-session"``, ...).
    :param digest: a :mod:`hashlib` name, ``"sha256"`` or stronger.
    """
    secret_bytes = secret.encode("utf-8") if isinstance(secret, str) else secret
    salt_bytes = salt.encode("utf-8") if isinstance(salt, str) else salt
    cache_key = (secret_bytes, salt_bytes, digest)
    key = _derived_keys.get(cache_key)
    if key is None:
        if len(_derived_keys) > 64:  # a few apps, a few rotations: stay bounded
            _derived_keys.clear()
        key = _derived_keys[cache_key] = hmac.digest(secret_bytes, salt_bytes, digest)
    return key


class _KeyedHmac:
    """HMAC (RFC 2104) with the key's inner and outer pads hashed once.

    PERF: ``hmac.digest`` hashes both 64-byte pads on every call; copying
    the two prepared hash states is about twice as fast for cookie-sized
    messages. The result is byte-for-byte ``hmac.digest(key, msg, digest)``
    (a test checks it).
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes, digest: str) -> None:
        inner = hashlib.new(digest)
        block_size = inner.block_size
        if len(key) > block_size:
            key = hashlib.new(digest, key).digest()
        key = key.ljust(block_size, b"\0")
        inner.update(key.translate(_IPAD))
        outer = hashlib.new(digest)
        outer.update(key.translate(_OPAD))
        self._inner = inner
        self._outer = outer

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


_IPAD = bytes(byte ^ 0x36 for byte in range(256))
_OPAD = bytes(byte ^ 0x5C for byte in range(256))


class TimestampSigner:
    """Sign and verify values with HMAC and a signing time.

    ``dumps``/``loads`` serialize as well (the session cookie format above);
    ``sign``/``unsign`` work on ASCII text. The first secret signs; all of
    them verify (put the current key first, then the fallbacks).

    :param secrets: the current secret, then older ones still accepted.
    :param salt: separates uses of one secret (see :func:`derive_key`).
    :param serializer: an object with ``dumps`` and ``loads``.
    :param digest: a :mod:`hashlib` name, ``"sha256"`` or stronger.
    """

    def __init__(
        self,
        secrets: Sequence[str | bytes],
        salt: str | bytes,
        serializer: t.Any = _TAGGED_JSON,
        digest: str = "sha256",
    ) -> None:
        if not secrets:
            raise ValueError("TimestampSigner needs at least one secret key.")
        self.keys = [derive_key(secret, salt, digest) for secret in secrets]
        self.digest = digest
        self.serializer = serializer
        self._macs = [_KeyedHmac(key, digest) for key in self.keys]

    def sign(self, value: str, timestamp: int | None = None) -> str:
        """Return ``value.timestamp.signature`` (``value`` must be ASCII)."""
        if timestamp is None:
            timestamp = int(time.time())
        message = f"{value}.{timestamp}"
        signature = _b64encode(self._macs[0].digest(message.encode("ascii")))
        return f"{message}.{signature}"

    def unsign(self, signed: str, max_age: float | None = None) -> tuple[str, int]:
        """Verify ``signed``; return ``(value, timestamp)``.

        :param max_age: the oldest signature accepted, in seconds.
        :raises SignatureExpired: if older than ``max_age``.
        :raises BadSignature: if forged, tampered with or malformed.
        """
        if not signed.isascii():
            raise BadSignature("The signed value is not ASCII.")
        message, dot, signature = signed.rpartition(".")
        value, dot2, stamp = message.rpartition(".")
        if not dot2 or not stamp.isdigit() or len(stamp) > 12:
            raise BadSignature("The signed value is not value.timestamp.signature.")
        encoded = message.encode("ascii")
        for mac in self._macs:
            # SECURITY: constant-time; comparing the canonical base64url text
            # (not decoded bytes) also rejects other spellings of a signature.
            if hmac.compare_digest(_b64encode(mac.digest(encoded)), signature):
                break
        else:
            raise BadSignature("The signature does not match any key.")
        timestamp = int(stamp)
        if max_age is not None:
            age = time.time() - timestamp
            if age > max_age:
                raise SignatureExpired(
                    f"The signature is {age:.0f} s old (> {max_age})."
                )
            if age < -_CLOCK_SKEW:
                raise BadSignature("The signature is dated in the future.")
        return value, timestamp

    def dumps(self, obj: t.Any) -> str:
        """Serialize ``obj`` and sign it (the session cookie format)."""
        data = self.serializer.dumps(obj).encode("utf-8")
        if len(data) > _COMPRESS_ABOVE:
            compressed = zlib.compress(data)
            if len(compressed) < len(data) - 1:
                return self.sign("." + _b64encode(compressed))
        return self.sign(_b64encode(data))

    def loads(self, signed: str, max_age: float | None = None) -> t.Any:
        """Verify and deserialize a value made by :meth:`dumps`.

        :raises BadSignature: (or :class:`SignatureExpired`) on any failure.
        """
        payload, _ = self.unsign(signed, max_age)
        try:
            if payload[:1] == ".":
                inflater = zlib.decompressobj()
                data = inflater.decompress(_b64decode(payload[1:]), _MAX_DECOMPRESSED)
                if inflater.unconsumed_tail:
                    raise BadSignature("The payload decompresses to over 1 MiB.")
            else:
                data = _b64decode(payload)
            return self.serializer.loads(data)
        except (ValueError, TypeError, KeyError, IndexError, zlib.error) as exc:
            # A payload we signed always parses, unless the serializer changed.
            raise BadSignature(f"The payload does not parse: {exc}") from None
