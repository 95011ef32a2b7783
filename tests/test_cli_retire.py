"""`kg retire` through the real command line, then an ingest of records of the retired entities.

README ("Command line", "Linked data"): a retired URI answers 410 (or 301 with --replaced-by) and
is never minted again; the identity graph records `owl:deprecated true`, the URI's facts stay in
their sources, and new records with the retired entity's identity key get a new URI. So a new
paper by a retired author, or the retired paper again, is attached to live URIs and adds no fact
about the retired ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import EPOCH, http_fetch, make_settings, serving

KG = [sys.executable, "-m", "kg"]
BASE = "http://127.0.0.1:5000/"  # the default base URI
ADA, PAPER = f"{BASE}author/ada-lovelace", f"{BASE}paper/a-tiny-paper"
BABBAGE = f"{BASE}author/charles-babbage"
IDENTITY, KEY = f"{BASE}graph/identity", f"{BASE}ontology#identityKey"
SECOND_SOURCE = f"{BASE}source/second"

FIRST = (
    '{"type": "person", "name": "Ada Lovelace", "identifiers": {"orcid": "0000-0002-1825-0097"}}\n'
    '{"type": "paper", "title": "A tiny paper", "authors": ["Ada Lovelace", "Charles Babbage"], '
    '"venue": "NeurIPS", "venue_kind": "conference", "year": 2024, "type_label": "Conference Paper"}\n'
)
# after both URIs are retired: the retired paper again (as a journal version), and a new paper by the retired author
SECOND = (
    '{"type": "paper", "title": "A tiny paper", "authors": ["Ada Lovelace", "Charles Babbage"], '
    '"venue": "JMLR", "venue_kind": "journal", "year": 2025, "type_label": "Journal Article"}\n'
    '{"type": "paper", "title": "Notes on the analytical engine", "authors": ["Ada Lovelace"], '
    '"venue": "JMLR", "venue_kind": "journal", "year": 2025, "type_label": "Journal Article"}\n'
)


def kg(*args, cwd: Path) -> subprocess.CompletedProcess:
    """The real `kg` in a subprocess; no KG_* setting of the caller, the build time pinned."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KG_")}
    # timeout: only a guard against a hung process, not a measurement
    return subprocess.run([*KG, *map(str, args)], cwd=cwd, env={**env, "SOURCE_DATE_EPOCH": str(EPOCH)},
                          capture_output=True, text=True, timeout=120)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stderr
    return result


def quads_about(nquads: str, uris: tuple[str, ...]) -> set[str]:
    """The N-Quads lines that name any of these URIs (as subject, object or graph)."""
    return {line for line in nquads.splitlines() if any(f"<{uri}>" in line for uri in uris)}


@dataclass(frozen=True)
class Retired:
    store: Path
    retire_output: str
    before: str  # N-Quads dump after the retirements, before the second ingest
    after: str  # ... and after it


@pytest.fixture(scope="module")
def retired(tmp_path_factory) -> Retired:
    """Ingest, retire an author and a paper, then ingest records of both again: all with the CLI."""
    directory = tmp_path_factory.mktemp("retire")
    store = directory / "store"
    (directory / "first.jsonl").write_text(FIRST, encoding="utf-8")
    (directory / "second.jsonl").write_text(SECOND, encoding="utf-8")
    ok(kg("ingest", "--store", store, directory / "first.jsonl", cwd=directory))
    retire_output = ok(kg("retire", "--store", store, ADA, cwd=directory)).stdout
    retire_output += ok(kg("retire", "--store", store, PAPER, cwd=directory)).stdout
    dump = ("dump", "--store", store, "--format", "nquads", "--output", "-")
    before = ok(kg(*dump, cwd=directory)).stdout
    ingested = ok(kg("ingest", "--store", store, directory / "second.jsonl", cwd=directory))
    assert "1 new source(s)" in ingested.stdout and f"wrote {store}" in ingested.stdout
    after = ok(kg(*dump, cwd=directory)).stdout
    return Retired(store, retire_output, before, after)


