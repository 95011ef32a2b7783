"""Parse dblp XML: a person page (``https://dblp.org/pid/….xml``) or the dblp dump (``dblp.xml``).

Two shapes, told apart by the root element (https://dblp.org/faq/16154937.html):

- ``<dblpperson name pid n>``: one person's page. Its ``<person>`` (names, ``<url>``s) is the
  subject, each ``<r>`` holds one publication, ``<homonyms>`` lists other people who share the
  name and ``<coauthors>`` restates the records' co-authors.
- ``<dblp>``: the dump. Its children are records: ``article``, ``inproceedings``,
  ``proceedings``, ``book``, ``incollection``, ``phdthesis``, ``mastersthesis``, ``www``
  (``data`` and ``person`` in newer DTDs).

What a publication gives (see README, "dblp XML"): its ``key`` is a dblp identifier; ``<title>``
(its markup, ``<i>``, ``<sub>``, …, reduced to its text, dblp's closing period dropped),
``<author>``s in order (a homonym number such as ``Di Xu 0001`` kept: identity reads it as an
identifier), ``<year>``, the venue (``<journal>``, ``<booktitle>`` or, failing that, the booktitle of
the ``<crossref>`` record when the file holds it, ``<series>`` for books, ``<school>`` for
theses) and ``<ee>`` links to a DOI, an arXiv id or a Wikidata item. An author's ``orcid``
attribute and, on person pages, ``pid`` attribute become a person record with those identifiers.
``www`` records titled ``Home Page`` are people (dblp id from the key, ORCID and Wikidata from
``<url>``s, every ``<author>`` a name of theirs). ``proceedings`` records are venues, not papers.
A publication without an author cannot be a work in the graph: it is skipped and counted in one
warning. A publication without a title or a year, an unknown record element, XML that is not
well-formed and an entity the DTD does not declare are refused, naming the line and the record key.

The dump writes characters as entities its DTD declares (``&ouml;``), so the DTD must be read:
the DOCTYPE's ``SYSTEM "dblp.dtd"`` (or a dated release name) is read from beside the input when
it is there, else from the copy shipped with kg (kg/parsers/dblp.dtd, CC0, dblp's DTD of May 10,
2023). No other external entity and no URL is ever read.

The file is read with ``lxml.etree.iterparse``, one record at a time, each element cleared once
read: the parser's memory does not grow with the file (:func:`iter_records` is a generator). What
it keeps across records: the venue of each ``proceedings`` and ``book`` record (for crossrefs),
and publications waiting for a crossref'd record further on; :func:`parse_dblp_xml` gathers the
records into one ParsedSource, as every parser does.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path, PureWindowsPath

from lxml import etree

from kg.errors import ParseError
from kg.parsers.identifiers import normalise
from kg.parsers.page_layout import shorten
from kg.records import IDENTIFIER_SCHEMES, Identifier, PaperRecord, ParsedSource, ParseWarning, PersonRecord
from kg.sources.files import RawSource

KIND = "dblp-xml"
DTD_PATH = Path(__file__).resolve().with_name("dblp.dtd")
# The DTD names a DOCTYPE may give: dblp.dtd, or a release's dated copy (dblp-2019-11-22.dtd).
DTD_NAME = re.compile(r"dblp(?:-\d{4}-\d{2}-\d{2})?\.dtd")


@dataclasses.dataclass(frozen=True)
class PaperKind:
    """How one publication element reads: where its venue is, the venue's kind, its type label."""

    venue_element: str
    venue_kind: str
    type_label: str


