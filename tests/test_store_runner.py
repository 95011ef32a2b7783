"""The query processes of kg.store.runner: stopped at the time limit, replaced, and never left
running when the web worker that owns them dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import ROOT, SAMPLE, make_settings
from kg.pipeline import ingest
from kg.store import QueryTimeout, open_store

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("runner") / "store")
    ingest(SAMPLE, settings)
    return settings


def test_a_query_past_the_limit_is_stopped_and_the_next_one_finds_a_process(sample_store):
    store = open_store(sample_store.store, sample_store.base_uri, query_workers=1, query_timeout=1)
    try:
        with pytest.raises(QueryTimeout, match="time limit of 1 s"):
            store.run_query(RUNAWAY, max_bytes=1 << 20)
        # the only process was killed; its successor answers (its start is not counted in the limit)
        answer = store.run_query("ASK { ?s a <https://schema.org/Person> }", max_bytes=1 << 20)
        assert (answer.kind, b"true" in answer.body) == ("boolean", True)
    finally:
        store.close()


def stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state is [0], ppid [1], utime [11]); None when gone."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(") ", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def alive(pid: int) -> bool:
    fields = stat(pid)
    return fields is not None and fields[0] != "Z"  # a zombie is dead, only not yet reaped


def descendants(pid: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := stat(int(entry))) is not None:
            parents[int(entry)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent]
        found += children
        frontier += children
    return found


def test_no_query_process_outlives_a_worker_killed_with_sigkill(sample_store):
    """A web worker killed by gunicorn's timeout or the OOM killer cannot kill its query
    processes; they end with it (each watches its parent's sentinel)."""
    owner = textwrap.dedent(f"""
        import threading
        from kg.store import open_store
        store = open_store({str(sample_store.store)!r}, "http://127.0.0.1:5000/", query_workers=1,
                           query_timeout=600)
        store.warm_up()
        print("ready", flush=True)
        store.run_query({RUNAWAY!r}, max_bytes=1 << 20)
    """)
    process = subprocess.Popen([sys.executable, "-c", owner], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        family = descendants(process.pid)  # the fork server, its resource tracker, the query process
        busy = [pid for pid in family if stat(pid) and stat(pid)[1] != str(process.pid)]
        assert len(busy) == 1, family
        for _ in range(3000):  # bounded: until the query process is computing
            if int(stat(busy[0])[11]) > 0:
                break
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
    for _ in range(3000):  # bounded: until it is gone
        if not alive(busy[0]):
            break
        time.sleep(0.01)
    assert not alive(busy[0]), "a query process outlived its worker"
