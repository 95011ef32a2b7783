"""Common RDF tools reading what the server publishes from its URLs, as a user would run them:
rapper (Debian's raptor2-utils) and Jena (Debian's libapache-jena-java, run by a headless JRE) read
every dump and count what the manifest says; a client that asks for ``application/xml`` gets
RDF/XML that rdflib parses.

The tools are Debian packages that .ci/run installs: a missing one fails these tests (as a missing
Chromium fails the browser tests), it is never skipped.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from conftest import http_fetch
from kg.vocab import VOID

INSTALL = ("apt-get install -y --no-install-recommends raptor2-utils libapache-jena-java "
           "default-jre-headless (.ci/run does)")
JAVA_LIBRARIES = Path("/usr/share/java")
# Jena's jars and those of the packages libapache-jena-java depends on, by Debian's unversioned
# names, and one SLF4J binding. Not /usr/share/java/*: it holds both log4j-over-slf4j and
# slf4j-log4j12, and SLF4J refuses to start with both.
JENA_CLASSPATH = [
    "jena-arq", "jena-base", "jena-cmds", "jena-core", "jena-dboe-base", "jena-dboe-index", "jena-dboe-storage",
    "jena-dboe-trans-data", "jena-dboe-transaction", "jena-iri", "jena-rdfconnection", "jena-shacl", "jena-shex",
    "jena-tdb", "jena-tdb2", "commons-cli", "commons-codec", "commons-compress", "commons-csv", "commons-io",
    "commons-lang3", "dexx.collection", "gson", "guava", "httpclient", "httpcore", "jackson-core", "jackson-databind",
    "jackson-annotations", "jsonld-java", "jakarta.json-api", "protobuf", "thrift", "titanium-json-ld", "slf4j-api",
    "slf4j-simple",
]
COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
COUNT_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
TOOL_TIMEOUT = 300  # s: a bound on a hung tool, far above what the sample takes


@pytest.fixture(scope="session")
def rapper() -> str:
    """Debian's rapper (raptor2-utils)."""
    found = shutil.which("rapper")
    if found is None:
        pytest.fail(f"rapper is not installed: run `{INSTALL}`")
    return found


