"""A remote store: any SPARQL 1.1 server with a query and an update endpoint.

Tested against ``oxigraph serve``; written to the SPARQL 1.1 Protocol and Update specs
(https://www.w3.org/TR/sparql11-protocol/, https://www.w3.org/TR/sparql11-update/), so Apache
Jena Fuseki or Virtuoso can hold the graph too, and a read-only engine (QLever) can serve it.

Each write is ONE update request (remote_update.py), which Oxigraph applies in one transaction:
readers see all of it or none of it. It also bumps the generation kept in the meta graph
``{base}graph/meta``, and only applies if the store is still at the generation the ingest read
its identities from. The artifacts (dumps, report, manifest) are made from a snapshot of the
server, pulled into memory, into a local directory keyed by generation: any web server
pointed at the same store can make them, from the store alone.
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from kg.config import DEFAULTS
from kg.errors import QueryError, StoreError
from kg.formats import GRAPH_FORMATS, NQUADS, RESULT_FORMATS, RESULTS_JSON, RESULTS_XML
from kg.quads import Change, Quad, Renames
from kg.store.artifacts import MANIFEST, write_artifacts
from kg.store.base import OneStepApply
from kg.store.build import Build
from kg.store.graph_content import serialise_graph
from kg.store.registry import StoreRegistry
from kg.store.remote_update import (
    Generation,
    build_of,
    generation_query,
    meta_graph_uri,
    render_staging,
    render_update,
    staging_prefix,
)
from kg.store.runner import QueryAnswer, QueryRefused, QueryTimeout, ResultTooLarge, refuse_service
from kg.store.serialise import dump_graph
from kg.store.sparql_http import (
    AnswerTooLarge,
    DeadlineExceeded,
    Endpoint,
    EndpointError,
    chunked,
    open_response,
    read_back,
    send,
    spool_request,
)
from kg.store.terms import to_quad, to_rdflib
from kg.vocab import kg_namespace

MAX_REQUEST_BYTES = 96 * 1024 * 1024  # one update request; Oxigraph's server refuses bodies over 128 MiB
SELECT_TIMEOUT = 60.0  # seconds of silence allowed for the pipeline's and the pages' own queries
TRANSFER_TIMEOUT = 600.0  # ... for an update or a snapshot download
STATE_TTL = 1.0  # seconds a generation read from the server is reused (one query per second, not per request)
KEEP = 2  # artifact directories kept: the current generation's and the one before, for readers that opened it
SPARQL_JSON = RESULTS_JSON.media_type
ALL_QUADS = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
UNREAD = object()
"""The generation of a write that read nothing first: it is read when the write is sent."""


def locate_endpoints(url: str, update_url: str | None) -> tuple[str, str | None, str | None]:
    """The query, update and whole-store (Graph Store Protocol) URLs of a ``KG_STORE`` URL.

    A URL ending in ``/`` is a server root with Oxigraph's layout (``query``, ``update``,
    ``store``); any other URL is the query endpoint itself, and writes need ``update_url``.
    ``update_url`` always wins over the layout's.
    """
    if url.endswith("/"):
        return url + "query", update_url or url + "update", url + "store"
    return url, update_url, None


@dataclass
class Snapshot:
    """One consistent read of the whole server."""

    store: ox.Store  # the named graphs (less the meta graph) and their union as the default graph
    generation: Generation | None
    build: Build


class RemoteStore(OneStepApply):
    """The Store interface over HTTP (kg.store.base.Store)."""

    exact_state = False  # state() is polled at most once per STATE_TTL

    def __init__(self, query_url: str, update_url: str | None, base_uri: str,
                 timeout: float = DEFAULTS.query_timeout, artifacts_dir: Path = DEFAULTS.artifacts_dir,
                 data_url: str | None = None,
                 max_request_bytes: int = MAX_REQUEST_BYTES):
        self.query = Endpoint(query_url)
        self.update = Endpoint(update_url) if update_url else None
        self.data = Endpoint(data_url) if data_url else None
        self.location = self.query.public_url
        self.base_uri = base_uri
        self.timeout = timeout
        self.artifacts_dir = Path(artifacts_dir).absolute()  # Flask resolves relative paths against its package
        self._cached: tuple[float, Generation | None] | None = None
        self.max_request_bytes = max_request_bytes

    @classmethod
    def at(cls, url: str, base_uri: str, timeout: float = DEFAULTS.query_timeout, update_url: str | None = None,
           artifacts_dir: Path = DEFAULTS.artifacts_dir) -> RemoteStore:
        """The store at a ``KG_STORE`` URL (see :func:`locate_endpoints`)."""
        query_url, update_url, data_url = locate_endpoints(url, update_url)
        store = cls(query_url, update_url, base_uri, timeout, artifacts_dir, data_url)
        store.location = Endpoint(url).public_url
        return store

    # -- reading ---------------------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether anything was written: the server answers and its meta graph has a generation.

        Raises:
            StoreError: the server cannot be reached or refuses the query.
        """
        return self.generation() is not None

    def generation(self, fresh: bool = False) -> Generation | None:
        """The generation the server holds (reused for :data:`STATE_TTL` seconds unless ``fresh``)."""
        cached = self._cached
        if not fresh and cached is not None and time.monotonic() - cached[0] < STATE_TTL:
            return cached[1]
        _names, rows = self.select(generation_query(self.base_uri))
        generation = Generation.of_row(rows[0]) if rows else None
        self._cached = (time.monotonic(), generation)
        return generation

    def state(self) -> str:
        generation = self.generation()
        return generation.token if generation else "empty"

    def modified(self) -> float | None:
        """When the current generation was written (the server's clock), None for an empty store."""
        generation = self.generation()
        return generation.modified if generation else None

    def view(self) -> RemoteStore:
        """Itself: a remote server answers each query from its state at that moment, so a page
        built from several queries during an update may mix the two graphs (see README)."""
        return self

    def select(self, query: str) -> tuple[list[str], list[tuple]]:
        try:
            reply = send(self.query, "POST", query.encode("utf-8"), _query_headers(SPARQL_JSON),
                         timeout=SELECT_TIMEOUT)
        except EndpointError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                raise QueryError("query", exc.message) from exc
            raise StoreError(self.location, str(exc)) from exc
        except DeadlineExceeded as exc:
            raise StoreError(self.location, f"no answer within {SELECT_TIMEOUT:g} s") from exc
        if reply.media_type != SPARQL_JSON:
            raise QueryError("query", "only SELECT and ASK give tables; use CONSTRUCT through the endpoint")
        result = ox.parse_query_results(reply.body, format=ox.QueryResultsFormat.JSON)
        if isinstance(result, ox.QueryBoolean):
            return ["boolean"], [(bool(result),)]
        names = [v.value for v in result.variables]
        return names, [tuple(to_rdflib(row[name]) for name in names) for row in result]

    def run_query(self, query: str, *, max_bytes: int, results_format: str = "json", graph_format: str = "turtle",
                  default_graphs=(), named_graphs=(), base_iri: str | None = None) -> QueryAnswer:
        """Forward a client's query with its dataset; the same contract as kg.store.runner.QueryRunner.run.

        The time limit is a deadline on the whole answer: past it, kg stops reading and closes the
        connection. The server stops its own work only if it has a time limit of its own (Oxigraph:
        ``serve --timeout-s``, set it a little above ``KG_QUERY_TIMEOUT``).

        Raises:
            QueryRefused: SERVICE, or the server refused the query (4xx, with its message).
            QueryTimeout: no complete answer within the time limit, or no answer at all.
            ResultTooLarge: the answer is larger than ``max_bytes``.
        """
        refuse_service(query)
        text = f"BASE <{base_iri}>\n{query}" if base_iri else query
        params = [("default-graph-uri", g) for g in default_graphs] + [("named-graph-uri", g) for g in named_graphs]
        accept = f"{RESULT_FORMATS[results_format].media_type}, {GRAPH_FORMATS[graph_format].media_type}"
        try:
            reply = send(self.query, "POST", text.encode("utf-8"), _query_headers(accept), timeout=self.timeout,
                         params=params, deadline=time.monotonic() + self.timeout, max_bytes=max_bytes)
        except DeadlineExceeded as exc:
            raise QueryTimeout(f"the query ran longer than the time limit of {self.timeout:g} s "
                               "and was stopped") from exc
        except AnswerTooLarge as exc:
            raise ResultTooLarge(f"the result is larger than {max_bytes} bytes; narrow the query or add a LIMIT") \
                from exc
        except EndpointError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                raise QueryRefused(exc.message) from exc
            if exc.status is None:
                raise QueryTimeout(f"the SPARQL store did not answer ({exc.message}); try again later") from exc
            raise StoreError(self.location, str(exc)) from exc
        return QueryAnswer(_answer_kind(reply.media_type, reply.body), reply.body)

    def dump(self, output: BinaryIO, format: str) -> int:
        """Serialise a snapshot of the server (kg.store.serialise.dump_graph); returns the triple/quad count."""
        return dump_graph(self.snapshot().store, output, format, self.base_uri)

    def graph_content(self, graph: str, format: str) -> StreamedAnswer:
        """One named graph as the server sends it, parsed and serialised again as it arrives
        (kg.store.graph_content): Oxigraph's Graph Store Protocol (``GET {url}store?graph=…``), or a
        CONSTRUCT of the graph from any other engine; N-Triples on the wire either way.

        Raises:
            StoreError: the server cannot be reached or refuses (before any bytes are given).
        """
        accept = {"Accept": GRAPH_FORMATS["ntriples"].media_type}
        if self.data is not None:
            answer = open_response(self.data, "GET", None, accept, TRANSFER_TIMEOUT, params=[("graph", graph)])
        else:
            query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}"
            answer = open_response(self.query, "POST", query.encode("utf-8"), _query_headers(accept["Accept"]),
                                   TRANSFER_TIMEOUT)
        stack = ExitStack()
        try:
            response = stack.enter_context(answer)
        except (EndpointError, DeadlineExceeded) as exc:
            raise StoreError(self.location, f"cannot read the graph {graph}: {exc}") from exc
        name = ox.NamedNode(graph)
        quads = (ox.Quad(t.subject, t.predicate, t.object, name)
                 for t in ox.parse(response, format=ox.RdfFormat.N_TRIPLES))
        return StreamedAnswer(serialise_graph(quads, format, self.base_uri), stack.close)

    def snapshot(self) -> Snapshot:
        """Pull every named graph into an in-memory store (one request, so one consistent state).

        An Oxigraph server gives its whole dataset as N-Quads (Graph Store Protocol, ``GET
        {url}store``); other engines answer ``SELECT ?s ?p ?o ?g`` as TSV results. The default
        graph is rebuilt here as the union of the named graphs, as kg keeps it on the server.

        Raises:
            StoreError: the server cannot be reached or fails.
        """
        meta = ox.NamedNode(meta_graph_uri(self.base_uri))
        staging = staging_prefix(self.base_uri)
        meta_quads: list[ox.Quad] = []

        def named(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
            for quad in quads:
                if quad.graph_name == meta:
                    meta_quads.append(quad)
                elif not isinstance(quad.graph_name, ox.DefaultGraph) and not quad.graph_name.value.startswith(
                        staging):
                    yield quad
                    yield ox.Quad(quad.subject, quad.predicate, quad.object)

        store = ox.Store()
        try:
            with self._pull() as quads:
                store.bulk_extend(named(quads))
        except (EndpointError, DeadlineExceeded, SyntaxError) as exc:
            raise StoreError(self.location, f"cannot read the store's content: {exc}") from exc
        generation, build = build_of(self.base_uri, meta_quads)
        return Snapshot(store, generation, build)

    @contextmanager
    def _pull(self) -> Iterator[Iterable[ox.Quad]]:
        if self.data is not None:
            with open_response(self.data, "GET", None, {"Accept": NQUADS.media_type}, TRANSFER_TIMEOUT) as answer:
                yield ox.parse(answer, format=ox.RdfFormat.N_QUADS)
            return
        headers = _query_headers("text/tab-separated-values")
        with open_response(self.query, "POST", ALL_QUADS.encode("utf-8"), headers, TRANSFER_TIMEOUT) as answer:
            rows = ox.parse_query_results(answer, format=ox.QueryResultsFormat.TSV)
            yield (ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in rows)

    def registry(self) -> StoreRegistry:
        """Identity lookups over the server's identity graph, as it is at each query."""
        return StoreRegistry(self)

    def warm_up(self) -> None:
        """Nothing to start: each query is one request to the server."""

    def close(self) -> None:
        """Nothing to release: each request has its own connection."""

    # -- artifacts -------------------------------------------------------------------------------

    def artifacts(self) -> Path | None:
        """The current generation's artifacts directory, made now from a snapshot if missing."""
        generation = self.generation()
        if generation is None:
            return None
        if (directory := self._written(generation)) is not None:
            return directory
        with _artifacts_lock(self.artifacts_dir, self.location):
            return self._publish_artifacts()

    def dumps(self) -> Path | None:
        """The dumps are made with the artifacts, from a snapshot, when first asked for."""
        return self.artifacts()

    def publish_dumps(self, created: str) -> Path | None:
        return self.artifacts()

    def changes(self) -> Path | None:
        """A remote store's writes are SPARQL updates kg does not replay: no change feed."""
        return None

    def _written(self, generation: Generation) -> Path | None:
        """The artifacts directory of ``generation``, if they were written (the manifest is last)."""
        directory = self.artifacts_dir / generation.token
        return directory if (directory / MANIFEST).is_file() else None

    def _publish_artifacts(self) -> Path | None:
        """Write the artifacts of the server's current generation, unless they exist (hold the lock)."""
        snapshot = self.snapshot()
        generation = snapshot.generation
        if generation is None:
            return None
        if (written := self._written(generation)) is not None:
            return written
        directory = self.artifacts_dir / generation.token
        staging = self.artifacts_dir / f"tmp-{generation.token}"
        try:
            for stale in self.artifacts_dir.glob("tmp-*"):  # left by a killed writer: we hold the lock
                shutil.rmtree(stale, ignore_errors=True)
            write_artifacts(snapshot.store, staging, generation.name, self.base_uri, snapshot.build)
            staging.rename(directory)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise StoreError(self.location, f"cannot write the artifacts of {generation.name} into "
                                            f"{self.artifacts_dir} (they are made again when next needed): {exc}") \
                from exc
        _remove_old_artifacts(self.artifacts_dir, generation.number)
        return directory

    # -- writing ---------------------------------------------------------------------------------

    @contextmanager
    def writer(self) -> Iterator[RemoteWriter]:
        """A write (kg.store.base.Writer), sent as one guarded update request by ``publish``."""
        yield RemoteWriter(self)

    def write(self, add: Iterable[Quad], remove: Iterable[Quad], build: Build, renames: Renames,
              expected: Generation | None | object) -> None:
        """Remove quads, rename IRIs in graphs (``renames``, facts moving to another entity), add
        quads, all in one update request guarded by ``expected`` (the generation the write was
        computed against; :data:`UNREAD` reads it now), and publish the new generation's artifacts.

        Raises:
            StoreError: no update endpoint; a removal with a blank node (SPARQL cannot name one);
                the store changed since ``expected`` (nothing was written); the server refused
                the update or could not be reached.
        """
        if self.update is None:
            raise StoreError(self.location, "has no update endpoint, so it is read-only here; set KG_STORE_UPDATE "
                                            "(or give the server's root URL ending in '/' for Oxigraph)")
        additions = [to_quad(q) for q in add]
        removals = [to_quad(q) for q in remove]
        for quad in removals:
            if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
                raise StoreError(self.location, f"cannot remove {quad}: SPARQL Update cannot name a blank node (a "
                                                f"person split inside one source's author list needs the embedded "
                                                f"store); nothing was written")
        expected = self.generation(fresh=True) if expected is UNREAD else expected
        write_id = uuid.uuid4().hex
        with _artifacts_lock(self.artifacts_dir, self.location):  # readers here wait for the artifacts
            with tempfile.TemporaryFile() as spool:
                request = render_update(self.base_uri, additions, removals, expected, write_id, build, renames=renames)
                if spool_request(request, spool, self.max_request_bytes):
                    self._send_update(read_back(spool), write_id, expected)
                else:
                    self._send_staged(additions, removals, expected, write_id, build, renames)
            self._cached = None
            self._publish_artifacts()

    def _send_staged(self, additions: list[ox.Quad], removals: list[ox.Quad], expected: Generation | None,
                     write_id: str, build: Build, renames: Renames | None = None) -> None:
        """Upload the additions into staging graphs, then publish them with one guarded request."""
        staged, uploads = render_staging(self.base_uri, write_id, additions, self.max_request_bytes)
        try:
            for number, upload in enumerate(uploads, 1):
                try:
                    self._post_update(chunked(upload))
                except (EndpointError, DeadlineExceeded) as exc:
                    raise StoreError(self.location, f"upload {number} of {len(uploads)} into staging graphs failed, "
                                                    f"nothing was published: {exc}") from exc
            request = render_update(self.base_uri, additions, removals, expected, write_id, build, staged, renames)
            self._send_update(chunked(request), write_id, expected)
        except BaseException:
            with suppress(EndpointError, DeadlineExceeded):  # best effort: the error that matters is raised
                self._post_update(" ;\n".join(f"DROP SILENT GRAPH <{stage}>" for stage in staged.values()).encode())
            raise

    def _post_update(self, body: bytes | Iterable[bytes]) -> None:
        send(self.update, "POST", body, {"Content-Type": "application/sparql-update; charset=utf-8"},
             timeout=TRANSFER_TIMEOUT)

    def _send_update(self, request: Iterable[bytes], write_id: str, expected: Generation | None) -> None:
        failure: Exception | None = None
        try:
            self._post_update(request)
        except (EndpointError, DeadlineExceeded) as exc:
            failure = exc  # a lost answer may hide an applied update: ask the server
        try:
            landed = self.select(f"ASK {{ GRAPH <{meta_graph_uri(self.base_uri)}> {{ ?g "
                                 f"<{kg_namespace(self.base_uri).writeId}> \"{write_id}\" }} }}")[1][0][0]
        except StoreError as exc:
            raise StoreError(self.location, f"the update was sent but the server cannot say whether it was "
                                            f"applied ({failure or exc}); check `kg stats` before retrying") from exc
        if landed:
            return
        if failure is not None:
            raise StoreError(self.location, f"the update was refused, nothing was written: {failure}") from failure
        now = self.generation(fresh=True)
        raise StoreError(self.location, f"another writer changed the store while this ingest ran (it read "
                                        f"{expected.token if expected else 'an empty store'}, it now holds "
                                        f"{now.token if now else 'nothing'}); nothing was written: run it again")


class StreamedAnswer:
    """Chunks made from an answer still being read; ``close()`` stops reading it (a WSGI server
    calls it when the response ends, or its client goes away)."""

    def __init__(self, chunks: Iterator[bytes], close: Callable[[], None]):
        self._chunks, self._close = chunks, close

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        try:
            self._chunks.close()
        finally:
            self._close()


def _query_headers(accept: str) -> dict[str, str]:
    return {"Content-Type": "application/sparql-query; charset=utf-8", "Accept": accept}


def _answer_kind(media_type: str, body: bytes) -> str:
    """'graph', 'boolean' or 'solutions', from the answer's media type (and, for a tiny answer, its body)."""
    if media_type in {f.media_type for f in GRAPH_FORMATS.values()}:
        return "graph"
    if len(body) < 512:  # an ASK answer is tiny; sniffing a larger body would only cost time
        if media_type == SPARQL_JSON:
            try:
                result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            except SyntaxError:
                return "solutions"  # passed on as the server sent it; the client's parser will say what is wrong
            return "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
        if media_type == RESULTS_XML.media_type:
            return "boolean" if b"<boolean>" in body else "solutions"
    return "solutions"


@contextmanager
def _artifacts_lock(directory: Path, location: str):
    """Hold the artifacts directory's lock: one process makes a generation's artifacts, others wait."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(directory / ".lock", "a+b")  # noqa: SIM115 - released in finally
    except OSError as exc:
        raise StoreError(location, f"cannot create the artifacts directory {directory}: {exc.strerror}") from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _remove_old_artifacts(directory: Path, current: int) -> None:
    """Keep the artifacts of the last :data:`KEEP` generations."""
    for path in directory.glob("g*-*"):
        number = path.name[1:].partition("-")[0]
        if number.isdigit() and int(number) <= current - KEEP:
            shutil.rmtree(path, ignore_errors=True)



class RemoteWriter:
    """A write to a remote store (see :meth:`RemoteStore.writer`).

    A remote store is written atomically in one guarded request, so the changes are gathered
    here as if applied in turn (memory grows with the batch) and sent by :meth:`publish`.
    """

    def __init__(self, store: RemoteStore):
        self._store = store
        self._expected: Generation | None | object = UNREAD
        self._add: set[Quad] = set()
        self._remove: set[Quad] = set()
        self._renames: dict[str, dict[str, str]] = {}

    reads_own_writes = False  # the changes wait here for publish: a registry cannot see them

    def registry(self) -> StoreRegistry:
        """Identity lookups; the generation they read is the one the update must still find."""
        self._expected = self._store.generation(fresh=True)
        return StoreRegistry(self._store)

    def apply(self, change: Change) -> None:
        remove = set(change.remove)
        self._add -= remove
        self._remove |= remove
        self._add |= set(change.add)
        for graph, names in change.renames.items():
            self._renames.setdefault(graph, {}).update(names)

    def publish(self, build: Build) -> None:
        self._store.write(self._add, self._remove, build, self._renames, self._expected)
