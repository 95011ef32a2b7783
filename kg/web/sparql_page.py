"""What the SPARQL query page shows people: an answer as a table of terms, its download links, and
where a syntax error is in the query.

The query itself runs as every client's does (kg.web.sparql: the same time and size limits, the
same fairness and cache); this module only reads the answer, SPARQL JSON results or N-Triples, with
pyoxigraph's parsers, and says what the template shows. Every text reaches the page through
Jinja's autoescape; links are made only to our own pages and to http(s) IRIs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from kg import formats
from kg.store import QueryAnswer
from kg.web.display import longest_first, prefixed_name

SHOWN_LOCAL = re.compile(r"[\w.-][\w./-]*")  # the local part a results cell shortens

HTML_ROWS = 1000
"""Rows (or triples) a results page shows; its download links give all of them."""

LINKED_SCHEMES = ("http://", "https://")
"""External IRIs that become links: never javascript:, data: or a scheme the browser hands elsewhere."""
EXTERNAL_REL = "nofollow noopener noreferrer"

DOWNLOADS = {
    "solutions": [(formats.RESULTS_JSON, "json"), (formats.RESULTS_XML, "xml"), (formats.RESULTS_CSV, "csv"),
                  (formats.RESULTS_TSV, "tsv")],
    "boolean": [(formats.RESULTS_JSON, "json"), (formats.RESULTS_XML, "xml")],
    "graph": [(f, f.suffix) for f in (formats.TURTLE, formats.NTRIPLES, formats.JSONLD, formats.RDFXML)],
}
"""The formats of each kind of answer a results page links to, with a file name suffix."""

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# pyoxigraph's (rust-peg's) syntax error: "error at LINE:COLUMN: expected …", both 1-based, the
# column counted in characters (Unicode scalar values, as Python counts them) from the line's start.
_PARSER_POSITION = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)
EXCERPT_BEFORE, EXCERPT_AFTER = 60, 40  # characters of the line shown around the error


# -- terms ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One RDF term as the page shows it."""

    text: str
    kind: str  # "iri", "literal", "bnode", "triple" or "unbound"
    href: str | None = None  # our own page (a path on this server), or an external http(s) IRI
    own: bool = False
    title: str | None = None  # the full IRI, when ``text`` is a prefixed name
    note: str | None = None  # a literal's language tag or datatype


class Terms:
    """Turns pyoxigraph terms into cells: IRIs under ``base_uri`` link to their page on this server
    (``root`` is the application's path); IRIs in a namespace of ``prefixes`` are shown as prefixed
    names (``schema:name``, ``author:leon-bottou``, as the Turtle dump writes them), the full IRI
    in their title."""

    def __init__(self, base_uri: str, root: str, prefixes: dict[str, str]):
        self.base_uri, self.root = base_uri, root.rstrip("/") + "/"
        self.namespaces = longest_first(prefixes)

    def compact(self, iri: str) -> str | None:
        """``schema:name`` for ``https://schema.org/name``; None when no prefix fits (a text to show,
        not Turtle: a version's ``paper:work/version`` keeps its slash)."""
        return prefixed_name(iri, self.namespaces, SHOWN_LOCAL)

    def cell(self, term: object) -> Cell:
        if term is None:
            return Cell("", "unbound")
        if isinstance(term, ox.NamedNode):
            return self.iri(term.value)
        if isinstance(term, ox.BlankNode):
            return Cell(f"_:{term.value}", "bnode")
        if isinstance(term, ox.Literal):
            return Cell(term.value, "literal", note=self.literal_note(term))
        return Cell(f"<<( {term.subject} {term.predicate} {term.object} )>>", "triple")  # an RDF 1.2 triple term

    def iri(self, iri: str) -> Cell:
        short = self.compact(iri)
        text, title = (short, iri) if short else (iri, None)
        if iri.startswith(self.base_uri):
            return Cell(text, "iri", self.root + iri[len(self.base_uri):], own=True, title=title)
        return Cell(text, "iri", iri if iri.lower().startswith(LINKED_SCHEMES) else None, title=title)

    def literal_note(self, literal: ox.Literal) -> str | None:
        if literal.language:
            direction = getattr(literal, "direction", None)
            return f"@{literal.language}" + (f"--{direction}" if direction else "")
        datatype = literal.datatype.value
        if datatype in (XSD_STRING, RDF_LANG_STRING):
            return None
        return self.compact(datatype) or datatype


