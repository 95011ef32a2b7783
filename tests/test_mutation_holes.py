"""Behaviours that mutation testing (`make mutate`, RELIABILITY.md "Mutation testing") found no test pinning.

Identity: each test pins a rule whose loss would change published URIs or drop a record
silently: the slug length limit, the hash disambiguator, records without an author list, venues
already in the store (hand-built records as in test_identity_resolve.py; no store, no RDF).
Store generations: what a write leaves alone, what it cleans up, and the one-line reasons of
write_error for each errno (fast: an empty pyoxigraph store per test, no ingest).
"""

from __future__ import annotations

import errno
import hashlib
import os

import pytest
from test_identity_resolve import FakeRegistry, paper

from kg.errors import MappingError, StoreError
from kg.identity import EmptyRegistry, KnownEntity, resolve, richest_spelling, slugify
from kg.records import ParsedSource, SourceRef
from kg.store.generations import current_generation, open_read_only, write_error, write_generation


def source(name: str, papers=(), subject=None, sha=None, persons=()) -> ParsedSource:
    ref = SourceRef(origin=f"in/{name}", name=name, sha256=sha or hashlib.sha256(name.encode()).hexdigest(),
                    retrieved_at="t")
    return ParsedSource(ref=ref, kind="records-jsonl", subject=subject, papers=tuple(papers), persons=tuple(persons))


def hex6(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]


# -- slugs ---------------------------------------------------------------------------------------


def test_slug_of_exactly_80_characters_is_kept_whole():
    assert slugify("a" * 78 + " b") == "a" * 78 + "-b"


def test_long_slug_is_cut_at_the_last_word_boundary_within_80_characters():
    assert slugify("a" * 79 + " b c") == "a" * 79
    assert slugify("a" * 40 + " " + "b" * 38 + " c") == "a" * 40 + "-" + "b" * 38


def test_accented_spelling_wins_over_more_capitals_and_more_length():
    assert richest_spelling(["LEON BOTTOU", "Léon Bottou"]) == "Léon Bottou"
    assert richest_spelling(["Leon Bottou (FAIR)", "Léon Bottou"]) == "Léon Bottou"


def test_name_with_word_characters_but_nothing_to_slug_is_a_mapping_error():
    # U+02BC is a letter to Unicode (so the identity key is not empty) but transliterates to "'"
    with pytest.raises(MappingError, match="has no letters or digits"):
        resolve([source("a", [paper("Title", ["\u02bc\u02bc"], line=3)])], EmptyRegistry())


# -- disambiguators ------------------------------------------------------------------------------


def test_persons_whose_slugs_collide_get_the_hash_of_their_key():
    # "Ł" does not decompose, so these are two persons (two keys) with one base slug
    batch = [source("a", [paper("X", ["Łukasz Kaiser", "Lukasz Kaiser"])])]
    persons = resolve(batch, EmptyRegistry()).persons
    assert {p.key: p.slug for p in persons.values()} == {
        "łukasz kaiser": f"lukasz-kaiser-{hex6('łukasz kaiser')}",
        "lukasz kaiser": f"lukasz-kaiser-{hex6('lukasz kaiser')}",
    }


def test_newcomer_whose_slug_the_store_holds_gets_the_hash_of_its_key():
    known = KnownEntity("author", "lukasz-kaiser", "person:lukasz kaiser", names=frozenset({"Lukasz Kaiser"}))
    resolution = resolve([source("a", [paper("X", ["Łukasz Kaiser"])])], FakeRegistry(known))
    assert resolution.person("Łukasz Kaiser").slug == f"lukasz-kaiser-{hex6('łukasz kaiser')}"


def test_works_whose_readable_disambiguators_collide_get_distinct_hash_slugs():
    batch = [source("a", [paper("Deep Learning", ["Yann LeCun"]), paper("Deep Learning", ["Anne LeCun"])])]
    resolution = resolve(batch, EmptyRegistry())
    yann, anne = (resolution.work_of(batch[0], i) for i in (0, 1))
    assert yann.slug != anne.slug and len(resolution.works) == 2
    assert yann.slug == f"deep-learning-{hex6('deep learning' + chr(0x1F) + 'yann lecun')}"
    assert anne.slug == f"deep-learning-{hex6('deep learning' + chr(0x1F) + 'anne lecun')}"


def test_sources_with_the_same_file_name_get_the_start_of_their_sha256():
    one, two = source("page.txt", sha="1" * 64), source("page.txt", sha="2" * 64)
    slugs = sorted(s.slug for s in resolve([one, two], EmptyRegistry()).sources)
    assert slugs == ["page-11111111", "page-22222222"]


