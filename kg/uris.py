"""Every URI kg mints, and the reverse: which entity a URI under the base names.

README "URIs": authors ``{base}author/{slug}``, papers ``{base}paper/{slug}``, versions
``{base}paper/{slug}/{version}``, venues ``{base}venue/{slug}``, sources ``{base}source/{slug}``.
The web routes use :data:`URI_SPACES` and :func:`parse_uri`, so every minted URI dereferences.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from rdflib import URIRef

URI_SPACES = ("author", "paper", "venue", "source")
SLUG_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_PATH = re.compile(rf"^(?P<space>{'|'.join(URI_SPACES)})/(?P<slug>{SLUG_PATTERN})(?:/(?P<sub>{SLUG_PATTERN}))?$")


def mint_author_uri(base: str, slug: str) -> URIRef:
    return URIRef(f"{base}author/{slug}")


def mint_paper_uri(base: str, slug: str) -> URIRef:
    return URIRef(f"{base}paper/{slug}")


def mint_version_uri(base: str, work_slug: str, version_slug: str) -> URIRef:
    return URIRef(f"{base}paper/{work_slug}/{version_slug}")


def mint_venue_uri(base: str, slug: str) -> URIRef:
    return URIRef(f"{base}venue/{slug}")


def mint_source_uri(base: str, slug: str) -> URIRef:
    return URIRef(f"{base}source/{slug}")


def identity_graph_uri(base: str) -> URIRef:
    """The named graph of identity links, display names and identity keys."""
    return URIRef(f"{base}graph/identity")


def curation_graph_uri(base: str) -> URIRef:
    """The named graph of curations: people's word on what is and is not one entity."""
    return URIRef(f"{base}graph/curation")


def mention_uri(base: str, source_slug: str, fragment: str) -> URIRef:
    """A mention: what one source says of one person or paper (``{base}source/{slug}#w3``)."""
    return URIRef(f"{base}source/{source_slug}#{fragment}")


def identifier_node_uri(base: str, source_slug: str, identifier: str) -> URIRef:
    """A ``schema:PropertyValue`` node for an external identifier (``doi:10.…``) as one source states
    it: a fragment of the source document (``{base}source/{slug}#id-…``), so it dereferences to the
    page that states it; the fragment is a digest, as DOIs hold characters a fragment cannot."""
    return URIRef(f"{base}source/{source_slug}#{identifier_fragment(identifier)}")


def identifier_fragment(identifier: str) -> str:
    return "id-" + hashlib.sha256(identifier.encode()).hexdigest()[:16]


def inferred_graph_uri(base: str) -> URIRef:
    """The named graph of triples materialised from the ontology's alignments."""
    return URIRef(f"{base}graph/inferred")


GRAPH_NAMES = ("identity", "inferred", "curation")
"""The named graphs kg keeps besides one per source document (``{base}graph/{name}``)."""


def graph_uri(base: str, name: str) -> URIRef:
    """``{base}graph/{name}``: one of :data:`GRAPH_NAMES` (the identity, inferred, curation graphs)."""
    return URIRef(f"{base}graph/{name}")


def graph_kind(base: str, graph: str) -> str | None:
    """What a named graph's IRI is: one of :data:`GRAPH_NAMES`, ``source`` (a source document's
    graph is named by the source's URI), or None when it is not one kg mints."""
    for name in GRAPH_NAMES:
        if graph == str(graph_uri(base, name)):
            return name
    parsed = parse_uri(base, graph)
    return "source" if parsed is not None and parsed.space == "source" and parsed.sub is None else None


@dataclass(frozen=True)
class ParsedUri:
    space: str  # one of URI_SPACES
    slug: str
    sub: str | None  # a version slug under a paper


def parse_uri(base: str, uri: str) -> ParsedUri | None:
    """Return which entity a URI names, or None when it is not one of ours."""
    if not uri.startswith(base):
        return None
    match = _PATH.match(uri[len(base):])
    if not match or (match["sub"] and match["space"] != "paper"):
        return None
    return ParsedUri(match["space"], match["slug"], match["sub"])


EXTERNAL_ID_URIS = {
    "orcid": "https://orcid.org/{}",
    "dblp": "https://dblp.org/pid/{}",  # a person's dblp id; a paper's is a record key (DBLP_RECORD_URI)
    "wikidata": "http://www.wikidata.org/entity/{}",
    "doi": "https://doi.org/{}",
    "arxiv": "https://arxiv.org/abs/{}",
}
DBLP_RECORD_URI = "https://dblp.org/rec/{}"
LINK_TARGETS = {
    # scheme: (the target dataset's URI space, a name for it) - one VoID linkset per target
    "doi": ("https://doi.org/", "DOI"),
    "orcid": ("https://orcid.org/", "ORCID"),
    "dblp": ("https://dblp.org/", "dblp"),
    "arxiv": ("https://arxiv.org/", "arXiv"),
    "wikidata": ("http://www.wikidata.org/entity/", "Wikidata"),
}


def mint_external_uri(scheme: str, value: str, space: str = "author") -> URIRef:
    """The canonical URI of an external identifier (ORCID, dblp, Wikidata, DOI, arXiv) of a person
    (``space`` "author") or a paper ("paper"): a paper's dblp identifier is a record key."""
    template = DBLP_RECORD_URI if scheme == "dblp" and space == "paper" else EXTERNAL_ID_URIS[scheme]
    return URIRef(template.format(quote(value, safe=IRI_SAFE)))


def parse_external_uri(uri: str) -> str | None:
    """The identifier (``orcid:0000-…``) whose canonical URI (:func:`mint_external_uri`, a person's
    or a DOI's or arXiv id's) this is."""
    for scheme, template in EXTERNAL_ID_URIS.items():
        prefix = template.removesuffix("{}")
        if uri.startswith(prefix):
            return f"{scheme}:{unquote(uri[len(prefix):])}"
    return None


IRI_SAFE = "!$&'()*+,-./:;=@_~"
"""What an identifier keeps as it is in its resolver's IRI; the rest (``<``, ``>``, ``#``, ``%``,
space, and the like, which old DOIs hold) is percent-encoded, as the DOI handbook asks of DOIs in URLs."""


CITABLE_SCHEMES = ("doi", "arxiv")


def citation_target(scheme: str, value: str) -> URIRef:
    """The IRI a reference to a work is stated as (``https://doi.org/…``): DOIs in lower case, the
    form doi.org resolves like any other, so that references and works meet whatever case each
    source spelled the DOI in."""
    return mint_external_uri(scheme, value.lower() if scheme == "doi" else value, "paper")


def mint_void_uri(base: str, fragment: str = "") -> URIRef:
    """The dataset description document (``{base}void``) or a node in it (``{base}void#dataset``)."""
    return URIRef(f"{base}void#{fragment}" if fragment else f"{base}void")


def sparql_endpoint_uri(base: str) -> URIRef:
    return URIRef(f"{base}sparql")


def mint_dump_uri(base: str, name: str) -> URIRef:
    return URIRef(f"{base}dumps/{name}")


def graph_store_uri(base: str, graph: str, format: str | None = None) -> URIRef:
    """Where a named graph's content is downloaded (the Graph Store Protocol's indirect
    identification, ``{base}graph-store?graph=…``), in ``format`` if given (a kg.formats name)."""
    query = "graph=" + quote(graph, safe="") + (f"&format={format}" if format else "")
    return URIRef(f"{base}graph-store?{query}")
