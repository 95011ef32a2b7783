"""Ingest a corpus from bench/identity_corpus.py into a fresh store and score kg's identity decisions.

    .venv/bin/python bench/identity_eval.py --corpus bench/.cache/identity-300 --store /tmp/identity-store
    .venv/bin/python bench/identity_eval.py --corpus DIR --store DIR2 --batches 4 --order shuffled:7

The corpus files are put in ``--order`` (``sorted`` by name, ``reversed``, or ``shuffled:SEED``) and
cut into ``--batches`` consecutive batches of near-equal size; each batch is one ``python -m kg
ingest`` subprocess (KG_STORE, KG_BASE_URI and SOURCE_DATE_EPOCH set, so that runs are
reproducible), run in ``--kg-root`` (default: this checkout), whose ``kg`` package it imports: point
it at another checkout (``git archive HEAD | tar -x -C /tmp/kg-head``) to score other code. The
published generation (``STORE/current``) is then opened read-only with pyoxigraph.

What is scored (the graph contract of README "Named graphs" and "URIs"):

- each file is one named graph ``{base}source/{slug}`` whose source document has ``schema:name``
  = the file name (and ``schema:about`` = a page's subject);
- a **work mention** is one paper entry of one file; its predicted entity is the work
  (``{base}paper/{slug}``) whose ``schema:name`` in that graph is the entry's title as stated; when
  several works there carry that title, the one with a version (``schema:workExample``) of the
  entry's year and venue name, then the one with an author list of the entry's spellings (below);
- a **person mention** is one name written in one file: an author of an entry (predicted: the
  member at its position in the work's ``bibo:authorList`` in that graph whose members carry the
  entry's spellings as ``kg:statedName``; failing that, the person with that ``kg:statedName``), a
  page's subject (``schema:about``), or a JSON Lines person line (the person with that
  ``schema:identifier "orcid:..."``, else that ``kg:statedName``). A homonym cluster's subject has
  no single true person and is not scored;
- every predicted URI is made **live**: a URI the identity graph ``{base}graph/identity`` marks
  ``owl:deprecated true`` is replaced by its ``dcterms:isReplacedBy``, transitively;
- a mention whose entity cannot be found is a cluster of its own (counted as ``unmatched``).

Scores, for works and for persons: pairwise precision, recall and F1 (over pairs of mentions: a
pair is predicted when both map to one URI, true when both are one true entity), B-cubed, and
pairwise scores restricted to the pairs that involve at least one mention with a given tag (the
spelling form, the title form, homonyms, generic titles, ...): precision there shows wrong merges
of such mentions, recall missed ones.

Two fingerprints of the published graph: ``sha256``, of the sorted N-Quads of every named graph
(the default graph is kg's union of them; ``{base}graph/meta`` and ``{base}graph/staging/...``, which
a remote store uses for bookkeeping, would be left out), and ``live_sha256``, of the live graph:
the same quads with every deprecated URI replaced by its survivor and the deprecated URIs' own
records (``owl:deprecated``, ``dcterms:isReplacedBy``, ``owl:sameAs``) left out. Source graphs hold
``pav:retrievedOn``, fixed by SOURCE_DATE_EPOCH; author lists are blank nodes whose labels kg derives
from their content. So two runs with other batchings or orders have the same ``live_sha256`` exactly
when they built the same live graph; ``sha256`` also differs when one of them merged entities
minted by an earlier batch, whose URIs stay published (as redirects) once minted.

Prints one JSON object. Nothing here imports kg.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from math import comb
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "http://127.0.0.1:5000/"
DEFAULT_EPOCH = 1767225600  # 2026-01-01T00:00:00Z, as the other benchmarks

SCHEMA = "https://schema.org/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
BIBO_AUTHOR_LIST = "http://purl.org/ontology/bibo/authorList"
OWL_DEPRECATED = "http://www.w3.org/2002/07/owl#deprecated"
IS_REPLACED_BY = "http://purl.org/dc/terms/isReplacedBy"


# -- running kg ------------------------------------------------------------------------------------


def order_files(names: list[str], order: str) -> list[str]:
    """Put file names in ``order``: ``sorted``, ``reversed`` or ``shuffled:SEED``."""
    names = sorted(names)
    if order == "sorted":
        return names
    if order == "reversed":
        return names[::-1]
    if order.startswith("shuffled:") and order.removeprefix("shuffled:").lstrip("-").isdigit():
        random.Random(int(order.removeprefix("shuffled:"))).shuffle(names)
        return names
    raise SystemExit(f"--order must be sorted, reversed or shuffled:SEED, got {order!r}")


def split_batches(names: list[str], count: int) -> list[list[str]]:
    """Cut ``names`` into ``count`` consecutive batches whose sizes differ by at most one."""
    if not 1 <= count <= len(names):
        raise SystemExit(f"--batches must be between 1 and the number of files ({len(names)}), got {count}")
    return [names[i * len(names) // count:(i + 1) * len(names) // count] for i in range(count)]


def ingest(batches: list[list[str]], pages: Path, store: Path, base: str, epoch: int, kg_root: Path) -> list[float]:
    """Run one ``python -m kg ingest`` per batch into ``store``, in ``kg_root`` (``-m`` imports the ``kg``
    package of the working directory first); return the wall seconds of each.

    Raises:
        SystemExit: an ingest failed (its output is shown).
    """
    env = dict(os.environ, KG_STORE=str(store), KG_BASE_URI=base, SOURCE_DATE_EPOCH=str(epoch))
    seconds = []
    for number, batch in enumerate(batches, start=1):
        command = [sys.executable, "-m", "kg", "ingest", *(str(pages.resolve() / name) for name in batch)]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=kg_root, env=env, capture_output=True, text=True, check=False)
        seconds.append(round(time.perf_counter() - started, 2))
        if done.returncode != 0:
            raise SystemExit(f"batch {number}/{len(batches)} ({len(batch)} files): kg ingest exited "
                             f"{done.returncode}\n{done.stdout}{done.stderr}")
        print(f"batch {number}/{len(batches)}: {len(batch)} files, {seconds[-1]} s: {done.stdout.strip()}",
              file=sys.stderr)
    return seconds


# -- reading the graph -----------------------------------------------------------------------------


def term_key(term) -> str:
    """An IRI or literal as its text, a blank node as ``_:label``."""
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value


@dataclass
class SourceGraph:
    """What one source's named graph states, indexed for finding mentions."""

    about: str | None = None
    works_titled: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    names: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # subject -> schema:name
    stated: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # person -> kg:statedName
    persons_named: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    identified: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # "orcid:..." -> nodes
    author_lists: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    first: dict[str, str] = field(default_factory=dict)
    rest: dict[str, str] = field(default_factory=dict)
    versions: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    year: dict[str, str] = field(default_factory=dict)
    venue: dict[str, str] = field(default_factory=dict)

    def find_work(self, title: str, venue: str, year: int, spellings: list[str] | None) -> tuple[str | None, bool]:
        """The work an entry names, and whether more than one work still fitted it.

        Among the works stated with the entry's title, those with a version of the entry's venue and
        year, then (for an entry with authors) those with an author list of the entry's spellings.
        """
        candidates = sorted(self.works_titled.get(title, ()))
        fits = (lambda work: self.has_version(work, venue, year),
                lambda work: spellings is not None and self.author_list(work, spellings) is not None)
        for fit in fits:
            if len(candidates) > 1:
                candidates = [work for work in candidates if fit(work)] or candidates
        return (candidates[0] if candidates else None), len(candidates) > 1

    def has_version(self, work: str, venue: str, year: int) -> bool:
        """Whether the work has a version here of that year in a venue of that name."""
        return any(self.year.get(version) == str(year) and venue in self.names.get(self.venue.get(version), ())
                   for version in self.versions.get(work, ()))

    def author_list(self, work: str | None, spellings: list[str]) -> list[str] | None:
        """The members of the work's author list whose statedNames are these spellings, in order."""
        for head in sorted(self.author_lists.get(work, ())):
            members = self.members(head)
            if len(members) == len(spellings) and all(
                    spelling in self.stated.get(member, ()) for member, spelling in zip(members, spellings,
                                                                                       strict=True)):
                return members
        return None

    def members(self, head: str) -> list[str]:
        """The members of the rdf:List that starts at ``head``, in order."""
        members, cell, seen = [], head, set()
        while cell in self.first and cell not in seen:
            seen.add(cell)
            members.append(self.first[cell])
            cell = self.rest.get(cell, "")
        return members

    def person_named(self, spelling: str) -> str | None:
        """The person stated here with this spelling (the smallest URI if several are)."""
        named = self.persons_named.get(spelling)
        return min(named) if named else None


