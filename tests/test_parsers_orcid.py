"""The ORCID parser: a real v3.0 record and a real works list, their edits, and an ingest into a store.

tests/data/parsers/README.md says where the two files come from. Broken variants are made here
from the real record, so that each names one problem.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import assert_refused, make_settings
from kg.errors import ParseError
from kg.parsers.orcid import looks_like_orcid_record, parse_orcid_record
from kg.pipeline import ingest
from kg.records import Identifier, PaperRecord, ParseWarning, PersonRecord
from kg.sources import read_source
from kg.store import open_configured_store

CASES = Path(__file__).parent / "data" / "parsers"
RECORD = CASES / "orcid-josiah-carberry" / "record.json"
WORKS = CASES / "orcid-works-yuki-furukawa" / "works.json"
RETRIEVED_AT = "2026-01-01T00:00:00Z"
CARBERRY = Identifier("orcid", "0000-0002-1825-0097")


def parse_file(path: Path):
    return parse_orcid_record(read_source(path, RETRIEVED_AT))


def record() -> dict:
    return json.loads(RECORD.read_text(encoding="utf-8"))


def write_variant(tmp_path: Path, value: dict, name: str = "record.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """The line of ``path`` on which ``text`` first occurs."""
    return next(number for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if text in line)


def groups(value: dict) -> list:
    return value["activities-summary"]["works"]["group"]


# -- the real record -------------------------------------------------------------------------------


def test_record_subject_is_the_person_with_their_orcid():
    parsed = parse_file(RECORD)
    assert parsed.kind == "orcid-record"
    assert parsed.subject == PersonRecord("Josiah Carberry", 31, (CARBERRY,))
    assert parsed.facts == ()
    assert parsed.warnings == ()


def test_other_names_are_further_spellings_with_the_same_orcid():
    assert parse_file(RECORD).persons == (
        PersonRecord("Josiah Stinkney Carberry", 54, (CARBERRY,)),
        PersonRecord("J. Carberry", 81, (CARBERRY,)),
        PersonRecord("J. S. Carberry", 108, (CARBERRY,)),
    )


def test_one_paper_per_work_group_without_an_author_list():
    papers = parse_file(RECORD).papers
    assert [paper.title for paper in papers] == [
        "A Methodology for the Emulation of Architecture",
        "The Memory Bus Considered Harmful",
        "The Impact of Interactive Epistemologies on Cryptography",
        "Developing Thin Clients Using Amphibious Epistemologies",
        "Toward a Unified Theory of High-Energy Metaphysics: Silly String Theory",
        "Bulk and surface plasmons in artificially structured materials",
    ]
    # The first group joins two sources of one work (Crossref Metadata Search, Josiah Carberry):
    # one record, at the line of the preferred (first) summary.
    assert papers[0] == PaperRecord(
        title="A Methodology for the Emulation of Architecture",
        line=660,
        authors=None,
        venue_kind="journal",
        year=2012,
        type_label="Journal Article",
        identifiers=(Identifier("doi", "10.5555/12345680"),),
    )
    # An eid (Scopus) is no scheme of kg: only the DOI is kept.
    assert papers[5] == PaperRecord(
        title="Bulk and surface plasmons in artificially structured materials",
        line=1190,
        authors=None,
        venue="IEEE Transactions on Plasma Science",
        venue_kind="journal",
        year=1987,
        type_label="Journal Article",
        identifiers=(Identifier("doi", "10.1109/TPS.1987.4316723"),),
    )


def test_person_external_identifiers_of_unknown_schemes_are_dropped():
    # The record links a Scopus Author ID: no scheme of kg, so the subject has only the ORCID iD.
    assert parse_file(RECORD).subject.identifiers == (CARBERRY,)


def test_a_known_person_identifier_is_kept(tmp_path):
    value = record()
    entry = value["person"]["external-identifiers"]["external-identifier"][0]
    entry["external-id-type"], entry["external-id-value"] = "Wikidata", "https://www.wikidata.org/wiki/Q6285924"
    parsed = parse_file(write_variant(tmp_path, value))
    assert parsed.subject.identifiers == (CARBERRY, Identifier("wikidata", "Q6285924"))


def test_credit_name_names_the_subject_and_the_structured_name_is_a_spelling(tmp_path):
    value = record()
    value["person"]["name"]["credit-name"] = {"value": "Josiah S. Carberry"}
    parsed = parse_file(write_variant(tmp_path, value))
    assert parsed.subject.name == "Josiah S. Carberry"
    assert [person.name for person in parsed.persons] == [
        "Josiah Carberry", "Josiah Stinkney Carberry", "J. Carberry", "J. S. Carberry"]


def test_a_field_the_preferred_source_leaves_empty_comes_from_the_other_source(tmp_path):
    value = record()
    first, second = groups(value)[0]["work-summary"]
    second["journal-title"] = {"value": "Journal of Psychoceramics"}
    assert first["journal-title"] is None
    parsed = parse_file(write_variant(tmp_path, value))
    assert parsed.papers[0].venue == "Journal of Psychoceramics"


def test_subtitle_follows_the_title(tmp_path):
    value = record()
    groups(value)[1]["work-summary"][0]["title"]["subtitle"] = {"value": "A Reply"}
    assert parse_file(write_variant(tmp_path, value)).papers[1].title == "The Memory Bus Considered Harmful: A Reply"


def test_work_types_give_type_label_and_venue_kind(tmp_path):
    value = record()
    for group, kind in zip(groups(value), ["conference-paper", "PREPRINT", "book-chapter", "lecture-speech",
                                           "data-set", "journal-article"], strict=True):
        group["work-summary"][0]["type"] = kind
    parsed = parse_file(write_variant(tmp_path, value))
    assert [(paper.type_label, paper.venue_kind) for paper in parsed.papers] == [
        ("Conference Paper", "conference"), ("Preprint", "preprint-server"), ("Book Chapter", "book"),
        ("Lecture", "other"), ("Dataset", "other"), ("Journal Article", "journal")]


def test_identifiers_part_of_another_work_are_not_the_works(tmp_path):
    value = record()
    ids = groups(value)[1]["external-ids"]["external-id"]
    ids.append({"external-id-type": "doi", "external-id-value": "10.5555/the-journal",
                "external-id-relationship": "part-of"})
    ids.append({"external-id-type": "arxiv", "external-id-value": "arXiv:1706.03762",
                "external-id-relationship": "self"})
    parsed = parse_file(write_variant(tmp_path, value))
    assert parsed.papers[1].identifiers == (Identifier("doi", "10.5555/666655554444"),
                                            Identifier("arxiv", "1706.03762"))


def test_an_invalid_work_identifier_is_dropped_with_a_warning(tmp_path):
    value = record()
    groups(value)[2]["external-ids"]["external-id"][0]["external-id-value"] = "not a doi"
    groups(value)[2]["work-summary"][0]["external-ids"]["external-id"] = []
    path = write_variant(tmp_path, value)
    parsed = parse_file(path)
    assert parsed.papers[2].identifiers == ()
    assert parsed.warnings == (ParseWarning(str(path), line_of(path, '"not a doi"') - 2,
                                            "work 3 (put-code 4562454): doi: 'not a doi' is not a valid doi "
                                            "identifier: dropped"),)


# -- the real works list ---------------------------------------------------------------------------


def test_works_list_names_its_owner_as_the_works_they_added_state_it():
    parsed = parse_file(WORKS)
    assert parsed.subject == PersonRecord("Yuki Furukawa", 1, (Identifier("orcid", "0000-0003-1317-0220"),))
    assert parsed.persons == ()
    assert len(parsed.papers) == 34
    assert parsed.warnings == ()


def test_works_list_papers():
    papers = parse_file(WORKS).papers
    assert papers[0] == PaperRecord(
        title="Efficacy of 3,4-methylenedioxymethamphetamine (MDMA)-assisted therapy for posttraumatic stress "
              "disorder: A systematic review and meta-analysis of clinical and functional outcomes",
        line=1,
        authors=None,
        venue="European Neuropsychopharmacology",
        venue_kind="journal",
        year=2026,
        type_label="Journal Article",
        identifiers=(Identifier("doi", "10.1016/j.euroneuro.2026.112802"),),
    )
    assert [(p.type_label, p.venue_kind, p.venue) for p in papers if p.type_label == "Preprint"] == [
        ("Preprint", "preprint-server", None)] * 5
    # pmc and pmid identify the work too, but are no scheme of kg: only the DOI is kept.
    assert papers[8].identifiers == (Identifier("doi", "10.1093/sleepadvances/zpaf070"),)


def test_works_list_without_a_work_its_owner_added_names_nobody(tmp_path):
    value = json.loads(WORKS.read_text(encoding="utf-8"))
    value["group"] = value["group"][:4]  # the first four came from Crossref only
    path = write_variant(tmp_path, value, "works.json")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert str(caught.value) == (
        f"{path}:1: the record of 0000-0003-1317-0220 gives no public name, and none of its works was added by "
        "its owner: nothing names the person (is the name private?)")


# -- detection -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['{"orcid-identifier": {"path": "0000-0002-1825-0097"}}', '{"group": []}',
                                  '["orcid-identifier"]', '{"type": "person", "name": "orcid-identifier"}'])
def test_json_without_the_shape_of_a_record_is_not_orcid(text):
    assert not looks_like_orcid_record(text)


# -- errors ----------------------------------------------------------------------------------------


def test_invalid_orcid_id_is_refused(tmp_path):
    value = record()
    value["orcid-identifier"]["path"] = "0000-0002-1825-0098"  # the check digit of ...0097 is 7
    assert_refused(write_variant(tmp_path, value), 2, "orcid-identifier: '0000-0002-1825-0098' is not a valid "
                   "ORCID iD (0000-0000-0000-000X with a matching check digit)")


def test_work_without_title_is_refused(tmp_path):
    value = record()
    groups(value)[2]["work-summary"][0]["title"] = None
    path = write_variant(tmp_path, value)
    assert_refused(path, line_of(path, '"put-code": 4562454') - 1, "work 3 (put-code 4562454): no title")


def test_work_without_publication_date_is_refused(tmp_path):
    value = record()
    groups(value)[3]["work-summary"][0]["publication-date"] = None
    path = write_variant(tmp_path, value)
    assert_refused(path, line_of(path, '"put-code": 4562453') - 1,
                   "work 4 (put-code 4562453) 'Developing Thin Clients Using Amphibious Epistemologies': no "
                   "publication date (kg publishes a work only with its year: add it to the record, or leave the "
                   "work out)")


@pytest.mark.parametrize(("year", "problem"), [(None, "publication date without a year"),
                                               ({"value": "2O11"}, "unreadable year '2O11' in the publication date")])
def test_publication_date_without_a_readable_year_is_refused(tmp_path, year, problem):
    value = record()
    groups(value)[2]["work-summary"][0]["publication-date"]["year"] = year
    path = write_variant(tmp_path, value)
    assert_refused(path, line_of(path, '"put-code": 4562454') - 1, f"work 3 (put-code 4562454): {problem}")


def test_malformed_json_is_refused_at_its_line_and_column(tmp_path):
    path = tmp_path / "record.json"
    path.write_text(RECORD.read_text(encoding="utf-8")[:20000], encoding="utf-8")  # cut after a comma
    assert_refused(path, 631, "invalid JSON: Expecting property name enclosed in double quotes")


def test_a_key_given_twice_is_refused(tmp_path):
    path = tmp_path / "record.json"
    text = RECORD.read_text(encoding="utf-8").replace('"content": "J. Carberry",',
                                                      '"content": "J. Carberry",\n"content": "Carberry, J.",', 1)
    path.write_text(text, encoding="utf-8")
    assert_refused(path, 81, "duplicate key 'content' in one object: JSON keeps only the last value")


def test_a_control_character_in_a_kept_text_is_refused(tmp_path):
    value = record()
    groups(value)[1]["work-summary"][0]["title"]["title"]["value"] = "The Memory Bus\u0007 Considered Harmful"
    path = write_variant(tmp_path, value)
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert "work 2 (put-code 4562455): title: control character U+0007" in str(caught.value)


# -- end to end ------------------------------------------------------------------------------------

COUNTS = """PREFIX schema: <https://schema.org/>
SELECT ?kind (COUNT(DISTINCT ?entity) AS ?count) WHERE {
  { ?entity a schema:Person . BIND("persons" AS ?kind) }
  UNION { ?entity a schema:ScholarlyArticle . BIND("works" AS ?kind) }
  UNION { ?entity schema:exampleOfWork ?work . BIND("versions" AS ?kind) }
} GROUP BY ?kind"""
AUTHORED = """PREFIX schema: <https://schema.org/> PREFIX kg: <%sontology#>
SELECT (COUNT(DISTINCT ?work) AS ?works) (COUNT(DISTINCT ?name) AS ?spellings) WHERE {
  ?work a schema:ScholarlyArticle ; schema:author ?person .
  ?person schema:identifier [ schema:propertyID "orcid" ; schema:value "0000-0002-1825-0097" ] ;
    kg:statedName ?name .
}"""


def test_ingest_record_into_a_store(tmp_path):
    settings = make_settings(tmp_path / "store")
    result = ingest([RECORD], settings)
    assert result.written and result.report is not None and result.report.conforms
    store = open_configured_store(settings)
    counts = {str(kind): int(count) for kind, count in store.select(COUNTS)[1]}
    # Four spellings with one ORCID iD are one person; six work groups are six works.
    assert counts == {"persons": 1, "works": 6, "versions": 6}
    works, spellings = store.select(AUTHORED % settings.base_uri)[1][0]
    assert (int(works), int(spellings)) == (6, 4)

