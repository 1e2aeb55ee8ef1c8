"""Flask-compatible import location of the request and response classes."""

from __future__ import annotations

from .request import Request as Request
from .response import Response as Response

__all__ = ["Request", "Response"]
