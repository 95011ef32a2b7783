"""Fairness: a client flooding expensive queries gets 429 + Retry-After (kg.web.fairness), while
cheap requests from another client keep their latency. Clients are told apart by their loopback
source address (127.0.0.2 floods, 127.0.0.3 asks cheap questions)."""

import http.client
import shutil
import statistics
import threading
import time
import urllib.parse
from contextlib import contextmanager

import pytest

from conftest import SAMPLE, free_port, make_settings, serving
from kg.pipeline import ingest

FLOOD = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # runs into the time limit
WINDOW_S = 6.0
FLOODERS = 8


def ask(port: int, source: str, query: str) -> tuple[int, dict, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    started = time.perf_counter()
    try:
        connection.request("GET", "/sparql?query=" + urllib.parse.quote(query),
                           headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders()), time.perf_counter() - started
    finally:
        connection.close()


@contextmanager
def serve_sample(directory, **env):
    port = free_port()
    settings = make_settings(directory / "store", base_uri=f"http://127.0.0.1:{port}/")
    ingest(SAMPLE, settings)
    try:
        with serving(settings, port, {"KG_QUERY_TIMEOUT": "2", "KG_CLIENT_CONCURRENCY": "1", **env}):
            yield port
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def server(tmp_path):
    with serve_sample(tmp_path) as port:
        yield port


def test_a_flooding_client_gets_429_and_others_keep_their_latency(server):
    port = server
    deadline = time.monotonic() + WINDOW_S
    flood: list[tuple[int, dict, float]] = []

    def flooder():
        while time.monotonic() < deadline:  # bounded: stops at the end of the window
            flood.append(ask(port, "127.0.0.2", FLOOD))

    threads = [threading.Thread(target=flooder) for _ in range(FLOODERS)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the flood is on
    cheap, n = [], 0
    while time.monotonic() < deadline - 0.5:
        n += 1  # a different query each time, so none is answered from the cache
        cheap.append(ask(port, "127.0.0.3", f"SELECT ?s WHERE {{ ?s a <https://schema.org/Person> }} LIMIT {n}"))
    for thread in threads:
        thread.join(timeout=30)

    refused = [headers for status, headers, _ in flood if status == 429]
    assert refused, f"the flooder was never refused: {sorted({s for s, _, _ in flood})}"
    assert all(int(headers["Retry-After"]) >= 1 for headers in refused)
    assert {status for status, _, _ in flood} <= {429, 503}  # refused, or stopped at the time limit
    assert [status for status, _, _ in cheap] == [200] * len(cheap) and len(cheap) >= 5
    # without the budget the flood holds every worker thread and a cheap query waits ~2 s for one
    assert statistics.median(seconds for _, _, seconds in cheap) < 0.5


def test_answers_from_the_cache_are_never_refused(tmp_path):
    cheap = "SELECT ?s WHERE { ?s a <https://schema.org/Person> } LIMIT 3"
    with serve_sample(tmp_path, KG_WEB_WORKERS="1") as port:  # one worker, so one cache
        assert ask(port, "127.0.0.4", cheap)[0] == 200  # computed once, then kept
        results = []

        def client():
            results.extend(ask(port, "127.0.0.4", cheap)[0] for _ in range(10))

        threads = [threading.Thread(target=client) for _ in range(4)]  # the worker's 4 threads
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert results == [200] * 40  # over the client's budget of 1, yet never refused
