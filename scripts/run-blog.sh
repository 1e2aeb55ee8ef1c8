#!/usr/bin/env bash
# Set up .venv (scripts/setup.sh) and serve the blog at http://127.0.0.1:5000 on SQLite.
# The first start applies the migrations and adds a few sample posts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/kolba --app examples.blog.app:app run --host 127.0.0.1 --port 5000
