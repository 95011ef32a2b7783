"""Running the benchmark's child processes: the environment they get, wall time and peak RSS, cleanup.

Shared by bench/run.py and bench/http_compare.py; bench/ is not a package, so both put this
directory on ``sys.path`` and import it by name.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = BENCH / ".cache"
PYTHON = sys.executable
EPOCH = "1767225600"  # SOURCE_DATE_EPOCH for every ingest: 2026-01-01T00:00:00Z
TIME = Path("/usr/bin/time")
MAX_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
# Without /usr/bin/time: a wrapper whose only child is the command, so RUSAGE_CHILDREN is the command's.
RUSAGE_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print('Maximum resident set size (kbytes):', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
    " file=sys.stderr)\n"
    "sys.exit(code)\n"
)


class BenchError(Exception):
    """A step of the benchmark failed; the message says which, with the command's output."""


@dataclass
class Measured:
    wall_s: float
    peak_rss_kib: int | None
    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every child: no KG_* settings from the caller, a fixed SOURCE_DATE_EPOCH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    return env | (extra or {})


def run_measured(command: list[str], timeout: float | None = None, env: dict[str, str] | None = None) -> Measured:
    """Run ``command`` in its own session (``env``: settings added to :func:`child_env`'s); return
    its wall time, peak RSS and output.

    Peak RSS comes from ``/usr/bin/time -v`` when present, else from a wrapper's RUSAGE_CHILDREN.
    On timeout the whole process group (which this function started) is killed.
    """
    wrapped = [str(TIME), "-v", *command] if TIME.exists() else [PYTHON, "-c", RUSAGE_WRAPPER, *command]
    start = time.perf_counter()
    process = subprocess.Popen(wrapped, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               env=child_env(env), start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        code = None
    wall = time.perf_counter() - start
    rss = MAX_RSS.search(stderr)
    own_stderr = stderr.split("\tCommand being timed:")[0] if TIME.exists() else MAX_RSS.split(stderr)[0]
    return Measured(wall, int(rss.group(1)) if rss else None, code, stdout, own_stderr.strip())


def check(measured: Measured, what: str) -> Measured:
    if measured.returncode != 0:
        raise BenchError(f"{what} failed (exit {measured.returncode}):\n{measured.stderr}\n{measured.stdout}")
    return measured


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def du_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def remove_tree(path: Path) -> None:
    """Delete a directory this script created (stores under bench/.cache)."""
    if not path.exists() and not path.is_symlink():
        return
    if CACHE not in path.resolve().parents and CACHE not in path.parents:
        raise BenchError(f"refusing to delete {path}: not under {CACHE}")
    if path.is_symlink() or path.is_file():
        path.unlink()
        return
    for child in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        child.unlink() if child.is_file() or child.is_symlink() else child.rmdir()
    path.rmdir()
