"""Normal forms that decide identity, and readable slugs.

A key is what two mentions must share to be the same entity; a slug is the readable last segment
of a URI. Both are pure functions of the text, so the same records always give the same keys.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from anyascii import anyascii

_NOT_WORD = re.compile(r"[^\w]+|_+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MAX_SLUG_LENGTH = 80


def fold_text(text: str) -> str:
    """Decompose, drop diacritics, case-fold, and turn punctuation and whitespace runs into one space.

    >>> fold_text("Léon  Bottou")
    'leon bottou'
    >>> fold_text("Klaus-Robert Müller")
    'klaus robert muller'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", bare.casefold()).strip()


def person_key(name: str) -> str:
    """Identity key of a person name: ``Leon Bottou`` and ``Léon Bottou`` give the same key."""
    return fold_text(name)


def title_key(title: str) -> str:
    """Identity key of a paper title (a prefix of a title is a different key)."""
    return fold_text(title)


def venue_key(name: str) -> str:
    """Identity key of a venue name."""
    return fold_text(name)


def richest_spelling(spellings) -> str:
    """Pick the display form: most non-ASCII letters (accents kept), then most capitals, then longest.

    Ties break on the text itself so the choice never depends on the order seen.

    >>> richest_spelling({"Leon Bottou", "Léon Bottou", "leon bottou"})
    'Léon Bottou'
    """
    def richness(text: str):
        return (
            sum(1 for ch in text if ord(ch) > 127),
            sum(1 for ch in text if ch.isupper()),
            len(text),
            text,
        )

    return max(spellings, key=richness)


def slugify(text: str) -> str:
    """Lower-case ASCII transliteration, words joined by ``-``, cut at a word boundary.

    >>> slugify("Memory Mosaics at scale")
    'memory-mosaics-at-scale'
    >>> slugify("Sören Sonnenburg")
    'soren-sonnenburg'
    """
    slug = _NOT_SLUG.sub("-", anyascii(text).lower()).strip("-")
    if len(slug) > MAX_SLUG_LENGTH:
        slug = slug[: MAX_SLUG_LENGTH + 1].rsplit("-", 1)[0]
    return slug


def short_hash(key: str, length: int = 6) -> str:
    """A short, stable hex digest of an identity key, used as a last-resort disambiguator."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:length]
