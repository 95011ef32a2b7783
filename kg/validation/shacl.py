"""Load the SHACL shapes and run them over a batch: pyshacl-turbo whole, or pySHACL whole or in parts.

Two engines, chosen by ``KG_SHACL_ENGINE``. ``turbo`` (the default) runs the shapes compiled once
by pyshacl-turbo, a SHACL engine in Rust with pySHACL's API, over the whole batch; where it refuses
an input pySHACL accepts (a malformed ``rdf:List``, which pySHACL reports as violations), the batch
goes to pySHACL instead, so the verdict is always pySHACL's (tests/test_gate_differential.py holds
the two to the same report on every golden case, mutated batches and the W3C Core tests the shapes'
components need). ``pyshacl`` is the reference, kept for that test and as a fallback.

With pySHACL, a small batch, or one checked by shapes that :func:`~kg.validation.footprint.read_footprint`
cannot split, is validated in one pySHACL run. A larger one is split into parts of at most
:data:`PART_TRIPLES` triples (:mod:`kg.validation.partition`) validated in one process per CPU;
the parts' reports are merged into the report the single run would give.

Spec: SHACL Core, https://www.w3.org/TR/shacl/#core-components. Only Core is used, so pySHACL runs
with ``advanced=False`` and ``inference="none"``: the gate checks what the mapping stage asserted,
before :mod:`kg.inference` adds anything.

Why the ontology is not loaded with the shapes: ``sh:targetClass`` and ``sh:class`` follow
``rdfs:subClassOf`` in the *data* graph, not in the shapes graph
(https://www.w3.org/TR/shacl/#dfn-shacl-instance), so parsing ``ontology/kg.ttl`` into the shapes
graph would change nothing. Passing it to pySHACL as ``ont_graph`` would make pySHACL copy the whole
batch to mix it in, and would let a subclass axiom stand in for a type the mapping stage forgot to
assert. Every class the shapes target or require (schema:Person, schema:ScholarlyArticle,
kg:Venue, prov:Entity) is asserted directly by the mapping stage, so none is needed.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path

import pyshacl
import pyshacl_turbo
from pyshacl.errors import ReportableRuntimeError
from rdflib import Graph
from rdflib.namespace import RDF
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import Node

from kg.errors import InternalError, ParseError, SourceError
from kg.validation.footprint import Footprint, read_footprint
from kg.validation.partition import (
    PartJob,
    Triple,
    TripleIndex,
    find_targets,
    read_target_declarations,
    run_parts,
    split_focus_nodes,
    untargeted_shapes,
)
from kg.validation.report import PartReport, ValidationReport, merge_reports, read_report
from kg.vocab import bind_prefixes, prefixes

SHAPES_GLOB = "*.shapes.ttl"

PART_TRIPLES = 40_000
"""The most triples a part of a batch should hold (about 1,600 papers): pySHACL's memory grows
with the data graph, so parts bound it whatever the size of the batch."""

MIN_SPLIT_TRIPLES = 4_000
"""Smaller batches are validated whole: forking workers would cost more than it saves."""


def load_shapes(shapes_dir: Path, base_uri: str) -> Graph:
    """Parse every ``*.shapes.ttl`` file of a directory into one shapes graph.

    Args:
        shapes_dir: the directory holding one shapes file per record type.
        base_uri: the configured base; ``kg:`` in the files resolves to ``{base_uri}ontology#``.

    Returns:
        The shapes graph, with the project's prefixes bound (they are reused in reports).

    Raises:
        SourceError: the directory holds no shapes file, or a file cannot be read.
        ParseError: a file is not valid Turtle (with its line number).
    """
    return load_turtle_dir(shapes_dir, SHAPES_GLOB, base_uri, "one shapes file per record type")


def load_turtle_dir(directory: Path, glob: str, base_uri: str, expected: str) -> Graph:
    """Parse every file matching ``glob`` in ``directory`` into one graph, with our prefixes bound.

    Raises:
        SourceError: no file matches, or a file cannot be read.
        ParseError: a file is not valid Turtle (with its line number).
    """
    paths = sorted(Path(directory).glob(glob))
    if not paths:
        raise SourceError(str(directory), f"no {glob} files; expected {expected}")
    graph = Graph()
    bind_prefixes(graph, prefixes(base_uri, "sh"))  # the project's, replacing rdflib's defaults
    for path in paths:
        parse_turtle_file(graph, path, base_uri)
    return graph


def parse_turtle_file(graph: Graph, path: Path, base_uri: str) -> None:
    """Parse one Turtle file into ``graph``, resolving relative IRIs against ``base_uri``.

    Raises:
        SourceError: the file cannot be read or is not UTF-8.
        ParseError: the file is not valid Turtle.
    """
    try:
        graph.parse(path, format="turtle", publicID=base_uri)
    except BadSyntax as exc:
        raise ParseError(str(path), exc.lines + 1, f"not valid Turtle: {describe_bad_syntax(exc)}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(str(path), f"cannot read the file as UTF-8 Turtle: {exc}") from exc


def describe_bad_syntax(exc: BadSyntax) -> str:
    """Return rdflib's reason for a Turtle syntax error (its message also quotes raw bytes)."""
    match = re.search(r"Bad syntax \((.*?)\) at \^", str(exc))
    return match.group(1) if match else str(exc)


