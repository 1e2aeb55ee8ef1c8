"""The blog's settings, read from environment variables with safe defaults.

==========================  =================================================
``KOLBA_BLOG_INSTANCE``     the instance folder (default ``examples/blog/instance``)
``DATABASE_URL``            SQLAlchemy URL (default: SQLite ``blog.db`` in the
                            instance folder); ``postgresql://...`` uses psycopg 3
``SECRET_KEY``              default: generated once into ``<instance>/secret_key``
``BLOG_SECURE_COOKIES``     ``1``: cookies only over HTTPS (``Secure``)
``BLOG_PROXY_HOPS``         trusted reverse proxies in front (``ProxyFix``), 0
``BLOG_SAMPLE_POSTS``       ``0``: no sample posts in a new database
==========================  =================================================

No secret is ever a literal here: the key comes from the environment or from
a file created with mode 0600 on first start.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import typing as t
from collections.abc import Mapping

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_INSTANCE = os.path.join(HERE, "instance")
SECRET_KEY_FILE = "secret_key"

#: Posts per page on the home page.
POSTS_PER_PAGE = 5
#: Posts per page in the JSON API.
API_PER_PAGE = 10


def instance_path(environ: Mapping[str, str] = os.environ) -> str:
    """The instance folder (absolute), created if missing."""
    path = os.path.abspath(environ.get("KOLBA_BLOG_INSTANCE") or DEFAULT_INSTANCE)
    os.makedirs(path, exist_ok=True)
    return path


def database_url(instance: str, environ: Mapping[str, str] = os.environ) -> str:
    """``DATABASE_URL``, with ``postgres(ql)://`` pointed at psycopg 3."""
    url = environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + os.path.join(instance, "blog.db")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_secret_key(instance: str, environ: Mapping[str, str] = os.environ) -> str:
    """``SECRET_KEY`` from the environment, or the instance folder's key file.

    The file is written once, atomically (a temporary file hard-linked into
    place), so workers starting together all end up with the same key.
    """
    key = environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    path = os.path.join(instance, SECRET_KEY_FILE)
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=instance, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another worker won the race: use its key
        finally:
            os.unlink(tmp)
    with open(path) as f:
        key = f.read().strip()
    if not key:
        raise RuntimeError(f"The secret key file {path} is empty; delete it.")
    return key


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise RuntimeError(f"{name} must be an integer, got {value!r}.") from None
    if number < 0:
        raise RuntimeError(f"{name} must be 0 or more, got {number}.")
    return number


def settings(
    instance: str, environ: Mapping[str, str] = os.environ
) -> dict[str, t.Any]:
    """The app's configuration for ``app.config.from_mapping``."""
    return {
        "SECRET_KEY": load_secret_key(instance, environ),
        "SQLALCHEMY_DATABASE_URI": database_url(instance, environ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag(environ, "BLOG_SECURE_COOKIES", False),
        "BLOG_PROXY_HOPS": _int(environ, "BLOG_PROXY_HOPS", 0),
        "BLOG_SAMPLE_POSTS": _flag(environ, "BLOG_SAMPLE_POSTS", True),
        "BLOG_POSTS_PER_PAGE": POSTS_PER_PAGE,
        "BLOG_API_PER_PAGE": API_PER_PAGE,
    }
