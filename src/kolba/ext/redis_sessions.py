"""Server-side sessions stored in Redis.

Use it when the session holds anything the client must not read (cookie
sessions are signed, not encrypted), when it is too big for a cookie, or
when you need to end a session from the server::

    from kolba.ext.redis_sessions import RedisSessionInterface

    app.session_interface = RedisSessionInterface(url="redis://localhost:6379/0")

How it works
------------

- The cookie holds only a random session id (``secrets.token_urlsafe(32)``,
  256 bits), signed with a key derived from ``SECRET_KEY`` (salt
  ``"redis-session-id"``; ``SECRET_KEY_FALLBACKS`` verify) and timestamped,
  in the format of :mod:`kolba.sessions`. A forged or tampered id is
  rejected without a Redis round trip.
- The data lives under ``key_prefix + id`` as tagged JSON
  (:class:`~kolba.json.tag.TaggedJSONSerializer`) — never pickle, so a
  compromised Redis cannot run code in the app — with a TTL of
  ``PERMANENT_SESSION_LIFETIME``, renewed each time the session is saved.
- An unknown or expired id gives an empty session, which gets a *new* id
  when first saved: an id is never adopted from the client.
- ``session.regenerate()`` gives the session a new id on save and deletes
  the old key. Call it right after login (or any privilege change) to
  prevent session fixation.
- Clearing the session (``session.clear()``) deletes the key and the cookie.

When Redis is unreachable
-------------------------

A request that touches the session gets **503 Service Unavailable**
(:class:`SessionUnavailable`, which error handlers can catch) and the
Redis error is logged on ``app.logger``. A failure while *saving* happens
after the view ran, so no error handler can run any more: the response is
replaced by the 503 page and the error logged. Requests that never touch
the session are answered normally (with the cookie, one Redis attempt is
still made, to refresh a permanent session, and its failure logged). The
client created from ``url`` gives up
after ``timeout`` seconds (2 by default), so a dead Redis cannot hang
workers.
"""

from __future__ import annotations

import secrets
import typing as t

from ..exceptions import ServiceUnavailable
from ..json.tag import TaggedJSONSerializer
from ..sessions import (
    NullSession,
    SecureCookieSession,
    SessionInterface,
    _vary_on_cookie,
)
from ..signing import BadSignature, TimestampSigner

try:
    import redis
except ImportError as exc:
    raise ImportError(
        "kolba.ext.redis_sessions needs the 'redis' package, which is not "
        "installed. Install it with: pip install 'kolba[redis]'"
    ) from exc

if t.TYPE_CHECKING:  # pragma: no cover
    from ..app import Kolba
    from ..request import Request
    from ..response import Response

__all__ = ["RedisSession", "RedisSessionInterface", "SessionUnavailable"]


class SessionUnavailable(ServiceUnavailable):
    """503: the session store could not be reached."""

    description = (
        "The session store is temporarily unavailable. Please try again in a moment."
    )


class _UnavailableSession(NullSession):
    """The session of a request for which Redis could not be reached.

    Any read or write raises :class:`SessionUnavailable` (503), so only
    requests that use the session fail; the session refresh after a view
    that never touched it finds a null session and skips it.
    """

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise SessionUnavailable()

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail
    __getitem__ = get = __contains__ = __iter__ = __len__ = _fail
    keys = values = items = copy = _fail


class RedisSession(SecureCookieSession):
    """A session whose data lives in Redis; the cookie holds :attr:`sid`.

    :param initial: the stored data.
    :param sid: the session id, or ``None`` for a session not yet stored.
    """

    def __init__(self, initial: t.Any = None, sid: str | None = None) -> None:
        super().__init__(initial)
        #: The session id (the Redis key is ``key_prefix + sid``).
        self.sid = sid
        #: Set by :meth:`regenerate`: give the session a new id on save.
        self.regenerate_sid = False

    def regenerate(self) -> None:
        """Move the data to a new id when saved; the old id stops working.

        Call it after login or any change of privilege, so an id an attacker
        planted before (session fixation) or saw is worthless afterwards.
        """
        self.regenerate_sid = True
        self.modified = True
        self.accessed = True


