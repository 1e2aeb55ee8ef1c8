#!/usr/bin/env bash
# Set up and run the whole test suite, then the static checks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
bash scripts/setup.sh
.venv/bin/python -m pytest -q -n 2 -p no:cacheprovider "$@"
.venv/bin/ruff check src tests bench examples
.venv/bin/ruff format --check src tests bench examples
.venv/bin/mypy
# tests/type_check is only type-checked (mypy cannot mix packages and files);
# the examples are checked as strictly as the package.
.venv/bin/mypy tests/type_check examples/hello/app.py examples/blog
.venv/bin/python bench/run.py --quick --no-write
