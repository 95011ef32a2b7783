"""The remote store (kg/store/remote.py) against a real `oxigraph serve`: ingest with `kg ingest`,
the sample's facts on its dump, idempotence, bad input, the atomic and guarded update, both ways of
reading the store back, and a web server reading a store another process writes (issue 5).

The whole HTTP suite (tests/test_web_*.py) also runs against such a store: conftest's
``web_sample`` fixture is parametrized over ``local`` and ``remote``.
"""

from __future__ import annotations

import io
import json
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF
from test_graph_sample import (  # noqa: F401 - run here too
    test_abstract_trailer_is_chrome_and_copyright_is_kept,
    test_author_list_keeps_record_order,
    test_counts_and_labels_each_page_states_are_on_its_source_document,
    test_defossez_spellings_are_one_person_and_defazio_another,
    test_every_triple_is_in_a_named_graph_and_sources_are_described,
    test_fourteen_works_and_twenty_six_persons,
    test_latex_stays_verbatim,
    test_leon_bottou_is_one_person_author_of_all_works,
    test_memory_mosaics_at_scale_is_one_work_with_two_versions,
    test_profile_only_works_have_bottou_as_only_known_author,
)

from conftest import (
    DATA,
    EPOCH,
    HOSTILE,
    SAMPLE,
    dump_dataset,
    free_port,
    make_settings,
    running_oxigraph,
    serving,
    tree_digest,
)
from kg.cli import main
from kg.config import load_settings
from kg.errors import ConfigError, StoreError, ValidationFailed
from kg.identity import resolve
from kg.pipeline import checked_chunks, counted, ingest, read_inputs
from kg.quads import Change
from kg.store import RemoteStore, open_configured_store
from kg.store.artifacts import read_manifest
from kg.store.build import Build
from kg.store.remote import locate_endpoints
from kg.store.sparql_http import Endpoint, EndpointError, send
from kg.vocab import DCTERMS
from kg.web.context import merge_manifests

SUBJECT, PREDICATE, OBJECT = (URIRef(f"urn:kg:test:{name}") for name in ("s", "p", "o"))
G1, G2 = URIRef("http://127.0.0.1:5000/source/one"), URIRef("http://127.0.0.1:5000/source/two")


