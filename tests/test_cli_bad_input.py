"""Each kind of bad input gives a clear error naming the file (and line), exits non-zero, and leaves
the store byte-for-byte as it was (DESIGN.md "Bad input gets a clear error and loses nothing")."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import DATA, SAMPLE, SAMPLE_PROFILE, tree_digest

CASES = sorted(p for p in (DATA / "bad-input").iterdir() if p.is_dir())


def test_cases_were_found():
    assert len(CASES) >= 6


def case_input(case):
    (path,) = [p for p in case.iterdir() if p.name != "expected.txt"]
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_and_store_is_unchanged(case, tmp_path, run_kg):
    store = tmp_path / "store"
    assert run_kg("ingest", "--store", store, SAMPLE[0]).exit_code == 0
    before = tree_digest(store)
    result = run_kg("ingest", "--store", store, SAMPLE_PROFILE, case_input(case))
    assert result.exit_code == 2, result.output
    for fragment in (case / "expected.txt").read_text(encoding="utf-8").splitlines():
        assert fragment in result.stderr, f"{fragment!r} not in {result.stderr!r}"
    assert "Traceback" not in result.output
    assert tree_digest(store) == before


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validate_reports_the_same_error(case, tmp_path, run_kg):
    result = run_kg("validate", "--store", tmp_path / "none", case_input(case))
    assert result.exit_code == 2
    assert (case / "expected.txt").read_text(encoding="utf-8").splitlines()[0] in result.stderr
    assert not (tmp_path / "none").exists()


def test_keep_going_ingests_good_files_and_lists_rejects(tmp_path, run_kg):
    rejects = tmp_path / "rejects.jsonl"
    bad = case_input(DATA / "bad-input" / "unknown-kind")
    result = run_kg("ingest", "--store", tmp_path / "store", "--keep-going", "--rejects", rejects, SAMPLE[0], bad)
    assert result.exit_code == 1
    assert "1 input(s) rejected" in result.stderr
    assert '"source":' in rejects.read_text() and "diary.txt" in rejects.read_text()
    stats = run_kg("stats", "--store", tmp_path / "store", "--json")
    assert '"works": 10' in stats.output


def test_real_process_shows_no_traceback_and_exit_code_2(tmp_path):
    bad = case_input(DATA / "bad-input" / "unreadable-year")
    process = subprocess.run([sys.executable, "-m", "kg", "ingest", "--store", str(tmp_path / "s"), str(bad)],
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 2
    assert process.stderr.startswith("Error: ") and "unreadable year" in process.stderr
    assert "Traceback" not in process.stderr and not (tmp_path / "s").exists()


def test_missing_file_and_bad_setting_are_usage_errors(tmp_path, run_kg, monkeypatch):
    result = run_kg("ingest", "--store", tmp_path / "s", tmp_path / "nope.txt")
    assert result.exit_code == 2 and "nope.txt: no such file" in result.stderr
    result = run_kg("ingest", "--store", tmp_path / "s", "--base-uri", "ftp://x", SAMPLE[0])
    assert result.exit_code == 2 and "--base-uri='ftp://x' is not allowed" in result.stderr
