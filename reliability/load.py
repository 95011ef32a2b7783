"""A bounded loopback load test of kg's HTTP server: a realistic mix under wrk, rising to saturation, then a soak.

    .venv/bin/python reliability/load.py --papers 100000 --soak-minutes 10

1. Data: the store of ``--papers`` generated papers, exactly as bench/run.py's HTTP stage gets it
   (bench/run.py's ensure_records, bench/http_compare.py's ensure_data: built once, cached under
   bench/.cache/http/ and reused by both), or any store given with ``--store``.
2. kg is started as ``make serve`` does (bench/servers.py: gunicorn -c gunicorn.conf.py, bound to
   127.0.0.1), with KG_CLIENT_CONCURRENCY raised to ``--client-concurrency`` (64): every wrk
   connection comes from 127.0.0.1, one client, which the default budget (2 per web worker) would
   answer with 429 past two requests at once. gunicorn writes an access log (status, time, path,
   User-Agent) through GUNICORN_CMD_ARGS, so every answer can be put down to the request that got it.
3. The mix (reliability/mix.lua, one wrk script): each request draws a kind by weight (``--weights``),
   then one request of the kind: SPARQL lookups of one author's works (POST, ``--authors`` authors
   sampled from the store, so many answers are not cached at first), the aggregates of
   queries/count-works-per-venue.rq and list-coauthors.rq (GET), author pages as HTML and Turtle,
   paper pages as HTML and JSON-LD (``--sample-papers`` papers), conditional GETs with the ETag
   of a page (304), /void, the /dumps/ listing and the smallest dump file. Every request carries
   ``User-Agent: kg-load/KIND/N``. Before any load, one request of each kind must answer as expected.
4. Rising load: ``--warmup-seconds`` at ``--warmup-connections`` (recorded, not judged), then
   ``--connections`` (1,2,4,...,64, at most ``--max-connections``) for ``--step-seconds`` each. The
   rise stops at the first step with errors, or whose throughput is not more than ``--growth`` (5 %)
   above the step before: the saturation point is the error-free step with the most requests/s.
5. Soak: ``--soak-minutes`` at the saturation point's connections (or ``--soak-connections``), in
   chunks of ``--chunk-seconds``; memory is sampled after every chunk. Flat: the tree's RSS in the
   last half of the soak stays within ``--flat-tolerance`` (10 %) of that half's first sample.

Errors are answers with a status other than 200, 304, 429 and 503 (429 and 503 are kg's deliberate
refusals: the client budget, the query time limit) plus wrk's socket errors and timeouts; the exit
status is 2 when there were any (1: the test could not run). Memory
is the sum over the server's process tree (gunicorn master, web workers, query processes) of
VmRSS, and of PSS, which does not count pages shared after fork twice. Results go to
``--output`` (reliability/results-load.json); Markdown tables are printed on stdout.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import random
import re
import sys
import time
import urllib.parse
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

RELIABILITY = Path(__file__).resolve().parent
ROOT = RELIABILITY.parent
sys.path.insert(0, str(ROOT / "bench"))  # bench/ is not a package
from http_compare import (  # noqa: E402
    BASE_URI,
    JSON_RESULTS,
    SCHEMA,
    TURTLE,
    aggregate_query,
    ensure_data,
    lookup_query,
    own_cpu_seconds,
    path_of,
)
from processes import BenchError  # noqa: E402
from report import describe_machine  # noqa: E402
from run import ensure_records  # noqa: E402
from servers import Server, cpu_seconds, fetch, machine_cpu_seconds, memory_kib, start_kg, stop  # noqa: E402
from wrk import run_script, summarize, wrk_path, wrk_version  # noqa: E402

LUA = RELIABILITY / "mix.lua"
WORK = RELIABILITY / ".cache"
OUTPUT = RELIABILITY / "results-load.json"
ALLOWED = (200, 304, 429, 503)  # 429: client budget; 503: query time limit
MIX_WRONG = (400, 404, 405, 406, 413, 415)  # a request of the mix is malformed, not the server
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what a browser sends
JSONLD = "application/ld+json"
# permille of the requests; a kind with weight 0 is left out
WEIGHTS = {
    "sparql-lookup": 300,  # POST application/sparql-query: one author's works
    "sparql-venues": 40,  # GET ?query=: queries/count-works-per-venue.rq
    "sparql-coauthors": 10,  # GET ?query=: queries/list-coauthors.rq
    "author-html": 120,
    "author-turtle": 60,
    "paper-html": 160,
    "paper-jsonld": 80,
    "conditional": 130,  # author or paper HTML with If-None-Match: 304
    "void": 50,
    "dumps-index": 45,  # /dumps/ as JSON
    "dump": 5,  # the smallest dump file
}
ACCESS_FORMAT = '%(s)s %(D)s %(b)s %(m)s "%(U)s" "%(a)s"'
ACCESS_LINE = re.compile(r'^(\d{3}) (\d+) (\S+) (\S+) "([^"]*)" "([^"]*)"$')
AGENT = re.compile(r"^kg-load/([\w-]+)/(\d+)$")
SETTLE_S = 10.0  # after a wrk run, wait at most this long for the server's queue to drain
EXAMPLES = 10  # error examples kept per run


# -- data and subjects ---------------------------------------------------------------------------


def get_store(args) -> dict:
    """The store to serve: ``--store``, or bench's cached store of ``--papers`` papers (built when absent)."""
    if args.store:
        store = Path(args.store).resolve()
        if not (store / "current").exists():
            raise BenchError(f"{store} is not a kg store (no 'current'); build one with `kg ingest --store {store}`")
        return {"store": str(store), "given": True}
    records, _info = ensure_records(args.papers, args.records_seed)
    return ensure_data(args.papers, records)


