"""``python -m kolba.cli``: the same as the ``kolba`` command."""

from .group import main

if __name__ == "__main__":  # pragma: no cover
    main()
