"""Map identity decisions into the identity graph: keys, display names, earliest years, sameAs.

These facts depend on every source, so they are replaced as sources arrive: the batch removes
the entity's previous identity triples and adds the current ones (DESIGN.md "Identity").
"""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import OWL, XSD

from kg.identity.keys import richest_spelling
from kg.identity.resolve import Person, Resolution, Work
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


def map_identity(batch: MappedBatch, resolution: Resolution, base: str) -> None:
    """Emit the identity graph's triples for every entity the batch touches."""
    graph = identity_graph_uri(base)
    key = kg_namespace(base).identityKey
    for person in resolution.persons.values():
        new = set(_person_quads(base, person.slug, person.key, person.display, person.alternates))
        batch.replace(new, set(_previous_person_quads(base, person)))
    for work in resolution.works.values():
        batch.replace(set(_work_quads(base, work.slug, work.key, work.year)), set(_previous_work_quads(base, work)))
    for venue in resolution.venues.values():
        batch.emit(graph, mint_venue_uri(base, venue.slug), key, Literal(f"venue:{venue.key}"))
    for source in resolution.sources:
        uri = mint_source_uri(base, source.slug)
        batch.emit(graph, uri, key, Literal(f"source:{source.parsed.ref.sha256}"))
        _map_external_ids(batch, source, resolution, base)


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


def _map_external_ids(batch: MappedBatch, source, resolution: Resolution, base: str) -> None:
    """External identifiers: the stated value in the source graph, the links in the identity graph."""
    parsed = source.parsed
    graph, doc = identity_graph_uri(base), mint_source_uri(base, source.slug)
    entities = [(mint_author_uri(base, resolution.person(p.name).slug), p.identifiers) for p in parsed.persons]
    for index, paper in enumerate(parsed.papers):
        entities.append((mint_paper_uri(base, resolution.work_of(parsed, index).slug), paper.identifiers))
    for uri, identifiers in entities:
        for ident in identifiers:
            batch.emit(doc, uri, SCHEMA.identifier, Literal(f"{ident.scheme}:{ident.value}"))
            external = mint_external_uri(ident.scheme, ident.value)
            batch.emit(graph, uri, OWL.sameAs, external)
            batch.emit(graph, uri, SCHEMA.sameAs, external)
