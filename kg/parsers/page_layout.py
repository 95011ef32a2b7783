"""Layout of a copied web page: blocks of lines, stated counts and the errors both page parsers share.

A page copied as plain text is a sequence of blocks separated by blank lines; a bullet list
(``  • Name`` lines) is a block of its own even when no blank line sets it apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kg.errors import ParseError
from kg.parsers.cleaning import clean_text
from kg.parsers.lines import first_nonblank_lines
from kg.records import PageFact, PaperRecord, ParsedSource, ParseWarning, PersonRecord
from kg.sources.files import RawSource

_BULLET = re.compile(r"^\s*•\s*(?P<item>.*)$")
# A token that is meant as a year but may be misspelt: starts with 1 or 2, 3 to 5 characters, at
# least 3 digits ("2025", "20X5", "202", "20255"). "10B" or "GPT-4" are not years.
_YEARISH = re.compile(r"^[12][0-9A-Za-z]{2,4}$")
YEAR = re.compile(r"^\d{4}$")
# A stated count: digits, perhaps grouped with commas ("1,234"). At most 18 characters, so that a
# line of a thousand digits is an unrecognised line, not a number int() refuses to convert.
COUNT = r"\d[\d,]{0,17}"


@dataclass(frozen=True)
class Block:
    """Consecutive non-blank lines of a page: a paragraph or a bullet list."""

    line: int  # 1-based number of its first line
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The block's lines, stripped and joined by one space."""
        return " ".join(line.strip() for line in self.lines)

    @property
    def is_bullets(self) -> bool:
        """Whether every line of the block is a ``•`` bullet."""
        return all(_BULLET.match(line) for line in self.lines)

    def bullet_items(self) -> list[str]:
        """Return the text of each bullet, in page order."""
        return [_BULLET.match(line).group("item").strip() for line in self.lines]


def split_blocks(text: str) -> list[Block]:
    """Split page text into blocks at blank lines and where bullets start or stop.

    Args:
        text: the page, newline-normalised.

    Returns:
        The blocks in page order, each with the number of its first line.
    """
    blocks: list[Block] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        is_bullet = bool(_BULLET.match(line))
        if current and (not line.strip() or is_bullet != bool(_BULLET.match(current[-1]))):
            blocks.append(Block(start, tuple(current)))
            current = []
        if line.strip():
            start = number if not current else start
            current.append(line)
    if current:
        blocks.append(Block(start, tuple(current)))
    return blocks


# The longest titles of real papers are about 250 characters; a longer "title" is the abstract of
# an entry whose title is missing.
MAX_TITLE_CHARS = 300


def missing_title_error(origin: str, line: int, title: Block | None) -> ParseError | None:
    """Return the error for an entry whose title is missing, or None if ``title`` reads as one.

    A title is missing when there is no block for it, when nothing is left of the block once markup
    is removed, or when the block is too long to be a title: then it is the entry's abstract, moved
    up into the title's place.
    """
    if title is None:
        return ParseError(origin, line, f"entry at line {line} has no title")
    if not clean_text(title.text):
        detail = f"entry at line {line} has no title: line {title.line} is empty once HTML tags are removed"
        return ParseError(origin, line, detail)
    if len(title.text) > MAX_TITLE_CHARS:
        detail = (f"entry at line {line} has no title: the paragraph at line {title.line} has {len(title.text):,} "
                  f"characters, an abstract rather than a title (titles have at most {MAX_TITLE_CHARS})")
        return ParseError(origin, line, detail)
    return None


def count_value(text: str) -> int:
    """The value of a stated count matched by COUNT: ``"1,234"`` -> 1234."""
    return int(text.replace(",", ""))


def heads_with(text: str, title: str) -> bool:
    """Whether ``title`` is the first or second non-blank line of ``text`` (after a site name)."""
    return any(line.strip() == title for _, line in first_nonblank_lines(text, 2))


def is_yearish(token: str) -> bool:
    """Whether ``token`` is a year, possibly unreadable: ``2025``, ``20X5``, ``202``."""
    return bool(_YEARISH.match(token)) and sum(char.isdigit() for char in token) >= 3