class Graph:
    """The published graph as the scoring needs it: every source graph by file name, and the identity graph.

    Filled quad by quad (:meth:`add`, then :meth:`index_files`), in the pass that also fingerprints the store.
    """

    def __init__(self, base: str):
        self.base = base
        self.identity = f"{base}graph/identity"
        self.by_graph: dict[str, SourceGraph] = defaultdict(SourceGraph)
        self.file_graph: dict[str, str] = {}
        self.deprecated: set[str] = set()
        self.replaced_by: dict[str, str] = {}
        self.readers = {
            f"{SCHEMA}name": self.read_name,
            f"{base}ontology#statedName": self.read_stated,
            f"{SCHEMA}about": lambda g, s, o: setattr(g, "about", o),
            f"{SCHEMA}identifier": lambda g, s, o: g.identified[o].append(s),
            BIBO_AUTHOR_LIST: lambda g, s, o: g.author_lists[s].append(o),
            f"{RDF}first": lambda g, s, o: g.first.__setitem__(s, o),
            f"{RDF}rest": lambda g, s, o: g.rest.__setitem__(s, o),
            f"{SCHEMA}workExample": lambda g, s, o: g.versions[s].append(o),
            f"{SCHEMA}datePublished": lambda g, s, o: g.year.__setitem__(s, o),
            f"{SCHEMA}isPartOf": lambda g, s, o: g.venue.__setitem__(s, o),
        }

    def add(self, graph: str, quad: ox.Quad) -> None:
        """Take in one quad of the named graph ``graph``."""
        predicate = quad.predicate.value
        if graph == self.identity:
            if predicate == OWL_DEPRECATED and quad.object.value == "true":
                self.deprecated.add(term_key(quad.subject))
            elif predicate == IS_REPLACED_BY:
                self.replaced_by[term_key(quad.subject)] = term_key(quad.object)
        elif graph.startswith(f"{self.base}source/") and predicate in self.readers:
            self.readers[predicate](self.by_graph[graph], term_key(quad.subject), term_key(quad.object))

    def live_line(self, quad: ox.Quad, line: str) -> str | None:
        """``line``, the N-Quads line of ``quad``, as the live graph has it: deprecated URIs replaced by
        their survivors; None for a deprecated URI's own quads in the identity graph."""
        subject, obj = quad.subject, quad.object
        if quad.graph_name.value == self.identity and term_key(subject) in self.deprecated:
            return None
        retired = [isinstance(term, ox.NamedNode) and term.value in self.deprecated for term in (subject, obj)]
        if not any(retired):
            return line
        subject, obj = (ox.NamedNode(self.live(term.value)) if is_retired else term
                        for term, is_retired in zip((subject, obj), retired, strict=True))
        return f"{ox.Quad(subject, quad.predicate, obj, quad.graph_name)} .\n"

    def index_files(self) -> None:
        """Find each source graph's file name: its source document's ``schema:name``."""
        for name, graph in self.by_graph.items():
            for document_name in graph.names.get(name, ()):
                self.file_graph[document_name] = name

    def read_name(self, graph: SourceGraph, subject: str, name: str) -> None:
        """A ``schema:name``: of a work (its title here), a venue or the source document."""
        graph.names[subject].add(name)
        if self.is_work(subject):
            graph.works_titled[name].append(subject)

    @staticmethod
    def read_stated(graph: SourceGraph, subject: str, name: str) -> None:
        """A ``kg:statedName``: a person as this source spells them."""
        graph.stated[subject].add(name)
        graph.persons_named[name].append(subject)

    def is_work(self, uri: str) -> bool:
        """A work URI, ``{base}paper/{slug}`` (a version has one more segment)."""
        prefix = f"{self.base}paper/"
        return uri.startswith(prefix) and "/" not in uri[len(prefix):]

    def live(self, uri: str) -> str:
        """Follow ``dcterms:isReplacedBy`` from a deprecated URI to the URI that replaces it now."""
        seen = {uri}
        while uri in self.deprecated and uri in self.replaced_by and self.replaced_by[uri] not in seen:
            uri = self.replaced_by[uri]
            seen.add(uri)
        return uri

    def live_entities(self) -> dict[str, int]:
        """How many distinct live works and persons the source graphs state (deprecated ones followed)."""
        works = {self.live(w) for graph in self.by_graph.values() for ws in graph.works_titled.values() for w in ws}
        persons = {self.live(p) for graph in self.by_graph.values() for p in graph.stated}
        return {"works": len(works), "persons": len(persons)}

    def source(self, file_name: str) -> SourceGraph | None:
        """The named graph of a corpus file, None when the store does not hold it."""
        graph = self.file_graph.get(file_name)
        return self.by_graph[graph] if graph else None


