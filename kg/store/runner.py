"""Run SPARQL queries in child processes that can be killed at the time limit.

pyoxigraph has no query timeout, and a thread cannot be stopped, so each web worker keeps a
few query processes. A query is sent to an idle one; if no answer comes within the time limit,
that process is killed (freeing its CPU at once) and replaced, and the caller gets
:class:`QueryTimeout`. Results are serialised by pyoxigraph inside the child, in the format the
client asked for, and capped in bytes while they are written, so the parent never holds more
than the cap.

This module imports only the standard library and pyoxigraph, so a child starts quickly.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

RESULT_FORMATS = {"json": "JSON", "xml": "XML", "csv": "CSV", "tsv": "TSV"}
GRAPH_FORMATS = {
    "turtle": "TURTLE", "ntriples": "N_TRIPLES", "jsonld": "JSON_LD", "rdfxml": "RDF_XML", "nquads": "N_QUADS",
}

# Strings, IRIs and comments, which may contain the word SERVICE harmlessly.
_NOT_KEYWORDS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""' r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"' r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>|#[^\n]*",
)
_SERVICE = re.compile(r"(?<![\w:?$])SERVICE(?![\w:-])", re.IGNORECASE)


class QueryRefused(Exception):
    """The query is malformed or not allowed here (a client error: HTTP 400)."""


class QueryTimeout(Exception):
    """The query ran past the time limit and was stopped (HTTP 503)."""


class ResultTooLarge(Exception):
    """The serialised result would exceed the size cap (HTTP 422: the query is fine, its answer too big)."""


@dataclass(frozen=True)
class QueryAnswer:
    kind: str  # "solutions" | "boolean" | "graph"
    body: bytes


def refuse_service(query: str) -> None:
    """Refuse federated queries: the endpoint never fetches a URL a query names.

    Raises:
        QueryRefused: the query uses SERVICE.
    """
    if _SERVICE.search(_NOT_KEYWORDS.sub(" ", query)):
        raise QueryRefused("SERVICE (federated query) is disabled on this endpoint: it never fetches other URLs")


class _CappedBuffer(io.RawIOBase):
    def __init__(self, cap: int):
        super().__init__()
        self.buffer = bytearray()
        self.cap = cap

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if len(self.buffer) + len(data) > self.cap:
            raise ResultTooLarge(f"the result is larger than {self.cap} bytes; narrow the query or add a LIMIT")
        self.buffer += data
        return len(data)


def execute(store: ox.Store, request: dict) -> QueryAnswer:
    """Run one query on an open store and serialise its result (runs in the child)."""
    try:
        options = dataset_options(request)
        result = store.query(request["query"], base_iri=request.get("base_iri"), **options)
    except (SyntaxError, ValueError) as exc:
        raise QueryRefused(str(exc)) from exc
    out = _CappedBuffer(request["max_bytes"])
    if isinstance(result, ox.QueryTriples):
        result.serialize(out, getattr(ox.RdfFormat, GRAPH_FORMATS[request["graph_format"]]))
        return QueryAnswer("graph", bytes(out.buffer))
    result.serialize(out, getattr(ox.QueryResultsFormat, RESULT_FORMATS[request["results_format"]]))
    kind = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
    return QueryAnswer(kind, bytes(out.buffer))


def dataset_options(request: dict) -> dict:
    """The query's RDF dataset: protocol parameters win, then the query's own FROM / FROM NAMED,
    else the store's default graph, which kg keeps as the union of all named graphs.

    Raises:
        ValueError: a dataset IRI pyoxigraph refuses.
    """
    options: dict = {}
    if request["default_graphs"]:
        options["default_graph"] = [ox.NamedNode(g) for g in request["default_graphs"]]
    if request["named_graphs"]:
        options["named_graphs"] = [ox.NamedNode(g) for g in request["named_graphs"]]
    return options


def _open(root: str, opened: dict) -> ox.Store:
    link = Path(root) / "current"
    target = os.path.realpath(link) if link.is_symlink() else None
    if opened.get("target") != target or "store" not in opened:
        opened["store"] = ox.Store.read_only(target) if target else ox.Store()
        opened["target"] = target
    return opened["store"]


def serve_queries(root: str, connection) -> None:
    """The child's loop: receive a request, answer with ('ok', QueryAnswer) or ('error', kind, message)."""
    opened: dict = {}
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        try:
            connection.send(("ok", execute(_open(root, opened), request)))
        except (QueryRefused, ResultTooLarge) as exc:
            connection.send(("error", type(exc).__name__, str(exc)))
        except OSError as exc:
            connection.send(("error", "OSError", str(exc)))


