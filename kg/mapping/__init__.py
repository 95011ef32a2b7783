"""Mapping: resolved records -> RDF quads in named graphs (one per source, identity, inferred).

The only stage that knows both records and vocabularies. Public surface: :func:`map_batch`, and
:func:`map_in_chunks` for a batch too large to hold as one set of quads.
"""

from collections.abc import Iterator

from kg.identity.resolve import Resolution, paper_authors
from kg.mapping.batch import MappedBatch, Quad
from kg.mapping.identity_graph import IdentityEmitter, entity_state, identity_change, moved_facts, split_facts
from kg.mapping.provenance import FACT_PROPERTIES, map_source_document
from kg.mapping.schema_org import map_paper, map_stated_person, source_persons
from kg.uris import mint_author_uri, mint_paper_uri

__all__ = ["FACT_PROPERTIES", "MappedBatch", "Quad", "entity_state", "identity_change", "map_batch", "map_in_chunks",
           "moved_facts", "split_facts"]


def map_batch(resolution: Resolution, base_uri: str) -> MappedBatch:
    """Map every new source of a resolved batch, with the identity state it decided (for an empty
    store: as quads to add)."""
    state = entity_state(base_uri, resolution)
    batch = next(map_in_chunks(resolution, base_uri, None, state))
    batch.add |= set().union(*state.values()) if state else set()
    batch.context -= batch.add
    return batch


def map_in_chunks(resolution: Resolution, base_uri: str, papers_per_chunk: int | None,
                  state: dict) -> Iterator[MappedBatch]:
    """Map a resolved batch in chunks of at most ``papers_per_chunk`` paper records (None: one chunk).

    Identity was decided for the whole batch beforehand, so the URIs do not depend on the chunk
    size, and the union of the chunks' quads is what one chunk would hold. A chunk holds, besides
    its records' quads, the identity triples of every entity it touches, and a source's repeated
    statements (a person's type and spelling, a venue's name): as quads to add where an earlier
    chunk has not added them yet, and otherwise as ``restated``, so that each chunk can be
    validated on its own (kg.validation) while nothing is written or inferred twice.
    """
    identity = IdentityEmitter(base_uri, state)
    batch, filled = MappedBatch(), 0
    for source in resolution.sources:
        parsed, stated = source.parsed, set()
        map_source_document(batch, source, resolution, base_uri)
        identity.source(batch, source)
        for name, line, record in source_persons(parsed):
            uri = map_stated_person(batch, source, name, line, resolution, base_uri, stated, record=record)
            identity.entity(batch, uri)
        for person in (parsed.subject, *parsed.persons):
            if person is not None:
                uri = mint_author_uri(base_uri, resolution.person(parsed, person.name, person.record).slug)
                identity.stated_ids(batch, source, uri, person.identifiers, stated, "author")
        for index, paper in enumerate(parsed.papers):
            if papers_per_chunk and filled >= papers_per_chunk:
                yield batch
                batch, filled = MappedBatch(), 0
            map_paper(batch, source, index, paper, resolution, base_uri, stated)
            work = mint_paper_uri(base_uri, resolution.work_of(parsed, index).slug)
            identity.entity(batch, work)
            for name in paper_authors(parsed, paper):
                identity.entity(batch, mint_author_uri(base_uri, resolution.person(parsed, name, index).slug))
            if paper.venue:
                identity.venue(batch, resolution.venue(paper.venue))
            identity.stated_ids(batch, source, work, paper.identifiers, stated, "paper")
            filled += 1
    yield batch
