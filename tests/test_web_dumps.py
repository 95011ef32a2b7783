"""Dumps, VoID/DCAT and the validation report: the listing, the files and rdflib's own fetching from
the real gunicorn server; conditional requests, the VoID formats and the validation report through
Flask's test client (``web_client``: the same application answers; conftest says when to use which).

Every RDF answer is parsed by rdflib; every file is downloaded and checked against the listing
(size, SHA-256) and the manifest (triple and quad counts, named graphs).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
from urllib.parse import urlsplit

import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from conftest import http_fetch, make_settings
from kg.vocab import SH, VOID
from kg.web import create_app

SPDX = Namespace("http://spdx.org/rdf/terms#")
RDF_FORMATS = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/rdf+xml": "xml",
               "application/n-triples": "nt"}
DUMPS = ("kg.ttl", "kg.nt", "kg.nt.gz", "kg.nq", "kg.nq.gz")  # kg.nt and kg.nq: served from the .gz files


fetch = http_fetch


def raw_get(server, path: str) -> tuple[int, bytes]:
    """A request with the path sent byte for byte, as a client that does not normalise it would."""
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.putheader("Accept", "application/json")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def listing(gunicorn_server) -> dict:
    status, headers, body = fetch(gunicorn_server.uri("dumps/"), "application/json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    return json.loads(body)


@pytest.fixture(scope="module")
def manifest(gunicorn_server) -> dict:
    status, _headers, body = fetch(gunicorn_server.uri("dumps/manifest.json"))
    assert status == 200
    return json.loads(body)


@pytest.fixture(scope="module")
def downloads(listing) -> dict[str, bytes]:
    files = {}
    for item in listing["files"]:
        status, headers, body = fetch(item["url"])
        assert status == 200, item["name"]
        assert headers.get_content_type() == item["media_type"], item["name"]
        assert "Content-Encoding" not in headers, item["name"]
        assert int(headers["Content-Length"]) == item["bytes"] == len(body), item["name"]
        assert headers["ETag"] == f'"{item["sha256"]}"'
        files[item["name"]] = body
    return files


def counts_of(listing: dict) -> dict[str, int]:
    return {item["name"]: item.get("triples", item.get("quads")) for item in listing["files"]}


def test_the_listing_names_every_file_with_size_count_and_checksum(gunicorn_server, listing, manifest):
    assert [item["name"] for item in listing["files"]] == [*DUMPS, "validation.ttl", "validation.txt"]
    assert listing["generation"] == manifest["generation"] == "g000001"
    for item in listing["files"]:
        assert item["url"] == gunicorn_server.uri(f"dumps/{item['name']}")
        assert item["count"] == item[item["unit"]]
        if "stored_as" in item:  # what a gzip file holds: the manifest's "decompressed" of that file
            stored = next(f for f in manifest["files"] if f["name"] == item["stored_as"])
            assert {key: item[key] for key in ("name", "media_type", "bytes", "sha256")} == stored["decompressed"]
            assert item[item["unit"]] == stored[item["unit"]] and item["media_type"] == stored["content_type"]
            continue
        listed = {key: value for key, value in item.items() if key not in ("url", "count", "unit")}
        assert listed in manifest["files"]
    status, headers, body = fetch(gunicorn_server.uri("dumps/"), "text/html")
    assert status == 200 and headers.get_content_type() == "text/html" and "Accept" in headers["Vary"]
    page = body.decode("utf-8")
    for item in listing["files"]:
        assert f'href="{item["url"]}"' in page and item["sha256"] in page and f"{item['bytes']:,}" in page


def test_every_file_has_the_listed_size_and_checksum(listing, downloads):
    for item in listing["files"]:
        assert hashlib.sha256(downloads[item["name"]]).hexdigest() == item["sha256"], item["name"]


def test_the_dumps_parse_back_with_the_manifest_counts(gunicorn_server, listing, manifest, downloads):
    counts = counts_of(listing)
    turtle = Graph().parse(gunicorn_server.uri("dumps/kg.ttl"))  # rdflib fetches it itself
    assert len(turtle) == counts["kg.ttl"] == manifest["counts"]["triples"]
    ntriples = Graph().parse(data=gzip.decompress(downloads["kg.nt.gz"]).decode("utf-8"), format="nt")
    assert len(ntriples) == counts["kg.nt.gz"] == len(turtle)
    assert isomorphic(ntriples, turtle)
    quads = Dataset()
    quads.parse(data=gzip.decompress(downloads["kg.nq.gz"]).decode("utf-8"), format="nquads")
    assert len(list(quads.quads())) == counts["kg.nq.gz"] == manifest["counts"]["quads"]
    graphs = {str(g.identifier) for g in quads.graphs() if len(g)}
    base = gunicorn_server.url
    assert graphs == {f"{base}source/arrow-author-cluster-leon-bottou", f"{base}source/researcher-profile-leon-bottou",
                      f"{base}source/hostile-records", f"{base}graph/identity", f"{base}graph/inferred"}
    assert graphs == set(manifest["graphs"])


def test_head_gives_the_headers_without_the_body(gunicorn_server, listing):
    item = next(i for i in listing["files"] if i["name"] == "kg.nq.gz")
    status, headers, body = fetch(item["url"], method="HEAD")
    assert status == 200 and body == b""
    assert int(headers["Content-Length"]) == item["bytes"]
    assert headers["Content-Type"] == "application/gzip" and "Content-Encoding" not in headers
    assert 'filename=kg.nq.gz' in headers["Content-Disposition"]


@pytest.mark.parametrize("path, accept", [
    ("dumps/kg.ttl", None), ("dumps/kg.nt.gz", None), ("dumps/", "text/html"), ("dumps/", "application/json"),
    ("void", "text/turtle"), ("void", "text/html"), (".well-known/void", "application/ld+json"),
    ("validation", "text/html"), ("validation.ttl", None), ("", "text/html"),
])
def test_a_client_with_the_current_etag_gets_304(web_client, path, accept):
    status, headers, _body = web_client.fetch(web_client.uri(path), accept)
    assert status == 200 and headers["ETag"] and headers["Last-Modified"]
    status, _headers, body = web_client.fetch(web_client.uri(path), accept, If_None_Match=headers["ETag"])
    assert status == 304 and body == b""


def test_representations_have_their_own_etags(web_client):
    tags = {web_client.fetch(web_client.uri(path), accept)[1]["ETag"] for path, accept in [
        ("dumps/", "text/html"), ("dumps/", "application/json"), ("void", "text/html"), ("void", "text/turtle"),
        ("validation", "text/html"), ("", "text/html")]}
    assert len(tags) == 6


@pytest.mark.parametrize("path", [
    "/dumps/..%2Fsecret", "/dumps/%2e%2e/x", "/dumps/%2e%2e", "/dumps/..", "/dumps/..%2F..%2Fcurrent",
    "/dumps/..%2Fmanifest.json", "/dumps/%2E%2E%2Fg000001%2Fkg.ttl", "/dumps/kg.ttl%00", "/dumps/nothing.ttl",
    "/dumps/.%2Fkg.ttl", "/dumps//etc/passwd", "/dumps/KG.TTL",
])
def test_unknown_names_and_path_traversal_give_404(gunicorn_server, path):
    status, body = raw_get(gunicorn_server, path)
    assert status == 404, path
    assert json.loads(body)["error"]["status"] == 404


@pytest.fixture(scope="module")
def void_graph(web_app) -> Graph:
    client = web_app.test_client()
    status, headers, body = client.fetch(client.uri("void"), "text/turtle")
    assert status == 200 and headers.get_content_type() == "text/turtle"
    return Graph().parse(data=body.decode("utf-8"), format="turtle")


@pytest.mark.parametrize("path", ["void", ".well-known/void"])
@pytest.mark.parametrize("media", RDF_FORMATS)
def test_void_is_the_same_graph_in_every_format_at_both_paths(web_client, void_graph, path, media):
    status, headers, body = web_client.fetch(web_client.uri(path), media)
    assert status == 200 and headers.get_content_type() == media and "Accept" in headers["Vary"]
    graph = Graph().parse(data=body, format=RDF_FORMATS[media])
    assert isomorphic(graph, void_graph)


def test_void_plain_urls_and_rdflib_fetching(gunicorn_server, void_graph):
    for suffix, media in (("ttl", "text/turtle"), ("jsonld", "application/ld+json"), ("rdf", "application/rdf+xml"),
                          ("nt", "application/n-triples")):
        status, headers, body = fetch(gunicorn_server.uri(f"void.{suffix}"))
        assert status == 200 and headers.get_content_type() == media
        assert isomorphic(Graph().parse(data=body, format=RDF_FORMATS[media]), void_graph)
    assert isomorphic(Graph().parse(gunicorn_server.uri(".well-known/void")), void_graph)
    assert fetch(gunicorn_server.uri("void.pdf"))[0] == 404


def test_void_describes_the_dataset_with_the_manifest_counts(web_client, void_graph, manifest, listing):
    base = web_client.url
    dataset = URIRef(f"{base}void#dataset")
    value = void_graph.value
    assert (dataset, RDF.type, VOID.Dataset) in void_graph and (dataset, RDF.type, DCAT.Dataset) in void_graph
    assert value(dataset, DCTERMS.title) == Literal(web_client.settings.title)
    assert value(dataset, DCTERMS.license) == URIRef(web_client.settings.license)
    assert value(dataset, VOID.triples).toPython() == counts_of(listing)["kg.ttl"] == manifest["counts"]["triples"]
    for term, key in ((VOID.entities, "entities"), (VOID.distinctSubjects, "distinct_subjects"),
                      (VOID.distinctObjects, "distinct_objects")):
        assert value(dataset, term).toPython() == manifest["counts"][key]
    assert value(dataset, VOID.sparqlEndpoint) == URIRef(f"{base}sparql")
    assert value(dataset, VOID.uriSpace) == Literal(base)
    assert value(dataset, VOID.classes).toPython() == len(manifest["classes"])
    assert value(dataset, VOID.properties).toPython() == len(manifest["properties"])
    classes = {value(p, VOID["class"]): value(p, VOID.entities).toPython()
               for p in void_graph.objects(dataset, VOID.classPartition)}
    assert classes[URIRef("https://schema.org/Person")] == manifest["counts"]["persons"] == 27
    assert classes[URIRef("https://schema.org/ScholarlyArticle")] == manifest["counts"]["works"] == 15
    properties = {value(p, VOID.property): value(p, VOID.triples).toPython()
                  for p in void_graph.objects(dataset, VOID.propertyPartition)}
    assert sum(properties.values()) == manifest["counts"]["triples"]
    assert set(void_graph.objects(dataset, VOID.dataDump)) == {URIRef(f"{base}dumps/{name}") for name in DUMPS}
    assert {str(s) for s in void_graph.objects(dataset, DCTERMS.source)} == set(manifest["sources"])
    assert URIRef(f"{base}author/leon-bottou") in set(void_graph.objects(dataset, VOID.exampleResource))
    vocabularies = {str(v) for v in void_graph.objects(dataset, VOID.vocabulary)}
    assert {"https://schema.org/", "http://xmlns.com/foaf/0.1/", "http://purl.org/ontology/bibo/",
            "http://purl.org/spar/fabio/", "http://www.w3.org/ns/prov#", "http://purl.org/pav/"} <= vocabularies
    subsets = {str(value(s, URIRef("http://www.w3.org/ns/sparql-service-description#name"))): value(s, VOID.triples)
               for s in void_graph.objects(dataset, VOID.subset)}
    assert {g: int(n) for g, n in subsets.items()} == manifest["graphs"]
    service = void_graph.value(predicate=DCAT.servesDataset, object=dataset)
    assert (service, RDF.type, DCAT.DataService) in void_graph
    assert value(service, DCAT.endpointURL) == URIRef(f"{base}sparql")


def test_void_data_dumps_resolve_and_dcat_checksums_match(void_graph, listing):
    dataset = next(void_graph.subjects(RDF.type, DCAT.Dataset))
    # the dumps, and (a store directory's) change feed, reached by its URL rather than downloaded
    distributions = [d for d in void_graph.objects(dataset, DCAT.distribution)
                     if void_graph.value(d, DCAT.downloadURL) is not None]
    assert len(distributions) == len(DUMPS)
    listed = {item["url"]: item for item in listing["files"]}
    for dump in void_graph.objects(dataset, VOID.dataDump):
        assert fetch(str(dump), method="HEAD")[0] == 200
    for distribution in distributions:
        url = str(void_graph.value(distribution, DCAT.downloadURL))
        status, _headers, body = fetch(url)
        assert status == 200
        checksum = void_graph.value(distribution, SPDX.checksum)
        assert void_graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(void_graph.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()
        assert void_graph.value(distribution, DCAT.byteSize) == Literal(len(body), datatype=XSD.nonNegativeInteger)
        item = listed[url]
        media = str(void_graph.value(distribution, DCAT.mediaType))
        assert media == f"http://www.iana.org/assignments/media-types/{item['content_type']}"
        compressed = void_graph.value(distribution, DCAT.compressFormat)
        assert (compressed is not None) == url.endswith(".gz")


def test_void_for_browsers_is_html(web_client, manifest):
    status, headers, body = web_client.fetch(web_client.uri("void"), "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
    assert status == 200 and headers.get_content_type() == "text/html"
    page = body.decode("utf-8")
    assert web_client.settings.title in page and "kg.nq.gz" in page and "https://schema.org/Person" in page
    assert f'href="{web_client.uri("void.ttl")}"' in page


def test_validation_report_as_html_and_turtle(web_client):
    status, headers, body = web_client.fetch(web_client.uri("validation"), "text/html")
    assert status == 200 and headers.get_content_type() == "text/html"
    page = body.decode("utf-8")
    assert "<th scope=\"row\">conforms</th><td>yes</td>" in page and "kg ingest" in page
    for path, accept in (("validation", "text/turtle"), ("validation.ttl", None)):
        status, headers, body = web_client.fetch(web_client.uri(path), accept)
        assert status == 200 and headers.get_content_type() == "text/turtle"
        report = Graph().parse(data=body.decode("utf-8"), format="turtle")
        node = report.value(predicate=RDF.type, object=SH.ValidationReport)
        assert report.value(node, SH.conforms) == Literal(True)
    status, headers, body = web_client.fetch(web_client.uri("validation.txt"))
    assert status == 200 and "# conforms: yes" in body.decode("utf-8")
    assert web_client.fetch(web_client.uri("validation"), "application/pdf")[0] == 406


def test_an_empty_store_is_described_without_counts(tmp_path):
    settings = make_settings(tmp_path / "empty", title="<script>alert('t')</script> graph")
    client = create_app(settings).test_client()
    home = client.get("/", headers={"Accept": "text/html"})
    assert home.status_code == 200 and b"holds no build yet" in home.data
    assert b"<script>alert" not in home.data and b"&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; graph" in home.data
    assert client.get("/dumps/", headers={"Accept": "application/json"}).json["files"] == []
    void = Graph().parse(data=client.get("/void", headers={"Accept": "text/turtle"}).data, format="turtle")
    dataset = URIRef(f"{settings.base_uri}void#dataset")
    assert (dataset, VOID.sparqlEndpoint, URIRef(f"{settings.base_uri}sparql")) in void
    assert void.value(dataset, VOID.triples) is None
    for accept in ("text/html", "text/turtle"):
        missing = client.get("/validation", headers={"Accept": accept})
        assert missing.status_code == 404 and b"no build yet" in missing.data
    assert client.get("/dumps/kg.ttl").status_code == 404


def test_dumps_are_served_from_a_store_given_as_a_relative_path(tmp_path, monkeypatch):
    """`make serve` passes KG_STORE=data/store, relative to the working directory."""
    from conftest import SAMPLE, make_settings, publish
    from kg.pipeline import ingest
    from kg.web import create_app

    monkeypatch.chdir(tmp_path)
    settings = make_settings("store")
    ingest(SAMPLE, settings)
    publish(settings)
    response = create_app(settings).test_client().get("/dumps/kg.nq.gz")
    try:
        assert response.status_code == 200 and response.data[:2] == b"\x1f\x8b"
    finally:
        response.close()


# -- kg.nt and kg.nq: a gzip dump's content at its decompressed name, by content-coding ------------


@pytest.mark.parametrize("name", ["kg.nt", "kg.nq"])
def test_a_gzip_dump_is_served_decompressed_to_a_client_that_does_not_accept_gzip(gunicorn_server, listing,
                                                                                downloads, name):
    item = next(i for i in listing["files"] if i["name"] == name)
    stored = next(i for i in listing["files"] if i["name"] == f"{name}.gz")
    assert item["stored_as"] == stored["name"] and item["media_type"] == stored["content_type"]
    status, headers, body = fetch(item["url"])  # urllib sends no Accept-Encoding
    assert status == 200 and "Content-Encoding" not in headers and "Accept-Encoding" in headers["Vary"]
    assert headers.get_content_type() == item["media_type"] and headers["Accept-Ranges"] == "none"
    assert body == gzip.decompress(downloads[stored["name"]])
    assert int(headers["Content-Length"]) == item["bytes"] == len(body)
    assert headers["ETag"] == f'"{item["sha256"]}"' == f'"{hashlib.sha256(body).hexdigest()}"'
    assert f"filename={name}" in headers["Content-Disposition"]
    assert fetch(item["url"], If_None_Match=headers["ETag"])[0] == 304
    head_status, head, head_body = fetch(item["url"], method="HEAD")
    assert head_status == 200 and head_body == b"" and int(head["Content-Length"]) == item["bytes"]
    for refused in ("gzip;q=0", "identity", "br", "*;q=0.5, gzip;q=0"):
        status, headers, again = fetch(item["url"], Accept_Encoding=refused)
        assert status == 200 and "Content-Encoding" not in headers and again == body, refused


@pytest.mark.parametrize("name", ["kg.nt", "kg.nq"])
def test_a_client_that_accepts_gzip_gets_the_stored_gzip_bytes_as_content_coding(gunicorn_server, listing,
                                                                                 downloads, name):
    item = next(i for i in listing["files"] if i["name"] == name)
    stored = downloads[f"{name}.gz"]
    for accepted in ("gzip", "gzip, deflate, br", "*"):
        status, headers, body = fetch(item["url"], Accept_Encoding=accepted)  # urllib does not decode it
        assert status == 200 and headers["Content-Encoding"] == "gzip", accepted
        assert headers.get_content_type() == item["media_type"] and "Accept-Encoding" in headers["Vary"]
        assert body == stored and int(headers["Content-Length"]) == len(stored)
        assert gzip.decompress(body) == fetch(item["url"])[2]
    etag = headers["ETag"]
    gz_etag = fetch(gunicorn_server.uri(f"dumps/{name}.gz"), method="HEAD")[1]["ETag"]
    assert etag not in (gz_etag, f'"{item["sha256"]}"')  # three representations, three tags
    assert fetch(item["url"], Accept_Encoding="gzip", If_None_Match=etag)[0] == 304
    assert fetch(item["url"], If_None_Match=etag)[0] == 200  # not the tag of the decompressed bytes
    status, headers, part = fetch(item["url"], Accept_Encoding="gzip", Range="bytes=0-9")
    assert status == 206 and part == stored[:10] and headers["Content-Encoding"] == "gzip"


def test_the_gzip_files_keep_their_own_type_without_content_coding(gunicorn_server):
    status, headers, _body = fetch(gunicorn_server.uri("dumps/kg.nt.gz"), method="HEAD", Accept_Encoding="gzip")
    assert status == 200 and headers["Content-Type"] == "application/gzip" and "Content-Encoding" not in headers
    status, headers, part = fetch(gunicorn_server.uri("dumps/kg.nq.gz"), Range="bytes=0-2")
    assert status == 206 and part == b"\x1f\x8b\x08"
