"""Every serialisation kg reads or writes: one table of names, media types, suffixes and engines.

The store serialises with pyoxigraph (``oxigraph``: an ``RdfFormat`` or ``QueryResultsFormat``
attribute), the web layer renders some pages with rdflib (``rdflib``) and negotiates by media
type; the W3C format IRIs (http://www.w3.org/ns/formats/) describe them in the service
description and VoID. A format added here is offered wherever its kind is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str  # kg's name for it: CLI choices, runner requests
    media_type: str
    label: str  # for people
    oxigraph: str  # pyoxigraph's RdfFormat (graphs) or QueryResultsFormat (results) attribute
    kind: str  # "graph" (RDF) or "results" (SPARQL query results)
    suffix: str | None = None  # of a resource's plain URL (``/author/x.ttl``)
    rdflib: str | None = None  # rdflib's format name, where the web renders with rdflib
    keeps_graphs: bool = False  # holds named graphs
    w3c: str | None = None  # local name under http://www.w3.org/ns/formats/
    aliases: tuple[str, ...] = ()  # other media types a client may ask for it by; answered as media_type


TURTLE = Format("turtle", "text/turtle", "Turtle", "TURTLE", "graph", "ttl", "turtle", w3c="Turtle")
NTRIPLES = Format("ntriples", "application/n-triples", "N-Triples", "N_TRIPLES", "graph", "nt", "nt", w3c="N-Triples")
JSONLD = Format("jsonld", "application/ld+json", "JSON-LD", "JSON_LD", "graph", "jsonld", "json-ld", True, "JSON-LD")
RDFXML = Format("rdfxml", "application/rdf+xml", "RDF/XML", "RDF_XML", "graph", "rdf", "xml", w3c="RDF_XML",
                aliases=("application/xml",))  # RFC 3870: RDF/XML is XML, and some clients ask for it so
NQUADS = Format("nquads", "application/n-quads", "N-Quads", "N_QUADS", "graph", keeps_graphs=True, w3c="N-Quads")
TRIG = Format("trig", "application/trig", "TriG", "TRIG", "graph", keeps_graphs=True, w3c="TriG")
RESULTS_JSON = Format("json", "application/sparql-results+json", "SPARQL JSON", "JSON", "results",
                      w3c="SPARQL_Results_JSON")
RESULTS_XML = Format("xml", "application/sparql-results+xml", "SPARQL XML", "XML", "results", w3c="SPARQL_Results_XML")
RESULTS_CSV = Format("csv", "text/csv", "CSV", "CSV", "results", w3c="SPARQL_Results_CSV")
RESULTS_TSV = Format("tsv", "text/tab-separated-values", "TSV", "TSV", "results", w3c="SPARQL_Results_TSV")

GRAPH_FORMATS = {f.name: f for f in (TURTLE, NTRIPLES, JSONLD, RDFXML, NQUADS, TRIG)}
RESULT_FORMATS = {f.name: f for f in (RESULTS_JSON, RESULTS_XML, RESULTS_CSV, RESULTS_TSV)}
DUMP_FORMATS = {name: GRAPH_FORMATS[name] for name in ("turtle", "ntriples", "nquads", "trig", "jsonld")}
"""What ``kg dump`` writes: the formats pyoxigraph streams (RDF/XML is offered per resource only)."""
PAGE_FORMATS = (TURTLE, JSONLD, RDFXML, NTRIPLES)
"""What a resource page, the VoID document and CONSTRUCT answers are offered in, by preference."""
BY_MEDIA_TYPE = {f.media_type: f for f in (*GRAPH_FORMATS.values(), *RESULT_FORMATS.values())}
ALIASES = {alias: f.media_type for f in GRAPH_FORMATS.values() for alias in f.aliases}
"""A generic media type -> the graph format's own (``application/xml`` -> ``application/rdf+xml``)."""

HTML = "text/html"
JSON = "application/json"
GZIP = "application/gzip"
TEXT = "text/plain"
