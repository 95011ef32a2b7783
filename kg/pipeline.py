"""The graph build, stage by stage: sources -> parsers -> identity -> mapping -> SHACL gate ->
inference -> store. Coordinates the stages; holds no stage logic of its own.

An ingest is one transaction: every input is read, parsed and resolved before anything is
written; the records are then mapped, validated and inferred chunk by chunk into a new, unpublished
generation, which is published only after the last chunk passed (store/generations.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF

from kg.config import Settings
from kg.errors import KgError, MappingError, ValidationFailed
from kg.identity import Curation, resolve
from kg.identity.keys import short_hash
from kg.identity.mentions import work_id_key
from kg.identity.resolve import Resolution
from kg.inference import compile_rules, load_ontology, materialize_owlrl
from kg.mapping import MappedBatch, entity_state, identity_change, map_in_chunks, moved_facts, split_facts
from kg.mapping.citations import citable, citation_links, key_of, target_of
from kg.mapping.identity_graph import curation_quads, mention_of
from kg.parsers import parse_source
from kg.quads import Change
from kg.records import ParsedSource
from kg.sources import read_source
from kg.store import Store, open_configured_store
from kg.store.base import Writer
from kg.store.build import Build
from kg.store.registry import StoreRegistry
from kg.uris import curation_graph_uri, identity_graph_uri, inferred_graph_uri, mint_source_uri, parse_uri
from kg.validation import ValidationReport, load_shapes, validate_graph
from kg.vocab import DCTERMS, SCHEMA, kg_namespace


@dataclass(frozen=True)
class Reject:
    """An input that was refused, and why."""

    origin: str
    reason: str


@dataclass
class IngestResult:
    """What an ingest or validate run did."""

    sources: int = 0
    skipped: int = 0
    persons: int = 0
    works: int = 0
    quads_added: int = 0
    quads_removed: int = 0
    inferred: int = 0
    written: bool = False
    report: ValidationReport | None = None
    rejects: list[Reject] = field(default_factory=list)


def read_inputs(
    paths: Sequence[Path],
    settings: Settings,
    keep_going: bool = False,
    progress: Callable[[Iterable], Iterable] = iter,
) -> tuple[list[ParsedSource], list[Reject]]:
    """Read and parse every input; stop at the first bad one unless ``keep_going``.

    Raises:
        KgError: the first bad input (when not keep_going), naming file, line and problem.
    """
    rejects: list[Reject] = []
    parsed = [source for part in read_parts(paths, settings, rejects, keep_going, progress) for source in part]
    return parsed, rejects


def read_parts(
    paths: Sequence[Path],
    settings: Settings,
    rejects: list[Reject],
    keep_going: bool = False,
    progress: Callable[[Iterable], Iterable] = iter,
    part_records: int | None = None,
) -> Iterator[list[ParsedSource]]:
    """Read and parse the inputs in turn, yielding them in parts of whole files with at least
    ``part_records`` paper and person records each (the last may have fewer); one part when None.

    Raises:
        KgError: the first bad input (when not keep_going; else it goes to ``rejects``).
    """
    now = settings.now()
    part: list[ParsedSource] = []
    records, parts = 0, 0
    for path in progress(paths):
        try:
            part.append(parse_source(read_source(path, now, settings.max_input_bytes)))
        except KgError as exc:
            if not keep_going:
                raise
            rejects.append(Reject(str(path), str(exc)))
            continue
        records += len(part[-1].papers) + len(part[-1].persons)
        if part_records is not None and records >= part_records:
            yield part
            part, records, parts = [], 0, parts + 1
    if part or not parts:
        yield part


class Gate:
    """The SHACL gate and the inference of one ingest: shapes and rules are loaded once."""

    def __init__(self, settings: Settings):
        self.shapes = load_shapes(settings.shapes_dir, settings.base_uri)
        self.rules = compile_rules(load_ontology(settings.ontology_dir, settings.base_uri))
        self.inferred_graph = inferred_graph_uri(settings.base_uri)
        self.engine = settings.shacl_engine
        self.mention = kg_namespace(settings.base_uri).Mention

    def judged(self, batch: MappedBatch) -> set:
        """The triples the gate validates: the batch's, but those of its mentions (``kg:Mention``),
        which no shape targets and no triple points to (tests/test_validation_shapes.py), so they
        cannot change a verdict."""
        triples = batch.triples()
        mentions = {s for s, p, o in triples if p == RDF.type and o == self.mention}
        return {t for t in triples if t[0] not in mentions} if mentions else triples

    def check(self, batch: MappedBatch, result: IngestResult, validate: bool = True) -> None:
        """Validate a mapped batch (or chunk), then add what the ontology's alignments imply.

        Args:
            validate: False for a change no shape can target (identity triples only: the shapes
                target persons, works, versions, venues and sources, typed in source graphs); the
                chunks validate those triples with the entities they describe.

        Raises:
            ValidationFailed: the batch does not conform to the shapes (carries the report).
        """
        report = validate_graph(self.judged(batch) if validate else set(), self.shapes, batch.record_keys,
                                engine=self.engine)
        if not report.conforms:
            raise ValidationFailed(report)
        inferred = materialize_owlrl(((s, p, o) for s, p, o, _g in batch.add | batch.moved), self.rules)
        inferred -= {(s, p, o) for s, p, o, _g in batch.restated}  # stated by an earlier chunk
        batch.add |= {(s, p, o, self.inferred_graph) for s, p, o in inferred}
        # The shapes have only sh:Violation results, so a conforming chunk's report has no results
        # and the last one stands for them all.
        result.report = report
        result.quads_added += len(batch.add) + len(batch.moved)  # a moved quad is one removed, one added
        result.quads_removed += len(batch.remove) + len(batch.moved)
        result.inferred += len(inferred)


def _facts_to_move(registry: StoreRegistry, graph: str, olds: set[str]) -> set:
    """The quads of one source graph that name these URIs (versions under moved works included),
    with the neighbourhood the shapes of their subjects look at (a work whose author moved: its
    other facts, its authors' and venues' types, its author lists): what a move reads, however
    large the source is."""
    quads = registry.quads_about(olds, graph)
    subjects = {str(q[0]) for q in quads if isinstance(q[0], URIRef)}
    return quads | registry.neighbourhood(subjects, graph)


def counted(resolution: Resolution) -> IngestResult:
    return IngestResult(sources=len(resolution.sources), skipped=len(resolution.skipped),
                        persons=len(resolution.persons), works=len(resolution.works))


def checked_chunks(resolution: Resolution, settings: Settings, result: IngestResult,
                   registry: StoreRegistry) -> Iterator[Change]:
    """Map, validate and infer a resolved batch: first what identity changed (the identity graph,
    facts moved between entities), then the new sources chunk by chunk (``KG_CHUNK_PAPERS`` papers
    each), adding to ``result`` as it goes; a change that fails the gate stops the ingest
    (ValidationFailed).

    Identity is decided for the whole batch first (kg.identity), so the chunk size changes
    neither URIs nor quads: only how many are in memory at once.
    """
    gate = Gate(settings)
    state = entity_state(settings.base_uri, resolution)
    first = identity_changes(resolution, state, registry, gate, settings.base_uri)
    gate.check(first, result, validate=bool(resolution.moved or resolution.split))
    yield Change(first.add, first.remove, first.renames)
    cites: set = set()
    for batch in map_in_chunks(resolution, settings.base_uri, settings.chunk_papers, state):
        gate.check(batch, result)
        cites |= {q for q in batch.add if q[1] == SCHEMA.citation and q[3] != gate.inferred_graph}
        yield Change(batch.add, batch.remove)
    links = citation_change(resolution, registry, first, cites, settings.base_uri)
    if links.add or links.remove:
        result.quads_added += len(links.add)
        result.quads_removed += len(links.remove)
        result.inferred += len(links.add)
        yield links


def citation_change(resolution: Resolution, registry: StoreRegistry, first: MappedBatch, cites: set,
                    base: str) -> Change:
    """The derived ``schema:citation`` links between held works (kg.mapping.citations) that the
    batch makes or unmakes: re-derived for every identifier it bears on (the new references, the
    identifiers of every work identity decided, the references of works that moved), from the
    state after the change, and written as the difference from the stored links."""
    inferred = inferred_graph_uri(base)
    changed = {q for q in first.add | first.moved | first.remove
               if q[1] == SCHEMA.citation and q[3] != inferred}
    if not (cites or changed or registry.has_citations()):
        return Change(set(), set())
    retired = {f"{base}{old}" for old in resolution.retired}
    works = {f"{base}{path}": citable(work_id_key(i) for i in entity.named.identifiers)
             for path, entity in resolution.entities.items() if entity.space == "paper"}
    keys = set().union(*works.values()) if works else set()
    keys |= {key for q in cites | changed if (key := key_of(q[2]))}
    # Every work that holds one of the keys before or after the change, and every one whose links the
    # identity change dropped (kg.pipeline.identity_changes: inferences about moved entities).
    before = registry.key_holders(keys)
    candidates = set().union(*before.values()) if before else set()
    candidates |= set(works) | {str(q[2]) for q in first.remove if q[1] == SCHEMA.citation and q[3] == inferred}
    holders: dict[str, set[str]] = {}
    unchanged = registry.work_keys(c for c in candidates if c not in works and c not in retired)
    for work, held in (*works.items(), *unchanged.items()):
        for key in citable(held):
            holders.setdefault(key, set()).add(work)
    citing: dict[str, set[str]] = {}
    stored = registry.citations(cited=[target_of(key) for key in holders])
    for s, _p, o, g in (stored - first.remove) | {q for q in changed | cites if q not in first.remove}:
        work = first.renames.get(str(g), {}).get(str(s), str(s))
        if key := key_of(o):
            citing.setdefault(key, set()).add(work)
    wanted = {(w, SCHEMA.citation, c, inferred) for w, c in citation_links(citing, holders)}
    present = registry.citations(cited=candidates, graph=str(inferred)) - first.remove
    return Change(wanted - present, present - wanted)


def identity_changes(resolution: Resolution, state: dict, registry: StoreRegistry, gate: Gate,
                     base: str) -> MappedBatch:
    """The identity graph's new state for everything the batch bears on, and the facts of stored
    mentions that now belong to another entity, moved in their source graphs (with the inferences
    drawn from them); validated with what it leaves unchanged."""
    retired = {f"{base}{old}": f"{base}{new}" for old, new in resolution.retired.items()}
    live = {str(uri) for uri in state}
    chained = {x: retired[u] for x, u in registry.replaced_by(retired).items() if x not in retired and x not in live}
    new = tuple(f"{mint_source_uri(base, source.slug)}#" for source in resolution.sources)
    stored = {str(uri) for uri in state if not str(uri).startswith(new)}  # a new source's mentions are not stored yet
    # A stored mention's evidence is known already (the registry read it to find the mention): not read twice.
    data, identity = kg_namespace(base).mentionData, identity_graph_uri(base)
    current = registry.identity_quads(stored | set(retired) | set(chained), leave_out=str(data))
    current |= {(node, data, Literal(m.data), identity) for m in resolution.stored
                if m.data and (node := mention_of(base, m.mention)) in state}
    batch = identity_change(state, retired | chained, base, current)
    if registry.unmarked:  # every person has its summary: said once, so that later ingests need not check
        batch.add.add((identity, kg_namespace(base).summarisesPersons, Literal(True), identity))
    olds = {f"{base}{old}" for changes in (resolution.moved, resolution.split)
            for moves in changes.values() for old in moves}
    touched = olds | registry.versions_of(olds) if olds else set()  # read once, for the moves and the inferences
    gone: set = set()
    for slug in sorted(set(resolution.moved) | set(resolution.split)):
        graph = str(mint_source_uri(base, slug))
        moves = resolution.moved.get(slug, {})
        mine = {f"{base}{old}" for old in moves | resolution.split.get(slug, {})}
        quads = _facts_to_move(registry, graph, {t for t in touched
                                                 if t in mine or t.rsplit("/", 1)[0] in mine})
        if slug in resolution.split:  # one URI becomes several: exact quads, fact by fact
            split = resolution.split[slug]
            records = registry.work_records(graph, {i for pairs in split.values() for m, _new in pairs
                                                    for i in getattr(m, "records", ())})
            remove, add, kept = split_facts(base, quads, moves, split, records)
            batch.remove |= remove
            batch.add |= add
        else:
            remove, add, kept, renamed = moved_facts(base, quads, moves)
            batch.moved |= add
            batch.renames[graph] = renamed
        gone |= remove
        batch.context |= kept
    if resolution.moved or resolution.split:  # the shapes of what moved facts name look at identity triples too
        named = {str(q[0]) for q in batch.add | batch.moved | batch.context if isinstance(q[0], URIRef)}
        batch.context |= registry.identity_quads(named - {str(u) for u in state}) - batch.remove
    if olds:
        about = registry.quads_about(touched)
        stale = {q for q in about if q[3] == gate.inferred_graph}
        asserted = (about - stale - batch.remove - gone) | {
            q for q in batch.add | batch.moved if {str(q[0]), str(q[2])} & touched}
        again = materialize_owlrl(((s, p, o) for s, p, o, _g in asserted), gate.rules)
        again = {(s, p, o, gate.inferred_graph) for s, p, o in again if {str(s), str(o)} & touched}
        batch.remove |= stale - again
        batch.add |= again - stale
    return batch


def ingest(
    paths: Sequence[Path],
    settings: Settings,
    write: bool = True,
    keep_going: bool = False,
    progress: Callable[[Iterable], Iterable] = iter,
) -> IngestResult:
    """Build the graph of ``paths`` into the store (or only check it, with ``write=False``).

    Nothing is written unless every stage succeeds for the whole batch: the chunks go into a new
    generation that is published only after the last one passed the gate. With ``keep_going``,
    inputs that cannot be read or parsed are left out and listed in ``result.rejects``.

    Inputs of more than ``KG_PART_RECORDS`` paper and person records go in parts of whole files, where the store's
    writer reads its own writes (a store directory): each part is read, resolved against the
    store as the parts before it left it, and applied; only the last part's publish makes any of
    it visible. Identity does not depend on how records are split into batches (tests/
    test_identity_converge.py), so the parts give the graph one batch would, with memory bounded
    by the part. A bad input in a later part still leaves the store as it was.

    With more than ``KG_CHUNK_PAPERS`` papers, ``quads_added`` and ``inferred`` are summed over
    the chunks: a quad that two chunks both infer counts twice (the manifest's counts are exact).
    """
    result = IngestResult()
    touched: dict[str, set[str]] = {"author": set(), "paper": set()}
    with open_configured_store(settings).writer() as writer:
        part_records = settings.part_records if writer.reads_own_writes else None
        parts = read_parts(paths, settings, result.rejects, keep_going, progress, part_records)
        part = next(parts)
        while part is not None:
            following = next(parts, None)  # read first: a bad input stops the ingest before this part's work
            registry = writer.registry()  # the state every decision is read from, and the write builds on
            resolution = resolve(part, registry)
            result.sources += len(resolution.sources)
            result.skipped += len(resolution.skipped)
            for path, entity in resolution.entities.items():
                touched[entity.space].add(path)
            gone = set(resolution.retired) | {old for moves in resolution.moved.values() for old in moves}
            for space in touched.values():  # an entity a later part merged away or renamed is not counted
                space -= gone - resolution.entities.keys()
            changes = checked_chunks(resolution, settings, result, registry)
            if resolution.sources and (write or following is not None):  # a later part must read this one
                for change in changes:
                    writer.apply(change)
                result.written = write
            else:
                for _change in changes:  # validated; nothing to write, or only checking
                    pass
            part = following
        result.persons, result.works = len(touched["author"]), len(touched["paper"])
        if result.written:
            writer.publish(Build.of_ingest(settings.now(), result.report))
    return result


def retire(settings: Settings, uri: str, replaced_by: str | None = None) -> int:
    """Retire a minted URI: it then answers 410 Gone, or 301 to ``replaced_by`` (README "URIs").

    The URI's facts stay in their source graphs (nothing is lost); the identity graph records
    ``owl:deprecated true`` and, with a survivor, ``dcterms:isReplacedBy`` and ``owl:sameAs``.
    New records with the retired entity's identity key get a new URI.

    Raises:
        MappingError: a URI that kg did not mint, or a survivor that is itself unknown or retired.
    """
    store = open_configured_store(settings)
    graph = identity_graph_uri(settings.base_uri)
    for role, candidate in (("uri", uri), ("replaced-by", replaced_by)):
        if candidate is not None and not _is_live_entity(store, graph, candidate):
            raise MappingError(candidate, role, "not a URI of a current entity in this store")
    if uri == replaced_by:
        raise MappingError(uri, "replaced-by", "a URI cannot replace itself")
    quads = {(URIRef(uri), OWL.deprecated, Literal(True), graph)}
    if replaced_by:
        quads |= {(URIRef(uri), DCTERMS.isReplacedBy, URIRef(replaced_by), graph),
                  (URIRef(uri), OWL.sameAs, URIRef(replaced_by), graph)}
    store.apply(quads, (), Build.of_retire(settings.now(), uri, replaced_by))
    return len(quads)


def _is_live_entity(store: Store, graph, uri: str) -> bool:
    if parse_uri(store.base_uri, uri) is None:
        return False
    ask = (f"ASK {{ GRAPH <{graph}> {{ <{uri}> ?p ?o }} "
           f"FILTER NOT EXISTS {{ GRAPH <{graph}> {{ <{uri}> <{OWL.deprecated}> true }} }} }}")
    return bool(store.select(ask)[1][0][0])


def curate(settings: Settings, verdict: str, left: str, right: str, who: str, why: str) -> IngestResult:
    """Record a person's word that two entities are the same (``same``) or not (``different``),
    and re-decide their identity with it: one atomic change, validated like an ingest.

    The curation is kept in the curation graph with the mentions each entity had then, so it
    holds through every later ingest (kg.identity.cluster). A ``same`` joins the two entities'
    mentions into one (the other URI then answers 301); a ``different`` keeps them apart even
    when the rules would join them.

    Raises:
        MappingError: a URI that is not a live person or work here, two of different kinds, or one URI twice.
    """
    store = open_configured_store(settings)
    with store.writer() as writer:
        return _curate(settings, store, writer, verdict, left, right, who, why)


def _curate(settings: Settings, store: Store, writer: Writer, verdict: str, left: str, right: str, who: str,
            why: str) -> IngestResult:
    registry = writer.registry()
    spaces = []
    for role, uri in (("left", left), ("right", right)):
        parsed = parse_uri(settings.base_uri, uri)
        if parsed is None or parsed.space not in ("author", "paper") or parsed.sub \
                or not _is_live_entity(store, identity_graph_uri(settings.base_uri), uri):
            raise MappingError(uri, role, "not the URI of a current person or work in this store")
        spaces.append(parsed.space)
    if left == right:
        raise MappingError(right, "right", "an entity cannot be curated against itself")
    if spaces[0] != spaces[1]:
        raise MappingError(right, "right", f"is a {spaces[1]} URI, and {left} a {spaces[0]} one")
    sides = [registry.mentions_of(uri) for uri in (left, right)]
    now = settings.now()
    node = f"{curation_graph_uri(settings.base_uri)}#c{short_hash(f'{verdict} {left} {right} {now}', 12)}"
    curation = Curation(node, verdict, frozenset(m.mention.id for m in sides[0]),
                        frozenset(m.mention.id for m in sides[1]), f"{why} ({who}, {now})")
    seeds = {key for side in sides for stored in side for key in stored.keys}
    resolution = resolve([], registry, curation, seeds)
    result = counted(resolution)
    record = Change(curation_quads(settings.base_uri, curation, (left, right), who, now))
    writer.apply(record)
    result.quads_added += len(record.add)
    for change in checked_chunks(resolution, settings, result, registry):
        writer.apply(change)
    writer.publish(Build.of_curation(now, verdict, left, right, result.report))
    result.written = True
    return result
