"""Identity lookups (:class:`kg.identity.Registry`) over any store's identity graph, by SPARQL.

Both stores use it: the embedded one (oxigraph.py) and the remote one (remote.py) answer the
same queries through ``select()``, so what a new record resolves to does not depend on where
the graph is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.identity import Curation, KnownEntity, StoredMention, from_json
from kg.identity.registry import KnownPerson
from kg.store.queries import sparql_string
from kg.uris import curation_graph_uri, identity_graph_uri, inferred_graph_uri, parse_external_uri, parse_uri
from kg.vocab import BIBO, DCTERMS, SCHEMA, kg_namespace

CHUNK = 500  # identity keys per VALUES block


class QueryableStore(Protocol):
    """What the registry needs from a store."""

    base_uri: str

    def exists(self) -> bool: ...

    def select(self, query: str) -> tuple[list[str], list[tuple]]: ...


class StoreRegistry:
    """:class:`kg.identity.Registry` over the store's identity graph, plus the reads an ingest
    needs to move facts between entities (:meth:`quads_about`, :meth:`versions_of`)."""

    def __init__(self, store: QueryableStore):
        self.store = store
        self.base = store.base_uri
        self.kg = kg_namespace(self.base)
        self.graph = f"<{identity_graph_uri(self.base)}>"
        self.key = f"<{self.kg.identityKey}>"
        self.unmarked = False  # every person has its summary, and the identity graph does not say so yet

    def _rows(self, query: str) -> list[tuple]:
        return self.store.select(query)[1] if self.store.exists() else []

    def _chunked(self, values: Iterable[str], render) -> Iterator[tuple]:
        values = sorted(set(values))
        for start in range(0, len(values), CHUNK):
            yield from self._rows(render(" ".join(values[start:start + CHUNK])))

    def find(self, keys: Iterable[str]) -> dict[str, list[KnownEntity]]:
        found: dict[str, list[KnownEntity]] = {}
        rows = self._chunked((sparql_string(k) for k in keys), lambda values: f"""
            SELECT ?e ?key WHERE {{
              VALUES ?key {{ {values} }}
              GRAPH {self.graph} {{ ?e {self.key} ?key }}
              FILTER NOT EXISTS {{ GRAPH {self.graph} {{ ?e <{OWL.deprecated}> true }} }}
            }}""")
        for uri, key in rows:
            parsed = parse_uri(self.base, str(uri))
            if parsed is not None:
                found.setdefault(str(key), []).append(KnownEntity(parsed.space, parsed.slug, str(key)))
        return found

    def taken(self, kind: str, slugs: Iterable[str]) -> set[str]:
        prefix = f"{self.base}{kind}/"
        rows = self._chunked((f"<{prefix}{slug}>" for slug in slugs), lambda values: (
            f"SELECT ?e WHERE {{ VALUES ?e {{ {values} }} GRAPH {self.graph} {{ ?e {self.key} ?k }} }}"))
        return {str(row[0])[len(prefix):] for row in rows}

    def mentions(self, block_keys: Iterable[str]) -> list[StoredMention]:
        return self._mentions((sparql_string(k) for k in block_keys), lambda values: (
            f"VALUES ?b {{ {values} }} GRAPH {self.graph} {{ ?m <{self.kg.blockKey}> ?b }}"))

    def named_mentions(self, names: Iterable[str]) -> list[StoredMention]:
        return self._mentions((sparql_string(name) for name in names), lambda values: (
            f"VALUES ?n {{ {values} }} GRAPH {self.graph} {{ ?o <{self.kg.nameKey}> ?n . "
            f"?m <{self.kg.mentionOf}> ?o }}"))

    def _mentions(self, values: Iterable[str], selection) -> list[StoredMention]:
        """The stored mentions that ``selection`` (a graph pattern binding ?m, given VALUES rows)
        selects: first which (the engine joins that pattern well on its own), then what of each."""
        chosen = {f"<{row[0]}>" for row in self._chunked(values, lambda values: (
            f"SELECT DISTINCT ?m WHERE {{ {selection(values)} }}"))}
        rows = self._chunked(chosen, lambda values: f"""
            SELECT ?m ?data ?e (GROUP_CONCAT(DISTINCT ?k; SEPARATOR="\u001f") AS ?keys) (SAMPLE(?d) AS ?retired)
                   (GROUP_CONCAT(DISTINCT ?j; SEPARATOR="\u001f") AS ?joined) WHERE {{
              VALUES ?m {{ {values} }}
              GRAPH {self.graph} {{ ?m <{self.kg.mentionData}> ?data ; <{self.kg.mentionOf}> ?e ;
                                      <{self.kg.blockKey}> ?k }}
              OPTIONAL {{ GRAPH {self.graph} {{ ?m <{self.kg.joinedBy}> ?j }} }}
              OPTIONAL {{ GRAPH {self.graph} {{ ?e <{OWL.deprecated}> ?d }} }}
            }} GROUP BY ?m ?data ?e""")
        found = {}
        for _m, data, entity, keys, retired, joined in rows:
            mention = from_json(str(data))
            found[mention.id] = StoredMention(mention, str(entity)[len(self.base):],
                                              frozenset(str(keys).split("\x1f")), retired is not None, str(data),
                                              frozenset(str(joined).split("\x1f")) if joined else frozenset())
        return [found[i] for i in sorted(found)]

    def holders(self, block_keys: Iterable[str]) -> list[str]:
        """The live entities (URIs, sorted) with a mention under one of ``block_keys``: who carries
        an identifier (``wid:doi:10.1/x``, ``pid:orcid:0000-…``), for the web's look-ups."""
        rows = self._chunked((sparql_string(k) for k in block_keys), lambda values: f"""
            SELECT DISTINCT ?e WHERE {{
              VALUES ?b {{ {values} }}
              GRAPH {self.graph} {{ ?m <{self.kg.blockKey}> ?b ; <{self.kg.mentionOf}> ?e }}
              FILTER NOT EXISTS {{ GRAPH {self.graph} {{ ?e <{OWL.deprecated}> true }} }}
            }}""")
        return sorted({str(row[0]) for row in rows})

    def work_keys(self, works: Iterable[str]) -> dict[str, set[str]]:
        """Work URI -> the identifier block keys (``wid:doi:10.1/x``) of its mentions."""
        rows = self._chunked((f"<{w}>" for w in works), lambda values: f"""
            SELECT DISTINCT ?e ?b WHERE {{
              VALUES ?e {{ {values} }}
              GRAPH {self.graph} {{ ?m <{self.kg.mentionOf}> ?e ; <{self.kg.blockKey}> ?b }}
              FILTER(STRSTARTS(?b, "wid:")) }}""")
        found: dict[str, set[str]] = {}
        for entity, key in rows:
            found.setdefault(str(entity), set()).add(str(key))
        return found

    def key_holders(self, block_keys: Iterable[str]) -> dict[str, set[str]]:
        """Block key -> the live entities with a mention under it (:meth:`holders`, by key)."""
        rows = self._chunked((sparql_string(k) for k in block_keys), lambda values: f"""
            SELECT DISTINCT ?b ?e WHERE {{
              VALUES ?b {{ {values} }}
              GRAPH {self.graph} {{ ?m <{self.kg.blockKey}> ?b ; <{self.kg.mentionOf}> ?e }}
              FILTER NOT EXISTS {{ GRAPH {self.graph} {{ ?e <{OWL.deprecated}> true }} }} }}""")
        found: dict[str, set[str]] = {}
        for key, entity in rows:
            found.setdefault(str(key), set()).add(str(entity))
        return found

    def has_citations(self) -> bool:
        """Whether any source states a ``schema:citation`` (else an ingest without references has no
        links to re-derive)."""
        return bool(self._rows(f"SELECT ?s WHERE {{ GRAPH ?g {{ ?s <{SCHEMA.citation}> ?o }} }} LIMIT 1"))

    def citations(self, cited: Iterable[str] = (), citing: Iterable[str] = (),
                  graph: str | None = None) -> set[tuple]:
        """``schema:citation`` quads (the inferred graph's only with ``graph``, else the others')
        whose object is one of ``cited`` or whose subject is one of ``citing``."""
        inferred = f"<{graph}>" if graph else "?g"
        outside = "" if graph else f"FILTER(?g != <{inferred_graph_uri(self.base)}>)"
        found: set[tuple] = set()
        for variable, values in (("o", cited), ("s", citing)):
            rows = self._chunked((f"<{u}>" for u in values), lambda vals, v=variable: (
                f"SELECT ?s ?o ?g_ WHERE {{ VALUES ?{v} {{ {vals} }} "
                f"GRAPH {inferred} {{ ?s <{SCHEMA.citation}> ?o }} BIND({inferred} AS ?g_) {outside} }}"))
            found |= {(s, SCHEMA.citation, o, g) for s, o, g in rows}
        return found

    def mentions_of(self, uri: str) -> list[StoredMention]:
        """The stored mentions of one entity."""
        rows = self._rows(f"""
            SELECT DISTINCT ?b WHERE {{
              GRAPH {self.graph} {{ ?m <{self.kg.mentionOf}> <{uri}> ; <{self.kg.blockKey}> ?b }} }}""")
        return [m for m in self.mentions(str(row[0]) for row in rows) if m.path == uri[len(self.base):]]

    def curations(self, mention_ids: set[str]) -> list[Curation]:
        rows = self._chunked((sparql_string(i) for i in mention_ids), lambda values: f"""
            SELECT DISTINCT ?c ?verdict ?note ?left ?right WHERE {{
              VALUES ?id {{ {values} }}
              GRAPH <{curation_graph_uri(self.base)}> {{
                ?c <{self.kg.mentionsCurated}> ?id ; <{self.kg.verdict}> ?verdict ; <{RDFS.comment}> ?note ;
                   <{self.kg.leftMentions}> ?left ; <{self.kg.rightMentions}> ?right }}
            }}""")
        found = {Curation(str(c), str(verdict), frozenset(str(left).split("\n")), frozenset(str(right).split("\n")),
                          str(note)) for c, verdict, note, left, right in rows}
        return sorted(found, key=lambda c: c.id)

    def summarised(self) -> bool:
        """True when the identity graph says so (``kg:summarisesPersons``, one triple), or when no
        live person lacks its summary; then ``unmarked`` asks the ingest to write that triple, so
        later ingests do not look at every person again."""
        if self._rows(f"SELECT ?x WHERE {{ GRAPH {self.graph} {{ {self.graph} <{self.kg.summarisesPersons}> ?x }} }}"):
            return True
        rows = self._rows(f"""
            SELECT ?e WHERE {{ GRAPH {self.graph} {{
              ?e {self.key} ?k FILTER(STRSTARTS(?k, "person:"))
              FILTER NOT EXISTS {{ ?e <{self.kg.nameBlock}> ?b }}
              FILTER NOT EXISTS {{ ?e <{OWL.deprecated}> true }} }} }} LIMIT 1""")
        self.unmarked = not rows
        return self.unmarked

    def person_blocks(self, blocks: Iterable[str]) -> dict[str, dict[str, frozenset[str]]]:
        rows = self._chunked((sparql_string(b) for b in blocks), lambda values: f"""
            SELECT ?b ?e (GROUP_CONCAT(DISTINCT ?k; SEPARATOR="\u001f") AS ?keys) WHERE {{
              VALUES ?b {{ {values} }}
              GRAPH {self.graph} {{ ?e <{self.kg.nameBlock}> ?b ; <{self.kg.nameKey}> ?k }}
              FILTER NOT EXISTS {{ GRAPH {self.graph} {{ ?e <{OWL.deprecated}> true }} }}
            }} GROUP BY ?b ?e""")
        found: dict[str, dict[str, frozenset[str]]] = {}
        for block, entity, keys in rows:
            found.setdefault(str(block), {})[str(entity)[len(self.base):]] = frozenset(str(keys).split("\x1f"))
        return found

    def known_persons(self, paths: Iterable[str]) -> dict[str, KnownPerson]:
        uris = sorted({f"<{self.base}{p}>" for p in paths})
        names = self._chunked(uris, lambda values: f"""
            SELECT ?e ?n WHERE {{ VALUES ?e {{ {values} }}
              GRAPH {self.graph} {{ ?e <{SCHEMA.name}>|<{SCHEMA.alternateName}> ?n }} }}""")
        same = self._chunked(uris, lambda values: f"""
            SELECT ?e ?x WHERE {{ VALUES ?e {{ {values} }} GRAPH {self.graph} {{ ?e <{OWL.sameAs}> ?x }} }}""")
        spellings: dict[str, set[str]] = {}
        for entity, name in names:
            spellings.setdefault(str(entity), set()).add(str(name))
        identifiers: dict[str, set[str]] = {}
        for entity, external in same:  # the identifiers the person's URIs are minted from (orcid, dblp, wikidata)
            if (identifier := parse_external_uri(str(external))) is not None:
                identifiers.setdefault(str(entity), set()).add(identifier)
        return {str(e)[len(self.base):]: KnownPerson(frozenset(spellings.get(str(e), ())),
                                                     tuple(sorted(identifiers.get(str(e), ()))))
                for e in (u[1:-1] for u in uris)}

    def retired(self, kind: str, bases: Iterable[str]) -> set[str]:
        prefix = f"{self.base}{kind}/"
        bases = sorted(set(bases))
        if not bases:
            return set()
        rows = self._rows(f"""
            SELECT ?e WHERE {{
              GRAPH {self.graph} {{ ?e <{OWL.deprecated}> true }}
              FILTER NOT EXISTS {{ GRAPH {self.graph} {{ ?e <{DCTERMS.isReplacedBy}> ?s }} }}
              FILTER(STRSTARTS(STR(?e), {sparql_string(prefix)}))
            }}""")
        slugs = {str(row[0])[len(prefix):] for row in rows}
        return {s for s in slugs if any(s == b or s.startswith(f"{b}-") for b in bases)}

    def identity_quads(self, subjects: Iterable[str], leave_out: str | None = None) -> set[tuple]:
        """The identity-graph triples of these subjects, as quads (but those of predicate ``leave_out``)."""
        skip = f"FILTER(?p != <{leave_out}>)" if leave_out else ""
        rows = self._chunked((f"<{s}>" for s in subjects), lambda values: (
            f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} GRAPH {self.graph} {{ ?s ?p ?o }} {skip} }}"))
        graph = identity_graph_uri(self.base)
        return {(s, p, o, graph) for s, p, o in rows}

    def replaced_by(self, uris: Iterable[str]) -> dict[str, str]:
        """URI -> the one of these URIs it redirects to (``dcterms:isReplacedBy``)."""
        rows = self._chunked((f"<{u}>" for u in uris), lambda values: (
            f"SELECT ?x ?u WHERE {{ VALUES ?u {{ {values} }} "
            f"GRAPH {self.graph} {{ ?x <{DCTERMS.isReplacedBy}> ?u }} }}"))
        return {str(x): str(u) for x, u in rows}


    def work_records(self, graph: str, indices: Iterable[int]) -> dict[str, set[int]]:
        """Work URI -> which of these records of one source (its graph) are mentions of it."""
        rows = self._chunked((f"<{graph}#w{i}>" for i in indices), lambda values: (
            f"SELECT ?m ?e WHERE {{ VALUES ?m {{ {values} }} GRAPH {self.graph} {{ ?m <{self.kg.mentionOf}> ?e }} }}"))
        found: dict[str, set[int]] = {}
        for mention, entity in rows:
            found.setdefault(str(entity), set()).add(int(str(mention).rsplit("#w", 1)[1]))
        return found

    def quads_about(self, uris: Iterable[str], graph: str | None = None, objects: bool = True) -> set[tuple]:
        """Every quad, in ``graph`` or in any named graph, whose subject (or, with ``objects``, object)
        is one of these URIs; blank nodes as the store names them.

        Two plain patterns, not one ``UNION`` with ``BIND``: pyoxigraph then starts from the
        ``VALUES`` (measured: 1.2 s against a few tens of ms for a few hundred URIs in a
        100,000-paper store)."""
        uris = sorted(set(uris))
        found = self._quads_matching(uris, "?x ?p ?o", graph)
        if objects:
            found |= self._quads_matching(uris, "?s ?p ?x", graph)
        return found

    def _quads_matching(self, uris: list[str], pattern: str, graph: str | None) -> set[tuple]:
        """Quads matching ``pattern`` (over ?x ?s ?p ?o, ?x one of ``uris``) in ``graph`` or any graph."""
        subject, _p, obj = pattern.split()
        scope = "?g" if graph is None else f"<{graph}>"
        rows = self._chunked((f"<{u}>" for u in uris), lambda values: (
            f"SELECT ?s_ ?p ?o_ ?g_ WHERE {{ VALUES ?x {{ {values} }} GRAPH {scope} {{ {pattern} }} "
            f"BIND({subject} AS ?s_) BIND({obj} AS ?o_) BIND({scope} AS ?g_) }}"))
        return {(s, p, o, g) for s, p, o, g in rows}

    def neighbourhood(self, subjects: Iterable[str], graph: str) -> set[tuple]:
        """In one graph: the quads of these subjects, of the IRIs they point to and of what those
        point to (a version's venue), and of their author lists' cells."""
        found: set[tuple] = set()
        frontier = set(subjects)
        for _hop in range(3):
            quads = self.quads_about(frontier, graph, objects=False)
            found |= quads
            frontier = {str(q[2]) for q in quads if isinstance(q[2], URIRef) and str(q[2]).startswith(self.base)}
            frontier -= {str(q[0]) for q in found}
        rows = self._chunked((f"<{s}>" for s in subjects), lambda values: (
            f"SELECT ?s ?p ?o WHERE {{ VALUES ?w {{ {values} }} GRAPH <{graph}> {{ "
            f"?w <{BIBO.authorList}>/<{RDF.rest}>* ?s . ?s ?p ?o }} }}"))
        return found | {(s, p, o, URIRef(graph)) for s, p, o in rows}

    def versions_of(self, works: Iterable[str]) -> set[str]:
        rows = self._chunked((f"<{w}>" for w in works), lambda values: (
            f"SELECT DISTINCT ?v WHERE {{ VALUES ?w {{ {values} }} GRAPH ?g {{ ?w <{SCHEMA.workExample}> ?v }} }}"))
        return {str(row[0]) for row in rows}