# -- answers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    """An answer as a table: the first ``limit`` rows of ``total`` (or a boolean)."""

    kind: str  # "solutions", "boolean" or "graph"
    columns: list[str]
    rows: list[list[Cell]]
    total: int
    boolean: bool | None = None

    @property
    def cut(self) -> bool:
        return self.total > len(self.rows)


def read_results(answer: QueryAnswer, terms: Terms, limit: int) -> Results:
    """Read an answer in SPARQL JSON (solutions, boolean) or N-Triples (graph) into a table.

    The rows past ``limit`` are counted, not kept.
    """
    if answer.kind == "graph":
        triples = ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)
        rows = ([t.subject, t.predicate, t.object] for t in triples)
        return _table("graph", ["subject", "predicate", "object"], rows, terms, limit)
    results = ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.JSON)
    if isinstance(results, ox.QueryBoolean):
        return Results("boolean", [], [], 0, bool(results))
    columns = [variable.value for variable in results.variables]
    rows = ([solution[index] for index in range(len(columns))] for solution in results)
    return _table("solutions", columns, rows, terms, limit)


def _table(kind: str, columns: list[str], rows: Iterator[list], terms: Terms, limit: int) -> Results:
    kept, total = [], 0
    for row in rows:
        total += 1
        if total <= limit:
            kept.append([terms.cell(term) for term in row])
    return Results(kind, columns, kept, total)


@dataclass(frozen=True)
class Download:
    """One format of an answer: a link when the query fits in a URL, else a form that posts it."""

    label: str
    media_type: str
    filename: str
    href: str | None


def downloads(kind: str, link: Callable[[str], str], fits: Callable[[str], bool]) -> list[Download]:
    """The download of ``kind``'s every format; ``link(media_type)`` is its URL, ``fits(url)`` whether
    a GET of it is short enough (a longer query is posted by a form instead)."""
    found = []
    for fmt, suffix in DOWNLOADS[kind]:
        url = link(fmt.media_type)
        found.append(Download(fmt.label, fmt.media_type, f"results.{suffix}", url if fits(url) else None))
    return found


# -- syntax errors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntaxErrorAt:
    """Where the parser stopped in a query: line and column (1-based), the parser's message without
    its position, and an excerpt of that line split at the place (``at`` is '' at the line's end)."""

    line: int
    column: int
    message: str
    before: str
    at: str
    after: str

    @classmethod
    def find(cls, parser_message: str, query: str) -> SyntaxErrorAt | None:
        """The place pyoxigraph's message names in ``query``; None when the message names none."""
        match = _PARSER_POSITION.fullmatch(parser_message)
        if match is None:
            return None
        line, column = int(match.group(1)), int(match.group(2))
        lines = query.split("\n")  # as the parser counts lines; a '\r' before it ends the line's text
        if not (1 <= line <= len(lines) and column >= 1):
            return None
        text = lines[line - 1].removesuffix("\r")
        index = min(column - 1, len(text))
        start, end = max(0, index - EXCERPT_BEFORE), min(len(text), index + 1 + EXCERPT_AFTER)
        return cls(line, column, match.group(3), ("…" if start else "") + text[start:index], text[index:index + 1],
                   text[index + 1:end] + ("…" if end < len(text) else ""))

    @property
    def caret(self) -> str:
        """Blanks under the excerpt up to the place (tabs kept, so it lines up), then '^'."""
        return "".join(c if c == "\t" else " " for c in self.before) + "^"

    def explain(self, parser_message: str) -> str:
        """The parser's message, then the line and column in words and the line with a caret under the place."""
        return (f"{parser_message}\nline {self.line}, column {self.column}:\n"
                f"{self.before}{self.at}{self.after}\n{self.caret}")

