"""Parse a BibTeX file (``.bib``): one PaperRecord per entry that is a paper, in file order.

The file is split by bibtexparser 2 (https://bibtexparser.readthedocs.io/en/main/) with its default
middlewares: ``@string`` macros resolved, the enclosing ``{…}`` or ``"…"`` of each value removed.
What they leave, concatenations (``"Proc. " # nips # "'20"``), is resolved here as BibTeX does; a
macro no ``@string`` defines (nor a month, ``jan``) is refused in a field that is read.
Every block it cannot read, every key it finds twice, and every entry that lacks what a paper
needs is a ParseError naming the entry's key and the line it starts on; the first one in the file is
reported. kg refuses the whole file then (``--keep-going`` skips whole files), so nothing cosmetic is
refused: a missing abstract, month or venue is no problem.

What a paper needs: a title, an ``author`` list (an ``editor`` list when there is no author: an
edited book), and a year (``year``, or the year of a BibLaTeX ``date``), inherited from the
``crossref`` parent when the entry has none.

Values are LaTeX: accents and escapes are decoded to Unicode by pylatexenc (``L{\\'{e}}on`` ->
``Léon``, ``{\\'{\\i}}`` -> ``í``, ``{\\&}`` -> ``&``, ``Ta{-}Shma`` -> ``Ta-Shma``, ``\\emph{k}`` ->
``k``), and the braces that protect case (``{W}asserstein``) are dropped. Maths (``$…$``, ``\\(…\\)``)
is kept verbatim, as the other parsers keep the LaTeX of abstracts (kg.parsers.cleaning): turning
``$O(\\sqrt{T})$`` into Unicode would lose what cannot be written in plain text, and identity compares
titles by their folded words, not their maths. Citation commands (``\\citep{mnist}``) are kept as
written for the same reason. Every text then goes through kg.parsers.cleaning.clean_text
(whitespace collapsed, NFC).

Entry types, and what each gives (ENTRY_TYPES):

==================================  ==================  ===============================  ================
entry type                          type_label          venue (first field present)      venue_kind
==================================  ==================  ===============================  ================
article                             journal article     journal, journaltitle            journal
article in CoRR / arXiv             preprint            journal (``arXiv:<id>`` cut)     preprint-server
inproceedings, conference           conference paper    booktitle                        conference
... with "workshop" in booktitle    workshop paper      booktitle                        workshop
incollection, inbook                book chapter        booktitle                        book
book                                book                series                           book
phdthesis / mastersthesis / thesis  PhD thesis / ...    school, institution              other
techreport, report                  report              institution                      other
manual                              manual              organization                     other
misc, unpublished, online, other    (none, or preprint  (none; or the eprint type,       (none, or
                                    with an arXiv       ``arXiv``)                        preprint-server)
                                    eprint)
==================================  ==================  ===============================  ================

``@proceedings``, ``@collection`` and ``@periodical`` entries are containers, not papers: they are
read only as ``crossref`` parents. A child takes from its parent the fields it lacks among
INHERITED_FIELDS, and the parent's ``title`` as its ``booktitle`` (BibLaTeX's rule); never the
parent's title, authors or identifiers. A ``crossref`` naming no entry of the file is refused, as
BibTeX refuses it.

A venue label with the entry's year folded in at its end (``Proc. NeurIPS'20``, ``ICML 2017``) is
kept without it (``Proc. NeurIPS``): the year is the version's, the venue is the series.

Identifiers (their values must match ``schema/records.schema.json``):

- ``doi`` (``\\_`` unescaped, ``https://doi.org/`` or ``doi:`` cut); a DataCite arXiv DOI
  (``10.48550/arXiv.2103.00001``) or a bare arXiv id in ``doi`` is an arXiv id instead; any other
  value that is not a DOI is refused. A ``url`` at ``doi.org`` gives the DOI when there is no ``doi``;
- arXiv: ``eprint`` with ``archivePrefix`` or ``eprinttype`` arXiv; the DOI above; a ``url`` at
  ``arxiv.org/abs/`` or ``/pdf/``; ``journal = {arXiv preprint arXiv:<id>}``; dblp's CoRR
  ``volume = {abs/<id>}``. When several are given they must name the same paper (a ``vN`` suffix
  aside), else the entry is refused;
- dblp: the key of a dblp export (``DBLP:conf/nips/KingmaB14``) or its ``biburl``
  (``https://dblp.org/rec/conf/nips/KingmaB14.bib``).

Authors are split at ``and`` outside braces (lists wrapped over lines, ``Last, First`` and
``First Last`` forms, ``{Barnes and Noble}`` kept whole) and written first name first; ``others``
(et al.) is dropped, as a record cannot say that its list is incomplete. An empty name (``and and``)
or one BibTeX cannot split (``Janzing, D., Scholkopf, B.``) is refused.

Each entry is one version of a paper: the same paper listed as a CoRR preprint, a conference paper
and a journal article is three records, and identity (kg.identity) decides they are one work.
Everything else an entry holds is dropped, listed with the reason in DROPPED_FIELDS.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace

import bibtexparser
from bibtexparser.exceptions import ParsingException
from bibtexparser.library import Library
from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, ParsingFailedBlock, String
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from pylatexenc.latexwalker import LatexWalker, LatexWalkerError
from pylatexenc.latexwalker import get_default_latex_context_db as get_walker_context_db

from kg.errors import InternalError, ParseError
from kg.parsers.cleaning import clean_text
from kg.parsers.identifiers import value_patterns
from kg.parsers.lines import iter_lines
from kg.parsers.page_layout import shorten
from kg.records import IDENTIFIER_SCHEMES, Identifier, PaperRecord, ParsedSource, ParseWarning
from kg.sources.files import RawSource

KIND = "bibtex"

# bibtexparser logs every block it cannot read; the ParseError says the same thing, once, and the
# command line prints one line per error.
_LIBRARY_LOG = logging.getLogger("bibtexparser")
_LIBRARY_LOG.addHandler(logging.NullHandler())
_LIBRARY_LOG.propagate = False

# The first line that is neither blank nor a % comment starts a block: @type{ or @type(.
_BLOCK_START = re.compile(r"^\s*@\s*[A-Za-z][\w-]*\s*[{(]")
_KEY_OF_RAW = re.compile(r"^\s*@\s*[A-Za-z][\w-]*\s*[{(]\s*([^,\s{}()]+)")


@dataclass(frozen=True)
class EntryType:
    """What an entry type says about the paper: its type label, where its venue is, the venue's kind."""

    type_label: str | None
    venue_fields: tuple[str, ...] = ()
    venue_kind: str | None = None
    may_be_preprint: bool = False  # an arXiv journal or eprint makes it a preprint


