#!/usr/bin/env python
"""Kolba benchmark: Kolba beside Flask 3.1, Bottle, Falcon and a raw WSGI callable;
Kolba's ASGI side beside Starlette, Quart and a raw ASGI callable; optionally the WSGI
path of another commit's Kolba beside this one.

    python bench/run.py [--rounds N] [--quick] [--check] [--only case,...] [--no-write]
                        [--no-wsgi] [--no-asgi] [--baseline-ref REF]

See bench/README.md for the method and how to read the output.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import platform
import statistics
import sys
import tempfile
import traceback
from contextlib import ExitStack
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import asgi_harness  # noqa: E402
import baseline  # noqa: E402
import harness  # noqa: E402
from apps.spec import last_static_filler  # noqa: E402
from asgi_harness import (  # noqa: E402
    ASGI_CASES,
    ASGI_FRAMEWORKS,
    ASGI_LABELS,
    WEBSOCKET_CASE,
)
from harness import BASELINE, CASES, FRAMEWORKS, LABELS  # noqa: E402

# Every label a report line may need: WSGI and ASGI apps, and the two Kolba versions
# of the before/after mode.
ALL_LABELS = {**LABELS, **ASGI_LABELS, "before": "Kolba before", "after": "Kolba after"}

SCALE_SIZES = (10, 100, 1000)
SCALE_FRAMEWORKS = ("kolba", "flask")
TARGET_5X = 5.0
BOTTLE_CASES = ("plaintext", "json", "routing", "template")
# Jinja2's own rendering bounds the template case; its target is Bottle's
# throughput, not 5x Flask (the ratio is still reported).
# SQLAlchemy's own work bounds the db case the same way; its target is the
# framework's overhead on top of SQLAlchemy instead (db_overhead below).
NO_5X_CASES = ("template", "db")
# The ASGI column's targets: Kolba ASGI against Starlette and Quart, every ASGI case.
ASGI_TARGETS = (("starlette", 2.0), ("quart", 3.0))
ALL_SELECTABLE = (*CASES, WEBSOCKET_CASE, "scale")


# -- CLI --------


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Benchmark Kolba against Flask, Bottle, Falcon and raw WSGI "
        "(in-process, interleaved rounds, best-of-rounds).",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="interleaved rounds per case (default 7; 3 with --quick)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: ~0.05 s per framework per round instead of ~0.3 s",
    )
    p.add_argument(
        "--time",
        type=float,
        default=None,
        metavar="SECONDS",
        help="target seconds per framework per round (overrides --quick)",
    )
    p.add_argument(
        "--check", action="store_true", help="exit 1 if a performance target is missed"
    )
    p.add_argument(
        "--only",
        default=None,
        metavar="CASE,...",
        help=f"comma-separated subset of: {', '.join(ALL_SELECTABLE)}",
    )
    p.add_argument("--no-write", action="store_true", help="do not write BENCHMARKS.md")
    p.add_argument(
        "--no-wsgi",
        action="store_true",
        help="skip the WSGI table and the routing scale table",
    )
    p.add_argument(
        "--no-asgi",
        action="store_true",
        help="skip the ASGI column (Kolba ASGI, Starlette, Quart) and websocket",
    )
    p.add_argument(
        "--baseline-ref",
        default=None,
        metavar="REF",
        help="also time the WSGI path of Kolba at git REF beside this tree's "
        "(before/after; one worker process per version)",
    )
    args = p.parse_args(argv)
    if args.rounds is None:
        args.rounds = 3 if args.quick else 7
    if args.rounds < 1:
        p.error("--rounds must be >= 1")
    if args.time is None:
        args.time = 0.05 if args.quick else 0.3
    if args.only:
        chosen = [c.strip() for c in args.only.split(",") if c.strip()]
        unknown = [c for c in chosen if c not in ALL_SELECTABLE]
        if unknown:
            p.error(
                f"unknown case(s) {', '.join(unknown)}; choose from "
                f"{', '.join(ALL_SELECTABLE)}"
            )
        if "db" in chosen and "plaintext" not in chosen:
            chosen.append("plaintext")  # the db overhead is measured against it
        args.only = chosen
    else:
        args.only = list(ALL_SELECTABLE)
    return args


# -- environment --------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> list[tuple[str, str]]:
    cores = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = cores
    return [
        ("CPU", cpu_model()),
        ("Cores", f"{cores} logical ({usable} usable by this process)"),
        (
            "Python",
            f"{platform.python_implementation()} {platform.python_version()} "
            f"{sys.version.split(' ', 1)[-1]}",
        ),
        ("Platform", platform.platform()),
    ]


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def framework_versions(kolba_status: str) -> list[tuple[str, str]]:
    falcon_build = ""
    try:
        import falcon

        compiled = any(Path(falcon.__file__).parent.rglob("*.so"))
        falcon_build = " (Cython-compiled)" if compiled else " (pure Python)"
    except ImportError:
        pass
    return [
        ("Kolba", f"{_dist_version('kolba')} (working tree){kolba_status}"),
        ("Flask", _dist_version("flask")),
        ("Werkzeug", _dist_version("werkzeug")),
        ("Bottle", _dist_version("bottle")),
        ("Falcon", _dist_version("falcon") + falcon_build),
        ("Starlette", _dist_version("starlette")),
        ("Quart", _dist_version("quart")),
    ]


# -- measuring --------


def measure(runners: dict, rounds: int, target: float, on_error=None):
    """Interleaved rounds: calibrate each runner once, then time each in rotated order.

    ``runners`` maps a key to ``run(n) -> seconds``. Returns key -> req/s per round.
    A runner that raises is dropped (and reported through ``on_error(key, exc)``).
    """
    keys = list(runners)
    counts = {}
    results: dict[str, list[float]] = {}

    def attempt(key, fn):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001
            if on_error is None:
                raise
            on_error(key, exc)
            keys.remove(key)
            results.pop(key, None)
            return None

    for key in list(keys):
        gc.collect()
        n = attempt(key, lambda key=key: harness.calibrate(runners[key], target))
        if n is not None:
            counts[key] = n
            results[key] = []
    for r in range(rounds):
        order = list(keys)
        shift = r % len(order) if order else 0
        for key in order[shift:] + order[:shift]:
            gc.collect()
            n = counts[key]
            elapsed = attempt(key, lambda key=key, n=n: runners[key](n))
            if elapsed is not None:
                results[key].append(n / elapsed if elapsed > 0 else float("inf"))
    return results


def best(values):
    return max(values) if values else None


def median(values):
    return statistics.median(values) if values else None


# -- formatting --------


def fmt_rps(v) -> str:
    return "n/a" if v is None else f"{v:,.0f}"


def fmt_ratio(v) -> str:
    return "n/a" if v is None else f"{v:.2f}x"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def text_table(headers, rows) -> list[str]:
    cols = [headers, *rows]
    widths = [max(len(str(r[i])) for r in cols) for i in range(len(headers))]
    out = []
    for n, row in enumerate(cols):
        cells = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def md_table(headers, rows) -> list[str]:
    out = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|",
    ]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


# -- main --------


def main(argv=None) -> int:
    # Closes what the run opened (the db case's engines and SQLite file).
    with ExitStack() as cleanup:
        return _main(argv, cleanup)


def db_overhead(results) -> list[tuple[str, float, float, float, float]]:
    """Per framework: µs per db request, per plaintext request, overheads.

    Returns ``(framework, db_us, plaintext_us, over_bare_us, layer_us)`` where
    ``over_bare_us`` is the db request minus the bare SQLAlchemy loop and
    ``layer_us`` that minus the plaintext request too: what the framework and
    its SQLAlchemy integration add beyond a minimal request and the ORM work.
    """
    db = results.get("db", {})
    bare = best(db.get(BASELINE, []))
    rows = []
    for fw in SCALE_FRAMEWORKS:
        db_rps = best(db.get(fw, []))
        plain_rps = best(results.get("plaintext", {}).get(fw, []))
        if not (bare and db_rps and plain_rps):
            continue
        db_us, plain_us, bare_us = 1e6 / db_rps, 1e6 / plain_rps, 1e6 / bare
        rows.append((fw, db_us, plain_us, db_us - bare_us, db_us - plain_us - bare_us))
    return rows


def target_status(ok) -> str:
    """PASS, FAIL, or n/a for a target that cannot be judged in this run."""
    return "n/a " if ok is None else ("PASS" if ok else "FAIL")


def us_per_request(rps):
    return None if not rps else 1e6 / rps


def fmt_us(v) -> str:
    return "n/a" if v is None else f"{v:.1f}"


def asgi_report(
    run_cases, results, unavailable, unsupported, broken, wsgi_results, targets
):
    """The ASGI column's sections; appends its targets to ``targets``.

    A section is ``(title, "table", (headers, rows))`` or ``(title, "text", lines)``.
    """
    if not run_cases:
        return []

    def value(name, fw, fn=best):
        if fw in unavailable or name in unsupported.get(fw, {}):
            return None
        if (fw, f"asgi {name}") in broken or (fw, "make_app(100)") in broken:
            return None
        return fn(results.get(name, {}).get(fw, []))

    def cell(name, fw, fn):
        if (fw, f"asgi {name}") in broken or (fw, "make_app(100)") in broken:
            return "BROKEN"
        if fw in unavailable:
            return unavailable[fw]
        if name in unsupported.get(fw, {}):
            return "n/a"
        return fmt_rps(value(name, fw, fn))

    def row_name(name):
        return f"{name} (echoes/s)" if name == WEBSOCKET_CASE else name

    headers = ["case", *(ASGI_LABELS[fw] for fw in ASGI_FRAMEWORKS)]
    sections = []
    for title, fn in (("best of rounds", best), ("median of rounds", median)):
        rows = [
            [row_name(n), *(cell(n, fw, fn) for fw in ASGI_FRAMEWORKS)]
            for n in run_cases
        ]
        sections.append((f"ASGI, requests/s, {title}", "table", (headers, rows)))
    notes = [
        f"{ASGI_LABELS[fw]} / {n}: {why}"
        for fw, cases_ in unsupported.items()
        for n, why in cases_.items()
        if n in run_cases
    ]
    if notes:
        sections.append(("ASGI n/a (case not implemented by that app)", "text", notes))

    k = "kolba_asgi"
    ratio_rows = [
        [
            row_name(n),
            fmt_ratio(ratio(value(n, k), value(n, "starlette"))),
            fmt_ratio(ratio(value(n, k), value(n, "quart"))),
            fmt_ratio(ratio(value(n, "raw_asgi"), value(n, k))),
        ]
        for n in run_cases
    ]
    sections.append(
        (
            "ASGI ratios (best of rounds)",
            "table",
            (
                ["case", "Kolba ASGI/Starlette", "Kolba ASGI/Quart", "raw/Kolba ASGI"],
                ratio_rows,
            ),
        )
    )

    # ASGI overhead: the same app and case over ASGI minus over WSGI, µs/request.
    over_rows = []
    for n in run_cases:
        if n == WEBSOCKET_CASE or n not in wsgi_results:
            continue
        kw = us_per_request(best(wsgi_results[n].get("kolba", [])))
        ka = us_per_request(value(n, k))
        rw = us_per_request(best(wsgi_results[n].get("raw", [])))
        ra = us_per_request(value(n, "raw_asgi"))
        over_rows.append(
            [
                n,
                fmt_us(kw),
                fmt_us(ka),
                fmt_us(ka - kw if ka is not None and kw is not None else None),
                fmt_us(rw),
                fmt_us(ra),
                fmt_us(ra - rw if ra is not None and rw is not None else None),
            ]
        )
    if over_rows:
        sections.append(
            (
                "ASGI overhead, µs per request (best of rounds; ASGI minus WSGI, "
                "same app)",
                "table",
                (
                    [
                        "case",
                        "Kolba WSGI",
                        "Kolba ASGI",
                        "Kolba ASGI-WSGI",
                        "raw WSGI",
                        "raw ASGI",
                        "raw ASGI-WSGI",
                    ],
                    over_rows,
                ),
            )
        )

    for n in run_cases:
        for peer, factor in ASGI_TARGETS:
            text = f"Kolba ASGI >= {factor:g}x {ASGI_LABELS[peer]} on {row_name(n)}"
            if k in unavailable:
                targets.append((None, f"{text}: {unavailable[k]}"))
                continue
            r = ratio(value(n, k), value(n, peer))
            if r is None and value(n, k) is not None:
                why = unsupported.get(peer, {}).get(n, "no measurement")
                targets.append((None, f"{text}: n/a ({ASGI_LABELS[peer]}: {why})"))
                continue
            targets.append((r is not None and r >= factor, f"{text}: {fmt_ratio(r)}"))
    return sections


def before_after_report(
    run_cases, results, unavailable, failed_before, broken, ref_label, where
):
    """The before/after sections: case -> before, after, after/before."""
    if not run_cases:
        return []

    def value(key, name, fn=best):
        if key in unavailable or (key, f"before/after {name}") in broken:
            return None
        if key == "before" and name in failed_before:
            return None
        return fn(results.get(name, {}).get(key, []))

    def cell(key, name):
        if key in unavailable:
            return "n/a"
        if (key, f"before/after {name}") in broken:
            return "BROKEN"
        if key == "before" and name in failed_before:
            return "fails"
        return fmt_rps(value(key, name))

    rows = [
        [
            n,
            cell("before", n),
            cell("after", n),
            fmt_ratio(ratio(value("after", n), value("before", n))),
            fmt_ratio(ratio(value("after", n, median), value("before", n, median))),
        ]
        for n in run_cases
    ]
    headers = ["case", "before", "after", "after/before", "after/before (median)"]
    about = [
        f"before: Kolba at {ref_label}"
        + (f", {where['before']}" if "before" in where else ""),
        "after: this run's Kolba" + (f", {where['after']}" if "after" in where else ""),
        "WSGI path, req/s best of rounds; each version in its own worker process, "
        "same bench code, same interleaved rounds (bench/README.md).",
    ]
    about += [f"{ALL_LABELS[k]} not run: {why}" for k, why in unavailable.items()]
    about += [f"before fails {n} at the ref: {why}" for n, why in failed_before.items()]
    return [
        ("WSGI path before/after", "text", about),
        ("WSGI path before/after, req/s", "table", (headers, rows)),
    ]


def _main(argv, cleanup: ExitStack) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    command = " ".join(
        ["python bench/run.py", *(sys.argv[1:] if argv is None else argv)]
    )
    started = datetime.now(UTC)
    cases = [] if args.no_wsgi else [c for c in CASES if c in args.only]
    do_scale = "scale" in args.only and not args.no_wsgi
    asgi_cases = [] if args.no_asgi else [c for c in ASGI_CASES if c in args.only]
    do_ws = WEBSOCKET_CASE in args.only and not args.no_asgi
    ba_cases = [c for c in CASES if c in args.only] if args.baseline_ref else []
    ba_commit = None
    if ba_cases:  # fail fast on a bad ref, before anything is timed
        try:
            ba_commit = baseline.resolve_ref(REPO_ROOT, args.baseline_ref)
        except baseline.WorkerError as exc:
            print(f"bench/run.py: --baseline-ref: {exc}", file=sys.stderr)
            return 2

    # Load app factories. Kolba may legitimately not be importable yet.
    factories = {}
    unavailable: dict[str, str] = {}
    for fw in FRAMEWORKS:
        try:
            factories[fw] = harness.load_factory(fw)
        except Exception as exc:  # noqa: BLE001 - any failure means "not importable"
            if fw != "kolba":
                raise
            unavailable[fw] = f"not importable ({type(exc).__name__}: {exc})"
    drift = harness.kolba_module_drift()
    if drift:
        unavailable.setdefault("kolba", f"not benchmarked: {drift}")
        factories.pop("kolba", None)
    if cases or do_scale:
        for fw, why in unavailable.items():
            print(f"{fw}: {why}")
    # Cases an app does not implement (no built-in session, say): n/a, not BROKEN.
    unsupported = {fw: harness.unsupported_cases(fw) for fw in factories}
    not_applicable = [
        f"{LABELS[fw]} / {case}: {why}"
        for fw, cases_ in unsupported.items()
        for case, why in cases_.items()
        if case in cases
    ]

    broken: dict[tuple[str, str], str] = {}  # (framework, case) -> reason

    database_uri = None
    if (
        "db" in cases and any("db" not in unsupported[fw] for fw in factories)
    ) or "db" in ba_cases:
        database_uri = cleanup.enter_context(harness.bench_database())

    def build(fw, n_routes, with_db=False):
        try:
            if with_db:
                app = factories[fw](n_routes=n_routes, database_uri=database_uri)
                cleanup.callback(harness.close_app, fw, app)
                return app
            return factories[fw](n_routes=n_routes)
        except Exception as exc:  # noqa: BLE001
            broken[(fw, f"make_app({n_routes})")] = f"{type(exc).__name__}: {exc}"
            print(f"BROKEN {fw}: make_app(n_routes={n_routes}) raised", file=sys.stderr)
            traceback.print_exc()
            return None

    def report_broken(fw, label, exc):
        broken[(fw, label)] = f"{type(exc).__name__}: {exc}"
        print(
            f"BROKEN {ALL_LABELS[fw]} on {label}: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        if not isinstance(exc, harness.BrokenApp):
            traceback.print_exc()

    def checked(fw, app, case, label):
        """Verify ``app`` on ``case``; record and report loudly if it is broken."""
        try:
            harness.verify(app, case)
            return True
        except Exception as exc:  # noqa: BLE001
            report_broken(fw, label, exc)
            return False

    def timing_failed(label):
        def on_error(fw, exc):
            broken[(fw, label)] = f"raised while timed: {type(exc).__name__}: {exc}"
            print(
                f"\nBROKEN {ALL_LABELS[fw]} on {label}: raised while timed",
                file=sys.stderr,
            )
            traceback.print_exc()

        return on_error

    def timed(label, runners, labels=ALL_LABELS):
        """``measure`` with a progress line; returns key -> req/s per round."""
        print(f"  {label:<22}...", end="", flush=True)
        res = measure(runners, args.rounds, args.time, timing_failed(label))
        print(
            " " + "  ".join(f"{labels[k]} {fmt_rps(best(v))}" for k, v in res.items()),
            flush=True,
        )
        return res

    print(f"rounds={args.rounds}, ~{args.time:g} s per framework per round", flush=True)

    # Main table.
    results: dict[str, dict[str, list[float]]] = {}
    if cases:
        # The web cases run on apps without the database extension (as in the
        # issue-2 definitions); the db case gets its own apps with it, so the
        # extension's per-request cost counts only where it is used.
        plain_apps = {fw: build(fw, 100) for fw in factories}
        plain_apps = {fw: app for fw, app in plain_apps.items() if app is not None}
        db_apps: dict = {}
        if database_uri is not None:
            db_apps = {
                fw: build(fw, 100, with_db=True)
                for fw in factories
                if "db" not in unsupported[fw]
            }
            db_apps = {fw: app for fw, app in db_apps.items() if app is not None}
        for name in cases:
            case = CASES[name]
            apps = db_apps if name == "db" else plain_apps
            runners = {
                fw: harness.make_runner(app, case)
                for fw, app in apps.items()
                if name not in unsupported[fw] and checked(fw, app, case, name)
            }
            if name == "db" and database_uri is not None:
                floor, dispose = harness.database_baseline(database_uri)
                cleanup.callback(dispose)
                runners[BASELINE] = floor
            print(f"  {name:<10} ...", end="", flush=True)
            results[name] = measure(
                runners, args.rounds, args.time, timing_failed(name)
            )
            print(
                " "
                + "  ".join(
                    f"{LABELS[fw]} {fmt_rps(best(v))}"
                    for fw, v in results[name].items()
                ),
                flush=True,
            )

    # Routing scale table.
    scale: dict[
        tuple[str, int], dict[str, list[float]]
    ] = {}  # (probe, size) -> fw -> rps
    if do_scale:
        for size in SCALE_SIZES:
            static_probe = harness.static_case(last_static_filler(size))
            probes = {"typed": CASES["routing"], "static": static_probe}
            sized = {fw: build(fw, size) for fw in SCALE_FRAMEWORKS if fw in factories}
            for probe, case in probes.items():
                label = f"scale {probe} n={size}"
                runners = {
                    fw: harness.make_runner(app, case)
                    for fw, app in sized.items()
                    if app is not None and checked(fw, app, case, label)
                }
                print(f"  {label:<22}...", end="", flush=True)
                scale[(probe, size)] = measure(
                    runners, args.rounds, args.time, timing_failed(label)
                )
                print(
                    " "
                    + "  ".join(
                        f"{LABELS[fw]} {fmt_rps(best(v))}"
                        for fw, v in scale[(probe, size)].items()
                    ),
                    flush=True,
                )

    # ASGI column (and the websocket case).
    asgi_results: dict[str, dict[str, list[float]]] = {}
    asgi_unavailable: dict[str, str] = {}
    asgi_unsupported: dict[str, dict[str, str]] = {}
    asgi_run = [*asgi_cases, *([WEBSOCKET_CASE] if do_ws else [])]
    if asgi_run:
        loop = asyncio.new_event_loop()
        cleanup.callback(loop.close)  # registered first: closes after the shutdowns
        missing = asgi_harness.kolba_asgi_missing()
        if missing:
            asgi_unavailable["kolba_asgi"] = missing
            print(f"Kolba ASGI: {missing}")
        asgi_apps = {}
        for fw in ASGI_FRAMEWORKS:
            if fw in asgi_unavailable:
                continue
            try:
                app = asgi_harness.load_factory(fw)(n_routes=100)
                life = asgi_harness.Lifespan(loop, app)
                life.startup()
                cleanup.callback(life.shutdown)
                asgi_unsupported[fw] = asgi_harness.unsupported_cases(fw)
            except Exception as exc:  # noqa: BLE001
                report_broken(fw, "make_app(100)", exc)
                continue
            asgi_apps[fw] = (app, life.state)
        for name in asgi_run:
            label = f"asgi {name}"
            runners = {}
            for fw, (app, state) in asgi_apps.items():
                if name in asgi_unsupported[fw]:
                    continue
                try:
                    if name == WEBSOCKET_CASE:
                        asgi_harness.verify_websocket(loop, app, state)
                        runners[fw] = asgi_harness.make_websocket_runner(
                            loop, app, state
                        )
                    else:
                        case = asgi_harness.verify(loop, app, CASES[name], state)
                        runners[fw] = asgi_harness.make_runner(loop, app, case, state)
                except Exception as exc:  # noqa: BLE001
                    report_broken(fw, label, exc)
            asgi_results[name] = timed(label, runners)

    # Before/after: this tree's Kolba against another commit's, WSGI path.
    ba_results: dict[str, dict[str, list[float]]] = {}
    ba_unavailable: dict[str, str] = {}
    ba_failed_before: dict[str, str] = {}  # case -> why, at the baseline ref
    ba_where: dict[str, str] = {}
    if ba_cases:
        tmp = Path(
            cleanup.enter_context(tempfile.TemporaryDirectory(prefix="kolba-base-"))
        )
        dirs = {"before": None, "after": baseline.current_kolba_dir()}
        try:
            dirs["before"] = baseline.extract_kolba(REPO_ROOT, ba_commit, tmp)
        except baseline.WorkerError as exc:
            ba_unavailable["before"] = str(exc)
        if dirs["after"] is None:
            ba_unavailable["after"] = "kolba is not importable in this run"
        workers = {}
        for key, where in dirs.items():
            if where is None:
                continue
            worker = baseline.Worker(where)
            cleanup.callback(worker.close)
            try:
                info = worker.setup(ba_cases, database_uri)
            except baseline.WorkerError as exc:
                ba_unavailable[key] = str(exc)
                print(f"{ALL_LABELS[key]}: {exc}", file=sys.stderr)
                continue
            ba_where[key] = f"kolba {info['version']}" + (
                f" from {info['kolba']}" if key == "after" else " (git archive)"
            )
            for name, why in info["broken"].items():
                if key == "before":  # the baseline may predate a case: not an error
                    ba_failed_before[name] = why
                    print(f"Kolba before, {name}: fails at the ref: {why}")
                else:
                    report_broken(key, f"before/after {name}", harness.BrokenApp(why))
            workers[key] = (worker, info["broken"])
        for name in ba_cases:
            runners = {
                key: worker.runner(name)
                for key, (worker, failed) in workers.items()
                if name not in failed
            }
            ba_results[name] = timed(f"before/after {name}", runners)

    # Report.
    def cell(name, fw, fn):
        if (fw, name) in broken:
            return "BROKEN"
        if fw in unavailable:
            return "n/a"
        return fmt_rps(fn(results[name].get(fw, [])))

    headers = ["case", *(LABELS[fw] for fw in FRAMEWORKS)]
    best_rows = [[n, *(cell(n, fw, best) for fw in FRAMEWORKS)] for n in cases]
    median_rows = [[n, *(cell(n, fw, median) for fw in FRAMEWORKS)] for n in cases]

    def b(name, fw):
        return best(results[name].get(fw, [])) if name in results else None

    ratio_headers = ["case", "Kolba/Flask", "Kolba/Bottle", "Kolba/Falcon", "raw/Kolba"]
    ratio_rows = []
    kf = []
    for n in cases:
        r = ratio(b(n, "kolba"), b(n, "flask"))
        if r is not None:
            kf.append(r)
        ratio_rows.append(
            [
                n,
                fmt_ratio(r),
                fmt_ratio(ratio(b(n, "kolba"), b(n, "bottle"))),
                fmt_ratio(ratio(b(n, "kolba"), b(n, "falcon"))),
                fmt_ratio(ratio(b(n, "raw"), b(n, "kolba"))),
            ]
        )
    geomean = math.exp(sum(map(math.log, kf)) / len(kf)) if kf else None

    targets = []  # (ok, text)
    kolba_missing = unavailable.get("kolba")
    for n in (c for c in cases if c not in NO_5X_CASES):
        r = ratio(b(n, "kolba"), b(n, "flask"))
        why = " (Kolba not available)" if kolba_missing else ""
        targets.append(
            (
                r is not None and r >= TARGET_5X,
                f"Kolba >= {TARGET_5X:g}x Flask on {n}: {fmt_ratio(r)}{why}",
            )
        )
    for n in (c for c in BOTTLE_CASES if c in cases):
        r = ratio(b(n, "kolba"), b(n, "bottle"))
        why = " (Kolba not available)" if kolba_missing else ""
        targets.append(
            (r is not None and r >= 1.0, f"Kolba >= Bottle on {n}: {fmt_ratio(r)}{why}")
        )

    db_rows = db_overhead(results)
    if "db" in cases:
        layer = {row[0]: row[4] for row in db_rows}
        k, f = layer.get("kolba"), layer.get("flask")
        why = " (Kolba not available)" if kolba_missing else ""
        shown = (
            f"{k:.1f} µs vs {f:.1f} µs" if k is not None and f is not None else "n/a"
        )
        targets.append(
            (
                k is not None and f is not None and k <= f,
                "Kolba's overhead on top of SQLAlchemy is no more than "
                f"Flask-SQLAlchemy's (db - plaintext - bare SQLAlchemy): {shown}{why}",
            )
        )
    db_headers = [
        "framework",
        "db µs/req",
        "plaintext µs/req",
        "db - bare SQLAlchemy",
        "db - plaintext - bare",
    ]
    db_table = [[LABELS[fw], *(f"{v:.1f}" for v in values)] for fw, *values in db_rows]
    bare_rps = best(results.get("db", {}).get(BASELINE, []))
    bare_line = (
        f"bare SQLAlchemy (session, get, json.dumps, close): {1e6 / bare_rps:.1f} µs "
        f"per iteration ({fmt_rps(bare_rps)}/s)"
        if bare_rps
        else None
    )

    scale_headers = ["routes"]
    scale_rows = []
    if scale:
        cols = [(fw, probe) for fw in SCALE_FRAMEWORKS for probe in ("typed", "static")]
        names = {"typed": "typed route last", "static": "static route"}
        scale_headers += [f"{LABELS[fw]} {names[probe]}" for fw, probe in cols]
        for size in SCALE_SIZES:
            row = [str(size)]
            for fw, probe in cols:
                if fw in unavailable:
                    row.append("n/a")
                    continue
                if (fw, f"scale {probe} n={size}") in broken or (
                    fw,
                    f"make_app({size})",
                ) in broken:
                    row.append("BROKEN")
                    continue
                v = best(scale[(probe, size)].get(fw, []))
                base = best(scale[(probe, SCALE_SIZES[0])].get(fw, []))
                rel = ratio(v, base)
                row.append(
                    f"{fmt_rps(v)} ({rel:.2f})" if rel is not None else fmt_rps(v)
                )
            scale_rows.append(row)

    asgi = asgi_report(
        asgi_run,
        asgi_results,
        asgi_unavailable,
        asgi_unsupported,
        broken,
        results,
        targets,
    )
    ba = before_after_report(
        ba_cases,
        ba_results,
        ba_unavailable,
        ba_failed_before,
        broken,
        f"{args.baseline_ref} ({ba_commit[:12]})" if ba_commit else "",
        ba_where,
    )

    out = []
    if cases:
        out.append("")
        out.append("Requests/s, best of rounds (higher is better):")
        out += text_table(headers, best_rows)
        out.append("")
        out.append("Requests/s, median of rounds:")
        out += text_table(headers, median_rows)
        out.append("")
        out.append("Ratios (best of rounds):")
        out += text_table(ratio_headers, ratio_rows)
        out.append(f"geometric mean Kolba/Flask: {fmt_ratio(geomean)}")
    if bare_line:
        out.append("")
        out.append("Database case, µs per request (best of rounds; lower is better):")
        out.append(bare_line)
        out += text_table(db_headers, db_table)
    if scale_rows:
        out.append("")
        out.append(
            "Routing scale, req/s best of rounds (in parentheses: relative to 10 "
            "routes; ~1.00 means matching cost does not grow):"
        )
        out += text_table(scale_headers, scale_rows)
    for section in (asgi, ba):
        for title, kind, body in section:
            out.append("")
            out.append(f"{title}:")
            out += text_table(*body) if kind == "table" else [f"  {x}" for x in body]
    out.append("")
    if not_applicable:
        out.append("n/a (case not implemented by that app):")
        out += [f"  {line}" for line in not_applicable]
        out.append("")
    out.append("Targets:")
    out += [f"{target_status(ok)}  {text}" for ok, text in targets] or ["  (none)"]
    if broken:
        out.append("")
        out.append("BROKEN apps (wrong answer or exception; excluded from timing):")
        out += [
            f"  {ALL_LABELS.get(fw, fw)} / {what}: {why}"
            for (fw, what), why in broken.items()
        ]
    print("\n".join(out))

    if not args.no_write:
        write_markdown(
            REPO_ROOT / "BENCHMARKS.md",
            started=started,
            command=command,
            args=args,
            unavailable=unavailable,
            headers=headers,
            best_rows=best_rows,
            median_rows=median_rows,
            ratio_headers=ratio_headers,
            ratio_rows=ratio_rows,
            geomean=geomean,
            scale_headers=scale_headers,
            scale_rows=scale_rows,
            targets=targets,
            broken=broken,
            not_applicable=not_applicable,
            db_headers=db_headers,
            db_table=db_table,
            bare_line=bare_line,
            extra_sections=[*asgi, *ba],
        )
        print(f"\nwrote {REPO_ROOT / 'BENCHMARKS.md'}")

    if broken:
        return 1  # a broken app is always an error, --check or not
    if args.check and any(ok is False for ok, _ in targets):
        return 1
    return 0


def write_markdown(
    path,
    *,
    started,
    command,
    args,
    unavailable,
    headers,
    best_rows,
    median_rows,
    ratio_headers,
    ratio_rows,
    geomean,
    scale_headers,
    scale_rows,
    targets,
    broken,
    not_applicable,
    db_headers,
    db_table,
    bare_line,
    extra_sections=(),
):
    kolba_status = f" — {unavailable['kolba']}" if "kolba" in unavailable else ""
    lines = [
        "# Kolba benchmarks",
        "",
        "Generated by `bench/run.py`; do not edit by hand (re-run it instead).",
        "",
        f"- **Date:** {started.strftime('%Y-%m-%d %H:%M UTC')}",
    ]
    lines += [f"- **{k}:** {v}" for k, v in machine_info()]
    lines += ["", "## Versions", ""]
    lines += [f"- {k}: {v}" for k, v in framework_versions(kolba_status)]
    lines += [
        "",
        "## Command",
        "",
        "```",
        command,
        "```",
        "",
        f"{args.rounds} interleaved rounds, ~{args.time:g} s per framework per round.",
        "",
        "## Requests per second (best of rounds)",
        "",
    ]
    if best_rows:
        lines += md_table(headers, best_rows)
        if not_applicable:
            lines += ["", "n/a: case not implemented by that app:", ""]
            lines += [f"- {line}" for line in not_applicable]
        lines += ["", "## Requests per second (median of rounds)", ""]
        lines += md_table(headers, median_rows)
        lines += ["", "## Ratios (best of rounds)", ""]
        lines += md_table(ratio_headers, ratio_rows)
        lines += ["", f"Geometric mean Kolba/Flask: **{fmt_ratio(geomean)}**"]
    else:
        lines += ["WSGI table not run (`--no-wsgi`)."]
    if bare_line:
        lines += [
            "",
            "## Database case",
            "",
            "µs per request, best of rounds (lower is better). The floor is the same "
            "ORM read with no framework, timed in the same rounds: "
            f"{bare_line}. `db - plaintext - bare` is what the framework and its "
            "SQLAlchemy integration add beyond a minimal request and the ORM work "
            "(see bench/README.md).",
            "",
        ]
        lines += md_table(db_headers, db_table)
    if scale_rows:
        lines += [
            "",
            "## Routing scale",
            "",
            "Req/s (best of rounds) for `/item/42` with the typed route "
            "`/item/<int:item_id>` registered last among N routes, and for the "
            "last-registered static route, in static-majority tables (every tenth "
            "filler route is dynamic). In parentheses: relative to the 10-route "
            "table; staying near 1.00 means matching cost does not grow with the "
            "table.",
            "",
        ]
        lines += md_table(scale_headers, scale_rows)
    for title, kind, body in extra_sections:
        lines += ["", f"## {title}", ""]
        lines += md_table(*body) if kind == "table" else [f"- {x}" for x in body]
    lines += ["", "## Targets", ""]
    lines += [f"- {target_status(ok).strip()}: {text}" for ok, text in targets]
    if broken:
        lines += [
            "",
            "## Broken apps (wrong answer or exception; excluded from timing)",
            "",
        ]
        lines += [
            f"- {ALL_LABELS.get(fw, fw)} / {what}: {why}"
            for (fw, what), why in broken.items()
        ]
    lines += [
        "",
        "## Method",
        "",
        "- All frameworks run **in one process**. Each request calls the app's WSGI "
        "callable directly (no sockets, no server) with a fresh copy of a prebuilt "
        "environ (and a fresh `wsgi.input` for POST); the returned iterable is fully "
        "consumed and its `close()` called, as a WSGI server would.",
        "- Every app is checked once for the right status and body before it is "
        "timed; an app that answers wrongly is reported BROKEN, never timed.",
        "- Each case is timed in **interleaved rounds**: in every round each "
        "framework runs once, in an order rotated per round, so slow drifts of the "
        "machine (thermal, frequency scaling, neighbours) hit all frameworks alike "
        "instead of whichever ran last.",
        "- The request count per run is calibrated once per framework so each run "
        "lasts about the target time.",
        "- We report the **best of rounds**: timing noise only ever slows a run "
        "down, so the fastest round is the best estimate of the code's own cost; "
        "the median is shown too so a lucky outlier would be visible.",
        "- `gc.collect()` runs before every framework run so one framework's garbage "
        "is not collected on another's clock; the garbage collector stays enabled "
        "(real servers run with it on).",
        "- Absolute numbers depend on the machine; compare ratios, and only across "
        "runs on the same machine.",
    ]
    titles = [title for title, _, _ in extra_sections]
    if any(t.startswith("ASGI") for t in titles):
        lines.append(
            "- **ASGI column:** each request is `await app(scope, receive, send)` on "
            "one event loop, with a copy of a prebuilt scope; `receive` gives the "
            "body once, then `http.disconnect` once the response is complete; `send` "
            "collects the messages, which are checked before timing like the WSGI "
            "answers. Lifespan startup runs first. WebSocket: connect once, time N "
            "echo round trips. ASGI overhead = µs/request over ASGI minus over WSGI "
            "for the same routes (bench/README.md)."
        )
    if any(t.startswith("WSGI path before/after") for t in titles):
        lines.append(
            "- **Before/after:** each Kolba version runs in its own worker process "
            "with this tree's bench code; the two are timed in the same interleaved "
            "rounds, one at a time (bench/README.md)."
        )
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
