"""The shape files themselves: named, explained, SHACL Core only, and in step with the ontology."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH

from kg.inference import load_ontology
from kg.validation import load_shapes
from kg.vocab import kg_namespace

BASE = "http://127.0.0.1:5000/"
KG = kg_namespace(BASE)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(ROOT / "shapes", BASE)


def test_the_contracted_shapes_exist(shapes):
    for name in ("PersonShape", "WorkShape", "VersionShape", "VenueShape", "SourceDocumentShape", "PersonListShape"):
        assert (KG[name], RDF.type, SH.NodeShape) in shapes, name


def test_every_property_shape_has_a_name_and_a_message(shapes):
    property_shapes = set(shapes.subjects(SH.path, None))
    assert len(property_shapes) > 50
    for shape in property_shapes:
        path = shapes.value(shape, SH.path)
        assert shapes.value(shape, SH.name) is not None, f"property shape on {path} has no sh:name"
        assert shapes.value(shape, SH.message) is not None, f"property shape on {path} has no sh:message"


def test_only_shacl_core_is_used(shapes):
    advanced = {SH.sparql, SH.js, SH.rule, SH.SPARQLConstraint, SH.target}
    used = set(shapes.predicates()) | set(shapes.objects(None, RDF.type))
    assert used & advanced == set()


def test_every_kg_term_the_shapes_use_is_defined_in_the_ontology(shapes):
    ontology = load_ontology(ROOT / "ontology", BASE)
    used = {
        term
        for predicate in (SH.path, SH.targetClass, SH["class"])
        for term in shapes.objects(None, predicate)
        if isinstance(term, URIRef) and term.startswith(str(KG))
    }
    assert KG.Venue in used and KG.identityKey in used and KG.trustScore in used
    for term in used:
        assert ontology.value(term, RDFS.label) is not None, f"{term} is not defined in ontology/kg.ttl"
