"""Order independence and idempotence: the same records give the same graph and the same URIs.

Blank nodes (author lists) get labels derived from their content, so the N-Quads of two builds
can be compared line by line, which is stricter than graph isomorphism.
"""

from __future__ import annotations

import io

from conftest import SAMPLE, make_settings, tree_digest
from kg.pipeline import ingest
from kg.store import open_store


def nquads(settings) -> list[str]:
    out = io.BytesIO()
    open_store(settings.store, settings.base_uri).dump(out, "nquads")
    return sorted(out.getvalue().decode("utf-8").splitlines())


def test_one_batch_in_either_order_gives_the_same_quads(tmp_path, sample_settings):
    settings = make_settings(tmp_path / "reversed")
    ingest(list(reversed(SAMPLE)), settings)
    assert nquads(settings) == nquads(sample_settings)


def test_separate_ingests_in_either_order_give_the_same_quads(tmp_path, sample_settings):
    expected = nquads(sample_settings)
    for name, order in (("ab", SAMPLE), ("ba", list(reversed(SAMPLE)))):
        settings = make_settings(tmp_path / name)
        for path in order:
            ingest([path], settings)
        assert nquads(settings) == expected, name


def test_ingesting_again_changes_nothing(tmp_path):
    settings = make_settings(tmp_path / "store")
    ingest(SAMPLE, settings)
    before = tree_digest(settings.store)
    result = ingest(SAMPLE, settings)
    assert (result.sources, result.skipped, result.written) == (0, 2, False)
    assert tree_digest(settings.store) == before


def test_adding_records_keeps_every_minted_uri(tmp_path):
    settings = make_settings(tmp_path / "store")
    ingest(SAMPLE[:1], settings)
    first = {line.split(" ", 1)[0] for line in nquads(settings) if line.startswith(f"<{settings.base_uri}")}
    ingest(SAMPLE[1:], settings)
    after = {line.split(" ", 1)[0] for line in nquads(settings)}
    assert first and first <= after


def test_one_version_stated_with_and_without_its_venue_kind_keeps_one_class(tmp_path):
    """Found by test_properties in CI: a record with venue_kind and the same record without it are
    two versions (the class is part of the version's identity), not one version with two classes."""
    records = tmp_path / "records.jsonl"
    paper = '{"type": "paper", "title": "Learning", "authors": ["Léon Bottou"], "year": 1000, "venue": "NeurIPS"'
    records.write_text(f'{paper}}}\n{paper}, "venue_kind": "conference"}}\n', encoding="utf-8")
    settings = make_settings(tmp_path / "store")
    result = ingest([records], settings)
    assert result.written
    versions = {line.split(" ")[0] for line in nquads(settings) if "/paper/learning/" in line.split(" ")[0]}
    assert versions == {f"<{settings.base_uri}paper/learning/neurips-1000-version>",
                        f"<{settings.base_uri}paper/learning/neurips-1000-conference-paper>"}
