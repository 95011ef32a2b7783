"""Parse an ORCID public API v3.0 record or works list (JSON): one researcher and their works.

Input: the JSON of ``GET https://pub.orcid.org/v3.0/{orcid}/record`` (with ``Accept:
application/json``), or of ``…/{orcid}/works``. Reference: https://info.orcid.org/documentation/
api-tutorials/api-tutorial-read-data-on-a-record/ and the v3.0 schema (record-3.0.xsd,
work-3.0.xsd, https://github.com/ORCID/orcid-model).

What is read:

- the ORCID iD (``orcid-identifier.path``; a works list: its ``path``, ``/{orcid}/works``),
  checked against its pattern and check digit;
- the subject's name: ``person.name.credit-name`` (the name the researcher publishes under), else
  ``given-names`` + ``family-name``. The other one, and every ``person.other-names.other-name``,
  are further spellings: a PersonRecord each, with the same ORCID iD, so that identity joins them
  (equal ORCID: one person). A works list names no one: its subject's name is the ``source-name``
  of a work the owner added themselves (``source.source-orcid`` is the owner's iD);
- ``person.external-identifiers``: those of a scheme kg knows (dblp, Wikidata, see PERSON_ID_TYPES);
- ``activities-summary.works.group[]`` (a works list: ``group[]``): one PaperRecord per group. A
  group is one work as ORCID joined it from several sources (they share a ``self`` identifier); its
  first ``work-summary`` is the one ORCID prefers (the highest ``display-index``, what the record's
  page shows). Each field is taken from the first summary of the group that gives it, so a field
  the preferred source leaves empty is taken from another source of the same work. The title
  (``title.title``, with ``title.subtitle`` after a colon), ``type`` (TYPES), the
  ``publication-date`` year and ``journal-title`` (the venue) are read; the identifiers are the
  ``self`` external ids of the group and its summaries of a scheme kg knows (WORK_ID_TYPES).

Works list no co-authors in a summary, so ``authors`` is None: the subject is their author, as on a
researcher-profile page. Everything else is dropped, listed with the reason in DROPPED.

Refused (ParseError, naming the work as ``work 3 (put-code 4562454)``): an invalid ORCID iD, a
work without a title, or without a publication date, or with a date whose year is missing or not
four digits: kg publishes a work only with its year, and a parser never drops a work silently. An
identifier of a known scheme whose value is not valid is dropped with a warning.
"""

from __future__ import annotations

import re
from typing import Any

from kg.parsers.cleaning import clean_text
from kg.parsers.identifiers import normalise
from kg.parsers.json_document import DocumentReader, JsonDocument, looks_like, member, members
from kg.parsers.page_layout import shorten
from kg.records import IDENTIFIER_SCHEMES, Identifier, PaperRecord, ParsedSource, PersonRecord
from kg.sources.files import RawSource

KIND = "orcid-record"
_WORKS_PATH = re.compile(r"^/(\d{4}-\d{4}-\d{4}-\d{3}[\dXx])/works/?$")
# Markers detection falls back to when the text is not valid JSON, so that the parser (not the
# JSON Lines one) says where the JSON breaks; looked for in the first characters only.
_MARKER = re.compile(r'"(?:orcid-identifier|work-summary)"\s*:')
MARKER_WINDOW = 65536

# ORCID work types (v3.0, lower case with hyphens; v2 wrote JOURNAL_ARTICLE) -> (type_label,
# venue_kind). https://info.orcid.org/ufaqs/what-work-types-does-orcid-support/
TYPES = {
    "journal-article": ("Journal Article", "journal"),
    "conference-paper": ("Conference Paper", "conference"),
    "conference-abstract": ("Conference Abstract", "conference"),
    "conference-poster": ("Conference Poster", "conference"),
    "conference-presentation": ("Conference Presentation", "conference"),
    "conference-proceedings": ("Conference Proceedings", "conference"),
    "preprint": ("Preprint", "preprint-server"),
    "working-paper": ("Working Paper", "other"),
    "book-chapter": ("Book Chapter", "book"),
    "book": ("Book", "book"),
    "edited-book": ("Edited Book", "book"),
    "book-review": ("Book Review", "journal"),
    "review": ("Review", "journal"),
    "journal-issue": ("Journal Issue", "journal"),
    "magazine-article": ("Magazine Article", "journal"),
    "newspaper-article": ("Newspaper Article", "other"),
    "dissertation-thesis": ("Dissertation", "other"),
    "dissertation": ("Dissertation", "other"),
    "supervised-student-publication": ("Supervised Student Publication", "other"),
    "report": ("Report", "other"),
    "data-set": ("Dataset", "other"),
    "software": ("Software", "other"),
    "lecture-speech": ("Lecture", "other"),
    "encyclopedia-entry": ("Encyclopedia Entry", "book"),
    "dictionary-entry": ("Dictionary Entry", "book"),
}
# Work external-id types -> kg scheme. Only relationship "self" identifies the work itself:
# "part-of" names its journal (ISSN) or book, "version-of" another version, "funded-by" a grant.
WORK_ID_TYPES = {"doi": "doi", "arxiv": "arxiv", "wikidata": "wikidata"}
# Person external-identifier types (free text set by the linking service) -> kg scheme.
PERSON_ID_TYPES = {"dblp": "dblp", "dblp id": "dblp", "dblp person id": "dblp", "wikidata": "wikidata",
                   "wikidata id": "wikidata", "wikidata qid": "wikidata"}

