"""The dblp XML parser (kg/parsers/dblp_xml.py): real person pages and dump extracts, errors, memory.

The inputs are real dblp data (tests/data/parsers/README.md says where each comes from); the
broken ones are edits of them. Only the memory test generates records, in tmp_path.
"""

from __future__ import annotations

import io
import shutil
import tracemalloc
from pathlib import Path

import pytest

from conftest import make_settings
from kg.errors import ParseError
from kg.identity.mentions import split_homonym
from kg.parsers import detect_kind, parse_source
from kg.parsers.dblp_xml import DTD_PATH, DblpReader, looks_like_dblp_xml, parse_dblp_xml
from kg.pipeline import ingest
from kg.records import Identifier, PaperRecord, ParseWarning, PersonRecord
from kg.sources import read_source
from kg.store import open_configured_store

CASES = Path(__file__).parent / "data" / "parsers"
BAD = Path(__file__).parent / "data" / "bad"
DI_XU = CASES / "dblp-person-di-xu" / "page.xml"
ACTA = CASES / "dblp-dump-acta-informatica" / "dblp.xml"
VISION = CASES / "dblp-dump-vision-reference" / "dblp.xml"
HOMEPAGES = CASES / "dblp-dump-homepages" / "dblp.xml"
CROSSREF = CASES / "dblp-dump-crossref-without-booktitle" / "dblp.xml"
RETRIEVED_AT = "2026-01-01T00:00:00Z"


def parse(path: Path):
    return parse_dblp_xml(read_source(path, RETRIEVED_AT))


def by_key(parsed, key: str) -> PaperRecord:
    (paper,) = [p for p in parsed.papers if Identifier("dblp", key) in p.identifiers]
    return paper


def dblp(value: str) -> Identifier:
    return Identifier("dblp", value)


def doi(value: str) -> Identifier:
    return Identifier("doi", value)


def orcid(value: str) -> Identifier:
    return Identifier("orcid", value)


def wikidata(value: str) -> Identifier:
    return Identifier("wikidata", value)


# -- a person page -------------------------------------------------------------------------------


def test_person_page_subject_is_the_person_with_its_dblp_id_and_homonym_number():
    parsed = parse(DI_XU)
    assert parsed.kind == "dblp-xml"
    assert parsed.subject == PersonRecord("Di Xu 0001", line=3, identifiers=(dblp("95/7448-1"),))
    assert split_homonym(parsed.subject.name) == ("Di Xu", "0001")
    assert parsed.warnings == ()


def test_person_page_records_read_exactly():
    parsed = parse(DI_XU)
    assert len(parsed.papers) == 8
    assert parsed.papers[0] == PaperRecord(
        title="Automatic stereoscopic 3D video reframing",
        line=13,
        authors=("Lino Coria-Mendoza", "Di Xu 0001", "Panos Nasiopoulos"),
        venue="3DTV-Conference",
        venue_kind="conference",
        year=2012,
        type_label="Conference Paper",
        identifiers=(dblp("conf/3dtv/Coria-MendozaXN12"), doi("10.1109/3DTV.2012.6365428")),
    )
    # an article: the journal is its venue; its ee links name a DOI and a Wikidata item, the
    # computer-society copy of the DOI names nothing more
    assert by_key(parsed, "journals/tvcg/XuDN11") == PaperRecord(
        title="Correction of Clipped Pixels in Color Images",
        line=53,
        authors=("Di Xu 0001", "Colin Doutre", "Panos Nasiopoulos"),
        venue="IEEE Trans. Vis. Comput. Graph.",
        venue_kind="journal",
        year=2011,
        type_label="Journal Article",
        identifiers=(dblp("journals/tvcg/XuDN11"), wikidata("Q51701964"), doi("10.1109/TVCG.2010.63")),
    )


def test_person_page_coauthors_carry_their_dblp_ids_and_the_homonym_is_not_read():
    parsed = parse(DI_XU)
    assert parsed.persons == (
        PersonRecord("Lino Coria-Mendoza", line=14, identifiers=(dblp("32/5783"),)),
        PersonRecord("Panos Nasiopoulos", line=16, identifiers=(dblp("55/3871"),)),
        PersonRecord("Lino E. Coria", line=28, identifiers=(dblp("161/3963"),)),
        PersonRecord("Mahsa T. Pourazad", line=40, identifiers=(dblp("55/6295"),)),
        PersonRecord("Colin Doutre", line=55, identifiers=(dblp("58/3497"),)),
    )
    # <homonyms> names "Di Xu" (95/7448), a disambiguation profile: another person, not read
    assert all(p.name != "Di Xu" and dblp("95/7448") not in p.identifiers for p in parsed.persons)


