"""Shared fixtures: settings on tmp_path, the shipped sample built into a store, a CLI runner, and the
web sample served two ways: by gunicorn (``gunicorn_server``) and in-process (``web_app``, ``web_client``)."""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Dataset

from kg.cli import main
from kg.config import Settings, load_settings
from kg.errors import ParseError
from kg.parsers import parse_source
from kg.pipeline import ingest
from kg.sources import read_source
from kg.store import open_configured_store, open_store
from kg.web import create_app
from kg.web.context import get_settings

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLE_CLUSTER = ROOT / "data" / "records" / "arrow-author-cluster-leon-bottou.txt"
SAMPLE_PROFILE = ROOT / "data" / "records" / "researcher-profile-leon-bottou.txt"
SAMPLE = [SAMPLE_CLUSTER, SAMPLE_PROFILE]
EPOCH = 1767225600  # 2026-01-01T00:00:00Z: fixed 'retrieved on' so builds can be compared


def make_settings(store: Path | str, **overrides) -> Settings:
    return load_settings({}, overrides={"store": store, "source_date_epoch": EPOCH, **overrides})


def leftovers(store: Path) -> list[str]:
    """What a failed or killed writer of a store directory may leave: tmp- directories, generations
    (and their recorded changes) newer than `current`, temporary links; empty when the store is clean."""
    current = os.readlink(store / "current") if (store / "current").is_symlink() else ""
    published = int(Path(current).name[1:]) if current else 0
    found = [p.name for p in store.glob(".current-*")]
    for kind in ("generations", "artifacts", "changes", "dumps"):
        for path in (store / kind).glob("*"):
            stem = path.name.split(".", 1)[0]
            number = int(stem[1:]) if re.fullmatch(r"g\d+", stem) else -1
            if path.name.startswith("tmp-") or number > published:
                found.append(f"{kind}/{path.name}")
    return found


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path / "store")


def dump_dataset(settings: Settings) -> Dataset:
    """The store's N-Quads dump, parsed back by rdflib (default graph = union of named graphs)."""
    out = io.BytesIO()
    open_configured_store(settings).dump(out, "nquads")
    dataset = Dataset(default_union=True)
    dataset.parse(data=out.getvalue().decode("utf-8"), format="nquads")
    return dataset


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory) -> Settings:
    """A store with the shipped sample ingested once for the whole session (read it, don't write it)."""
    settings = make_settings(tmp_path_factory.mktemp("sample") / "store")
    ingest(SAMPLE, settings)
    publish(settings)
    return settings


def publish(settings: Settings) -> Path | None:
    """Write the current build's dumps, as `kg publish` does (ingests leave them out)."""
    return open_configured_store(settings).publish_dumps(settings.now())


@pytest.fixture(scope="session")
def sample_graph(sample_settings) -> Dataset:
    return dump_dataset(sample_settings)


def tree_digest(path: Path) -> dict[str, str]:
    """SHA-256 of every file under a directory (symlinks by target), to prove nothing changed."""
    digests = {}
    for item in sorted(path.rglob("*")):
        relative = str(item.relative_to(path))
        if item.is_symlink():
            digests[relative] = "-> " + os.readlink(item)
        elif item.is_file():
            digests[relative] = hashlib.sha256(item.read_bytes()).hexdigest()
    return digests


@pytest.fixture
def run_kg():
    """Run the real CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run


# -- the real server ---------------------------------------------------------------------------

HOSTILE = DATA / "web" / "hostile-records.jsonl"
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    """A gunicorn server started the way `make serve` starts it, on a free loopback port."""

    url: str  # the base URI, also the base of every URI in its graph
    settings: Settings
    process: subprocess.Popen

    def uri(self, path: str) -> str:
        return self.url + path.lstrip("/")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].strip("/"))

    def fetch(self, url: str, accept: str | None = None, method: str = "GET", body: bytes | None = None,
              follow_redirects: bool = True, **headers) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request over HTTP (:func:`http_fetch`); :meth:`SampleClient.fetch` is its in-process twin."""
        return http_fetch(url, accept, method, body, follow_redirects, **headers)


