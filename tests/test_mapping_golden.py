"""Golden cases: each folder of tests/data/mapping/ holds inputs and the expected dataset (TriG).

The inputs are ingested together into a fresh store; every named graph of the dump must be
isomorphic to the same graph in ``expected.trig``. On a difference the test prints the diff.
"""

from __future__ import annotations

import io

import pytest
from rdflib import Dataset
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from conftest import DATA, make_settings
from kg.pipeline import ingest
from kg.store import open_store

CASES = sorted(p for p in (DATA / "mapping").iterdir() if p.is_dir())


def inputs(case):
    return sorted(p for p in case.iterdir() if p.suffix in (".txt", ".jsonl"))


def named_graphs(dataset: Dataset) -> dict[str, object]:
    return {str(g.identifier): g for g in dataset.graphs() if len(g)}


def test_cases_were_found():
    assert len(CASES) >= 3


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_mapping_matches_golden_dataset(case, tmp_path):
    settings = make_settings(tmp_path / "store")
    ingest(inputs(case), settings)
    out = io.BytesIO()
    open_store(settings.store, settings.base_uri).dump(out, "trig")
    actual = Dataset()
    actual.parse(data=out.getvalue().decode("utf-8"), format="trig")
    expected = Dataset()
    expected.parse(case / "expected.trig", format="trig")
    got, want = named_graphs(actual), named_graphs(expected)
    assert sorted(got) == sorted(want)
    for name in want:
        a, b = to_isomorphic(got[name]), to_isomorphic(want[name])
        if not isomorphic(a, b):
            _both, only_got, only_want = graph_diff(a, b)
            pytest.fail(f"graph {name} differs\nonly in actual:\n{only_got.serialize(format='nt')}\n"
                        f"only in expected:\n{only_want.serialize(format='nt')}")
