"""The artifacts every store generation is published with: dumps, validation report, manifest.

Each generation ``gNNNNNN`` gets ``STORE/artifacts/gNNNNNN/``, written before ``current`` is
flipped to it (kg.store.generations), so a reader never sees a generation without them:

==================  ======================  ===================================================
file                media type              content
==================  ======================  ===================================================
``kg.ttl``          text/turtle             the union of all graphs, each triple once
``kg.nt.gz``        application/gzip        the same triples as N-Triples, gzipped
``kg.nq.gz``        application/gzip        every quad as N-Quads (named graphs kept), gzipped
``validation.ttl``  text/turtle             the SHACL report of the ingest that made it
``validation.txt``  text/plain              the same report, one line per result
``manifest.json``   application/json        size, SHA-256 and triple/quad count of each file;
                                            entity counts, class and property partitions (VoID)
==================  ======================  ===================================================

The dumps' bytes are kg.store.serialise's; gzip gets mtime 0 and no file name, so the same
graph gives the same files. A gzip file's entry also describes what it decompresses to
(``decompressed``: name, media type, bytes, SHA-256, hashed in the pass that writes the file), which
the web serves at that name (``/dumps/kg.nt``) from the gzip file, never stored a second time.
The manifest's counts run shipped named queries (kg.store.queries).
"""

from __future__ import annotations

import ctypes
import gzip
import hashlib
import json
import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from kg.store.build import Build, render_report_text, render_report_turtle
from kg.store.generations import fsync_directory
from kg.store.queries import shipped_query
from kg.store.serialise import GraphStats, dump_graph, parse_batches, sorted_batches
from kg.vocab import dump_prefixes

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
GZIP = "application/gzip"
GZIP_LEVEL = 6  # on 10,000 papers' N-Quads, 9 takes 60% longer for a 2% smaller file


@dataclass(frozen=True)
class ArtifactFile:
    """One file of a generation's artifacts."""

    name: str
    media_type: str  # what it is served as
    content_type: str  # what it holds once decompressed
    role: str  # "dump" (a data dump of the whole graph) or "validation"
    unit: str  # what its count counts: "triples", "quads" or "lines"

    @property
    def gzipped(self) -> bool:
        return self.media_type == GZIP

    @property
    def decompressed_name(self) -> str:
        """The name of what a gzip file holds (``kg.nt`` for ``kg.nt.gz``)."""
        return self.name.removesuffix(".gz")


TURTLE_DUMP = ArtifactFile("kg.ttl", "text/turtle", "text/turtle", "dump", "triples")
NTRIPLES_DUMP = ArtifactFile("kg.nt.gz", GZIP, "application/n-triples", "dump", "triples")
NQUADS_DUMP = ArtifactFile("kg.nq.gz", GZIP, "application/n-quads", "dump", "quads")
VALIDATION_TURTLE = ArtifactFile("validation.ttl", "text/turtle", "text/turtle", "validation", "triples")
VALIDATION_TEXT = ArtifactFile("validation.txt", "text/plain", "text/plain", "validation", "lines")
ARTIFACT_FILES = (TURTLE_DUMP, NTRIPLES_DUMP, NQUADS_DUMP, VALIDATION_TURTLE, VALIDATION_TEXT)


def write_artifacts(store: ox.Store, directory: Path, generation: str, base: str, build: Build,
                    dumps: bool = True, graphs: dict[str, int] | None = None) -> dict:
    """Write the validation report and the manifest of a generation into ``directory`` and, with
    ``dumps``, its dumps too (the remote store's way; the embedded store leaves them to
    :func:`write_dumps`, off the ingest's path).

    Args:
        store: the generation's store (not yet published).
        directory: a new directory, renamed into place by the caller.
        generation: the generation's name, ``gNNNNNN``.
        base: the base URI (prefixes of the Turtle dump; what counts as an entity).
        build: what made the generation.
        graphs: each named graph's quads, when the writer kept count (else they are counted).

    Returns:
        The manifest (also written to ``manifest.json``).
    """
    directory.mkdir(parents=True)
    files, described = (_write_dump_files(store, directory, base) if dumps else ([], {}))
    report_turtle, report_triples = render_report_turtle(generation, build, base)
    report_text = render_report_text(generation, build)
    for spec, text, count in ((VALIDATION_TURTLE, report_turtle, report_triples),
                              (VALIDATION_TEXT, report_text, report_text.count("\n"))):
        with _artifact(directory, spec) as report:
            report.out.write(text.encode("utf-8"))
            report.count = count
        files.append(report.entry())
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "generation": generation,
        "created": build.created,
        "activity": build.activity,
        "base_uri": base,
        "files": files,
        "validation": {"conforms": build.conforms, "results": len(build.lines), "note": build.note},
        **(described or current_counts(store, graphs)),
    }
    _write_json(directory / MANIFEST, manifest)
    fsync_directory(directory)
    return manifest