# What is read and deliberately not kept, with the reason (the README's format table lists it).
DROPPED = (
    ("history, preferences, emails, addresses, keywords, researcher-urls, biography",
     "about the account or the person beyond their name; kg records people by name and identifiers"),
    ("person external identifiers other than dblp and Wikidata (Scopus Author ID, ResearcherID, ISNI, Loop, …)",
     "no scheme of kg.records.IDENTIFIER_SCHEMES; the ORCID iD joins the person already"),
    ("educations, employments, distinctions, fundings, peer-reviews, memberships, services, …",
     "activities other than works: kg publishes papers"),
    ("work external ids other than self DOI, arXiv and Wikidata ids (eid, pmid, pmc, isbn, issn, wosuid, …)",
     "no scheme of kg; part-of ids name the journal or book, not the work"),
    ("a work summary's put-code, url, visibility, source, dates of the entry",
     "about the ORCID entry, not the work; the put-code names the work in messages"),
    ("month and day of a publication date", "kg keeps a version's year"),
    ("translated-title", "kg keeps the title as published"),
    ("an identifier of a known scheme whose value is not valid (a DOI without '10.')",
     "kg keeps identifiers it can match on; dropped with a warning"),
)


def looks_like_orcid_record(text: str) -> bool:
    """Whether ``text`` is an ORCID API record (``orcid-identifier`` with ``person`` or
    ``activities-summary``) or works list (``group`` of ``work-summary``, its ``path`` an iD's works).

    Text that does not decode as JSON is taken for one when an ORCID record's keys appear near its
    start, so that its parser reports where the JSON breaks.
    """
    return looks_like(text, _MARKER, MARKER_WINDOW, lambda value: is_record(value) or is_works_list(value))


def is_record(value: dict) -> bool:
    return isinstance(value.get("orcid-identifier"), dict) and ("person" in value or "activities-summary" in value)


def is_works_list(value: dict) -> bool:
    if not isinstance(value.get("group"), list):
        return False
    path = value.get("path")
    if isinstance(path, str) and _WORKS_PATH.match(path):
        return True
    return any(isinstance(group, dict) and "work-summary" in group for group in value["group"])


def parse_orcid_record(raw: RawSource) -> ParsedSource:
    """Read an ORCID record or works list into its subject, their other spellings and their works.

    Returns:
        The subject (their ORCID iD and known external identifiers), one PersonRecord per further
        spelling (the same ORCID iD), one PaperRecord per work group (``authors`` None), and a
        warning per identifier refused.

    Raises:
        ParseError: the JSON is malformed, the ORCID iD is missing or invalid, the subject has no
            name, a work has no title or no publication date or one without a readable year, or a
            kept text holds a control character. The message names the work (``work 3 (put-code
            4562454)``) and the problem.
    """
    reader = _Reader(raw.ref.origin, JsonDocument.decode(raw.ref.origin, raw.text))
    return reader.read(raw)