def test_person_page_identifiers_from_urls_aliases_and_disambiguation(tmp_path):
    """The Di Xu page's <person> edited: ORCID and Wikidata urls and a second name; then made a
    disambiguation profile, which is no one."""
    text = DI_XU.read_text(encoding="utf-8").replace(
        '<author pid="95/7448-1">Di Xu 0001</author>\n<note',
        '<author pid="95/7448-1">Di Xu 0001</author>\n<author pid="95/7448-1">D. Xu 0001</author>\n'
        "<url>https://orcid.org/0000-0002-0613-2229</url>\n<url>https://www.wikidata.org/entity/Q5</url>\n"
        "<url>https://www.ubc.ca/</url>\n<note", 1)
    path = tmp_path / "page.xml"
    path.write_text(text, encoding="utf-8")
    parsed = parse(path)
    identifiers = (orcid("0000-0002-0613-2229"), dblp("95/7448-1"), wikidata("Q5"))
    assert parsed.subject == PersonRecord("Di Xu 0001", line=3, identifiers=identifiers)
    assert PersonRecord("D. Xu 0001", line=5, identifiers=identifiers) in parsed.persons

    path.write_text(text.replace('<person key="homepages/95/7448-1"', '<person publtype="disambiguation" '
                                 'key="homepages/95/7448-1"'), encoding="utf-8")
    parsed = parse(path)
    assert parsed.subject is None
    assert all(dblp("95/7448-1") not in p.identifiers for p in parsed.persons)
    assert len(parsed.papers) == 8


# -- dump extracts -------------------------------------------------------------------------------


def test_dump_entities_are_decoded_and_homonym_numbers_kept():
    parsed = parse(ACTA)
    assert parsed.subject is None and parsed.persons == () and parsed.warnings == ()
    assert len(parsed.papers) == 43
    assert by_key(parsed, "journals/acta/Schonhage77") == PaperRecord(
        title="Schnelle Multiplikation von Polynomen über Körpern der Charakteristik 2",
        line=46,
        authors=("Arnold Schönhage",),
        venue="Acta Inf.",
        venue_kind="journal",
        year=1977,
        type_label="Journal Article",
        identifiers=(dblp("journals/acta/Schonhage77"), doi("10.1007/BF00289470")),  # from http://dx.doi.org/
    )
    authors = by_key(parsed, "journals/acta/BozapalidisFR12").authors
    assert authors == ("Symeon Bozapalidis", "Zoltán Fülöp 0001", "George Rahonis")
    assert split_homonym(authors[1]) == ("Zoltán Fülöp", "0001")
    assert by_key(parsed, "journals/acta/VoglerS014").authors[2] == "Richard Müller 0001"


@pytest.mark.parametrize(
    ("key", "title"),
    [
        ("journals/acta/Kouvatsos86", "Maximum Entropy and the G/G/1/N Queue"),  # <i> G/G/1/N </i>
        ("journals/scp/CarvalhoFBSMMB14",
         "NAT2TESTSCR: Test case generation from natural language requirements based on SCR specifications"),
        ("journals/acta/BulychevDLL14",  # <sub>0,&#8734;</sub>
         "Efficient controller synthesis for a fragment of MTL0,\u221e"),
        ("journals/acta/GlabbeekGO15", 'Special issue on "Combining Compositionality and Concurrency": part 1'),
        ("journals/acta/Vajnovszki02", "Gray visiting Motzkins"),
    ],
)
def test_dump_titles_lose_their_markup_and_final_period(key, title):
    assert by_key(parse(ACTA), key).title == title


