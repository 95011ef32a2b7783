"""The bad-input corpus, tests/data/bad/: every case is refused with one clear error and loses nothing.

Each case, ingested by the real CLI together with a good file the store does not hold yet, must
exit 2 (input error) with one line on stderr that names the file, the line (when the problem has
one) and the problem, show no traceback, and leave the store byte-for-byte as it was: a batch with
one bad file writes nothing. With --keep-going the good file is ingested and the bad one is listed,
and nothing of the bad file reaches the store, not even its good lines.

The cases and what their errors must say are data: tests/data/bad/EXPECTED.tsv. Cases too large to
commit (a 20 MB line, a file over the size limit, a 1 GB file for `make reliability`) are made
here in tmp_path.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import DATA, EPOCH, ROOT, make_settings, tree_digest
from kg.pipeline import ingest
from kg.sources.files import MAX_INPUT_BYTES, MAX_LINE_CHARS
from kg.store import open_configured_store

BAD = DATA / "bad"
TABLE = BAD / "EXPECTED.tsv"
# A good input the sample store does not hold yet, so that a batch with it would write.
GOOD = DATA / "parsers" / "jsonl-records" / "records.jsonl"
RECORD = {"type": "paper", "title": "Notes on the Analytical Engine", "authors": ["Ada Lovelace"], "year": 1843}


@dataclass(frozen=True)
class Case:
    """One bad input and what its error must say."""

    path: Path
    line: int | None  # None: the problem is the whole file
    words: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.name


def load_cases() -> list[Case]:
    """Read EXPECTED.tsv: file, line ('-' for none), words joined by ' | '; '#' lines are comments."""
    rows = [line.split("\t") for line in TABLE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert rows[0] == ["file", "line", "message contains"], rows[0]
    cases = []
    for name, line, words in rows[1:]:
        cases.append(Case(BAD / name, None if line == "-" else int(line), tuple(words.split(" | "))))
    return cases


CASES = load_cases()


def assert_clear_error(result, case: Case) -> None:
    """One line on stderr: ``Error: <file>:<line>: <problem>`` (no line for a whole-file problem)."""
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    where = f"Error: {case.path}:{case.line}:" if case.line is not None else f"Error: {case.path}: "
    assert lines[0].startswith(where), f"{where!r} does not start {lines[0]!r}"
    for word in case.words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    assert len(lines[0]) < 500, "a message quotes at most a short piece of the input"


@pytest.fixture
def store(sample_settings, tmp_path) -> Path:
    """A private copy of a store that holds the shipped sample."""
    copy = tmp_path / "store"
    shutil.copytree(sample_settings.store, copy, symlinks=True)
    return copy


def test_every_file_is_a_case_and_every_case_a_file():
    files = {path.name for path in BAD.iterdir()} - {TABLE.name, "README.md"}
    assert files == {case.name for case in CASES}
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_file_in_a_batch_is_refused_and_nothing_is_written(case, store, run_kg):
    before = tree_digest(store)
    result = run_kg("ingest", "--store", store, GOOD, case.path)
    assert result.exit_code == 2, result.output
    assert_clear_error(result, case)
    assert tree_digest(store) == before


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_validate_gives_the_same_error_and_creates_no_store(case, tmp_path, run_kg):
    result = run_kg("validate", "--store", tmp_path / "none", case.path)
    assert result.exit_code == 2, result.output
    assert_clear_error(result, case)
    assert not (tmp_path / "none").exists()


# -- cases made at test time -------------------------------------------------------------------


def write_huge_line(directory: Path) -> Case:
    """A good record, then a 20 MB record on one line (a title of 20 million characters)."""
    path = directory / "huge-line.jsonl"
    huge = {**RECORD, "title": "x" * 20_000_000}
    path.write_text(json.dumps(RECORD) + "\n" + json.dumps(huge) + "\n", encoding="utf-8")
    return Case(path, 2, (f"line is longer than {MAX_LINE_CHARS:,} characters",))


def write_endless_line(directory: Path) -> Case:
    """A page heading followed by 20 MB without a newline."""
    path = directory / "endless-line.txt"
    path.write_text("Author name cluster\n\nLeon Bottou " + "la " * 7_000_000, encoding="utf-8")
    return Case(path, 3, (f"line is longer than {MAX_LINE_CHARS:,} characters",))


def write_too_large(directory: Path) -> Case:
    """A file one byte over the size limit (sparse: it costs no disk)."""
    path = directory / "too-large.jsonl"
    with open(path, "wb") as out:
        out.write(json.dumps(RECORD).encode() + b"\n")
        out.truncate(MAX_INPUT_BYTES + 1)
    return Case(path, None, (f"is {MAX_INPUT_BYTES + 1:,} bytes, more than the {MAX_INPUT_BYTES:,} bytes",
                             "split it into smaller files"))


def make_directory(directory: Path) -> Case:
    path = directory / "records.jsonl"
    path.mkdir()
    return Case(path, None, ("is a directory",))


MADE: list[Callable[[Path], Case]] = [write_huge_line, write_endless_line, write_too_large, make_directory]


@pytest.mark.parametrize("make", MADE, ids=[make.__name__ for make in MADE])
def test_made_case_is_refused_and_nothing_is_written(make, store, tmp_path, run_kg):
    case = make(tmp_path)
    before = tree_digest(store)
    result = run_kg("ingest", "--store", store, GOOD, case.path)
    assert result.exit_code == 2, result.output
    assert_clear_error(result, case)
    assert tree_digest(store) == before


# -- --keep-going: the good files go in, the bad ones are listed, never half a file --------------


def dump_nquads(store: Path) -> bytes:
    out = io.BytesIO()
    open_configured_store(make_settings(store)).dump(out, "nquads")
    return out.getvalue()


@pytest.fixture(scope="module")
def good_only(sample_settings, tmp_path_factory) -> bytes:
    """The N-Quads of the sample store after ingesting GOOD alone, as --keep-going must leave it."""
    copy = tmp_path_factory.mktemp("good-only") / "store"
    shutil.copytree(sample_settings.store, copy, symlinks=True)
    ingest([GOOD], make_settings(copy))
    return dump_nquads(copy)


KEEP_GOING = ["jsonl-truncated-last-line.jsonl", "cluster-truncated.txt", "png-image.png"]


@pytest.mark.parametrize("name", KEEP_GOING)
def test_keep_going_ingests_the_good_file_and_nothing_of_the_bad_one(name, store, tmp_path, run_kg, good_only,
                                                                     monkeypatch):
    (case,) = [case for case in CASES if case.name == name]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))  # the time make_settings records, for equal dumps
    rejects = tmp_path / "rejects.jsonl"
    result = run_kg("ingest", "--store", store, "--keep-going", "--rejects", rejects, GOOD, case.path)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "1 input(s) rejected" in result.stderr
    (reject,) = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert reject["source"] == str(case.path)
    assert all(word in reject["reason"] for word in case.words), reject
    assert dump_nquads(store) == good_only  # every quad of GOOD, not one of the bad file's good lines


def test_keep_going_with_only_bad_files_writes_nothing(store, tmp_path, run_kg):
    before = tree_digest(store)
    bad = [case.path for case in CASES[:5]]
    result = run_kg("ingest", "--store", store, "--keep-going", "--rejects", tmp_path / "rejects.jsonl", *bad)
    assert result.exit_code == 1, result.output
    assert f"{len(bad)} input(s) rejected" in result.stderr
    assert len((tmp_path / "rejects.jsonl").read_text(encoding="utf-8").splitlines()) == len(bad)
    assert tree_digest(store) == before


# -- a 1 GB file (make reliability) ------------------------------------------------------------


def write_gigabyte(path: Path, line: bytes, bad: bytes, size: int = 2**30) -> None:
    """Write about ``size`` bytes of ``line`` repeated, with ``bad`` in place of a line 1 MiB before the end."""
    block = line * (2**26 // len(line))
    with open(path, "wb") as out:
        while out.tell() + len(block) <= size - 2**20:
            out.write(block)
        while out.tell() < size - 2**20:
            out.write(line)
        out.write(bad)
        while out.tell() < size:
            out.write(line)


LONG_RECORD = (json.dumps({**RECORD, "abstract": "An abstract of a thousand bytes. " * 30}) + "\n").encode()
UNDER_THE_LIMIT = MAX_INPUT_BYTES - 2**20


def gigabyte_of_records_with_a_bad_line_near_the_end(path: Path) -> None:
    write_gigabyte(path, LONG_RECORD, b'{"type": "paper", "title": "Cut off\n')


def gigabyte_of_junk(path: Path) -> None:
    write_gigabyte(path, os.urandom(2**16), os.urandom(2**16))


def records_under_the_limit_with_a_control_byte_near_the_end(path: Path) -> None:
    write_gigabyte(path, LONG_RECORD, b'{"type": "person", "name": "Ada\x07"}\n', size=UNDER_THE_LIMIT)


def records_under_the_limit_with_a_bad_record_near_the_end(path: Path) -> None:
    write_gigabyte(path, LONG_RECORD, b'{"type": "paper", "title": "No authors", "year": 1843}\n', size=UNDER_THE_LIMIT)


def run_measured(command: list[str], timeout: float, stderr_path: Path) -> tuple[int, str, float, int]:
    """Run a command; return its exit code, stderr, wall seconds and peak resident memory (KiB).

    The child is reaped with os.wait4, whose resource usage is that child's alone (RUSAGE_CHILDREN
    would give the largest of every child this process ever had).
    """
    started = time.monotonic()
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, cwd=ROOT)
    while not (reaped := os.wait4(process.pid, os.WNOHANG))[0]:
        if time.monotonic() - started > timeout:
            process.kill()
            os.wait4(process.pid, 0)
            process.returncode = -9
            pytest.fail(f"{command} ran longer than {timeout} s")
        time.sleep(0.05)
    _, status, usage = reaped
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    return process.returncode, stderr_path.read_text(encoding="utf-8", errors="replace"), elapsed, usage.ru_maxrss


TOO_LARGE = f"bytes, more than the {MAX_INPUT_BYTES:,} bytes"
BIG = [
    (gigabyte_of_records_with_a_bad_line_near_the_end, TOO_LARGE),
    (gigabyte_of_junk, TOO_LARGE),
    (records_under_the_limit_with_a_control_byte_near_the_end, "control character U+0007"),
    (records_under_the_limit_with_a_bad_record_near_the_end, "'authors' is a required property"),
]


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize(("make", "problem"), BIG, ids=[make.__name__ for make, _ in BIG])
def test_big_bad_file_is_refused_with_bounded_time_and_memory(make, problem, store, tmp_path):
    path = tmp_path / "big.jsonl"
    make(path)
    size = path.stat().st_size
    before = tree_digest(store)
    command = [sys.executable, "-m", "kg", "ingest", "--store", str(store), str(path)]
    code, stderr, seconds, peak_kib = run_measured(command, timeout=600, stderr_path=tmp_path / "stderr.txt")
    path.unlink()
    print(f"\n{make.__name__}: {size:,} bytes, exit {code}, {seconds:.1f} s, peak RSS {peak_kib // 1024} MiB: "
          f"{stderr.strip()}")
    assert code == 2 and "Traceback" not in stderr
    assert len(stderr.splitlines()) == 1 and stderr.startswith(f"Error: {path}") and problem in stderr
    if size <= MAX_INPUT_BYTES:
        assert stderr.startswith(f"Error: {path}:"), "the message names the line"
    assert peak_kib * 1024 < 4 * MAX_INPUT_BYTES, "memory is bounded by the size limit, not the file"
    assert tree_digest(store) == before
