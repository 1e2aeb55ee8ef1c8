#!/usr/bin/env bash
# Set up and run the whole test suite, then the static checks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
bash scripts/setup.sh
.venv/bin/python -m pytest -q -n 2 -p no:cacheprovider "$@"
# The suite must pass on Python 3.13 too: run it again there when pyenv has it
# (KOLBA_SKIP_PY313=1 skips this second run).
PY313="$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python 2>/dev/null | tail -1 || true)"
if [ -n "$PY313" ] && [ "${KOLBA_SKIP_PY313:-0}" != "1" ]; then
  PYTHON="$PY313" VENV=.venv313 bash scripts/setup.sh
  .venv313/bin/python -m pytest -q -n 2 -p no:cacheprovider "$@"
fi
.venv/bin/ruff check src tests bench examples
.venv/bin/ruff format --check src tests bench examples
.venv/bin/mypy
# tests/type_check is only type-checked (mypy cannot mix packages and files);
# the examples are checked as strictly as the package.
.venv/bin/mypy tests/type_check examples/hello/app.py examples/blog
.venv/bin/python bench/run.py --quick --no-write