def test_dump_in_iso_8859_1_with_crlf_orcids_and_records_without_author():
    parsed = parse(VISION)
    assert len(parsed.papers) == 55
    assert by_key(parsed, "reference/vision/Pont14b") == PaperRecord(
        title="Surface Roughness",
        line=48,
        authors=("Sylvia C. Pont",),
        venue="Computer Vision, A Reference Guide",
        venue_kind="book",
        year=2014,
        type_label="Book Chapter",
        identifiers=(dblp("reference/vision/Pont14b"), doi("10.1007/978-0-387-31439-6_539")),
    )
    assert by_key(parsed, "reference/vision/Pietikainen14").authors == ("Matti Pietikäinen",)
    assert by_key(parsed, "reference/vision/Singh14").authors == ("Manish Singh 0001",)
    assert parsed.persons == (
        PersonRecord("Sylvia C. Pont", line=49, identifiers=(orcid("0000-0002-9834-9600"),)),
        PersonRecord("Daniel C. Alexander", line=57, identifiers=(orcid("0000-0003-2439-350X"),)),
        PersonRecord("Szymon Rusinkiewicz", line=241, identifiers=(orcid("0000-0002-4253-2588"),)),
        PersonRecord("Tony Lindeberg", line=695, identifiers=(orcid("0000-0002-9081-2170"),)),
    )
    assert parsed.warnings == (ParseWarning(
        str(VISION), 4, "76 record(s) without an author skipped (a work in the graph needs one): "
        "reference/vision/X14bd (line 4), reference/vision/X14ii (line 19), reference/vision/X14m (line 26) "
        "and 73 more"),)


def test_dump_home_pages_are_persons_with_every_name_and_identifier():
    parsed = parse(HOMEPAGES)
    persons = {(p.name, p.identifiers) for p in parsed.persons}
    bodlaender = (orcid("0000-0002-9297-3330"), dblp("b/HLBodlaender"), wikidata("Q5650368"))
    assert ("Hans L. Bodlaender", bodlaender) in persons
    assert ("Daniel Lokshtanov", (dblp("78/67"),)) in persons  # no ORCID, no Wikidata url
    assert ("Daniel Lokshantov", (dblp("78/67"),)) in persons  # his other name, same person
    assert ("Soumya Kanti Ghosh 0001", (orcid("0000-0001-8359-581X"), dblp("34/9049-1"))) in persons
    assert ("Joey Öhman", (dblp("308/1161"),)) in persons  # &#214;
    # a www record that only redirects an old key (no title) names no one
    assert not [p for p in parsed.persons if dblp("s/SanemSariel") in p.identifiers]
    # an author's orcid attribute is a person too
    assert ("Hans L. Bodlaender", (orcid("0000-0002-9297-3330"),)) in persons


def test_dump_record_kinds():
    parsed = parse(HOMEPAGES)
    assert len(parsed.papers) == 16  # 11 articles, 1 inproceedings, 1 phd, 2 masters, 1 book
    article = by_key(parsed, "journals/jacm/BodlaenderFLPST16")
    assert article.title == "(Meta) Kernelization"
    assert article.identifiers == (dblp("journals/jacm/BodlaenderFLPST16"), wikidata("Q59567396"),
                                   doi("10.1145/2973749"))
    thesis = by_key(parsed, "phd/Olken93")
    assert (thesis.venue, thesis.venue_kind, thesis.type_label) == (
        "University of California at Berkeley", "other", "PhD Thesis")
    masters = by_key(parsed, "ms/Ley2006")
    assert masters.type_label == "Master's Thesis"
    assert masters.title == ("Der Einfluss kleiner naturnaher Retentionsmaßnahmen in der Fläche auf den "
                             "Hochwasserabfluss - Kleinrückhaltebecken -")
    assert masters.identifiers == (dblp("ms/Ley2006"),)  # a link to a PDF names no identifier
    book = by_key(parsed, "phd/dnb/Curth89")
    assert (book.type_label, book.venue, book.venue_kind, book.year) == ("Book", None, None, 1989)
    paper = by_key(parsed, "conf/coopis/ChenD00")
    assert (paper.venue, paper.venue_kind, paper.type_label) == ("CoopIS", "conference", "Conference Paper")
    # proceedings are venues, not papers; an edited book without author is skipped, with a warning
    assert not [p for p in parsed.papers if p.identifiers[0].value.startswith(("conf/coopis/20", "reference/"))]
    assert parsed.warnings == (ParseWarning(
        str(HOMEPAGES), 667, "1 record(s) without an author skipped (a work in the graph needs one): "
        "reference/docip/2014 (line 667)"),)


def test_crossref_gives_the_booktitle_of_a_proceedings_further_on():
    """An edit of dblp-dump-homepages: the inproceedings has lost its booktitle and comes first."""
    (paper,) = parse(CROSSREF).papers
    assert paper == PaperRecord(
        title="Multi-Agent Cooperative Transactions for E-Commerce",
        line=4,
        authors=("Qiming Chen", "Umeshwar Dayal"),
        venue="CoopIS",
        venue_kind="conference",
        year=2000,
        type_label="Conference Paper",
        identifiers=(dblp("conf/coopis/ChenD00"), doi("10.1007/10722620_29")),
    )


