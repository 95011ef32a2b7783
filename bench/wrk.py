"""Drive one HTTP workload with wrk (https://github.com/wg/wrk) and return its numbers.

wrk is a closed-loop load generator: each of ``connections`` keep-alive connections sends the
next request as soon as the previous answer arrives, for ``duration`` seconds. bench/wrk_report.lua
sets the method and the body (one fixed body, or a list of bodies the requests cycle through,
for a workload that must not repeat one request) and prints a JSON summary (requests, bytes,
errors, latency percentiles in microseconds), which :func:`run_wrk` parses. wrk counts an
answer with status 400 or above as an error; 2xx and 3xx (our 304s) are successes.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from processes import BENCH, BenchError

LUA = BENCH / "wrk_report.lua"


@dataclass(frozen=True)
class Request:
    """One fixed request, sent over and over; or, with ``bodies``, the same request with each body in turn."""

    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    bodies: tuple[bytes, ...] = ()  # when given, ``body`` is ignored by wrk; the bodies must not contain NUL

    def first(self) -> Request:
        """The one fixed request this stands for: itself, or itself with its first body."""
        return Request(self.path, self.method, self.headers, self.bodies[0]) if self.bodies else self


def wrk_path() -> str:
    """The wrk binary, or a BenchError saying how to get it."""
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("wrk is not installed: `apt-get install -y wrk` (Debian), then re-run the http stage")
    return found


def wrk_version() -> str:
    # `wrk -v` prints its version banner and exits 1
    output = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True).stdout
    return output.splitlines()[0].strip() if output else "unknown"


def run_wrk(base_url: str, request: Request, connections: int, duration_s: float, timeout_s: float = 30.0) -> dict:
    """Run wrk with one thread; return requests/s, latency percentiles (seconds), bytes, errors and wrk's CPU."""
    if any(b"\0" in body for body in request.bodies):
        raise BenchError("a rotating request body contains a NUL byte, which bench/wrk_report.lua splits on")
    with tempfile.NamedTemporaryFile(prefix="wrk-body-", suffix=".txt") as body:
        body.write(b"\0".join(request.bodies) if request.bodies else request.body or b"")
        body.flush()
        env = dict(os.environ, BENCH_METHOD=request.method,
                   BENCH_BODY_FILE=body.name if request.body and not request.bodies else "",
                   BENCH_BODIES_FILE=body.name if request.bodies else "")
        what = f"{request.method} {base_url}{request.path}"
        raw, client_cpu = run_script(base_url + request.path, LUA, connections, duration_s, timeout_s,
                                     headers=request.headers, env=env, what=what)
    return summarize(raw, connections, client_cpu)


def run_script(url: str, script, connections: int, duration_s: float, timeout_s: float = 30.0, *,
               threads: int = 1, headers: dict[str, str] | None = None, env: dict[str, str] | None = None,
               args: tuple[str, ...] = (), what: str | None = None) -> tuple[dict, float]:
    """Run wrk with a Lua ``script`` whose ``done()`` prints one JSON line starting with ``{"requests"``.

    ``args`` are passed to the script's ``init(args)`` (after wrk's ``--``). Returns that JSON
    (the last such line) and the CPU seconds wrk used.
    """
    command = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{duration_s:g}s", f"--timeout={timeout_s:g}s",
               "-s", str(script)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    if args:
        command += ["--", *args]
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    finished = subprocess.run(command, capture_output=True, text=True, env=env,
                              timeout=duration_s + timeout_s + 30)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in finished.stdout.splitlines() if line.startswith('{"requests"')]
    if finished.returncode != 0 or not lines:
        raise BenchError(f"wrk failed (exit {finished.returncode}) on {what or url}:\n"
                         f"{finished.stderr}\n{finished.stdout}")
    client_cpu = (children_after.ru_utime + children_after.ru_stime
                  - children_before.ru_utime - children_before.ru_stime)
    return json.loads(lines[-1]), client_cpu


def summarize(raw: dict, connections: int, client_cpu_s: float) -> dict:
    """run_wrk's figures from the JSON line of bench/wrk_report.lua (or a script printing the same keys)."""
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw["errors"].values())
    latency = raw["latency_us"]
    return {"connections": connections, "duration_s": seconds, "requests": raw["requests"],
            "requests_per_s": raw["requests"] / seconds if seconds else None, "errors": errors,
            "error_kinds": {k: v for k, v in raw["errors"].items() if v},
            "bytes_per_request": raw["bytes"] / raw["requests"] if raw["requests"] else None,
            "p50_s": latency["p50"] / 1e6, "p90_s": latency["p90"] / 1e6, "p99_s": latency["p99"] / 1e6,
            "mean_s": latency["mean"] / 1e6, "max_s": latency["max"] / 1e6, "client_cpu_s": client_cpu_s}
