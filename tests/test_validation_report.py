"""ValidationReport and Violation: record lookup, rendering, errors of the SHACL stage."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SH
from rdflib.paths import InvPath

from kg.errors import ParseError, SourceError
from kg.validation import load_shapes, validate_graph
from kg.validation.report import find_records
from kg.vocab import BIBO, kg_namespace

BASE = "http://127.0.0.1:5000/"
KG = kg_namespace(BASE)
SHAPES_DIR = Path(__file__).resolve().parents[1] / "shapes"
WORK = URIRef(f"{BASE}paper/memory-mosaics-at-scale")
VERSION = URIRef(f"{BASE}paper/memory-mosaics-at-scale/neurips-2025")

PREFIXES = """
@prefix kg: <ontology#> .
@prefix schema: <https://schema.org/> .
@prefix fabio: <http://purl.org/spar/fabio/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

# A version alone: its work is not a schema:ScholarlyArticle here, and its year is an integer.
VERSION_ONLY = """
<paper/memory-mosaics-at-scale/neurips-2025> a fabio:ConferencePaper ;
    schema:exampleOfWork <paper/memory-mosaics-at-scale> ;
    schema:datePublished 2025 .
"""


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(SHAPES_DIR, BASE)


def parse_turtle(text: str) -> Graph:
    """Parse Turtle written with the prefixes above and IRIs relative to the base."""
    return Graph().parse(data=PREFIXES + text, format="turtle", publicID=BASE)


def test_violation_carries_focus_path_value_shape_and_records(shapes):
    keys = {str(VERSION): ["records.jsonl:7", "records.jsonl:12", "records.jsonl:7"]}
    report = validate_graph(parse_turtle(VERSION_ONLY), shapes, keys)
    assert not report.conforms
    year = next(v for v in report.violations if v.source_shape == KG["VersionShape-datePublished"])
    assert year.focus_node == VERSION
    assert year.path == URIRef("https://schema.org/datePublished")
    assert year.value == Literal(2025)
    assert year.severity == SH.Violation
    assert year.records == ("records.jsonl:7", "records.jsonl:12")
    assert "exactly one schema:datePublished, an xsd:gYear" in year.message


def test_text_names_the_focus_iri_when_there_are_no_records(shapes):
    report = validate_graph(parse_turtle(VERSION_ONLY), shapes, {})
    assert report.text().splitlines() == [
        f"<{VERSION}>: schema:datePublished: a version needs exactly one schema:datePublished, "
        'an xsd:gYear such as "2025"^^xsd:gYear (value: "2025"^^xsd:integer)',
        f"<{VERSION}>: schema:exampleOfWork: a version needs exactly one schema:exampleOfWork, "
        f"the IRI of a schema:ScholarlyArticle (value: <{WORK}>)",
    ]


def test_turtle_is_the_raw_report(shapes):
    report = validate_graph(parse_turtle(VERSION_ONLY), shapes, {})
    parsed = Graph().parse(data=report.turtle(), format="turtle")
    assert isomorphic(parsed, report.graph)
    assert len(list(parsed.objects(None, SH.result))) == 2  # plus one nested under sh:detail


def test_conforming_report_has_no_text(shapes):
    report = validate_graph(Graph(), shapes, {})
    assert report.conforms and report.violations == () and report.text() == ""


def test_complex_result_path_becomes_an_rdflib_path(shapes):
    data = parse_turtle("""
<paper/w> a schema:ScholarlyArticle ; schema:name "W" ; schema:author <author/a> ;
    schema:workExample <paper/w/v1> ; schema:datePublished "2025"^^xsd:gYear ; kg:identityKey "work:w" .
<author/a> a schema:Person ; schema:name "A" ; <http://xmlns.com/foaf/0.1/name> "A" ;
    kg:statedName "A" ; kg:identityKey "person:a" .
<paper/w/v1> a fabio:Preprint ; schema:exampleOfWork <paper/w> ; schema:datePublished "2025"^^xsd:gYear .
<paper/w/v2> a fabio:Preprint ; schema:exampleOfWork <paper/w> ; schema:datePublished "2026"^^xsd:gYear .
""")
    (violation,) = validate_graph(data, shapes, {}).violations
    assert violation.path == InvPath(URIRef("https://schema.org/exampleOfWork"))
    assert violation.value == URIRef(f"{BASE}paper/w/v2")


def test_blank_focus_takes_the_records_of_the_nearest_linking_iri():
    data = Graph()
    head, second = BNode(), BNode()
    person = URIRef(f"{BASE}author/a")
    data.add((WORK, BIBO.authorList, head))
    data.add((head, RDF.first, person))
    data.add((head, RDF.rest, second))
    data.add((second, RDF.first, Literal("B")))
    data.add((second, RDF.rest, RDF.nil))
    keys = {str(WORK): ["f.txt:10", "f.txt:9"], str(person): ["g.txt:1"]}
    assert find_records(second, data, keys) == ("f.txt:9", "f.txt:10")
    assert find_records(BNode(), data, keys) == ()


def test_long_values_are_cut_in_the_text(shapes):
    data = parse_turtle(VERSION_ONLY.replace("2025 .", f'"{"x" * 200}" .'))
    line = next(line for line in validate_graph(data, shapes, {}).text().splitlines() if "datePublished" in line)
    assert line.endswith('(value: "' + "x" * 77 + '...")')


def test_literal_datatypes_are_checked_lexically(shapes):
    bad_year = VERSION_ONLY.replace("2025 .", '"MMXXV"^^xsd:gYear .')
    text = validate_graph(parse_turtle(bad_year), shapes, {}).text()
    assert '(value: "MMXXV"^^xsd:gYear)' in text


def test_validate_graph_refuses_a_dataset(shapes):
    with pytest.raises(TypeError, match="pass a plain rdflib.Graph"):
        validate_graph(Dataset(), shapes, {})


def test_shapes_follow_the_base():
    other = "https://example.org/kg/"
    shapes = load_shapes(SHAPES_DIR, other)
    venue_shape = URIRef(f"{other}ontology#VenueShape")
    assert shapes.value(venue_shape, SH.targetClass) == URIRef(f"{other}ontology#Venue")


def test_load_shapes_without_files_names_the_directory(tmp_path):
    with pytest.raises(SourceError, match=rf"{tmp_path}: no \*\.shapes\.ttl files"):
        load_shapes(tmp_path, BASE)


def test_load_shapes_names_file_and_line_of_bad_turtle(tmp_path):
    bad = tmp_path / "work.shapes.ttl"
    bad.write_text("@prefix kg: <ontology#> .\nkg:WorkShape a a .\nkg:X a kg:Y .\n", encoding="utf-8")
    with pytest.raises(ParseError) as excinfo:
        load_shapes(tmp_path, BASE)
    assert str(excinfo.value) == f"{bad}:2: not valid Turtle: objectList expected"
