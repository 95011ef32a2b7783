"""One paper in three formats is one work with its versions, and its co-authors one person each,
whatever order the files arrive in (tests/data/cross-format/README.md: a real author-cluster page,
a real BibTeX entry, and a dblp XML record)."""

from __future__ import annotations

import itertools

import pytest

from conftest import DATA, live_graph, make_settings, nquads
from kg.pipeline import ingest
from kg.store import open_configured_store

FILES = sorted(path for path in (DATA / "cross-format").iterdir() if path.suffix != ".md")
BASE = "http://127.0.0.1:5000/"
WORK = f"{BASE}paper/birth-of-a-transformer-a-memory-viewpoint"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("cross") / "store")
    assert ingest(FILES, settings).written
    return settings


def rows(settings, query: str) -> set[tuple[str, ...]]:
    return {tuple(str(term) for term in row) for row in open_configured_store(settings).select(query)[1]}


def test_the_inputs_are_the_three_formats():
    assert sorted(path.suffix for path in FILES) == [".bib", ".txt", ".xml"]


def test_the_paper_is_one_work_with_its_versions_and_every_source(store):
    works = rows(store, """PREFIX schema: <https://schema.org/> SELECT DISTINCT ?w WHERE {
        ?w a schema:ScholarlyArticle ; schema:name ?n . FILTER(STRSTARTS(LCASE(?n), "birth of a transformer")) }""")
    assert works == {(WORK,)}
    versions = rows(store, f"PREFIX schema: <https://schema.org/> SELECT ?v WHERE {{ <{WORK}> schema:workExample ?v }}")
    # the cluster page and dblp give the NeurIPS 2023 paper (one version); the BibTeX entry its 2024 volume
    assert versions == {(f"{WORK}/neurips-2023-conference-paper",),
                        (f"{WORK}/advances-in-neural-information-processing-systems-2024-journal-article",)}
    titles = rows(store, "PREFIX schema: <https://schema.org/> "
                         f"SELECT ?g ?n WHERE {{ GRAPH ?g {{ <{WORK}> schema:name ?n }} }}")
    assert titles == {  # every source keeps its own spelling, in its own graph
        (f"{BASE}source/arrow-author-cluster-leon-bottou", "Birth of a Transformer: A Memory Viewpoint"),
        (f"{BASE}source/ezyhdxm-icl", "Birth of a transformer: A memory viewpoint"),
        (f"{BASE}source/dblp-birth-of-a-transformer", "Birth of a Transformer: A Memory Viewpoint"),
    }
    same = rows(store, f"PREFIX owl: <http://www.w3.org/2002/07/owl#> SELECT ?x WHERE {{ <{WORK}> owl:sameAs ?x }}")
    assert same == {("https://dblp.org/rec/conf/nips/BiettiCBJB23",), ("https://arxiv.org/abs/2306.00802",)}


def test_each_co_author_is_one_person_whatever_the_spelling(store):
    authors = rows(store, f"""PREFIX schema: <https://schema.org/> SELECT ?a ?name WHERE {{
        <{WORK}> schema:author ?a . ?a schema:name ?name }}""")
    assert authors == {(f"{BASE}author/{slug}", name) for slug, name in [
        ("alberto-bietti", "Alberto Bietti"), ("vivien-cabannes", "Vivien Cabannes"),
        ("diane-bouchacourt", "Diane Bouchacourt"), ("herve-jegou", "Hervé Jégou"), ("leon-bottou", "Léon Bottou")]}
    spellings = rows(store, f"""PREFIX kg: <{BASE}ontology#> SELECT ?g ?n WHERE {{
        GRAPH ?g {{ <{BASE}author/herve-jegou> kg:statedName ?n }} }}""")
    assert {name for _g, name in spellings} == {"Herve Jegou", "Hervé Jégou"}
    assert len({g for g, _n in spellings}) == 3


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=lambda o: "-".join(map(str, o)))
def test_any_order_gives_the_same_graph(store, order, tmp_path):
    for i in order:
        assert ingest([FILES[i]], make_settings(tmp_path / "store")).written
    assert live_graph(nquads(tmp_path / "store")) == live_graph(nquads(store.store))
