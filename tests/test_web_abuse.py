"""Abuse of the public endpoint: runaway queries, oversized requests, header injection.

Every case runs against the real gunicorn (local and remote store); each runaway query must end
at the time limit (2 s here) with a clear 503, or answer, and leave the worker free: a cheap query
right after it answers at once.
"""

import http.client
import json
import time
import urllib.parse
from urllib.parse import urlsplit

import pytest

from conftest import http_fetch

CHEAP = "ASK { ?s a <https://schema.org/Person> }"
RUNAWAY = {
    "cartesian product": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
    "property path over everything": "SELECT (COUNT(*) AS ?n) WHERE { ?s (<urn:x:p>|!<urn:x:p>)* ?o . ?o ?p ?q }",
    "negated path closure": "SELECT ?s ?o WHERE { ?s (!<urn:x:none>)+ ?o } ORDER BY ?o ?s LIMIT 1",
    "catastrophic regex": ('SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?x . '
                           'FILTER(REGEX(CONCAT(STR(?c), STR(?x), "!"), "^(([a-z])+.)+[A-Z]([a-z])+$")) }'),
    "string explosion": ('SELECT (STRLEN(GROUP_CONCAT(CONCAT(STR(?a), STR(?c), STR(?x)))) AS ?n) '
                         'WHERE { ?a ?b ?c . ?d ?e ?x }'),
}


def sparql(server, query: str) -> tuple[int, dict, bytes]:
    return http_fetch(server.url + "sparql?query=" + urllib.parse.quote(query), "application/sparql-results+json")


@pytest.mark.parametrize("query", RUNAWAY.values(), ids=RUNAWAY.keys())
def test_runaway_queries_stop_at_the_time_limit_and_free_the_worker(gunicorn_server, query):
    status, headers, body = sparql(gunicorn_server, query)
    assert status in (200, 503), body[:300]
    if status == 503:
        assert "time limit of 2 s" in json.loads(body)["error"]["detail"]
        assert int(headers["Retry-After"]) >= 1
    # the same client at once: its share is free again, and the query is new, so not from the cache
    status, _headers, body = sparql(gunicorn_server, f"{CHEAP} # after {time.monotonic_ns()}")
    assert status == 200 and json.loads(body)["boolean"] is True


def raw_request(server, method: str, target: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
    """A request http.client sends as given (oversized lines and headers included)."""
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_huge_header_is_431(gunicorn_server):
    status, _headers, _body = raw_request(gunicorn_server, "GET", "/", {"X-Padding": "a" * 20_000})
    assert status == 431


def test_too_many_headers_is_431(gunicorn_server):
    status, _headers, _body = raw_request(gunicorn_server, "GET", "/", {f"X-H{n}": "1" for n in range(150)})
    assert status == 431


def test_a_huge_request_line_is_414(gunicorn_server):
    status, _headers, _body = raw_request(gunicorn_server, "GET", "/sparql?query=" + "a" * 20_000, {})
    assert status == 414


INJECTIONS = [
    "/author/leon-bottou%0d%0aSet-Cookie:%20owned=1",
    "/author/leon-bottou.ttl%0d%0aX-Injected:%201",
    "/paper/x%0aLocation:%20http://evil.example/",
    "/author/l%C3%A9on-bottou",
    "/author/%E2%80%AEuottob-noel",  # right-to-left override
    "/author/leon%00bottou",
    "/author/leon-bottou.ttl%2f..%2f..%2fetc%2fpasswd",
    "/author/..%2f..%2fpyproject.toml",
    "/dumps/..%2fgenerations",
    "/author/leon-bottou.%E2%80%8Bttl",  # zero-width space in the suffix
]


@pytest.mark.parametrize("path", INJECTIONS)
def test_odd_slugs_and_suffixes_are_404_and_inject_no_header(gunicorn_server, path):
    status, headers, body = raw_request(gunicorn_server, "GET", path, {"Accept": "application/json"})
    assert status == 404
    assert "Set-Cookie" not in headers and "X-Injected" not in headers
    assert "evil.example" not in headers.get("Location", "")
    text = body.decode("utf-8")
    assert "Traceback" not in text and "/work/" not in text and str(gunicorn_server.settings.store) not in text


UPDATES = {
    "INSERT DATA": "INSERT DATA { <urn:x:s> <urn:x:p> <urn:x:o> }",
    "DELETE WHERE": "DELETE WHERE { ?s ?p ?o }",
    "CLEAR ALL": "CLEAR ALL",
    "DROP ALL": "DROP ALL",
    "LOAD": "LOAD <http://127.0.0.1:{port}/data.ttl>",
    "CREATE GRAPH": "CREATE GRAPH <urn:x:g>",
}
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def quad_count(server) -> int:
    status, _headers, body = sparql(server, COUNT)
    assert status == 200
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("operation", UPDATES.values(), ids=UPDATES.keys())
def test_every_update_by_every_route_is_403_and_changes_nothing(gunicorn_server, listener, operation):
    text = operation.replace("{port}", str(listener.port))
    before = quad_count(gunicorn_server)
    routes = [
        ("POST", "sparql", text.encode(), "application/sparql-update"),
        ("GET", "sparql?update=" + urllib.parse.quote(text), None, None),
        ("POST", "sparql", urllib.parse.urlencode({"update": text}).encode(), "application/x-www-form-urlencoded"),
        ("POST", "sparql?update=" + urllib.parse.quote(text), b"query=ASK%7B%7D", "application/x-www-form-urlencoded"),
    ]
    for method, path, body, content_type in routes:
        headers = {"Content-Type": content_type} if content_type else {}
        status, _headers, reply = http_fetch(gunicorn_server.url + path, "application/json", method, body, **headers)
        assert status == 403, (method, path, reply[:200])
        assert "read-only" in json.loads(reply)["error"]["detail"]
    # sent as a query instead, an update is a syntax error, never run
    status, _headers, _body = sparql(gunicorn_server, text)
    assert status == 400
    time.sleep(0.2)  # a LOAD, had it run, would have connected by now
    assert listener.connections == 0
    assert quad_count(gunicorn_server) == before
