"""Resolve a batch of parsed sources into entities with stable, readable slugs.

Identity is computed from mentions (kg.identity.mentions): the batch's own, and every stored
mention of the blocks they touch, so each affected person and work is decided from all the
evidence there is (kg.identity.cluster). The result says, besides the slug of everything the new
sources name, what changed for what was stored: mentions that now belong to another entity (their
facts move), and URIs that are no longer an entity's (they redirect to their survivor).

Sources are identified by the SHA-256 of their bytes, so ingesting a file twice changes nothing;
venues by their folded name.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from kg.errors import MappingError
from kg.identity.cluster import (
    Cluster,
    Curation,
    Named,
    cluster_persons,
    cluster_works,
    name_persons,
    name_works,
    names_compatible,
)
from kg.identity.keys import person_key, richest_spelling, short_hash, slugify, venue_key
from kg.identity.mentions import (
    Mention,
    PersonMention,
    WorkMention,
    initial_key,
    local_person,
    mentions_of,
    split_homonym,
    work_title_key,
)
from kg.identity.registry import KnownPerson, Registry, StoredMention
from kg.records import PaperRecord, ParsedSource

MAX_BLOCK_ROUNDS = 50  # block keys are followed transitively; a real chain is a few rounds long


@dataclass(frozen=True)
class Entity:
    """A person ("author") or work ("paper") as identity decided it, with its mentions and why."""

    space: str
    named: Named
    mentions: tuple[Mention, ...]  # those decided now: a person known by one name alone gets only the new ones
    evidence: dict[str, list[tuple[str, str | None]]]  # mention id -> (reason, other mention id or None)

    @property
    def slug(self) -> str:
        return self.named.slug


@dataclass(frozen=True)
class Venue:
    slug: str
    key: str


@dataclass(frozen=True)
class Source:
    slug: str
    parsed: ParsedSource


@dataclass(frozen=True)
class Resolution:
    """The entities a batch touches. Only sources not already in the store are in ``sources``.

    ``moved``: source slug -> {old entity URI path -> new one} for stored mentions whose entity
    changed (``author/x`` -> ``author/y``); ``split``: source slug -> old path -> [(mention, new
    path)], where mentions of one source that shared a URI now belong to different entities (their
    facts are told apart one by one); ``retired``: old path -> its survivor's path.
    """

    sources: tuple[Source, ...]
    skipped: tuple[ParsedSource, ...]
    entities: dict[str, Entity]  # by path, "author/slug" or "paper/slug"
    venues: dict[str, Venue]
    of_mention: dict[str, str]  # mention id -> entity path
    moved: dict[str, dict[str, str]] = field(default_factory=dict)
    split: dict[str, dict[str, list[tuple[Mention, str]]]] = field(default_factory=dict)
    retired: dict[str, str] = field(default_factory=dict)
    curations: tuple[Curation, ...] = ()
    stored: tuple[StoredMention, ...] = ()  # the stored mentions it re-decided

    @property
    def persons(self) -> list[Entity]:
        return [e for e in self.entities.values() if e.space == "author"]

    @property
    def works(self) -> list[Entity]:
        return [e for e in self.entities.values() if e.space == "paper"]

    def person(self, source: ParsedSource, name: str, record: int | None = None) -> Entity:
        """The person ``name`` is in ``source`` (on its ``record``-th paper record, where that matters)."""
        mention = f"{source.ref.sha256}:p:{local_person(name)}"
        if record is not None and f"{mention}@{record}" in self.of_mention:
            mention = f"{mention}@{record}"
        return self.entities[self.of_mention[mention]]

    def venue(self, name: str) -> Venue:
        return self.venues[venue_key(name)]

    def work_of(self, source: ParsedSource, index: int) -> Entity:
        return self.entities[self.of_mention[f"{source.ref.sha256}:w:{index}"]]


def resolve(parsed: Sequence[ParsedSource], registry: Registry, curation: Curation | None = None,
            seeds: Iterable[str] = ()) -> Resolution:
    """Decide the entities of a batch, re-deciding the stored ones its records bear on.

    Args:
        curation: a new curation, not stored yet, to decide with (``kg curate``).
        seeds: block keys to re-decide besides those of the batch's records.

    Raises:
        MappingError: a name, title or venue that has nothing to build a key or slug from.
    """
    registry = _BlocksRead(registry)
    sources, skipped = _resolve_sources(parsed, registry)
    new: list[Mention] = []
    for source in sources:
        _check_keys(source.parsed)
        persons, works = mentions_of(source.parsed, source.slug)
        new += persons + works
    summarised = curation is None and not seeds and registry.summarised()
    alone = _by_name_alone(new, registry) if summarised else {}
    while True:
        rest = [m for m in new if not (isinstance(m, PersonMention) and initial_key(m.key) in alone)]
        stored = _stored_mentions(rest, registry, set(seeds), by_name=summarised)
        reached = {k[len("pb:"):] for s in stored for k in s.keys if k.startswith("pb:")} & alone.keys()
        if not reached:  # no block decided by name alone is re-decided with the others (through an identifier)
            break
        alone = {block: built for block, built in alone.items() if block not in reached}
    everything = rest + [s.mention for s in stored]
    curations = registry.curations({m.id for m in everything}) + ([curation] if curation else [])
    persons = [m for m in everything if isinstance(m, PersonMention)]
    works = [m for m in everything if isinstance(m, WorkMention)]
    entities: dict[str, Entity] = {path: e for built in alone.values() for path, e in built.items()}
    taken = {e.slug for e in entities.values()}
    for space, clusters, namer in (("author", cluster_persons(persons, curations), name_persons),
                                   ("paper", cluster_works(works, curations), name_works)):
        reserved = registry.retired(space, _bases(clusters)) | (taken if space == "author" else set())
        for cluster, named in zip(clusters, namer(clusters, reserved), strict=True):
            entities[f"{space}/{named.slug}"] = Entity(space, named, tuple(cluster.members), dict(cluster.evidence))
    of_mention = {m.id: path for path, e in entities.items() for m in e.mentions}
    moved, split, retired = _changes(stored, of_mention)
    return Resolution(
        sources=sources,
        skipped=skipped,
        entities=entities,
        venues=_resolve_venues([s.parsed for s in sources], registry),
        of_mention=of_mention,
        moved=moved,
        split=split,
        retired=retired,
        curations=tuple(curations),
        stored=tuple(stored),
    )


class _BlocksRead:
    """A registry that keeps the person blocks it has read: deciding by name alone and reading
    the stored mentions of the rest ask for many of the same blocks."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.blocks: dict[str, dict[str, frozenset[str]]] = {}

    def __getattr__(self, name: str):
        return getattr(self.registry, name)

    def person_blocks(self, blocks: Iterable[str]) -> dict[str, dict[str, frozenset[str]]]:
        blocks = set(blocks)
        if missing := blocks - self.blocks.keys():
            found = self.registry.person_blocks(missing)
            self.blocks.update({block: found.get(block, {}) for block in missing})
        return {block: self.blocks[block] for block in blocks if self.blocks[block]}


