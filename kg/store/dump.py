"""Dumps of the graph, and the artifacts every store generation is published with.

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

The same graph gives the same bytes: triples are sorted (subject, then predicate with
``rdf:type`` first, then object), quads come in index order, gzip gets mtime 0 and no file name.
Spec: VoID statistics, https://www.w3.org/TR/void/#statistics.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import Graph
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF

from kg.store.base import DUMP_FORMATS
from kg.store.queries import shipped_query
from kg.store.terms import to_oxigraph
from kg.vocab import PREFIXES, SH

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
GZIP_LEVEL = 6  # on 10,000 papers' N-Quads, 9 takes 60% longer for a 2% smaller file
RDF_TYPE = ox.NamedNode(str(RDF.type))


@dataclass(frozen=True)
class ArtifactFile:
    """One file of a generation's artifacts."""

    name: str
    media_type: str  # what it is served as
    content_type: str  # what it holds once decompressed
    role: str  # "dump" (a data dump of the whole graph) or "validation"
    unit: str  # what its count counts: "triples", "quads" or "lines"


TURTLE_DUMP = ArtifactFile("kg.ttl", "text/turtle", "text/turtle", "dump", "triples")
NTRIPLES_DUMP = ArtifactFile("kg.nt.gz", "application/gzip", "application/n-triples", "dump", "triples")
NQUADS_DUMP = ArtifactFile("kg.nq.gz", "application/gzip", "application/n-quads", "dump", "quads")
VALIDATION_TURTLE = ArtifactFile("validation.ttl", "text/turtle", "text/turtle", "validation", "triples")
VALIDATION_TEXT = ArtifactFile("validation.txt", "text/plain", "text/plain", "validation", "lines")
ARTIFACT_FILES = (TURTLE_DUMP, NTRIPLES_DUMP, NQUADS_DUMP, VALIDATION_TURTLE, VALIDATION_TEXT)


@dataclass(frozen=True)
class Build:
    """What made a generation; recorded in its manifest and validation report.

    Attributes:
        activity: the command, e.g. ``kg ingest`` or ``kg retire <uri>``.
        created: when, ISO 8601 UTC (``Settings.now()``, so SOURCE_DATE_EPOCH fixes it).
        conforms: the SHACL verdict, or None when no validation ran.
        lines: one line per SHACL result (``ValidationReport.text()``).
        report: pySHACL's ``sh:ValidationReport`` graph, or None when no validation ran.
        note: why no validation ran, when none did.
    """

    activity: str
    created: str
    conforms: bool | None = None
    lines: tuple[str, ...] = ()
    report: Graph | None = field(default=None, compare=False)
    note: str = ""

    @classmethod
    def of_ingest(cls, created: str, report) -> Build:
        """The build of an ingest whose batch was validated (a kg.validation.ValidationReport)."""
        lines = tuple(line for line in report.text().splitlines() if line)
        return cls("kg ingest", created, report.conforms, lines, report.graph)

    @classmethod
    def of_retire(cls, created: str, uri: str, replaced_by: str | None) -> Build:
        activity = f"kg retire {uri}" + (f" --replaced-by {replaced_by}" if replaced_by else "")
        return cls(activity, created, note="no records were added, so no SHACL validation ran")

    @classmethod
    def of_curation(cls, created: str, verdict: str, left: str, right: str, report) -> Build:
        """The build of a curation, whose identity change was validated like an ingest's."""
        lines = tuple(line for line in report.text().splitlines() if line)
        return cls(f"kg curate {verdict} {left} {right}", created, report.conforms, lines, report.graph)

    @classmethod
    def unrecorded(cls) -> Build:
        """A change applied through the store API directly, outside the pipeline."""
        now = datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls("store.apply", now, note="written outside kg ingest, so no SHACL validation ran")


def dump_prefixes(base: str) -> dict[str, str]:
    """The prefixes of the Turtle and TriG dumps: the vocabularies, ours, and our URI spaces."""
    return {**PREFIXES, "kg": f"{base}ontology#", "author": f"{base}author/", "paper": f"{base}paper/",
            "venue": f"{base}venue/", "source": f"{base}source/"}


