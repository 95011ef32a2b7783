"""One measurement per process: load an N-Quads dump into an engine and query it, or run inference.

bench/run.py starts each measurement in a fresh interpreter, so that one engine's caches and
garbage never slow the next, and the process's peak RSS belongs to that measurement alone. Each
prints one JSON object on standard output::

    python bench/workers.py store oxigraph-disk DUMP.nq --author URI --scratch DIR
    python bench/workers.py store oxigraph-memory DUMP.nq --author URI
    python bench/workers.py store rdflib DUMP.nq --author URI
    python bench/workers.py infer kg DUMP.nq
    python bench/workers.py infer owlrl DUMP.nq

Times are wall-clock seconds from ``time.perf_counter``; RSS is ``ru_maxrss`` (KiB on Linux).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "https://schema.org/"
LOOKUP = "SELECT ?w ?t WHERE {{ ?w <https://schema.org/author> <{author}> ; <https://schema.org/name> ?t }}"
AGGREGATE_FILE = ROOT / "queries" / "count-works-per-venue.rq"  # kg's own named query


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def time_query(run: Callable[[], list], repeats: int) -> dict:
    """Run a query ``repeats`` times: the first (cold) time, the median of all, and the row count."""
    times, rows = [], None
    for _ in range(repeats):
        elapsed, result = timed(run)
        times.append(elapsed)
        rows = len(result)
    return {"first_s": times[0], "median_s": statistics.median(times), "rows": rows}


# -- stores --------------------------------------------------------------------------------------


def load_oxigraph(dump: Path, scratch: Path | None):
    """Load with bulk_load into a new on-disk store (``scratch``), or with load into memory."""
    import pyoxigraph as ox

    if scratch is not None:
        store = ox.Store(str(scratch))
        elapsed, _ = timed(lambda: store.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS))
    else:
        store = ox.Store()
        elapsed, _ = timed(lambda: store.load(path=str(dump), format=ox.RdfFormat.N_QUADS))

    def query(text: str) -> Callable[[], list]:
        return lambda: list(store.query(text, use_default_graph_as_union=True))

    return elapsed, len(store), query


def load_rdflib(dump: Path):
    """Parse into an rdflib Dataset whose default graph is the union of the named graphs."""
    from rdflib import Dataset

    dataset = Dataset(default_union=True)
    elapsed, _ = timed(lambda: dataset.parse(str(dump), format="nquads"))
    quads = sum(1 for _ in dataset.quads((None, None, None, None)))

    def query(text: str) -> Callable[[], list]:
        return lambda: list(dataset.query(text))

    return elapsed, quads, query


def measure_store(engine: str, dump: Path, author: str, scratch: Path | None, repeats: int) -> dict:
    """Load ``dump`` into one engine, then time the lookup and the aggregate query."""
    import pyoxigraph  # noqa: F401 - imported before the baseline so that it counts libraries, not data
    import rdflib  # noqa: F401

    baseline = peak_rss_kib()
    if engine == "rdflib":
        load_s, quads, query = load_rdflib(dump)
    else:
        load_s, quads, query = load_oxigraph(dump, scratch if engine == "oxigraph-disk" else None)
    after_load = peak_rss_kib()
    return {
        "engine": engine,
        "load_s": load_s,
        "quads": quads,
        "lookup": time_query(query(LOOKUP.format(author=author)), repeats),
        "aggregate": time_query(query(AGGREGATE_FILE.read_text(encoding="utf-8")), repeats),
        "rss_baseline_kib": baseline,
        "rss_after_load_kib": after_load,
        "peak_rss_kib": peak_rss_kib(),
    }


# -- inference -----------------------------------------------------------------------------------


def read_asserted(dump: Path, base_uri: str) -> set:
    """The union of the dump's graphs without kg's inferred graph: what kg infers from."""
    from rdflib import Dataset, URIRef

    inferred = URIRef(f"{base_uri}graph/inferred")
    dataset = Dataset()
    dataset.parse(str(dump), format="nquads")
    return {(s, p, o) for s, p, o, g in dataset.quads((None, None, None, None)) if g != inferred}


def measure_kg_inference(dump: Path) -> dict:
    """kg's targeted rules: compile the ontology once, then one lookup per asserted triple."""
    from kg.config import load_settings
    from kg.inference import compile_rules, load_ontology, materialize_owlrl

    settings = load_settings({})
    asserted = read_asserted(dump, settings.base_uri)
    compile_s, rules = timed(lambda: compile_rules(load_ontology(settings.ontology_dir, settings.base_uri)))
    materialize_s, inferred = timed(lambda: materialize_owlrl(asserted, rules))
    return {"engine": "kg", "input_triples": len(asserted), "compile_s": compile_s, "materialize_s": materialize_s,
            "total_s": compile_s + materialize_s, "inferred": len(inferred), "peak_rss_kib": peak_rss_kib()}