def _by_name_alone(new: Sequence[Mention], registry: Registry) -> dict[str, dict[str, Entity]]:
    """The new person mentions that join a person (or make a new one) by their name alone, decided
    from the stored persons' summaries (a store that keeps them: ``Registry.summarised``) without
    reading their mentions: by block (first initial and surname), the persons they make or
    extend, by path.

    A block is decided so only where re-deciding all its stored mentions could give nothing else
    (kg.identity.cluster): no new mention in it has an identifier; each new name key is compatible
    with no other name in the block (no variant, no partial name, no slug shared), and is held by
    no stored person or by exactly one, known by that name alone and with its slug. Such a mention
    joins by "same name", evidence that names no other mention, so no stored mention changes.
    Every other block is re-decided from all its mentions.
    """
    by_block: dict[str, list[PersonMention]] = {}
    for mention in new:
        if isinstance(mention, PersonMention):
            by_block.setdefault(initial_key(mention.key), []).append(mention)
    candidates = {b: ms for b, ms in by_block.items() if not any(m.identifiers for m in ms)}
    if not candidates:
        return {}
    stored = registry.person_blocks(candidates)
    plans: dict[str, dict[str, str | None]] = {}
    for block, mentions in sorted(candidates.items()):
        persons = stored.get(block, {})
        names = {m.key for m in mentions}
        everyone = names.union(*persons.values())
        plan: dict[str, str | None] = {}
        for key in sorted(names):
            holders = [path for path, keys in persons.items() if key in keys]
            if _compatible_names({key}, everyone) != {key} or len(holders) > 1 \
                    or (holders and (persons[holders[0]] != {key} or holders[0] != f"author/{slugify(key)}")):
                break
            plan[key] = holders[0] if holders else None
        else:
            plans[block] = plan
    known = registry.known_persons(path for plan in plans.values() for path in plan.values() if path)
    reserved = registry.retired("author", {slugify(key) for plan in plans.values() for key in plan})
    decided: dict[str, dict[str, Entity]] = {}
    for block, plan in plans.items():
        if reserved & {slugify(key) for key in plan}:
            continue
        built: dict[str, Entity] = {}
        for key, path in plan.items():
            mentions = sorted((m for m in by_block[block] if m.key == key), key=lambda m: m.id)
            person = known[path] if path else KnownPerson(frozenset(), ())
            spellings = person.spellings | {s for m in mentions for s in m.spellings}
            display = richest_spelling(spellings)
            named = Named(slugify(key), key, display, tuple(sorted(spellings - {display})), None, person.identifiers)
            built[f"author/{named.slug}"] = Entity("author", named, tuple(mentions),
                                                   {m.id: [("same name", None)] for m in mentions})
        decided[block] = built
    return decided


