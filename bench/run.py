"""Benchmark kg end to end, compare pyoxigraph with rdflib on its dump, and rewrite BENCHMARKS.md.

    .venv/bin/python bench/run.py --sizes 1000,10000 --runs 3

For each size: (a) generate the records (cached in bench/.cache/); (b) ``python -m kg ingest``
into a fresh store, in a subprocess, for wall time and peak RSS; (c) ``python -m kg dump`` to
N-Quads, then load that dump into pyoxigraph (bulk_load on disk, load in memory) and into an
rdflib Dataset, and time a lookup and an aggregate query on each; (d) at the inference sizes
only, owlrl's full OWL 2 RL closure against kg's targeted rules on the same asserted triples;
(e) kg's HTTP server against ``oxigraph serve`` on the same N-Quads, under wrk
(bench/http_compare.py). Every measurement runs in its own process (bench/workers.py, or the
servers). Reported numbers are medians over ``--runs``; raw results go to
bench/.cache/results.json. ``--only core`` runs (a) to (d), ``--only http`` runs (e); the
other stage's results are then kept from the previous results.json, and BENCHMARKS.md says
which run each section came from. ``--only incremental`` (also part of the default) runs
bench/incremental.py at the same sizes: 1,000 new papers into each size's store (the HTTP
stage's, built if missing), results in bench/.cache/incremental.json, section 7 of the report.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_compare import http_steps, measure_http  # noqa: E402 - bench/ is not a package
from processes import (  # noqa: E402
    CACHE,
    PYTHON,
    ROOT,
    BenchError,
    check,
    du_bytes,
    median,
    remove_tree,
    run_measured,
    sha256_file,
)
from report import describe_machine, write_report  # noqa: E402
from stages import profile_rows, stage_seconds  # noqa: E402

BENCH = Path(__file__).resolve().parent
ENGINES = ("oxigraph-disk", "oxigraph-memory", "rdflib")
SUMMARY = re.compile(r"(\d+) person\(s\), (\d+) work\(s\) touched; \+(\d+) -\d+ quads \((\d+) inferred\)")
STAGES = ("core", "http", "incremental")


# -- (a) records ---------------------------------------------------------------------------------


def ensure_records(size: int, seed: int) -> tuple[Path, dict]:
    """Generate the records once per (size, seed, generator version); reuse them afterwards."""
    version = sha256_file(BENCH / "generate.py")[:8]
    path = CACHE / f"records-{size}-seed{seed}-{version}.jsonl"
    info = {"path": str(path.relative_to(ROOT)), "cached": path.exists(), "generate_s": None}
    if not path.exists():
        command = [PYTHON, str(BENCH / "generate.py"), "--papers", str(size), "--seed", str(seed),
                   "--output", str(path), "--quiet"]
        info["generate_s"] = check(run_measured(command), "generating records").wall_s
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    info["paper_lines"] = sum(1 for r in lines if r["type"] == "paper")
    info["person_lines"] = sum(1 for r in lines if r["type"] == "person")
    info["bytes"] = path.stat().st_size
    return path, info


# -- (b) end to end ------------------------------------------------------------------------------


def measure_startup(runs: int) -> float:
    """Median wall time of ``python -m kg --version``: interpreter start plus kg's imports."""
    return median(check(run_measured([PYTHON, "-m", "kg", "--version"]), "kg --version").wall_s
                  for _ in range(runs))


def measure_ingest(records: Path, store: Path, dump: Path) -> dict:
    """One fresh ingest, then a dump of the result to N-Quads; both timed."""
    ingest = check(run_measured([PYTHON, "-m", "kg", "ingest", "--store", str(store), str(records)]), "kg ingest")
    summary = SUMMARY.search(ingest.stdout)
    if summary is None:
        raise BenchError(f"cannot read the ingest summary: {ingest.stdout!r}")
    persons, works, quads, inferred = map(int, summary.groups())
    dumped = check(run_measured([PYTHON, "-m", "kg", "dump", "--store", str(store), "--format", "nquads",
                                 "--output", str(dump)]), "kg dump")
    return {"wall_s": ingest.wall_s, "peak_rss_kib": ingest.peak_rss_kib, "persons": persons, "works": works,
            "quads": quads, "inferred": inferred, "store_bytes": du_bytes(store / "current"),
            "store_wal_bytes": sum(p.stat().st_size for p in (store / "current").glob("*.log")),
            "dump_s": dumped.wall_s, "dump_rss_kib": dumped.peak_rss_kib, "dump_bytes": dump.stat().st_size,
            "dump_sha256": sha256_file(dump)}