class _Child:
    def __init__(self, context, root: str):
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=serve_queries, args=(root, child_end), daemon=True)
        self.process.start()
        child_end.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class QueryRunner:
    """A small pool of query processes for one web worker (thread-safe)."""

    def __init__(self, root: Path, workers: int, timeout: float):
        self.root, self.timeout = str(root), timeout
        self.context = multiprocessing.get_context("spawn")
        self.idle: list[_Child] = []
        self.slots = threading.BoundedSemaphore(workers)
        self.lock = threading.Lock()

    def run(self, query: str, *, max_bytes: int, results_format: str = "json", graph_format: str = "turtle",
            default_graphs=(), named_graphs=(), base_iri: str | None = None) -> QueryAnswer:
        """Run a query within the time limit.

        Raises:
            QueryRefused: a syntax error or a forbidden feature (the parser's message).
            QueryTimeout: no answer within the time limit; the query's process was killed.
            ResultTooLarge: the serialised result is over ``max_bytes``.
        """
        refuse_service(query)
        request = {"query": query, "max_bytes": max_bytes, "results_format": results_format,
                   "graph_format": graph_format, "default_graphs": list(default_graphs),
                   "named_graphs": list(named_graphs), "base_iri": base_iri}
        if not self.slots.acquire(timeout=self.timeout):
            raise QueryTimeout(f"all query processes stayed busy for {self.timeout:g} s; try again later")
        try:
            return self._run_in_child(request)
        finally:
            self.slots.release()

    def _run_in_child(self, request: dict) -> QueryAnswer:
        with self.lock:
            child = self.idle.pop() if self.idle else None
        if child is None:
            child = _Child(self.context, self.root)  # outside the lock: a spawn takes a while
        try:
            child.connection.send(request)
            if not child.connection.poll(self.timeout):
                self._replace(child)
                raise QueryTimeout(f"the query ran longer than the time limit of {self.timeout:g} s and was stopped")
            reply = child.connection.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            self._replace(child)
            raise QueryTimeout(f"the query process failed ({exc}); the query was stopped") from exc
        with self.lock:
            self.idle.append(child)
        if reply[0] == "ok":
            return reply[1]
        _status, kind, message = reply
        raise {"QueryRefused": QueryRefused, "ResultTooLarge": ResultTooLarge}.get(kind, QueryTimeout)(message)

    def _replace(self, child: _Child) -> None:
        """Kill a child, and start its successor in the background so the next query finds one idle."""
        child.kill()
        threading.Thread(target=self._spawn_idle, daemon=True).start()

    def _spawn_idle(self) -> None:
        fresh = _Child(self.context, self.root)
        with self.lock:
            if len(self.idle) < self.slots._initial_value:  # noqa: SLF001 - BoundedSemaphore keeps it
                self.idle.append(fresh)
                return
        fresh.kill()

    def warm_up(self) -> None:
        """Start the pool's processes now rather than on the first query."""
        with self.lock:
            while len(self.idle) < self.slots._initial_value:  # noqa: SLF001 - BoundedSemaphore keeps it
                self.idle.append(_Child(self.context, self.root))

    def close(self) -> None:
        with self.lock:
            for child in self.idle:
                child.kill()
            self.idle.clear()