def validate_graph(
    data: Graph | Collection[Triple],
    shapes: Graph,
    record_keys: Mapping[str, Sequence[str]],
    workers: int | None = None,
    part_triples: int = PART_TRIPLES,
    engine: str = "turbo",
) -> ValidationReport:
    """Validate a batch's asserted data against the shapes.

    A large batch is split into parts (:mod:`kg.validation.partition`) validated in ``workers``
    processes; the report is the one a single pySHACL run over the whole batch gives.

    Args:
        data: the union of the batch's source graphs and the identity graph: a plain Graph, or
            its triples. A Dataset would be validated graph by graph, which breaks checks that
            span graphs.
        shapes: the graph from :func:`load_shapes`.
        record_keys: record keys (``file:line``) per subject IRI, from the mapping stage; they
            name the records at fault in the report.
        workers: processes to validate parts in; by default one per usable CPU.
        part_triples: the most triples a part should hold (bounds the memory of each run).
        engine: ``turbo`` or ``pyshacl`` (module docstring).

    Returns:
        The report; ``report.conforms`` is False when any violation was found.

    Raises:
        TypeError: ``data`` is a Dataset or ConjunctiveGraph instead of a plain Graph.
        ParseError: pySHACL cannot use the shapes graph (an ill-formed shape).
    """
    check_plain_graph(data)
    if engine == "turbo":
        try:
            if isinstance(data, Graph):
                return validate_whole(data, shapes, record_keys, run_turbo)
            # pyshacl-turbo reads its data graph's triples once, into its own engine: the set of
            # triples serves, read in place (no rdflib index built: a fifth of an ingest's time).
            # Only a report with results reads the data (blank nodes, records), so an indexed
            # graph is built for that one. A cyclic rdf:List is refused by turbo
            # (tests/test_gate_differential.py) and goes to pySHACL with the loop cut.
            view = TriplesGraph(data)
            conforms, results = _run(run_turbo, view, shapes)
            return read_report(conforms, results, view if conforms else graph_of(data, "SimpleMemory"), record_keys)
        except TurboRefused:
            pass  # pySHACL's verdict on an input the fast engine does not take
    workers = workers or usable_cpus()
    footprint = read_footprint(shapes)
    count = count_parts(len(data), footprint, workers, part_triples)
    if footprint is None or count == 1:
        return validate_whole(data if isinstance(data, Graph) else graph_of(data), shapes, record_keys)
    return validate_in_parts(data, shapes, record_keys, footprint, count, workers)


def validate_in_parts(data: Iterable[Triple], shapes: Graph, record_keys: Mapping[str, Sequence[str]],
                      footprint: Footprint, count: int, workers: int) -> ValidationReport:
    """Validate the batch in ``count`` parts (:mod:`kg.validation.partition`), ``workers`` at a time."""
    index = TripleIndex.of(data, footprint.inverse_predicates)
    index.remove(find_loop_closing_rests(*index.list_rests()))
    targets = find_targets(read_target_declarations(shapes, footprint.targeted), index)
    job = PartJob(index, targets, split_focus_nodes(targets, count), footprint,
                  untargeted_shapes(shapes), record_keys, run_pyshacl)
    parts = run_parts(job, workers)
    refusal = next((part for part in parts if isinstance(part, str)), None)
    if refusal is not None:
        raise ParseError("shapes graph", None, refusal)
    return merge_reports([part for part in parts if isinstance(part, PartReport)], shapes)


def usable_cpus() -> int:
    """Return the number of CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def count_parts(size: int, footprint: Footprint | None, workers: int, part_triples: int) -> int:
    """Return how many parts to validate ``size`` triples in: one when the shapes cannot be split
    or the batch is small, else enough to keep parts under ``part_triples``, rounded up to a
    multiple of ``workers`` so that none of them idles at the end."""
    if footprint is None or size < min(MIN_SPLIT_TRIPLES, part_triples + 1):
        return 1
    return math.ceil(math.ceil(size / part_triples) / workers) * workers


def validate_whole(data: Graph, shapes: Graph, record_keys: Mapping[str, Sequence[str]],
                   run=None) -> ValidationReport:
    """Validate the whole batch in one run of ``run`` (pySHACL by default)."""
    checked = break_list_cycles(data)
    conforms, results = _run(run or run_pyshacl, checked, shapes)
    return read_report(conforms, results, checked, record_keys)


def _run(run, data: Graph, shapes: Graph) -> tuple[bool, Graph]:
    """One engine's run; a shapes graph it cannot use is a ParseError."""
    try:
        return run(data, shapes)
    except (ReportableRuntimeError, pyshacl_turbo.ReportableRuntimeError) as exc:
        raise ParseError("shapes graph", None, f"the SHACL engine cannot use the shapes: {exc.message}") from exc


