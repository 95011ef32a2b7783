"""What made a generation, and its validation report as published (``validation.ttl``/``.txt``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyoxigraph as ox
from rdflib import Graph
from rdflib.compare import to_canonical_graph

from kg.store.serialise import RDF_TYPE, term_key
from kg.store.terms import to_oxigraph
from kg.vocab import SH, dump_prefixes


@dataclass(frozen=True)
class Build:
    """What made a generation; recorded in its manifest and validation report.

    Attributes:
        activity: the command, e.g. ``kg ingest`` or ``kg retire <uri>``.
        created: when, ISO 8601 UTC (``Settings.now()``, so SOURCE_DATE_EPOCH fixes it).
        conforms: the SHACL verdict, or None when no validation ran.
        lines: one line per SHACL result (``ValidationReport.text()``).
        report: pySHACL's ``sh:ValidationReport`` graph, or None when no validation ran.
        note: why no validation ran, when none did.
    """

    activity: str
    created: str
    conforms: bool | None = None
    lines: tuple[str, ...] = ()
    report: Graph | None = field(default=None, compare=False)
    note: str = ""

    @classmethod
    def of_ingest(cls, created: str, report) -> Build:
        """The build of an ingest whose batch was validated (a kg.validation.ValidationReport)."""
        lines = tuple(line for line in report.text().splitlines() if line)
        return cls("kg ingest", created, report.conforms, lines, report.graph)

    @classmethod
    def of_retire(cls, created: str, uri: str, replaced_by: str | None) -> Build:
        activity = f"kg retire {uri}" + (f" --replaced-by {replaced_by}" if replaced_by else "")
        return cls(activity, created, note="no records were added, so no SHACL validation ran")

    @classmethod
    def of_curation(cls, created: str, verdict: str, left: str, right: str, report) -> Build:
        """The build of a curation, whose identity change was validated like an ingest's."""
        lines = tuple(line for line in report.text().splitlines() if line)
        return cls(f"kg curate {verdict} {left} {right}", created, report.conforms, lines, report.graph)

    @classmethod
    def unrecorded(cls) -> Build:
        """A change applied through the store API directly, outside the pipeline."""
        now = datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls("store.apply", now, note="written outside kg ingest, so no SHACL validation ran")


def render_report_text(generation: str, build: Build) -> str:
    """``validation.txt``: a header, a blank line, then one line per SHACL result."""
    verdict = {True: "yes", False: "no", None: "not validated"}[build.conforms]
    header = [f"# SHACL validation report of generation {generation}",
              f"# made by: {build.activity}", f"# created: {build.created}", f"# conforms: {verdict}",
              f"# results: {len(build.lines)}"]
    if build.note:
        header.append(f"# note: {build.note}")
    return "\n".join(header) + "\n\n" + "".join(f"{line}\n" for line in build.lines)


def render_report_turtle(generation: str, build: Build, base: str) -> tuple[str, int]:
    """``validation.ttl`` and its triple count: pySHACL's report, blank nodes canonicalised."""
    header = f"# SHACL validation report of generation {generation}, made by {build.activity} at {build.created}\n"
    if build.report is None:
        header += f"# {build.note}\n"
        return header, 0
    triples = sorted((ox.Triple(*(to_oxigraph(t) for t in triple))
                      for triple in to_canonical_graph(build.report).triples((None, None, None))),
                     key=lambda t: (term_key(t.subject), t.predicate != RDF_TYPE, t.predicate.value,
                                    term_key(t.object)))
    body = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes={**dump_prefixes(base), "sh": str(SH)})
    return header + body.decode("utf-8"), len(triples)
