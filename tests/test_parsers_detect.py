"""Kind detection: from the content, never the file name; unknown kinds are refused with the first line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import SourceError
from kg.parsers import _DETECTORS, PARSERS, detect_kind, parse_source
from kg.parsers.arrow_cluster import parse_arrow_cluster
from kg.parsers.bibtex import parse_bibtex
from kg.parsers.crossref import parse_crossref
from kg.parsers.dblp_xml import parse_dblp_xml
from kg.parsers.orcid import parse_orcid_record
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
        "orcid-record": parse_orcid_record,
        "crossref-works": parse_crossref,
        "bibtex": parse_bibtex,
        "dblp-xml": parse_dblp_xml,
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
        (CASES / "orcid-josiah-carberry" / "record.json", "orcid-record"),
        (CASES / "orcid-works-yuki-furukawa" / "works.json", "orcid-record"),
        (CASES / "crossref-work-jats-abstract" / "work.json", "crossref-works"),
        (CASES / "crossref-work-list" / "works.json", "crossref-works"),
        (CASES / "bibtex-distillation" / "distillation.bib", "bibtex"),
        (CASES / "bibtex-dblp-nutan-limaye" / "dblp-withcrossref.bib", "bibtex"),
        (CASES / "bibtex-pmlr-icml2017" / "ICML2017.bib", "bibtex"),
        (CASES / "dblp-person-di-xu" / "page.xml", "dblp-xml"),
        (CASES / "dblp-dump-acta-informatica" / "dblp.xml", "dblp-xml"),
        (CASES / "dblp-dump-vision-reference" / "dblp.xml", "dblp-xml"),
        (CASES / "dblp-dump-homepages" / "dblp.xml", "dblp-xml"),
        (CASES / "crossref-work-list-widget" / "works.json", "crossref-works"),
        (Path(__file__).parent / "data" / "bad" / "jsonl-pretty-printed.json", None),
    ],
)
def test_detect_kind_of_each_input(path, kind):
    """Exactly one kind's detector takes each input (none for a pretty-printed JSON Lines file), so
    the order the detectors are tried in never decides."""
    text = path.read_text(encoding="utf-8")
    assert detect_kind(text) == kind
    assert [name for name, looks_like in _DETECTORS.items() if looks_like(text)] == ([kind] if kind else [])


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
        "% BibTeX comments only\n% and nothing else\n",
        "Write to ada@example.org\n@article{key,",  # a BibTeX block must start the first line
        "@article without a brace",
        '<?xml version="1.0"?>\n<html><body>dblp</body></html>',  # XML, but not dblp's root
        '<?xml version="1.0"?>\n<!DOCTYPE html>\n<dblp></dblp>',  # a DOCTYPE naming another root
        "<dblpx>",
        "Notes on <dblp> and its XML",
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
        (CASES / "bibtex-distillation" / "distillation.bib", "records.jsonl", "bibtex"),
        (CASES / "dblp-person-di-xu" / "page.xml", "records.jsonl", "dblp-xml"),
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
        f"{path}: unknown kind of input: expected one of arrow-author-cluster, researcher-profile, records-jsonl, "
        "orcid-record, crossref-works, bibtex, dblp-xml "
        "(first line: 'Google Scholar citations page for Ada Example, sorted by...')"
    )


def test_unknown_kind_quotes_a_short_first_line_whole(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("\n  Reading list  \nsecond line\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        parse_source(read_source(path, RETRIEVED_AT))
    assert str(caught.value).endswith("(first line: 'Reading list')")
