"""The remote store's write: one SPARQL 1.1 Update request, and the meta graph it keeps.

A change is sent as one request of four operations (https://www.w3.org/TR/sparql11-update/),
which a server such as Oxigraph applies in one transaction:

1. ``DELETE { GRAPH <g> { … } } WHERE { guard }``: the removed quads;
2. ``DELETE { ?s ?p ?o } WHERE { guard VALUES (?s ?p ?o) { … } FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }``:
   their triples leave the default graph unless a named graph still states them;
3. ``INSERT { GRAPH <g> { … } … }  WHERE { guard }``: the added quads, and their triples in the default
   graph, which so stays the union of the named graphs, each triple once (as in oxigraph.py);
4. the meta graph ``{base}graph/meta``: the generation number plus one, a write id, the server's
   ``NOW()`` as ``dcterms:modified``, and the build (activity, SHACL verdict and report), so any
   process can make the generation's artifacts from the store alone.

A batch whose request would pass the server's body limit (Oxigraph: 128 MiB, about 7,000
papers) is first uploaded, by several ``INSERT DATA`` requests, into staging graphs
``{base}graph/staging/{write id}/{n}`` (one per target graph; the quads of one blank-node list
always in one request, as blank node labels are scoped to a request); operation 3 then copies
them into their graphs and the request ends by dropping them (:func:`render_staging`). The
publication stays one request: the default graph and the dumps never see a half-uploaded
batch, though ``GRAPH ?g`` queries can see the staging graphs during the upload.

The guard (the meta graph still holds the generation the ingest read) makes the whole request
a no-op when another writer got in first; the write id, logged per generation, tells the
writer whether its request was applied. Templates are used instead of ``INSERT DATA`` because
DATA operations cannot be made conditional; the blank nodes of one ``INSERT`` template are one
set of fresh nodes, shared by the named graph and the default graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

import pyoxigraph as ox
from rdflib import Graph

from kg.quads import Renames
from kg.store.build import Build
from kg.vocab import DCTERMS, kg_namespace

XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
BUILD_FIELDS = ("activity", "created", "conforms", "note", "lines", "report")


def meta_graph_uri(base: str) -> str:
    """The graph of the store's own bookkeeping (a remote store only; left out of dumps and VoID).

    Minted here rather than in kg/uris.py: it is not a resource of the published graph.
    """
    return f"{base}graph/meta"


def _term(base: str, name: str) -> str:
    return f"<{kg_namespace(base)[name]}>"


@dataclass(frozen=True)
class Generation:
    """Which content the server holds: a number bumped by every write, and the id of that write."""

    number: int
    write_id: str
    modified: float | None = None

    @property
    def name(self) -> str:
        return f"g{self.number:06d}"

    @property
    def token(self) -> str:
        """Unique even across a wiped and rebuilt server: ``g000003-1a2b3c4d``."""
        return f"{self.name}-{self.write_id[:8]}"

    @classmethod
    def of_row(cls, row: tuple) -> Generation:
        number, write_id, modified = row
        return cls(int(number), str(write_id), parse_modified(str(modified)) if modified is not None else None)


def generation_query(base: str) -> str:
    meta = f"<{meta_graph_uri(base)}>"
    return (f"SELECT ?n ?id ?modified WHERE {{ GRAPH {meta} {{ {meta} {_term(base, 'generation')} ?n ; "
            f"{_term(base, 'writeId')} ?id OPTIONAL {{ {meta} <{DCTERMS.modified}> ?modified }} }} }}")


def parse_modified(text: str) -> float | None:
    """POSIX seconds of an xsd:dateTime as NOW() gives it (up to nanoseconds, a time zone)."""
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[:min(digits, 6)]}{rest[digits:]}"
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


# -- the request ---------------------------------------------------------------------------------


def render_update(base: str, additions: list[ox.Quad], removals: list[ox.Quad], expected: Generation | None,
                  write_id: str, build: Build, staged: dict[str, str] | None = None,
                  renames: Renames | None = None) -> Iterator[str]:
    """The text of the update request, piece by piece (it is streamed, never held whole).

    Args:
        expected: the generation the change was computed against; None for an empty store.
        staged: target graph -> staging graph, when the additions were uploaded there already.
        renames: graph -> {old IRI: new IRI}: renamed in place in the graph (and its triples in the
            default graph), so the blank nodes of an author list stay the same nodes.
    """
    guard = _guard(base, expected)
    if removals:
        yield "DELETE {\n"
        yield from _graph_blocks(removals)
        yield f"}} WHERE {{ {guard} }} ;\nDELETE {{ ?s ?p ?o }} WHERE {{ {guard}\nVALUES (?s ?p ?o) {{\n"
        yield from (f"({s} {p} {o})\n" for s, p, o in _triples(removals))
        yield "} FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } } ;\n"
    if staged is not None:
        for graph, stage in staged.items():
            yield (f"INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o }} ?s ?p ?o }} "
                   f"WHERE {{ {guard} GRAPH <{stage}> {{ ?s ?p ?o }} }} ;\n")
    elif additions:
        yield "INSERT {\n"
        yield from _graph_blocks(additions)
        yield from (f"{s} {p} {o} .\n" for s, p, o in _triples(additions))
        yield f"}} WHERE {{ {guard} }} ;\n"
    yield from _rename_operations(guard, renames or {})
    yield _meta_operation(base, guard, (expected.number if expected else 0) + 1, write_id, build)
    yield from (f" ;\nDROP SILENT GRAPH <{stage}>" for stage in (staged or {}).values())


def _rename_operations(guard: str, renames: Renames) -> Iterator[str]:
    """Rename IRIs in their graphs with DELETE/INSERT templates (the only way SPARQL Update can change
    a triple of a blank node), then drop the old triples' default-graph copies that no graph states."""
    olds = set()
    for graph, names in sorted(renames.items()):
        for old, new in sorted(names.items()):
            olds.add(old)
            yield (f"DELETE {{ GRAPH <{graph}> {{ <{old}> ?p ?o }} }} INSERT {{ GRAPH <{graph}> {{ <{new}> ?p ?o }} "
                   f"<{new}> ?p ?o }} WHERE {{ {guard} GRAPH <{graph}> {{ <{old}> ?p ?o }} }} ;\n")
            yield (f"DELETE {{ GRAPH <{graph}> {{ ?s ?p <{old}> }} }} INSERT {{ GRAPH <{graph}> {{ ?s ?p <{new}> }} "
                   f"?s ?p <{new}> }} WHERE {{ {guard} GRAPH <{graph}> {{ ?s ?p <{old}> }} }} ;\n")
    if olds:
        values = " ".join(f"<{old}>" for old in sorted(olds))
        yield (f"DELETE {{ ?s ?p ?o }} WHERE {{ {guard} VALUES ?x {{ {values} }} "
               f"{{ ?x ?p ?o BIND(?x AS ?s) }} UNION {{ ?s ?p ?x BIND(?x AS ?o) }} "
               f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} }} ;\n")


