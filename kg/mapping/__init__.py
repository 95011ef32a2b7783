"""Mapping: resolved records -> RDF quads in named graphs (one per source, identity, inferred).

The only stage that knows both records and vocabularies. Public surface: :func:`map_batch`.
"""

from kg.identity.resolve import Resolution
from kg.mapping.batch import MappedBatch, Quad
from kg.mapping.identity_graph import map_identity
from kg.mapping.provenance import FACT_PROPERTIES, map_source_document
from kg.mapping.schema_org import map_source_records

__all__ = ["FACT_PROPERTIES", "MappedBatch", "Quad", "map_batch"]


def map_batch(resolution: Resolution, base_uri: str) -> MappedBatch:
    """Map every new source of a resolved batch, plus the identity graph changes it implies."""
    batch = MappedBatch()
    for source in resolution.sources:
        map_source_document(batch, source, resolution, base_uri)
        map_source_records(batch, source, resolution, base_uri)
    map_identity(batch, resolution, base_uri)
    return batch