def test_retire_says_what_it_did_and_refuses_a_retired_uri(retired):
    assert retired.retire_output == f"retired {ADA}\nretired {PAPER}\n"
    for uri in (ADA, PAPER):
        assert f"<{uri}> <http://www.w3.org/2002/07/owl#deprecated> " \
               f'"true"^^<http://www.w3.org/2001/XMLSchema#boolean> <{IDENTITY}> .' in retired.before
    again = kg("retire", "--store", retired.store, ADA, cwd=retired.store.parent)
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "Traceback" not in again.stderr
    assert again.stderr == f"Error: {ADA}: field 'uri': not a URI of a current entity in this store\n"


def test_no_new_fact_is_about_a_retired_uri(retired):
    """Every quad naming a retired URI was there before the second ingest; its facts stay where they were."""
    before, after = quads_about(retired.before, (ADA, PAPER)), quads_about(retired.after, (ADA, PAPER))
    assert after == before
    assert f"<{PAPER}> <https://schema.org/author> <{ADA}> <{BASE}source/first> ." in after
    second = [line for line in retired.after.splitlines() if line.endswith(f"<{SECOND_SOURCE}> .")]
    assert second, "the second ingest wrote its source graph"
    assert not quads_about("\n".join(second), (ADA, PAPER))


AUTHORS = f"""
SELECT ?title ?work ?author ?key ?deprecated WHERE {{
  GRAPH <{SECOND_SOURCE}> {{ ?work <https://schema.org/name> ?title ; <https://schema.org/author> ?author }}
  GRAPH <{IDENTITY}> {{ ?author <{KEY}> ?key }}
  OPTIONAL {{ GRAPH <{IDENTITY}> {{ ?work <http://www.w3.org/2002/07/owl#deprecated> ?wd }} }}
  OPTIONAL {{ GRAPH <{IDENTITY}> {{ ?author <http://www.w3.org/2002/07/owl#deprecated> ?ad }} }}
  BIND(BOUND(?wd) || BOUND(?ad) AS ?deprecated)
}}"""


def test_new_records_of_retired_entities_get_live_uris(retired):
    result = ok(kg("query", "--store", retired.store, "--json", AUTHORS, cwd=retired.store.parent))
    rows = [{name: cell["value"] for name, cell in row.items()}
            for row in json.loads(result.stdout)["results"]["bindings"]]
    by_title: dict[str, dict[str, str]] = {}
    for row in rows:
        assert row["deprecated"] == "false", row  # neither the work nor the author is retired
        by_title.setdefault(row["title"], {})[row["key"]] = row["author"]
        assert row["work"] != PAPER and row["author"] != ADA, row
    assert sorted(by_title) == ["A tiny paper", "Notes on the analytical engine"]
    new_ada = by_title["Notes on the analytical engine"]["person:ada lovelace"]
    assert new_ada.startswith(f"{BASE}author/") and new_ada != ADA
    # the retired paper again: one new work, by the same new Ada and the (live, unchanged) Charles Babbage
    assert by_title["A tiny paper"] == {"person:ada lovelace": new_ada, "person:charles babbage": BABBAGE}
    works = {row["work"] for row in rows if row["title"] == "A tiny paper"}
    assert len(works) == 1 and works.pop().startswith(f"{PAPER}-")


def test_retired_uris_answer_410_and_the_new_ones_200_over_http(retired):
    key = f'<{KEY}> "person:ada lovelace" <{IDENTITY}> .'
    (new_ada,) = {line.split()[0].strip("<>") for line in retired.after.splitlines() if line.endswith(key)} - {ADA}
    with serving(make_settings(retired.store)) as server:
        for uri, status in ((ADA, 410), (PAPER, 410), (new_ada, 200), (BABBAGE, 200)):
            answer = http_fetch(server.uri(uri.removeprefix(BASE)), accept="text/turtle")
            assert answer[0] == status, (uri, answer[0])
