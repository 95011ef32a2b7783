"""Parsers: raw text of one input -> records. Pure functions, one module per kind of input.

The kind is detected from the content, never from the file name:

- ``records-jsonl``: the first non-blank line is a JSON object of type ``paper`` or ``person``;
- ``researcher-profile``: a page headed ``Researcher profile``;
- ``arrow-author-cluster``: a page headed ``Author name cluster``;
- ``orcid-record``: the JSON of an ORCID API v3.0 record or works list (``orcid-identifier``, or a
  ``group`` of ``work-summary`` objects);
- ``crossref-works``: the JSON of a Crossref API works response (``message-type`` ``work`` or
  ``work-list``);
- ``bibtex``: a BibTeX file: the first line that is neither blank nor a ``%`` comment starts
  a block (``@article{``, ``@string(``).
- ``dblp-xml``: dblp XML: an XML prolog, then a ``<dblp>`` (the dump) or ``<dblpperson>`` (a
  person page) root element.

A parser refuses an input that may have lost data (ParseError) and reports a cosmetic
disagreement inside it as a warning on the ParsedSource (``warnings``), which
:func:`collecting_warnings` gathers for the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from kg.errors import ParseError, SourceError
from kg.parsers import arrow_cluster, bibtex, crossref, dblp_xml, orcid, records_jsonl, researcher_profile
from kg.parsers.lines import first_nonblank_lines
from kg.parsers.page_layout import shorten
from kg.records import ParsedSource, ParseWarning
from kg.sources.files import RawSource

# kind -> parser, in the order kinds are tried by detect_kind.
PARSERS: dict[str, Callable[[RawSource], ParsedSource]] = {
    records_jsonl.KIND: records_jsonl.parse_records_jsonl,
    researcher_profile.KIND: researcher_profile.parse_researcher_profile,
    arrow_cluster.KIND: arrow_cluster.parse_arrow_cluster,
    orcid.KIND: orcid.parse_orcid_record,
    crossref.KIND: crossref.parse_crossref,
    bibtex.KIND: bibtex.parse_bibtex,
    dblp_xml.KIND: dblp_xml.parse_dblp_xml,
}
_DETECTORS: dict[str, Callable[[str], bool]] = {
    records_jsonl.KIND: records_jsonl.looks_like_records_jsonl,
    researcher_profile.KIND: researcher_profile.looks_like_researcher_profile,
    arrow_cluster.KIND: arrow_cluster.looks_like_arrow_cluster,
    orcid.KIND: orcid.looks_like_orcid_record,
    crossref.KIND: crossref.looks_like_crossref,
    bibtex.KIND: bibtex.looks_like_bibtex,
    dblp_xml.KIND: dblp_xml.looks_like_dblp_xml,
}
# The kinds as error messages list them.
KNOWN_KINDS = (arrow_cluster.KIND, researcher_profile.KIND, records_jsonl.KIND, orcid.KIND, crossref.KIND, bibtex.KIND,
               dblp_xml.KIND)
# Where parse_source reports warnings while a collecting_warnings() block is open; None otherwise.
_COLLECTED: ContextVar[list[ParseWarning] | None] = ContextVar("kg_parse_warnings", default=None)


@contextmanager
def collecting_warnings() -> Iterator[list[ParseWarning]]:
    """Gather the warnings of every source :func:`parse_source` parses inside the block, in order.

    The command line wraps an ingest in it to print the warnings, which the pipeline's result does
    not carry. Sources that fail to parse contribute none.

    Example:
        >>> with collecting_warnings() as warnings:
        ...     pass
        >>> warnings
        []
    """
    found: list[ParseWarning] = []
    token = _COLLECTED.set(found)
    try:
        yield found
    finally:
        _COLLECTED.reset(token)


def detect_kind(text: str) -> str | None:
    """Return the kind of input ``text`` is, from its content, or None if it is none of PARSERS.

    Example:
        >>> detect_kind('{"type": "person", "name": "Léon Bottou"}')
        'records-jsonl'
    """
    return next((kind for kind, looks_like in _DETECTORS.items() if looks_like(text)), None)


def parse_source(raw: RawSource) -> ParsedSource:
    """Detect the kind of ``raw`` and parse it.

    Args:
        raw: an input as read by :func:`kg.sources.read_source`.

    Returns:
        Everything the source states, with its warnings (also reported to an open
        :func:`collecting_warnings` block).

    Raises:
        SourceError: the kind cannot be detected (the message quotes the first line).
        ParseError: the input has the kind's shape but not its structure, or its first line looks
            like JSON but is no person or paper record (the message says why not).
    """
    kind = detect_kind(raw.text)
    if kind is None:
        first = first_nonblank_lines(raw.text, 1)
        number, line = first[0] if first else (1, "")
        if line.lstrip().startswith(("{", "[")):
            explain_json_line(raw.ref.origin, number, line)
        raise SourceError(
            raw.ref.origin,
            f"unknown kind of input: expected one of {', '.join(KNOWN_KINDS)} (first line: {shorten(line.strip())!r})",
        )
    parsed = PARSERS[kind](raw)
    if (collected := _COLLECTED.get()) is not None:
        collected.extend(parsed.warnings)
    return parsed


def explain_json_line(origin: str, number: int, line: str) -> None:
    """Say what is wrong with a first line that looks like JSON but is no person or paper record.

    Raises:
        ParseError: what the records-jsonl parser finds wrong with the line, at its line and column.
    """
    try:
        records_jsonl.read_record(origin, number, line)
    except ParseError as problem:
        detail = f"{problem.detail} (the first line looks like JSON, so the input was read as {records_jsonl.KIND})"
        raise ParseError(origin, number, detail, column=problem.column) from problem


__all__ = ["PARSERS", "collecting_warnings", "detect_kind", "parse_source"]
