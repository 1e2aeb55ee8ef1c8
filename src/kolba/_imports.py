"""Import an object from a dotted or ``module:attribute`` string.

Used where configuration names code by string, such as
:meth:`kolba.config.Config.from_object`.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ImportStringError", "import_string"]


class ImportStringError(ImportError):
    """An import string could not be resolved to an object.

    :param import_name: The string that was given to :func:`import_string`.
    :param message: What went wrong and how to fix it.
    """

    def __init__(self, import_name: str, message: str) -> None:
        super().__init__(message)
        self.import_name = import_name


def import_string(import_name: str) -> Any:
    """Import and return the object that an import string names.

    Two spellings are accepted:

    - ``"package.module:Object"`` imports ``package.module`` and returns its
      attribute ``Object``. The part after the colon may be dotted
      (``"pkg.mod:Outer.Inner"``). This form is unambiguous and preferred.
    - ``"package.module.Object"`` first tries to import the whole string as a
      module; if no such module exists, the last component is looked up as an
      attribute of the module before it.

    :param import_name: The import string.
    :return: The imported module or attribute.
    :raises ImportStringError: If the module cannot be imported or has no
        such attribute. The original exception is chained as ``__cause__``.
    """
    name = import_name.strip()
    if not name or name.startswith(".") or name.startswith(":"):
        raise ImportStringError(
            import_name,
            f"Cannot import {import_name!r}: an import string must be an absolute "
            "module path such as 'package.module' or 'package.module:Object'.",
        )

    if ":" in name:
        module_name, _, attribute_path = name.partition(":")
        module = _import_module(module_name, import_name)
        return _resolve_attribute(module, attribute_path, import_name)

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Fall back to "module.attribute" only when the missing module lies on
        # the string's own path; a missing dependency *inside* the module must
        # surface as-is, or the real cause would be hidden.
        if "." not in name or not _is_on_path(exc.name, name):
            raise _not_importable(import_name, name, exc) from exc

    module_name, _, attribute = name.rpartition(".")
    module = _import_module(module_name, import_name)
    return _resolve_attribute(module, attribute, import_name)


def _import_module(module_name: str, import_name: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise _not_importable(import_name, module_name, exc) from exc


def _is_on_path(missing: str | None, module_name: str) -> bool:
    return missing is not None and (
        module_name == missing or module_name.startswith(missing + ".")
    )


def _not_importable(
    import_name: str, module_name: str, exc: ImportError
) -> ImportStringError:
    if isinstance(exc, ModuleNotFoundError) and _is_on_path(exc.name, module_name):
        reason = f"no module named {exc.name!r} was found on sys.path"
        hint = "Check the spelling and that the package is installed."
    elif isinstance(exc, ModuleNotFoundError) and exc.name is not None:
        reason = f"importing {module_name!r} failed because {exc.name!r} is missing"
        hint = "Install the missing package or fix the import in that module."
    else:
        reason = f"importing {module_name!r} raised ImportError: {exc}"
        hint = "Fix the import error in that module."
    return ImportStringError(
        import_name, f"Cannot import {import_name!r}: {reason}. {hint}"
    )


def _resolve_attribute(module: Any, attribute_path: str, import_name: str) -> Any:
    obj = module
    for part in attribute_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            available = sorted(n for n in dir(obj) if not n.startswith("_"))
            shown = ", ".join(available[:20]) + (", ..." if len(available) > 20 else "")
            raise ImportStringError(
                import_name,
                f"Cannot import {import_name!r}: {obj!r} has no attribute {part!r}. "
                f"Available names: {shown or '(none)'}.",
            ) from exc
    return obj
