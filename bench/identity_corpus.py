"""Generate a seeded corpus of scholarly pages whose true persons and works are known, to measure identity.

    .venv/bin/python bench/identity_corpus.py --papers 300 --seed 1 --output bench/.cache/identity-300

The same arguments always give the same bytes (one ``random.Random(seed)``; no clock, no iteration
over sets). Nothing here imports kg: the corpus must not change when kg does. Name, title and venue
lists come from bench/generate.py.

The world
---------
- ``--papers`` true works, each with an ordered list of 1 to 8 true authors drawn from about
  papers/3 true persons (Zipf-Mandelbrot productivity, as bench/generate.py). A person's name is a
  first name, for some a middle initial, and a last name; names differ once folded (lower case, no
  accents, no punctuation), and so does the name without its middle initial, except for
  **homonyms**: about 1% of the people (at least 2 pairs) share their exact name with another true
  person who never writes with them; both have ORCIDs.
- About 15% of the works have a **preprint and a published version** (same title; a preprint
  server, then a conference or journal the same year or the next). Works have different titles
  once folded, except a few with **generic titles** ("Introduction", "Preface", ...), each title
  shared by works with no author in common; no two works share title, venue and year.

Every mention of a person is spelled in one of these forms (``form`` in truth.json)::

    canonical    Léon J. Bottou
    unaccented   Leon J. Bottou      (only for names with accents)
    initials     L. J. Bottou
    no-middle    Léon Bottou         (only for names with a middle initial)

Every title is written in one of these forms (``title_form``): ``canonical``, ``lower``,
``title-case``, ``period`` (a trailing full stop), ``spaces`` (doubled and trailing blanks, which
the parsers collapse). None of them makes another work.

The pages (DIR/pages/)
----------------------
- ``cluster-NNNN.txt``: author-name cluster pages (kg/parsers/arrow_cluster.py). The subject is
  one spelling; the page lists works where the person is spelled exactly so, each with its full
  author list (co-authors in any form). Every homonym name has one cluster listing both people's
  works under the shared name: its subject has no single true person.
- ``profile-NNNN.txt``: researcher profiles (kg/parsers/researcher_profile.py): one person's works
  without author lists. About 30% of the works are on two or more co-authors' profiles.
- ``lab-NNNN.jsonl``: one person's records in JSON Lines (kg/parsers/records_jsonl.py): a person
  line for them and for some co-authors with an ORCID, then paper lines with full author lists.
- ``records-NNNN.jsonl``: bulk JSON Lines: every work no other file lists, and some that are
  listed elsewhere, with person lines (name and ORCID) for some authors.

No JSON Lines file holds both people of a homonym pair. Type labels are lower case in every format
("conference paper"): a profile's header needs them so, and kg's SHACL gate refuses one version
stated with two type labels ("Conference Paper" on a cluster, "conference paper" on a profile)
when both are in one ingest.

truth.json
----------
::

    {
      "format": "kg-identity-corpus/1", "seed": 1, "papers": 300,
      "persons": {"p00001": {"name": "Léon J. Bottou", "orcid": "0000-...", "homonym_of": "p00213"}, ...},
      "works": {"w00001": {"title": "...", "authors": ["p00001", ...], "generic": false,
                          "versions": [{"venue": "arXiv", "venue_kind": "preprint-server", "year": 2019,
                                        "type_label": "preprint"}, ...]}, ...},
      "files": {
        "cluster-0001.txt": {
          "kind": "arrow-author-cluster",                    # or researcher-profile, records-jsonl
          "subject": {"line": 5, "name": "Leon Bottou", "person": "p00001", "form": "unaccented"},
          "persons": [],                                      # JSON Lines person lines:
                                                              #   {"line", "name", "person", "orcid"}
          "entries": [
            {"line": 17, "title": "Deep Learning.", "title_form": "period", "venue": "NeurIPS",
             "year": 2019, "work": "w00042",
             "authors": [["Y. LeCun", "p00002", "initials"], ["Leon Bottou", "p00001", "unaccented"]]},
            ...                                               # "authors" is null on a profile
          ]
        }, ...
      },
      "stats": {...}
    }

``subject`` is null for JSON Lines files; its ``person`` is null on a homonym cluster. ``line`` is
the 1-based line number the parsers report (``PersonRecord.line``, ``PaperRecord.line``: an entry's
header line on a page, the record's line in JSON Lines). ``title`` is the title as the parsers
clean it (blank runs collapsed), i.e. the ``schema:name`` kg states for the work in that source;
``venue`` and ``year`` are the version's. ``authors`` lists [spelling, true person, form] in page
order.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import (  # noqa: E402 - bench/ is not a package
    ABSTRACT_WORDS,
    CONFERENCES,
    FIRST_NAMES,
    FIRST_YEAR,
    JOURNALS,
    LAST_NAMES,
    LAST_YEAR,
    MAX_AUTHORS,
    MIDDLE_INITIAL_SHARE,
    MIDDLE_INITIALS,
    PREPRINT_SERVERS,
    WORKSHOPS,
    ZIPF_AUTHORS,
    ZIPF_OFFSET,
    ZIPF_TEAM,
    IdentifierMint,
    cumulative,
    draw_year,
    fold,
    make_title,
    orcid,
    pick_team,
    strip_accents,
)

FORMAT = "kg-identity-corpus/1"
PERSONS_PER_PAPER = 1 / 3
HOMONYM_SHARE = 0.01  # share of people given a namesake (at least MIN_HOMONYM_PAIRS pairs)
MIN_HOMONYM_PAIRS = 2
ORCID_SHARE = 0.3
TWO_VERSION_SHARE = 0.15  # works with a preprint and a published version
SAME_YEAR_SHARE = 0.3  # of those, published the year of the preprint (else the year after)
GENERIC_TITLES = ("Introduction", "Preface", "Editorial", "Discussion", "Tutorial", "Overview")
GENERIC_SHARE = 0.005  # works with a generic title (at least MIN_GENERIC), two per title in turn
MIN_GENERIC = 6
DOI_SHARE = 0.5  # published versions with a DOI (stated in JSON Lines only)

MULTI_PROFILE_SHARE = 0.30  # works on two or more co-authors' profiles (of all works)
ONE_PROFILE_SHARE = 0.35  # works on exactly one profile
CLUSTER_SHARE = 0.25  # people with at least CLUSTER_MIN_WORKS works who get a cluster page
CLUSTER_MIN_WORKS = 3
SECOND_CLUSTER_SHARE = 0.3  # of people with an accented name: a second cluster under the other spelling
CLUSTER_LISTS_SHARE = 0.85  # each of the person's works is on their cluster page with this probability
LAB_SHARE = 0.08  # people with at least two works who get a JSON Lines export of their own
LAB_LISTS_SHARE = 0.8
COAUTHOR_LINE_SHARE = 0.5  # co-authors with an ORCID who get a person line in a JSON Lines file
BULK_EXTRA_SHARE = 0.2  # works already listed elsewhere that the bulk files list again
BULK_FILE_PAPERS = 400
BOTH_VERSIONS_SHARE = 0.5  # a page lists both versions of a two-version work, else one of them
DUPLICATE_ENTRY_SHARE = 0.02  # a page lists an entry twice, as real pages do

# How a mention is spelled, by where it is; a form a name does not have is left out.
AUTHOR_FORMS = {"canonical": 0.72, "unaccented": 0.12, "initials": 0.08, "no-middle": 0.08}
CLUSTER_SUBJECT_FORMS = {"canonical": 0.75, "unaccented": 0.15, "initials": 0.05, "no-middle": 0.05}
PROFILE_SUBJECT_FORMS = {"canonical": 0.85, "unaccented": 0.10, "no-middle": 0.05}
TITLE_FORMS = {"canonical": 0.85, "lower": 0.04, "title-case": 0.03, "period": 0.04, "spaces": 0.04}
ABSTRACT_SHARE = {"arrow-author-cluster": 0.5, "researcher-profile": 0.4, "records-jsonl": 0.6}

BOOKS = ("Springer", "MIT Press", "Cambridge University Press", "Now Publishers")
VENUES = {"conference": CONFERENCES, "journal": JOURNALS, "preprint-server": PREPRINT_SERVERS,
          "workshop": WORKSHOPS, "book": BOOKS}
SINGLE_KIND_WEIGHTS = {"conference": 0.42, "journal": 0.26, "preprint-server": 0.12, "workshop": 0.14, "book": 0.06}
TYPE_LABELS = {"conference": "conference paper", "journal": "journal article", "preprint-server": "preprint",
               "workshop": "workshop paper", "book": "book chapter"}
CLUSTER_KIND_WORDS = {"conference": "Conference", "journal": "Journal", "preprint-server": "Preprint Server",
                      "workshop": "Workshop", "book": "Book"}

CLUSTER_DESCRIPTION = ("Possible papers associated with this exact author name in Arrow. This page groups "
                       "case-insensitive exact name matches and is not a full identity disambiguation profile.")
PROFILE_ROLES = ("Researcher", "Professor", "PhD student", "Postdoc")
INSTITUTIONS = ("Technische Universität Berlin", "Université Paris-Saclay", "ETH Zürich", "University of Toronto",
                "Tsinghua University", "Universidad de Chile", "Kyoto University", "University of Lagos")
TRUST_LEVELS = (("Unverified", 1), ("Partially verified", 2), ("Verified", 3))
GRAPH_CHROME = ("Research graph", "See the researcher in context", "Open full explorer",
                "Inspect adjacent work, topics, institutions and collaborators without jumping out to a "
                "separate graph page.",
                "Building this graph slice",
                "BZPEER is loading the nearby papers, people, topics and institutions for this page.")
CLAIM_HELP = ("Claiming links this public author record to a researcher profile and unlocks direct "
              "collaboration workflows.")


@dataclass
class Person:
    """A true person: the canonical name, the other spellings it has, and the works they wrote."""

    id: str
    first: str
    middle: str | None
    last: str
    orcid: str | None = None
    homonym_of: str | None = None
    works: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first, self.middle and f"{self.middle}.", self.last) if part)

    def forms(self) -> dict[str, str]:
        """Spelling per form; a form that would repeat the canonical name is left out."""
        canonical = self.name
        initials = " ".join(part for part in (f"{self.first[0]}.", self.middle and f"{self.middle}.", self.last)
                            if part)
        forms = {"canonical": canonical, "unaccented": strip_accents(canonical), "initials": initials,
                 "no-middle": f"{self.first} {self.last}"}
        return {form: name for form, name in forms.items() if form == "canonical" or name != canonical}


@dataclass(frozen=True)
class Version:
    """A work as it appeared in one venue in one year."""

    venue: str
    venue_kind: str
    year: int
    doi: str | None = None
    arxiv: str | None = None

    @property
    def type_label(self) -> str:
        return TYPE_LABELS[self.venue_kind]


@dataclass
class Work:
    """A true work: its title, true authors in order, and one or two versions."""

    id: str
    title: str
    authors: list[str]
    versions: list[Version]
    abstract: str
    generic: bool = False


@dataclass
class Entry:
    """One listing of a version on one page or in one file, as written and as its truth."""

    work: Work
    version: Version
    title: str  # as written (a form of the work's title)
    title_form: str
    authors: list[tuple[str, str, str]] | None  # (spelling, person id, form); None on a profile
    abstract: str | None

    def truth(self, line: int) -> dict:
        return {"line": line, "title": clean(self.title), "title_form": self.title_form,
                "venue": self.version.venue, "year": self.version.year, "work": self.work.id,
                "authors": [list(author) for author in self.authors] if self.authors is not None else None}


class Lines:
    """A page's lines as written, numbered from 1; paragraphs separated by one blank line."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def paragraph(self, *lines: str) -> int:
        """Append a paragraph and return the number of its first line."""
        if self.lines:
            self.lines.append("")
        self.lines.extend(lines)
        return len(self.lines) - len(lines) + 1

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def clean(text: str) -> str:
    """What kg's parsers make of a title or name written here: NFC, blank runs collapsed, stripped."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


def draw(rng: random.Random, weights: dict[str, float], allowed) -> str:
    """Draw a key of ``weights`` among ``allowed`` (which must hold at least one of them)."""
    keys = [key for key in weights if key in allowed]
    return rng.choices(keys, weights=[weights[key] for key in keys])[0]


# -- the world -------------------------------------------------------------------------------------


def make_persons(rng: random.Random, count: int) -> list[Person]:
    """``count`` people in rank order (rank 0 writes most), homonym pairs among the most prolific fifth.

    A name is refused when it, or the name without its middle initial, folds like one already
    drawn; a namesake is an exact copy of a drawn name.
    """
    drawn: list[tuple[str, str | None, str]] = []
    taken: set[str] = set()
    while len(drawn) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        middle = rng.choice(MIDDLE_INITIALS) if rng.random() < MIDDLE_INITIAL_SHARE else None
        keys = {fold(" ".join(p for p in (first, middle, last) if p)), fold(f"{first} {last}")}
        if keys & taken:
            continue
        taken |= keys
        drawn.append((first, middle, last))
    pairs = max(MIN_HOMONYM_PAIRS, round(count * HOMONYM_SHARE))
    head = min(count, max(2 * pairs, count // 5))
    originals = rng.sample(range(head), pairs)
    ranked: list[tuple[tuple[str, str | None, str], int | None]] = [(name, None) for name in drawn]
    for pair, original in enumerate(originals):
        ranked[original] = (drawn[original], pair)
    for pair, original in enumerate(originals):
        ranked.insert(rng.randrange(head), (drawn[original], pair))
    persons = [Person(f"p{i + 1:05d}", *name) for i, (name, _pair) in enumerate(ranked)]
    by_pair: dict[int, list[Person]] = {}
    for person, (_name, pair) in zip(persons, ranked, strict=True):
        if pair is not None:
            by_pair.setdefault(pair, []).append(person)
        if pair is not None or rng.random() < ORCID_SHARE:
            person.orcid = orcid(rng)
    for first, second in by_pair.values():
        first.homonym_of, second.homonym_of = second.id, first.id
    return persons


def make_abstract(rng: random.Random, title: str) -> str:
    """Two to four short sentences opening with the title's topic."""
    sentences = [f"This paper studies {title.rstrip('?').lower()}."]
    for _ in range(rng.randint(1, 3)):
        words = " ".join(rng.choices(ABSTRACT_WORDS, k=rng.randint(8, 18)))
        sentences.append(words[0].upper() + words[1:] + ".")
    return " ".join(sentences)


