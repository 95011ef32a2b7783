"""kg's ingest stages as a cProfile output shows them: one table for every benchmark that profiles
an ingest (bench/run.py section 2, bench/incremental.py section 7) and for bench/report.py."""

from __future__ import annotations

import pstats
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILE_SKIP = ("runpy", "cProfile.py", "click/", "kg/__main__.py", "kg/cli.py", "<string>", "builtins.exec>")

# (key, label, functions whose cumulative times add up to the stage), in pipeline order. "write" has no
# function of its own: it is the generation write without what runs inside it (see stage_seconds).
STAGES = (
    ("read", "read + parse (JSON Schema check per line)", (("kg/pipeline.py", "read_inputs"),)),
    ("identity", "resolve identities (asks the store)", (("kg/identity/resolve.py", "resolve"),)),
    ("setup", "load shapes, ontology, rules", (("kg/validation/shacl.py", "load_shapes"),
                                              ("kg/inference.py", "load_ontology"),
                                              ("kg/inference.py", "compile_rules"))),
    ("mapping", "map to RDF", (("kg/mapping/__init__.py", "map_in_chunks"),)),
    ("validation", "SHACL validation (the gate's engine, KG_SHACL_ENGINE)",
     (("kg/validation/shacl.py", "validate_graph"),)),
    ("inference", "inference (kg rules)", (("kg/inference.py", "materialize_owlrl"),)),
    ("checkpoint", "checkpoint the current generation", (("kg/store/generations.py", "_checkpoint"),)),
    ("write", "write quads, close, publish", ()),
    ("artifacts", "artifacts: report, manifest, change (dumps: `kg publish`)",
     (("kg/store/artifacts.py", "write_artifacts"),)),
)
# Parts of write_artifacts; "turtle+ntriples" is the rest: the one sorted pass that writes kg.ttl and kg.nt.gz
# where a store writes its dumps with each build (the remote one), else the manifest's counts and report.
ARTIFACT_PARTS = (
    ("turtle+ntriples", "↳ the rest: counts and report (and kg.ttl + kg.nt.gz where written)", None, None),
    ("nquads", "↳ kg.nq.gz", "kg/store/serialise.py", "dump_graph"),
    ("counts", "↳ manifest counts (SPARQL)", "kg/store/artifacts.py", "describe_graph"),
)


def profile_rows(path: Path) -> list[dict]:
    """The functions of a cProfile output file below the CLI wrappers, by cumulative time (largest first)."""
    rows = []
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in pstats.Stats(str(path)).stats.items():
        where = f"{short_path(filename)}:{line}({function})" if line else function
        if any(skip in where for skip in PROFILE_SKIP):
            continue
        rows.append({"function": where, "calls": calls, "tottime_s": tottime, "cumtime_s": cumtime})
    rows.sort(key=lambda r: r["cumtime_s"], reverse=True)
    return rows


def short_path(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def find_function(rows: list[dict], file: str, function: str) -> dict | None:
    """The row of ``function`` defined in ``file`` (a path relative to the repository), or None."""
    matches = (r for r in rows if r["function"].startswith(f"{file}:") and r["function"].endswith(f"({function})"))
    return next(matches, None)


def stage_seconds(rows: list[dict]) -> dict:
    """Seconds per stage (STAGES) and per part of the artifacts, from a profile's rows."""
    def total(pairs) -> float:
        found = [find_function(rows, file, function) for file, function in pairs]
        return sum(row["cumtime_s"] for row in found if row is not None)

    stages = {key: total(pairs) for key, _label, pairs in STAGES if pairs}
    # the writer's apply (its first call copies the generation) and publish (which writes the artifacts)
    generation = total([("kg/store/oxigraph.py", "apply"), ("kg/store/generations.py", "publish")])
    stages["write"] = max(generation - stages["checkpoint"] - stages["artifacts"], 0.0)
    parts = {key: total([(file, function)]) for key, _label, file, function in ARTIFACT_PARTS if file}
    parts["turtle+ntriples"] = max(stages["artifacts"] - sum(parts.values()), 0.0)
    ingest = find_function(rows, "kg/pipeline.py", "ingest")
    return {"stages": {key: stages[key] for key, _label, _pairs in STAGES}, "artifact_parts": parts,
            "ingest_cumtime_s": ingest["cumtime_s"] if ingest else None}
