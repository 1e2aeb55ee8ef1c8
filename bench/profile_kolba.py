#!/usr/bin/env python
"""Profile one benchmark case of the Kolba app under cProfile.

    python bench/profile_kolba.py [CASE] [-n REQUESTS] [--top 25] [--sort tottime]
                                  [--framework kolba] [--routes 100]

CASE is one of plaintext, json, routing, form, 404, template, session, db (default
plaintext). The app is
checked for a correct answer first, warmed up, then REQUESTS requests are run under
cProfile through the same timing loop as bench/run.py; the top functions by tottime
are printed. ``--framework flask`` profiles the Flask app for comparison.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from contextlib import ExitStack
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402
from harness import CASES, FRAMEWORKS  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="bench/profile_kolba.py", description=__doc__.split("\n\n", 1)[0]
    )
    p.add_argument("case", nargs="?", default="plaintext", choices=list(CASES))
    p.add_argument("-n", "--requests", type=int, default=20000)
    p.add_argument("--top", type=int, default=25)
    p.add_argument(
        "--sort",
        default="tottime",
        help="pstats sort key (tottime, cumulative, ncalls, ...)",
    )
    p.add_argument("--framework", default="kolba", choices=FRAMEWORKS)
    p.add_argument("--routes", type=int, default=100, help="size of the route table")
    args = p.parse_args(argv)

    try:
        make_app = harness.load_factory(args.framework)
    except Exception as exc:  # noqa: BLE001
        print(
            f"{args.framework}: not importable ({type(exc).__name__}: {exc})",
            file=sys.stderr,
        )
        return 1
    with ExitStack() as cleanup:
        if args.case == "db":
            uri = cleanup.enter_context(harness.bench_database())
            app = make_app(n_routes=args.routes, database_uri=uri)
            cleanup.callback(harness.close_app, args.framework, app)
        else:
            app = make_app(n_routes=args.routes)
        case = CASES[args.case]
        harness.verify(app, case)  # raises BrokenApp: never profile a wrong answer
        run = harness.make_runner(app, case)
        run(min(1000, args.requests))  # warm-up: lazy compilation, caches, imports

        profiler = cProfile.Profile()
        profiler.enable()
        elapsed = run(args.requests)
        profiler.disable()

    print(
        f"{args.framework} / {args.case}: {args.requests} requests in {elapsed:.3f} s "
        f"under cProfile ({args.requests / elapsed:,.0f} req/s; profiling overhead "
        f"included, use bench/run.py for real numbers)\n"
    )
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
