"""What the store already knows about identities, as the identity stage needs it.

The store implements :class:`Registry` with a few lookups over its identity graph, so resolving
a batch costs what the batch touches, not what the store holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from kg.identity.cluster import Curation
from kg.identity.mentions import Mention


@dataclass(frozen=True)
class KnownEntity:
    """A venue or source already minted: its kind, slug and identity key."""

    kind: str  # "author" | "paper" | "venue" | "source"
    slug: str
    key: str


@dataclass(frozen=True)
class StoredMention:
    """A mention kept in the store, the entity it belongs to now (``author/slug``, ``paper/slug``),
    and its block keys as stored (its own, and those of curations that name it).

    ``frozen``: its entity was retired by hand (``kg retire``); identity leaves it where it is.
    """

    mention: Mention
    path: str
    keys: frozenset[str]
    frozen: bool = False
    data: str = ""  # the stored evidence, as the store holds it (kg.identity.mentions.to_json of its time)
    joined: frozenset[str] = frozenset()  # its kg:joinedBy literals as stored: why it was joined, to whom


@dataclass(frozen=True)
class KnownPerson:
    """What identity needs of a stored person known by one name alone, to add mentions of that name
    without reading the ones it has: every spelling, and the identifiers its URI is the same as
    (``orcid:…``: the schemes kg mints ``owl:sameAs`` links for)."""

    spellings: frozenset[str]
    identifiers: tuple[str, ...]


class Registry(Protocol):
    """Read access to identities already in the store."""

    def find(self, keys: Iterable[str]) -> dict[str, list[KnownEntity]]:
        """Return the known entities for each identity key (``person:…``, ``work:…``, …)."""

    def taken(self, kind: str, slugs: Iterable[str]) -> set[str]:
        """Return which of these slugs are already minted for this kind of entity."""

    def mentions(self, block_keys: Iterable[str]) -> list[StoredMention]:
        """Return the stored mentions that have any of these block keys."""

    def named_mentions(self, names: Iterable[str]) -> list[StoredMention]:
        """Return the stored mentions of the persons with any of these names (``kg:nameKey``):
        every mention of those names, and the other mentions of the persons that hold them."""

    def curations(self, mention_ids: set[str]) -> list[Curation]:
        """Return the curations that name any of these mentions."""

    def summarised(self) -> bool:
        """Whether every live person has its name summary (the identity graph's ``kg:nameBlock``,
        ``kg:nameKey``): not so in a store written before summaries were kept."""

    def person_blocks(self, blocks: Iterable[str]) -> dict[str, dict[str, frozenset[str]]]:
        """Block (first initial and surname, ``y lecun``) -> the live persons (``author/slug``)
        with a name in it -> all their name keys."""

    def known_persons(self, paths: Iterable[str]) -> dict[str, KnownPerson]:
        """The spellings and identifiers of these persons (``author/slug``)."""

    def retired(self, kind: str, bases: Iterable[str]) -> set[str]:
        """Return the slugs retired without a replacement (``kg retire``) that are one of these
        bases or start with one and a hyphen: they are never given again."""


class EmptyRegistry:
    """The registry of an empty store."""

    def find(self, keys: Iterable[str]) -> dict[str, list[KnownEntity]]:
        return {}

    def taken(self, kind: str, slugs: Iterable[str]) -> set[str]:
        return set()

    def mentions(self, block_keys: Iterable[str]) -> list[StoredMention]:
        return []

    def named_mentions(self, names: Iterable[str]) -> list[StoredMention]:
        return []

    def curations(self, mention_ids: set[str]) -> list[Curation]:
        return []

    def summarised(self) -> bool:
        return True

    def person_blocks(self, blocks: Iterable[str]) -> dict[str, dict[str, frozenset[str]]]:
        return {}

    def known_persons(self, paths: Iterable[str]) -> dict[str, KnownPerson]:
        return {}

    def retired(self, kind: str, bases: Iterable[str]) -> set[str]:
        return set()
