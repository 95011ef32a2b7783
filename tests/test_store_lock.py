"""One writer at a time: a second ingest fails at once with a clear message, and the lock of a
writer killed with -9 dies with it, even while the processes its SHACL gate forked still run."""

import subprocess
import sys

import pytest

from conftest import SAMPLE, make_settings
from kg.errors import StoreError
from kg.pipeline import ingest

HOLD = """
import sys, time
from pathlib import Path
from kg.store.generations import writer_lock
with writer_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_second_writer_is_refused_at_once_and_a_killed_writer_frees_the_lock(tmp_path):
    settings = make_settings(tmp_path / "store")
    ingest(SAMPLE[:1], settings)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(settings.store)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreError, match="another ingest is writing this store"):
            ingest(SAMPLE[1:], settings)
        assert holder.poll() is None  # refused while the lock was held: it did not wait for the holder
    finally:
        holder.kill()
        holder.wait(timeout=10)
        holder.stdout.close()
    assert ingest(SAMPLE[1:], settings).written  # the lock died with its holder
