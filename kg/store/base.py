"""The store interface: what the pipeline and the web layer need from a quad store.

Two implementations: the embedded pyoxigraph store (oxigraph.py), the default, and a remote
SPARQL 1.1 store (remote.py), chosen by kg.store.open_store from the location.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

from kg.identity.registry import Registry
from kg.mapping.batch import Change, Quad
from kg.store.runner import QueryAnswer

DUMP_FORMATS = {
    # name: (pyoxigraph RdfFormat attribute, keeps named graphs)
    "turtle": ("TURTLE", False),
    "ntriples": ("N_TRIPLES", False),
    "nquads": ("N_QUADS", True),
    "trig": ("TRIG", True),
    "jsonld": ("JSON_LD", True),
}


class Store(Protocol):
    """A quad store whose default graph, for queries, is the union of its named graphs."""

    location: str
    base_uri: str
    exact_state: bool
    """Whether :meth:`state` is read afresh on every call (an answer cache keyed on it never lags)."""

    def exists(self) -> bool:
        """Whether anything was ever written to the store."""

    def registry(self) -> Registry:
        """Identity lookups over the store's identity graph."""

    def apply(self, add: Iterable[Quad], remove: Iterable[Quad], build=None) -> None:
        """Remove then add quads as one atomic change: readers see all of it or none of it.

        ``build`` (kg.store.dump.Build) says what made the change; it is published with the
        change's artifacts (dumps, validation report, manifest).
        """

    def apply_stream(self, changes: Iterable[Change], build) -> None:
        """Apply (add, remove) changes in order as one atomic change; ``build()`` is called after
        the last one. A directory store holds one change in memory at a time."""

    def artifacts(self) -> Path | None:
        """The directory of the current content's dumps, report and manifest, if it has one."""

    def close(self) -> None:
        """Release what the store holds open (query processes)."""

    def select(self, query: str) -> tuple[list[str], list[tuple]]:
        """Run a SELECT/ASK query over the union graph: (variable names, rows of rdflib terms)."""

    def dump(self, output: BinaryIO, format: str) -> None:
        """Serialise the whole store (named graphs kept where the format can hold them)."""

    def view(self):
        """A read-only view whose ``select``, ``state``, ``modified`` and ``base_uri`` all see one
        state of the store, for a reader that asks several queries (a resource page)."""

    def state(self) -> str:
        """An opaque token that changes whenever the content changes (for ETags and caches)."""

    def modified(self) -> float | None:
        """When the current content was published (POSIX seconds), for Last-Modified."""

    def run_query(self, query: str, **options) -> QueryAnswer:
        """Run a client's query with the time limit and size cap; see kg.store.runner.QueryRunner.run."""

    def warm_up(self) -> None:
        """Get ready for client queries now (start query processes), not on the first ones."""
