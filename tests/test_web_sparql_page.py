"""The SPARQL endpoint for people: a query in a link (or the form) opened in a browser answers an
HTML results page; every other client gets what it got before.

Two ways, as conftest says: the page's HTML through Flask's test client (``web_client``, both
stores), and headless Chromium on the real gunicorn server (``gunicorn_server``): shared links, the
form with and without JavaScript, downloads, a syntax error's caret, escaping, and the layout at
390 and 1280 px. Screenshots of the results page go to ``$KG_SCREENSHOTS`` (else pytest's tmp_path):
evidence for people; the assertions are the test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import urllib.parse
import warnings
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import lxml.html
import pytest
from playwright.sync_api import expect
from rdflib import RDF, Graph, Literal
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from test_web_sparql import (
    ASK_MALLORY,
    CARTESIAN,
    CONSTRUCT_PERSONS,
    COUNT_PERSONS,
    PERSONS,
    PREFIX,
    SPARQL_JSON,
    SPARQL_XML,
    TABBED_ERROR,
    parser_message,
)

from conftest import http_fetch, in_process
from kg.vocab import SCHEMA
from kg.web.sparql import MAX_GET_TARGET
from kg.web.sparql_page import HTML_ROWS

CHROMIUM_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
                   "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")  # what Chromium sends for a page
NAMES = PREFIX + "SELECT ?p ?name WHERE { ?p a schema:Person ; schema:name ?name } ORDER BY ?name ?p"
MANY_ROWS = PREFIX + ("SELECT ?a ?b ?k WHERE { ?a a schema:Person . ?b a schema:Person . VALUES ?k { 1 2 } }")
MANY = 2 * PERSONS * PERSONS  # 1,458 rows: more than a page shows
HOSTILE_TERMS = PREFIX + """SELECT ?title ?script ?quoted ?js ?tagged ?number WHERE {
  ?work a schema:ScholarlyArticle ; schema:name ?title . FILTER(CONTAINS(?title, "</script>"))
  BIND("<script>alert('cell')</script>" AS ?script)
  BIND(<http://example.org/o'hara?a=1&b=2> AS ?quoted)
  BIND(<javascript:alert(1)> AS ?js)
  BIND("sur l'\\"eau\\""@fr AS ?tagged)
  BIND(42 AS ?number)
}"""
SERVICE_QUERY = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"


def page_url(server, text: str, **parameters) -> str:
    return server.uri("sparql") + "?" + urllib.parse.urlencode({"query": text, **parameters}, doseq=True)


def browse(server, text: str, **parameters):
    """GET the query's link as Chromium would; (status, headers, parsed HTML)."""
    status, headers, body = server.fetch(page_url(server, text, **parameters), CHROMIUM_ACCEPT)
    return status, headers, lxml.html.fromstring(body.decode("utf-8")), body.decode("utf-8")


def rows(document) -> list[list[str]]:
    table = document.xpath('//*[@id="result-table"]/tbody/tr')
    return [[cell.text_content() for cell in row.xpath("td")] for row in table]


def editor(document) -> str:
    """The query in the editor, as a browser reads it: HTML drops the line break right after <textarea>
    (the page writes one, so a query's own first line break stays); libxml2 does not."""
    return document.xpath('//textarea[@id="query"]')[0].text_content().removeprefix("\n")


def text_of(document, element_id: str) -> str:
    found = document.xpath(f'//*[@id="{element_id}"]')
    assert found, f"no #{element_id}"
    return found[0].text_content()


# -- the page, through the test client -----------------------------------------------------------


def test_a_browser_gets_the_bindings_as_a_table_with_the_query_in_the_editor(web_client):
    status, headers, document, _ = browse(web_client, NAMES)
    assert (status, headers.get_content_type()) == (200, "text/html")
    assert "Accept" in headers["Vary"]
    assert [th.text_content() for th in document.xpath('//*[@id="result-table"]/thead//th')] == ["?p", "?name"]
    table = rows(document)
    assert len(table) == PERSONS and text_of(document, "result-count") == f"{PERSONS} rows."
    assert ["Léon Bottou" in row[1] for row in table].count(True) == 1
    [bottou] = document.xpath(f'//*[@id="result-table"]//a[@title="{web_client.uri("author/leon-bottou")}"]')
    assert bottou.get("href") == "/author/leon-bottou"  # our own URI: its page on this server
    assert bottou.text_content() == "author:leon-bottou"  # as the Turtle dump writes it
    assert editor(document) == NAMES


@pytest.mark.parametrize("text, accept, media_type", [
    (NAMES, None, SPARQL_JSON),
    (NAMES, "*/*", SPARQL_JSON),
    (NAMES, "text/*", "text/csv"),
    (NAMES, "application/sparql-results+json, text/html", SPARQL_JSON),  # a tie: the machine format
    (NAMES, "text/html;q=0.5, application/sparql-results+xml", SPARQL_XML),
    (CONSTRUCT_PERSONS, "text/*", "text/turtle"),
    (CONSTRUCT_PERSONS, None, "text/turtle"),
], ids=["none", "any", "text-any", "tie", "lower-q", "construct-text-any", "construct-none"])
def test_clients_that_do_not_prefer_html_get_the_formats_they_got(web_client, text, accept, media_type):
    reply = web_client.fetch(page_url(web_client, text), accept)
    assert (reply[0], reply[1].get_content_type()) == (200, media_type)


@pytest.mark.parametrize("text, form", [(NAMES, "select"), (CONSTRUCT_PERSONS, "construct"), (ASK_MALLORY, "ask")],
                         ids=["select", "construct", "ask"])
def test_sparqlwrapper_accept_headers_never_get_html(web_client, text, form):
    expected = {"select": {JSON: SPARQL_JSON, XML: SPARQL_XML, CSV: "text/csv", TSV: "text/tab-separated-values",
                           TURTLE: SPARQL_JSON, N3: SPARQL_JSON, JSONLD: SPARQL_JSON, RDFXML: SPARQL_JSON},
                "construct": {JSON: "text/turtle", XML: "application/rdf+xml", CSV: "text/turtle", TSV: "text/turtle",
                              TURTLE: "text/turtle", N3: "text/turtle", JSONLD: "application/ld+json",
                              RDFXML: "application/rdf+xml"},
                "ask": {JSON: SPARQL_JSON, XML: SPARQL_XML, CSV: None, TSV: None, TURTLE: SPARQL_JSON,
                        N3: SPARQL_JSON, JSONLD: SPARQL_JSON, RDFXML: SPARQL_JSON}}[form]
    for return_format, media_type in expected.items():
        accept = sparqlwrapper_accept(text, return_format)
        status, headers, _ = web_client.fetch(page_url(web_client, text), accept)
        assert (status, headers.get_content_type() if status == 200 else None) == (
            (200, media_type) if media_type else (406, None)), (return_format, accept)


def sparqlwrapper_accept(text: str, return_format: str) -> str:
    """The Accept header SPARQLWrapper sends for a query and a return format."""
    client = SPARQLWrapper("http://127.0.0.1/sparql")
    client.setQuery(text)
    client.setReturnFormat(return_format)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # it warns when a format does not fit and sends */*
        return client._getAcceptHeader()


def test_the_accept_parameter_stands_for_the_header(web_client):
    status, headers, body = web_client.fetch(page_url(web_client, NAMES, accept="text/csv"), CHROMIUM_ACCEPT)
    assert (status, headers.get_content_type()) == (200, "text/csv")
    assert len(list(csv.reader(io.StringIO(body.decode("utf-8"))))) == PERSONS + 1
    assert web_client.fetch(page_url(web_client, NAMES, accept="text/html"), SPARQL_JSON)[1].get_content_type() \
        == "text/html"
    status, _, body = web_client.fetch(page_url(web_client, NAMES, accept=["text/csv", "text/html"]), SPARQL_JSON)
    assert status == 400 and "at most one accept parameter" in json.loads(body)["error"]["detail"]
    assert web_client.fetch(page_url(web_client, NAMES, accept="image/png"), SPARQL_JSON)[0] == 406


def test_ask_shows_true_or_false_and_construct_its_triples(web_client):
    _, _, document, _ = browse(web_client, ASK_MALLORY)
    assert text_of(document, "result-boolean") == "true"
    assert [link.get("type") for link in document.xpath('//*[@id="downloads"]//a')] == [SPARQL_JSON, SPARQL_XML]
    _, _, document, _ = browse(web_client, CONSTRUCT_PERSONS)
    assert [th.text_content() for th in document.xpath("//thead//th")] == ["subject", "predicate", "object"]
    triples = rows(document)
    assert len(triples) == 2 * PERSONS and text_of(document, "result-count") == f"{2 * PERSONS} triples."
    assert ["rdf:type", "schema:Person"] in [row[1:] for row in triples]
    name = document.xpath('//td/a[text()="schema:name"]')[0]
    assert (name.get("href"), name.get("title")) == ("https://schema.org/name", "https://schema.org/name")
    assert [link.get("download") for link in document.xpath('//*[@id="downloads"]//a')] == [
        "results.ttl", "results.nt", "results.jsonld", "results.rdf"]


def test_rows_past_the_cap_are_counted_and_the_downloads_give_them_all(web_client):
    _, _, document, _ = browse(web_client, MANY_ROWS)
    assert len(rows(document)) == HTML_ROWS < MANY
    assert text_of(document, "result-count").startswith(f"{MANY:,} rows")
    assert f"only the first {HTML_ROWS:,} are shown" in text_of(document, "result-cut")
    link = document.xpath('//*[@id="downloads"]//a[@type="text/csv"]')[0].get("href")
    status, headers, body = web_client.fetch(link)  # no Accept: the parameter decides
    assert (status, headers.get_content_type()) == (200, "text/csv")
    assert len(list(csv.reader(io.StringIO(body.decode("utf-8"))))) == MANY + 1


def test_every_term_is_escaped_and_only_http_iris_are_links(web_client):
    status, _, document, body = browse(web_client, HOSTILE_TERMS)
    assert status == 200
    assert "<script>alert" not in body and "</script><script>" not in body
    assert "&lt;script&gt;alert(&#39;cell&#39;)&lt;/script&gt;" in body
    assert 'href="http://example.org/o&#39;hara?a=1&amp;b=2"' in body
    [row] = rows(document)
    assert row[0].startswith('Escaping "quotes" & ') and row[0].endswith(": a </script> study")
    assert row[1] == "<script>alert('cell')</script>"
    quoted = document.xpath('//td/a[@class="external"]')[0]
    assert quoted.get("href") == "http://example.org/o'hara?a=1&b=2"
    assert quoted.get("rel") == "nofollow noopener noreferrer"
    assert not document.xpath('//a[starts-with(@href, "javascript:")]') and row[3] == "javascript:alert(1)"
    assert (row[4], row[5]) == ("sur l'\"eau\" @fr", "42 xsd:integer")
    assert not [s for s in document.xpath("//script") if not s.get("src")]


def test_a_syntax_error_shows_line_column_and_a_caret_under_the_place(web_client):
    status, _, document, _ = browse(web_client, TABBED_ERROR)
    assert status == 400
    assert document.xpath("//h1")[0].text_content() == "400 Bad Request"
    message = parser_message(TABBED_ERROR)
    assert (text_of(document, "error-line"), text_of(document, "error-column")) == ("3", "36")
    assert message == f"error at 3:36: {text_of(document, 'error-message')}"
    place = document.xpath('//*[@id="error-place"]')[0]
    line, caret = place.text_content().split("\n")
    assert line == '\t?p schema:name "Léon" . BIND(1 AS 2) }'
    assert caret == "\t" + " " * 34 + "^" and line[caret.index("^")] == "2" == place.xpath("mark")[0].text_content()
    assert editor(document) == TABBED_ERROR.replace("\r\n", "\n")  # HTML reads CR LF as LF


def test_an_error_past_the_end_of_the_line_marks_its_end(web_client):
    text = "SELECT * WHERE {\n  ?s ?p"
    _, _, document, _ = browse(web_client, text)
    assert parser_message(text).startswith("error at 2:8: ")  # the 8th character of a line of 7
    line, caret = document.xpath('//*[@id="error-place"]')[0].text_content().split("\n")
    assert (line, caret) == ("  ?s ?p ", " " * 7 + "^")  # under the marked blank after the line's end


@pytest.fixture(scope="module")
def small_results(web_sample):
    """The sample behind an app with a 2,000-byte result cap."""
    with in_process(replace(web_sample, max_result_bytes=2000)) as app:
        yield app.test_client()


def test_the_endpoint_limits_hold_for_the_page(small_results):
    status, _, document, _ = browse(small_results, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 422 and "larger than 2000 bytes" in text_of(document, "error-message")
    status, _, document, _ = browse(small_results, SERVICE_QUERY)
    assert status == 400 and "SERVICE" in text_of(document, "error-message")
    status, _, body = small_results.fetch(small_results.uri("sparql") + "?update=CLEAR%20ALL", CHROMIUM_ACCEPT)
    assert status == 403 and b"read-only" in body
    status, _, _ = small_results.fetch(page_url(small_results, "#" * 70000 + "\nASK {}"), CHROMIUM_ACCEPT)
    assert status == 413


def test_a_query_stopped_at_the_time_limit_is_a_503_page_with_retry_after(web_client):
    status, headers, document, _ = browse(web_client, CARTESIAN)
    assert status == 503 and int(headers["Retry-After"]) >= 1
    assert "time limit" in text_of(document, "error-message")
    assert editor(document) == CARTESIAN


def test_a_query_too_long_for_a_link_is_downloaded_by_forms_that_post_it(web_client):
    text = "# " + "padding " * (MAX_GET_TARGET // 8) + "\n" + NAMES
    status, _, body = web_client.fetch(web_client.uri("sparql"), CHROMIUM_ACCEPT, "POST",
                                       urllib.parse.urlencode({"query": text}).encode("ascii"))
    assert status == 200
    document = lxml.html.fromstring(body.decode("utf-8"))
    assert len(rows(document)) == PERSONS
    assert not document.xpath('//*[@id="downloads"]//a')
    forms = document.xpath('//*[@id="downloads"]//form')
    assert [f.get("method") for f in forms] == ["post"] * 4
    fields = dict(forms[2].form_values())
    assert fields == {"query": text, "accept": "text/csv"}
    status, headers, body = web_client.fetch(web_client.uri("sparql"), None, "POST",
                                             urllib.parse.urlencode(fields).encode("utf-8"))
    assert (status, headers.get_content_type()) == (200, "text/csv")
    assert len(list(csv.reader(io.StringIO(body.decode("utf-8"))))) == PERSONS + 1


def test_the_dataset_parameters_stay_with_the_page_and_its_downloads(web_client):
    graph = web_client.uri("source/researcher-profile-leon-bottou")
    _, _, document, _ = browse(web_client, COUNT_PERSONS, **{"default-graph-uri": graph})
    assert rows(document) == [["1 xsd:integer"]]  # the profile's subject alone
    assert document.xpath('//form[@id="query-form"]//input[@name="default-graph-uri"]')[0].get("value") == graph
    link = document.xpath('//*[@id="downloads"]//a')[0].get("href")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["default-graph-uri"] == [graph]
    assert json.loads(web_client.fetch(link)[2])["results"]["bindings"][0]["n"]["value"] == "1"


def test_the_examples_are_links_that_run_them(web_client):
    _, _, document, _ = browse(web_client, NAMES)
    links = document.xpath('//a[@class="example"]')
    assert links and all(urllib.parse.urlsplit(a.get("href")).path == "/sparql" for a in links)


# -- in Chromium, on the real server -------------------------------------------------------------


def screenshot_dir(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("KG_SCREENSHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@contextmanager
def browser_page(chromium, expected_errors: tuple[int, ...] = (), **context_options):
    """A page in a new browser context (``context_options``: viewport, JavaScript); fails on console errors."""
    context = chromium.new_context(**context_options)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message) -> None:
        deliberate = any(f"status of {status} " in message.text for status in expected_errors)
        if message.type == "error" and not deliberate:
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"browser console errors: {errors}"


def test_a_shared_link_shows_the_table_and_its_links_lead_to_the_pages(gunicorn_server, page):
    page.goto(page_url(gunicorn_server, NAMES))
    expect(page.locator("#result-table tbody tr")).to_have_count(PERSONS)
    expect(page.locator("#query")).to_have_value(NAMES)
    page.locator("#result-table").get_by_role("link", name="author:leon-bottou", exact=True).click()
    expect(page).to_have_url(gunicorn_server.uri("author/leon-bottou"))
    expect(page.locator("h1")).to_have_text("Léon Bottou")


def query_in(url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["query"][0]


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_run_puts_the_query_in_the_url(gunicorn_server, chromium, javascript):
    with browser_page(chromium, java_script_enabled=javascript) as page:
        page.goto(gunicorn_server.uri("sparql"))
        expect(page.locator("h1")).to_have_text("SPARQL query")
        page.fill("#query", NAMES)
        page.click("#run")
        expect(page.locator("#result-table tbody tr")).to_have_count(PERSONS)
        assert query_in(page.url).replace("\r\n", "\n") == NAMES  # a form sends line breaks as CR LF
        page.reload()  # the URL is the whole state: a bookmark shows the same page
        expect(page.locator("#result-table tbody tr")).to_have_count(PERSONS)


def test_a_query_too_long_for_a_url_is_posted_by_the_form(gunicorn_server, page):
    text = "# " + "padding " * (MAX_GET_TARGET // 8) + "\n" + NAMES
    page.goto(gunicorn_server.uri("sparql"))
    page.fill("#query", text)
    page.click("#run")
    expect(page.locator("#result-table tbody tr")).to_have_count(PERSONS)
    assert page.url == gunicorn_server.uri("sparql")
    expect(page.locator("#downloads form button")).to_have_count(4)


def test_an_example_link_runs_it_with_the_query_in_the_editor(gunicorn_server, page):
    page.goto(gunicorn_server.uri("sparql"))
    page.locator("a.example", has_text="count-works-per-venue").click()
    expect(page.locator("#result-table")).to_contain_text("NeurIPS")
    expect(page.locator("#query")).to_have_value(re.compile(r"COUNT\(DISTINCT \?work\)"))
    assert "COUNT(DISTINCT ?work)" in query_in(page.url)


def test_ask_and_construct_render(gunicorn_server, page):
    page.goto(page_url(gunicorn_server, ASK_MALLORY))
    expect(page.locator("#result-boolean")).to_have_text("true")
    page.goto(page_url(gunicorn_server, CONSTRUCT_PERSONS))
    expect(page.locator("#result-table tbody tr")).to_have_count(2 * PERSONS)
    expect(page.locator("#result-table")).to_contain_text("Mallory O'Hara")


def test_a_parse_error_shows_line_column_and_a_caret_under_the_place(gunicorn_server, page):
    page.expected_errors.append(400)
    page.goto(page_url(gunicorn_server, TABBED_ERROR))
    expect(page.locator("h1")).to_have_text("400 Bad Request")
    expect(page.locator("#error-line")).to_have_text("3")
    expect(page.locator("#error-column")).to_have_text("36")
    expect(page.locator("#error-place mark")).to_have_text("2")
    mark_left, caret_left = page.evaluate("""() => {
        const place = document.getElementById("error-place");
        const caretLine = place.lastChild, at = caretLine.textContent.lastIndexOf("^");
        const range = document.createRange();
        range.setStart(caretLine, at);
        range.setEnd(caretLine, at + 1);
        return [place.querySelector("mark").getBoundingClientRect().left, range.getBoundingClientRect().left];
    }""")
    assert abs(mark_left - caret_left) < 1  # drawn under the marked character, the tab included
    expect(page.locator("#query")).to_have_value(TABBED_ERROR.replace("\r\n", "\n"))


RESULT_PARSERS = {SPARQL_JSON: "json", SPARQL_XML: "xml", "text/csv": "csv", "text/tab-separated-values": "tsv"}


def test_download_links_give_the_results_in_each_format(gunicorn_server, page):
    page.goto(page_url(gunicorn_server, NAMES))
    links = page.locator("#downloads a").evaluate_all("links => links.map(a => [a.href, a.type])")
    assert [media_type for _, media_type in links] == list(RESULT_PARSERS)
    for href, media_type in links:
        status, headers, body = http_fetch(href)
        assert (status, headers.get_content_type()) == (200, media_type)
        result = Result.parse(io.BytesIO(body), format=RESULT_PARSERS[media_type])
        assert len(result) == PERSONS
        assert "Léon Bottou" in {str(row[1]) for row in result}
    assert len(json.loads(http_fetch(links[0][0])[2])["results"]["bindings"]) == PERSONS
    page.goto(page_url(gunicorn_server, CONSTRUCT_PERSONS))
    links = page.locator("#downloads a").evaluate_all("links => links.map(a => [a.href, a.type])")
    assert [media_type for _, media_type in links] == [
        "text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]
    for href, media_type in links:
        status, headers, body = http_fetch(href)
        assert (status, headers.get_content_type()) == (200, media_type)
        graph = Graph().parse(data=body.decode("utf-8"), format=media_type)
        assert len(set(graph.subjects(RDF.type, SCHEMA.Person))) == PERSONS
        assert Literal("Mallory O'Hara") in set(graph.objects(None, SCHEMA.name))


def test_script_in_the_data_is_shown_as_text_and_never_run(gunicorn_server, page):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(page_url(gunicorn_server, HOSTILE_TERMS))
    expect(page.locator("#result-table")).to_contain_text("<script>alert('cell')</script>")
    expect(page.locator("#result-table")).to_contain_text("a </script> study")
    expect(page.locator("#result-table script")).to_have_count(0)
    assert dialogs == []


WORKS_BY_AUTHOR = PREFIX + """SELECT ?author ?name ?work ?title ?year ?venueName WHERE {
  ?author a schema:Person ; schema:name ?name . FILTER(CONTAINS(LCASE(?name), "bottou"))
  ?work schema:author ?author ; schema:name ?title ; schema:workExample ?version .
  ?version schema:datePublished ?year . OPTIONAL { ?version schema:isPartOf/schema:name ?venueName }
} ORDER BY DESC(?year) ?title"""


@pytest.mark.parametrize("width", [390, 1280])
def test_the_results_page_fits_the_screen(gunicorn_server, chromium, tmp_path, request, width):
    with browser_page(chromium, viewport={"width": width, "height": 900}) as page:
        page.goto(page_url(gunicorn_server, WORKS_BY_AUTHOR))
        expect(page.locator("#result-table tbody tr").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        table = page.evaluate("""() => { const box = document.querySelector(".table-scroll");
            return [getComputedStyle(box).overflowX, box.getBoundingClientRect().right, window.innerWidth]; }""")
        assert table[0] == "auto" and table[1] <= table[2]  # a wide table scrolls in its own box
        path = screenshot_dir(tmp_path) / f"sparql-results-{request.node.callspec.id}.png"  # store kind, width
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
