"""Sessions: a dict per client, kept between requests.

The default :class:`SecureCookieSessionInterface` stores the session in a
cookie signed with HMAC-SHA256 under a key derived from ``SECRET_KEY``. The
client can *read* such a cookie (it is signed, not encrypted) but cannot
change it. Keep secrets out of cookie sessions; use a server-side interface for
them.

A cookie that is forged, truncated, expired or signed with an unknown key
yields an empty session — never an error page.
"""

from __future__ import annotations

import hashlib
import typing as t
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeTimedSerializer

from .json.tag import TaggedJSONSerializer

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .request import Request
    from .response import Response

__all__ = [
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
]


class SessionMixin(t.MutableMapping[str, t.Any]):
    """What every session offers on top of a dict."""

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser (PERMANENT_SESSION_LIFETIME)."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    #: True for a session that was just created (no cookie came in).
    new = False
    #: True once the session was changed; only then is the cookie re-sent.
    modified = True
    #: True once the session was read; the response then varies on Cookie.
    accessed = True


class SecureCookieSession(dict[str, t.Any], SessionMixin):
    """The session stored in a signed cookie; tracks reads and writes."""

    modified = False
    accessed = False

    def __init__(self, initial: t.Any = None) -> None:
        super().__init__(initial or ())

    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        if key not in self:
            self.modified = True
        return super().setdefault(key, default)

    def __setitem__(self, key: str, value: t.Any) -> None:
        self.accessed = self.modified = True
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.accessed = self.modified = True
        super().__delitem__(key)

    def pop(self, key: str, *default: t.Any) -> t.Any:
        self.accessed = self.modified = True
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, t.Any]:
        self.accessed = self.modified = True
        return super().popitem()

    def clear(self) -> None:
        self.accessed = self.modified = True
        super().clear()

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.accessed = self.modified = True
        super().update(*args, **kwargs)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)


class NullSession(SecureCookieSession):
    """The session used when no SECRET_KEY is set: reading works, writing fails."""

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(
            "The session is unavailable because no secret key was set. Set "
            "SECRET_KEY on the application to something unique and secret, for "
            "example: app.secret_key = secrets.token_hex() (keep it out of your "
            "source code; load it from the environment)."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


class SessionInterface:
    """How sessions are loaded and saved; replace ``app.session_interface``.

    Subclass it and implement :meth:`open_session` and :meth:`save_session`.
    """

    null_session_class = NullSession
    pickle_based = False

    def make_null_session(self, app: Kolba) -> NullSession:
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Kolba) -> str:
        return str(app.config["SESSION_COOKIE_NAME"])

    def get_cookie_domain(self, app: Kolba) -> str | None:
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Kolba) -> str:
        return str(app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"])

    def get_cookie_httponly(self, app: Kolba) -> bool:
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: Kolba) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: Kolba) -> str | None:
        samesite: str | None = app.config["SESSION_COOKIE_SAMESITE"]
        return samesite

    def get_cookie_partitioned(self, app: Kolba) -> bool:
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(self, app: Kolba, session: SessionMixin) -> datetime | None:
        if session.permanent:
            return datetime.now(UTC) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Kolba, session: SessionMixin) -> bool:
        return session.modified or (
            session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    def open_session(self, app: Kolba, request: Request) -> SessionMixin | None:
        raise NotImplementedError(  # an abstract hook, documented above
            f"{type(self).__name__} must implement open_session()."
        )

    def save_session(
        self, app: Kolba, session: SessionMixin, response: Response
    ) -> None:
        raise NotImplementedError(  # an abstract hook, documented above
            f"{type(self).__name__} must implement save_session()."
        )


session_json_serializer = TaggedJSONSerializer()


class SecureCookieSessionInterface(SessionInterface):
    """Sessions in a signed, timestamped cookie (HMAC-SHA256).

    ``SECRET_KEY_FALLBACKS`` lists old keys that are still accepted on read,
    so keys can be rotated without logging everybody out; new cookies are
    always signed with ``SECRET_KEY``.
    """

    salt = "cookie-session"
    digest_method = staticmethod(hashlib.sha256)
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class = SecureCookieSession

    def get_signing_serializer(self, app: Kolba) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys: list[str | bytes] = [app.secret_key]
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        if fallbacks:
            keys.extend(fallbacks)
        # itsdangerous signs with the last key and verifies with any of them.
        keys.reverse()
        return URLSafeTimedSerializer(
            keys,  # type: ignore[arg-type]  # itsdangerous takes mixed str/bytes keys (want_bytes each)
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )

    def open_session(self, app: Kolba, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            session = self.session_class()
            session.new = True
            return session
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = serializer.loads(value, max_age=max_age)
        except (BadSignature, ValueError, TypeError, KeyError, UnicodeError):
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    def save_session(
        self, app: Kolba, session: SessionMixin, response: Response
    ) -> None:
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.modified:
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                response.vary.add("Cookie")
            return
        if not self.should_set_cookie(app, session):
            return
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return
        value = serializer.dumps(dict(session))
        response.set_cookie(
            name,
            value,
            expires=self.get_expiration_time(app, session),
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        response.vary.add("Cookie")
