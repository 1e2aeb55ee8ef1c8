"""Environment for the CLI: the ``KOLBA_DEBUG``/``KOLBA_SKIP_DOTENV`` flags and
loading ``.kolbaenv``/``.env`` files with python-dotenv."""

from __future__ import annotations

import os

import click

_DOTENV_HINT = "Install it with: pip install 'kolba[dotenv]' (python-dotenv)."


def _is_false(value: str) -> bool:
    return value.strip().lower() in {"", "0", "false", "no", "off"}


def _get_debug_flag() -> bool:
    return not _is_false(os.environ.get("KOLBA_DEBUG", ""))


def _get_load_dotenv(default: bool = True) -> bool:
    value = os.environ.get("KOLBA_SKIP_DOTENV")
    if value is None:
        return default
    return _is_false(value)


def load_dotenv(
    path: str | os.PathLike[str] | None = None, load_defaults: bool = True
) -> bool:
    """Load ``.kolbaenv``, ``.env`` and ``path`` into ``os.environ``.

    The default files are the nearest ones, searched from the current folder
    upwards. Precedence: ``path`` over ``.env`` over ``.kolbaenv``; variables
    already in the environment are never overwritten. Without python-dotenv,
    nothing is loaded and a tip is printed if such files exist.

    :param path: one more file to load, with the highest precedence.
    :param load_defaults: search for and load ``.kolbaenv`` and ``.env``.
    :return: whether at least one variable was read.
    """
    try:
        import dotenv
    except ImportError:
        if path or os.path.isfile(".env") or os.path.isfile(".kolbaenv"):
            click.secho(
                " * Tip: there are .env files present, but python-dotenv is not "
                f"installed, so they were not loaded. {_DOTENV_HINT}",
                fg="yellow",
                err=True,
            )
        return False
    data: dict[str, str | None] = {}
    if load_defaults:
        for name in (".kolbaenv", ".env"):
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                data |= dotenv.dotenv_values(found, encoding="utf-8")
    if path is not None and os.path.isfile(path):
        data |= dotenv.dotenv_values(path, encoding="utf-8")
    for key, value in data.items():
        if key not in os.environ and value is not None:
            os.environ[key] = value
    return bool(data)
