"""One error body for every endpoint: JSON, HTML or an RDF comment by Accept (datasette test_error_shape)."""

from __future__ import annotations

import importlib
import json
import logging
import os
import pkgutil
import time

import pytest
from flask import Flask

import kg
import kg.store
import kg.store.runner
from conftest import free_port, http_fetch, make_settings, start_gunicorn, stop
from kg.errors import ConfigError, KgError, QueryRefused, QueryTimeout, ResultTooLarge, StoreError
from kg.store.sparql_http import EndpointError
from kg.web import create_app
from kg.web.errors import register_error_handlers

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


# Through Flask's test client (``web_client``: the same application answers; conftest says when to use
# which); the 503 of a store that cannot be read is answered by the real server, below.
@pytest.mark.parametrize("path, method, body, status", FAULTS, ids=[f[0] for f in FAULTS])
def test_json_error_shape(web_client, path, method, body, status):
    code, headers, data = web_client.fetch(web_client.url.rstrip("/") + path, "application/json", method, body)
    assert code == status
    assert headers.get_content_type() == "application/json"
    error = json.loads(data)["error"]
    assert set(error) == {"status", "title", "detail"} and error["status"] == status and error["detail"]
    assert "Accept" in headers.get("Vary", "")


@pytest.mark.parametrize("path, method, body, status", FAULTS, ids=[f[0] for f in FAULTS])
def test_html_error_shape(web_client, path, method, body, status):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    code, headers, data = web_client.fetch(web_client.url.rstrip("/") + path, browser, method, body)
    assert code == status and headers.get_content_type() == "text/html"
    assert f"<h1>{status} " in data.decode("utf-8")
    assert "Traceback" not in data.decode("utf-8")


def test_turtle_client_gets_a_turtle_comment(web_client):
    code, headers, data = web_client.fetch(web_client.uri("author/nobody-at-all"), "text/turtle")
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


# -- one error hierarchy: every exception kg defines says its exit code and HTTP status ----------


def kg_exception_classes() -> list[type[Exception]]:
    """Every Exception subclass defined in kg, once all its modules are imported (not kg.__main__,
    which runs the CLI on import)."""
    for module in pkgutil.walk_packages(kg.__path__, "kg."):
        if module.name != "kg.__main__":
            importlib.import_module(module.name)
    found: set[type[Exception]] = set()
    todo: list[type[Exception]] = [Exception]
    while todo:
        for subclass in todo.pop().__subclasses__():
            if subclass not in found:
                found.add(subclass)
                todo.append(subclass)
    return sorted((c for c in found if c.__module__ == "kg" or c.__module__.startswith("kg.")),
                  key=lambda c: f"{c.__module__}.{c.__qualname__}")


def test_every_exception_kg_defines_is_a_kg_error_with_exit_code_and_http_status():
    classes = kg_exception_classes()
    names = {c.__name__ for c in classes}
    assert {"StoreError", "QueryRefused", "EndpointError", "DuplicateKeyError", "UnsupportedShapeError"} <= names
    for cls in classes:
        where = f"{cls.__module__}.{cls.__qualname__}"
        assert issubclass(cls, KgError), f"{where} must derive from kg.errors.KgError"
        assert type(cls.exit_code) is int and cls.exit_code in (1, 2, 3), where
        assert type(cls.http_status) is int and 400 <= cls.http_status <= 599, where
        assert cls.title and (cls.public_detail is None or cls.public_detail), where


def test_query_errors_keep_their_old_import_paths():
    assert kg.store.QueryRefused is kg.store.runner.QueryRefused is QueryRefused
    assert kg.store.QueryTimeout is kg.store.runner.QueryTimeout is QueryTimeout
    assert kg.store.ResultTooLarge is kg.store.runner.ResultTooLarge is ResultTooLarge


GENERIC = "an internal error occurred; it has been logged"
STORE_DOWN = "the store cannot be read right now; try again later"
ANSWERS = [  # error raised, status, title, detail shown, Retry-After sent, how it is logged
    (QueryRefused("SERVICE is disabled"), 400, "Bad Request", "SERVICE is disabled", False, None),
    (QueryTimeout("ran too long"), 503, "Service Unavailable", "ran too long", True, None),
    (ResultTooLarge("too big"), 422, "Unprocessable Content", "too big", False, None),
    (StoreError("/srv/store", "gone"), 503, "Service Unavailable", STORE_DOWN, True,
     "store unavailable on GET /fail: store /srv/store: gone"),
    (ConfigError("KG_X", 1, "no"), 500, "Internal Server Error", GENERIC, False, "traceback"),
    (EndpointError("http://store/", 502, "bad"), 500, "Internal Server Error", GENERIC, False, "traceback"),
    (RuntimeError("a bug"), 500, "Internal Server Error", GENERIC, False, "traceback"),
]


@pytest.mark.parametrize("error, status, title, detail, retry, logged", ANSWERS,
                         ids=[type(a[0]).__name__ for a in ANSWERS])
def test_one_handler_answers_each_error_as_its_class_says(tmp_path, caplog, error, status, title, detail, retry,
                                                          logged):
    app = Flask(__name__)
    app.config["KG_SETTINGS"] = make_settings(tmp_path / "store", query_timeout=6.5)
    register_error_handlers(app)

    @app.route("/fail")
    def fail():
        raise error

    with caplog.at_level(logging.WARNING, logger="kg.web"):
        response = app.test_client().get("/fail", headers={"Accept": "application/json"})
    assert response.status_code == status
    assert response.get_json() == {"error": {"status": status, "title": title, "detail": detail}}
    assert response.headers.get("Retry-After") == ("7" if retry else None)
    records = [r for r in caplog.records if r.name == "kg.web"]
    if logged is None:
        assert not records
    elif logged == "traceback":
        assert len(records) == 1 and records[0].exc_info and records[0].getMessage() == "unhandled error on GET /fail"
    else:
        assert len(records) == 1 and not records[0].exc_info and records[0].getMessage() == logged


def test_cli_reports_an_escaped_internal_error_as_a_bug(tmp_path, run_kg, monkeypatch):
    def down(_settings):
        raise EndpointError("http://store/", 502, "bad gateway")

    monkeypatch.setattr("kg.cli.open_configured_store", down)
    result = run_kg("stats", "--store", tmp_path)
    assert result.exit_code == 3
    assert "internal error: EndpointError('http://store/: HTTP 502: bad gateway') (a bug in kg" in result.stderr
