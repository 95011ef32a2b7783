"""Every fact the shipped sample must give, proved by SPARQL over the dumped graph."""

from __future__ import annotations

import pytest

PREFIXES = """
PREFIX schema: <https://schema.org/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX kg: <http://127.0.0.1:5000/ontology#>
PREFIX author: <http://127.0.0.1:5000/author/>
PREFIX paper: <http://127.0.0.1:5000/paper/>
"""


def rows(graph, query):
    return [tuple(r) for r in graph.query(PREFIXES + query)]


def value(graph, query):
    (row,) = rows(graph, query)
    return row[0].toPython()


def test_fourteen_works_and_twenty_six_persons(sample_graph):
    assert value(sample_graph, "SELECT (COUNT(DISTINCT ?w) AS ?n) { ?w a schema:ScholarlyArticle }") == 14
    assert value(sample_graph, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?p a schema:Person }") == 26
    assert value(sample_graph, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?p a foaf:Person }") == 26


def test_leon_bottou_is_one_person_author_of_all_works(sample_graph):
    found = rows(sample_graph, """SELECT ?p ?name ?foaf { ?p a schema:Person ; schema:name ?name ; foaf:name ?foaf .
                                   FILTER(CONTAINS(?name, "Bottou")) }""")
    assert [(str(p), str(n), str(f)) for p, n, f in found] == [
        ("http://127.0.0.1:5000/author/leon-bottou", "Léon Bottou", "Léon Bottou")]
    assert [str(n) for (n,) in rows(sample_graph, "SELECT ?n { author:leon-bottou schema:alternateName ?n }")] == [
        "Leon Bottou"]
    assert value(sample_graph, "SELECT (COUNT(DISTINCT ?w) AS ?n) { ?w schema:author author:leon-bottou }") == 14
    assert value(sample_graph, "SELECT (COUNT(DISTINCT ?w) AS ?n) { ?w foaf:maker author:leon-bottou }") == 14
    assert value(sample_graph, "SELECT (COUNT(DISTINCT ?w) AS ?n) { author:leon-bottou foaf:made ?w }") == 14


def test_defossez_spellings_are_one_person_and_defazio_another(sample_graph):
    found = rows(sample_graph, """SELECT ?p ?name (COUNT(DISTINCT ?w) AS ?works) {
        ?p schema:name ?name . ?w schema:author ?p . FILTER(REGEX(?name, "^A.* D[eé]f")) }
        GROUP BY ?p ?name ORDER BY ?name""")
    assert [(str(p).rsplit("/", 1)[1], str(n), w.toPython()) for p, n, w in found] == [
        ("aaron-defazio", "Aaron Defazio", 1),
        ("alexandre-defossez", "Alexandre Défossez", 2),
    ]
    assert [str(n) for (n,) in rows(sample_graph, "SELECT ?n { author:alexandre-defossez schema:alternateName ?n }")] \
        == ["Alexandre Defossez"]


def test_memory_mosaics_at_scale_is_one_work_with_two_versions(sample_graph):
    found = rows(sample_graph, """SELECT ?version ?class ?venue ?year ?g {
        paper:memory-mosaics-at-scale schema:workExample ?version .
        GRAPH ?g { ?version a ?class ; schema:isPartOf/schema:name ?venue ; schema:datePublished ?year ;
                   schema:abstract ?abstract } } ORDER BY ?year""")
    assert [(str(v).rsplit("/", 1)[1], str(c).rsplit("/", 1)[1], str(n), str(y), str(g).rsplit("/", 1)[1])
            for v, c, n, y, g in found] == [
        ("neurips-2025-conference-paper", "ConferencePaper", "NeurIPS", "2025", "arrow-author-cluster-leon-bottou"),
        ("arxiv-2026-preprint", "Preprint", "arXiv", "2026", "researcher-profile-leon-bottou"),
    ]
    abstracts = rows(sample_graph, """SELECT DISTINCT ?a { paper:memory-mosaics-at-scale schema:workExample ?v .
                                      ?v schema:abstract ?a }""")
    assert len(abstracts) == 2
    assert str(value(sample_graph, "SELECT ?y { paper:memory-mosaics-at-scale schema:datePublished ?y }")) == "2025"
    assert value(sample_graph, "SELECT (COUNT(*) AS ?n) { ?w schema:name 'Memory Mosaics at scale' }") >= 1
    assert value(sample_graph, "SELECT (COUNT(DISTINCT ?w) AS ?n) { ?w a schema:ScholarlyArticle ; "
                               "schema:name ?t FILTER(STRSTARTS(?t, 'Memory Mosaics')) }") == 1


