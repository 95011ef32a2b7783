"""Links in: /id/{scheme}/{value} answers 303 to the entity carrying the identifier (404 when none, 300
when several), through the real server; links out: owl:sameAs to DOI, ORCID, dblp, arXiv and Wikidata,
counted per target as VoID linksets; and the same look-up in SPARQL."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import OWL, RDF
from SPARQLWrapper import JSON, SPARQLWrapper

from conftest import DATA, SAMPLE, free_port, http_fetch, make_settings, publish, serving
from kg.pipeline import ingest

VOID = Namespace("http://rdfs.org/ns/void#")
RECORDS = [*SAMPLE, DATA / "identity" / "variants-a.jsonl", DATA / "web" / "lookup-records.jsonl"]
DOI = "10.1007/978-3-7908-2604-3_16"
SGD = "paper/large-scale-machine-learning-with-stochastic-gradient-descent"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    settings = make_settings(tmp_path_factory.mktemp("lookup") / "store", base_uri=f"http://127.0.0.1:{port}/")
    assert ingest(RECORDS, settings).written
    publish(settings)  # the VoID's link sets are counted with the dumps
    with serving(settings, port) as live:
        yield live


@pytest.mark.parametrize("path, target", [
    ("id/orcid/0000-0001-5000-0001", "author/di-xu"),
    ("id/doi/" + DOI, SGD),
    ("id/doi/" + DOI.upper(), SGD),  # DOIs ignore case
    ("id/dblp/conf/compstat/Bottou10", SGD),
    ("id/dblp/b/LeonBottou", "author/leon-bottou"),
    ("id/arxiv/2507.03285", "paper/memory-mosaics-at-scale"),
])
def test_an_identifier_answers_303_to_the_entity_that_carries_it(server, path, target):
    status, headers, _body = http_fetch(server.url + path, follow_redirects=False)
    assert status == 303 and headers["Location"] == server.url + target


def test_rdflib_follows_a_look_up_to_the_description(server):
    graph = Graph().parse(server.url + "id/orcid/0000-0001-5000-0001")
    author = URIRef(server.url + "author/di-xu")
    assert (author, OWL.sameAs, URIRef("https://orcid.org/0000-0001-5000-0001")) in graph


@pytest.mark.parametrize("path", ["id/doi/10.9999/nothing-here", "id/orcid/0000-0002-0000-0000", "id/isbn/123"])
def test_an_unknown_identifier_or_scheme_is_404(server, path):
    status, headers, body = http_fetch(server.url + path, accept="application/json", follow_redirects=False)
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    assert json.loads(body)["error"]["status"] == 404


def test_an_identifier_two_entities_carry_is_300_with_both(server):
    expected = [server.url + "author/alice-example", server.url + "paper/an-example-paper-claiming-the-same-item"]
    status, headers, body = http_fetch(server.url + "id/wikidata/Q999999999", accept="application/json",
                                       follow_redirects=False)
    assert status == 300 and json.loads(body) == {"identifier": "wikidata:Q999999999", "entities": expected}
    status, _headers, page = http_fetch(server.url + "id/wikidata/Q999999999", accept="text/html",
                                        follow_redirects=False)
    assert status == 300 and all(f'<a href="{uri}">' in page.decode() for uri in expected)


def test_links_out_by_their_semantics_and_counted_in_void(server):
    graph = Graph().parse(server.url + "void.ttl", format="turtle")
    counts = {str(graph.value(linkset, VOID.objectsTarget)): int(graph.value(linkset, VOID.triples))
              for linkset in graph.subjects(RDF.type, VOID.Linkset)}
    assert {target.rsplit("target-", 1)[1]: n for target, n in counts.items()} == {
        "arxiv": 1, "dblp": 2, "doi": 1, "orcid": 1, "wikidata": 2}
    paper = URIRef(server.url + SGD)
    for linkset in graph.subjects(RDF.type, VOID.Linkset):
        assert graph.value(linkset, VOID.linkPredicate) == OWL.sameAs
    turtle = Graph().parse(str(paper) + ".ttl", format="turtle")
    assert {str(o) for o in turtle.objects(paper, OWL.sameAs)} == {
        f"https://doi.org/{DOI}", "https://dblp.org/rec/conf/compstat/Bottou10"}  # a paper's dblp id is a record
    schema = Namespace("https://schema.org/")
    identifiers = {(str(turtle.value(node, schema.propertyID)), str(turtle.value(node, schema.value)),
                    str(turtle.value(node, schema.url))) for node in turtle.objects(paper, schema.identifier)}
    assert identifiers == {("doi", DOI, f"https://doi.org/{DOI}"),
                           ("dblp", "conf/compstat/Bottou10", "https://dblp.org/rec/conf/compstat/Bottou10")}
    assert all((node, RDF.type, schema.PropertyValue) in turtle for node in turtle.objects(paper, schema.identifier))
    page = http_fetch(str(paper), accept="text/html")[2].decode()
    assert f'<a href="https://doi.org/{DOI}"' in page and f"doi:{DOI}" in page  # read as an identifier, linked


def test_the_same_look_up_in_sparql_by_identifier(server):
    client = SPARQLWrapper(server.url + "sparql")
    client.setQuery("PREFIX schema: <https://schema.org/> SELECT ?e WHERE { "
                    f'?e schema:identifier [ schema:propertyID "doi" ; schema:value "{DOI}" ] }}')
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]
    assert [row["e"]["value"] for row in rows] == [server.url + SGD]


def test_the_same_look_up_in_sparql(server):
    client = SPARQLWrapper(server.url + "sparql")
    client.setQuery("PREFIX owl: <http://www.w3.org/2002/07/owl#> "
                    "SELECT ?e WHERE { ?e owl:sameAs <https://dblp.org/pid/b/LeonBottou> }")
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]
    assert [row["e"]["value"] for row in rows] == [server.url + "author/leon-bottou"]
