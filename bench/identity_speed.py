"""Identity follows the batch, not the store: the time identity takes to add 1,000 papers to stores
of several sizes.

    .venv/bin/python bench/identity_speed.py --sizes 10000,100000 --runs 5

For each size, the base store is ``bench/generate.py --papers SIZE --seed 42`` ingested once (kept
under bench/.cache/identity/, built when absent); the increment is the 1,000 papers of
``bench/generate.py --papers 1000 --seed 4242`` (other titles; many author names coincide with the
base's, as new papers by known people do). Each run, in this process, on the unchanged base store:

- ``resolve``: kg.identity.resolve over the parsed increment: fetching the stored mentions of the
  blocks it touches (SPARQL on the store) and re-deciding them;
- ``changes``: kg.pipeline.identity_changes: reading the current identity state of what was
  decided, the source graphs whose facts move, and the inferences to redo.

Nothing is written, so every run sees the same store. Medians and the spread are printed as JSON
and written to bench/.cache/identity-speed.json (bench/report.py does not read it; the figures
are copied into BENCHMARKS.md by hand, with the command).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import CACHE, PYTHON, ROOT  # noqa: E402
from run import ensure_records  # noqa: E402

sys.path.insert(0, str(ROOT))
from kg.config import load_settings  # noqa: E402
from kg.identity import resolve  # noqa: E402
from kg.mapping import entity_state  # noqa: E402
from kg.pipeline import Gate, identity_changes, read_inputs  # noqa: E402
from kg.store import open_configured_store  # noqa: E402

INCREMENT = (1000, 4242)
BASE_SEED = 42
WORK = CACHE / "identity"


def base_store(size: int) -> Path:
    """The store of ``size`` generated papers, built once."""
    store = WORK / f"base-{size}"
    if (store / "current").exists():
        return store
    records, _meta = ensure_records(size, BASE_SEED)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", "KG_STORE": str(store)}
    started = time.perf_counter()
    subprocess.run([PYTHON, "-m", "kg", "ingest", str(records)], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    print(f"built {store} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return store


def measure(size: int, runs: int) -> dict:
    store = base_store(size)
    increment, _meta = ensure_records(*INCREMENT)
    settings = load_settings({}, None, {"store": str(store), "source_date_epoch": 1767225600})
    parsed, _rejects = read_inputs([increment], settings)
    kg_store = open_configured_store(settings)
    gate = Gate(settings)
    rows = []
    for _run in range(runs):
        registry = kg_store.registry()
        started = time.perf_counter()
        resolution = resolve(parsed, registry)
        resolved = time.perf_counter()
        state = entity_state(settings.base_uri, resolution)
        identity_changes(resolution, state, registry, gate, settings.base_uri)
        done = time.perf_counter()
        rows.append({"resolve_s": resolved - started, "changes_s": done - resolved, "total_s": done - started,
                     "entities": len(resolution.entities), "moved_sources": len(resolution.moved),
                     "retired": len(resolution.retired)})
    return {
        "size": size,
        "runs": runs,
        "median_total_s": statistics.median(r["total_s"] for r in rows),
        "median_resolve_s": statistics.median(r["resolve_s"] for r in rows),
        "median_changes_s": statistics.median(r["changes_s"] for r in rows),
        "min_total_s": min(r["total_s"] for r in rows),
        "max_total_s": max(r["total_s"] for r in rows),
        "entities": rows[0]["entities"],
        "moved_sources": rows[0]["moved_sources"],
        "retired": rows[0]["retired"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="base store sizes, in papers")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    results = [measure(int(size), args.runs) for size in args.sizes.split(",")]
    (CACHE / "identity-speed.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