def test_profile_only_works_have_bottou_as_only_known_author(sample_graph):
    found = rows(sample_graph, """SELECT ?w (COUNT(DISTINCT ?a) AS ?authors) (SAMPLE(?a) AS ?who) {
        GRAPH <http://127.0.0.1:5000/source/researcher-profile-leon-bottou> { ?w a schema:ScholarlyArticle }
        FILTER NOT EXISTS { GRAPH <http://127.0.0.1:5000/source/arrow-author-cluster-leon-bottou> { ?w ?p ?o } }
        ?w schema:author ?a } GROUP BY ?w""")
    assert len(found) == 4
    assert {(n.toPython(), str(who)) for _w, n, who in found} == {(1, "http://127.0.0.1:5000/author/leon-bottou")}


@pytest.mark.parametrize("prop, expected", [
    ("statedPaperCount", 10), ("statedAuthorRowCount", 1), ("statedWorkCount", 5), ("statedFollowerCount", 0),
    ("statedTopicCount", 2), ("statedCollaboratorCount", 4), ("trustScore", 19), ("trustLabel", "Unverified"),
    ("verificationLevel", "L1"), ("claimed", False), ("claimLabel", "Unclaimed author"),
])
def test_counts_and_labels_each_page_states_are_on_its_source_document(sample_graph, prop, expected):
    found = rows(sample_graph, f"SELECT ?v {{ GRAPH ?doc {{ ?doc a prov:Entity ; kg:{prop} ?v }} }}")
    assert [v.toPython() for (v,) in found] == [expected]


def test_author_list_keeps_record_order(sample_graph):
    found = rows(sample_graph, """SELECT ?name { ?w schema:name "A Simple Convergence Proof of Adam and Adagrad" ;
        bibo:authorList ?list . ?list rdf:rest*/rdf:first ?a . ?a schema:name ?name }""")
    assert [str(n) for (n,) in found] == ["Alexandre Défossez", "Léon Bottou", "Francis Bach", "Nicolas Usunier"]


def test_abstract_trailer_is_chrome_and_copyright_is_kept(sample_graph):
    found = rows(sample_graph, """SELECT ?abstract ?copyright { ?w schema:name ?t ; schema:workExample ?v .
        FILTER(STRSTARTS(?t, "AdaGrad stepsizes"))
        ?v schema:abstract ?abstract ; schema:copyrightNotice ?copyright }""")
    ((abstract, copyright),) = found
    assert str(abstract).endswith("extends to the models in deep learning.")
    assert "[abs]" not in str(abstract) and "&copy" not in str(abstract)
    assert str(copyright) == "© JMLR 2020"
    chrome = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o FILTER(ISLITERAL(?o) && CONTAINS(?o, '[abs]')) }"
    assert value(sample_graph, chrome) == 0


def test_latex_stays_verbatim(sample_graph):
    found = rows(sample_graph, "SELECT ?a { ?v schema:abstract ?a FILTER(CONTAINS(?a, 'O(d\\\\ln(N)')) }")
    assert found and r"$O(d\ln(N)/\sqrt{N})$" in str(found[0][0])


def test_every_triple_is_in_a_named_graph_and_sources_are_described(sample_graph):
    graphs = {str(g.identifier) for g in sample_graph.graphs() if len(g)}
    assert graphs == {
        "http://127.0.0.1:5000/source/arrow-author-cluster-leon-bottou",
        "http://127.0.0.1:5000/source/researcher-profile-leon-bottou",
        "http://127.0.0.1:5000/graph/identity",
        "http://127.0.0.1:5000/graph/inferred",
    }
    found = rows(sample_graph, """SELECT ?name ?sha ?when ?about { ?d a prov:Entity, foaf:Document ; schema:name ?name ;
        schema:sha256 ?sha ; <http://purl.org/pav/retrievedOn> ?when ; schema:about ?about } ORDER BY ?name""")
    assert [str(r[0]) for r in found] == ["arrow-author-cluster-leon-bottou.txt", "researcher-profile-leon-bottou.txt"]
    assert all(len(str(r[1])) == 64 and str(r[3]).endswith("/author/leon-bottou") for r in found)