def sparql_from(server: LiveServer, source: str, query: str, timeout: float = 30, **headers: str):
    """GET /sparql from the loopback address ``source`` (a distinct client for kg's fairness gate);
    (status, headers, body), for error statuses too."""
    import http.client
    import urllib.parse

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout, source_address=(source, 0))
    try:
        connection.request("GET", "/sparql?query=" + urllib.parse.quote(query),
                           headers={"Accept": "application/sparql-results+json", **headers})
        response = connection.getresponse()
        return response.status, response.msg, response.read()
    finally:
        connection.close()


@contextmanager
def serving(settings: Settings, port: int | None = None, env: dict | None = None) -> Iterator[LiveServer]:
    """gunicorn for ``settings`` on ``port`` (a free one by default), polled until it answers; stopped on exit.

    ``env``: extra KG_* settings of the server only. The server's URL need not be ``settings.base_uri``.
    """
    port = port or free_port()
    process = start_gunicorn(settings, port, env)
    try:
        server = LiveServer(f"http://127.0.0.1:{port}/", settings, process)
        wait_until_serving(server.url, process)
        yield server
    finally:
        stop(process)


def start_gunicorn(settings: Settings, port: int, extra_env: dict | None = None) -> subprocess.Popen:
    """Start gunicorn; its log goes to ``gunicorn.log`` beside the store (a remote store's: its artifacts)."""
    env = {**os.environ, "KG_STORE": str(settings.store), "KG_BASE_URI": settings.base_uri,
           "KG_ARTIFACTS_DIR": str(settings.artifacts_dir), "KG_STORE_UPDATE": settings.store_update or "",
           "KG_BIND": f"127.0.0.1:{port}", **(extra_env or {})}
    local = isinstance(settings.store, Path)
    log_path = (Path(settings.store) if local else Path(settings.artifacts_dir)).parent / "gunicorn.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
                                    "server:app"], cwd=ROOT, env=env, stdout=log, stderr=log)
    process.log_path = log_path
    return process


