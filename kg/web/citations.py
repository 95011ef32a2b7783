"""Citations of a work: BibTeX, CSL-JSON and RIS, built from its bounded description, and the
reference a person reads on the work's page, formatted from the same CSL-JSON.

The three formats are hand-written, because each needs a few lines:
BibTeX (https://www.bibtex.org/Format/), CSL-JSON (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html)
and RIS (https://en.wikipedia.org/wiki/RIS_(file_format)). The readable reference is not: it is
the CSL-JSON item run through citeproc-py (a CSL 1.0 processor) with the CSL project's APA 7th
edition style, shipped in ``kg/web/styles/apa.csl`` (CC BY-SA 3.0, as its ``<rights>`` says),
as plain text: the page escapes it like any other text.

Venue, year and type come from the earliest version that is not a preprint (else the earliest
version); the author order from the ``bibo:authorList`` of that version's source when it gives
one, else from any source's list, else the authors sorted by name.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from anyascii import anyascii
from citeproc import Citation as CslCitation
from citeproc import CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from rdflib import URIRef
from rdflib.namespace import RDF

from kg.vocab import FABIO, SCHEMA
from kg.web.describe import Description

BIBTEX = "application/x-bibtex"
CSL_JSON = "application/vnd.citationstyles.csl+json"
RIS = "application/x-research-info-systems"
CITATION_TYPES = {BIBTEX: "bib", CSL_JSON: "csl.json", RIS: "ris"}  # media type -> plain-URL suffix

# fabio class -> (BibTeX entry type, venue field, CSL type, RIS type)
ENTRY_TYPES = {
    FABIO.JournalArticle: ("article", "journal", "article-journal", "JOUR"),
    FABIO.ConferencePaper: ("inproceedings", "booktitle", "paper-conference", "CONF"),
    FABIO.WorkshopPaper: ("inproceedings", "booktitle", "paper-conference", "CONF"),
    FABIO.BookChapter: ("incollection", "booktitle", "chapter", "CHAP"),
    FABIO.Preprint: ("misc", "howpublished", "article", "GEN"),
}
OTHER_TYPE = ("misc", "howpublished", "article", "GEN")
NAME_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "le", "la", "ter", "ten"}
KEY_STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "and", "to", "at", "with", "from", "by"}


@dataclass(frozen=True)
class Citation:
    """What every citation format needs about one work."""

    uri: str
    title: str
    authors: list[tuple[str, str]]  # (family, given), in order
    year: str | None
    venue: str | None
    fabio_type: URIRef | None
    abstract: str | None


def read_citation(d: Description) -> Citation:
    """Pick the facts to cite from a work's description (see the module docstring)."""
    version = _cited_version(d)
    graph = d.graphs(version, SCHEMA.exampleOfWork)[0] if version is not None else None
    venue = d.first(version, SCHEMA.isPartOf) if version is not None else None
    year = d.first(version, SCHEMA.datePublished) if version is not None else d.first(d.uri, SCHEMA.datePublished)
    abstract = (_stated(d, version, SCHEMA.abstract, graph) if version is not None else None) \
        or _stated(d, d.uri, SCHEMA.abstract, graph)
    fabio = next((t for t in d.values(version, RDF.type) if t in ENTRY_TYPES), None) if version is not None else None
    return Citation(str(d.uri), _stated(d, d.uri, SCHEMA.name, graph) or d.label(d.uri),
                    [split_name(d.label(p)) for p in _authors(d, graph)], str(year) if year else None,
                    d.label(venue) if venue is not None else None, fabio, abstract)


def _cited_version(d: Description):
    versions = d.values(d.uri, SCHEMA.workExample)

    def rank(version):
        preprint = FABIO.Preprint in d.values(version, RDF.type)
        return (preprint, str(d.first(version, SCHEMA.datePublished) or "9999"), str(version))

    return min(versions, key=rank) if versions else None


def _stated(d: Description, subject, predicate, graph) -> str | None:
    """The value ``graph`` states, else any value."""
    values = d.values(subject, predicate)
    preferred = [v for v in values if graph in d.graphs(subject, predicate, v)] or values
    return str(preferred[0]) if preferred else None


def _authors(d: Description, graph) -> list:
    """The cited version's source's list, else any ordered list (the longest), else any authors."""
    groups = d.author_groups(d.uri)
    if not groups:
        return []
    persons, _graphs, _ordered = min(groups, key=lambda g: (graph not in g[1], not g[2], -len(g[0])))
    return persons


def split_name(name: str) -> tuple[str, str]:
    """Split a display name into (family, given): the last word and the particles before it.

    >>> split_name("Klaus-Robert Müller"), split_name("Vincent van Gogh")
    (('Müller', 'Klaus-Robert'), ('van Gogh', 'Vincent'))
    """
    words = name.split()
    if len(words) < 2:
        return name, ""
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in NAME_PARTICLES:
        start -= 1
    return " ".join(words[start:]), " ".join(words[:start])


# -- BibTeX ------------------------------------------------------------------------------------

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "&": r"\&", "%": r"\%",
    "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}",
}


def escape_latex(text: str) -> str:
    """Escape every LaTeX special character (for titles, names, venues)."""
    return "".join(_LATEX_SPECIALS.get(char, char) for char in text)