def run_ingests(size: int, records: Path, runs: int, budget: float, bar) -> tuple[list[dict], Path, str | None]:
    """Ingest ``runs`` times (once only when the first run exceeds ``budget`` seconds)."""
    results, note = [], None
    work = CACHE / "work"
    for run in range(runs):
        store, dump = work / f"store-{size}-{run}", CACHE / f"dump-{size}.nq"
        remove_tree(store)
        results.append(measure_ingest(records, store, dump))
        remove_tree(store)
        bar.update(1)
        if run == 0 and runs > 1 and results[0]["wall_s"] > budget:
            note = f"the first run took {results[0]['wall_s']:.0f} s (> {budget:.0f} s), so this size ran once"
            bar.update(runs - 1)
            break
    return results, CACHE / f"dump-{size}.nq", note


# -- (c) stores ----------------------------------------------------------------------------------


def pick_author(dump: Path) -> tuple[str, int]:
    """The author with the most works (ties by IRI): the lookup query's worst realistic case."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=str(dump), format=ox.RdfFormat.N_QUADS)
    query = ("SELECT ?a (COUNT(DISTINCT ?w) AS ?n) WHERE { GRAPH ?g { ?w <https://schema.org/author> ?a } } "
             "GROUP BY ?a ORDER BY DESC(?n) ?a LIMIT 1")
    row = next(iter(store.query(query)))
    return row["a"].value, int(row["n"].value)


def run_worker(arguments: list[str], timeout: float | None = None) -> dict:
    """Run bench/workers.py in a fresh process and return its JSON (plus the process's peak RSS)."""
    measured = run_measured([PYTHON, str(BENCH / "workers.py"), *arguments], timeout)
    if measured.returncode is None:
        return {"timed_out": True, "timeout_s": timeout, "wall_s": measured.wall_s}
    result = json.loads(check(measured, f"workers.py {' '.join(arguments[:2])}").stdout)
    result["process_wall_s"] = measured.wall_s
    return result


def run_store_comparison(dump: Path, author: str, runs: int, bar) -> list[dict]:
    """Each engine once per run, in a rotating order so drift on a noisy machine hits all alike."""
    results = []
    for run in range(runs):
        for offset in range(len(ENGINES)):
            engine = ENGINES[(run + offset) % len(ENGINES)]
            result = run_worker(["store", engine, str(dump), "--author", author, "--scratch", str(CACHE / "work")])
            results.append(result | {"run": run})
            bar.update(1)
    return results


# -- (d) inference -------------------------------------------------------------------------------


def run_inference(dump: Path, runs: int, timeout: float, bar) -> dict:
    """kg's rules ``runs`` times; owlrl ``runs`` times unless a run does not finish in ``timeout``."""
    kg_runs = []
    for _ in range(runs):
        kg_runs.append(run_worker(["infer", "kg", str(dump)]))
        bar.update(1)
    owlrl_runs = []
    for _ in range(runs):
        result = run_worker(["infer", "owlrl", str(dump)], timeout)
        owlrl_runs.append(result)
        bar.update(1)
        if result.get("timed_out"):
            bar.update(runs - len(owlrl_runs))
            break
    return {"kg": kg_runs, "owlrl": owlrl_runs, "timeout_s": timeout}


# -- profile -------------------------------------------------------------------------------------


def profile_ingest(records: Path, top: int = 10) -> dict:
    """cProfile one ingest; return the top cumulative functions below the CLI wrappers, and kg's stages."""
    out, store = CACHE / "ingest.prof", CACHE / "work" / "store-profile"
    remove_tree(store)
    command = [PYTHON, "-m", "cProfile", "-o", str(out), "-m", "kg", "ingest", "--store", str(store), str(records)]
    measured = check(run_measured(command), "profiled kg ingest")
    remove_tree(store)
    rows = profile_rows(out)
    return {"records": str(records.relative_to(ROOT)), "profiled_wall_s": measured.wall_s, "finished_at": now(),
            "top": rows[:top], **stage_seconds(rows)}


# -- main ----------------------------------------------------------------------------------------


def measure_size(size: int, args, bar) -> dict:
    records, record_info = ensure_records(size, args.seed)
    ingests, dump, note = run_ingests(size, records, args.runs, args.budget, bar)
    author, author_works = pick_author(dump)
    result = {"size": size, "records": record_info, "ingest": ingests, "ingest_note": note,
              "author": author, "author_works": author_works,
              "stores": run_store_comparison(dump, author, args.runs, bar)}
    if size in args.inference_sizes:
        result["inference"] = run_inference(dump, args.runs, args.owlrl_timeout, bar)
    return result


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from exc
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected positive sizes, got {text!r}")
    return sizes


def parse_stages(text: str) -> list[str]:
    stages = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(stages) - set(STAGES))
    if not stages or unknown:
        raise argparse.ArgumentTypeError(f"expected a comma-separated subset of {','.join(STAGES)}, got {text!r}")
    return stages