def make_versions(rng: random.Random, year_cdf: list[float], mint: IdentifierMint) -> list[Version]:
    """One version in a venue drawn by kind, or a preprint and its published version."""
    if rng.random() < TWO_VERSION_SHARE:
        year = draw_year(rng, year_cdf, FIRST_YEAR, LAST_YEAR - 1)
        server = rng.choice(PREPRINT_SERVERS)
        preprint = Version(server, "preprint-server", year, arxiv=mint.arxiv(rng, year) if server == "arXiv" else None)
        return [preprint, published_version(rng, rng.choice(("conference", "journal")),
                                            year if rng.random() < SAME_YEAR_SHARE else year + 1, mint)]
    kind = rng.choices(list(SINGLE_KIND_WEIGHTS), weights=list(SINGLE_KIND_WEIGHTS.values()))[0]
    year = draw_year(rng, year_cdf)
    if kind == "preprint-server":
        server = rng.choice(PREPRINT_SERVERS)
        return [Version(server, kind, year, arxiv=mint.arxiv(rng, year) if server == "arXiv" else None)]
    return [published_version(rng, kind, year, mint)]


def published_version(rng: random.Random, kind: str, year: int, mint: IdentifierMint) -> Version:
    """A version in a venue of ``kind``, with a DOI for some."""
    return Version(rng.choice(VENUES[kind]), kind, year, doi=mint.doi(year) if rng.random() < DOI_SHARE else None)


