"""Section 8 of BENCHMARKS.md, identity: quality and convergence on truth-known corpora
(bench/identity_eval.py) and identity's time for 1,000 new papers (bench/identity_speed.py).

    .venv/bin/python bench/report_identity.py --eval bench/.cache/identity-eval-1.json \\
        bench/.cache/identity-eval-4.json --speed bench/.cache/identity-speed.json

The section sits between two HTML comments in BENCHMARKS.md and replaces what was there, so the
other sections (bench/report.py) and this one can be re-rendered independently; bench/report.py
keeps the block as it finds it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- identity:start -->", "<!-- identity:end -->"
GOALS = {"works": 0.999, "persons": 0.98}
SPEED_GOAL_S = 1.0


def quality_rows(runs: list[dict]) -> list[str]:
    rows = [
        "| run | batches, order | kind | true → live entities | pairwise P / R / F1 | B³ F1 | goal F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, run in enumerate(runs, 1):
        setup = f"{run['run']['batches']}, {run['run']['order']}"
        for kind in ("works", "persons"):
            scores = run[kind]
            pair = scores["pairwise"]
            met = "met" if pair["f1"] >= GOALS[kind] else "**not met**"
            rows.append(
                f"| {number} | {setup} | {kind} | {scores['true_entities']:,} → {scores['predicted_entities']:,} "
                f"| {pair['precision']:.4f} / {pair['recall']:.4f} / {pair['f1']:.4f} "
                f"| {scores['b_cubed']['f1']:.4f} | ≥ {GOALS[kind]} ({met}) |"
            )
    return rows


def tag_rows(run: dict) -> list[str]:
    rows = ["| mentions tagged | kind | mentions | P | R | F1 |", "|---|---|---|---|---|---|"]
    for kind in ("persons", "works"):
        for tag, scores in sorted(run[kind]["by_tag"].items()):
            rows.append(
                f"| {tag} | {kind} | {scores['mentions']:,} | {scores['precision']:.3f} | "
                f"{scores['recall']:.3f} | {scores['f1']:.3f} |"
            )
    return rows


def speed_rows(speed: list[dict]) -> list[str]:
    rows = [
        "| store | identity, median (min–max) | resolve | changes | entities re-decided | sources moved |",
        "|---|---|---|---|---|---|",
    ]
    for size in speed:
        rows.append(
            f"| {size['size']:,} papers | {size['median_total_s']:.3f} s ({size['min_total_s']:.3f}–"
            f"{size['max_total_s']:.3f}) | {size['median_resolve_s']:.3f} s | {size['median_changes_s']:.3f} s "
            f"| {size['entities']:,} | {size['moved_sources']:,} |"
        )
    return rows


def render(runs: list[dict], speed: list[dict] | None, note: str) -> str:
    corpus = runs[0]["corpus"]
    stats = corpus["stats"]
    same = len({run["graph"]["live_sha256"] for run in runs}) == 1
    lines = [
        START,
        "## 8. Identity: quality, convergence, speed",
        "",
        "From `make identity` (`bench/identity_corpus.py`, `bench/identity_eval.py`, `bench/identity_speed.py`; "
        "this text from `bench/report_identity.py`).",
        "",
        f"**Corpus** (`bench/identity_corpus.py --papers {corpus['papers']:,} --seed {corpus['seed']}`, truth "
        f"known): {corpus['files']:,} files ({', '.join(f'{n:,} {k}' for k, n in sorted(stats['files'].items()))}), "
        f"{stats['entries']:,} paper entries, {stats['persons']:,} true persons ({stats['homonym_pairs']} homonym "
        f"pairs), {stats['works']:,} true works ({stats['two_version_works']:,} with a preprint and a published "
        f"version, {stats['generic_title_works']} with generic titles, "
        f"{stats['works_on_two_or_more_profiles']:.0%} on two or more co-authors' profiles); author spellings "
        f"{', '.join(f'{k} {n:,}' for k, n in sorted(stats['author_mentions_by_form'].items()))}.",
        "",
        "### Quality (pairwise over mentions: a pair is right when truth and kg agree it is one entity)",
        "",
    ]
    lines += quality_rows(runs)
    lines += [
        "",
        f"**Same live graph for every order and batching:** {'yes' if same else '**no**'} "
        f"(live-graph fingerprints: {', '.join(sorted({run['graph']['live_sha256'][:12] for run in runs}))}; "
        "the fingerprint leaves out the URIs a history retired on the way, which only a batched history has).",
        "",
        "### By kind of mention (run 1)",
        "",
    ]
    lines += tag_rows(runs[0])
    if speed:
        lines += [
            "",
            "### Identity follows the batch: 1,000 new papers into stores of several sizes",
            "",
            "`bench/identity_speed.py`: `resolve` fetches the stored mentions of the blocks the 1,000 papers touch "
            "and re-decides them; `changes` reads the identity state to replace and the facts to move. Nothing is "
            f"written, so every run sees the same store. Goal: at most {SPEED_GOAL_S:.0f} s at 100,000 papers.",
            "",
        ]
        lines += speed_rows(speed)
    lines += ["", note, "", END]
    return "\n".join(lines) + "\n"


def replace_block(text: str, block: str) -> str:
    if START in text and END in text:
        head, rest = text.split(START, 1)
        return head + block.rstrip("\n") + rest.split(END, 1)[1]
    return text.rstrip("\n") + "\n\n" + block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval", type=Path, nargs="+", required=True, help="bench/identity_eval.py outputs")
    parser.add_argument("--speed", type=Path, help="bench/identity_speed.py's results")
    parser.add_argument("--note", default="", help="a paragraph of interpretation to print under the tables")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    runs = [json.loads(path.read_text(encoding="utf-8")) for path in args.eval]
    speed = json.loads(args.speed.read_text(encoding="utf-8")) if args.speed and args.speed.exists() else None
    args.output.write_text(
        replace_block(args.output.read_text(encoding="utf-8"), render(runs, speed, args.note)), encoding="utf-8"
    )
    print(f"wrote section 8 of {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