PAPER_KINDS = {
    "article": PaperKind("journal", "journal", "Journal Article"),
    "inproceedings": PaperKind("booktitle", "conference", "Conference Paper"),
    "incollection": PaperKind("booktitle", "book", "Book Chapter"),
    "book": PaperKind("series", "book", "Book"),
    "phdthesis": PaperKind("school", "other", "PhD Thesis"),
    "mastersthesis": PaperKind("school", "other", "Master's Thesis"),
    "data": PaperKind("publisher", "other", "Research Data"),
}
PREPRINT = PaperKind("journal", "preprint-server", "Preprint")  # an article in CoRR (arXiv)
PREPRINT_JOURNALS = frozenset({"CoRR"})
VENUE_RECORDS = frozenset({"proceedings"})  # read for the crossrefs that name them, never papers
PERSON_RECORDS = frozenset({"www", "person"})  # a person when titled "Home Page" (person: always)
RECORDS = frozenset(PAPER_KINDS) | VENUE_RECORDS | PERSON_RECORDS
PAGE_PARTS = frozenset({"person", "homonyms", "r", "coauthors"})  # the children of <dblpperson>
ROOTS = ("dblp", "dblpperson")
HOME_PAGE = "Home Page"
LINK_SCHEMES = ("doi", "arxiv", "wikidata")  # what an <ee> or a person's <url> may name
MAX_SKIPPED_NAMED = 3  # skipped records a warning names; the rest are counted

_HEAD_CHARS = 64 * 1024  # the prolog (declaration, DOCTYPE with its internal subset) fits in it
_DOCTYPE_NAME = re.compile(r"<!DOCTYPE\s+([\w.:-]+)")
_SUBSET_END = re.compile(r"\]\s*>")
_ROOT = re.compile(r"<(dblp|dblpperson)[\s/>]")
_YEAR = re.compile(r"\d{4}")
_UNDECLARED_ENTITY = re.compile(r"Entity '([^']*)' not defined")
_WHERE = re.compile(r", line \d+, column \d+$")
_UNDECLARED = {etree.ErrorTypes.WAR_UNDECLARED_ENTITY, etree.ErrorTypes.ERR_UNDECLARED_ENTITY}


def looks_like_dblp_xml(text: str | bytes) -> bool:
    """Whether ``text`` is dblp XML: an XML prolog (declaration, DOCTYPE, comments, all optional)
    and then a ``<dblp>`` or ``<dblpperson>`` root element, near the start.

    The prolog is walked, not matched by one regular expression: a long or unclosed internal
    subset costs one scan of the head, whatever it holds.

    Example:
        >>> looks_like_dblp_xml('<?xml version="1.0"?>\\n<dblpperson name="Di Xu 0001" pid="95/7448-1">')
        True
        >>> looks_like_dblp_xml('<?xml version="1.0"?>\\n<feed>')
        False
    """
    head = text[:_HEAD_CHARS]
    if isinstance(head, bytes):
        head = head.decode("latin-1")  # the prolog is ASCII in every encoding kg reads
    position = len(head) - len(head.lstrip("\ufeff \t\r\n"))
    doctype = None
    while position < len(head):
        if head.startswith("<!--", position):
            end = head.find("-->", position + 4)
            position = end + 3 if end >= 0 else len(head)
        elif head.startswith("<?", position):
            end = head.find("?>", position + 2)
            position = end + 2 if end >= 0 else len(head)
        elif head.startswith("<!DOCTYPE", position) and doctype is None:
            name = _DOCTYPE_NAME.match(head, position)
            if name is None:
                return False
            doctype = name.group(1)
            close, subset = head.find(">", name.end()), head.find("[", name.end())
            if 0 <= subset < close or (close < 0 <= subset):
                end = _SUBSET_END.search(head, subset)
                position = end.end() if end else len(head)
            else:
                position = close + 1 if close >= 0 else len(head)
        elif head[position] in " \t\r\n":
            position += 1
        else:
            root = _ROOT.match(head, position)
            return root is not None and doctype in (None, root.group(1))
    return False


