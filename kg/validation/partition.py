"""Split a batch into parts that pySHACL validates one by one, with the same results as the whole.

pySHACL's cost grows with the number of focus nodes, and a whole batch in one rdflib graph grows
with the batch, so the gate splits it: each :class:`Part` owns some focus nodes and holds the
triples that validating them reads, as given by the shapes' :class:`~kg.validation.footprint.Footprint`:

- every outgoing triple of an owned node, and of every blank node reachable from one (list cells);
- the incoming triples of the footprint's inverse predicates (``^schema:exampleOfWork``);
- for every other node reached (an author, a venue, a list member), its triples of the
  footprint's value predicates (rdf:type, rdf:first, rdf:rest), recursively;
- for a blank focus node, the triples that link to it, back to the nearest IRIs (to name the
  records at fault in the report).

A part lists its focus nodes per shape (as ``sh:targetNode``), so a node that is only referenced
there (an author typed schema:Person) is not validated in that part. Every node is owned by
exactly one part, and each part holds real triples of the batch only, so every check sees what it
would see in the whole batch.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pyshacl.errors import ReportableRuntimeError
from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from kg.validation.footprint import TARGET_PREDICATES, Footprint
from kg.validation.report import PartReport, read_report
from kg.vocab import SH

Triple = tuple[Node, Node, Node]


@dataclass
class TripleIndex:
    """The batch's triples by subject, with the incoming edges the parts need."""

    out: dict[Node, list[tuple[Node, Node]]] = field(default_factory=lambda: defaultdict(list))
    # Incoming edges of blank nodes, and of any node for the footprint's inverse predicates.
    into: dict[Node, list[tuple[Node, Node]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, triples: Iterable[Triple], inverse_predicates: Iterable[Node] = ()) -> TripleIndex:
        index, inverse = cls(), set(inverse_predicates)
        out, into = index.out, index.into
        for s, p, o in triples:
            out[s].append((p, o))
            if isinstance(o, BNode) or p in inverse:
                into[o].append((s, p))
        return index

    def triples(self) -> Iterable[Triple]:
        return ((s, p, o) for s, edges in self.out.items() for p, o in edges)

    def remove(self, triples: Iterable[Triple]) -> None:
        for s, p, o in triples:
            self.out[s].remove((p, o))
            if (s, p) in self.into.get(o, ()):
                self.into[o].remove((s, p))

    def list_rests(self) -> tuple[dict[Node, list[Node]], set[Node]]:
        """Return the rdf:rest values per list cell, and the cells that something other than
        rdf:rest points to (list heads), for :func:`~kg.validation.shacl.find_loop_closing_rests`."""
        rests = {s: [o for p, o in edges if p == RDF.rest] for s, edges in self.out.items()}
        rests = {cell: values for cell, values in rests.items() if values}
        heads = {cell for cell in rests if isinstance(cell, BNode)
                 and any(p != RDF.rest for _s, p in self.into.get(cell, ()))}
        iri_cells = {cell for cell in rests if not isinstance(cell, BNode)}
        if iri_cells:  # only blank nodes have all their incoming triples indexed
            heads |= {o for _s, p, o in self.triples() if o in iri_cells and p != RDF.rest}
        return rests, heads


def find_targets(
    shapes_targets: Mapping[Node, Sequence[tuple[Node, Node]]], index: TripleIndex
) -> dict[Node, set[Node]]:
    """Return each shape's focus nodes in the batch, as pySHACL finds them.

    Args:
        shapes_targets: per shape, its (target predicate, object) declarations.
        index: the batch.

    ``sh:targetClass`` takes the instances of the class and of its subclasses (rdfs:subClassOf
    in the data, https://www.w3.org/TR/shacl/#targetClass).
    """
    declared = {(p, o) for declarations in shapes_targets.values() for p, o in declarations}
    wanted = {o for p, o in declared if p in (SH.targetSubjectsOf, SH.targetObjectsOf)} | {RDF.type, RDFS.subClassOf}
    found_by: dict[tuple[Node, Node], set[Node]] = defaultdict(set)
    superclasses: dict[Node, set[Node]] = defaultdict(set)
    for s, edges in index.out.items():
        for p, o in edges:
            if p not in wanted:
                continue
            found_by[(SH.targetSubjectsOf, p)].add(s)
            found_by[(SH.targetObjectsOf, p)].add(o)
            if p == RDF.type:
                found_by[(SH.targetClass, o)].add(s)
            elif p == RDFS.subClassOf:
                superclasses[s].add(o)
    targets: dict[Node, set[Node]] = {}
    for shape, declarations in shapes_targets.items():
        found: set[Node] = set()
        for predicate, obj in declarations:
            if predicate == SH.targetNode:
                found.add(obj)
            elif predicate == SH.targetClass:
                for cls in subclasses_of(obj, superclasses):
                    found |= found_by.get((predicate, cls), set())
            else:
                found |= found_by.get((predicate, obj), set())
        targets[shape] = found
    return targets


def subclasses_of(cls: Node, superclasses: Mapping[Node, set[Node]]) -> set[Node]:
    """Return ``cls`` and every class that is a subclass of it through rdfs:subClassOf*."""
    result = {cls}
    changed = True
    while changed:
        changed = False
        for sub, supers in superclasses.items():
            if sub not in result and supers & result:
                result.add(sub)
                changed = True
    return result


def split_focus_nodes(targets: Mapping[Node, set[Node]], parts: int) -> list[list[Node]]:
    """Deal the focus nodes into ``parts`` lists, each node once.

    Sorted then dealt in turn, so that every part gets a like share of each kind of node
    (their IRIs group by kind: author/, paper/, source/, venue/) and so a like share of the work.
    """
    nodes = sorted({node for found in targets.values() for node in found}, key=lambda n: (isinstance(n, BNode), str(n)))
    return [nodes[i::parts] for i in range(min(parts, len(nodes)))]


@dataclass
class Part:
    """Focus nodes per shape, and the triples their validation reads."""

    targets: dict[Node, list[Node]]
    triples: list[Triple]


def assemble_part(owned: Sequence[Node], targets: Mapping[Node, set[Node]], index: TripleIndex,
                  footprint: Footprint) -> Part:
    """Collect the triples that validating the ``owned`` focus nodes reads (see the module docstring)."""
    part_targets = {shape: [n for n in owned if n in found] for shape, found in targets.items()}
    collector = _Collector(index, footprint)
    for node in owned:
        collector.take_all(node)
        for subject, predicate in index.into.get(node, ()):
            if predicate in footprint.inverse_predicates:
                collector.add(subject, predicate, node)
        if isinstance(node, BNode):
            collector.take_links_to(node)
    collector.finish()
    return Part({shape: nodes for shape, nodes in part_targets.items() if nodes}, collector.triples)


class _Collector:
    """Grow a part: all triples of owned and blank nodes, value-predicate triples of the rest."""

    def __init__(self, index: TripleIndex, footprint: Footprint) -> None:
        self.index, self.value_predicates = index, footprint.value_predicates
        self.seen: set[Triple] = set()
        self.triples: list[Triple] = []
        self.full: set[Node] = set()
        self.valued: set[Node] = set()
        self.pending: list[Node] = []

    def add(self, s: Node, p: Node, o: Node) -> None:
        triple = (s, p, o)
        if triple not in self.seen:
            self.seen.add(triple)
            self.triples.append(triple)
            self.pending += (s, o)

    def take_all(self, node: Node) -> None:
        if node in self.full:
            return
        self.full.add(node)
        for p, o in self.index.out.get(node, ()):
            self.add(node, p, o)

    def take_links_to(self, node: BNode) -> None:
        """Add the triples that reach ``node`` from the nearest IRIs through blank nodes."""
        frontier, seen = [node], {node}
        while frontier:
            target = frontier.pop()
            for subject, predicate in self.index.into.get(target, ()):
                self.add(subject, predicate, target)
                if isinstance(subject, BNode) and subject not in seen:
                    seen.add(subject)
                    frontier.append(subject)

    def finish(self) -> None:
        """Follow every node reached: blank nodes in full, others through the value predicates."""
        while self.pending:
            node = self.pending.pop()
            if isinstance(node, Literal) or node in self.full:
                continue
            if isinstance(node, BNode):
                self.take_all(node)
            elif node not in self.valued:
                self.valued.add(node)
                for p, o in self.index.out.get(node, ()):
                    if p in self.value_predicates:
                        self.add(node, p, o)



def read_target_declarations(shapes: Graph, targeted: Iterable[Node]) -> dict[Node, list[tuple[Node, Node]]]:
    """Return each targeted shape's (target predicate, object) pairs."""
    return {shape: [(p, o) for p in TARGET_PREDICATES for o in shapes.objects(shape, p)] for shape in targeted}


def untargeted_shapes(shapes: Graph) -> Graph:
    """Return a copy of the shapes without their target declarations, with the same prefixes
    (pySHACL copies them into the report, whose text uses them)."""
    copy = Graph(bind_namespaces="none")
    for prefix, namespace in shapes.namespace_manager.namespaces():
        copy.bind(prefix, namespace, override=True, replace=True)
    copy.addN((s, p, o, copy) for s, p, o in shapes if p not in TARGET_PREDICATES)
    return copy


@dataclass
class PartJob:
    """Everything a worker needs to validate any part; inherited by forked workers, not sent."""

    index: TripleIndex
    targets: dict[Node, set[Node]]
    focus_lists: list[list[Node]]
    footprint: Footprint
    shapes: Graph  # without targets: each part adds its own as sh:targetNode
    record_keys: Mapping[str, Sequence[str]]
    validate: Callable[[Graph, Graph], tuple[bool, Graph]]


_JOB: PartJob | None = None


def _set_job(job: PartJob | None) -> None:
    global _JOB
    _JOB = job


def run_parts(job: PartJob, workers: int) -> list[PartReport | str]:
    """Validate every part of ``job``, in forked worker processes when that is possible and useful.

    Fork, because workers then share the batch index instead of receiving a pickled copy (pickling
    rdflib terms costs about as much as validating them). Not while this process runs a thread
    that is not a daemon (a server's request handler, say): forking it could leave the child
    waiting on a lock that thread held. Daemon helpers such as tqdm's monitor are fine.
    """
    count = len(job.focus_lists)
    workers = min(workers, count)
    if workers > 1 and can_fork():
        context = multiprocessing.get_context("fork")
        # Frozen objects are left out of the workers' garbage collections, which would otherwise
        # walk (and so copy, page by page) everything the batch holds.
        gc.freeze()
        try:
            with context.Pool(workers, initializer=_set_job, initargs=(job,)) as pool:
                return pool.map(validate_part, range(count), chunksize=1)
        finally:
            gc.unfreeze()
    _set_job(job)
    try:
        return [validate_part(number) for number in range(count)]
    finally:
        _set_job(None)


def can_fork() -> bool:
    """Return True if worker processes can be forked safely (see :func:`run_parts`)."""
    main = threading.main_thread()
    return ("fork" in multiprocessing.get_all_start_methods()
            and threading.current_thread() is main
            and all(thread.daemon for thread in threading.enumerate() if thread is not main))


def validate_part(number: int) -> PartReport | str:
    """Assemble part ``number`` of the current job, validate it, and read its report (or return
    why pySHACL refused the shapes)."""
    job = _JOB
    assert job is not None, "validate_part runs inside run_parts"
    part = assemble_part(job.focus_lists[number], job.targets, job.index, job.footprint)
    data = Graph()
    data.addN((s, p, o, data) for s, p, o in part.triples)
    shapes = job.shapes  # the job's own copy: targets are added for this part, then removed
    added = [(shape, SH.targetNode, node) for shape, nodes in part.targets.items() for node in nodes]
    shapes.addN((s, p, o, shapes) for s, p, o in added)
    try:
        conforms, results = job.validate(data, shapes)
    except ReportableRuntimeError as exc:
        # Returned, not raised: kg's errors do not survive pickling back from a worker.
        return f"pySHACL cannot use the shapes: {exc.message}"
    finally:
        for triple in added:
            shapes.remove(triple)
    return PartReport.of(read_report(conforms, results, data, job.record_keys))
