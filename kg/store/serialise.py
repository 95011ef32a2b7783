"""Serialising the graph: the bytes of every dump, the same for the same graph.

Triples are sorted (subject, then ``rdf:type`` first, then predicate and object as N-Triples
writes them), quads come in
the store's index order, and the prefixes are the vocabulary's (kg.vocab.dump_prefixes), so the
same graph always gives the same bytes; while the triples stream past, the VoID statistics of
the manifest are counted (:class:`GraphStats`). Spec: VoID statistics,
https://www.w3.org/TR/void/#statistics.
"""

from __future__ import annotations

import heapq
import io
import itertools
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib.namespace import OWL, RDF

from kg.formats import DUMP_FORMATS
from kg.uris import LINK_TARGETS
from kg.vocab import FOAF, SCHEMA, dump_prefixes

RDF_TYPE = ox.NamedNode(str(RDF.type))
OWL_SAME_AS = ox.NamedNode(str(OWL.sameAs))
OWL_DEPRECATED = ox.NamedNode(str(OWL.deprecated))
FOAF_MADE = ox.NamedNode(str(FOAF.made))  # inferred: schema:author is a foaf:maker (ontology/)
WORK_EXAMPLE = ox.NamedNode(str(SCHEMA.workExample))
SCHOLARLY_ARTICLE = ox.NamedNode(str(SCHEMA.ScholarlyArticle))


def dump_graph(store: ox.Store, output: BinaryIO, format: str, base: str, graphs: Counter | None = None) -> int:
    """Serialise the whole store; Turtle and N-Triples give the union of the graphs, sorted.

    Args:
        graphs: for formats that keep the graphs, receives the quads written per graph IRI.

    Returns:
        How many triples (or quads, for formats that keep the graphs) were written.
    """
    keeps_graphs = DUMP_FORMATS[format].keeps_graphs
    rdf_format = getattr(ox.RdfFormat, DUMP_FORMATS[format].oxigraph)
    prefixes = None if format in ("ntriples", "nquads") else dump_prefixes(base)
    if keeps_graphs:  # the named graphs only: the default graph is their union, kept by kg
        graphs = Counter() if graphs is None else graphs
        ox.serialize(iter_named_quads(store, graphs), output, rdf_format, prefixes=prefixes)
        return sum(graphs.values())
    lines = 0

    def counted(batch: bytes) -> bytes:  # a batch is whole lines, one triple each
        nonlocal lines
        lines += batch.count(b"\n")
        return batch

    batches = map(counted, sorted_batches(store))
    if format == "ntriples":
        for batch in batches:
            output.write(batch)
    else:
        ox.serialize(parse_batches(batches), output, rdf_format, prefixes=prefixes)
    return lines


def iter_named_quads(store: ox.Store, counts: Counter) -> Iterator[ox.Quad]:
    """Every quad of every named graph, in the store's index order (deterministic for its content);
    ``counts`` receives the quads per graph IRI."""
    for graph in sorted(store.named_graphs(), key=term_key):
        for quad in store.quads_for_pattern(None, None, None, graph):
            counts[graph.value] += 1
            yield quad


SORT_RUN = 200_000  # strings sorted in memory at a time; longer lists spill to temporary files


class SortedRuns:
    """Strings sorted with bounded memory: each ``run`` of them (distinct) is sorted in memory and,
    when more follow, written to a temporary file; :meth:`merge` yields them all sorted, each once.
    Lines must not hold a newline (N-Triples terms and lines do not)."""

    def __init__(self, run: int | None = None, directory: Path | None = None):
        self.run, self.directory = run or SORT_RUN, directory
        self.batch: set[str] = set()
        self.files = ExitStack()
        self.spilled: list = []

    def add(self, line: str) -> None:
        self.batch.add(line)
        if len(self.batch) >= self.run:
            spill = self.files.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n",
                                                                     dir=self.directory))
            spill.writelines(f"{item}\n" for item in sorted(self.batch))
            spill.seek(0)
            self.spilled.append(spill)
            self.batch = set()

    def merge(self) -> Iterator[str]:
        with self.files:
            runs = [(line.rstrip("\n") for line in spill) for spill in self.spilled]
            previous = None
            for line in heapq.merge(*runs, sorted(self.batch)):
                if line != previous:  # the same string in two runs
                    previous = line
                    yield line
            self.batch = set()


