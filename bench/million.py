"""A million papers (issue 14): generate, ingest in parts, publish, add 1,000 papers live, serve.

    .venv/bin/python bench/million.py --papers 1000000 --runs 3

Steps, each run once and kept in bench/.cache/1m/million.json (``--folder`` names another folder
than 1m; a step already there is skipped; ``--redo STEP`` runs it again):

- ``records``: bench/run.py's records for ``--papers`` (seed 42, generated when missing), split into
  files of ``--part-lines`` lines under bench/.cache/1m/parts/ (kg ingests whole files part by part,
  KG_PART_RECORDS; one 1.3 GB file would be one part);
- ``blocks``: how much of the stored identity evidence each part touches: the person blocks
  (first initial and surname, kg.identity.mentions) of a part's names, and the person mentions (one
  per distinct name per file) the parts before it hold in those blocks (what the part's identity
  reads and re-clusters);
- ``ingest``: ``python -m kg ingest`` of every file into an empty store, ``--part-records`` records
  (KG_PART_RECORDS) resolved and written at a time (wall time, peak RSS, the store's size on disk);
- ``publish``: ``python -m kg publish`` (the three dumps and their statistics: wall time, peak RSS,
  each file's size);
- ``increment``: bench/incremental.py's 1,000 papers (seed 4242) into a copy of the store, ``--runs``
  times (median), then once more with kg's server running on the copy: the seconds from the
  ingest's start until the server's ``/changes`` lists the new build and its patch downloads;
- ``http``: ``oxigraph load`` of the published ``kg.nq.gz`` (or, with ``--reference store``, a copy
  of kg's own store, its table files linked), and bench/http_compare.py's workloads against
  ``oxigraph serve`` on it (``--runs`` runs of each).

Print the figures with ``--show``. Needs about 10 GB of disk and, with the defaults, hours.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import http_compare  # noqa: E402 - bench/ is not a package
import incremental  # noqa: E402
from processes import CACHE, PYTHON, ROOT, BenchError, check, du_bytes, remove_tree, run_measured  # noqa: E402
from run import SUMMARY  # noqa: E402
from servers import fetch, start_kg, stop  # noqa: E402

from kg.web.changes import ITEMS_PER_PAGE  # noqa: E402

FOLDER = CACHE / "1m"
RESULTS = FOLDER / "million.json"
STEPS = ("records", "blocks", "ingest", "publish", "increment", "http")
BLOCK_PARTS = (10, 25, 50, 75, 100)  # the parts whose blocks are counted against what the parts before them hold
POLL_S = 0.05


def load() -> dict:
    return json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}


def save(results: dict) -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def parts_of(results: dict) -> list[Path]:
    return sorted((ROOT / results["records"]["parts"]).glob("part-*.jsonl"))


def step_records(args) -> dict:
    records = incremental.records_for(args.papers, args.seed)
    parts = FOLDER / "parts"
    remove_tree(parts)
    parts.mkdir(parents=True)
    count, lines, papers = 0, 0, 0
    with open(records, encoding="utf-8") as source:
        output = None
        for line in source:
            if lines % args.part_lines == 0:
                if output:
                    output.close()
                output = open(parts / f"part-{count:04d}.jsonl", "w", encoding="utf-8")
                count += 1
            output.write(line)
            lines += 1
            papers += json.loads(line)["type"] == "paper"
        if output:
            output.close()
    return {"file": str(records.relative_to(ROOT)), "bytes": records.stat().st_size, "lines": lines,
            "paper_lines": papers, "parts": str(parts.relative_to(ROOT)), "part_files": count,
            "part_lines": args.part_lines}


def step_blocks(results: dict) -> dict:
    """A JSON Lines file holds one person mention per distinct name (kg.identity.mentions): its
    block is the name's first initial and surname."""
    from kg.identity.keys import person_key
    from kg.identity.mentions import initial_key, local_person, split_homonym

    def names(record: dict) -> list[str]:
        return record.get("authors", []) if record["type"] == "paper" else [record["name"]]

    stored: dict[str, int] = {}
    rows = []
    for number, path in enumerate(parts_of(results)):
        with open(path, encoding="utf-8") as lines:
            mentions = {local_person(name): name for line in lines for name in names(json.loads(line))}
        keys = [initial_key(person_key(split_homonym(name)[0])) for name in mentions.values()]
        if number in BLOCK_PARTS:
            touched = set(keys)
            rows.append({"part": number, "blocks_touched": len(touched), "blocks_stored": len(stored),
                         "mentions_in_touched": sum(stored.get(key, 0) for key in touched),
                         "mentions_stored": sum(stored.values())})
        for key in keys:
            stored[key] = stored.get(key, 0) + 1
    largest = sorted(stored.items(), key=lambda item: -item[1])[:3]
    return {"parts": rows, "blocks": len(stored), "mentions": sum(stored.values()), "largest": largest}