def staging_prefix(base: str) -> str:
    """Where large batches are uploaded before they are published (left out of snapshots)."""
    return f"{base}graph/staging/"


def render_staging(base: str, write_id: str, additions: list[ox.Quad],
                   max_bytes: int) -> tuple[dict[str, str], list[list[str]]]:
    """Split the additions into ``INSERT DATA`` requests of at most about ``max_bytes`` each.

    Returns:
        target graph -> staging graph, and the requests, each a list of text pieces.
    """
    targets = sorted({q.graph_name.value for q in additions})
    staged = {graph: f"{staging_prefix(base)}{write_id}/{n}" for n, graph in enumerate(targets)}
    requests: list[list[str]] = []
    lines: list[str] = []
    size = 0
    for group in _blank_node_groups(additions):
        text = [f"GRAPH <{staged[q.graph_name.value]}> {{ {q.subject} {q.predicate} {q.object} }}\n" for q in group]
        length = sum(len(line.encode("utf-8")) for line in text)
        if lines and size + length > max_bytes:
            requests.append(["INSERT DATA {\n", *lines, "}\n"])
            lines, size = [], 0
        lines += text
        size += length
    if lines:
        requests.append(["INSERT DATA {\n", *lines, "}\n"])
    return staged, requests


def _blank_node_groups(quads: list[ox.Quad]) -> Iterator[list[ox.Quad]]:
    """The quads, grouped so that quads sharing a blank node (transitively) are in one group."""
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def find(node: ox.BlankNode) -> ox.BlankNode:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for quad in quads:
        nodes = [t for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]
        for node in nodes[1:]:
            parent[find(node)] = find(nodes[0])
    groups: dict[ox.BlankNode, list[ox.Quad]] = {}
    for quad in quads:
        node = next((t for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)), None)
        if node is None:
            yield [quad]
        else:
            groups.setdefault(find(node), []).append(quad)
    yield from groups.values()


