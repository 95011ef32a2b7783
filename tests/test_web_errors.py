"""One error body for every endpoint: JSON, HTML or an RDF comment by Accept (datasette test_error_shape)."""

from __future__ import annotations

import json
import os
import time

import pytest

from conftest import free_port, http_fetch, make_settings, start_gunicorn, stop
from kg.web import create_app

# (path, method, body, expected status) — one client error per endpoint family
FAULTS = [
    ("/no/such/page", "GET", None, 404),
    ("/author/nobody-at-all", "GET", None, 404),
    ("/paper/no-such-paper.ttl", "GET", None, 404),
    ("/venue/Not_A_Slug", "GET", None, 404),
    ("/source/nothing", "GET", None, 404),
    ("/sparql?query=SELECT%20%3Fx%20WHERE%20%7B", "GET", None, 400),
    ("/sparql?update=CLEAR%20ALL", "GET", None, 403),
    ("/dumps/no-such-file.nt.gz", "GET", None, 404),
    ("/author/leon-bottou?page=zero", "GET", None, 400),
    ("/void", "DELETE", None, 405),
]


request = http_fetch


@pytest.mark.parametrize("path, method, body, status", FAULTS, ids=[f[0] for f in FAULTS])
def test_json_error_shape(gunicorn_server, path, method, body, status):
    code, headers, data = request(gunicorn_server.url.rstrip("/") + path, "application/json", method, body)
    assert code == status
    assert headers.get_content_type() == "application/json"
    error = json.loads(data)["error"]
    assert set(error) == {"status", "title", "detail"} and error["status"] == status and error["detail"]
    assert "Accept" in headers.get("Vary", "")


@pytest.mark.parametrize("path, method, body, status", FAULTS, ids=[f[0] for f in FAULTS])
def test_html_error_shape(gunicorn_server, path, method, body, status):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    code, headers, data = request(gunicorn_server.url.rstrip("/") + path, browser, method, body)
    assert code == status and headers.get_content_type() == "text/html"
    assert f"<h1>{status} " in data.decode("utf-8")
    assert "Traceback" not in data.decode("utf-8")


def test_turtle_client_gets_a_turtle_comment(gunicorn_server):
    code, headers, data = request(gunicorn_server.uri("author/nobody-at-all"), "text/turtle")
    assert code == 404 and headers.get_content_type() == "text/turtle"
    assert all(line.startswith("# ") for line in data.decode("utf-8").splitlines())


def test_a_broken_store_is_a_503_without_details(tmp_path):
    """A store whose 'current' points nowhere: the server logs it and says nothing of its paths."""
    store = tmp_path / "store"
    store.mkdir()
    os.symlink("generations/g000009", store / "current")
    app = create_app(make_settings(store))
    for accept in ("application/json", "text/html"):
        response = app.test_client().get("/author/leon-bottou", headers={"Accept": accept})
        assert response.status_code == 503 and response.headers["Retry-After"]
        text = response.get_data(as_text=True)
        assert "try again later" in text and str(tmp_path) not in text and "Traceback" not in text


def test_a_store_that_cannot_be_read_is_503_with_retry_after_not_a_logged_bug(tmp_path):
    """A remote store that is down: the real server answers 503 + Retry-After, says nothing of
    where the store is, and logs one line instead of a traceback."""
    port, dead = free_port(), free_port()  # nothing listens on the store's port
    settings = make_settings(f"http://127.0.0.1:{dead}/", base_uri=f"http://127.0.0.1:{port}/",
                             artifacts_dir=tmp_path / "artifacts")
    process = start_gunicorn(settings, port)
    try:
        answers = {}
        deadline = time.monotonic() + 30  # bounded: the server is starting
        while len(answers) < 2 and time.monotonic() < deadline:
            assert process.poll() is None, process.log_path.read_text(errors="replace")
            try:
                answers = {path: http_fetch(f"http://127.0.0.1:{port}/{path}", accept=accept)
                           for path, accept in (("author/leon-bottou", "text/turtle"), ("", "text/html"))}
            except OSError:
                time.sleep(0.1)
        for path, (status, headers, body) in answers.items():
            assert status == 503 and int(headers["Retry-After"]) >= 1, (path, status)
            assert b"try again later" in body and str(dead).encode() not in body
        log = process.log_path.read_text(errors="replace")
        assert "store unavailable on GET /author/leon-bottou" in log and "Traceback" not in log
    finally:
        stop(process)