def wait_until_serving(url: str, process: subprocess.Popen, seconds: float = 30.0) -> None:
    """Poll the server (bounded) until it answers; fail with its stderr if it dies or never answers."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{Path(process.args[0]).name} exited: {process.log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{Path(process.args[0]).name} did not answer {url} within {seconds} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


# -- the web sample, served two ways -------------------------------------------------------------
#
# ``web_sample`` is built once per store kind; ``gunicorn_server`` serves it over HTTP, ``web_app`` and
# ``web_client`` serve it in-process. Both answer for the same base URI, so a test computes the URIs
# it expects the same way with either (``.url``, ``.uri(path)``), and ``.fetch(url, accept, ...)``
# gives the same (status, headers, body) over HTTP and through the test client.
#
# Which to use: ``web_client`` for what the application decides (status codes, headers, content
# negotiation, conditional requests, bodies, error formats): the same code answers, without a socket.
# ``gunicorn_server`` for what only the real server shows: gunicorn's configuration and limits
# (request line, headers), its worker processes, time limits that free a worker, concurrency and
# 429 fairness, raw request bytes, streamed files, and real clients (SPARQLWrapper, rdflib's
# SPARQLStore and parsers fetching URLs, Chromium). Keep at least one test of each web module on
# ``gunicorn_server``, so every module's routes are also proven end to end.


@pytest.fixture(scope="session", params=["local", "remote"])
def web_sample(request, tmp_path_factory) -> Iterator[Settings]:
    """The sample plus hostile records, built once per store kind for the web tests (read it, don't write it).

    Twice: in a store directory (``local``), and in a remote store, a real `oxigraph serve`
    (``remote``), so every web test runs against both implementations of the Store interface. Its
    base URI is http://127.0.0.1:<a free port>/, the address :func:`gunicorn_server` serves it at.
    """
    directory = tmp_path_factory.mktemp(f"web-{request.param}")
    options = {"base_uri": f"http://127.0.0.1:{free_port()}/", "query_timeout": 2.0}
    with ExitStack() as running:
        if request.param == "remote":
            url = running.enter_context(running_oxigraph(directory))
            settings = make_settings(url, artifacts_dir=directory / "artifacts", **options)
        else:
            settings = make_settings(directory / "store", **options)
        ingest([*SAMPLE, HOSTILE], settings)
        publish(settings)
        yield settings


@pytest.fixture(scope="session")
def gunicorn_server(web_sample) -> Iterator[LiveServer]:
    """:func:`web_sample` served by gunicorn at its base URI, started as `make serve` starts it.

    For what only the real server proves (see the note above :func:`web_sample`); otherwise use :func:`web_client`.
    """
    with serving(web_sample, urlsplit(web_sample.base_uri).port, {"KG_QUERY_TIMEOUT": "2"}) as server:
        yield server


class SampleClient(FlaskClient):
    """Flask's test client with :class:`LiveServer`'s ``settings``, ``url``, ``uri()`` and ``fetch()``.

    ``url`` is the app's base URI; a request may name a full URL under it or just a path.
    """

    @property
    def settings(self) -> Settings:
        with self.application.app_context():
            return get_settings()

    @property
    def url(self) -> str:
        return self.settings.base_uri

    def uri(self, path: str) -> str:
        return self.url + path.lstrip("/")

    def fetch(self, url: str, accept: str | None = None, method: str = "GET", body: bytes | None = None,
              follow_redirects: bool = True, **headers) -> tuple[int, http.client.HTTPMessage, bytes]:
        """:func:`http_fetch` through the test client: the same arguments, the same answer.

        As urllib does, a body without a Content-Type is sent as a form, and redirects are followed
        unless ``follow_redirects`` is false. The headers come back as an ``http.client.HTTPMessage``.
        """
        headers = {name.replace("_", "-"): value for name, value in headers.items()}
        if accept:
            headers["Accept"] = accept
        if body is not None and not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/x-www-form-urlencoded"  # urllib's default
        with self.open(url, method=method, data=body, headers=headers, follow_redirects=follow_redirects) as answer:
            message = http.client.HTTPMessage()
            for name, value in answer.headers.items():
                message[name] = value
            return answer.status_code, message, answer.get_data()


@contextmanager
def in_process(settings: Settings) -> Iterator[Flask]:
    """``create_app`` over the store ``settings`` names, opened as server.py opens it (read-only
    generations, or the remote store's endpoints); its query processes are stopped on exit.

    Its ``test_client()`` is a :class:`SampleClient`. Several readers of one store directory coexist,
    in this process and in gunicorn's, so it may serve a store a running server serves too.
    """
    store = open_configured_store(settings)
    try:
        app = create_app(settings, store)
        app.test_client_class = SampleClient
        yield app
    finally:
        store.close()


@pytest.fixture(scope="session")
def web_app(web_sample) -> Iterator[Flask]:
    """:func:`web_sample` served in-process by the Flask app gunicorn would run (:func:`in_process`)."""
    with in_process(web_sample) as app:
        yield app


@pytest.fixture
def web_client(web_app) -> SampleClient:
    """A test client of :func:`web_app`: for protocol-level tests (see the note above :func:`web_sample`)."""
    return web_app.test_client()


# -- a remote store: `oxigraph serve` ------------------------------------------------------------

OXIGRAPH = ROOT / ".venv" / "bin" / "oxigraph"  # the `oxigraph` package of the test extra
OXIGRAPH_TIMEOUT = 3  # s: the server stops a query a little after kg stops waiting (KG_QUERY_TIMEOUT=2 here)


def start_oxigraph(location: Path, port: int, timeout_s: float = OXIGRAPH_TIMEOUT) -> subprocess.Popen:
    """Start `oxigraph serve` on a loopback port with its own query time limit; its log goes beside its data."""
    log_path = location.parent / "oxigraph.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen([str(OXIGRAPH), "serve", "--location", str(location), "--bind",
                                    f"127.0.0.1:{port}", "--timeout-s", f"{timeout_s:g}"], stdout=log, stderr=log)
    process.log_path = log_path
    return process


@contextmanager
def running_oxigraph(directory: Path, timeout_s: float = OXIGRAPH_TIMEOUT) -> Iterator[str]:
    """A fresh `oxigraph serve` with its data in ``directory``, polled until it answers; yields its root URL."""
    port = free_port()
    process = start_oxigraph(directory / "oxigraph", port, timeout_s)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, process)
        yield url
    finally:
        stop(process)


@contextmanager
def copy_of_store(settings: Settings, directory: Path) -> Iterator[Settings]:
    """A writable copy of a store with the same base URI: a copied directory, or a second
    `oxigraph serve` loaded with the first one's N-Quads (meta graph included)."""
    if isinstance(settings.store, Path):
        shutil.copytree(settings.store, directory / "store", symlinks=True)
        yield replace(settings, store=directory / "store")
        return
    with running_oxigraph(directory) as url:
        read = urllib.request.Request(f"{settings.store}store", headers={"Accept": "application/n-quads"})
        with urllib.request.urlopen(read, timeout=30) as response:
            quads = response.read()
        write = urllib.request.Request(f"{url}store", data=quads, headers={"Content-Type": "application/n-quads"})
        with urllib.request.urlopen(write, timeout=30):
            pass
        yield replace(settings, store=url, artifacts_dir=directory / "artifacts")


# -- headless Chromium -------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (no browser download); .ci/run installs it."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: run `apt-get install chromium chromium-driver` (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium, request):
    """A fresh browser page; console errors fail the test; a screenshot is saved as a test artifact.

    A test that provokes an HTTP error on purpose lists the status in ``page.expected_errors``.
    """
    context = chromium.new_context()
    page = context.new_page()
    page.expected_errors = []
    errors: list[str] = []

    def on_console(message) -> None:
        deliberate = any(f"status of {status} " in message.text for status in page.expected_errors)
        if message.type == "error" and not deliberate:
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"browser console errors: {errors}"


# -- small shared helpers ----------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http_fetch(url: str, accept: str | None = None, method: str = "GET", body: bytes | None = None,
               follow_redirects: bool = True, **headers) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One HTTP request with urllib; (status, headers, body), for error statuses too.

    Keyword headers use ``_`` for ``-`` (``If_None_Match="…"``). Redirects are followed the way
    urllib follows them, unless ``follow_redirects`` is false (then a 3xx is the answer).
    """
    import urllib.error

    headers = {name.replace("_", "-"): value for name, value in headers.items()}
    if accept:
        headers["Accept"] = accept
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    send = urllib.request.urlopen if follow_redirects else urllib.request.build_opener(_NoRedirect).open
    try:
        with send(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def edit_page(page: Path, directory: Path, old: str, new: str) -> Path:
    """A copy of ``page`` in ``directory`` with the first ``old`` replaced by ``new``."""
    text = page.read_text(encoding="utf-8")
    assert old in text
    path = directory / "page.txt"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


# -- a loopback listener: proof that the server never connects out ------------------------------


class Listener:
    """A loopback TCP listener counting the connections it is offered, until closed (at most 60 s)."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        deadline = time.monotonic() + 60
        while not self.closing.is_set() and time.monotonic() < deadline:
            try:
                connection, _address = self.server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.closing.set()
        self.thread.join(timeout=5)
        self.server.close()


@pytest.fixture
def listener():
    listening = Listener()
    yield listening
    listening.close()


def nquads(store: Path, base: str = "http://127.0.0.1:5000/") -> list[str]:
    """The store's dump as N-Quads lines."""
    out = io.BytesIO()
    open_store(store, base).dump(out, "nquads")
    return out.getvalue().decode("utf-8").splitlines()


def live_graph(lines: list[str]) -> list[str]:
    """Every quad but those about URIs that are no longer an entity's (they differ with the history)."""
    retired = {line.split(" ", 1)[0] for line in lines if " <http://www.w3.org/2002/07/owl#deprecated> " in line}
    return sorted(line for line in lines if line.split(" ", 1)[0] not in retired)


def assert_refused(path: Path, line: int | None, message: str) -> None:
    """Parsing ``path`` fails with exactly ``path:line[:column]: message``."""
    with pytest.raises(ParseError) as caught:
        parse_source(read_source(path, "2026-01-01T00:00:00Z"))
    where = f"{path}:{line}" if line else str(path)
    if caught.value.column is not None:
        where += f":{caught.value.column}"
    assert str(caught.value) == f"{where}: {message}"