def make_works(rng: random.Random, persons: list[Person], count: int) -> list[Work]:
    """``count`` works; fills each person's ``works``."""
    author_cdf = cumulative([1 / (rank + 1 + ZIPF_OFFSET) ** ZIPF_AUTHORS for rank in range(len(persons))])
    team_cdf = cumulative([1 / size ** ZIPF_TEAM for size in range(1, MAX_AUTHORS + 1)])
    year_cdf = cumulative([math.exp(0.08 * (y - FIRST_YEAR)) for y in range(FIRST_YEAR, LAST_YEAR + 1)])
    mint = IdentifierMint()
    seen_titles = {fold(title) for title in GENERIC_TITLES}
    generic_slots = set(rng.sample(range(count), min(count, max(MIN_GENERIC, round(count * GENERIC_SHARE)))))
    generic_authors: dict[str, set[str]] = {title: set() for title in GENERIC_TITLES}
    generic_places: set[tuple[str, str, int]] = set()
    generic_made = 0
    works: list[Work] = []
    for index in range(count):
        team = [persons[rank] for rank in pick_team(rng, len(persons), author_cdf, team_cdf)]
        ids = {person.id for person in team}
        if any(person.homonym_of in ids for person in team):
            team = [person for person in team if person.homonym_of not in ids or person.id < person.homonym_of]
        authors = [person.id for person in team]
        title = generic_title(generic_made, generic_authors, authors) if index in generic_slots else None
        if title is None:
            versions = make_versions(rng, year_cdf, mint)
            title = make_title(rng, seen_titles)
        else:
            versions = [generic_version(rng, title, year_cdf, generic_places)]
            generic_made += 1
        work = Work(f"w{index + 1:05d}", title, authors, versions, make_abstract(rng, title), title in GENERIC_TITLES)
        works.append(work)
        for person in team:
            person.works.append(work.id)
    return works


