"""Citations of a work (BibTeX, CSL-JSON, RIS): by Accept on the bare URI and by plain URL.

Both ways through gunicorn, the rest through Flask's test client (``web_client``: the same application
answers; conftest says when to use which).
"""

from __future__ import annotations

import json

import pytest
from test_web_resources import fetch

from kg.vocab import FABIO
from kg.web.citations import (
    Citation,
    citation_key,
    escape_latex,
    escape_latex_abstract,
    format_bibtex,
    format_ris,
    split_name,
)

BIRTH = "paper/birth-of-a-transformer-a-memory-viewpoint"
BIRTH_AUTHORS = [["Bietti", "Alberto"], ["Cabannes", "Vivien"], ["Bouchacourt", "Diane"], ["Jegou", "Herve"],
                 ["Bottou", "Léon"]]
CITATION_ALTERNATES = [("bib", "application/x-bibtex"), ("csl.json", "application/vnd.citationstyles.csl+json"),
                       ("ris", "application/x-research-info-systems")]


def braces_balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


# -- over HTTP, and through the test client --------------------------------------------------------

@pytest.mark.parametrize(("suffix", "media"), CITATION_ALTERNATES)
def test_citation_by_accept_and_by_plain_url_agree(gunicorn_server, suffix, media):
    uri = gunicorn_server.uri(BIRTH)
    negotiated = fetch(gunicorn_server, uri, accept=media)
    plain = fetch(gunicorn_server, f"{uri}.{suffix}")
    assert negotiated.status == plain.status == 200
    assert negotiated.headers.get_content_type() == plain.headers.get_content_type() == media
    assert negotiated.headers.get_content_charset() == "utf-8"
    assert negotiated.body == plain.body
    assert negotiated.headers["Content-Location"] == f"{uri}.{suffix}"
    assert "Accept" in negotiated.headers["Vary"]
    assert f'<{uri}.{suffix}>; rel="alternate"; type="{media}"' in negotiated.links()


def test_csl_json_has_the_authors_in_order(web_client):
    uri = web_client.uri(BIRTH)
    items = json.loads(fetch(web_client, f"{uri}.csl.json").body)
    assert len(items) == 1
    item = items[0]
    assert [[a["family"], a["given"]] for a in item["author"]] == BIRTH_AUTHORS
    assert item["type"] == "paper-conference"
    assert item["title"] == "Birth of a Transformer: A Memory Viewpoint"
    assert item["issued"] == {"date-parts": [[2023]]}
    assert item["container-title"] == "NeurIPS"
    assert item["URL"] == item["id"] == uri
    assert fetch(web_client, f"{uri}.csl").body == fetch(web_client, f"{uri}.csl.json").body


def test_published_version_wins_over_a_later_preprint(web_client):
    item = json.loads(fetch(web_client, web_client.uri("paper/memory-mosaics-at-scale.csl.json")).body)[0]
    assert item["container-title"] == "NeurIPS" and item["issued"] == {"date-parts": [[2025]]}
    assert [a["family"] for a in item["author"]] == ["Zhang", "Bottou"]  # the list, not the profile's set


def test_bibtex_entry_types_and_keys(web_client):
    journal = fetch(web_client, web_client.uri("paper/the-need-for-open-source-software-in-machine-learning.bib")).text
    assert journal.startswith("@article{sonnenburg2007need,")
    assert "journal = {JMLR}" in journal and "year = {2007}" in journal
    conference = fetch(web_client, web_client.uri(f"{BIRTH}.bib")).text
    assert conference.startswith("@inproceedings{bietti2023birth,") and "booktitle = {NeurIPS}" in conference
    assert "author = {Bietti, Alberto and Cabannes, Vivien and Bouchacourt, Diane and Jegou, Herve and Bottou, Léon}" \
        in conference
    preprint = fetch(web_client, web_client.uri("paper/invariant-risk-minimization.bib")).text
    assert preprint.startswith("@misc{bottou2020invariant,") and "howpublished = {arXiv}" in preprint


def test_bibtex_keeps_abstract_latex_and_balances_braces(web_client):
    entry = fetch(web_client,
                  web_client.uri("paper/the-effects-of-regularization-and-data-augmentation-are-class-dependent"),
                  accept="application/x-bibtex").text
    assert r"$68\%$" in entry and r"class \#8889" in entry  # already-escaped LaTeX left alone
    assert braces_balanced(entry)


def test_bibtex_of_the_hostile_record_is_escaped(web_client):
    entry = fetch(web_client, web_client.uri("paper/escaping-quotes-tags-a-script-study.bib")).text
    assert entry.startswith("@article{ohara2021escaping,")
    assert r"title = {{Escaping " in entry and r"\&" in entry
    assert braces_balanced(entry)


