"""Parse an Arrow "Author name cluster" page: the papers a search site groups under one exact name.

Page shape (see ``data/records/arrow-author-cluster-leon-bottou.txt``)::

    Arrow Research search                      site_name
    Author name cluster                        page_title
    Leon Bottou                                the subject
    Possible papers associated with ...        page_description
    10 papers / 1 author row                   stated_paper_count, stated_author_row_count
    Possible papers / 10                       heading (chrome) and the paper count restated
    NeurIPS Conference 2025 Conference Paper   entry header: <Venue> <Kind> <year> <Type label>
    Memory Mosaics at scale                    title
      • Jianyu Zhang                           authors, in order
    Memory Mosaics, networks of ...            optional abstract (JMLR trailer removed)

Entries are found by structure, not by pattern: each bullet list is the author list of one entry,
the two paragraphs before it are its header and title, and the paragraph after it (if any) is
its abstract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.errors import ParseError
from kg.parsers.cleaning import clean_text, split_abstract_trailer
from kg.parsers.page_layout import (
    COUNT,
    YEAR,
    Block,
    Prelude,
    check_restated_count,
    check_stated_count,
    count_value,
    find_fact,
    heads_with,
    is_yearish,
    missing_title_error,
    page_source,
    read_prelude,
    split_blocks,
)
from kg.records import PageFact, PaperRecord, ParsedSource
from kg.sources.files import RawSource

KIND = "arrow-author-cluster"
PAGE_TITLE = "Author name cluster"
HEADING = "Possible papers"

# Every line of a cluster page that is read and deliberately not kept, with the reason.
DROPPED_CHROME = (
    (HEADING, "heading of the paper list"),
    (f"<N> under {HEADING!r}", "restates stated_paper_count; checked against it and the entries, not kept twice"),
)

_VENUE_KINDS = {
    "conference": "conference",
    "journal": "journal",
    "workshop": "workshop",
    "preprint": "preprint-server",
    "repository": "preprint-server",
    "book": "book",
}
_FIELDS = (
    (re.compile(r"^Possible papers associated with .+$"), "page_description", str),
    (re.compile(rf"^({COUNT}) papers?$"), "stated_paper_count", int),
    (re.compile(rf"^({COUNT}) author rows?$"), "stated_author_row_count", int),
)
_HEADER_FORM = "'<Venue> <Kind> <year> <Type label>', e.g. 'NeurIPS Conference 2025 Conference Paper'"


@dataclass(frozen=True)
class EntryBlocks:
    """The blocks of one entry as laid out on the page; any part may be missing."""

    header: Block | None
    title: Block | None
    authors: Block | None
    abstract: Block | None

    @property
    def line(self) -> int:
        """Line of the entry: its header, or whatever part comes first."""
        return next(block.line for block in (self.header, self.title, self.authors) if block)


def looks_like_arrow_cluster(text: str) -> bool:
    """Whether ``text`` is an author-cluster page: 'Author name cluster' on its first or second line
    (blank lines aside), after the site name."""
    return heads_with(text, PAGE_TITLE)


def parse_arrow_cluster(raw: RawSource) -> ParsedSource:
    """Read an author-cluster page into its subject, papers and facts.

    Args:
        raw: the page.

    Returns:
        The subject (the cluster's name), one PaperRecord per entry in page order (duplicates
        kept) and the page's facts.

    Raises:
        ParseError: a stated count disagrees with the entries parsed (checked first, so a
            truncated page is reported as such), or an entry has no header, title, author list
            or readable year, or a line is not recognised.
    """
    origin = raw.ref.origin
    prelude_blocks, entries, extra = group_entries(split_blocks(raw.text))
    problems: list[ParseError] = []
    prelude = read_prelude(origin, prelude_blocks, KIND, PAGE_TITLE, read_prelude_line, problems)

    def check_counts(parsed: int) -> tuple:
        check_cluster_counts(origin, prelude, parsed)
        return ()

    return page_source(raw, KIND, prelude, entries, extra, build_paper, check_counts, problems)


def read_prelude_line(line: int, text: str, prelude: Prelude) -> bool:
    """Read one line before the entries into ``prelude``; return False if it is not recognised."""
    restates = prelude.previous == HEADING and re.fullmatch(COUNT, text)
    if restates:
        prelude.restated.append(PageFact("stated_paper_count", count_value(text), line))
        return True
    if text == HEADING:
        return True
    for pattern, name, convert in _FIELDS:
        if match := pattern.match(text):
            value = clean_text(match.group(0)) if convert is str else count_value(match.group(1))
            prelude.facts.append(PageFact(name, value, line))
            return True
    return False


def check_cluster_counts(origin: str, prelude: Prelude, parsed: int) -> None:
    """Check both statements of the paper count against each other and the entries parsed.

    When the page states the count only under the heading, that statement becomes the
    ``stated_paper_count`` fact. Unlike a profile's follow button, the number under the heading is
    not cosmetic: it counts the listed papers, so a difference may mean a truncated page and
    refuses it. (The author row count has no second statement and no list to check it against.)

    Raises:
        ParseError: at the line of the disagreeing statement.
    """
    stated = find_fact(prelude.facts, "stated_paper_count")
    if stated is None and prelude.restated:
        stated = prelude.restated[0]
        prelude.facts.append(stated)
    check_stated_count(origin, stated, "papers", parsed)
    for restated in prelude.restated:
        check_restated_count(origin, stated, restated, "papers", f"{restated.value} under {HEADING!r}")


def group_entries(blocks: list[Block]) -> tuple[list[Block], list[EntryBlocks], list[Block]]:
    """Split the page's blocks into the prelude, the entries and blocks that fit nowhere.

    Returns:
        ``(prelude, entries, extra)``; an entry cut off before its author list (a truncated
        page) is still an entry, so that the count check sees it.
    """
    segments: list[list[Block]] = [[]]
    author_lists: list[Block] = []
    for block in blocks:
        if block.is_bullets:
            author_lists.append(block)
            segments.append([])
        else:
            segments[-1].append(block)
    if not author_lists:
        return split_tail(segments[0])
    prelude, header, title = split_entry_start(segments[0])
    entries: list[EntryBlocks] = []
    extra: list[Block] = []
    for authors, following in zip(author_lists[:-1], segments[1:-1], strict=True):
        rest, next_header, next_title = split_entry_start(following)
        entries.append(EntryBlocks(header, title, authors, rest[0] if rest else None))
        extra += rest[1:]
        header, title = next_header, next_title
    rest, dangling, more = split_tail(segments[-1])
    entries.append(EntryBlocks(header, title, author_lists[-1], rest[0] if rest else None))
    return prelude, entries + dangling, extra + rest[1:] + more


def split_entry_start(segment: list[Block]) -> tuple[list[Block], Block | None, Block | None]:
    """Take the header and title of the next entry off the end of the paragraphs before its authors.

    Returns:
        ``(rest, header, title)``: what comes before (an abstract or the prelude), the header
        and the title; header or title is None when the page lacks it.
    """
    if len(segment) >= 2 and not (looks_like_header(segment[-1]) and not looks_like_header(segment[-2])):
        return segment[:-2], segment[-2], segment[-1]
    if segment and looks_like_header(segment[-1]):
        return segment[:-1], segment[-1], None
    return segment, None, None


def split_tail(segment: list[Block]) -> tuple[list[Block], list[EntryBlocks], list[Block]]:
    """Split paragraphs with no author list after them: what precedes any entry header, the entries
    begun but cut off before their author list, and paragraphs that fit nowhere."""
    start = next((i for i, block in enumerate(segment) if looks_like_header(block)), len(segment))
    dangling: list[EntryBlocks] = []
    extra: list[Block] = []
    for block in segment[start:]:
        if looks_like_header(block):
            dangling.append(EntryBlocks(block, None, None, None))
        elif dangling[-1].title is None:
            dangling[-1] = EntryBlocks(dangling[-1].header, block, None, None)
        else:
            extra.append(block)
    return segment[:start], dangling, extra


def looks_like_header(block: Block) -> bool:
    """Whether a paragraph has the shape of an entry header: a short line with a year after the
    venue and kind and before the type label. Used only where the layout is ambiguous."""
    tokens = block.text.split()
    if len(block.lines) != 1 or len(tokens) > 15 or block.text.endswith("."):
        return False
    return any(is_yearish(token) for token in tokens[2:-1])


def build_paper(origin: str, entry: EntryBlocks, problems: list[ParseError]) -> PaperRecord | None:
    """Turn one entry's blocks into a PaperRecord; record what is wrong with it in ``problems``."""
    if entry.header is None:
        detail = f"author list at line {entry.line} has no entry header before it (expected {_HEADER_FORM})"
        problems.append(ParseError(origin, entry.line, detail))
        return None
    if missing := missing_title_error(origin, entry.line, entry.title):
        problems.append(missing)
        return None
    if entry.authors is None:
        detail = f"entry at line {entry.line} has no author list (expected '  • Name' lines after the title)"
        problems.append(ParseError(origin, entry.line, detail))
        return None
    try:
        venue, venue_kind, year, type_label = parse_entry_header(origin, entry.header)
        authors = read_authors(origin, entry)
    except ParseError as problem:
        problems.append(problem)
        return None
    abstract, copyright_ = split_abstract_trailer(clean_text(entry.abstract.text)) if entry.abstract else (None, None)
    return PaperRecord(
        title=clean_text(entry.title.text),
        line=entry.line,
        authors=authors,
        abstract=abstract or None,
        venue=venue,
        venue_kind=venue_kind,
        year=year,
        type_label=type_label,
        copyright=copyright_,
    )


