"""What a shapes graph reads around each focus node: the footprint that lets a batch be split.

A batch can be validated in parts (:mod:`kg.validation.partition`) only if every result about a
focus node depends on triples that its part holds. This module reads that from the shapes, for
the SHACL Core components (https://www.w3.org/TR/shacl/#core-components), in two modes:

- *focus*: the node is a target of the part, which holds all its outgoing triples, plus the
  incoming ones of every predicate that some shape follows backwards (``sh:inversePath``);
- *value*: the node is reached from a focus node (a value of a property, a list cell, a member),
  and the part only holds its triples of the :attr:`Footprint.value_predicates`.

:func:`read_footprint` walks the shapes from their targets and collects those two predicate sets;
it returns None when a shape needs more than this model gives (a SPARQL-based or custom
constraint, a non-Core target, an inverse path on a value, ``sh:closed`` on a value), and the
batch is then validated whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from kg.errors import InternalError
from kg.vocab import SH

TARGET_PREDICATES = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)

# Components that look at the value node alone (its term, or a count of values).
TERM_PARAMETERS = frozenset({
    SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.minExclusive, SH.minInclusive,
    SH.maxExclusive, SH.maxInclusive, SH.minLength, SH.maxLength, SH.pattern, SH.flags,
    SH.languageIn, SH.uniqueLang, SH["in"], SH.hasValue, SH.qualifiedMinCount, SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint, SH.ignoredProperties,
})
# Components that compare a property's values with another property of the same node.
PAIR_PARAMETERS = frozenset({SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals})
# sh: predicates that describe, name or switch off a shape without checking anything.
INERT_PARAMETERS = frozenset({
    SH.name, SH.description, SH.message, SH.severity, SH.deactivated, SH.order, SH.group,
    SH.defaultValue, SH.path, *TARGET_PREDICATES,
})
LIST_SHAPE_PARAMETERS = (SH["and"], SH["or"], SH.xone)
PATH_STEPS = (SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath)


class UnsupportedShapeError(InternalError):
    """A shape reads more around a node than the part model gives (internal to this module)."""


@dataclass
class Footprint:
    """What the parts must hold besides each focus node's own outgoing triples.

    Attributes:
        inverse_predicates: predicates followed backwards from a focus node: its incoming triples
            of these go into its part.
        value_predicates: predicates read on value nodes: a node reached from a focus node brings
            its triples of these into the part, recursively (rdf:type for sh:class, rdf:first and
            rdf:rest for list paths).
        targeted: the shapes that declare targets (the only ones whose targets are split).
    """

    inverse_predicates: set[URIRef] = field(default_factory=set)
    value_predicates: set[URIRef] = field(default_factory=set)
    targeted: list[Node] = field(default_factory=list)


def read_footprint(shapes: Graph) -> Footprint | None:
    """Return what validating a focus node reads beyond its own triples, or None if not splittable."""
    footprint = Footprint(targeted=sorted({s for p in TARGET_PREDICATES for s in shapes.subjects(p, None)}, key=str))
    walker = _Walker(shapes, footprint)
    try:
        walker.check_graph()
        for shape in footprint.targeted:
            walker.walk(shape, focus=True)
    except UnsupportedShapeError:
        return None
    return footprint


class _Walker:
    """Visit each (shape, mode) once, collecting the footprint."""

    def __init__(self, shapes: Graph, footprint: Footprint) -> None:
        self.shapes, self.footprint, self.seen = shapes, footprint, set()

    def check_graph(self) -> None:
        """Refuse what adds focus nodes or constraints outside SHACL Core's explicit targets."""
        if (None, SH.target, None) in self.shapes:
            raise UnsupportedShapeError("SHACL-AF targets")
        if (None, RDF.type, SH.ConstraintComponent) in self.shapes:
            raise UnsupportedShapeError("custom constraint components")
        # A shape that is also a class targets its instances (https://www.w3.org/TR/shacl/#implicit-targetClass).
        for cls in {RDFS.Class, OWL.Class, *self.shapes.transitive_subjects(RDFS.subClassOf, RDFS.Class)}:
            if (None, RDF.type, cls) in self.shapes:
                raise UnsupportedShapeError("a class declared in the shapes graph")

    def walk(self, shape: Node, focus: bool) -> None:
        """Record what evaluating ``shape`` on a node in the given mode reads."""
        if (shape, focus) in self.seen:
            return
        self.seen.add((shape, focus))
        path = self.shapes.value(shape, SH.path)
        if path is not None:
            self.read_path(path, focus)
        # A property shape's components apply to its values; a node shape's to the node itself.
        on_values = path is not None
        for predicate, obj in self.shapes.predicate_objects(shape):
            self.read_parameter(predicate, obj, on_values, focus and not on_values, focus)

    def read_parameter(self, predicate: Node, obj: Node, on_values: bool, checked_focus: bool, focus: bool) -> None:
        """Record what one component reads; ``checked_focus``: the nodes it checks are focus nodes."""
        if predicate in TERM_PARAMETERS or predicate in INERT_PARAMETERS:
            return
        if predicate in PAIR_PARAMETERS:
            # Compared with another property of the node the property shape is evaluated on.
            if not on_values:
                raise UnsupportedShapeError("a property pair component on a node shape")
            if not focus:
                self.need_values(obj)
            return
        if predicate == SH["class"]:
            # The node's rdf:type, then rdfs:subClassOf from its types (https://www.w3.org/TR/shacl/#dfn-shacl-instance).
            self.footprint.value_predicates.update((RDF.type, RDFS.subClassOf))
            return
        if predicate == SH.closed:
            if not checked_focus:
                raise UnsupportedShapeError("sh:closed on a value node")
            return
        if predicate in (SH.node, SH["not"], SH.property, SH.qualifiedValueShape):
            self.walk(obj, checked_focus)
            return
        if predicate in LIST_SHAPE_PARAMETERS:
            for member in Collection(self.shapes, obj):
                self.walk(member, checked_focus)
            return
        if isinstance(predicate, URIRef) and predicate.startswith(str(SH)):
            raise UnsupportedShapeError(f"{predicate} is not a Core constraint parameter")

    def need_values(self, predicate: Node | None) -> None:
        if not isinstance(predicate, URIRef):
            raise UnsupportedShapeError("a property pair without a predicate IRI")
        self.footprint.value_predicates.add(predicate)

    def read_path(self, path: Node, focus: bool) -> None:
        """A predicate or an inverse predicate from a focus node reads the part's own triples;
        any other path may reach value nodes and is read through :attr:`value_predicates`."""
        if isinstance(path, URIRef):
            if not focus:
                self.footprint.value_predicates.add(path)
            return
        inverse = self.shapes.value(path, SH.inversePath)
        if focus and isinstance(inverse, URIRef):
            self.footprint.inverse_predicates.add(inverse)
            return
        for predicate in self.forward_predicates(path):
            self.footprint.value_predicates.add(predicate)

    def forward_predicates(self, path: Node) -> set[URIRef]:
        """Every predicate of a path without inverse steps (SHACL property paths, section 2.3.1)."""
        if isinstance(path, URIRef):
            return {path}
        if not isinstance(path, BNode):
            raise UnsupportedShapeError(f"not a property path: {path!r}")
        if (path, RDF.first, None) in self.shapes:
            return {p for step in Collection(self.shapes, path) for p in self.forward_predicates(step)}
        for step in PATH_STEPS:
            inner = self.shapes.value(path, step)
            if inner is not None:
                return self.forward_predicates(inner)
        alternatives = self.shapes.value(path, SH.alternativePath)
        if alternatives is not None:
            return {p for step in Collection(self.shapes, alternatives) for p in self.forward_predicates(step)}
        raise UnsupportedShapeError("an inverse path inside a longer path, or on a value node")
