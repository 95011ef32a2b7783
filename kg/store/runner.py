"""Run SPARQL queries in child processes that can be killed at the time limit.

pyoxigraph has no query timeout, and a thread cannot be stopped, so each web worker keeps a
few query processes. A query is sent to an idle one that has started and opened the store (a
start is never counted in a query's time limit); if no answer comes within the time limit, that
process is killed (freeing its CPU at once) and replaced in the background, and the caller gets
:class:`QueryTimeout`. Results are serialised by pyoxigraph inside the child, in the format the
client asked for, and capped in bytes while they are written, so the parent never holds more
than the cap. Which client may use a process is decided before, in kg.web.fairness.

Processes are forked from a fork server that imported this module once, so a replacement is
ready in tens of milliseconds. A process ends itself when its web worker dies,
and at :data:`BACKSTOP_S` past its time limit whatever happens to the worker.
"""

from __future__ import annotations

import io
import multiprocessing
import multiprocessing.connection
import os
import re
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import QueryRefused, QueryTimeout, ResultTooLarge  # also importable from here, as before
from kg.formats import GRAPH_FORMATS, RESULT_FORMATS

BACKSTOP_S = 5  # seconds past its time limit after which a query process ends itself
START_S = 30.0  # seconds a query process may take to start (the first one starts the fork server) before 503

# Strings, IRIs and comments, which may contain the word SERVICE harmlessly.
_NOT_KEYWORDS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""' r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"' r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>|#[^\n]*",
)
_SERVICE = re.compile(r"(?<![\w:?$])SERVICE(?![\w:-])", re.IGNORECASE)


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
        result.serialize(out, getattr(ox.RdfFormat, GRAPH_FORMATS[request["graph_format"]].oxigraph))
        return QueryAnswer("graph", bytes(out.buffer))
    result.serialize(out, getattr(ox.QueryResultsFormat, RESULT_FORMATS[request["results_format"]].oxigraph))
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


def serve_queries(root: str, connection, time_limit: float) -> None:
    """The child's loop: say ("ready",) once the store is open, then receive a request and answer
    with ('ok', QueryAnswer) or ('error', kind, message)."""
    _die_with_parent()
    opened: dict = {}
    try:
        _open(root, opened)
    except OSError:
        pass  # answered as an error by the first query that needs the store
    connection.send(("ready",))
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        # A backstop for a parent that died before it could kill us: SIGALRM, with no handler
        # installed, ends the process even while the engine holds the GIL.
        signal.setitimer(signal.ITIMER_REAL, time_limit + BACKSTOP_S)
        try:
            connection.send(("ok", execute(_open(root, opened), request)))
        except (QueryRefused, ResultTooLarge) as exc:
            connection.send(("error", type(exc).__name__, str(exc)))
        except OSError as exc:
            connection.send(("error", "OSError", str(exc)))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)


def _die_with_parent() -> None:
    """End this process as soon as the web worker that started it dies, even by kill -9 (gunicorn's
    timeout, the OOM killer): no runaway query outlives its worker. A thread waits on the parent's
    sentinel, which pyoxigraph lets run while it evaluates (it releases the GIL)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="kg-parent-watch", daemon=True).start()


def _context():
    """Query processes are forked from a small server process that has imported this module once
    (multiprocessing's forkserver), so a replacement is ready in tens of milliseconds, not the second a
    fresh interpreter needs on a busy machine; and nothing is forked from the threaded web worker.
    The parent's main script (gunicorn's) is preloaded too, or every child would import it again."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", __name__])
    return context