def test_crossref_to_a_record_the_file_lacks_leaves_no_venue(tmp_path):
    text = CROSSREF.read_text(encoding="latin-1")
    path = tmp_path / "dblp.xml"
    path.write_text(text[: text.index("    <proceedings")] + "</dblp>\n", encoding="latin-1")
    (paper,) = parse(path).papers
    assert (paper.venue, paper.venue_kind, paper.title) == (None, None, "Multi-Agent Cooperative Transactions for "
                                                                          "E-Commerce")


# -- detection -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [DI_XU, ACTA, VISION, HOMEPAGES, CROSSREF])
def test_detected_from_text_and_bytes(path):
    assert looks_like_dblp_xml(path.read_bytes())
    raw = read_source(path, RETRIEVED_AT)
    assert looks_like_dblp_xml(raw.text) and detect_kind(raw.text) == "dblp-xml"
    assert parse_source(raw).kind == "dblp-xml"


@pytest.mark.parametrize(
    "text",
    [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel/></rss>',
        '<!DOCTYPE dblp SYSTEM "dblp.dtd">\n<article key="journals/x/Y"/>',  # a record, not the root
        "<dblpperson",  # no end to the tag name
        '{"type": "paper", "title": "<dblp>"}',
        "Author name cluster\n\n<dblp>",
    ],
)
def test_other_text_is_not_dblp_xml(text):
    assert not looks_like_dblp_xml(text)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("junk", ["[]" * 32_000, "[" * 64_000, "]" * 64_000, "<!--" * 16_000])
def test_detection_reads_a_hostile_prolog_in_one_pass(junk):
    assert not looks_like_dblp_xml("<!DOCTYPE dblp " + junk)


def test_a_long_internal_subset_before_the_root_is_still_detected():
    subset = "".join(f'<!ENTITY e{i} "x">\n' for i in range(500))
    assert looks_like_dblp_xml(f'<?xml version="1.0"?>\n<!-- c -->\n<!DOCTYPE dblp [\n{subset}]>\n<dblp>')


# -- errors --------------------------------------------------------------------------------------


def write_variant(tmp_path: Path, source: Path, old: str, new: str, count: int = 1) -> Path:
    text = source.read_text(encoding="latin-1")
    assert text.count(old) >= count, old
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, count), encoding="latin-1")
    return path


def refused(path: Path) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse(path)
    return caught.value


def test_record_without_year_names_file_line_and_key(tmp_path):
    path = write_variant(tmp_path, ACTA, "<year>1977</year>", "")
    error = refused(path)
    assert (error.line, error.detail) == (46, "record 'journals/acta/Schonhage77' (<article>) has no year")
    assert str(error).startswith(f"{path}:46: ")


def test_unreadable_year(tmp_path):
    error = refused(write_variant(tmp_path, DI_XU, "<year>2009</year>", "<year>2OO9</year>"))
    assert error.line == 108
    assert error.detail == "record 'conf/icip/XuN09' (<inproceedings>) has an unreadable year '2OO9'"


def test_record_without_title(tmp_path):
    error = refused(write_variant(tmp_path, HOMEPAGES, "<title>Random Sampling from Databases</title>", ""))
    assert (error.line, error.detail) == (509, "record 'phd/Olken93' (<phdthesis>) has no title")


def test_not_well_formed_names_line_column_and_record(tmp_path):
    error = refused(write_variant(tmp_path, ACTA, "<journal>Acta Inf.</journal>\n<volume>7</volume>",
                                  "<journal>Acta Inf.</jurnal>\n<volume>7</volume>"))
    assert error.line == 49 and error.column is not None
    assert error.detail.startswith("not well-formed XML in record 'journals/acta/Schonhage77': "
                                   "Opening and ending tag mismatch: journal")


def test_undeclared_entity_names_the_record_holding_it(tmp_path):
    error = refused(write_variant(tmp_path, ACTA, "Zolt&aacute;n", "Zolt&aaacute;n"))
    assert error.line == 104
    assert error.detail == ("undeclared entity &aaacute; in record 'journals/acta/BozapalidisFR12': "
                            "dblp's DTD does not declare it")


def test_entity_without_any_dtd_is_refused(tmp_path):
    error = refused(write_variant(tmp_path, ACTA, '<!DOCTYPE dblp SYSTEM "dblp.dtd">\n', ""))
    assert error.line == 46  # Sch&ouml;nhage, one line up without the DOCTYPE
    assert "undeclared entity &ouml; in record 'journals/acta/Schonhage77'" in error.detail
    assert "names no DTD" in error.detail


