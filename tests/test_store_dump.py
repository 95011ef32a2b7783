"""Build-time artifacts: every generation is published with its dumps, report and manifest.

The files are checked against their manifest (size, SHA-256, counts parsed back by rdflib), two
builds of the same records must give the same bytes, and neither a failed ingest nor a killed
writer may leave the published artifacts changed or stale ones behind.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil

import pytest
from rdflib import Dataset, Graph, Literal

from conftest import DATA, SAMPLE, SAMPLE_CLUSTER, SAMPLE_PROFILE, make_settings, publish, tree_digest
from kg.errors import KgError, ValidationFailed
from kg.pipeline import ingest, retire
from kg.store import open_store
from kg.vocab import SH

FILES = {"validation.ttl", "validation.txt", "manifest.json"}  # a build's own
DUMP_FILES = {"kg.ttl", "kg.nt.gz", "kg.nq.gz", "manifest.json"}  # `kg publish`'s
BASE = "http://127.0.0.1:5000/"


def artifacts(settings, generation: str | None = None):
    store = open_store(settings.store, settings.base_uri)
    directory = store.artifacts() if generation is None else settings.store / "artifacts" / generation
    return directory, json.loads((directory / "manifest.json").read_text(encoding="utf-8"))


def dumps(settings):
    """The newest dump set (`kg publish`): its directory and manifest."""
    directory = open_store(settings.store, settings.base_uri).dumps()
    return directory, json.loads((directory / "manifest.json").read_text(encoding="utf-8"))


def entry(manifest: dict, name: str) -> dict:
    return next(f for f in manifest["files"] if f["name"] == name)


def test_a_generation_is_published_with_its_artifacts_and_its_dumps_apart(sample_settings):
    directory, manifest = artifacts(sample_settings)
    assert directory == sample_settings.store / "artifacts" / "g000001"
    assert {p.name for p in directory.iterdir()} == FILES
    assert manifest["generation"] == "g000001" and manifest["created"] == "2026-01-01T00:00:00Z"
    assert manifest["activity"] == "kg ingest"
    assert manifest["validation"] == {"conforms": True, "results": 0, "note": ""}
    dump_directory, dumped = dumps(sample_settings)
    assert dump_directory == sample_settings.store / "dumps" / "g000001"
    assert {p.name for p in dump_directory.iterdir()} == DUMP_FILES
    assert dumped["generation"] == "g000001" and dumped["activity"] == "dump"
    for where, listed in ((directory, manifest), (dump_directory, dumped)):
        for item in listed["files"]:
            data = (where / item["name"]).read_bytes()
            assert item["bytes"] == len(data), item["name"]
            assert item["sha256"] == hashlib.sha256(data).hexdigest(), item["name"]
    counts = manifest["counts"]
    assert {k: counts[k] for k in ("persons", "works", "versions", "venues", "sources")} == {
        "persons": 26, "works": 14, "versions": 15, "venues": 4, "sources": 2}
    assert len(manifest["graphs"]) == dumped["counts"]["graphs"] == 4
    assert sum(manifest["graphs"].values()) == counts["quads"] == dumped["counts"]["quads"]
    assert dumped["classes"]["https://schema.org/Person"] == 26
    assert sum(dumped["properties"].values()) == dumped["counts"]["triples"]
    assert dumped["examples"] == [f"{BASE}author/leon-bottou", f"{BASE}paper/memory-mosaics-at-scale"]
    assert dumped["sources"] == [f"{BASE}source/arrow-author-cluster-leon-bottou",
                                 f"{BASE}source/researcher-profile-leon-bottou"]


def test_dump_counts_are_what_rdflib_parses_back(sample_settings):
    directory, manifest = dumps(sample_settings)
    turtle = Graph().parse(directory / "kg.ttl", format="turtle")
    ntriples = Graph().parse(data=gzip.decompress((directory / "kg.nt.gz").read_bytes()).decode(), format="nt")
    quads = Dataset()
    quads.parse(data=gzip.decompress((directory / "kg.nq.gz").read_bytes()).decode(), format="nquads")
    assert len(turtle) == len(ntriples) == entry(manifest, "kg.ttl")["triples"] == manifest["counts"]["triples"]
    assert entry(manifest, "kg.nt.gz")["triples"] == len(ntriples)
    assert len(list(quads.quads())) == entry(manifest, "kg.nq.gz")["quads"] == manifest["counts"]["quads"]
    assert manifest["counts"]["quads"] > manifest["counts"]["triples"]  # some triples are stated in two graphs
    assert {str(g.identifier) for g in quads.graphs() if len(g)} == set(manifest["graphs"])
    assert len(set(turtle.subjects())) == manifest["counts"]["distinct_subjects"]
    assert len(set(turtle.objects())) == manifest["counts"]["distinct_objects"]


def test_gzip_headers_carry_no_time_and_no_name(sample_settings):
    directory, _manifest = dumps(sample_settings)
    for name in ("kg.nt.gz", "kg.nq.gz"):
        header = (directory / name).read_bytes()[:10]
        assert header[:3] == b"\x1f\x8b\x08", name
        assert header[3] & 0x08 == 0, f"{name} stores a file name"
        assert header[4:8] == b"\0\0\0\0", f"{name} stores a modification time"


def test_the_same_records_in_another_order_give_the_same_bytes(tmp_path, sample_settings):
    again = make_settings(tmp_path / "again")
    ingest(list(reversed(SAMPLE)), again)
    assert tree_digest(again.store / "artifacts") == tree_digest(sample_settings.store / "artifacts")


def test_the_triple_dumps_are_sorted_by_subject_whatever_memory_the_sort_is_given(sample_settings, monkeypatch):
    """The subjects are sorted in runs spilled to files (flat memory): runs of 3 subjects give the
    bytes of one run, and the subjects come in order, IRIs before blank nodes."""
    import io

    import kg.store.serialise as serialise

    def dump(fmt: str) -> bytes:
        out = io.BytesIO()
        open_store(sample_settings.store, sample_settings.base_uri).dump(out, fmt)
        return out.getvalue()

    whole = {fmt: dump(fmt) for fmt in ("turtle", "ntriples")}
    monkeypatch.setattr(serialise, "SORT_RUN", 3)
    assert {fmt: dump(fmt) for fmt in whole} == whole
    subjects = [line.split(" ", 1)[0] for line in whole["ntriples"].decode("utf-8").splitlines()]
    iris = [s.strip("<>") for s in subjects if s.startswith("<")]
    assert len(iris) + sum(s.startswith("_:") for s in subjects) == len(subjects)
    assert not any(s.startswith("<") for s in subjects[len(iris):])
    assert iris == sorted(iris) and len(set(iris)) > 50


LINKED_RECORDS = [*SAMPLE, DATA / "identity" / "variants-a.jsonl", DATA / "web" / "lookup-records.jsonl"]
ORACLE = "PREFIX schema: <https://schema.org/> PREFIX owl: <http://www.w3.org/2002/07/owl#> "


def test_the_manifest_statistics_streamed_with_spilled_runs_are_what_sparql_counts(tmp_path, monkeypatch):
    """The dumps' pass counts the distinct objects (sorted runs spilled to files: runs of 3 here),
    the quads per graph, the links per target and picks the examples; SPARQL over the store is the
    oracle (the queries the manifest was once made with)."""
    import pyoxigraph as ox

    import kg.store.serialise as serialise
    from kg.uris import LINK_TARGETS

    settings = make_settings(tmp_path / "store")
    ingest(LINKED_RECORDS, settings)
    monkeypatch.setattr(serialise, "SORT_RUN", 3)
    publish(settings)
    _directory, manifest = dumps(settings)
    store = ox.Store.read_only(str(settings.store / "current"))

    def rows(query: str) -> list:
        return [tuple(term.value for term in row) for row in store.query(ORACLE + query)]

    assert manifest["counts"]["distinct_objects"] == int(rows("SELECT (COUNT(DISTINCT ?o) AS ?n) "
                                                              "WHERE { ?s ?p ?o }")[0][0])
    assert manifest["graphs"] == {g: int(n) for g, n in rows("SELECT ?g (COUNT(*) AS ?n) "
                                                             "WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    links = {scheme: int(rows(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s owl:sameAs ?o FILTER(isIRI(?o) "
                              f"&& STRSTARTS(STR(?o), \"{space}\")) }}")[0][0])
             for scheme, (space, _name) in LINK_TARGETS.items()}
    assert manifest["linksets"] == {scheme: n for scheme, n in links.items() if n}
    assert set(manifest["linksets"]) >= {"doi", "orcid", "dblp", "arxiv"}
    author = rows("""SELECT ?e WHERE { ?w schema:author ?e FILTER NOT EXISTS { ?e owl:deprecated true } }
        GROUP BY ?e ORDER BY DESC(COUNT(DISTINCT ?w)) STR(?e) LIMIT 1""")
    work = rows("""SELECT ?e WHERE { ?e a schema:ScholarlyArticle ; schema:workExample ?v
        FILTER NOT EXISTS { ?e owl:deprecated true } } GROUP BY ?e ORDER BY DESC(COUNT(DISTINCT ?v)) STR(?e) LIMIT 1""")
    assert manifest["examples"] == [author[0][0], work[0][0]]


def test_kg_dump_writes_the_bytes_of_the_published_dumps(sample_settings, tmp_path, run_kg):
    directory, _manifest = dumps(sample_settings)
    for fmt, name in (("turtle", "kg.ttl"), ("ntriples", "kg.nt.gz"), ("nquads", "kg.nq.gz")):
        output = tmp_path / f"dump.{fmt}"
        result = run_kg("dump", "--store", sample_settings.store, "--format", fmt, "--output", output)
        assert result.exit_code == 0, result.output
        published = (directory / name).read_bytes()
        assert output.read_bytes() == (gzip.decompress(published) if name.endswith(".gz") else published), fmt


def test_old_generations_are_removed_with_their_artifacts(tmp_path):
    settings = make_settings(tmp_path / "store")
    for path in (SAMPLE_CLUSTER, SAMPLE_PROFILE, DATA / "web" / "hostile-records.jsonl"):
        ingest([path], settings)
    assert sorted(p.name for p in (settings.store / "generations").iterdir()) == ["g000002", "g000003"]
    assert sorted(p.name for p in (settings.store / "artifacts").iterdir()) == ["g000002", "g000003"]
    _directory, manifest = artifacts(settings)
    assert manifest["generation"] == "g000003" and manifest["counts"]["sources"] == 3


def test_a_retire_generation_says_no_validation_ran(tmp_path):
    settings = make_settings(tmp_path / "store")
    ingest(SAMPLE, settings)
    uri = f"{BASE}author/aaron-defazio"
    retire(settings, uri)
    directory, manifest = artifacts(settings)
    assert manifest["generation"] == "g000002" and manifest["activity"] == f"kg retire {uri}"
    assert manifest["validation"]["conforms"] is None
    text = (directory / "validation.txt").read_text(encoding="utf-8")
    assert f"# made by: kg retire {uri}" in text and "# conforms: not validated" in text
    assert "no SHACL validation ran" in text
    report = Graph().parse(directory / "validation.ttl", format="turtle")
    assert len(report) == 0 and "no SHACL validation ran" in (directory / "validation.ttl").read_text()
    previous, before = artifacts(settings, "g000001")
    assert before["validation"]["conforms"] is True
    assert (None, SH.conforms, Literal(True)) in Graph().parse(previous / "validation.ttl", format="turtle")


@pytest.mark.parametrize("case", ["bad-input", "non-conforming"])
def test_a_failed_ingest_leaves_the_artifacts_unchanged(tmp_path, case):
    settings = make_settings(tmp_path / "store")
    ingest(SAMPLE, settings)
    before = tree_digest(settings.store)
    if case == "bad-input":
        with pytest.raises(KgError, match="cluster-bad-year.txt"):
            ingest([DATA / "bad-input" / "unreadable-year" / "cluster-bad-year.txt"], settings)
    else:
        strict = make_settings(settings.store, shapes_dir=DATA / "cli" / "strict-shapes")
        copy = tmp_path / "profile-copy.txt"
        copy.write_text(SAMPLE_PROFILE.read_text(encoding="utf-8").replace("Léon Bottou", "Léa Bottou"),
                        encoding="utf-8")
        with pytest.raises(ValidationFailed):
            ingest([copy], strict)
    assert tree_digest(settings.store) == before


def test_what_a_killed_writer_left_is_removed_by_the_next_one(tmp_path):
    settings = make_settings(tmp_path / "store")
    ingest([SAMPLE_CLUSTER], settings)
    published = tree_digest(settings.store / "artifacts" / "g000001")
    # Killed after renaming its artifacts and its generation into place, before flipping `current`;
    # and another one, killed while writing.
    for kind in ("generations", "artifacts"):
        for name in ("g000002", "tmp-g000003"):
            (settings.store / kind / name).mkdir()
            (settings.store / kind / name / "stale").write_text("left by a killed writer")
    shutil.copytree(settings.store / "artifacts" / "g000001", settings.store / "artifacts" / "g000009")
    ingest([SAMPLE_PROFILE], settings)
    assert sorted(p.name for p in (settings.store / "artifacts").iterdir()) == ["g000001", "g000002"]
    assert sorted(p.name for p in (settings.store / "generations").iterdir()) == ["g000001", "g000002"]
    directory, manifest = artifacts(settings)
    assert directory.name == "g000002" and not (directory / "stale").exists()
    assert manifest["counts"]["sources"] == 2
    assert tree_digest(settings.store / "artifacts" / "g000001") == published


def test_the_example_resources_break_ties_by_the_first_iri_and_skip_deprecated_ones():
    import pyoxigraph as ox

    from kg.store.serialise import FOAF_MADE, OWL_DEPRECATED, GraphStats

    stats = GraphStats(BASE, describe=True)
    works = [ox.NamedNode(f"{BASE}paper/p{i}") for i in range(3)]
    true = ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))
    for name, made, deprecated in (("a", 1, False), ("b", 3, True), ("c", 2, False), ("d", 2, False)):
        person = ox.NamedNode(f"{BASE}author/{name}")  # subjects come sorted, as the dumps give them
        triples = [ox.Triple(person, FOAF_MADE, work) for work in works[:made]]
        for triple in triples + ([ox.Triple(person, OWL_DEPRECATED, true)] if deprecated else []):
            stats.add(f"{triple} .")  # N-Triples lines, as the sorted dump gives them
    stats.end()
    assert stats.examples() == [f"{BASE}author/c"]
    assert stats.distinct_objects() == 4 and stats.subjects == 4


def test_sorted_runs_give_each_string_once_in_order_across_spilled_runs():
    from kg.store.serialise import SortedRuns

    items = ['"b\\r"', "<x>", '"a\u2028z"', "<x>", "_:b1", '"b\\r"', "<a>", '"é"', "_:b1", "<x>"]
    runs = SortedRuns(run=2)  # every two distinct strings go to a file
    for item in items:
        runs.add(item)
    assert len(runs.spilled) >= 3
    assert list(runs.merge()) == sorted(set(items))


def test_a_gzip_dump_records_what_it_holds_decompressed(sample_settings):
    """Its size and SHA-256 come from the pass that wrote it (the web serves them at /dumps/kg.nt)."""
    directory, manifest = dumps(sample_settings)
    for name, plain, media in (("kg.nt.gz", "kg.nt", "application/n-triples"),
                               ("kg.nq.gz", "kg.nq", "application/n-quads")):
        data = gzip.decompress((directory / name).read_bytes())
        assert entry(manifest, name)["decompressed"] == {
            "name": plain, "media_type": media, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        assert not (directory / plain).exists()  # never stored twice
    assert "decompressed" not in entry(manifest, "kg.ttl")
