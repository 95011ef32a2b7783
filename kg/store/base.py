"""The store interface: what the pipeline and the web layer need from a quad store.

Two implementations: the embedded pyoxigraph store (oxigraph.py), the default, and a remote
SPARQL 1.1 store (remote.py), chosen by kg.store.open_store from the location.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol

from kg.identity.registry import Registry
from kg.quads import Change, Quad
from kg.store.build import Build
from kg.store.runner import QueryAnswer


class View(Protocol):
    """One state of a store, for a reader that asks several queries (a resource page)."""

    base_uri: str
    location: str

    def select(self, query: str) -> tuple[list[str], list[tuple]]:
        """Run a SELECT/ASK query over the union graph: (variable names, rows of rdflib terms)."""

    def state(self) -> str:
        """An opaque token that changes whenever the content changes (for ETags and caches)."""

    def modified(self) -> float | None:
        """When the current content was published (POSIX seconds), for Last-Modified."""


class Writer(Protocol):
    """One write in progress (:meth:`Store.writer`): nothing is visible until :meth:`publish`.

    The pipeline drives it as a straight loop::

        with store.writer() as writer:
            registry = writer.registry()      # identity decisions are read from this state ...
            for change in changes:            # ... mapped, validated and inferred chunk by chunk
                writer.apply(change)
            writer.publish(build)             # all of it, or (an error, no publish) none of it
    """

    reads_own_writes: bool
    """True when :meth:`registry` reads what :meth:`apply` wrote (the embedded store's staged
    generation): a large ingest can then go in parts, each resolved against the ones before it."""

    def registry(self) -> Registry:
        """Identity lookups at the state this write builds on (with what it applied, where
        :attr:`reads_own_writes`). If another writer publishes after
        this call, :meth:`apply` or :meth:`publish` refuse the write (nothing is written)."""

    def apply(self, change: Change) -> None:
        """Remove, rename, then add (kg.quads.Change); may be called once per chunk."""

    def publish(self, build: Build) -> None:
        """Make every applied change visible at once, with the artifacts of ``build`` (dumps,
        validation report, manifest). Leaving the ``with`` block without it writes nothing."""


class Store(View, Protocol):
    """A quad store whose default graph, for queries, is the union of its named graphs."""

    location: str
    base_uri: str
    exact_state: bool
    """Whether :meth:`state` is read afresh on every call (an answer cache keyed on it never lags)."""

    def exists(self) -> bool:
        """Whether anything was ever written to the store."""

    def registry(self) -> Registry:
        """Identity lookups over the store's identity graph (a plain read; :meth:`Writer.registry`
        is the one a write builds on)."""

    def writer(self) -> AbstractContextManager[Writer]:
        """Start a write (:class:`Writer`); a directory store holds one change in memory at a time,
        a remote store gathers them into one guarded update request."""

    def apply(self, add: Iterable[Quad], remove: Iterable[Quad], build: Build | None = None) -> None:
        """One change, published at once (a :meth:`writer` of one step): readers see all of it or none.

        ``build`` says what made the change; without one it is recorded as unvalidated.
        """

    def artifacts(self) -> Path | None:
        """The directory of the current content's report and manifest (and dumps, where the store
        writes them with each generation), if it has one."""

    def dumps(self) -> Path | None:
        """The directory of the newest dump set (``kg publish``), which may be of an older generation."""

    def publish_dumps(self, created: str) -> Path | None:
        """Write the current generation's dump set unless it exists; its directory (None: empty store)."""

    def changes(self) -> Path | None:
        """The root whose ``changes/`` holds each generation's patch (kg.store.patch); None if the
        store keeps none."""

    def close(self) -> None:
        """Release what the store holds open (query processes)."""

    def dump(self, output: BinaryIO, format: str) -> int:
        """Serialise the whole store (named graphs kept where the format can hold them); returns the
        number of triples (quads, for formats that keep the graphs) written."""

    def view(self) -> View:
        """A read-only :class:`View` of one state of the store."""

    def graph_content(self, graph: str, format: str) -> Iterable[bytes]:
        """One named graph's triples (quads, for N-Quads) as ``format``, one of
        kg.store.graph_content.GRAPH_CONTENT_FORMATS, a batch at a time: memory does not grow with
        the graph. Read from the current state; what is read is the caller's to ``close()`` early.

        Raises:
            StoreError: the store cannot be read (at the call, before any bytes are given).
        """

    def run_query(self, query: str, **options) -> QueryAnswer:
        """Run a client's query with the time limit and size cap; see kg.store.runner.QueryRunner.run."""

    def warm_up(self) -> None:
        """Get ready for client queries now (start query processes), not on the first ones."""


class OneStepApply:
    """:meth:`Store.apply` for a store that has :meth:`Store.writer`."""

    def apply(self, add: Iterable[Quad], remove: Iterable[Quad], build: Build | None = None) -> None:
        with self.writer() as writer:
            writer.apply(Change(add, remove))
            writer.publish(build or Build.unrecorded())
