"""Incremental ingest: 1,000 new papers into an existing store, at several store sizes.

    .venv/bin/python bench/incremental.py --sizes 10000,100000 --runs 3

The goal (issue): adding 1k papers to a 1M-paper store takes at most 10 s, because validation,
identity and inference cost grows with the batch, not with the store. This measures the trend:
the same increment (``bench/generate.py --papers 1000 --seed 4242``: other titles than the
base's seed-42 records; many of its author names coincide with the base's, as new papers by
known people do) goes into stores of each ``--sizes`` papers.

For each size: the base store is the HTTP stage's (bench/http_compare.py ``ensure_data``, under
bench/.cache/http/{size}-{key}/, built there if absent; a size above ``--build-max`` is only
measured when that store already exists, or when ``--base SIZE=DIR`` names one). Each run copies
the base store (its RocksDB generations and artifacts) to bench/.cache/incremental/, runs
``python -m kg ingest`` of the increment into the copy in a subprocess (wall time, peak RSS,
SOURCE_DATE_EPOCH fixed), then deletes the copy. One more run on a fresh copy goes under
cProfile and is split into kg's stages, to show which ones grow with the store. Results go to
bench/.cache/incremental.json; ``python bench/report.py`` renders them into BENCHMARKS.md.
``bench/run.py --only incremental`` runs this stage with run.py's sizes and runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import http_compare  # noqa: E402 - bench/ is not a package
from processes import (  # noqa: E402
    CACHE,
    PYTHON,
    ROOT,
    BenchError,
    check,
    du_bytes,
    remove_tree,
    run_measured,
    sha256_file,
)
from report import describe_machine  # noqa: E402
from run import (  # noqa: E402
    BENCH,
    SUMMARY,
    ensure_records,
    measure_startup,
    parse_sizes,
)
from stages import profile_rows, stage_seconds  # noqa: E402

INCREMENT_PAPERS = 1000
INCREMENT_SEED = 4242
GOAL_S = 10.0
GOAL_SIZE = 1_000_000
WORK = CACHE / "incremental"
RESULTS = CACHE / "incremental.json"
DEFAULT_SIZES = [10000, 100000]
BUILD_MAX = 100_000  # bigger base stores are only measured when one exists already (a 1M build takes hours)
# kg's stages in pipeline order: (key, label, [(file, function), ...] whose cumulative times add up).
# "write" is derived (see stage_seconds) and "other" is the rest of the profiled wall time.
# -- inputs --------------------------------------------------------------------------------------


def records_for(size: int, seed: int) -> Path:
    """bench/run.py's records for ``size`` papers; generated (by run.ensure_records) only when missing.

    The same path as ensure_records, without reading the file when it exists (1M records are 1.3 GB).
    """
    path = CACHE / f"records-{size}-seed{seed}-{sha256_file(BENCH / 'generate.py')[:8]}.jsonl"
    return path if path.exists() else ensure_records(size, seed)[0]


def make_increment(papers: int, seed: int) -> dict:
    """Generate the increment (cached like the other records) and count what it holds."""
    from kg.identity.keys import person_key, title_key

    path, info = ensure_records(papers, seed)
    titles, people = set(), set()
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line) if line.strip() else None
        if record is None:
            continue
        if record["type"] == "paper":
            titles.add(title_key(record["title"]))
            people.update(person_key(name) for name in record.get("authors", ()))
        elif record["type"] == "person":
            people.add(person_key(record["name"]))
    return info | {"path": str(path.relative_to(ROOT)), "papers": papers, "seed": seed,
                   "title_keys": len(titles), "person_keys": len(people)}


def http_folder(size: int, records: Path) -> Path:
    """Where ensure_data keeps (or would build) this size's store: the same key as bench/http_compare.py."""
    key = hashlib.sha256(f"{records.name}\0{http_compare.code_version()}".encode()).hexdigest()[:10]
    return http_compare.HTTP_CACHE / f"{size}-{key}"


def find_base(size: int, seed: int, given: dict[int, Path], build_max: int) -> dict | None:
    """The base store of ``size`` papers: given, cached by the HTTP stage, or built there; None to skip."""
    if size in given:
        return {"store": str(given[size]), "origin": "given with --base", "built_s": None}
    records = records_for(size, seed)
    if size > build_max and not (http_folder(size, records) / "data.json").exists():
        return None
    data = http_compare.ensure_data(size, records)
    return {"store": data["store"], "origin": "cached by the HTTP stage" if data["cached"] else "built now",
            "built_s": None if data["cached"] else data["ingest_s"], "records": data["records"]}


def describe_store(store: Path) -> dict:
    """The published generation of a store: its name, the counts of its manifest, its size on disk."""
    generation = Path(os.path.realpath(store / "current"))
    manifest = json.loads((store / "artifacts" / generation.name / "manifest.json").read_text(encoding="utf-8"))
    return {"generation": generation.name, "counts": manifest["counts"],
            "generation_bytes": du_bytes(generation),
            "artifacts_bytes": du_bytes(store / "artifacts" / generation.name)}


# -- measuring -----------------------------------------------------------------------------------


def copy_store(base: Path, name: str) -> Path:
    """A copy of the store to ingest into. RocksDB never changes a table file (``*.sst``) once
    written, so those are hard-linked (a 1M-paper store holds tens of GB of them); every other
    file (manifests, logs, artifacts) is copied. The dumps (``kg publish``'s) are left out: an
    ingest does not read them."""
    target = WORK / name
    remove_tree(target)
    WORK.mkdir(parents=True, exist_ok=True)
    shutil.copytree(base, target, symlinks=True, copy_function=link_tables, ignore=shutil.ignore_patterns("dumps"))
    return target


