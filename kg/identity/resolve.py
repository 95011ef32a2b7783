"""Resolve a batch of parsed sources into entities with stable, readable slugs.

Rules (README, "Identity rules"):
- persons are one when :func:`person_key` matches; the display name is the richest spelling;
- records are one work when their title keys are equal and their author sets are compatible
  (they share an author, or one side has none); a profile's works count its subject as author;
- records are one version when work, venue, year and type agree (see :func:`version_slug`);
- a source is identified by the SHA-256 of its bytes, so ingesting a file twice changes nothing.

Slugs come from keys, never from the order records arrive in. When two entities want the same
slug, both new ones get a readable disambiguator; an entity already in the store keeps its URI.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from kg.errors import MappingError
from kg.identity.keys import person_key, richest_spelling, short_hash, slugify, title_key, venue_key
from kg.identity.registry import KnownEntity, Registry
from kg.records import PaperRecord, ParsedSource


@dataclass(frozen=True)
class Person:
    slug: str
    key: str
    display: str
    alternates: tuple[str, ...]
    previous: KnownEntity | None


@dataclass(frozen=True)
class Work:
    slug: str
    key: str
    year: int | None
    author_keys: frozenset[str]
    previous: KnownEntity | None


@dataclass(frozen=True)
class Venue:
    slug: str
    key: str
    previous: KnownEntity | None


@dataclass(frozen=True)
class Source:
    slug: str
    parsed: ParsedSource


@dataclass(frozen=True)
class Resolution:
    """The entities a batch touches. Only sources not already in the store are in ``sources``."""

    sources: tuple[Source, ...]
    skipped: tuple[ParsedSource, ...]
    persons: dict[str, Person]
    works: dict[str, Work]
    venues: dict[str, Venue]
    paper_works: dict[tuple[str, int], str]

    def person(self, name: str) -> Person:
        return self.persons[person_key(name)]

    def venue(self, name: str) -> Venue:
        return self.venues[venue_key(name)]

    def work_of(self, source: ParsedSource, index: int) -> Work:
        return self.works[self.paper_works[(source.ref.sha256, index)]]


def resolve(parsed: Sequence[ParsedSource], registry: Registry) -> Resolution:
    """Decide the entities of a batch.

    Raises:
        MappingError: a name, title or venue that has nothing to build a key or slug from.
    """
    sources, skipped = _resolve_sources(parsed, registry)
    known = [s.parsed for s in sources]
    persons = _resolve_persons(known, registry)
    works, paper_works = _resolve_works(known, registry)
    return Resolution(
        sources=sources,
        skipped=skipped,
        persons=persons,
        works=works,
        venues=_resolve_venues(known, registry),
        paper_works=paper_works,
    )


def version_slug(venue_slug: str | None, year: int | None, type_label: str | None) -> str:
    """Slug of a version under its work: ``neurips-2025-conference-paper``."""
    kind = slugify(type_label or "") or "version"
    return "-".join([venue_slug or "unknown-venue", str(year) if year else "undated", kind])


def author_keys_of(source: ParsedSource, paper: PaperRecord) -> frozenset[str]:
    """Person keys of a paper's authors; a profile's works count its subject as their author."""
    if paper.authors is not None:
        return frozenset(person_key(name) for name in paper.authors)
    if source.subject is not None:
        return frozenset({person_key(source.subject.name)})
    return frozenset()


def paper_authors(source: ParsedSource, paper: PaperRecord) -> tuple[str, ...]:
    """Names of a paper's known authors, in order (the profile subject when no list is given)."""
    if paper.authors is not None:
        return paper.authors
    return (source.subject.name,) if source.subject is not None else ()


# -- sources -------------------------------------------------------------------------------------


def _resolve_sources(parsed: Sequence[ParsedSource], registry: Registry):
    by_sha: dict[str, ParsedSource] = {}
    for source in sorted(parsed, key=lambda s: (s.ref.sha256, s.ref.name)):
        by_sha.setdefault(source.ref.sha256, source)
    found = registry.find(f"source:{sha}" for sha in by_sha)
    fresh = {sha: s for sha, s in by_sha.items() if f"source:{sha}" not in found}
    skipped = tuple(s for sha, s in by_sha.items() if sha not in fresh)
    wanted = {}
    for sha, source in fresh.items():
        base = slugify(PurePath(source.ref.name).stem) or "source"
        wanted[sha] = (base, sha[:8])
    slugs = _assign_slugs("source", wanted, registry)
    sources = tuple(sorted((Source(slugs[sha], s) for sha, s in fresh.items()), key=lambda s: s.slug))
    return sources, skipped


