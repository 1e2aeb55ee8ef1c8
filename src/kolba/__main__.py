"""``python -m kolba`` runs the ``kolba`` command."""

from .cli import main

main()
