"""The public surface: ``kolba.__all__`` and what ``import kolba`` pulls in."""

from __future__ import annotations

import subprocess
import sys

import kolba


def test_all_is_sorted_and_importable() -> None:
    assert kolba.__all__ == sorted(kolba.__all__)
    for name in kolba.__all__:
        assert hasattr(kolba, name), name


def test_core_flask_names_exist() -> None:
    import flask

    core = [
        "abort", "after_this_request", "copy_current_request_context", "current_app",
        "flash", "g", "get_flashed_messages", "has_app_context", "has_request_context",
        "json", "jsonify", "make_response", "redirect", "request", "Request",
        "Response", "send_file", "send_from_directory", "session",
        "stream_with_context", "url_for", "Config",
    ]  # fmt: skip
    for name in core:
        assert hasattr(flask, name), f"not a Flask name: {name}"
        assert hasattr(kolba, name), f"missing in Kolba: {name}"


def test_import_kolba_never_imports_flask_werkzeug_or_the_dev_server() -> None:
    code = (
        "import sys, kolba\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'werkzeug') or m == 'kolba.serving' "
        "or m.startswith('kolba.serving.'))\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_package_is_typed() -> None:
    from importlib.resources import files

    assert files("kolba").joinpath("py.typed").is_file()
