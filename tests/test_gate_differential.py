"""The fast SHACL engine (pyshacl-turbo) gives pySHACL's report, case by case.

pySHACL stays the reference: each case runs through both engines and the reports must match
(verdict, and every violation's focus node, path, value, message, severity, shape and records).
The cases: every golden validation case (tests/data/validation), conforming mapped batches with
faults of every kind the shapes catch (seeded, list faults apart), and the W3C SHACL Core tests
of the components kg's shapes use (tests/data/w3c-shacl, checked against their expected verdict
too). pyshacl-turbo refuses a malformed ``rdf:List`` that pySHACL reports; the gate then gives the
batch to pySHACL, which is tested here as well.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD
from test_validation_parts import break_batch, mapped_batch
from test_validation_shapes import CASES, load_case_data, load_record_keys

from conftest import DATA
from kg.validation import ValidationReport, load_shapes, validate_graph
from kg.validation.shacl import TurboRefused, break_list_cycles, graph_of, run_turbo

BASE = "http://127.0.0.1:5000/"
SCHEMA = Namespace("https://schema.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
W3C = sorted((DATA / "w3c-shacl").rglob("*.ttl"))


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(Path(__file__).resolve().parent.parent / "shapes", BASE)


def both(data, shapes, keys) -> tuple[ValidationReport, ValidationReport]:
    """pySHACL's report, and pyshacl-turbo's on the set of triples kg's gate is given
    (kg.pipeline.Gate.judged: read in place, not indexed); given a graph, turbo's verdict and
    violations on the graph must be those on its set of triples (a default message may differ
    in the prefixes the graph binds)."""
    reference = validate_graph(data, shapes, keys, workers=1, engine="pyshacl")
    if isinstance(data, Graph):
        on_graph, data = validate_graph(data, shapes, keys, engine="turbo"), set(data)
        fast = validate_graph(data, shapes, keys, engine="turbo")
        assert fast.conforms is on_graph.conforms
        unworded = [[replace(v, message="") for v in report.violations] for report in (fast, on_graph)]
        assert unworded[0] == unworded[1]
        return reference, fast
    return reference, validate_graph(data, shapes, keys, engine="turbo")


def assert_same(reference: ValidationReport, fast: ValidationReport) -> None:
    assert fast.conforms is reference.conforms
    assert fast.text() == reference.text()
    assert fast.violations == reference.violations


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_golden_case(case, shapes):
    assert_same(*both(load_case_data(case), shapes, load_record_keys(case)))


def field_faults(triples: set, seed: int) -> set:
    """Faults in fields, not in list structure (which pyshacl-turbo refuses): missing and repeated
    names, wrong datatypes, literal and blank authors, versions pointing elsewhere, identifiers gone
    wrong, venues of two kinds."""
    rng, data = random.Random(seed), set(triples)
    typed = {cls: sorted({s for s, p, o in data if p == RDF.type and o == cls}, key=str)
             for cls in (SCHEMA.Person, SCHEMA.ScholarlyArticle, SCHEMA.PropertyValue)}
    persons, works, identifiers = typed[SCHEMA.Person], typed[SCHEMA.ScholarlyArticle], typed[SCHEMA.PropertyValue]
    versions = sorted({s for s, p, o in data if p == SCHEMA.exampleOfWork}, key=str)
    venues = sorted({o for s, p, o in data if p == SCHEMA.isPartOf}, key=str)

    def drop(subject, predicate):
        data.difference_update({t for t in data if t[0] == subject and t[1] == predicate})

    faults = [
        lambda: drop(rng.choice(persons), SCHEMA.name),
        lambda: data.add((rng.choice(persons), SCHEMA.name, Literal("Another Name"))),
        lambda: drop(rng.choice(works), SCHEMA.name),
        lambda: data.add((rng.choice(works), SCHEMA.author, Literal("A. Person"))),
        lambda: data.add((rng.choice(works), SCHEMA.author, rng.choice(works))),
        lambda: data.add((rng.choice(works), SCHEMA.author, BNode())),
        lambda: data.add((rng.choice(versions), SCHEMA.datePublished, Literal("2020", datatype=XSD.integer))),
        lambda: data.add((rng.choice(versions), SCHEMA.exampleOfWork, rng.choice(works))),
        lambda: drop(rng.choice(versions), SCHEMA.exampleOfWork),
        lambda: data.add((rng.choice(venues), RDF.type, SCHEMA.Periodical)),
        lambda: data.add((rng.choice(venues), RDF.type, SCHEMA.WebSite)),
        lambda: data.add((rng.choice(persons), SCHEMA.identifier, Literal("orcid:0000-0002-1825-0097"))),
        lambda: data.add((rng.choice(identifiers), SCHEMA.propertyID, Literal("isbn"))) if identifiers else None,
        lambda: drop(rng.choice(identifiers), SCHEMA.url) if identifiers else None,
        lambda: data.add((rng.choice(works), SCHEMA.citation, Literal("10.1/x"))),
        lambda: data.add((rng.choice(persons), URIRef(f"{BASE}ontology#identityKey"), Literal("no prefix"))),
    ]
    for fault in rng.sample(faults, rng.randint(3, len(faults))):
        fault()
    return data


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return mapped_batch(tmp_path_factory.mktemp("differential"))


@pytest.mark.parametrize("seed", range(12))
def test_mapped_batches_with_field_faults(seed, batch, shapes):
    triples, keys = batch
    data = field_faults(triples, seed)
    run_turbo(break_list_cycles(graph_of(data)), shapes)  # taken by the fast engine, not passed on
    reference, fast = both(data, shapes, keys)
    assert not reference.conforms
    assert_same(reference, fast)


def test_a_conforming_mapped_batch(batch, shapes):
    reference, fast = both(*batch[:1], shapes, batch[1])
    assert reference.conforms
    assert_same(reference, fast)


@pytest.mark.parametrize("seed", [1, 2])
def test_list_faults_are_refused_by_turbo_and_judged_by_pyshacl(seed, batch, shapes):
    triples, keys = batch
    data = break_batch(triples, seed)
    with pytest.raises(TurboRefused):
        run_turbo(break_list_cycles(graph_of(data)), shapes)
    assert_same(*both(data, shapes, keys))


def graph_named(graph: Graph, action, role: str, path: Path) -> Graph:
    """The test's data or shapes graph: the test file itself (``<>``) or a file beside it."""
    target = graph.value(action, URIRef(f"http://www.w3.org/ns/shacl-test#{role}"))
    if target is None or str(target) == path.as_uri():
        return graph
    return Graph().parse(path.parent / Path(str(target)).name, format="turtle")


def expected_conforms(graph: Graph) -> bool:
    results = list(graph.objects(None, MF.result))
    assert len(results) == 1
    return (results[0], SH.conforms, Literal(True)) in graph


@pytest.mark.parametrize("path", W3C, ids=[str(p.relative_to(DATA / "w3c-shacl")) for p in W3C])
def test_w3c_core_case(path):
    graph = Graph().parse(path, format="turtle")
    if not list(graph.objects(None, MF.result)):
        pytest.skip("a data file of another test")
    (action,) = graph.objects(None, MF.action)
    data, shapes = (graph_named(graph, action, role, path) for role in ("dataGraph", "shapesGraph"))
    reference, fast = both(data, shapes, {})
    assert reference.conforms is expected_conforms(graph)
    assert fast.conforms is reference.conforms
    # The W3C shapes have no sh:message, and the engines word their default messages differently;
    # every shape of kg's has its own message (test_validation_vocabulary), so the gate never shows one.
    assert ({(v.focus_node, v.path, v.value, v.severity, v.source_shape) for v in fast.violations}
            == {(v.focus_node, v.path, v.value, v.severity, v.source_shape) for v in reference.violations})
