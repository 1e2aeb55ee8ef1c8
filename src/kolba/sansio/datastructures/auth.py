"""The ``Authorization`` request header and the ``WWW-Authenticate`` challenge."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "Authorization",
    "WWWAuthenticate",
]


class Authorization:
    """The ``Authorization`` header: a scheme plus credentials.

    ``Basic`` credentials appear as :attr:`username` and :attr:`password`;
    token schemes (``Bearer``) as :attr:`token`; schemes with parameters
    (``Digest``) in :attr:`parameters`.

    :param auth_type: the scheme, stored lower-case.
    :param data: the scheme's parameters.
    :param token: the token of a token scheme.
    """

    def __init__(
        self,
        auth_type: str,
        data: Mapping[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type.lower()
        self.parameters: dict[str, str | None] = dict(data or {})
        self.token = token

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse a header value; ``None`` when absent or malformed."""
        from ..http import parse_authorization_header

        return parse_authorization_header(value)

    @property
    def username(self) -> str | None:
        """The user name (Basic and Digest)."""
        return self.parameters.get("username")

    @property
    def password(self) -> str | None:
        """The password (Basic)."""
        return self.parameters.get("password")

    def __getattr__(self, name: str) -> str | None:
        # Digest and similar schemes: auth.realm, auth.nonce …
        if name.startswith("__"):
            raise AttributeError(name)
        return self.parameters.get(name)

    def get(self, key: str, default: str | None = None) -> str | None:
        """Return a parameter, or ``default``."""
        value = self.parameters.get(key)
        return default if value is None else value

    def __getitem__(self, key: str) -> str | None:
        return self.parameters[key]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.parameters, self.token) == (
            other.type,
            other.parameters,
            other.token,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable

    def to_header(self) -> str:
        """Serialize to a header value."""
        import base64

        if self.type == "basic":
            raw = f"{self.username or ''}:{self.password or ''}".encode()
            return "Basic " + base64.b64encode(raw).decode("ascii")
        scheme = self.type.title()
        if self.token is not None:
            return f"{scheme} {self.token}"
        from ..http import dump_header

        return f"{scheme} {dump_header(self.parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class WWWAuthenticate:
    """The ``WWW-Authenticate`` challenge sent with a 401 response.

    :param auth_type: the scheme, such as ``"basic"``.
    :param values: challenge parameters, such as ``{"realm": "admin"}``.
    :param token: a token68 challenge instead of parameters.
    """

    def __init__(
        self,
        auth_type: str = "basic",
        values: Mapping[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type.lower()
        self.parameters: dict[str, str | None] = dict(values or {})
        self.token = token

    @property
    def realm(self) -> str | None:
        """The protection space."""
        return self.parameters.get("realm")

    @realm.setter
    def realm(self, value: str | None) -> None:
        self.parameters["realm"] = value

    def to_header(self) -> str:
        """Serialize to a header value."""
        scheme = self.type.title()
        if self.token is not None:
            return f"{scheme} {self.token}"
        if not self.parameters:
            return scheme
        from ..http import quote_header_value

        params = ", ".join(
            f"{key}={quote_header_value(value or '', allow_token=key != 'realm')}"
            for key, value in self.parameters.items()
        )
        return f"{scheme} {params}"

    def __str__(self) -> str:
        return self.to_header()
