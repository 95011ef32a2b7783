"""Describe the machine, and render bench/run.py's results as BENCHMARKS.md.

Only measured numbers go in: every cell comes from the results dict that run.py saved to
bench/.cache/results.json, and ``python bench/report.py`` re-renders the report from that file.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stages import ARTIFACT_PARTS, STAGES  # noqa: E402 - bench/ is not a package

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("kg", "rdflib", "pyoxigraph", "pyshacl", "owlrl", "jsonschema", "tqdm", "oxigraph", "gunicorn", "flask")
ENGINE_NAMES = {"oxigraph-disk": "pyoxigraph bulk_load (disk)", "oxigraph-memory": "pyoxigraph load (memory)",
                "rdflib": "rdflib Dataset.parse"}
QUERY_COLUMNS = {"oxigraph-disk": "pyoxigraph (disk)", "oxigraph-memory": "pyoxigraph (memory)", "rdflib": "rdflib"}


# -- machine -------------------------------------------------------------------------------------


def describe_machine() -> dict:
    """CPU, cores, RAM, OS, Python, library versions, the kg commit and the load average."""
    return {
        "cpu": cpu_model(),
        "nproc": os.cpu_count(),
        "ram_gib": mem_total_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "libraries": {name: version_of(name) for name in LIBRARIES},
        "kg_commit": git_commit(),
        "loadavg_start": os.getloadavg(),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def version_of(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_commit() -> str:
    """The commit of the tree measured, marked ``+dirty`` when it has uncommitted changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+dirty" if dirty else commit


# -- formatting ----------------------------------------------------------------------------------


