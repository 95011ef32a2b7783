"""One writer at a time: a second ingest fails at once with a clear message, and the lock of a
writer killed with -9 dies with it, even while the processes its SHACL gate forked still run."""

import subprocess
import sys

import pytest
from rdflib import Literal, URIRef

from conftest import SAMPLE, make_settings
from kg.errors import StoreError
from kg.pipeline import ingest
from kg.quads import Change
from kg.store import open_configured_store
from kg.store.generations import current_generation

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


def test_a_write_computed_against_an_old_generation_is_refused(tmp_path):
    """The embedded store's writer, like the remote one, builds on the state its registry read: if
    another ingest publishes meanwhile, its identity decisions may be stale, so it writes nothing."""
    settings = make_settings(tmp_path / "store")
    ingest(SAMPLE[:1], settings)
    store = open_configured_store(settings)
    before = current_generation(settings.store)
    with store.writer() as writer:
        writer.registry()
        ingest(SAMPLE[1:], settings)  # another ingest publishes while this one decides
        with pytest.raises(StoreError, match="another ingest published g000002 while this one read g000001"):
            writer.apply(Change({(URIRef("urn:kg:s"), URIRef("urn:kg:p"), Literal("x"), URIRef("urn:kg:g"))}))
    assert current_generation(settings.store).name == "g000002" and before.name == "g000001"
    assert not list((settings.store / "generations").glob("tmp-*"))  # nothing staged was left behind


def test_a_writer_that_publishes_nothing_writes_nothing(tmp_path):
    settings = make_settings(tmp_path / "store")
    ingest(SAMPLE[:1], settings)
    with open_configured_store(settings).writer() as writer:
        writer.registry()
    assert current_generation(settings.store).name == "g000001"
    assert sorted(p.name for p in (settings.store / "generations").iterdir()) == ["g000001"]
