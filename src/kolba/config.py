"""Application configuration: a dict with loaders, and the default values.

Only keys written in upper case are configuration. Every loader except
:meth:`Config.from_prefixed_env` ignores other names, so a settings module can
keep lower-case helper variables without them leaking into ``app.config``.
"""

from __future__ import annotations

import errno
import json
import os
import types
import typing as t
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from datetime import timedelta
from typing import IO, Any, Generic, Protocol, Self, TypeVar, overload

from ._imports import import_string

__all__ = ["DEFAULT_CONFIG", "Config", "ConfigAttribute"]

T = TypeVar("T")


DEFAULT_CONFIG: dict[str, Any] = {
    "DEBUG": None,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "USE_X_SENDFILE": False,
    "TRUSTED_HOSTS": None,
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_PARTITIONED": False,
    # SECURITY: Flask leaves SameSite unset (None). "Lax" stops the session
    # cookie riding along on cross-site POSTs, the usual CSRF vector, while
    # keeping top-level links from other sites logged in.
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_REFRESH_EACH_REQUEST": True,
    # SECURITY: Flask accepts request bodies of any size (None). 16 MiB bounds
    # memory and disk use per request; raise it for upload-heavy apps.
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1000,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "PREFERRED_URL_SCHEME": "http",
    "TEMPLATES_AUTO_RELOAD": None,
    "MAX_COOKIE_SIZE": 4093,
    "PROVIDE_AUTOMATIC_OPTIONS": True,
}
"""The values every new application's config starts from.

The keys are exactly those of Flask 3.1's ``Flask.default_config``. Kolba is
secure by default, so two values differ from Flask:

- ``MAX_CONTENT_LENGTH`` is ``16 * 1024 * 1024`` (16 MiB) rather than ``None``
  (unlimited). Larger bodies are rejected with 413 Request Entity Too Large.
  Set it to ``None`` to restore Flask's behaviour, or to a larger number for
  uploads.
- ``SESSION_COOKIE_SAMESITE`` is ``"Lax"`` rather than ``None``, so browsers do
  not send the session cookie with cross-site subrequests and form posts.

``MAX_FORM_MEMORY_SIZE`` (500 000 bytes) and ``MAX_FORM_PARTS`` (1000) keep
Flask 3.1's values. JSON settings are not here: as in Flask 3.1 they live on
``app.json`` (see :class:`kolba.json.provider.DefaultJSONProvider`).

Treat this dict as read-only; an application copies it into its own
:class:`Config`.
"""

#: Kolba's own settings, beyond Flask's (added to every app's config).
KOLBA_DEFAULT_CONFIG: dict[str, t.Any] = {
    # Threads the ASGI front end runs sync views and hooks in (per process).
    "ASGI_MAX_THREADS": 40,
    # Seconds the server waits at shutdown for add_background_task() tasks.
    "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 5.0,
    # SECURITY: the largest WebSocket message accepted (bytes); larger closes
    # the connection with 1009. None: no limit.
    "WEBSOCKET_MAX_MESSAGE_SIZE": 1024 * 1024,
    # Seconds websocket.receive() waits for a message before closing with
    # 1001. None: wait forever (keep-alive pings are the server's).
    "WEBSOCKET_IDLE_TIMEOUT": 300.0,
}


class _HasConfig(Protocol):
    @property
    def config(self) -> MutableMapping[str, Any]: ...


class ConfigAttribute(Generic[T]):
    """Forward an attribute of the application to a key of its config.

    This is how ``app.debug``, ``app.testing`` and ``app.secret_key`` read and
    write ``app.config["DEBUG"]`` and friends::

        class Kolba:
            testing = ConfigAttribute[bool]("TESTING")

    :param name: The config key to forward to.
    :param get_converter: Called with the stored value on every read; its
        result is returned instead. Writes store the value unconverted.
    """

    def __init__(
        self, name: str, get_converter: Callable[[Any], T] | None = None
    ) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None) -> Self: ...

    @overload
    def __get__(self, obj: _HasConfig, owner: type[Any] | None = None) -> T: ...

    def __get__(
        self, obj: _HasConfig | None, owner: type[Any] | None = None
    ) -> T | Self:
        if obj is None:
            return self
        value = obj.config[self.__name__]
        if self.get_converter is not None:
            return self.get_converter(value)
        # The converter is absent, so the declared T is the stored type by the
        # caller's promise; config values are untyped at runtime.
        return value  # type: ignore[no-any-return]  # untyped config value is T by contract

    def __set__(self, obj: _HasConfig, value: Any) -> None:
        obj.config[self.__name__] = value