def generic_title(made: int, used_by: dict[str, set[str]], authors: list[str]) -> str | None:
    """The generic title of the next generic work: the titles in turn, two works each (``made`` so
    far), skipping a title whose works share an author with this one; None when every title does."""
    start = made // 2 % len(GENERIC_TITLES)
    for title in GENERIC_TITLES[start:] + GENERIC_TITLES[:start]:
        if not used_by[title] & set(authors):
            used_by[title] |= set(authors)
            return title
    return None


def generic_version(rng: random.Random, title: str, year_cdf: list[float],
                    places: set[tuple[str, str, int]]) -> Version:
    """A book chapter or journal article for a generic title, never in the venue and year of another work
    of that title (so that an entry's title, venue and year name one work)."""
    while True:
        kind = rng.choice(("book", "journal"))
        version = Version(rng.choice(VENUES[kind]), kind, draw_year(rng, year_cdf))
        if (title, version.venue, version.year) not in places:
            places.add((title, version.venue, version.year))
            return version


# -- entries ---------------------------------------------------------------------------------------


def listed_versions(rng: random.Random, work: Work) -> list[Version]:
    """The versions a page lists for a work: both or one of two, sometimes one twice."""
    if len(work.versions) > 1 and rng.random() >= BOTH_VERSIONS_SHARE:
        versions = [rng.choice(work.versions)]
    else:
        versions = list(work.versions)
    if rng.random() < DUPLICATE_ENTRY_SHARE:
        versions.append(versions[-1])
    return versions


