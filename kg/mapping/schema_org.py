"""Map one source's records to schema.org / FOAF / BIBO / FaBiO triples in the source's graph.

Vocabulary: README "Mapping". The source graph says what this source states: that the
persons, works, versions and venues it mentions exist, with the names, titles, authors, author
order, abstracts, years and venues it gives. Display names and earliest years, which depend on
every source, are in the identity graph (see identity_graph.py).
"""

from __future__ import annotations

import hashlib

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.identity.mentions import split_homonym
from kg.identity.resolve import Resolution, Source, paper_authors, version_kind, version_slug
from kg.mapping.batch import MappedBatch
from kg.records import PaperRecord
from kg.uris import (
    CITABLE_SCHEMES,
    citation_target,
    mint_author_uri,
    mint_paper_uri,
    mint_source_uri,
    mint_venue_uri,
    mint_version_uri,
)
from kg.vocab import BIBO, FABIO, SCHEMA, kg_namespace

VERSION_CLASSES = {
    "conference-paper": FABIO.ConferencePaper,
    "journal-article": FABIO.JournalArticle,
    "preprint": FABIO.Preprint,
    "workshop-paper": FABIO.WorkshopPaper,
    "book-chapter": FABIO.BookChapter,
}
VENUE_CLASSES = {
    "journal": SCHEMA.Periodical,
    "conference": SCHEMA.EventSeries,
    "workshop": SCHEMA.EventSeries,
    "preprint-server": SCHEMA.WebSite,
    "book": SCHEMA.BookSeries,
}


def version_class(paper: PaperRecord) -> URIRef:
    """The FaBiO class for a record's type label (or, failing that, its venue kind)."""
    return VERSION_CLASSES.get(version_kind(paper.type_label, paper.venue_kind) or "", FABIO.Expression)


Stated = set
"""(node, predicate, object) triples already added to the current source's graph by an earlier
chunk of the same ingest: emitted again only as validation context, not written twice."""


def emit_stated(batch: MappedBatch, stated: Stated, graph, subject, predicate, obj) -> None:
    """Emit a triple a source may state many times (a person's type and name, a venue's)."""
    triple = (subject, predicate, obj)
    if triple in stated:
        batch.restated.add((subject, predicate, obj, graph))
    else:
        stated.add(triple)
        batch.emit(graph, subject, predicate, obj)


def map_stated_person(batch: MappedBatch, source: Source, name: str, line: int | None, resolution: Resolution,
                      base: str, stated: Stated, note: bool = True, record: int | None = None) -> URIRef:
    """Emit a person as one source names them: typed, with the spelling the source used; ``note``:
    the line is one of the records that name them (for validation messages); ``record``: the paper
    record that names them, if any."""
    graph = mint_source_uri(base, source.slug)
    person = mint_author_uri(base, resolution.person(source.parsed, name, record).slug)
    emit_stated(batch, stated, graph, person, RDF.type, SCHEMA.Person)
    bare = split_homonym(name)[0]  # a dblp homonym number is an identifier (in the mention), not a name
    emit_stated(batch, stated, graph, person, kg_namespace(base).statedName, Literal(bare))
    if note:
        batch.note(person, source.parsed.record_key(line))
    return person


def source_persons(parsed) -> list[tuple[str, int | None, int | None]]:
    """(name, line, record) of the persons a source names outside its paper records: its subject and
    person lines (``record``: the paper record a person is an author of, where the source says)."""
    named = [(parsed.subject.name, parsed.subject.line, None)] if parsed.subject is not None else []
    return named + [(person.name, person.line, person.record) for person in parsed.persons]