class Config(dict[str, Any]):
    """A dict of configuration values that can load itself from files.

    An application creates one as ``app.config``; it is an ordinary dict, so
    ``app.config["DEBUG"] = True`` and ``app.config.update(...)`` work too. The
    ``from_*`` methods load values from a Python file, an object, a data file,
    a mapping or the environment. All of them except
    :meth:`from_prefixed_env` only take keys written in upper case.

    A common pattern loads defaults from an object, then overrides them from a
    file named by an environment variable::

        app.config.from_object("yourapp.default_settings")
        app.config.from_envvar("YOURAPP_SETTINGS")

    :param root_path: Directory that relative file names are resolved against.
        An application passes its own root path.
    :param defaults: Initial values.
    """

    def __init__(
        self,
        root_path: str | os.PathLike[str],
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(defaults or {})
        self.root_path = root_path

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load a Python config file whose path is in an environment variable.

        Equivalent to ``from_pyfile(os.environ[variable_name])`` with a clear
        error when the variable is unset.

        :param variable_name: Name of the environment variable.
        :param silent: Return ``False`` instead of raising when the variable is
            unset or empty, or when the file does not exist.
        :return: ``True`` if a file was loaded.
        :raises RuntimeError: If the variable is unset and ``silent`` is false.
        """
        filename = os.environ.get(variable_name)
        if not filename:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set, so no "
                "configuration file could be loaded from it. Set it to the path "
                "of a Python configuration file, or pass silent=True to make "
                "the file optional."
            )
        return self.from_pyfile(filename, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "KOLBA", *, loads: Callable[[str], Any] = json.loads
    ) -> bool:
        """Load environment variables that start with ``{prefix}_``.

        The prefix is removed to form the key, so ``KOLBA_SECRET_KEY`` sets
        ``SECRET_KEY``. Each value is passed to ``loads`` (JSON by default), so
        ``KOLBA_DEBUG=true`` gives ``True`` and ``KOLBA_PORTS=[1, 2]`` a list;
        a value that ``loads`` rejects is kept as the original string.

        A double underscore sets a key in a nested dict:
        ``KOLBA_DB__HOST=x`` sets ``config["DB"]["HOST"]``, creating
        ``config["DB"]`` as an empty dict if it is missing. Variables are
        applied in sorted order. Unlike the other loaders, keys are not
        required to be upper case.

        :param prefix: Prefix to look for; ``"_"`` is appended to it. Flask's
            default prefix is ``"FLASK"``; pass that to share variables.
        :param loads: Converts each string value. Any exception it raises
            keeps the value a string.
        :return: Always ``True``.
        :raises TypeError: If a nested key goes through an existing value that
            is not a dict.
        """
        prefix = f"{prefix}_"
        for env_key in sorted(os.environ):
            if not env_key.startswith(prefix):
                continue
            raw = os.environ[env_key]
            value: Any
            try:
                value = loads(raw)
            except Exception:
                value = raw
            key = env_key.removeprefix(prefix)
            if "__" not in key:
                self[key] = value
                continue
            target: MutableMapping[str, Any] = self
            *parents, leaf = key.split("__")
            for part in parents:
                if part not in target:
                    target[part] = {}
                child = target[part]
                if not isinstance(child, MutableMapping):
                    raise TypeError(
                        f"Cannot apply environment variable {env_key!r}: it "
                        f"nests into config key {part!r}, which holds a "
                        f"{type(child).__name__}, not a dict. Rename the "
                        "variable or make that key a dict first."
                    )
                target = child
            target[leaf] = value
        return True

    def from_pyfile(
        self, filename: str | os.PathLike[str], silent: bool = False
    ) -> bool:
        """Load upper-case names from a Python file.

        The file runs as if it were imported as a module named ``config``,
        with ``__file__`` set; its upper-case globals are then copied in with
        :meth:`from_object`.

        :param filename: Path of the file, relative to :attr:`root_path` unless
            absolute.
        :param silent: Return ``False`` instead of raising when the file does
            not exist (or the path is a directory).
        :return: ``True`` if the file was loaded.
        :raises OSError: If the file cannot be read. The message starts with
            ``"Unable to load configuration file"`` and keeps the path.
        """
        path = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = path
        try:
            with open(path, mode="rb") as config_file:
                source = config_file.read()
        except OSError as exc:
            if silent and exc.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            exc.strerror = f"Unable to load configuration file ({exc.strerror})"
            raise
        exec(compile(source, path, "exec"), module.__dict__)
        self.from_object(module)
        return True

    def from_object(self, obj: object | str) -> None:
        """Copy the upper-case attributes of a module, class or object.

        Dicts do not work here, since their keys are not attributes; use
        :meth:`from_mapping` for those. Passing a class does not instantiate
        it, so class attributes are read but properties are not evaluated.

        :param obj: The object, or an import string naming it, such as
            ``"yourapp.settings:Production"`` or ``"yourapp.settings"``.
        :raises ImportError: If an import string cannot be resolved.
        """
        if isinstance(obj, str):
            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[IO[Any]], Mapping[str, Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load upper-case keys from a data file, such as JSON or TOML.

        ::

            import json
            app.config.from_file("config.json", load=json.load)

            import tomllib
            app.config.from_file("config.toml", load=tomllib.load, text=False)

        :param filename: Path of the file, relative to :attr:`root_path` unless
            absolute.
        :param load: Called with the open file; must return a mapping.
        :param silent: Return ``False`` instead of raising when the file does
            not exist (or the path is a directory).
        :param text: Open the file in text mode, decoded as UTF-8, if true;
            in binary mode if false. ``tomllib.load`` needs binary.
        :return: ``True`` if the file was loaded.
        :raises OSError: If the file cannot be read.
        """
        path = os.path.join(self.root_path, filename)
        try:
            # Flask decodes with the locale's encoding; JSON and TOML are
            # UTF-8 by specification, so Kolba does not depend on the locale.
            mode, encoding = ("r", "utf-8") if text else ("rb", None)
            with open(path, mode, encoding=encoding) as data_file:
                data = load(data_file)
        except OSError as exc:
            if silent and exc.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            exc.strerror = f"Unable to load configuration file ({exc.strerror})"
            raise
        return self.from_mapping(data)

    def from_mapping(
        self, mapping: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> bool:
        """Copy upper-case keys from a mapping and keyword arguments.

        :param mapping: Values to copy; other keys are ignored.
        :param kwargs: More values; they win over ``mapping``.
        :return: Always ``True``.
        """
        items: Iterable[tuple[str, Any]] = ()
        if mapping is not None:
            items = mapping.items()
        for key, value in (*items, *kwargs.items()):
            if key.isupper():
                self[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, Any]:
        """Return the keys that start with a prefix, as a new dict.

        Handy for passing a group of settings as keyword arguments::

            app.config["IMAGE_STORE_TYPE"] = "fs"
            app.config["IMAGE_STORE_PATH"] = "/var/app/images"
            app.config.get_namespace("IMAGE_STORE_")
            # {"type": "fs", "path": "/var/app/images"}

        :param namespace: The prefix, including any trailing separator.
        :param lowercase: Lower-case the resulting keys.
        :param trim_namespace: Remove the prefix from the resulting keys.
        :return: A new dict; the config is not changed.
        """
        result: dict[str, Any] = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            new_key = key[len(namespace) :] if trim_namespace else key
            if lowercase:
                new_key = new_key.lower()
            result[new_key] = value
        return result

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
