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
    stages = [[s["stage"], f"`{s['function']}`", secs(s["cumtime_s"]),
               f"{100 * s['cumtime_s'] / total:.0f}%" if total else "n/a"] for s in profile["stages"]]
    top = [[f"`{r['function']}`", f"{r['calls']:,}", secs(r["tottime_s"]), secs(r["cumtime_s"])]
           for r in profile["top"]]
    return ["## 2. Where the ingest time goes (cProfile, one run)", "",
            f"`python -m cProfile -m kg ingest` of `{profile['records']}` took {secs(profile['profiled_wall_s'])} "
            "wall under the profiler, which inflates pure-Python code more than compiled code: read the shares, "
            "not the seconds.", ""] + table(["stage", "function", "cumulative", "share of `pipeline.ingest`"],
                                            stages) + [
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
        shares = {s["stage"]: 100 * s["cumtime_s"] / total for s in profile["stages"]}
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
    text.append(" kg/store/oxigraph.py cites this file for \"one to two orders of magnitude faster than rdflib's "
                "in-memory graph\"; these are the numbers to hold that claim to.")
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


def render(results: dict) -> str:
    from report_http import http_section  # imported here: report_http uses this module's helpers

    lines = ["# Benchmarks", "",
             "Generated by `bench/run.py` (records from `bench/generate.py`, measurements in `bench/workers.py` "
             "and `bench/http_compare.py`, this text from `bench/report.py` and `bench/report_http.py`); re-run "
             "it rather than editing numbers by hand.", ""]
    lines += provenance_lines(results)
    for section in (machine_section, data_section, ingest_section, profile_section, load_section, query_section,
                    inference_section, meaning_section, http_section):
        lines += section(results)
    return "\n".join(lines).rstrip("\n") + "\n"


def write_report(results: dict, output: Path) -> None:
    output.write_text(render(results), encoding="utf-8")


if __name__ == "__main__":
    import json

    saved = json.loads((ROOT / "bench" / ".cache" / "results.json").read_text(encoding="utf-8"))
    write_report(saved, ROOT / "BENCHMARKS.md")
