"""Bad input at the command line: exit codes, one-line errors, --keep-going and usage errors
(README "Exit codes": bad input gets a clear error and loses nothing), and the warnings about input
that is read despite a cosmetic disagreement.

Every case of the bad-input corpus, tests/data/bad/, is run through `kg ingest` and `kg validate`
by test_bad_corpus.py; this module checks what the corpus does not: a real process, and the
reports --keep-going writes.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import DATA, SAMPLE, tree_digest

BAD = DATA / "bad"
# A profile whose follow button says 3 while the page states 2 followers: read, with a warning.
RESTATED = DATA / "parsers" / "profile-follower-count-restated" / "page.txt"
FOLLOWER_WARNING = (f"{RESTATED}:23: warning: page states 2 followers at line 15 but 'Follow researcher3' says 3; "
                    "the follower count kept is 2, from line 15")
FOLLOWER_COUNT = "SELECT ?n WHERE { GRAPH ?g { ?s <http://127.0.0.1:5000/ontology#statedFollowerCount> ?n } }"


def test_keep_going_ingests_good_files_and_lists_rejects(tmp_path, run_kg):
    rejects = tmp_path / "rejects.jsonl"
    bad = BAD / "diary.txt"
    result = run_kg("ingest", "--store", tmp_path / "store", "--keep-going", "--rejects", rejects, SAMPLE[0], bad)
    assert result.exit_code == 1
    assert "1 input(s) rejected" in result.stderr
    assert f"rejected: {bad}: unknown kind of input" in result.stderr
    assert '"source":' in rejects.read_text() and "diary.txt" in rejects.read_text()
    stats = run_kg("stats", "--store", tmp_path / "store", "--json")
    assert '"works": 10' in stats.output


# An ordinary page error, and the cases that were internal errors (exit 3) before the parsers refused them.
REAL_PROCESS = ["cluster-unreadable-year.txt", "cluster-count-of-commas.txt", "profile-count-of-5000-digits.txt",
                "jsonl-lone-surrogate.jsonl", "jsonl-nested-5000-deep.jsonl", "jsonl-number-of-5000-digits.jsonl"]


@pytest.mark.parametrize("name", REAL_PROCESS)
def test_real_process_shows_no_traceback_and_exit_code_2(name, tmp_path):
    bad = BAD / name
    process = subprocess.run([sys.executable, "-m", "kg", "ingest", "--store", str(tmp_path / "s"), str(bad)],
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 2, process.stderr
    assert process.stderr.startswith(f"Error: {bad}:") and len(process.stderr.splitlines()) == 1
    assert "Traceback" not in process.stderr + process.stdout and not (tmp_path / "s").exists()


def test_a_bad_file_after_good_ones_in_an_existing_store_changes_nothing(tmp_path, run_kg):
    store = tmp_path / "store"
    assert run_kg("ingest", "--store", store, SAMPLE[0]).exit_code == 0
    before = tree_digest(store)
    result = run_kg("ingest", "--store", store, SAMPLE[1], BAD / "jsonl-truncated-last-line.jsonl")
    assert result.exit_code == 2 and "jsonl-truncated-last-line.jsonl:3:" in result.stderr
    assert tree_digest(store) == before


def test_missing_file_and_bad_setting_are_usage_errors(tmp_path, run_kg, monkeypatch):
    result = run_kg("ingest", "--store", tmp_path / "s", tmp_path / "nope.txt")
    assert result.exit_code == 2 and "nope.txt: no such file" in result.stderr
    result = run_kg("ingest", "--store", tmp_path / "s", "--base-uri", "ftp://x", SAMPLE[0])
    assert result.exit_code == 2 and "--base-uri='ftp://x' is not allowed" in result.stderr


def test_a_cosmetic_disagreement_is_a_warning_and_the_page_is_written(tmp_path, run_kg):
    store = tmp_path / "store"
    result = run_kg("ingest", "--store", store, RESTATED)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [FOLLOWER_WARNING]
    assert result.stdout.startswith("1 new source(s)") and f"wrote {store}" in result.stdout
    stats = json.loads(run_kg("stats", "--store", store, "--json").stdout)
    assert (stats["sources"], stats["persons"], stats["works"]) == (1, 1, 2)
    answer = json.loads(run_kg("query", "--store", store, "--json", FOLLOWER_COUNT).stdout)
    assert [row["n"]["value"] for row in answer["results"]["bindings"]] == ["2"], "the stated count, not the button's"


def test_validate_prints_the_warning_and_exits_0(tmp_path):
    process = subprocess.run([sys.executable, "-m", "kg", "validate", "--store", str(tmp_path / "s"), str(RESTATED)],
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    assert process.stderr.splitlines() == [FOLLOWER_WARNING]
    assert "valid; nothing written" in process.stdout and not (tmp_path / "s").exists()


def test_a_warning_beside_a_refused_file_is_still_printed_and_nothing_is_written(tmp_path, run_kg):
    store = tmp_path / "store"
    assert run_kg("ingest", "--store", store, SAMPLE[0]).exit_code == 0
    before = tree_digest(store)
    result = run_kg("ingest", "--store", store, RESTATED, BAD / "cluster-truncated.txt")
    assert result.exit_code == 2
    warning, error = result.stderr.splitlines()
    assert warning == FOLLOWER_WARNING and error.startswith(f"Error: {BAD / 'cluster-truncated.txt'}:9:")
    assert tree_digest(store) == before
