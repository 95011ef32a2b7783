"""The SHACL gate's engines side by side: pySHACL (the reference) and pyshacl-turbo, on the batch the
pipeline validates for generated records, at several sizes.

    .venv/bin/python bench/gate_engines.py --sizes 1000,10000 --runs 3

For each size, bench/generate.py's records (seed 42) are parsed, resolved and mapped into one batch
(what kg.pipeline hands the gate: the chunk's triples and the identity context), then validated by
``kg.validation.validate_graph`` with ``engine="pyshacl"`` (in parts on both cores, as the gate ran
before) and ``engine="turbo"``, ``--runs`` times each; the verdicts and reports must be the same.
Prints JSON and writes bench/.cache/gate-engines.json; BENCHMARKS.md quotes the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from processes import CACHE  # noqa: E402
from run import ensure_records  # noqa: E402

from kg.config import Settings  # noqa: E402
from kg.identity import resolve  # noqa: E402
from kg.mapping import entity_state, map_in_chunks  # noqa: E402
from kg.pipeline import read_inputs  # noqa: E402
from kg.store import open_configured_store  # noqa: E402
from kg.validation import load_shapes, validate_graph  # noqa: E402


def mapped_batch(records: Path) -> tuple[set, dict, Settings]:
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(store=Path(directory) / "store", source_date_epoch=1767225600)
        parsed, _rejects = read_inputs([records], settings)
        resolution = resolve(parsed, open_configured_store(settings).registry())
        state = entity_state(settings.base_uri, resolution)
        batch = next(map_in_chunks(resolution, settings.base_uri, None, state))
        batch.context |= set().union(*state.values())
        return batch.triples(), dict(batch.record_keys), settings


def measure(size: int, runs: int) -> dict:
    triples, keys, settings = mapped_batch(ensure_records(size, 42)[0])
    shapes = load_shapes(settings.shapes_dir, settings.base_uri)
    row: dict = {"papers": size, "triples": len(triples)}
    reports = {}
    for engine in ("turbo", "pyshacl"):
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            reports[engine] = validate_graph(triples, shapes, keys, engine=engine)
            times.append(time.perf_counter() - started)
        row[f"{engine}_s"] = round(statistics.median(times), 2)
    row["same_report"] = (reports["turbo"].conforms is reports["pyshacl"].conforms
                          and reports["turbo"].violations == reports["pyshacl"].violations)
    row["ratio"] = round(row["pyshacl_s"] / row["turbo_s"], 1)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = [measure(int(size), args.runs) for size in args.sizes.split(",")]
    for row in rows:
        print(json.dumps(row))
    (CACHE / "gate-engines.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
