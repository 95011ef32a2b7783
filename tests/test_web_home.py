"""The home page: counts from the manifest, links, and a search that escapes everything.

Served by gunicorn for the page itself; the search and its escaping through Flask's test client
(``web_client``: the same application answers; conftest says when to use which).
"""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import quote

import pytest

from conftest import http_fetch

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


fetch = http_fetch


def page(server, query: str | None = None) -> tuple[int, str]:
    """The home page from ``server``: gunicorn (over HTTP) or a test client."""
    url = server.url + (f"?q={quote(query, safe='')}" if query is not None else "")
    status, headers, body = server.fetch(url, BROWSER)
    if status == 200:
        assert headers.get_content_type() == "text/html"
    return status, body.decode("utf-8")


def results(html: str) -> list[tuple[str, str]]:
    """(href, text) of each search result."""
    found = re.findall(r'<ul class="results">(.*?)</ul>', html, re.S)
    links = re.findall(r'<a href="([^"]*)">([^<]*)</a>', "".join(found))
    return [(unescape(href), unescape(text)) for href, text in links]


def test_home_says_what_the_dataset_is_with_its_counts_and_links(gunicorn_server):
    status, html = page(gunicorn_server)
    assert status == 200
    manifest = json.loads(fetch(gunicorn_server.uri("dumps/manifest.json"), "application/json")[2])
    assert f"<h1>{gunicorn_server.settings.title}</h1>" in html and "schema.org" in html
    for key in ("persons", "works", "versions", "venues", "sources", "quads"):  # the current build's
        assert f'<th scope="row">{key}</th><td>{manifest["counts"][key]:,}</td>' in html, key
    for href in ("/sparql", "/dumps/", "/changes", "/void", "/validation"):
        assert f'href="{href}"' in html
    assert '<form method="get" action="/"' in html and 'name="q"' in html


@pytest.mark.parametrize("query", ["Bottou", "bOTTOU", "léon", "Leon Bottou"])
def test_search_finds_a_person_by_any_case_and_spelling(web_client, query):
    status, html = page(web_client, query)
    assert status == 200
    assert (web_client.uri("author/leon-bottou"), "Léon Bottou") in results(html)


def test_search_finds_works_by_title(web_client):
    found = results(page(web_client, "memory mosaics")[1])
    assert (web_client.uri("paper/memory-mosaics-at-scale"), "Memory Mosaics at scale") in found
    assert all(href.startswith(web_client.uri("paper/")) for href, _text in found)


def test_a_hostile_search_text_is_escaped(web_client):
    status, html = page(web_client, "<script>alert(1)</script>")
    assert status == 200
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "No person or work matches." in html


def test_hostile_titles_in_results_are_escaped(web_client):
    status, html = page(web_client, "</script>")
    assert status == 200
    found = results(html)
    assert len(found) == 1 and found[0][1] == 'Escaping "quotes" & tags: a </script> study'
    assert "a </script> study" not in html and "a &lt;/script&gt; study" in html


@pytest.mark.parametrize("query", [
    '"', "\\", "\\u0022", '") } } SELECT * WHERE { ?s ?p ?o } #', 'x" || true || "', "\\\"", "line\nbreak",
    "%41", "'", "{{ 7*7 }}", "\u0000",
])
def test_search_text_cannot_change_the_query(web_client, query):
    status, html = page(web_client, query)
    assert status == 200, html
    section = html.split("<h2>Results")[1].split("</section>")[0]
    assert "{{ 7*7 }}" not in query or "49" not in section.replace(web_client.url, "")  # not a template
    for _href, text in results(html):
        assert query.lower() in text.lower(), (query, text)
    if query not in ('"', "'"):
        assert "No person or work matches." in section


def test_a_quote_matches_literally(web_client):
    found = results(page(web_client, '"quotes"')[1])
    assert [text for _href, text in found] == ['Escaping "quotes" & tags: a </script> study']


def test_an_apostrophe_matches_literally(web_client):
    found = results(page(web_client, "o'hara")[1])
    assert found == [(web_client.uri("author/mallory-o-hara"), "Mallory O'Hara")]


def test_search_results_are_bounded(web_client):
    status, html = page(web_client, "e")
    assert status == 200 and 0 < len(results(html)) <= 50


def test_a_too_long_search_is_refused(web_client):
    status, html = page(web_client, "x" * 201)
    assert status == 400 and "at most 200" in html


def test_the_home_page_is_html_only(web_client):
    status, headers, body = web_client.fetch(web_client.url, "application/ld+json")
    assert status == 406 and json.loads(body)["error"]["status"] == 406


def test_each_search_has_its_own_etag(web_client):
    tags = [web_client.fetch(web_client.url + suffix, BROWSER)[1]["ETag"] for suffix in ("", "?q=bottou", "?q=memory")]
    assert len(set(tags)) == 3
    status, _headers, body = web_client.fetch(web_client.url + "?q=bottou", BROWSER, If_None_Match=tags[1])
    assert status == 304 and body == b""
