"""Every namespace kg writes or reads, and the prefix tables built from them: one home for both.

Our own terms live under ``{base}ontology#``: ontology/*.ttl and shapes/*.ttl declare
``@prefix kg: <ontology#> .`` and are parsed with ``publicID=base_uri``, so the relative prefix
resolves to ``{base}ontology#`` whatever the base is.
"""

from __future__ import annotations

from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, OWL, PROV, RDF, RDFS, XSD

from kg.uris import URI_SPACES

NAMESPACES = {
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "bibo": "http://purl.org/ontology/bibo/",
    "fabio": "http://purl.org/spar/fabio/",
    "pav": "http://purl.org/pav/",
    "dcterms": "http://purl.org/dc/terms/",
    "void": "http://rdfs.org/ns/void#",
    "sh": "http://www.w3.org/ns/shacl#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "formats": "http://www.w3.org/ns/formats/",
    "spdx": "http://spdx.org/rdf/terms#",
}
"""The namespaces kg names terms in, by their usual prefixes (rdflib's own: OWL, PROV, RDF, RDFS, XSD, DCAT)."""
SCHEMA, FOAF, BIBO, FABIO, PAV, DCTERMS, VOID, SH, HYDRA, SD, FORMATS, SPDX = map(Namespace, NAMESPACES.values())

_ALL = {**NAMESPACES, **{name: str(ns) for name, ns in
                         (("prov", PROV), ("owl", OWL), ("rdf", RDF), ("rdfs", RDFS), ("xsd", XSD), ("dcat", DCAT))}}
PREFIXES = {name: _ALL[name] for name in
            ("schema", "foaf", "bibo", "fabio", "prov", "pav", "dcterms", "owl", "rdf", "rdfs", "xsd")}
"""The vocabularies of the published graph, by their usual prefixes (in the dumps' order)."""
MORE_PREFIXES = {name: _ALL[name] for name in ("void", "dcat", "spdx", "sd", "formats", "hydra", "sh")}
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