def escape_latex_abstract(text: str) -> str:
    r"""Keep an abstract's own LaTeX (``$x$``, ``\citep{}``), but make it safe in a BibTeX field.

    Unescaped ``%``, ``&`` and ``#`` would end or break the field in LaTeX, so they get a
    backslash; braces are kept when balanced, and replaced by ``\textbraceleft{}``... otherwise,
    because BibTeX counts every brace (escaped or not) to find the end of the field.
    """
    text = re.sub(r"(?<!\\)([%&#])", r"\\\1", text)
    if not _balanced(text):
        text = "".join({"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}.get(c, c) for c in text)
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def citation_key(citation: Citation) -> str:
    """``bottou2022simple``: first author's family name, year, first significant title word (ASCII)."""
    family = citation.authors[0][0] if citation.authors else "anon"
    words = [w for w in re.findall(r"[a-z0-9]+", anyascii(citation.title).lower()) if w not in KEY_STOPWORDS]
    return "".join(re.findall(r"[a-z0-9]+", anyascii(family).lower())) + (citation.year or "") + \
        (words[0] if words else "")


def format_bibtex(citation: Citation) -> str:
    entry, venue_field, _csl, _ris = ENTRY_TYPES.get(citation.fabio_type, OTHER_TYPE)
    fields = [
        ("author", " and ".join(escape_latex(f"{family}, {given}" if given else family)
                                for family, given in citation.authors)),
        ("title", "{" + escape_latex(citation.title) + "}"),  # inner braces keep the title's capitals
        (venue_field, escape_latex(citation.venue or "")),
        ("year", citation.year or ""),
        ("url", citation.uri),
        ("abstract", escape_latex_abstract(citation.abstract or "")),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{entry}{{{citation_key(citation)},\n{body}\n}}\n"


# -- CSL-JSON and RIS --------------------------------------------------------------------------

def csl_item(citation: Citation) -> dict:
    """The work as one CSL-JSON item. A preprint is an ``article`` whose server is its publisher,
    with the genre ``Preprint``, as Zotero gives one; it is in no container."""
    _entry, _field, csl_type, _ris = ENTRY_TYPES.get(citation.fabio_type, OTHER_TYPE)
    item: dict = {"id": citation.uri, "type": csl_type, "title": citation.title,
                  "author": [{"family": family, "given": given} for family, given in citation.authors],
                  "URL": citation.uri}
    if citation.year:
        item["issued"] = {"date-parts": [[int(citation.year)]]}
    if citation.venue and citation.fabio_type == FABIO.Preprint:
        item["publisher"], item["genre"] = citation.venue, "Preprint"
    elif citation.venue:
        item["container-title"] = citation.venue
    if citation.abstract:
        item["abstract"] = citation.abstract
    return item


def format_csl_json(citation: Citation) -> str:
    return json.dumps([csl_item(citation)], ensure_ascii=False, indent=2) + "\n"


# -- the reference people read -----------------------------------------------------------------

STYLE = Path(__file__).parent / "styles" / "apa.csl"
STYLE_NAME = "APA (7th edition)"


REFERENCES_KEPT = 4096  # formatted references a process keeps (a few hundred bytes each)
_STYLE_LOCK = threading.Lock()  # citeproc-py keeps a rendering's state on the style's elements


@cache
def _style() -> CitationStylesStyle:
    """The CSL style, parsed once per process (citeproc-py reads it with lxml)."""
    return CitationStylesStyle(str(STYLE), validate=False)


def format_reference(citation: Citation) -> str:
    """The work's reference in :data:`STYLE_NAME`, as plain text, from its CSL-JSON item.

    >>> format_reference(Citation("http://x/paper/a", "A Simple Proof", [("Défossez", "Alexandre"),
    ...     ("van Gogh", "Vincent")], "2022", "TMLR", FABIO.JournalArticle, None))
    'Défossez, A., & van Gogh, V. (2022). A Simple Proof. TMLR. http://x/paper/a'
    """
    item = csl_item(citation)
    item.pop("abstract", None)  # a reference does not quote it
    item["id"] = "work"  # citeproc-py looks items up by a lower-cased id
    item["author"] = [{key: value for key, value in name.items() if value} for name in item["author"]]
    return _formatted(json.dumps(item, ensure_ascii=False, sort_keys=True))


@lru_cache(maxsize=REFERENCES_KEPT)
def _formatted(item_json: str) -> str:
    """citeproc-py's rendering of one CSL-JSON item (about 9 ms for APA): kept per process by the
    item's content, so a page built again after an ingest emptied the answer cache, whose work did
    not change, does not pay it again."""
    with _STYLE_LOCK:
        bibliography = CitationStylesBibliography(_style(), CiteProcJSON([json.loads(item_json)]), formatter.plain)
        bibliography.register(CslCitation([CitationItem("work")]))
        return str(bibliography.bibliography()[0])


def format_ris(citation: Citation) -> str:
    _entry, _field, _csl, ris_type = ENTRY_TYPES.get(citation.fabio_type, OTHER_TYPE)
    venue_tag = "JO" if ris_type == "JOUR" else "T2"
    lines = [("TY", ris_type)]
    lines += [("AU", f"{family}, {given}" if given else family) for family, given in citation.authors]
    lines += [("TI", citation.title), ("PY", citation.year), (venue_tag, citation.venue),
              ("AB", citation.abstract), ("UR", citation.uri), ("ER", "")]
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines if value is not None)


def _one_line(text: str) -> str:
    """RIS has one field per line: line breaks inside a value become spaces."""
    return " ".join(text.split()) if text else ""


FORMATTERS = {BIBTEX: format_bibtex, CSL_JSON: format_csl_json, RIS: format_ris}


def render_citation(d: Description, media_type: str) -> str:
    """The citation of the work ``d`` describes, in ``media_type`` (one of :data:`CITATION_TYPES`)."""
    return FORMATTERS[media_type](read_citation(d))
