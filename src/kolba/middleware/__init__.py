"""Middleware that wraps an application's ``wsgi_app`` or ``asgi_app``.

Wrap ``app.wsgi_app`` (and ``app.asgi_app`` when the app is also served over
ASGI) rather than ``app``, so the application object keeps its attributes::

    from kolba.middleware import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    app.asgi_app = ProxyFix(app.asgi_app, x_for=1, x_proto=1)
"""

from __future__ import annotations

from .proxy_fix import ASGIProxyFix as ASGIProxyFix
from .proxy_fix import ProxyFix as ProxyFix

__all__ = ["ASGIProxyFix", "ProxyFix"]