def parse_dblp_xml(raw: RawSource) -> ParsedSource:
    """Read a dblp person page or dump into records.

    Args:
        raw: the input, as the source layer decoded it (by its XML declaration's encoding).

    Returns:
        The page's person as subject (person pages), the papers in file order (a paper waiting
        for a crossref'd record further on comes after it), and the people the records identify
        (authors with an ORCID or a dblp id, home pages) once each. A warning counts the records
        skipped for having no author.

    Raises:
        ParseError: not well-formed XML, an entity the DTD does not declare, a DOCTYPE naming
            another DTD, an unknown record element, a publication without a title or a year, or a
            person page whose stated record count differs from its records.
    """
    reader = DblpReader(raw.ref.origin, raw.text)
    papers: list[PaperRecord] = []
    persons: dict[tuple[str, tuple[Identifier, ...]], PersonRecord] = {}
    for record in reader.records():
        if isinstance(record, PaperRecord):
            papers.append(record)
        else:
            persons.setdefault((record.name, record.identifiers), record)
    subject = reader.subject
    if subject is not None:
        persons.pop((subject.name, subject.identifiers), None)
    return ParsedSource(ref=raw.ref, kind=KIND, subject=subject, persons=tuple(persons.values()),
                        papers=tuple(papers), warnings=reader.warnings())


def iter_records(origin: str, text: str) -> Iterator[PaperRecord | PersonRecord]:
    """The papers and persons of a dblp XML text, one at a time (memory flat in the file's size).

    Raises:
        ParseError: as :func:`parse_dblp_xml`.
    """
    return DblpReader(origin, text).records()


