"""The records-jsonl parser and its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from conftest import DATA
from kg.errors import ParseError
from kg.parsers.records_jsonl import SCHEMA_PATH, load_fast_validator, load_validator, parse_records_jsonl
from kg.records import IDENTIFIER_SCHEMES, VENUE_KINDS, Identifier, PaperRecord, PersonRecord
from kg.sources import read_source

CASES = Path(__file__).parent / "data" / "parsers"
RETRIEVED_AT = "2026-01-01T00:00:00Z"


def parse_file(path: Path):
    return parse_records_jsonl(read_source(path, RETRIEVED_AT))


def test_records_become_persons_and_papers_in_file_order():
    parsed = parse_file(CASES / "jsonl-records" / "records.jsonl")
    assert parsed.kind == "records-jsonl"
    assert parsed.subject is None
    assert parsed.facts == ()
    assert parsed.persons == (
        PersonRecord(
            name="Léon Bottou",
            line=1,
            identifiers=(
                Identifier("orcid", "0000-0002-1825-009X"),
                Identifier("dblp", "b/LeonBottou"),
                Identifier("wikidata", "Q3271928"),
            ),
        ),
        PersonRecord(name="Yann LeCun", line=3),
    )
    assert parsed.papers == (
        PaperRecord(
            title="Memory Mosaics at scale",
            line=4,
            authors=("Jianyu Zhang", "Léon Bottou"),
            venue="NeurIPS",
            venue_kind="conference",
            year=2025,
            type_label="Conference Paper",
            identifiers=(Identifier("doi", "10.48550/arXiv.2507.03285"), Identifier("arxiv", "2507.03285")),
        ),
        PaperRecord(
            title="AdaGrad stepsizes: Sharp convergence over nonconvex landscapes",
            line=5,
            authors=("Rachel Ward", "Xiaoxia Wu", "Léon Bottou"),
            abstract=r"AdaGrad-Norm converges at the $\mathcal{O}(\log(N)/\sqrt{N})$ rate & is “sharp”, "
            r"cf. \citep{mnist} and ``barn spider''.",
            venue="JMLR",
            venue_kind="journal",
            year=2020,
            type_label="Journal Article",
            copyright="© JMLR 2020",
        ),
        PaperRecord(
            title="Invariant Risk Minimization",
            line=6,
            authors=("Martin Arjovsky", "Léon Bottou", "Ishaan Gulrajani", "David Lopez-Paz"),
            year=2020,
        ),
    )


@pytest.mark.parametrize(
    ("case", "line", "column", "message"),
    [
        ("jsonl-invalid-json", 2, 66, "invalid JSON: Expecting ',' delimiter"),
        ("jsonl-year-not-integer", 2, None, "$.year: '2020' is not of type 'integer'"),
        ("jsonl-empty-author", 2, None, "$.authors[1]: '' should be non-empty"),
        ("jsonl-unknown-field", 2, None, "$: Additional properties are not allowed ('pages' was unexpected)"),
        ("jsonl-bad-doi", 2, None, r"$.identifiers.doi: 'doi:10.1000/x' does not match '^10\\.\\S+/\\S+$'"),
        ("jsonl-unknown-type", 2, None, "$.type: 'venue' is not 'person' or 'paper'"),
        ("jsonl-duplicate-key", 2, None, "duplicate key 'title': a record names each field once"),
        ("jsonl-missing-year", 3, None, "$: 'year' is a required property"),
    ],
)
def test_bad_lines_name_file_line_and_value(case, line, column, message):
    path = CASES / case / "records.jsonl"
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert (caught.value.line, caught.value.column) == (line, column)
    where = f"{path}:{line}" + (f":{column}" if column else "")
    assert str(caught.value) == f"{where}: {message}"


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"type": "paper", "title": "T", "authors": ["A B"], "year": 999},
         "$.year: 999 is less than the minimum of 1000"),
        ({"type": "paper", "title": "T", "authors": ["A B"], "year": 3000},
         "$.year: 3000 is greater than the maximum of 2999"),
        ({"type": "paper", "title": "   ", "authors": ["A B"], "year": 2000}, "$.title: '   ' does not match '\\\\S'"),
        ({"type": "paper", "title": "T", "year": 2000, "authors": []}, "$.authors: [] should be non-empty"),
        (
            {"type": "paper", "title": "T", "authors": ["A B"], "year": 2000, "venue_kind": "magazine"},
            "$.venue_kind: 'magazine' is not one of "
            "['conference', 'journal', 'preprint-server', 'workshop', 'book', 'other']",
        ),
        (
            {"type": "person", "name": "A", "identifiers": {"orcid": "0000-0002-1825-009"}},
            "$.identifiers.orcid: '0000-0002-1825-009' does not match '^\\\\d{4}-\\\\d{4}-\\\\d{4}-\\\\d{3}[\\\\dX]$'",
        ),
        (
            {"type": "person", "name": "A", "identifiers": {"isni": "1"}},
            "$.identifiers: Additional properties are not allowed ('isni' was unexpected)",
        ),
        ({"type": "person", "name": "<b></b>"}, "$.name: '<b></b>' is empty once HTML tags and whitespace are removed"),
        ({"type": "person"}, "$: 'name' is a required property"),
        ({"name": "A"}, "$: 'type' is a required property ('person' or 'paper')"),
        ([1, 2], "$: [1, 2] is not of type 'object'"),
    ],
)
def test_schema_violations(tmp_path, record, message):
    path = tmp_path / "records.jsonl"
    path.write_text('{"type": "person", "name": "Ada"}\n' + json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert str(caught.value) == f"{path}:2: {message}"


def test_schema_is_draft_2020_12_and_matches_the_records_module():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["oneOf"] == [{"$ref": "#/$defs/person"}, {"$ref": "#/$defs/paper"}]
    definitions = schema["$defs"]
    assert tuple(definitions["paper"]["properties"]["venue_kind"]["enum"]) == VENUE_KINDS
    assert set(definitions["identifiers"]["properties"]) == set(IDENTIFIER_SCHEMES)
    assert definitions["paper"]["required"] == ["type", "title", "authors", "year"]
    assert all(definitions[name]["additionalProperties"] is False for name in ("person", "paper", "identifiers"))
    assert load_validator() is load_validator()


@pytest.mark.parametrize(
    ("scheme", "good", "bad"),
    [
        ("orcid", "0000-0002-1825-009X", "0000-0002-1825-00XX"),
        ("doi", "10.1000/xyz123", "10.1000"),
        ("wikidata", "Q42", "P42"),
        ("arxiv", "2507.03285v2", "arXiv:2507.03285"),
        ("arxiv", "cs.LG/0101001", "2507"),
        ("dblp", "journals/jmlr/WardWB20", "Bottou"),
    ],
)
def test_identifier_patterns(scheme, good, bad):
    validator = load_validator()
    assert validator.is_valid({"type": "person", "name": "A", "identifiers": {scheme: good}})
    assert not validator.is_valid({"type": "person", "name": "A", "identifiers": {scheme: bad}})


def test_blank_lines_only_after_the_first_record(tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text('\n  \n{"type": "person", "name": "Ada"}\n\n\t\n', encoding="utf-8")
    assert parse_file(path).persons == (PersonRecord(name="Ada", line=3),)


def schema_cases() -> list:
    """Every record of the JSON Lines test files, and each with one field dropped or given a value
    of another kind: valid and invalid records of every shape the schema knows."""
    records = []
    for path in sorted(DATA.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except (ValueError, RecursionError):  # the bad-input corpus holds both
                continue
    cases = list(records)
    for record in records:
        if not isinstance(record, dict):
            continue
        for key in record:
            cases.append({k: v for k, v in record.items() if k != key})
            for other in (None, 0, 2001.5, "", " ", "x", [], ["x"], {}, {"doi": "10.1/x"}, True):
                cases.append({**record, key: other})
    return cases


def test_the_fast_validator_gives_jsonschemas_verdict_on_every_case():
    cases = schema_cases()
    # lone surrogates (and, alike once escaped, astral characters) go to jsonschema alone
    cases = [r for r in cases if "\\ud8" not in json.dumps(r)]
    verdicts = [(load_fast_validator().is_valid(r), next(load_validator().iter_errors(r), None) is None) for r in cases]
    assert len(cases) > 2000 and any(v for v, _ in verdicts) and not all(v for v, _ in verdicts)
    assert [i for i, (fast, reference) in enumerate(verdicts) if fast != reference] == []
