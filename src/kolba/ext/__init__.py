"""Optional extensions: each module imports its own third-party library.

Nothing in Kolba's core imports ``kolba.ext``; an extension whose library is
missing raises :class:`ImportError` naming the extra to install
(``pip install 'kolba[redis]'``).

- :mod:`kolba.ext.redis_sessions` — server-side sessions stored in Redis.
- :mod:`kolba.ext.csrf` — CSRF protection for forms and AJAX requests.
- :mod:`kolba.ext.migrate` — Alembic migrations (``kolba db``), like Flask-Migrate.
"""