def select_column(server: Server, query: str) -> list[str]:
    """The single column of a SELECT, from the endpoint itself, as CSV (the smallest result format)."""
    reply = fetch(server.url + "/sparql", method="POST", body=query.encode("utf-8"), timeout=120,
                  headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"})
    if reply.status != 200:
        raise BenchError(f"selecting subjects: {reply.status} {reply.body[:300]!r} for {query}")
    rows = list(csv.reader(io.StringIO(reply.body.decode("utf-8"))))
    return [row[0] for row in rows[1:] if row]


def pick_subjects(server: Server, args) -> dict:
    """``--authors`` authors and ``--sample-papers`` works, sampled with ``--seed``; the smallest dump; ETags."""
    authors = sorted(select_column(server, f"SELECT DISTINCT ?a WHERE {{ ?w <{SCHEMA}author> ?a }} LIMIT 500000"))
    works = sorted(select_column(server, f"SELECT DISTINCT ?w WHERE {{ ?w <{SCHEMA}workExample> ?v }} LIMIT 500000"))
    if not authors or not works:
        raise BenchError(f"the store has {len(authors)} authors and {len(works)} works; nothing to load")
    chooser = random.Random(args.seed)
    chosen_authors = chooser.sample(authors, min(args.authors, len(authors)))
    chosen_works = chooser.sample(works, min(args.sample_papers, len(works)))
    listing = fetch(server.url + "/dumps/", headers={"Accept": "application/json"})
    if listing.status != 200:
        raise BenchError(f"/dumps/ answered {listing.status}")
    dumps = [entry for entry in json.loads(listing.body)["files"] if entry.get("role") == "dump"]
    if not dumps:
        raise BenchError("/dumps/ lists no dump file")
    smallest = min(dumps, key=lambda entry: (entry["bytes"], entry["name"]))
    half = max(args.etags // 2, 1)
    etags = {}
    for iri in [*chosen_authors[:half], *chosen_works[:half]]:
        reply = fetch(server.url + path_of(iri), headers={"Accept": BROWSER}, timeout=120)
        if reply.status != 200 or "etag" not in reply.headers:
            raise BenchError(f"{path_of(iri)} answered {reply.status} (ETag {reply.headers.get('etag')})")
        etags[path_of(iri)] = reply.headers["etag"]
    return {"authors": chosen_authors, "works": chosen_works, "store_authors": len(authors),
            "store_works": len(works), "dump": {key: smallest[key] for key in ("name", "bytes", "media_type")}
            | {"path": "/dumps/" + smallest["name"]}, "etags": etags}


# -- the mix -------------------------------------------------------------------------------------


def build_mix(subjects: dict, weights: dict[str, int]) -> dict[str, list[dict]]:
    """Every request of every kind: method, path, headers, body."""
    def get(path: str, accept: str, **extra: str) -> dict:
        return {"method": "GET", "path": path, "headers": {"Accept": accept, **extra}, "body": ""}

    def sparql_get(query: str) -> dict:
        return get("/sparql?" + urllib.parse.urlencode({"query": query}), JSON_RESULTS)

    authors = [path_of(iri) for iri in subjects["authors"]]
    works = [path_of(iri) for iri in subjects["works"]]
    kinds = {
        "sparql-lookup": [{"method": "POST", "path": "/sparql", "body": lookup_query(iri),
                           "headers": {"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS}}
                          for iri in subjects["authors"]],
        "sparql-venues": [sparql_get(aggregate_query("venues"))],
        "sparql-coauthors": [sparql_get(aggregate_query("coauthors"))],
        "author-html": [get(path, BROWSER) for path in authors],
        "author-turtle": [get(path, TURTLE) for path in authors],
        "paper-html": [get(path, BROWSER) for path in works],
        "paper-jsonld": [get(path, JSONLD) for path in works],
        "conditional": [get(path, BROWSER, **{"If-None-Match": etag}) for path, etag in subjects["etags"].items()],
        "void": [get("/void", TURTLE)],
        "dumps-index": [get("/dumps/", "application/json")],
        "dump": [get(subjects["dump"]["path"], "*/*")],
    }
    mix = {}
    for kind, requests in kinds.items():
        if weights.get(kind, 0) > 0:
            for number, item in enumerate(requests):
                item["headers"]["User-Agent"] = f"kg-load/{kind}/{number}"
            mix[kind] = requests
    return mix


def write_mix(mix: dict[str, list[dict]], weights: dict[str, int], path: Path) -> None:
    """The mix as reliability/mix.lua reads it: six percent-encoded, tab-separated fields per request."""
    def field(value) -> str:
        return urllib.parse.quote(str(value), safe="")

    with open(path, "w", encoding="ascii") as out:
        for kind, requests in mix.items():
            for item in requests:
                headers = "\n".join(f"{name}: {value}" for name, value in item["headers"].items())
                out.write("\t".join(field(value) for value in (kind, weights[kind], item["method"], item["path"],
                                                                headers, item["body"])) + "\n")


def check_mix(server: Server, mix: dict[str, list[dict]]) -> dict:
    """One request of each kind before any load: its status, size and time.

    A kind answering otherwise than expected (304 for conditional requests, 200 otherwise) is
    reported on stderr and recorded; the load runs anyway, and counts such answers as errors.

    Raises:
        BenchError: a kind answers 400, 404, 405, 406, 413 or 415: the mix itself is wrong.
    """
    checks = {}
    for kind, requests in mix.items():
        item = requests[0]
        started = time.perf_counter()
        reply = fetch(server.url + item["path"], method=item["method"], headers=item["headers"],
                      body=item["body"].encode("utf-8") or None, timeout=120)
        expected = 304 if kind == "conditional" else 200
        what = f"{kind}: {item['method']} {item['path'][:200]} answered {reply.status}, expected {expected}"
        if reply.status in MIX_WRONG:
            raise BenchError(f"{what}: {reply.body[:300]!r}")
        if reply.status != expected:
            print(f"load: warning: {what}: {reply.body[:300]!r}", file=sys.stderr)
        checks[kind] = {"status": reply.status, "expected": expected, "bytes": len(reply.body),
                        "seconds": time.perf_counter() - started, "requests": len(requests),
                        "example": f"{item['method']} {item['path'][:160]}"}
    return checks


# -- one wrk run ---------------------------------------------------------------------------------


class AccessLog:
    """gunicorn's access log of this run, read run by run from where the last read stopped."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0

    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def settle(self, deadline_s: float = SETTLE_S) -> None:
        """Wait (at most ``deadline_s``) until no line was added for 0.5 s: the server's queue has drained."""
        end = time.monotonic() + deadline_s
        last, quiet_since = self.size(), time.monotonic()
        while time.monotonic() < end:
            time.sleep(0.1)
            now = self.size()
            if now != last:
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since >= 0.5:
                return

    def read(self) -> list[str]:
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        complete = data[:data.rfind(b"\n") + 1]
        self.offset += len(complete)
        return complete.decode("utf-8", errors="replace").splitlines()


def server_side(lines: list[str], mix: dict[str, list[dict]]) -> tuple[dict, list[dict]]:
    """Per kind: answers, statuses, the server's time (p50, p99); and examples of answers that are errors."""
    times: dict[str, list[int]] = {}
    kinds: dict[str, dict] = {}
    examples = []
    for line in lines:
        match = ACCESS_LINE.match(line)
        if not match:
            continue
        status, micros, _size, method, path, agent = match.groups()
        tagged = AGENT.match(agent)
        kind = tagged.group(1) if tagged else "other"
        entry = kinds.setdefault(kind, {"answers": 0, "statuses": {}})
        entry["answers"] += 1
        entry["statuses"][status] = entry["statuses"].get(status, 0) + 1
        times.setdefault(kind, []).append(int(micros))
        if int(status) not in ALLOWED and len(examples) < EXAMPLES:
            example = {"status": int(status), "kind": kind, "method": method, "path": path,
                       "server_s": int(micros) / 1e6}
            if tagged and tagged.group(1) in mix:
                item = mix[kind][int(tagged.group(2))]
                example["request"] = f"{item['method']} {item['path'][:300]}" + (
                    f" body: {item['body'][:300]}" if item["body"] else "")
            examples.append(example)
    for kind, values in times.items():
        values.sort()
        kinds[kind] |= {"p50_s": percentile(values, 50) / 1e6, "p99_s": percentile(values, 99) / 1e6,
                        "max_s": values[-1] / 1e6}
    return dict(sorted(kinds.items())), examples


def percentile(ordered: list[int], p: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def memory(server: Server) -> dict:
    processes = memory_kib(server)
    pss = [item["pss_kib"] for item in processes]
    return {"tree_rss_kib": sum(item["rss_kib"] for item in processes),
            "tree_pss_kib": sum(pss) if all(value is not None for value in pss) else None,
            "processes": processes}


def run_mix(server: Server, mix_file: Path, mix: dict, access: AccessLog, connections: int, seconds: int,
            seed: int, args) -> dict:
    """One wrk run of the mix; then, once the server is idle again, its memory and the access log's lines.

    wrk runs one thread per connection, so that mix.lua pairs every answer with its request: the
    latencies reported are the requests' own (client side, from writing the request to the last
    byte of the answer), per kind and for all. wrk's own percentiles, which include the synthetic
    samples of its coordinated-omission correction, are kept as ``wrk_corrected``.
    """
    cpu_before, machine_before, own_before = cpu_seconds(server, True), machine_cpu_seconds(), own_cpu_seconds()
    window = time.perf_counter()
    raw, client_cpu = run_script(server.url + "/", LUA, connections, seconds, args.timeout, threads=connections,
                                 args=(f"mix={mix_file}", f"seed={seed}"), what=f"the mix at {connections} connections")
    access.settle()
    cpu_after, machine_after, own_after = cpu_seconds(server, True), machine_cpu_seconds(), own_cpu_seconds()
    window = time.perf_counter() - window  # wrk's run and the drain after it
    cpu = {role: cpu_after[role] - cpu_before.get(role, 0.0) for role in cpu_after}
    busy = machine_after["busy"] - machine_before["busy"]
    wrk_figures = summarize(raw, connections, client_cpu)
    measured = raw["measured"]
    if measured["threads"] != connections or measured["unpaired"]:
        raise BenchError(f"mix.lua ran {measured['threads']} threads for {connections} connections "
                         f"({measured['unpaired']} answers without a request): latencies cannot be paired")
    everything = latency_s(measured["all"])
    statuses = everything.pop("statuses")
    refused = {status: count for status, count in statuses.items() if status not in ALLOWED}
    socket = {kind: count for kind, count in raw["errors"].items() if kind != "status" and count}
    kinds, examples = server_side(access.read(), mix)
    # wrk does not see the answers to the requests still in flight when it stops; the access log does
    server_refused = sum(count for entry in kinds.values() for status, count in entry["statuses"].items()
                         if int(status) not in ALLOWED)
    return {
        "connections": connections, "seed": seed, "duration_s": wrk_figures["duration_s"],
        "requests": wrk_figures["requests"], "requests_per_s": wrk_figures["requests_per_s"], **everything,
        "bytes_per_request": wrk_figures["bytes_per_request"], "statuses": statuses, "sent": raw["sent"],
        "errors": max(sum(refused.values()), server_refused) + sum(socket.values()), "error_statuses": refused,
        "server_error_answers": server_refused, "socket_errors": socket, "error_examples": examples,
        "kinds": {kind: latency_s(entry) for kind, entry in measured["kinds"].items()},
        "server_side": kinds, "memory": memory(server),
        "wrk_corrected": {key: wrk_figures[key] for key in ("p50_s", "p90_s", "p99_s", "mean_s", "max_s")},
        # CPU over the window (wrk's run and the drain); a killed query process counts in its web worker's role
        "cpu_s": cpu, "client_cpu_s": client_cpu, "window_s": window,
        "server_cores": sum(cpu.values()) / window, "machine_busy_cores": busy / window,
        "other_cores": max(busy - sum(cpu.values()) - client_cpu - (own_after - own_before), 0.0) / window,
        "loadavg": os.getloadavg(),
    }


def latency_s(entry: dict) -> dict:
    """mix.lua's figures of one kind (or all): answers, statuses, and latencies in seconds."""
    result = {"answers": entry["answers"],
              "statuses": dict(sorted((int(status), count) for status, count in entry["statuses"].items()))}
    for key in ("mean", "p50", "p90", "p99", "p99.9", "max"):
        if key in entry:
            result[f"{key.replace('.', '')}_s"] = entry[key] / 1e6
    return result


# -- rising load and soak ------------------------------------------------------------------------


def rise(run, plan: list[int], args, bar) -> tuple[list[dict], dict]:
    """Each connection count of ``plan`` in turn, until errors appear or the throughput stops growing."""
    steps, reason = [], f"the last step ({plan[-1]} connections) was reached"
    for index, connections in enumerate(plan):
        step = run(connections, args.step_seconds, args.seed + 1 + index)
        steps.append(step)
        bar.update(1)
        bar.set_postfix_str(f"{connections} conn: {step['requests_per_s']:.0f} req/s, {step['errors']} errors")
        if step["errors"]:
            reason = f"{step['errors']} errors at {connections} connections"
            break
        if index and step["requests_per_s"] <= steps[-2]["requests_per_s"] * (1 + args.growth):
            reason = (f"{connections} connections gave {step['requests_per_s']:.0f} req/s, not more than "
                      f"{args.growth:.0%} above {steps[-2]['requests_per_s']:.0f} at {steps[-2]['connections']}")
            break
    bar.total -= len(plan) - len(steps)
    bar.refresh()
    clean = [step for step in steps if not step["errors"]]
    best = max(clean, key=lambda step: step["requests_per_s"]) if clean else None
    saturation = {"connections": best["connections"] if best else None,
                  "requests_per_s": best["requests_per_s"] if best else None,
                  "p50_s": best["p50_s"] if best else None, "p99_s": best["p99_s"] if best else None,
                  "stopped_because": reason, "growth_threshold": args.growth}
    return steps, saturation


def soak(run, connections: int, args, bar) -> dict:
    """``--soak-minutes`` at ``connections`` in chunks of ``--chunk-seconds``, memory sampled after each."""
    total = round(args.soak_minutes * 60)
    chunks, elapsed, index = [], 0, 0
    while elapsed < total:
        seconds = min(args.chunk_seconds, total - elapsed)
        chunk = run(connections, seconds, args.seed + 1000 + index)
        elapsed += seconds
        index += 1
        chunks.append(chunk | {"chunk": index, "minute": elapsed / 60})
        bar.update(1)
        bar.set_postfix_str(f"soak {elapsed}/{total} s: {chunk['requests_per_s']:.0f} req/s, "
                            f"RSS {chunk['memory']['tree_rss_kib'] / 1024:.0f} MiB")
    return {"connections": connections, "seconds": total, "chunk_seconds": args.chunk_seconds, "chunks": chunks,
            "memory": flatness(chunks, args.flat_tolerance)}


def flatness(chunks: list[dict], tolerance: float) -> dict:
    """Is memory flat? The last half's samples against that half's first sample (the first half warms up)."""
    rss = [chunk["memory"]["tree_rss_kib"] for chunk in chunks]
    pss = [chunk["memory"]["tree_pss_kib"] for chunk in chunks]
    minutes = [chunk["minute"] for chunk in chunks]
    first = len(rss) // 2
    last_half = rss[first:]
    result = {"criterion": f"max tree RSS of the last half of the soak < (1 + {tolerance:g}) x the half's first "
                           "sample", "tolerance": tolerance, "rss_kib": rss, "pss_kib": pss, "minutes": minutes,
              "baseline_minute": minutes[first] if rss else None}
    if len(last_half) < 2:
        return result | {"flat": None, "note": "fewer than two samples in the soak's last half (soak 4+ chunks)"}
    baseline = last_half[0]
    growth = max(last_half) / baseline - 1
    slope = _slope(minutes[first:], last_half)
    return result | {"flat": growth < tolerance, "baseline_kib": baseline, "max_kib": max(last_half),
                     "growth": growth, "slope_mib_per_min": slope / 1024 if slope is not None else None,
                     "whole_soak_growth": rss[-1] / rss[0] - 1}


def _slope(xs: list[float], ys: list[int]) -> float | None:
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else None


# -- the server's own log ------------------------------------------------------------------------


def scan_server_log(log: Path) -> dict:
    """Tracebacks, error lines and worker (re)starts gunicorn logged during the run."""
    text = log.read_text(errors="replace") if log.exists() else ""
    lines = text.splitlines()
    tracebacks = [index for index, line in enumerate(lines) if line.startswith("Traceback")]
    return {"log": str(log.relative_to(ROOT)), "lines": len(lines), "tracebacks": len(tracebacks),
            "first_tracebacks": ["\n".join(lines[max(0, index - 2):index + 30]) for index in tracebacks[:3]],
            "error_lines": [line for line in lines if "[ERROR]" in line or "[CRITICAL]" in line][:20],
            "worker_boots": sum("Booting worker" in line for line in lines),
            "worker_timeouts": sum("WORKER TIMEOUT" in line for line in lines)}


# -- report --------------------------------------------------------------------------------------


def ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.1f}" if seconds < 0.1 else f"{seconds * 1000:.0f}"


def middle(values: list[float]) -> float | None:
    return sorted(values)[len(values) // 2] if values else None


def mib(kib: int | None) -> str:
    return "–" if kib is None else f"{kib / 1024:.0f}"


def markdown(results: dict) -> str:
    settings, server = results["settings"], results["server"]
    size = f"{results['papers']} papers" if results["papers"] else f"{results['mix']['store_works']} works"
    wrk = results["wrk"].split(" Copyright")[0]
    out = [f"Load test: {size}, {results['machine']['nproc']} cores, {wrk}, "
           f"kg {results['machine']['kg_commit']}; gunicorn {server['KG_WEB_WORKERS']} workers x "
           f"{server['KG_WEB_THREADS']} threads, KG_QUERY_WORKERS {server['KG_QUERY_WORKERS']}, "
           f"KG_CACHE_BYTES {server['KG_CACHE_BYTES']}, KG_CLIENT_CONCURRENCY {settings['client_concurrency']} "
           "(all connections come from 127.0.0.1, one client). Latencies are each request's own, timed by "
           "reliability/mix.lua from the request's write to its answer's last byte (wrk's percentiles add "
           "synthetic samples for slow answers, its coordinated-omission correction: in the JSON as wrk_corrected).",
           ""]
    out += ["| connections | req/s | p50 ms | p90 ms | p99 ms | 200 | 304 | 429 | 503 | errors | RSS MiB | PSS MiB "
            "| kg cores | others' cores |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    rows = ([("warm-up " + str(results["warmup"]["connections"]), results["warmup"])] if results["warmup"] else [])
    rows += [(str(step["connections"]), step) for step in results["steps"]]
    for label, step in rows:
        statuses = step["statuses"]
        out.append(f"| {label} | {step['requests_per_s']:.0f} | {ms(step['p50_s'])} | {ms(step['p90_s'])} | "
                   f"{ms(step['p99_s'])} | {statuses.get(200, 0)} | {statuses.get(304, 0)} | {statuses.get(429, 0)} | "
                   f"{statuses.get(503, 0)} | {step['errors']} | {mib(step['memory']['tree_rss_kib'])} | "
                   f"{mib(step['memory']['tree_pss_kib'])} | {step['server_cores']:.2f} | {step['other_cores']:.2f} |")
    saturation = results["saturation"]
    out += ["", f"Saturation: {saturation['connections']} connections, "
                f"{saturation['requests_per_s'] or 0:.0f} req/s, p50 {ms(saturation['p50_s'])} ms, "
                f"p99 {ms(saturation['p99_s'])} ms (the rise stopped: {saturation['stopped_because']})."]
    soaked = results["soak"]
    if soaked:
        out += ["", f"Soak at {soaked['connections']} connections, {soaked['seconds'] / 60:g} min:", "",
                "| minute | req/s | p50 ms | p99 ms | 429 | 503 | errors | RSS MiB | PSS MiB | others' cores |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for chunk in soaked["chunks"]:
            out.append(f"| {chunk['minute']:.2f} | {chunk['requests_per_s']:.0f} | {ms(chunk['p50_s'])} | "
                       f"{ms(chunk['p99_s'])} | {chunk['statuses'].get(429, 0)} | {chunk['statuses'].get(503, 0)} | "
                       f"{chunk['errors']} | {mib(chunk['memory']['tree_rss_kib'])} | "
                       f"{mib(chunk['memory']['tree_pss_kib'])} | {chunk['other_cores']:.2f} |")
        flat = soaked["memory"]
        verdict = ("not judged: " + flat["note"]) if flat["flat"] is None else (
            f"{'flat' if flat['flat'] else 'NOT flat'}: the last half grew {flat['growth']:+.1%} over its first "
            f"sample (tolerance {flat['tolerance']:.0%}), {flat['slope_mib_per_min']:+.1f} MiB/min")
        out += ["", f"Memory {verdict}."]
        out += ["", "The mix during the soak (client latency: mix.lua's; server: gunicorn's time in the worker):", "",
                "| kind | answers | share | statuses | p50 ms | p99 ms | server p50 ms |",
                "|---|---:|---:|---|---:|---:|---:|"]
        kinds: dict[str, dict] = {}
        for chunk in soaked["chunks"]:
            for kind, entry in chunk["kinds"].items():
                total = kinds.setdefault(kind, {"answers": 0, "statuses": {}, "p50": [], "p99": [], "server": []})
                total["answers"] += entry["answers"]
                for status, count in entry["statuses"].items():
                    total["statuses"][status] = total["statuses"].get(status, 0) + count
                if entry["answers"]:
                    total["p50"].append(entry["p50_s"])
                    total["p99"].append(entry["p99_s"])
                if kind in chunk["server_side"]:
                    total["server"].append(chunk["server_side"][kind]["p50_s"])
        answers = sum(entry["answers"] for entry in kinds.values()) or 1
        for kind, entry in sorted(kinds.items()):
            statuses = ", ".join(f"{status}: {count}" for status, count in sorted(entry["statuses"].items()))
            out.append(f"| {kind} | {entry['answers']} | {entry['answers'] / answers:.1%} | {statuses} | "
                       f"{ms(middle(entry['p50']))} | {ms(max(entry['p99'], default=None))} | "
                       f"{ms(middle(entry['server']))} |")
        out += ["", "(p50: the median of the 30-s chunks' medians; p99: the largest of the chunks' p99.)"
                .replace("30-s", f"{soaked['chunk_seconds']}-s")]
    errors, log = results["errors"], results["server_log"]
    examples = f"; examples: {json.dumps(errors['examples'][:3])}" if errors["examples"] else ""
    out += ["", f"Errors (statuses other than {', '.join(map(str, ALLOWED))}, socket errors, timeouts): "
                f"{errors['total']}{examples}. Server log: {log['tracebacks']} tracebacks, "
                f"{log['worker_timeouts']} worker timeouts, {log['worker_boots']} worker boots."]
    return "\n".join(out)


# -- main ----------------------------------------------------------------------------------------


def parse_weights(text: str) -> dict[str, int]:
    weights = dict(WEIGHTS)
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        name, _, value = part.partition("=")
        if name not in WEIGHTS or not value.isdigit():
            raise argparse.ArgumentTypeError(f"bad weight {part!r}: use KIND=N with KIND one of {', '.join(WEIGHTS)}")
        weights[name] = int(value)
    if not any(weights.values()):
        raise argparse.ArgumentTypeError("every weight is 0")
    return weights


def parse_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from exc
    if not counts or any(count < 1 for count in counts):
        raise argparse.ArgumentTypeError(f"connection counts must be positive: {text!r}")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    data = parser.add_argument_group("data")
    data.add_argument("--papers", type=int, default=100_000, help="generated papers (bench's cached store)")
    data.add_argument("--records-seed", type=int, default=42, help="bench/generate.py's seed (bench/run.py --seed)")
    data.add_argument("--store", help="serve this existing store instead of bench's (no build, no cache)")
    mix = parser.add_argument_group("mix")
    mix.add_argument("--weights", type=parse_weights, default=dict(WEIGHTS), metavar="KIND=N,...",
                     help="override some of the permille weights; 0 leaves a kind out")
    mix.add_argument("--authors", type=int, default=1000, help="authors the lookups and author pages draw from")
    mix.add_argument("--sample-papers", type=int, default=1000, help="papers the paper pages draw from")
    mix.add_argument("--etags", type=int, default=50, help="pages (half authors, half papers) asked for with ETags")
    mix.add_argument("--seed", type=int, default=1, help="seed of the sampling and of the wrk draws")
    load = parser.add_argument_group("load")
    load.add_argument("--connections", type=parse_counts, default=[1, 2, 4, 8, 16, 32, 64],
                      help="the rising steps' connection counts, comma-separated")
    load.add_argument("--max-connections", type=int, help="leave out steps above this many connections")
    load.add_argument("--step-seconds", type=int, default=20)
    load.add_argument("--warmup-seconds", type=int, default=20, help="0: no warm-up")
    load.add_argument("--warmup-connections", type=int, default=4)
    load.add_argument("--growth", type=float, default=0.05,
                      help="saturated when a step's req/s is not more than this fraction above the step before")
    load.add_argument("--soak-minutes", type=float, default=10.0, help="0: no soak")
    load.add_argument("--soak-connections", type=int, help="default: the saturation point's connections")
    load.add_argument("--chunk-seconds", type=int, default=30, help="soak chunk: memory is sampled after each")
    load.add_argument("--flat-tolerance", type=float, default=0.10)
    load.add_argument("--timeout", type=float, default=30.0, help="wrk's per-request timeout, seconds")
    server_group = parser.add_argument_group("server")
    server_group.add_argument("--client-concurrency", type=int, default=64,
                              help="KG_CLIENT_CONCURRENCY: wrk's connections are all one client (127.0.0.1)")
    server_group.add_argument("--server-env", action="append", default=[], metavar="KG_NAME=VALUE",
                              help="another setting for kg (repeatable), e.g. KG_WEB_WORKERS=4")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    plan = [count for count in args.connections if args.max_connections is None or count <= args.max_connections]
    if not plan:
        parser.error("no connection count is left under --max-connections")
    if min(args.step_seconds, args.chunk_seconds) < 1 or args.warmup_seconds < 0 or args.soak_minutes < 0:
        parser.error("--step-seconds and --chunk-seconds must be at least 1; warm-up and soak not negative")
    extra_env = {}
    for setting in args.server_env:
        name, _, value = setting.partition("=")
        if not name.startswith("KG_") or not value:
            parser.error(f"--server-env wants KG_NAME=VALUE, got {setting!r}")
        extra_env[name] = value
    try:
        results = run(args, plan, extra_env)
    except BenchError as exc:
        print(f"load: {exc}", file=sys.stderr)
        return 1
    print(markdown(results))
    print(f"\nwrote {args.output}", file=sys.stderr)
    return 0 if results["errors"]["total"] == 0 else 2


def run(args, plan: list[int], extra_env: dict[str, str]) -> dict:
    wrk_path()
    started, clock = datetime.now(UTC), time.perf_counter()
    machine = describe_machine()
    WORK.mkdir(parents=True, exist_ok=True)
    logs = WORK / "logs"
    logs.mkdir(exist_ok=True)
    server_log, access_log = logs / "kg-load.log", logs / "access.log"
    for log in (server_log, access_log):
        log.write_bytes(b"")
    data = get_store(args)
    env = {"KG_CLIENT_CONCURRENCY": str(args.client_concurrency), **extra_env,
           # no control socket: gunicorn's default path (~/.gunicorn/gunicorn.ctl) is shared by every gunicorn
           "GUNICORN_CMD_ARGS": f"--access-logfile {access_log} --access-logformat '{ACCESS_FORMAT}' "
                                "--no-control-socket"}
    soak_chunks = math.ceil(args.soak_minutes * 60 / args.chunk_seconds)
    mix_file = WORK / f"mix-{os.getpid()}.tsv"
    with ExitStack() as stack:
        server = start_kg(Path(data["store"]), BASE_URI, server_log, env, "kg-load")
        stack.callback(stop, server)
        stack.callback(mix_file.unlink, missing_ok=True)
        if not server.url.startswith("http://127.0.0.1:"):
            raise BenchError(f"kg listens on {server.url}, not on the loopback")
        subjects = pick_subjects(server, args)
        mix = build_mix(subjects, args.weights)
        write_mix(mix, args.weights, mix_file)
        checks = check_mix(server, mix)
        access = AccessLog(access_log)
        access.settle()
        access.read()  # the selection and the checks are not part of any run

        def one(connections: int, seconds: int, seed: int) -> dict:
            return run_mix(server, mix_file, mix, access, connections, seconds, seed, args)

        total = (1 if args.warmup_seconds else 0) + len(plan) + soak_chunks
        with tqdm(total=total, desc="load", unit="run", file=sys.stderr) as bar:
            warmup = None
            if args.warmup_seconds:
                warmup = one(args.warmup_connections, args.warmup_seconds, args.seed)
                bar.update(1)
            steps, saturation = rise(one, plan, args, bar)
            soak_connections = args.soak_connections or saturation["connections"] or plan[0]
            soaked = soak(one, soak_connections, args, bar) if soak_chunks else None
        server_config = server.config
        ready_s = server.ready_s
    runs = [item for item in [warmup, *steps, *(soaked["chunks"] if soaked else [])] if item]
    examples = [example | {"connections": item["connections"]} for item in runs for example in item["error_examples"]]
    results = {
        "issue": "bounded loopback load test: realistic mix, rising to saturation, 10-minute soak, flat memory",
        "command": "reliability/load.py " + " ".join(sys.argv[1:]),
        "started_at": started.isoformat(timespec="seconds"), "elapsed_s": time.perf_counter() - clock,
        "papers": args.papers if not args.store else None, "data": data,
        "machine": machine | {"loadavg_end": os.getloadavg()}, "wrk": wrk_version(),
        "server": server_config, "server_ready_s": ready_s,
        "settings": {"client_concurrency": args.client_concurrency, "server_env": extra_env,
                     "access_log_format": ACCESS_FORMAT, "connections": plan, "step_seconds": args.step_seconds,
                     "warmup_seconds": args.warmup_seconds, "warmup_connections": args.warmup_connections,
                     "growth": args.growth, "soak_minutes": args.soak_minutes, "chunk_seconds": args.chunk_seconds,
                     "flat_tolerance": args.flat_tolerance, "wrk_timeout_s": args.timeout,
                     "wrk_threads": "one per connection", "weights_permille": args.weights, "authors": args.authors,
                     "sample_papers": args.sample_papers, "etags": args.etags, "seed": args.seed,
                     "allowed_statuses": list(ALLOWED)},
        "mix": {"checks": checks, "dump": subjects["dump"], "store_authors": subjects["store_authors"],
                "store_works": subjects["store_works"], "authors": len(subjects["authors"]),
                "works": len(subjects["works"]), "etags": len(subjects["etags"])},
        "warmup": warmup, "steps": steps, "saturation": saturation, "soak": soaked,
        "errors": {"total": sum(item["errors"] for item in runs), "examples": examples[:50]},
        "server_log": scan_server_log(server_log),
    }
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    sys.exit(main())