ENTRY_TYPES: dict[str, EntryType] = {
    "article": EntryType("journal article", ("journal", "journaltitle"), "journal", may_be_preprint=True),
    "inproceedings": EntryType("conference paper", ("booktitle",), "conference"),
    "conference": EntryType("conference paper", ("booktitle",), "conference"),
    "incollection": EntryType("book chapter", ("booktitle",), "book"),
    "inbook": EntryType("book chapter", ("booktitle",), "book"),
    "book": EntryType("book", ("series",), "book"),
    "phdthesis": EntryType("PhD thesis", ("school", "institution"), "other"),
    "mastersthesis": EntryType("master's thesis", ("school", "institution"), "other"),
    "thesis": EntryType("thesis", ("school", "institution"), "other"),
    "techreport": EntryType("report", ("institution",), "other"),
    "report": EntryType("report", ("institution",), "other"),
    "manual": EntryType("manual", ("organization",), "other"),
    "booklet": EntryType("booklet"),
    "unpublished": EntryType("manuscript", may_be_preprint=True),
    "misc": EntryType(None, may_be_preprint=True),
    "online": EntryType("web page", may_be_preprint=True),
    "electronic": EntryType("web page", may_be_preprint=True),
    "www": EntryType("web page", may_be_preprint=True),
}
_OTHER_TYPE = EntryType(None, may_be_preprint=True)  # an entry type BibTeX styles do not define
_PREPRINT = EntryType("preprint", venue_kind="preprint-server")
_WORKSHOP = EntryType("workshop paper", venue_kind="workshop")
# Containers: read as crossref parents, never as papers.
CONTAINER_TYPES = frozenset({"proceedings", "mvproceedings", "collection", "mvcollection", "periodical"})
# What a crossref child takes from its parent when it lacks it (the parent's title becomes the
# child's booktitle). Never the title, the authors, the identifiers or the abstract.
INHERITED_FIELDS = ("booktitle", "journal", "journaltitle", "year", "date", "series", "school", "institution",
                    "organization")

