"""Headless Chromium (Debian's, driven by Playwright) on the real gunicorn server.

Each test saves a full-page screenshot under test-artifacts/ and fails on any console error
(a CSP violation included). The SPARQL query and results page has its own: tests/test_web_sparql_page.py.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_home_page_searches_and_links_to_an_author(gunicorn_server, page):
    page.goto(gunicorn_server.url)
    expect(page.locator("h1")).to_be_visible()
    page.fill("#q", "bottou")
    page.press("#q", "Enter")
    link = page.get_by_role("link", name="Léon Bottou").first
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(gunicorn_server.uri("author/leon-bottou"))
    expect(page.locator("h1")).to_have_text("Léon Bottou")


def test_author_page_lists_works_name_variants_and_coauthors(gunicorn_server, page):
    page.goto(gunicorn_server.uri("author/leon-bottou"))
    expect(page.locator("h2", has_text="Works")).to_contain_text("15")
    expect(page.locator("article")).to_contain_text("Leon Bottou")  # the name variant
    expect(page.get_by_role("link", name="Memory Mosaics at scale").first).to_be_visible()
    expect(page.get_by_role("link", name="Alexandre Défossez").first).to_be_visible()
    page.get_by_role("link", name="Memory Mosaics at scale").first.click()
    expect(page).to_have_url(gunicorn_server.uri("paper/memory-mosaics-at-scale"))


def test_paper_page_shows_authors_versions_and_sources(gunicorn_server, page):
    page.goto(gunicorn_server.uri("paper/memory-mosaics-at-scale"))
    expect(page.locator("h1")).to_have_text("Memory Mosaics at scale")
    article = page.locator("article")
    expect(article).to_contain_text("Jianyu Zhang")
    expect(article).to_contain_text("NeurIPS")
    expect(article).to_contain_text("arXiv")
    expect(page.get_by_role("link", name=re.compile("researcher-profile-leon-bottou")).first).to_be_visible()
    why = page.locator("#identity")  # why the records are one work: each mention, its source, the evidence
    expect(why.locator("h2")).to_have_text("Why this is one work")
    expect(why).to_contain_text("2 mentions in the sources")
    expect(why).to_contain_text("the profile's subject 'l bottou' is an author")
    why.get_by_role("link", name="researcher-profile-leon-bottou").click()
    expect(page).to_have_url(re.compile("source/researcher-profile-leon-bottou$"))


def test_hostile_record_is_shown_as_text_and_runs_no_script(gunicorn_server, page):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(gunicorn_server.uri("author/mallory-o-hara"))
    page.get_by_role("link", name=re.compile("Escaping")).first.click()
    expect(page.locator("article")).to_contain_text("<script>alert('xss')</script>")
    expect(page.locator("article")).to_contain_text("{{ 7*7 }}")
    assert dialogs == []
