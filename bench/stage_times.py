"""Wall time per stage of one ingest, without a profiler: each stage's function is wrapped in a timer.

    .venv/bin/python bench/stage_times.py bench/.cache/records-10000-seed42-*.jsonl

Runs ``kg.pipeline.ingest`` of the files into a new store in a temporary directory and prints the
seconds each stage took (indented rows are parts of the row above them). cProfile (section 2,
bench/stages.py) slows pure-Python code more than RocksDB and the native engines; this does not.
"""

from __future__ import annotations

import collections
import functools
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kg.pipeline as pipeline  # noqa: E402
import kg.store.oxigraph as oxigraph  # noqa: E402
import kg.store.patch as patch  # noqa: E402
import kg.validation.shacl as shacl  # noqa: E402
from kg.config import Settings  # noqa: E402

TOTALS: collections.Counter = collections.Counter()


def timed(name: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            TOTALS[name] += time.perf_counter() - started
    return wrapper


def timed_chunks(name: str, function):
    """A generator's time, spent in producing each item (the mapping yields chunks)."""
    def wrapper(*args, **kwargs):
        items = function(*args, **kwargs)
        while True:
            started = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                TOTALS[name] += time.perf_counter() - started
                return
            TOTALS[name] += time.perf_counter() - started
            yield item
    return wrapper


def instrument() -> None:
    pipeline.read_inputs = timed("parse (read + parse)", pipeline.read_inputs)
    pipeline.resolve = timed("identity (resolve)", pipeline.resolve)
    pipeline.identity_changes = timed("identity changes", pipeline.identity_changes)
    pipeline.citation_change = timed("citations", pipeline.citation_change)
    pipeline.validate_graph = timed("gate (validate_graph)", pipeline.validate_graph)
    pipeline.materialize_owlrl = timed("inference", pipeline.materialize_owlrl)
    pipeline.map_in_chunks = timed_chunks("mapping", pipeline.map_in_chunks)
    oxigraph.GenerationWriter.apply = timed("store apply", oxigraph.GenerationWriter.apply)
    oxigraph.write_artifacts = timed("artifacts (report, manifest)", oxigraph.write_artifacts)
    patch.PatchWriter.rows = timed("  store apply: patch rows", patch.PatchWriter.rows)
    shacl.graph_of = timed("  gate: build the rdflib graph", shacl.graph_of)
    shacl.run_turbo = timed("  gate: pyshacl-turbo", shacl.run_turbo)


def main() -> None:
    instrument()
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(store=Path(directory) / "store", source_date_epoch=1767225600)
        started = time.perf_counter()
        result = pipeline.ingest([Path(p) for p in sys.argv[1:]], settings)
        total = time.perf_counter() - started
    print(f"total {total:.1f} s, works {result.works}")
    for name, seconds in TOTALS.most_common():
        print(f"{name:38s} {seconds:6.1f} s  {100 * seconds / total:5.1f}%")


if __name__ == "__main__":
    main()