def step_ingest(results: dict, args) -> dict:
    store = FOLDER / "store"
    remove_tree(store)
    parts = parts_of(results)
    measured = check(run_measured([PYTHON, "-m", "kg", "ingest", "--store", str(store), *map(str, parts)],
                                  env={"KG_PART_RECORDS": str(args.part_records)}), "kg ingest of the parts")
    persons, works, quads, inferred = map(int, SUMMARY.search(measured.stdout).groups())
    return {"store": str(store.relative_to(ROOT)), "part_records": args.part_records,
            "wall_s": measured.wall_s, "peak_rss_kib": measured.peak_rss_kib,
            "persons": persons, "works": works, "quads": quads, "inferred": inferred,
            "papers_per_s": results["records"]["paper_lines"] / measured.wall_s,
            "store_bytes": du_bytes(store / "current"), "store_all_bytes": du_bytes(store),
            "summary": measured.stdout.strip().splitlines()[-3:]}


def step_publish(results: dict) -> dict:
    store = ROOT / results["ingest"]["store"]
    measured = check(run_measured([PYTHON, "-m", "kg", "publish", "--store", str(store)]), "kg publish")
    generation = Path(store / "current").resolve().name
    dumps = store / "dumps" / generation
    files = {path.name: path.stat().st_size for path in sorted(dumps.iterdir()) if path.is_file()}
    manifest = json.loads((dumps / "manifest.json").read_text(encoding="utf-8"))
    return {"wall_s": measured.wall_s, "peak_rss_kib": measured.peak_rss_kib, "generation": generation,
            "files": files, "counts": manifest["counts"], "quads": manifest["counts"]["quads"],
            "output": measured.stdout.strip().splitlines()[-5:]}


def changes_total(server) -> int:
    reply = fetch(f"{server.url}/changes", headers={"Accept": "application/activity+json"})
    if reply.status != 200:
        raise BenchError(f"/changes answered {reply.status}")
    return json.loads(reply.body)["totalItems"]


