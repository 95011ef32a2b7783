"""What the store already knows about identities, as the identity stage needs it.

The store implements :class:`Registry` with a few lookups over its identity graph, so resolving
a batch costs what the batch touches, not what the store holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class KnownEntity:
    """An entity already minted: its kind, slug and identity key.

    ``names`` are the spellings seen so far (persons) or titles (works); ``author_keys`` the
    person keys of a work's authors; ``year`` a work's earliest year.
    """

    kind: str  # "author" | "paper" | "venue" | "source"
    slug: str
    key: str
    names: frozenset[str] = field(default_factory=frozenset)
    author_keys: frozenset[str] = field(default_factory=frozenset)
    year: int | None = None


class Registry(Protocol):
    """Read access to identities already in the store."""

    def find(self, keys: Iterable[str]) -> dict[str, list[KnownEntity]]:
        """Return the known entities for each identity key (``person:…``, ``work:…``, …)."""

    def taken(self, kind: str, slugs: Iterable[str]) -> set[str]:
        """Return which of these slugs are already minted for this kind of entity."""


class EmptyRegistry:
    """The registry of an empty store."""

    def find(self, keys: Iterable[str]) -> dict[str, list[KnownEntity]]:
        return {}

    def taken(self, kind: str, slugs: Iterable[str]) -> set[str]:
        return set()