def test_dtd_beside_the_input_is_preferred_to_the_shipped_one(tmp_path):
    bad = BAD / "dblp-dump-undeclared-entity.xml"
    shutil.copy(bad, tmp_path / bad.name)
    assert "&oumlaut;" in refused(tmp_path / bad.name).detail
    (tmp_path / "dblp.dtd").write_text(DTD_PATH.read_text(encoding="latin-1") + '\n<!ENTITY oumlaut "&#246;">\n',
                                       encoding="latin-1")
    parsed = parse(tmp_path / bad.name)
    assert by_key(parsed, "journals/acta/Schonhage77").authors == ("Arnold Schönhage",)


@pytest.mark.parametrize(
    "system", ["https://dblp.org/xml/dblp.dtd", "dblp-2019-11-22.dtd", r"C:\users\kyle\data\dblp.dtd"],
)
def test_a_dtd_named_by_url_release_or_path_is_the_shipped_copy(tmp_path, system):
    path = write_variant(tmp_path, ACTA, 'SYSTEM "dblp.dtd"', f'SYSTEM "{system}"')
    assert by_key(parse(path), "journals/acta/Schonhage77").authors == ("Arnold Schönhage",)


@pytest.mark.parametrize(
    ("doctype", "named"),
    [
        ('<!DOCTYPE dblp SYSTEM "other.dtd">', "other.dtd"),
        ('<!DOCTYPE dblp SYSTEM "dblp.dtd" [<!ENTITY secret SYSTEM "file:///etc/passwd">]>', "file:///etc/passwd"),
    ],
)
def test_no_other_external_file_is_read(tmp_path, doctype, named):
    text = ACTA.read_text(encoding="latin-1").replace('<!DOCTYPE dblp SYSTEM "dblp.dtd">', doctype, 1)
    path = tmp_path / "dblp.xml"
    path.write_text(text.replace("<author>Sanjeev Saxena</author>", "<author>&secret;</author>"), encoding="latin-1")
    error = refused(path)
    assert named in error.detail and "kg reads dblp's DTD (dblp.dtd) only" in error.detail


def test_unknown_record_element(tmp_path):
    path = write_variant(tmp_path, ACTA, '<article mdate="2011-01-11" key="journals/acta/Simon83">',
                         '<paper mdate="2011-01-11" key="journals/acta/Simon83">')
    path.write_text(path.read_text(encoding="latin-1").replace("</article>\n<article mdate=\"2011-01-11\" "
                                                               "key=\"journals/acta/GoodmanS83\">",
                                                               "</paper>\n<article mdate=\"2011-01-11\" "
                                                               "key=\"journals/acta/GoodmanS83\">", 1),
                    encoding="latin-1")
    error = refused(path)
    assert (error.line, error.detail) == (15, "unknown element <paper>: not a record of the dump (dblp.dtd)")


