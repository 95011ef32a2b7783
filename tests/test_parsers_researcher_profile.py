"""The researcher-profile parser: the shipped sample, other researchers' profiles, and broken pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import edit_page
from kg.errors import ParseError
from kg.parsers.researcher_profile import DROPPED_CHROME, parse_researcher_profile, read_role_line
from kg.records import PAGE_FACTS, PageFact, ParseWarning, PersonRecord
from kg.sources import read_source

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "records" / "researcher-profile-leon-bottou.txt"
CASES = Path(__file__).parent / "data" / "parsers"
RETRIEVED_AT = "2026-01-01T00:00:00Z"


def parse_page(path: Path):
    return parse_researcher_profile(read_source(path, RETRIEVED_AT))


def parse_case(case: str):
    return parse_page(CASES / case / "page.txt")


def test_sample_subject_and_every_fact():
    parsed = parse_page(SAMPLE)
    assert parsed.kind == "researcher-profile"
    assert parsed.subject == PersonRecord(name="Léon Bottou", line=3)
    assert parsed.facts == (
        PageFact("page_title", "Researcher profile", 1),
        PageFact(
            "subject_description", "Léon Bottou contributes to research discovery and scholarly infrastructure.", 5
        ),
        PageFact("profile_role", "Researcher", 7),
        PageFact("affiliation_status", "Affiliation not imported", 7),
        PageFact("collaboration_status", "Open to collaborate", 7),
        PageFact("trust_score", 19, 13),
        PageFact("trust_label", "Unverified", 13),
        PageFact("verification_level", "L1", 13),
        PageFact("claimed", False, 13),
        PageFact("claim_label", "Unclaimed author", 13),
        PageFact("stated_work_count", 5, 14),
        PageFact("stated_follower_count", 0, 15),
        PageFact("stated_topic_count", 2, 16),
        PageFact("stated_collaborator_count", 4, 17),
        PageFact("stated_published_item_count", 5, 53),
    )
    assert all(fact.name in PAGE_FACTS for fact in parsed.facts)


def test_sample_works():
    papers = parse_page(SAMPLE).papers
    assert [(p.line, p.type_label, p.year, p.venue, p.venue_kind, p.title, p.authors) for p in papers] == [
        (55, "preprint", 2026, "arXiv", "preprint-server", "Memory Mosaics at scale", None),
        (
            61,
            "preprint",
            2022,
            "arXiv",
            "preprint-server",
            "Rich Feature Construction for the Optimization-Generalization Dilemma",
            None,
        ),
        (
            67,
            "preprint",
            2021,
            "arXiv",
            "preprint-server",
            "Beyond Folklore: A Scaling Calculus for the Design and Initialization of ReLU Networks",
            None,
        ),
        (73, "preprint", 2020, "arXiv", "preprint-server", "Invariant Risk Minimization", None),
        (79, "preprint", 2020, "arXiv", "preprint-server", "Symplectic Recurrent Neural Networks", None),
    ]


def test_sample_abstracts_are_the_page_text():
    papers = parse_page(SAMPLE).papers
    source = SAMPLE.read_text(encoding="utf-8").split("\n")
    assert [source.index(paper.abstract) + 1 for paper in papers] == [59, 65, 71, 77, 83]
    assert papers[0].abstract.startswith("Memory Mosaics [Zhang et al., 2025], networks of associative memories")
    assert "off-line design & engineering of ReLU neural networks" in papers[2].abstract
    assert all(paper.copyright is None for paper in papers)


def test_claimed_profile_with_followers_and_affiliation():
    parsed = parse_case("profile-soren-sonnenburg")
    assert parsed.subject == PersonRecord(name="Sören Sonnenburg", line=3)
    facts = {fact.name: fact.value for fact in parsed.facts}
    assert facts == {
        "page_title": "Researcher profile",
        "subject_description": "Sören Sonnenburg contributes to research discovery and scholarly infrastructure.",
        "profile_role": "Researcher",
        "affiliation_status": "Affiliated with Technische Universität Berlin",
        "collaboration_status": "Open to collaborate",
        "trust_score": 72,
        "trust_label": "Verified",
        "verification_level": "L3",
        "claimed": True,
        "claim_label": "Claimed author",
        "stated_work_count": 3,
        "stated_follower_count": 12,
        "stated_topic_count": 4,
        "stated_collaborator_count": 9,
        "stated_published_item_count": 3,
    }
    papers = parsed.papers
    assert [(p.type_label, p.year, p.venue, p.venue_kind, p.title, p.copyright) for p in papers] == [
        (
            "journal article",
            2007,
            "JMLR",
            "journal",
            "The Need for Open Source Software in Machine Learning",
            "© JMLR 2007",
        ),
        ("journal article", 2010, "JMLR", "journal", "The SHOGUN Machine Learning Toolbox", "© JMLR 2010"),
        (
            "conference paper",
            2005,
            "NeurIPS",
            "conference",
            "A General and Efficient Multiple Kernel Learning Algorithm",
            None,
        ),
    ]
    assert papers[0].abstract == (
        "Open source tools have recently reached a level of maturity which makes them suitable for building "
        "large-scale real-world systems."
    )
    assert papers[2].abstract is None


def test_unclaimed_profile_with_duplicates_prefix_titles_and_entities():
    parsed = parse_case("profile-isabelle-guyon")
    facts = {fact.name: fact.value for fact in parsed.facts}
    assert (facts["profile_role"], facts["affiliation_status"], facts["collaboration_status"]) == (
        "Professor",
        "Affiliation not imported",
        "Not open to collaborate",
    )
    assert (facts["trust_score"], facts["trust_label"], facts["verification_level"], facts["claimed"]) == (
        41,
        "Partially verified",
        "L2",
        False,
    )
    assert [(p.line, p.type_label, p.year, p.venue, p.venue_kind, p.title) for p in parsed.papers] == [
        (55, "journal article", 2003, "JMLR", "journal", "An Introduction to Variable and Feature Selection"),
        (61, "conference paper", 1992, "COLT", "conference", "A training algorithm for optimal margin classifiers"),
        (67, "preprint", 2019, "arXiv", "preprint-server", "Design of the 2015 ChaLearn AutoML Challenge"),
        (73, "journal article", 2003, "JMLR", "journal", "An Introduction to Variable and Feature Selection"),
        (77, "book", 2006, "Springer", None, "Feature Extraction: Foundations and Applications"),
        (81, "workshop paper", 2003, "NIPS Workshop", None, "Feature Extraction"),
    ]
    assert parsed.papers[0].abstract == (
        "Variable and feature selection have become the focus of much research. We summarize “wrapper” and "
        r"embedded methods & their pitfalls, with error bounds like $\epsilon < \frac{1}{2}$ and $a<b$."
    )
    assert parsed.papers[3].abstract is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "ResearcherAffiliation not importedOpen to collaborate",
            [
                ("profile_role", "Researcher"),
                ("affiliation_status", "Affiliation not imported"),
                ("collaboration_status", "Open to collaborate"),
            ],
        ),
        (
            "PhD studentAffiliated with Université de MontréalNot open to collaborate",
            [
                ("profile_role", "PhD student"),
                ("affiliation_status", "Affiliated with Université de Montréal"),
                ("collaboration_status", "Not open to collaborate"),
            ],
        ),
        (
            "Affiliation not importedOpen to collaborate",
            [("affiliation_status", "Affiliation not imported"), ("collaboration_status", "Open to collaborate")],
        ),
        (
            "ResearcherOpen to collaborate",
            [("profile_role", "Researcher"), ("collaboration_status", "Open to collaborate")],
        ),
        ("Research discovery", []),
    ],
)
def test_role_line_is_split_on_known_phrases(line, expected):
    assert read_role_line(line) == expected


@pytest.mark.parametrize(
    ("case", "line", "message"),
    [
        ("profile-item-count-disagrees", 27, "page states 3 published items but 2 entries were parsed"),
        ("profile-work-count-disagrees", 14, "page states 4 works but 2 entries were parsed"),
        ("profile-truncated", 27, "page states 3 published items but 2 entries were parsed"),
        ("profile-no-entries", 27, "page states 2 published items but 0 entries were parsed"),
        ("profile-entry-without-title", 29, "entry at line 29 has no title"),
        (
            "profile-unreadable-year",
            29,
            "unreadable year '20x6' in entry header 'preprint20x6arXiv' (expected 4 digits)",
        ),
        (
            "profile-unrecognised-line",
            21,
            "unrecognised line 'Message researcher': not a field, an entry or known page chrome of kind "
            "researcher-profile; refusing to drop it",
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


def test_trailing_text_after_the_works_is_refused(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8")
    path = tmp_path / "page.txt"
    path.write_text(text + "\n\nLoad more works\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"page\.txt:85: unrecognised line 'Load more works'"):
        parse_page(path)


def test_header_without_year_is_named(tmp_path):
    path = edit_sample(tmp_path, "preprint2022arXiv", "preprintarXiv")
    with pytest.raises(ParseError) as caught:
        parse_page(path)
    assert str(caught.value) == (
        f"{path}:61: entry header 'preprintarXiv' has no year (expected '<type label><year><venue>', "
        "e.g. 'preprint2026arXiv')"
    )


def test_follow_button_alone_states_the_follower_count(tmp_path):
    path = edit_sample(tmp_path, "0followers\n", "")
    parsed = parse_page(path)
    assert PageFact("stated_follower_count", 0, 22) in parsed.facts
    assert parsed.warnings == ()


def test_pages_that_agree_with_themselves_have_no_warnings():
    assert parse_page(SAMPLE).warnings == ()
    assert parse_case("profile-soren-sonnenburg").warnings == ()
    assert parse_case("profile-isabelle-guyon").warnings == ()


def test_follow_button_disagreeing_with_the_follower_count_is_a_warning_and_the_stated_count_is_kept():
    path = CASES / "profile-follower-count-restated" / "page.txt"
    parsed = parse_page(path)
    assert [fact for fact in parsed.facts if fact.name == "stated_follower_count"] == [
        PageFact("stated_follower_count", 2, 15)
    ]
    assert [paper.title for paper in parsed.papers] == ["First Paper", "Second Paper"]
    message = ("page states 2 followers at line 15 but 'Follow researcher3' says 3; "
               "the follower count kept is 2, from line 15")
    assert parsed.warnings == (ParseWarning(str(path), 23, message),)
    assert str(parsed.warnings[0]) == f"{path}:23: warning: {message}"


def test_two_follow_buttons_without_a_stated_count_keep_the_first(tmp_path):
    path = edit_sample(tmp_path, "0followers\n", "")
    buttons = "Follow researcher0\n\nFollow researcher7\n"
    path.write_text(path.read_text(encoding="utf-8").replace("Follow researcher0\n", buttons), encoding="utf-8")
    parsed = parse_page(path)
    assert [fact for fact in parsed.facts if fact.name == "stated_follower_count"] == [
        PageFact("stated_follower_count", 0, 22)
    ]
    (warning,) = parsed.warnings
    assert (warning.line, warning.message) == (
        24,
        "page states 0 followers at line 22 but 'Follow researcher7' says 7; "
        "the follower count kept is 0, from line 22",
    )


def test_a_disagreeing_follow_button_does_not_hide_a_truncated_page(tmp_path):
    path = edit_sample(tmp_path, "Follow researcher0", "Follow researcher3")
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("Invariant Risk Minimization")].rstrip() + "\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"page\.txt:53: page states 5 published items but 4 entries were parsed"):
        parse_page(path)


def test_dropped_chrome_is_exactly_the_sample_interface_text():
    lines = {line.strip() for line in SAMPLE.read_text(encoding="utf-8").split("\n")}
    listed = {text for text, _ in DROPPED_CHROME}
    assert listed - lines == {"Follow researcher<N>"}
    assert "Follow researcher0" in lines
    assert all(reason for _, reason in DROPPED_CHROME)
    assert len(listed) == len(DROPPED_CHROME)


def test_sample_lines_are_all_accounted_for():
    parsed = parse_page(SAMPLE)
    text_lines = {n for n, line in enumerate(SAMPLE.read_text(encoding="utf-8").split("\n"), 1) if line.strip()}
    chrome = {text for text, _ in DROPPED_CHROME}
    source = SAMPLE.read_text(encoding="utf-8").split("\n")
    used = {fact.line for fact in parsed.facts} | {parsed.subject.line}
    used |= {n for n in text_lines if source[n - 1].strip() in chrome or source[n - 1].startswith("Follow researcher")}
    used |= {paper.line + offset for paper in parsed.papers for offset in (0, 2, 4)}
    assert text_lines == used
