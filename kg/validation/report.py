"""Our view of a SHACL validation report: violations tied to the input records at fault.

Spec: https://www.w3.org/TR/shacl/#validation-report. pySHACL gives a ``sh:ValidationReport``
graph; :func:`read_report` turns each top-level ``sh:result`` into a :class:`Violation` and looks
up the record keys (``file:line``) of its focus node. Nested ``sh:detail`` results (what made a
value fail an ``sh:node`` shape) stay in the raw graph only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.extras.shacl import SHACLPathError, parse_shacl_path
from rdflib.namespace import RDF, NamespaceManager
from rdflib.paths import Path
from rdflib.term import Node

from kg.vocab import SH

MAX_VALUE_CHARS = 80
"""Longer literal values (abstracts) are cut in the text report; the Turtle report keeps them."""

MAX_LINK_HOPS = 64
"""How far back :func:`find_records` walks from a blank node to an IRI (a list cell's depth)."""


@dataclass(frozen=True)
class Violation:
    """One top-level SHACL validation result.

    Attributes:
        focus_node: the resource that failed (an IRI, or a blank node such as a list cell).
        path: the property path checked: a URIRef, an rdflib Path for complex paths, or None
            for a constraint on the node itself.
        value: the offending value, or None (e.g. for a missing property).
        message: the shape's human message.
        severity: sh:Violation, sh:Warning or sh:Info.
        source_shape: the shape that produced the result.
        records: the record keys (``file:line``) of the focus node, or of the nearest IRI that
            links to it when it is a blank node; empty when the mapping stage gave none.
    """

    focus_node: Node
    path: URIRef | Path | None
    value: Node | None
    message: str
    severity: URIRef
    source_shape: Node
    records: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class ValidationReport:
    """The result of validating one batch.

    Attributes:
        conforms: True when the data has no validation result of a failing severity.
        violations: every top-level result, sorted as in :meth:`text`.
        graph: the raw ``sh:ValidationReport`` graph from pySHACL.
    """

    conforms: bool
    violations: tuple[Violation, ...]
    graph: Graph

    def text(self) -> str:
        """Return one line per violation, sorted: ``where: path: message (value: v)``.

        ``where`` is the record keys, or the focus IRI when there are none; paths and values
        use the project's prefixes. Empty when there is no violation.
        """
        return "\n".join(format_violations(self.violations, self.graph.namespace_manager))

    def turtle(self) -> str:
        """Return the raw ``sh:ValidationReport`` graph as Turtle."""
        return self.graph.serialize(format="turtle")


def read_report(
    conforms: bool, results: Graph, data: Graph, record_keys: Mapping[str, Sequence[str]]
) -> ValidationReport:
    """Build a :class:`ValidationReport` from pySHACL's results graph.

    Args:
        conforms: pySHACL's verdict.
        results: pySHACL's ``sh:ValidationReport`` graph.
        data: the data graph that was validated (to find the IRI behind a blank focus node).
        record_keys: record keys per subject IRI, from the mapping stage.

    Two results that differ only in the constraint component that raised them (a string count
    fails both sh:datatype and sh:minInclusive) give one :class:`Violation`; the raw graph
    keeps both.
    """
    describe_blank_nodes(results, data)
    found = {read_violation(results, node, data, record_keys) for node in iter_top_results(results)}
    return ValidationReport(conforms, sort_violations(found, results.namespace_manager), results)


def sort_violations(violations: Iterable[Violation], nsm: NamespaceManager) -> tuple[Violation, ...]:
    """Return the violations in the order of :meth:`ValidationReport.text`, ties broken by shape, then
    by the offending value: two blank-node values print alike, and without it their order was the
    order of a set, which differs between a whole batch and its parts (a flaky test found it)."""
    return tuple(sorted(violations, key=lambda v: (format_violation(v, nsm), str(v.source_shape), str(v.value))))


@dataclass(frozen=True)
class PartReport:
    """The report of one part of a batch, as triples rather than a graph, to cross processes.

    Attributes:
        conforms: the part's verdict.
        violations: its violations, as :func:`read_report` read them.
        report_node: the ``sh:ValidationReport`` node of ``triples``.
        triples: the part's report graph.
    """

    conforms: bool
    violations: tuple[Violation, ...]
    report_node: Node | None
    triples: tuple[tuple[Node, Node, Node], ...]

    @classmethod
    def of(cls, report: ValidationReport) -> PartReport:
        node = next(report.graph.subjects(RDF.type, SH.ValidationReport), None)
        return cls(report.conforms, report.violations, node, tuple(report.graph))


def merge_reports(parts: Sequence[PartReport], shapes: Graph) -> ValidationReport:
    """Join the reports of the parts of one batch into the report of the whole batch.

    Args:
        parts: the reports of the parts.
        shapes: the shapes graph validated against; like pySHACL, the report binds its prefixes.

    The graph has one ``sh:ValidationReport`` holding every part's results, as a single pySHACL
    run gives; the violations are deduplicated and sorted the same way as :func:`read_report`.
    A blank node that several parts copied into their reports (a shape's list-valued sh:path, a
    list cell) is taken from the first of them only: pySHACL keeps the label of the node it
    copies but mints new list cells, so the copies would merge into a malformed list.
    """
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in shapes.namespace_manager.namespaces():
        graph.namespace_manager.bind(prefix, namespace)
    conforms = all(part.conforms for part in parts)
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(conforms)))
    copied_by: dict[Node, int] = {}
    for number, part in enumerate(parts):
        described: dict[Node, list[tuple[Node, Node]]] = {}
        for s, p, o in part.triples:
            described.setdefault(s, []).append((p, o))
        results = [o for p, o in described.get(part.report_node, ()) if p == SH.result]
        graph.addN((report, SH.result, result, graph) for result in results)
        stack, seen = results, set()
        while stack:
            node = stack.pop()
            if node in seen or copied_by.setdefault(node, number) != number:
                continue
            seen.add(node)
            for p, o in described.get(node, ()):
                graph.add((node, p, o))
                if isinstance(o, BNode):
                    stack.append(o)
    found = {violation for part in parts for violation in part.violations}
    return ValidationReport(conforms, sort_violations(found, graph.namespace_manager), graph)


