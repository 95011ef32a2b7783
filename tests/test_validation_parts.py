"""A batch validated in parts, in one process or several, gives the report of the whole batch.

The golden cases of test_validation_shapes.py and a mapped batch with faults put in by hand are
validated whole and in parts of a few triples each; the text, the verdict and the raw report
(up to blank-node labels) must not change. Then the footprint that makes the split sound.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS
from test_validation_shapes import CASES, load_case_data, load_record_keys

from conftest import DATA, make_settings
from kg.identity import resolve
from kg.mapping import map_batch
from kg.pipeline import read_inputs
from kg.store import open_configured_store
from kg.validation import ValidationReport, load_shapes, validate_graph
from kg.validation.footprint import read_footprint
from kg.vocab import BIBO, SCHEMA

BASE = "http://127.0.0.1:5000/"
SHAPES_DIR = Path(__file__).resolve().parents[1] / "shapes"
SPLITS = [(1, 3), (2, 3), (2, 40)]  # (workers, part_triples)


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(SHAPES_DIR, BASE)


def assert_same_report(whole: ValidationReport, parts: ValidationReport) -> None:
    assert parts.text() == whole.text()
    assert parts.conforms is whole.conforms
    assert parts.violations == whole.violations
    assert isomorphic(parts.graph, whole.graph)


@pytest.mark.parametrize("workers,part_triples", SPLITS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_golden_case_gives_the_same_report_in_parts(case, workers, part_triples, shapes):
    data, keys = load_case_data(case), load_record_keys(case)
    whole = validate_graph(data, shapes, keys, workers=1, engine="pyshacl")
    assert_same_report(whole, validate_graph(data, shapes, keys, workers=workers, part_triples=part_triples,
                                                   engine="pyshacl"))


def mapped_batch(tmp_path) -> tuple[set, dict]:
    """The triples and record keys the pipeline validates for the mapping test inputs."""
    settings = make_settings(tmp_path / "store")
    paths = sorted({p.name: p for case in (DATA / "mapping").iterdir() for p in case.glob("*.[tj]*")
                    if p.suffix in (".txt", ".jsonl")}.values())
    parsed, _rejects = read_inputs(paths, settings)
    batch = map_batch(resolve(parsed, open_configured_store(settings).registry()), BASE)
    return batch.triples(), dict(batch.record_keys)


def break_batch(triples: set, seed: int) -> set:
    """Put faults of every kind the shapes catch into a copy of a conforming batch."""
    rng, data = random.Random(seed), set(triples)
    persons = sorted({s for s, p, o in data if p == RDF.type and o == SCHEMA.Person}, key=str)
    works = sorted({s for s, p, o in data if p == RDF.type and o == SCHEMA.ScholarlyArticle}, key=str)
    cells = sorted({s for s, p, o in data if p == RDF.first}, key=str)
    versions = sorted({s for s, p, o in data if p == SCHEMA.exampleOfWork}, key=str)

    def drop(subject, predicate):
        data.difference_update({t for t in data if t[0] == subject and t[1] == predicate})

    for person in rng.sample(persons, 2):
        drop(person, SCHEMA.name)
    for cell in rng.sample(cells, 3):
        data.add((cell, RDF.first, rng.choice(persons + [Literal("a name")])))
    cell = rng.choice(cells)
    drop(cell, RDF.rest)
    data.add((cell, RDF.rest, rng.choice(persons)))
    drop(rng.choice(cells), RDF.first)
    for work in rng.sample(works, 2):
        blank = BNode()
        data |= {(work, SCHEMA.author, blank), (blank, RDF.type, SCHEMA.Person)}
    version = rng.choice(versions)
    drop(version, SCHEMA.exampleOfWork)
    data.add((version, SCHEMA.exampleOfWork, rng.choice(works)))
    work, head, second = rng.choice(works), BNode(), BNode()
    data |= {(work, BIBO.authorList, head), (head, RDF.first, persons[0]), (head, RDF.rest, second),
             (second, RDF.first, persons[1]), (second, RDF.rest, head)}
    data.add((rng.choice(works), BIBO.authorList, rng.choice(persons)))
    return data


@pytest.mark.parametrize("seed", [1, 2])
def test_mapped_batch_with_faults_gives_the_same_report_in_parts(seed, tmp_path, shapes):
    triples, keys = mapped_batch(tmp_path)
    assert validate_graph(triples, shapes, keys, workers=1, engine="pyshacl").conforms
    data = break_batch(triples, seed)
    whole = validate_graph(data, shapes, keys, workers=1, engine="pyshacl")
    assert len(whole.violations) >= 10
    for workers, part_triples in [(1, 50), (2, 50), (2, 400)]:
        assert_same_report(whole, validate_graph(data, shapes, keys, workers=workers, part_triples=part_triples,
                                                   engine="pyshacl"))


def test_parts_are_validated_in_this_process_while_another_thread_runs(tmp_path, shapes):
    triples, keys = mapped_batch(tmp_path)
    data = break_batch(triples, 3)
    whole = validate_graph(data, shapes, keys, workers=1, engine="pyshacl")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)  # not a daemon: forking next to it is unsafe
    thread.start()
    try:
        assert_same_report(whole, validate_graph(data, shapes, keys, workers=2, part_triples=50, engine="pyshacl"))
    finally:
        stop.set()
        thread.join()


def test_footprint_of_the_project_shapes(shapes):
    footprint = read_footprint(shapes)
    assert footprint is not None
    assert footprint.inverse_predicates == {SCHEMA.exampleOfWork}
    assert footprint.value_predicates == {RDF.type, RDFS.subClassOf, RDF.first, RDF.rest,  # classes, lists
                                          SCHEMA.propertyID, SCHEMA.value, SCHEMA.url}  # identifiers
    assert len(footprint.targeted) == 6


UNSPLITTABLE = {
    "a SPARQL constraint": "ex:S sh:targetClass ex:C ; sh:sparql [ sh:select 'SELECT $this WHERE {}' ] .",
    "an inverse path on a value": "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:node ex:T ] . "
                                  "ex:T sh:property [ sh:path [ sh:inversePath ex:q ] ; sh:minCount 1 ] .",
    "sh:closed on a value": "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:node ex:T ] . "
                            "ex:T sh:closed true .",
    "an implicit class target": "ex:S a sh:NodeShape, rdfs:Class ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
}


@pytest.mark.parametrize("shape", UNSPLITTABLE.values(), ids=UNSPLITTABLE.keys())
def test_shapes_that_read_beyond_the_footprint_are_not_split(shape):
    prefixes = "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> . " \
               "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . "
    assert read_footprint(Graph().parse(data=prefixes + shape, format="turtle")) is None


def test_value_paths_and_property_pairs_on_values_widen_the_footprint():
    shapes = Graph().parse(format="turtle", data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S sh:targetSubjectsOf ex:p ; sh:property [ sh:path [ sh:inversePath ex:back ] ; sh:minCount 1 ] ,
            [ sh:path ( ex:p ex:q ) ; sh:node ex:T ] , [ sh:path ex:r ; sh:equals ex:s ] .
        ex:T sh:property [ sh:path [ sh:alternativePath ( ex:u [ sh:zeroOrMorePath ex:v ] ) ] ;
            sh:lessThan ex:w ; sh:class ex:K ] .
    """)
    footprint = read_footprint(shapes)
    ex = "http://example.org/"
    assert footprint.inverse_predicates == {URIRef(ex + "back")}
    assert footprint.value_predicates == {URIRef(ex + n) for n in "pquvw"} | {RDF.type, RDFS.subClassOf}
