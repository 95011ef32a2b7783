"""HTTP for every endpoint: the media types offered, content negotiation, conditional GET, caching.

Negotiation is Werkzeug's Accept parsing with q-values, and never falls back to a format the
client did not accept (:func:`negotiate` raises 406). A generic type that names a format offered
(``application/xml`` for RDF/XML, kg.formats.ALIASES) is accepted for it, unless it is offered
itself (SPARQL XML results are ``application/xml`` too). Conditional GET is Werkzeug's reading of
RFC 9110 (If-None-Match, weakly compared, wins over If-Modified-Since), checked *before* a body
is built, so a 304 costs neither a query nor a rendering (:func:`conditional`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import pyoxigraph as ox
from flask import Response, request
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import NotAcceptable
from werkzeug.http import is_resource_modified, parse_accept_header

from kg import formats
from kg.store.terms import to_oxigraph

HTML = formats.HTML
TURTLE = formats.TURTLE.media_type
JSONLD = formats.JSONLD.media_type
RDFXML = formats.RDFXML.media_type
NTRIPLES = formats.NTRIPLES.media_type

RDF_TYPES = {f.media_type: f for f in formats.PAGE_FORMATS}
"""The RDF syntaxes of a document (resource, VoID), by preference: media type -> kg.formats.Format."""
SUFFIXES = {f.suffix: f.media_type for f in formats.PAGE_FORMATS} | {"html": HTML}
LABELS = {HTML: "HTML", **{f.media_type: f.label for f in formats.PAGE_FORMATS}}
PAGE_CACHE_CONTROL = "public, max-age=60"
"""Of a resource's page: shared caches may keep it a minute, then revalidate (a 304 is cheap)."""


def render_graph(graph: Graph, media_type: str, prefixes: dict[str, str] | None = None,
                 jsonld_context: dict | None = None) -> str:
    """A document's graph in an RDF syntax: pyoxigraph's serialisers for Turtle, N-Triples and
    RDF/XML (about a tenth of rdflib's time for a paper's description), rdflib's for JSON-LD,
    compacted with ``jsonld_context`` (else rdflib's automatic context).

    The triples are sorted (subject, ``rdf:type`` first, predicate, object), so Turtle groups
    each subject's statements and the same graph gives the same bytes. ``prefixes`` (else the
    graph's bindings) are declared where a triple uses their namespace.
    """
    if media_type == JSONLD:
        options = {"context": jsonld_context} if jsonld_context is not None else {"auto_compact": True}
        return graph.serialize(format="json-ld", **options)
    triples = sorted(graph, key=_triple_key)
    table = prefixes if prefixes is not None else {name: str(space) for name, space in graph.namespaces()}
    used = {_namespace_of(str(term)) for triple in triples for term in triple if isinstance(term, URIRef)}
    used |= {_namespace_of(str(o.datatype)) for _s, _p, o in triples if isinstance(o, Literal) and o.datatype}
    declared = {name: space for name, space in table.items() if space in used}
    rdf_format = getattr(ox.RdfFormat, RDF_TYPES[media_type].oxigraph)
    body = ox.serialize([ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in triples],
                        format=rdf_format, prefixes=None if media_type == NTRIPLES else declared)
    return body.decode("utf-8")


def _triple_key(triple) -> tuple:
    subject, predicate, obj = triple
    return (isinstance(subject, BNode), str(subject), predicate != RDF.type, str(predicate), type(obj).__name__,
            str(obj))


def _namespace_of(iri: str) -> str:
    """The IRI up to its last ``/`` or ``#``: what a prefix must be to abbreviate it."""
    return iri[:max(iri.rfind("/"), iri.rfind("#")) + 1]


def negotiate(offered: list[str], accept: str | None = None) -> str:
    """Pick the best of ``offered`` for the request's Accept header, or ``accept`` when given
    (q-values honoured).

    A request without Accept gets the first offered type, as RFC 9110 allows.

    Raises:
        NotAcceptable: nothing offered is acceptable (HTTP 406), naming what is available.
    """
    if accept is None:
        accept = request.headers.get("Accept")
    if not accept:
        return offered[0]
    best = best_match(accept, tuple(offered))
    if best is None:
        raise NotAcceptable(f"none of the accepted types is available here; available: {', '.join(offered)}")
    return best


@lru_cache(maxsize=1024)
def best_match(accept: str, offered: tuple[str, ...]) -> str | None:
    """Werkzeug's choice of ``offered`` for an Accept header, remembered: clients send few distinct ones.

    The aliases of what is offered are offered after it, and answered as the type they name: a
    client that asks for ``application/xml`` only gets RDF/XML, labelled ``application/rdf+xml``.
    """
    aliases = tuple(alias for alias, media in formats.ALIASES.items() if media in offered and alias not in offered)
    best = parse_accept_header(accept, MIMEAccept).best_match(offered + aliases)
    return formats.ALIASES[best] if best in aliases else best


# -- conditional GET -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Validators:
    """An answer's ETag and Last-Modified, both derived from the store state it is read from."""

    etag: str
    modified: datetime | None
    weak: bool = False

    @classmethod
    def of(cls, parts: list[str], modified: float | None, weak: bool = False) -> Validators:
        """The ETag of ``parts`` (state, variant, ...) and Last-Modified from POSIX seconds."""
        etag = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
        return cls(etag, last_modified(modified), weak)

    def fresh(self) -> bool:
        """Whether the client's copy is current, so a 304 answers (RFC 9110 13.1.2 and 13.1.3)."""
        return not is_resource_modified(request.environ, etag=self.etag, last_modified=self.modified)

    def stamp(self, response: Response) -> Response:
        response.set_etag(self.etag, weak=self.weak)
        if self.modified is not None:
            response.last_modified = self.modified
        return response


def last_modified(seconds: float | None) -> datetime | None:
    """Last-Modified of a store publication (POSIX seconds; HTTP dates have whole seconds)."""
    return datetime.fromtimestamp(int(seconds), UTC) if seconds is not None else None


def conditional(validators: Validators, build: Callable[[], Response]) -> Response:
    """304 when the client's copy is current, else ``build()``'s answer; both carry the validators."""
    if validators.fresh():
        response = Response(status=304)
        del response.headers["Content-Type"]  # no body, so no type; the validators say enough
    else:
        response = build()
    return validators.stamp(response)