def _stored_mentions(new: Sequence[Mention], registry: Registry, seeds: set[str],
                     by_name: bool = False) -> list[StoredMention]:
    """Every stored mention the new mentions (and ``seeds``) bear on: those sharing a block key
    with them, followed transitively (the keys of what is found are followed in turn).

    With ``by_name`` (a store that keeps person summaries), a person's block (``pb:``, first
    initial and surname) is not read whole: only the mentions of the names of the block that can
    be one person's with it (compatible names, kg.identity.cluster.names_compatible, or one
    slug, transitively), since the rules never join or part two names that cannot be.
    """
    wanted = seeds.union(*(m.block_keys() for m in new))
    batch: dict[str, set[str]] = defaultdict(set)  # block -> the new names in it
    for mention in new:
        if isinstance(mention, PersonMention):
            batch[initial_key(mention.key)].add(mention.key)
    names: set[tuple[str, str]] = set()  # (block, name key) of persons whose compatible names are wanted
    if by_name:
        wanted = {k for k in wanted if not k.startswith("pb:")}
        names = {(block, key) for block, keys in batch.items() for key in keys}
    asked: set[str] = set()
    read: set[tuple[str, str]] = set()
    found: dict[str, StoredMention] = {}
    for _round in range(MAX_BLOCK_ROUNDS):
        keys, fresh = wanted - asked, names - read
        if not keys and not fresh:
            break
        asked |= keys
        if fresh:
            persons = registry.person_blocks({block for block, _key in fresh})
            in_block = {block: batch[block] | {k for keys in persons.get(block, {}).values() for k in keys
                                               if initial_key(k) == block} for block, _key in fresh}
            fresh = {(block, key) for block, key in fresh
                     for key in _compatible_names({key}, in_block[block] | {key})} - read
            read |= fresh
        for stored in [*registry.mentions(keys), *registry.named_mentions(key for _block, key in fresh)]:
            if stored.frozen:
                continue  # retired by hand: its facts stay with the retired URI
            if stored.mention.id not in found:
                found[stored.mention.id] = stored
                more = stored.mention.block_keys() | stored.keys
                if by_name:
                    more = {k for k in more if not k.startswith("pb:")}
                    if isinstance(stored.mention, PersonMention):
                        names.add((initial_key(stored.mention.key), stored.mention.key))
                wanted |= more
    new_ids = {m.id for m in new}
    return [s for i, s in sorted(found.items()) if i not in new_ids]


