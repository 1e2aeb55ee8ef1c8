"""Sessions: a dict per client, kept between requests.

The default :class:`SecureCookieSessionInterface` stores the whole session in
a cookie. The client can *read* such a cookie (it is signed, not encrypted)
but cannot change it. Keep secrets out of cookie sessions; use a server-side
interface such as :class:`kolba.ext.redis_sessions.RedisSessionInterface`.

How the cookie is made
----------------------

The cookie value is three dot-separated ASCII fields::

    <payload>.<timestamp>.<signature>

- ``payload``: the session as compact tagged JSON
  (:class:`~kolba.json.tag.TaggedJSONSerializer`), base64url without padding.
  JSON longer than 200 bytes is zlib-compressed when that is shorter; the
  payload then starts with ``.`` (so the value has four dots).
- ``timestamp``: the signing time, whole seconds since the epoch, in decimal.
- ``signature``: ``HMAC-SHA256(key, payload + "." + timestamp)``, base64url
  without padding (43 characters).

The HMAC key is never ``SECRET_KEY`` itself but
``HMAC-SHA256(SECRET_KEY, salt)`` with the salt ``"cookie-session"`` (the
interface's :attr:`~SecureCookieSessionInterface.salt`), so the same secret
can sign other things (CSRF tokens use another salt) without one signature
being replayable as another. Derived keys (and their HMAC pad states) are
computed once per secret, not per request.

Rules on reading (each failure yields an empty, *new* session — never an
error page):

1. A value longer than ``max(MAX_COOKIE_SIZE, 4096)`` or not ASCII is
   rejected before any hashing.
2. The signature is compared in constant time (:func:`hmac.compare_digest`)
   against ``SECRET_KEY`` first, then each of ``SECRET_KEY_FALLBACKS``; new
   cookies are always signed with ``SECRET_KEY``, so keys can be rotated
   without logging everybody out.
3. The signature's age must be at most ``PERMANENT_SESSION_LIFETIME`` — for
   permanent *and* browser-session cookies, so a stolen cookie stops working
   even if the browser never drops it. A timestamp more than a minute in the
   future (clock skew between servers) is rejected too.
4. Only then is the payload decompressed (bounded) and parsed.

The signing is :class:`kolba.signing.TimestampSigner` (its module documents
the signed format); this module adds the session rules above.

Compared with Flask (itsdangerous' ``URLSafeTimedSerializer``) the security
properties are the same — HMAC-SHA256, a salted key derivation, a signed
timestamp, key rotation — but signing and verifying are a handful of C calls,
which makes a session read-modify-write several times cheaper.
"""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime

from .json.tag import TaggedJSONSerializer
from .sansio.cookies import dump_cookie, parse_cookie
from .sansio.request import RequestHead

# The signer lives in kolba.signing; its names stay importable from here.
from .signing import BadSignature as BadSignature
from .signing import SignatureExpired as SignatureExpired
from .signing import TimestampSigner as TimestampSigner
from .signing import derive_key as derive_key

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .request import Request
    from .response import Response

__all__ = [
    "BadSignature",
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
    "SignatureExpired",
    "TimestampSigner",
]

# The stock Request.cookies descriptor; see open_session.
_REQUEST_COOKIES = RequestHead.__dict__["cookies"]

#: Browsers drop cookies whose name and value exceed about 4 KiB.
_BROWSER_COOKIE_LIMIT = 4096


class SessionMixin(t.MutableMapping[str, t.Any]):
    """What every session offers on top of a dict."""

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser (PERMANENT_SESSION_LIFETIME)."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    #: True for a session that was just created (no valid cookie came in).
    new = False
    #: True once the session was changed; only then is the cookie re-sent.
    modified = True
    #: True once the session was read; the response then varies on Cookie.
    accessed = True


