"""OWL 2 RL materialisation (kg.inference) against owlrl, the reference reasoner."""

from __future__ import annotations

from pathlib import Path

import owlrl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import FOAF, OWL, RDF, RDFS

from kg.errors import ParseError, SourceError
from kg.inference import InferenceRules, compile_rules, load_ontology, materialize_owlrl
from kg.vocab import FABIO, SCHEMA, kg_namespace

BASE = "http://127.0.0.1:5000/"
KG = kg_namespace(BASE)
ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"

# Two "source graphs" and an identity graph, in the shape the mapping stage writes them. Some
# facts are deliberately left to inference: a version whose work does not list it
# (prp-inv), a person and a version known only through a kg: property (prp-dom).
SOURCE_A = """
@prefix kg: <ontology#> .
@prefix schema: <https://schema.org/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix fabio: <http://purl.org/spar/fabio/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<source/arrow> a prov:Entity, foaf:Document ;
    schema:about <author/leon-bottou> ;
    kg:sourceKind "arrow-author-cluster" ;
    kg:statedPaperCount 10 .
<author/leon-bottou> a schema:Person ; kg:statedName "Leon Bottou" .
<author/jianyu-zhang> a schema:Person ; kg:statedName "Jianyu Zhang" .
<paper/memory-mosaics-at-scale> a schema:ScholarlyArticle ;
    schema:name "Memory Mosaics at scale" ;
    schema:author <author/jianyu-zhang>, <author/leon-bottou> ;
    bibo:authorList ( <author/jianyu-zhang> <author/leon-bottou> ) ;
    schema:workExample <paper/memory-mosaics-at-scale/neurips-2025> .
<paper/memory-mosaics-at-scale/neurips-2025> a fabio:ConferencePaper ;
    schema:exampleOfWork <paper/memory-mosaics-at-scale> ;
    schema:isPartOf <venue/neurips> ;
    schema:datePublished "2025"^^xsd:gYear ;
    kg:typeLabel "Conference Paper" .
<paper/memory-mosaics-at-scale/arxiv-2026> a fabio:Preprint ;
    schema:exampleOfWork <paper/memory-mosaics-at-scale> .
<venue/neurips> a kg:Venue, schema:EventSeries ; schema:name "NeurIPS" .
"""

SOURCE_B = """
@prefix kg: <ontology#> .
@prefix schema: <https://schema.org/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix fabio: <http://purl.org/spar/fabio/> .
@prefix prov: <http://www.w3.org/ns/prov#> .

<source/profile> a prov:Entity, foaf:Document ;
    kg:trustScore 19 ;
    kg:claimed false ;
    kg:trustLabel "unverified" .
<author/leon-bottou> a schema:Person ; kg:statedName "Léon Bottou" .
<author/aaron-defazio> kg:statedName "Aaron Defazio" .
<paper/sgd-tricks> a schema:ScholarlyArticle ;
    schema:author <author/leon-bottou>, <author/aaron-defazio> ;
    schema:workExample <paper/sgd-tricks/jmlr-2020> .
<paper/sgd-tricks/jmlr-2020> a fabio:JournalArticle ; schema:exampleOfWork <paper/sgd-tricks> .
<paper/a-talk/2019> kg:typeLabel "Talk" ; schema:exampleOfWork <paper/a-talk> .
"""

IDENTITY = """
@prefix kg: <ontology#> .
@prefix schema: <https://schema.org/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<author/leon-bottou> schema:name "Léon Bottou" ; foaf:name "Léon Bottou" ;
    schema:alternateName "Leon Bottou" ; kg:identityKey "person:leon bottou" .
<paper/memory-mosaics-at-scale> schema:datePublished "2025"^^xsd:gYear ;
    kg:identityKey "work:memory mosaics at scale" .
<venue/neurips> kg:identityKey "venue:neurips" .
"""


def parse_turtle(text: str) -> Graph:
    return Graph().parse(data=text, format="turtle", publicID=BASE)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology(ONTOLOGY_DIR, BASE)


@pytest.fixture(scope="module")
def rules(ontology: Graph) -> InferenceRules:
    return compile_rules(ontology)


@pytest.fixture(scope="module")
def data() -> Graph:
    return parse_turtle(SOURCE_A) + parse_turtle(SOURCE_B) + parse_turtle(IDENTITY)


def is_data_resource(node) -> bool:
    """An IRI minted under the base for a data resource (not one of our ontology terms)."""
    return isinstance(node, URIRef) and node.startswith(BASE) and not node.startswith(str(KG))


def owlrl_consequences(ontology: Graph, data: Graph) -> set:
    """What owlrl's full OWL 2 RL closure adds about data resources.

    owlrl also states ``x owl:sameAs x`` for every term (rule eq-ref), which says nothing and
    which kg.inference leaves out; the data holds no other owl:sameAs.
    """
    closure = ontology + data
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    new = set(closure) - set(ontology) - set(data)
    return {t for t in new if is_data_resource(t[0]) and t[1] != OWL.sameAs}


