"""How things read on the pages people read: a size as ``16 MiB``, not ``16777216`` bytes; an IRI
as ``schema:name``.

Machine formats (JSON listings, VoID's ``dcat:byteSize``, the manifest) keep exact byte counts;
a page shows the readable size and gives the exact count in a ``title`` (the templates do, with
the ``filesize`` filter that :func:`kg.web.create_app` registers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import humanize

ANY_LOCAL = re.compile(r".+", re.DOTALL)


def human_size(count: int) -> str:
    """A byte count in binary units, one decimal where it matters.

    >>> human_size(16777216), human_size(98782), human_size(956), human_size(1)
    ('16 MiB', '96.5 KiB', '956 bytes', '1 byte')
    """
    text = humanize.naturalsize(count, binary=True)  # "16.0 MiB", "956 Bytes", "1 Byte"
    return text.replace(".0 ", " ").replace("Byte", "byte")


def longest_first(prefixes: dict[str, str]) -> list[tuple[str, str]]:
    """A prefix table's (prefix, namespace) pairs, the longest namespace first (``author:`` before
    the base URI's), for :func:`prefixed_name`."""
    return sorted(prefixes.items(), key=lambda item: -len(item[1]))


def prefixed_name(iri: str, namespaces: Iterable[tuple[str, str]], local: re.Pattern = ANY_LOCAL) -> str | None:
    """``schema:name`` for ``https://schema.org/name``: the first of ``namespaces`` (in
    :func:`longest_first` order) that ``iri`` starts with and whose rest ``local`` matches whole;
    None when none does."""
    for prefix, namespace in namespaces:
        rest = iri[len(namespace):]
        if iri.startswith(namespace) and local.fullmatch(rest):
            return f"{prefix}:{rest}"
    return None
