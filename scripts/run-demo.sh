#!/usr/bin/env bash
# Set up and serve the demo app at http://127.0.0.1:5000 (the blog replaces it later).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/kolba --app examples/hello/app.py run --host 127.0.0.1 --port 5000
