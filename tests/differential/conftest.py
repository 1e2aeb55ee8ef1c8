"""Differential tests: the same apps on Flask (the oracle) and on Kolba.

``KOLBA_DIFF_SELFTEST=1 pytest tests/differential`` runs Flask against Flask; every case
must pass, which checks the harness itself. See ``kolba_diffkit.py``.
"""

from __future__ import annotations

import os
import sys

# the helper module lives next to this file; make it importable whatever the import mode
sys.path.insert(0, os.path.dirname(__file__))

import pytest  # noqa: E402

# compare() asserts inside the helper module: have pytest explain its failures
pytest.register_assert_rewrite("kolba_diffkit")

import kolba_diffkit  # noqa: E402


def pytest_report_header(config):  # noqa: ARG001
    side = kolba_diffkit.KOLBA
    if side is None:
        return f"differential: {kolba_diffkit.KOLBA_SKIP_REASON}"
    return f"differential: flask vs {side.name}" + (
        " (SELFTEST)" if kolba_diffkit.SELFTEST else ""
    )
