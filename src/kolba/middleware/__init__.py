"""WSGI middleware that wraps an application's ``wsgi_app``.

Wrap ``app.wsgi_app`` rather than ``app`` so the application object keeps its
attributes::

    from kolba.middleware import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
"""

from __future__ import annotations

from .proxy_fix import ProxyFix as ProxyFix

__all__ = ["ProxyFix"]