# -- dumps ---------------------------------------------------------------------------------------


def dump_graph(store: ox.Store, output: BinaryIO, format: str, base: str) -> int:
    """Serialise the whole store; Turtle and N-Triples give the union of the graphs, sorted.

    Returns:
        How many triples (or quads, for formats that keep the graphs) were written.
    """
    attribute, keeps_graphs = DUMP_FORMATS[format]
    rdf_format = getattr(ox.RdfFormat, attribute)
    prefixes = None if format in ("ntriples", "nquads") else dump_prefixes(base)
    if keeps_graphs:  # the named graphs only: the default graph is their union, kept by kg
        counter = _Counter(iter_named_quads(store))
        ox.serialize(counter, output, rdf_format, prefixes=prefixes)
        return counter.count
    stats = GraphStats(base)
    ox.serialize(iter_distinct_triples(store, list_subjects(store), stats), output, rdf_format, prefixes=prefixes)
    return stats.triples


def iter_named_quads(store: ox.Store) -> Iterator[ox.Quad]:
    """Every quad of every named graph, in the store's index order (deterministic for its content)."""
    for graph in sorted(store.named_graphs(), key=term_key):
        yield from store.quads_for_pattern(None, None, None, graph)


class _Counter:
    """Counts the items of an iterator as they stream past."""

    def __init__(self, items):
        self.items, self.count = items, 0

    def __iter__(self):
        for item in self.items:
            self.count += 1
            yield item


def list_subjects(store: ox.Store) -> list:
    """Every subject of every graph, once, sorted.

    This list is the one thing the triple dumps hold in memory that grows with the graph: one
    term per subject (about 50,000, or 10 MB, for a 336,756-quad graph), never the triples.
    """
    solutions = store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }")
    return sorted((row["s"] for row in solutions), key=term_key)


def iter_distinct_triples(store: ox.Store, subjects: list, stats: GraphStats | None = None,
                          also: Callable[[list], None] | None = None) -> Iterator[ox.Triple]:
    """Yield each triple of the union of all graphs once, sorted by subject, predicate, object.

    The default graph is the union (each triple once); RocksDB's subject-first index streams
    one subject's triples at a time, so only that subject's triples are in memory.
    ``also(triples)`` receives each subject's triples before they are yielded.
    """
    for subject in subjects:
        default = ox.DefaultGraph()
        pairs = {(quad.predicate, quad.object) for quad in store.quads_for_pattern(subject, None, None, default)}
        triples = [ox.Triple(subject, predicate, obj) for predicate, obj in sorted(pairs, key=_pair_key)]
        if stats is not None:
            for triple in triples:
                stats.add(subject, triple.predicate, triple.object)
        if also is not None:
            also(triples)
        yield from triples


def term_key(term) -> tuple:
    """Sort key of a pyoxigraph term: IRIs, then blank nodes, then literals; by lexical form."""
    if isinstance(term, ox.NamedNode):
        return (0, term.value, "")
    if isinstance(term, ox.BlankNode):
        return (1, term.value, "")
    return (2, term.value, term.language or term.datatype.value)


def _pair_key(pair) -> tuple:
    predicate, obj = pair
    return (predicate != RDF_TYPE, predicate.value, term_key(obj))


@dataclass
class GraphStats:
    """VoID statistics gathered while the distinct triples stream past."""

    base: str
    triples: int = 0
    subjects: int = 0
    entities: int = 0
    classes: Counter = field(default_factory=Counter)
    properties: Counter = field(default_factory=Counter)
    _last_subject: object = None

    def add(self, subject, predicate, obj) -> None:
        self.triples += 1
        self.properties[predicate.value] += 1
        if predicate == RDF_TYPE and isinstance(obj, ox.NamedNode):
            self.classes[obj.value] += 1  # triples are distinct, so this counts distinct instances
        if subject != self._last_subject:
            self._last_subject = subject
            self.subjects += 1
            if isinstance(subject, ox.NamedNode) and subject.value.startswith(self.base):
                self.entities += 1


