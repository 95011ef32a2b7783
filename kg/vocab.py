"""Every namespace kg writes or reads, and the prefix tables built from them: one home for both.

Our own terms live under ``{base}ontology#``: ontology/*.ttl and shapes/*.ttl declare
``@prefix kg: <ontology#> .`` and are parsed with ``publicID=base_uri``, so the relative prefix
resolves to ``{base}ontology#`` whatever the base is.
"""

from __future__ import annotations

from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, OWL, PROV, RDF, RDFS, XSD

from kg.uris import URI_SPACES

SCHEMA = Namespace("https://schema.org/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
FABIO = Namespace("http://purl.org/spar/fabio/")
PAV = Namespace("http://purl.org/pav/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
VOID = Namespace("http://rdfs.org/ns/void#")
SH = Namespace("http://www.w3.org/ns/shacl#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
SPDX = Namespace("http://spdx.org/rdf/terms#")

PREFIXES = {
    "schema": str(SCHEMA),
    "foaf": str(FOAF),
    "bibo": str(BIBO),
    "fabio": str(FABIO),
    "prov": str(PROV),
    "pav": str(PAV),
    "dcterms": str(DCTERMS),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
}
"""The vocabularies of the published graph, by their usual prefixes."""

MORE_PREFIXES = {"void": str(VOID), "dcat": str(DCAT), "spdx": str(SPDX), "sd": str(SD), "formats": str(FORMATS),
                 "hydra": str(HYDRA), "sh": str(SH)}
"""Vocabularies of the documents about the graph (VoID, service description, paging, SHACL reports)."""


def kg_namespace(base_uri: str) -> Namespace:
    """Return our vocabulary's namespace for a base URI (``{base}ontology#``)."""
    return Namespace(f"{base_uri}ontology#")


def prefixes(base_uri: str, *more: str) -> dict[str, str]:
    """The graph's prefixes and ``kg``, then the named ones of :data:`MORE_PREFIXES`, in that order."""
    return {**PREFIXES, "kg": str(kg_namespace(base_uri)), **{name: MORE_PREFIXES[name] for name in more}}


def dump_prefixes(base_uri: str) -> dict[str, str]:
    """The prefixes of the Turtle and TriG dumps: the vocabularies, ours, and our URI spaces."""
    return {**prefixes(base_uri), **{space: f"{base_uri}{space}/" for space in URI_SPACES}}


def bind_prefixes(graph: Graph, table: dict[str, str]) -> Graph:
    """Bind a prefix table on an rdflib graph, replacing rdflib's own bindings of those prefixes."""
    for prefix, namespace in table.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph
