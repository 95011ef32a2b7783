"""Content negotiation: one table of media types, Werkzeug's Accept parsing with q-values.

Never falls back to a format the client did not accept: :func:`negotiate` raises 406 instead.
"""

from __future__ import annotations

from functools import lru_cache

from flask import request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import NotAcceptable
from werkzeug.http import parse_accept_header

HTML = "text/html"
TURTLE = "text/turtle"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
NTRIPLES = "application/n-triples"

# media type -> (runner/rdflib format name, plain-URL suffix)
RDF_TYPES = {
    TURTLE: ("turtle", "ttl"),
    JSONLD: ("jsonld", "jsonld"),
    RDFXML: ("rdfxml", "rdf"),
    NTRIPLES: ("ntriples", "nt"),
}
RDFLIB_FORMATS = {"turtle": "turtle", "jsonld": "json-ld", "rdfxml": "xml", "ntriples": "nt"}
SUFFIXES = {suffix: media for media, (_name, suffix) in RDF_TYPES.items()} | {"html": HTML}


def negotiate(offered: list[str]) -> str:
    """Pick the best of ``offered`` for the request's Accept header (q-values honoured).

    A request without Accept gets the first offered type, as RFC 9110 allows.

    Raises:
        NotAcceptable: nothing offered is acceptable (HTTP 406), naming what is available.
    """
    accept = request.headers.get("Accept")
    if not accept:
        return offered[0]
    best = best_match(accept, tuple(offered))
    if best is None:
        raise NotAcceptable(f"none of the accepted types is available here; available: {', '.join(offered)}")
    return best


@lru_cache(maxsize=1024)
def best_match(accept: str, offered: tuple[str, ...]) -> str | None:
    """Werkzeug's choice of ``offered`` for an Accept header, remembered: clients send few distinct ones."""
    return parse_accept_header(accept, MIMEAccept).best_match(offered)