def read_authors(origin: str, entry: EntryBlocks) -> tuple[str, ...]:
    """Return the cleaned names of an entry's author bullets, in page order.

    Raises:
        ParseError: at a bullet with no name (``  •`` alone, or only markup).
    """
    names = tuple(clean_text(name) for name in entry.authors.bullet_items())
    for offset, name in enumerate(names):
        if not name:
            line = entry.authors.line + offset  # a block's lines are consecutive
            detail = f"author bullet at line {line} of the entry at line {entry.line} has no name"
            raise ParseError(origin, line, detail)
    return names


def parse_entry_header(origin: str, block: Block) -> tuple[str, str | None, int, str]:
    """Read ``<Venue> <Kind> <year> <Type label>``.

    Returns:
        ``(venue, venue_kind, year, type_label)``; venue_kind is None when the header names no kind.

    Raises:
        ParseError: the header has no year, or its year is not 4 digits.
    """
    text = clean_text(block.text)
    tokens = text.split()
    years = [i for i, token in enumerate(tokens) if 1 <= i < len(tokens) - 1 and is_yearish(token)]
    if not years:
        raise ParseError(origin, block.line, f"entry header {text!r} has no year (expected {_HEADER_FORM})")
    index = years[-1]
    if not YEAR.match(tokens[index]):
        detail = f"unreadable year {tokens[index]!r} in entry header {text!r} (expected 4 digits)"
        raise ParseError(origin, block.line, detail)
    venue, venue_kind = split_venue_kind(tokens[:index])
    return venue, venue_kind, int(tokens[index]), " ".join(tokens[index + 1 :])


def split_venue_kind(tokens: list[str]) -> tuple[str, str | None]:
    """Split ``NeurIPS Conference`` into ``("NeurIPS", "conference")``; see _VENUE_KINDS.

    A kind word the table does not know maps to ``"other"``; a lone word is a venue of no stated kind.
    """
    if len(tokens) >= 3 and [token.lower() for token in tokens[-2:]] == ["preprint", "server"]:
        return " ".join(tokens[:-2]), "preprint-server"
    if len(tokens) == 1:
        return tokens[0], None
    return " ".join(tokens[:-1]), _VENUE_KINDS.get(tokens[-1].lower(), "other")
