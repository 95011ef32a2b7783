"""Identity: decide which mentions are the same person, work, version, venue and source.

Implements the identity rules of the README ("Identity rules") and the slug rules of its "URIs"
section. Pure Python over records plus what the store already knows (a :class:`Registry`); it
knows nothing of RDF.
"""

from kg.identity.keys import person_key, richest_spelling, slugify, title_key, venue_key
from kg.identity.registry import EmptyRegistry, KnownEntity, Registry
from kg.identity.resolve import Resolution, resolve

__all__ = [
    "EmptyRegistry",
    "KnownEntity",
    "Registry",
    "Resolution",
    "person_key",
    "resolve",
    "richest_spelling",
    "slugify",
    "title_key",
    "venue_key",
]
