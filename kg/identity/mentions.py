"""Mentions: the evidence identity is computed from, one per person named in a source and one per
paper record.

A mention is what one source says about one thing, reduced to what identity needs (keys, the
names and titles as stated, identifiers, co-authors). Mentions are kept in the store (the identity
graph) so that a later ingest can recompute the identity of every thing its records touch from
*all* the evidence, not only from what it brings: that is what makes the graph a function of the
set of records, whatever the order and batching (README "Identity rules").

Blocks: every mention has block keys; two mentions that could be one thing always share one.
An ingest fetches the stored mentions of the blocks its records touch (and, transitively, of the
blocks those mentions belong to) and re-clusters exactly those.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from anyascii import anyascii

from kg.identity.keys import fold_text, person_key, short_hash, slugify, title_key
from kg.records import PaperRecord, ParsedSource

# dblp appends a four-digit homonym number to the names of people who share one ("Di Xu 0001"):
# a disambiguator, never part of the name.
_HOMONYM = re.compile(r"^(?P<name>.*\S)\s+(?P<number>\d{4})$")

# Titles that name a kind of text, not a work: never merged on the title alone.
GENERIC_TITLES = frozenset(title_key(t) for t in (
    "Introduction", "Editorial", "Preface", "Foreword", "Front matter", "Back matter", "Index", "Contents",
    "Table of contents", "Abstract", "Abstracts", "Conclusion", "Conclusions", "Discussion", "Errata",
    "Erratum", "Corrigendum", "Correction", "Reply", "Response", "Comment", "Letter to the editor",
    "Book review", "Review", "Obituary", "In memoriam", "Guest editorial", "Editor's note", "Keynote",
    "Invited talk", "Panel", "Tutorial", "Acknowledgments", "Acknowledgements", "Appendix", "Summary",
))

_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+\s*")
_LATEX_GROUPING = re.compile(r"[{}$]")


def split_homonym(name: str) -> tuple[str, str | None]:
    """``("Di Xu", "0001")`` for ``Di Xu 0001``; ``(name, None)`` when there is no homonym number."""
    match = _HOMONYM.match(name.strip())
    return (match["name"], match["number"]) if match else (name, None)


def local_person(name: str) -> str:
    """Who a name is within one source: its key, with its homonym number if it has one
    (``di xu#0001``); every spelling of it in one source is one mention."""
    bare, number = split_homonym(name)
    return f"{person_key(bare)}#{number}" if number else person_key(bare)


def work_title_key(title: str) -> str:
    """The identity key of a title: :func:`title_key` after dropping LaTeX markup (``\\emph{…}``, ``$…$``)."""
    return title_key(_LATEX_GROUPING.sub("", _LATEX_COMMAND.sub(" ", title)))


def initial_key(key: str) -> str:
    """First initial and surname, in ASCII: ``y lecun`` for ``yann lecun`` and ``y lecun``.

    >>> initial_key("yann andre lecun")
    'y lecun'
    """
    tokens = slugify(key).split("-")
    if len(tokens) == 1:
        return tokens[0]
    return f"{tokens[0][0]} {tokens[-1]}"


@dataclass(frozen=True)
class PersonMention:
    """A person as one source names them: every spelling of one name key in one source is one mention."""

    id: str  # "{source sha256}:p:{local person}", see local_person()
    source: str  # the source's slug
    spellings: tuple[str, ...]
    key: str
    identifiers: tuple[str, ...]  # "orcid:…", "dblp:…", "wikidata:…", "homonym:0001"
    coauthors: tuple[str, ...]  # initial keys of the people named beside them on a paper
    titles: tuple[str, ...]  # short hashes of the title keys of their papers in this source
    records: tuple[int, ...] = ()  # the paper records of this source that name them (two people on one list)
    subject: bool = False  # the person the source is about (a profile's or cluster page's subject)

    @property
    def fragment(self) -> str:
        return f"p{short_hash(self.id.split(':p:', 1)[1], 12)}"

    def block_keys(self) -> set[str]:
        keys = {f"pb:{initial_key(self.key)}"}
        for ident in self.identifiers:
            keys.add(f"pid:{self.key}:{ident}" if ident.startswith("homonym:") else person_id_key(ident))
        return keys


@dataclass(frozen=True)
class WorkMention:
    """A paper record: one entry of one source's list."""

    id: str  # "{source sha256}:w:{index}"
    source: str
    title: str
    key: str
    authors: tuple[str, ...] | None  # initial keys of the full author list; None when the source gives none
    subject: str | None  # initial key of a profile's subject, who is an author when ``authors`` is None
    first_author: str | None  # the name key of the first author (or the profile subject)
    identifiers: tuple[str, ...]  # "doi:…", "arxiv:…", as stated (compared without case)
    year: int | None
    venue: str | None

    @property
    def fragment(self) -> str:
        return f"w{self.id.rsplit(':', 1)[1]}"

    @property
    def generic(self) -> bool:
        return self.key in GENERIC_TITLES

    def block_keys(self) -> set[str]:
        return {f"wb:{slugify(self.key)}"} | {work_id_key(i) for i in self.identifiers}


Mention = PersonMention | WorkMention


def person_id_key(identifier: str) -> str:
    """The block key of a person's identifier (``orcid:0000-…``), as stated: who carries it."""
    return f"pid:{identifier}"


def work_id_key(identifier: str) -> str:
    """The block key of a paper's identifier (``doi:10.…``), compared without case."""
    return f"wid:{identifier.lower()}"


# Sources whose records are not one person's and do not say that a name means one person: a name
# cluster page ("Possible papers associated with this exact author name ... not a full identity
# disambiguation profile") and a Crossref works list (a search or a member's works: unrelated
# papers, each author with their own ORCID iD or none). Every author of every record is a mention of
# its own, so that homonyms in one file can part (two ORCID iDs, two people).
PER_RECORD_KINDS = ("arrow-author-cluster", "crossref-works")


def mentions_of(source: ParsedSource, slug: str) -> tuple[list[PersonMention], list[WorkMention]]:
    """The person and work mentions of one parsed source (whose slug is ``slug``).

    A person named in a source is one mention (every spelling of one name), except in the records
    of a name-cluster page (:data:`PER_RECORD_KINDS`), where each record's authors are mentions of
    their own (``…:p:{name}@{record}``).
    """
    sha = source.ref.sha256
    per_record = source.kind in PER_RECORD_KINDS
    spellings: dict[str, set[str]] = {}
    identifiers: dict[str, set[str]] = {}
    coauthors: dict[str, set[str]] = {}
    titles: dict[str, set[str]] = {}
    records: dict[str, set[int]] = {}

    def named(name: str, idents=(), record: int | None = None) -> str:
        bare, number = split_homonym(name)
        local = local_person(name) + (f"@{record}" if per_record and record is not None else "")
        spellings.setdefault(local, set()).add(bare)
        found = identifiers.setdefault(local, set())
        found |= {f"{i.scheme}:{i.value}" for i in idents}
        if number:
            found.add(f"homonym:{number}")
        return local

    subject = named(source.subject.name, source.subject.identifiers) if source.subject else None
    for person in source.persons:
        named(person.name, person.identifiers, person.record)
    works = []
    for index, paper in enumerate(source.papers):
        authors = [named(n, record=index) for n in paper.authors] if paper.authors is not None else None
        team = authors if authors is not None else ([subject] if subject else [])
        tkey = work_title_key(paper.title)
        for local in team:
            coauthors.setdefault(local, set()).update(initial_key(_key(k)) for k in team if k != local)
            titles.setdefault(local, set()).add(short_hash(tkey, 8))
            records.setdefault(local, set()).add(index)
        works.append(_work_mention(sha, slug, index, paper, tkey, authors and [_key(k) for k in authors],
                                   _key(subject) if subject else None))
    persons = [
        PersonMention(f"{sha}:p:{local}", slug, tuple(sorted(spellings[local])), _key(local),
                      tuple(sorted(identifiers[local])), tuple(sorted(coauthors.get(local, ()))),
                      tuple(sorted(titles.get(local, ()))), tuple(sorted(records.get(local, ()))), local == subject)
        for local in sorted(spellings)
    ]
    return persons, works


def _key(local: str) -> str:
    """The name key of a local person id (``di xu#0001``, ``leon bottou@3``)."""
    return local.split("@", 1)[0].split("#", 1)[0]


def _work_mention(sha: str, slug: str, index: int, paper: PaperRecord, tkey: str, authors, subject) -> WorkMention:
    first = authors[0] if authors else subject
    return WorkMention(
        id=f"{sha}:w:{index}",
        source=slug,
        title=paper.title,
        key=tkey,
        authors=tuple(initial_key(k) for k in authors) if authors is not None else None,
        subject=initial_key(subject) if authors is None and subject else None,
        first_author=first,
        identifiers=tuple(sorted({f"{i.scheme}:{i.value}" for i in paper.identifiers})),
        year=paper.year,
        venue=fold_text(paper.venue) if paper.venue else None,
    )


# -- kept in the store as one JSON literal per mention ------------------------------------------------


def to_json(mention: Mention) -> str:
    fields = dict(mention.__dict__)
    fields["kind"] = "person" if isinstance(mention, PersonMention) else "work"
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def from_json(text: str) -> Mention:
    fields = json.loads(text)
    kind = fields.pop("kind")
    for name, value in fields.items():
        if isinstance(value, list):
            fields[name] = tuple(value)
    return PersonMention(**fields) if kind == "person" else WorkMention(**fields)


def ascii_surname(key: str | None) -> str | None:
    """The last word of a name key, as a slug (``lecun``), for readable disambiguators."""
    if not key:
        return None
    return slugify(anyascii(key).split()[-1]) or None
