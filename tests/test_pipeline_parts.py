"""An ingest of more than KG_PART_RECORDS records goes in parts of whole files into one unpublished
generation, each part resolved against the parts before it: the live graph must be the one a
single batch gives, published once (one change in the feed), and a bad input in a later part
must leave the store exactly as it was."""

from __future__ import annotations

import shutil

import pytest

import kg.pipeline as pipeline
from conftest import DATA, live_graph, make_settings, nquads, tree_digest
from kg.errors import ParseError
from kg.pipeline import ingest

CORPUS = sorted(p for p in (DATA / "identity").iterdir() if p.suffix in (".txt", ".jsonl"))


@pytest.fixture(scope="module")
def one_batch(tmp_path_factory) -> list[str]:
    store = tmp_path_factory.mktemp("one-batch") / "store"
    ingest(CORPUS, make_settings(store))
    return nquads(store)


@pytest.fixture
def part_sizes(monkeypatch) -> list[int]:
    """The paper and person records of each part the pipeline resolves, in order."""
    sizes: list[int] = []
    resolve = pipeline.resolve

    def recording(parsed, registry, *args, **kwargs):
        sizes.append(sum(len(source.papers) + len(source.persons) for source in parsed))
        return resolve(parsed, registry, *args, **kwargs)

    monkeypatch.setattr(pipeline, "resolve", recording)
    return sizes


def test_parts_of_one_file_each_give_the_live_graph_of_one_batch(tmp_path, one_batch, part_sizes):
    store = tmp_path / "store"
    result = ingest(CORPUS, make_settings(store, part_records=1))
    assert len(part_sizes) == len(CORPUS), "one file per part"
    assert result.written and result.sources == len(CORPUS)
    assert live_graph(nquads(store)) == live_graph(one_batch)
    assert sorted(p.name for p in (store / "changes").glob("*.rdfp.gz")) == ["g000001.rdfp.gz"]


def test_a_part_holds_whole_files_up_to_the_records_asked(tmp_path, part_sizes):
    parsed = pipeline.read_inputs(CORPUS, make_settings(tmp_path / "store"))[0]
    counts = [len(source.papers) + len(source.persons) for source in parsed]
    assert any(source.persons for source in parsed) and any(source.papers for source in parsed)
    ingest(CORPUS, make_settings(tmp_path / "store", part_records=5))
    assert sum(part_sizes) == sum(counts)
    assert all(size >= 5 for size in part_sizes[:-1])
    expected, running = [], 0
    for count in counts:  # files are taken in the order given, and a part closes once it has 5 records
        running += count
        if running >= 5:
            expected.append(running)
            running = 0
    assert part_sizes == expected + ([running] if running else [])


def test_the_counts_are_of_distinct_entities_over_the_parts(tmp_path):
    whole = ingest(CORPUS, make_settings(tmp_path / "a" / "store"))
    parted = ingest(CORPUS, make_settings(tmp_path / "b" / "store", part_records=1))
    assert (parted.persons, parted.works) == (whole.persons, whole.works)


def test_a_bad_input_in_the_last_part_leaves_the_store_as_it_was(tmp_path):
    store = tmp_path / "store"
    ingest(CORPUS[:2], make_settings(store))
    before = tree_digest(store)
    bad = tmp_path / "broken.jsonl"
    shutil.copy(DATA / "pipeline" / "generated-80.jsonl", bad)
    with bad.open("a", encoding="utf-8") as out:
        out.write('{"type": "paper", "title": \n')
    with pytest.raises(ParseError, match="broken.jsonl"):
        ingest([*CORPUS[2:], bad], make_settings(store, part_records=1))
    assert tree_digest(store) == before


def test_validate_in_parts_writes_nothing_and_sees_the_earlier_parts(tmp_path, one_batch):
    store = tmp_path / "store"
    result = ingest(CORPUS, make_settings(store, part_records=1), write=False)
    assert not result.written and result.report is not None and result.report.conforms
    assert not store.exists() or not (store / "current").exists()
    parted = ingest(CORPUS, make_settings(tmp_path / "other", part_records=1))
    assert (result.persons, result.works) == (parted.persons, parted.works)