class DblpReader:
    """One pass over one dblp XML text. :meth:`records` yields; :attr:`subject`, the skipped records
    and the person page's stated count are known once it is exhausted."""

    def __init__(self, origin: str, text: str):
        self.origin = origin
        self.text = text
        self.subject: PersonRecord | None = None
        self.ambiguous: set[str] = set()  # dblp ids of disambiguation profiles: no one's id
        self.venues: dict[str, str] = {}  # key of a proceedings or book -> its booktitle
        self.waiting: dict[str, list[tuple[PaperRecord, str]]] = {}  # crossref key -> (paper, venue kind)
        self.skipped = 0
        self.skipped_named: list[tuple[str, int]] = []
        self.stated_records: tuple[int, int] | None = None  # (n, line) of a <dblpperson n=…>
        self.page_records = 0
        self.undeclared: tuple[int, int | None, str] | None = None  # (line, column, name) of an entity
        self.last_key: str | None = None  # the key of the last record reached
        self.root = None  # the root element, once reached; swept of every record read

    # -- the pass ------------------------------------------------------------------------------

    def records(self) -> Iterator[PaperRecord | PersonRecord]:
        """Yield every paper and person in file order (see :func:`parse_dblp_xml`).

        Raises:
            ParseError: as :func:`parse_dblp_xml`.
        """
        resolver = DtdResolver(self.origin)
        events = etree.iterparse(
            Utf8Stream(self.text), events=("end",), encoding="utf-8", load_dtd=True, resolve_entities=True,
            no_network=True, remove_comments=True, remove_pis=True, huge_tree=False,
        )
        events.resolvers.add(resolver)
        root = None
        logged = 0  # entries of the parser's error log already looked at
        try:
            for _event, element in events:
                if root is None:
                    root = self.root = self.check_root(element.getroottree().getroot())
                tag = element.tag
                if tag not in RECORDS and tag not in PAGE_PARTS:
                    continue
                parent = element.getparent()
                on_top = parent is root
                if not on_top and (parent is None or parent.tag != "r" or root.tag != "dblpperson"):
                    continue
                if len(events.error_log) > logged:
                    logged = self.note_undeclared_entity(events.error_log, logged)
                self.check_undeclared_entity(element)
                if on_top:
                    yield from self.top_level(root, element)
                    self.sweep(root, element)
                else:
                    yield from self.record(element)
                    element.clear(keep_tail=True)
        except etree.XMLSyntaxError as exc:
            if self.undeclared is not None:
                raise self.undeclared_entity_error() from exc
            raise self.syntax_error(exc, resolver) from exc
        if self.undeclared is not None:
            raise self.undeclared_entity_error()
        if root is None:  # iterparse raises on an empty document; this is for safety only
            raise ParseError(self.origin, None, "no XML element found")
        self.sweep(root, None)
        for waiting in self.waiting.values():
            yield from (paper for paper, _venue_kind in waiting)
        self.waiting.clear()
        self.check_stated_count()

    def check_root(self, root) -> object:
        """The root element, once it is known to be dblp's.

        Raises:
            ParseError: another root element.
        """
        if root.tag not in ROOTS:
            raise ParseError(self.origin, root.sourceline, f"root element <{root.tag}> is not dblp's "
                                                           "(<dblp> for the dump, <dblpperson> for a person page)")
        if root.tag == "dblpperson":
            self.start_page(root)
        return root

    def top_level(self, root, element) -> Iterator[PaperRecord | PersonRecord]:
        """Read one child of the root: a record of the dump, or a part of a person page."""
        tag = element.tag
        if root.tag == "dblp":
            if tag not in RECORDS:
                raise self.unknown(element, "a record of the dump")
            yield from self.record(element)
        elif tag == "person":
            yield from self.page_person(root, element)
        elif tag == "homonyms":
            self.read_homonyms(element)
        elif tag == "r":
            self.page_records += 1
        elif tag != "coauthors":
            raise self.unknown(element, "a part of a person page")
        element.clear(keep_tail=True)

    def sweep(self, root, current) -> None:
        """Drop the root's children read before ``current`` (all of them when None), refusing any
        that is not a record or a page part: the tree never holds more than one record.

        Raises:
            ParseError: an unknown element among them.
        """
        while len(root) and root[0] is not current:
            child = root[0]
            if isinstance(child.tag, str) and child.tag not in RECORDS and child.tag not in PAGE_PARTS:
                raise self.unknown(child, "a record of the dump" if root.tag == "dblp" else "a part of a person page")
            del root[0]

    def unknown(self, element, expected: str) -> ParseError:
        detail = f"unknown element <{element.tag}>: not {expected} (dblp.dtd)"
        return ParseError(self.origin, element.sourceline, detail)

    # -- records --------------------------------------------------------------------------------

    def record(self, element) -> Iterator[PaperRecord | PersonRecord]:
        """The papers and persons one record gives (a proceedings: none; it is kept as a venue)."""
        tag = element.tag
        if tag not in RECORDS:
            raise self.unknown(element, "a publication")
        key = self.key_of(element)
        if tag in PERSON_RECORDS:
            yield from self.home_page(element, key)
            return
        if tag in VENUE_RECORDS or tag == "book":
            venue = text_of(element.find("booktitle")) or strip_period(text_of(element.find("title")))
            if venue:
                self.venues[key] = venue
                for paper, venue_kind in self.waiting.pop(key, ()):
                    yield dataclasses.replace(paper, venue=venue, venue_kind=venue_kind)
            if tag in VENUE_RECORDS:
                return
        yield from self.publication(element, key)

    def publication(self, element, key: str) -> Iterator[PaperRecord | PersonRecord]:
        """One paper and the persons its authors' attributes identify.

        Raises:
            ParseError: no title, no year or an unreadable one, an author without a name.
        """
        line = element.sourceline
        tag = element.tag
        title = strip_period(text_of(element.find("title")))
        if not title:
            raise ParseError(self.origin, line, f"record {key!r} (<{tag}>) has no title")
        year_text = text_of(element.find("year"))
        if not year_text:
            raise ParseError(self.origin, line, f"record {key!r} (<{tag}>) has no year")
        if not _YEAR.fullmatch(year_text):
            detail = f"record {key!r} (<{tag}>) has an unreadable year {shorten(year_text)!r}"
            raise ParseError(self.origin, line, detail)
        authors = []
        for position, author in enumerate(element.iterfind("author"), start=1):
            name = text_of(author)
            if not name:
                raise ParseError(self.origin, author.sourceline, f"record {key!r}: author {position} has no name")
            authors.append(name)
            if identifiers := self.author_identifiers(author):
                yield PersonRecord(name=name, line=author.sourceline, identifiers=identifiers)
        if not authors:
            self.skip(key, line)
            return
        kind = PAPER_KINDS[tag]
        venue = text_of(element.find(kind.venue_element))
        if tag == "article" and venue in PREPRINT_JOURNALS:
            kind = PREPRINT
        crossref = text_of(element.find("crossref"))
        if not venue and crossref:
            venue = self.venues.get(crossref)
        found = {"dblp": key}
        for link in element.iterfind("ee"):
            found.update((s, v) for s, v in links(text_of(link)) if s not in found)
        paper = PaperRecord(
            title=title,
            line=line,
            authors=tuple(authors),
            venue=venue or None,
            venue_kind=kind.venue_kind if venue else None,
            year=int(year_text),
            type_label=kind.type_label,
            identifiers=tuple(Identifier(s, found[s]) for s in IDENTIFIER_SCHEMES if s in found),
        )
        if not venue and crossref and crossref not in self.venues:
            self.waiting.setdefault(crossref, []).append((paper, kind.venue_kind))  # its venue may come further on
        else:
            yield paper

    def author_identifiers(self, author) -> tuple[Identifier, ...]:
        """An author's ORCID (``orcid`` attribute) and dblp id (``pid``, person pages), when valid."""
        found = []
        if (orcid := author.get("orcid")) and (value := normalise("orcid", orcid)):
            found.append(Identifier("orcid", value))
        if (pid := (author.get("pid") or "").strip()) and pid not in self.ambiguous:
            found.append(Identifier("dblp", pid))
        return tuple(found)

    def home_page(self, element, key: str) -> Iterator[PersonRecord]:
        """A ``www`` record titled Home Page (or a ``person`` record): one person, under every name
        it lists, with its dblp id (the key after ``homepages/``), ORCID and Wikidata item. Any
        other ``www`` record (a web page, a redirect of an old key) is no publication: skipped."""
        if element.tag == "www" and text_of(element.find("title")) != HOME_PAGE:
            return
        pid = key.removeprefix("homepages/") if key.startswith("homepages/") else None
        if pid is None or element.get("publtype") == "disambiguation":
            return  # not one person: a name shared by several
        identifiers = person_identifiers(pid, element)
        for author in element.iterfind("author"):
            if name := text_of(author):
                yield PersonRecord(name=name, line=author.sourceline, identifiers=identifiers)

    def key_of(self, element) -> str:
        """The record's key attribute.

        Raises:
            ParseError: the record has none.
        """
        key = (element.get("key") or "").strip()
        if not key:
            raise ParseError(self.origin, element.sourceline, f"<{element.tag}> record has no key attribute")
        return key

    def skip(self, key: str, line: int) -> None:
        self.skipped += 1
        if len(self.skipped_named) < MAX_SKIPPED_NAMED:
            self.skipped_named.append((key, line))

    # -- person pages ---------------------------------------------------------------------------

    def start_page(self, root) -> None:
        """Read the ``<dblpperson>`` attributes: the subject's name and dblp id, the record count."""
        name, pid = text_value(root.get("name")), text_value(root.get("pid"))
        if name:
            self.subject = PersonRecord(name=name, line=root.sourceline,
                                        identifiers=(Identifier("dblp", pid),) if pid else ())
        if (stated := (root.get("n") or "").strip()).isdigit():
            self.stated_records = (int(stated), root.sourceline)

    def page_person(self, root, element) -> Iterator[PersonRecord]:
        """The page's ``<person>``: the subject (first name, dblp id, ORCID and Wikidata from its
        urls) and its other names (same identifiers). A disambiguation profile is no one: no subject."""
        pid = text_value(root.get("pid")) or self.key_of(element).removeprefix("homepages/")
        if element.get("publtype") == "disambiguation":
            self.ambiguous.add(pid)
            self.subject = None
            return
        identifiers = person_identifiers(pid, element)
        names = [name for author in element.iterfind("author") if (name := text_of(author))]
        subject_name = text_value(root.get("name")) or (names[0] if names else None)
        if subject_name is None:
            detail = "person page names no person (<dblpperson name> and <author> are empty)"
            raise ParseError(self.origin, element.sourceline, detail)
        self.subject = PersonRecord(name=subject_name, line=element.sourceline, identifiers=identifiers)
        for author in element.iterfind("author"):
            name = text_of(author)
            if name and name != subject_name:
                yield PersonRecord(name=name, line=author.sourceline, identifiers=identifiers)

    def read_homonyms(self, element) -> None:
        """Note the dblp ids of disambiguation profiles among the homonyms: an author carrying one
        is not identified by it. The homonyms themselves are other people: not read."""
        for person in element.iter("person"):
            if person.get("publtype") == "disambiguation":
                key = person.get("key") or ""
                if key.startswith("homepages/"):
                    self.ambiguous.add(key.removeprefix("homepages/"))

    def check_stated_count(self) -> None:
        """Refuse a person page whose ``n`` differs from the records it holds: a cut page loses papers.

        Raises:
            ParseError: at the ``<dblpperson>`` line.
        """
        if self.stated_records is None:
            return
        stated, line = self.stated_records
        if stated != self.page_records:
            raise ParseError(self.origin, line,
                             f"page states {stated} records (<dblpperson n=\"{stated}\">) but {self.page_records} <r> "
                             "records were read: is the page cut short?")

    # -- problems -------------------------------------------------------------------------------

    def note_undeclared_entity(self, log, seen: int) -> int:
        """Note the first entity the DTD does not declare that libxml2 reported. With an external
        DTD that is only a warning, and the character silently vanishes from the text; the
        record holding it is known once the next record starts (:meth:`check_undeclared_entity`)."""
        for entry in list(log)[seen:]:
            if entry.type in _UNDECLARED and self.undeclared is None:
                entity = _UNDECLARED_ENTITY.search(entry.message)
                self.undeclared = (entry.line, entry.column or None, entity.group(1) if entity else "?")
        return len(log)

    def check_undeclared_entity(self, element) -> None:
        """Refuse a noted undeclared entity once a record starting after it is reached; else note
        the key of the record being read, which may be the one holding it.

        Raises:
            ParseError: the undeclared entity, naming the record that holds it.
        """
        if self.undeclared is not None and element.sourceline > self.undeclared[0]:
            raise self.undeclared_entity_error()
        if key := element.get("key"):
            self.last_key = key

    def undeclared_entity_error(self) -> ParseError:
        line, column, entity = self.undeclared
        where = f" in record {self.last_key!r}" if self.last_key else ""
        return ParseError(self.origin, line, f"undeclared entity &{entity};{where}: dblp's DTD does not declare it",
                          column=column)

    def syntax_error(self, exc: etree.XMLSyntaxError, resolver: DtdResolver) -> ParseError:
        """The ParseError for what lxml refused, with its line and column."""
        if resolver.refused is not None:
            return resolver.refused
        message = _WHERE.sub("", exc.msg or str(exc))
        line, column = exc.position if exc.position else (exc.lineno, None)
        key = self.open_record_key(line)
        where = f" in record {key!r}" if key else ""
        if entity := _UNDECLARED_ENTITY.search(message):
            return ParseError(self.origin, line, f"undeclared entity &{entity.group(1)};{where}: the document names no "
                                                 "DTD that declares it (the dblp dump's DOCTYPE names dblp.dtd)",
                              column=column or None)
        return ParseError(self.origin, line, f"not well-formed XML{where}: {message}", column=column or None)

    def open_record_key(self, line: int | None) -> str | None:
        """The key of the record the parser stopped in: the last ``key`` attribute written up to the
        end of ``line`` (lxml keeps no tree of a document it refused)."""
        if not line:
            return self.last_key
        end = 0
        for _ in range(line):
            end = self.text.find("\n", end) + 1
            if end == 0:
                end = len(self.text)
                break
        start = max(self.text.rfind(' key="', 0, end), self.text.rfind(" key='", 0, end))
        if start < 0:
            return None
        close = self.text.find(self.text[start + 5], start + 6, end)
        return self.text[start + 6 : close] if close > 0 else None

    def warnings(self) -> tuple[ParseWarning, ...]:
        """One warning counting the records skipped for having no author (none when there are none)."""
        if not self.skipped:
            return ()
        named = ", ".join(f"{key} (line {line})" for key, line in self.skipped_named)
        more = f" and {self.skipped - len(self.skipped_named)} more" if self.skipped > len(self.skipped_named) else ""
        return (ParseWarning(self.origin, self.skipped_named[0][1],
                             f"{self.skipped} record(s) without an author skipped (a work in the graph needs one): "
                             f"{named}{more}"),)