def iter_top_results(results: Graph) -> Iterator[Node]:
    """Yield the results attached to the report itself (not those nested under sh:detail)."""
    for report in results.subjects(RDF.type, SH.ValidationReport):
        yield from results.objects(report, SH.result)


def describe_blank_nodes(results: Graph, data: Graph) -> None:
    """Replace pySHACL's copies of blank focus nodes and values with their full description.

    pySHACL copies a blank-node list with ``Graph.items``, which keeps one ``rdf:first`` per cell,
    picked in hash order, and mints new cells: a malformed list would look well-formed, and
    differently from run to run. The report instead gets every triple reachable from the node
    through blank nodes, exactly as in the data, and none of the partial copies.
    """
    roots = set()
    for result in iter_top_results(results):
        for node in (results.value(result, SH.focusNode), results.value(result, SH.value)):
            if isinstance(node, BNode):
                roots.add(node)
    described = {b for root in roots for b in reach_blank_nodes(data, root)}
    stale = {b for node in described for b in reach_blank_nodes(results, node)}
    for node in stale:
        results.remove((node, None, None))
    for node in described:
        for predicate, obj in data.predicate_objects(node):
            results.add((node, predicate, obj))


def reach_blank_nodes(graph: Graph, start: BNode) -> set[BNode]:
    """Return ``start`` and every blank node reachable from it as an object, in ``graph``."""
    seen, stack = {start}, [start]
    while stack:
        for obj in graph.objects(stack.pop(), None):
            if isinstance(obj, BNode) and obj not in seen:
                seen.add(obj)
                stack.append(obj)
    return seen


def read_violation(results: Graph, node: Node, data: Graph, record_keys: Mapping[str, Sequence[str]]) -> Violation:
    """Read one ``sh:ValidationResult`` node of the results graph into a :class:`Violation`."""
    focus = results.value(node, SH.focusNode)
    return Violation(
        focus_node=focus,
        path=read_path(results, results.value(node, SH.resultPath)),
        value=results.value(node, SH.value),
        message=read_message(results, node),
        severity=results.value(node, SH.resultSeverity),
        source_shape=results.value(node, SH.sourceShape),
        records=find_records(focus, data, record_keys),
    )


def read_path(results: Graph, path_node: Node | None) -> URIRef | Path | None:
    """Turn a ``sh:resultPath`` value into a URIRef or an rdflib Path (None if absent)."""
    if path_node is None:
        return None
    try:
        return parse_shacl_path(results, path_node)
    except SHACLPathError:
        # pySHACL copies the path as the shape states it; an unparsable one is still worth
        # reporting, so fall back to the node itself.
        return path_node


def read_message(results: Graph, node: Node) -> str:
    """Return the result's message, preferring untagged or English ones; several are joined."""
    messages = sorted(results.objects(node, SH.resultMessage), key=str)
    preferred = [m for m in messages if getattr(m, "language", None) in (None, "en")]
    return "; ".join(str(m) for m in (preferred or messages))


