"""The ``kolba`` command line, on click.

``kolba --app module:app routes`` lists the routes; ``kolba run`` serves the
app with the development server (over ASGI with uvicorn when the app has
WebSocket routes); ``kolba shell`` opens a Python shell in the
app context; the app's own commands (``@app.cli.command()``) and blueprint
commands appear beside them.

The app is found from ``--app`` or the ``KOLBA_APP`` environment variable: a
module (``hello``), a module and attribute (``hello:app``), a factory call
with literal arguments (``hello:create_app('dev')``) or a path to a ``.py``
file. Without either, ``wsgi.py`` or ``app.py`` in the current folder.

Environment files: with python-dotenv installed (``pip install
'kolba[dotenv]'``), the nearest ``.kolbaenv`` and ``.env`` files (searched from
the current folder upwards) set environment variables before the app loads;
``--env-file PATH`` adds one more, with precedence over both. Variables already
set in the environment always win. ``KOLBA_SKIP_DOTENV=1`` turns this off.

The package, along its seams: :mod:`.env` (debug flag, ``.env`` files),
:mod:`.discovery` (finding and loading the app, :class:`ScriptInfo`),
:mod:`.appgroup` (:class:`AppGroup`, :func:`with_appcontext`), :mod:`.options`
(the group's options), :mod:`.commands` (``run``, ``shell``, ``routes``) and
:mod:`.group` (:class:`KolbaGroup`, ``cli``, ``main``). Every name is importable
from ``kolba.cli``; the console script is ``kolba.cli:main``.
"""

from __future__ import annotations

from .appgroup import AppGroup as AppGroup
from .appgroup import with_appcontext as with_appcontext
from .commands import CertParamType as CertParamType
from .commands import SeparatedPathType as SeparatedPathType
from .commands import routes_command as routes_command
from .commands import run_command as run_command
from .commands import shell_command as shell_command
from .commands import show_server_banner as show_server_banner
from .discovery import NoAppException as NoAppException
from .discovery import ScriptInfo as ScriptInfo
from .discovery import find_app_by_string as find_app_by_string
from .discovery import find_best_app as find_best_app
from .discovery import load_app as load_app
from .discovery import locate_app as locate_app
from .discovery import pass_script_info as pass_script_info
from .discovery import prepare_import as prepare_import
from .env import _get_debug_flag as _get_debug_flag  # used by Kolba.run
from .env import _get_load_dotenv as _get_load_dotenv  # used by Kolba.run
from .env import load_dotenv as load_dotenv
from .group import KolbaGroup as KolbaGroup
from .group import cli as cli
from .group import main as main
from .options import get_version as get_version
from .options import version_option as version_option

__all__ = [
    "AppGroup",
    "CertParamType",
    "KolbaGroup",
    "NoAppException",
    "ScriptInfo",
    "SeparatedPathType",
    "cli",
    "find_app_by_string",
    "find_best_app",
    "get_version",
    "load_app",
    "load_dotenv",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "routes_command",
    "run_command",
    "shell_command",
    "show_server_banner",
    "version_option",
    "with_appcontext",
]
