"""Identity rules (README, "Identity rules, and their known limits"), on hand-built records (no parsing, no RDF).

The store's part (mentions kept and re-decided across ingests, merges answering 301) is tested
end to end in test_identity_converge.py.
"""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.errors import MappingError
from kg.identity import Curation, EmptyRegistry, person_key, resolve, richest_spelling, slugify, title_key
from kg.identity.cluster import names_compatible
from kg.identity.mentions import split_homonym, work_title_key
from kg.records import Identifier, PaperRecord, ParsedSource, PersonRecord, SourceRef


def source(name: str, papers=(), subject=None, persons=(), sha=None) -> ParsedSource:
    ref = SourceRef(origin=f"in/{name}", name=name, sha256=sha or (name.encode().hex() * 64)[:64], retrieved_at="t")
    return ParsedSource(ref=ref, kind="records-jsonl", subject=subject, papers=tuple(papers), persons=tuple(persons))


def paper(title, authors=None, line=1, **kw) -> PaperRecord:
    return PaperRecord(title=title, line=line, authors=tuple(authors) if authors is not None else None, **kw)


def orcid(value: str) -> tuple[Identifier, ...]:
    return (Identifier("orcid", value),)


def with_orcid(name: str, value: str) -> list[PersonRecord]:
    """A JSON Lines person line: a name and its ORCID."""
    return [PersonRecord(name, 1, orcid(value))]


def works(resolution) -> list[str]:
    return sorted(e.slug for e in resolution.works)


def persons(resolution) -> list[str]:
    return sorted(e.slug for e in resolution.persons)


def same_work(resolution, *places) -> bool:
    return len({resolution.work_of(src, index).slug for src, index in places}) == 1


def same_person(resolution, *places) -> bool:
    return len({resolution.person(src, name).slug for src, name in places}) == 1


# -- keys and slugs ----------------------------------------------------------------------------


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


def test_title_variants_are_one_key_and_a_prefix_is_not():
    nfd = unicodedata.normalize("NFD", "Élan vital")
    assert work_title_key("Memory Mosaics at scale") == work_title_key("memory  mosaics at Scale.") \
        == work_title_key(r"\emph{Memory} Mosaics at {S}cale") == work_title_key("Memory-Mosaics at scale!")
    assert work_title_key(nfd) == work_title_key("Élan vital") == work_title_key("Elan Vital")
    assert title_key("Memory Mosaics") != title_key("Memory Mosaics at scale")


def test_homonym_numbers_are_not_names():
    assert split_homonym("Di Xu 0001") == ("Di Xu", "0001")
    assert split_homonym("Zoltán Fülöp 0002") == ("Zoltán Fülöp", "0002")
    assert split_homonym("Agent 007") == ("Agent 007", None)  # three digits: part of the name


def test_name_variants_are_initials_or_a_dropped_middle_name_never_another_first_name():
    assert names_compatible("y lecun", "yann lecun") and names_compatible("yann lecun", "y lecun")
    assert names_compatible("michael e sander", "michael sander")
    assert names_compatible("m e sander", "michael edward sander")
    assert names_compatible("j a kimura", "ji woo a kimura")  # Ji-woo: a hyphenated first name folds to two words
    assert names_compatible("megan d angelo", "megan s d angelo")
    assert not names_compatible("yann lecun", "yves lecun")
    assert not names_compatible("michael e sander", "michael f sander")
    assert not names_compatible("y lecun", "y bengio")
    assert not names_compatible("lecun", "y lecun")


NAME_TOKENS = st.sampled_from(["y", "yann", "yves", "m", "michael", "e", "edward", "lecun", "sander", "ji", "woo",
                               "é", "élodie", "e.", "d", "angelo", "o'brien", "-", "Jean-Pierre", "Ø"])


@given(st.lists(NAME_TOKENS, min_size=1, max_size=4), st.lists(NAME_TOKENS, min_size=1, max_size=4))
@settings(max_examples=300, deadline=None)
def test_compatible_names_are_in_one_block(left, right):
    """Partial names are only compared within their block (initial_key, as stored mentions are
    fetched): a pair of compatible names outside one block would be a variant the ingest never sees."""
    from kg.identity.keys import person_key
    from kg.identity.mentions import initial_key

    a, b = person_key(" ".join(left)), person_key(" ".join(right))
    if names_compatible(a, b):
        assert initial_key(a) == initial_key(b)


# -- works -------------------------------------------------------------------------------------


def test_title_prefix_is_another_work():
    papers = [paper("Memory Mosaics", ["Jianyu Zhang"]), paper("Memory Mosaics at scale", ["Jianyu Zhang"], line=2)]
    assert works(resolve([source("a", papers)], EmptyRegistry())) == ["memory-mosaics", "memory-mosaics-at-scale"]


