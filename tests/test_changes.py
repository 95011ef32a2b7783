"""Each build publishes its change as an RDF Patch in the change feed; a mirror that applies the
patches after a dump, in order, holds exactly the current graph (kg.store.patch, kg.web.changes)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT

from conftest import DATA, SAMPLE, free_port, http_fetch, make_settings, publish, serving
from kg.errors import KgError
from kg.pipeline import ingest, retire
from kg.store import open_configured_store
from kg.store.patch import apply_patch, change_file, list_changes

IDENTITY = sorted(p for p in (DATA / "identity").iterdir() if p.suffix in (".txt", ".jsonl"))


def current_quads(settings) -> set[str]:
    out = io.BytesIO()
    open_configured_store(settings).dump(out, "nquads")
    return set(out.getvalue().decode("utf-8").splitlines())


def replayed(dump: bytes, patches: list) -> set[str]:
    """A mirror: the N-Quads dump loaded as it is (blank-node labels kept), the patches applied in order."""
    mirror = ox.Store()
    mirror.extend(ox.parse(dump, format=ox.RdfFormat.N_QUADS))
    for path in patches:
        apply_patch(mirror, path)
    text = ox.serialize(list(mirror), format=ox.RdfFormat.N_QUADS).decode("utf-8")
    return set(text.splitlines())


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Builds that add, merge (renaming URIs in place), retire and add again, with a dump after the first."""
    settings = make_settings(tmp_path_factory.mktemp("changes") / "store")
    assert ingest(list(reversed(IDENTITY))[:2], settings).written  # later files merge into these
    dump_directory = publish(settings)
    dump = gzip.decompress((dump_directory / "kg.nq.gz").read_bytes())
    for path in list(reversed(IDENTITY))[2:]:
        assert ingest([path], settings).written
    assert ingest([DATA / "web" / "lookup-records.jsonl"], settings).written
    retire(settings, f"{settings.base_uri}paper/memory-mosaics-at-scale")
    return settings, dump


def test_the_feed_lists_every_build_in_order(history):
    settings, _dump = history
    root = open_configured_store(settings).changes()
    entries = list_changes(root, open_configured_store(settings).state().split("-")[0])
    names = [entry["generation"] for entry in entries]
    assert names == [f"g{i:06d}" for i in range(1, len(names) + 1)] and len(names) >= 4
    assert [entry["previous"] for entry in entries] == [None, *names[:-1]]
    assert any(entry["removed"] for entry in entries)  # merges rename and drop facts, not only add
    for entry in entries:
        data = change_file(root, entry["generation"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]


def test_a_mirror_that_applies_the_patches_after_the_dump_holds_the_current_graph(history):
    settings, dump = history
    root = open_configured_store(settings).changes()
    entries = list_changes(root, open_configured_store(settings).state().split("-")[0])
    later = [change_file(root, entry["generation"]) for entry in entries[1:]]
    assert replayed(dump, later) == current_quads(settings)
    assert replayed(dump, later[:-1]) != current_quads(settings)  # the last patch matters
    everything = [change_file(root, entry["generation"]) for entry in entries]
    assert replayed(b"", everything) == current_quads(settings)  # from nothing, every patch


def test_a_failed_ingest_records_no_change(history, tmp_path):
    settings, _dump = history
    root = open_configured_store(settings).changes()
    before = sorted(p.name for p in (root / "changes").iterdir())
    with pytest.raises(KgError):
        ingest([DATA / "bad-input" / "unreadable-year" / "cluster-bad-year.txt"], settings)
    assert sorted(p.name for p in (root / "changes").iterdir()) == before


def test_the_feed_through_the_server(tmp_path):
    port = free_port()
    settings = make_settings(tmp_path / "store", base_uri=f"http://127.0.0.1:{port}/")
    assert ingest(SAMPLE[:1], settings).written
    assert ingest(SAMPLE[1:], settings).written
    with serving(settings, port) as live:
        status, headers, body = http_fetch(live.url + "changes", accept="application/activity+json")
        collection = json.loads(body)
        assert status == 200 and headers.get_content_type() == "application/activity+json"
        assert collection["type"] == "OrderedCollection" and collection["totalItems"] == 2
        status, headers, body = http_fetch(collection["first"], accept="application/ld+json")
        page = json.loads(body)
        assert status == 200 and page["type"] == "OrderedCollectionPage" and page["partOf"] == collection["id"]
        items = page["orderedItems"]
        assert [item["generation"] for item in items] == ["g000001", "g000002"]
        assert all(item["type"] == "Update" for item in items)
        status, headers, body = http_fetch(items[1]["url"]["href"], follow_redirects=False)
        assert status == 200 and hashlib.sha256(body).hexdigest() == items[1]["sha256"]
        assert "immutable" in headers["Cache-Control"]
        header = b"H id <urn:kg:generation:g000002> .\nH prev <urn:kg:generation:g000001> .\n"
        assert gzip.decompress(body).startswith(header)
        assert http_fetch(live.url + "changes/g000003.rdfp.gz")[0] == 404  # not (yet) published
        assert http_fetch(live.url + "changes?page=9")[0] == 400
        void = Graph().parse(live.url + "void.ttl", format="turtle")
        assert (None, DCAT.accessURL, URIRef(live.url + "changes")) in void  # how a mirror finds the feed
        # no dump was written yet: the dumps page says so and points to the feed
        status, _headers, body = http_fetch(live.url + "dumps/", accept="text/html")
        assert status == 200 and b"kg publish" in body


def test_each_builds_graph_sizes_are_kept_by_count_and_match_the_store(history):
    settings, _dump = history
    store = open_configured_store(settings)
    manifest = json.loads((store.artifacts() / "manifest.json").read_text(encoding="utf-8"))
    counted = {str(g): int(n) for g, n in store.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")[1]}
    assert manifest["graphs"] == counted and manifest["counts"]["quads"] == sum(counted.values())


def test_ingests_go_on_while_dumps_are_written_and_two_publishers_do_not_mix(tmp_path):
    from kg.store.generations import dumps_lock

    settings = make_settings(tmp_path / "store")
    assert ingest(SAMPLE[:1], settings).written
    root = open_configured_store(settings).changes()
    with dumps_lock(root):  # a `kg publish` writing the dumps
        assert ingest(SAMPLE[1:], settings).written  # the ingest is not held up
        other = subprocess.run([sys.executable, "-m", "kg", "publish", "--store", str(settings.store)],
                               capture_output=True, text=True, timeout=120)  # POSIX locks are per process
        assert other.returncode == 2 and "another `kg publish`" in other.stderr and "Traceback" not in other.stderr
    directory = publish(settings)
    assert directory.name == "g000002" and sorted(p.name for p in directory.parent.iterdir()) == ["g000002"]
