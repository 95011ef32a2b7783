"""Settings at the command line, and the internal-error exit code, through the real `kg` process.

README "Settings": defaults, then a TOML file (`kg --settings FILE`), then KG_* environment
variables, then command-line flags, later ones winning; a bad file or value is refused with one
line (exit 2). README "Exit codes": 3 is an internal error (a bug), one line that says so, the
traceback only with `--debug`. Exit codes 0, 1 and 2 are hit throughout the suite
(test_cli_commands.py, test_cli_bad_input.py, test_bad_corpus.py); 3 is hit only here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EPOCH, tree_digest

KG = [sys.executable, "-m", "kg"]

RECORDS = (
    '{"type": "paper", "title": "A tiny paper", "authors": ["Ada Lovelace", "Charles Babbage"], '
    '"venue": "NeurIPS", "venue_kind": "conference", "year": 2024, "type_label": "Conference Paper"}\n'
)
MORE_RECORDS = '{"type": "paper", "title": "Another tiny paper", "authors": ["Grace Hopper"], "year": 2023}\n'
PERSON = re.compile(r"^<([^>]+)> <http://www\.w3\.org/1999/02/22-rdf-syntax-ns#type> <https://schema\.org/Person> ",
                    re.M)


def kg_env(**extra: str) -> dict[str, str]:
    """This process's environment without any KG_* setting of the caller, the build time pinned."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KG_")}
    return {**env, "SOURCE_DATE_EPOCH": str(EPOCH), **extra}


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # timeout: only a guard against a hung process, not a measurement
    return subprocess.run(command, cwd=cwd, env=env or kg_env(), capture_output=True, text=True, timeout=120)


def kg(*args, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run([*KG, *map(str, args)], cwd, env)


def toml_text(**values: str) -> str:
    # a JSON string is a valid TOML basic string (same escapes)
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())


def assert_one_line_error(result: subprocess.CompletedProcess, code: int) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# -- which source wins ---------------------------------------------------------------------------

FILE_BASE, ENV_BASE, FLAG_BASE = "http://file.example/", "http://env.example/", "http://flag.example/"


@pytest.mark.parametrize("winner", ["file", "env", "flag"])
def test_settings_file_then_environment_then_flags(tmp_path, winner):
    """base_uri decides the minted URIs, store decides where the graph goes: both from the winning source.

    The file always sets both; the environment (env, flag) overrides it; the flags (flag) override both.
    The store dump is read back with the same sources, so reading follows the same precedence.
    """
    stores = {name: tmp_path / f"store-{name}" for name in ("file", "env", "flag")}
    bases = {"file": FILE_BASE, "env": ENV_BASE, "flag": FLAG_BASE}
    settings = tmp_path / "kg.toml"
    settings.write_text(toml_text(base_uri=FILE_BASE, store=str(stores["file"])), encoding="utf-8")
    env = kg_env() if winner == "file" else kg_env(KG_BASE_URI=ENV_BASE, KG_STORE=str(stores["env"]))
    flags = ["--base-uri", FLAG_BASE, "--store", stores["flag"]] if winner == "flag" else []
    records = tmp_path / "records.jsonl"
    records.write_text(RECORDS, encoding="utf-8")

    ingested = kg("--settings", settings, "ingest", *flags, records, cwd=tmp_path, env=env)
    assert ingested.returncode == 0, ingested.stderr
    assert ingested.stdout.strip().endswith(f"wrote {stores[winner]}"), ingested.stdout
    assert [name for name, path in stores.items() if path.exists()] == [winner]

    dumped = kg("--settings", settings, "dump", *flags, "--format", "nquads", "--output", "-", cwd=tmp_path, env=env)
    assert dumped.returncode == 0, dumped.stderr
    base = bases[winner]
    assert sorted(PERSON.findall(dumped.stdout)) == [f"{base}author/ada-lovelace", f"{base}author/charles-babbage"]
    others = [b for b in bases.values() if b != base]
    assert not any(other in dumped.stdout for other in others)


# -- a bad settings file: exit 2, one line -------------------------------------------------------

BAD_FILES = {
    # name: (file bytes or None for no file, what the one line must say besides the file name)
    "unknown-key": (b'base_uri = "http://127.0.0.1:5000/"\nbase_url = "http://x.example/"\n', ":base_url="),
    "invalid-toml": (b"base_uri = \n", "valid TOML"),
    "missing-file": (None, "a readable TOML file"),
    "bad-value": (b'base_uri = "ftp://x.example/"\n', ":base_uri='ftp://x.example/'"),
    "not-utf8": (b'title = "caf\xe9"\n', "UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_settings_file_is_a_one_line_usage_error(tmp_path, case):
    content, said = BAD_FILES[case]
    settings = tmp_path / "kg.toml"
    if content is not None:
        settings.write_bytes(content)
    result = kg("--settings", settings, "stats", "--store", tmp_path / "store", cwd=tmp_path)
    assert_one_line_error(result, 2)
    assert str(settings) in result.stderr and said in result.stderr, result.stderr


# -- exit code 3: an internal error --------------------------------------------------------------

# Fault injection: a real bug cannot be produced on demand, so the process replaces one function
# the ingest calls (the OWL-RL inference, run while the new generation is being written) with one
# that raises RuntimeError, then runs the real command line.
FAULT = """
import sys

import kg.cli
import kg.pipeline


def fault(*args, **kwargs):
    raise RuntimeError("injected fault")


kg.pipeline.materialize_owlrl = fault
kg.cli.main(sys.argv[1:], prog_name="kg")
"""
INTERNAL = ("Error: internal error: RuntimeError('injected fault') "
            "(a bug in kg; rerun with --debug for the traceback)")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """A store with one ingest, and a second input whose ingest the fault will break."""
    directory = tmp_path_factory.mktemp("internal")
    (directory / "first.jsonl").write_text(RECORDS, encoding="utf-8")
    (directory / "second.jsonl").write_text(MORE_RECORDS, encoding="utf-8")
    result = kg("ingest", "--store", directory / "store", directory / "first.jsonl", cwd=directory)
    assert result.returncode == 0, result.stderr
    return directory / "store", directory / "second.jsonl"


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_an_internal_error_exits_3_says_so_and_leaves_the_store(built, tmp_path, debug):
    store, records = built
    before = tree_digest(store)
    options = ["--debug"] if debug else []
    result = run([sys.executable, "-c", FAULT, *options, "ingest", "--store", str(store), str(records)], tmp_path)
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert result.stderr.splitlines()[-1] == INTERNAL, result.stderr
    if debug:
        assert result.stderr.startswith("Traceback (most recent call last):"), result.stderr
        assert "\nRuntimeError: injected fault\n" in result.stderr and "pipeline.py" in result.stderr
    else:
        assert result.stderr == INTERNAL + "\n"
    assert tree_digest(store) == before  # README "Exit codes": an ingest that fails for any reason writes nothing
