"""Link traversal by a real client: Comunica (npm `@comunica/query-sparql-link-traversal`, pinned in
tests/comunica/package-lock.json; `make test` installs it with `npm ci --prefix tests/comunica`).

Starting from an author's URI, with Comunica's default settings (no --lenient, so any refused
document fails the query), on a cold server with kg's default settings: Comunica fetches about
ten documents at once, which until issue 15 got 429 from the per-client share of descriptions.
The query needs what only the linked documents hold (each work's abstract is in the work's
document, each co-author's foaf:name in the co-author's), and its rows must equal the SPARQL
endpoint's answer over the whole graph.
"""

from __future__ import annotations

import json
import subprocess

from rdflib import Graph

from conftest import ROOT, SAMPLE, free_port, make_settings, serving, sparql_from
from kg.pipeline import ingest

COMUNICA = ROOT / "tests" / "comunica" / "node_modules" / ".bin" / "comunica-sparql-link-traversal"

QUERY = """PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX schema: <https://schema.org/>
SELECT DISTINCT ?work ?abstract ?coauthor ?name WHERE {
  <%(author)s> foaf:made ?work .
  ?work schema:abstract ?abstract ;
        schema:author ?coauthor .
  ?coauthor foaf:name ?name .
}"""


def rows(results: dict) -> list[tuple]:
    """SPARQL JSON results as sorted rows of (variable, term type, value), comparable across engines."""
    return sorted(tuple(sorted((name, term["type"], term["value"]) for name, term in binding.items()))
                  for binding in results["results"]["bindings"])


def test_comunica_traverses_from_an_author_on_a_cold_server_and_answers_as_the_endpoint(tmp_path):
    assert COMUNICA.exists(), "Comunica is not installed: run `npm ci --prefix tests/comunica` (make test does)"
    port = free_port()
    settings = make_settings(tmp_path / "store", base_uri=f"http://127.0.0.1:{port}/")
    ingest(SAMPLE, settings)
    with serving(settings, port) as server:  # kg's defaults: 2 workers, a share of 2 per client
        author = server.uri("author/leon-bottou")
        query = QUERY % {"author": author}
        traversal = subprocess.run([str(COMUNICA), author, query, "-t", "application/sparql-results+json"],
                                   capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert traversal.returncode == 0, traversal.stderr[-2000:]
        status, _headers, body = sparql_from(server, "127.0.0.9", query)
        assert status == 200
        author_document = Graph().parse(author + ".ttl", format="turtle")

    traversed, expected = rows(json.loads(traversal.stdout)), rows(json.loads(body))
    assert len(expected) >= 40  # 14 works with their abstracts, and their authors
    assert traversed == expected
    # what the author's own document holds does not answer it: the linked documents did
    assert not list(author_document.query(query))
