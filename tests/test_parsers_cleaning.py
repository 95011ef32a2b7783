"""Field cleaning: entities, tags, whitespace, NFC, LaTeX kept verbatim, the JMLR abstract trailer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.parsers.cleaning import clean_text, split_abstract_trailer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("&copy JMLR 2020", "© JMLR 2020"),  # legacy entity, no semicolon
        ("&copy; JMLR", "© JMLR"),
        ("Caf&eacute; &amp; bar &#233; &#x2014;", "Café & bar é —"),
        ("&ldquo;wrapper&rdquo;", "“wrapper”"),
        ("e\u0301cole", "école"),  # NFC
        ("e&#769;cole", "école"),  # NFC after decoding
        ("  a \t b\n c  ", "a b c"),
        ("first  paragraph\n\n\n  second\nparagraph ", "first paragraph\n\nsecond paragraph"),
        ("a&nbsp;b", "a b"),
        ("", ""),
        ("   \n  ", ""),
    ],
)
def test_clean_text_decodes_entities_and_collapses_whitespace(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<b>bold</b>face", "boldface"),
        ("We propose <B>Torch</B> and <i class='x'>friends</i>.", "We propose Torch and friends."),
        ("line<br>break<br/>here", "line break here"),
        ("<p>one</p><p>two</p>", "one two"),
        ("&lt;b&gt; is a tag", "<b> is a tag"),  # escaped tags are text, not markup
        ("x < y and y > z", "x < y and y > z"),
        ("<unknown>kept</unknown>", "<unknown>kept</unknown>"),
    ],
)
def test_clean_text_drops_html_tags_only(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    "latex",
    [
        r"$O(\log(1/\epsilon))$",
        r"\citep{mnist}",
        r"\citet{recht2018cifar, recht2019imagenet}",
        "``barn spider''",
        r"$68\%$ to $46\%$ on class \#8889",
        r"$O((1-\beta_1)^{-3})$",
        r"$\mathcal{O}(\log(N)/\sqrt{N})$",
        r"$x<b>y$",  # looks like a tag, but it is inside math
        r"$a  \quad  b$",  # spacing inside math is the author's
        r"$$\sum_i x_i$$",
        "---averaged over all classes and samples---",
    ],
)
def test_clean_text_keeps_latex_byte_for_byte(latex):
    assert clean_text(latex) == latex
    assert clean_text(f"before {latex} after") == f"before {latex} after"


@settings(database=None)
@given(st.text(alphabet="abxyz <>/^_{}()12+-=|!'`\"é\t", min_size=1))
def test_clean_text_never_changes_inline_math(math):
    assert f"${math}$" in clean_text(f"see ${math}$ here")


SAMPLE_ABSTRACT = "the robustness of AdaGrad-Norm extends to the models in deep learning."


@pytest.mark.parametrize(
    ("trailer", "copyright_"),
    [
        (" [abs] [ pdf ][ bib ] &copy JMLR 2020. ( edit, beta )", "© JMLR 2020"),
        (" [abs] [ pdf ][ bib ] © JMLR 2020. ( edit, beta )", "© JMLR 2020"),
        (" [ pdf ][ bib ] [code] &copy JMLR 2007. ( edit, beta )", "© JMLR 2007"),
        (" [code] [bib] [abs] © JMLR 2010.", "© JMLR 2010"),
        (" &copy; JMLR 2016 [abs]", "© JMLR 2016"),
        (" ( edit, beta ) [bib][abs]", None),
        (" [abs] [ pdf ]", None),
        (" [ABS] [ PDF ][ BIB ] &copy JMLR 2020. (edit,beta)", "© JMLR 2020"),
        (" © Springer-Verlag Berlin Heidelberg 2012.", "© Springer-Verlag Berlin Heidelberg 2012"),
        ("", None),
    ],
)
def test_split_abstract_trailer_removes_chrome_and_keeps_copyright(trailer, copyright_):
    assert split_abstract_trailer(SAMPLE_ABSTRACT + trailer) == (SAMPLE_ABSTRACT, copyright_)


def test_split_abstract_trailer_keeps_latex_before_the_trailer():
    abstract = r"at the $\mathcal{O}(1/N)$ rate, cf. \citep{mnist}."
    assert split_abstract_trailer(abstract + " [abs] [ pdf ][ bib ] &copy JMLR 2020. ( edit, beta )") == (
        abstract,
        "© JMLR 2020",
    )


@pytest.mark.parametrize(
    "abstract",
    [
        "We mark it with the © sign in prose.",  # no year: not a copyright statement
        "Memory Mosaics [Zhang et al., 2025], networks of associative memories.",
        "Two numbers (e.g. 3 and 4) in brackets [1].",
    ],
)
def test_split_abstract_trailer_leaves_prose_alone(abstract):
    assert split_abstract_trailer(abstract) == (abstract, None)
