"""The reloader: serve in a child process, replace it when a source file changes.

With the reloader, the first process binds the socket, watches files with
watchfiles and runs the server in a child process that inherits the socket;
on a change it replaces the child. Connections that arrive in between wait
in the socket's backlog instead of being refused.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import typing as t

from .http11 import _address_family
from .log import _log

_RUN_MAIN = "KOLBA_RUN_MAIN"
_SERVER_FD = "KOLBA_SERVER_FD"


def is_running_from_reloader() -> bool:
    """Whether this process is the server child of the reloader."""
    return os.environ.get(_RUN_MAIN) == "true"


def default_reloader(debug: bool) -> bool:
    """Whether to reload when not asked: in debug mode, if watchfiles is here.

    Prints a notice with the install command when debug mode would reload but
    watchfiles is missing.
    """
    if not debug:
        return False
    try:
        import watchfiles  # noqa: F401
    except ImportError:
        _log(
            logging.WARNING,
            " * The reloader needs watchfiles, which is not installed. Install "
            "it with: pip install 'kolba[reload]'. Running without the reloader.",
        )
        return False
    return True


def _bind(host: str, port: int) -> socket.socket:
    family = _address_family(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _library_prefixes() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    prefixes = {
        os.path.realpath(paths[key])
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if key in paths
    }
    return tuple(prefix + os.sep for prefix in prefixes)


def _template_folders(application: t.Any) -> set[str]:
    owners = [application]
    blueprints = getattr(application, "blueprints", None)
    if isinstance(blueprints, dict):
        owners.extend(blueprints.values())
    folders = set()
    for owner in owners:
        root = getattr(owner, "root_path", None)
        folder = getattr(owner, "template_folder", None)
        if isinstance(root, str) and isinstance(folder, (str, os.PathLike)):
            path = os.path.realpath(os.path.join(root, os.fspath(folder)))
            if os.path.isdir(path):
                folders.add(path)
    return folders


class _Reloader:
    """Watch files in this process; serve in a child process; swap on change."""

    def __init__(
        self,
        application: t.Any,
        extra_files: t.Iterable[str] | None,
        exclude_patterns: t.Iterable[str] | None,
        interval: float,
    ) -> None:
        try:
            import watchfiles  # noqa: F401
        except ImportError:
            raise ImportError(
                "The reloader needs watchfiles, which is not installed. Install "
                "it with: pip install 'kolba[reload]' (or run without --reload)."
            ) from None
        self.interval = interval
        self.extra_files = {os.path.realpath(path) for path in extra_files or ()}
        self.exclude_patterns = list(exclude_patterns or ())
        self.template_folders = _template_folders(application)
        library = _library_prefixes()
        self.module_dirs: set[str] = set()
        for module in list(sys.modules.values()):
            filename = getattr(module, "__file__", None)
            if not isinstance(filename, str) or not filename.endswith(".py"):
                continue
            filename = os.path.realpath(filename)
            if not filename.startswith(library):
                self.module_dirs.add(os.path.dirname(filename))

    def watched_dirs(self) -> set[str]:
        dirs = set(self.module_dirs)
        for folder in self.template_folders:
            for dirpath, dirnames, _ in os.walk(folder):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                dirs.add(dirpath)
        for path in self.extra_files:
            dirs.add(os.path.dirname(path))
        return {path for path in dirs if os.path.isdir(path)}

    def should_reload(self, path: str) -> bool:
        path = os.path.realpath(path)
        if any(fnmatch.fnmatch(path, pattern) for pattern in self.exclude_patterns):
            return False
        if path in self.extra_files:
            return True
        name = os.path.basename(path)
        if name.startswith(".") or name.endswith(("~", ".swp", ".swx", ".tmp")):
            return False  # editor scratch files
        if any(path.startswith(folder + os.sep) for folder in self.template_folders):
            return True
        return path.endswith(".py") and os.path.dirname(path) in self.module_dirs

    def _spawn(self, sock: socket.socket) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env[_RUN_MAIN] = "true"
        args = [sys.executable, *sys.orig_argv[1:]]
        if os.name == "posix":
            env[_SERVER_FD] = str(sock.fileno())
            return subprocess.Popen(args, env=env, pass_fds=(sock.fileno(),))
        return subprocess.Popen(args, env=env)  # pragma: no cover - Windows

    @staticmethod
    def _stop(child: subprocess.Popen[bytes]) -> None:
        if child.poll() is not None:
            return
        child.terminate()
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def run(self, sock: socket.socket) -> None:
        import watchfiles

        # A SIGTERM to the watcher must not orphan the server child.
        in_main = threading.current_thread() is threading.main_thread()
        if in_main:
            previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        child = self._spawn(sock)
        reported = False
        try:
            for changes in watchfiles.watch(
                *sorted(self.watched_dirs()),
                watch_filter=lambda change, path: self.should_reload(path),
                recursive=False,
                yield_on_timeout=True,
                rust_timeout=int(self.interval * 1000),
                debounce=400,
            ):
                if not changes:
                    code = child.poll()
                    if code == 0:
                        return
                    if code is not None and not reported:
                        _log(
                            logging.ERROR,
                            " * The server process exited with code %s; it "
                            "restarts on the next change.",
                            code,
                        )
                        reported = True
                    continue
                changed = sorted(path for _, path in changes)[0]
                _log(logging.INFO, " * Detected change in %r, reloading", changed)
                self._stop(child)
                child = self._spawn(sock)
                reported = False
        except KeyboardInterrupt:
            _log(logging.INFO, " * Shutting down")
        finally:
            # A second Ctrl-C (or the terminal's SIGINT reaching us twice)
            # must not interrupt the clean-up and print a traceback.
            if in_main:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            self._stop(child)
            if in_main:
                signal.signal(signal.SIGTERM, previous)
                signal.signal(signal.SIGINT, signal.default_int_handler)


def _raise_interrupt(signum: int, frame: t.Any) -> None:
    raise KeyboardInterrupt