def open_published(store: Path) -> ox.Store:
    """The published generation of a kg store directory, read-only."""
    current = store / "current"
    if not current.is_dir():
        raise SystemExit(f"{store} has no published generation ({current} is missing)")
    return ox.Store.read_only(str(current.resolve()))


def read_store(store: ox.Store, base: str) -> tuple[Graph, dict]:
    """Read every named graph once, bookkeeping graphs left out: the graph to score, and its fingerprints.

    ``sha256`` is the SHA-256 of the sorted N-Quads; ``live_sha256`` that of the live graph: every
    deprecated URI replaced by the URI that replaces it now, and the deprecated URIs' own quads in
    the identity graph (``owl:deprecated``, ``dcterms:isReplacedBy``, ...) left out. The identity
    graph is read first, so that every later quad can be made live as it is read.
    """
    skipped = (f"{base}graph/meta", f"{base}graph/staging/")
    graph = Graph(base)
    names = sorted((name for name in store.named_graphs()
                    if isinstance(name, ox.NamedNode) and not name.value.startswith(skipped)),
                   key=lambda name: (name.value != graph.identity, name.value))
    exact: list[str] = []
    live: list[str] = []
    counts: Counter[str] = Counter()
    for name in names:
        quads = list(store.quads_for_pattern(None, None, None, name))
        for quad in quads:
            graph.add(name.value, quad)
        for quad in quads:
            exact.append(line := f"{quad} .\n")
            if (live_line := graph.live_line(quad, line)) is not None:
                live.append(live_line)
        kind = name.value.removeprefix(base)
        counts["source" if kind.startswith("source/") else kind] += len(quads)
    graph.index_files()
    return graph, {"sha256": sorted_digest(exact), "live_sha256": sorted_digest(live), "quads": len(exact),
                   "live_quads": len(set(live)), "quads_by_graph": dict(sorted(counts.items()))}


