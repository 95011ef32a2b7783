"""WSGI entry point: ``gunicorn server:app``.

Settings come from the environment (``KG_*``). Until the web layer lands (the publishing issue),
the app answers every request with a plain-text summary of the store, so ``make serve`` already
shows that the graph was built.
"""

import os

from kg.config import load_settings
from kg.store import open_store

settings = load_settings(os.environ)


def app(environ, start_response):
    """Answer with the store's generation and quad count (read-only)."""
    store = open_store(settings.store, settings.base_uri)
    _names, rows = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    body = (
        f"kg knowledge graph: {rows[0][0]} quads in {settings.store} (generation {store.state()}).\n"
        "The SPARQL endpoint and linked-data pages are not built yet; use `kg query` meanwhile.\n"
    ).encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response("200 OK", headers)
    return [body]
