"""Pages people read, in Debian's Chromium on the real gunicorn server, at a phone's width and a desktop's.

Screenshots of home, an author, a paper, a SPARQL results page and the dumps at 390 px and 1280 px
go to ``$KG_SCREENSHOTS`` (a directory; made if missing) or else to pytest's temporary directory.
Every page is checked for sideways scrolling: the document is no wider than the window, and no
element reaches past it unless it sits in a box that scrolls on its own. The paper page says its
abstract once and its authors in the record's order, shows a formatted reference that its copy
button copies, and the dumps pages give sizes as people read them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from anyascii import anyascii
from playwright.sync_api import expect

from conftest import SAMPLE_CLUSTER
from kg.parsers import parse_source
from kg.sources import read_source
from kg.web.display import human_size

WIDTHS = {"phone": 390, "desktop": 1280}
PERSONS = ("PREFIX schema: <https://schema.org/>\n"
           "SELECT ?person ?name WHERE { ?person a schema:Person ; schema:name ?name } ORDER BY ?name")
PAGES = {
    "home": "",
    "author": "author/leon-bottou",
    "paper": "paper/memory-mosaics-at-scale",
    "sparql-results": "sparql?query=" + quote(PERSONS),
    "dumps": "dumps/",
}
BIRTH = "paper/birth-of-a-transformer-a-memory-viewpoint"
MOSAICS = "paper/memory-mosaics-at-scale"

# Every element whose box reaches past the window's edges, unless an ancestor scrolls (or clips) it.
OVERFLOWING = """() => {
  const width = window.innerWidth, found = [];
  const boxed = (element) => {
    for (let up = element.parentElement; up && up !== document.documentElement; up = up.parentElement) {
      if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if ((box.width === 0 && box.height === 0) || (box.right <= width + 0.5 && box.left >= -0.5)) continue;
    if (!boxed(element)) {
      found.push(`<${element.tagName.toLowerCase()} class="${element.className}"> from ${Math.round(box.left)} `
                 + `to ${Math.round(box.right)} px: ${element.textContent.trim().slice(0, 60)}`);
    }
  }
  return found;
}"""


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    named = os.environ.get("KG_SCREENSHOTS")
    directory = Path(named) if named else tmp_path_factory.mktemp("screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def browse(chromium):
    """A page in a fresh browser context (``browse(width, **context options)``); console errors fail the test."""
    contexts, errors = [], []

    def open_page(width: int = WIDTHS["desktop"], **options):
        context = chromium.new_context(viewport={"width": width, "height": 844}, **options)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"browser console errors: {errors}"


def _store(request) -> str:
    return request.node.callspec.params.get("web_sample", "store")


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("name", PAGES)
def test_page_fits_the_window_without_sideways_scrolling(gunicorn_server, browse, screenshots, request, name, width):
    page = browse(width)
    response = page.goto(gunicorn_server.uri(PAGES[name]))
    assert response.status == 200 and response.headers["content-type"].startswith("text/html")
    page.screenshot(path=str(screenshots / f"{_store(request)}-{name}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
    assert page.evaluate(OVERFLOWING) == []


def test_the_narrow_nav_wraps_under_the_title_and_keeps_every_link(gunicorn_server, browse):
    page = browse(WIDTHS["phone"])
    page.goto(gunicorn_server.uri(MOSAICS))
    nav = page.locator("header nav")
    assert nav.evaluate("nav => nav.scrollWidth <= nav.clientWidth")
    for label in ("SPARQL", "Dumps", "VoID", "Validation"):
        expect(nav.get_by_role("link", name=label)).to_be_in_viewport()


def test_wide_tables_become_cards_on_a_phone(gunicorn_server, browse):
    page = browse(WIDTHS["phone"])
    page.goto(gunicorn_server.uri("author/leon-bottou"))
    works = page.locator("table.reflow").first
    first = works.locator("tbody tr").first
    cells = first.locator("td")
    assert cells.count() == 4
    boxes = [cells.nth(i).bounding_box() for i in range(4)]
    assert all(a["y"] < b["y"] for a, b in zip(boxes, boxes[1:], strict=False))  # stacked, not side by side
    assert cells.nth(2).evaluate("cell => getComputedStyle(cell, '::before').content") == '"Appeared in: "'


def _visible_text(page) -> str:
    return " ".join(page.locator("body").inner_text().split())


def test_the_paper_page_says_its_abstract_once(gunicorn_server, browse):
    page = browse()
    page.goto(gunicorn_server.uri(MOSAICS))
    text = _visible_text(page)
    assert text.count("networks of associative memories") == 1  # both sources' wordings share it
    abstract = " ".join(page.locator("#abstract blockquote").first.inner_text().split())
    assert text.count(abstract) == 1
    assert page.locator("#versions").inner_text().count("associative") == 0
    # the other source's wording is there, folded, and the statements table points to the section
    page.locator("#abstract details summary").click()
    assert _visible_text(page).count("networks of associative memories") == 2
    page.get_by_text("All statements").click()
    rows = page.locator("table.statements tr", has=page.locator("code", has_text="schema:abstract"))
    assert rows.count() == 2
    for row in rows.all():
        expect(row.get_by_role("link", name="the abstract shown above")).to_have_attribute("href", "#abstract")


def test_the_paper_page_is_shorter_than_it_was(gunicorn_server, browse):
    """4,427 px at 1280 px wide when every source's abstract stood under each version and in the table."""
    page = browse()
    page.goto(gunicorn_server.uri(MOSAICS))
    assert page.evaluate("document.documentElement.scrollHeight") < 2500


def _record_authors(title: str) -> list[str]:
    parsed = parse_source(read_source(SAMPLE_CLUSTER, "2026-01-01T00:00:00Z"))
    paper = next(record for record in parsed.papers if record.title == title)
    return [anyascii(name).lower() for name in paper.authors]


def test_author_lists_are_in_the_records_order(gunicorn_server, browse):
    page = browse()
    page.goto(gunicorn_server.uri(BIRTH))
    expected = _record_authors("Birth of a Transformer: A Memory Viewpoint")
    assert len(expected) == 5
    shown = page.locator("#authors ol.authors > li > a")
    assert [anyascii(name).lower() for name in shown.all_inner_texts()] == expected
    # the rdf:List of the statements table: the same persons, in order, linked
    page.get_by_text("All statements").click()
    row = page.locator("table.statements tr", has=page.locator("code", has_text="bibo:authorList"))
    expect(row).not_to_contain_text("an RDF list")
    listed = row.locator("ol.list > li > a")
    assert [anyascii(name).lower() for name in listed.all_inner_texts()] == expected
    assert listed.evaluate_all("links => links.map(a => a.href)") == shown.evaluate_all(
        "links => links.map(a => a.href)")


def test_the_formatted_citation_is_shown_and_the_button_copies_it(gunicorn_server, browse):
    page = browse(permissions=["clipboard-read", "clipboard-write"])
    uri = gunicorn_server.uri(BIRTH)
    page.goto(uri)
    reference = page.locator("#cite .reference")
    expect(reference).to_have_text("Bietti, A., Cabannes, V., Bouchacourt, D., Jegou, H., & Bottou, L. (2023). "
                                   f"Birth of a Transformer: A Memory Viewpoint. NeurIPS. {uri}")
    expect(page.locator("#cite")).to_contain_text("APA")
    for label in ("BibTeX", "CSL-JSON", "RIS"):
        expect(page.locator("#cite").get_by_role("link", name=label)).to_be_visible()
    page.get_by_role("button", name="Copy reference").click()
    expect(page.locator("#cite [role=status]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == reference.inner_text()


def test_a_preprint_is_cited_as_one(gunicorn_server, browse):
    page = browse()
    uri = gunicorn_server.uri("paper/invariant-risk-minimization")
    page.goto(uri)
    expect(page.locator("#cite .reference")).to_have_text(
        re.compile(r"\(2020\)\. Invariant Risk Minimization \[Preprint\]\. arXiv\. " + re.escape(uri) + "$"))


def test_without_javascript_the_reference_is_there_and_no_dead_button(gunicorn_server, browse):
    page = browse(java_script_enabled=False)
    page.goto(gunicorn_server.uri(BIRTH))
    expect(page.locator("#cite .reference")).to_contain_text("Birth of a Transformer")
    expect(page.get_by_role("button", name="Copy reference")).to_be_hidden()
    page.goto(gunicorn_server.uri("dumps/"))
    expect(page.locator("button.copy").first).to_be_hidden()


@pytest.mark.parametrize("path", ["dumps/", "void.html"])
def test_sizes_read_as_people_read_them_with_the_bytes_in_a_title(gunicorn_server, browse, path):
    listing = json.loads(gunicorn_server.fetch(gunicorn_server.uri("dumps/"), "application/json")[2])
    page = browse()
    page.goto(gunicorn_server.uri(path))
    for item in listing["files"]:
        row = page.locator("table.files tbody tr", has=page.get_by_role("link", name=item["name"], exact=True))
        size = row.locator("td[data-label=size] data")
        expect(size).to_have_text(human_size(item["bytes"]))
        expect(size).to_have_text(re.compile(r"^\d+(\.\d)? (bytes?|KiB|MiB|GiB)$"))
        expect(size).to_have_attribute("title", f"{item['bytes']:,} bytes")
        expect(size).to_have_attribute("value", str(item["bytes"]))
        if item["bytes"] >= 1000:  # the exact count is in the title, not in the text
            expect(row).not_to_contain_text(f"{item['bytes']:,}")


def test_a_checksum_wraps_and_its_button_copies_it_whole(gunicorn_server, browse):
    listing = json.loads(gunicorn_server.fetch(gunicorn_server.uri("dumps/"), "application/json")[2])
    page = browse(WIDTHS["phone"], permissions=["clipboard-read", "clipboard-write"])
    page.goto(gunicorn_server.uri("dumps/"))
    digest = page.locator("code.digest").first
    expect(digest).to_have_text(listing["files"][0]["sha256"])
    assert digest.bounding_box()["width"] <= WIDTHS["phone"]
    page.locator("button.copy").first.click()
    expect(page.locator(".copy-status").first).to_have_text("Copied")  # written once it says so
    assert page.evaluate("navigator.clipboard.readText()") == listing["files"][0]["sha256"]
