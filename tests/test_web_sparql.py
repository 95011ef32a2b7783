"""The SPARQL 1.1 Protocol endpoint: gunicorn read by SPARQLWrapper and rdflib's SPARQLStore, and plain
requests through Flask's test client (``web_client``: the same application answers; conftest says
when to use which).

https://www.w3.org/TR/sparql11-protocol/ and https://www.w3.org/TR/sparql11-service-description/.
Everything runs on loopback; every wait is bounded.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, replace
from email.message import Message
from html.parser import HTMLParser

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from conftest import DATA, LiveServer, SampleClient, in_process, sparql_from
from kg.store import list_queries
from kg.vocab import DCTERMS, SCHEMA, VOID

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
HOSTILE_QUERIES = DATA / "web" / "sparql" / "queries"
SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"

PREFIX = "PREFIX schema: <https://schema.org/>\n"
PERSONS = 27  # the sample's 26 and Mallory O'Hara from the hostile record
WORKS = 15
COUNT_PERSONS = PREFIX + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:Person }"
COUNT_WORKS = PREFIX + "SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a schema:ScholarlyArticle }"
COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ASK_MALLORY = PREFIX + "ASK { ?p a schema:Person ; schema:name \"Mallory O'Hara\" }"
ASK_NOBODY = PREFIX + "ASK { ?p a schema:Person ; schema:name \"Nobody At All\" }"
CONSTRUCT_PERSONS = PREFIX + ("CONSTRUCT { ?p a schema:Person ; schema:name ?name }"
                              " WHERE { ?p a schema:Person OPTIONAL { ?p schema:name ?name } }")
DESCRIBE_MALLORY = PREFIX + "DESCRIBE ?p WHERE { ?p a schema:Person ; schema:name \"Mallory O'Hara\" }"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
BAD_QUERY = "SELECT * WHERE { ?s ?p }"
INSERT = "INSERT DATA { <urn:kg:test:s> <urn:kg:test:p> <urn:kg:test:o> }"
ASK_INSERTED = "ASK { <urn:kg:test:s> <urn:kg:test:p> <urn:kg:test:o> }"
METHODS = ["get", "post-form", "post-direct"]
SHORT_IDS = {COUNT_PERSONS: "select", ASK_MALLORY: "ask", CONSTRUCT_PERSONS: "construct",
             DESCRIBE_MALLORY: "describe", BAD_QUERY: "bad-query"}


def short_id(value) -> str | None:
    """A readable test id for a query text (None: pytest's default)."""
    return SHORT_IDS.get(value) if isinstance(value, str) else None


# -- clients -------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    @property
    def media_type(self) -> str:
        return self.headers.get_content_type()

    def detail(self) -> str:
        """The error detail of our one error body (JSON)."""
        payload = json.loads(self.body)
        assert set(payload["error"]) == {"status", "title", "detail"}
        assert payload["error"]["status"] == self.status
        return payload["error"]["detail"]


Server = LiveServer | SampleClient  # gunicorn over HTTP, or a test client of the same app


def call(server: Server, method: str = "GET", params=None, body: bytes | None = None,
         headers: dict | None = None, path: str = "sparql") -> Reply:
    """One request with a plain HTTP client, or through the test client; HTTP errors are returned, not raised."""
    url = server.uri(path) + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
    return Reply(*server.fetch(url, None, method, body, **(headers or {})))


def form(**fields) -> bytes:
    return urllib.parse.urlencode(fields, doseq=True).encode("ascii")


def query(server: Server, text: str, accept: str = SPARQL_JSON) -> Reply:
    return call(server, params={"query": text}, headers={"Accept": accept})


def count(server: Server, text: str) -> int:
    reply = query(server, text)
    assert reply.status == 200, reply.body
    return int(json.loads(reply.body)["results"]["bindings"][0]["n"]["value"])


def wrapper(server: LiveServer, text: str, return_format: str, method: str = "get") -> SPARQLWrapper:
    client = SPARQLWrapper(server.uri("sparql"))
    client.setQuery(text)
    client.setReturnFormat(return_format)
    client.setTimeout(30)
    if method != "get":
        client.setMethod(POST)
    if method == "post-direct":
        client.setRequestMethod(POSTDIRECTLY)
    return client


def count_in(result, return_format: str) -> int:
    """The single ?n of a SELECT result as SPARQLWrapper converted it."""
    if return_format == JSON:
        return int(result["results"]["bindings"][0]["n"]["value"])
    if return_format == XML:
        return int(result.getElementsByTagName("literal")[0].firstChild.data)
    rows = list(csv.reader(io.StringIO(result.decode("utf-8")), delimiter="," if return_format == CSV else "\t"))
    assert rows[0] == (["n"] if return_format == CSV else ["?n"])
    return int(rows[1][0])


def parser_message(text: str) -> str:
    """What pyoxigraph's own parser says about a query."""
    with pytest.raises(SyntaxError) as caught:
        ox.Store().query(text)
    return str(caught.value)


# -- SPARQLWrapper: every query form, result format and request method ---------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("return_format, media_type", [
    (JSON, SPARQL_JSON), (XML, SPARQL_XML), (CSV, "text/csv"), (TSV, "text/tab-separated-values"),
])
def test_select_in_every_results_format(gunicorn_server, return_format, media_type, method):
    result = wrapper(gunicorn_server, COUNT_PERSONS, return_format, method).query()
    assert result.info()["content-type"].split(";")[0] == media_type
    assert count_in(result.convert(), return_format) == PERSONS


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("return_format", [JSON, XML])
def test_ask_in_json_and_xml(gunicorn_server, return_format, method):
    answers = []
    for text in (ASK_MALLORY, ASK_NOBODY):
        result = wrapper(gunicorn_server, text, return_format, method).queryAndConvert()
        if return_format == JSON:
            answers.append(result["boolean"])
        else:
            answers.append(result.getElementsByTagName("boolean")[0].firstChild.data == "true")
    assert answers == [True, False]


