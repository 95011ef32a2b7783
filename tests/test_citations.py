"""References become citations: as data when the graph does not hold the cited work, and as a link
between two works when it does, whatever order the citing and the cited records arrive in.

Data (tests/data/citations/README.md): a real Crossref works list whose DIISC-VI paper lists 94
references, one of them the Astropy paper of 2018 (DOI ``10.3847/1538-3881/aac387``), and that
Astropy paper as a preprint (arXiv id only, its first title) and as the journal article (its DOI in
upper case, and the arXiv id).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from SPARQLWrapper import JSON, SPARQLWrapper

from conftest import DATA, free_port, live_graph, make_settings, nquads, serving
from kg.pipeline import ingest

SCHEMA = Namespace("https://schema.org/")
FILES = [DATA / "citations" / name for name in ("crossref-works.json", "astropy-preprint.jsonl",
                                                 "astropy-journal.jsonl")]
BASE = "http://127.0.0.1:5000/"
DIISC = f"{BASE}paper/diisc-vi-cos-diisc-ultraviolet-metal-absorption-relative-to-the-h-i-disk-of"
ASTROPY = f"{BASE}paper/the-astropy-project-building-an-inclusive-open-science-project-and-status-of-the"
INFERRED = f"<{BASE}graph/inferred>"
CITATION = "<https://schema.org/citation>"


def build(batches: list[list[Path]], store: Path) -> list[str]:
    for batch in batches:
        assert ingest(batch, make_settings(store)).written
    return nquads(store)


def links(lines: list[str]) -> set[tuple[str, str]]:
    """The derived citation links: (citing, cited) in the inferred graph."""
    return {(line.split(" ")[0].strip("<>"), line.split(" ")[2].strip("<>")) for line in lines
            if f" {CITATION} " in line and line.endswith(f" {INFERRED} .")}


@pytest.fixture(scope="module")
def together(tmp_path_factory) -> list[str]:
    return build([FILES], tmp_path_factory.mktemp("together") / "store")


def test_a_reference_to_a_held_work_is_a_link_between_the_two_works(together):
    assert links(together) == {(DIISC, ASTROPY)}
    stated = [line for line in together if line.startswith(f"<{DIISC}> {CITATION} ")
              and not line.endswith(f" {INFERRED} .")]
    # every reference with a DOI is kept, as the DOI's IRI in lower case, in the citing source's graph
    assert len(stated) == 94
    assert all(line.endswith(f" <{BASE}source/crossref-works> .") for line in stated)
    assert f"<{DIISC}> {CITATION} <https://doi.org/10.3847/1538-3881/aac387> " in "\n".join(stated)


def test_references_to_works_the_graph_does_not_hold_stay_data(together):
    citing = {line.split(" ")[0] for line in together if f" {CITATION} " in line}
    held = {line.split(" ")[0] for line in together if " <https://schema.org/ScholarlyArticle> " in line}
    assert citing <= held  # only works cite, and nothing else was minted for the cited DOIs
    assert not [line for line in together if line.startswith("<https://doi.org/")]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=lambda o: "-".join(map(str, o)))
def test_any_order_gives_the_same_links(together, order, tmp_path):
    lines = build([[FILES[i]] for i in order], tmp_path / "store")
    assert live_graph(lines) == live_graph(together)


def test_a_link_follows_the_cited_work_when_identity_renames_it(tmp_path):
    # The journal article alone is named by its own title; the preprint's earlier title then wins,
    # so the work's URI changes and the derived link must move with it (the old URI redirects).
    lines = build([[FILES[0], FILES[2]], [FILES[1]]], tmp_path / "store")
    assert links(lines) == {(DIISC, ASTROPY)}
    retired = {line.split(" ")[0].strip("<>") for line in lines if "owl#deprecated" in line}
    assert retired and not {cited for _citing, cited in links(lines)} & retired


def test_citations_in_sparql_and_in_the_papers_description(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    settings = make_settings(tmp_path / "store", base_uri=base)
    assert ingest(FILES, settings).written
    with serving(settings, port) as live:
        client = SPARQLWrapper(live.url + "sparql")
        client.setQuery("PREFIX schema: <https://schema.org/> SELECT ?citing WHERE { "
                        "?citing schema:citation ?cited . ?cited schema:identifier "
                        '[ schema:propertyID "doi" ; schema:value "10.3847/1538-3881/AAC387" ] }')
        client.setReturnFormat(JSON)
        rows = client.queryAndConvert()["results"]["bindings"]
        assert [row["citing"]["value"] for row in rows] == [DIISC.replace(BASE, base)]
        citing = URIRef(DIISC.replace(BASE, base))
        turtle = Graph().parse(str(citing) + ".ttl", format="turtle")
        cited = set(turtle.objects(citing, SCHEMA.citation))
        assert URIRef(ASTROPY.replace(BASE, base)) in cited and len(cited) == 95