def link_tables(source: str, destination: str) -> None:
    """``shutil.copytree``'s copy function for a RocksDB directory: table files linked, the rest copied."""
    if source.endswith(".sst"):
        os.link(source, destination)
    else:
        shutil.copy2(source, destination)


def ingest_once(base: Path, increment: Path, name: str, profile: Path | None = None) -> dict:
    """Copy the base store, ingest the increment into the copy (under cProfile when ``profile``), measure."""
    store = copy_store(base, name)
    try:
        prefix = [PYTHON, "-m", "cProfile", "-o", str(profile)] if profile else [PYTHON]
        measured = check(run_measured([*prefix, "-m", "kg", "ingest", "--store", str(store), str(increment)]),
                         "kg ingest of the increment")
        summary = SUMMARY.search(measured.stdout)
        if summary is None:
            raise BenchError(f"cannot read the ingest summary: {measured.stdout!r}")
        persons, works, quads, inferred = map(int, summary.groups())
        after = describe_store(store)
    finally:
        remove_tree(store)
    return {"wall_s": measured.wall_s, "peak_rss_kib": measured.peak_rss_kib, "persons": persons, "works": works,
            "quads": quads, "inferred": inferred, "after": after}


def profile_once(base: Path, increment: Path, size: int, top: int = 15) -> dict:
    out = WORK / f"ingest-{size}.prof"
    measured = ingest_once(base, increment, f"profile-{size}", out)
    rows = profile_rows(out)
    return {"profiled_wall_s": measured["wall_s"], "prof": str(out.relative_to(ROOT)), "top": rows[:top],
            **stage_seconds(rows)}


def measure_size(size: int, increment: Path, args, given: dict[int, Path], bar=None) -> dict:
    base = find_base(size, args.seed, given, args.build_max)
    if base is None:
        note = (f"no {size:,}-paper store under {http_compare.HTTP_CACHE.relative_to(ROOT)}/ and above "
                f"--build-max {args.build_max:,}: not built here; pass --base {size}=DIR to measure one")
        tick(bar, args.runs + 1)
        return {"size": size, "skipped": note}
    store = Path(base["store"])
    base |= describe_store(store)
    runs = []
    for run in range(args.runs):
        runs.append(ingest_once(store, increment, f"store-{size}-{run}") | {"run": run})
        tick(bar)
    profile = profile_once(store, increment, size)
    tick(bar)
    return {"size": size, "base": base, "runs": runs, "profile": profile}


def tick(bar, steps: int = 1) -> None:
    if bar is not None:
        bar.update(steps)


def measure(sizes: list[int], args, command: str, given: dict[int, Path] | None = None, bar=None) -> dict:
    """The whole stage; returns what is saved to bench/.cache/incremental.json."""
    started, run_id = time.time(), now()
    machine = describe_machine()
    increment = make_increment(args.increment_papers, args.increment_seed)
    results = {"command": command, "run_id": run_id, "runs": args.runs, "seed": args.seed, "goal_s": GOAL_S,
               "goal_size": GOAL_SIZE, "machine": machine, "increment": increment,
               "startup_s": measure_startup(args.runs),
               "sizes": [measure_size(size, ROOT / increment["path"], args, given or {}, bar) for size in sizes]}
    return results | {"elapsed_s": time.time() - started, "loadavg_end": os.getloadavg(), "finished_at": now()}


def steps(sizes: list[int], runs: int) -> int:
    return len(sizes) * (runs + 1)


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %Z")


def save(results: dict, path: Path = RESULTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


# -- main ----------------------------------------------------------------------------------------


def parse_base(text: str) -> tuple[int, Path]:
    size, _, folder = text.partition("=")
    path = Path(folder).resolve()
    if not size.isdigit() or not (path / "current").is_dir():
        raise argparse.ArgumentTypeError(f"expected SIZE=DIR with a kg store in DIR, got {text!r}")
    return int(size), path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of this stage that bench/run.py does not have."""
    parser.add_argument("--increment-papers", type=int, default=INCREMENT_PAPERS,
                        help=f"paper lines in the increment (default {INCREMENT_PAPERS})")
    parser.add_argument("--increment-seed", type=int, default=INCREMENT_SEED,
                        help=f"generator seed of the increment (default {INCREMENT_SEED}; the base uses --seed)")
    parser.add_argument("--build-max", type=int, default=BUILD_MAX,
                        help=f"largest base store to build when none is cached (default {BUILD_MAX:,})")


def main(argv: list[str] | None = None) -> int:
    from report import incremental_section

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=DEFAULT_SIZES,
                        help="papers in the base stores (default 10000,100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per size, plus one profiled (default 3)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed of the base records (default 42)")
    parser.add_argument("--base", type=parse_base, action="append", default=[], metavar="SIZE=DIR",
                        help="use the kg store in DIR as the base of SIZE papers (repeatable)")
    parser.add_argument("--http-cache", type=Path, default=http_compare.HTTP_CACHE,
                        help="where the HTTP stage's stores are found or built (under bench/.cache; "
                             "default bench/.cache/http)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON to write (default %(default)s)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    cache = args.http_cache.resolve()
    if CACHE not in cache.parents:
        parser.error(f"--http-cache must be under {CACHE}")
    http_compare.HTTP_CACHE = cache
    command = "bench/incremental.py " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        results = measure(args.sizes, args, command, dict(args.base))
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    save(results, args.output)
    print("\n".join(incremental_section(results)))
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
