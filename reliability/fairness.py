"""Fairness on a busy machine: one client floods runaway queries, another asks cheap ones.

    .venv/bin/python reliability/fairness.py --seconds 60 --stores local,remote

For each store (``local``: a store directory; ``remote``: a real ``oxigraph serve`` with its own
time limit a little above kg's), the shipped sample records are ingested with the real CLI and
served as ``make serve`` serves them (bench/servers.py: gunicorn with the project's
gunicorn.conf.py and every kg default: 2 web workers of 4 threads, 2 query processes each, a
5 s time limit, a client share of 2). Then, for ``--seconds``:

- a CPU hog keeps every core busy (``stress-ng --cpu N``, N = the number of cores; Debian:
  ``apt-get install stress-ng``; ``--no-hog`` leaves it out);
- the flooder, 127.0.0.2, sends a never-ending query (a four-way cartesian product) from
  ``--flooders`` connections at once, each sending the next as soon as it has an answer;
- the cheap client, 127.0.0.3, sends one small SELECT at a time, a different one each time (its
  LIMIT counts up), so no answer comes from kg's cache.

Every loop is bounded by the deadline and by a request count, and every address is loopback.
The result: the cheap client's statuses (the goal is 200 for every one) and latency percentiles
(p50, p90, p99, max), the flooder's statuses; as JSON (``--output``) and a Markdown table on
stdout. Exit status 2 when the cheap client got anything but 200, 1 when the run could not be made.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from load import percentile  # noqa: E402
from processes import PYTHON, BenchError, child_env  # noqa: E402
from servers import Server, start_kg, start_oxigraph, stop  # noqa: E402

FLOOD = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
RECORDS = sorted((ROOT / "data" / "records").glob("*.txt"))
BASE_URI = "http://127.0.0.1:5000/"
KG_TIMEOUT_S = 5.0  # kg's default KG_QUERY_TIMEOUT; the remote server's own limit is set above it
MAX_REQUESTS = 1_000_000  # per loop: a bound besides the deadline


def cheap(n: int) -> str:
    return f"SELECT ?s WHERE {{ ?s a <https://schema.org/Person> }} LIMIT {n}"


def ask(url: str, source: str, query: str, timeout: float) -> tuple[int, float]:
    """(status, seconds) of one GET /sparql from ``source``; status 0 for a socket error or timeout."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout, source_address=(source, 0))
    started = time.perf_counter()
    try:
        connection.request("GET", "/sparql?query=" + urllib.parse.quote(query),
                           headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    except OSError:
        return 0, time.perf_counter() - started
    finally:
        connection.close()


def kg_cli(*args: str, env: dict[str, str] | None = None) -> None:
    result = subprocess.run([PYTHON, "-m", "kg", *args], cwd=ROOT, env=child_env(env), capture_output=True,
                            text=True, timeout=600)
    if result.returncode != 0:
        raise BenchError(f"kg {' '.join(args)} failed: {result.stderr.strip()}")


@contextmanager
def served(kind: str, directory: Path):
    """The sample ingested into a ``kind`` store and served by kg as `make serve` does."""
    with ExitStack() as running:
        if kind == "remote":  # its own time limit a little above kg's
            remote = start_oxigraph(directory / "oxigraph", directory / "oxigraph.log", union=False,
                                    timeout_s=KG_TIMEOUT_S + 1)
            running.callback(stop, remote)
        store = remote.url + "/" if kind == "remote" else str(directory / "store")
        extra = {"KG_ARTIFACTS_DIR": str(directory / "artifacts")} if kind == "remote" else {}
        kg_cli("ingest", "--store", store, "--base-uri", BASE_URI, *map(str, RECORDS), env=extra)
        server = start_kg(store, BASE_URI, directory / "kg.log", extra)
        running.callback(stop, server)
        yield server


@contextmanager
def cpu_hog(enabled: bool, seconds: float):
    """stress-ng on every core for the run (it stops by itself after ``seconds`` + 30)."""
    if not enabled:
        yield None
        return
    stress = shutil.which("stress-ng")
    if stress is None:
        raise BenchError("stress-ng is not installed (Debian: apt-get install stress-ng); or pass --no-hog")
    cores = os.cpu_count() or 1
    process = subprocess.Popen([stress, "--cpu", str(cores), "--timeout", f"{int(seconds) + 30}s", "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield f"stress-ng --cpu {cores}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def scenario(server: Server, seconds: float, flooders: int) -> dict:
    url = server.url
    deadline = time.monotonic() + seconds
    flood: Counter = Counter()
    lock = threading.Lock()

    def flooder() -> None:
        for _ in range(MAX_REQUESTS):
            if time.monotonic() >= deadline:
                return
            status, _seconds = ask(url, "127.0.0.2", FLOOD, KG_TIMEOUT_S + 30)
            with lock:
                flood[status] += 1

    threads = [threading.Thread(target=flooder, daemon=True) for _ in range(flooders)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # the flood is on before the first cheap query
    statuses: Counter = Counter()
    latencies: list[float] = []
    for n in range(1, MAX_REQUESTS):
        if time.monotonic() >= deadline:
            break
        status, took = ask(url, "127.0.0.3", cheap(n), KG_TIMEOUT_S + 30)
        statuses[status] += 1
        latencies.append(took)
    for thread in threads:
        thread.join(KG_TIMEOUT_S + 60)
    ordered = sorted(latencies) or [float("nan")]
    return {
        "cheap": {"requests": len(latencies), "statuses": {str(k): v for k, v in sorted(statuses.items())},
                  "non_200": sum(v for k, v in statuses.items() if k != 200),
                  "p50_ms": 1000 * percentile(ordered, 50), "p90_ms": 1000 * percentile(ordered, 90),
                  "p99_ms": 1000 * percentile(ordered, 99), "max_ms": 1000 * ordered[-1]},
        "flood": {"connections": flooders, "statuses": {str(k): v for k, v in sorted(flood.items())}},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each run (default 60)")
    parser.add_argument("--stores", default="local,remote", help="comma-separated: local, remote")
    parser.add_argument("--flooders", type=int, default=8, help="the flooder's connections (default 8)")
    parser.add_argument("--no-hog", action="store_true", help="leave the CPU hog out")
    parser.add_argument("--output", type=Path, default=ROOT / "reliability" / "results-fairness.json")
    args = parser.parse_args()
    results = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "cores": os.cpu_count(),
               "seconds": args.seconds, "runs": {}}
    try:
        for kind in args.stores.split(","):
            with tempfile.TemporaryDirectory(prefix=f"kg-fairness-{kind}-") as scratch:
                with served(kind, Path(scratch)) as server, cpu_hog(not args.no_hog, args.seconds) as hog:
                    run = scenario(server, args.seconds, args.flooders)
                    run["hog"] = hog
                    results["runs"][kind] = run
    except BenchError as exc:
        print(f"fairness: {exc}", file=sys.stderr)
        return 1
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("| store | hog | cheap requests | non-200 | p50 ms | p90 ms | p99 ms | max ms | flooder's answers |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for kind, run in results["runs"].items():
        c = run["cheap"]
        flood = ", ".join(f"{n}× {status}" for status, n in run["flood"]["statuses"].items())
        print(f"| {kind} | {run['hog'] or 'none'} | {c['requests']} | {c['non_200']} | {c['p50_ms']:.0f} | "
              f"{c['p90_ms']:.0f} | {c['p99_ms']:.0f} | {c['max_ms']:.0f} | {flood} |")
    return 2 if any(run["cheap"]["non_200"] for run in results["runs"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
