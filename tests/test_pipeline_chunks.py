"""An ingest larger than KG_CHUNK_PAPERS is mapped, validated and written chunk by chunk into one
unpublished generation: the graph must be byte-for-byte the one a single chunk gives, whatever
the chunk size, on an empty store and on top of earlier ingests; a chunk that fails the gate
leaves the store as it was."""

import io
import shutil
from pathlib import Path

import pytest

from conftest import DATA, HOSTILE, SAMPLE, SAMPLE_CLUSTER, SAMPLE_PROFILE, make_settings, tree_digest
from kg.errors import ValidationFailed
from kg.pipeline import ingest
from kg.store import open_configured_store

GENERATED = DATA / "pipeline" / "generated-80.jsonl"  # bench/generate.py --papers 80 --seed 5


def nquads(settings) -> bytes:
    out = io.BytesIO()
    open_configured_store(settings).dump(out, "nquads")
    return out.getvalue()


@pytest.fixture(scope="module")
def one_chunk(tmp_path_factory) -> bytes:
    settings = make_settings(tmp_path_factory.mktemp("one") / "store")
    result = ingest([*SAMPLE, HOSTILE, GENERATED], settings)
    assert result.written and result.works > 80
    return nquads(settings)


@pytest.mark.parametrize("chunk_papers", [1, 7, 40])
def test_the_chunk_size_changes_nothing_in_the_graph(tmp_path, one_chunk, chunk_papers):
    settings = make_settings(tmp_path / "store", chunk_papers=chunk_papers)
    ingest([*SAMPLE, HOSTILE, GENERATED], settings)
    assert nquads(settings) == one_chunk


@pytest.mark.parametrize("chunk_papers", [3, 5000])
def test_chunks_on_top_of_an_earlier_ingest(tmp_path, one_chunk, chunk_papers):
    """The second ingest renames persons the first one minted (a richer spelling), in some chunk."""
    settings = make_settings(tmp_path / "store", chunk_papers=chunk_papers)
    ingest([SAMPLE_CLUSTER], settings)
    result = ingest([SAMPLE_PROFILE, HOSTILE, GENERATED], settings)
    assert result.quads_removed > 0
    assert nquads(settings) == one_chunk


DOOMED = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
@prefix kg: <ontology#> .
kg:NoDoomShape a sh:NodeShape ; sh:targetClass schema:ScholarlyArticle ;
    sh:property [ sh:path schema:name ; sh:pattern "^(?!.*DOOM)" ; sh:message "a title may not say DOOM" ] .
"""


def test_a_failing_chunk_writes_nothing(tmp_path):
    """The bad record is in the last of many chunks: the earlier ones were already in the new
    generation when it failed, and the store must still be exactly as it was."""
    shapes = tmp_path / "shapes"
    shutil.copytree(Path(make_settings(tmp_path).shapes_dir), shapes)
    (shapes / "doom.shapes.ttl").write_text(DOOMED, encoding="utf-8")
    settings = make_settings(tmp_path / "store", chunk_papers=5, shapes_dir=shapes)
    ingest(SAMPLE, settings)
    before = tree_digest(Path(settings.store))
    lines = GENERATED.read_text(encoding="utf-8").splitlines()
    doomed = next(n for n in range(len(lines) - 1, 0, -1) if '"type": "paper"' in lines[n])
    lines[doomed] = lines[doomed].replace('"title": "', '"title": "DOOM ', 1)
    bad = tmp_path / "late-bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as failed:
        ingest([bad], settings)
    assert f"late-bad.jsonl:{doomed + 1}" in failed.value.report.text()
    assert "DOOM" in failed.value.report.text()
    assert tree_digest(Path(settings.store)) == before