# -- persons -------------------------------------------------------------------------------------


def _person_mentions(sources: Iterable[ParsedSource]) -> dict[str, set[str]]:
    spellings: dict[str, set[str]] = defaultdict(set)
    for source in sources:
        named = [(source.subject.name, source.subject.line)] if source.subject else []
        named += [(p.name, p.line) for p in source.persons]
        named += [(name, paper.line) for paper in source.papers for name in paper.authors or ()]
        for name, line in named:
            spellings[_checked_key(person_key, name, source, line, "name")].add(name)
    return spellings


def _resolve_persons(sources: Sequence[ParsedSource], registry: Registry) -> dict[str, Person]:
    spellings = _person_mentions(sources)
    found = registry.find(f"person:{key}" for key in spellings)
    previous = {key: found[f"person:{key}"][0] for key in spellings if f"person:{key}" in found}
    wanted = {key: (slugify(key), None) for key in spellings if key not in previous}
    slugs = _assign_slugs("author", wanted, registry)
    persons = {}
    for key, names in spellings.items():
        old = previous.get(key)
        every = names | set(old.names if old else ())
        display = richest_spelling(every)
        slug = old.slug if old else slugs[key]
        persons[key] = Person(slug, key, display, tuple(sorted(every - {display})), old)
    return persons


# -- venues --------------------------------------------------------------------------------------


def _resolve_venues(sources: Sequence[ParsedSource], registry: Registry) -> dict[str, Venue]:
    keys: set[str] = set()
    for source in sources:
        for paper in source.papers:
            if paper.venue is None:
                continue
            keys.add(_checked_key(venue_key, paper.venue, source, paper.line, "venue"))
    found = registry.find(f"venue:{key}" for key in keys)
    previous = {key: found[f"venue:{key}"][0] for key in keys if f"venue:{key}" in found}
    slugs = _assign_slugs("venue", {k: (slugify(k), None) for k in keys if k not in previous}, registry)
    return {k: Venue(previous[k].slug if k in previous else slugs[k], k, previous.get(k)) for k in keys}


# -- works ---------------------------------------------------------------------------------------


@dataclass
class _Cluster:
    """Records of one title that are one work, and the work they resolve to."""

    author_keys: set[str]
    members: list[tuple[str, int]]
    years: set[int]
    previous: KnownEntity | None = None
    hint: str | None = None


def _resolve_works(sources: Sequence[ParsedSource], registry: Registry):
    by_title: dict[str, list[tuple[str, int, frozenset[str], PaperRecord]]] = defaultdict(list)
    for source in sources:
        for index, paper in enumerate(source.papers):
            key = _checked_key(title_key, paper.title, source, paper.line, "title")
            by_title[key].append((source.ref.sha256, index, author_keys_of(source, paper), paper))
    found = registry.find(f"work:{key}" for key in by_title)
    clusters: dict[str, list[_Cluster]] = {
        key: _cluster_title(rows, found.get(f"work:{key}", [])) for key, rows in by_title.items()
    }
    wanted = {}
    for key, group in clusters.items():
        for cluster in group:
            if cluster.previous is None:
                wanted[_cluster_id(key, cluster)] = (slugify(key), cluster.hint)
    slugs = _assign_slugs("paper", wanted, registry)
    works, paper_works = {}, {}
    for key, group in clusters.items():
        for cluster in group:
            old = cluster.previous
            slug = old.slug if old else slugs[_cluster_id(key, cluster)]
            years = cluster.years | ({old.year} if old and old.year else set())
            authors = frozenset(cluster.author_keys | set(old.author_keys if old else ()))
            works[slug] = Work(slug, key, min(years) if years else None, authors, old)
            for member in cluster.members:
                paper_works[member] = slug
    return works, paper_works