class _Child:
    def __init__(self, context, root: str, time_limit: float):
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=serve_queries, args=(root, child_end, time_limit), daemon=True)
        self.process.start()
        child_end.close()

    def wait_ready(self, seconds: float) -> bool:
        """Wait for the child's ("ready",): its start is not part of any query's time limit."""
        try:
            return self.connection.poll(seconds) and self.connection.recv() == ("ready",)
        except (EOFError, OSError):  # it died starting
            return False

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class QueryRunner:
    """A pool of ``workers`` query processes for one web worker (thread-safe).

    At most ``workers`` queries run at once; each gets a process that is already started and has
    the store open, and the time limit counts from when the query reaches it. A process killed at
    the time limit is replaced in the background.
    """

    def __init__(self, root: Path, workers: int, timeout: float):
        self.root, self.timeout, self.workers = str(root), timeout, workers
        self.patience = max(timeout, START_S)  # for a process to start, or to come back from a replacement
        self.context = _context()
        self.idle: list[_Child] = []
        self.alive = 0  # started and not killed: idle, running a query, or starting
        self.changed = threading.Condition()

    def run(self, query: str, *, max_bytes: int, results_format: str = "json", graph_format: str = "turtle",
            default_graphs=(), named_graphs=(), base_iri: str | None = None) -> QueryAnswer:
        """Run a query within the time limit.

        Raises:
            QueryRefused: a syntax error or a forbidden feature (the parser's message).
            QueryTimeout: no answer within the time limit (the query's process was killed), or no
                process became ready within :data:`START_S`.
            ResultTooLarge: the serialised result is over ``max_bytes``.
        """
        refuse_service(query)
        request = {"query": query, "max_bytes": max_bytes, "results_format": results_format,
                   "graph_format": graph_format, "default_graphs": list(default_graphs),
                   "named_graphs": list(named_graphs), "base_iri": base_iri}
        child = self._take()
        try:
            child.connection.send(request)
            if not child.connection.poll(self.timeout):
                self._replace(child)
                raise QueryTimeout(f"the query ran longer than the time limit of {self.timeout:g} s and was stopped")
            reply = child.connection.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            self._replace(child)
            raise QueryTimeout(f"the query process failed ({exc}); the query was stopped") from exc
        self._give_back(child)
        if reply[0] == "ok":
            return reply[1]
        _status, kind, message = reply
        raise {"QueryRefused": QueryRefused, "ResultTooLarge": ResultTooLarge}.get(kind, QueryTimeout)(message)

    def _take(self) -> _Child:
        """An idle process that is ready; a new one when fewer than ``workers`` are alive; else wait
        for one (the web layer admits at most ``workers`` queries, so a wait here is for a process
        being replaced, and is not part of the query's time limit).

        Raises:
            QueryTimeout: none became ready within :data:`START_S` or the time limit, whichever is longer.
        """
        deadline = time.monotonic() + self.patience
        with self.changed:
            while not self.idle and self.alive >= self.workers:
                if not self.changed.wait(max(0.0, deadline - time.monotonic())):
                    raise QueryTimeout(f"all {self.workers} query processes stayed busy for {self.patience:g} s; "
                                       "try again later")
            if self.idle:
                return self.idle.pop()
            self.alive += 1
        child = self._start_counted(deadline - time.monotonic())  # outside the lock: a start takes a moment
        if child is None:
            raise QueryTimeout(f"no query process started within {self.patience:g} s; try again later")
        return child

    def _start_counted(self, seconds: float) -> _Child | None:
        """Start a process already counted in ``alive`` and wait for it; None (uncounted) if it fails."""
        try:
            child = _Child(self.context, self.root, self.timeout)
        except OSError:
            child = None
        if child is not None and child.wait_ready(max(0.0, seconds)):
            return child
        if child is not None:
            child.kill()
        self._forget()
        return None

    def _give_back(self, child: _Child) -> None:
        with self.changed:
            self.idle.append(child)
            self.changed.notify()

    def _forget(self) -> None:
        with self.changed:
            self.alive -= 1
            self.changed.notify()

    def _replace(self, child: _Child) -> None:
        """Kill a child, and start its successor in the background so the next query finds one ready."""
        child.kill()
        self._forget()
        threading.Thread(target=self._start_idle, daemon=True).start()

    def _start_idle(self) -> None:
        with self.changed:
            if self.alive >= self.workers:
                return
            self.alive += 1
        if (child := self._start_counted(self.patience)) is not None:
            self._give_back(child)

    def warm_up(self) -> None:
        """Start the pool's processes now rather than on the first queries."""
        for _ in range(self.workers):
            self._start_idle()

    def close(self) -> None:
        with self.changed:
            idle, self.idle = self.idle, []
            self.alive -= len(idle)
        for child in idle:
            child.kill()
