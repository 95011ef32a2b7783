"""Golden cases for the SHACL shapes: one folder per case under tests/data/validation/.

Each folder holds the input (``data.ttl``, or ``data.trig`` whose named graphs are merged the way
the pipeline merges a batch), optional ``record-keys.json`` (subject IRI -> record keys, as the
mapping stage supplies them), and the expectation: ``expected.txt`` (the exact lines of
``report.text()``; ``#`` lines are comments) and/or ``expected-report.ttl`` (the raw report,
compared up to blank-node renaming). Relative IRIs resolve against the default base.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from rdflib import Dataset, Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import RDF, SH

from conftest import DATA, make_settings, nquads
from kg.pipeline import ingest
from kg.validation import ValidationReport, load_shapes, validate_graph

BASE = "http://127.0.0.1:5000/"
ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = Path(__file__).resolve().parent / "data" / "validation"


def discover_cases() -> list[Path]:
    """Return the case folders, sorted; there must be at least one."""
    cases = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())
    assert cases, f"no validation cases found under {CASES_DIR}"
    return cases


CASES = discover_cases()


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(ROOT / "shapes", BASE)


def load_case_data(case: Path) -> Graph:
    """Return the case's data as one plain graph (the union of its named graphs for TriG)."""
    if (case / "data.ttl").exists():
        return Graph().parse(case / "data.ttl", format="turtle", publicID=BASE)
    dataset = Dataset()
    with warnings.catch_warnings():
        # rdflib 7.6's TriG parser builds a ConjunctiveGraph internally, which it deprecates.
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset.parse(data=(case / "data.trig").read_text(encoding="utf-8"), format="trig", publicID=BASE)
    union = Graph()
    for s, p, o, _graph in dataset.quads():
        union.add((s, p, o))
    return union


def load_record_keys(case: Path) -> dict[str, list[str]]:
    """Return the case's record keys per subject IRI ({} when the case gives none)."""
    path = case / "record-keys.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def run_case(case: Path, shapes: Graph) -> ValidationReport:
    """Validate one case's data against the shapes."""
    return validate_graph(load_case_data(case), shapes, load_record_keys(case))


def read_expected_lines(path: Path) -> list[str]:
    """Return the non-comment, non-blank lines of an expected.txt."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def assert_same_report(actual: Graph, expected_path: Path) -> None:
    """Compare the raw report with expected-report.ttl, printing the difference if any."""
    expected = Graph().parse(expected_path, format="turtle", publicID=BASE)
    if not isomorphic(actual, expected):
        _both, only_actual, only_expected = graph_diff(to_isomorphic(actual), to_isomorphic(expected))
        pytest.fail(
            "report differs from expected-report.ttl\n"
            f"only in actual:\n{only_actual.serialize(format='nt')}\n"
            f"only in expected:\n{only_expected.serialize(format='nt')}"
        )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_validation_case(case: Path, shapes: Graph) -> None:
    expected_txt, expected_ttl = case / "expected.txt", case / "expected-report.ttl"
    assert expected_txt.exists() or expected_ttl.exists(), f"{case.name}: no expected.txt or expected-report.ttl"

    report = run_case(case, shapes)

    if expected_txt.exists():
        expected = read_expected_lines(expected_txt)
        assert report.text().splitlines() == expected
        assert report.conforms is (not expected)
        assert len(report.violations) == len(expected)
    if expected_ttl.exists():
        assert_same_report(report.graph, expected_ttl)


def find_focus_candidates(shape, shapes: Graph, data: Graph) -> set:
    """Return the focus nodes of a shape's sh:targetClass / sh:targetSubjectsOf in ``data``."""
    nodes = set()
    for cls in shapes.objects(shape, SH.targetClass):
        nodes.update(data.subjects(RDF.type, cls))
    for prop in shapes.objects(shape, SH.targetSubjectsOf):
        nodes.update(data.subjects(prop, None))
    return nodes


def test_every_shape_has_a_conforming_and_a_violating_case(shapes: Graph) -> None:
    targeted = {s for p in (SH.targetClass, SH.targetSubjectsOf) for s in shapes.subjects(p, None)}
    assert len(targeted) == 6
    conforming, violating = set(), set()
    for case in CASES:
        data, report = load_case_data(case), run_case(case, shapes)
        for shape in targeted:
            parts = {shape, *shapes.objects(shape, SH.property)}
            if any(v.source_shape in parts for v in report.violations):
                violating.add(shape)
            if report.conforms and find_focus_candidates(shape, shapes, data):
                conforming.add(shape)
    assert targeted - conforming == set(), "shapes without a conforming case"
    assert targeted - violating == set(), "shapes without a violating case"


def test_the_gate_may_leave_out_mentions_no_shape_can_reach(shapes: Graph, tmp_path) -> None:
    """kg.pipeline.Gate.judged leaves kg:Mention nodes out of what it validates: that is sound only
    while no shape names kg:Mention and no triple of a store points to a mention (they are subjects
    only, so no path from a focus node reaches one)."""
    mention = "http://127.0.0.1:5000/ontology#Mention"
    assert not [t for t in shapes if mention in map(str, t)]
    ingest(sorted(p for p in (DATA / "identity").iterdir() if p.suffix in (".txt", ".jsonl")),
           make_settings(tmp_path / "store"))
    lines = nquads(tmp_path / "store")
    nodes = {line.split(" ", 1)[0] for line in lines if f" <{mention}> " in line}
    assert nodes and not [line for line in lines if line.split(" ")[2] in nodes]
