"""The Crossref parser: real API responses (one work, two work lists), their edits, and an ingest.

tests/data/parsers/README.md says where the files come from. Broken variants are made here from
the real work, so that each names one problem.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import assert_refused, make_settings
from kg.parsers.crossref import looks_like_crossref, parse_crossref
from kg.pipeline import ingest
from kg.records import Identifier, PaperRecord, ParseWarning, PersonRecord
from kg.sources import read_source
from kg.store import open_configured_store

CASES = Path(__file__).parent / "data" / "parsers"
WORK = CASES / "crossref-work-jats-abstract" / "work.json"
LIST = CASES / "crossref-work-list" / "works.json"
WIDGETS = CASES / "crossref-work-list-widget" / "works.json"
UNDATED = CASES / "crossref-undated-item" / "works.json"
RETRIEVED_AT = "2026-01-01T00:00:00Z"


def parse_file(path: Path):
    return parse_crossref(read_source(path, RETRIEVED_AT))


def work() -> dict:
    return json.loads(WORK.read_text(encoding="utf-8"))


def write_variant(tmp_path: Path, value: dict, indent: int | None = None) -> Path:
    path = tmp_path / "works.json"
    path.write_text(json.dumps(value, indent=indent, ensure_ascii=False), encoding="utf-8")
    return path


# -- one work --------------------------------------------------------------------------------------


def test_one_work_with_its_authors_in_order():
    parsed = parse_file(WORK)
    assert parsed.kind == "crossref-works"
    assert parsed.subject is None
    assert parsed.warnings == ()
    (paper,) = parsed.papers
    assert paper.title == ("Construction of a reference material panel for detecting KRAS / NRAS / EGFR / BRAF / "
                           "MET mutations in plasma ctDNA")
    assert paper.line == 1  # the API writes the whole response on one line
    assert paper.authors == ("Jun Xu", "Shoufang Qu", "Nan Sun", "Wenxin Zhang", "Juanli Zhang", "Qingtao Song",
                             "Mufei Lin", "Wei Gao", "Qiaosong Zheng", "Mipeng Han", "Chenglong Na", "Ren Xu",
                             "Xiaoyan Chang", "Xuexi Yang", "Jie Huang")
    assert (paper.venue, paper.venue_kind, paper.type_label) == ("Journal of Clinical Pathology", "journal",
                                                                  "Journal Article")
    assert paper.identifiers == (Identifier("doi", "10.1136/jclinpath-2020-206745"),)


def test_year_is_the_issued_one_not_the_print_one():
    # Published online 2020-08-17 (issued), in print 2021-05: the version appeared in 2020.
    assert parse_file(WORK).papers[0].year == 2020


def test_jats_abstract_becomes_paragraphs_of_plain_text():
    abstract = parse_file(WORK).papers[0].abstract
    paragraphs = abstract.split("\n\n")
    assert paragraphs[:2] == ["Background", "The absence of high-quality next-generation sequencing (NGS) reference "
                              "material (RM) has impeded the clinical use of liquid biopsies with plasma cell-free "
                              "DNA (cfDNA) in China."]
    assert len(paragraphs) == 10 and "<" not in abstract and "jats" not in abstract


def test_references_with_a_doi_are_cited_and_the_others_dropped():
    cites = parse_file(WORK).papers[0].cites
    # 36 references, 4 of them without a DOI.
    assert len(cites) == 32
    assert cites[:3] == (Identifier("doi", "10.3322/caac.21338"), Identifier("doi", "10.1016/j.cllc.2015.07.002"),
                         Identifier("doi", "10.1001/jamaoncol.2018.1395"))


def test_an_author_with_an_orcid_is_also_a_person_with_that_id():
    # Crossref marks this iD "authenticated-orcid": false (the publisher asserted it); it is kept.
    assert parse_file(WORK).persons == (
        PersonRecord("Xuexi Yang", 1, (Identifier("orcid", "0000-0002-3513-6501"),), record=0),)


# -- work lists ------------------------------------------------------------------------------------


def test_work_list_reads_every_work_and_skips_those_without_authors():
    parsed = parse_file(LIST)
    assert len(parsed.papers) == 18
    assert parsed.warnings == (
        ParseWarning(str(LIST), 1, "item 9 (DOI 10.1484/j.mlc.5.130774) 'Front Matter (“Contents”)': no author: "
                                   "skipped (kg publishes a work only with an author)"),
        ParseWarning(str(LIST), 1, "item 13 (DOI 10.1484/j.rb.4.01389) 'Comptes Rendus': no author: skipped "
                                   "(kg publishes a work only with an author)"),
    )


def test_work_list_record():
    paper = parse_file(LIST).papers[7]
    assert paper == PaperRecord(
        title="Electronic share dealing — The legal issues",
        line=1,
        authors=("David V. Marshall",),
        venue="Computer Law & Security Report",  # "&amp;" in the response
        venue_kind="journal",
        year=1987,
        type_label="Journal Article",
        identifiers=(Identifier("doi", "10.1016/0267-3649(87)90079-3"),),
    )


def test_markup_in_titles_and_abstracts_is_removed():
    papers = parse_file(LIST).papers
    # "H <scp>i</scp>": JATS small caps without a namespace.
    assert papers[1].title == "DIISC-VI (COS-DIISC): Ultraviolet Metal Absorption Relative to the H i Disk of Galaxies"
    # A subscript on its own lines stays in its sentence.
    assert "equivalent widths (W r ) than" in papers[1].abstract and "\n" not in papers[1].abstract
    # "<jats:p>&lt;p&gt;Penelitian ...": HTML escaped inside JATS.
    assert papers[16].abstract.startswith("Penelitian ini bertujuan untuk mendeskripsikan profil berpikir "
                                          "mahasiswa tipe guardian, artisan, rational, dan idealist dalam")
    assert "<" not in papers[16].abstract


def test_orcids_of_a_work_list_whether_authenticated_or_not():
    persons = parse_file(LIST).persons
    assert persons[:4] == (  # each the author of one record (the list's works are unrelated)
        PersonRecord("O.N. Risovannaya", 1, (Identifier("orcid", "0000-0003-0779-1055"),), 0),  # not authenticated
        PersonRecord("T.Sh. Andreasyan", 1, (Identifier("orcid", "0009-0001-7755-447X"),), 0),
        PersonRecord("N.A. Guseynov", 1, (Identifier("orcid", "0000-0001-7160-2023"),), 0),
        PersonRecord("Brad Koplitz", 1, (Identifier("orcid", "0000-0001-5530-2872"),), 1),  # authenticated
    )
    assert len(persons) == 10


def test_types_give_type_label_and_venue_kind():
    parsed = parse_file(WIDGETS)
    assert parsed.papers[0] == PaperRecord(
        title="Widget, widget as you lead, I am performing well indeed!: using results from an exploratory offline "
              "study to inform an empirical online study about a learning analytics widget in a collaborative "
              "learning environment",
        line=1,
        authors=("Maren Scheffel", "Hendrik Drachsler", "Karel Kreijns", "Joop de Kraker", "Marcus Specht"),
        venue="Proceedings of the Seventh International Learning Analytics & Knowledge Conference",
        venue_kind="conference",
        year=2017,
        type_label="Conference Paper",
        identifiers=(Identifier("doi", "10.1145/3027385.3027428"),),
        cites=parsed.papers[0].cites,
    )
    assert len(parsed.papers[0].cites) == 17  # of 25 references
    kinds = {(p.type_label, p.venue_kind) for p in parsed.papers}
    assert kinds == {("Conference Paper", "conference"), ("Journal Article", "journal"), ("Book Chapter", "book"),
                     ("Dataset", "other"), ("Report", "other"), ("Other", "other")}
    # Posted content of subtype "other" (a blog post) keeps its subtype, and its platform is the venue.
    assert (parsed.papers[5].type_label, parsed.papers[5].venue) == ("Other", "Front Matter")
    assert [w.message.split(":")[0] for w in parsed.warnings] == [
        "item 7 (DOI 10.1007/978-0-387-39940-9_4020) 'Web Widget'",
        "item 8 (DOI 10.1016/b978-155860700-2.50013-6) 'Widget Event Structures'",
        "item 13 (DOI 10.1007/978-1-4302-0386-5_8) 'The Tree View Widget'",
        "item 16 (DOI 10.1007/978-1-4302-0386-5_7) 'The Text View Widget'",
        "item 17 (DOI 10.1038/nature.2015.17807) 'Dummy widget test article'",
    ]


def test_a_pretty_printed_list_names_the_line_each_work_starts_on(tmp_path):
    path = write_variant(tmp_path, json.loads(LIST.read_text(encoding="utf-8")), indent=2)
    starts = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line == "      {"]
    parsed = parse_file(path)
    kept = [start for index, start in enumerate(starts, 1) if index not in (9, 13)]
    assert [paper.line for paper in parsed.papers] == kept
    assert [warning.line for warning in parsed.warnings] == [starts[8], starts[12]]


def test_a_container_is_skipped_with_a_warning(tmp_path):
    value = work()
    value["message"]["type"] = "journal-issue"
    path = write_variant(tmp_path, value)
    parsed = parse_file(path)
    assert parsed.papers == ()
    assert parsed.warnings == (ParseWarning(str(path), 1, "the work (DOI 10.1136/jclinpath-2020-206745): a "
                                                          "journal-issue, not a work with authors: skipped"),)


def test_an_invalid_reference_doi_is_dropped_with_a_warning(tmp_path):
    value = work()
    value["message"]["reference"][0]["DOI"] = "caac.21338"
    path = write_variant(tmp_path, value)
    parsed = parse_file(path)
    assert len(parsed.papers[0].cites) == 31
    assert parsed.warnings == (ParseWarning(str(path), 1, "the work (DOI 10.1136/jclinpath-2020-206745): "
                                                          "reference 1: 'caac.21338' is not a DOI: dropped"),)


# -- detection -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['{"status": "ok", "message-type": "member", "message": {}}',
                                  '["message-type", "work"]', '{"type": "paper", "title": "message-type"}'])
def test_json_of_other_responses_is_not_crossref(text):
    assert not looks_like_crossref(text)


# -- errors ----------------------------------------------------------------------------------------


def test_a_work_of_a_list_without_a_year_is_refused_naming_the_item():
    # Real: Crossref's record of this Springer chapter has "issued": {"date-parts": [[null]]}.
    assert_refused(UNDATED, 1, 'item 2 (DOI 10.1007/bfb0110966): no date gives a year: '
                               '{"issued": {"date-parts": [[null]]}}')


def test_work_without_title_is_refused(tmp_path):
    value = work()
    value["message"]["title"] = []
    assert_refused(write_variant(tmp_path, value), 1, "the work (DOI 10.1136/jclinpath-2020-206745): no title")


def test_work_without_doi_is_refused(tmp_path):
    value = work()
    value["message"]["DOI"] = "jclinpath-2020-206745"
    assert_refused(write_variant(tmp_path, value), 1,
                   "the work (DOI jclinpath-2020-206745): 'jclinpath-2020-206745' is not a DOI")


def test_author_without_a_name_is_refused(tmp_path):
    value = work()
    value["message"]["author"][2] = {"sequence": "additional", "affiliation": []}
    assert_refused(write_variant(tmp_path, value), 1, "the work (DOI 10.1136/jclinpath-2020-206745): author 3 has "
                                                      "no name (no given, family or name)")


def test_invalid_orcid_is_refused(tmp_path):
    value = work()
    value["message"]["author"][13]["ORCID"] = "https://orcid.org/0000-0002-3513-6502"
    assert_refused(write_variant(tmp_path, value), 1, "the work (DOI 10.1136/jclinpath-2020-206745): author 14 "
                   "(Xuexi Yang): 'https://orcid.org/0000-0002-3513-6502' is not a valid ORCID iD")


def test_a_date_without_a_year_in_a_pretty_printed_file_names_the_works_line(tmp_path):
    value = json.loads(LIST.read_text(encoding="utf-8"))
    for field in ("issued", "published", "published-print", "published-online"):
        value["message"]["items"][3].pop(field, None)
    value["message"]["items"][3]["issued"] = {"date-parts": [[None]]}
    path = write_variant(tmp_path, value, indent=2)
    fourth = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line == "      {"][3]
    assert_refused(path, fourth, 'item 4 (DOI 10.12681/dac.39266): no date gives a year: '
                                 '{"issued": {"date-parts": [[null]]}}')


def test_malformed_json_is_refused_at_its_column(tmp_path):
    path = tmp_path / "works.json"
    path.write_text(LIST.read_text(encoding="utf-8")[:5000], encoding="utf-8")
    assert_refused(path, 1, "invalid JSON: Unterminated string starting at")


def test_a_failed_response_is_refused(tmp_path):
    value = work()
    value["status"] = "failed"
    assert_refused(write_variant(tmp_path, value), 1, "the response's status is 'failed', not 'ok'")


# -- end to end ------------------------------------------------------------------------------------

COUNTS = """PREFIX schema: <https://schema.org/>
SELECT ?kind (COUNT(DISTINCT ?entity) AS ?count) WHERE {
  { ?entity a schema:Person . BIND("persons" AS ?kind) }
  UNION { ?entity a schema:ScholarlyArticle . BIND("works" AS ?kind) }
  UNION { ?entity schema:exampleOfWork ?work . BIND("versions" AS ?kind) }
} GROUP BY ?kind"""
AUTHOR_WITH_ORCID = """PREFIX schema: <https://schema.org/>
SELECT ?name WHERE {
  ?work schema:identifier [ schema:propertyID "doi" ; schema:value "10.3847/1538-4357/adb8ca" ] ;
    schema:author ?person .
  ?person schema:identifier [ schema:propertyID "orcid" ; schema:value "0000-0001-5530-2872" ] ; schema:name ?name .
}"""


def test_ingest_works_into_a_store(tmp_path):
    settings = make_settings(tmp_path / "store")
    result = ingest([WORK, LIST], settings)
    assert result.written and result.report is not None and result.report.conforms
    store = open_configured_store(settings)
    counts = {str(kind): int(count) for kind, count in store.select(COUNTS)[1]}
    # 61 authors, all with distinct names; 19 works (the list's two without authors are skipped).
    assert counts == {"persons": 61, "works": 19, "versions": 19}
    # The author named with an ORCID iD on the paper is the person with that iD.
    assert [str(row[0]) for row in store.select(AUTHOR_WITH_ORCID)[1]] == ["Brad Koplitz"]


NAMESAKES = """PREFIX schema: <https://schema.org/> PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT ?person (GROUP_CONCAT(STR(?id); separator=" ") AS ?ids) WHERE {
  ?person schema:name "Jane Smith" . OPTIONAL { ?person owl:sameAs ?id } } GROUP BY ?person"""


@pytest.mark.parametrize(("orcids", "expected"), [
    (["0000-0002-1825-0097", "0000-0001-5109-3700"], [["0000-0001-5109-3700"], ["0000-0002-1825-0097"]]),
    (["0000-0002-1825-0097", "0000-0002-1825-0097"], [["0000-0002-1825-0097"]]),
])
def test_namesakes_in_a_works_list_part_by_their_orcid(tmp_path, orcids, expected):
    """A works list holds unrelated papers: one name with two ORCID iDs is two people, with one iD
    one person (an edit of the real list: a 'Jane Smith' put first on its first two works)."""
    document = json.loads(LIST.read_text(encoding="utf-8"))
    items = [item for item in document["message"]["items"] if item.get("author")][:2]
    for item, orcid in zip(items, orcids, strict=True):
        item["author"].insert(0, {"given": "Jane", "family": "Smith", "sequence": "first", "affiliation": [],
                                  "ORCID": f"https://orcid.org/{orcid}", "authenticated-orcid": False})
    document["message"] |= {"items": items, "total-results": 2}
    path = tmp_path / "works.json"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    settings = make_settings(tmp_path / "store")
    assert ingest([path], settings).written
    rows = open_configured_store(settings).select(NAMESAKES)[1]
    assert sorted(sorted(i.rsplit("/", 1)[1] for i in str(ids).split()) for _person, ids in rows) == expected