BATCH_LINES = 4096  # N-Triples lines handed on at a time


def sorted_batches(store: ox.Store, each: Callable[[str], None] | None = None,
                   spill: Path | None = None) -> Iterator[bytes]:
    """The union of the graphs as N-Triples, each triple once, sorted; in batches of whole lines.

    RocksDB's indexes are ordered by term hashes, so the order is made here: pyoxigraph writes the
    default graph (the union, kept by kg) as N-Triples in its index order, a sequential read, and
    each line goes into :class:`SortedRuns` under a key that sorts by subject (IRIs, then blank
    nodes, each by lexical form), then ``rdf:type`` first, then the rest of the line: memory does
    not grow with the store. Sorted output keeps a subject's triples together (Turtle groups them)
    and like IRIs side by side, which gzip rewards (a third smaller than the index's order at
    100,000 papers). ``each(line)`` sees every line (without its newline) before it is handed on.
    The runs spill into ``spill`` (the system's temporary directory if None): about the size of
    the uncompressed N-Triples, 9.4 GB at a million papers.
    """
    runs = SortedRuns(directory=spill)
    sink = _LineSink(lambda line: runs.add(_sort_key(line)))
    store.dump(sink, ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    sink.close()
    lines = map(_line_of, runs.merge())
    while batch := list(itertools.islice(lines, BATCH_LINES)):
        if each is not None:
            for line in batch:
                each(line)
        batch.append("")
        yield "\n".join(batch).encode("utf-8")


def parse_batches(batches: Iterator[bytes]) -> Iterator[ox.Triple]:
    """The triples of N-Triples handed over in batches of whole lines (to serialise in another format)."""
    return ox.parse(io.BufferedReader(_BatchReader(batches), 1 << 16), ox.RdfFormat.N_TRIPLES)


NT_TYPE = f"<{RDF.type}> "


def _sort_key(line: str) -> str:
    """The key a line is sorted under: 0/1 (IRI/blank subject), the subject's lexical form, \\x01
    (below every character an IRI or a label can hold: a subject sorts before its extensions),
    0/1 (``rdf:type`` or not), the predicate and object as written."""
    if line[0] == "<":
        end = line.index("> ")
        subject, rest = "0" + line[1:end], line[end + 2:]
    else:
        end = line.index(" ")
        subject, rest = "1" + line[2:end], line[end + 1:]
    return f"{subject}\x01{'0' if rest.startswith(NT_TYPE) else '1'}{rest}"


def _line_of(key: str) -> str:
    """The N-Triples line of a :func:`_sort_key`."""
    end = key.index("\x01")
    subject = f"<{key[1:end]}>" if key[0] == "0" else f"_:{key[1:end]}"
    return f"{subject} {key[end + 2:]}"


class _LineSink:
    """A binary file pyoxigraph writes to; each whole line (decoded, without its newline) goes to ``take``."""

    def __init__(self, take: Callable[[str], None]):
        self.take, self.rest = take, b""

    def write(self, data) -> int:
        complete, newline, self.rest = (self.rest + bytes(data)).rpartition(b"\n")
        if newline:
            for line in complete.decode("utf-8").split("\n"):
                self.take(line)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if self.rest:
            raise ValueError("N-Triples output did not end with a newline")


class _BatchReader(io.RawIOBase):
    """A readable raw stream over byte batches (wrapped in io.BufferedReader for pyoxigraph)."""

    def __init__(self, batches: Iterator[bytes]):
        self.batches, self.pending = batches, memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending:
            batch = next(self.batches, None)
            if batch is None:
                return 0
            self.pending = memoryview(batch)
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def term_key(term) -> tuple:
    """Sort key of a pyoxigraph term: IRIs, then blank nodes, then literals; by lexical form."""
    if isinstance(term, ox.NamedNode):
        return (0, term.value, "")
    if isinstance(term, ox.BlankNode):
        return (1, term.value, "")
    return (2, term.value, term.language or term.datatype.value)


@dataclass
class GraphStats:
    """VoID statistics gathered while the sorted N-Triples lines stream past, one line at a time.

    With ``describe``, also what the manifest says beyond VoID's partitions, without a query over
    the whole store: the distinct objects (counted by :class:`SortedRuns`, so memory stays
    bounded), the owl:sameAs links per link target, and two example resources (the person who
    made the most works and the work with the most versions, neither deprecated; the first IRI on
    a tie). Read the figures after :meth:`end`.
    """

    base: str
    describe: bool = False
    triples: int = 0
    subjects: int = 0
    entities: int = 0
    classes: Counter = field(default_factory=Counter)
    properties: Counter = field(default_factory=Counter)
    linksets: Counter = field(default_factory=Counter)
    _objects: SortedRuns = field(init=False)
    _examples: dict[str, tuple[int, str]] = field(default_factory=dict)
    _subject: str | None = None
    _made: int = 0
    _versions: int = 0
    _article: bool = False
    _deprecated: bool = False
    spill: Path | None = None
    _entity_prefix: str = ""

    def __post_init__(self) -> None:
        self._entity_prefix = f"<{self.base}"
        self._objects = SortedRuns(directory=self.spill)

    def add(self, line: str) -> None:
        """One N-Triples line (without its newline), each triple once, the subjects in order."""
        subject, predicate, obj = line[:-2].split(" ", 2)
        if subject != self._subject:
            self._end_subject()
            self._subject = subject
            self.subjects += 1
            if subject.startswith(self._entity_prefix):
                self.entities += 1
        self.triples += 1
        self.properties[predicate] += 1
        if predicate == _TYPE and obj[0] == "<":
            self.classes[obj] += 1  # triples are distinct: distinct instances
        if self.describe:
            self._describe(predicate, obj)

    def end(self) -> None:
        """After the last line: turns the counters' keys from N-Triples into IRIs."""
        self._end_subject()
        self._subject = None
        self.classes = Counter({key.strip("<>"): n for key, n in self.classes.items()})
        self.properties = Counter({key.strip("<>"): n for key, n in self.properties.items()})

    def _describe(self, predicate: str, obj: str) -> None:
        self._objects.add(obj)
        if predicate == _TYPE:
            self._article |= obj == _ARTICLE
        elif predicate == _MADE:
            self._made += 1
        elif predicate == _WORK_EXAMPLE:
            self._versions += 1
        elif predicate == _DEPRECATED:
            self._deprecated |= obj.startswith('"true"')  # the lexical form is "true"
        elif predicate == _SAME_AS and obj[0] == "<":
            scheme = next((k for k, (space, _) in LINK_TARGETS.items() if obj.startswith(space, 1)), None)
            if scheme is not None:
                self.linksets[scheme] += 1

    def _end_subject(self) -> None:
        subject = self._subject
        if self.describe and subject is not None and subject[0] == "<" and not self._deprecated:
            self._example("author", subject[1:-1], self._made)
            if self._article:
                self._example("work", subject[1:-1], self._versions)
        self._made = self._versions = 0
        self._article = self._deprecated = False

    def _example(self, kind: str, subject: str, count: int) -> None:
        best = self._examples.get(kind)
        if count and (best is None or count > best[0]):  # subjects come sorted: the first IRI wins a tie
            self._examples[kind] = (count, subject)

    def distinct_objects(self) -> int:
        """How many distinct objects the triples had (once, after :meth:`end`)."""
        return sum(1 for _ in self._objects.merge())

    def examples(self) -> list[str]:
        return [self._examples[kind][1] for kind in ("author", "work") if kind in self._examples]


_TYPE, _MADE, _WORK_EXAMPLE, _DEPRECATED, _SAME_AS, _ARTICLE = (
    str(term) for term in (RDF_TYPE, FOAF_MADE, WORK_EXAMPLE, OWL_DEPRECATED, OWL_SAME_AS, SCHOLARLY_ARTICLE))
