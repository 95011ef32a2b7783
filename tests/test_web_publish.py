"""A publish (a new generation) as readers see it: no stale 304, and no page read from two graphs.

* A client holding an ETag or a Last-Modified from before an ingest gets 200 and the new
  representation afterwards, for resource pages, the dump listing and files, the home page and
  VoID; and 304 again for the new validators. ``created`` is pinned here (SOURCE_DATE_EPOCH), so
  only the generation can tell the two builds apart.
* A pinned view (what a resource page is built from) keeps reading its generation while an
  ingest publishes the next one.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime

import pytest

from conftest import SAMPLE, http_fetch, make_settings, serving
from kg.pipeline import ingest
from kg.store import open_configured_store

NEW_PAPER = {"type": "paper", "title": "Reliable stores, part 1", "authors": ["Léon Bottou", "Ada Mirza"],
             "year": 2025, "venue": "Workshop on Crash Safety", "venue_kind": "workshop"}
TARGETS = [  # (path, Accept)
    ("author/leon-bottou", "text/html"),
    ("author/leon-bottou", "text/turtle"),
    ("author/leon-bottou.jsonld", None),
    ("dumps/", "application/json"),
    ("dumps/", "text/html"),
    ("", "text/html"),
    ("void", "text/turtle"),
    (".well-known/void", "text/html"),
]
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def batch(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps(NEW_PAPER) + "\n", encoding="utf-8")
    return path


def dump_files(url: str) -> list[str]:
    status, _headers, body = http_fetch(url + "dumps/", "application/json")
    assert status == 200
    return ["dumps/" + entry["name"] for entry in json.loads(body)["files"]]


@pytest.fixture
def published(tmp_path):
    """A server on the sample; yields (server, publish), where publish() ingests one more paper."""
    settings = make_settings(tmp_path / "store", base_uri="http://127.0.0.1:5000/")
    ingest(SAMPLE, settings)
    with serving(settings) as server:
        yield server, lambda: ingest([batch(tmp_path)], settings)


def test_no_stale_304_after_a_new_generation(published):
    server, publish = published
    targets = TARGETS + [(name, None) for name in dump_files(server.url)]
    before = {}
    for path, accept in targets:
        status, headers, body = http_fetch(server.uri(path), accept)
        assert status == 200, (path, accept, status)
        assert headers.get("ETag") and headers.get("Last-Modified"), (path, headers)
        assert http_fetch(server.uri(path), accept, If_None_Match=headers["ETag"])[0] == 304, path
        before[path, accept] = headers, body
    time.sleep(1.1)  # Last-Modified counts whole seconds: the new generation is published a second later
    publish()
    for (path, accept), (old, old_body) in before.items():
        status, headers, body = http_fetch(server.uri(path), accept, If_None_Match=old["ETag"])
        assert status == 200, f"{path} ({accept}): {status} for an ETag of the previous generation"
        assert headers["ETag"] != old["ETag"] and body != old_body, (path, accept)
        status, _headers, _body = http_fetch(server.uri(path), accept, If_Modified_Since=old["Last-Modified"])
        assert status == 200, f"{path} ({accept}): {status} for a Last-Modified of the previous generation"
        assert parsedate_to_datetime(headers["Last-Modified"]) > parsedate_to_datetime(old["Last-Modified"])
        assert http_fetch(server.uri(path), accept, If_None_Match=headers["ETag"])[0] == 304, path
    status, _headers, page = http_fetch(server.uri("author/leon-bottou"), "text/html")
    assert status == 200 and "Reliable stores, part 1" in page.decode("utf-8")


def test_a_pinned_view_reads_one_generation_across_a_publish(tmp_path):
    settings = make_settings(tmp_path / "store")
    ingest(SAMPLE, settings)
    store = open_configured_store(settings)
    view = store.view()
    state, count = view.state(), view.select(COUNT)[1]
    ingest([batch(tmp_path)], settings)  # publishes the next generation while the view is open
    assert store.state() != state and store.view().select(COUNT)[1] != count  # the store moved on
    assert (view.state(), view.select(COUNT)[1]) == (state, count)  # the view did not