def run_kg(url: str, artifacts: Path, *args) -> object:
    """The real CLI, in-process, with the store chosen the way a user chooses it: KG_STORE."""
    env = {"KG_STORE": url, "KG_ARTIFACTS_DIR": str(artifacts), "SOURCE_DATE_EPOCH": str(EPOCH)}
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def server_nquads(url: str) -> bytes:
    """Everything the server holds (meta graph included), straight from its Graph Store endpoint."""
    request = urllib.request.Request(f"{url}store", headers={"Accept": "application/n-quads"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return b"".join(sorted(response.read().splitlines(keepends=True)))


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    """An `oxigraph serve` with the shipped sample ingested by `kg ingest` (KG_STORE=http://…/)."""
    directory = tmp_path_factory.mktemp("remote")
    with running_oxigraph(directory) as url:
        result = run_kg(url, directory / "artifacts", "ingest", *SAMPLE)
        assert result.exit_code == 0, result.output
        assert "+992 -0 quads (173 inferred)" in result.output
        yield make_settings(url, artifacts_dir=directory / "artifacts")


@pytest.fixture(scope="module")
def sample_graph(remote):
    """The remote store's dump: test_graph_sample's facts, imported above, are checked on it."""
    return dump_dataset(remote)


@pytest.fixture
def empty_remote(tmp_path):
    with running_oxigraph(tmp_path) as url:
        yield make_settings(url, artifacts_dir=tmp_path / "artifacts")


# -- configuration -------------------------------------------------------------------------------


def test_a_url_store_names_its_endpoints():
    assert locate_endpoints("http://127.0.0.1:7878/", None) == (
        "http://127.0.0.1:7878/query", "http://127.0.0.1:7878/update", "http://127.0.0.1:7878/store")
    assert locate_endpoints("http://h:3030/ds/query", "http://h:3030/ds/update") == (
        "http://h:3030/ds/query", "http://h:3030/ds/update", None)
    assert locate_endpoints("https://qlever.example/api/kg", None) == ("https://qlever.example/api/kg", None, None)


def test_store_settings_keep_urls_as_text_and_refuse_bad_ones():
    settings = load_settings({"KG_STORE": "http://127.0.0.1:7878/", "KG_STORE_UPDATE": "http://h/ds/update"})
    assert settings.store == "http://127.0.0.1:7878/" and settings.store_update == "http://h/ds/update"
    assert isinstance(load_settings({"KG_STORE": "data/store"}).store, Path)
    with pytest.raises(ConfigError, match="KG_STORE='http://' is not allowed"):
        load_settings({"KG_STORE": "http://"})
    with pytest.raises(ConfigError, match="KG_STORE_UPDATE='ftp://h/update' is not allowed: an absolute http"):
        load_settings({"KG_STORE_UPDATE": "ftp://h/update"})


def test_an_unreachable_store_is_a_one_line_error(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    result = run_kg(url, tmp_path, "stats")
    assert result.exit_code == 2
    assert f"store {url}: http://127.0.0.1:" in result.stderr and "Connection refused" in result.stderr
    assert "Traceback" not in result.output


# -- ingest --------------------------------------------------------------------------------------


def test_the_remote_dump_is_the_local_graph_up_to_blank_node_labels(remote, sample_settings):
    here = open_configured_store(sample_settings)
    local = merge_manifests(read_manifest(here.artifacts()), read_manifest(here.dumps()))
    far = read_manifest(open_configured_store(remote).artifacts())
    for key in ("counts", "classes", "properties", "graphs", "sources", "examples", "validation"):
        assert far[key] == local[key], key
    assert [f["name"] for f in far["files"]] == [f["name"] for f in local["files"]]
    turtle = [Graph().parse(open_configured_store(s).dumps() / "kg.ttl") for s in (sample_settings, remote)]
    assert isomorphic(*turtle)


def test_stats_and_query_read_the_remote_store(remote):
    stats = run_kg(remote.store, remote.artifacts_dir, "stats", "--json")
    counts = json.loads(stats.output)
    assert (counts["persons"], counts["works"]) == (26, 14)
    assert counts["generation"].startswith("g000001-")
    table = run_kg(remote.store, remote.artifacts_dir, "query", "count-works-per-venue").output
    assert "http://127.0.0.1:5000/venue/neurips  NeurIPS  6" in table


def test_a_second_ingest_writes_nothing(remote):
    before, artifacts = server_nquads(remote.store), tree_digest(remote.artifacts_dir)
    result = run_kg(remote.store, remote.artifacts_dir, "ingest", *SAMPLE)
    assert result.exit_code == 0 and "2 already in the store" in result.output and "nothing to write" in result.output
    assert server_nquads(remote.store) == before
    assert tree_digest(remote.artifacts_dir) == artifacts


@pytest.mark.parametrize("case", ["unreadable-year", "unknown-kind"])
def test_bad_input_leaves_the_remote_store_unchanged(remote, case):
    bad = next(p for p in (DATA / "bad-input" / case).iterdir() if p.name != "expected.txt")
    before, artifacts = server_nquads(remote.store), tree_digest(remote.artifacts_dir)
    dump = io.BytesIO()
    open_configured_store(remote).dump(dump, "nquads")
    result = run_kg(remote.store, remote.artifacts_dir, "ingest", HOSTILE, bad)
    assert result.exit_code == 2 and bad.name in result.stderr
    after = io.BytesIO()
    open_configured_store(remote).dump(after, "nquads")
    assert after.getvalue() == dump.getvalue()
    assert server_nquads(remote.store) == before and tree_digest(remote.artifacts_dir) == artifacts


def test_a_non_conforming_batch_writes_nothing(remote):
    before = server_nquads(remote.store)
    settings = make_settings(remote.store, artifacts_dir=remote.artifacts_dir,
                             shapes_dir=DATA / "cli" / "strict-shapes")
    with pytest.raises(ValidationFailed, match="this publisher requires every page to state its paper count"):
        ingest([HOSTILE], settings)
    assert server_nquads(remote.store) == before


# -- the update: one request, union default graph, guarded -----------------------------------------


def test_the_default_graph_stays_the_union_as_quads_come_and_go(empty_remote):
    store = open_configured_store(empty_remote)
    ask = f"ASK {{ {SUBJECT.n3()} {PREDICATE.n3()} {OBJECT.n3()} }}"
    store.apply({(SUBJECT, PREDICATE, OBJECT, G1), (SUBJECT, PREDICATE, OBJECT, G2)}, ())
    assert store.select(ask)[1] == [(True,)]
    assert store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[1][0][0].toPython() == 1
    store.apply((), {(SUBJECT, PREDICATE, OBJECT, G1)})
    assert store.select(ask)[1] == [(True,)]  # graph two still states it
    store.apply((), {(SUBJECT, PREDICATE, OBJECT, G2)})
    assert store.select(ask)[1] == [(False,)]
    assert store.state().startswith("g000003-") and store.modified() > time.time() - 60


def test_the_server_applies_an_update_request_all_or_nothing(empty_remote):
    """What the remote store's atomicity rests on: a request whose last operation fails changes nothing."""
    update = Endpoint(f"{empty_remote.store}update")
    headers = {"Content-Type": "application/sparql-update"}
    send(update, "POST", f"CREATE GRAPH <{G1}>".encode(), headers, timeout=10)
    with pytest.raises(EndpointError, match="already exists"):
        send(update, "POST", f"INSERT DATA {{ GRAPH <{G2}> {{ <{SUBJECT}> <{PREDICATE}> <{OBJECT}> }} }} ;\n"
                             f"CREATE GRAPH <{G1}>".encode(), headers, timeout=10)
    assert b"urn:kg:test" not in server_nquads(empty_remote.store)


def test_a_write_computed_against_an_old_generation_is_refused(empty_remote):
    first, second = open_configured_store(empty_remote), open_configured_store(empty_remote)
    first.apply({(SUBJECT, PREDICATE, OBJECT, G1)}, ())
    with first.writer() as writer:
        writer.registry()  # an ingest reads its identities at this generation ...
        second.apply({(SUBJECT, PREDICATE, Literal("other writer"), G2)}, ())  # ... another writes meanwhile ...
        before = server_nquads(empty_remote.store)
        writer.apply(Change((), {(SUBJECT, PREDICATE, OBJECT, G1)}))
        with pytest.raises(StoreError, match="another writer changed the store.*nothing was written"):
            writer.publish(Build.unrecorded())  # ... so its change no longer fits: refused whole
    assert server_nquads(empty_remote.store) == before


def test_a_batch_over_the_request_limit_is_staged_then_published_in_one_request(empty_remote, remote):
    store = open_configured_store(empty_remote)
    store.max_request_bytes = 20_000  # the sample's request is about 150 kB: uploaded in several requests
    parsed, _rejects = read_inputs(SAMPLE, empty_remote)
    with store.writer() as writer:
        registry = writer.registry()
        resolution = resolve(parsed, registry)
        result = counted(resolution)
        for change in checked_chunks(resolution, empty_remote, result, registry):
            writer.apply(change)
        writer.publish(Build.of_ingest(empty_remote.now(), result.report))
    assert b"graph/staging/" not in server_nquads(empty_remote.store)  # dropped by the publishing request
    graphs, counts = [], set()
    for settings in (empty_remote, remote):
        turtle = io.BytesIO()
        counts.add(open_configured_store(settings).dump(io.BytesIO(), "nquads"))
        open_configured_store(settings).dump(turtle, "turtle")
        graphs.append(Graph().parse(data=turtle.getvalue(), format="turtle"))
    assert isomorphic(*graphs) and len(counts) == 1 and counts.pop() > 673  # the sample and its mentions
    test_author_list_keeps_record_order(dump_dataset(empty_remote))  # a list's blank nodes went up in one request


def test_a_read_only_store_reads_by_query_and_refuses_writes(remote):
    """Given the query endpoint itself (as for Fuseki or QLever), the snapshot comes from a SELECT."""
    url = remote.store
    read_only = RemoteStore(f"{url}query", None, remote.base_uri, artifacts_dir=remote.artifacts_dir)
    by_query, by_store = io.BytesIO(), io.BytesIO()
    read_only.dump(by_query, "nquads")
    open_configured_store(remote).dump(by_store, "nquads")
    assert by_query.getvalue() == by_store.getvalue()
    with pytest.raises(StoreError, match="has no update endpoint, so it is read-only here; set KG_STORE_UPDATE"):
        read_only.apply({(SUBJECT, PREDICATE, OBJECT, G1)}, ())


# -- a web server on a store another process writes -------------------------------------------------


def test_the_web_server_follows_the_remote_store(tmp_path):
    port = free_port()
    with running_oxigraph(tmp_path) as url:
        settings = make_settings(url, base_uri=f"http://127.0.0.1:{port}/", artifacts_dir=tmp_path / "artifacts")
        ingest(SAMPLE, settings)
        # the web tier has artifacts of its own: it makes them from the store on first request
        with serving(make_settings(url, base_uri=settings.base_uri, artifacts_dir=tmp_path / "web"), port):
            assert persons(settings.base_uri) == 26
            first = manifest(settings.base_uri)
            ingest([HOSTILE], settings)
            deadline = time.monotonic() + 10
            while persons(settings.base_uri) != 27 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert persons(settings.base_uri) == 27
            second = manifest(settings.base_uri)
            while second["generation"] == "g000001" and time.monotonic() < deadline:
                time.sleep(0.1)  # each worker rereads the generation at most a second later
                second = manifest(settings.base_uri)
            assert (first["generation"], second["generation"]) == ("g000001", "g000002")
            assert second["counts"]["persons"] == 27 and second["validation"]["conforms"] is True
            assert (tmp_path / "web").is_dir()


def persons(base: str) -> int:
    query = urllib.parse.quote("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://schema.org/Person> }")
    request = urllib.request.Request(f"{base}sparql?query={query}",
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.loads(response.read())["results"]["bindings"][0]["n"]["value"])


def manifest(base: str) -> dict:
    with urllib.request.urlopen(f"{base}dumps/manifest.json", timeout=30) as response:
        return json.loads(response.read())


def test_merges_move_facts_on_a_remote_store_as_on_a_directory_store(empty_remote, tmp_path):
    """variants-b proves `Y. LeCun` of variants-a is Yann LeCun: the facts of variants-a, an author
    list among them, move to the survivor by renames in one guarded request (blank nodes kept)."""
    inputs = [DATA / "identity" / name for name in ("variants-a.jsonl", "variants-b.jsonl")]
    local = make_settings(tmp_path / "local")
    for path in inputs:
        ingest([path], empty_remote)
        ingest([path], local)
    remote_data, local_data = dump_dataset(empty_remote), dump_dataset(local)
    for name in {str(g.identifier) for g in local_data.graphs() if len(g)}:
        assert isomorphic(remote_data.graph(URIRef(name)), local_data.graph(URIRef(name))), name
    old = URIRef(f"{empty_remote.base_uri}author/y-lecun")
    assert {p for _s, p, _o in remote_data.graph(URIRef(f"{empty_remote.base_uri}graph/identity")).triples(
        (old, None, None))} == {OWL.deprecated, DCTERMS.isReplacedBy, OWL.sameAs}
    store = open_configured_store(empty_remote)  # the default graph (the union copy) has no stale triple either
    assert store.select(f"ASK {{ ?s ?p <{old}> }}")[1] == [(False,)]
    assert store.select(f"ASK {{ <{old}> <{OWL.deprecated}> true }}")[1] == [(True,)]
    base = empty_remote.base_uri
    first = (f"ASK {{ GRAPH <{base}source/variants-a> {{ <{base}paper/deep-nets> <http://purl.org/ontology/bibo/"
             f"authorList>/<{RDF.first}> <{base}author/yann-lecun> }} }}")
    assert store.select(first)[1] == [(True,)]  # the author list renamed in place
