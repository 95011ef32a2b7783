"""Citations between works the graph holds, whatever order the citing and the cited arrive in.

A source states what a work cites by the cited work's identifier IRI, in the source's graph
(``W schema:citation <https://doi.org/10.…>``, kg.mapping.schema_org), whether or not the graph
holds the cited work: the reference is kept as data. Where the graph holds a work with that
identifier (a mention of it carries the DOI or arXiv id, compared as identity compares them), the
link between the two works, ``W schema:citation C``, is derived into the inferred graph: it is what
the citing statement and the cited work's identifier say together (OWL 2 RL ``eq-rep-o`` applied
to this one property; kg.inference applies no ``owl:sameAs`` rule in general).

The link depends on two facts that may come in either order, or move with identity: an ingest
re-derives the links of every identifier it bears on (:func:`citation_links` over the state after
the change) and writes the difference from the stored ones (kg.pipeline.citation_change).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote

from rdflib import URIRef

from kg.uris import CITABLE_SCHEMES, EXTERNAL_ID_URIS, citation_target

CITABLE_KEYS = tuple(f"wid:{scheme}:" for scheme in CITABLE_SCHEMES)
"""The identity block keys (kg.identity.mentions.work_id_key) a reference can name a work by."""


def key_of(target) -> str | None:
    """The block key of a citation target IRI (``https://doi.org/10.1/x`` -> ``wid:doi:10.1/x``)."""
    text = str(target)
    for scheme in CITABLE_SCHEMES:
        prefix = EXTERNAL_ID_URIS[scheme].format("")
        if text.startswith(prefix):
            return f"wid:{scheme}:{unquote(text[len(prefix):]).lower()}"
    return None


def target_of(key: str) -> URIRef:
    """The citation target IRI of a block key (the inverse of :func:`key_of`)."""
    _wid, scheme, value = key.split(":", 2)
    return citation_target(scheme, value)


def citable(keys: Iterable[str]) -> set[str]:
    return {key for key in keys if key.startswith(CITABLE_KEYS)}


def citation_links(citing: dict[str, set[str]], holders: dict[str, set[str]]) -> set[tuple[URIRef, URIRef]]:
    """(citing work, cited work) for every key some work cites and some work holds; a work that
    cites its own identifier (a preprint listing its published version's DOI) links to no one."""
    return {(URIRef(w), URIRef(c)) for key, works in citing.items() for w in works
            for c in holders.get(key, ()) if w != c}