def _guard(base: str, expected: Generation | None) -> str:
    meta = f"<{meta_graph_uri(base)}>"
    if expected is None:
        return f"FILTER NOT EXISTS {{ GRAPH {meta} {{ {meta} {_term(base, 'generation')} ?any }} }}"
    return (f"GRAPH {meta} {{ {meta} {_term(base, 'generation')} {expected.number} ; "
            f"{_term(base, 'writeId')} {ox.Literal(expected.write_id)} }}")


def _graph_blocks(quads: list[ox.Quad]) -> Iterator[str]:
    for graph, members in groupby(sorted(quads, key=lambda q: q.graph_name.value), key=lambda q: q.graph_name):
        yield f"GRAPH {graph} {{\n"
        yield from (f"{q.subject} {q.predicate} {q.object} .\n" for q in members)
        yield "}\n"


def _triples(quads: Iterable[ox.Quad]) -> list[tuple]:
    return sorted({(q.subject, q.predicate, q.object) for q in quads}, key=str)


def _meta_operation(base: str, guard: str, number: int, write_id: str, build: Build) -> str:
    meta = f"<{meta_graph_uri(base)}>"
    values = [("generation", str(number)), ("writeId", str(ox.Literal(write_id)))]
    for name, value in _build_values(build):
        values.append((f"build{name[0].upper()}{name[1:]}", value))
    properties = " ;\n  ".join(f"{_term(base, name)} {value}" for name, value in values)
    log = f"<{meta_graph_uri(base)}#g{number:06d}>"
    return (f"DELETE {{ GRAPH {meta} {{ {meta} ?p ?o }} }}\n"
            f"INSERT {{ GRAPH {meta} {{ {meta} <{DCTERMS.modified}> ?now ;\n  {properties} .\n"
            f"  {log} {_term(base, 'writeId')} {ox.Literal(write_id)} }} }}\n"
            f"WHERE {{ {guard} BIND(NOW() AS ?now) OPTIONAL {{ GRAPH {meta} {{ {meta} ?p ?o }} }} }}\n")


def _build_values(build: Build) -> Iterator[tuple[str, str]]:
    yield "activity", str(ox.Literal(build.activity))
    yield "created", str(ox.Literal(build.created))
    if build.conforms is not None:
        yield "conforms", str(ox.Literal(str(build.conforms).lower(), datatype=ox.NamedNode(XSD_BOOLEAN)))
    if build.note:
        yield "note", str(ox.Literal(build.note))
    if build.lines:
        yield "lines", str(ox.Literal("\n".join(build.lines)))
    if build.report is not None:
        yield "report", str(ox.Literal(build.report.serialize(format="turtle")))


# -- reading the meta graph back -----------------------------------------------------------------


def build_of(base: str, meta_quads: Sequence[ox.Quad]) -> tuple[Generation | None, Build]:
    """The generation and the build recorded in the meta graph's quads (from a snapshot)."""
    prefix = str(kg_namespace(base))
    meta = ox.NamedNode(meta_graph_uri(base))
    values = {q.predicate.value.removeprefix(prefix): q.object.value
              for q in meta_quads if q.subject == meta and q.predicate.value.startswith(prefix)}
    modified = next((q.object.value for q in meta_quads if q.subject == meta and q.predicate.value == str(
        DCTERMS.modified)), None)
    if "generation" not in values:
        return None, Build.unrecorded()
    generation = Generation(int(values["generation"]), values["writeId"], parse_modified(modified or ""))
    field = {name: values.get(f"build{name[0].upper()}{name[1:]}") for name in BUILD_FIELDS}
    report = Graph().parse(data=field["report"], format="turtle") if field["report"] else None
    build = Build(
        activity=field["activity"] or "unknown",
        created=field["created"] or "",
        conforms=None if field["conforms"] is None else field["conforms"] == "true",
        lines=tuple(field["lines"].split("\n")) if field["lines"] else (),
        report=report,
        note=field["note"] or "",
    )
    return generation, build