def write_dumps(store: ox.Store, directory: Path, generation: str, base: str, created: str,
                location: Path | None = None) -> dict:
    """Write a generation's dumps into ``directory``, with a manifest of their files and of the
    statistics the pass over them gathered (VoID): ``kg publish``, or its background build.

    With ``location`` (where ``store`` is, opened read-only), the N-Quads dump is written by a
    second process from its own read-only view of it while this one writes the other two: the
    two passes share nothing, and each is bound by a core."""
    directory.mkdir(parents=True)
    files, described = _write_dump_files(store, directory, base, location)
    manifest = {"manifest_version": MANIFEST_VERSION, "generation": generation, "created": created,
                "activity": "dump", "base_uri": base, "files": files, **described}
    _write_json(directory / MANIFEST, manifest)
    fsync_directory(directory)
    return manifest


def _write_dump_files(store: ox.Store, directory: Path, base: str,
                      location: Path | None = None) -> tuple[list[dict], dict]:
    """The three dumps' manifest entries, and the statistics of the passes that wrote them (the
    N-Quads one in a second process when the store's ``location`` is given)."""
    stats = GraphStats(base, describe=True, spill=directory)  # the sort's runs beside the dumps, not in /tmp
    with ExitStack() as stack:
        if location is not None:
            pool = stack.enter_context(ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")))
            quads = pool.submit(_write_nquads_at, str(location), directory, base, os.getpid())
        with _artifact(directory, TURTLE_DUMP) as turtle, _artifact(directory, NTRIPLES_DUMP) as ntriples:
            # One sorted pass feeds both files: its N-Triples batches are written as they are and
            # parsed again for the Turtle serialiser.
            def also(batch: bytes) -> bytes:
                ntriples.out.write(batch)
                return batch

            batches = map(also, sorted_batches(store, stats.add, directory))
            ox.serialize(parse_batches(batches), turtle.out, ox.RdfFormat.TURTLE, prefixes=dump_prefixes(base))
            stats.end()
            turtle.count = ntriples.count = stats.triples
        nquads, graphs = quads.result() if location is not None else _write_nquads(store, directory, base)
    return [turtle.entry(), ntriples.entry(), nquads], describe_graph(store, stats, graphs)


def _write_nquads_at(location: str, directory: Path, base: str, parent: int) -> tuple[dict, dict]:
    """:func:`_write_nquads` in a child process, from the store at ``location`` opened read-only.
    The child ends with ``parent``: a ``kg publish`` that is killed leaves no writer behind."""
    end_with_parent(parent, signal.SIGKILL)
    return _write_nquads(ox.Store.read_only(location), directory, base)


def end_with_parent(parent: int, signal_number: int) -> None:
    """Have the kernel send this process ``signal_number`` when its parent ends (Linux
    ``PR_SET_PDEATHSIG``; elsewhere nothing is done), and end now if the parent (pid ``parent``)
    already has. bench/servers.py calls it in a server's child before exec."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal_number)
    except (AttributeError, OSError):
        return
    if os.getppid() != parent:
        os._exit(1)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _write_nquads(store: ox.Store, directory: Path, base: str) -> tuple[dict, dict]:
    """Write ``kg.nq.gz``; its manifest entry and the quads per named graph."""
    with _artifact(directory, NQUADS_DUMP) as nquads:
        graphs: Counter = Counter()
        nquads.count = dump_graph(store, nquads.out, "nquads", base, graphs)  # streamed from RocksDB into gzip
    return nquads.entry(), dict(graphs)


def current_counts(store: ox.Store, graphs: dict[str, int] | None = None) -> dict:
    """A generation's entity counts (what `kg stats` prints), quads and named graphs, without a
    dump; the graphs' sizes are counted (a pass over the store) unless given."""
    kinds = {str(row["kind"].value): int(row["count"].value)
             for row in store.query(shipped_query("count-entities").text)}
    if graphs is None:
        graphs = {row["g"].value: int(row["n"].value) for row in store.query(COUNT_GRAPHS)}
    counts = {kind: kinds.get(kind, 0) for kind in ("persons", "works", "versions", "venues", "sources")}
    return {"counts": counts | {"quads": sum(graphs.values())}, "graphs": graphs}


def read_manifest(directory: Path) -> dict | None:
    """The manifest of an artifacts directory, or None when there is none."""
    try:
        return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def describe_graph(store: ox.Store, stats: GraphStats, graphs: dict[str, int]) -> dict:
    """The counts of the manifest: entities by kind, triples, VoID partitions, graphs, sources.

    All but the entity counts and the sources come from the pass that wrote the dumps (``stats``,
    ``graphs``: quads per named graph), so memory does not grow with the store."""
    # the default graph is the union of the named graphs, so plain queries see everything once
    count_entities = shipped_query("count-entities").text  # what `kg stats` prints, from one definition
    kinds = {str(row["kind"].value): int(row["count"].value) for row in store.query(count_entities)}
    sources = sorted(row["s"].value for row in store.query(LIST_SOURCES))
    counts = {kind: kinds.get(kind, 0) for kind in ("persons", "works", "versions", "venues", "sources")}
    counts |= {"triples": stats.triples, "quads": sum(graphs.values()), "graphs": len(graphs),
               "entities": stats.entities, "distinct_subjects": stats.subjects,
               "distinct_objects": stats.distinct_objects()}
    return {"counts": counts, "classes": dict(stats.classes), "properties": dict(stats.properties),
            "graphs": dict(sorted(graphs.items())), "sources": sources, "examples": stats.examples(),
            "linksets": dict(sorted(stats.linksets.items()))}


_PREFIXES = "PREFIX schema: <https://schema.org/> PREFIX prov: <http://www.w3.org/ns/prov#> " \
            "PREFIX owl: <http://www.w3.org/2002/07/owl#> "
COUNT_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
LIST_SOURCES = _PREFIXES + "SELECT DISTINCT ?s WHERE { ?s a prov:Entity FILTER(isIRI(?s)) }"


class _Artifact:
    """A file being written: ``out`` takes the content; ``count`` is set by the writer.

    ``hashing`` sees the file's bytes; for a gzip file, ``content`` sees what goes into gzip."""

    def __init__(self, spec: ArtifactFile, out, hashing: _HashingWriter, content: _HashingWriter | None = None):
        self.spec, self.out, self.hashing, self.content, self.count = spec, out, hashing, content, None

    def entry(self) -> dict:
        """The file's manifest entry (once it is closed)."""
        spec = self.spec
        entry = {"name": spec.name, "media_type": spec.media_type, "content_type": spec.content_type,
                 "role": spec.role, "bytes": self.hashing.size, "sha256": self.hashing.digest.hexdigest(),
                 spec.unit: self.count}
        if self.content is not None:
            entry["decompressed"] = {"name": spec.decompressed_name, "media_type": spec.content_type,
                                     "bytes": self.content.size, "sha256": self.content.digest.hexdigest()}
        return entry


@contextmanager
def _artifact(directory: Path, spec: ArtifactFile) -> Iterator[_Artifact]:
    """Open one artifact for writing, gzipped when its media type says so; record it when closed."""
    with open(directory / spec.name, "wb") as raw:
        hashing = _HashingWriter(raw)
        if spec.gzipped:
            # No file name and mtime 0 in the header, so the same content gives the same bytes.
            with gzip.GzipFile(filename="", mode="wb", fileobj=hashing, compresslevel=GZIP_LEVEL, mtime=0) as out:
                content = _HashingWriter(out)  # the decompressed bytes' size and SHA-256, in the same pass
                artifact = _Artifact(spec, _Unflushed(content), hashing, content)
                yield artifact
        else:
            artifact = _Artifact(spec, _Unflushed(hashing), hashing)
            yield artifact
        raw.flush()
        os.fsync(raw.fileno())


def _write_json(path: Path, value: dict) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())


class _HashingWriter:
    """Pass bytes through to a file (or a gzip stream), counting them and hashing them (SHA-256) on the way."""

    def __init__(self, raw: BinaryIO):
        self.raw, self.size, self.digest = raw, 0, hashlib.sha256()

    def write(self, data) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


class _Unflushed:
    """Pass writes through but not flushes: pyoxigraph flushes after each serialisation, and a
    flushed gzip stream ends a deflate block (a larger file, for nothing)."""

    def __init__(self, out: BinaryIO):
        self.out = out

    def write(self, data) -> int:
        return self.out.write(data)

    def flush(self) -> None:
        pass