@pytest.mark.parametrize(("path", "kind", "venue"), [
    (BIRTH, "CONF", "T2  - NeurIPS"),
    ("paper/adagrad-stepsizes-sharp-convergence-over-nonconvex-landscapes", "JOUR", "JO  - JMLR"),
    ("paper/symplectic-recurrent-neural-networks", "GEN", "T2  - arXiv"),
])
def test_ris_has_type_authors_and_end(web_client, path, kind, venue):
    text = fetch(web_client, web_client.uri(path), accept="application/x-research-info-systems").text
    lines = text.split("\r\n")
    assert lines[0] == f"TY  - {kind}"
    assert lines[-2] == "ER  - " and lines[-1] == ""
    assert venue in lines
    assert f"UR  - {web_client.uri(path)}" in lines
    assert any(line.startswith("AU  - Bottou, L") for line in lines)


def test_ris_author_order(web_client):
    lines = fetch(web_client, web_client.uri(f"{BIRTH}.ris")).text.split("\r\n")
    assert [line[6:] for line in lines if line.startswith("AU")] == [f"{f}, {g}" for f, g in BIRTH_AUTHORS]


def test_only_works_have_citations(web_client):
    assert fetch(web_client, web_client.uri("author/leon-bottou.bib")).status == 404
    assert fetch(web_client, web_client.uri("author/leon-bottou"), accept="application/x-bibtex").status == 406
    version = f"{BIRTH}/neurips-2023-conference-paper"
    assert fetch(web_client, web_client.uri(f"{version}.ris")).status == 404


def test_citation_by_q_value(web_client):
    answer = fetch(web_client, web_client.uri(BIRTH), accept="text/html;q=0.2, application/x-bibtex")
    assert answer.headers.get_content_type() == "application/x-bibtex"


# -- the serialisers themselves -----------------------------------------------------------------------

def test_latex_escaping_of_plain_fields():
    assert escape_latex("R&D 50% {x} a_b #1 $5 ~ ^ \\") == (
        r"R\&D 50\% \textbraceleft{}x\textbraceright{} a\_b \#1 \$5 \textasciitilde{} "
        r"\textasciicircum{} \textbackslash{}")


def test_abstract_latex_is_kept_but_made_safe():
    assert escape_latex_abstract(r"$O(\log n)$ at 5% \citep{x} R&D") == r"$O(\log n)$ at 5\% \citep{x} R\&D"
    assert escape_latex_abstract(r"already \% and \&") == r"already \% and \&"
    unbalanced = escape_latex_abstract("a } b {")
    assert braces_balanced(unbalanced) and "\\textbraceright{}" in unbalanced


@pytest.mark.parametrize(("name", "expected"), [
    ("Léon Bottou", ("Bottou", "Léon")),
    ("S. Sathiya Keerthi", ("Keerthi", "S. Sathiya")),
    ("Vincent van Gogh", ("van Gogh", "Vincent")),
    ("Mallory O'Hara", ("O'Hara", "Mallory")),
    ("Plato", ("Plato", "")),
])
def test_split_name(name, expected):
    assert split_name(name) == expected


def test_key_skips_stopwords_and_transliterates():
    citation = Citation("http://x/paper/a", "A Simple Proof", [("Défossez", "Alexandre")], "2022", "TMLR",
                        FABIO.JournalArticle, None)
    assert citation_key(citation) == "defossez2022simple"
    assert format_bibtex(citation).startswith("@article{defossez2022simple,\n  author = {Défossez, Alexandre},")


def test_ris_values_stay_on_one_line():
    citation = Citation("http://x/paper/a", "Two\nlines", [], None, None, None, "an\r\nabstract")
    assert format_ris(citation) == (
        "TY  - GEN\r\nTI  - Two lines\r\nAB  - an abstract\r\nUR  - http://x/paper/a\r\nER  - \r\n")


def test_a_formatted_reference_is_rendered_once_per_process_for_the_same_work():
    """citeproc-py's rendering is kept by the CSL item's content: the same work again (a page built
    after an ingest emptied the answer cache) is not rendered again; another work is."""
    from kg.web.citations import _formatted, format_reference

    work = Citation("http://x/paper/once", "Rendered Once", [("Bottou", "Léon")], "2024", "ICML",
                    FABIO.ConferencePaper, None)
    first = format_reference(work)
    before = _formatted.cache_info()
    assert format_reference(work) == first
    after = _formatted.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)
    other = format_reference(Citation("http://x/paper/twice", "Rendered Once", [("Bottou", "Léon")], "2025",
                                      "ICML", FABIO.ConferencePaper, None))
    assert other != first and _formatted.cache_info().misses == before.misses + 1
