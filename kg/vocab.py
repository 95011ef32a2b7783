"""Namespace constants, nothing else. Our own terms live under ``{base}ontology#``."""

from rdflib import Namespace
from rdflib.namespace import OWL, PROV, RDF, RDFS, XSD

SCHEMA = Namespace("https://schema.org/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
FABIO = Namespace("http://purl.org/spar/fabio/")
PAV = Namespace("http://purl.org/pav/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
VOID = Namespace("http://rdfs.org/ns/void#")
SH = Namespace("http://www.w3.org/ns/shacl#")

# Our own namespace depends on the configured base. ontology/*.ttl and shapes/*.ttl declare
# ``@prefix kg: <ontology#> .`` and are parsed with ``publicID=base_uri``, so the relative
# prefix resolves to ``{base}ontology#`` whatever the base is.


def kg_namespace(base_uri: str) -> Namespace:
    """Return our vocabulary's namespace for a base URI (``{base}ontology#``)."""
    return Namespace(f"{base_uri}ontology#")


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
