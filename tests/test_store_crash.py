"""Killing an ingest at any moment leaves the store as it was before, or as it is after, never between.

A bounded loop: a fixed list of kill times spread over the ingest's run, each on a fresh copy.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import signal
import subprocess
import sys
import time

from conftest import EPOCH, SAMPLE, make_settings
from kg.pipeline import ingest
from kg.store import open_store

KILL_AFTER = (0.2, 0.6, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)  # seconds; the ingest takes about 3 s


def write_records(path, papers: int) -> None:
    rng = random.Random(7)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(papers):
            names = (f"Writer {rng.randrange(papers // 3)} Example" for _ in range(rng.randint(1, 4)))
            authors = list(dict.fromkeys(names))
            out.write(json.dumps({"type": "paper", "title": f"Study {i} of crash safety", "authors": authors,
                                  "year": 2000 + i % 25, "venue": f"Venue {i % 5}", "venue_kind": "journal",
                                  "abstract": "A sentence about the study. " * 10}) + "\n")


def nquads(settings) -> bytes:
    out = io.BytesIO()
    open_store(settings.store, settings.base_uri).dump(out, "nquads")
    return b"\n".join(sorted(out.getvalue().splitlines()))


def test_kill_minus_nine_leaves_old_or_new_graph(tmp_path):
    records = tmp_path / "records.jsonl"
    write_records(records, 700)
    base = make_settings(tmp_path / "base")
    ingest(SAMPLE, base)
    before = nquads(base)
    full = make_settings(tmp_path / "full")
    shutil.copytree(base.store, full.store, symlinks=True)
    ingest([records], full)
    after = nquads(full)
    outcomes = []
    for delay in KILL_AFTER:
        trial = make_settings(tmp_path / f"kill-{delay}")
        shutil.copytree(base.store, trial.store, symlinks=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "kg", "ingest", "--store", str(trial.store), str(records)],
            env={"SOURCE_DATE_EPOCH": str(EPOCH), "PATH": "/usr/bin:/bin"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        state = nquads(trial)
        assert state in (before, after), f"killed after {delay}s: the store holds neither graph"
        outcomes.append("after" if state == after else "before")
        ingest([records], trial)  # the store still works, and finishing the ingest reaches the same graph
        assert nquads(trial) == after
    assert "before" in outcomes, outcomes