GRAPH_FORMATS = [  # SPARQLWrapper format, Accept override, expected media type, rdflib parser
    (TURTLE, None, "text/turtle", "turtle"),
    (N3, "application/n-triples", "application/n-triples", "nt"),
    (JSONLD, None, "application/ld+json", "json-ld"),
    (RDFXML, None, "application/rdf+xml", "xml"),
]


def graph_result(server: LiveServer, text: str, graph_format: tuple, method: str) -> Graph:
    return_format, accept, media_type, rdflib_format = graph_format
    client = wrapper(server, text, return_format, method)
    if accept:
        client.addCustomHttpHeader("Accept", accept)
    result = client.query()
    assert result.info()["content-type"].split(";")[0] == media_type
    converted = result.convert()
    if isinstance(converted, Graph):
        return converted
    return Graph().parse(data=converted.decode("utf-8"), format=rdflib_format)


@pytest.mark.parametrize("graph_format", GRAPH_FORMATS, ids=[f[2] for f in GRAPH_FORMATS])
def test_construct_in_every_rdf_format(gunicorn_server, graph_format):
    graph = graph_result(gunicorn_server, CONSTRUCT_PERSONS, graph_format, "get")
    assert len(set(graph.subjects(RDF.type, SCHEMA.Person))) == PERSONS
    assert Literal("Mallory O'Hara") in set(graph.objects(None, SCHEMA.name))


@pytest.mark.parametrize("graph_format", GRAPH_FORMATS, ids=[f[2] for f in GRAPH_FORMATS])
def test_describe_in_every_rdf_format(gunicorn_server, graph_format):
    graph = graph_result(gunicorn_server, DESCRIBE_MALLORY, graph_format, "post-direct")
    people = set(graph.subjects(SCHEMA.name, Literal("Mallory O'Hara")))
    assert len(people) == 1
    person = people.pop()
    assert str(person).startswith(gunicorn_server.uri("author/"))
    assert (person, RDF.type, SCHEMA.Person) in graph


@pytest.mark.parametrize("method", METHODS)
def test_percent_sequences_in_a_query_reach_the_engine_unchanged(gunicorn_server, method):
    literal = "%41 %2541 a+b & c=d ; é"
    text = f'SELECT ?x WHERE {{ BIND("{literal}" AS ?x) }}'
    result = wrapper(gunicorn_server, text, JSON, method).queryAndConvert()
    assert result["results"]["bindings"][0]["x"]["value"] == literal