# -- artifacts -----------------------------------------------------------------------------------


def write_artifacts(store: ox.Store, directory: Path, generation: str, base: str, build: Build) -> dict:
    """Write the dumps, the validation report and the manifest of a generation into ``directory``.

    Args:
        store: the generation's store (not yet published).
        directory: a new directory, renamed into place by the caller.
        generation: the generation's name, ``gNNNNNN``.
        base: the base URI (prefixes of the Turtle dump; what counts as an entity).
        build: what made the generation.

    Returns:
        The manifest (also written to ``manifest.json``).
    """
    directory.mkdir(parents=True)
    subjects = list_subjects(store)
    stats = GraphStats(base)
    with _artifact(directory, TURTLE_DUMP) as turtle, _artifact(directory, NTRIPLES_DUMP) as ntriples:
        # One pass over the store feeds both files. N-Triples is one line per triple, so writing
        # it one subject at a time gives the bytes of one serialisation of the whole sequence.
        def also(triples: list) -> None:
            ox.serialize(triples, ntriples.out, ox.RdfFormat.N_TRIPLES)

        ox.serialize(iter_distinct_triples(store, subjects, stats, also), turtle.out, ox.RdfFormat.TURTLE,
                     prefixes=dump_prefixes(base))
        turtle.count = ntriples.count = stats.triples
    with _artifact(directory, NQUADS_DUMP) as nquads:
        nquads.count = dump_graph(store, nquads.out, "nquads", base)  # streamed from RocksDB into gzip
    report_turtle, report_triples = render_report_turtle(generation, build, base)
    report_text = render_report_text(generation, build)
    written = [turtle, ntriples, nquads]
    for spec, text, count in ((VALIDATION_TURTLE, report_turtle, report_triples),
                              (VALIDATION_TEXT, report_text, report_text.count("\n"))):
        with _artifact(directory, spec) as report:
            report.out.write(text.encode("utf-8"))
            report.count = count
        written.append(report)
    files = [artifact.entry() for artifact in written]
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "generation": generation,
        "created": build.created,
        "activity": build.activity,
        "base_uri": base,
        "files": files,
        "validation": {"conforms": build.conforms, "results": len(build.lines), "note": build.note},
        **describe_graph(store, base, stats, files),
    }
    _write_json(directory / MANIFEST, manifest)
    _fsync_directory(directory)
    return manifest


def read_manifest(directory: Path) -> dict | None:
    """The manifest of an artifacts directory, or None when there is none."""
    try:
        return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def describe_graph(store: ox.Store, base: str, stats: GraphStats, files: list[dict]) -> dict:
    """The counts of the manifest: entities by kind, triples, VoID partitions, graphs, sources."""
    # the default graph is the union of the named graphs, so plain queries see everything once
    count_entities = shipped_query("count-entities").text  # what `kg stats` prints, from one definition
    kinds = {str(row["kind"].value): int(row["count"].value) for row in store.query(count_entities)}
    objects = next(iter(store.query(COUNT_OBJECTS)))["n"]
    graphs = {row["g"].value: int(row["n"].value) for row in store.query(COUNT_GRAPHS)}
    sources = sorted(row["s"].value for row in store.query(LIST_SOURCES))
    examples = [row["e"].value for query in (TOP_AUTHOR, TOP_WORK) for row in store.query(query)]
    quads = next(f["quads"] for f in files if f["name"] == NQUADS_DUMP.name)
    counts = {kind: kinds.get(kind, 0) for kind in ("persons", "works", "versions", "venues", "sources")}
    counts |= {"triples": stats.triples, "quads": quads, "graphs": len(graphs), "entities": stats.entities,
               "distinct_subjects": stats.subjects, "distinct_objects": int(objects.value)}
    return {"counts": counts, "classes": dict(stats.classes), "properties": dict(stats.properties),
            "graphs": graphs, "sources": sources, "examples": examples}