# -- venues --------------------------------------------------------------------------------------


def test_venue_already_in_the_store_keeps_its_slug():
    known = KnownEntity("venue", "neurips-2", "venue:neurips")
    resolution = resolve([source("a", [paper("X", ["A B"], venue="NeurIPS")])], FakeRegistry(known))
    venue = resolution.venue("NeurIPS")
    assert (venue.slug, venue.previous) == ("neurips-2", known)


def test_a_paper_without_venue_does_not_hide_the_venues_of_the_papers_after_it():
    batch = [source("a", [paper("X", ["A B"]), paper("Y", ["A B"], venue="ICML")])]
    assert resolve(batch, EmptyRegistry()).venue("ICML").slug == "icml"


# -- records without an author list --------------------------------------------------------------


def test_record_without_authors_joins_the_work_of_its_title_and_gives_it_its_year():
    batch = [source("a", [paper("Deep Learning", ["Yann LeCun"]), paper("Deep Learning", None, year=2016)])]
    resolution = resolve(batch, EmptyRegistry())
    assert list(resolution.works) == ["deep-learning"]
    assert resolution.work_of(batch[0], 0) is resolution.work_of(batch[0], 1)
    assert resolution.works["deep-learning"].year == 2016


def test_record_without_authors_joins_the_stored_work_of_its_title():
    known = KnownEntity("paper", "deep-learning", "work:deep learning", author_keys=frozenset({"yann lecun"}))
    batch = [source("a", [paper("Deep Learning", None)])]
    work = resolve(batch, FakeRegistry(known)).work_of(batch[0], 0)
    assert (work.slug, work.previous) == ("deep-learning", known)


def test_record_without_authors_prefers_the_stored_work_to_a_new_one():
    known = KnownEntity("paper", "deep-learning", "work:deep learning", author_keys=frozenset({"yann lecun"}))
    batch = [source("a", [paper("Deep Learning", ["Ian Goodfellow"]), paper("Deep Learning", ["Yann LeCun"]),
                          paper("Deep Learning", None)])]
    resolution = resolve(batch, FakeRegistry(known))
    assert sorted(resolution.works) == ["deep-learning", "deep-learning-goodfellow"]
    assert resolution.work_of(batch[0], 2).slug == "deep-learning"


# -- store generations ---------------------------------------------------------------------------


def test_a_current_that_is_not_a_link_means_nothing_is_published(tmp_path):
    (tmp_path / "current").mkdir()
    assert current_generation(tmp_path) is None


def test_a_generation_that_cannot_be_opened_is_a_store_error(tmp_path):
    (tmp_path / "generations" / "g000001").mkdir(parents=True)  # not a RocksDB directory
    os.symlink("generations/g000001", tmp_path / "current")
    with pytest.raises(StoreError, match="cannot open g000001"):
        open_read_only(tmp_path)


@pytest.mark.parametrize(("error", "reason"), [
    (OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
    (OSError("IO error: No space left on device: While appending to file"), "the disk is full"),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), "the disk quota is exceeded"),
    (OSError(errno.EROFS, "Read-only file system"), "read-only file system"),
    (OSError(errno.EACCES, "Permission denied"), "read-only for this user"),
    (OSError(errno.EPERM, "Operation not permitted"), "read-only for this user"),
    (OSError(errno.EIO, "Input/output\nerror"), "[Errno 5] Input/output error"),
])
def test_write_error_names_the_reason_of_each_errno(tmp_path, error, reason):
    message = str(write_error(tmp_path, error, "write failed"))
    assert f"write failed: {reason}" in message and "nothing was written" in message
    for other in ("disk is full", "quota", "read-only file system", "read-only for this user"):
        assert other in reason or other not in message


def test_a_write_removes_a_killed_writers_link_and_leaves_foreign_entries(tmp_path):
    (tmp_path / "generations" / "gold").mkdir(parents=True)
    (tmp_path / "generations" / "x000009").mkdir()
    os.symlink("generations/g000007", tmp_path / ".current-999999")  # a killed writer's temporary link
    published = write_generation(tmp_path, lambda store: None)
    assert published.name == "g000001" and current_generation(tmp_path) == published
    assert not os.path.lexists(tmp_path / ".current-999999")
    assert sorted(p.name for p in (tmp_path / "generations").iterdir()) == ["g000001", "gold", "x000009"]