def shorten(text: str, limit: int = 60) -> str:
    """Cut ``text`` to ``limit`` characters for an error message, marking the cut with ``...``."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def unrecognised_line_error(origin: str, line: int, text: str, kind: str) -> ParseError:
    """Build the error for a line that is neither a known field, an entry nor known page chrome."""
    return ParseError(
        origin,
        line,
        f"unrecognised line {shorten(text, 80)!r}: not a field, an entry or known page chrome of kind {kind}; "
        "refusing to drop it",
    )


def check_stated_count(origin: str, fact: PageFact | None, noun: str, parsed: int) -> None:
    """Check that a count the page states equals the number of entries parsed.

    Args:
        origin: the source, for the error message.
        fact: the stated count (None when the page does not state it: nothing to check).
        noun: what the page counts, plural ("papers", "works").
        parsed: the number of entries parsed.

    Raises:
        ParseError: at the line of the count, naming both numbers.
    """
    if fact is not None and fact.value != parsed:
        entries = "entry was" if parsed == 1 else "entries were"
        raise ParseError(origin, fact.line, f"page states {fact.value} {noun} but {parsed} {entries} parsed")


def restated_count_disagreement(fact: PageFact | None, restated: PageFact, noun: str, restatement: str) -> str | None:
    """Say how a count the page states twice disagrees with itself, or return None if it does not.

    Args:
        fact: the first statement, or None when the page makes only the second one (nothing to
            compare).
        restated: the second statement (its ``name`` is the fact it restates).
        noun: what is counted, plural.
        restatement: the second statement, e.g. ``"'Follow researcher3' says 3"``.

    Returns:
        ``"page states 2 followers at line 15 but 'Follow researcher3' says 3"``, or None when
        both statements have the same value. The caller decides whether that is an error (a count
        of listed papers) or a warning (a cosmetic restatement).
    """
    if fact is not None and fact.value != restated.value:
        return f"page states {fact.value} {noun} at line {fact.line} but {restatement}"
    return None


def check_restated_count(origin: str, fact: PageFact | None, restated: PageFact, noun: str, restatement: str) -> None:
    """Check that a count the page states twice has the same value both times.

    Args: as :func:`restated_count_disagreement`, and ``origin``, the source for the error message.

    Raises:
        ParseError: at the line of the second statement, naming both values and lines.
    """
    if detail := restated_count_disagreement(fact, restated, noun, restatement):
        raise ParseError(origin, restated.line, detail)


def find_fact(facts: list[PageFact], name: str) -> PageFact | None:
    """Return the first fact called ``name``, or None."""
    return next((fact for fact in facts if fact.name == name), None)


@dataclass
class Prelude:
    """What the lines before a page's entries state, filled in line by line."""

    subject: str
    subject_line: int
    facts: list[PageFact]
    restated: list[PageFact]  # second statements of a count, checked against the first
    previous: str = ""  # the line read just before the current one
    position: int = 0  # of the current line, counting from 0 at the line after the subject


def read_prelude(
    origin: str,
    blocks: list[Block],
    kind: str,
    page_title: str,
    read_line: Callable[[int, str, Prelude], bool],
    problems: list[ParseError],
) -> Prelude:
    """Read the lines before the entries: ``[site name]``, page title, subject name, then fields.

    Args:
        origin: the source, for error messages.
        blocks: the blocks before the first entry.
        kind: the page kind, for error messages.
        page_title: the page's heading, which the subject's name follows.
        read_line: reads one later line into the prelude; returns False if it is not recognised.
        problems: where an unrecognised line is reported.

    Raises:
        ParseError: the page title or the subject name is missing (or empty once cleaned).
    """
    lines = [(block.line + i, line.strip()) for block in blocks for i, line in enumerate(block.lines)]
    titles = [i for i, (_, text) in enumerate(lines) if text == page_title]
    if not titles or titles[0] > 1:
        raise ParseError(origin, lines[0][0] if lines else 1, f"expected {page_title!r} on the first or second line")
    facts = [PageFact("page_title", page_title, lines[titles[0]][0])]
    if titles[0] == 1:
        facts.insert(0, PageFact("site_name", clean_text(lines[0][1]), lines[0][0]))
    if len(lines) <= titles[0] + 1:
        raise ParseError(origin, lines[titles[0]][0], f"page has no subject name after {page_title!r}")
    subject_line, subject = lines[titles[0] + 1]
    if not clean_text(subject):
        detail = f"page has no subject name after {page_title!r}: line {subject_line} is empty once tags are removed"
        raise ParseError(origin, subject_line, detail)
    prelude = Prelude(clean_text(subject), subject_line, facts, [], subject)
    for position, (line, text) in enumerate(lines[titles[0] + 2 :]):
        prelude.position = position
        if not read_line(line, text, prelude):
            problems.append(unrecognised_line_error(origin, line, text, kind))
        prelude.previous = text
    return prelude


def page_source(raw: RawSource, kind: str, prelude: Prelude, entries: list, extra: list[Block],
                build_paper: Callable[[str, list, list[ParseError]], PaperRecord | None],
                check_counts: Callable[[int], tuple[ParseWarning, ...]], problems: list[ParseError]) -> ParsedSource:
    """The parsed page: its papers (``build_paper`` per entry) about the page's subject.

    Raises:
        ParseError: the first problem by line, after the stated counts were checked against the
            entries (``check_counts`` raises, or returns warnings), so a truncated page says so.
    """
    origin = raw.ref.origin
    papers = [paper for entry in entries if (paper := build_paper(origin, entry, problems))]
    problems += [unrecognised_line_error(origin, block.line, block.text, kind) for block in extra]
    warnings = check_counts(len(entries))
    if problems:
        raise min(problems, key=lambda problem: problem.line or 0)
    return ParsedSource(ref=raw.ref, kind=kind, subject=PersonRecord(name=prelude.subject, line=prelude.subject_line),
                        papers=tuple(papers), facts=tuple(prelude.facts), warnings=tuple(warnings))