def write_title(rng: random.Random, title: str) -> tuple[str, str]:
    """A title in one of TITLE_FORMS (a title ending in '?' gets no full stop)."""
    form = draw(rng, TITLE_FORMS, TITLE_FORMS)
    written = title
    if form == "lower":
        written = title.lower()
    elif form == "title-case":
        written = " ".join(word[:1].upper() + word[1:] for word in title.split(" "))
    elif form == "period" and not title.endswith(("?", ".")):
        written = title + "."
    elif form == "spaces":
        words = title.split(" ")
        at = rng.randrange(len(words))
        written = " ".join(words[:at + 1]) + "  " + " ".join(words[at + 1:]) + " "
    return written, form if written != title else "canonical"


def spell_authors(rng: random.Random, work: Work, persons: dict[str, Person],
                  fixed: dict[str, tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(spelling, person, form) for each author; ``fixed`` spells some people one way.

    Two authors of one entry never get spellings that fold alike: the later one keeps its canonical name.
    """
    spelled: list[tuple[str, str, str]] = []
    used = {fold(fixed[person_id][0]) for person_id in work.authors if person_id in fixed}
    for person_id in work.authors:
        person = persons[person_id]
        forms = person.forms()
        if person_id in fixed:
            name, form = fixed[person_id]
        else:
            form = draw(rng, AUTHOR_FORMS, forms)
            name = forms[form]
            if fold(name) in used:
                name, form = forms["canonical"], "canonical"
            used.add(fold(name))
        spelled.append((name, person_id, form))
    return spelled


def make_entries(rng: random.Random, works: list[Work], persons: dict[str, Person], kind: str,
                 fixed: dict[str, tuple[str, str]] | None = None) -> list[Entry]:
    """The entries a page or file lists for ``works`` (``fixed`` is None on a profile: no author lists)."""
    entries = []
    for work in works:
        for version in listed_versions(rng, work):
            title, title_form = write_title(rng, work.title)
            authors = spell_authors(rng, work, persons, fixed) if fixed is not None else None
            abstract = work.abstract if rng.random() < ABSTRACT_SHARE[kind] else None
            entries.append(Entry(work, version, title, title_form, authors, abstract))
    return entries


# -- pages -----------------------------------------------------------------------------------------


def cluster_page(subject: str, entries: list[Entry], rows: int) -> tuple[str, dict]:
    """An author-name cluster page listing ``entries`` newest first; its text and truth (subject left to the caller)."""
    page = Lines()
    page.paragraph("Arrow Research search")
    page.paragraph("Author name cluster")
    subject_line = page.paragraph(subject)
    page.paragraph(CLUSTER_DESCRIPTION)
    count = len(entries)
    page.paragraph(f"{count} paper{'s' if count != 1 else ''}", f"{rows} author row{'s' if rows != 1 else ''}")
    page.paragraph("Possible papers")
    page.paragraph(str(count))
    truth = []
    for entry in sorted(entries, key=lambda e: -e.version.year):
        version = entry.version
        line = page.paragraph(f"{version.venue} {CLUSTER_KIND_WORDS[version.venue_kind]} {version.year} "
                              f"{version.type_label}")
        page.paragraph(entry.title)
        page.paragraph(*(f"  • {name}" for name, _person, _form in entry.authors))
        if entry.abstract:
            page.paragraph(entry.abstract)
        truth.append(entry.truth(line))
    return page.text(), {"kind": "arrow-author-cluster", "subject": {"line": subject_line, "name": subject},
                         "persons": [], "entries": truth}


def profile_page(rng: random.Random, person: Person, subject: str, form: str, entries: list[Entry]) -> tuple[str, dict]:
    """A researcher profile of ``person`` written as ``subject``, listing ``entries``; its text and truth."""
    page = Lines()
    page.paragraph("Researcher profile")
    subject_line = page.paragraph(subject)
    page.paragraph(f"{subject} contributes to research discovery and scholarly infrastructure.")
    institution = rng.choice(INSTITUTIONS)
    affiliation = rng.choice(("Affiliation not imported", "No affiliation", f"Affiliated with {institution}"))
    collaboration = rng.choice(("Open to collaborate", "Not open to collaborate"))
    page.paragraph(f"{rng.choice(PROFILE_ROLES)}{affiliation}{collaboration}")
    page.paragraph("Trust snapshot")
    page.paragraph("Quick read")
    label, level = rng.choice(TRUST_LEVELS)
    claimed = level == 3 and rng.random() < 0.5
    followers = rng.randint(0, 40)
    claim = "Claimed author" if claimed else "Unclaimed author"
    page.paragraph(f"Trust {rng.randint(5, 95)} - {label}Verification L{level}{claim}",
                   f"{len(entries)}works", f"{followers}followers", f"{rng.randint(1, 12)}topics",
                   f"{rng.randint(0, 30)}close collaborators")
    page.paragraph("Actions")
    page.paragraph("Decide how to stay connected")
    page.paragraph(f"Follow researcher{followers}")
    page.paragraph("Identity and collaboration")
    page.paragraph("How to connect with this researcher")
    if not claimed:
        page.paragraph(CLAIM_HELP)
        page.paragraph("Log in to claim")
    page.paragraph("Direct collaboration")
    page.paragraph("Open a focused conversation when the fit is right")
    if not claimed:
        page.paragraph("Claim this author entity first to unlock direct invitations.")
    for chrome in GRAPH_CHROME:
        page.paragraph(chrome)
    page.paragraph("Published work")
    page.paragraph(f"{len(entries)} published item(s)")
    truth = []
    for entry in entries:
        version = entry.version
        line = page.paragraph(f"{version.type_label}{version.year}{version.venue}")
        page.paragraph(entry.title)
        if entry.abstract:
            page.paragraph(entry.abstract)
        truth.append(entry.truth(line))
    subject_truth = {"line": subject_line, "name": subject, "person": person.id, "form": form}
    return page.text(), {"kind": "researcher-profile", "subject": subject_truth, "persons": [], "entries": truth}


def records_file(rng: random.Random, person_lines: list[Person], entries: list[Entry]) -> tuple[str, dict]:
    """JSON Lines: person lines (canonical name, ORCID when known), then the paper lines shuffled."""
    rng.shuffle(entries)
    lines: list[str] = []
    persons_truth, entries_truth = [], []
    for person in person_lines:
        record: dict = {"type": "person", "name": person.name}
        if person.orcid:
            record["identifiers"] = {"orcid": person.orcid}
        lines.append(json.dumps(record, ensure_ascii=False))
        persons_truth.append({"line": len(lines), "name": person.name, "person": person.id, "orcid": person.orcid})
    for entry in entries:
        version = entry.version
        record = {"type": "paper", "title": entry.title, "authors": [name for name, _p, _f in entry.authors]}
        if entry.abstract:
            record["abstract"] = entry.abstract
        record |= {"venue": version.venue, "venue_kind": version.venue_kind, "year": version.year,
                   "type_label": version.type_label}
        identifiers = {scheme: value for scheme, value in (("doi", version.doi), ("arxiv", version.arxiv)) if value}
        if identifiers:
            record["identifiers"] = identifiers
        lines.append(json.dumps(record, ensure_ascii=False))
        entries_truth.append(entry.truth(len(lines)))
    return "\n".join(lines) + "\n", {"kind": "records-jsonl", "subject": None, "persons": persons_truth,
                                     "entries": entries_truth}


# -- the corpus ------------------------------------------------------------------------------------


class Corpus:
    """Builds the files of a world; ``files`` maps a file name to (text, truth)."""

    def __init__(self, rng: random.Random, persons: list[Person], works: list[Work]):
        self.rng = rng
        self.persons = {person.id: person for person in persons}
        self.ranked = persons
        self.works = {work.id: work for work in works}
        self.files: dict[str, tuple[str, dict]] = {}
        self.numbers: Counter[str] = Counter()  # files written per prefix
        self.listed: set[str] = set()  # works some file lists
        self.on_profiles: Counter[str] = Counter()

    def add(self, prefix: str, suffix: str, text: str, truth: dict) -> None:
        """Keep a file as ``{prefix}-NNNN.{suffix}``, numbered in the order files are made."""
        self.numbers[prefix] += 1
        self.files[f"{prefix}-{self.numbers[prefix]:04d}.{suffix}"] = (text, truth)
        self.listed.update(entry["work"] for entry in truth["entries"])

    def build(self) -> None:
        """Make every file: profiles, clusters, lab exports, then bulk files for what is left."""
        self.add_profiles()
        self.add_clusters()
        self.add_labs()
        self.add_bulk()

    def add_profiles(self) -> None:
        """Give each work 0 to 3 profiles among its most prolific authors, then write each profile."""
        multi_author = sum(len(work.authors) > 1 for work in self.works.values()) or 1
        multi_share = min(1.0, MULTI_PROFILE_SHARE * len(self.works) / multi_author)
        owned: dict[str, list[Work]] = {}
        for work in self.works.values():
            draw_ = self.rng.random()
            if len(work.authors) > 1 and draw_ < multi_share:
                count = min(len(work.authors), self.rng.choice((2, 2, 3)))
            elif draw_ < multi_share + ONE_PROFILE_SHARE:
                count = 1
            else:
                continue
            prolific = sorted(work.authors, key=lambda p: (-len(self.persons[p].works), p))[:count]
            for person_id in prolific:
                owned.setdefault(person_id, []).append(work)
                self.on_profiles[work.id] += 1
        for person in self.ranked:
            if person.id not in owned:
                continue
            forms = person.forms()
            form = draw(self.rng, PROFILE_SUBJECT_FORMS, forms)
            entries = make_entries(self.rng, owned[person.id], self.persons, "researcher-profile")
            self.rng.shuffle(entries)
            self.add("profile", "txt", *profile_page(self.rng, person, forms[form], form, entries))

    def add_clusters(self) -> None:
        """One cluster per homonym name (both people's works), and clusters of some prolific people."""
        for person in self.ranked:
            if person.homonym_of:
                if person.id < person.homonym_of:
                    self.add_cluster([person, self.persons[person.homonym_of]], "canonical")
                continue
            if len(person.works) < CLUSTER_MIN_WORKS or self.rng.random() >= CLUSTER_SHARE:
                continue
            forms = person.forms()
            form = draw(self.rng, CLUSTER_SUBJECT_FORMS, forms)
            self.add_cluster([person], form)
            accent_forms = {"canonical", "unaccented"} & set(forms)
            if form in accent_forms and len(accent_forms) == 2 and self.rng.random() < SECOND_CLUSTER_SHARE:
                self.add_cluster([person], "unaccented" if form == "canonical" else "canonical")

    def add_cluster(self, people: list[Person], form: str) -> None:
        """A cluster of the spelling ``form`` of ``people`` (two only for a homonym pair, whose spellings agree)."""
        name = people[0].forms()[form]
        fixed = {person.id: (name, form) for person in people}
        works = [self.works[w] for w in sorted({w for p in people for w in p.works})
                 if self.rng.random() < CLUSTER_LISTS_SHARE]
        entries = make_entries(self.rng, works, self.persons, "arrow-author-cluster", fixed)
        if not entries:
            return
        text, truth = cluster_page(name, entries, rows=len(people))
        truth["subject"] |= {"person": people[0].id if len(people) == 1 else None, "form": form}
        self.add("cluster", "txt", text, truth)

    def add_labs(self) -> None:
        """JSON Lines exports of some people's works, with person lines for them and some co-authors."""
        for person in self.ranked:
            if len(person.works) < 2 or self.rng.random() >= LAB_SHARE:
                continue
            works = [self.works[w] for w in person.works if self.rng.random() < LAB_LISTS_SHARE]
            works = self.without_homonym_clash(works, {person.id})
            if works:
                self.add_records("lab", works, [person])

    def add_bulk(self) -> None:
        """Bulk JSON Lines files: every work not listed yet, and some listed ones again."""
        bulk = [work for work in self.works.values()
                if work.id not in self.listed or self.rng.random() < BULK_EXTRA_SHARE]
        files: list[tuple[list[Work], set[str]]] = []  # works and their authors
        for work in bulk:  # first file with room and no homonym clash
            for chosen, authors in files:
                if len(chosen) < BULK_FILE_PAPERS and self.without_homonym_clash([work], authors):
                    chosen.append(work)
                    authors.update(work.authors)
                    break
            else:
                files.append(([work], set(work.authors)))
        for chosen, _authors in files:
            self.add_records("records", chosen, [])

    def add_records(self, prefix: str, works: list[Work], owners: list[Person]) -> None:
        """A JSON Lines file of ``works``, with person lines for ``owners`` and some co-authors with an ORCID."""
        entries = make_entries(self.rng, works, self.persons, "records-jsonl", {})
        coauthors = [self.persons[p] for p in self.authors_of(works) if p not in {o.id for o in owners}]
        person_lines = owners + [p for p in coauthors if p.orcid and self.rng.random() < COAUTHOR_LINE_SHARE]
        self.add(prefix, "jsonl", *records_file(self.rng, person_lines, entries))

    def authors_of(self, works: list[Work]) -> dict[str, None]:
        """The people who wrote ``works``, in order of first appearance."""
        return {person_id: None for work in works for person_id in work.authors}

    def without_homonym_clash(self, works: list[Work], present) -> list[Work]:
        """``works`` less any that would put both people of a homonym pair in one file with ``present``."""
        kept, people = [], set(present)
        for work in works:
            together = people | set(work.authors)
            if not any(self.persons[p].homonym_of in together for p in work.authors):
                kept.append(work)
                people = together
        return kept

    def stats(self) -> dict:
        """Counts that show what the corpus exercises."""
        kinds = Counter(truth["kind"] for _text, truth in self.files.values())
        entries = [entry for _text, truth in self.files.values() for entry in truth["entries"]]
        forms = Counter(author[2] for entry in entries for author in entry["authors"] or ())
        works = len(self.works)
        return {
            "files": dict(sorted(kinds.items())),
            "persons": len(self.persons),
            "persons_with_works": sum(bool(p.works) for p in self.persons.values()),
            "homonym_pairs": sum(bool(p.homonym_of) for p in self.persons.values()) // 2,
            "works": works,
            "two_version_works": sum(len(w.versions) > 1 for w in self.works.values()),
            "generic_title_works": sum(w.generic for w in self.works.values()),
            "works_on_two_or_more_profiles": round(sum(n >= 2 for n in self.on_profiles.values()) / works, 3),
            "entries": len(entries),
            "entries_by_title_form": dict(sorted(Counter(e["title_form"] for e in entries).items())),
            "author_mentions_by_form": dict(sorted(forms.items())),
            "person_lines": sum(len(truth["persons"]) for _text, truth in self.files.values()),
        }


def generate(papers: int, seed: int) -> tuple[dict[str, str], dict]:
    """The corpus of ``papers`` works: file name -> text, and the truth."""
    rng = random.Random(seed)
    persons = make_persons(rng, max(30, round(papers * PERSONS_PER_PAPER)))
    works = make_works(rng, persons, papers)
    corpus = Corpus(rng, persons, works)
    corpus.build()
    truth = {
        "format": FORMAT,
        "seed": seed,
        "papers": papers,
        "persons": {p.id: {"name": p.name, "orcid": p.orcid, "homonym_of": p.homonym_of} for p in persons},
        "works": {w.id: {"title": w.title, "authors": w.authors, "generic": w.generic,
                         "versions": [{"venue": v.venue, "venue_kind": v.venue_kind, "year": v.year,
                                       "type_label": v.type_label} for v in w.versions]} for w in works},
        "files": {name: file_truth for name, (_text, file_truth) in sorted(corpus.files.items())},
        "stats": corpus.stats(),
    }
    return {name: text for name, (text, _truth) in sorted(corpus.files.items())}, truth


def write_corpus(texts: dict[str, str], truth: dict, output: Path, force: bool) -> None:
    """Write DIR/pages/* and DIR/truth.json; refuse to mix with an earlier corpus unless ``force``."""
    pages = output / "pages"
    if pages.exists() and any(pages.iterdir()):
        if not force:
            raise SystemExit(f"{pages} is not empty; pass --force to replace it")
        shutil.rmtree(pages)
    pages.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (pages / name).write_text(text, encoding="utf-8", newline="\n")
    with open(output / "truth.json", "w", encoding="utf-8", newline="\n") as out:
        json.dump(truth, out, ensure_ascii=False, separators=(",", ":"))
        out.write("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, required=True, help="number of true works (>= 10)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--output", type=Path, required=True, help="directory for pages/ and truth.json")
    parser.add_argument("--force", action="store_true", help="replace the pages of an earlier corpus in --output")
    args = parser.parse_args(argv)
    if args.papers < 10:
        parser.error(f"--papers must be at least 10, got {args.papers}")
    texts, truth = generate(args.papers, args.seed)
    write_corpus(texts, truth, args.output, args.force)
    print(json.dumps(truth["stats"], indent=2, ensure_ascii=False), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
