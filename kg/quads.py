"""Quads and the changes made of them: the one shape every stage from mapping to the store shares.

In the base layer so the store can take a change without knowing how it was made (kg.mapping).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import NamedTuple

from rdflib.term import Node

Quad = tuple[Node, Node, Node, Node]
"""(subject, predicate, object, named graph), as rdflib terms."""
Renames = Mapping[str, Mapping[str, str]]
"""Per named graph (IRI), IRIs to rename in it (old IRI -> new IRI): facts that move to another entity."""


class Change(NamedTuple):
    """One step of a write, as a store applies it (kg.store.base.Writer.apply): the removals first,
    then the renames, then the additions."""

    add: Iterable[Quad]
    remove: Iterable[Quad] = ()
    renames: Renames = MappingProxyType({})
