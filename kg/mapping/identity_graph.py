"""Map identity decisions into the identity graph: keys, display names, earliest years, sameAs.

These facts depend on every source, so they are replaced as sources arrive: the batch removes
the entity's previous identity triples and adds the current ones (README "Identity rules").
"""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import OWL, XSD

from kg.identity.keys import richest_spelling
from kg.identity.resolve import Person, Source, Venue, Work
from kg.mapping.batch import MappedBatch, Quad
from kg.mapping.uris import (
    identity_graph_uri,
    mint_author_uri,
    mint_external_uri,
    mint_paper_uri,
    mint_source_uri,
    mint_venue_uri,
)
from kg.vocab import FOAF, SCHEMA, kg_namespace


class IdentityEmitter:
    """Emits each touched entity's identity triples: replaced at its first touch in an ingest, and
    only restated (validated, not written) when a later chunk of the same ingest touches it again."""

    def __init__(self, base: str):
        self.base = base
        self.graph = identity_graph_uri(base)
        self.key = kg_namespace(base).identityKey
        self.done: set[str] = set()  # identity keys already emitted by this ingest

    def _first(self, key: str) -> bool:
        if key in self.done:
            return False
        self.done.add(key)
        return True

    def person(self, batch: MappedBatch, person: Person) -> None:
        new = set(_person_quads(self.base, person.slug, person.key, person.display, person.alternates))
        if self._first(f"person:{person.key}"):
            batch.replace(new, set(_previous_person_quads(self.base, person)))
        else:
            batch.restated |= new

    def work(self, batch: MappedBatch, work: Work) -> None:
        new = set(_work_quads(self.base, work.slug, work.key, work.year))
        if self._first(f"work:{work.key}"):
            batch.replace(new, set(_previous_work_quads(self.base, work)))
        else:
            batch.restated |= new

    def venue(self, batch: MappedBatch, venue: Venue) -> None:
        quad = (mint_venue_uri(self.base, venue.slug), self.key, Literal(f"venue:{venue.key}"), self.graph)
        (batch.add if self._first(f"venue:{venue.key}") else batch.restated).add(quad)

    def source(self, batch: MappedBatch, source: Source) -> None:
        uri = mint_source_uri(self.base, source.slug)
        batch.emit(self.graph, uri, self.key, Literal(f"source:{source.parsed.ref.sha256}"))

    def external_ids(self, batch: MappedBatch, source: Source, uri: URIRef, identifiers) -> None:
        """External identifiers: the stated value in the source graph, the links in the identity graph."""
        doc = mint_source_uri(self.base, source.slug)
        for ident in identifiers:
            batch.emit(doc, uri, SCHEMA.identifier, Literal(f"{ident.scheme}:{ident.value}"))
            external = mint_external_uri(ident.scheme, ident.value)
            batch.emit(self.graph, uri, OWL.sameAs, external)
            batch.emit(self.graph, uri, SCHEMA.sameAs, external)


def _person_quads(base: str, slug: str, key: str, display: str, alternates) -> list[Quad]:
    graph, person = identity_graph_uri(base), mint_author_uri(base, slug)
    quads = [
        (person, kg_namespace(base).identityKey, Literal(f"person:{key}"), graph),
        (person, SCHEMA.name, Literal(display), graph),
        (person, FOAF.name, Literal(display), graph),
    ]
    quads += [(person, SCHEMA.alternateName, Literal(name), graph) for name in alternates]
    return quads


def _previous_person_quads(base: str, person: Person) -> list[Quad]:
    old = person.previous
    if old is None:
        return []
    display = richest_spelling(old.names)
    return _person_quads(base, old.slug, old.key.removeprefix("person:"), display, sorted(set(old.names) - {display}))


def _work_quads(base: str, slug: str, key: str, year: int | None) -> list[Quad]:
    graph, work = identity_graph_uri(base), mint_paper_uri(base, slug)
    quads = [(work, kg_namespace(base).identityKey, Literal(f"work:{key}"), graph)]
    if year:
        quads.append((work, SCHEMA.datePublished, Literal(str(year), datatype=XSD.gYear), graph))
    return quads


def _previous_work_quads(base: str, work: Work) -> list[Quad]:
    old = work.previous
    return _work_quads(base, old.slug, old.key.removeprefix("work:"), old.year) if old else []