class TriplesGraph(Graph):
    """A plain graph over a collection of triples, read in place: iterating it gives them, and a
    pattern is matched by a scan (no index is built). For a reader that takes every triple once,
    as pyshacl-turbo does, and never for one that looks things up (a report being read)."""

    def __init__(self, triples: Collection[Triple]):
        super().__init__(store="SimpleMemory")
        self._triples = triples

    def triples(self, pattern):  # noqa: D102 - rdflib's Graph.triples, by a scan
        s, p, o = pattern
        for triple in self._triples:
            if (s is None or triple[0] == s) and (p is None or triple[1] == p) and (o is None or triple[2] == o):
                yield triple

    def __len__(self) -> int:
        return len(self._triples)


class TurboRefused(InternalError):
    """pyshacl-turbo would not take the data graph (it raises ValueError on a malformed rdf:List);
    validate_graph then gives the batch to pySHACL, so it never leaves this module."""


_COMPILED: list = [None, None]  # the last shapes graph and its compiled program (a gate loads shapes once)


def run_turbo(data: Graph, shapes: Graph) -> tuple[bool, Graph]:
    """Run pyshacl-turbo (SHACL Core only), the shapes compiled once per shapes graph."""
    if _COMPILED[0] is not shapes:
        _COMPILED[:] = [shapes, pyshacl_turbo.compile_shapes(shapes, advanced=False)]
    try:
        conforms, results, _text = _COMPILED[1].validate(data, abort_on_first=False)
    except ValueError as exc:
        raise TurboRefused(str(exc)) from exc
    return bool(conforms), results


def run_pyshacl(data: Graph, shapes: Graph) -> tuple[bool, Graph]:
    """Run pySHACL (SHACL Core only); the data graph is read in place, not copied."""
    conforms, results, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=False, abort_on_first=False
    )
    return bool(conforms), results


def graph_of(triples: Iterable[Triple], backend: str = "default") -> Graph:
    """A plain graph of the triples. pyshacl-turbo gets one on rdflib's context-unaware
    ``SimpleMemory`` store (fully indexed, about a quarter faster to fill and to read); pySHACL
    needs the default, context-aware one."""
    graph = Graph(store=backend)
    graph.addN((s, p, o, graph) for s, p, o in triples)
    return graph


def check_plain_graph(data: object) -> None:
    """Refuse a context-aware graph, which pySHACL would validate one named graph at a time."""
    if getattr(data, "context_aware", False):
        raise TypeError(
            f"validate_graph: data is a {type(data).__name__}; pass a plain rdflib.Graph holding the "
            "union of the batch's graphs so that shapes can span source and identity graphs"
        )


def break_list_cycles(data: Graph) -> Graph:
    """Return ``data``, or a copy without the ``rdf:rest`` triples that close a loop.

    pySHACL prints and copies list nodes with ``Graph.items``, which raises on an ``rdf:rest``
    loop, so a cyclic list would crash the run instead of being reported. Cutting each loop
    leaves a list that does not end in ``rdf:nil``, which the shapes report as ill-formed.
    The copy is made only when there is a loop, which the mapping stage never builds.
    """
    rests: dict[Node, list[Node]] = {}
    for cell, rest in data.subject_objects(RDF.rest):
        rests.setdefault(cell, []).append(rest)
    heads = {cell for cell in rests if any(p != RDF.rest for p in data.predicates(None, cell))}
    closing = find_loop_closing_rests(rests, heads)
    if not closing:
        return data
    cut = Graph()
    cut += data
    for triple in closing:
        cut.remove(triple)
    return cut


def find_loop_closing_rests(rests: dict[Node, list[Node]], heads: set[Node]) -> list[Triple]:
    """Return the ``rdf:rest`` triples that close a loop (the back edges of a depth-first walk).

    Args:
        rests: the rdf:rest values of each list cell.
        heads: the cells that something other than rdf:rest points to.
    """
    # Walk from the list heads first, so that a loop is cut where it returns towards its head,
    # whatever the blank-node labels.
    done: set[Node] = set()
    closing: list[Triple] = []
    for start in sorted(rests, key=lambda cell: (cell not in heads, str(cell))):
        walk_rests(start, rests, done, closing)
    return closing


def walk_rests(
    cell: Node,
    rests: dict[Node, list[Node]],
    done: set[Node],
    closing: list[tuple[Node, Node, Node]],
) -> None:
    """Walk the ``rdf:rest`` chains from ``cell`` depth-first, recording edges back into the path."""
    if cell in done:
        return
    stack = [(cell, iter(rests.get(cell, ())))]
    on_path = {cell}
    while stack:
        node, successors = stack[-1]
        nxt = next(successors, None)
        if nxt is None:
            stack.pop()
            on_path.discard(node)
            done.add(node)
        elif nxt in on_path:
            closing.append((node, RDF.rest, nxt))
        elif nxt not in done:
            stack.append((nxt, iter(rests.get(nxt, ()))))
            on_path.add(nxt)
