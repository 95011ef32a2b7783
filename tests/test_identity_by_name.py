"""A new mention of a name that its person alone holds joins that person from the person's summary
(kg.identity.resolve._by_name_alone), without the stored mentions being read: it must give exactly
the store that re-deciding every touched block from all its mentions gives, byte for byte, and it
must be what decides most names of a later file (else the work per file grows with the store).

Inputs: tests/data/pipeline/generated-80.jsonl (bench/generate.py: 34 names, most on several
papers) cut into files of ten lines, so every file repeats names the files before it hold, and
the identity corpus (tests/data/identity/: variants, initials, homonyms, ORCIDs, curations'
cases), where the summary must step aside for the full rules.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from conftest import DATA, make_settings, nquads
from kg.pipeline import ingest
from kg.store.registry import StoreRegistry

resolve_module = importlib.import_module("kg.identity.resolve")  # kg.identity exports a function of that name
IDENTITY_GRAPH = "<http://127.0.0.1:5000/graph/identity>"
MARKER = f'{IDENTITY_GRAPH} <http://127.0.0.1:5000/ontology#summarisesPersons> "true"^^' \
         f'<http://www.w3.org/2001/XMLSchema#boolean> {IDENTITY_GRAPH} .'
IDENTITY = sorted(p for p in (DATA / "identity").iterdir() if p.suffix in (".txt", ".jsonl"))


def generated_files(directory: Path, lines_per_file: int = 10) -> list[Path]:
    lines = (DATA / "pipeline" / "generated-80.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for start in range(0, len(lines), lines_per_file):
        path = directory / f"part-{start // lines_per_file:02d}.jsonl"
        path.write_text("".join(lines[start:start + lines_per_file]), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture
def decided_by_name(monkeypatch) -> list[int]:
    """How many new person mentions each resolve decided by name alone."""
    counts: list[int] = []
    real = resolve_module._by_name_alone

    def counting(new, registry):
        decided = real(new, registry)
        counts.append(sum(len(e.mentions) for built in decided.values() for e in built.values()))
        return decided

    monkeypatch.setattr(resolve_module, "_by_name_alone", counting)
    return counts


def build(files: list[Path], store: Path) -> list[str]:
    for path in files:
        ingest([path], make_settings(store))
    return nquads(store)


@pytest.mark.parametrize("corpus", ["generated", "identity", "both, reversed"])
def test_deciding_by_summaries_gives_the_store_that_all_the_mentions_give(corpus, tmp_path, monkeypatch,
                                                                         decided_by_name):
    """Three ways, one store: by summaries (the default); reading only the compatible names of a
    block but no mention decided by name alone; and every touched block read whole, as a store
    without summaries is decided."""
    files = {"generated": lambda: generated_files(tmp_path / "records"),
             "identity": lambda: IDENTITY,
             "both, reversed": lambda: list(reversed(IDENTITY + generated_files(tmp_path / "records")))}[corpus]()
    read: list[int] = []
    real = resolve_module._stored_mentions

    def reading(*args, **kwargs):
        stored = real(*args, **kwargs)
        read.append(len(stored))
        return stored

    monkeypatch.setattr(resolve_module, "_stored_mentions", reading)
    summarised = build(files, tmp_path / "summarised")
    assert sum(decided_by_name) > 0
    monkeypatch.setattr(resolve_module, "_by_name_alone", lambda new, registry: {})
    by_name, read[:] = sum(read), []
    assert build(files, tmp_path / "compatible-names") == summarised
    monkeypatch.setattr(StoreRegistry, "summarised", lambda self: False)
    narrowed, read[:] = sum(read), []
    assert MARKER in summarised  # written by the first ingest, read by every later one
    assert build(files, tmp_path / "whole-blocks") == [line for line in summarised if line != MARKER]
    assert by_name < narrowed <= sum(read)  # each way reads no more than the next


def test_a_block_is_read_only_for_the_names_that_can_be_one_persons(tmp_path, monkeypatch):
    """Made up to show it (truth known): "Maria Silva" and "Marco Silva" share a block (m silva)
    but can never be one person; "Maria J. Silva", a variant of Maria's, is decided with Maria's
    mentions and not with Marco's, and the store is the one reading the whole block gives."""
    papers = [("A study of things", ["Maria Silva", "Ana Costa"]), ("Other things", ["Marco Silva", "Rui Lopes"]),
              ("More things", ["Maria Silva", "Pedro Alves"]), ("Yet more", ["Marco Silva", "Ana Costa"]),
              ("Last things", ["Maria J. Silva", "Ana Costa"])]
    files = []
    for index in range(0, len(papers), 2):
        path = tmp_path / "records" / f"silva-{index}.jsonl"
        path.parent.mkdir(exist_ok=True)
        path.write_text("".join(json.dumps({"type": "paper", "title": title, "authors": authors, "year": 2020}) + "\n"
                                for title, authors in papers[index:index + 2]), encoding="utf-8")
        files.append(path)
    read: list[set[str]] = []
    real = resolve_module._stored_mentions

    def reading(*args, **kwargs):
        stored = real(*args, **kwargs)
        read.append({s.mention.key for s in stored})
        return stored

    monkeypatch.setattr(resolve_module, "_stored_mentions", reading)
    narrowed = build(files, tmp_path / "compatible-names")
    assert {"maria silva"} <= read[-1] and "marco silva" not in read[-1]
    monkeypatch.setattr(StoreRegistry, "summarised", lambda self: False)
    assert build(files, tmp_path / "whole-blocks") == [line for line in narrowed if line != MARKER]
    assert "marco silva" in read[-1]


def test_a_later_file_is_mostly_decided_by_name_alone(tmp_path, decided_by_name):
    files = generated_files(tmp_path / "records")
    store = tmp_path / "store"
    persons = []
    for path in files:
        before = len(decided_by_name)
        ingest([path], make_settings(store))
        assert len(decided_by_name) == before + 1
        persons.append(len({a for line in path.read_text(encoding="utf-8").splitlines()
                            for a in json.loads(line).get("authors") or ()}))
    # after the first file, most of each file's names are known by that name alone and join by it
    assert all(decided * 3 > names * 2 for decided, names in zip(decided_by_name[1:], persons[1:], strict=True)), \
        (decided_by_name, persons)


def test_a_name_with_a_variant_in_the_store_is_decided_from_all_its_mentions(tmp_path, monkeypatch):
    """variants-a holds `Y. LeCun`; variants-b's `Yann LeCun` is compatible with it, so the block is
    re-decided whole (the later `Y. LeCun` merge, tests/test_identity_converge.py, needs it)."""
    store = tmp_path / "store"
    ingest([DATA / "identity" / "variants-a.jsonl"], make_settings(store))
    real = resolve_module._by_name_alone
    seen: list[set[str]] = []

    def blocks(new, registry):
        decided = real(new, registry)
        seen.append(set(decided))
        return decided

    monkeypatch.setattr(resolve_module, "_by_name_alone", blocks)
    ingest([DATA / "identity" / "variants-b.jsonl"], make_settings(store))
    assert seen and "y lecun" not in seen[-1]
