"""Check a generated records file: every line against schema/records.schema.json, then its shape.

    python bench/check_records.py bench/.cache/records-1000-seed42.jsonl

Run once after changing generate.py (it is not run on every generation: validating each line
costs more than generating it). Exits 1 when a line breaks the schema or titles clash by accident.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

from jsonschema import Draft202012Validator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import fold  # noqa: E402 - the generator's own notion of "same title"

SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "records.schema.json"


def check_schema(lines: list[str]) -> list[str]:
    """Return one message per line that is not a valid record."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    problems = []
    for number, line in enumerate(lines, start=1):
        for error in validator.iter_errors(json.loads(line)):
            problems.append(f"line {number}: {error.json_path}: {error.message}")
    return problems


def check_titles(papers: list[dict]) -> list[str]:
    """A title shared by papers must be one work: same authors (folded), preprint then published."""
    by_title: dict[str, list[dict]] = {}
    for paper in papers:
        by_title.setdefault(fold(paper["title"]), []).append(paper)
    problems = []
    for title, group in by_title.items():
        if len(group) == 1:
            continue
        authors = {tuple(fold(a) for a in p["authors"]) for p in group}
        kinds = sorted(p.get("venue_kind") for p in group)
        if len(group) != 2 or len(authors) != 1 or "preprint-server" not in kinds:
            problems.append(f"title {title!r} is shared by {len(group)} papers that are not one preprint pair")
    return problems


def describe(papers: list[dict], persons: list[dict]) -> dict:
    """Counts that show the generator does what its docstring says."""
    per_author = Counter(fold(a) for p in papers for a in p["authors"])
    spellings: dict[str, set[str]] = {}
    for name in (a for p in papers for a in p["authors"]):
        spellings.setdefault(fold(name), set()).add(name)
    abstract_words = [len(p["abstract"].split()) for p in papers]
    titles = Counter(fold(p["title"]) for p in papers)
    return {
        "paper lines": len(papers),
        "person lines": len(persons),
        "works (distinct titles)": len(titles),
        "works appearing twice": sum(1 for n in titles.values() if n == 2),
        "distinct authors": len(per_author),
        "papers of the 3 most prolific authors": [n for _name, n in per_author.most_common(3)],
        "median papers per author": statistics.median(per_author.values()),
        "authors with one paper": sum(1 for n in per_author.values() if n == 1),
        "authors per paper (1..8)": dict(sorted(Counter(len(p["authors"]) for p in papers).items())),
        "authors spelled two ways": sum(1 for s in spellings.values() if len(s) > 1),
        "venue kinds": dict(sorted(Counter(p.get("venue_kind", "none") for p in papers).items())),
        "distinct venues": len({p["venue"] for p in papers if "venue" in p}),
        "abstract words min/median/max": [min(abstract_words), statistics.median(abstract_words),
                                          max(abstract_words)],
        "years min/max": [min(p["year"] for p in papers), max(p["year"] for p in papers)],
        "with doi / arxiv": [sum("doi" in p.get("identifiers", {}) for p in papers),
                             sum("arxiv" in p.get("identifiers", {}) for p in papers)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("records", type=Path)
    args = parser.parse_args(argv)
    lines = [line for line in args.records.read_text(encoding="utf-8").split("\n") if line.strip()]
    records = [json.loads(line) for line in lines]
    papers = [r for r in records if r.get("type") == "paper"]
    persons = [r for r in records if r.get("type") == "person"]
    problems = check_schema(lines) + check_titles(papers)
    for key, value in describe(papers, persons).items():
        print(f"{key:<40} {value}")
    for problem in problems[:20]:
        print(f"PROBLEM {problem}", file=sys.stderr)
    print(f"{len(lines)} lines, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