_PREFIXES = "PREFIX schema: <https://schema.org/> PREFIX prov: <http://www.w3.org/ns/prov#> " \
            "PREFIX owl: <http://www.w3.org/2002/07/owl#> "
COUNT_OBJECTS = "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"
COUNT_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
LIST_SOURCES = _PREFIXES + "SELECT DISTINCT ?s WHERE { ?s a prov:Entity FILTER(isIRI(?s)) }"
TOP_AUTHOR = _PREFIXES + """SELECT ?e WHERE { ?w schema:author ?e FILTER NOT EXISTS { ?e owl:deprecated true } }
GROUP BY ?e ORDER BY DESC(COUNT(DISTINCT ?w)) STR(?e) LIMIT 1"""
TOP_WORK = _PREFIXES + """SELECT ?e WHERE { ?e a schema:ScholarlyArticle ; schema:workExample ?v
  FILTER NOT EXISTS { ?e owl:deprecated true } } GROUP BY ?e ORDER BY DESC(COUNT(DISTINCT ?v)) STR(?e) LIMIT 1"""


# -- the validation report -----------------------------------------------------------------------


def render_report_text(generation: str, build: Build) -> str:
    """``validation.txt``: a header, a blank line, then one line per SHACL result."""
    verdict = {True: "yes", False: "no", None: "not validated"}[build.conforms]
    header = [f"# SHACL validation report of generation {generation}",
              f"# made by: {build.activity}", f"# created: {build.created}", f"# conforms: {verdict}",
              f"# results: {len(build.lines)}"]
    if build.note:
        header.append(f"# note: {build.note}")
    return "\n".join(header) + "\n\n" + "".join(f"{line}\n" for line in build.lines)


def render_report_turtle(generation: str, build: Build, base: str) -> tuple[str, int]:
    """``validation.ttl`` and its triple count: pySHACL's report, blank nodes canonicalised."""
    header = f"# SHACL validation report of generation {generation}, made by {build.activity} at {build.created}\n"
    if build.report is None:
        header += f"# {build.note}\n"
        return header, 0
    triples = sorted((ox.Triple(*(to_oxigraph(t) for t in triple))
                      for triple in to_canonical_graph(build.report).triples((None, None, None))),
                     key=lambda t: (term_key(t.subject), t.predicate != RDF_TYPE, t.predicate.value,
                                    term_key(t.object)))
    body = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes={**dump_prefixes(base), "sh": str(SH)})
    return header + body.decode("utf-8"), len(triples)


# -- writing files -------------------------------------------------------------------------------


class _Artifact:
    """A file being written: ``out`` takes the content; ``count`` is set by the writer."""

    def __init__(self, spec: ArtifactFile, out, hashing: _HashingWriter):
        self.spec, self.out, self.hashing, self.count = spec, out, hashing, None

    def entry(self) -> dict:
        """The file's manifest entry (once it is closed)."""
        spec = self.spec
        return {"name": spec.name, "media_type": spec.media_type, "content_type": spec.content_type,
                "role": spec.role, "bytes": self.hashing.size, "sha256": self.hashing.digest.hexdigest(),
                spec.unit: self.count}


@contextmanager
def _artifact(directory: Path, spec: ArtifactFile) -> Iterator[_Artifact]:
    """Open one artifact for writing, gzipped when its media type says so; record it when closed."""
    with open(directory / spec.name, "wb") as raw:
        hashing = _HashingWriter(raw)
        if spec.media_type == "application/gzip":
            # No file name and mtime 0 in the header, so the same content gives the same bytes.
            with gzip.GzipFile(filename="", mode="wb", fileobj=hashing, compresslevel=GZIP_LEVEL, mtime=0) as out:
                artifact = _Artifact(spec, _Unflushed(out), hashing)
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


def _fsync_directory(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class _HashingWriter:
    """Pass bytes through to a file, counting them and hashing them (SHA-256) on the way."""

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