def med(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def secs(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def millis(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.2f} ms" if value < 1 else f"{value * 1000:.0f} ms"


def mib(kib: float | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.0f} MiB"


def ratio(numerator: float | None, denominator: float | None) -> str:
    """``a/b`` as a ratio, with the speed-up it means: ``0.10 (10× faster)``."""
    if not numerator or not denominator:
        return "n/a"
    value = numerator / denominator
    return f"{value:.3f} ({1 / value:.0f}× faster)" if value < 1 else f"{value:.2f} ({value:.1f}× slower)"


def spread(values) -> str:
    values = [v for v in values if v is not None]
    return f"{secs(min(values))} – {secs(max(values))}" if len(values) > 1 else "one run"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


# -- sections ------------------------------------------------------------------------------------


def machine_section(results: dict) -> list[str]:
    machine = results["machine"]
    libraries = ", ".join(f"{name} {version}" for name, version in machine["libraries"].items())
    load_start = " ".join(f"{x:.2f}" for x in machine["loadavg_start"])
    load_end = " ".join(f"{x:.2f}" for x in results.get("loadavg_end", ()))
    return [
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {machine['nproc']} cores (`nproc`); RAM {machine['ram_gib']:.1f} GiB; "
        f"{machine['os']}",
        f"- Python {machine['python']}; {libraries}",
        f"- kg at commit `{machine['kg_commit']}`",
        f"- Load average (1, 5, 15 min) at start: {load_start}; at end: {load_end}. The machine is shared and "
        "noisy: compare ratios measured in the same run rather than absolute times across reports.",
        "",
        "## Command",
        "",
        "```",
        f".venv/bin/python {results['command']}",
        "```",
        "",
        f"Took {results['elapsed_s'] / 60:.0f} min. Every measurement runs in a fresh process. Times are "
        f"wall-clock; \"median\" is the median over {results['runs']} runs unless a note says otherwise. "
        f"Records come from `bench/generate.py --seed {results['seed']}`; every ingest runs with "
        "SOURCE_DATE_EPOCH=1767225600. Raw numbers: `bench/.cache/results.json`.",
        "",
    ]


def data_section(results: dict) -> list[str]:
    rows = []
    for size in results["sizes"]:
        first, records = size["ingest"][0], size["records"]
        rows.append([f"{size['size']:,}", f"{records['person_lines']:,}", f"{first['works']:,}",
                     f"{first['persons']:,}", f"{first['quads']:,} ({first['inferred']:,})",
                     f"{first['dump_bytes'] / 1e6:.1f} MB",
                     f"{first['store_bytes'] / 1e6:.1f} MB ({first.get('store_wal_bytes', 0) / 1e6:.1f} MB)"])
    return ["## Data", "", "Paper lines as generated; works and persons as kg resolved them (about 10% of works "
            "appear twice, as an arXiv preprint and a year later as published; about a quarter of the mentions "
            "of accented names drop the accents).", ""] + table(
        ["paper lines", "person lines", "works", "persons", "quads in store (of which inferred)", "N-Quads dump",
         "store generation on disk (of which RocksDB *.log)"], rows) + [
        "The store column is the published generation directory (`STORE/current`) after the ingest; the "
        "`*.log` files in it are RocksDB write-ahead logs.", ""]


def ingest_section(results: dict) -> list[str]:
    rows, notes = [], []
    for size in results["sizes"]:
        runs = size["ingest"]
        wall = med(r["wall_s"] for r in runs)
        rows.append([f"{size['size']:,}", str(len(runs)), secs(wall), spread(r["wall_s"] for r in runs),
                     f"{size['size'] / wall:.0f}", mib(med(r["peak_rss_kib"] for r in runs)),
                     secs(med(r["dump_s"] for r in runs)), mib(med(r["dump_rss_kib"] for r in runs))])
        if size["ingest_note"]:
            notes.append(f"- {size['size']:,} papers: {size['ingest_note']}.")
        same = len({r["dump_sha256"] for r in runs}) == 1
        if len(runs) > 1:
            notes.append(f"- {size['size']:,} papers: the N-Quads dumps of the {len(runs)} runs are "
                         + ("byte-identical." if same else "NOT byte-identical."))
    return ["## 1. End to end: `python -m kg ingest` into a fresh store", "",
            "One subprocess per run (parse, resolve, map, SHACL gate, inference, write); peak RSS from "
            "`/usr/bin/time -v`. Then `python -m kg dump --format nquads` of the result.", ""] + table(
        ["papers", "runs", "ingest, median", "min – max", "papers/s", "peak RSS", "dump to N-Quads", "dump peak RSS"],
        rows) + [f"Interpreter start plus kg's imports (`python -m kg --version`), included in every row above: "
                 f"{secs(results['startup_s'])} (median).", ""] + notes + ([""] if notes else [])


def profile_section(results: dict) -> list[str]:
    profile = results.get("profile")
    if not profile:
        return []
    total = profile["ingest_cumtime_s"]
    stages = [[label, secs(profile["stages"][key]), f"{100 * profile['stages'][key] / total:.0f}%" if total else "n/a"]
              for key, label, _functions in STAGES]
    top = [[f"`{r['function']}`", f"{r['calls']:,}", secs(r["tottime_s"]), secs(r["cumtime_s"])]
           for r in profile["top"]]
    return ["## 2. Where the ingest time goes (cProfile, one run)", "",
            f"`python -m cProfile -m kg ingest` of `{profile['records']}`"
            + (f" (measured on its own, finished {profile['finished_at']})" if "finished_at" in profile else "")
            + f" took {secs(profile['profiled_wall_s'])} "
            "wall under the profiler, which inflates pure-Python code more than compiled code: read the shares, "
            "not the seconds. Stages as bench/stages.py groups kg's functions; mapping, SHACL and inference run "
            "inside the generation write (an ingest's chunks are made as they are written), and \"write\" is the "
            "write without them.", ""] + table(["stage", "cumulative", "share of `pipeline.ingest`"], stages) + [
            "Top 10 functions by cumulative time, below the CLI wrappers:", ""] + table(
        ["function", "calls", "own time", "cumulative"], top)


def load_section(results: dict) -> list[str]:
    rows, memory = [], []
    for size in results["sizes"]:
        by = {e: [r for r in size["stores"] if r.get("engine") == e] for e in ENGINE_NAMES}
        load = {e: med(r["load_s"] for r in runs) for e, runs in by.items()}
        rows.append([f"{size['size']:,}", f"{by['rdflib'][0]['quads']:,}", *(secs(load[e]) for e in ENGINE_NAMES),
                     ratio(load["oxigraph-disk"], load["rdflib"]), ratio(load["oxigraph-memory"], load["rdflib"])])
        growth = {e: med(r["rss_after_load_kib"] - r["rss_baseline_kib"] for r in runs) for e, runs in by.items()}
        memory.append([f"{size['size']:,}", *(mib(growth[e]) for e in ENGINE_NAMES),
                       mib(med(r["rss_baseline_kib"] for r in by["rdflib"]))])
    intro = ("The dump of section 1 loaded into a new pyoxigraph store on disk (`Store(path).bulk_load`), into an "
             "in-memory pyoxigraph store (`Store().load`), and into `rdflib.Dataset(default_union=True).parse("
             "format=\"nquads\")`. Ratio = pyoxigraph time / rdflib time (below 1: pyoxigraph is faster).")
    memory_intro = ("Peak RSS growth during the load (peak after loading minus the process's peak before it, with "
                    "both libraries already imported; the on-disk store's page cache is not counted):")
    return (["## 3. Loading the N-Quads dump: pyoxigraph vs rdflib", "", intro, ""]
            + table(["papers", "quads", *ENGINE_NAMES.values(), "ratio disk / rdflib", "ratio memory / rdflib"], rows)
            + [memory_intro, ""] + table(["papers", *ENGINE_NAMES.values(), "process before loading"], memory))


def query_rows(size: dict, key: str, label: str) -> list[str]:
    by = {e: [r for r in size["stores"] if r.get("engine") == e] for e in ENGINE_NAMES}
    warm = {e: med(r[key]["median_s"] for r in runs) for e, runs in by.items()}
    first = {e: med(r[key]["first_s"] for r in runs) for e, runs in by.items()}
    counts = {r[key]["rows"] for runs in by.values() for r in runs}
    rows_text = f"{counts.pop():,}" if len(counts) == 1 else f"DIFFER: {sorted(counts)}"
    return [f"{size['size']:,}", label, rows_text,
            *(f"{millis(warm[e])} ({millis(first[e])})" for e in ENGINE_NAMES),
            ratio(warm["oxigraph-disk"], warm["rdflib"]), ratio(warm["oxigraph-memory"], warm["rdflib"])]


def query_section(results: dict) -> list[str]:
    rows, authors = [], []
    for size in results["sizes"]:
        rows.append(query_rows(size, "lookup", "lookup"))
        rows.append(query_rows(size, "aggregate", "aggregate"))
        authors.append(f"`{size['author']}` ({size['author_works']} works) at {size['size']:,}")
    return ["## 4. Queries over the union of the named graphs", "",
            "- lookup: `SELECT ?w ?t WHERE { ?w <https://schema.org/author> <AUTHOR> ; <https://schema.org/name> "
            f"?t }}` for the author with the most works: {'; '.join(authors)}.",
            "- aggregate: kg's own `queries/count-works-per-venue.rq` (works per venue, with the venue's name, "
            "`COUNT(DISTINCT)`, `GROUP BY`, `ORDER BY`).",
            "",
            "Each query runs 5 times per process; a cell is the median over runs of each process's median, with "
            "the median first (cold) execution in brackets. Ratio = pyoxigraph / rdflib on the warm medians.",
            ""] + table(["papers", "query", "rows", *QUERY_COLUMNS.values(), "ratio disk / rdflib",
                         "ratio memory / rdflib"], rows)


def inference_section(results: dict) -> list[str]:
    lines = []
    for size in results["sizes"]:
        if "inference" in size:
            lines += inference_table(size)
    if not lines:
        return []
    return ["## 5. Inference: owlrl's full closure vs kg's targeted rules", "",
            "Input: the union of the dump's graphs without kg's own inferred graph (the asserted triples). "
            "owlrl gets them plus `ontology/kg.ttl` in one rdflib Graph and runs "
            "`owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)`. kg runs "
            "`compile_rules(load_ontology(...))` once and `materialize_owlrl(triples, rules)` "
            "(kg/inference.py). Each in a fresh process; the triples are read before the clock starts.", ""] + lines


def inference_table(size: dict) -> list[str]:
    inference = size["inference"]
    kg_runs, owlrl_runs = inference["kg"], inference["owlrl"]
    finished = [r for r in owlrl_runs if not r.get("timed_out")]
    kg_total = med(r["total_s"] for r in kg_runs)
    if finished:
        owlrl_time = med(r["expand_s"] for r in finished)
        owlrl_cell = f"{secs(owlrl_time)} ({len(finished)} run{'s' if len(finished) > 1 else ''})"
        owlrl_inferred = f"{finished[0]['inferred']:,}"
    else:
        owlrl_time = None
        owlrl_cell = f"did not finish in {inference['timeout_s']:.0f} s"
        owlrl_inferred = "n/a"
    rows = [["owlrl `DeductiveClosure(OWLRL_Semantics).expand`", owlrl_cell, owlrl_inferred],
            ["kg `load_ontology` + `compile_rules`", secs(med(r["compile_s"] for r in kg_runs)), ""],
            ["kg `materialize_owlrl`", secs(med(r["materialize_s"] for r in kg_runs)), f"{kg_runs[0]['inferred']:,}"],
            ["kg total", f"{secs(kg_total)} ({len(kg_runs)} run{'s' if len(kg_runs) > 1 else ''})",
             f"{kg_runs[0]['inferred']:,}"]]
    lines = [f"{size['size']:,} papers, {kg_runs[0]['input_triples']:,} asserted triples:", ""]
    lines += table(["engine", "median time", "new triples"], rows)
    lines.append(f"Ratio kg total / owlrl: {ratio(kg_total, owlrl_time)}.")
    if finished:
        check = finished[0]
        missing = check["kg_inferred_missing_from_owlrl"]
        lines.append(f"Check: {'every' if missing == 0 else f'NOT every ({missing:,} missing)'} triple kg infers "
                     f"is in owlrl's closure. owlrl derives {check['owlrl_only']:,} triples kg does not: "
                     + "; ".join(f"{kind}: {n:,}" for kind, n in check["owlrl_only_kinds"].items()) + ".")
        if check["owlrl_only_other_examples"]:
            lines.append("Examples of 'other': " + "; ".join(" ".join(f"<{x}>" for x in t)
                                                            for t in check["owlrl_only_other_examples"]) + ".")
    return lines + [""]


# -- meaning -------------------------------------------------------------------------------------


def meaning_section(results: dict) -> list[str]:
    sizes = results["sizes"]
    small, large = sizes[0], sizes[-1]
    rate = {s["size"]: s["size"] / med(r["wall_s"] for r in s["ingest"]) for s in sizes}
    growth = med(r["wall_s"] for r in large["ingest"]) / med(r["wall_s"] for r in small["ingest"])
    text = [f"End to end, kg ingests {rate[small['size']]:.0f} papers/s at {small['size']:,} papers and "
            f"{rate[large['size']]:.0f} papers/s at {large['size']:,}"]
    if large is not small:
        text.append(f" ({growth:.1f}× the time for {large['size'] / small['size']:.0f}× the papers)")
    text.append(f", peaking at {mib(med(r['peak_rss_kib'] for r in large['ingest']))} RSS at {large['size']:,}.")
    profile = results.get("profile")
    if profile and profile["ingest_cumtime_s"]:
        total = profile["ingest_cumtime_s"]
        shares = {label: 100 * profile["stages"][key] / total for key, label, _functions in STAGES}
        top = max(shares, key=shares.get)
        rest = ", ".join(f"{stage} {share:.0f}%" for stage, share in shares.items() if stage != top and share >= 1)
        text.append(f" Under the profiler, {shares[top]:.0f}% of an ingest is one stage, {top}; then {rest}.")
    load = {e: med(r["load_s"] for r in large["stores"] if r.get("engine") == e) for e in ENGINE_NAMES}
    lookup = {e: med(r["lookup"]["median_s"] for r in large["stores"] if r.get("engine") == e) for e in ENGINE_NAMES}
    aggregate = {e: med(r["aggregate"]["median_s"] for r in large["stores"] if r.get("engine") == e)
                 for e in ENGINE_NAMES}
    text.append(f" On the same {large['size']:,}-paper dump, pyoxigraph loads "
                f"{load['rdflib'] / load['oxigraph-memory']:.0f}× faster than rdflib in memory and "
                f"{load['rdflib'] / load['oxigraph-disk']:.0f}× faster with bulk_load to disk, answers the lookup "
                f"{lookup['rdflib'] / lookup['oxigraph-memory']:.0f}× (memory) / "
                f"{lookup['rdflib'] / lookup['oxigraph-disk']:.0f}× (disk) faster and the aggregate "
                f"{aggregate['rdflib'] / aggregate['oxigraph-memory']:.0f}× / "
                f"{aggregate['rdflib'] / aggregate['oxigraph-disk']:.0f}× faster.")
    for size in sizes:
        if "inference" in size:
            text.append(" " + inference_meaning(size))
    text.append(" All of this is one noisy 2-core machine: trust ratios measured side by side in one run more "
                "than absolute seconds, and re-run before comparing commits.")
    return ["## What this means", "", "".join(text), ""]


def inference_meaning(size: dict) -> str:
    inference = size["inference"]
    kg_total = med(r["total_s"] for r in inference["kg"])
    finished = [r for r in inference["owlrl"] if not r.get("timed_out")]
    if not finished:
        return (f"At {size['size']:,} papers owlrl did not finish in {inference['timeout_s']:.0f} s, while kg's "
                f"targeted rules took {secs(kg_total)}.")
    owlrl_time = med(r["expand_s"] for r in finished)
    missing = finished[0]["kg_inferred_missing_from_owlrl"]
    agree = ("every triple kg infers is also in owlrl's closure" if missing == 0
             else f"{missing:,} triples kg infers are NOT in owlrl's closure")
    other = finished[0]["owlrl_only_kinds"].get("other", 0)
    beyond = ("everything owlrl adds beyond kg comes from the owl:sameAs rules kg leaves out on purpose "
              "(kg/inference.py), datatype axioms, or the ontology's own closure" if other == 0
              else f"{other:,} of the triples owlrl adds beyond kg are not explained by sameAs, datatypes or the "
                   "ontology's closure (section 5)")
    return (f"At {size['size']:,} papers owlrl's full closure took {secs(owlrl_time)} and kg's targeted rules "
            f"{secs(kg_total)} ({owlrl_time / kg_total:.0f}× less); {agree}, and {beyond}.")


def provenance_lines(results: dict) -> list[str]:
    """Which invocation of bench/run.py each section's numbers come from."""
    http = results.get("http")
    core = f"`{results['command']}`" + (f" (started {results['run_id']})" if results.get("run_id") else "")
    if not http:
        return [f"Sections 1–5 come from {core}.", ""]
    if http.get("run_id") and http["run_id"] == results.get("run_id"):
        return [f"All sections come from one run: {core}.", ""]
    return [f"Sections 1–5 come from {core}; section 6 from a separate run, `{http['command']}` (started "
            f"{http.get('run_id', 'unknown')}). Compare ratios within a section, not absolute numbers across runs.",
            ""]


# -- 7. incremental ingest (bench/incremental.py) ------------------------------------------------

WHY = {"artifacts": "kg.ttl, kg.nt.gz and kg.nq.gz are rewritten from the whole store on every ingest",
       "checkpoint": "a RocksDB checkpoint of the whole current generation",
       "write": "opening, loading into and closing the copied RocksDB generation",
       "identity": "registry lookups against the store"}
GROWTH_MIN_S = 0.5  # a stage "grows" when it takes this much longer at the largest base than at the smallest...
GROWTH_MIN_RATIO = 1.5  # ...and this many times as long


def incremental_section(inc: dict | None) -> list[str]:
    """Section 7: the same 1,000 new papers into stores of increasing size (bench/incremental.py)."""
    if not inc:
        return []
    measured = [s for s in inc["sizes"] if "skipped" not in s]
    papers = inc["increment"]["papers"]
    lines = [f"## 7. Incremental ingest: {papers:,} new papers into an existing store", "",
             f"Goal: adding {papers:,} papers to a {inc['goal_size']:,}-paper store takes at most "
             f"{inc['goal_s']:.0f} s, because validation, identity and inference grow with the batch, not the "
             f"store. The increment is `{inc['increment']['path']}` (`bench/generate.py --papers {papers} --seed "
             f"{inc['increment']['seed']}`: {inc['increment']['paper_lines']:,} paper lines, "
             f"{inc['increment']['title_keys']:,} distinct titles, {inc['increment']['person_keys']:,} distinct "
             "people). Each base store is the HTTP stage's (the "
             f"seed-{inc['seed']} records of section 1, ingested once); every run ingests into a fresh copy of it "
             "(`python -m kg ingest` in a subprocess, SOURCE_DATE_EPOCH fixed), so the copy's files are in the "
             f"page cache. From `{inc['command']}` (started {inc['run_id']}, took {inc['elapsed_s'] / 60:.0f} min, "
             f"load average at end {' '.join(f'{x:.2f}' for x in inc.get('loadavg_end', ()))}).", ""]
    rows = []
    for size in measured:
        runs, base = size["runs"], size["base"]
        wall = med(r["wall_s"] for r in runs)
        after = runs[0]["after"]["counts"]
        new_works = after["works"] - base["counts"]["works"]
        new_persons = after["persons"] - base["counts"]["persons"]
        known_works = max(inc["increment"]["title_keys"] - new_works, 0)
        known_persons = max(inc["increment"]["person_keys"] - new_persons, 0)
        rows.append([f"{size['size']:,}", f"{base['counts']['quads']:,}", str(len(runs)), secs(wall),
                     spread(r["wall_s"] for r in runs), mib(med(r["peak_rss_kib"] for r in runs)),
                     f"{new_works:,} ({known_works:,})", f"{new_persons:,} ({known_persons:,})",
                     f"+{runs[0]['quads']:,}",
                     "yes" if wall <= inc["goal_s"] else "no"])
    lines += table(["base store (papers)", "quads in base", "runs", "ingest, median", "min – max", "peak RSS",
                    "new works (known)", "new persons (known)", "quads added", f"≤ {inc['goal_s']:.0f} s"], rows)
    lines += [f"Interpreter start plus kg's imports (`python -m kg --version`), part of every run: "
              f"{secs(inc['startup_s'])} (median). New works and persons: the store's counts after the ingest "
              "minus before; in brackets, the increment's distinct titles and people that were not new (they "
              "joined a work or a person the store had)."]
    lines += [f"- {s['size']:,} papers: skipped; {s['skipped']}." for s in inc["sizes"] if "skipped" in s]
    lines.append("")
    if measured:
        lines += incremental_stage_table(measured)
    lines += ["### Verdict", "", " ".join(incremental_verdict(inc, measured)), ""]
    return lines


def incremental_stage_table(measured: list[dict]) -> list[str]:
    header = ["stage (cProfile, one run per size)", *(f"{s['size']:,}" for s in measured)]
    growth = len(measured) > 1
    if growth:
        header.append(f"growth {measured[0]['size']:,} → {measured[-1]['size']:,}")

    def row(label: str, values: list[float | None]) -> list[str]:
        cells = [label, *(secs(v) for v in values)]
        if growth:
            first, last = values[0], values[-1]
            cells.append("n/a" if first is None or last is None else f"{last - first:+.2f} s")
        return cells

    rows = []
    for key, label, _functions in STAGES:
        rows.append(row(label, [s["profile"]["stages"].get(key) for s in measured]))
        if key == "artifacts":
            rows += [row(part_label, [s["profile"]["artifact_parts"].get(part) for s in measured])
                     for part, part_label, _file, _function in ARTIFACT_PARTS]
    rows.append(row("other: interpreter, imports, CLI, copies between stages",
                    [other_seconds(s["profile"]) for s in measured]))
    rows.append(row("**total (wall under cProfile)**", [s["profile"]["profiled_wall_s"] for s in measured]))
    return ["Where the time goes: one more ingest per size under `python -m cProfile`, split by kg's functions "
            "(bench/stages.py `STAGES`). The profiler slows pure-Python code more than RocksDB and the "
            "serialisers, so compare a stage across sizes rather than with the wall times above. Mapping, SHACL "
            "and inference run inside the generation write (chunks are made as they are written); "
            "\"write + publish\" is the write without them, the checkpoint and the artifacts.", ""] + table(
        header, rows)


def other_seconds(profile: dict) -> float:
    return max(profile["profiled_wall_s"] - sum(profile["stages"].values()), 0.0)


def incremental_verdict(inc: dict, measured: list[dict]) -> list[str]:
    if not measured:
        return ["No base store was measured."]
    goal, goal_size = inc["goal_s"], inc["goal_size"]
    walls = {s["size"]: med(r["wall_s"] for r in s["runs"]) for s in measured}
    text = []
    at_goal = [s for s in walls if s >= goal_size]
    if at_goal:
        size = at_goal[0]
        text.append(f"At {size:,} papers the median is {secs(walls[size])}: the ≤ {goal:.0f} s goal is "
                    + ("met." if walls[size] <= goal else "NOT met."))
    else:
        largest = max(walls)
        text.append(f"No {goal_size:,}-paper store was measured. At {largest:,} papers the median is "
                    f"{secs(walls[largest])}, " + ("within" if walls[largest] <= goal else "already above")
                    + f" the {goal:.0f} s goal.")
        smallest = min(walls)
        if largest > smallest:
            slope = (walls[largest] - walls[smallest]) / (largest - smallest)
            guess = walls[largest] + slope * (goal_size - largest)
            text.append(f"A straight line through the medians at {smallest:,} and {largest:,} papers "
                        f"({slope * 100_000:+.2f} s per 100,000 papers in the store) reaches about {secs(guess)} "
                        f"at {goal_size:,}: an extrapolation, not a measurement.")
    text.append(growth_sentence(measured))
    return text


def growth_sentence(measured: list[dict]) -> str:
    if len(measured) < 2:
        return "With one base size there is no trend to read; measure two or more."
    first, last = measured[0], measured[-1]
    labels = {key: label for key, label, _functions in STAGES}
    grows, flat = [], []
    for key, _label, _functions in STAGES:
        before, after = first["profile"]["stages"][key], last["profile"]["stages"][key]
        if after - before >= GROWTH_MIN_S and after >= GROWTH_MIN_RATIO * max(before, 1e-9):
            why = f"; {WHY[key]}" if key in WHY else ""
            grows.append(f"{labels[key]} ({secs(before)} → {secs(after)}{why})")
        else:
            flat.append(key)
    span = f"from {first['size']:,} to {last['size']:,} papers in the store"
    if not grows:
        return (f"No stage grows by {GROWTH_MIN_S} s or {GROWTH_MIN_RATIO}× {span} (under the profiler): the cost "
                "follows the batch.")
    return (f"Growing with the store ({span}, under the profiler): " + "; ".join(grows)
            + f". The rest ({', '.join(flat)}) stays within {GROWTH_MIN_S} s or {GROWTH_MIN_RATIO}×: "
            "it follows the batch.")


def render(results: dict, incremental: dict | None = None) -> str:
    from report_http import http_section  # imported here: report_http uses this module's helpers

    lines = ["# Benchmarks", "",
             "Generated by `bench/run.py` (records from `bench/generate.py`, measurements in `bench/workers.py`, "
             "`bench/http_compare.py` and `bench/incremental.py`, this text from `bench/report.py` and "
             "`bench/report_http.py`); re-run it rather than editing numbers by hand.", ""]
    lines += provenance_lines(results)
    for section in (machine_section, data_section, ingest_section, profile_section, load_section, query_section,
                    inference_section, meaning_section, http_section):
        lines += section(results)
    lines += incremental_section(incremental)
    return "\n".join(lines).rstrip("\n") + "\n"


def load_json(path: Path) -> dict | None:
    import json

    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


CACHE = ROOT / "bench" / ".cache"


def write_report(results: dict, output: Path, incremental: dict | None = None) -> None:
    """Write the report; section 7 from ``incremental``, or else from bench/.cache/incremental.json if present;
    section 8 (identity, bench/report_identity.py) and what follows it kept as the old report has them."""
    text = render(results, incremental or load_json(CACHE / "incremental.json"))
    output.write_text(keep_identity_section(text, output), encoding="utf-8")


def keep_identity_section(text: str, output: Path) -> str:
    from report_identity import END, START, replace_block

    old = output.read_text(encoding="utf-8") if output.exists() else ""
    if START not in old or END not in old:
        return text
    # the identity section and the hand-kept sections after it (9: the bibliographic formats' import)
    return replace_block(text, START + old.split(START, 1)[1])


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Re-render BENCHMARKS.md from saved results, without measuring.")
    parser.add_argument("--results", type=Path, default=CACHE / "results.json", help="bench/run.py's results")
    parser.add_argument("--incremental", type=Path, default=CACHE / "incremental.json",
                        help="bench/incremental.py's results (section 7; left out when the file is missing)")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md", help="report to write")
    options = parser.parse_args()
    saved = load_json(options.results)
    if saved is None:
        parser.error(f"{options.results} does not exist; run bench/run.py first")
    rendered = render(saved, load_json(options.incremental))
    options.output.write_text(keep_identity_section(rendered, options.output), encoding="utf-8")
    print(f"wrote {options.output}", file=sys.stderr)