@pytest.mark.parametrize("method", METHODS)
def test_bad_query_raises_query_bad_formed_with_the_parser_message(gunicorn_server, method):
    expected = parser_message(BAD_QUERY)
    assert expected.startswith("error at 1:")
    with pytest.raises(QueryBadFormed) as caught:
        wrapper(gunicorn_server, BAD_QUERY, JSON, method).query()
    assert expected in str(caught.value)


@pytest.mark.parametrize("graph, persons, method", [
    ("source/researcher-profile-leon-bottou", 1, "get"),
    ("source/hostile-records", 2, "post-form"),
    ("source/arrow-author-cluster-leon-bottou", 26, "post-direct"),
])
def test_default_graph_uri_restricts_the_dataset(gunicorn_server, graph, persons, method):
    client = wrapper(gunicorn_server, COUNT_PERSONS, JSON, method)
    client.addDefaultGraph(gunicorn_server.uri(graph))
    assert count_in(client.queryAndConvert(), JSON) == persons
    assert count_in(wrapper(gunicorn_server, COUNT_PERSONS, JSON, method).queryAndConvert(), JSON) == PERSONS


@pytest.mark.parametrize("parameter", ["default-graph-uri", "named-graph-uri"])
def test_dataset_parameters_must_be_absolute_iris(web_client, parameter):
    reply = call(web_client, params={"query": ASK_MALLORY, parameter: "not an iri"},
                 headers={"Accept": SPARQL_JSON})
    assert reply.status == 400
    assert f"{parameter} must be an absolute IRI, not 'not an iri'" in reply.detail()


def persons_per_graph(client: SPARQLWrapper) -> dict[str, int]:
    bindings = client.queryAndConvert()["results"]["bindings"]
    return {row["g"]["value"]: int(row["n"]["value"]) for row in bindings}


def test_named_graph_uri_limits_graph_patterns(gunicorn_server):
    text = PREFIX + "SELECT ?g (COUNT(DISTINCT ?p) AS ?n) WHERE { GRAPH ?g { ?p a schema:Person } } GROUP BY ?g"
    hostile = gunicorn_server.uri("source/hostile-records")
    client = wrapper(gunicorn_server, text, JSON)
    client.addNamedGraph(hostile)
    assert persons_per_graph(client) == {hostile: 2}
    everything = persons_per_graph(wrapper(gunicorn_server, text, JSON))
    assert len(everything) == 3 and everything[hostile] == 2


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparql_store_queries_the_endpoint(gunicorn_server, method):
    store = SPARQLStore(gunicorn_server.uri("sparql"), method=method, returnFormat="xml")
    graph = Graph(store=store)
    rows = list(graph.query(COUNT_WORKS))
    assert int(rows[0][0]) == WORKS
    assert graph.query(ASK_MALLORY).askAnswer is True
    store.close()


# -- plain requests: protocol errors -------------------------------------------------------------


def test_two_query_parameters_are_refused(web_client):
    reply = call(web_client, params=[("query", COUNT_PERSONS), ("query", ASK_MALLORY)],
                 headers={"Accept": SPARQL_JSON})
    assert reply.status == 400
    assert "exactly one query parameter is allowed" in reply.detail()


def test_query_in_both_url_and_body_is_refused(web_client):
    reply = call(web_client, "POST", params={"query": COUNT_PERSONS}, body=form(query=ASK_MALLORY),
                 headers={"Accept": SPARQL_JSON})
    assert reply.status == 400
    assert "query parameter in the URL" in reply.detail()