class DtdResolver(etree.Resolver):
    """Give libxml2 dblp's DTD for the DOCTYPE's SYSTEM identifier, and nothing else.

    ``dblp.dtd`` (or a release's ``dblp-YYYY-MM-DD.dtd``), named bare, by a path or by a URL, is
    read from beside the input when a file of that name is there, else from the copy shipped with
    kg. Any other external DTD or entity is refused: a file names no file kg reads, and no URL.
    """

    def __init__(self, origin: str):
        super().__init__()
        self.origin = origin
        self.refused: ParseError | None = None

    def resolve(self, system_url, public_id, context):
        name = PureWindowsPath(str(system_url or "")).name.split("/")[-1]  # after / or \, and a URL's path
        if not DTD_NAME.fullmatch(name):
            self.refused = ParseError(self.origin, None,
                                      f"the document names the external DTD or entity {shorten(str(system_url))!r}; "
                                      "kg reads dblp's DTD (dblp.dtd) only")
            raise self.refused
        beside = Path(self.origin).parent / name
        return self.resolve_filename(str(beside if beside.is_file() else DTD_PATH), context)


class Utf8Stream:
    """The text as UTF-8 bytes, a chunk at a time (a file-like object for iterparse): the whole
    text is never encoded at once."""

    CHUNK_CHARS = 1 << 20

    def __init__(self, text: str):
        self.text = text
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        chars = self.CHUNK_CHARS if size is None or size < 0 else max(1, min(size // 4, self.CHUNK_CHARS))
        chunk = self.text[self.position : self.position + chars]
        self.position += len(chunk)
        return chunk.encode("utf-8")


def text_of(element) -> str:
    """The text of an element and of the markup inside it (``<i>``, ``<sub>``…), whitespace collapsed, NFC."""
    if element is None:
        return ""
    return text_value("".join(element.itertext()))


def text_value(value: str | None) -> str:
    """An attribute's or a text's value, whitespace collapsed, NFC ('' for None)."""
    return unicodedata.normalize("NFC", " ".join(value.split())) if value else ""


def strip_period(title: str) -> str:
    """A dblp title without the period dblp ends every title with (one; ``Why?`` keeps its mark)."""
    return title[:-1].rstrip() if title.endswith(".") else title


def links(url: str) -> Iterator[tuple[str, str]]:
    """The identifiers a link names: a DOI (``https://doi.org/…``), an arXiv id (``arxiv.org/abs/…``)
    or a Wikidata item (``wikidata.org/entity/Q…``). Other links name none."""
    for scheme in LINK_SCHEMES:
        if value := normalise(scheme, url):
            yield scheme, value
            return


def person_identifiers(pid: str, element) -> tuple[Identifier, ...]:
    """A person's dblp id, and the ORCID and Wikidata item its ``<url>``s name (the first of each)."""
    found = {"dblp": pid}
    for url in element.iterfind("url"):
        value = text_of(url)
        for scheme in ("orcid", "wikidata"):
            if scheme not in found and (bare := normalise(scheme, value)):
                found[scheme] = bare
    return tuple(Identifier(s, found[s]) for s in IDENTIFIER_SCHEMES if s in found)


__all__ = ["KIND", "iter_records", "looks_like_dblp_xml", "parse_dblp_xml"]
