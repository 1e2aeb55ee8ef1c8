"""The HMAC timestamp signer (kolba.signing): keys, format, expiry, payloads."""

from __future__ import annotations

import hmac
import json
import time
import zlib

import pytest

import kolba.sessions
import kolba.signing
from kolba.signing import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    _b64encode,
    _KeyedHmac,
    derive_key,
)


def test_names_stay_importable_from_sessions() -> None:
    for name in ("BadSignature", "SignatureExpired", "TimestampSigner", "derive_key"):
        assert getattr(kolba.sessions, name) is getattr(kolba.signing, name)


def test_keyed_hmac_matches_stdlib_hmac() -> None:
    for digest in ("sha256", "sha384", "sha512"):
        for key in (b"", b"k", b"k" * 64, b"k" * 200):
            message = b"payload.12345"
            assert _KeyedHmac(key, digest).digest(message) == hmac.digest(
                key, message, digest
            )


def test_derived_key_is_hmac_of_the_salt() -> None:
    expected = hmac.digest(b"secret", b"some-salt", "sha256")
    assert derive_key("secret", "some-salt") == expected
    assert derive_key(b"secret", b"some-salt") == expected


def test_sign_format_is_value_timestamp_signature() -> None:
    signed = TimestampSigner(["secret"], "salt").sign("value", 1234567890)
    value, stamp, signature = signed.split(".")
    assert (value, stamp) == ("value", "1234567890")
    key = derive_key("secret", "salt")
    assert signature == _b64encode(hmac.digest(key, b"value.1234567890", "sha256"))
    assert len(signature) == 43


def test_salt_separates_keys() -> None:
    signed = TimestampSigner(["secret"], "cookie-session").sign("value")
    with pytest.raises(BadSignature):
        TimestampSigner(["secret"], "another-use").unsign(signed)


def test_every_key_verifies_but_the_first_signs() -> None:
    old = TimestampSigner(["old"], "salt").sign("value")
    rotated = TimestampSigner(["new", "old"], "salt")
    assert rotated.unsign(old)[0] == "value"
    with pytest.raises(BadSignature):
        TimestampSigner(["old"], "salt").unsign(rotated.sign("value"))


def test_no_secret_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        TimestampSigner([], "salt")


def test_unsign_reports_expiry() -> None:
    signer = TimestampSigner(["k"], "s")
    with pytest.raises(SignatureExpired):
        signer.unsign(signer.sign("v", int(time.time()) - 100), max_age=10)


def test_future_timestamp_is_rejected_beyond_clock_skew() -> None:
    signer = TimestampSigner(["k"], "s")
    now = int(time.time())
    assert signer.unsign(signer.sign("v", now + 30), max_age=10)[0] == "v"
    with pytest.raises(BadSignature, match="future"):
        signer.unsign(signer.sign("v", now + 3600), max_age=10)


@pytest.mark.parametrize(
    "signed", ["", "v", "v.1", "v.x.sig", "v.1.sig", "vé.1.sig", "v.1234567890123.s"]
)
def test_malformed_values_are_bad_signatures(signed: str) -> None:
    with pytest.raises(BadSignature):
        TimestampSigner(["k"], "s").unsign(signed)


def test_dumps_and_loads_round_trip_and_compress() -> None:
    signer = TimestampSigner(["k"], "s")
    small = {"a": 1}
    assert signer.loads(signer.dumps(small)) == small
    assert not signer.dumps(small).startswith(".")
    large = {"text": "x" * 2000}
    signed = signer.dumps(large)
    assert signed.startswith(".")
    assert len(signed) < 200
    assert signer.loads(signed) == large


def test_decompression_is_bounded() -> None:
    signer = TimestampSigner(["k"], "s")
    bomb = zlib.compress(json.dumps({"x": "0" * (2 << 20)}).encode())
    with pytest.raises(BadSignature, match="1 MiB"):
        signer.loads(signer.sign("." + _b64encode(bomb)))


def test_unparsable_payload_is_a_bad_signature() -> None:
    signer = TimestampSigner(["k"], "s")
    with pytest.raises(BadSignature, match="does not parse"):
        signer.loads(signer.sign(_b64encode(b"not json")))