def find_records(node: Node, data: Graph, record_keys: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """Return the record keys behind a focus node, sorted naturally (``f.txt:9`` before ``f.txt:10``).

    An IRI is looked up directly. For a blank node or literal (a list cell, say), the nearest
    IRIs that link to it in ``data`` are looked up instead.
    """
    if isinstance(node, URIRef):
        keys = set(record_keys.get(str(node), ()))
    else:
        keys = {key for iri in find_linking_iris(node, data) for key in record_keys.get(str(iri), ())}
    return tuple(sorted(keys, key=natural_key))


def find_linking_iris(node: Node, data: Graph) -> list[URIRef]:
    """Return the IRIs closest to ``node`` that reach it through a chain of triples, sorted.

    Walks backwards from object to subject, one hop at a time, through blank nodes only.
    """
    frontier, seen = {node}, {node}
    for _hop in range(MAX_LINK_HOPS):
        subjects = {s for target in frontier for s in data.subjects(None, target)} - seen
        iris = sorted(s for s in subjects if isinstance(s, URIRef))
        if iris or not subjects:
            return iris
        seen |= subjects
        frontier = subjects
    return []


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders the digit runs of ``text`` by number."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text))


def format_violations(violations: Sequence[Violation], nsm: NamespaceManager) -> list[str]:
    """Return the text lines of the violations, sorted."""
    return sorted(format_violation(v, nsm) for v in violations)


def format_violation(violation: Violation, nsm: NamespaceManager) -> str:
    """Return ``where: path: message (value: v)``; the value part is left out when there is none."""
    where = ", ".join(violation.records) or render_node(violation.focus_node, nsm)
    path = "-" if violation.path is None else violation.path.n3(nsm)
    line = f"{where}: {path}: {violation.message}"
    if violation.value is not None:
        line += f" (value: {render_value(violation.value, nsm)})"
    return line


def render_node(node: Node, nsm: NamespaceManager) -> str:
    """Render a focus node: a full IRI in angle brackets, ``[]`` for a blank node."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, BNode):
        return "[]"
    return render_value(node, nsm)


def render_value(value: Node, nsm: NamespaceManager) -> str:
    """Render a value in Turtle syntax with the prefixes of ``nsm``.

    A blank node is described from the graph ``nsm`` belongs to (the report), since its label
    differs from run to run and never appears in the text.
    """
    if isinstance(value, Literal):
        return cut_literal(value).n3(nsm)
    if isinstance(value, BNode):
        return render_blank_node(value, nsm, nsm.graph)
    return value.n3(nsm)


def render_blank_node(node: BNode, nsm: NamespaceManager, graph: Graph) -> str:
    """Render a blank node as ``( item ... )`` if it heads a well-formed rdf:List, else as
    ``[ p o, o ; p o ]`` one level deep (nested blank nodes as ``[]``)."""
    items = read_list(node, graph)
    if items:
        return "( " + " ".join(render_shallow(i, nsm) for i in items) + " )"
    pairs: dict[str, list[str]] = {}
    for predicate, obj in graph.predicate_objects(node):
        pairs.setdefault(predicate.n3(nsm), []).append(render_shallow(obj, nsm))
    if not pairs:
        return "[]"
    inner = " ; ".join(f"{p} {', '.join(sorted(objs))}" for p, objs in sorted(pairs.items()))
    return f"[ {inner} ]"


def render_shallow(value: Node, nsm: NamespaceManager) -> str:
    """Render a value without following blank nodes."""
    return "[]" if isinstance(value, BNode) else render_value(value, nsm)


def read_list(head: Node, graph: Graph) -> list[Node] | None:
    """Return the members of a well-formed rdf:List, or None.

    Well-formed: every cell has exactly one rdf:first and one rdf:rest, and the chain reaches
    rdf:nil without a loop. (``Graph.items`` takes any one rdf:first and raises on loops.)
    """
    items: list[Node] = []
    seen: set[Node] = set()
    cell = head
    while cell != RDF.nil:
        firsts, rests = list(graph.objects(cell, RDF.first)), list(graph.objects(cell, RDF.rest))
        if cell in seen or len(firsts) != 1 or len(rests) != 1:
            return None
        seen.add(cell)
        items.append(firsts[0])
        cell = rests[0]
    return items


def cut_literal(value: Literal) -> Literal:
    """Return the literal with its lexical form cut to :data:`MAX_VALUE_CHARS` characters."""
    text = str(value)
    if len(text) <= MAX_VALUE_CHARS:
        return value
    return Literal(text[: MAX_VALUE_CHARS - 3] + "...", lang=value.language, datatype=value.datatype)