class SecureCookieSession(dict[str, t.Any], SessionMixin):
    """The session stored in a signed cookie; tracks reads and writes.

    ``accessed`` becomes true on any read (including ``in``, ``len``,
    iteration and ``dict(session)``) or write; ``modified`` on any write
    that changes something (``pop`` of a missing key does not). Mutating a
    value in place (``session["cart"].append(x)``) is not seen: set
    ``session.modified = True`` yourself after doing that.
    """

    modified = False
    accessed = False
    _new = False

    def __init__(self, initial: t.Any = None) -> None:
        super().__init__(initial or ())

    @property
    def new(self) -> bool:
        """True when no valid session cookie came in (Flask: always False).

        Reading it counts as an access: the answer depends on the cookie.
        """
        self.accessed = True
        return self._new

    @new.setter
    def new(self, value: bool) -> None:
        self._new = value

    # -- reads

    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __iter__(self) -> t.Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()

    def keys(self) -> t.KeysView[str]:  # type: ignore[override]  # dict_keys is a KeysView
        self.accessed = True
        return super().keys()

    def values(self) -> t.ValuesView[t.Any]:  # type: ignore[override]  # likewise
        self.accessed = True
        return super().values()

    def items(self) -> t.ItemsView[str, t.Any]:  # type: ignore[override]  # likewise
        self.accessed = True
        return super().items()

    def copy(self) -> dict[str, t.Any]:
        self.accessed = True
        return dict(super().items())

    # -- writes (flags are set only once the dict operation succeeded)

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        if not super().__contains__(key):
            self.modified = True
        return super().setdefault(key, default)

    def __setitem__(self, key: str, value: t.Any) -> None:
        super().__setitem__(key, value)
        self.accessed = self.modified = True

    def __delitem__(self, key: str) -> None:
        self.accessed = True
        super().__delitem__(key)
        self.modified = True

    def pop(self, key: str, *default: t.Any) -> t.Any:
        self.accessed = True
        if super().__contains__(key):
            self.modified = True
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, t.Any]:
        self.accessed = True
        item = super().popitem()
        self.modified = True
        return item

    def clear(self) -> None:
        super().clear()
        self.accessed = self.modified = True

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().update(*args, **kwargs)
        self.accessed = self.modified = True


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


#: ``(name, domain, path, secure, httponly, samesite, partitioned)``
_CookieOptions = tuple[str, str | None, str, bool, bool, str | None, bool]


