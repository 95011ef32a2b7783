"""OWL 2 RL materialisation of the ontology's alignments, kept apart from the asserted data.

Spec: OWL 2 RL/RDF rules, https://www.w3.org/TR/owl2-profiles/#OWL_2_RL (tables 4 to 9).

Which rules: the schema rules ``scm-cls``, ``scm-sco``, ``scm-eqc1/2``, ``scm-spo``,
``scm-eqp1/2``, ``scm-dom1/2`` and ``scm-rng1/2`` are applied once, to the ontology, by
:func:`compile_rules`. The data rules ``cax-sco``, ``cax-eqc1/2``, ``prp-spo1``, ``prp-eqp1/2``,
``prp-inv1/2``, ``prp-dom`` and ``prp-rng`` are applied by :func:`materialize_owlrl`. This covers
every consequence that ``owlrl.OWLRL_Semantics`` draws from ``ontology/kg.ttl`` about IRI subjects,
except the reflexive ``x owl:sameAs x`` of ``eq-ref``, which says nothing.

Inference distributes over union: each of these data rules has a single data premise (the
other premises are ontology triples), so for any two sets of data triples A and B,
``infer(A | B) == infer(A) | infer(B)``. The pipeline relies on this to infer over one batch at a
time and add the result to the inferred graph, without re-reading what is already stored.

``owl:sameAs`` is deliberately not applied (no ``eq-rep-*`` smushing): persons carry
``owl:sameAs`` links to external IRIs such as their ORCID, and smushing would copy every fact
about a person onto those IRIs, and back, which publishes claims under names we do not own. A
consumer who wants that can run a full reasoner over the dump.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from kg.validation.shacl import load_turtle_dir

Triple = tuple[Node, Node, Node]

ONTOLOGY_GLOB = "*.ttl"


@dataclass(frozen=True)
class PropertyRule:
    """What one asserted ``(s, p, o)`` implies, for a given predicate ``p``.

    Attributes:
        same_direction: predicates ``q`` such that ``(s, q, o)`` follows (super- and
            equivalent properties, ``prp-spo1``, ``prp-eqp1/2``), without ``p`` itself.
        inverse: predicates ``q`` such that ``(o, q, s)`` follows (``prp-inv1/2``, combined
            with the above).
        subject_types: classes of ``s`` that follow (``prp-dom``/``prp-rng``, then ``cax-sco``).
        object_types: classes of ``o`` that follow.
    """

    same_direction: frozenset[URIRef]
    inverse: frozenset[URIRef]
    subject_types: frozenset[URIRef]
    object_types: frozenset[URIRef]


@dataclass(frozen=True)
class InferenceRules:
    """The ontology compiled into one lookup per asserted triple.

    Attributes:
        superclasses: for each class, every class its instances also belong to (``cax-sco``,
            ``cax-eqc1/2`` over the closed class hierarchy), without the class itself.
        properties: for each predicate, its :class:`PropertyRule`.
    """

    superclasses: Mapping[Node, frozenset[URIRef]]
    properties: Mapping[Node, PropertyRule]


def load_ontology(ontology_dir: Path, base_uri: str) -> Graph:
    """Parse every ``*.ttl`` file of the ontology directory into one graph.

    Args:
        ontology_dir: the directory holding ``kg.ttl``.
        base_uri: the configured base; ``kg:`` in the files resolves to ``{base_uri}ontology#``.

    Raises:
        SourceError: the directory holds no Turtle file, or a file cannot be read.
        ParseError: a file is not valid Turtle (with its line number).
    """
    return load_turtle_dir(ontology_dir, ONTOLOGY_GLOB, base_uri, "the ontology (kg.ttl)")


def compile_rules(ontology: Graph) -> InferenceRules:
    """Close the ontology's class and property axioms so each data triple needs one lookup.

    Applies the schema rules (``scm-*``) once: the transitive closure of ``rdfs:subClassOf``
    and ``owl:equivalentClass`` (both ways), of ``rdfs:subPropertyOf`` and
    ``owl:equivalentProperty`` (both ways) combined with ``owl:inverseOf`` (both ways), and the
    domains and ranges inherited along them.

    Example:
        >>> from rdflib import Graph
        >>> g = Graph().parse(data="@prefix s: <https://schema.org/> . "
        ...     "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . "
        ...     "s:A rdfs:subClassOf s:B . s:B rdfs:subClassOf s:C .", format="turtle")
        >>> sorted(compile_rules(g).superclasses[URIRef("https://schema.org/A")])
        [rdflib.term.URIRef('https://schema.org/B'), rdflib.term.URIRef('https://schema.org/C')]
    """
    class_edges = collect_class_edges(ontology)
    superclasses = {cls: frozenset(reach(cls, class_edges)) for cls in class_edges}
    properties = {prop: compile_property(prop, ontology, superclasses) for prop in collect_properties(ontology)}
    return InferenceRules(superclasses=superclasses, properties=properties)


def collect_class_edges(ontology: Graph) -> dict[Node, set[Node]]:
    """Map each class to its direct superclasses (subClassOf, equivalentClass both ways, scm-cls)."""
    edges: dict[Node, set[Node]] = {}
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        edges.setdefault(sub, set()).add(sup)
    for left, right in ontology.subject_objects(OWL.equivalentClass):
        edges.setdefault(left, set()).add(right)
        edges.setdefault(right, set()).add(left)
    for cls in ontology.subjects(RDF.type, OWL.Class):
        edges.setdefault(cls, set()).add(OWL.Thing)  # scm-cls
    return edges


def reach(start: Node, edges: Mapping[Node, set[Node]]) -> set[Node]:
    """Return every node reachable from ``start`` along ``edges``, without ``start`` itself."""
    seen: set[Node] = set()
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    seen.discard(start)
    return seen


def collect_properties(ontology: Graph) -> set[Node]:
    """Return every property that some data rule applies to."""
    props: set[Node] = set()
    for predicate in (RDFS.subPropertyOf, OWL.equivalentProperty, OWL.inverseOf):
        for left, right in ontology.subject_objects(predicate):
            props.update((left, right))
    for predicate in (RDFS.domain, RDFS.range):
        props.update(ontology.subjects(predicate, None))
    return props


def compile_property(prop: Node, ontology: Graph, superclasses: Mapping[Node, frozenset]) -> PropertyRule:
    """Compute the :class:`PropertyRule` of one predicate."""
    states = reach_property_states(prop, ontology)
    same = {q for q, flipped in states if not flipped and q != prop}
    inverse = {q for q, flipped in states if flipped}
    subject_types: set[Node] = set()
    object_types: set[Node] = set()
    for q, flipped in states:
        domains, ranges = set(ontology.objects(q, RDFS.domain)), set(ontology.objects(q, RDFS.range))
        subject_types |= ranges if flipped else domains
        object_types |= domains if flipped else ranges
    return PropertyRule(
        same_direction=frozenset(same),
        inverse=frozenset(inverse),
        subject_types=close_classes(subject_types, superclasses),
        object_types=close_classes(object_types, superclasses),
    )


def reach_property_states(prop: Node, ontology: Graph) -> set[tuple[Node, bool]]:
    """Return every ``(q, flipped)`` such that ``p(x, y)`` implies ``q(x, y)``, or ``q(y, x)`` if flipped.

    ``(prop, False)`` itself is included.
    """
    start = (prop, False)
    seen, stack = {start}, [start]
    while stack:
        q, flipped = stack.pop()
        for nxt in property_steps(q, flipped, ontology):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def property_steps(q: Node, flipped: bool, ontology: Graph) -> Iterator[tuple[Node, bool]]:
    """Yield the states one axiom away from ``(q, flipped)``."""
    for sup in ontology.objects(q, RDFS.subPropertyOf):
        yield sup, flipped
    for eq in (*ontology.objects(q, OWL.equivalentProperty), *ontology.subjects(OWL.equivalentProperty, q)):
        yield eq, flipped
    for inv in (*ontology.objects(q, OWL.inverseOf), *ontology.subjects(OWL.inverseOf, q)):
        yield inv, not flipped


def close_classes(classes: set[Node], superclasses: Mapping[Node, frozenset]) -> frozenset[URIRef]:
    """Return ``classes`` with all their superclasses."""
    closed = set(classes)
    for cls in classes:
        closed |= superclasses.get(cls, frozenset())
    return frozenset(closed)


def materialize_owlrl(triples: Iterable[Triple], rules: InferenceRules) -> set[Triple]:
    """Return the triples the OWL 2 RL data rules imply for ``triples``, minus the input.

    Args:
        triples: asserted data triples (rdflib terms), e.g. one batch's graphs.
        rules: from :func:`compile_rules`.

    Returns:
        Only new triples. Triples that would have a literal as subject (the range of a
        datatype property, an inverse of one) are not produced: they are not RDF.
    """
    asserted = set(triples)
    inferred: set[Triple] = set()
    for triple in asserted:
        inferred.update(infer_triple(triple, rules))
    return inferred - asserted


def infer_triple(triple: Triple, rules: InferenceRules) -> Iterator[Triple]:
    """Yield what one data triple implies (possibly including triples already asserted)."""
    s, p, o = triple
    if p == RDF.type:
        for cls in rules.superclasses.get(o, ()):
            yield s, RDF.type, cls
    rule = rules.properties.get(p)
    if rule is None:
        return
    for q in rule.same_direction:
        yield s, q, o
    for cls in rule.subject_types:
        yield s, RDF.type, cls
    if isinstance(o, Literal):
        return
    for q in rule.inverse:
        yield o, q, s
    for cls in rule.object_types:
        yield o, RDF.type, cls