def run_core(args, command: str, run_id: str, bar) -> dict:
    """Sections 1 to 5: ingest, the dump in pyoxigraph and rdflib, inference, the ingest profile."""
    started = time.time()
    results = {"command": command, "run_id": run_id, "runs": args.runs, "seed": args.seed,
               "machine": describe_machine(), "startup_s": measure_startup(args.runs),
               "sizes": [measure_size(size, args, bar) for size in args.sizes]}
    if args.profile_size:
        results["profile"] = profile_ingest(ensure_records(args.profile_size, args.seed)[0])
    return results | {"elapsed_s": time.time() - started, "loadavg_end": os.getloadavg(), "finished_at": now()}


def run_http(args, command: str, run_id: str, bar) -> dict:
    """Section 6: kg's HTTP server against oxigraph serve (bench/http_compare.py)."""
    started = time.time()
    machine = describe_machine()
    sizes = [measure_http(size, ensure_records(size, args.seed)[0], args, bar) for size in args.sizes]
    return {"command": command, "run_id": run_id, "runs": args.runs, "machine": machine, "sizes": sizes,
            "elapsed_s": time.time() - started, "loadavg_end": os.getloadavg(), "finished_at": now()}


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %Z")


def load_previous() -> dict:
    path = CACHE / "results.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def save_results(results: dict) -> None:
    (CACHE / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    import incremental  # here, not at the top: it imports this module

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[1000, 10000], help="paper counts (default 1000,10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument("--only", type=parse_stages, default=list(STAGES),
                        help="stages to run: core (sections 1-5), http (section 6), incremental (section 7); "
                             "the others' results are taken from bench/.cache/results.json and incremental.json "
                             "(default: core,http,incremental)")
    parser.add_argument("--budget", type=float, default=240.0,
                        help="seconds: when a size's first ingest takes longer, that size runs once (default 240)")
    parser.add_argument("--inference-sizes", type=parse_sizes, default=[1000], help="sizes for (d) (default 1000)")
    parser.add_argument("--owlrl-timeout", type=float, default=600.0, help="seconds per owlrl run (default 600)")
    parser.add_argument("--profile-size", type=int, default=1000, help="size to cProfile one ingest of (0: none)")
    parser.add_argument("--http-duration", type=float, default=10.0,
                        help="seconds per wrk run with 8 connections (default 10)")
    parser.add_argument("--http-latency-duration", type=float, default=5.0,
                        help="seconds per wrk run with 1 connection (default 5)")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md", help="report to write")
    incremental.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    previous = load_previous()
    if "core" not in args.only and "sizes" not in previous:
        parser.error("--only without core needs sections 1-5 in bench/.cache/results.json; run once without --only")
    (CACHE / "work").mkdir(parents=True, exist_ok=True)
    command = "bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    run_id = now()
    steps = 0
    if "core" in args.only:
        steps += sum(args.runs * (1 + len(ENGINES) + (2 if s in args.inference_sizes else 0)) for s in args.sizes)
    if "http" in args.only:
        steps += len(args.sizes) * http_steps(args.runs)
    if "incremental" in args.only:
        steps += incremental.steps(args.sizes, args.runs)
    try:
        with tqdm(total=steps, desc="bench", unit="step", file=sys.stderr) as bar:
            results = run_core(args, command, run_id, bar) if "core" in args.only else {
                k: v for k, v in previous.items() if k != "http"}
            # kept should a later stage fail
            save_results(results | ({"http": previous["http"]} if "http" in previous else {}))
            http = run_http(args, command, run_id, bar) if "http" in args.only else previous.get("http")
            if "incremental" in args.only:
                incremental.save(incremental.measure(args.sizes, args, command, bar=bar))
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    if http:
        results["http"] = http
    save_results(results)
    write_report(results, args.output)
    print(f"wrote {args.output} and {CACHE / 'results.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