def sorted_digest(lines: list[str]) -> str:
    """SHA-256 of the distinct lines, sorted."""
    digest = hashlib.sha256()
    for line in sorted(set(lines)):
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


# -- mentions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """One mention: its true entity, the live URI kg gave it (or a placeholder of its own) and its tags."""

    truth: str
    predicted: str
    tags: tuple[str, ...]


class Mentions:
    """Collects work and person mentions of every file, with the ways finding them went wrong."""

    def __init__(self, truth: dict, graph: Graph):
        self.truth = truth
        self.graph = graph
        self.works: list[Mention] = []
        self.persons: list[Mention] = []
        self.problems: Counter[str] = Counter()
        for name, file_truth in truth["files"].items():
            self.read_file(name, file_truth, graph.source(name))

    def predicted(self, uri: str | None, kind: str) -> str:
        """The live URI of a ``kind`` mention, or a placeholder no other mention shares when ``uri`` is None."""
        if uri is None:
            self.problems[f"{kind}_unmatched"] += 1
            return f"unmatched:{kind}:{self.problems[f'{kind}_unmatched']}"
        live = self.graph.live(uri)
        if live in self.graph.deprecated:
            self.problems[f"{kind}_on_retired_uri"] += 1
        return live

    def person_tags(self, person: str, *tags: str) -> tuple[str, ...]:
        """``tags``, and ``homonym`` when the true person shares their name with another."""
        homonym = ("homonym",) if self.truth["persons"][person]["homonym_of"] else ()
        return tags + homonym

    def read_file(self, name: str, file_truth: dict, source: SourceGraph | None) -> None:
        """The mentions of one file: its subject, its person lines and its entries."""
        if source is None:
            self.problems["files_not_in_store"] += 1
            source = SourceGraph()
        kind = file_truth["kind"]
        subject = file_truth["subject"]
        if subject and subject["person"]:
            uri = source.about or source.person_named(subject["name"])
            self.persons.append(Mention(subject["person"], self.predicted(uri, "persons"),
                                        self.person_tags(subject["person"], "subject", f"form:{subject['form']}")))
        for line in file_truth["persons"]:
            found = source.identified.get(f"orcid:{line['orcid']}") if line["orcid"] else None
            uri = min(found) if found else source.person_named(line["name"])
            self.persons.append(Mention(line["person"], self.predicted(uri, "persons"),
                                        self.person_tags(line["person"], "person-line")))
        for entry in file_truth["entries"]:
            self.read_entry(entry, kind, source)

    def read_entry(self, entry: dict, kind: str, source: SourceGraph) -> None:
        """The mentions of one entry: its work, and its authors when it lists them."""
        work_truth = self.truth["works"][entry["work"]]
        spellings = [spelling for spelling, _person, _form in entry["authors"]] if entry["authors"] else None
        work, ambiguous = source.find_work(entry["title"], entry["venue"], entry["year"], spellings)
        if ambiguous:
            self.problems["works_ambiguous"] += 1
        tags = [f"title:{entry['title_form']}", kind]
        tags += ["generic-title"] if work_truth["generic"] else []
        tags += ["two-versions"] if len(work_truth["versions"]) > 1 else []
        self.works.append(Mention(entry["work"], self.predicted(work, "works"), tuple(tags)))
        if spellings is None:
            return
        members = source.author_list(work, spellings)
        if members is None:
            self.problems["persons_without_author_list"] += len(spellings)
        for position, (spelling, person, form) in enumerate(entry["authors"]):
            uri = members[position] if members else source.person_named(spelling)
            self.persons.append(Mention(person, self.predicted(uri, "persons"),
                                        self.person_tags(person, f"form:{form}")))


