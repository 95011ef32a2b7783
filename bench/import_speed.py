"""Import speed of the bibliographic formats, end to end with the SHACL gate: dblp XML against the
same records as kg's JSON Lines, at several sizes, with peak memory.

    .venv/bin/python bench/import_speed.py --sizes 1000,10000,100000 --runs 1

For each size, bench/generate.py's records (seed 42) are written twice: as JSON Lines
(bench/generate.py) and as a dblp XML dump (bench/dblp_xml.py: ISO-8859-1, DTD entities), kept
under bench/.cache/. Each run ingests one file with ``kg ingest`` into a new, empty store, in a
child process of its own, and reads the child's wall time and peak resident memory (ru_maxrss).
Records/s counts the file's paper records. The figures are printed as JSON and merged into
bench/.cache/import-speed.json (a run replaces the rows of the sizes and formats it measured);
BENCHMARKS.md quotes them with the command.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dblp_xml import write_dblp  # noqa: E402
from processes import CACHE, PYTHON, ROOT  # noqa: E402
from run import ensure_records  # noqa: E402

SEED = 42

MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
elapsed = time.perf_counter() - started
print(code, elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def inputs(size: int) -> dict[str, tuple[Path, int]]:
    """The two files of ``size`` papers and how many paper records each holds."""
    jsonl, _meta = ensure_records(size, SEED)
    papers_jsonl = sum(1 for line in open(jsonl, encoding="utf-8") if '"type": "paper"' in line)
    xml = CACHE / f"dblp-{size}-seed{SEED}.xml"
    if not xml.exists():
        write_dblp(size, SEED, xml)
    starts = ("<article ", "<inproceedings ")
    papers_xml = sum(1 for line in open(xml, encoding="iso-8859-1") if line.startswith(starts))
    return {"jsonl": (jsonl, papers_jsonl), "dblp-xml": (xml, papers_xml)}


def ingest_once(path: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of one ``kg ingest`` of ``path`` into a new store."""
    directory = Path(tempfile.mkdtemp(prefix="kg-import-"))
    try:
        env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", "KG_STORE": str(directory / "store")}
        out = subprocess.run([PYTHON, "-c", MEASURE, PYTHON, "-m", "kg", "ingest", str(path)], env=env, cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout.split()
        code, seconds, rss = int(out[0]), float(out[1]), int(out[2])
        if code != 0:
            raise SystemExit(f"kg ingest {path} exited {code}")
        return seconds, rss
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--formats", default="jsonl,dblp-xml", help="which of jsonl, dblp-xml to ingest")
    args = parser.parse_args(argv)
    formats = set(args.formats.split(","))
    saved = CACHE / "import-speed.json"
    results = json.loads(saved.read_text(encoding="utf-8")) if saved.exists() else []
    for size in (int(s) for s in args.sizes.split(",")):
        for kind, (path, papers) in inputs(size).items():
            if kind not in formats:
                continue
            results = [r for r in results if (r["size"], r["format"]) != (size, kind)]
            runs = [ingest_once(path) for _ in range(args.runs)]
            seconds = statistics.median(s for s, _r in runs)
            results.append({"size": size, "format": kind, "papers": papers, "bytes": path.stat().st_size,
                            "seconds": round(seconds, 2), "records_per_s": round(papers / seconds),
                            "peak_rss_mib": round(max(r for _s, r in runs) / 1024)})
            print(json.dumps(results[-1]), file=sys.stderr)
    results.sort(key=lambda r: (r["size"], r["format"] != "jsonl"))
    saved.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
