"""Map identity decisions into the identity graph, and move facts when identity changes.

The identity graph holds, for each person and work, what depends on every source (identity key,
display name, other spellings, earliest year, external identifiers); for each mention, which
entity it belongs to, its block keys, its evidence (kg.identity.mentions) and why it was joined;
for each URI that is no longer an entity's, ``owl:deprecated`` and its survivor
(``dcterms:isReplacedBy``, ``owl:sameAs``), which the web layer answers with a 301.

An ingest writes the identity graph's state for everything its resolution decided, as a
difference from what the store holds (:func:`identity_change`); the source graphs of stored
mentions that now belong to another entity are rewritten in place (:func:`moved_facts`), so
every fact keeps its source.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kg.identity import Curation, Entity, Resolution, to_json
from kg.identity.mentions import Mention, initial_key
from kg.identity.resolve import Source, Venue
from kg.mapping.batch import MappedBatch, Quad
from kg.mapping.schema_org import emit_stated, list_label
from kg.uris import (
    curation_graph_uri,
    identifier_fragment,
    identifier_node_uri,
    identity_graph_uri,
    mention_uri,
    mint_external_uri,
    mint_source_uri,
    mint_venue_uri,
)
from kg.vocab import DCTERMS, FOAF, SCHEMA, kg_namespace

PERSON_SCHEMES = ("orcid", "dblp", "wikidata")
WORK_SCHEMES = ("doi", "arxiv", "dblp", "wikidata")


class IdentityEmitter:
    """Emits, chunk by chunk, what a chunk's entities need from the identity graph: the state of
    persons and works as validation context (written once, by :func:`identity_change`), venue and
    source keys as quads to add at their first touch."""

    def __init__(self, base: str, state: dict[URIRef, set[Quad]]):
        self.base = base
        self.graph = identity_graph_uri(base)
        self.key = kg_namespace(base).identityKey
        self.state = state
        self.done: set[str] = set()

    def entity(self, batch: MappedBatch, uri: URIRef) -> None:
        batch.context |= self.state[uri]

    def venue(self, batch: MappedBatch, venue: Venue) -> None:
        quad = (mint_venue_uri(self.base, venue.slug), self.key, Literal(f"venue:{venue.key}"), self.graph)
        (batch.add if self._first(f"venue:{venue.key}") else batch.restated).add(quad)

    def source(self, batch: MappedBatch, source: Source) -> None:
        uri = mint_source_uri(self.base, source.slug)
        batch.emit(self.graph, uri, self.key, Literal(f"source:{source.parsed.ref.sha256}"))

    def stated_ids(self, batch: MappedBatch, source: Source, uri: URIRef, identifiers, stated: set,
                   space: str) -> None:
        """External identifiers as the source states them, in the source's graph: each a
        ``schema:PropertyValue`` (scheme as ``schema:propertyID``, the value as stated, the
        identifier's resolver as ``schema:url``) that the source's entity has as ``schema:identifier``."""
        doc = mint_source_uri(self.base, source.slug)
        for ident in identifiers:
            node = identifier_node_uri(self.base, source.slug, f"{ident.scheme}:{ident.value}")
            batch.emit(doc, uri, SCHEMA.identifier, node)
            for predicate, obj in ((RDF.type, SCHEMA.PropertyValue), (SCHEMA.propertyID, Literal(ident.scheme)),
                                   (SCHEMA.value, Literal(ident.value)),
                                   (SCHEMA.url, mint_external_uri(ident.scheme, ident.value, space))):
                emit_stated(batch, stated, doc, node, predicate, obj)

    def _first(self, key: str) -> bool:
        if key in self.done:
            return False
        self.done.add(key)
        return True


def entity_state(base: str, resolution: Resolution) -> dict[URIRef, set[Quad]]:
    """The identity-graph triples of every entity the resolution decided, and of every mention whose
    triples it changes, by subject: a stored mention that stays with its entity, joined for the same
    reasons and with the same evidence and block keys, is left as the store holds it."""
    graph, kg = identity_graph_uri(base), kg_namespace(base)
    iri = {m.id: mention_of(base, m) for e in resolution.entities.values() for m in e.mentions}
    stored = {s.mention.id: s for s in resolution.stored}
    curated: dict[str, set[str]] = {}
    for curation in resolution.curations:
        for mention in curation.left | curation.right:
            curated.setdefault(mention, set()).add(curation_key(curation.id))
    state: dict[URIRef, set[Quad]] = {}
    for path, entity in resolution.entities.items():
        uri = URIRef(f"{base}{path}")
        state[uri] = set(_entity_quads(uri, entity, graph, kg))
        if entity.space == "author":  # what a later mention of the same name is decided from (kg.identity.resolve)
            for key in {m.key for m in entity.mentions}:
                state[uri] |= {(uri, kg.nameKey, Literal(key), graph),
                               (uri, kg.nameBlock, Literal(initial_key(key)), graph)}
        for mention in entity.mentions:
            data = to_json(mention)
            keys = mention.block_keys() | curated.get(mention.id, set())
            joined = {f"{reason} <{iri[other]}>" if other else reason
                      for reason, other in entity.evidence.get(mention.id, ())}
            was = stored.get(mention.id)
            if was is not None and (was.path, was.data, was.keys, was.joined) == (path, data, keys, joined):
                continue
            node = iri[mention.id]
            quads = {(node, RDF.type, kg.Mention, graph), (node, kg.mentionOf, uri, graph),
                     (node, kg.mentionData, Literal(data), graph)}
            quads |= {(node, kg.blockKey, Literal(key), graph) for key in keys}
            quads |= {(node, kg.joinedBy, Literal(text), graph) for text in joined}
            state[node] = quads
    return state


def _entity_quads(uri: URIRef, entity: Entity, graph, kg) -> Iterable[Quad]:
    named = entity.named
    if entity.space == "author":
        yield uri, kg.identityKey, Literal(f"person:{named.key}"), graph
        yield uri, SCHEMA.name, Literal(named.display), graph
        yield uri, FOAF.name, Literal(named.display), graph
        for name in named.alternates:
            yield uri, SCHEMA.alternateName, Literal(name), graph
        schemes = PERSON_SCHEMES
    else:
        yield uri, kg.identityKey, Literal(f"work:{named.key}"), graph
        if named.year:
            yield uri, SCHEMA.datePublished, Literal(str(named.year), datatype=XSD.gYear), graph
        schemes = WORK_SCHEMES
    for ident in named.identifiers:
        scheme, _, value = ident.partition(":")
        if scheme in schemes:
            external = mint_external_uri(scheme, value, entity.space)
            yield uri, OWL.sameAs, external, graph
            yield uri, SCHEMA.sameAs, external, graph


def curation_key(curation: str) -> str:
    """The block key that keeps the mentions a curation names in one block (``cur:`` + its IRI)."""
    return f"cur:{curation}"


def curation_quads(base: str, curation: Curation, uris: tuple[str, str], who: str, when: str) -> set[Quad]:
    """A curation as data in the curation graph: verdict, the entities and their mentions, who, when, why."""
    graph, kg, node = curation_graph_uri(base), kg_namespace(base), URIRef(curation.id)
    quads = {(node, RDF.type, kg.Curation, graph), (node, kg.verdict, Literal(curation.verdict), graph),
             (node, kg.leftMentions, Literal("\n".join(sorted(curation.left))), graph),
             (node, kg.rightMentions, Literal("\n".join(sorted(curation.right))), graph),
             (node, RDFS.comment, Literal(curation.note), graph),
             (node, DCTERMS.creator, Literal(who), graph),
             (node, DCTERMS.created, Literal(when, datatype=XSD.dateTime), graph)}
    quads |= {(node, kg.curatedEntity, URIRef(uri), graph) for uri in uris}
    quads |= {(node, kg.mentionsCurated, Literal(m), graph) for m in curation.left | curation.right}
    return quads


def retired_quads(base: str, old: str, survivor: str) -> set[Quad]:
    """A URI no entity has now: deprecated, and replaced by its survivor."""
    graph, uri, target = identity_graph_uri(base), URIRef(old), URIRef(survivor)
    return {(uri, OWL.deprecated, Literal(True), graph), (uri, DCTERMS.isReplacedBy, target, graph),
            (uri, OWL.sameAs, target, graph)}


def identity_change(state: dict[URIRef, set[Quad]], retired: dict[str, str], base: str,
                    current: set[Quad]) -> MappedBatch:
    """The change that takes the identity graph from ``current`` (the stored triples of the same
    subjects) to the decided ``state`` plus the ``retired`` URIs (old URI -> survivor URI)."""
    wanted = set().union(*state.values()) if state else set()
    for old, survivor in retired.items():
        wanted |= retired_quads(base, old, survivor)
    batch = MappedBatch()
    batch.replace(wanted, current)
    return batch


def moved_facts(base: str, quads: set[Quad], moves: dict[str, str]) -> tuple[set[Quad], set[Quad], set[Quad],
                                                                              dict[str, str]]:
    """Rewrite a source graph's quads for entities whose URI changed (``author/x`` -> ``author/y``,
    versions under a work included): (quads that go, quads that come, quads left as they are, and
    the IRIs renamed: old -> new)."""
    remove, add, kept, renamed = set(), set(), set(), {}
    for quad in quads:
        rewritten = tuple(_moved_term(base, t, moves) or t for t in quad[:3]) + (quad[3],)
        if rewritten == quad:
            kept.add(quad)
            continue
        remove.add(quad)
        add.add(rewritten)
        renamed |= {str(old): str(new) for old, new in zip(quad[:3], rewritten[:3], strict=True) if old != new}
    return remove, add, kept, renamed


def _moved_term(base: str, term, moves: dict[str, str]) -> URIRef | None:
    """The new IRI of a term whose entity (or whose work, for a version) moved; None if it did not."""
    if not isinstance(term, URIRef) or not term.startswith(base):
        return None
    path = term[len(base):]
    for old, new in moves.items():
        if path == old or path.startswith(f"{old}/"):
            return URIRef(f"{base}{new}{path[len(old):]}")
    return None


def mention_of(base: str, mention: Mention) -> URIRef:
    return mention_uri(base, mention.source, mention.fragment)


def split_facts(base: str, quads: set[Quad], moves: dict[str, str], split: dict[str, list],
                work_records: dict[str, set[int]]) -> tuple[set[Quad], set[Quad], set[Quad]]:
    """Rewrite a source graph in which mentions that shared a URI now belong to different entities.

    Each fact about the shared URI goes with the mention it comes from: a stated name with the
    mention of that spelling, an identifier with the mention that states it, ``schema:about`` with
    the source's subject, an author (and an author-list cell) with the mention named on that record;
    a fact that belongs to no one in particular (its type) goes with each. Returns (quads that go,
    quads that come, quads left as they are): exact quads, not renames, since one IRI becomes
    several.
    """
    kg = kg_namespace(base)
    sha = next(m.id.split(":", 1)[0] for pairs in split.values() for m, _new in pairs)
    records = {i for pairs in split.values() for m, _new in pairs for i in getattr(m, "records", ())}
    cells = {list_label(sha, index): index for index in records}

    def options(term, quad) -> list:
        if (moved := _moved_term(base, term, moves)) is not None:
            return [moved]
        if not isinstance(term, URIRef) or not term.startswith(base):
            return [term]
        path = str(term)[len(base):]
        for old, pairs in split.items():
            if path == old:
                owners = _owners(quad, term, pairs, kg, work_records, cells)
                return [URIRef(f"{base}{new}") for new in sorted(owners or {new for _m, new in pairs})]
            if path.startswith(f"{old}/"):
                return [URIRef(f"{base}{new}{path[len(old):]}") for new in sorted({new for _m, new in pairs})]
        return [term]

    remove, add, kept = set(), set(), set()
    for quad in quads:
        s, p, o, g = quad
        rewritten = {(s2, p, o2, g) for s2 in options(s, quad) for o2 in options(o, quad)}
        if rewritten == {quad}:
            kept.add(quad)
        else:
            remove.add(quad)
            add |= rewritten
    return remove, add, kept


def _owners(quad: Quad, term: URIRef, pairs: list, kg, work_records: dict[str, set[int]],
            cells: dict[str, int]) -> set[str]:
    """The new paths of the mentions a fact about a shared URI comes from (empty: no one in particular)."""
    s, p, o, _g = quad
    if s == term and p == kg.statedName:
        return {new for m, new in pairs if str(o) in getattr(m, "spellings", ())}
    if s == term and p == SCHEMA.identifier:
        fragment = str(o).rpartition("#")[2]
        return {new for m, new in pairs if fragment in {identifier_fragment(i) for i in m.identifiers}}
    if o == term and p == SCHEMA.about:
        return {new for m, new in pairs if getattr(m, "subject", False)}
    if o == term and p == SCHEMA.author:
        on = work_records.get(str(s), set())
        return {new for m, new in pairs if set(getattr(m, "records", ())) & on}
    if o == term and p == RDF.first and isinstance(s, BNode):
        index = cells.get(str(s).rsplit("x", 1)[0])
        return {new for m, new in pairs if index in getattr(m, "records", ())}
    return set()
