"""Answers kept per store state (kg.web.cache): repeated requests are served from memory, and a new
generation is seen by every worker at once, never an answer of the graph before it."""

import json
import shutil
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from conftest import HOSTILE, SAMPLE, free_port, http_fetch, make_settings, serving
from kg.pipeline import ingest
from kg.web.cache import StateCache

AUTHOR_TTL = "author/leon-bottou.ttl"
WORKS = ("SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w <https://schema.org/author> "
         "?a . ?a <https://schema.org/name> \"Léon Bottou\" }")


def test_state_cache_drops_everything_when_the_state_changes():
    cache = StateCache(max_bytes=800)
    cache.put("g1", "a", "answer a", 10)
    assert cache.get("g1", "a") == "answer a"
    assert cache.get("g2", "a") is None
    assert cache.get("g1", "a") is None  # not brought back by the old state either


def test_state_cache_keeps_at_most_its_budget():
    cache = StateCache(max_bytes=800)
    cache.put("g1", "big", "x", 101)  # over an eighth of the budget
    assert cache.get("g1", "big") is None
    for n in range(20):
        cache.put("g1", n, str(n), 100)
    kept = [n for n in range(20) if cache.get("g1", n) is not None]
    assert kept == list(range(12, 20))  # the eight most recent


def count(base: str, query: str) -> int:
    """The one number a SELECT of one COUNT answers, over HTTP."""
    url = f"{base}sparql?query={urllib.parse.quote(query)}"
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.loads(response.read())["results"]["bindings"][0]["n"]["value"])


def works_of_bottou(base: str) -> int:
    return count(base, WORKS)


def persons(base: str) -> int:
    return count(base, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://schema.org/Person> }")


@pytest.fixture
def server_on_sample(tmp_path):
    def start(cache_bytes: str):
        port = free_port()
        settings = make_settings(tmp_path / f"store-{cache_bytes}", base_uri=f"http://127.0.0.1:{port}/")
        ingest(SAMPLE, settings)
        running.enter_context(serving(settings, port, {"KG_CACHE_BYTES": cache_bytes}))
        return settings

    with ExitStack() as running:
        yield start
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_new_generation_replaces_every_cached_answer_in_every_worker(server_on_sample):
    settings = server_on_sample("67108864")
    base = settings.base_uri
    before = {works_of_bottou(base) for _ in range(8)}  # both workers, answered then kept
    page_before = {http_fetch(base + AUTHOR_TTL)[2] for _ in range(8)}
    assert len(before) == 1 and len(page_before) == 1 and persons(base) == 26
    assert b"Mallory" not in next(iter(page_before))

    ingest([HOSTILE], settings)  # a paper by Mallory O'Hara and Léon Bottou
    deadline = time.monotonic() + 10
    while works_of_bottou(base) == next(iter(before)) and time.monotonic() < deadline:
        time.sleep(0.05)
    # the store's state is read on every request: once one answer is new, all of them are
    after = [works_of_bottou(base) for _ in range(16)]
    assert after == [next(iter(before)) + 1] * 16
    assert all(b"Mallory" in http_fetch(base + AUTHOR_TTL)[2] for _ in range(8))
    # without a restart, the new person is served too (26 persons in the sample, 27 with Mallory)
    assert persons(base) == 27
    status, _headers, body = http_fetch(base + "author/mallory-o-hara.ttl")
    assert status == 200 and b"Mallory" in body


def test_answers_are_the_same_with_and_without_the_cache(server_on_sample):
    cached, uncached = server_on_sample("67108864"), server_on_sample("0")
    paths = {AUTHOR_TTL: "turtle", "author/leon-bottou.jsonld": "json-ld", "author/leon-bottou": None,
             f"sparql?query={urllib.parse.quote(WORKS)}": None}
    for path, rdf_format in paths.items():
        for _ in range(3):  # the second and third come from the cache where there is one
            code_a, headers_a, body_a = http_fetch(cached.base_uri + path)
            code_b, headers_b, body_b = http_fetch(uncached.base_uri + path)
            assert (code_a, headers_a.get_content_type()) == (code_b, headers_b.get_content_type()) == (
                200, headers_a.get_content_type())
            a, b = body_a.replace(cached.base_uri.encode(), b"/"), body_b.replace(uncached.base_uri.encode(), b"/")
            if rdf_format:  # rdflib's serialisers order statements by hash, which differs between processes
                assert isomorphic(Graph().parse(data=a, format=rdf_format, publicID="http://x/"),
                                  Graph().parse(data=b, format=rdf_format, publicID="http://x/"))
            else:
                assert a == b
