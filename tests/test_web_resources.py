"""Dereferenceable URIs: gunicorn serving the sample, read by rdflib; negotiation, status codes,
paging, retired URIs and escaping through Flask's test client (``web_client``: the same application
answers; conftest says when to use which)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from email.message import Message

import pytest
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from conftest import copy_of_store, in_process
from kg.pipeline import retire
from kg.vocab import BIBO, FOAF, HYDRA, SCHEMA
from kg.web import create_app

LEON = "author/leon-bottou"
BIRTH = "paper/birth-of-a-transformer-a-memory-viewpoint"
HOSTILE_PAPER = "paper/escaping-quotes-tags-a-script-study"
HOSTILE_TITLE = 'Escaping "quotes" & tags: a </script> study'
RDF_ALTERNATES = [("ttl", "text/turtle", "turtle"), ("jsonld", "application/ld+json", "json-ld"),
                  ("rdf", "application/rdf+xml", "xml"), ("nt", "application/n-triples", "nt")]


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def links(self) -> list[str]:
        return [link.strip() for value in self.headers.get_all("Link", []) for link in value.split(",")]


def fetch(server, url: str, accept: str | None = None, method: str = "GET", **headers: str) -> Answer:
    """One request from ``server``: gunicorn (a plain HTTP client) or a test client; redirects are
    not followed, errors are answers."""
    return Answer(*server.fetch(url, accept, method, None, False, **headers))


def without_documents(graph: Graph) -> Graph:
    """The description minus the triples about the document itself (its URL differs per format)."""
    kept = Graph()
    for triple in graph:
        if triple[1] != FOAF.primaryTopic:
            kept.add(triple)
    return kept


# -- rdflib as the client ------------------------------------------------------------------------

def test_rdflib_reads_a_person(gunicorn_server):
    leon = URIRef(gunicorn_server.uri(LEON))
    graph = Graph().parse(leon)
    works = set(graph.subjects(SCHEMA.author, leon))
    assert len(works) == 15
    assert URIRef(gunicorn_server.uri(HOSTILE_PAPER)) in works
    assert set(graph.objects(leon, FOAF.made)) == works  # from the inferred graph
    assert str(graph.value(leon, SCHEMA.name)) == "Léon Bottou"
    assert "Leon Bottou" in {str(n) for n in graph.objects(leon, SCHEMA.alternateName)}
    assert (leon, RDF.type, FOAF.Person) in graph
    assert graph.value(URIRef(gunicorn_server.uri("venue/neurips")), SCHEMA.name) is not None  # linked labels


def test_rdflib_reads_a_paper_with_its_author_list_in_order(gunicorn_server):
    paper = URIRef(gunicorn_server.uri(BIRTH))
    graph = Graph().parse(paper)
    authors = [str(a).rsplit("/", 1)[1] for a in Collection(graph, graph.value(paper, BIBO.authorList))]
    assert authors == ["alberto-bietti", "vivien-cabannes", "diane-bouchacourt", "herve-jegou", "leon-bottou"]
    version = URIRef(gunicorn_server.uri(f"{BIRTH}/neurips-2023-conference-paper"))
    assert graph.value(version, SCHEMA.isPartOf) == URIRef(gunicorn_server.uri("venue/neurips"))
    assert graph.value(paper, SCHEMA.name).value == "Birth of a Transformer: A Memory Viewpoint"


@pytest.mark.parametrize("path", [LEON, BIRTH, "venue/neurips", "source/researcher-profile-leon-bottou",
                                  f"{BIRTH}/neurips-2023-conference-paper"])
def test_every_alternate_holds_the_same_graph(gunicorn_server, path):
    uri = gunicorn_server.uri(path)
    graphs = {suffix: Graph().parse(f"{uri}.{suffix}", format=fmt) for suffix, _media, fmt in RDF_ALTERNATES}
    assert len(graphs["ttl"]) > 5
    assert (URIRef(f"{uri}.ttl"), FOAF.primaryTopic, URIRef(uri)) in graphs["ttl"]
    for suffix, graph in graphs.items():
        assert isomorphic(without_documents(graph), without_documents(graphs["ttl"])), suffix


@pytest.mark.parametrize(("suffix", "media", "fmt"), RDF_ALTERNATES)
def test_negotiated_rdf_has_vary_content_location_and_links(web_client, suffix, media, fmt):
    uri = web_client.uri(LEON)
    answer = fetch(web_client, uri, accept=media)
    assert answer.status == 200
    assert answer.headers.get_content_type() == media
    assert "Accept" in answer.headers["Vary"]
    assert answer.headers["Content-Location"] == f"{uri}.{suffix}"
    links = answer.links()
    for other_suffix, other_media, _fmt in RDF_ALTERNATES:
        assert f'<{uri}.{other_suffix}>; rel="alternate"; type="{other_media}"' in links
    assert f'<{uri}.html>; rel="alternate"; type="text/html"' in links
    graph = Graph().parse(data=answer.body, format=fmt, publicID=uri)
    assert len(set(graph.subjects(SCHEMA.author, URIRef(uri)))) == 15


@pytest.mark.parametrize(("accept", "expected"), [
    ("text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("*/*", "text/html"),
    ("application/rdf+xml, text/turtle;q=0.1", "application/rdf+xml"),
    ("text/*", "text/html"),
])
def test_q_values_choose_the_format(web_client, accept, expected):
    answer = fetch(web_client, web_client.uri(LEON), accept=accept)
    assert answer.status == 200
    assert answer.headers.get_content_type() == expected


def test_html_page_lists_its_alternates(web_client):
    uri = web_client.uri(LEON)
    answer = fetch(web_client, uri, accept="text/html")
    assert answer.headers["Content-Location"] == f"{uri}.html"
    for suffix, media, _fmt in RDF_ALTERNATES:
        assert f'<link rel="alternate" type="{media}" href="{uri}.{suffix}"' in answer.text


def test_person_page_shows_names_works_coauthors_and_sources(web_client):
    page = fetch(web_client, web_client.uri(LEON), accept="text/html").text
    assert "<h1>Léon Bottou</h1>" in page
    assert "Also written: Leon Bottou" in page
    assert "Works (15)" in page
    newest, oldest = page.index("Memory Mosaics at scale"), page.index("The Need for Open Source Software")
    assert newest < oldest  # newest first
    assert f'href="{web_client.uri("author/yann-lecun")}"' in page  # a co-author, linked
    assert f'href="{web_client.uri("source/researcher-profile-leon-bottou")}"' in page
    version = web_client.uri(
        "paper/the-need-for-open-source-software-in-machine-learning/jmlr-2007-journal-article")
    assert f'<a href="{web_client.uri("venue/jmlr")}">JMLR</a> <a href="{version}">2007</a>' in page


def test_paper_page_shows_versions_sources_and_citations(web_client):
    uri = web_client.uri("paper/memory-mosaics-at-scale")
    page = fetch(web_client, uri, accept="text/html").text
    assert "NeurIPS 2025" in page and "arXiv 2026" in page
    # one list of authors, in the cluster page's order; the profile names its subject without an order
    assert "In the order given by" in page and "named without an order by" in page
    for suffix in ("bib", "csl.json", "ris"):
        assert f'href="{uri}.{suffix}"' in page


def test_source_page_shows_every_page_fact(web_client):
    page = fetch(web_client, web_client.uri("source/researcher-profile-leon-bottou"), accept="text/html").text
    for fact in ("kg:trustScore", "kg:statedWorkCount", "kg:statedFollowerCount", "kg:verificationLevel",
                 "researcher-profile-leon-bottou.txt", "SHA-256", "Unclaimed author"):
        assert fact in page
    assert "Entities (12)" in page


# -- status codes ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["author/nobody-at-all", "paper/no-such-paper", "venue/nowhere", "source/nothing",
                                  f"{BIRTH}/nowhere-1999-preprint", "author/Leon-Bottou", "author/leon_bottou",
                                  "author/leon--bottou", "author/leon-bottou.xml", "author/leon-bottou.bib",
                                  "author/leon-bottou/", "venue/neurips/2019", "author/leon-bottou.ttl.ttl"])
def test_unknown_or_malformed_uris_are_404(web_client, path):
    answer = fetch(web_client, web_client.uri(path), accept="text/turtle")
    assert answer.status == 404
    if answer.headers.get_content_type() == "text/turtle":  # a route of ours answered: a Turtle comment
        assert answer.text.startswith("# 404")


def test_unknown_uri_gets_404_in_json_and_html(web_client):
    answer = fetch(web_client, web_client.uri("author/nobody-at-all"), accept="application/json")
    assert answer.status == 404 and json.loads(answer.body)["error"]["status"] == 404
    answer = fetch(web_client, web_client.uri("author/nobody-at-all"), accept="text/html")
    assert answer.status == 404 and "<h1>404 Not Found</h1>" in answer.text


def test_unacceptable_type_is_406(web_client):
    answer = fetch(web_client, web_client.uri(LEON), accept="image/png")
    assert answer.status == 406
    assert "text/turtle" in answer.text


def test_plain_alternate_ignores_accept(web_client):
    answer = fetch(web_client, web_client.uri(f"{LEON}.ttl"), accept="image/png")
    assert answer.status == 200 and answer.headers.get_content_type() == "text/turtle"


def test_etag_gives_304_without_body(web_client):
    uri = web_client.uri(LEON)
    first = fetch(web_client, uri, accept="text/turtle")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert "max-age" in first.headers["Cache-Control"]
    again = fetch(web_client, uri, accept="text/turtle", If_None_Match=etag)
    assert again.status == 304 and again.body == b""
    assert again.headers["ETag"] == etag
    other = fetch(web_client, uri, accept="application/ld+json", If_None_Match=etag)  # another representation
    assert other.status == 200 and other.headers["ETag"] != etag


def test_last_modified_gives_304(web_client):
    uri = web_client.uri(f"{LEON}.nt")
    first = fetch(web_client, uri)
    modified = first.headers["Last-Modified"]
    assert modified
    again = fetch(web_client, uri, If_Modified_Since=modified)
    assert again.status == 304 and again.body == b""
    assert fetch(web_client, uri, If_Modified_Since="Thu, 01 Jan 1970 00:00:00 GMT").status == 200


def test_head_has_the_headers_and_no_body(web_client):
    uri = web_client.uri(BIRTH)
    get = fetch(web_client, uri, accept="text/turtle")
    head = fetch(web_client, uri, accept="text/turtle", method="HEAD")
    assert head.status == 200 and head.body == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Vary", "Content-Location"):
        assert head.headers[name] == get.headers[name], name
    assert head.links() == get.links()


def test_bad_page_is_400(web_client):
    for bad in ("0", "-1", "abc", "1.5", "", "%EF%BC%91"):
        answer = fetch(web_client, web_client.uri(f"{LEON}?page={bad}"), accept="application/json")
        assert answer.status == 400, bad
        assert "page" in json.loads(answer.body)["error"]["detail"]


def test_page_past_the_end_is_404(web_client):
    assert fetch(web_client, web_client.uri(f"{LEON}?page=2"), accept="text/turtle").status == 404
    assert fetch(web_client, web_client.uri(f"{BIRTH}?page=2"), accept="text/turtle").status == 404


# -- paging, on an app with five items per page ----------------------------------------------------

@pytest.fixture(scope="module")
def small_pages(web_sample):
    """A second app on the same (read-only) store, five inbound links per page; its test client.

    Asked by path, so it answers for another host than its base URI's: its links must still use the base URI.
    """
    with in_process(replace(web_sample, page_size=5)) as app:
        yield app.test_client()


def test_works_span_pages_with_next_and_prev(small_pages):
    uri, leon = small_pages.uri(LEON), URIRef(small_pages.uri(LEON))
    seen = []
    for page, has_prev, has_next in ((1, False, True), (2, True, True), (3, True, False)):
        query = "" if page == 1 else f"?page={page}"
        answer = fetch(small_pages, f"/{LEON}{query}", accept="text/turtle")
        assert answer.status == 200
        links = answer.links()
        assert (f'<{uri}?page={page + 1}>; rel="next"' in links) is has_next
        prev = uri if page == 2 else f"{uri}?page={page - 1}"
        assert (f'<{prev}>; rel="prev"' in links) is has_prev
        graph = Graph().parse(data=answer.body, format="turtle")
        works = set(graph.subjects(SCHEMA.author, leon))
        assert len(works) == 5 and set(graph.objects(leon, FOAF.made)) == works  # foaf:made paged too
        document = URIRef(f"{uri}.ttl{query}")
        assert (graph.value(document, HYDRA.next) is not None) is has_next
        assert graph.value(document, HYDRA.last) == URIRef(f"{uri}.ttl?page=3")
        seen += works
    assert len(seen) == len(set(seen)) == 15
    assert fetch(small_pages, f"/{LEON}?page=4", accept="text/turtle").status == 404


def test_html_pages_link_next_and_prev(small_pages):
    page = fetch(small_pages, f"/{LEON}.html?page=2").text
    assert f'rel="next" href="{small_pages.uri(LEON)}.html?page=3"' in page
    assert f'rel="prev" href="{small_pages.uri(LEON)}.html"' in page
    assert "page 2 of 3" in page


def test_venue_and_source_lists_are_paged(small_pages):
    assert 'rel="next"' in ",".join(fetch(small_pages, "/venue/neurips", accept="text/turtle").links())
    assert 'rel="next"' in ",".join(fetch(small_pages, "/source/researcher-profile-leon-bottou.nt").links())


def test_paging_with_the_flask_test_client(web_sample):
    app = create_app(replace(web_sample, page_size=4))
    response = app.test_client().get(f"/{LEON}?page=4", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert 'rel="prev"' in response.headers["Link"] and 'rel="next"' not in response.headers["Link"]


# -- retired URIs: 301 and 410 -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def retired(web_sample, tmp_path_factory):
    """A copy of the store where one work is merged into another and one person is retired; a test
    client of an app serving it, asked by path (another host than its base URI's, as for ``small_pages``)."""
    base = web_sample.base_uri
    with copy_of_store(web_sample, tmp_path_factory.mktemp("retired")) as settings:
        retire(settings, f"{base}paper/cold-case-the-lost-mnist-digits", f"{base}{BIRTH}")
        retire(settings, f"{base}author/mallory-o-hara")
        with in_process(settings) as app:
            yield app.test_client()


@pytest.mark.parametrize("suffix", ["", ".ttl", ".bib", ".csl"])
def test_merged_uri_answers_301_to_the_survivor(retired, suffix):
    answer = fetch(retired, f"/paper/cold-case-the-lost-mnist-digits{suffix}", accept="text/turtle")
    assert answer.status == 301
    assert answer.headers["Location"] == retired.uri(BIRTH) + suffix


@pytest.mark.parametrize("accept", ["text/turtle", "application/json", "text/html"])
def test_retired_uri_without_survivor_is_410(retired, accept):
    answer = fetch(retired, "/author/mallory-o-hara", accept=accept)
    assert answer.status == 410
    assert answer.headers.get_content_type() == accept
    assert "retired" in answer.text


def test_retired_work_leaves_the_lists(retired):
    graph = Graph().parse(data=fetch(retired, f"/{LEON}.ttl").body, format="turtle")
    works = set(graph.subjects(SCHEMA.author, URIRef(retired.uri(LEON))))
    assert len(works) == 14
    assert URIRef(retired.uri("paper/cold-case-the-lost-mnist-digits")) not in works


# -- hostile record data: everything escaped ---------------------------------------------------------

JSONLD_BLOCK = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("path", [HOSTILE_PAPER, f"{HOSTILE_PAPER}/journal-of-injections-2021-journal-article",
                                  "author/mallory-o-hara", LEON, "venue/journal-of-injections",
                                  "source/hostile-records"])
def test_hostile_record_is_escaped_everywhere(web_client, path):
    page = fetch(web_client, web_client.uri(path), accept="text/html").text
    assert "<script>alert" not in page
    assert 'onmouseover="alert' not in page
    # the JSON-LD block, and the site's own copy-button script (a file: the CSP allows no inline script)
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/copy.js" defer>',
                                                  '<script type="application/ld+json">']
    assert page.count("</script>") == 2
    blocks = JSONLD_BLOCK.findall(page)
    assert len(blocks) == 1
    assert "</script" not in blocks[0] and "<" not in blocks[0]
    data = json.loads(blocks[0])
    assert data["@id"] == web_client.uri(path)
    if path not in ("source/hostile-records", "venue/journal-of-injections"):
        assert HOSTILE_TITLE in _strings(data)
    assert "&lt;/script&gt;" in page or path == "venue/journal-of-injections"


def test_hostile_abstract_is_shown_verbatim_not_evaluated(web_client):
    page = fetch(web_client, web_client.uri(HOSTILE_PAPER), accept="text/html").text
    assert "{{ 7*7 }}" in page
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page
    data = json.loads(JSONLD_BLOCK.findall(page)[0])
    assert data["name"] == HOSTILE_TITLE
    assert "<script>alert('xss')</script>" in data["abstract"]
