"""Before/after on the WSGI path: two Kolba versions, one worker process each.

Two versions of one package cannot share a process, so for ``--baseline-ref`` both
versions run in worker subprocesses (``bench_worker.py``) started the same way: the
same Python, the same bench code from this tree (harness and ``apps/kolba_app.py``),
only ``PYTHONPATH`` differs: ``src/kolba`` of the other commit (extracted with
``git archive``) or the Kolba this run imports. ``run.measure`` drives both through
proxies, so calibration, interleaved rounds and best-of-rounds are exactly the main
table's; each worker times its own requests, so the pipe is never on the clock.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
WORKER = BENCH_DIR / "bench_worker.py"


class WorkerError(RuntimeError):
    pass


def resolve_ref(repo: Path, ref: str) -> str:
    """The commit id ``ref`` names in ``repo``; raises WorkerError if none."""
    proc = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "rev-parse",
            "--verify",
            "--quiet",
            f"{ref}^{{commit}}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise WorkerError(f"git: {ref!r} does not name a commit in {repo}")
    return proc.stdout.strip()


def extract_kolba(repo: Path, commit: str, dest: Path) -> Path:
    """Extract ``src/kolba`` of ``commit`` into ``dest``; returns ``dest/src``."""
    proc = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", commit, "src/kolba"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise WorkerError(
            f"git archive {commit[:12]} src/kolba failed: "
            f"{proc.stderr.decode(errors='replace').strip()}"
        )
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "src"


def current_kolba_dir() -> Path | None:
    """The folder this process imports ``kolba`` from (None if it cannot)."""
    spec = importlib.util.find_spec("kolba")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve().parent


class Worker:
    """One ``bench_worker.py`` process serving the Kolba found in ``kolba_dir``."""

    def __init__(self, kolba_dir: Path):
        self.kolba_dir = kolba_dir
        env = dict(os.environ, PYTHONPATH=str(kolba_dir))
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), "--kolba-dir", str(kolba_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
        )

    def request(self, cmd: dict) -> dict:
        try:
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerError(f"worker for {self.kolba_dir}: {exc}") from exc
        if not line:
            raise WorkerError(f"worker for {self.kolba_dir} exited")
        reply = json.loads(line)
        if "error" in reply:
            raise WorkerError(reply["error"])
        return reply

    def setup(self, cases: list[str], database_uri: str | None) -> dict:
        return self.request(
            {"op": "setup", "cases": cases, "database_uri": database_uri}
        )

    def runner(self, case: str):
        def run(n: int) -> float:
            return float(self.request({"op": "run", "case": case, "n": n})["elapsed"])

        return run

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.request({"op": "close"})
            except WorkerError:
                pass
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