def test_a_paper_on_two_coauthors_profiles_is_one_work():
    """A profile's list is partial (its subject and unknown others): two profiles do not contradict."""
    bottou = source("bottou", [paper("Memory Mosaics at scale", year=2026)], subject=PersonRecord("Léon Bottou"))
    zhang = source("zhang", [paper("Memory Mosaics at Scale.", year=2026)], subject=PersonRecord("Jianyu Zhang"))
    resolution = resolve([bottou, zhang], EmptyRegistry())
    assert works(resolution) == ["memory-mosaics-at-scale"]


def test_a_profile_record_joins_the_work_whose_author_list_has_its_subject():
    cluster = source("cluster", [paper("Deep Learning", ["Yann LeCun", "Yoshua Bengio"], year=2015),
                                 paper("Deep Learning", ["Ian Goodfellow", "Aaron Courville"], line=2, year=2016)])
    profile = source("profile", [paper("Deep learning", year=2016)], subject=PersonRecord("Aaron Courville"))
    resolution = resolve([cluster, profile], EmptyRegistry())
    assert works(resolution) == ["deep-learning-goodfellow", "deep-learning-lecun"]
    assert resolution.work_of(profile, 0).slug == "deep-learning-goodfellow"
    assert resolution.work_of(cluster, 1).named.year == 2016


def test_same_title_shared_author_is_one_work_with_the_earliest_year():
    a = source("a", [paper("Memory Mosaics at scale", ["Jianyu Zhang", "Leon Bottou"], year=2025)])
    b = source("b", [paper("Memory Mosaics at scale", ["L. Bottou"], year=2024, venue="arXiv")])
    resolution = resolve([a, b], EmptyRegistry())
    assert works(resolution) == ["memory-mosaics-at-scale"]
    assert resolution.work_of(a, 0).named.year == 2024


def test_generic_titles_never_merge_on_the_title_alone():
    a = source("a", [paper("Introduction", ["Alice Smith"], year=2021, venue="JMLR"),
                     paper("Editorial", ["Carol White"], line=2, year=2020)])
    b = source("b", [paper("Introduction", ["Carol White"], year=2021, venue="JMLR"),
                     paper("Editorial", ["Carol White"], line=2, year=2021)])
    c = source("c", [paper("Introduction.", ["Alice Smith"], year=2021, venue="JMLR")])
    resolution = resolve([a, b, c], EmptyRegistry())
    assert works(resolution) == ["editorial-white-2020", "editorial-white-2021", "introduction-smith",
                                 "introduction-white"]
    assert same_work(resolution, (a, 0), (c, 0))  # same author, year and venue
    assert not same_work(resolution, (a, 0), (b, 0)) and not same_work(resolution, (a, 1), (b, 1))


def test_equal_doi_is_one_work_whatever_the_title_and_case():
    a = source("a", [paper("A Retitled Paper", ["Eve Black"], identifiers=(Identifier("doi", "10.5555/x.1"),))])
    b = source("b", [paper("The Paper, Extended", ["Carol White"], identifiers=(Identifier("doi", "10.5555/X.1"),))])
    resolution = resolve([a, b], EmptyRegistry())
    assert len(works(resolution)) == 1
    (work,) = resolution.works
    assert work.named.identifiers == ("doi:10.5555/X.1",)  # one spelling, chosen by content


def test_same_title_disjoint_authors_are_two_works_with_readable_disambiguators():
    batch = [source("a", [paper("Deep Learning", ["Yann LeCun"]), paper("Deep Learning", ["Ian Goodfellow"], line=2)])]
    assert works(resolve(batch, EmptyRegistry())) == ["deep-learning-goodfellow", "deep-learning-lecun"]


# -- persons -----------------------------------------------------------------------------------


def test_one_name_two_orcids_is_two_persons_and_one_orcid_two_names_is_one():
    a = source("a", [paper("Graph Things", ["Di Xu", "Bob Jones"])], persons=with_orcid("Di Xu", "0000-0001-5000-0001"))
    b = source("b", [paper("Protein Things", ["Di Xu"])], persons=with_orcid("Di Xu", "0000-0002-5000-0002"))
    c = source("c", [paper("Other Things", ["D. Xu"])], persons=with_orcid("D. Xu", "0000-0001-5000-0001"))
    resolution = resolve([a, b, c], EmptyRegistry())
    assert not same_person(resolution, (a, "Di Xu"), (b, "Di Xu"))
    assert same_person(resolution, (a, "Di Xu"), (c, "D. Xu"))
    assert sorted(s for s in persons(resolution) if s.startswith("di-xu")) == \
        ["di-xu-0000-0001-5000-0001", "di-xu-0000-0002-5000-0002"]


