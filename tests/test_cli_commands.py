"""The CLI end to end: ingest, validate, dump in every format, stats, query; the SHACL gate's exit code."""

from __future__ import annotations

import json

import pytest
from rdflib import Dataset, Graph

from conftest import DATA, SAMPLE, SAMPLE_CLUSTER, SAMPLE_PROFILE, tree_digest


@pytest.fixture
def store(tmp_path, run_kg):
    path = tmp_path / "store"
    result = run_kg("ingest", "--store", path, *SAMPLE)
    assert result.exit_code == 0, result.output
    assert "2 new source(s)" in result.stdout
    return path


@pytest.mark.parametrize("fmt, parser, quads", [
    ("turtle", "turtle", False), ("ntriples", "nt", False), ("nquads", "nquads", True),
    ("trig", "trig", True), ("jsonld", "json-ld", True),
])
def test_dump_formats_parse_back_with_rdflib(store, tmp_path, run_kg, fmt, parser, quads):
    output = tmp_path / f"dump.{fmt}"
    result = run_kg("dump", "--store", store, "--format", fmt, "--output", output)
    assert result.exit_code == 0, result.output
    graph = Dataset() if quads else Graph()
    graph.parse(output, format=parser)
    if quads:
        names = {str(g.identifier) for g in graph.graphs() if len(g)}
        assert "http://127.0.0.1:5000/source/researcher-profile-leon-bottou" in names
        assert len(names) == 4
    else:
        works = graph.query("SELECT (COUNT(DISTINCT ?w) AS ?n) { ?w a <https://schema.org/ScholarlyArticle> }")
        assert next(iter(works))[0].toPython() == 14


def test_turtle_dump_is_deterministic(store, tmp_path, run_kg):
    for name in ("one.ttl", "two.ttl"):
        assert run_kg("dump", "--store", store, "--output", tmp_path / name).exit_code == 0
    assert (tmp_path / "one.ttl").read_bytes() == (tmp_path / "two.ttl").read_bytes()


def test_stats_counts_the_sample(store, run_kg):
    result = run_kg("stats", "--store", store, "--json")
    counts = json.loads(result.stdout)
    assert {k: counts[k] for k in ("persons", "works", "versions", "venues", "sources", "graphs")} == {
        "persons": 26, "works": 14, "versions": 15, "venues": 4, "sources": 2, "graphs": 4}


def test_stats_counts_with_the_shipped_query_whatever_the_users_queries(store, run_kg, tmp_path):
    """KG_QUERIES_DIR adds the user's own queries; kg's counts still come from the shipped one."""
    mine = tmp_path / "my-queries"
    mine.mkdir()
    (mine / "my-query.rq").write_text("# name: my-query\n# summary: mine\n# result: ask\nASK {}\n", encoding="utf-8")
    result = run_kg("--settings", _settings_file(tmp_path, mine), "stats", "--store", store, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["persons"] == 26


def _settings_file(directory, queries):
    path = directory / "kg.toml"
    path.write_text(f'queries_dir = "{queries}"\n', encoding="utf-8")
    return path


def test_query_prints_a_table_or_json(store, run_kg):
    result = run_kg("query", "--store", store, "count-works-per-venue")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["venue", "name", "works"]
    assert any(line.split()[1:] == ["NeurIPS", "6"] for line in lines[2:])
    result = run_kg("query", "--store", store, "--json",
                    "SELECT ?n WHERE { <http://127.0.0.1:5000/author/leon-bottou> <https://schema.org/name> ?n }")
    assert json.loads(result.stdout)["results"]["bindings"] == [{"n": {"type": "literal", "value": "Léon Bottou"}}]
    ask = run_kg("query", "--store", store, "--json", "ASK { ?s a <http://xmlns.com/foaf/0.1/Person> }")
    assert json.loads(ask.stdout) == {"head": {}, "boolean": True}


def test_bad_query_is_a_usage_error_with_the_parser_message(store, run_kg):
    result = run_kg("query", "--store", store, "SELECT ?x WHERE { ?x ")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: query query:") and "expected" in result.stderr.lower()


def test_reading_a_store_that_does_not_exist_says_so(tmp_path, run_kg):
    result = run_kg("stats", "--store", tmp_path / "nothing")
    assert result.exit_code == 2 and "holds no graph yet; run 'kg ingest' first" in result.stderr


def test_validate_writes_nothing(tmp_path, run_kg):
    result = run_kg("validate", "--store", tmp_path / "store", *SAMPLE)
    assert result.exit_code == 0 and "valid; nothing written" in result.stdout
    assert not (tmp_path / "store").exists()


def test_shacl_gate_blocks_the_write_and_reports_per_record(store, tmp_path, run_kg, monkeypatch):
    monkeypatch.setenv("KG_SHAPES_DIR", str(DATA / "cli" / "strict-shapes"))
    extra = tmp_path / "profile-copy.txt"
    extra.write_text(SAMPLE_PROFILE.read_text(encoding="utf-8").replace("Léon Bottou", "Léa Bottou"), encoding="utf-8")
    before = tree_digest(store)
    result = run_kg("ingest", "--store", store, "--report", tmp_path / "report", extra)
    assert result.exit_code == 1
    assert "does not conform to the shapes; nothing was written" in result.stderr
    assert f"{extra}: kg:statedPaperCount: this publisher requires every page to state its paper count" \
        in result.stderr
    assert tree_digest(store) == before
    assert "kg:statedPaperCount" in (tmp_path / "report.txt").read_text()
    report = Graph().parse(tmp_path / "report.ttl")
    assert (None, None, None) in report and len(report) > 3


def test_cluster_then_profile_updates_display_name(tmp_path, run_kg):
    store = tmp_path / "store"
    run_kg("ingest", "--store", store, SAMPLE_CLUSTER)
    query = "SELECT ?n WHERE { <http://127.0.0.1:5000/author/leon-bottou> <https://schema.org/name> ?n }"
    assert "Leon Bottou" in run_kg("query", "--store", store, query).stdout
    run_kg("ingest", "--store", store, SAMPLE_PROFILE)
    assert "Léon Bottou" in run_kg("query", "--store", store, query).stdout
    names = run_kg("query", "--store", store, "--json", query.replace("schema.org/name", "schema.org/alternateName"))
    assert [b["n"]["value"] for b in json.loads(names.stdout)["results"]["bindings"]] == ["Leon Bottou"]


def test_base_uri_from_environment_is_used_for_every_uri(tmp_path, run_kg, monkeypatch):
    monkeypatch.setenv("KG_BASE_URI", "https://kg.example.org/")
    store = tmp_path / "store"
    assert run_kg("ingest", "--store", store, SAMPLE_CLUSTER).exit_code == 0
    assert run_kg("dump", "--store", store, "--format", "nquads", "--output", tmp_path / "d.nq").exit_code == 0
    text = (tmp_path / "d.nq").read_text(encoding="utf-8")
    assert "<https://kg.example.org/author/leon-bottou>" in text and "127.0.0.1" not in text
    assert "<https://kg.example.org/ontology#statedPaperCount>" in text