def map_paper(batch: MappedBatch, source: Source, index: int, paper: PaperRecord, resolution: Resolution, base: str,
              stated: Stated):
    """Emit one paper record: its authors as named, its work (title, authors, author list, abstract), its version."""
    graph = mint_source_uri(base, source.slug)
    key = source.parsed.record_key(paper.line)
    for name in paper.authors or ():
        map_stated_person(batch, source, name, paper.line, resolution, base, stated, record=index)
    if paper.authors is None and source.parsed.subject is not None:  # the profile's subject is the author
        map_stated_person(batch, source, source.parsed.subject.name, None, resolution, base, stated, note=False)
    work = resolution.work_of(source.parsed, index)
    work_uri = mint_paper_uri(base, work.slug)
    batch.note(work_uri, key)
    batch.emit(graph, work_uri, RDF.type, SCHEMA.ScholarlyArticle)
    batch.emit(graph, work_uri, SCHEMA.name, Literal(paper.title))
    authors = [mint_author_uri(base, resolution.person(source.parsed, name, index).slug)
               for name in paper_authors(source.parsed, paper)]
    for author in authors:
        batch.emit(graph, work_uri, SCHEMA.author, author)
    if paper.authors is not None:
        batch.emit(graph, work_uri, BIBO.authorList, _emit_list(batch, graph, authors,
                                                                list_label(source.parsed.ref.sha256, index)))
    if paper.abstract:
        batch.emit(graph, work_uri, SCHEMA.abstract, Literal(paper.abstract))
    for cited in paper.cites:  # as data, whether or not the graph holds the cited work (kg.mapping.citations)
        if cited.scheme in CITABLE_SCHEMES:
            batch.emit(graph, work_uri, SCHEMA.citation, citation_target(cited.scheme, cited.value))
    map_version(batch, graph, work_uri, work.slug, paper, resolution, base, key, stated)


def map_version(batch, graph, work_uri, work_slug, paper: PaperRecord, resolution: Resolution, base, key,
                stated: Stated):
    """Emit the version: the paper as it appeared in one venue in one year, with its own abstract."""
    venue = resolution.venue(paper.venue) if paper.venue else None
    version = mint_version_uri(base, work_slug, version_slug(venue and venue.slug, paper.year, paper.type_label,
                                                             paper.venue_kind))
    batch.note(version, key)
    batch.emit(graph, work_uri, SCHEMA.workExample, version)
    batch.emit(graph, version, RDF.type, version_class(paper))
    batch.emit(graph, version, SCHEMA.exampleOfWork, work_uri)
    if paper.year:
        batch.emit(graph, version, SCHEMA.datePublished, Literal(str(paper.year), datatype=XSD.gYear))
    if paper.type_label:
        batch.emit(graph, version, kg_namespace(base).typeLabel, Literal(paper.type_label))
    if paper.abstract:
        batch.emit(graph, version, SCHEMA.abstract, Literal(paper.abstract))
    if paper.copyright:
        batch.emit(graph, version, SCHEMA.copyrightNotice, Literal(paper.copyright))
    if venue is not None:
        venue_uri = mint_venue_uri(base, venue.slug)
        batch.note(venue_uri, key)
        batch.emit(graph, version, SCHEMA.isPartOf, venue_uri)
        emit_stated(batch, stated, graph, venue_uri, RDF.type, kg_namespace(base).Venue)
        emit_stated(batch, stated, graph, venue_uri, SCHEMA.name, Literal(paper.venue))
        if paper.venue_kind in VENUE_CLASSES:
            emit_stated(batch, stated, graph, venue_uri, RDF.type, VENUE_CLASSES[paper.venue_kind])


def list_label(sha256: str, index: int) -> str:
    """The blank-node label prefix of the author list of a source's ``index``-th record: from the
    source and the record, never from a slug, so a merge moves the list as it is and a split can
    tell whose list a cell is (kg.mapping.identity_graph.split_facts)."""
    return "l" + hashlib.sha256(f"{sha256} {index}".encode()).hexdigest()[:16]


def _emit_list(batch: MappedBatch, graph, members, label: str) -> BNode:
    """Emit an rdf:List whose cells are ``{label}x0``, ``{label}x1``…, so rebuilds give the same labels."""
    cells = [BNode(f"{label}x{i}") for i in range(len(members))]
    for i, (cell, member) in enumerate(zip(cells, members, strict=True)):
        batch.emit(graph, cell, RDF.first, member)
        batch.emit(graph, cell, RDF.rest, cells[i + 1] if i + 1 < len(cells) else RDF.nil)
    return cells[0]
