"""CSRF protection for forms and AJAX requests, shaped like Flask-WTF's.

::

    from kolba.ext.csrf import CSRFProtect

    csrf = CSRFProtect(app)

Every ``POST``, ``PUT``, ``PATCH`` and ``DELETE`` request must then carry a
token from :func:`generate_csrf` (``{{ csrf_token() }}`` in templates), in
the form field ``csrf_token`` or in an ``X-CSRFToken`` / ``X-CSRF-Token``
header; otherwise the request fails with :class:`CSRFError` (400).

How a token is made and checked
-------------------------------

- Each session gets a random secret (``secrets.token_urlsafe(32)``) under
  the session key ``csrf_token`` (``WTF_CSRF_FIELD_NAME``).
- A token is that secret XOR-masked with a fresh random mask, base64url'd,
  then signed and timestamped (:class:`kolba.signing.TimestampSigner`,
  HMAC-SHA256, key derived from ``WTF_CSRF_SECRET_KEY`` or ``SECRET_KEY``
  with the salt ``"wtf-csrf-token"``).
- Checking verifies the signature, the age (``WTF_CSRF_TIME_LIMIT``), then
  unmasks and compares with the session's secret using
  :func:`hmac.compare_digest`.
- On HTTPS, with ``WTF_CSRF_SSL_STRICT`` (the default), the ``Referer``
  must be present and on the same origin as the request.

Better than Flask-WTF: tokens are masked, so each page gets a different
token string for the same secret, and a compressed HTTPS response does not
leak the secret byte by byte (the BREACH attack). Differences:
:func:`validate_csrf` raises :class:`CSRFError` (Flask-WTF raises WTForms'
``ValidationError``, and Kolba does not depend on WTForms); exempting a
blueprint also exempts the blueprints nested in it.

Configuration (``app.config``), with defaults:

==========================  ==============================================
``WTF_CSRF_ENABLED``        ``True``; ``False`` turns all checks off (tests)
``WTF_CSRF_CHECK_DEFAULT``  ``True``; ``False`` checks only when a view
                            calls :meth:`CSRFProtect.protect`
``WTF_CSRF_METHODS``        ``{"POST", "PUT", "PATCH", "DELETE"}``
``WTF_CSRF_FIELD_NAME``     ``"csrf_token"`` (form field and session key)
``WTF_CSRF_HEADERS``        ``["X-CSRFToken", "X-CSRF-Token"]``
``WTF_CSRF_TIME_LIMIT``     ``3600`` seconds; ``None`` for no limit
``WTF_CSRF_SSL_STRICT``     ``True``: same-origin ``Referer`` on HTTPS
``WTF_CSRF_SECRET_KEY``     ``None``: use ``SECRET_KEY``
==========================  ==============================================
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import typing as t
from urllib.parse import urlsplit

from ..exceptions import BadRequest
from ..globals import current_app, g, request, session
from ..signing import BadSignature, SignatureExpired, TimestampSigner

if t.TYPE_CHECKING:  # pragma: no cover
    from ..app import Kolba

__all__ = ["CSRFError", "CSRFProtect", "generate_csrf", "validate_csrf"]

_F = t.TypeVar("_F", bound=t.Callable[..., t.Any])

_SALT = "wtf-csrf-token"
_DEFAULTS: dict[str, t.Any] = {
    "WTF_CSRF_ENABLED": True,
    "WTF_CSRF_CHECK_DEFAULT": True,
    "WTF_CSRF_METHODS": {"POST", "PUT", "PATCH", "DELETE"},
    "WTF_CSRF_FIELD_NAME": "csrf_token",
    "WTF_CSRF_HEADERS": ["X-CSRFToken", "X-CSRF-Token"],
    "WTF_CSRF_TIME_LIMIT": 3600,
    "WTF_CSRF_SSL_STRICT": True,
    "WTF_CSRF_SECRET_KEY": None,
}


class CSRFError(BadRequest):
    """400: the CSRF check failed; ``description`` says why.

    Catch it to render your own page::

        @app.errorhandler(CSRFError)
        def csrf_failed(e):
            return render_template("csrf.html", reason=e.description), 400
    """

    description = "CSRF validation failed."


def _config(name: str) -> t.Any:
    config = current_app.config
    return config[name] if name in config else _DEFAULTS[name]


def _signer(secret_key: str | bytes | None) -> TimestampSigner:
    if secret_key is None:
        secret_key = _config("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    if not secret_key:
        raise RuntimeError(
            "CSRF protection needs a secret key to sign tokens. Set SECRET_KEY "
            "(or WTF_CSRF_SECRET_KEY) on the application, for example "
            "app.secret_key = secrets.token_hex(), loaded from the environment."
        )
    return TimestampSigner([secret_key], _SALT)


def _xor(left: bytes, right: bytes) -> bytes:
    return (int.from_bytes(left, "big") ^ int.from_bytes(right, "big")).to_bytes(
        len(left), "big"
    )


def generate_csrf(
    secret_key: str | bytes | None = None, token_key: str | None = None
) -> str:
    """Return a CSRF token for the current session (the same within a request).

    Creates the session's CSRF secret if it has none yet, which writes to
    the session. Available in templates as ``csrf_token()``.

    :param secret_key: sign with this key instead of ``WTF_CSRF_SECRET_KEY``
        or ``SECRET_KEY``.
    :param token_key: the session key of the secret; defaults to
        ``WTF_CSRF_FIELD_NAME``.
    """
    field_name = token_key or _config("WTF_CSRF_FIELD_NAME")
    tokens: dict[str, str] = g.setdefault("_kolba_csrf_tokens", {})
    token = tokens.get(field_name)
    if token is None:
        secret = session.get(field_name)
        if not isinstance(secret, str):
            secret = session[field_name] = secrets.token_urlsafe(32)
        raw = secret.encode("utf-8")
        mask = secrets.token_bytes(len(raw))
        # SECURITY: a fresh mask per token (BREACH); see the module docstring.
        masked = base64.urlsafe_b64encode(mask + _xor(raw, mask)).decode("ascii")
        token = tokens[field_name] = _signer(secret_key).sign(masked.rstrip("="))
    return token


def validate_csrf(
    data: str | None,
    secret_key: str | bytes | None = None,
    time_limit: int | None = None,
    token_key: str | None = None,
) -> None:
    """Check a CSRF token against the current session.

    :param data: the token the client sent.
    :param secret_key: the signing key (default: ``WTF_CSRF_SECRET_KEY`` or
        ``SECRET_KEY``).
    :param time_limit: the oldest token accepted, in seconds (default:
        ``WTF_CSRF_TIME_LIMIT``; ``None`` there means no limit).
    :param token_key: the session key of the secret (default:
        ``WTF_CSRF_FIELD_NAME``).
    :raises CSRFError: saying whether the token is missing, invalid or
        expired, or the session has no CSRF secret.
    """
    field_name = token_key or _config("WTF_CSRF_FIELD_NAME")
    if time_limit is None:
        time_limit = _config("WTF_CSRF_TIME_LIMIT")
    if not data:
        raise CSRFError("The CSRF token is missing.")
    secret = session.get(field_name)
    if not isinstance(secret, str):
        raise CSRFError("The CSRF session token is missing.")
    if len(data) > 512:
        raise CSRFError("The CSRF token is invalid.")
    try:
        masked, _ = _signer(secret_key).unsign(data, max_age=time_limit)
    except SignatureExpired:
        raise CSRFError("The CSRF token has expired.") from None
    except BadSignature:
        raise CSRFError("The CSRF token is invalid.") from None
    try:
        both = base64.urlsafe_b64decode(masked + "=" * (-len(masked) % 4))
    except (binascii.Error, ValueError):
        raise CSRFError("The CSRF token is invalid.") from None
    half = len(both) // 2
    expected = secret.encode("utf-8")
    if len(both) % 2 or not hmac.compare_digest(
        _xor(both[half:], both[:half]), expected
    ):
        raise CSRFError("The CSRF token is invalid.")


def _same_origin(first: str, second: str) -> bool:
    try:
        a, b = urlsplit(first), urlsplit(second)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
    except ValueError:  # a malformed port or IPv6 literal
        return False


class CSRFProtect:
    """Check a CSRF token on every state-changing request of an app.

    :param app: the application; or call :meth:`init_app` later.
    """

    def __init__(self, app: Kolba | None = None) -> None:
        self._exempt_views: set[str] = set()
        self._exempt_blueprints: set[t.Any] = set()
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Kolba) -> None:
        """Install the ``before_request`` check and ``csrf_token()`` for templates."""
        app.extensions["csrf"] = self
        for name, value in _DEFAULTS.items():
            app.config.setdefault(name, value)
        add_global = getattr(app, "add_template_global", None)
        if add_global is not None:
            add_global(generate_csrf, "csrf_token")
        else:  # pragma: no cover - every Kolba has add_template_global
            app.jinja_env.globals["csrf_token"] = generate_csrf
        app.before_request(self._check_request)

    def _check_request(self) -> None:
        config = current_app.config
        if not config["WTF_CSRF_ENABLED"] or not config["WTF_CSRF_CHECK_DEFAULT"]:
            return
        if request.method not in config["WTF_CSRF_METHODS"]:
            return
        endpoint = request.endpoint
        if not endpoint:
            return
        if self._exempt_blueprints:
            # request.blueprints is the chain of dotted names, innermost first,
            # so exempting a blueprint also exempts those nested in it.
            blueprints = current_app.blueprints
            for name in request.blueprints:
                if blueprints.get(name) in self._exempt_blueprints:
                    return
        view = current_app.view_functions.get(endpoint)
        if view is not None and _view_location(view) in self._exempt_views:
            return
        self.protect()

    def protect(self) -> None:
        """Check the current request now (for ``WTF_CSRF_CHECK_DEFAULT=False``).

        :raises CSRFError: if the token is missing, invalid or expired, or
            (HTTPS with ``WTF_CSRF_SSL_STRICT``) the referrer is wrong.
        """
        config = current_app.config
        if request.method not in config["WTF_CSRF_METHODS"]:
            return
        validate_csrf(self._token_from_request())
        if request.is_secure and config["WTF_CSRF_SSL_STRICT"]:
            referrer = request.referrer
            if not referrer:
                raise CSRFError("The referrer header is missing.")
            if not _same_origin(referrer, f"https://{request.host}/"):
                raise CSRFError("The referrer does not match the host.")
        g.csrf_valid = True

    def _token_from_request(self) -> str | None:
        field_name = current_app.config["WTF_CSRF_FIELD_NAME"]
        form = request.form
        token = form.get(field_name)
        if token:
            return str(token)
        # A form prefixed by WTForms names the field "<prefix>-csrf_token".
        for key in form:
            if key.endswith(field_name):
                token = form[key]
                if token:
                    return str(token)
        for header in current_app.config["WTF_CSRF_HEADERS"]:
            token = request.headers.get(header)
            if token:
                return str(token)
        return None

    def exempt(self, view: _F | t.Any) -> t.Any:
        """Skip the check for a view function, a ``"module.name"`` or a blueprint.

        Use as a decorator on views (put it above ``@app.route`` or below;
        it matches by ``module.function`` name)::

            @csrf.exempt
            @app.post("/webhook")
            def webhook(): ...

            csrf.exempt(api_blueprint)
        """
        from ..blueprints import Blueprint

        if isinstance(view, Blueprint):
            self._exempt_blueprints.add(view)
            return view
        if isinstance(view, str):
            self._exempt_views.add(view)
        else:
            self._exempt_views.add(_view_location(view))
        return view


def _view_location(view: t.Callable[..., t.Any]) -> str:
    return f"{view.__module__}.{view.__name__}"