def _compatible_names(start: set[str], block: set[str]) -> set[str]:
    """``start`` and the names of ``block`` it reaches through compatible names or a shared slug:
    the names the rules could ever join to it."""
    reached, frontier = set(start), set(start)
    while frontier:
        frontier = {other for other in block - reached
                    if any(names_compatible(key, other) or slugify(key) == slugify(other) for key in frontier)}
        reached |= frontier
    return reached


def _bases(clusters: Sequence[Cluster]) -> set[str]:
    """The base slugs these clusters could want (a retired URI among them is not given again)."""
    return {slugify(m.key) for c in clusters for m in c.members}


def _changes(stored: Sequence[StoredMention], of_mention: dict[str, str]):
    """Which stored mentions changed entity (by source: moved whole, or split), and which old paths
    are nobody's now."""
    went: dict[str, Counter] = defaultdict(Counter)
    in_source: dict[tuple[str, str], list[tuple[Mention, str]]] = defaultdict(list)
    for item in stored:
        new = of_mention[item.mention.id]
        went[item.path][new] += 1
        in_source[(item.mention.source, item.path)].append((item.mention, new))
    moved: dict[str, dict[str, str]] = defaultdict(dict)
    split: dict[str, dict[str, list]] = defaultdict(dict)
    for (source, old), mentions in sorted(in_source.items()):
        targets = {new for _mention, new in mentions}
        if len(targets) > 1:
            split[source][old] = sorted(mentions, key=lambda pair: pair[0].id)
        elif targets != {old}:
            moved[source][old] = targets.pop()
    live = set(of_mention.values())
    retired = {old: min(counts, key=lambda p: (-counts[p], p)) for old, counts in went.items() if old not in live}
    return dict(moved), dict(split), retired


VERSION_KINDS = ("conference-paper", "journal-article", "preprint", "workshop-paper", "book-chapter")
VERSION_KIND_BY_VENUE_KIND = {"conference": "conference-paper", "journal": "journal-article",
                              "preprint-server": "preprint", "workshop": "workshop-paper"}


def version_kind(type_label: str | None, venue_kind: str | None) -> str | None:
    """The kind of a version (one of VERSION_KINDS, mapped to a FaBiO class), from its type label,
    or failing that its venue's kind; None when neither says."""
    label = slugify(type_label or "")
    return label if label in VERSION_KINDS else VERSION_KIND_BY_VENUE_KIND.get(venue_kind or "")


def version_slug(venue_slug: str | None, year: int | None, type_label: str | None, venue_kind: str | None) -> str:
    """Slug of a version under its work: ``neurips-2025-conference-paper``.

    Everything its class is decided from is in it, so two records that are one version never
    give it two classes: a label that is not a kind is followed by the kind, when there is one
    (``jmlr-2020-article-journal-article``).
    """
    label, kind = slugify(type_label or ""), version_kind(type_label, venue_kind)
    tail = label if label and (label == kind or kind is None) else "-".join(filter(None, (label, kind))) or "version"
    return "-".join([venue_slug or "unknown-venue", str(year) if year else "undated", tail])


def paper_authors(source: ParsedSource, paper: PaperRecord) -> tuple[str, ...]:
    """Names of a paper's known authors, in order (the profile subject when no list is given)."""
    if paper.authors is not None:
        return paper.authors
    return (source.subject.name,) if source.subject is not None else ()


def _check_keys(source: ParsedSource) -> None:
    """Refuse a name or title with nothing to build a key or a slug from, naming the record."""
    named = [(source.subject.name, source.subject.line)] if source.subject else []
    named += [(p.name, p.line) for p in source.persons]
    named += [(name, paper.line) for paper in source.papers for name in paper.authors or ()]
    for name, line in named:
        _checked_key(person_key, split_homonym(name)[0], source, line, "name")
    for paper in source.papers:
        _checked_key(work_title_key, paper.title, source, paper.line, "title")


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
    return {k: Venue(previous[k].slug if k in previous else slugs[k], k) for k in keys}


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
