"""Parse a research-network "Researcher profile" page: one researcher, their stated counts and works.

Page shape (see ``data/records/researcher-profile-leon-bottou.txt``)::

    Researcher profile                                       page_title
    Léon Bottou                                              the subject
    Léon Bottou contributes to ...                           subject_description
    ResearcherAffiliation not importedOpen to collaborate    profile_role, affiliation_status,
                                                             collaboration_status (run together)
    Trust 19 - UnverifiedVerification L1Unclaimed author     trust_score, trust_label,
                                                             verification_level, claim_label, claimed
    5works / 0followers / 2topics / 4close collaborators     stated counts
    Follow researcher0                                       the follower count restated (a different
                                                             value is a warning, not an error)
    5 published item(s)                                      stated_published_item_count
    preprint2026arXiv                                        entry header: <type label><year><venue>
    Memory Mosaics at scale                                  title
    Memory Mosaics [Zhang et al., 2025], ...                 optional abstract

Everything else is interface text, listed with the reason in DROPPED_CHROME. Works have no author
list on this page, so their ``authors`` is None.
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
    check_stated_count,
    count_value,
    find_fact,
    heads_with,
    is_yearish,
    missing_title_error,
    page_source,
    read_prelude,
    restated_count_disagreement,
    split_blocks,
)
from kg.records import PageFact, PaperRecord, ParsedSource, ParseWarning
from kg.sources.files import RawSource

KIND = "researcher-profile"
PAGE_TITLE = "Researcher profile"

# Every line of a profile page that is read and deliberately not kept, with the reason.
DROPPED_CHROME = (
    ("Trust snapshot", "section heading"),
    ("Quick read", "section heading"),
    ("Actions", "section heading"),
    ("Decide how to stay connected", "prompt above the follow button"),
    (
        "Follow researcher<N>",
        "follow button; <N> restates stated_follower_count, checked against it (a difference is a warning), "
        "not kept twice",
    ),
    ("Identity and collaboration", "section heading"),
    ("How to connect with this researcher", "section heading"),
    (
        "Claiming links this public author record to a researcher profile and unlocks direct collaboration workflows.",
        "site help text about claiming; the claim status itself is kept (claimed, claim_label)",
    ),
    ("Log in to claim", "button label"),
    ("Direct collaboration", "section heading"),
    ("Open a focused conversation when the fit is right", "prompt of the messaging widget"),
    ("Claim this author entity first to unlock direct invitations.", "site help text; the claim status is kept"),
    ("Research graph", "section heading"),
    ("See the researcher in context", "section heading"),
    ("Open full explorer", "button label"),
    (
        "Inspect adjacent work, topics, institutions and collaborators without jumping out to a separate graph page.",
        "site help text of the graph widget",
    ),
    ("Building this graph slice", "loading placeholder of the graph widget"),
    (
        "BZPEER is loading the nearby papers, people, topics and institutions for this page.",
        "loading placeholder; the graph widget's content was not captured with the page",
    ),
    ("Published work", "section heading; the entries under it are parsed"),
)
_CHROME_LINES = frozenset(text for text, _ in DROPPED_CHROME)

_COUNTS = (
    (re.compile(rf"^({COUNT})\s*works?$"), "stated_work_count"),
    (re.compile(rf"^({COUNT})\s*followers?$"), "stated_follower_count"),
    (re.compile(rf"^({COUNT})\s*topics?$"), "stated_topic_count"),
    (re.compile(rf"^({COUNT})\s*close collaborators?$"), "stated_collaborator_count"),
    (re.compile(rf"^({COUNT})\s*published items?(?:\(s\))?$"), "stated_published_item_count"),
)
_FOLLOW = re.compile(rf"^Follow researcher\s*({COUNT})$")
_TRUST = re.compile(
    r"^Trust\s*(?P<score>\d{1,9})\s*-\s*(?P<label>.+?)\s*Verification\s*(?P<level>L\d+)"
    r"\s*(?P<claim>(?:Unclaimed|Claimed) author)?$"
)
_COLLABORATION = re.compile(r"(?:Not open|Open) to collaborate$")
_AFFILIATION = re.compile(r"(?:Affiliation not imported|Affiliated with .+|No affiliation)$")
_SECTION_STARTS = (_COUNTS[-1][0], re.compile(r"^Published work$"))
_HEADER = re.compile(r"^(?P<type>[A-Za-z](?:[A-Za-z -]*[A-Za-z])?)\s*(?P<year>[12][0-9A-Za-z]{3})(?P<venue>.*)$")
_HEADER_FORM = "'<type label><year><venue>', e.g. 'preprint2026arXiv'"
_VENUE_KINDS = {"preprint": "preprint-server", "conference paper": "conference", "journal article": "journal"}


@dataclass
class EntryBlocks:
    """The blocks of one work as laid out on the page."""

    header: Block
    title: Block | None = None
    abstract: Block | None = None


def looks_like_researcher_profile(text: str) -> bool:
    """Whether ``text`` is a researcher profile: 'Researcher profile' on its first or second line
    (blank lines aside)."""
    return heads_with(text, PAGE_TITLE)


def parse_researcher_profile(raw: RawSource) -> ParsedSource:
    """Read a researcher profile into its subject, works and facts.

    Args:
        raw: the page.

    Returns:
        The subject, one PaperRecord per listed work in page order (duplicates kept, authors
        None), the page's facts, and a warning for each follow button whose count differs from
        the stated follower count (the stated count is the fact kept).

    Raises:
        ParseError: a stated count of works or items disagrees with the entries parsed (checked
            first, so a truncated page is reported as such), an entry has no title or a readable
            year, or a line is not recognised.
    """
    origin = raw.ref.origin
    blocks = split_blocks(raw.text)
    start = find_section_start(blocks)
    problems: list[ParseError] = []
    prelude = read_prelude(origin, blocks[:start], KIND, PAGE_TITLE, read_prelude_line, problems)
    entries, extra = group_entries(blocks[start:])
    return page_source(raw, KIND, prelude, entries, extra, build_paper,
                       lambda parsed: tuple(check_profile_counts(origin, prelude, parsed)), problems)


def find_section_start(blocks: list[Block]) -> int:
    """Return the index of the first block after 'N published item(s)' (or, lacking it, after
    'Published work'); ``len(blocks)`` when the page has neither."""
    for pattern in _SECTION_STARTS:
        found = [i for i, block in enumerate(blocks) if pattern.match(block.text)]
        if found:
            return found[0] + 1
    return len(blocks)


def read_prelude_line(line: int, text: str, prelude: Prelude) -> bool:
    """Read one line before the works into ``prelude``; return False if it is not recognised."""
    if text in _CHROME_LINES:
        return True
    if follow := _FOLLOW.match(text):
        prelude.restated.append(PageFact("stated_follower_count", count_value(follow.group(1)), line))
        return True
    facts = read_count(text) or read_trust(text) or read_role_line(text)
    if not facts and prelude.position == 0:
        facts = [("subject_description", clean_text(text))]
    prelude.facts += [
        PageFact(name, clean_text(value) if isinstance(value, str) else value, line) for name, value in facts
    ]
    return bool(facts)


def read_count(text: str) -> list[tuple[str, int]]:
    """Read ``5works``, ``0followers``, ``5 published item(s)`` and the like."""
    for pattern, name in _COUNTS:
        if match := pattern.match(text):
            return [(name, count_value(match.group(1)))]
    return []


def read_trust(text: str) -> list[tuple[str, int | bool | str]]:
    """Read ``Trust 19 - UnverifiedVerification L1Unclaimed author`` into five facts."""
    match = _TRUST.match(text)
    if not match:
        return []
    facts: list[tuple[str, int | bool | str]] = [
        ("trust_score", int(match.group("score"))),
        ("trust_label", match.group("label")),
        ("verification_level", match.group("level")),
    ]
    if claim := match.group("claim"):
        facts += [("claimed", claim == "Claimed author"), ("claim_label", claim)]
    return facts


def read_role_line(text: str) -> list[tuple[str, str]]:
    """Split ``ResearcherAffiliation not importedOpen to collaborate`` into role, affiliation and
    collaboration status. The affiliation and collaboration phrases are known; the leading
    remainder is the role. A line with neither phrase is not this line."""
    collaboration = _COLLABORATION.search(text)
    rest = text[: collaboration.start()] if collaboration else text
    affiliation = _AFFILIATION.search(rest)
    if not (collaboration or affiliation):
        return []
    role = rest[: affiliation.start()] if affiliation else rest
    facts = [("profile_role", role.strip())] if role.strip() else []
    facts += [("affiliation_status", affiliation.group(0).strip())] if affiliation else []
    facts += [("collaboration_status", collaboration.group(0))] if collaboration else []
    return facts


def check_profile_counts(origin: str, prelude: Prelude, parsed: int) -> list[ParseWarning]:
    """Check the stated item and work counts against the entries, and the follower count's two statements.

    The item and work counts count the listed works: a difference means entries were lost (a
    truncated page) and is an error. The follow button's count is a cosmetic restatement of the
    follower count: a difference is a warning, and the first statement stays the
    ``stated_follower_count`` fact. When the page states the follower count only on the follow
    button, that statement becomes the fact.

    Returns:
        One warning per follow button whose count differs from the fact, at the button's line.

    Raises:
        ParseError: at the line of a stated item or work count that disagrees with the entries.
    """
    check_stated_count(origin, find_fact(prelude.facts, "stated_published_item_count"), "published items", parsed)
    check_stated_count(origin, find_fact(prelude.facts, "stated_work_count"), "works", parsed)
    followers = find_fact(prelude.facts, "stated_follower_count")
    if followers is None and prelude.restated:
        followers = prelude.restated[0]
        prelude.facts.append(followers)
    warnings = []
    for restated in prelude.restated:
        restatement = f"'Follow researcher{restated.value}' says {restated.value}"
        if detail := restated_count_disagreement(followers, restated, "followers", restatement):
            kept = f"the follower count kept is {followers.value}, from line {followers.line}"
            warnings.append(ParseWarning(origin, restated.line, f"{detail}; {kept}"))
    return warnings


def group_entries(blocks: list[Block]) -> tuple[list[EntryBlocks], list[Block]]:
    """Group the blocks after 'N published item(s)' into entries: header, title, optional abstract.

    After a header or a title, a block shaped like a header starts the next entry. Where a header
    is due (first, or after an abstract) a block starts an entry if it is shaped like a header or
    if the block after it is not (a malformed header followed by its title); otherwise it is extra.

    Returns:
        ``(entries, extra)``: the entries in page order and the blocks that fit no entry.
    """
    entries: list[EntryBlocks] = []
    extra: list[Block] = []
    for index, block in enumerate(blocks):
        current = entries[-1] if entries else None
        if current is not None and current.abstract is None and not looks_like_header(block):
            if current.title is None:
                current.title = block
            else:
                current.abstract = block
        elif looks_like_header(block) or is_followed_by_title(blocks, index):
            entries.append(EntryBlocks(block))
        else:
            extra.append(block)
    return entries, extra


def is_followed_by_title(blocks: list[Block], index: int) -> bool:
    """Whether the block after ``blocks[index]`` exists and is not shaped like a header."""
    return index + 1 < len(blocks) and not looks_like_header(blocks[index + 1])


def looks_like_header(block: Block) -> bool:
    """Whether a block has the shape of a work header (``preprint2026arXiv``, ``journal article20x1JMLR``)."""
    match = _HEADER.match(block.text)
    return (
        match is not None
        and len(block.lines) == 1
        and len(block.text) <= 100
        and match.group("type").islower()
        and is_yearish(match.group("year"))
    )


def build_paper(origin: str, entry: EntryBlocks, problems: list[ParseError]) -> PaperRecord | None:
    """Turn one entry's blocks into a PaperRecord; record what is wrong with it in ``problems``."""
    line = entry.header.line
    if missing := missing_title_error(origin, line, entry.title):
        problems.append(missing)
        return None
    try:
        type_label, year, venue = parse_entry_header(origin, entry.header)
    except ParseError as problem:
        problems.append(problem)
        return None
    abstract, copyright_ = split_abstract_trailer(clean_text(entry.abstract.text)) if entry.abstract else (None, None)
    return PaperRecord(
        title=clean_text(entry.title.text),
        line=line,
        authors=None,
        abstract=abstract or None,
        venue=venue,
        venue_kind=_VENUE_KINDS.get(type_label.lower()),
        year=year,
        type_label=type_label,
        copyright=copyright_,
    )


def parse_entry_header(origin: str, block: Block) -> tuple[str, int, str | None]:
    """Read ``<type label><year><venue>`` (``preprint2026arXiv``).

    Returns:
        ``(type_label, year, venue)``; venue is None when the header names none.

    Raises:
        ParseError: the header has no year, or its year is not 4 digits.
    """
    text = clean_text(block.text)
    match = _HEADER.match(text)
    if match is None or not is_yearish(match.group("year")):
        raise ParseError(origin, block.line, f"entry header {text!r} has no year (expected {_HEADER_FORM})")
    year = match.group("year")
    if not YEAR.match(year):
        detail = f"unreadable year {year!r} in entry header {text!r} (expected 4 digits)"
        raise ParseError(origin, block.line, detail)
    return match.group("type"), int(year), match.group("venue").strip() or None
