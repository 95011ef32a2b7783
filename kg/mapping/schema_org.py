"""Map one source's records to schema.org / FOAF / BIBO / FaBiO triples in the source's graph.

Vocabulary: DESIGN.md "Vocabulary". The source graph says what this source states: that the
persons, works, versions and venues it mentions exist, with the names, titles, authors, author
order, abstracts, years and venues it gives. Display names and earliest years, which depend on
every source, are in the identity graph (see identity_graph.py).
"""

from __future__ import annotations

import hashlib

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.identity.keys import slugify
from kg.identity.resolve import Resolution, Source, paper_authors, version_slug
from kg.mapping.batch import MappedBatch
from kg.mapping.uris import mint_author_uri, mint_paper_uri, mint_source_uri, mint_venue_uri, mint_version_uri
from kg.records import PaperRecord
from kg.vocab import BIBO, FABIO, SCHEMA, kg_namespace

VERSION_CLASSES = {
    "conference-paper": FABIO.ConferencePaper,
    "journal-article": FABIO.JournalArticle,
    "preprint": FABIO.Preprint,
    "workshop-paper": FABIO.WorkshopPaper,
    "book-chapter": FABIO.BookChapter,
}
VERSION_CLASS_BY_VENUE_KIND = {
    "conference": FABIO.ConferencePaper,
    "journal": FABIO.JournalArticle,
    "preprint-server": FABIO.Preprint,
    "workshop": FABIO.WorkshopPaper,
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
    by_label = VERSION_CLASSES.get(slugify(paper.type_label or ""))
    return by_label or VERSION_CLASS_BY_VENUE_KIND.get(paper.venue_kind or "", FABIO.Expression)


def map_source_records(batch: MappedBatch, source: Source, resolution: Resolution, base: str):
    """Emit the persons, works, versions and venues one source mentions into its graph."""
    graph = mint_source_uri(base, source.slug)
    parsed = source.parsed
    for name, line in _named_persons(parsed):
        person = mint_author_uri(base, resolution.person(name).slug)
        batch.emit(graph, person, RDF.type, SCHEMA.Person)
        batch.emit(graph, person, kg_namespace(base).statedName, Literal(name))
        batch.note(person, parsed.record_key(line))
    for index, paper in enumerate(parsed.papers):
        map_paper(batch, source, index, paper, resolution, base)


def _named_persons(parsed):
    if parsed.subject is not None:
        yield parsed.subject.name, parsed.subject.line
    for person in parsed.persons:
        yield person.name, person.line
    for paper in parsed.papers:
        for name in paper.authors or ():
            yield name, paper.line


def map_paper(batch: MappedBatch, source: Source, index: int, paper: PaperRecord, resolution: Resolution, base: str):
    """Emit one paper record: its work (title, authors, author list, abstract) and its version."""
    graph = mint_source_uri(base, source.slug)
    key = source.parsed.record_key(paper.line)
    work = resolution.work_of(source.parsed, index)
    work_uri = mint_paper_uri(base, work.slug)
    batch.note(work_uri, key)
    batch.emit(graph, work_uri, RDF.type, SCHEMA.ScholarlyArticle)
    batch.emit(graph, work_uri, SCHEMA.name, Literal(paper.title))
    authors = [mint_author_uri(base, resolution.person(n).slug) for n in paper_authors(source.parsed, paper)]
    for author in authors:
        batch.emit(graph, work_uri, SCHEMA.author, author)
    if paper.authors is not None:
        seed = f"{source.parsed.ref.sha256} {work.slug} {index}"
        batch.emit(graph, work_uri, BIBO.authorList, _emit_list(batch, graph, authors, seed))
    if paper.abstract:
        batch.emit(graph, work_uri, SCHEMA.abstract, Literal(paper.abstract))
    map_version(batch, graph, work_uri, work.slug, paper, resolution, base, key)


def map_version(batch, graph, work_uri, work_slug, paper: PaperRecord, resolution: Resolution, base, key):
    """Emit the version: the paper as it appeared in one venue in one year, with its own abstract."""
    venue = resolution.venue(paper.venue) if paper.venue else None
    version = mint_version_uri(base, work_slug, version_slug(venue and venue.slug, paper.year, paper.type_label))
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
        batch.emit(graph, venue_uri, RDF.type, kg_namespace(base).Venue)
        batch.emit(graph, venue_uri, SCHEMA.name, Literal(paper.venue))
        if paper.venue_kind in VENUE_CLASSES:
            batch.emit(graph, venue_uri, RDF.type, VENUE_CLASSES[paper.venue_kind])


def _emit_list(batch: MappedBatch, graph, members, seed: str) -> BNode:
    """Emit an rdf:List with blank-node labels derived from ``seed``, so rebuilds give the same labels."""
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]
    cells = [BNode(f"l{digest}x{i}") for i in range(len(members))]
    for i, (cell, member) in enumerate(zip(cells, members, strict=True)):
        batch.emit(graph, cell, RDF.first, member)
        batch.emit(graph, cell, RDF.rest, cells[i + 1] if i + 1 < len(cells) else RDF.nil)
    return cells[0]