def last_change(server, total: int) -> dict:
    page = -(-total // ITEMS_PER_PAGE)
    reply = fetch(f"{server.url}/changes?page={page}", headers={"Accept": "application/activity+json"})
    return json.loads(reply.body)["orderedItems"][-1]


def live_increment(base: Path, increment: Path) -> dict:
    """One ingest of the increment into a copy that kg's server is serving; when does the server show it?"""
    store = incremental.copy_store(base, "million-live")
    server = start_kg(store, http_compare.BASE_URI, FOLDER / "live.log")
    try:
        before = changes_total(server)
        started = time.perf_counter()
        measured = check(run_measured([PYTHON, "-m", "kg", "ingest", "--store", str(store), str(increment)]),
                         "kg ingest of the increment")
        ingested = time.perf_counter() - started
        while changes_total(server) == before:  # the ingest has returned: the build is published
            if time.perf_counter() - started > ingested + 60:
                raise BenchError("the server did not show the new build within 60 s of the ingest")
            time.sleep(POLL_S)
        entry = last_change(server, before + 1)
        patch = fetch(f"{server.url}/changes/{entry['generation']}.rdfp.gz")
        visible = time.perf_counter() - started
        lines = gzip.decompress(patch.body).decode("utf-8").splitlines()
    finally:
        stop(server)
        remove_tree(store)
    return {"ingest_wall_s": measured.wall_s, "visible_s": visible, "generation": entry["generation"],
            "added": entry["added"], "removed": entry["removed"], "patch_status": patch.status,
            "patch_bytes": len(patch.body), "patch_adds": sum(1 for line in lines if line.startswith("A ")),
            "peak_rss_kib": measured.peak_rss_kib}


def step_increment(results: dict, args) -> dict:
    base = ROOT / results["ingest"]["store"]
    made = incremental.make_increment(incremental.INCREMENT_PAPERS, incremental.INCREMENT_SEED)
    increment = ROOT / made["path"]
    runs = [incremental.ingest_once(base, increment, f"million-{run}") for run in range(args.runs)]
    return {"increment": made, "runs": runs, "median_wall_s": statistics.median(r["wall_s"] for r in runs),
            "live": live_increment(base, increment)}


def step_http(results: dict, args) -> dict:
    store = ROOT / results["ingest"]["store"]
    folder = FOLDER / "http"
    remove_tree(folder)
    folder.mkdir(parents=True)
    reference = folder / "oxigraph"
    data = {"folder": str(folder.relative_to(ROOT)), "store": str(store), "reference": str(reference),
            "records": results["records"]["file"], "code_version": None, "ingest_s": results["ingest"]["wall_s"],
            "reference_from": args.reference, "cached": False}
    if args.reference == "load":  # the published N-Quads (`kg dump --format nquads` gives the same quads)
        dumps = store / "dumps" / results["publish"]["generation"]
        dump = dumps / "kg.nq.gz"
        loaded = check(run_measured([str(Path(PYTHON).parent / "oxigraph"), "load", "--location", str(reference),
                                     "--file", str(dump)]), "oxigraph load")
        data |= {"dump": str(dump), "dump_s": results["publish"]["wall_s"], "dump_bytes": dump.stat().st_size,
                 "dump_lines": json.loads((dumps / "manifest.json").read_text(encoding="utf-8"))["counts"]["quads"],
                 "oxigraph_load_s": loaded.wall_s, "oxigraph_load_peak_rss_kib": loaded.peak_rss_kib}
    else:  # kg's own RocksDB store, served by `oxigraph serve`: the same quads, with no load; its default
        # graph holds the union of the named graphs, each triple once, as kg's does (no --union-default-graph)
        shutil.copytree((store / "current").resolve(), reference, copy_function=incremental.link_tables)
        data |= {"oxigraph_load_s": None, "reference_union": False}
    data |= {"store_bytes": du_bytes(store / "current"), "reference_bytes": du_bytes(reference)}
    if args.aggregates is not None:  # an aggregate's answer grows with the store: the co-author pairs of 1M papers
        http_compare.AGGREGATES = {name: file for name, file in http_compare.AGGREGATES.items()
                                   if name in args.aggregates.split(",")}
        data["aggregates"] = sorted(http_compare.AGGREGATES)
    from tqdm import tqdm

    with tqdm(total=http_compare.http_steps(args.runs), desc="http 1M", disable=args.quiet) as bar:
        return http_compare.measure_http(args.papers, None, args, bar, data=data)


def show(results: dict) -> None:
    from report_http import latency_rows, startup_rows, throughput_rows

    print(json.dumps({key: value for key, value in results.items() if key != "http"}, indent=2))
    if "http" in results:
        for rows in (throughput_rows(results["http"]), latency_rows(results["http"]), startup_rows(results["http"])):
            for row in rows:
                print("| " + " | ".join(row) + " |")
            print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=1_000_000, help="papers to generate (default 1000000)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument("--part-lines", type=int, default=10_000, help="lines per input file (default 10000)")
    parser.add_argument("--folder", default="1m",
                        help="folder under bench/.cache for the parts, the store and million.json (default 1m)")
    parser.add_argument("--part-records", type=int, default=10_000,
                        help="KG_PART_RECORDS of the ingest: records resolved and written at a time (default 10000)")
    parser.add_argument("--reference", choices=("load", "store"), default="load",
                        help="what `oxigraph serve` serves in the http step: a load of the published kg.nq.gz "
                             "(default), or a copy of kg's store (table files linked; no publish step needed)")
    parser.add_argument("--aggregates", default=None,
                        help="the http step's aggregates, comma-separated (default: all of bench/http_compare.py's)")
    parser.add_argument("--runs", type=int, default=3, help="runs of the increment and of each HTTP workload")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"steps to run, of {','.join(STEPS)}")
    parser.add_argument("--redo", default="", help="steps to run again though their results are kept")
    parser.add_argument("--http-duration", type=float, default=10.0, help="seconds per throughput run")
    parser.add_argument("--http-latency-duration", type=float, default=5.0, help="seconds per latency run")
    parser.add_argument("--show", action="store_true", help="print the kept figures and stop")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    global FOLDER, RESULTS
    FOLDER = CACHE / args.folder
    RESULTS = FOLDER / "million.json"
    results = load()
    if args.show:
        show(results)
        return 0
    redo = set(filter(None, args.redo.split(",")))
    for step in filter(None, args.steps.split(",")):
        if step not in STEPS:
            parser.error(f"unknown step {step!r}; the steps are {', '.join(STEPS)}")
        if step in results and step not in redo:
            continue
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if step == "records":
            results[step] = step_records(args)
        elif step == "blocks":
            results[step] = step_blocks(results)
        elif step == "ingest":
            results[step] = step_ingest(results, args)
        elif step == "publish":
            results[step] = step_publish(results)
        elif step == "increment":
            results[step] = step_increment(results, args)
        else:
            results[step] = step_http(results, args)
        results[step]["started"] = started
        save(load() | {step: results[step]})  # another step may have run beside this one meanwhile
        print(f"{step}: done", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"million.py: {exc}", file=sys.stderr)
        sys.exit(1)
    finally:
        shutil.rmtree(CACHE / "incremental" / "million-live", ignore_errors=True)