@pytest.mark.parametrize("body, content_type, message", [
    (form(**{"default-graph-uri": "http://example.org/g"}), "application/x-www-form-urlencoded", "no query parameter"),
    (form(query="  "), "application/x-www-form-urlencoded", "the query is empty"),
    (b"", "application/sparql-query", "the query is empty"),
    (b"SELECT * WHERE { ?s ?p ?o } # \xff", "application/sparql-query", "not valid UTF-8"),
])
def test_post_without_a_usable_query_is_refused(web_client, body, content_type, message):
    reply = call(web_client, "POST", body=body, headers={"Content-Type": content_type, "Accept": SPARQL_JSON})
    assert reply.status == 400
    assert message in reply.detail()


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "multipart/form-data; boundary=x"])
def test_unsupported_post_body_is_415(web_client, content_type):
    reply = call(web_client, "POST", body=COUNT_PERSONS.encode(), headers={"Content-Type": content_type,
                                                                               "Accept": SPARQL_JSON})
    assert reply.status == 415
    assert "application/sparql-query" in reply.detail()


@pytest.mark.parametrize("how", ["post-form", "post-direct"])
def test_query_longer_than_the_limit_is_413(web_client, how):
    limit = web_client.settings.max_query_bytes
    text = "SELECT * WHERE { ?s ?p ?o } #"
    text += "x" * (limit + 1 - len(text))
    if how == "post-form":
        body, content_type = form(query=text), "application/x-www-form-urlencoded"
    else:
        body, content_type = text.encode(), "application/sparql-query"
    reply = call(web_client, "POST", body=body, headers={"Content-Type": content_type, "Accept": SPARQL_JSON})
    assert reply.status == 413
    assert f"the query is {limit + 1} bytes long; at most {limit} bytes are accepted" in reply.detail()


def test_a_query_of_exactly_the_limit_is_accepted(web_client):
    limit = web_client.settings.max_query_bytes
    text = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #"
    text += "x" * (limit - len(text))
    reply = call(web_client, "POST", body=text.encode(), headers={"Content-Type": "application/sparql-query",
                                                                       "Accept": SPARQL_JSON})
    assert reply.status == 200, reply.body[:200]


def test_the_415_message_names_the_body_type_sent(web_client):
    headers = {"Accept": SPARQL_JSON, "Content-Type": "text/plain"}
    reply = call(web_client, "POST", body=COUNT_PERSONS.encode(), headers=headers)
    assert reply.status == 415 and "not text/plain" in reply.detail(), reply.body


@pytest.mark.parametrize("text, accept, offered, not_offered", [
    (CONSTRUCT_PERSONS, SPARQL_JSON, "text/turtle", "application/sparql-results+json"),
    (ASK_MALLORY, "text/turtle", "application/sparql-results+json", "text/turtle"),
], ids=["construct", "ask"])
def test_the_406_message_names_the_formats_of_the_query_form(web_client, text, accept, offered, not_offered):
    reply = query(web_client, text, accept=accept)
    assert reply.status == 406
    detail = reply.body.decode("utf-8").split("is available as", 1)[1]  # the formats the message names
    assert offered in detail and not_offered not in detail, reply.body


def test_body_far_over_the_limit_is_413_before_it_is_read(gunicorn_server):
    body = b"#" * (gunicorn_server.settings.max_query_bytes * 3)
    reply = call(gunicorn_server, "POST", body=body, headers={"Content-Type": "application/sparql-query",
                                                              "Accept": SPARQL_JSON})
    assert reply.status == 413


def test_syntax_error_is_400_with_the_parser_message_and_where_it_is(web_client):
    reply = query(web_client, BAD_QUERY)
    assert reply.status == 400
    message = parser_message(BAD_QUERY)
    assert message.startswith("error at 1:25: ")  # the parser stops past the '}' (the 24th character)
    assert reply.detail() == f"{message}\nline 1, column 25:\n{BAD_QUERY}\n{' ' * 24}^"


TABBED_ERROR = 'PREFIX schema: <https://schema.org/>\r\nSELECT ?n WHERE {\r\n\t?p schema:name "Léon" . BIND(1 AS 2) }'
"""A syntax error on line 3, at the '2': after a tab and 'é' (one character, two bytes), lines ended by CR LF."""


def test_syntax_error_caret_counts_characters_and_keeps_tabs(web_client):
    message = parser_message(TABBED_ERROR)
    assert message.startswith("error at 3:36: ")
    detail = query(web_client, TABBED_ERROR).detail()
    assert detail.splitlines()[-3:] == [
        "line 3, column 36:", '\t?p schema:name "Léon" . BIND(1 AS 2) }', "\t" + " " * 34 + "^"]


