"""The BibTeX parser, on real .bib files (tests/data/parsers/bibtex-*/, sources in its README).

Each entry is one version of a paper; identity, not the parser, decides which are one work (the
end-to-end test at the bottom ingests the files and counts works and versions).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAMPLE, make_settings
from kg.errors import ParseError, SourceError
from kg.parsers import parse_source
from kg.parsers.bibtex import decode, fold_out_year, looks_like_bibtex, parse_bibtex, split_names
from kg.pipeline import ingest
from kg.records import Identifier, PaperRecord
from kg.sources import read_source
from kg.store import open_configured_store

DATA = Path(__file__).parent / "data"
CASES = DATA / "parsers"
BAD = DATA / "bad"
DBLP = CASES / "bibtex-dblp-nutan-limaye" / "dblp-withcrossref.bib"
DISTILLATION = CASES / "bibtex-distillation" / "distillation.bib"
PMLR = CASES / "bibtex-pmlr-icml2017" / "ICML2017.bib"
CROSSREF_ONLY = CASES / "bibtex-crossref-without-booktitle" / "dblp-withcrossref.bib"
RETRIEVED_AT = "2026-01-01T00:00:00Z"


def parse_file(path: Path):
    return parse_bibtex(read_source(path, RETRIEVED_AT))


def paper_at(parsed, line: int) -> PaperRecord:
    (paper,) = [paper for paper in parsed.papers if paper.line == line]
    return paper


def edited(tmp_path: Path, source: Path, old: str, new: str, name: str = "edited.bib") -> Path:
    """A copy of a real file with one piece of text replaced (it must be there once)."""
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


# -- a dblp export with crossref ----------------------------------------------------------------


def test_dblp_export_gives_one_record_per_paper_entry_and_none_for_proceedings():
    parsed = parse_file(DBLP)
    assert parsed.kind == "bibtex"
    assert parsed.subject is None and parsed.persons == () and parsed.facts == () and parsed.warnings == ()
    assert [paper.line for paper in parsed.papers] == [1, 18, 36, 56, 74, 90, 107, 126, 145, 162, 182, 201, 221]
    assert not any(paper.title.startswith(("Proceedings of", "38th Computational")) for paper in parsed.papers)


def test_corr_preprint_with_arxiv_in_doi_and_eprint():
    paper = paper_at(parse_file(DBLP), 36)
    assert paper == PaperRecord(
        title="On the geometry of k-SAT solutions: what more can PPZ and Schöning's algorithms do?",
        line=36,
        authors=("Per Austrin", "Ioana O. Bercea", "Mayank Goswami", "Nutan Limaye", "Adarsh Srinivasan"),
        venue="CoRR",
        venue_kind="preprint-server",
        year=2024,
        type_label="preprint",
        identifiers=(Identifier("dblp", "journals/corr/abs-2408-03465"), Identifier("arxiv", "2408.03465")),
    )


def test_conference_paper_of_a_dblp_export():
    paper = paper_at(parse_file(DBLP), 18)
    assert paper == PaperRecord(
        title="Functional Lower Bounds in Algebraic Proofs: Symmetry, Lifting, and Barriers",
        line=18,
        authors=("Tuomas Hakoniemi", "Nutan Limaye", "Iddo Tzameret"),
        venue="Proceedings of the 56th Annual ACM Symposium on Theory of Computing, STOC 2024, Vancouver, BC, "
              "Canada, June 24-28, 2024",
        venue_kind="conference",
        year=2024,
        type_label="conference paper",
        identifiers=(Identifier("dblp", "conf/stoc/HakoniemiLT24"), Identifier("doi", "10.1145/3618260.3649616")),
    )


def test_several_versions_of_one_paper_are_several_records():
    parsed = parse_file(DBLP)
    functional = [p for p in parsed.papers if p.title.startswith("Functional Lower Bounds")]
    assert [(p.venue, p.type_label) for p in functional] == [
        ("Proceedings of the 56th Annual ACM Symposium on Theory of Computing, STOC 2024, Vancouver, BC, Canada, "
         "June 24-28, 2024", "conference paper"),
        ("CoRR", "preprint"),
        ("Electron. Colloquium Comput. Complex.", "journal article"),
    ]
    closures = [p.title for p in parsed.papers if p.title.casefold().startswith("on the closures")]
    assert closures == [  # titles differing in case are kept as each entry spells them
        "On The Closures of Monotone Algebraic Classes and Variants of the Determinant",
        "On the closures of monotone algebraic classes and variants of the determinant",
        "On the Closures of Monotone Algebraic Classes and Variants of the Determinant",
    ]


def test_dblp_escapes_in_dois_and_maths_in_titles():
    parsed = parse_file(DBLP)
    assert Identifier("doi", "10.1007/978-3-031-20624-5_37") in paper_at(parsed, 145).identifiers
    # {\textdollar}...{\textdollar} is dblp's escaped $...$: decoded, it is maths, kept verbatim
    assert paper_at(parsed, 162).title == (
        r"A Fixed-Depth Size-Hierarchy Theorem for $\mathrm{AC}^0[\oplus]$ via the Coin Problem")
    assert paper_at(parsed, 201).title == (
        r"A fixed-depth size-hierarchy theorem for AC\({}^{\mbox{0}}\)[\(\oplus\)] via the coin problem")
    assert paper_at(parsed, 182).title == "A #SAT Algorithm for Small Constant-Depth Circuits with PTF Gates"
    # an old CoRR entry: no DOI, the arXiv id from eprint and url
    assert paper_at(parsed, 221).identifiers == (Identifier("dblp", "journals/corr/abs-1911-12520"),
                                                  Identifier("arxiv", "1911.12520"))


def test_a_child_keeps_its_own_year_over_its_parents():
    # ITCS 2019's proceedings are dated 2018 by dblp; the paper says 2019
    assert paper_at(parse_file(DBLP), 182).year == 2019


def test_crossref_gives_the_child_its_parents_title_as_venue_and_its_year():
    (paper,) = parse_file(CROSSREF_ONLY).papers
    assert paper == PaperRecord(
        title="On the Closures of Monotone Algebraic Classes and Variants of the Determinant",
        line=1,
        authors=("Prasad Chaugule", "Nutan Limaye"),
        venue="LATIN 2022: Theoretical Informatics - 15th Latin American Symposium, Guanajuato, Mexico, "
              "November 7-11, 2022, Proceedings",
        venue_kind="conference",
        year=2022,
        type_label="conference paper",
        # the child's DOI; the proceedings' own DOI (10.1007/978-3-031-20624-5) is not inherited
        identifiers=(Identifier("dblp", "conf/latin/ChauguleL22"), Identifier("doi", "10.1007/978-3-031-20624-5_37")),
    )


def test_arxiv_id_from_the_doi_alone(tmp_path):
    path = edited(tmp_path, DBLP, "  eprinttype    = {arXiv},\n  eprint       = {2408.03465},\n", "")
    assert paper_at(parse_file(path), 36).identifiers == (Identifier("dblp", "journals/corr/abs-2408-03465"),
                                                          Identifier("arxiv", "2408.03465"))


def test_a_bare_arxiv_id_in_doi_is_an_arxiv_id(tmp_path):
    path = edited(tmp_path, DISTILLATION, "  year    = {2015},\n  journal = {arXiv}\n",
                  "  year    = {2015},\n  journal = {arXiv},\n  doi = {arXiv:1503.02531}\n")
    paper = paper_at(parse_file(path), 101)
    assert paper.identifiers == (Identifier("arxiv", "1503.02531"),)
    assert (paper.venue, paper.venue_kind, paper.type_label) == ("arXiv", "preprint-server", "preprint")


def test_misc_with_an_arxiv_eprint_is_a_preprint(tmp_path):
    path = edited(tmp_path, DISTILLATION, "@article{Hinton15,\n", "@misc{Hinton15,\n  eprint = {1503.02531},\n"
                  "  archivePrefix = {arXiv},\n  url = {https://arxiv.org/abs/1503.02531v1},\n")
    text = path.read_text(encoding="utf-8").replace("  journal = {arXiv}\n}", "}", 1)
    path.write_text(text, encoding="utf-8")
    paper = paper_at(parse_file(path), 101)
    assert (paper.venue, paper.venue_kind, paper.type_label) == ("arXiv", "preprint-server", "preprint")
    assert paper.identifiers == (Identifier("arxiv", "1503.02531"),)  # the version-less of the two


# -- a hand-kept bibliography (Google Scholar style) --------------------------------------------


def test_hand_kept_bibliography_with_last_first_names_and_latex_accents():
    parsed = parse_file(DISTILLATION)
    assert len(parsed.papers) == 29  # every entry; the stray "-- Datasets" line between two is no entry
    assert paper_at(parsed, 1) == PaperRecord(
        title="Inference with the Universum",
        line=1,
        authors=("Jason Weston", "Ronan Collobert", "Fabian Sinz", "Léon Bottou", "Vladimir Vapnik"),
        venue="ICML",
        venue_kind=None,  # ICML is a journal at line 136 of this file: see the warning below
        year=2006,
        type_label="conference paper",
    )
    assert paper_at(parsed, 191) == PaperRecord(
        title="Gradient-based learning applied to document recognition",
        line=191,
        authors=("Yann LeCun", "Léon Bottou", "Yoshua Bengio", "Patrick Haffner"),
        venue="Proceedings of the IEEE",
        venue_kind="journal",
        year=1998,
        type_label="journal article",
    )
    assert paper_at(parsed, 221).authors == ("Maxime Oquab", "Leon Bottou", "Ivan Laptev", "Josef Sivic")
    assert paper_at(parsed, 150).authors[-1] == "João C das Neves"  # "das Neves, Jo{\~a}o C": a von part
    assert paper_at(parsed, 108).authors[0] == "Cristian Buciluǎ"


def test_the_same_paper_under_two_keys_is_two_records_with_one_title():
    parsed = parse_file(DISTILLATION)
    lapin = [p for p in parsed.papers if p.authors[0] == "Maksim Lapin"]
    assert [p.line for p in lapin] == [70, 211]
    assert {p.title for p in lapin} == {"Learning using privileged information: SVM+ and weighted SVM"}


def test_types_without_venue_and_arxiv_journals():
    parsed = parse_file(DISTILLATION)
    book = paper_at(parsed, 129)
    assert (book.type_label, book.venue, book.venue_kind) == ("book", None, None)
    mnist = paper_at(parsed, 170)
    assert (mnist.title, mnist.type_label, mnist.venue, mnist.venue_kind) == (
        "The MNIST database of handwritten digits", None, None, None)
    hinton = paper_at(parsed, 101)
    assert (hinton.venue, hinton.venue_kind, hinton.type_label, hinton.identifiers) == (
        "arXiv", "preprint-server", "preprint", ())


def test_a_venue_given_two_kinds_in_one_file_gets_none_with_a_warning():
    parsed = parse_file(DISTILLATION)
    assert [str(w) for w in parsed.warnings] == [
        f"{DISTILLATION}:1: warning: venue 'ICML' is a conference at line 1 and a journal at line 136: "
        "its kind is left unsaid"
    ]
    icml = [p for p in parsed.papers if p.venue == "ICML"]
    assert len(icml) == 4 and {p.venue_kind for p in icml} == {None}
    assert {p.type_label for p in icml} == {"conference paper", "journal article"}  # each entry still says


# -- a proceedings volume (PMLR) ------------------------------------------------------------------


def test_proceedings_volume_with_abstracts_and_accents():
    parsed = parse_file(PMLR)
    assert [p.line for p in parsed.papers] == [17, 35, 53, 71, 89, 107]  # the @Proceedings entry is no paper
    assert paper_at(parsed, 71) == PaperRecord(
        title="Wasserstein Generative Adversarial Networks",
        line=71,
        authors=("Martin Arjovsky", "Soumith Chintala", "Léon Bottou"),
        abstract="We introduce a new algorithm named WGAN, an alternative to traditional GAN training. In this new "
                 "model, we show that we can improve the stability of learning, get rid of problems like mode "
                 "collapse, and provide meaningful learning curves useful for debugging and hyperparameter searches. "
                 "Furthermore, we show that the corresponding optimization problem is sound, and provide extensive "
                 "theoretical work highlighting the deep connections to different distances between distributions.",
        venue="Proceedings of the 34th International Conference on Machine Learning",
        venue_kind="conference",
        year=2017,
        type_label="conference paper",
    )
    assert paper_at(parsed, 17).authors == ("Massil Achab", "Emmanuel Bacry", "Stéphane Gaïffas",
                                            "Iacopo Mastromatteo", "Jean-François Muzy")
    assert paper_at(parsed, 53).authors[0] == "Sercan Ö. Arık"
    assert paper_at(parsed, 89).authors[1] == "Stanisław Jastrzębski"


def test_maths_in_abstracts_is_kept_verbatim_and_emph_is_decoded():
    parsed = parse_file(PMLR)
    assert r"regret bound of $\tilde {O}( \sqrt{HSAT} + H^2S^2A+H\sqrt{T})$ where $H$" in paper_at(parsed, 107).abstract
    assert r"$\epsilon$-differential privacy" in paper_at(parsed, 35).abstract
    assert "estimation of this matrix without any parametric modeling" in paper_at(parsed, 17).abstract
    assert "noise vs.\u00a0real" not in paper_at(parsed, 89).abstract  # ~ is a space once cleaned
    assert "noise vs. real data" in paper_at(parsed, 89).abstract


# -- pieces ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("venue", "year", "label"),
    [
        ("Proc. NeurIPS'20", 2020, "Proc. NeurIPS"),
        ("Proc. ICML’17", 2017, "Proc. ICML"),
        ("ICML 2017", 2017, "ICML"),
        ("NIPS (2014)", 2014, "NIPS"),
        ("Proc. NeurIPS'20", 2021, "Proc. NeurIPS'20"),  # another year: kept
        ("Advances in Neural Information Processing Systems 32", 2019,
         "Advances in Neural Information Processing Systems 32"),
        ("CCC 2023, July 17-20, 2023, Warwick, UK", 2023, "CCC 2023, July 17-20, 2023, Warwick, UK"),
        ("Computing Conference, June 24-28, 2024", 2024, "Computing Conference, June 24-28, 2024"),
        ("2017", 2017, "2017"),
    ],
)
def test_a_year_folded_into_the_venue_label_is_dropped(venue, year, label):
    assert fold_out_year(venue, year) == label


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"L{\'{e}}on", "Léon"),
        (r"Rodr{\'{\i}}guez{-}Henr{\'{\i}}quez", "Rodríguez-Henríquez"),  # dotless i, {-}
        (r"DB{\&}LP: {A} {WWW} Bibliography", "DB&LP: A WWW Bibliography"),
        (r"On the geometry of \emph{k}-SAT", "On the geometry of k-SAT"),
        ("{W}asserstein Generative Adversarial Networks", "Wasserstein Generative Adversarial Networks"),
        (r"a $O(\sqrt{T})$ regret", r"a $O(\sqrt{T})$ regret"),  # maths verbatim
        (r"as in \citep{mnist}, the", r"as in \citep{mnist}, the"),  # as the other parsers keep it
        (r"AC{\^{}}0", "AC^0"),  # dblp's escaped caret
        ("improves by 50% on", "improves by 50% on"),  # a bare % is no LaTeX comment here
        ("noise vs.~real data -- and  more", "noise vs. real data – and more"),
        ("Yann LeCun", "Yann LeCun"),
    ],
)
def test_latex_is_decoded_to_unicode(latex, text):
    assert decode(latex, None, "title") == text


def test_names_split_at_and_outside_braces_over_lines():
    assert split_names("Per Austrin and\n                  Ioana O. Bercea") == ["Per Austrin", "Ioana O. Bercea"]
    assert split_names("{Barnes and Noble} AND Yann LeCun and others") == ["{Barnes and Noble}", "Yann LeCun", "others"]
    assert split_names("D. Lopez-Paz and and J. M. Hern{\\'a}ndez-Lobato") == ["D. Lopez-Paz", "",
                                                                              "J. M. Hern{\\'a}ndez-Lobato"]


def test_string_macros_and_concatenations_are_resolved(tmp_path):
    path = edited(tmp_path, DISTILLATION, "  year={2006},\n  booktitle={ICML}\n",
                  '  year={2006},\n  month=jun,\n  booktitle = "Proc. " # icml # "\'06"\n')
    path.write_text("@string{icml = {ICML}}\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    paper = paper_at(parse_file(path), 3)
    assert (paper.title, paper.venue, paper.year) == ("Inference with the Universum", "Proc. ICML", 2006)


def test_a_macro_no_string_defines_is_refused_in_a_field_that_is_read(tmp_path):
    path = edited(tmp_path, DISTILLATION, "  booktitle={ICML}\n}", "  booktitle=icml\n}")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert (caught.value.line, caught.value.detail) == (
        1, "entry 'Weston06' (@inproceedings): field 'booktitle': 'icml' is neither text in braces or quotes, "
           "a number, nor a macro an @string of this file defines")


def test_others_is_dropped_from_an_author_list(tmp_path):
    path = edited(tmp_path, DISTILLATION, "author={Ba, Jimmy and Caruana, Rich}", "author={Ba, Jimmy and others}")
    assert paper_at(parse_file(path), 115).authors == ("Jimmy Ba",)


def test_detection():
    assert looks_like_bibtex(DBLP.read_text(encoding="utf-8"))
    assert looks_like_bibtex("% JabRef export\n\n@String (nips = {NIPS})\n")
    assert looks_like_bibtex("\n  @ARTICLE {key,\n")
    assert not looks_like_bibtex('{"type": "paper", "title": "@article{x,"}')
    assert not looks_like_bibtex("Researcher profile\n\n@article{x,\n")
    assert not looks_like_bibtex("% only comments\n")


# -- errors: file, line and entry key ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("bibtex-duplicate-key.bib", 15,
         "entry 'Bacon20': duplicate key (first at line 9): each entry needs its own key"),
        ("bibtex-unreadable-year.bib", 7,
         "entry 'Aristotle' (@book): year '50BC' is not a year (four digits, 1000 to 2999)"),
        ("bibtex-truncated.bib", 191, "entry 'Lecun98': not valid BibTeX: Unexpectedly reached end of file."),
        ("bibtex-entry-without-author.bib", 8, "entry 'Chapelle07' (@inproceedings): no author and no editor"),
    ],
)
def test_bad_file_is_refused_naming_file_line_and_entry(name, line, message):
    path = BAD / name
    with pytest.raises(ParseError) as caught:
        parse_source(read_source(path, RETRIEVED_AT))
    assert (caught.value.origin, caught.value.line, caught.value.detail) == (str(path), line, message)
    assert str(caught.value) == f"{path}:{line}: {message}"


# Real excerpts of lopezpaz/causation_learning_theory, jmlr_rcc.bib (see tests/data/bad/README.md).
EMPTY_NAME = """@article{Lopez-Paz14c,
  title     = "{Copula methods for hierarchical dependence modeling}",
  author    = "D. Lopez-Paz and and J. M. Hern{\\'a}ndez-Lobato and Z. Ghahramani",
  journal   = "Submitted",
  year      = "2014",
}
"""
TOO_MANY_COMMAS = """@article{Janzing10,
  title={Causal inference using the algorithmic Markov condition},
  author={Janzing, D., Scholkopf, B.},
  journal={IEEE Transactions on Information Theory},
  year={2010},
}
"""


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (EMPTY_NAME, 1, "entry 'Lopez-Paz14c' (@article): author list has an empty name at position 2 "
                        "(two 'and' in a row?)"),
        (TOO_MANY_COMMAS, 1, "entry 'Janzing10' (@article): author name 'Janzing, D., Scholkopf, B.' cannot be "
                             "split into first and last names: Too many commas"),
    ],
)
def test_real_name_lists_bibtex_cannot_read(tmp_path, text, line, message):
    path = tmp_path / "names.bib"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert (caught.value.line, caught.value.detail) == (line, message)


@pytest.mark.parametrize(
    ("source", "old", "new", "line", "message"),
    [
        (DISTILLATION, "  title={Inference with the {Universum}},\n", "", 1,
         "entry 'Weston06' (@inproceedings): no title"),
        (DISTILLATION, "  year={2006},\n  booktitle={ICML}\n", "  booktitle={ICML}\n", 1,
         "entry 'Weston06' (@inproceedings): no year (and no date)"),
        (DISTILLATION, "  year={2007}\n}", "  year={2007},\n  Year={2008}\n}", 8,
         "entry 'Chapelle07' (@inproceedings): field 'year' given twice"),
        (DISTILLATION, "  year={2007}\n}", "  year={2007},\n  year={2008}\n}", 8,
         "entry 'Chapelle07': field 'year' given twice"),
        (DBLP, "  crossref     = {DBLP:conf/stoc/2024},\n", "  crossref     = {DBLP:conf/stoc/2042},\n", 18,
         "entry 'DBLP:conf/stoc/HakoniemiLT24' (@inproceedings): crossref 'DBLP:conf/stoc/2042' names no entry "
         "of this file"),
        (DBLP, "  doi          = {10.1137/19M1276467},\n", "  doi          = {N/A},\n", 162,
         "entry 'DBLP:journals/siamcomp/LimayeSSTV21' (@article): doi 'N/A' is not a DOI (10.<registrant>/<suffix>) "
         "nor an arXiv identifier"),
        (DBLP, "  eprint       = {2408.03465},\n", "  eprint       = {2408.03466},\n", 36,
         "entry 'DBLP:journals/corr/abs-2408-03465' (@article): arXiv ids disagree: '2408.03466' (eprint) and "
         "'2408.03465' (doi)"),
    ],
)
def test_entry_problems_name_the_entry(tmp_path, source, old, new, line, message):
    path = edited(tmp_path, source, old, new)
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert (caught.value.origin, caught.value.line, caught.value.detail) == (str(path), line, message)


CHAPELLE_AUTHORS = "  author={Chapelle, Olivier and Agarwal, Alekh and Sinz, Fabian H and Sch{\\\"o}lkopf, Bernhard},\n"


def test_the_first_problem_by_line_is_reported(tmp_path):
    # an entry without authors at line 8, before the entry the file is cut in (line 191)
    path = edited(tmp_path, BAD / "bibtex-truncated.bib", CHAPELLE_AUTHORS, "")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert (caught.value.line, caught.value.detail) == (
        8, "entry 'Chapelle07' (@inproceedings): no author and no editor")
    # a key given twice (line 143) before an entry without authors (line 191)
    path = edited(tmp_path, DISTILLATION, "@inproceedings{bengio2009curriculum,", "@book{Vapnik98,", "twice.bib")
    lecun = "  author={LeCun, Yann and Bottou, L{\\'e}on and Bengio, Yoshua and Haffner, Patrick},\n"
    path.write_text(path.read_text(encoding="utf-8").replace(lecun, "", 1), encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert (caught.value.line, caught.value.detail) == (
        143, "entry 'Vapnik98': duplicate key (first at line 129): each entry needs its own key")


def test_a_file_of_proceedings_only_has_no_paper(tmp_path):
    text = DBLP.read_text(encoding="utf-8")
    path = tmp_path / "proceedings.bib"
    path.write_text(text[text.index("@proceedings{DBLP:conf/stoc/2024"):], encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.line is None and caught.value.detail.startswith("no paper entry: 5 entries")


def test_text_that_is_not_bibtex_is_no_kind(tmp_path):
    path = tmp_path / "notes.bib"
    path.write_text("My reading list\n\n@article{x, title={y}}\n", encoding="utf-8")
    with pytest.raises(SourceError, match="unknown kind of input: expected one of .*bibtex"):
        parse_source(read_source(path, RETRIEVED_AT))


def test_bibtexparser_logs_nothing_of_its_own(capfd):
    with pytest.raises(ParseError):
        parse_file(BAD / "bibtex-truncated.bib")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


# -- end to end: ingest, the SHACL gate, and identity across versions and sources -------------------


def counts(settings) -> dict[str, int]:
    query = (Path(__file__).resolve().parents[1] / "queries" / "count-entities.rq").read_text(encoding="utf-8")
    _header, rows = open_configured_store(settings).select(query)
    return {str(kind): int(count) for kind, count in rows}


def test_ingest_bibtex_files_passes_the_gate_and_identity_joins_versions(tmp_path):
    settings = make_settings(tmp_path / "store")
    result = ingest([DBLP, DISTILLATION, PMLR], settings)
    assert result.written and result.report is not None and result.report.conforms
    # 13 + 29 + 6 records; the two Lapin entries are one version; the CoRR, ECCC and conference or
    # journal versions of 4 papers are 4 works (3 + 3 + 2 + 2 versions)
    assert counts(settings) == {"persons": 118, "sources": 3, "venues": 24, "versions": 47, "works": 41}
    assert result.works == 41 and result.persons == 118


def test_bibtex_authors_join_the_sample_pages_authors(tmp_path):
    settings = make_settings(tmp_path / "store")
    result = ingest([*SAMPLE, DISTILLATION, PMLR], settings)
    assert result.report is not None and result.report.conforms
    _header, rows = open_configured_store(settings).select(
        "PREFIX schema: <https://schema.org/> SELECT ?name WHERE { ?person a schema:Person ; schema:name ?name "
        'FILTER(CONTAINS(LCASE(STR(?name)), "bottou") || CONTAINS(LCASE(STR(?name)), "lecun")) }')
    assert sorted(str(name) for (name,) in rows) == ["Léon Bottou", "Yann LeCun"]  # one person each
