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
from test_identity_resolve import paper

from kg.errors import MappingError, StoreError
from kg.identity import EmptyRegistry, KnownEntity, resolve, richest_spelling, slugify
from kg.records import ParsedSource, SourceRef
from kg.store.generations import current_generation, open_read_only, stage_generation, write_error


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
    # "Ł" does not decompose, so these are two keys with one base slug; on one author list, two people
    batch = [source("a", [paper("X", ["Łukasz Kaiser", "Lukasz Kaiser"])])]
    persons = resolve(batch, EmptyRegistry()).persons
    assert {p.named.key: p.slug for p in persons} == {
        "łukasz kaiser": f"lukasz-kaiser-{hex6('łukasz kaiser')}",
        "lukasz kaiser": f"lukasz-kaiser-{hex6('lukasz kaiser')}",
    }


def test_two_names_on_one_author_list_are_never_one_person():
    batch = [source("a", [paper("X", ["Y. LeCun", "Yann LeCun", "Alice Smith"])])]
    assert len(resolve(batch, EmptyRegistry()).persons) == 3


def test_works_whose_readable_disambiguators_collide_get_distinct_hash_slugs():
    batch = [source("a", [paper("Deep Learning", ["Yann LeCun"]), paper("Deep Learning", ["Anne LeCun"], line=2)])]
    resolution = resolve(batch, EmptyRegistry())
    yann, anne = (resolution.work_of(batch[0], i) for i in (0, 1))
    assert yann.slug != anne.slug and len(resolution.works) == 2
    sha = batch[0].ref.sha256
    assert yann.slug == f"deep-learning-{hashlib.sha256(f'{sha}:w:0'.encode()).hexdigest()[:8]}"
    assert anne.slug == f"deep-learning-{hashlib.sha256(f'{sha}:w:1'.encode()).hexdigest()[:8]}"


def test_sources_with_the_same_file_name_get_the_start_of_their_sha256():
    one, two = source("page.txt", sha="1" * 64), source("page.txt", sha="2" * 64)
    slugs = sorted(s.slug for s in resolve([one, two], EmptyRegistry()).sources)
    assert slugs == ["page-11111111", "page-22222222"]


# -- venues --------------------------------------------------------------------------------------


class KnownVenues(EmptyRegistry):
    """A store that holds these venues (the store's own registry is tested through ingests)."""

    def __init__(self, *known: KnownEntity):
        self.known = known

    def find(self, keys):
        keys = set(keys)
        return {e.key: [e] for e in self.known if e.key in keys}

    def taken(self, kind, slugs):
        return {e.slug for e in self.known if e.kind == kind} & set(slugs)


def test_venue_already_in_the_store_keeps_its_slug():
    known = KnownEntity("venue", "neurips-2", "venue:neurips")
    resolution = resolve([source("a", [paper("X", ["A B"], venue="NeurIPS")])], KnownVenues(known))
    assert resolution.venue("NeurIPS").slug == "neurips-2"


def test_a_new_venue_whose_slug_is_taken_gets_a_hash():
    known = KnownEntity("venue", "icml", "venue:i c m l")
    resolution = resolve([source("a", [paper("X", ["A B"], venue="ICML")])], KnownVenues(known))
    assert resolution.venue("ICML").slug == f"icml-{hex6('icml')}"


def test_a_paper_without_venue_does_not_hide_the_venues_of_the_papers_after_it():
    batch = [source("a", [paper("X", ["A B"]), paper("Y", ["A B"], venue="ICML")])]
    assert resolve(batch, EmptyRegistry()).venue("ICML").slug == "icml"


# -- records without an author list --------------------------------------------------------------


def test_record_without_authors_joins_the_work_of_its_title_and_gives_it_its_year():
    batch = [source("a", [paper("Deep Learning", ["Yann LeCun"]), paper("Deep Learning", None, line=2, year=2016)])]
    resolution = resolve(batch, EmptyRegistry())
    assert [w.slug for w in resolution.works] == ["deep-learning"]
    assert resolution.work_of(batch[0], 0) is resolution.work_of(batch[0], 1)
    assert resolution.works[0].named.year == 2016


def test_record_without_authors_joins_the_first_work_of_its_title_in_id_order():
    batch = [source("a", [paper("Deep Learning", ["Ian Goodfellow"]), paper("Deep Learning", ["Yann LeCun"], line=2),
                          paper("Deep Learning", None, line=3)])]
    resolution = resolve(batch, EmptyRegistry())
    assert sorted(w.slug for w in resolution.works) == ["deep-learning-goodfellow", "deep-learning-lecun"]
    assert resolution.work_of(batch[0], 2).slug == "deep-learning-goodfellow"  # the work holding mention w:0


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
    with stage_generation(tmp_path) as staged:
        published = staged.publish()
    assert published.name == "g000001" and current_generation(tmp_path) == published
    assert not os.path.lexists(tmp_path / ".current-999999")
    assert sorted(p.name for p in (tmp_path / "generations").iterdir()) == ["g000001", "gold", "x000009"]