# Fields read, and the record field each gives.
READ_FIELDS = {
    "title": "title",
    "author": "authors (in order)",
    "editor": "authors, when there is no author (an edited book)",
    "year": "year (four digits)",
    "date": "year, when there is no year (BibLaTeX: the first four digits)",
    "journal, journaltitle, booktitle, series, school, institution, organization": "venue (see ENTRY_TYPES)",
    "abstract": "abstract",
    "crossref": "the parent entry whose fields are inherited (INHERITED_FIELDS)",
    "doi": "identifier doi (or arxiv)",
    "eprint, archiveprefix, eprinttype": "identifier arxiv (and a preprint's venue)",
    "url": "identifier arxiv (arxiv.org) or doi (doi.org); otherwise dropped",
    "biburl": "identifier dblp (dblp.org/rec/...)",
    "howpublished": "a preprint's venue when it names arXiv; otherwise dropped",
    "volume": "identifier arxiv of a dblp CoRR entry (abs/<id>); otherwise dropped",
}
# The field names READ_FIELDS lists one by one.
READ_NAMES = frozenset(name.strip() for names in READ_FIELDS for name in names.split(","))
# Fields dropped, with the reason: the records have no place for them, or they say nothing about
# the paper itself.
DROPPED_FIELDS = {
    "month": "the records keep a year only",
    "pages, volume (but dblp's CoRR abs/<id>), number, chapter, edition":
        "where in the venue: the records do not locate a paper in a volume",
    "publisher, address, location, isbn, issn": "facts about the venue or the book, not the paper",
    "editor (when there are authors)": "the editors of the proceedings or book, not authors of the paper",
    "note, annote, annotation, comment": "free text of the bibliography's keeper",
    "keywords, file, pdf, urldate, timestamp, bibsource, owner, groups, language": "reference-manager bookkeeping",
    "url (other than arxiv.org or doi.org)": "a link, not an identifier",
    "any other field": "not part of the record",
}

