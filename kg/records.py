"""Records: what the parsers read out of a source, before anything is identified or mapped.

Plain frozen dataclasses, no RDF. A record keeps the spelling its source used; identity and
mapping decide later what is the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceRef:
    """Where a record came from: one input file or page."""

    origin: str  # the path or URL as given, used in error messages
    name: str  # the file name, the only part of the origin that is published
    sha256: str  # hex digest of the raw bytes; the source's identity
    retrieved_at: str  # ISO 8601 timestamp of the read (SOURCE_DATE_EPOCH when set)


@dataclass(frozen=True)
class Identifier:
    """An external identifier of a person or paper."""

    scheme: str  # one of IDENTIFIER_SCHEMES
    value: str


IDENTIFIER_SCHEMES = ("orcid", "dblp", "wikidata", "doi", "arxiv")


@dataclass(frozen=True)
class PageFact:
    """Something a page states about itself or its subject: a count, a score, a label.

    ``name`` is one of PAGE_FACTS; ``value`` is an int, a bool or a str as the page states it.
    """

    name: str
    value: int | bool | str
    line: int | None = None


# Every fact name a parser may emit, with what it means. mapping/provenance.py maps each one to
# an RDF property; a test checks the two stay in step.
PAGE_FACTS = {
    "site_name": "name of the site the page belongs to",
    "page_title": "the page's own heading (e.g. 'Author name cluster', 'Researcher profile')",
    "page_description": "the page's statement about what it shows",
    "stated_paper_count": "number of papers the page says it lists",
    "stated_author_row_count": "number of author rows the page says it groups",
    "stated_work_count": "number of works the page says the subject has",
    "stated_published_item_count": "number of published items the page says it lists",
    "stated_follower_count": "number of followers the page states",
    "stated_topic_count": "number of topics the page states",
    "stated_collaborator_count": "number of close collaborators the page states",
    "trust_score": "the site's trust score for the subject",
    "trust_label": "the site's trust label (e.g. 'Unverified')",
    "verification_level": "the site's verification level (e.g. 'L1')",
    "claimed": "whether the subject has claimed the profile",
    "claim_label": "the claim status as the page words it (e.g. 'Unclaimed author')",
    "profile_role": "the role the profile gives the subject (e.g. 'Researcher')",
    "affiliation_status": "what the page says about the subject's affiliation",
    "collaboration_status": "what the page says about openness to collaboration",
    "subject_description": "the page's one-line description of its subject",
}


@dataclass(frozen=True)
class PersonRecord:
    """A person a source is about (a profile's subject, a JSON Lines author record)."""

    name: str
    line: int | None = None
    identifiers: tuple[Identifier, ...] = ()
    record: int | None = None  # the paper record (index in ParsedSource.papers) it is an author of, if it says so


@dataclass(frozen=True)
class PaperRecord:
    """One entry of a paper list: a paper as it appeared in one venue in one year.

    ``authors`` is None when the source gives no author list (a profile's works); an empty tuple
    never occurs. ``venue_kind`` is one of VENUE_KINDS or None when the source does not say.
    """

    title: str
    line: int
    authors: tuple[str, ...] | None = None
    abstract: str | None = None
    venue: str | None = None
    venue_kind: str | None = None
    year: int | None = None
    type_label: str | None = None
    copyright: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    cites: tuple[Identifier, ...] = ()  # works this one cites, by their identifiers (Crossref references)


VENUE_KINDS = ("conference", "journal", "preprint-server", "workshop", "book", "other")


@dataclass(frozen=True)
class ParseWarning:
    """A disagreement inside a source that does not stop it being read: a cosmetic restatement
    (a follow button's count) that differs from the statement kept as the fact.

    A disagreement that may mean lost data (a stated count of listed papers that differs from the
    list: a truncated page) is a ParseError, never a warning.
    """

    origin: str  # the path or URL as given, as in SourceRef.origin
    line: int | None
    message: str

    @property
    def record_key(self) -> str:
        """Where, as messages name it: ``file.txt:12``."""
        return f"{self.origin}:{self.line}" if self.line else self.origin

    def __str__(self) -> str:
        return f"{self.record_key}: warning: {self.message}"


@dataclass(frozen=True)
class ParsedSource:
    """Everything one source says: its subject, its papers and what it states about itself."""

    ref: SourceRef
    kind: str  # the parser that read it, e.g. "arrow-author-cluster"
    subject: PersonRecord | None = None
    persons: tuple[PersonRecord, ...] = ()
    papers: tuple[PaperRecord, ...] = ()
    facts: tuple[PageFact, ...] = field(default=())
    warnings: tuple[ParseWarning, ...] = ()  # cosmetic disagreements, reported but not refused

    def record_key(self, line: int | None) -> str:
        """Name a record for messages: ``file.txt:12``."""
        return f"{self.ref.origin}:{line}" if line else self.ref.origin
