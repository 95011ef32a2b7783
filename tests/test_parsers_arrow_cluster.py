"""The arrow-author-cluster parser: the shipped sample, another researcher's page, and broken pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import edit_page
from kg.errors import ParseError
from kg.parsers import parse_source
from kg.parsers.arrow_cluster import DROPPED_CHROME, parse_arrow_cluster
from kg.records import PAGE_FACTS, PageFact, PersonRecord
from kg.sources import read_source

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "records" / "arrow-author-cluster-leon-bottou.txt"
CASES = Path(__file__).parent / "data" / "parsers"
RETRIEVED_AT = "2026-01-01T00:00:00Z"


def parse_page(path: Path):
    return parse_arrow_cluster(read_source(path, RETRIEVED_AT))


def parse_case(case: str):
    return parse_page(CASES / case / "page.txt")


def test_sample_subject_kind_and_facts():
    parsed = parse_page(SAMPLE)
    assert parsed.kind == "arrow-author-cluster"
    assert parsed.subject == PersonRecord(name="Leon Bottou", line=5)
    assert parsed.persons == ()
    assert parsed.facts == (
        PageFact("site_name", "Arrow Research search", 1),
        PageFact("page_title", "Author name cluster", 3),
        PageFact(
            "page_description",
            "Possible papers associated with this exact author name in Arrow. This page groups "
            "case-insensitive exact name matches and is not a full identity disambiguation profile.",
            7,
        ),
        PageFact("stated_paper_count", 10, 9),
        PageFact("stated_author_row_count", 1, 10),
    )
    assert all(fact.name in PAGE_FACTS for fact in parsed.facts)


SAMPLE_ENTRIES = [
    # line, venue, venue_kind, year, type_label, title, authors
    (16, "NeurIPS", "conference", 2025, "Conference Paper", "Memory Mosaics at scale", ("Jianyu Zhang", "Leon Bottou")),
    (
        25,
        "NeurIPS",
        "conference",
        2023,
        "Conference Paper",
        "Birth of a Transformer: A Memory Viewpoint",
        ("Alberto Bietti", "Vivien Cabannes", "Diane Bouchacourt", "Herve Jegou", "Leon Bottou"),
    ),
    (
        37,
        "TMLR",
        "journal",
        2022,
        "Journal Article",
        "A Simple Convergence Proof of Adam and Adagrad",
        ("Alexandre Défossez", "Leon Bottou", "Francis Bach", "Nicolas Usunier"),
    ),
    (
        48,
        "NeurIPS",
        "conference",
        2022,
        "Conference Paper",
        "The Effects of Regularization and Data Augmentation are Class Dependent",
        ("Randall Balestriero", "Leon Bottou", "Yann LeCun"),
    ),
    (
        58,
        "JMLR",
        "journal",
        2020,
        "Journal Article",
        "AdaGrad stepsizes: Sharp convergence over nonconvex landscapes",
        ("Rachel Ward", "Xiaoxia Wu", "Leon Bottou"),
    ),
    (
        68,
        "NeurIPS",
        "conference",
        2019,
        "Conference Paper",
        "Cold Case: The Lost MNIST Digits",
        ("Chhavi Yadav", "Leon Bottou"),
    ),
    (
        77,
        "NeurIPS",
        "conference",
        2019,
        "Conference Paper",
        "On the Ineffectiveness of Variance Reduced Optimization for Deep Learning",
        ("Aaron Defazio", "Leon Bottou"),
    ),
    (
        86,
        "JMLR",
        "journal",
        2018,
        "Journal Article",
        "An efficient distributed learning algorithm based on effective local functional approximations",
        ("Dhruv Mahajan", "Nikunj Agrawal", "S. Sathiya Keerthi", "Sundararajan Sellamanickam", "Leon Bottou"),
    ),
    (
        98,
        "NeurIPS",
        "conference",
        2018,
        "Conference Paper",
        "SING: Symbol-to-Instrument Neural Generator",
        ("Alexandre Defossez", "Neil Zeghidour", "Nicolas Usunier", "Leon Bottou", "Francis Bach"),
    ),
    (
        110,
        "JMLR",
        "journal",
        2007,
        "Journal Article",
        "The Need for Open Source Software in Machine Learning",
        (
            "Sören Sonnenburg",
            "Mikio L. Braun",
            "Cheng Soon Ong",
            "Samy Bengio",
            "Leon Bottou",
            "Geoffrey Holmes",
            "Yann LeCun",
            "Klaus-Robert Müller",
        ),
    ),
]


def test_sample_entries_headers_titles_and_authors():
    papers = parse_page(SAMPLE).papers
    assert [
        (paper.line, paper.venue, paper.venue_kind, paper.year, paper.type_label, paper.title, paper.authors)
        for paper in papers
    ] == SAMPLE_ENTRIES


def test_sample_abstracts_are_the_page_text_without_the_jmlr_trailer():
    papers = parse_page(SAMPLE).papers
    source_lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    trailer = " [abs] [ pdf ][ bib ] &copy JMLR {}. ( edit, beta )"
    for paper in papers:
        assert paper.abstract is not None
        raw = next(line for line in source_lines if line.startswith(paper.abstract[:60]))
        expected_trailer = trailer.format(paper.year) if paper.copyright else ""
        assert paper.abstract + expected_trailer == raw  # byte for byte, LaTeX included
    assert [(paper.year, paper.copyright) for paper in papers if paper.copyright] == [
        (2020, "© JMLR 2020"),
        (2018, "© JMLR 2018"),
        (2007, "© JMLR 2007"),
    ]


def test_sample_adagrad_abstract_ends_before_the_trailer():
    adagrad = parse_page(SAMPLE).papers[4]
    assert adagrad.abstract.endswith("the robustness of AdaGrad-Norm extends to the models in deep learning.")
    assert adagrad.copyright == "© JMLR 2020"
    assert r"$\mathcal{O}(\log(N)/\sqrt{N})$" in adagrad.abstract


def test_sample_keeps_latex_verbatim():
    papers = parse_page(SAMPLE).papers
    assert r"$O(d\ln(N)/\sqrt{N})$" in papers[2].abstract
    assert r"$O((1-\beta_1)^{-3})$" in papers[2].abstract
    assert "``barn spider''" in papers[3].abstract
    assert r"on class \#8889" in papers[3].abstract
    assert r"\citep{mnist}" in papers[5].abstract
    assert r"\citet{recht2018cifar, recht2019imagenet}" in papers[5].abstract


def test_other_researcher_page():
    parsed = parse_case("cluster-yann-lecun")
    assert parsed.subject == PersonRecord(name="Yann LeCun", line=5)
    assert [(fact.name, fact.value) for fact in parsed.facts][3:] == [
        ("stated_paper_count", 9),
        ("stated_author_row_count", 2),
    ]
    assert [(p.line, p.venue, p.venue_kind, p.year, p.type_label, p.title) for p in parsed.papers] == [
        (
            16,
            "NeurIPS",
            "conference",
            2022,
            "Conference Paper",
            "The Effects of Regularization and Data Augmentation are Class Dependent",
        ),
        (
            26,
            "Neural Computation",
            "journal",
            1989,
            "Journal Article",
            "Backpropagation Applied to Handwritten Zip Code Recognition",
        ),
        (
            40,
            "Proceedings of the IEEE",
            "journal",
            1998,
            "Journal Article",
            "Gradient-based learning applied to document recognition",
        ),
        (51, "ICML", "workshop", 2013, "Workshop Paper", "Deep learning"),
        (57, "arXiv", "preprint-server", 2013, "Preprint", "Deep learning of invariant features"),
        (66, "JMLR", "journal", 2007, "Journal Article", "The Need for Open Source Software in Machine Learning"),
        (81, "JMLR", "journal", 2007, "Journal Article", "The Need for Open Source Software in Machine Learning"),
        (96, "Springer", "book", 2012, "Book Chapter", "Efficient BackProp"),
        (107, "IEEE Spectrum", "other", 2016, "Feature Article", "Deep Learning Comes of Age"),
    ]


def test_other_researcher_page_authors_abstracts_and_copyrights():
    papers = parse_case("cluster-yann-lecun").papers
    assert papers[2].authors == ("Yann LeCun", "Léon Bottou", "Yoshua Bengio", "Patrick Haffner")
    assert papers[2].abstract == (
        "Multilayer neural networks trained with the back-propagation algorithm constitute the best example of a "
        r"successful gradient-based learning technique — see Sections II & III, where $\mathcal{O}(N)$ steps suffice."
    )
    assert papers[3].abstract is None and papers[3].authors == ("Yann LeCun",)
    assert (
        papers[4].abstract
        == r"Invariant features converge in $O(\log(1/\epsilon))$ steps, as argued by \citep{lecun1998}."
    )
    assert papers[4].copyright is None
    assert papers[7].copyright == "© Springer-Verlag Berlin Heidelberg 2012"
    assert papers[8].abstract is None


def test_paper_listed_twice_gives_two_records():
    papers = parse_case("cluster-yann-lecun").papers
    first, second = papers[5], papers[6]
    assert (first.line, second.line) == (66, 81)
    assert first.authors == second.authors
    assert first.authors[0] == "Sören Sonnenburg" and first.authors[-1] == "Klaus-Robert Müller"
    assert first.abstract == second.abstract
    assert first.abstract.endswith("suitable for building large-scale real-world systems.")
    assert first.copyright == second.copyright == "© JMLR 2007"


def test_title_that_is_a_prefix_of_another_stays_itself():
    titles = [paper.title for paper in parse_case("cluster-yann-lecun").papers]
    assert "Deep learning" in titles and "Deep learning of invariant features" in titles


def test_parse_source_detects_the_cluster_page():
    assert parse_source(read_source(SAMPLE, RETRIEVED_AT)).kind == "arrow-author-cluster"


def test_cluster_pages_have_no_cosmetic_restatements_to_warn_about():
    """The one restated count on a cluster page counts the listed papers: a difference refuses the
    page (cluster-restated-count-disagrees below), it is never a warning."""
    assert parse_page(SAMPLE).warnings == ()
    assert parse_case("cluster-yann-lecun").warnings == ()


@pytest.mark.parametrize(
    ("case", "line", "message"),
    [
        ("cluster-count-disagrees", 9, "page states 3 papers but 2 entries were parsed"),
        ("cluster-no-entries", 9, "page states 4 papers but 0 entries were parsed"),
        ("cluster-truncated", 9, "page states 3 papers but 2 entries were parsed"),
        ("cluster-restated-count-disagrees", 14, "page states 2 papers at line 9 but 3 under 'Possible papers'"),
        ("cluster-entry-without-title", 25, "entry at line 25 has no title"),
        (
            "cluster-no-author-list",
            25,
            "entry at line 25 has no author list (expected '  • Name' lines after the title)",
        ),
        (
            "cluster-unreadable-year",
            25,
            "unreadable year '20X5' in entry header 'NeurIPS Conference 20X5 Conference Paper' (expected 4 digits)",
        ),
        (
            "cluster-unrecognised-line",
            33,
            "unrecognised line 'Show 20 more results': not a field, an entry or known page chrome of kind "
            "arrow-author-cluster; refusing to drop it",
        ),
    ],
)
def test_broken_pages_name_file_line_and_value(case, line, message):
    path = CASES / case / "page.txt"
    with pytest.raises(ParseError) as caught:
        parse_page(path)
    assert caught.value.line == line
    assert str(caught.value) == f"{path}:{line}: {message}"


def edit_sample(tmp_path: Path, old: str, new: str) -> Path:
    return edit_page(SAMPLE, tmp_path, old, new)


def test_sample_with_an_entry_removed_fails_the_count_check(tmp_path):
    start = SAMPLE.read_text(encoding="utf-8").index("NeurIPS Conference 2019 Conference Paper\n\nCold Case")
    end = SAMPLE.read_text(encoding="utf-8").index("NeurIPS Conference 2019 Conference Paper\n\nOn the")
    path = edit_sample(tmp_path, SAMPLE.read_text(encoding="utf-8")[start:end], "")
    with pytest.raises(ParseError, match=r"page\.txt:9: page states 10 papers but 9 entries were parsed$"):
        parse_page(path)


def test_header_without_year_is_named(tmp_path):
    path = edit_sample(tmp_path, "TMLR Journal 2022 Journal Article", "TMLR Journal Journal Article")
    with pytest.raises(ParseError) as caught:
        parse_page(path)
    assert str(caught.value) == (
        f"{path}:37: entry header 'TMLR Journal Journal Article' has no year (expected "
        "'<Venue> <Kind> <year> <Type label>', e.g. 'NeurIPS Conference 2025 Conference Paper')"
    )


def test_unknown_line_in_the_prelude_is_refused(tmp_path):
    path = edit_sample(tmp_path, "1 author row\n", "1 author row\nSort by relevance\n")
    with pytest.raises(ParseError, match=r"page\.txt:11: unrecognised line 'Sort by relevance'"):
        parse_page(path)


def test_count_under_the_heading_alone_is_the_stated_count(tmp_path):
    path = edit_sample(tmp_path, "10 papers\n", "")
    facts = parse_page(path).facts
    assert PageFact("stated_paper_count", 10, 13) in facts


def test_repository_kind_and_lone_venue(tmp_path):
    path = edit_sample(tmp_path, "TMLR Journal 2022 Journal Article", "CoRR Repository 2022 Preprint")
    paper = parse_page(path).papers[2]
    assert (paper.venue, paper.venue_kind, paper.year, paper.type_label) == (
        "CoRR",
        "preprint-server",
        2022,
        "Preprint",
    )
    path = edit_sample(tmp_path, "NeurIPS Conference 2023 Conference Paper", "OpenReview 2023 Submission")
    paper = parse_page(path).papers[1]
    assert (paper.venue, paper.venue_kind, paper.year, paper.type_label) == ("OpenReview", None, 2023, "Submission")


def test_dropped_chrome_is_the_heading_and_the_restated_count():
    assert DROPPED_CHROME == (
        ("Possible papers", "heading of the paper list"),
        (
            "<N> under 'Possible papers'",
            "restates stated_paper_count; checked against it and the entries, not kept twice",
        ),
    )
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    assert lines[11:14] == ["Possible papers", "", "10"]
