"""Clustering mentions into persons and works, and naming the clusters.

Every decision here is a function of the *set* of mentions it is given (plus curations): the
mentions are visited in the order of their ids, never in the order they arrived, and every tie
is broken on content. Given all the mentions of a block, the clusters and their slugs are the same
whatever order or batching brought the mentions into the store (README "Identity rules").

Evidence, strongest first: curations; external identifiers (equal DOI or arXiv id: one work; equal
ORCID, dblp id or dblp homonym number: one person; different ones: never one person); then equal
names and titles, with shared co-authors, works and authors deciding between candidates; then name
variants (initials, a dropped middle name), only with a shared co-author or work.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from anyascii import anyascii

from kg.identity.keys import richest_spelling, short_hash, slugify
from kg.identity.mentions import PersonMention, WorkMention, ascii_surname, initial_key

_SCHEMES_THAT_SEPARATE = ("orcid", "dblp", "homonym")


@dataclass(frozen=True)
class Curation:
    """A person's word on two entities: ``same`` joins them, ``different`` keeps them apart.

    ``left`` and ``right`` are the mention ids of each entity when the curation was made.
    """

    id: str
    verdict: str  # "same" | "different"
    left: frozenset[str]
    right: frozenset[str]
    note: str


@dataclass
class Cluster:
    """Mentions found to be one entity, and why (``evidence``: mention id -> (reason, the mention it
    was joined to, or None for a trait its entity's mentions share, "same name")."""

    members: list = field(default_factory=list)
    evidence: dict[str, list[tuple[str, str | None]]] = field(default_factory=lambda: defaultdict(list))

    @property
    def anchor(self) -> str:
        return min(m.id for m in self.members)


class _Union:
    """Union-find over mentions that refuses a union two mentions' tags say is impossible."""

    def __init__(self, mentions: Sequence, tags: dict[str, set]):
        self.parent = {m.id: m.id for m in mentions}
        self.members = {m.id: [m.id] for m in mentions}  # root -> the ids it holds
        self.tags = {m.id: set(tags.get(m.id, ())) for m in mentions}
        self.edges: dict[str, list[tuple[str, str | None]]] = defaultdict(list)

    def find(self, node: str) -> str:
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def joinable(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        return ra == rb or not _conflict(self.tags[ra], self.tags[rb])

    def union(self, a: str, b: str, reason: str, partner: bool = True) -> bool:
        """Join ``b`` to ``a`` unless their tags forbid it; ``b``'s evidence names ``a`` (``partner``)
        or nothing (the caller records a shared trait)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb or _conflict(self.tags[ra], self.tags[rb]):
            return False
        keep, drop = (ra, rb) if ra < rb else (rb, ra)  # the root is the smallest id: order-free
        self.parent[drop] = keep
        self.tags[keep] |= self.tags.pop(drop)
        self.members[keep] += self.members.pop(drop)
        if partner:
            self.edges[b].append((reason, a))
        return True

    def chain(self, ids: Iterable[str], reason: str) -> None:
        ids = sorted(ids)
        for other in ids[1:]:
            self.union(ids[0], other, reason)

    def join_all(self, ids: Iterable[str], reason: str) -> None:
        """Join mentions that share a trait (a name): each one that is then with the first gets the
        trait alone as its evidence, naming no other mention, so a new one changes no one's."""
        ids = sorted(ids)
        for other in ids[1:]:
            self.union(ids[0], other, reason, partner=False)
        root = self.find(ids[0]) if ids else None
        for mention in ids:
            if self.find(mention) == root:
                self.edges[mention].append((reason, None))

    def clusters(self, mentions: Sequence) -> list[Cluster]:
        groups: dict[str, Cluster] = {}
        for mention in sorted(mentions, key=lambda m: m.id):
            cluster = groups.setdefault(self.find(mention.id), Cluster())
            cluster.members.append(mention)
            cluster.evidence[mention.id] = list(self.edges.get(mention.id, ()))
        return [groups[root] for root in sorted(groups)]


def _conflict(left: set, right: set) -> bool:
    """Whether two clusters' tags forbid one entity: different identifiers of a separating scheme,
    or the two sides of a ``different`` curation."""
    for scheme in _SCHEMES_THAT_SEPARATE:
        ours = {t for t in left if t[0] == scheme}
        theirs = {t for t in right if t[0] == scheme}
        if ours and theirs and not ours & theirs:
            return True
    if {t for t in left if t[0] == "record"} & right:
        return True  # two names on one author list are two people
    sides = {t[1:] for t in left if t[0] == "different"}
    return any(t[0] == "different" and (t[1], 1 - t[2]) in sides for t in right)


def _curate(union: _Union, curations: Sequence[Curation], present: set[str]) -> None:
    for curation in sorted(curations, key=lambda c: c.id):
        if curation.verdict == "same":
            union.chain((curation.left | curation.right) & present, f"curated as the same ({curation.note})")


def _curation_tags(curations: Sequence[Curation]) -> dict[str, set]:
    tags: dict[str, set] = defaultdict(set)
    for curation in curations:
        if curation.verdict == "different":
            for side, ids in enumerate((curation.left, curation.right)):
                for mention in ids:
                    tags[mention].add(("different", curation.id, side))
    return tags


# -- persons -------------------------------------------------------------------------------------


def cluster_persons(mentions: Sequence[PersonMention], curations: Sequence[Curation] = ()) -> list[Cluster]:
    """Persons: identifiers, then equal names, then name variants with supporting evidence."""
    tags = _curation_tags(curations)
    for mention in mentions:
        for ident in mention.identifiers:
            scheme, _, value = ident.partition(":")
            tags[mention.id].add((scheme, value))
        sha = mention.id.split(":", 1)[0]
        tags[mention.id] |= {("record", f"{sha}:{index}") for index in mention.records}
    union = _Union(mentions, tags)
    _curate(union, curations, set(union.parent))
    by_ident: dict[str, list[str]] = defaultdict(list)
    for mention in mentions:
        for ident in mention.identifiers:
            by_ident[f"{mention.key}:{ident}" if ident.startswith("homonym:") else ident].append(mention.id)
    for ident, ids in sorted(by_ident.items()):
        union.chain(ids, f"same {ident.split(':')[-2] if ident.count(':') > 1 else ident.split(':')[0]} "
                         f"{ident.rsplit(':', 1)[1]}")
    by_name: dict[str, list[PersonMention]] = defaultdict(list)
    for mention in mentions:
        by_name[mention.key].append(mention)
    partial = _partial_names(set(by_name))
    by_id = {m.id: m for m in mentions}
    for key, group in sorted(by_name.items()):
        if key not in partial:
            _join_same_name(union, key, sorted(group, key=lambda m: m.id), by_id)
    _join_partial_mentions(union, [m for m in mentions if m.key in partial], partial, by_id)
    for key, group in sorted(by_name.items()):
        if key in partial:
            _join_same_name(union, key, sorted(group, key=lambda m: m.id), by_id)
    _join_variants(union, by_id)
    return union.clusters(mentions)


def _specificity(key: str) -> tuple[int, int, int]:
    tokens = anyascii(key).split()
    return sum(len(t) > 1 for t in tokens), len(tokens), len(key)


def _partial_names(keys: set[str]) -> set[str]:
    """Names that are a less complete form of another name present (``y lecun`` beside ``yann
    lecun``, ``michael sander`` beside ``michael e sander``): their mentions are decided one by one,
    since one such name may stand for several people (``I. Fedorov`` for Ivan and for Ioannis)."""
    by_initials: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        by_initials[initial_key(key)].append(key)
    partial = set()
    for group in by_initials.values():
        for key in group:
            if any(names_compatible(key, other) and _specificity(other) > _specificity(key) for other in group):
                partial.add(key)
    return partial


def _join_partial_mentions(union: _Union, waiting: list[PersonMention], partial: set[str],
                           by_id: dict[str, PersonMention]) -> None:
    """Each mention of a less complete name joins the one person with a more complete, compatible
    name that it shares a co-author or a work with; in rounds, as :func:`_join_same_name` does."""
    profile = _profiles(union, {union.find(m.id) for m in waiting}, by_id)
    waiting = [m for m in sorted(waiting, key=lambda m: m.id)  # not those an identifier joined to a fuller name
               if not profile[union.find(m.id)][0] - partial]
    wanted = {initial_key(m.key) for m in waiting}
    near = [m.id for m in by_id.values() if initial_key(m.key) in wanted]  # the persons a variant could join
    while waiting:
        profile = _profiles(union, {union.find(i) for i in near}, by_id)
        full = {root: p for root, p in profile.items() if p[0] - partial}
        blocks: dict[str, set[str]] = defaultdict(set)  # variants share a block (initial_key), as stored mentions do
        for root, p in full.items():
            for key in p[0] - partial:
                blocks[initial_key(key)].add(root)
        decided = {}
        for mention in waiting:
            own = _profile_of([mention])
            candidates = {root: why for root in blocks.get(initial_key(mention.key), ())
                          if root != union.find(mention.id) and _variants({mention.key}, (p := full[root])[0] - partial)
                          and union.joinable(root, mention.id) and (why := _shared(p, own))}
            if len(candidates) == 1:
                decided[mention.id] = next(iter(candidates.items()))
        if not decided:
            break
        for mention_id, (root, why) in sorted(decided.items()):
            union.union(union.find(root), mention_id, f"name variant, and {why}")
        waiting = [m for m in waiting if m.id not in decided]


def _join_same_name(union: _Union, key: str, group: list[PersonMention], by_id: dict[str, PersonMention]) -> None:
    """Equal names are one person (as dblp does) unless identifiers say there are several; then a
    mention without one joins the identified person it shares a co-author or work with, if only one.

    Assignment goes in rounds: a mention joined in one round adds its co-authors and works to its
    person's evidence for the next, so a chain of papers leads back to the identified person. Each
    round decides from the state at its start, so the result does not depend on the order of the
    mentions; a mention that fits several persons, or none, stays with the others of its name.
    """
    identified = sorted({union.find(m.id) for m in group if _separating(union.tags[union.find(m.id)])})
    if len(identified) <= 1:
        union.join_all((m.id for m in group), "same name")
        return
    waiting = [m for m in group if not _separating(union.tags[union.find(m.id)])]
    while waiting:
        identified = sorted({union.find(root) for root in identified})  # a union may have moved a root
        profile = _profiles(union, identified, by_id)
        decided = {}
        for mention in waiting:
            own = _profile_of([mention])
            candidates = {root: why for root in identified if (why := _shared(profile[root], own))}
            if len(candidates) == 1:
                decided[mention.id] = next(iter(candidates.items()))
        if not decided:
            break
        for mention_id, (root, why) in sorted(decided.items()):
            union.union(root, mention_id, f"same name, and {why}")
        waiting = [m for m in waiting if m.id not in decided]
    # The rest: several people have this name, so the rest are not one person by default either;
    # those that share a co-author or a work are.
    for i, mention in enumerate(waiting):
        own = _profile_of([mention])
        for other in waiting[i + 1:]:
            if why := _shared(own, _profile_of([other])):
                union.union(mention.id, other.id, f"same name, no identifier, and {why}")


def _separating(tags: set) -> bool:
    return any(t[0] in _SCHEMES_THAT_SEPARATE for t in tags)


def _profiles(union: _Union, roots: Iterable[str], by_id: dict[str, PersonMention]) -> dict[str, tuple[set, set, set]]:
    """The profiles of these persons (roots), from all their mentions."""
    return {root: _profile_of(by_id[i] for i in union.members[root]) for root in roots}


def _profile_of(group: Iterable[PersonMention]) -> tuple[set, set, set]:
    """(name keys, co-authors' initial keys, title hashes) of a set of mentions."""
    keys, coauthors, titles = set(), set(), set()
    for mention in group:
        keys.add(mention.key)
        coauthors |= set(mention.coauthors)
        titles |= set(mention.titles)
    return keys, coauthors, titles


def _shared(left: tuple[set, set, set], right: tuple[set, set, set]) -> str | None:
    """The evidence two persons share, in words, or None."""
    own = {initial_key(k) for k in left[0] | right[0]}
    coauthors = sorted((left[1] & right[1]) - own)
    if coauthors:
        return f"shares the co-author {coauthors[0]!r}"
    titles = sorted(left[2] & right[2])
    return f"shares a work (title hash {titles[0]})" if titles else None


def names_compatible(a: str, b: str) -> bool:
    """Whether two different name keys can be one person's: ``y lecun`` ~ ``yann lecun``,
    ``michael e sander`` ~ ``michael sander``; never ``yann lecun`` ~ ``yves lecun``."""
    ta, tb = anyascii(a).split(), anyascii(b).split()
    if a == b or len(ta) < 2 or len(tb) < 2 or ta[-1] != tb[-1]:
        return False
    if not _token_compatible(ta[0], tb[0]):
        return False
    shorter, longer = sorted((ta[1:-1], tb[1:-1]), key=len)
    position = 0
    for token in shorter:  # the shorter's middle names, in order, among the longer's (hyphenated names split)
        while position < len(longer) and not _token_compatible(token, longer[position]):
            position += 1
        if position == len(longer):
            return False
        position += 1
    return True


def _token_compatible(x: str, y: str) -> bool:
    return x == y or (len(x) == 1 and y.startswith(x)) or (len(y) == 1 and x.startswith(y))


def _join_variants(union: _Union, by_id: dict[str, PersonMention]) -> None:
    """Join a name variant to the one person it is compatible with and shares evidence with; a
    variant that fits several persons who cannot be one (``Y. LeCun`` beside ``Yann`` and ``Yves``)
    joins none."""
    profile = _profiles(union, {union.find(i) for i in by_id}, by_id)
    roots = sorted(profile)
    by_initials: dict[str, list[str]] = defaultdict(list)
    for root in roots:
        for key in profile[root][0]:
            by_initials[initial_key(key)].append(root)
    candidates: dict[str, dict[str, str]] = defaultdict(dict)
    for group in by_initials.values():
        for x in sorted(set(group)):
            for y in sorted(set(group)):
                if x == y or not _variants(profile[x][0], profile[y][0]) or not union.joinable(x, y) \
                        or not _one_persons(profile[x][0] | profile[y][0]):  # Ivan and Ioannis, met through I.
                    continue
                evidence = _shared(profile[x], profile[y])
                if evidence:
                    candidates[x][y] = evidence
    ambiguous = {x for x, found in candidates.items()  # it fits persons who cannot be one
                 if any(not union.joinable(a, b) or not _one_persons(profile[a][0] | profile[b][0])
                        for a, b in itertools.combinations(sorted(found), 2))}
    edges = {(min(x, y), max(x, y), found[y]) for x, found in candidates.items() for y in found
             if x not in ambiguous and y not in ambiguous}
    for x, y, evidence in sorted(edges):
        union.union(x, y, f"name variant, and {evidence}")


def _variants(left: set[str], right: set[str]) -> bool:
    """Whether some name of one set is a variant of some name of the other."""
    return any(names_compatible(a, b) for a in left for b in right)


def _one_persons(names: set[str]) -> bool:
    """Whether every two names of the set are equal or variants: the names one person could have."""
    return all(a == b or names_compatible(a, b) for a, b in itertools.combinations(sorted(names), 2))


# -- works ---------------------------------------------------------------------------------------


def cluster_works(mentions: Sequence[WorkMention], curations: Sequence[Curation] = ()) -> list[Cluster]:
    """Works: equal DOI or arXiv id; then equal (non-generic) titles, split by author lists."""
    union = _Union(mentions, _curation_tags(curations))
    _curate(union, curations, set(union.parent))
    by_ident: dict[str, list[str]] = defaultdict(list)
    for mention in mentions:
        for ident in mention.identifiers:
            by_ident[ident.lower()].append(mention.id)  # DOIs and arXiv ids ignore case
    for ident, ids in sorted(by_ident.items()):
        scheme, _, value = ident.partition(":")
        union.chain(ids, f"same {'DOI' if scheme == 'doi' else scheme} {value}")
    by_title: dict[str, list[WorkMention]] = defaultdict(list)
    for mention in mentions:
        by_title[mention.key].append(mention)
    for _key, group in sorted(by_title.items()):
        group.sort(key=lambda m: m.id)
        if group[0].generic:
            _join_generic(union, group)
        else:
            _join_same_title(union, group)
    return union.clusters(mentions)


def _join_same_title(union: _Union, group: list[WorkMention]) -> None:
    """Full author lists join when they share an author; a profile's record joins the work whose
    author list has the profile's subject; records of one title on profiles with no such work are
    one work (a paper on several co-authors' profiles); a record with no authors joins the first."""
    full = [m for m in group if m.authors is not None]
    partial = [m for m in group if m.authors is None and m.subject]
    bare = [m for m in group if m.authors is None and not m.subject]
    by_author: dict[str, list[str]] = defaultdict(list)
    for mention in full:
        for author in set(mention.authors):
            by_author[author].append(mention.id)
    for author, ids in sorted(by_author.items()):
        union.chain(ids, f"same title, shared author {author!r}")
    unanchored = []
    for mention in partial:
        anchors = sorted({union.find(f.id) for f in full if mention.subject in f.authors})
        if anchors and union.union(anchors[0], mention.id, f"same title, the profile's subject {mention.subject!r} "
                                                          f"is an author"):
            continue
        unanchored.append(mention.id)
    union.chain(unanchored, "same title on researcher profiles")
    targets = sorted({union.find(m.id) for m in full + partial})
    for mention in bare:
        if not targets or not union.union(targets[0], mention.id, "same title, no author list"):
            union.chain([mention.id] + [b.id for b in bare if not targets], "same title, no author lists")


def _join_generic(union: _Union, group: list[WorkMention]) -> None:
    """A generic title ("Introduction") joins only with the same author, year and venue."""
    by_context: dict[tuple, list[str]] = defaultdict(list)
    for mention in group:
        for author in mention.authors or ((mention.subject,) if mention.subject else ()):
            by_context[(author, mention.year, mention.venue)].append(mention.id)
    for context, ids in sorted(by_context.items(), key=lambda item: repr(item[0])):
        union.chain(ids, f"generic title, same author {context[0]!r}, year and venue")


# -- naming --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """A cluster's slug, identity key and what the identity graph says of it."""

    slug: str
    key: str
    display: str | None  # persons
    alternates: tuple[str, ...]
    year: int | None  # works: the earliest
    identifiers: tuple[str, ...]


def name_persons(clusters: Sequence[Cluster], reserved: set[str]) -> list[Named]:
    """Slugs for person clusters: the fullest name's slug, or, when several clusters (or a retired
    URI) want it, that slug and the person's homonym number, ORCID or dblp id, or a hash."""
    described = []
    for cluster in clusters:
        counts = Counter(m.key for m in cluster.members)
        key = max(counts, key=lambda k: (sum(len(t) > 1 for t in k.split()), len(k), counts[k], k))
        spellings = {s for m in cluster.members for s in m.spellings}
        display = richest_spelling({s for m in cluster.members if m.key == key for s in m.spellings})
        idents = sorted({i for m in cluster.members for i in m.identifiers})
        hints = [i.split(":", 1)[1] for scheme in ("homonym", "orcid", "dblp")
                 for i in idents if i.startswith(f"{scheme}:")]
        described.append((cluster, key, display, tuple(sorted(spellings - {display})), tuple(
            i for i in idents if not i.startswith("homonym:")), [*hints[:1], short_hash(key)]))
    slugs = _assign([(slugify(d[1]), d[5], d[0].anchor) for d in described], reserved)
    return [Named(slug, key, display, alternates, None, idents)
            for slug, (_cluster, key, display, alternates, idents, _h) in zip(slugs, described, strict=True)]


def name_works(clusters: Sequence[Cluster], reserved: set[str]) -> list[Named]:
    """Slugs for work clusters: the commonest title's slug, or, when contended, with the first
    author's surname, then also the earliest year, then a hash."""
    described = []
    for cluster in clusters:
        counts = Counter(m.key for m in cluster.members)
        key = min(counts, key=lambda k: (-counts[k], k))
        years = sorted(m.year for m in cluster.members if m.year)
        listed = [m for m in cluster.members if m.authors is not None] or cluster.members  # full lists first
        firsts = Counter(m.first_author for m in listed if m.first_author)
        surname = ascii_surname(min(firsts, key=lambda k: (-firsts[k], k))) if firsts else None
        hints = [h for h in (surname, f"{surname}-{years[0]}" if surname and years else None) if h]
        spelled: dict[str, str] = {}
        for ident in sorted(i for m in cluster.members for i in m.identifiers):
            spelled.setdefault(ident.lower(), ident)  # one spelling of each, whatever the order seen
        described.append((key, years[0] if years else None, tuple(sorted(spelled.values())), hints))
    slugs = _assign([(slugify(d[0]), d[3], c.anchor) for d, c in zip(described, clusters, strict=True)], reserved)
    return [Named(slug, key, None, (), year, idents)
            for slug, (key, year, idents, _hints) in zip(slugs, described, strict=True)]


def _assign(wants: list[tuple[str, list[str], str]], reserved: set[str]) -> list[str]:
    """Give each (base, hints, anchor) a slug: the base when no one else wants it and it is not
    reserved; else the first hint that is unique; else a hash of the anchor."""
    wants = [(base, [slugify(h) for h in hints if slugify(h)], anchor) for base, hints, anchor in wants]
    bases = Counter(base for base, _hints, _anchor in wants)
    tried = Counter(f"{base}-{hint}" for base, hints, _a in wants if bases[base] > 1 or base in reserved
                    for hint in hints)
    slugs = []
    for base, hints, anchor in wants:
        if bases[base] == 1 and base not in reserved:
            slugs.append(base)
            continue
        chosen = next((f"{base}-{h}" for h in hints if tried[f"{base}-{h}"] == 1 and f"{base}-{h}" not in reserved
                       and f"{base}-{h}" not in bases), None)
        slugs.append(chosen or f"{base}-{short_hash(anchor, 8)}")
    return slugs
