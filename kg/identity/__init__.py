"""Identity: decide which mentions are the same person, work, version, venue and source.

Implements the identity rules of the README ("Identity rules") and the slug rules of its "URIs"
section. Pure Python over records plus what the store already knows (a :class:`Registry`); it
knows nothing of RDF.
"""

from kg.identity.cluster import Curation
from kg.identity.keys import person_key, richest_spelling, slugify, title_key, venue_key
from kg.identity.mentions import from_json, to_json
from kg.identity.registry import EmptyRegistry, KnownEntity, Registry, StoredMention
from kg.identity.resolve import Entity, Resolution, resolve

__all__ = [
    "Curation",
    "EmptyRegistry",
    "Entity",
    "KnownEntity",
    "Registry",
    "Resolution",
    "StoredMention",
    "from_json",
    "person_key",
    "resolve",
    "richest_spelling",
    "slugify",
    "title_key",
    "to_json",
    "venue_key",
]
