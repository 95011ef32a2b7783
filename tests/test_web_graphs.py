"""The named graphs: every graph IRI the Service Description names dereferences (a description with
its size, what it is, its VoID subset and a download) and its content downloads from
``/graph-store?graph=…``, streamed. The real server (both stores) is read by rdflib as a client;
each size is checked against a SPARQL COUNT and against the downloaded content. Negotiation, errors
and conditional requests go through Flask's test client (``web_client``)."""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

import kg.store.graph_content as graph_content
from conftest import SAMPLE, http_fetch, in_process, make_settings
from kg.pipeline import curate, ingest
from kg.store import open_store
from kg.vocab import SD, VOID

RDF_FORMATS = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/rdf+xml": "xml",
               "application/n-triples": "nt"}
SUFFIXES = {"text/turtle": "ttl", "application/ld+json": "jsonld", "application/rdf+xml": "rdf",
            "application/n-triples": "nt"}


def sparql_count(server, graph: str) -> int:
    """How many triples the endpoint says ``graph`` holds."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    status, _headers, body = server.fetch(server.uri("sparql?query=" + quote(query)), "application/sparql-results+json")
    assert status == 200, body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def service_graphs(server) -> set[str]:
    status, _headers, body = server.fetch(server.uri("sparql"), "text/turtle")
    assert status == 200
    description = Graph().parse(data=body, format="turtle")
    return {str(name) for name in description.objects(None, SD.name)}


def subset_of(description: Graph, graph: str) -> URIRef:
    (subset,) = description.subjects(SD.name, URIRef(graph))
    return subset


@pytest.fixture(scope="module")
def named(gunicorn_server) -> dict[str, int]:
    """Each graph the Service Description names, with its size by SPARQL COUNT."""
    graphs = service_graphs(gunicorn_server)
    base = gunicorn_server.url
    assert {f"{base}graph/inferred", f"{base}graph/identity", f"{base}source/hostile-records",
            f"{base}source/arrow-author-cluster-leon-bottou", f"{base}source/researcher-profile-leon-bottou"} == graphs
    return {graph: sparql_count(gunicorn_server, graph) for graph in graphs}


def test_every_graph_of_the_service_description_dereferences_with_its_size(gunicorn_server, named):
    """rdflib dereferences each graph IRI (its own Accept) and finds the graph's VoID subset with
    the size the endpoint counts; a browser gets a page that says the same size."""
    base = gunicorn_server.url
    for graph, count in named.items():
        assert count > 0
        description = Graph().parse(graph)  # rdflib as the client: negotiation, redirects, parsing
        subset = subset_of(description, graph)
        assert description.value(subset, VOID.triples) == Literal(count, datatype=XSD.integer), graph
        assert (URIRef(f"{base}void#dataset"), VOID.subset, subset) in description
        assert description.value(subset, VOID.sparqlEndpoint) == URIRef(f"{base}sparql")
        status, headers, body = http_fetch(graph, "text/html")
        assert status == 200 and headers.get_content_type() == "text/html", graph
        assert f'<span class="quads">{count:,}</span> quads' in body.decode("utf-8"), graph


def test_each_graph_downloads_as_the_content_its_size_says(gunicorn_server, named):
    """The void:dataDump of each graph's description streams the graph: N-Triples by default, the
    same graph as Turtle and as N-Quads (every quad in that graph); chunked, with no length."""
    for graph, count in named.items():
        description = Graph().parse(graph, format="turtle")
        dump = str(description.value(subset_of(description, graph), VOID.dataDump))
        assert dump == f"{gunicorn_server.url}graph-store?graph={quote(graph, safe='')}"
        status, headers, body = http_fetch(dump)
        assert status == 200 and headers.get_content_type() == "application/n-triples", graph
        assert "Content-Length" not in headers and headers["Transfer-Encoding"] == "chunked"  # streamed
        assert "attachment" in headers["Content-Disposition"]
        triples = Graph().parse(data=body, format="nt")
        assert len(triples) == count, graph
        _status, headers, body = http_fetch(dump, "text/turtle")
        assert headers.get_content_type() == "text/turtle" and isomorphic(Graph().parse(data=body, format="turtle"),
                                                                         triples)
        _status, headers, body = http_fetch(dump + "&format=nquads")
        assert headers.get_content_type() == "application/n-quads"
        quads = Dataset()
        quads.parse(data=body, format="nquads")
        assert {str(g) for _s, _p, _o, g in quads.quads()} == {graph} and len(list(quads.quads())) == count


def test_the_void_description_links_each_graph_to_its_download(gunicorn_server, named):
    void = Graph().parse(gunicorn_server.uri("void"), format="turtle")
    for graph, count in named.items():
        subset = subset_of(void, graph)
        assert void.value(subset, VOID.triples).toPython() == count
        status, _headers, body = http_fetch(str(void.value(subset, VOID.dataDump)))
        assert status == 200 and len(Graph().parse(data=body, format="nt")) == count
    status, _headers, body = http_fetch(gunicorn_server.uri("void"), "text/html")
    page = body.decode("utf-8")
    assert all(f'<a href="{graph}"><code>{graph}</code></a>' in page for graph in named)


@pytest.mark.parametrize("name", ["inferred", "identity"])
def test_a_graph_description_negotiates_like_a_resource(web_client, name):
    iri = web_client.uri(f"graph/{name}")
    status, headers, body = web_client.fetch(iri)  # no Accept: the page
    assert status == 200 and headers.get_content_type() == "text/html"
    page = body.decode("utf-8")
    assert f"<code>{iri}</code>" in page and 'href="' + web_client.uri("void") + '"' in page
    assert web_client.uri("graph-store?graph=") in page and "format=turtle" in page
    graphs = {}
    for media, syntax in RDF_FORMATS.items():
        status, headers, body = web_client.fetch(iri, media)
        assert status == 200 and headers.get_content_type() == media, media
        assert headers["Content-Location"] == f"{iri}.{SUFFIXES[media]}"
        assert "Accept" in headers["Vary"]
        graphs[media] = Graph().parse(data=body, format=syntax)
        suffixed = web_client.fetch(headers["Content-Location"])
        assert suffixed[0] == 200 and suffixed[1].get_content_type() == media and "Vary" not in suffixed[1]
    first = graphs.pop("text/turtle")
    assert all(len(graph) == len(first) for graph in graphs.values())
    assert web_client.fetch(iri, "application/xml")[1].get_content_type() == "application/rdf+xml"
    links = headers.get_all("Link")
    assert any(f'<{iri}.ttl>; rel="alternate"; type="text/turtle"' in link for link in links)
    status, headers, _body = web_client.fetch(iri, "text/turtle")
    assert web_client.fetch(iri, "text/turtle", If_None_Match=headers["ETag"])[0] == 304
    assert web_client.fetch(iri, "application/pdf")[0] == 406


def test_a_source_page_says_what_its_graph_holds(web_client):
    source = web_client.uri("source/researcher-profile-leon-bottou")
    count = sparql_count(web_client, source)
    status, _headers, body = web_client.fetch(source, "text/html")
    page = body.decode("utf-8")
    assert status == 200 and f'<span class="quads">{count:,}</span> quads' in page
    assert 'href="' + web_client.uri("graph-store?graph=" + quote(source, safe="")) + '"' in page
    status, _headers, body = web_client.fetch(source, "text/turtle")
    description = Graph().parse(data=body, format="turtle")
    assert description.value(subset_of(description, source), VOID.triples).toPython() == count


@pytest.mark.parametrize("path, status", [
    ("graph/nothing", 404), ("graph/curation", 404),  # the sample has no curation
    ("graph/inferred.pdf", 404), ("graph/Inferred", 404), ("graph/inferred/x", 404), ("graph/", 404),
    ("graph/meta", 404), ("graph-store?graph=http%3A%2F%2Fexample.org%2Fg", 404),
    ("graph-store?graph=graph%2Fmeta", 404), ("graph-store", 400), ("graph-store?graph=", 400),
    ("graph-store?graph=a&graph=b", 400), ("graph-store?graph={inferred}&format=rdfxml", 400),
    ("graph-store?graph={inferred}&default", 400),
])
def test_unknown_graphs_and_bad_requests_get_the_error_body(web_client, path, status):
    path = path.format(inferred=quote(web_client.uri("graph/inferred"), safe=""))
    for accept, shape in (("application/json", "application/json"), ("text/html", "text/html")):
        code, headers, body = web_client.fetch(web_client.uri(path), accept)
        assert code == status and headers.get_content_type() == shape, (path, accept)
        text = body.decode("utf-8")
        assert "Traceback" not in text
        if shape == "application/json":
            error = json.loads(text)["error"]
            assert error["status"] == status and error["detail"]
        else:
            assert f"<h1>{status} " in text


def test_a_graph_names_an_iri_that_is_escaped_on_the_error_page(web_client):
    hostile = '<script>alert("g")</script>'
    status, _headers, body = web_client.fetch(web_client.uri("graph-store?graph=" + quote(hostile)), "text/html")
    assert status == 404 and b"<script>alert" not in body and b"&lt;script&gt;" in body


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "PATCH"])
def test_the_graph_store_is_read_only(web_client, method):
    url = web_client.uri("graph-store?graph=" + quote(web_client.uri("graph/inferred"), safe=""))
    status, headers, _body = web_client.fetch(url, "application/json", method, b"<a:b> <a:c> <a:d> .",
                                              Content_Type="application/n-triples")
    assert status == 405 and "PUT" not in headers["Allow"] and "GET" in headers["Allow"]
    assert web_client.fetch(url)[0] == 200  # nothing changed


def test_the_graph_store_negotiates_and_answers_conditional_requests(web_client):
    url = web_client.uri("graph-store?graph=" + quote(web_client.uri("graph/identity"), safe=""))
    status, headers, body = web_client.fetch(url, "text/turtle;q=0.5, application/n-quads")
    assert status == 200 and headers.get_content_type() == "application/n-quads" and "Accept" in headers["Vary"]
    assert web_client.fetch(url, "application/rdf+xml")[0] == 406
    status, headers, body = web_client.fetch(url)
    assert web_client.fetch(url, If_None_Match=headers["ETag"])[0] == 304
    status, head, empty = web_client.fetch(url, method="HEAD")
    assert status == 200 and empty == b"" and head.get_content_type() == "application/n-triples"
    assert f'<{web_client.uri("graph/identity")}>; rel="describedby"' in head["Link"]


def test_the_default_graph_is_the_dump(web_client):
    status, headers, _body = web_client.fetch(web_client.uri("graph-store?default"), follow_redirects=False)
    assert status == 303 and headers["Location"] == web_client.uri("dumps/kg.nt")


def test_a_curation_graph_dereferences_once_there_is_one(tmp_path):
    settings = make_settings(tmp_path / "store")
    ingest(SAMPLE, settings)
    base = settings.base_uri
    with in_process(settings) as app:
        client = app.test_client()
        assert client.fetch(client.uri("graph/curation"), "application/json")[0] == 404
    curate(settings, "different", f"{base}author/leon-bottou", f"{base}author/yann-lecun", "a librarian",
           "two people")
    with in_process(settings) as app:
        client = app.test_client()
        count = sparql_count(client, f"{base}graph/curation")
        status, _headers, body = client.fetch(client.uri("graph/curation"), "text/turtle")
        assert status == 200 and count > 0
        description = Graph().parse(data=body, format="turtle")
        assert description.value(subset_of(description, f"{base}graph/curation"), VOID.triples).toPython() == count
        status, _headers, body = client.fetch(client.uri("graph-store?graph=" + quote(f"{base}graph/curation")))
        assert len(Graph().parse(data=body, format="nt")) == count


def test_a_graph_streams_in_batches_with_one_prefix_block(sample_settings, monkeypatch):
    """Batches of 7 triples: each is serialised apart, and the Turtle still parses to the graph,
    with the prefixes declared once."""
    monkeypatch.setattr(graph_content, "BATCH", 7)
    store = open_store(sample_settings.store, sample_settings.base_uri)
    graph = f"{sample_settings.base_uri}graph/identity"
    size = len(list(store.reader().quads_for_pattern(None, None, None, ox.NamedNode(graph))))
    chunks = {fmt: list(store.graph_content(graph, fmt)) for fmt in ("ntriples", "turtle", "nquads")}
    assert size > 7 and all(len(parts) == -(-size // 7) for parts in chunks.values())
    ntriples = Graph().parse(data=b"".join(chunks["ntriples"]), format="nt")
    turtle_text = b"".join(chunks["turtle"]).decode("utf-8")
    assert len(ntriples) == size and turtle_text.count("@prefix schema:") == 1
    assert isomorphic(Graph().parse(data=turtle_text, format="turtle"), ntriples)
    assert len(b"".join(chunks["nquads"]).splitlines()) == size


def test_a_client_that_leaves_stops_the_stream(gunicorn_server, named):
    """A client reading a few bytes and closing: the server goes on answering others."""
    graph = f"{gunicorn_server.url}graph/identity"
    parts = urlsplit(gunicorn_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", "/graph-store?graph=" + quote(graph, safe=""))
    response = connection.getresponse()
    assert response.status == 200 and re.match(rb"<http", response.read(5))
    connection.close()
    status, _headers, body = http_fetch(gunicorn_server.uri("graph-store?graph=" + quote(graph, safe="")))
    assert status == 200 and len(Graph().parse(data=body, format="nt")) == named[graph]
