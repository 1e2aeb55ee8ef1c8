#!/usr/bin/env python
"""A benchmark worker process for the before/after mode (``run.py --baseline-ref``).

    PYTHONPATH=DIR python bench/bench_worker.py --kolba-dir DIR  # DIR holds kolba/

It serves one Kolba version. It reads one JSON command per line on stdin and answers
one JSON line on stdout (the real stdout; ``print`` output goes to stderr):

- ``{"op": "setup", "cases": [...], "database_uri": str | null}`` builds the WSGI apps
  from this tree's ``apps/kolba_app.py`` (the same code for every version), checks
  each case with ``harness.verify`` and answers ``{"kolba": path, "version": str,
  "broken": {case: reason}}``;
- ``{"op": "run", "case": name, "n": n}`` runs ``gc.collect()`` then times n
  requests with ``harness.make_runner`` and answers ``{"elapsed": seconds}``;
- ``{"op": "close"}`` releases the apps and exits.

Timing happens inside the worker, so the pipe's cost is never on the clock.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402
from harness import CASES  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(prog="bench/bench_worker.py")
    p.add_argument("--kolba-dir", required=True, help="the folder kolba must load from")
    args = p.parse_args()
    proto = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr  # anything an app prints stays off the protocol

    def answer(obj) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    apps: list = []
    runners: dict = {}
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        try:
            if op == "setup":
                answer(setup(cmd, args.kolba_dir, apps, runners))
            elif op == "run":
                gc.collect()
                answer({"elapsed": runners[cmd["case"]](int(cmd["n"]))})
            elif op == "close":
                for app in apps:
                    harness.close_app("kolba", app)
                answer({"closed": True})
                return 0
            else:
                answer({"error": f"unknown op {op!r}"})
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            answer({"error": f"{type(exc).__name__}: {exc}"})
    return 0


def setup(cmd, kolba_dir: str, apps: list, runners: dict) -> dict:
    import kolba

    where = Path(kolba.__file__).resolve()
    if not where.is_relative_to(Path(kolba_dir).resolve()):
        return {"error": f"kolba loaded from {where}, expected under {kolba_dir}"}
    make_app = harness.load_factory("kolba")
    broken = {}
    plain = db_app = None
    for name in cmd["cases"]:
        case = CASES[name]
        try:
            if name == "db":
                if db_app is None:
                    db_app = make_app(n_routes=100, database_uri=cmd["database_uri"])
                    apps.append(db_app)
                app = db_app
            else:
                if plain is None:
                    plain = make_app(n_routes=100)
                    apps.append(plain)
                app = plain
            harness.verify(app, case)
            runners[name] = harness.make_runner(app, case)
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            broken[name] = f"{type(exc).__name__}: {exc}"
    return {
        "kolba": str(where.parent),
        "version": getattr(kolba, "__version__", "?"),
        "broken": broken,
    }


if __name__ == "__main__":
    sys.exit(main())
