"""Killing an ingest at any step of its write leaves the store as it was before, or as it is
after, never between; the next ingest cleans up and reaches the same graph.

Each step of a write (kg.store.generations.CRASH_POINTS) is reached on purpose: the ingest runs
with ``KG_CRASH_AT=<step>`` and kills itself with SIGKILL there, so every window is hit on any
machine, however slow or busy, and the test knows which outcome each must give. Kills at random
moments (which mostly land before the write) are the slow test in test_reliability_store.py.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
from contextlib import suppress
from pathlib import Path

import pytest

from conftest import EPOCH, ROOT, SAMPLE, leftovers, make_settings
from kg.pipeline import ingest
from kg.store import open_store
from kg.store.generations import CRASH_POINTS

AFTER_THE_FLIP = {"published", "cleaned"}


def write_records(path: Path, papers: int) -> None:
    rng = random.Random(7)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(papers):
            names = (f"Writer {rng.randrange(papers // 3)} Example" for _ in range(rng.randint(1, 4)))
            authors = list(dict.fromkeys(names))
            out.write(json.dumps({"type": "paper", "title": f"Study {i} of crash safety", "authors": authors,
                                  "year": 2000 + i % 25, "venue": f"Venue {i % 5}", "venue_kind": "journal",
                                  "abstract": "A sentence about the study. " * 10}) + "\n")


def nquads(store: Path) -> bytes:
    out = io.BytesIO()
    open_store(store, make_settings(store).base_uri).dump(out, "nquads")
    return b"\n".join(sorted(out.getvalue().splitlines()))


def kg_ingest(store: Path, records: Path, crash_at: str | None = None) -> int:
    """`kg ingest` in its own process group (its forked SHACL workers die with it); the exit status."""
    env = {"SOURCE_DATE_EPOCH": str(EPOCH), "PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
           **({"KG_CRASH_AT": crash_at} if crash_at else {})}
    process = subprocess.Popen([sys.executable, "-m", "kg", "ingest", "--store", str(store), str(records)],
                               env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        return process.wait(timeout=300)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    """A store holding the sample, a batch of records, and the graph before and after the batch."""
    directory = tmp_path_factory.mktemp("crash")
    records = directory / "records.jsonl"
    write_records(records, 120)
    base = make_settings(directory / "base")
    ingest(SAMPLE, base)
    full = directory / "full"
    shutil.copytree(base.store, full, symlinks=True)
    assert kg_ingest(full, records) == 0
    before, after = nquads(base.store), nquads(full)
    assert before != after
    return base.store, records, before, after


@pytest.mark.parametrize("step", CRASH_POINTS)
def test_kill_minus_nine_at_each_step_leaves_the_old_or_the_new_graph(graphs, step, tmp_path):
    base, records, before, after = graphs
    store = tmp_path / "store"
    shutil.copytree(base, store, symlinks=True)
    status = kg_ingest(store, records, crash_at=step)
    assert status == -signal.SIGKILL, f"the ingest did not reach step {step!r} (exit {status})"
    expected = "after" if step in AFTER_THE_FLIP else "before"
    state = nquads(store)
    assert state in (before, after), f"killed at {step!r}: the store holds neither graph"
    assert ("after" if state == after else "before") == expected, f"killed at {step!r}"
    # the next ingest, at once, cleans up what the killed one left and reaches the same graph
    assert kg_ingest(store, records) == 0
    assert nquads(store) == after
    assert leftovers(store) == [], leftovers(store)
    # one change in the feed per published build, whichever step the kill came at
    assert sorted(p.name for p in (store / "changes").glob("g*")) == [
        "g000001.json", "g000001.rdfp.gz", "g000002.json", "g000002.rdfp.gz"]
