"""The result of mapping a batch: quads to add and remove, and which records made each node."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib.term import Node

from kg.quads import Quad


@dataclass
class MappedBatch:
    """Quads (s, p, o, graph) to add and to remove, with record keys per node for error reports."""

    add: set[Quad] = field(default_factory=set)
    remove: set[Quad] = field(default_factory=set)
    # Unchanged identity triples of touched entities: not written again, but validated with the batch.
    context: set[Quad] = field(default_factory=set)
    # Quads an earlier chunk of the same ingest added, repeated because this chunk touches them too:
    # validated with the chunk, neither written again nor inferred again (kg.mapping.map_in_chunks).
    restated: set[Quad] = field(default_factory=set)
    record_keys: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Facts that move to another entity inside their source graph: written as ``renames`` (the store
    # renames the IRIs in place, blank nodes of author lists included), validated and inferred as ``moved``.
    moved: set[Quad] = field(default_factory=set)
    renames: dict[str, dict[str, str]] = field(default_factory=dict)

    def emit(self, graph: Node, subject: Node, predicate: Node, obj: Node) -> None:
        self.add.add((subject, predicate, obj, graph))

    def note(self, node: Node, record_key: str) -> None:
        """Remember that ``record_key`` (``file:line``) contributed to ``node``."""
        keys = self.record_keys[str(node)]
        if record_key not in keys:
            keys.append(record_key)

    def replace(self, new: set[Quad], old: set[Quad]) -> None:
        """Move an entity's identity triples from ``old`` to ``new``, writing only the difference."""
        self.add |= new - old
        self.remove |= old - new
        self.context |= new & old

    def triples(self) -> set[tuple[Node, Node, Node]]:
        """What the SHACL gate validates: everything added plus the unchanged identity context and
        what earlier chunks added and this one restates, as triples (the union of the graphs)."""
        return {(s, p, o) for quads in (self.add, self.context, self.restated, self.moved) for s, p, o, _g in quads}