# -- scores ----------------------------------------------------------------------------------------


def ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 1.0


def f1(precision: float, recall: float) -> float:
    return round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0


def pairs_touching(total: Counter, tagged: Counter) -> int:
    """Pairs within each group that involve at least one tagged mention (all pairs when every one is)."""
    return sum(comb(count, 2) - comb(count - tagged[group], 2) for group, count in total.items())


def pairwise(mentions: list[Mention], tagged: Iterable[bool]) -> dict:
    """Pairwise precision, recall and F1 over the pairs that involve at least one ``tagged`` mention."""
    cells, truths, clusters = Counter(), Counter(), Counter()
    tagged_cells, tagged_truths, tagged_clusters = Counter(), Counter(), Counter()
    for mention, is_tagged in zip(mentions, tagged, strict=True):
        cell = (mention.truth, mention.predicted)
        cells[cell] += 1
        truths[mention.truth] += 1
        clusters[mention.predicted] += 1
        if is_tagged:
            tagged_cells[cell] += 1
            tagged_truths[mention.truth] += 1
            tagged_clusters[mention.predicted] += 1
    correct = pairs_touching(cells, tagged_cells)
    precision = ratio(correct, pairs_touching(clusters, tagged_clusters))
    recall = ratio(correct, pairs_touching(truths, tagged_truths))
    return {"mentions": sum(tagged_truths.values()), "precision": precision, "recall": recall,
            "f1": f1(precision, recall)}