# -- plain requests: content negotiation ---------------------------------------------------------


@pytest.mark.parametrize("text, accept, media_type", [
    (COUNT_PERSONS, None, SPARQL_JSON),
    (COUNT_PERSONS, "*/*", SPARQL_JSON),
    (COUNT_PERSONS, "application/json", "application/json"),
    (COUNT_PERSONS, "application/xml", "application/xml"),
    (COUNT_PERSONS, "text/turtle, application/sparql-results+xml;q=0.5", SPARQL_XML),
    (COUNT_PERSONS, "text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    (ASK_MALLORY, "text/csv, */*;q=0.1", SPARQL_JSON),
    (ASK_MALLORY, "text/csv, application/sparql-results+xml;q=0.2", SPARQL_XML),
    (CONSTRUCT_PERSONS, None, "text/turtle"),
    (CONSTRUCT_PERSONS, "*/*", "text/turtle"),
    (CONSTRUCT_PERSONS, "application/sparql-results+json, application/n-triples;q=0.2", "application/n-triples"),
    (DESCRIBE_MALLORY, "text/*", "text/turtle"),
], ids=short_id)
def test_negotiation_picks_an_accepted_type_of_the_right_family(web_client, text, accept, media_type):
    headers = {"Accept": accept} if accept else {}
    reply = call(web_client, params={"query": text}, headers=headers)
    assert reply.status == 200, reply.body
    assert reply.media_type == media_type
    assert "Accept" in reply.headers["Vary"]


@pytest.mark.parametrize("text, accept", [
    (COUNT_PERSONS, "image/png"),
    (ASK_MALLORY, "text/csv"),
    (ASK_MALLORY, "text/tab-separated-values"),
    (CONSTRUCT_PERSONS, "application/sparql-results+json"),
    (COUNT_PERSONS, "text/turtle"),
], ids=short_id)
def test_no_acceptable_format_is_406(web_client, text, accept):
    reply = query(web_client, text, accept=accept)
    assert reply.status == 406
    if reply.media_type == "application/json":
        assert "available" in reply.detail()
    else:  # the error as a comment in the RDF syntax the client asked for
        assert reply.media_type == accept and b"# 406 Not Acceptable: " in reply.body


def test_head_answers_without_a_body(web_client):
    reply = call(web_client, "HEAD", params={"query": COUNT_PERSONS}, headers={"Accept": SPARQL_JSON})
    assert (reply.status, reply.media_type, reply.body) == (200, SPARQL_JSON, b"")
    description = call(web_client, "HEAD", headers={"Accept": "text/turtle"})
    assert (description.status, description.media_type, description.body) == (200, "text/turtle", b"")


@pytest.mark.parametrize("params, accept", [
    ({"query": COUNT_PERSONS}, SPARQL_JSON),
    ({"query": BAD_QUERY}, SPARQL_JSON),
    ({"query": COUNT_PERSONS}, "image/png"),
    (None, "text/turtle"),
    (None, "text/html"),
])
def test_every_answer_varies_on_accept(web_client, params, accept):
    reply = call(web_client, params=params, headers={"Accept": accept})
    assert "Accept" in [v.strip() for v in reply.headers["Vary"].split(",")]


# -- read-only: updates refused, nothing changes -------------------------------------------------


def test_updates_are_refused_and_change_nothing(web_client):
    before = count(web_client, COUNT_TRIPLES)
    attempts = [
        call(web_client, "POST", body=INSERT.encode(), headers={"Content-Type": "application/sparql-update"}),
        call(web_client, params={"update": INSERT}),
        call(web_client, "POST", body=form(update=INSERT)),
        call(web_client, "POST", params={"update": INSERT}, body=form(query=ASK_INSERTED)),
    ]
    for reply in attempts:
        assert reply.status == 403
        assert b"read-only" in reply.body
    assert count(web_client, COUNT_TRIPLES) == before
    assert json.loads(query(web_client, ASK_INSERTED).body)["boolean"] is False


def test_update_sent_as_a_query_is_a_syntax_error(web_client):
    reply = call(web_client, "POST", body=form(query=INSERT), headers={"Accept": SPARQL_JSON})
    assert reply.status == 400
    assert reply.detail().splitlines()[:2] == [parser_message(INSERT), "line 1, column 10:"]
    assert json.loads(query(web_client, ASK_INSERTED).body)["boolean"] is False


# -- no outbound connections ---------------------------------------------------------------------


def test_service_is_refused_without_connecting(web_client, listener):
    text = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}"
    reply = query(web_client, text)
    assert reply.status == 400
    assert "SERVICE" in reply.detail()
    time.sleep(0.3)  # a connection attempt, if any, has had time to arrive
    assert listener.connections == 0


