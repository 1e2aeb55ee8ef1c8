"""File-name helpers for handling uploads and serving files safely."""

from __future__ import annotations

import os
import posixpath
import unicodedata

__all__ = ["safe_join", "secure_filename"]

_FILENAME_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
)
# Names Windows treats as devices whatever the extension ("con.txt" too).
_WINDOWS_DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{digit}" for digit in "0123456789"}
    | {f"LPT{digit}" for digit in "0123456789"}
)


def secure_filename(filename: str) -> str:
    """Reduce a client-supplied file name to a safe, plain ASCII name.

    Accents are folded (``é`` → ``e``), path separators and whitespace become
    ``_``, other characters are dropped, and dots and underscores are stripped
    from both ends, so the result can never leave the folder it is joined to.
    Windows device names (``CON``, ``NUL``, ``COM1`` …) get a ``_`` prefix.

    The result may be the empty string (for ``"../.."`` or ``"文件"``):
    callers must check for that and pick a name of their own.

    :param filename: the untrusted name, such as ``FileStorage.filename``.
    """
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    for separator in ("/", "\\"):
        folded = folded.replace(separator, " ")
    folded = "_".join(folded.split())
    cleaned = "".join(char for char in folded if char in _FILENAME_CHARS)
    cleaned = cleaned.strip("._")
    if cleaned and cleaned.split(".")[0].upper() in _WINDOWS_DEVICE_NAMES:
        cleaned = "_" + cleaned
    return cleaned


def safe_join(directory: str, *pathnames: str) -> str | None:
    """Join untrusted path segments to a trusted directory, or return None.

    ``None`` means the result could point outside ``directory``: a ``..``
    segment, an absolute path, a backslash or drive letter (Windows
    separators), a NUL byte, or anything that escapes after normalisation.

    Unlike Werkzeug, Kolba also refuses a segment whose Unicode compatibility
    form (NFKC) would be refused, such as fullwidth ``．．／`` or ``‥``: a
    file system, proxy or "best fit" code-page conversion that folds such
    characters to ASCII would otherwise turn them into ``../``. Backslashes
    are refused on every platform, not only on Windows.

    :param directory: the trusted base directory.
    :param pathnames: untrusted segments, for example from the URL.
    """
    if not directory:
        directory = "."
    parts = [directory]
    for name in pathnames:
        if name == "":
            continue
        # SECURITY: check the name as given and as a folding layer would see it.
        if _is_unsafe_segment(name) or (
            not name.isascii()
            and _is_unsafe_segment(unicodedata.normalize("NFKC", name))
        ):
            return None
        parts.append(posixpath.normpath(name))
    return posixpath.join(*parts)


def _is_unsafe_segment(name: str) -> bool:
    if "\0" in name or "\\" in name:
        return True
    # A drive letter ("C:") or a colon-prefixed path is absolute on Windows.
    if len(name) >= 2 and name[1] == ":":
        return True
    if name.startswith("/") or os.path.isabs(name):
        return True
    if any(segment == ".." for segment in name.split("/")):
        return True
    return os.sep != "/" and os.sep in name  # pragma: no cover - Windows only
