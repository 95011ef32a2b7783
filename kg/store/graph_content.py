"""One named graph's content, serialised a batch at a time: what ``/graph-store?graph=…`` sends.

A graph of any size is streamed with bounded memory: :data:`BATCH` triples are serialised at a
time and handed on, and nothing else is kept. N-Triples and N-Quads are lines, so batches simply
follow each other; Turtle batches share one prefix block, written once at the start (each batch
is a whole set of statements, so a subject split between two batches is said in two statements,
as Turtle allows). The order of the triples is the store's (its index order, or the server's).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from kg.formats import GRAPH_FORMATS
from kg.vocab import dump_prefixes

GRAPH_CONTENT_FORMATS = ("ntriples", "turtle", "nquads")
"""The formats a graph's content is streamed in (kg.formats names); the first is the default."""
BATCH = 4096  # triples serialised at a time


def serialise_graph(quads: Iterable[ox.Quad], format: str, base: str) -> Iterator[bytes]:
    """The quads of one named graph as ``format`` (triples, or quads for N-Quads), a batch at a time.

    Args:
        quads: the graph's quads, read lazily (a store's ``quads_for_pattern``, a parsed stream).
        format: one of :data:`GRAPH_CONTENT_FORMATS`.
        base: the base URI, for the Turtle prefixes (those of the dumps).
    """
    if format not in GRAPH_CONTENT_FORMATS:
        raise ValueError(f"a graph's content is streamed as {', '.join(GRAPH_CONTENT_FORMATS)}, not {format}")
    rdf_format = getattr(ox.RdfFormat, GRAPH_FORMATS[format].oxigraph)
    keeps_graphs = GRAPH_FORMATS[format].keeps_graphs
    prefixes = dump_prefixes(base) if format == "turtle" else None
    block = None  # the @prefix lines: pyoxigraph writes every prefix it is given at the start of each batch
    quads = iter(quads)
    while batch := list(itertools.islice(quads, BATCH)):
        terms = batch if keeps_graphs else [quad.triple for quad in batch]
        text = ox.serialize(terms, format=rdf_format, prefixes=prefixes)
        if prefixes is not None:
            if block is None:
                block = _prefix_block(text)
            elif text.startswith(block):  # declared once already
                text = text[len(block):]
        yield text


def _prefix_block(text: bytes) -> bytes:
    """The leading ``@prefix`` lines of a Turtle text."""
    end = 0
    for line in text.splitlines(keepends=True):
        if not line.startswith(b"@prefix "):
            break
        end += len(line)
    return text[:end]