@pytest.mark.parametrize("dataset", ["FROM", "FROM NAMED"])
def test_from_names_a_graph_and_never_fetches_it(web_client, listener, dataset):
    text = f"SELECT * {dataset} <http://127.0.0.1:{listener.port}/x> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    reply = query(web_client, text)
    assert reply.status == 200
    time.sleep(0.3)
    assert listener.connections == 0


def test_from_sets_the_default_graph_of_the_query(web_client):
    hostile = web_client.uri("source/hostile-records")
    assert count(web_client, COUNT_PERSONS.replace("WHERE", f"FROM <{hostile}> WHERE")) == 2


def test_from_named_sets_the_named_graphs_of_the_query(web_client):
    hostile = web_client.uri("source/hostile-records")
    text = PREFIX + (f"SELECT (COUNT(DISTINCT ?p) AS ?n) FROM NAMED <{hostile}>"
                     " WHERE { GRAPH ?g { ?p a schema:Person } }")
    assert count(web_client, text) == 2


# -- limits: time and result size ----------------------------------------------------------------


def test_slow_query_is_stopped_with_503_while_another_clients_queries_still_answer(gunicorn_server):
    """Orderings, not durations: the other client's uncached queries all answer while the slow one
    runs, and the slow one ends with 503 at the limit (timing figures: `make fairness`)."""
    slow: dict = {}
    thread = threading.Thread(target=lambda: slow.update(reply=query(gunicorn_server, CARTESIAN)))
    thread.start()
    answers = []
    for n in range(5):  # from another client address, and new each time so that none is cached
        text = ASK_MALLORY + f" # {n} {time.monotonic_ns()}"
        answers.append(Reply(*sparql_from(gunicorn_server, "127.0.0.3", text)))
    still_running = thread.is_alive()
    thread.join(timeout=30)
    assert [(reply.status, json.loads(reply.body)["boolean"]) for reply in answers] == [(200, True)] * 5
    assert still_running, "the slow query ended before the others answered: the test proves nothing"
    assert slow["reply"].status == 503
    assert "time limit of 2 s" in slow["reply"].detail()
    assert int(slow["reply"].headers["Retry-After"]) >= 1


@pytest.fixture(scope="module")
def restricted(web_sample):
    """The same store behind a second app with a 2,000-byte result cap and hostile example queries;
    its test client (the cap is kg's, in its query processes, not gunicorn's)."""
    with in_process(replace(web_sample, max_result_bytes=2000, queries_dir=HOSTILE_QUERIES)) as app:
        yield app.test_client()


def test_result_over_the_cap_is_422_not_cut(restricted):
    reply = query(restricted, "SELECT * WHERE { ?s ?p ?o }")
    assert reply.status == 422
    assert reply.detail() == "the result is larger than 2000 bytes; narrow the query or add a LIMIT"
    assert count(restricted, COUNT_PERSONS) == PERSONS


# -- CORS ----------------------------------------------------------------------------------------


