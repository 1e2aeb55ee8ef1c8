#!/usr/bin/env bash
# Install the OS packages the test suite runs for real (Debian/Ubuntu, as root).
# Idempotent: installs only what is missing.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# PostgreSQL server binaries (initdb, pg_ctl); the tests start a throwaway cluster.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# The blog's end-to-end test (Playwright drives Debian's chromium) and the
# deployment test (nginx in front of gunicorn).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "system-deps: missing ${need[*]}; run as root or install them yourself" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
