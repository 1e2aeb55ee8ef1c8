"""The development server and reloader: for one developer on one machine.

It prints, every time it starts, that it is not a production server. Deploy
behind a production WSGI server instead, for example::

    gunicorn -w 4 'module:app'

or, for an app with WebSocket routes, an ASGI server::

    uvicorn --workers 4 'module:app.asgi_app'

An app with WebSocket routes is served over ASGI by uvicorn (the ``kolba[asgi]``
extra) rather than by Kolba's own WSGI server; the reloader, the banner and the
debug traceback page are the same for both.

Kept out of ``import kolba``: only ``kolba run`` and ``app.run()`` import it.

The package: :mod:`.server` (:func:`run_simple`, :func:`make_server`),
:mod:`.asgi_server` (uvicorn for apps with WebSocket routes),
:mod:`.http11` (connections, request heads, response framing),
:mod:`.body` (request bodies), :mod:`.limits` (sizes and timeouts),
:mod:`.reloader` (watch files, serve from a child process) and :mod:`.log`.

Compared with Werkzeug's server (Flask's), this one rejects ambiguous framing
and oversized heads with a status instead of guessing, bounds how long a
client may take to send its head, and never offers an interactive debugger.
"""

from .limits import HEADER_DEADLINE as HEADER_DEADLINE
from .limits import MAX_DRAIN as MAX_DRAIN
from .limits import MAX_HEADER_BYTES as MAX_HEADER_BYTES
from .limits import MAX_HEADERS as MAX_HEADERS
from .limits import MAX_REQUEST_LINE as MAX_REQUEST_LINE
from .limits import SOCKET_TIMEOUT as SOCKET_TIMEOUT
from .reloader import default_reloader as default_reloader
from .reloader import is_running_from_reloader as is_running_from_reloader
from .server import make_server as make_server
from .server import run_simple as run_simple

__all__ = [
    "default_reloader",
    "is_running_from_reloader",
    "make_server",
    "run_simple",
]