_DECODER_CONTEXT = get_default_latex_context_db()
_DECODER_CONTEXT.add_context_category(
    "kg-bibtex",
    prepend=True,
    macros=[
        MacroTextSpec("url", simplify_repl="%s"),
        MacroTextSpec("textasciicircum", simplify_repl="^"),
        MacroTextSpec("textasciitilde", simplify_repl="~"),
        *(MacroTextSpec(name, simplify_repl=lambda node: node.latex_verbatim())
          for name in ("cite", "citep", "citet", "citealp", "citeauthor", "citeyear", "ref", "eqref", "autoref",
                       "cref", "Cref")),
    ],
)
_DECODER = LatexNodes2Text(latex_context=_DECODER_CONTEXT, math_mode="verbatim", keep_braced_groups=False)
_WALKER_CONTEXT = get_walker_context_db()  # built once: pylatexenc would build it for every value
# Text with none of these is plain: no LaTeX to decode (most names, many titles).
_LATEX_SYNTAX = re.compile(r"[\\{}$~%]|--|``|''")
# A bare % in a value is a percent sign (BibTeX keeps it); to LaTeX it would start a comment.
_BARE_PERCENT = re.compile(r"(?<!\\)%")
# \^{} and \~{} are a literal ^ and ~ (dblp writes {\^{}}0 for ^0); pylatexenc would read an accent.
_LITERAL_ACCENT = re.compile(r"\\([\^~])\{\}")
_LITERAL_NAMES = {"^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}

_YEAR = re.compile(r"^\d{4}$")
_DATE_YEAR = re.compile(r"^(\d{4})(?:[-/]|$)")
# A year folded into the end of a venue label, right after its name: "Proc. NeurIPS'20", "ICML 2017",
# "NIPS (2014)"; not the date that ends a proceedings title ("..., June 24-28, 2024").
_FOLDED_YEAR = re.compile(r"(?<=[^\W\d_]|\.)(?:\s*['’‘`]\s*(?P<short>\d{2})|\s+\(?(?P<long>\d{4})\)?)\s*$")
_WORKSHOP_VENUE = re.compile(r"\bworkshops?\b", re.IGNORECASE)
_PREPRINT_VENUE = re.compile(r"\b(?:corr|arxiv)\b", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(r"\s*\barxiv:\s*(\S+?)[.,;]?$", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_ARXIV_PREFIX = re.compile(r"^arxiv:\s*", re.IGNORECASE)
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([^\s?#]+?)(?:\.pdf)?/?(?:[?#].*)?$", re.IGNORECASE)
_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.\S+)$", re.IGNORECASE)
_CORR_VOLUME = re.compile(r"^abs/(.+)$")
_ARXIV_VERSION = re.compile(r"v\d+$")
_DBLP_KEY = re.compile(r"^DBLP:(.+)$")
_DBLP_BIBURL = re.compile(r"^https?://dblp\.(?:org|uni-trier\.de)/rec/(?:bib\d?/)?(.+?)(?:\.bib)?$")
_LATEX_ESCAPE = re.compile(r"\\([_%&#$])")
_NOT_WORD = re.compile(r"[^\w]+|_+")  # as kg.identity.keys


def looks_like_bibtex(text: str) -> bool:
    """Whether the first line of ``text`` that is neither blank nor a ``%`` comment starts a BibTeX
    block: ``@`` and a type, then ``{`` or ``(`` (``@article{``, ``@String (``, any case)."""
    for _number, line in iter_lines(text):
        stripped = line.strip()
        if stripped and not stripped.startswith("%"):
            return bool(_BLOCK_START.match(line))
    return False


def parse_bibtex(raw: RawSource) -> ParsedSource:
    """Read every paper entry of a BibTeX file.

    Args:
        raw: the file.

    Returns:
        One PaperRecord per entry that is not a container (``@proceedings``, ...), in file order,
        its ``line`` the line the entry starts on; no subject, persons or facts.

    Raises:
        ParseError: the first problem in the file, by line: a block bibtexparser cannot read, a key
            or a field given twice, a ``crossref`` to no entry, an entry without a title, authors
            (or editors) or a readable year, an author name that cannot be split, a ``doi`` that
            is no DOI, arXiv ids that disagree; or no paper entry at all.
    """
    origin = raw.ref.origin
    library = read_library(origin, raw.text)
    problems = [block_problem(origin, block) for block in library.failed_blocks]
    entries = library.entries
    by_key = {entry.key.casefold(): entry for entry in entries}
    macros = Macros({string.key.casefold(): string for string in library.strings})
    papers: list[PaperRecord] = []
    for entry in entries:
        if entry.entry_type in CONTAINER_TYPES:
            continue
        try:
            papers.append(build_paper(origin, entry, by_key, macros))
        except ParseError as problem:  # the first in the file among entries; failed blocks may be earlier
            problems.append(problem)
            break
    if problems:
        raise min(problems, key=lambda problem: problem.line or 0)
    if not papers:
        raise ParseError(origin, None, f"no paper entry: {len(entries)} entries, all of them containers "
                                       f"({', '.join(sorted(CONTAINER_TYPES))}) or none")
    papers, warnings = settle_venue_kinds(origin, papers)
    return ParsedSource(ref=raw.ref, kind=KIND, papers=tuple(papers), warnings=tuple(warnings))


def settle_venue_kinds(origin: str, papers: list[PaperRecord]) -> tuple[list[PaperRecord], list[ParseWarning]]:
    """Leave unsaid the kind of a venue the file gives two kinds (``ICML`` as a ``booktitle`` here,
    as an ``article``'s ``journal`` there: Google Scholar exports do that), with a warning.

    A venue is one thing with one kind (the SHACL gate refuses a venue that is both a journal and a
    conference); which one the file means cannot be told, and the type label of each entry still
    says what that version is. Venue names are compared as identity compares them (case,
    accents and punctuation aside).
    """
    kinds: dict[str, dict[str, int]] = {}
    for paper in papers:
        if paper.venue is not None and paper.venue_kind is not None:
            kinds.setdefault(venue_fold(paper.venue), {}).setdefault(paper.venue_kind, paper.line)
    mixed = {venue: lines for venue, lines in kinds.items() if len(lines) > 1}
    if not mixed:
        return papers, []
    warnings = []
    for venue, lines in mixed.items():
        name = next(paper.venue for paper in papers if paper.venue and venue_fold(paper.venue) == venue)
        stated = " and ".join(f"a {kind} at line {line}" for kind, line in sorted(lines.items(), key=by_line))
        warnings.append(ParseWarning(origin, min(lines.values()),
                                     f"venue {shorten(name, 60)!r} is {stated}: its kind is left unsaid"))
    settled = [replace(paper, venue_kind=None) if paper.venue and venue_fold(paper.venue) in mixed else paper
               for paper in papers]
    return settled, warnings


def by_line(item: tuple[str, int]) -> int:
    """Sort key of a (kind, line) pair: the line."""
    return item[1]


def venue_fold(name: str) -> str:
    """A venue name as identity compares it (kg.identity.keys.venue_key, which a parser may not
    import): accents dropped, case folded, punctuation and spaces one space."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_WORD.sub(" ", bare.casefold()).strip()


def read_library(origin: str, text: str) -> Library:
    """Split ``text`` into blocks with bibtexparser's default middlewares (string macros resolved,
    enclosing braces and quotes removed).

    Raises:
        ParseError: bibtexparser gives up on the whole file (it keeps going past a bad block).
    """
    try:
        return bibtexparser.parse_string(text)
    except ParsingException as exc:  # an inconsistent state of bibtexparser itself
        raise ParseError(origin, None, f"not readable as BibTeX: {type(exc).__name__}: {exc}") from exc
    except RecursionError as exc:
        raise ParseError(origin, None, "not readable as BibTeX: braces nested too deeply") from exc


def block_problem(origin: str, block) -> ParseError:
    """The error for a block bibtexparser could not read, or read as a duplicate."""
    line = block.start_line + 1 if block.start_line is not None else None
    if isinstance(block, DuplicateBlockKeyBlock):
        what = "@string" if isinstance(block.previous_block, String) else "entry"
        previous = block.previous_block.start_line
        first = f" (first at line {previous + 1})" if previous is not None else ""
        return ParseError(origin, line, f"{what} {block.key!r}: duplicate key{first}: each entry needs its own key")
    key = raw_key(block.raw or "")
    where = f"entry {key!r}" if key else "block"
    if isinstance(block, DuplicateFieldKeyBlock):
        fields = ", ".join(repr(name) for name in sorted(block.duplicate_keys))
        return ParseError(origin, line, f"{where}: field {fields} given twice")
    error = block.error if isinstance(block, ParsingFailedBlock) else None
    reason = getattr(error, "abort_reason", None) or str(error or "") or type(error).__name__
    return ParseError(origin, line, f"{where}: not valid BibTeX: {shorten(' '.join(reason.split()), 160)}")


def raw_key(raw: str) -> str | None:
    """The key of an entry from its raw text (``@article{key, ...``), or None."""
    match = _KEY_OF_RAW.match(raw)
    return match.group(1) if match else None


def build_paper(origin: str, entry: Entry, by_key: Mapping[str, Entry], macros: Macros | None = None) -> PaperRecord:
    """Turn one entry into a PaperRecord, its missing fields inherited from its crossref parent.

    Raises:
        ParseError: at the entry's line, naming its key: what it lacks or holds that no record can.
    """
    line = entry.start_line + 1 if entry.start_line is not None else None

    def fail(problem: str) -> ParseError:
        return ParseError(origin, line, f"entry {entry.key!r} (@{entry.entry_type}): {problem}")

    fields = inherited_fields(entry, by_key, macros or Macros({}), fail)
    title = decoded(fields.get("title"), fail, "title")
    if not title:
        raise fail("no title")
    authors = names(fields, fail)
    year = read_year(fields, fail)
    type_label, venue, venue_kind = classify(entry.entry_type, fields, year, fail)
    return PaperRecord(
        title=title,
        line=line,
        authors=authors,
        abstract=decoded(fields.get("abstract"), fail, "abstract") or None,
        venue=venue,
        venue_kind=venue_kind,
        year=year,
        type_label=type_label,
        identifiers=identifiers(entry.key, fields, fail),
    )


def inherited_fields(entry: Entry, by_key: Mapping[str, Entry], macros: Macros, fail) -> dict[str, str]:
    """The entry's fields by lower-case name, with those it lacks taken from its crossref parents.

    Raises:
        ParseError: a field named twice in different case, or a crossref to no entry (or a cycle).
    """
    fields = own_fields(entry, macros, fail)
    seen = {entry.key.casefold()}
    while (parent_key := fields.pop("crossref", "").strip()) and parent_key.casefold() not in seen:
        parent = by_key.get(parent_key.casefold())
        if parent is None:
            raise fail(f"crossref {parent_key!r} names no entry of this file")
        seen.add(parent_key.casefold())
        inherited = own_fields(parent, macros, fail)
        for name in INHERITED_FIELDS:
            if name not in fields and name in inherited:
                fields[name] = inherited[name]
        if "booktitle" not in fields and "title" in inherited:
            fields["booktitle"] = inherited["title"]
        if "crossref" in inherited:
            fields["crossref"] = inherited["crossref"]
    return fields


def own_fields(entry: Entry, macros: Macros, fail) -> dict[str, str]:
    """An entry's fields by lower-case name (BibTeX field names ignore case), concatenations resolved.

    Raises:
        ParseError: the same field given twice in different case (``title`` and ``Title``), or a
            field that is read (READ_NAMES) naming a macro no ``@string`` defines.
    """
    fields: dict[str, str] = {}
    for field in entry.fields:
        name = field.key.lower()
        if name in fields:
            raise fail(f"field {name!r} given twice")
        value = field.value if isinstance(field.value, str) else str(field.value)
        if field.enclosing == "no-enclosing":  # what bibtexparser left: a concatenation or an undefined macro
            try:
                value = macros.resolve(value)
            except UndefinedMacro as exc:
                if name in READ_NAMES:
                    raise fail(f"field {name!r}: {exc}") from exc
        fields[name] = value
    return fields


class UndefinedMacro(InternalError, ValueError):
    """A bare word in a value that no ``@string`` defines (BibTeX warns and reads it as empty); the
    parser turns it into a ParseError naming the entry."""


class Macros:
    """The ``@string`` macros of a file (and BibTeX's predefined months), to resolve what
    bibtexparser leaves unresolved: ``"Proc. " # nips # "'20"`` -> ``Proc. NeurIPS'20``."""

    MONTHS = {name[:3].lower(): name for name in ("January", "February", "March", "April", "May", "June", "July",
                                                   "August", "September", "October", "November", "December")}
    MAX_DEPTH = 32  # a macro defined by a macro defined by ...; a cycle ends here

    def __init__(self, strings: Mapping[str, String]):
        self.strings = strings

    def resolve(self, value: str, depth: int = 0) -> str:
        """The text of an unenclosed value: its ``#``-joined parts, each braced, quoted, a number or a macro.

        Raises:
            UndefinedMacro: a part is a word no ``@string`` defines, or macros nest too deeply.
        """
        if depth > self.MAX_DEPTH:
            raise UndefinedMacro(f"@string macros nest more than {self.MAX_DEPTH} deep (a cycle?)")
        pieces = []
        for part in split_concatenation(value):
            if len(part) >= 2 and (part[0], part[-1]) in (("{", "}"), ('"', '"')):
                pieces.append(part[1:-1])
            elif part.isdigit():
                pieces.append(part)
            elif (string := self.strings.get(part.casefold())) is not None:
                text = string.value if isinstance(string.value, str) else str(string.value)
                pieces.append(self.resolve(text, depth + 1) if string.enclosing == "no-enclosing" else text)
            elif part.casefold() in self.MONTHS:
                pieces.append(self.MONTHS[part.casefold()])
            else:
                raise UndefinedMacro(f"{shorten(part, 40)!r} is neither text in braces or quotes, a number, "
                                     "nor a macro an @string of this file defines")
        return "".join(pieces)


def split_concatenation(value: str) -> list[str]:
    """The parts of a BibTeX value joined by ``#`` outside braces and quotes, stripped."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    quoted = False
    for char in value:
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        elif char == '"' and depth == 0:
            quoted = not quoted
        if char == "#" and depth == 0 and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def decode(value: str, fail, field: str) -> str:
    """LaTeX -> Unicode text, maths kept verbatim, then cleaned (whitespace collapsed, NFC).

    Raises:
        ParseError: the value nests braces too deeply to decode, or pylatexenc cannot read it.
    """
    if not _LATEX_SYNTAX.search(value):
        return clean_text(value)
    value = _BARE_PERCENT.sub(r"\\%", _LITERAL_ACCENT.sub(lambda match: _LITERAL_NAMES[match.group(1)], value))
    try:
        nodes, _position, _length = LatexWalker(value, latex_context=_WALKER_CONTEXT,
                                                tolerant_parsing=True).get_latex_nodes()
        text = _DECODER.nodelist_to_text(nodes)
    except RecursionError as exc:
        raise fail(f"field {field!r}: braces nested too deeply") from exc
    except LatexWalkerError as exc:
        raise fail(f"field {field!r}: not readable as LaTeX: {shorten(' '.join(str(exc).split()), 120)}") from exc
    return clean_text(text)


def decoded(value: str | None, fail, field: str) -> str:
    """The decoded text of an optional field ("" when absent or empty)."""
    return decode(value, fail, field) if value is not None else ""


def names(fields: Mapping[str, str], fail) -> tuple[str, ...]:
    """The author list (the editors when there is no author), first name first, ``others`` dropped.

    Raises:
        ParseError: no author and no editor, an empty name, or a name BibTeX cannot split.
    """
    role = "author" if fields.get("author", "").strip() else "editor"
    value = fields.get(role, "")
    if not value.strip():
        raise fail("no author and no editor")
    found: list[str] = []
    for position, name in enumerate(split_names(value), start=1):
        if not name:
            raise fail(f"{role} list has an empty name at position {position} (two 'and' in a row?)")
        if name.casefold() == "others":
            continue
        try:
            parts = parse_single_name_into_parts(name)
        except InvalidNameError as exc:
            raise fail(f"{role} name {shorten(name, 80)!r} cannot be split into first and last names: "
                       f"{exc.reason}") from exc
        spelled = decode(parts.merge_first_name_first, fail, role)
        if not spelled:
            raise fail(f"{role} name {shorten(name, 80)!r} is empty once decoded")
        found.append(spelled)
    if not found:
        raise fail(f"no {role} but 'others'")
    return tuple(found)


def split_names(value: str) -> list[str]:
    """Split a BibTeX name list at the word ``and`` (any case) outside braces; whitespace, line
    breaks included, is collapsed. ``"A and {B and C}"`` -> ``["A", "{B and C}"]``."""
    words: list[str] = []
    word: list[str] = []
    depth = 0
    for char in value:
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        if char.isspace() and depth == 0:
            if word:
                words.append("".join(word))
                word = []
        else:
            word.append(char)
    if word:
        words.append("".join(word))
    found: list[str] = []
    current: list[str] = []
    for token in words:
        if token.casefold() == "and":
            found.append(" ".join(current))
            current = []
        else:
            current.append(token)
    found.append(" ".join(current))
    return found


def read_year(fields: Mapping[str, str], fail) -> int:
    """The year: ``year`` (four digits, braces and spaces aside), else the start of a BibLaTeX ``date``.

    Raises:
        ParseError: neither is there, or the one there is not a year from 1000 to 2999.
    """
    if "year" in fields:
        text = fields["year"].replace("{", "").replace("}", "").strip()
        if not _YEAR.match(text) or not 1000 <= int(text) <= 2999:
            raise fail(f"year {shorten(fields['year'], 40)!r} is not a year (four digits, 1000 to 2999)")
        return int(text)
    if "date" in fields:
        match = _DATE_YEAR.match(fields["date"].strip())
        if not match or not 1000 <= int(match.group(1)) <= 2999:
            raise fail(f"date {shorten(fields['date'], 40)!r} does not start with a year (YYYY-MM-DD)")
        return int(match.group(1))
    raise fail("no year (and no date)")


def classify(entry_type: str, fields: Mapping[str, str], year: int, fail) -> tuple[str | None, str | None, str | None]:
    """``(type_label, venue, venue_kind)`` of an entry (ENTRY_TYPES); venue_kind is None without a venue."""
    kind = ENTRY_TYPES.get(entry_type, _OTHER_TYPE)
    venue = next((text for name in kind.venue_fields if (text := decoded(fields.get(name), fail, name))), None)
    if kind.may_be_preprint:
        howpublished = decoded(fields.get("howpublished"), fail, "howpublished")
        stated = venue or (howpublished if _PREPRINT_VENUE.search(howpublished) else None)
        if stated is not None and _PREPRINT_VENUE.search(stated):
            kind, venue = _PREPRINT, _ARXIV_IN_TEXT.sub("", stated).strip() or stated
        elif venue is None and arxiv_eprint(fields) is not None:
            kind, venue = _PREPRINT, decoded(eprint_type(fields), fail, "eprinttype") or "arXiv"
    elif kind.venue_kind == "conference" and venue and _WORKSHOP_VENUE.search(venue):
        kind = _WORKSHOP
    if venue is None:
        return kind.type_label, None, None
    return kind.type_label, fold_out_year(venue, year), kind.venue_kind


def fold_out_year(venue: str, year: int) -> str:
    """The venue label without the entry's year folded into its end (``Proc. NeurIPS'20`` with year
    2020 -> ``Proc. NeurIPS``); another year, or a label that is only a year, is kept as it is."""
    match = _FOLDED_YEAR.search(venue)
    if match is None:
        return venue
    short, full = match.group("short"), match.group("long")
    if (short and int(short) == year % 100) or (full and int(full) == year):
        return venue[: match.start()].rstrip(" ,-–—") or venue
    return venue


def eprint_type(fields: Mapping[str, str]) -> str:
    """The eprint's archive as stated (``archivePrefix`` or BibLaTeX's ``eprinttype``), or ""."""
    return (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip()


def arxiv_eprint(fields: Mapping[str, str]) -> str | None:
    """The ``eprint`` when it is an arXiv one (its archive says arXiv, or it is written ``arXiv:<id>``)."""
    eprint = unescaped(fields.get("eprint", ""))
    if not eprint:
        return None
    if eprint_type(fields).replace("{", "").replace("}", "").casefold() == "arxiv" or _ARXIV_PREFIX.match(eprint):
        return _ARXIV_PREFIX.sub("", eprint)
    return None


def identifiers(key: str, fields: Mapping[str, str], fail) -> tuple[Identifier, ...]:
    """The entry's identifiers, in the order of IDENTIFIER_SCHEMES.

    Raises:
        ParseError: a ``doi`` that is no DOI, an arXiv ``eprint`` that is no arXiv id, or two arXiv
            ids that name different papers.
    """
    patterns = value_patterns()
    found: dict[str, str] = {}
    dblp = dblp_record(key, fields.get("biburl", ""))
    if dblp is not None:
        found["dblp"] = dblp
    arxiv: list[tuple[str, str]] = []  # (where, id), by priority
    if (eprint := arxiv_eprint(fields)) is not None:
        if not patterns["arxiv"].search(eprint):
            raise fail(f"eprint {shorten(eprint, 60)!r} is not an arXiv identifier (2103.00001 or hep-th/9901001)")
        arxiv.append(("eprint", eprint))
    doi = unescaped(fields.get("doi", ""))
    if not doi and (doi_url := _DOI_URL.match(unescaped(fields.get("url", "")))):
        doi = doi_url.group(1)
    if doi:
        bare = _DOI_PREFIX.sub("", doi).strip()
        in_doi = _ARXIV_DOI.match(bare)
        candidate = _ARXIV_PREFIX.sub("", in_doi.group(1) if in_doi else bare)
        if patterns["arxiv"].search(candidate):
            arxiv.append(("doi", candidate))
        elif patterns["doi"].search(bare):
            found["doi"] = bare
        else:
            raise fail(f"doi {shorten(doi, 60)!r} is not a DOI (10.<registrant>/<suffix>) nor an arXiv identifier")
    for where, text, pattern in (("url", fields.get("url", ""), _ARXIV_URL),
                                 ("journal", fields.get("journal", ""), _ARXIV_IN_TEXT),
                                 ("howpublished", fields.get("howpublished", ""), _ARXIV_IN_TEXT)):
        if (match := pattern.search(unescaped(text))) and patterns["arxiv"].search(match.group(1)):
            arxiv.append((where, match.group(1)))
    if _PREPRINT_VENUE.search(fields.get("journal", "")) and (volume := _CORR_VOLUME.match(fields.get("volume", ""))):
        if patterns["arxiv"].search(volume.group(1)):
            arxiv.append(("volume", volume.group(1)))
    if arxiv:
        found["arxiv"] = one_arxiv_id(arxiv, fail)
    return tuple(Identifier(scheme, found[scheme]) for scheme in IDENTIFIER_SCHEMES if scheme in found)


def one_arxiv_id(candidates: list[tuple[str, str]], fail) -> str:
    """The arXiv id the fields agree on: the first given, or the first without a version suffix.

    Raises:
        ParseError: two of them name different papers.
    """
    first_where, first = candidates[0]
    base = _ARXIV_VERSION.sub("", first).casefold()
    for where, other in candidates[1:]:
        if _ARXIV_VERSION.sub("", other).casefold() != base:
            raise fail(f"arXiv ids disagree: {first!r} ({first_where}) and {other!r} ({where})")
    return next((value for _where, value in candidates if not _ARXIV_VERSION.search(value)), first)


def dblp_record(key: str, biburl: str) -> str | None:
    """The dblp record key of a dblp export's entry (``DBLP:conf/nips/KingmaB14``) or of its ``biburl``."""
    patterns = value_patterns()
    for match in (_DBLP_KEY.match(key.strip()), _DBLP_BIBURL.match(biburl.strip())):
        if match and patterns["dblp"].search(match.group(1)):
            return match.group(1)
    return None


def unescaped(value: str) -> str:
    """A verbatim field (DOI, URL, eprint) without LaTeX's escapes and braces
    (``10.1007/x\\_13`` -> ``10.1007/x_13``)."""
    return _LATEX_ESCAPE.sub(r"\1", value).replace("{", "").replace("}", "").strip()


__all__ = ["CONTAINER_TYPES", "DROPPED_FIELDS", "ENTRY_TYPES", "INHERITED_FIELDS", "KIND", "READ_FIELDS",
           "looks_like_bibtex", "parse_bibtex"]