def test_a_name_without_identifier_joins_the_homonym_it_shares_a_coauthor_with():
    a = source("a", [paper("Graph Things", ["Di Xu", "Bob Jones"])], persons=with_orcid("Di Xu", "0000-0001-5000-0001"))
    b = source("b", [paper("Protein Things", ["Di Xu", "Eve Black"])],
               persons=with_orcid("Di Xu", "0000-0002-5000-0002"))
    c = source("c", [paper("More Graph Things", ["Di Xu", "Bob Jones"])])
    d = source("d", [paper("Unrelated Things", ["Di Xu", "Nobody Known"])])
    resolution = resolve([a, b, c, d], EmptyRegistry())
    assert same_person(resolution, (a, "Di Xu"), (c, "Di Xu"))
    assert not same_person(resolution, (d, "Di Xu"), (a, "Di Xu"))
    assert not same_person(resolution, (d, "Di Xu"), (b, "Di Xu"))


def test_dblp_homonym_numbers_separate_persons_and_leave_the_name_bare():
    a = source("a", [paper("Tree Automata Things", ["Di Xu 0001", "Zoltán Fülöp 0001"])])
    b = source("b", [paper("Weighted Tree Things", ["Di Xu 0002", "Zoltán Fülöp 0001"])])
    resolution = resolve([a, b], EmptyRegistry())
    assert not same_person(resolution, (a, "Di Xu 0001"), (b, "Di Xu 0002"))
    assert same_person(resolution, (a, "Zoltán Fülöp 0001"), (b, "Zoltán Fülöp 0001"))
    assert resolution.person(a, "Di Xu 0001").named.display == "Di Xu"
    assert resolution.person(a, "Di Xu 0001").slug == "di-xu-0001"
    assert resolution.person(a, "Zoltán Fülöp 0001").slug == "zoltan-fulop"  # no other Zoltán Fülöp: no number


def test_equal_names_are_one_person_by_default():
    a = source("a", [paper("X Things", ["Wei Zhang"])])
    b = source("b", [paper("Y Things", ["Wei  ZHANG"])])
    assert same_person(resolve([a, b], EmptyRegistry()), (a, "Wei Zhang"), (b, "Wei  ZHANG"))


def test_initials_join_a_full_name_only_with_a_shared_coauthor_or_work():
    a = source("a", [paper("Deep Nets", ["Y. LeCun", "Alice Smith"])])
    b = source("b", [paper("Other Nets", ["Yann LeCun", "Alice Smith"])])
    c = source("c", [paper("Third Nets", ["Y. LeCun", "Zed Zulu"])])
    resolution = resolve([a, b, c], EmptyRegistry())
    assert same_person(resolution, (a, "Y. LeCun"), (b, "Yann LeCun"))
    assert resolution.person(a, "Y. LeCun").slug == "yann-lecun"
    assert resolution.person(a, "Y. LeCun").named.alternates == ("Y. LeCun",)
    alone = resolve([b, c], EmptyRegistry())
    assert not same_person(alone, (b, "Yann LeCun"), (c, "Y. LeCun"))


def test_an_initial_that_fits_two_persons_joins_neither():
    a = source("a", [paper("Nets A", ["Y. LeCun", "Alice Smith"])])
    b = source("b", [paper("Nets B", ["Yann LeCun", "Alice Smith"])])
    c = source("c", [paper("Nets C", ["Yves LeCun", "Alice Smith"])])
    resolution = resolve([a, b, c], EmptyRegistry())
    assert len({resolution.person(s, n).slug for s, n in ((a, "Y. LeCun"), (b, "Yann LeCun"), (c, "Yves LeCun"))}) == 3


def test_a_dropped_middle_initial_joins_with_evidence_and_never_across_orcids():
    a = source("a", [paper("Sinkformers", ["Michael E. Sander", "Pierre Ablin"])])
    b = source("b", [paper("Momentum ResNets", ["Michael Sander", "Pierre Ablin"])])
    assert same_person(resolve([a, b], EmptyRegistry()), (a, "Michael E. Sander"), (b, "Michael Sander"))
    c = source("c", [paper("Sinkformers", ["Michael E. Sander", "Pierre Ablin"])],
               persons=with_orcid("Michael E. Sander", "0000-0001-0000-0001"))
    d = source("d", [paper("Momentum ResNets", ["Michael Sander", "Pierre Ablin"])],
               persons=with_orcid("Michael Sander", "0000-0002-0000-0002"))
    assert not same_person(resolve([c, d], EmptyRegistry()), (c, "Michael E. Sander"), (d, "Michael Sander"))


# -- curation ----------------------------------------------------------------------------------