def test_another_root_element_is_refused(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text('<?xml version="1.0"?>\n<feed>\n<entry/>\n</feed>\n', encoding="utf-8")
    error = refused(path)
    assert (error.line, error.detail) == (2, "root element <feed> is not dblp's (<dblp> for the dump, <dblpperson> "
                                             "for a person page)")


def test_person_page_cut_short(tmp_path):
    error = refused(BAD / "dblp-person-page-cut-short.xml")
    assert error.line == 2 and error.detail.startswith("page states 8 records")


# -- memory --------------------------------------------------------------------------------------


def generated_dump(records: int) -> str:
    """A dump of ``records`` generated articles (entities, an orcid attribute, markup in titles)."""
    parts = ['<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE dblp SYSTEM "dblp.dtd">\n<dblp>\n']
    for i in range(records):
        parts.append(
            f'<article key="journals/x/A{i}" mdate="2020-01-01">\n<author>Arnold Sch&ouml;nhage</author>\n'
            f'<author orcid="0000-0002-1825-0097">Josiah Carberry</author>\n'
            f"<title>Paper {i} on <i>things</i>.</title>\n<year>2001</year>\n<journal>J. X</journal>\n"
            f"<ee>https://doi.org/10.1000/{i}</ee>\n</article>\n")
    parts.append("</dblp>\n")
    return "".join(parts)


def peak_while_reading(text: str) -> tuple[int, int, DblpReader]:
    reader = DblpReader("generated.xml", text)
    tracemalloc.start()
    try:
        count = sum(1 for _record in reader.records())
        return count, tracemalloc.get_traced_memory()[1], reader
    finally:
        tracemalloc.stop()


def test_parser_memory_stays_flat():
    peak_while_reading(generated_dump(10))  # one-time costs (the DTD, caches) out of the comparison
    small, large = generated_dump(2_000), generated_dump(20_000)
    count_small, peak_small, _ = peak_while_reading(small)
    count_large, peak_large, reader = peak_while_reading(large)
    assert (count_small, count_large) == (4_000, 40_000)  # a paper and its author's ORCID each
    assert peak_large < 2 * peak_small, (peak_small, peak_large)  # ten times the records, not the memory
    assert len(reader.root) == 0  # libxml2's tree (which tracemalloc does not see) was swept as read
    assert peak_large < len(large) / 10


# -- end to end ----------------------------------------------------------------------------------

PERSONS = "PREFIX schema: <https://schema.org/> SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:Person }"
WORKS = "PREFIX schema: <https://schema.org/> SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a schema:ScholarlyArticle }"
SAME_AS = """PREFIX schema: <https://schema.org/>
SELECT ?name WHERE {{ ?p a schema:Person ; schema:name ?name ; schema:sameAs <{uri}> }}"""
WORK_TITLED = """PREFIX schema: <https://schema.org/>
SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE {{ ?w a schema:ScholarlyArticle ; schema:name "{title}" }}"""


def count(store, query: str) -> int:
    return int(store.select(query)[1][0][0])


def test_ingest_person_page_and_dumps_through_the_gate(tmp_path):
    settings = make_settings(tmp_path / "store")
    result = ingest([DI_XU, HOMEPAGES, CROSSREF], settings)
    assert result.written and result.report is not None and result.report.conforms
    assert result.sources == 3
    store = open_configured_store(settings)
    # 8 + 16 papers; the crossref file's one paper is the homepages file's (same key and DOI)
    assert count(store, WORKS) == 24
    title = "Multi-Agent Cooperative Transactions for E-Commerce"
    assert count(store, WORK_TITLED.format(title=title)) == 1
    assert count(store, PERSONS) == result.persons
    # the page's subject: one person, Di Xu, whatever the records call him ("Di Xu 0001")
    names = store.select(SAME_AS.format(uri="https://dblp.org/pid/95/7448-1"))[1]
    assert [str(row[0]) for row in names] == ["Di Xu"]
    # a home page's person and the author whose orcid attribute names the same ORCID are one person
    names = store.select(SAME_AS.format(uri="https://orcid.org/0000-0002-9297-3330"))[1]
    assert [str(row[0]) for row in names] == ["Hans L. Bodlaender"]


def test_a_json_lines_record_and_the_person_page_name_one_work_and_one_person(tmp_path):
    """Cross-source identity: kg's own records (written here) name the page's subject by his dblp id
    and one of his papers by its DOI, with other spellings; the graph holds one of each."""
    records = tmp_path / "records.jsonl"
    records.write_text(
        '{"type": "person", "name": "Di Xu", "identifiers": {"dblp": "95/7448-1"}}\n'
        '{"type": "paper", "title": "Correction of clipped pixels in color images", '
        '"authors": ["Di Xu", "C. Doutre", "P. Nasiopoulos"], "year": 2011, '
        '"identifiers": {"doi": "10.1109/TVCG.2010.63"}}\n', encoding="utf-8")
    settings = make_settings(tmp_path / "store")
    result = ingest([DI_XU, records], settings)
    assert result.written and result.report.conforms
    store = open_configured_store(settings)
    assert count(store, WORKS) == 8
    names = store.select(SAME_AS.format(uri="https://dblp.org/pid/95/7448-1"))[1]
    assert [str(row[0]) for row in names] == ["Di Xu"]
    works = store.select("""PREFIX schema: <https://schema.org/> SELECT DISTINCT ?w WHERE {
        ?w a schema:ScholarlyArticle ; schema:sameAs <https://doi.org/10.1109/TVCG.2010.63> }""")
    assert len(works[1]) == 1


def test_utf8_stream_encodes_in_chunks():
    from kg.parsers.dblp_xml import Utf8Stream

    stream = Utf8Stream("é" * 10)
    chunks = iter(lambda: stream.read(8), b"")
    assert b"".join(chunks).decode("utf-8") == "é" * 10
    assert io.BytesIO(b"").read(1) == b""