@pytest.fixture(scope="session")
def jena(tmp_path_factory) -> list[str]:
    """The start of a command line running a Jena command class on Debian's jars: ``[*jena, "arq.arq", ...]``.

    Debian's jena-core 4.5 moved Jena's copy of Xerces to the package ``xerces`` but left its
    message files under ``org/apache/jena/ext/xerces``, so the XSD datatypes fail to load
    ("internal error" in XSSimpleTypeDecl.applyFacets1: the regular expressions' messages are not
    found). The files are put back where the classes look for them, in a directory ahead of the jars.
    """
    java = shutil.which("java")
    jars = [JAVA_LIBRARIES / f"{name}.jar" for name in JENA_CLASSPATH]
    missing = [jar.name for jar in jars if not jar.is_file()]
    if java is None or missing:
        pytest.fail(f"Jena or a JRE is not installed (java: {java}, missing: {missing}): run `{INSTALL}`")
    messages = tmp_path_factory.mktemp("jena-messages")
    prefix = "org/apache/jena/ext/xerces/"
    with zipfile.ZipFile(JAVA_LIBRARIES / "jena-core.jar") as core:
        for name in core.namelist():
            if name.startswith(prefix) and name.endswith(".properties"):
                target = messages / "xerces" / name[len(prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(core.read(name))
    return [java, "-cp", ":".join([str(messages), *map(str, jars)])]


def run(command: list[str]) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    assert done.returncode == 0, f"{command[-3:]}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dumps(gunicorn_server) -> dict[str, dict]:
    """The listing of /dumps/: each URL with its media type and count."""
    status, _headers, body = http_fetch(gunicorn_server.uri("dumps/"), "application/json")
    assert status == 200
    return {item["name"]: item for item in json.loads(body)["files"]}


# The URLs a tool reads by their media type: the Turtle dump, and the gzip dumps' content (kg.nt,
# kg.nq). The .gz files themselves are application/gzip, which neither tool reads from a URL.
READABLE = [("kg.ttl", "triples"), ("kg.nt", "triples"), ("kg.nq", "quads")]


@pytest.mark.parametrize("name, unit", READABLE)
def test_rapper_reads_each_dump_from_its_url(gunicorn_server, dumps, rapper, name, unit):
    """``rapper -g -c URL``: the parser is guessed from the Content-Type, every statement counted."""
    item = dumps[name]
    done = run([rapper, "-g", "-c", item["url"]])
    parsed = re.search(r"Parsing returned (\d+) (?:triples|statements)", done.stderr)
    assert parsed, done.stderr
    assert int(parsed[1]) == item[unit] == item["count"] > 0


@pytest.mark.parametrize("name, unit", READABLE)
def test_jena_reads_each_dump_from_its_url(gunicorn_server, dumps, jena, tmp_path, name, unit):
    """``arq --data URL``: Jena picks its parser from the Content-Type and counts by SPARQL."""
    item = dumps[name]
    query = tmp_path / "count.rq"
    query.write_text(COUNT_QUADS if unit == "quads" else COUNT_TRIPLES, encoding="utf-8")
    done = run([*jena, "arq.arq", "--data", item["url"], "--query", str(query), "--results", "CSV"])
    assert done.stdout.splitlines() == ["n", str(item[unit])], done.stdout + done.stderr
    assert item[unit] == item["count"] > 0


def test_jena_reads_a_named_graph_from_the_graph_store(gunicorn_server, jena, tmp_path):
    """A named graph's download is N-Triples Jena reads from its URL, with the size its page gives."""
    graph = gunicorn_server.uri("graph/inferred")
    description = Graph().parse(graph, format="turtle")
    (size,) = (int(o) for o in description.objects(None, VOID.triples))
    query = tmp_path / "count.rq"
    query.write_text(COUNT_TRIPLES, encoding="utf-8")
    url = gunicorn_server.uri("graph-store?graph=" + quote(graph, safe=""))
    done = run([*jena, "arq.arq", "--data", url, "--query", str(query), "--results", "CSV"])
    assert done.stdout.splitlines() == ["n", str(size)]


# -- application/xml: the generic name of RDF/XML ------------------------------------------------


@pytest.mark.parametrize("path", ["author/leon-bottou", "paper/birth-of-a-transformer-a-memory-viewpoint",
                                  "venue/arxiv", "source/researcher-profile-leon-bottou", "graph/inferred", "void",
                                  "sparql"])
def test_application_xml_gets_rdf_xml(web_client, path):
    url = web_client.uri(path)
    status, headers, body = web_client.fetch(url, "application/xml")
    assert status == 200 and headers.get_content_type() == "application/rdf+xml", (path, status, body[:200])
    as_xml = Graph().parse(data=body, format="xml")
    status, headers, body = web_client.fetch(url, "application/rdf+xml")
    assert status == 200 and len(as_xml) > 0
    assert isomorphic(as_xml, Graph().parse(data=body, format="xml"))


def test_application_xml_over_http_and_the_browser_still_gets_html(gunicorn_server):
    url = gunicorn_server.uri("author/leon-bottou")
    status, headers, body = http_fetch(url, "application/xml")
    assert status == 200 and headers.get_content_type() == "application/rdf+xml"
    assert headers["Content-Location"] == f"{url}.rdf" and "Accept" in headers["Vary"]
    assert len(Graph().parse(data=body, format="xml")) > 0
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert http_fetch(url, browser)[1].get_content_type() == "text/html"


def test_a_construct_query_answers_application_xml_with_rdf_xml(web_client):
    query = "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 5"
    status, headers, body = web_client.fetch(web_client.uri("sparql?query=" + quote(query)), "application/xml")
    assert status == 200 and headers.get_content_type() == "application/rdf+xml"
    assert len(Graph().parse(data=body, format="xml")) == 5
    select = "SELECT ?s WHERE { ?s a ?t } LIMIT 1"  # a SELECT's application/xml stays the SPARQL results XML
    status, headers, body = web_client.fetch(web_client.uri("sparql?query=" + quote(select)), "application/xml")
    assert status == 200 and headers.get_content_type() == "application/xml" and b"<sparql" in body
