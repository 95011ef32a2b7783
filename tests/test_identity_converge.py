"""Identity that converges, end to end: the live graph is a function of the set of records.

The corpus (tests/data/identity/, see its README) has the same paper on three co-authors'
profiles and on an author-cluster page, a LaTeX-marked preprint of it, initials, a dropped middle
initial, two people called Di Xu with different ORCIDs and two dblp homonyms, two works called
"Introduction" and two called "Deep Learning" (colliding slugs), and a retitled paper with one
DOI. Ingested in any order and any split into batches it must give the same live graph, URIs
included; every URI published on the way must still answer (live, or 301 to its survivor).
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, EPOCH, http_fetch, live_graph, make_settings, nquads, serving
from kg.pipeline import ingest

CORPUS = sorted(p for p in (DATA / "identity").iterdir() if p.suffix in (".txt", ".jsonl"))
BASE = "http://127.0.0.1:5000/"
DEPRECATED = "<http://www.w3.org/2002/07/owl#deprecated>"
REPLACED_BY = "<http://purl.org/dc/terms/isReplacedBy>"
KEY = f"<{BASE}ontology#identityKey>"


def redirects(lines: list[str]) -> dict[str, str]:
    return {line.split(" ")[0].strip("<>"): line.split(" ")[2].strip("<>")
            for line in lines if f" {REPLACED_BY} " in line}


def entities(lines: list[str]) -> set[str]:
    """The person and work URIs the store has minted, live or not."""
    return {line.split(" ", 1)[0].strip("<>") for line in lines
            if f" {KEY} " in line and ('"person:' in line or '"work:' in line)}


def build(batches, store: Path) -> set[str]:
    """Ingest the batches in turn; return every entity URI that was ever published on the way."""
    seen: set[str] = set()
    for batch in batches:
        ingest(list(batch), make_settings(store))
        seen |= entities(nquads(store))
    return seen


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> list[str]:
    store = tmp_path_factory.mktemp("one-batch") / "store"
    build([CORPUS], store)
    return nquads(store)


def test_the_corpus_decides_what_its_readme_says(reference):
    uris = entities(reference)
    papers = {u.removeprefix(f"{BASE}paper/") for u in uris if "/paper/" in u}
    persons = {u.removeprefix(f"{BASE}author/") for u in uris if "/author/" in u}
    assert {"memory-mosaics-at-scale", "deep-learning-lecun", "deep-learning-goodfellow", "introduction-smith",
            "introduction-white", "a-retitled-paper", "deep-nets"} <= papers
    assert not {p for p in papers if p.startswith("memory-mosaics-at-scale-") or p.startswith("the-retitled")}
    assert {"yann-lecun", "michael-e-sander", "di-xu-0000-0001-5000-0001", "di-xu-0000-0002-5000-0002",
            "di-xu-0001", "di-xu-0002", "zoltan-fulop", "leon-bottou", "jianyu-zhang", "t-hill",
            "tatiana-hill-0000-0003-4301-852x", "tatiana-hill-0000-0003-7911-390x"} <= persons
    assert not {"y-lecun", "michael-sander", "di-xu", "zoltan-fulop-0001"} & persons
    assert not redirects(reference), "one batch publishes no URI that it then retires"


def test_one_file_at_a_time_in_reverse_gives_the_same_live_graph(reference, tmp_path):
    seen = build([[path] for path in reversed(CORPUS)], tmp_path / "store")
    after = nquads(tmp_path / "store")
    assert live_graph(after) == live_graph(reference)
    assert_every_uri_answers(seen, after)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(CORPUS), cuts=st.sets(st.integers(1, len(CORPUS) - 1), max_size=3))
def test_any_order_and_batching_gives_the_same_live_graph(reference, order, cuts):
    bounds = [0, *sorted(cuts), len(order)]
    batches = [order[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    with tempfile.TemporaryDirectory() as directory:
        seen = build(batches, Path(directory) / "store")
        after = nquads(Path(directory) / "store")
    assert live_graph(after) == live_graph(reference)
    assert_every_uri_answers(seen, after)


def test_ingesting_everything_again_changes_nothing(reference, tmp_path):
    build([CORPUS, CORPUS], tmp_path / "store")
    assert nquads(tmp_path / "store") == reference


def assert_every_uri_answers(seen: set[str], lines: list[str]) -> None:
    """Each URI published on the way is live now or redirects, in one hop, to a live one."""
    live, moved = entities(live_graph(lines)), redirects(lines)
    for uri in seen:
        assert uri in live or moved.get(uri) in live, (uri, moved.get(uri))


# -- the command line and the web server -------------------------------------------------------------------------

KG = [sys.executable, "-m", "kg"]


def kg(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KG_")}
    # timeout: only a guard against a hung process, not a measurement
    return subprocess.run([*KG, *map(str, args)], cwd=cwd, env={**env, "SOURCE_DATE_EPOCH": str(EPOCH)},
                          capture_output=True, text=True, timeout=300)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def files(*names: str) -> list[Path]:
    return [DATA / "identity" / name for name in names]


@pytest.fixture(scope="module")
def merged(tmp_path_factory) -> Path:
    """variants-a first: `Y. LeCun`, one `Introduction`, one Di Xu get their plain URIs; variants-b then
    proves `Y. LeCun` is Yann LeCun, adds a second `Introduction` and a second Di Xu (another ORCID)."""
    store = tmp_path_factory.mktemp("merged") / "store"
    for name in ("variants-a.jsonl", "variants-b.jsonl"):
        ok(kg("ingest", "--store", store, *files(name), cwd=store.parent))
    return store


def moved_from(server, path: str, accept: str = "text/turtle") -> tuple[int, str]:
    """GET without following redirects: (status, Location)."""
    parts = urlsplit(server.uri(path))
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", parts.path, headers={"Accept": accept})
        answer = connection.getresponse()
        return answer.status, answer.getheader("Location") or ""
    finally:
        connection.close()


def test_merged_uris_answer_301_to_their_survivor_over_http(merged):
    with serving(make_settings(merged)) as server:
        for old, new in (("author/y-lecun", "author/yann-lecun"), ("paper/introduction", "paper/introduction-smith"),
                         ("author/di-xu", "author/di-xu-0000-0001-5000-0001"),
                         ("paper/introduction/jmlr-2021-journal-article",
                          "paper/introduction-smith/jmlr-2021-journal-article"),
                         ("author/y-lecun.ttl", "author/yann-lecun.ttl")):
            assert moved_from(server, old) == (301, f"{BASE}{new}"), old
        for live in ("author/yann-lecun", "paper/introduction-smith", "paper/introduction-white",
                     "author/di-xu-0000-0002-5000-0002", "paper/introduction-smith/jmlr-2021-journal-article"):
            assert moved_from(server, live)[0] == 200, live
        status, _headers, body = http_fetch(server.uri("author/yann-lecun"), accept="text/html")
        page = body.decode("utf-8")
        assert status == 200 and '<section id="identity">' in page and "Why this is one person" in page
        assert "name variant, and shares the co-author &#39;a smith&#39;" in page
        assert f'<a href="{BASE}source/variants-a">variants-a</a> says Y. LeCun' in page


def test_the_facts_of_a_merged_uri_moved_to_its_survivor_in_their_own_source(merged):
    lines = nquads(merged)
    about_old = [line for line in lines if f"<{BASE}author/y-lecun>" in line]
    assert about_old and all(f" {DEPRECATED} " in line or f"<{BASE}author/y-lecun> <" in line for line in about_old)
    assert {line.split(" ")[1] for line in about_old} == {DEPRECATED, REPLACED_BY, "<http://www.w3.org/2002/07/owl#sameAs>"}
    stated = f'<{BASE}author/yann-lecun> <{BASE}ontology#statedName> "Y. LeCun" <{BASE}source/variants-a> .'
    assert stated in lines


def test_kg_explain_says_which_mentions_and_why(merged):
    out = ok(kg("explain", "--store", merged, f"{BASE}author/yann-lecun", cwd=merged.parent))
    assert out.splitlines()[0] == f"{BASE}author/yann-lecun: 2 mention(s)"  # one per source
    assert "    says: Y. LeCun" in out and "    says: Yann LeCun" in out
    assert "joined: name variant, and shares the co-author 'a smith'" in out
    assert ok(kg("explain", "--store", merged, f"{BASE}author/y-lecun", cwd=merged.parent)) == \
        f"{BASE}author/y-lecun was merged into {BASE}author/yann-lecun; explain that URI instead\n"
    unknown = kg("explain", "--store", merged, f"{BASE}author/nobody-at-all", cwd=merged.parent)
    assert unknown.returncode == 2 and unknown.stderr.startswith("Error: ") and "Traceback" not in unknown.stderr


def test_curations_hold_through_later_ingests(merged, tmp_path):
    store = tmp_path / "store"
    ok(kg("ingest", "--store", store, *files("variants-a.jsonl", "variants-b.jsonl"), cwd=tmp_path))
    alice, carol = f"{BASE}author/alice-smith", f"{BASE}author/carol-white"
    out = ok(kg("curate", "same", "--store", store, "--who", "a librarian", "--why", "one person, two names",
                carol, alice, cwd=tmp_path))
    assert out.startswith(f"curated same: {carol} {alice}; ")
    def one_entity(lines):
        """Exactly one of the two URIs is live and the other answers 301 to it; the live one."""
        live, moved = entities(live_graph(lines)), redirects(lines)
        (survivor,) = {alice, carol} & live
        assert moved[({alice, carol} - {survivor}).pop()] == survivor
        return survivor

    one_entity(nquads(store))
    ok(kg("ingest", "--store", store, *files("variants-c.jsonl"), cwd=tmp_path))  # Carol White again, with Eve Black
    survivor = one_entity(nquads(store))  # which name leads may change with the evidence; they stay one
    explained = ok(kg("explain", "--store", store, survivor, cwd=tmp_path))
    assert "curated as the same (one person, two names (a librarian, " in explained
    assert "curated same: " in explained
    # and "different" splits what the rules join: the two Yann LeCun mentions of variants-b and Y. LeCun
    yann = f"{BASE}author/yann-lecun"
    ok(kg("curate", "different", "--store", store, "--why", "not the same Y.", yann, f"{BASE}author/bob-jones",
          cwd=tmp_path))
    refused = kg("curate", "same", "--store", store, "--why", "x", yann, f"{BASE}paper/deep-nets", cwd=tmp_path)
    assert refused.returncode == 2 and "is a paper URI" in refused.stderr and "Traceback" not in refused.stderr
    live_persons = {uri for uri in entities(live_graph(nquads(store))) if "/author/" in uri}
    assert json.loads(ok(kg("stats", "--store", store, "--json", cwd=tmp_path)))["persons"] == len(live_persons)


def test_a_split_inside_one_source_gives_each_fact_to_its_mention(tmp_path):
    store = tmp_path / "store"
    build([files("split-a.jsonl"), files("split-b.jsonl")], store)
    lines = nquads(store)
    graph = f"<{BASE}source/split-a>"
    tatiana, hill = f"<{BASE}author/tatiana-hill-0000-0003-4301-852x>", f"<{BASE}author/t-hill>"
    assert f'{hill} <{BASE}ontology#statedName> "T. Hill" {graph} .' in lines
    assert f'{tatiana} <{BASE}ontology#statedName> "Tatiana Hill" {graph} .' in lines
    (orcid,) = [line.split(" ")[2] for line in lines if line.startswith(f"{tatiana} <https://schema.org/identifier> ")]
    assert f"{orcid} <https://schema.org/value> \"0000-0003-4301-852X\" {graph} ." in lines
    assert f"{orcid} <https://schema.org/url> <https://orcid.org/0000-0003-4301-852X> {graph} ." in lines
    assert not [line for line in lines if line.startswith(f"{hill} <https://schema.org/identifier> ")]
    authors = {line.split(" ")[0]: line.split(" ")[2] for line in lines
               if " <https://schema.org/author> " in line and line.endswith(f"{graph} .") and "bruno" not in line}
    assert authors == {f"<{BASE}paper/hashing-things>": hill, f"<{BASE}paper/sorting-things>": tatiana}
    assert live_graph(lines) == live_graph(nquads(build_one(files("split-a.jsonl", "split-b.jsonl"), tmp_path)))


def build_one(paths: list[Path], directory: Path) -> Path:
    store = directory / "one"
    build([paths], store)
    return store