def test_curations_override_the_rules():
    a = source("a", [paper("Deep Nets", ["Alice Smith"])])
    b = source("b", [paper("Other Nets", ["Alice Smith"])])
    plain = resolve([a, b], EmptyRegistry())
    assert same_person(plain, (a, "Alice Smith"), (b, "Alice Smith"))
    left, right = f"{a.ref.sha256}:p:alice smith", f"{b.ref.sha256}:p:alice smith"
    apart = Curation("c1", "different", frozenset({left}), frozenset({right}), "two Alices")
    resolution = resolve([a, b], EmptyRegistry(), apart)
    assert not same_person(resolution, (a, "Alice Smith"), (b, "Alice Smith"))
    assert sorted(persons(resolution))[0].startswith("alice-smith-")
    c = source("c", [paper("Things", ["Bob Jones"])])
    together = Curation("c2", "same", frozenset({left}), frozenset({f"{c.ref.sha256}:p:bob jones"}), "one person")
    assert same_person(resolve([a, c], EmptyRegistry(), together), (a, "Alice Smith"), (c, "Bob Jones"))


# -- order -------------------------------------------------------------------------------------

CORPUS = [
    source("cluster", [paper("Memory Mosaics at scale", ["Jianyu Zhang", "Leon Bottou"], year=2025),
                       paper("Deep Learning", ["Yann LeCun", "Yoshua Bengio"], line=2, year=2015)]),
    source("bottou", [paper("Memory Mosaics at scale", year=2026)], subject=PersonRecord("Léon Bottou")),
    source("zhang", [paper("Memory mosaics at scale.", year=2026)], subject=PersonRecord("Jianyu Zhang")),
    source("initials", [paper("Deep learning", ["Y. LeCun", "Y. Bengio"]),
                        paper("Introduction", ["Y. LeCun"], line=2)]),
    source("homonyms", [paper("Graph Things", ["Di Xu", "Bob Jones"]), paper("Introduction", ["Di Xu"], line=2)],
           persons=with_orcid("Di Xu", "0000-0001-5000-0001")),
    source("homonyms-2", [paper("Protein Things", ["Di Xu", "Eve Black"])],
           persons=with_orcid("Di Xu", "0000-0002-5000-0002")),
    source("goodfellow", [paper("Deep Learning", ["Ian Goodfellow", "Aaron Courville"], year=2016)]),
]


def decided(resolution) -> set:
    """Everything a resolution decides, independent of its input order."""
    return {(e.slug, e.named, frozenset(m.id for m in e.mentions)) for e in resolution.entities.values()}


@settings(max_examples=40, deadline=None)
@given(st.permutations(CORPUS))
def test_resolution_does_not_depend_on_record_order(order):
    assert decided(resolve(list(order), EmptyRegistry())) == decided(resolve(CORPUS, EmptyRegistry()))


def test_resolution_does_not_depend_on_paper_order_within_a_source():
    records = [paper("Deep Learning", ["Yann LeCun"]), paper("Deep Learning", ["Ian Goodfellow"], line=2),
               paper("Deep Learning", None, line=3)]
    slugs = {tuple(sorted(e.slug for e in resolve([source("a", list(p))], EmptyRegistry()).works))
             for p in itertools.permutations(records)}
    assert slugs == {("deep-learning-goodfellow", "deep-learning-lecun")}


def test_name_without_letters_is_a_mapping_error_naming_the_record():
    with pytest.raises(MappingError, match=r"in/a:7: field 'name': '—' has no letters or digits"):
        resolve([source("a", [paper("Title", ["—"], line=7)])], EmptyRegistry())


def test_a_name_cluster_page_can_hold_two_people_of_one_name():
    """A cluster page groups records by a name; its records' authors are mentions of their own."""
    ref = SourceRef(origin="in/cluster", name="cluster", sha256="c" * 64, retrieved_at="t")
    records = (paper("Graph Things Again", ["Di Xu", "Bob Jones"], line=10),
               paper("Protein Things Again", ["Di Xu", "Eve Black"], line=20))
    cluster = ParsedSource(ref=ref, kind="arrow-author-cluster", subject=PersonRecord("Di Xu", 3), papers=records)
    a = source("a", [paper("Graph Things", ["Di Xu", "Bob Jones"])],
               persons=with_orcid("Di Xu", "0000-0001-5000-0001"))
    b = source("b", [paper("Protein Things", ["Di Xu", "Eve Black"])],
               persons=with_orcid("Di Xu", "0000-0002-5000-0002"))
    resolution = resolve([cluster, a, b], EmptyRegistry())
    assert resolution.person(cluster, "Di Xu", 0).slug == resolution.person(a, "Di Xu").slug == \
        "di-xu-0000-0001-5000-0001"
    assert resolution.person(cluster, "Di Xu", 1).slug == resolution.person(b, "Di Xu").slug
