"""External identifiers as the JSON APIs write them -> the bare values kg keeps.

The value patterns are those of ``schema/records.schema.json`` (``$defs.identifiers``), read from
the schema so that a JSON Lines record and an API response accept the same values. An ORCID iD is
also checked against its check digit (ISO 7064 MOD 11-2,
https://support.orcid.org/hc/en-us/articles/360006897674): a mistyped iD would join two people.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from kg.parsers.json_document import unwritable
from kg.parsers.records_jsonl import SCHEMA_PATH

# Prefixes an API puts before a bare value: URLs of the resolvers, and the scheme's own label.
_PREFIXES = {
    "orcid": re.compile(r"^(?:https?://(?:www\.|sandbox\.)?orcid\.org/|orcid:)", re.IGNORECASE),
    "doi": re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE),
    "arxiv": re.compile(r"^(?:https?://arxiv\.org/abs/|arxiv:\s*)", re.IGNORECASE),
    "dblp": re.compile(r"^(?:https?://dblp\.(?:org|uni-trier\.de)/pid/)", re.IGNORECASE),
    "wikidata": re.compile(r"^(?:https?://(?:www\.)?wikidata\.org/(?:wiki|entity)/)", re.IGNORECASE),
}


@lru_cache(maxsize=1)
def value_patterns() -> dict[str, re.Pattern[str]]:
    """The value pattern of each identifier scheme, from the records schema."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    properties = schema["$defs"]["identifiers"]["properties"]
    return {scheme: re.compile(rule["pattern"]) for scheme, rule in properties.items()}


def normalise(scheme: str, value: str) -> str | None:
    """The bare value of an identifier of ``scheme`` (one of kg.records.IDENTIFIER_SCHEMES), or
    None when it is not a valid one once resolver prefixes and surrounding space are removed (a
    control character, which the patterns' ``\\S`` would let through, makes it invalid too).

    Example:
        >>> normalise("orcid", "https://orcid.org/0000-0002-1825-0097")
        '0000-0002-1825-0097'
        >>> normalise("orcid", "0000-0002-1825-0098") is None  # wrong check digit
        True
    """
    bare = _PREFIXES[scheme].sub("", value.strip()).strip() if scheme in _PREFIXES else value.strip()
    if scheme == "orcid":
        bare = bare.upper()  # an iD's check character is an upper-case X; 'x' is a cosmetic slip
    if not value_patterns()[scheme].search(bare) or unwritable(bare) is not None:
        return None
    if scheme == "orcid" and not orcid_check_digit_matches(bare):
        return None
    return bare


def orcid_check_digit_matches(orcid: str) -> bool:
    """Whether the last character of ``orcid`` (``0000-0002-1825-0097``) is its ISO 7064 11,2 check digit."""
    digits = orcid.replace("-", "")
    total = 0
    for digit in digits[:-1]:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return digits[-1] == ("X" if result == 10 else str(result))


__all__ = ["normalise", "orcid_check_digit_matches", "value_patterns"]