def _cluster_id(key: str, cluster: _Cluster) -> str:
    return f"{key}\x1f{'|'.join(sorted(cluster.author_keys))}"


def _cluster_title(rows, known: list[KnownEntity]) -> list[_Cluster]:
    """Group the records of one title key into works, joining works already in the store."""
    with_authors = [r for r in rows if r[2]]
    clusters = _union_by_shared_author(with_authors)
    for cluster in clusters:
        compatible = (w for w in known if not w.author_keys or w.author_keys & cluster.author_keys)
        matches = sorted(compatible, key=lambda w: w.slug)
        cluster.previous = matches[0] if matches else None
    clusters = _merge_same_target(clusters)
    orphans = [r for r in rows if not r[2]]
    if orphans:
        if not clusters:
            clusters = [_Cluster(set(), [], set(), min(known, key=lambda w: w.slug) if known else None)]
        target = min(clusters, key=lambda c: (c.previous is None, c.previous.slug if c.previous else "",
                                              sorted(c.author_keys)))
        for sha, index, _authors, paper in orphans:
            target.members.append((sha, index))
            if paper.year:
                target.years.add(paper.year)
    return clusters


def _union_by_shared_author(rows) -> list[_Cluster]:
    """Union-find: records sharing an author key end up in one cluster."""
    clusters: list[_Cluster] = []
    for sha, index, authors, paper in sorted(rows, key=lambda r: (sorted(r[2]), r[0], r[1])):
        joined = [c for c in clusters if c.author_keys & authors]
        merged = _Cluster(set(authors), [(sha, index)], {paper.year} if paper.year else set())
        for cluster in joined:
            merged.author_keys |= cluster.author_keys
            merged.members += cluster.members
            merged.years |= cluster.years
            clusters.remove(cluster)
        clusters.append(merged)
    for cluster in clusters:
        cluster.hint = slugify(min(cluster.author_keys).split()[-1]) if cluster.author_keys else None
    return clusters


def _merge_same_target(clusters: list[_Cluster]) -> list[_Cluster]:
    """Clusters that resolved to the same stored work become one."""
    by_target: dict[str, _Cluster] = {}
    result = []
    for cluster in clusters:
        if cluster.previous is None:
            result.append(cluster)
        elif cluster.previous.slug in by_target:
            into = by_target[cluster.previous.slug]
            into.author_keys |= cluster.author_keys
            into.members += cluster.members
            into.years |= cluster.years
        else:
            by_target[cluster.previous.slug] = cluster
            result.append(cluster)
    return result


def _checked_key(make_key, text: str, source: ParsedSource, line: int | None, field: str) -> str:
    """Return the identity key of a name, title or venue, refusing one with nothing to slug."""
    key = make_key(text)
    if not key or not slugify(key):
        raise MappingError(source.record_key(line), field, f"{text!r} has no letters or digits for a URI")
    return key


# -- slugs ---------------------------------------------------------------------------------------


def _assign_slugs(kind: str, wanted: dict[str, tuple[str, str | None]], registry: Registry) -> dict[str, str]:
    """Give each new entity its base slug, or a disambiguated one when the base is contended.

    Args:
        kind: the URI space ("author", "paper", "venue", "source").
        wanted: entity id -> (base slug, readable hint or None).
    """
    by_base: dict[str, list[str]] = defaultdict(list)
    for entity, (base, _hint) in wanted.items():
        by_base[base].append(entity)
    taken = registry.taken(kind, by_base)
    slugs: dict[str, str] = {}
    contended: list[str] = []
    for base, entities in by_base.items():
        if len(entities) == 1 and base not in taken:
            slugs[entities[0]] = base
        else:
            contended += entities
    hinted = {e: f"{wanted[e][0]}-{wanted[e][1]}" for e in contended if wanted[e][1]}
    counts = defaultdict(int)
    for slug in hinted.values():
        counts[slug] += 1
    taken |= registry.taken(kind, hinted.values()) | set(slugs.values())
    for entity in contended:
        slug = hinted.get(entity)
        if slug is None or counts[slug] > 1 or slug in taken:
            slug = f"{wanted[entity][0]}-{short_hash(entity)}"
        slugs[entity] = slug
    return slugs