def measure_owlrl(dump: Path) -> dict:
    """owlrl's full OWL 2 RL closure over the asserted triples plus the ontology.

    Afterwards (untimed) checks that every triple kg infers is in owlrl's closure.
    """
    import owlrl
    from rdflib import RDF, Graph

    from kg.config import load_settings
    from kg.inference import compile_rules, load_ontology, materialize_owlrl

    settings = load_settings({})
    asserted = read_asserted(dump, settings.base_uri)
    ontology = load_ontology(settings.ontology_dir, settings.base_uri)
    graph = Graph()
    for triple in asserted:
        graph.add(triple)
    graph += ontology
    before = len(graph)
    expand_s, _ = timed(lambda: owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph))
    kg_inferred = materialize_owlrl(asserted, compile_rules(ontology))
    missing = [t for t in kg_inferred if t not in graph]
    known = kg_inferred | asserted | set(ontology)
    owlrl_only = [t for t in graph if t not in known]
    extra = Counter(str(p) for _s, p, _o in owlrl_only)
    extra_types = Counter(str(o) for _s, p, o in owlrl_only if p == RDF.type)
    kinds: dict[str, list] = {}
    ontology_terms = set(ontology.subjects()) | set(ontology.objects())
    for triple in owlrl_only:
        kinds.setdefault(classify_owlrl_only(triple, settings.base_uri, ontology_terms), []).append(triple)
    return {"engine": "owlrl", "input_triples": len(asserted), "input_with_ontology": before, "expand_s": expand_s,
            "inferred": len(graph) - before, "kg_inferred_missing_from_owlrl": len(missing),
            "missing_examples": [[str(x) for x in t] for t in missing[:3]],
            "owlrl_only": len(owlrl_only), "owlrl_only_by_predicate": extra.most_common(6),
            "owlrl_only_types": extra_types.most_common(6),
            "owlrl_only_kinds": {kind: len(triples) for kind, triples in sorted(kinds.items())},
            "owlrl_only_other_examples": [[str(x) for x in t] for t in sorted(kinds.get("other", []))[:3]],
            "peak_rss_kib": peak_rss_kib()}


def classify_owlrl_only(triple, base_uri: str, ontology_terms: set) -> str:
    """Why owlrl has a triple kg does not: the sameAs rules kg leaves out on purpose, datatypes, or other."""
    from rdflib import OWL, RDF, RDFS, XSD, Literal, URIRef

    s, p, o = triple
    if p == OWL.sameAs:
        return "owl:sameAs (eq-sym, eq-trans, eq-ref)"
    if isinstance(s, URIRef) and not str(s).startswith(base_uri) and str(s).startswith("http"):
        return "about an external IRI, copied through owl:sameAs (eq-rep-s)"
    external_object = isinstance(o, URIRef) and not str(o).startswith(base_uri) and str(o).startswith("http")
    if (external_object and p != RDF.type) or (p == URIRef(f"{SCHEMA}sameAs") and s == o):
        return "an object replaced through owl:sameAs (eq-rep-o)"
    if isinstance(s, Literal) or (p == RDF.type and (str(o).startswith(str(XSD)) or o == RDFS.Datatype)):
        return "datatypes and literals (dt-*, ...)"
    if s in ontology_terms:
        return "about the ontology's own classes and properties (scm-*)"
    return "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task", choices=("store", "infer"))
    parser.add_argument("engine", choices=("oxigraph-disk", "oxigraph-memory", "rdflib", "kg", "owlrl"))
    parser.add_argument("dump", type=Path)
    parser.add_argument("--author", help="author IRI for the lookup query (task store)")
    parser.add_argument("--scratch", type=Path, help="parent directory for the on-disk store (oxigraph-disk)")
    parser.add_argument("--repeats", type=int, default=5, help="executions of each query (default 5)")
    args = parser.parse_args(argv)
    # rdflib 7 warns about its own deprecated Dataset API while parsing N-Quads; not our concern here.
    warnings.simplefilter("ignore", DeprecationWarning)
    if args.task == "store":
        if args.author is None:
            parser.error("task store needs --author")
        with tempfile.TemporaryDirectory(dir=args.scratch, prefix="oxigraph-") as scratch:
            result = measure_store(args.engine, args.dump, args.author, Path(scratch) / "store", args.repeats)
    elif args.engine == "kg":
        result = measure_kg_inference(args.dump)
    elif args.engine == "owlrl":
        result = measure_owlrl(args.dump)
    else:
        parser.error(f"task infer takes engine kg or owlrl, not {args.engine}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