def b_cubed(mentions: list[Mention]) -> dict:
    """B-cubed precision, recall and F1, averaged over mentions."""
    cells = Counter((m.truth, m.predicted) for m in mentions)
    truths = Counter(m.truth for m in mentions)
    clusters = Counter(m.predicted for m in mentions)
    precision = ratio(sum(n * n / clusters[p] for (_t, p), n in cells.items()), len(mentions))
    recall = ratio(sum(n * n / truths[t] for (t, _p), n in cells.items()), len(mentions))
    return {"precision": precision, "recall": recall, "f1": f1(precision, recall)}


def score(mentions: list[Mention]) -> dict:
    """Every score of one kind of mention, overall and per tag."""
    tags = sorted({tag for mention in mentions for tag in mention.tags})
    return {
        "mentions": len(mentions),
        "true_entities": len({m.truth for m in mentions}),
        "predicted_entities": len({m.predicted for m in mentions}),
        "pairwise": {key: value for key, value in pairwise(mentions, [True] * len(mentions)).items()
                     if key != "mentions"},
        "b_cubed": b_cubed(mentions),
        "by_tag": {tag: pairwise(mentions, [tag in m.tags for m in mentions]) for tag in tags},
    }


# -- main ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="directory with pages/ and truth.json")
    parser.add_argument("--store", type=Path, required=True, help="store directory: must not exist or be empty")
    parser.add_argument("--batches", type=int, default=1, help="number of ingests the files are cut into (default 1)")
    parser.add_argument("--order", default="sorted", help="sorted (default), reversed or shuffled:SEED")
    parser.add_argument("--base-uri", default=DEFAULT_BASE, help=f"KG_BASE_URI (default {DEFAULT_BASE})")
    parser.add_argument("--epoch", type=int, default=DEFAULT_EPOCH, help="SOURCE_DATE_EPOCH of the ingests")
    parser.add_argument("--kg-root", type=Path, default=ROOT, help="kg checkout to run (default: this one)")
    parser.add_argument("--skip-ingest", action="store_true", help="score --store as it is, ingesting nothing")
    args = parser.parse_args(argv)

    truth = json.loads((args.corpus / "truth.json").read_text(encoding="utf-8"))
    run: dict = {"ingested": False}
    if not args.skip_ingest:
        if args.store.exists() and any(args.store.iterdir()):
            raise SystemExit(f"{args.store} is not empty: give a fresh store directory (or --skip-ingest)")
        batches = split_batches(order_files(list(truth["files"]), args.order), args.batches)
        seconds = ingest(batches, args.corpus / "pages", args.store.resolve(), args.base_uri, args.epoch,
                         args.kg_root)
        run = {"kg_root": str(args.kg_root), "batches": args.batches, "order": args.order,
               "ingest_seconds": seconds, "ingest_seconds_total": round(sum(seconds), 2)}
    started = time.perf_counter()
    graph, fingerprint = read_store(open_published(args.store), args.base_uri)
    mentions = Mentions(truth, graph)
    summary = {
        "corpus": {"path": str(args.corpus), "seed": truth["seed"], "papers": truth["papers"],
                   "files": len(truth["files"]), "stats": truth["stats"]},
        "run": run,
        "works": score(mentions.works),
        "persons": score(mentions.persons),
        "live_entities_in_store": graph.live_entities(),
        "problems": dict(sorted(mentions.problems.items())),
        "graph": fingerprint,
    }
    summary["run"]["evaluate_seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