class RedisSessionInterface(SessionInterface):
    """Store sessions in Redis; the cookie carries a signed random id.

    :param client: a ``redis.Redis`` client to use (its ``decode_responses``
        setting does not matter); if ``None``, one is made from ``url``.
    :param url: the Redis URL, used when ``client`` is ``None``.
    :param key_prefix: put before the session id to form the Redis key.
    :param timeout: connect and read timeout, in seconds, for the client
        made from ``url``.
    """

    session_class = RedisSession
    serializer = TaggedJSONSerializer()
    #: Separates the id-signing key from other keys derived from SECRET_KEY.
    salt = "redis-session-id"
    digest_method = "sha256"

    def __init__(
        self,
        client: redis.Redis | None = None,
        url: str = "redis://127.0.0.1:6379/0",
        key_prefix: str = "session:",
        *,
        timeout: float = 2.0,
    ) -> None:
        if client is None:
            client = redis.Redis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        self.client = client
        self.key_prefix = key_prefix
        self._signer_cache: tuple[tuple[t.Any, ...], TimestampSigner] | None = None

    def get_signer(self, app: Kolba) -> TimestampSigner | None:
        """The signer for session ids, or ``None`` without SECRET_KEY."""
        secret = app.secret_key
        if not secret:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        keys = tuple(fallbacks) if fallbacks else ()
        cache_key = (secret, keys, self.salt, self.digest_method)
        cached = self._signer_cache
        if cached is not None and cached[0] == cache_key:
            return cached[1]
        signer = TimestampSigner([secret, *keys], self.salt, digest=self.digest_method)
        self._signer_cache = (cache_key, signer)
        return signer

    def generate_sid(self) -> str:
        """A new random session id (256 bits, URL-safe)."""
        return secrets.token_urlsafe(32)

    def _lifetime(self, app: Kolba) -> int:
        return max(1, int(app.permanent_session_lifetime.total_seconds()))

    def _log_unavailable(self, app: Kolba, action: str, exc: Exception) -> None:
        app.logger.error(
            "Could not %s the session in Redis (%s: %s). Check that Redis is"
            " running and reachable with the client's URL; requests that use"
            " the session get 503 until it is.",
            action,
            type(exc).__name__,
            exc,
        )

    def open_session(
        self, app: Kolba, request: Request
    ) -> RedisSession | NullSession | None:
        """Verify the id in the cookie and load the data from Redis.

        If Redis cannot be reached, the error is logged and the session
        returned raises :class:`SessionUnavailable` (503) when used.
        """
        signer = self.get_signer(app)
        if signer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if value and len(value) <= 256:
            try:
                sid, _ = signer.unsign(value, max_age=self._lifetime(app))
            except BadSignature:
                sid = None
            if sid:
                try:
                    raw = self.client.get(self.key_prefix + sid)
                except redis.RedisError as exc:
                    self._log_unavailable(app, "load", exc)
                    return _UnavailableSession()
                if raw is not None:
                    try:
                        data = self.serializer.loads(raw)
                    except (ValueError, TypeError, KeyError, IndexError):
                        data = None
                    if isinstance(data, dict):
                        return self.session_class(data, sid=sid)
        session = self.session_class()
        session.new = True
        return session

    def save_session(self, app: Kolba, session: t.Any, response: Response) -> None:
        """Store the data under the session's id and (re)send the cookie."""
        options = self._cookie_options(app)
        sid: str | None = getattr(session, "sid", None)
        # Read the flags first: the checks below read the session too.
        if session.accessed or session.modified:
            _vary_on_cookie(response)
        if not session:
            if session.modified:
                if sid is not None:
                    try:
                        self.client.delete(self.key_prefix + sid)
                    except redis.RedisError as exc:
                        self._replace_with_error(response, app, "delete", exc)
                        return
                self._delete_session_cookie(response, options)
            return
        if not self.should_set_cookie(app, session):
            return
        signer = self.get_signer(app)
        if signer is None:
            return
        old_sid = None
        if sid is None or getattr(session, "regenerate_sid", False):
            old_sid, sid = sid, self.generate_sid()
        data = self.serializer.dumps(dict(session))
        try:
            pipeline = self.client.pipeline(transaction=True)
            if old_sid is not None:
                pipeline.delete(self.key_prefix + old_sid)
            pipeline.set(self.key_prefix + sid, data, ex=self._lifetime(app))
            pipeline.execute()
        except redis.RedisError as exc:
            self._replace_with_error(response, app, "save", exc)
            return
        session.sid = sid
        session.regenerate_sid = False
        self._set_session_cookie(
            response,
            options,
            signer.sign(sid),
            self.get_expiration_time(app, session),
        )

    def _replace_with_error(
        self, response: Response, app: Kolba, action: str, exc: Exception
    ) -> None:
        # The view has run and no error handler can run any more, so the
        # response itself becomes the 503 page: the client must not believe
        # a login (or logout) worked when its session was not stored.
        self._log_unavailable(app, action, exc)
        error = SessionUnavailable().get_response()
        response.status_code = error.status_code
        response.headers.clear()
        for key, value in error.headers.items():
            response.headers.add(key, value)
        response.set_data(error.get_data())
        _vary_on_cookie(response)
