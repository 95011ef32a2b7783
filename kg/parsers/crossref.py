"""Parse Crossref REST API works (JSON): one work, or a list of works, each with its authors.

Input: the JSON of ``GET https://api.crossref.org/works/{doi}`` (``"message-type": "work"``, the
work in ``message``) or of a works query such as ``/works?query=…`` or ``/members/{id}/works``
(``"message-type": "work-list"``, the works in ``message.items``). Reference:
https://github.com/CrossRef/rest-api-doc/blob/master/api_format.md and
https://api.crossref.org/swagger-ui/index.html.

What is read, per work (one PaperRecord each, in the order given):

- ``DOI`` (an Identifier ``doi``; required);
- ``title[0]``, with ``subtitle[0]`` after a colon; markup (``<i>``, ``<jats:italic>``, MathML) is
  removed and entities decoded;
- ``author[]`` in the order given (``sequence`` says only which is first, and the list is already in
  that order): ``given`` + ``family`` (+ ``suffix``), or ``name`` for an organisation. An author with
  an ``ORCID`` (``https://orcid.org/…``, whether or not ``authenticated-orcid``) is also a
  PersonRecord with that iD, so that identity joins them with their other records by ORCID;
- the year: ``issued`` (Crossref's earliest of print and online publication), else the earliest of
  ``published``, ``published-online``, ``published-print``;
- ``container-title[0]`` (the venue; a preprint's posting ``institution`` when it has none);
- ``type`` -> type_label and venue_kind (TYPES);
- ``abstract``: JATS XML (``<jats:p>``, ``<jats:sec>``, ``<jats:title>``…) as plain text, one
  paragraph per ``<jats:p>`` or section, a leading ``Abstract`` heading dropped;
- ``reference[].DOI`` -> ``PaperRecord.cites``, in order, once each.

Dropped, with the reason in DROPPED: references without a DOI, editors and other contributors,
everything about the deposit (dates of indexing, licences, links, funders, counts). A work that is
a container (a journal, an issue, a proceedings volume: CONTAINER_TYPES) or that lists no author is
skipped with a warning: kg publishes a work only with an author.

Refused (ParseError): a work without a DOI or with an invalid one, without a title, with an
author who has no name or an invalid ORCID iD, or with no date that gives a year (Crossref writes
``"issued": {"date-parts": [[null]]}`` when the publisher deposited none): kg publishes a work only
with its year, and a parser never drops a work with authors silently.

JSON from the API is one line; messages name a work by its place and DOI (``item 3 (DOI 10.…)``)
and, in a pretty-printed file, the line it starts on.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from kg.parsers.cleaning import clean_text
from kg.parsers.identifiers import normalise
from kg.parsers.json_document import DocumentReader, JsonDocument, looks_like, member, members
from kg.parsers.page_layout import shorten
from kg.records import Identifier, PaperRecord, ParsedSource, PersonRecord
from kg.sources.files import RawSource

KIND = "crossref-works"
MESSAGE_TYPES = ("work", "work-list")
# Markers detection falls back to when the text is not valid JSON, so that this parser (not the
# JSON Lines one) says where the JSON breaks; looked for in the first characters only.
_MARKER = re.compile(r'"message-type"\s*:\s*"work(?:-list)?"')
MARKER_WINDOW = 65536

# Crossref work types (https://api.crossref.org/types) -> (type_label, venue_kind). The labels of
# the kinds kg gives a FaBiO class are those the other parsers use ("Journal Article", ...).
TYPES = {
    "journal-article": ("Journal Article", "journal"),
    "proceedings-article": ("Conference Paper", "conference"),
    "posted-content": ("Preprint", "preprint-server"),
    "book-chapter": ("Book Chapter", "book"),
    "book-part": ("Book Part", "book"),
    "book-section": ("Book Section", "book"),
    "reference-entry": ("Reference Entry", "book"),
    "book": ("Book", "book"),
    "monograph": ("Monograph", "book"),
    "edited-book": ("Edited Book", "book"),
    "reference-book": ("Reference Book", "book"),
    "dissertation": ("Dissertation", "other"),
    "report": ("Report", "other"),
    "standard": ("Standard", "other"),
    "dataset": ("Dataset", "other"),
    "peer-review": ("Peer Review", "other"),
    "component": ("Component", "other"),
    "other": ("Other", "other"),
}
# Records of a container, not of a work with authors: skipped with a warning.
CONTAINER_TYPES = ("journal", "journal-issue", "journal-volume", "proceedings", "proceedings-series",
                   "book-series", "book-set", "book-track", "report-series", "report-component",
                   "standard-series")
# Date fields a year is read from, in order of preference (``issued`` first: the earliest of print
# and online publication, which is when the version appeared).
DATE_FIELDS = ("issued", "published", "published-online", "published-print")

# What is read and deliberately not kept, with the reason (the README's format table lists it).
DROPPED = (
    ("reference[] without a DOI",
     "kg links citations by identifier; an unstructured reference names nothing kg can join"),
    ("editor, chair, translator and other contributors", "kg records a work's authors"),
    ("author affiliation, sequence and authenticated-orcid", "kg records a person by name and identifiers; the "
     "list order is kept, and an ORCID is kept whether the author or the publisher asserted it"),
    ("month and day of dates; indexed, created, deposited dates",
     "kg keeps a version's year; the others date the record"),
    ("short-container-title, ISSN, ISBN, volume, issue, page, publisher, member, prefix",
     "where in the venue the work is; kg keeps the venue's name"),
    ("license, link, funder, relation, subject, score, is-referenced-by-count, reference-count",
     "about the deposit or counts that change; not facts about the work kg publishes"),
    ("alternative-id", "the publisher's own ids, no scheme of kg.records.IDENTIFIER_SCHEMES"),
    ("a work of a container type (journal, journal-issue, proceedings, ...)", "not a work with authors; skipped "
     "with a warning"),
    ("a work with no author", "kg publishes a work only with an author; skipped with a warning"),
    ("a reference DOI that is not a DOI", "dropped with a warning"),
    ("message-version, status, total-results, items-per-page, query, facets", "about the response"),
)

# JATS and MathML: elements that end a paragraph, a leading "Abstract" heading, any namespaced tag.
_JATS_HEADING = re.compile(r"^\s*<jats:title[^>]*>\s*(?:abstract|summary)\s*[.:]?\s*</jats:title>\s*", re.IGNORECASE)
_JATS_BLOCK = re.compile(r"</?jats:(?:p|sec|title|list|list-item|disp-quote|boxed-text|table-wrap)\b[^>]*>")
_NAMESPACED_TAG = re.compile(r"</?[A-Za-z][\w.-]*:[\w.-]+(?:\s[^<>]*)?/?>")
# JATS face markup some publishers deposit without a namespace (``H <scp>i</scp> disk``); the HTML
# ones (``<i>``, ``<sub>``) are removed by clean_text.
_WHITESPACE = re.compile(r"\s+")
_FACE_TAG = re.compile(r"</?(?:scp|sc|italic|bold|roman|sans-serif|monospace|overline|underline)\b[^<>]*>")


def looks_like_crossref(text: str) -> bool:
    """Whether ``text`` is a Crossref API works response: a JSON object whose ``message-type`` is
    ``work`` or ``work-list``.

    Text that does not decode as JSON is taken for one when such a ``message-type`` appears near
    its start, so that its parser reports where the JSON breaks.
    """
    return looks_like(text, _MARKER, MARKER_WINDOW, lambda value: value.get("message-type") in MESSAGE_TYPES)


def parse_crossref(raw: RawSource) -> ParsedSource:
    """Read a Crossref works response into papers (with their authors) and the authors' ORCID iDs.

    Returns:
        One PaperRecord per work, one PersonRecord per author named with an ORCID iD (once per name
        and iD), and a warning per work skipped or reference DOI refused.

    Raises:
        ParseError: the JSON is malformed or not a works response, or a work has no DOI or an
            invalid one, no title, an author without a name, an invalid ORCID iD, no publication
            year, or a kept text with a control character. The message names the work (``item 3
            (DOI 10.…)``) and the problem.
    """
    reader = _Reader(raw.ref.origin, JsonDocument.decode(raw.ref.origin, raw.text))
    return reader.read(raw)


class _Reader(DocumentReader):
    """The state of one parse: the document, its origin, the persons and warnings so far."""

    def __init__(self, origin: str, document: JsonDocument):
        super().__init__(origin, document)
        self.persons: dict[tuple[str, str, int], PersonRecord] = {}
        self.accepted = 0  # works read so far: the index the work being read will have

    def text(self, node: Any, where: str, value: Any, paragraphs: bool = False) -> str | None:
        """The cleaned text of a string (markup removed, on one line unless ``paragraphs``), None for
        null or blank."""
        value = self.checked(node, where, value)
        if value is None:
            return None
        if not paragraphs:
            value = _WHITESPACE.sub(" ", value)
        return clean_text(_FACE_TAG.sub("", _NAMESPACED_TAG.sub("", value))) or None

    def read(self, raw: RawSource) -> ParsedSource:
        root = self.document.value
        kind = root.get("message-type") if isinstance(root, dict) else None
        if kind not in MESSAGE_TYPES:
            raise self.fail(root, "not a Crossref works response: expected 'message-type' 'work' or 'work-list'")
        if root.get("status", "ok") != "ok":
            raise self.fail(root, f"the response's status is {shorten(repr(root.get('status')))}, not 'ok'")
        message = root.get("message")
        if kind == "work":
            if not isinstance(message, dict):
                raise self.fail(root, "a 'work' response without a work in 'message'")
            works = [("the work", message)]
        else:
            items = member(message, "items")
            if not isinstance(items, list):
                raise self.fail(root, "a 'work-list' response without a list in 'message.items'")
            works = [(f"item {number}", item) for number, item in enumerate(items, 1)]
        papers = [paper for name, work in works if (paper := self.work(work, name)) is not None]
        return ParsedSource(ref=raw.ref, kind=KIND, persons=tuple(self.persons.values()), papers=tuple(papers),
                            warnings=tuple(self.warnings))

    def work(self, work: Any, place: str) -> PaperRecord | None:
        """One work as a PaperRecord, or None (with a warning) for a container or a work without authors.

        Raises:
            ParseError: naming the work and what is wrong with it.
        """
        if not isinstance(work, dict):
            raise self.fail(work, f"{place}: expected a work object, found {shorten(repr(work))}")
        doi_value = work.get("DOI")
        name = f"{place} (DOI {shorten(doi_value)})" if isinstance(doi_value, str) else place
        kind = work.get("type") if isinstance(work.get("type"), str) else None
        if kind in CONTAINER_TYPES:
            self.warn(work, f"{name}: a {kind}, not a work with authors: skipped")
            return None
        doi = normalise("doi", doi_value) if isinstance(doi_value, str) else None
        if doi is None:
            problem = "no DOI" if doi_value is None else f"{shorten(repr(doi_value))} is not a DOI"
            raise self.fail(work, f"{name}: {problem}")
        title = self.title(work, name)
        authors = self.authors(work, name)
        if not authors:
            self.warn(work, f"{name} {shorten(title)!r}: no author: skipped (kg publishes a work only with an author)")
            return None
        type_label, venue_kind = work_type(kind, work.get("subtype"))
        self.accepted += 1  # the rest cannot skip it: it is read, or the file is refused
        return PaperRecord(
            title=title,
            line=self.line(work),
            authors=authors,
            abstract=self.abstract(work, name),
            venue=self.venue(work, name),
            venue_kind=venue_kind,
            year=self.year(work, name),
            type_label=type_label,
            identifiers=(Identifier("doi", doi),),
            cites=self.cites(work, name),
        )

    def title(self, work: dict, name: str) -> str:
        titles = [t for t in (self.text(work, f"{name}: title", v) for v in members(work, "title")) if t]
        if not titles:
            raise self.fail(work, f"{name}: no title")
        subtitles = [t for t in (self.text(work, f"{name}: subtitle", v) for v in members(work, "subtitle")) if t]
        if subtitles and subtitles[0].casefold() not in titles[0].casefold():
            return f"{titles[0]}: {subtitles[0]}"
        return titles[0]

    def authors(self, work: dict, name: str) -> tuple[str, ...]:
        """The author names in order; each author with an ORCID iD also becomes a PersonRecord of this
        record (a list's works are unrelated: two people of one name part by their iDs).

        Raises:
            ParseError: an author without any name, or with an invalid ORCID iD.
        """
        found = []
        for number, author in enumerate(members(work, "author"), 1):
            where = f"{name}: author {number}"
            parts = [self.text(author, where, member(author, key)) for key in ("given", "family", "suffix")]
            full = " ".join(part for part in parts if part) or self.text(author, where, member(author, "name"))
            if not full:
                raise self.fail(work, f"{where} has no name (no given, family or name)")
            found.append(full)
            orcid = member(author, "ORCID")
            if orcid is not None:
                bare = normalise("orcid", orcid) if isinstance(orcid, str) else None
                if bare is None:
                    raise self.fail(work, f"{where} ({full}): {shorten(repr(orcid))} is not a valid ORCID iD")
                self.persons.setdefault((full, bare, self.accepted), PersonRecord(
                    full, self.line(work), (Identifier("orcid", bare),), record=self.accepted))
        return tuple(found)

    def year(self, work: dict, name: str) -> int:
        """The year of the first date of DATE_FIELDS that gives one.

        Raises:
            ParseError: no date gives a year (``"issued": {"date-parts": [[null]]}``).
        """
        years = {}
        for field in DATE_FIELDS:
            parts = member(work, field, "date-parts")
            first = parts[0] if isinstance(parts, list) and parts and isinstance(parts[0], list) else []
            year = first[0] if first else None
            if isinstance(year, str) and year.strip().isdigit():
                year = int(year)
            if isinstance(year, int) and not isinstance(year, bool) and 1000 <= year <= 2999:
                years[field] = year
        if "issued" in years:
            return years["issued"]
        if years:
            return min(years.values())
        stated = {field: work[field] for field in DATE_FIELDS if field in work}
        detail = f"no date gives a year: {shorten(json.dumps(stated))}" if stated else "no publication date"
        raise self.fail(work, f"{name}: {detail}")

    def venue(self, work: dict, name: str) -> str | None:
        for value in members(work, "container-title"):
            if venue := self.text(work, f"{name}: container-title", value):
                return venue
        if work.get("type") == "posted-content":
            for institution in members(work, "institution"):
                if venue := self.text(work, f"{name}: institution", member(institution, "name")):
                    return venue
        return None

    def abstract(self, work: dict, name: str) -> str | None:
        value = self.checked(work, f"{name}: abstract", work.get("abstract"))
        if value is None:
            return None
        return self.text(work, f"{name}: abstract", jats_paragraphs(value), paragraphs=True)

    def cites(self, work: dict, name: str) -> tuple[Identifier, ...]:
        """The DOIs of the work's references, in order, once each; references without one are dropped."""
        found: dict[str, Identifier] = {}
        for number, reference in enumerate(members(work, "reference"), 1):
            value = member(reference, "DOI")
            if value is None:
                continue
            doi = normalise("doi", value) if isinstance(value, str) else None
            if doi is None:
                self.warn(work, f"{name}: reference {number}: {shorten(repr(value))} is not a DOI: dropped")
                continue
            found.setdefault(doi.lower(), Identifier("doi", doi))
        return tuple(found.values())


def jats_paragraphs(abstract: str) -> str:
    """JATS XML as text with paragraphs: whitespace runs become one space, block elements blank
    lines, and other tags go.

    A leading ``<jats:title>Abstract</jats:title>`` is dropped: it names the field, it is not text.
    Some publishers escape HTML inside the JATS (``<jats:p>&lt;p&gt;Penelitian …``): when the text
    holds ``&lt;``, its entities are decoded once here, so that the HTML tags they spell are removed
    as markup by :func:`~kg.parsers.cleaning.clean_text` (which also decodes entities, drops inline
    HTML and collapses whitespace).

    Example:
        >>> jats_paragraphs("<jats:title>Abstract</jats:title><jats:p>A <jats:italic>b</jats:italic>.</jats:p>")
        '\\n\\nA b.\\n\\n'
        >>> jats_paragraphs("<jats:p>(<jats:italic>W</jats:italic>\\n <jats:sub>r</jats:sub>)</jats:p>")
        '\\n\\n(W r)\\n\\n'
    """
    flat = _WHITESPACE.sub(" ", abstract)  # line breaks in XML are spaces; paragraphs are elements
    text = _NAMESPACED_TAG.sub("", _JATS_BLOCK.sub("\n\n", _JATS_HEADING.sub("", flat)))
    return html.unescape(text) if "&lt;" in text else text


def work_type(kind: str | None, subtype: Any = None) -> tuple[str | None, str | None]:
    """(type_label, venue_kind) of a Crossref type; an unknown type keeps its own words as the label,
    and so does posted content that is not a preprint (``subtype`` ``working-paper``, ``letter``, …)."""
    if not kind:
        return None, None
    if kind == "posted-content" and isinstance(subtype, str) and subtype.strip() not in ("", "preprint"):
        return subtype.strip().replace("-", " ").capitalize(), "other"
    return TYPES.get(kind, (kind.replace("-", " ").capitalize(), "other"))


__all__ = ["DROPPED", "KIND", "looks_like_crossref", "parse_crossref"]
