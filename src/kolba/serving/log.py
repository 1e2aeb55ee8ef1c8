"""The development server's log: the ``kolba.serving`` logger."""

from __future__ import annotations

import logging
import re
import sys
import threading
import typing as t

_LOG_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


_logger = logging.getLogger("kolba.serving")
_logger_lock = threading.Lock()


def _log(level: int, message: str, *args: t.Any) -> None:
    # Like Werkzeug: if the application configured no logging, the server's
    # messages still reach the terminal.
    from ..logging import has_level_handler

    if not has_level_handler(_logger):
        with _logger_lock:
            if _logger.level == logging.NOTSET:
                _logger.setLevel(logging.INFO)
            if not has_level_handler(_logger):
                handler = logging.StreamHandler(sys.stderr)
                handler.setFormatter(logging.Formatter("%(message)s"))
                _logger.addHandler(handler)
    _logger.log(level, message, *args)


def _printable(text: str) -> str:
    # SECURITY: request lines are attacker-controlled; control characters
    # would let a client forge log lines or terminal escape sequences.
    return _LOG_UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
