"""Signals sent by Kolba, on blinker: subscribe with ``signal.connect(func)``.

PERF: the pipeline sends a signal only when at least one receiver was ever
connected to any Kolba signal (:data:`_connected`), so apps that do not use
signals pay one attribute read per request.
"""

from __future__ import annotations

import typing as t

from blinker import Namespace, Signal

__all__ = [
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
]

_signals = Namespace()

#: True once any receiver connected to a Kolba signal.
_connected = False

template_rendered = _signals.signal("template-rendered")
before_render_template = _signals.signal("before-render-template")
request_started = _signals.signal("request-started")
request_finished = _signals.signal("request-finished")
request_tearing_down = _signals.signal("request-tearing-down")
got_request_exception = _signals.signal("got-request-exception")
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
appcontext_pushed = _signals.signal("appcontext-pushed")
appcontext_popped = _signals.signal("appcontext-popped")
message_flashed = _signals.signal("message-flashed")


def _on_connect(signal: t.Any, **kwargs: t.Any) -> None:
    global _connected
    _connected = True


for _signal in [v for v in list(globals().values()) if isinstance(v, Signal)]:
    _signal.receiver_connected.connect(_on_connect, weak=False)