def show(triples: set, graph: Graph) -> str:
    return "\n".join(sorted(" ".join(term.n3(graph.namespace_manager) for term in t) for t in triples))


def test_materialize_gives_what_owlrl_gives_about_data_resources(ontology, rules, data):
    expected = owlrl_consequences(ontology, data)
    actual = materialize_owlrl(data, rules)
    assert len(expected) > 20  # the comparison is not vacuous
    missing, extra = expected - actual, actual - expected
    assert not missing and not extra, f"missing:\n{show(missing, data)}\nextra:\n{show(extra, data)}"


def test_materialize_returns_only_new_triples(rules, data):
    inferred = materialize_owlrl(data, rules)
    assert inferred.isdisjoint(set(data))
    assert materialize_owlrl(set(data) | inferred, rules) == set()


def test_inference_distributes_over_union(rules):
    a, b, identity = parse_turtle(SOURCE_A), parse_turtle(SOURCE_B), parse_turtle(IDENTITY)
    union = set(a) | set(b) | set(identity)
    separately = materialize_owlrl(a, rules) | materialize_owlrl(b, rules) | materialize_owlrl(identity, rules)
    assert materialize_owlrl(union, rules) == separately - union


def test_foaf_only_query_gets_complete_answers(rules, data):
    query = """
        PREFIX foaf: <http://xmlns.com/foaf/0.1/>
        SELECT ?work ?person WHERE {
            ?work a foaf:Document ; foaf:maker ?person .
            ?person a foaf:Person ; foaf:made ?work .
        }"""
    authorship = set(data.subject_objects(SCHEMA.author))
    assert len(authorship) == 4
    assert set(data.query(query)) == set()  # asserted data alone says nothing in FOAF

    graph = Graph()
    for triple in set(data) | materialize_owlrl(data, rules):
        graph.add(triple)
    assert {(row.work, row.person) for row in graph.query(query)} == authorship


def test_compile_rules_closes_the_hierarchies(rules):
    assert rules.superclasses[SCHEMA.ScholarlyArticle] == {FOAF.Document, SCHEMA.Article, SCHEMA.CreativeWork}
    assert rules.superclasses[SCHEMA.Person] == {FOAF.Person}
    assert rules.superclasses[FOAF.Person] == {SCHEMA.Person}
    assert rules.superclasses[FABIO.Preprint] == {FABIO.Expression}
    author = rules.properties[SCHEMA.author]
    assert author.same_direction == {FOAF.maker}
    assert author.inverse == {FOAF.made}
    assert rules.properties[SCHEMA.exampleOfWork].inverse == {SCHEMA.workExample}
    assert rules.properties[KG.statedName].subject_types == {SCHEMA.Person, FOAF.Person}


def test_same_as_is_not_smushed(rules, data):
    orcid = URIRef("https://orcid.org/0000-0002-1825-0097")
    person = URIRef(f"{BASE}author/leon-bottou")
    with_same_as = set(data) | {(person, OWL.sameAs, orcid), (person, SCHEMA.sameAs, orcid)}
    inferred = materialize_owlrl(with_same_as, rules)
    assert not any(orcid in (s, o) for s, _p, o in inferred)


def test_ontology_terms_are_documented(ontology):
    terms = {s for s in ontology.subjects() if isinstance(s, URIRef) and s.startswith(str(KG))}
    assert KG.Venue in terms and KG.statedName in terms and KG.trustScore in terms
    for term in terms:
        assert ontology.value(term, RDFS.label) is not None, f"{term} has no rdfs:label"
        assert ontology.value(term, RDFS.comment) is not None, f"{term} has no rdfs:comment"
    for prop in ontology.subjects(RDF.type, OWL.DatatypeProperty):
        assert ontology.value(prop, RDFS.range) is not None, f"{prop} has no rdfs:range"
        domain = ontology.value(prop, RDFS.domain) or ontology.value(prop, SCHEMA.domainIncludes)
        assert domain is not None, f"{prop} has no domain"
    assert (URIRef(f"{BASE}ontology"), RDF.type, OWL.Ontology) in ontology


def test_ontology_follows_the_base():
    ontology = load_ontology(ONTOLOGY_DIR, "https://example.org/kg/")
    assert (URIRef("https://example.org/kg/ontology#Venue"), RDF.type, OWL.Class) in ontology


def test_load_ontology_without_files_names_the_directory(tmp_path):
    with pytest.raises(SourceError, match=rf"{tmp_path}: no \*\.ttl files"):
        load_ontology(tmp_path, BASE)


def test_load_ontology_names_file_and_line_of_bad_turtle(tmp_path):
    bad = tmp_path / "kg.ttl"
    bad.write_text("@prefix kg: <ontology#> .\n\nkg:Venue a kg:Class ;\n    rdfs:label .\n", encoding="utf-8")
    with pytest.raises(ParseError) as excinfo:
        load_ontology(tmp_path, BASE)
    assert str(excinfo.value).startswith(f"{bad}:4: not valid Turtle: ")
