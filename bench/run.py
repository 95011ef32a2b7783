"""Benchmark kg end to end, compare pyoxigraph with rdflib on its dump, and rewrite BENCHMARKS.md.

    .venv/bin/python bench/run.py --sizes 1000,10000 --runs 3

For each size: (a) generate the records (cached in bench/.cache/); (b) ``python -m kg ingest``
into a fresh store, in a subprocess, for wall time and peak RSS; (c) ``python -m kg dump`` to
N-Quads, then load that dump into pyoxigraph (bulk_load on disk, load in memory) and into an
rdflib Dataset, and time a lookup and an aggregate query on each; (d) at the inference sizes
only, owlrl's full OWL 2 RL closure against kg's targeted rules on the same asserted triples.
Every measurement runs in its own process (bench/workers.py). Reported numbers are medians over
``--runs``; raw results go to bench/.cache/results.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import describe_machine, write_report  # noqa: E402 - bench/ is not a package

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = BENCH / ".cache"
PYTHON = sys.executable
EPOCH = "1767225600"  # SOURCE_DATE_EPOCH for every ingest: 2026-01-01T00:00:00Z
TIME = Path("/usr/bin/time")
ENGINES = ("oxigraph-disk", "oxigraph-memory", "rdflib")
MAX_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
SUMMARY = re.compile(r"(\d+) person\(s\), (\d+) work\(s\) touched; \+(\d+) -\d+ quads \((\d+) inferred\)")
# Without /usr/bin/time: a wrapper whose only child is the command, so RUSAGE_CHILDREN is the command's.
RUSAGE_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print('Maximum resident set size (kbytes):', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
    " file=sys.stderr)\n"
    "sys.exit(code)\n"
)
PROFILE_SKIP = ("runpy", "cProfile.py", "click/", "kg/__main__.py", "kg/cli.py", "<string>", "builtins.exec>")


class BenchError(Exception):
    """A step of the benchmark failed; the message says which, with the command's output."""


@dataclass
class Measured:
    wall_s: float
    peak_rss_kib: int | None
    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str


def child_env() -> dict[str, str]:
    """The environment of every child: no KG_* settings from the caller, a fixed SOURCE_DATE_EPOCH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    return env


def run_measured(command: list[str], timeout: float | None = None) -> Measured:
    """Run ``command`` in its own session; return its wall time, peak RSS and output.

    Peak RSS comes from ``/usr/bin/time -v`` when present, else from a wrapper's RUSAGE_CHILDREN.
    On timeout the whole process group (which this function started) is killed.
    """
    wrapped = [str(TIME), "-v", *command] if TIME.exists() else [PYTHON, "-c", RUSAGE_WRAPPER, *command]
    start = time.perf_counter()
    process = subprocess.Popen(wrapped, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               env=child_env(), start_new_session=True)
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


def remove_tree(path: Path) -> None:
    """Delete a directory this script created (stores under bench/.cache/work)."""
    if not path.exists():
        return
    if CACHE not in path.resolve().parents:
        raise BenchError(f"refusing to delete {path}: not under {CACHE}")
    for child in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        child.unlink() if child.is_file() or child.is_symlink() else child.rmdir()
    path.rmdir()


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
    import pstats

    out, store = CACHE / "ingest.prof", CACHE / "work" / "store-profile"
    remove_tree(store)
    command = [PYTHON, "-m", "cProfile", "-o", str(out), "-m", "kg", "ingest", "--store", str(store), str(records)]
    measured = check(run_measured(command), "profiled kg ingest")
    remove_tree(store)
    stats = pstats.Stats(str(out)).stats
    rows = []
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in stats.items():
        where = f"{short_path(filename)}:{line}({function})" if line else function
        if any(skip in where for skip in PROFILE_SKIP):
            continue
        rows.append({"function": where, "calls": calls, "tottime_s": tottime, "cumtime_s": cumtime})
    rows.sort(key=lambda r: r["cumtime_s"], reverse=True)
    return {"records": str(records.relative_to(ROOT)), "profiled_wall_s": measured.wall_s,
            "top": rows[:top], **stage_times(rows)}


def short_path(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


KG_STAGES = (  # (label, file, function), in pipeline order
    ("read + parse (JSON Schema check per line)", "kg/pipeline.py", "read_inputs"),
    ("resolve identities (asks the store)", "kg/identity/resolve.py", "resolve"),
    ("map records to RDF", "kg/mapping/__init__.py", "map_batch"),
    ("copy the batch into an rdflib Graph", "kg/mapping/batch.py", "triples"),
    ("load shapes", "kg/validation/shacl.py", "load_shapes"),
    ("SHACL validation (pyshacl)", "kg/validation/shacl.py", "validate_graph"),
    ("load ontology", "kg/inference.py", "load_ontology"),
    ("compile rules", "kg/inference.py", "compile_rules"),
    ("materialise OWL RL (kg rules)", "kg/inference.py", "materialize_owlrl"),
    ("write the store generation", "kg/store/oxigraph.py", "apply"),
)


def stage_times(rows: list[dict]) -> dict:
    """Cumulative time of each kg stage, and of ``pipeline.ingest`` as a whole."""
    def find(file: str, function: str) -> dict | None:
        matches = (r for r in rows if r["function"].startswith(f"{file}:") and r["function"].endswith(f"({function})"))
        return next(matches, None)

    ingest = find("kg/pipeline.py", "ingest")
    stages = []
    for label, file, function in KG_STAGES:
        row = find(file, function)
        if row is not None:
            stages.append({"stage": label, "function": row["function"], "cumtime_s": row["cumtime_s"]})
    return {"ingest_cumtime_s": ingest["cumtime_s"] if ingest else None, "stages": stages}


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[1000, 10000], help="paper counts (default 1000,10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument("--budget", type=float, default=240.0,
                        help="seconds: when a size's first ingest takes longer, that size runs once (default 240)")
    parser.add_argument("--inference-sizes", type=parse_sizes, default=[1000], help="sizes for (d) (default 1000)")
    parser.add_argument("--owlrl-timeout", type=float, default=600.0, help="seconds per owlrl run (default 600)")
    parser.add_argument("--profile-size", type=int, default=1000, help="size to cProfile one ingest of (0: none)")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md", help="report to write")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    (CACHE / "work").mkdir(parents=True, exist_ok=True)
    command = "bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    steps = sum(args.runs * (1 + len(ENGINES) + (2 if s in args.inference_sizes else 0)) for s in args.sizes)
    started = time.time()
    try:
        with tqdm(total=steps, desc="bench", unit="step", file=sys.stderr) as bar:
            results = {"command": command, "runs": args.runs, "seed": args.seed, "machine": describe_machine(),
                       "startup_s": measure_startup(args.runs),
                       "sizes": [measure_size(size, args, bar) for size in args.sizes]}
        if args.profile_size:
            results["profile"] = profile_ingest(ensure_records(args.profile_size, args.seed)[0])
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    results["elapsed_s"] = time.time() - started
    results["loadavg_end"] = os.getloadavg()
    (CACHE / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    write_report(results, args.output)
    print(f"wrote {args.output} and {CACHE / 'results.json'} in {results['elapsed_s']:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