class _Reader(DocumentReader):
    """One parse of an ORCID document."""

    def text(self, node: Any, where: str, value: Any) -> str | None:
        """The cleaned text of a string value (None for null or blank); refuses what no text may hold."""
        value = self.checked(node, where, value)
        return clean_text(value) or None if value is not None else None

    # -- the whole input -------------------------------------------------------------------------

    def read(self, raw: RawSource) -> ParsedSource:
        root = self.document.value
        if not isinstance(root, dict) or not (is_record(root) or is_works_list(root)):
            raise self.fail(root, "not an ORCID record or works list: expected 'orcid-identifier' and 'person', "
                                  "or a 'group' of 'work-summary' objects")
        if is_record(root):
            orcid = self.orcid(root["orcid-identifier"], member(root, "orcid-identifier", "path"), "orcid-identifier")
            groups = members(member(root, "activities-summary", "works"), "group")
            names = self.person_names(root.get("person"))
        else:
            orcid = self.works_owner(root)
            groups = root["group"]
            names = []
        if not names:
            names = self.self_sourced_name(groups, orcid)
        if not names:
            raise self.fail(root, f"the record of {orcid} gives no public name, and none of its works was added by "
                                  "its owner: nothing names the person (is the name private?)")
        subject_identifiers = (Identifier("orcid", orcid), *self.person_identifiers(root.get("person")))
        (subject_name, subject_line), *others = names
        subject = PersonRecord(subject_name, subject_line, _ordered(subject_identifiers))
        spellings = tuple(PersonRecord(name, line, (Identifier("orcid", orcid),)) for name, line in others)
        papers = tuple(self.work(group, index) for index, group in enumerate(groups, 1))
        return ParsedSource(ref=raw.ref, kind=KIND, subject=subject, persons=spellings, papers=papers,
                            warnings=tuple(self.warnings))

    def orcid(self, node: Any, value: Any, where: str) -> str:
        """The ORCID iD ``value``, checked.

        Raises:
            ParseError: missing, or not a valid iD (pattern or check digit).
        """
        if not isinstance(value, str) or not value.strip():
            raise self.fail(node, f"{where}: no ORCID iD")
        orcid = normalise("orcid", value)
        if orcid is None:
            raise self.fail(node, f"{where}: {shorten(value)!r} is not a valid ORCID iD "
                                  "(0000-0000-0000-000X with a matching check digit)")
        return orcid

    def works_owner(self, root: dict) -> str:
        """The iD whose works list this is: from its ``path``, else from its works' paths."""
        path = root.get("path")
        if isinstance(path, str) and path.strip():
            match = _WORKS_PATH.match(path.strip())
            return self.orcid(root, match.group(1) if match else path, "path")
        for group in root["group"]:
            for summary in members(group, "work-summary"):
                work_path = summary.get("path") if isinstance(summary, dict) else None
                if isinstance(work_path, str) and work_path.count("/") >= 2:
                    return self.orcid(summary, work_path.split("/")[1], "work-summary path")
        raise self.fail(root, "a works list without 'path': nothing says whose works these are")

    # -- the person ------------------------------------------------------------------------------

    def person_names(self, person: Any) -> list[tuple[str, int]]:
        """The spellings of the subject's name, the one to name them by first, without repeats."""
        name = member(person, "name")
        given = self.text(name, "person.name.given-names", member(name, "given-names", "value"))
        family = self.text(name, "person.name.family-name", member(name, "family-name", "value"))
        credit = self.text(name, "person.name.credit-name", member(name, "credit-name", "value"))
        structured = " ".join(part for part in (given, family) if part) or None
        found = [(spelling, self.line(name)) for spelling in (credit, structured) if spelling]
        for other in members(member(person, "other-names"), "other-name"):
            spelling = self.text(other, "person.other-names.other-name", member(other, "content"))
            if spelling:
                found.append((spelling, self.line(other)))
        unique: dict[str, int] = {}
        for spelling, line in found:
            unique.setdefault(spelling, line)
        return list(unique.items())

    def self_sourced_name(self, groups: list, orcid: str) -> list[tuple[str, int]]:
        """The subject's name as the source of a work they added themselves states it."""
        for group in groups:
            for summary in members(group, "work-summary"):
                source = member(summary, "source")
                if member(source, "source-orcid", "path") == orcid:
                    name = self.text(summary, "work-summary.source.source-name", member(source, "source-name", "value"))
                    if name:
                        return [(name, self.line(summary))]
        return []

    def person_identifiers(self, person: Any) -> list[Identifier]:
        found = []
        for entry in members(member(person, "external-identifiers"), "external-identifier"):
            kind = member(entry, "external-id-type")
            scheme = PERSON_ID_TYPES.get(kind.strip().lower()) if isinstance(kind, str) else None
            if scheme is None:
                continue
            value = member(entry, "external-id-value")
            identifier = self.identifier(entry, scheme, value, "person external identifier")
            if identifier is not None:
                found.append(identifier)
        return found

    def identifier(self, node: Any, scheme: str, value: Any, where: str) -> Identifier | None:
        """An Identifier, or None (with a warning) when the value is not a valid one of ``scheme``."""
        bare = normalise(scheme, value) if isinstance(value, str) else None
        if bare is None:
            self.warn(node, f"{where}: {shorten(repr(value))} is not a valid {scheme} identifier: dropped")
            return None
        return Identifier(scheme, bare)

    # -- the works -------------------------------------------------------------------------------

    def work(self, group: Any, index: int) -> PaperRecord:
        """One work group as a PaperRecord.

        Raises:
            ParseError: no summary, no title, no publication date, or one without a readable year.
        """
        summaries = [s for s in members(group, "work-summary") if isinstance(s, dict)]
        if not summaries:
            raise self.fail(group, f"work {index}: a work group without any work-summary")
        preferred = summaries[0]
        name = f"work {index} (put-code {preferred.get('put-code')})"
        title = self.first(summaries, lambda s: self.title(s, name))
        if title is None:
            raise self.fail(preferred, f"{name}: no title")
        dated = self.first(summaries, lambda s: s if member(s, "publication-date") is not None else None)
        if dated is None:
            raise self.fail(preferred, f"{name} {shorten(title)!r}: no publication date (kg publishes a work only "
                                       "with its year: add it to the record, or leave the work out)")
        year = self.year(dated, name)
        kind = self.first(summaries, lambda s: s.get("type") if isinstance(s.get("type"), str) else None)
        type_label, venue_kind = work_type(kind)
        venue = self.first(summaries, lambda s: self.text(s, f"{name}: journal-title",
                                                          member(s, "journal-title", "value")))
        return PaperRecord(
            title=title,
            line=self.line(preferred),
            authors=None,
            venue=venue,
            venue_kind=venue_kind,
            year=year,
            type_label=type_label,
            identifiers=self.work_identifiers(group, summaries, name),
        )

    @staticmethod
    def first(summaries: list[dict], read) -> Any:
        """The first value ``read`` finds in the summaries, in ORCID's order of preference."""
        return next((value for summary in summaries if (value := read(summary)) is not None), None)

    def title(self, summary: dict, name: str) -> str | None:
        title = self.text(summary, f"{name}: title", member(summary, "title", "title", "value"))
        subtitle = self.text(summary, f"{name}: subtitle", member(summary, "title", "subtitle", "value"))
        if title and subtitle and subtitle.casefold() not in title.casefold():
            return f"{title}: {subtitle}"
        return title

    def year(self, summary: dict, name: str) -> int:
        """The year of a summary's publication date.

        Raises:
            ParseError: the date has no year, or one that is not four digits.
        """
        value = member(summary, "publication-date", "year", "value")
        if value is None:
            raise self.fail(summary, f"{name}: publication date without a year")
        if not isinstance(value, str | int) or not re.fullmatch(r"\d{4}", str(value).strip()):
            raise self.fail(summary, f"{name}: unreadable year {shorten(repr(value))} in the publication date")
        return int(str(value).strip())

    def work_identifiers(self, group: Any, summaries: list[dict], name: str) -> tuple[Identifier, ...]:
        """The ``self`` ids of the group and its summaries of a scheme kg knows, once each."""
        found: list[Identifier] = []
        for node in (group, *summaries):
            for entry in members(member(node, "external-ids"), "external-id"):
                kind = member(entry, "external-id-type")
                scheme = WORK_ID_TYPES.get(kind.strip().lower()) if isinstance(kind, str) else None
                if scheme is None or member(entry, "external-id-relationship") not in ("self", "SELF"):
                    continue
                identifier = self.identifier(entry, scheme, member(entry, "external-id-value"), f"{name}: {kind}")
                if identifier is not None and _key(identifier) not in {_key(i) for i in found}:
                    found.append(identifier)
        return _ordered(found)


def work_type(kind: str | None) -> tuple[str | None, str | None]:
    """(type_label, venue_kind) for an ORCID work type (``journal-article``, v2's ``JOURNAL_ARTICLE``);
    an unknown type keeps its own words as the label."""
    if kind is None or not kind.strip():
        return None, None
    key = kind.strip().lower().replace("_", "-")
    if key in TYPES:
        return TYPES[key]
    return key.replace("-", " ").title(), "other"


def _key(identifier: Identifier) -> tuple[str, str]:
    return identifier.scheme, identifier.value.lower()


def _ordered(identifiers) -> tuple[Identifier, ...]:
    """Identifiers in the order of IDENTIFIER_SCHEMES, each scheme's in the order found."""
    return tuple(sorted(identifiers, key=lambda i: IDENTIFIER_SCHEMES.index(i.scheme)))


__all__ = ["DROPPED", "KIND", "looks_like_orcid_record", "parse_orcid_record"]