class SessionInterface:
    """How sessions are loaded and saved; replace ``app.session_interface``.

    Subclass it and implement :meth:`open_session` and :meth:`save_session`.
    ``open_session`` is called lazily, the first time a request touches
    ``session``; ``save_session`` after the ``after_request`` functions, and
    only for a session that was opened.
    """

    null_session_class = NullSession
    pickle_based = False

    def make_null_session(self, app: Kolba) -> NullSession:
        """The session used when :meth:`open_session` returns ``None``."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is the null session (it is never saved)."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Kolba) -> str:
        """``SESSION_COOKIE_NAME``."""
        return str(app.config["SESSION_COOKIE_NAME"])

    def get_cookie_domain(self, app: Kolba) -> str | None:
        """``SESSION_COOKIE_DOMAIN``, or ``None`` for a host-only cookie."""
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Kolba) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        return str(app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"])

    def get_cookie_httponly(self, app: Kolba) -> bool:
        """``SESSION_COOKIE_HTTPONLY`` (on by default)."""
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: Kolba) -> bool:
        """``SESSION_COOKIE_SECURE``."""
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: Kolba) -> str | None:
        """``SESSION_COOKIE_SAMESITE`` (``"Lax"`` by default in Kolba)."""
        samesite: str | None = app.config["SESSION_COOKIE_SAMESITE"]
        return samesite

    def get_cookie_partitioned(self, app: Kolba) -> bool:
        """``SESSION_COOKIE_PARTITIONED`` (CHIPS; implies Secure)."""
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(self, app: Kolba, session: SessionMixin) -> datetime | None:
        """When a permanent session's cookie expires; ``None`` otherwise."""
        if session.permanent:
            return datetime.now(UTC) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Kolba, session: SessionMixin) -> bool:
        """Whether to send the cookie: if modified, or to refresh a permanent one."""
        return session.modified or (
            session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    def _cookie_options(self, app: Kolba) -> _CookieOptions:
        """The session cookie's name and attributes, from the ``get_cookie_*`` hooks.

        In the order ``(name, domain, path, secure, httponly, samesite,
        partitioned)``; the hooks are called in a fixed order.
        """
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        return (name, domain, path, secure, httponly, samesite, partitioned)

    def _delete_session_cookie(
        self, response: Response, options: _CookieOptions
    ) -> None:
        """Delete the session cookie described by ``options`` on ``response``."""
        name, domain, path, secure, httponly, samesite, partitioned = options
        response.delete_cookie(
            name,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
            httponly=httponly,
        )

    def _set_session_cookie(
        self,
        response: Response,
        options: _CookieOptions,
        value: str,
        expires: datetime | None,
    ) -> None:
        """Set the session cookie described by ``options`` to ``value``."""
        name, domain, path, secure, httponly, samesite, partitioned = options
        response.set_cookie(
            name,
            value,
            expires=expires,
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )

    def open_session(self, app: Kolba, request: Request) -> SessionMixin | None:
        """Load the session for ``request``; ``None`` means use a null session."""
        raise NotImplementedError(  # an abstract hook, documented above
            f"{type(self).__name__} must implement open_session()."
        )

    def save_session(
        self, app: Kolba, session: SessionMixin, response: Response
    ) -> None:
        """Persist ``session`` and set (or delete) the cookie on ``response``."""
        raise NotImplementedError(  # an abstract hook, documented above
            f"{type(self).__name__} must implement save_session()."
        )


session_json_serializer = TaggedJSONSerializer()


# -- the cookie session ------------------------------------------------------------


class SecureCookieSessionInterface(SessionInterface):
    """Sessions in a signed, timestamped cookie (HMAC-SHA256).

    See the module documentation for the cookie format and the rules on
    reading. ``SECRET_KEY_FALLBACKS`` lists old keys still accepted on read,
    so keys can be rotated without logging everybody out; new cookies are
    always signed with ``SECRET_KEY``.

    A session too big for a cookie (over ``MAX_COOKIE_SIZE``, 4093 bytes of
    name and value by default) raises :class:`RuntimeError` in debug and
    testing mode, so the mistake is found before production; otherwise it is
    logged as a warning on ``app.logger`` and sent anyway (browsers will
    likely drop it). Flask only warns.
    """

    #: Separates the session key from other keys derived from SECRET_KEY.
    salt = "cookie-session"
    #: The HMAC digest (a :mod:`hashlib` name); SHA-256 or stronger.
    digest_method = "sha256"
    serializer = session_json_serializer
    session_class = SecureCookieSession

    # Class-level defaults, so subclasses need not call __init__: the signer
    # for the last key set, and Set-Cookie pieces per attribute combination
    # (shared by all instances; the key holds every attribute).
    _signer_cache: tuple[tuple[t.Any, ...], TimestampSigner] | None = None
    _header_cache: t.ClassVar[dict[tuple[t.Any, ...], tuple[str, str]]] = {}

    def get_signing_serializer(self, app: Kolba) -> TimestampSigner | None:
        """The signer for ``app``'s keys, or ``None`` without SECRET_KEY."""
        secret = app.secret_key
        if not secret:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        keys = tuple(fallbacks) if fallbacks else ()
        cache_key = (secret, keys, self.salt, self.digest_method, self.serializer)
        cached = self._signer_cache
        # PERF: one signer per key set, not per request.
        if cached is not None and cached[0] == cache_key:
            return cached[1]
        signer = TimestampSigner(
            [secret, *keys],
            self.salt,
            serializer=self.serializer,
            digest=self.digest_method,
        )
        self._signer_cache = (cache_key, signer)
        return signer

    def open_session(self, app: Kolba, request: Request) -> SecureCookieSession | None:
        """Read and verify the cookie; an invalid one gives an empty session."""
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        name = self.get_cookie_name(app)
        cookies = request.__dict__.get("cookies")
        if cookies is None and type(request).cookies is not _REQUEST_COOKIES:
            cookies = request.cookies  # a request class with its own cookies
        if cookies is not None:
            value = cookies.get(name)
        else:
            # PERF: the session is often the only cookie read; finding it in
            # the parsed pairs skips building request.cookies.
            value = None
            for key, item in parse_cookie(request._header("Cookie")):
                if key == name:
                    value = item
                    break
        if value:
            config = app.config
            limit = max(int(config["MAX_COOKIE_SIZE"]), _BROWSER_COOKIE_LIMIT)
            if len(value) <= limit:
                max_age = config["PERMANENT_SESSION_LIFETIME"]
                if not isinstance(max_age, (int, float)):
                    max_age = max_age.total_seconds()
                try:
                    data = signer.loads(value, max_age=max_age)
                except BadSignature:
                    pass
                else:
                    if isinstance(data, dict):
                        return self.session_class(data)
        session = self.session_class()
        session.new = True
        return session

    def save_session(
        self, app: Kolba, session: SessionMixin, response: Response
    ) -> None:
        """Set, refresh or delete the session cookie on ``response``."""
        options = self._cookie_options(app)
        # Read the flags first: the checks below read the session too.
        accessed = session.accessed
        if not session:
            if session.modified:
                _vary_on_cookie(response)
                self._delete_session_cookie(response, options)
            elif accessed:
                _vary_on_cookie(response)
            return
        signer = self.get_signing_serializer(app)
        if signer is None or not self.should_set_cookie(app, session):
            if accessed:
                _vary_on_cookie(response)
            return
        _vary_on_cookie(response)
        name = options[0]
        value = signer.dumps(session)
        check_cookie_size(app, name, value)
        expires = self.get_expiration_time(app, session)
        if expires is None and value.isascii():
            # PERF: the value is base64url, dots and digits, which never need
            # quoting; the attributes depend on config only, so the rest of
            # the header is built (and validated) once.
            parts = self._header_cache.get(options)
            if parts is None:
                name, domain, path, secure, httponly, samesite, partitioned = options
                template = dump_cookie(
                    name,
                    "",
                    domain=domain,
                    path=path,
                    secure=secure,
                    httponly=httponly,
                    samesite=samesite,
                    partitioned=partitioned,
                )
                head, sep, attributes = template.partition(";")
                parts = (head, sep + attributes)
                if len(self._header_cache) > 16:
                    self._header_cache.clear()
                self._header_cache[options] = parts
            response.headers.add("Set-Cookie", f"{parts[0]}{value}{parts[1]}")
        else:
            self._set_session_cookie(response, options, value, expires)


def _vary_on_cookie(response: Response) -> None:
    # SPEC: RFC 9110 §12.5.5 — the response depends on the Cookie header, so
    # shared caches must not serve it to another client.
    headers = response.headers
    if "Vary" in headers:
        response.vary.add("Cookie")
    else:
        headers.add("Vary", "Cookie")


def check_cookie_size(app: Kolba, name: str, value: str) -> None:
    """Fail (debug/testing) or warn when a cookie exceeds ``MAX_COOKIE_SIZE``.

    ``MAX_COOKIE_SIZE = 0`` turns the check off.
    """
    limit = int(app.config["MAX_COOKIE_SIZE"])
    size = len(name) + 1 + len(value)
    if not limit or size <= limit:
        return
    message = (
        f"The {name!r} cookie is {size} bytes, over MAX_COOKIE_SIZE ({limit}); "
        "browsers silently drop cookies that large, so the session would be "
        "lost. Store less in the session (keep ids, not objects), or keep the "
        "data on the server: app.session_interface = RedisSessionInterface() "
        "from kolba.ext.redis_sessions."
    )
    if app.debug or app.testing:
        raise RuntimeError(message)
    app.logger.warning(message)
