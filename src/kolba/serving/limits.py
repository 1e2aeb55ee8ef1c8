"""The development server's limits on what a client may send, and its timeouts."""

from __future__ import annotations

#: The longest request line accepted, in bytes; longer ones get a 414.
MAX_REQUEST_LINE = 8 * 1024
#: The largest header block accepted, in bytes; larger ones get a 431.
MAX_HEADER_BYTES = 64 * 1024
#: The most header fields accepted; more get a 431.
MAX_HEADERS = 100
#: Seconds a client may take to send the head once the request line arrived.
HEADER_DEADLINE = 20.0
#: Seconds any single socket read or write may block (idle keep-alive too).
SOCKET_TIMEOUT = 30.0
#: Unread body bytes the server reads and discards to keep a connection open.
MAX_DRAIN = 1024 * 1024
