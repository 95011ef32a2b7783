"""Identity rules (README, "Identity rules, and their known limits"), on hand-built records (no parsing, no RDF)."""

from __future__ import annotations

import pytest

from kg.errors import MappingError
from kg.identity import EmptyRegistry, KnownEntity, person_key, resolve, richest_spelling, slugify, title_key
from kg.records import PaperRecord, ParsedSource, PersonRecord, SourceRef


def source(name: str, papers=(), subject=None, sha=None) -> ParsedSource:
    ref = SourceRef(origin=f"in/{name}", name=name, sha256=sha or (name.encode().hex() * 64)[:64], retrieved_at="t")
    return ParsedSource(ref=ref, kind="records-jsonl", subject=subject, papers=tuple(papers))


def paper(title, authors=None, line=1, **kw) -> PaperRecord:
    return PaperRecord(title=title, line=line, authors=tuple(authors) if authors is not None else None, **kw)


class FakeRegistry:
    """A registry with given known entities (the store's is tested in test_store_*)."""

    def __init__(self, *entities: KnownEntity):
        self.entities = entities

    def find(self, keys):
        keys = set(keys)
        found = {}
        for e in self.entities:
            if e.key in keys:
                found.setdefault(e.key, []).append(e)
        return found

    def taken(self, kind, slugs):
        return {e.slug for e in self.entities if e.kind == kind} & set(slugs)


def test_person_keys_fold_accents_case_and_punctuation():
    assert person_key("Léon Bottou") == person_key("Leon Bottou") == person_key("LEON  bottou")
    assert person_key("Alexandre Défossez") == person_key("Alexandre Defossez")
    assert person_key("Aaron Defazio") != person_key("Alexandre Defossez")
    assert person_key("Klaus-Robert Müller") == person_key("Klaus Robert Muller")


def test_richest_spelling_prefers_accents_and_ignores_order():
    assert richest_spelling(["Leon Bottou", "Léon Bottou"]) == "Léon Bottou"
    assert richest_spelling(["Léon Bottou", "Leon Bottou"]) == "Léon Bottou"


def test_slugs_are_readable_ascii():
    assert slugify("Léon Bottou") == "leon-bottou"
    assert slugify("Memory Mosaics at scale") == "memory-mosaics-at-scale"
    assert slugify("SING: Symbol-to-Instrument Neural Generator") == "sing-symbol-to-instrument-neural-generator"
    assert len(slugify("word " * 100)) <= 80


def test_title_prefix_is_another_work():
    assert title_key("Memory Mosaics") != title_key("Memory Mosaics at scale")
    papers = [paper("Memory Mosaics", ["Jianyu Zhang"]), paper("Memory Mosaics at scale", ["Jianyu Zhang"])]
    batch = [source("a", papers)]
    resolution = resolve(batch, EmptyRegistry())
    assert sorted(resolution.works) == ["memory-mosaics", "memory-mosaics-at-scale"]


def test_same_title_shared_author_is_one_work_and_profile_subject_counts_as_author():
    cluster = source("cluster", [paper("Memory Mosaics at scale", ["Jianyu Zhang", "Leon Bottou"], year=2025)])
    profile = source("profile", [paper("Memory Mosaics at scale", year=2026)], subject=PersonRecord("Léon Bottou"))
    resolution = resolve([profile, cluster], EmptyRegistry())
    assert list(resolution.works) == ["memory-mosaics-at-scale"]
    work = resolution.works["memory-mosaics-at-scale"]
    assert work.year == 2025
    assert resolution.person("Leon Bottou").display == "Léon Bottou"
    assert resolution.person("Leon Bottou").alternates == ("Leon Bottou",)


def test_same_title_disjoint_authors_are_two_works_with_readable_disambiguators():
    batch = [source("a", [paper("Deep Learning", ["Yann LeCun"]), paper("Deep Learning", ["Ian Goodfellow"])])]
    resolution = resolve(batch, EmptyRegistry())
    assert sorted(resolution.works) == ["deep-learning-goodfellow", "deep-learning-lecun"]


def test_resolution_does_not_depend_on_record_order():
    records = [paper("Deep Learning", ["Yann LeCun"]), paper("Deep Learning", ["Ian Goodfellow"]),
               paper("Deep Learning", None)]
    one = resolve([source("a", records)], EmptyRegistry())
    two = resolve([source("a", list(reversed(records)))], EmptyRegistry())
    assert sorted(one.works) == sorted(two.works)
    assert {w.slug: w.author_keys for w in one.works.values()} == {w.slug: w.author_keys for w in two.works.values()}


def test_existing_uri_is_kept_and_newcomer_is_disambiguated():
    known = KnownEntity("paper", "deep-learning", "work:deep learning", author_keys=frozenset({"yann lecun"}))
    registry = FakeRegistry(known)
    resolution = resolve([source("b", [paper("Deep Learning", ["Ian Goodfellow"])])], registry)
    assert list(resolution.works) == ["deep-learning-goodfellow"]
    again = resolve([source("c", [paper("Deep learning", ["Yann LeCun", "Yoshua Bengio"], year=2015)])], registry)
    assert list(again.works) == ["deep-learning"] and again.works["deep-learning"].previous is known


def test_known_person_keeps_slug_and_gains_spelling():
    known = KnownEntity("author", "leon-bottou", "person:leon bottou", names=frozenset({"Leon Bottou"}))
    resolution = resolve([source("p", subject=PersonRecord("Léon Bottou"))], FakeRegistry(known))
    person = resolution.person("Léon Bottou")
    assert (person.slug, person.display, person.alternates) == ("leon-bottou", "Léon Bottou", ("Leon Bottou",))


def test_source_already_in_store_is_skipped():
    sha = "ab" * 32
    known = KnownEntity("source", "page", f"source:{sha}")
    resolution = resolve([source("page.txt", [paper("X", ["A B"])], sha=sha)], FakeRegistry(known))
    assert resolution.sources == () and len(resolution.skipped) == 1 and resolution.works == {}


def test_name_without_letters_is_a_mapping_error_naming_the_record():
    with pytest.raises(MappingError, match=r"in/a:7: field 'name': '—' has no letters or digits"):
        resolve([source("a", [paper("Title", ["—"], line=7)])], EmptyRegistry())
