"""Kind detection: from the content, never the file name; unknown kinds are refused with the first line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import SourceError
from kg.parsers import PARSERS, detect_kind, parse_source
from kg.parsers.arrow_cluster import parse_arrow_cluster
from kg.parsers.records_jsonl import parse_records_jsonl
from kg.parsers.researcher_profile import parse_researcher_profile
from kg.sources import read_source

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "records"
CASES = Path(__file__).parent / "data" / "parsers"
RETRIEVED_AT = "2026-01-01T00:00:00Z"


def test_registry_names_each_kind_once():
    assert PARSERS == {
        "records-jsonl": parse_records_jsonl,
        "researcher-profile": parse_researcher_profile,
        "arrow-author-cluster": parse_arrow_cluster,
    }


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (SAMPLES / "arrow-author-cluster-leon-bottou.txt", "arrow-author-cluster"),
        (SAMPLES / "researcher-profile-leon-bottou.txt", "researcher-profile"),
        (CASES / "cluster-yann-lecun" / "page.txt", "arrow-author-cluster"),
        (CASES / "profile-soren-sonnenburg" / "page.txt", "researcher-profile"),
        (CASES / "profile-isabelle-guyon" / "page.txt", "researcher-profile"),
        (CASES / "jsonl-records" / "records.jsonl", "records-jsonl"),
        (CASES / "jsonl-invalid-json" / "records.jsonl", "records-jsonl"),  # the first line decides
    ],
)
def test_detect_kind_of_each_input(path, kind):
    assert detect_kind(path.read_text(encoding="utf-8")) == kind


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        '{"type": "venue", "name": "NeurIPS"}',
        '[{"type": "paper"}]',
        '{"type": "paper", "title": "x"',
        "Researchers\n\nAuthor names",
        "Some page\n\nAbout\n\nContact\n\nAuthor name cluster",  # the heading must be near the top
    ],
)
def test_detect_kind_refuses_other_text(text):
    assert detect_kind(text) is None


@pytest.mark.parametrize(
    ("source", "name", "kind"),
    [
        (SAMPLES / "arrow-author-cluster-leon-bottou.txt", "records.jsonl", "arrow-author-cluster"),
        (SAMPLES / "researcher-profile-leon-bottou.txt", "arrow-author-cluster.txt", "researcher-profile"),
        (CASES / "jsonl-records" / "records.jsonl", "researcher-profile.txt", "records-jsonl"),
    ],
)
def test_kind_comes_from_content_not_file_name(tmp_path, source, name, kind):
    path = tmp_path / name
    path.write_bytes(source.read_bytes())
    parsed = parse_source(read_source(path, RETRIEVED_AT))
    assert parsed.kind == kind
    assert parsed.ref.name == name


def test_unknown_kind_quotes_the_shortened_first_line():
    path = CASES / "unknown-kind" / "page.txt"
    with pytest.raises(SourceError) as caught:
        parse_source(read_source(path, RETRIEVED_AT))
    assert str(caught.value) == (
        f"{path}: unknown kind of input: expected one of arrow-author-cluster, researcher-profile, records-jsonl "
        "(first line: 'Google Scholar citations page for Ada Example, sorted by...')"
    )


def test_unknown_kind_quotes_a_short_first_line_whole(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("\n  Reading list  \nsecond line\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        parse_source(read_source(path, RETRIEVED_AT))
    assert str(caught.value).endswith("(first line: 'Reading list')")