def test_cors_preflight_allows_posting_queries(web_client):
    reply = call(web_client, "OPTIONS", headers={
        "Origin": "http://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert 200 <= reply.status < 300
    assert reply.headers["Access-Control-Allow-Origin"] in ("*", "http://example.org")
    assert "POST" in reply.headers["Access-Control-Allow-Methods"]
    assert "content-type" in reply.headers["Access-Control-Allow-Headers"].lower()


def test_cors_header_on_answers_and_errors(web_client):
    for params in ({"query": COUNT_PERSONS}, {"query": BAD_QUERY}):
        reply = call(web_client, params=params, headers={"Origin": "http://example.org", "Accept": SPARQL_JSON})
        assert reply.headers["Access-Control-Allow-Origin"] in ("*", "http://example.org")


# -- service description and query page ----------------------------------------------------------


@pytest.mark.parametrize("media_type, rdflib_format", [
    ("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"), ("application/n-triples", "nt"),
])
def test_service_description(web_client, media_type, rdflib_format):
    reply = call(web_client, headers={"Accept": media_type})
    assert (reply.status, reply.media_type) == (200, media_type)
    graph = Graph().parse(data=reply.body.decode("utf-8"), format=rdflib_format)
    service = URIRef(web_client.uri("sparql"))
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert (service, DCTERMS.title, Literal(web_client.settings.title)) in graph
    assert set(graph.objects(service, SD.resultFormat)) == {
        FORMATS.SPARQL_Results_JSON, FORMATS.SPARQL_Results_XML, FORMATS.SPARQL_Results_CSV,
        FORMATS.SPARQL_Results_TSV, FORMATS.Turtle, FORMATS["N-Triples"], FORMATS["JSON-LD"], FORMATS.RDF_XML}
    assert named_graph_sizes(graph)[URIRef(web_client.uri("source/hostile-records"))] > 0


def named_graph_sizes(graph: Graph) -> dict[URIRef, int]:
    sizes = {}
    for named in graph.subjects(RDF.type, SD.NamedGraph):
        described = graph.value(named, SD.graph)
        sizes[graph.value(named, SD.name)] = int(graph.value(described, VOID.triples))
    return sizes


def test_service_description_is_turtle_by_default(web_client):
    for headers in ({}, {"Accept": "*/*"}):
        reply = call(web_client, headers=headers)
        assert (reply.status, reply.media_type) == (200, "text/turtle")
    assert call(web_client, headers={"Accept": "image/png"}).status == 406


class PageParser(HTMLParser):
    """The scripts, example queries (the query of each example's link) and textarea of the query page."""

    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.examples: list[str] = []
        self.in_textarea = False
        self.textarea = ""
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        elif tag == "a" and attributes.get("class") == "example":
            self.examples.append(urllib.parse.parse_qs(urllib.parse.urlsplit(attributes["href"]).query)["query"][0])
        self.in_textarea = tag == "textarea"

    def handle_endtag(self, tag):
        self.in_textarea = False

    def handle_data(self, data):
        self.text += data
        if self.in_textarea:
            self.textarea += data


def query_page(server: Server) -> tuple[Reply, PageParser]:
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    reply = call(server, headers={"Accept": browser_accept})
    assert (reply.status, reply.media_type) == (200, "text/html")
    page = PageParser()
    page.feed(reply.body.decode("utf-8"))
    return reply, page


def test_query_page_lists_the_examples_and_runs_no_inline_script(web_client):
    reply, page = query_page(web_client)
    examples = list_queries(web_client.settings.queries_dir)
    assert examples
    for example in examples:
        assert example.name in page.text and example.summary in page.text
    assert page.examples == [example.text for example in examples]
    assert "SELECT" in page.textarea
    assert {"src": "/static/query.js", "defer": None} in page.scripts
    assert all(script.get("src", "").startswith("/static/") for script in page.scripts)  # none inline
    assert "script-src 'self'" in reply.headers["Content-Security-Policy"]
    script = call(web_client, path="static/query.js")
    assert script.status == 200 and b"textContent" in script.body and b"innerHTML" not in script.body
    assert "style-src 'self'" in reply.headers["Content-Security-Policy"] and "<style" not in reply.body.decode()


def test_query_page_escapes_hostile_examples(restricted):
    reply, page = query_page(restricted)
    body = reply.body.decode("utf-8")
    hostile = list_queries(HOSTILE_QUERIES)
    assert page.examples == [example.text for example in hostile]
    assert "</script><script>alert" not in body
    assert "&lt;/script&gt;&lt;script&gt;alert(" in body
    assert hostile[0].summary in page.text
    assert all(script.get("src", "").startswith("/static/") for script in page.scripts)
