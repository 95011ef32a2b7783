"""Bounded descriptions of our resources, read from the store with a few SELECTs.

A description keeps the named graph of every triple, so pages can say which source stated what
(README "Named graphs"). It holds, for a resource ``R``:

- every triple with ``R`` as subject, in every graph (a person's ``foaf:made`` only for the
  works on the current page, so the description stays bounded);
- the ``schema:name`` of every resource it links to, and of
  the source documents its triples come from;
- what matters about its neighbours: a work's versions and the cells of its ``bibo:authorList``
  (so the ``rdf:List`` is complete); a person's works (``?w schema:author R``) with their
  versions and venues, and the sources about the person; a venue's versions
  (``?v schema:isPartOf R``); a source's entities (what its graph types) and how many of each
  class it mentions, given as ``schema:mentions`` and VoID class partitions (computed here,
  so they sit in :attr:`Description.derived`, not in any named graph);
- the ``schema:PropertyValue`` of each external identifier a person or work has;
- the inbound lists (works, versions, mentioned entities) one page at a time.

The model is a flat list of quads with a few accessors (:meth:`Description.values`,
:meth:`Description.said_by`, ...) used by the templates, the RDF serialisers and the citations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF
from rdflib.term import Node

from kg.config import DEFAULTS
from kg.store import Store
from kg.uris import identity_graph_uri, inferred_graph_uri
from kg.vocab import BIBO, DCTERMS, FOAF, SCHEMA, VOID, kg_namespace, prefixes
from kg.web.display import longest_first, prefixed_name

Quad = tuple[Node, URIRef, Node, URIRef]
Triple = tuple[Node, URIRef, Node]


@dataclass(frozen=True)
class Status:
    """Whether a URI names something, and whether it was retired (kg.pipeline.retire)."""

    exists: bool
    deprecated: bool
    replaced_by: URIRef | None


@dataclass(frozen=True)
class Paging:
    """One page of an inbound list; pages are 1-based."""

    page: int
    size: int
    total: int

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.last

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True)
class Said:
    """Who stated a fact: a source document (with a link) or one of our own graphs."""

    text: str
    href: str | None


@dataclass
class Stated:
    """One value, with the graphs that state it and the subjects it is stated of (:meth:`Description.distinct`)."""

    value: Node
    graphs: list[URIRef]
    subjects: list[Node]


@dataclass(frozen=True)
class Authorship:
    """A work's authors as one list (:meth:`Description.authorship`)."""

    persons: list[Node]
    graphs: list[URIRef]  # the graphs of the list the order comes from
    order_by: list[URIRef]  # the same, when they give an order (none when no source does)
    unordered_by: list[URIRef]  # graphs that name authors without an order
    other_orders: list[tuple[list[Node], list[URIRef]]]  # ordered lists that differ from the first


@dataclass
class Description:
    """What the store says about one resource and its neighbourhood, with the graph of each triple."""

    uri: URIRef
    kind: str  # author, paper, version, venue, source
    base: str
    quads: list[Quad] = field(default_factory=list)
    derived: list[Triple] = field(default_factory=list)  # computed here, stated by no graph
    members: list[URIRef] = field(default_factory=list)  # the inbound list's current page, in order
    paging: Paging | None = None
    tallies: list[tuple[URIRef, int]] = field(default_factory=list)  # a source: entities per class
    why: object = None  # a person's or work's kg.store.explain.Explanation, for its HTML page

    # -- reading, for templates and serialisers ------------------------------------------------

    @cached_property
    def _index(self) -> dict[tuple[Node, URIRef], dict[Node, list[URIRef]]]:
        index: dict[tuple[Node, URIRef], dict[Node, list[URIRef]]] = {}
        for s, p, o, g in self.quads:
            graphs = index.setdefault((s, p), {}).setdefault(o, [])
            if g not in graphs:
                graphs.append(g)
        return index

    def term(self, curie: str | URIRef) -> URIRef:
        """Expand ``schema:name`` (our ``kg:`` prefix included) to a full IRI."""
        if isinstance(curie, URIRef):
            return curie
        prefix, _, local = curie.partition(":")
        return URIRef(self.prefixes[prefix] + local)

    @cached_property
    def prefixes(self) -> dict[str, str]:
        return prefixes(self.base, "hydra", "void")

    def values(self, subject: Node, curie: str | URIRef) -> list[Node]:
        """The objects of ``subject curie ?o``, sorted, each once."""
        return sorted(self._index.get((subject, self.term(curie)), {}), key=_sort_key)

    def first(self, subject: Node, curie: str | URIRef) -> Node | None:
        found = self.values(subject, curie)
        return found[0] if found else None

    def graphs(self, subject: Node, curie: str | URIRef, obj: Node | None = None) -> list[URIRef]:
        """The graphs that state ``subject curie obj`` (any object when ``obj`` is None)."""
        objects = self._index.get((subject, self.term(curie)), {})
        found = objects.get(obj, []) if obj is not None else [g for gs in objects.values() for g in gs]
        return sorted(set(found), key=str)

    def said_by(self, subject: Node, curie: str | URIRef, obj: Node | None = None) -> list[Said]:
        """Who stated the fact: source documents (linked) or the identity/inferred graph."""
        return [self.provenance(g) for g in self.graphs(subject, curie, obj)]

    def said_in(self, graphs: Iterable[URIRef]) -> list[Said]:
        return [self.provenance(g) for g in graphs]

    def provenance(self, graph: URIRef) -> Said:
        if graph == identity_graph_uri(self.base):
            return Said("identity resolution", None)
        if graph == inferred_graph_uri(self.base):
            return Said("inferred", None)
        return Said(self.label(graph), str(graph))

    def subjects(self, curie: str | URIRef, obj: Node) -> list[Node]:
        predicate = self.term(curie)
        return sorted({s for (s, p), objects in self._index.items() if p == predicate and obj in objects},
                      key=_sort_key)

    def predicates(self, subject: Node) -> list[URIRef]:
        return sorted({p for (s, p) in self._index if s == subject}, key=str)

    def label(self, node: Node) -> str:
        """A display name: the identity graph's name, else any stated name, else the URI's path."""
        identity = identity_graph_uri(self.base)
        scheme, value = self.first(node, SCHEMA.propertyID), self.first(node, SCHEMA.value)
        if scheme is not None and value is not None:  # an external identifier
            return f"{scheme}:{value}"
        for predicate in (SCHEMA.name, FOAF.name, self.term("kg:statedName")):
            names = self._index.get((node, predicate), {})
            preferred = [n for n, graphs in names.items() if identity in graphs] or list(names)
            if preferred:
                return str(sorted(preferred, key=_sort_key)[0])
        return self._version_label(node) or self._path(node)

    def _path(self, node: Node) -> str:
        """Our own URIs by their path (``paper/x/y``), vocabulary terms as CURIEs."""
        text = str(node)
        return text[len(self.base):] if text.startswith(self.base) else self.curie(node)

    def _version_label(self, node: Node) -> str | None:
        """A version has no name of its own: its venue and year stand for it."""
        venue, year = self.first(node, SCHEMA.isPartOf), self.first(node, SCHEMA.datePublished)
        if venue is None or year is None:
            return None
        work = self.first(node, SCHEMA.exampleOfWork)
        prefix = f"{self.label(work)}, " if work is not None and work != self.uri else ""
        return f"{prefix}{self.label(venue)} {year}"

    def text(self, node: Node) -> str:
        """How a value reads on a page: a literal as it is, a resource by its label."""
        if isinstance(node, Literal):
            return str(node)
        if isinstance(node, BNode):
            items = self.list_items(node)
            return "(an RDF list)" if items is None else ", ".join(self.text(item) for item in items)
        return self.label(node)

    def list_items(self, node: Node) -> list[Node] | None:
        """The members of the ``rdf:List`` that starts at ``node``, in order; None when it is not one.

        A list whose cells the description does not hold to the end (or that loops) is cut where
        its cells stop, so a page shows what it has rather than nothing.
        """
        if node != RDF.nil and (node, RDF.first) not in self._index:
            return None
        items: list[Node] = []
        seen: set[Node] = set()
        while node != RDF.nil and node not in seen and (node, RDF.first) in self._index:
            seen.add(node)
            items.extend(self.values(node, RDF.first))
            node = self.first(node, RDF.rest) or RDF.nil
        return items

    def distinct(self, subjects: Iterable[Node], curie: str | URIRef) -> list[Stated]:
        """Each value of ``curie`` on any of ``subjects`` once, with every graph and subject stating it.

        A page says a thing once with all its sources beside it: a work's abstract, given by two
        sources for the work and again for each source's version, is one entry here.
        """
        found: dict[Node, Stated] = {}
        for subject in subjects:
            for value in self.values(subject, curie):
                entry = found.setdefault(value, Stated(value, [], []))
                entry.subjects.append(subject)
                entry.graphs.extend(g for g in self.graphs(subject, curie, value) if g not in entry.graphs)
        for entry in found.values():
            entry.graphs.sort(key=str)
        return list(found.values())

    def statements(self, subject: Node, leave_out: Iterable[str] = ()) -> list[tuple[str, Node, list[Said]]]:
        """Every (property, value, who said it) about ``subject``, for the pages' full table; the
        properties named in ``leave_out`` (CURIEs) are those the page shows elsewhere."""
        skipped = {self.term(curie) for curie in leave_out}
        return [(self.curie(p), o, self.said_by(subject, p, o))
                for p in self.predicates(subject) if p not in skipped for o in self.values(subject, p)]

    def curie(self, iri: Node) -> str:
        """``schema:name`` for a full IRI when a prefix fits, else the IRI itself."""
        text = str(iri)
        return prefixed_name(text, longest_first(self.prefixes)) or text

    def href(self, node: Node) -> str | None:
        """A link target for an IRI (http and https only), None for anything else."""
        resolver = self.first(node, SCHEMA.url)  # an external identifier links to where it resolves
        text = str(resolver if isinstance(resolver, URIRef) else node)
        return text if isinstance(node, URIRef) and text.startswith(("http://", "https://")) else None

    def versions(self, work: Node) -> list[Node]:
        """A work's versions, oldest first."""
        return sorted(self.values(work, SCHEMA.workExample),
                      key=lambda v: (str(self.first(v, SCHEMA.datePublished) or "9999"), str(v)))

    def author_list(self, work: Node, graph: URIRef) -> list[Node]:
        """The persons of ``work``'s ``bibo:authorList`` as ``graph`` states it, in order."""
        cells = [o for o in self.values(work, BIBO.authorList) if graph in self.graphs(work, BIBO.authorList, o)]
        persons: list[Node] = []
        cell, seen = (cells[0] if cells else RDF.nil), set()
        while cell != RDF.nil and cell not in seen:  # a cyclic list must not loop forever
            seen.add(cell)
            persons.extend(self.values(cell, RDF.first))
            cell = self.first(cell, RDF.rest) or RDF.nil
        return persons

    def author_groups(self, work: Node) -> list[tuple[list[Node], list[URIRef], bool]]:
        """Author lists as the sources give them: (persons, graphs stating them, ordered?).

        Sources that agree share one group. A source with ``schema:author`` but no
        ``bibo:authorList`` gives an unordered group, sorted by name.
        """
        groups: dict[tuple[tuple[Node, ...], bool], list[URIRef]] = {}
        for graph in self.graphs(work, BIBO.authorList):
            groups.setdefault((tuple(self.author_list(work, graph)), True), []).append(graph)
        listed = set(self.graphs(work, BIBO.authorList))
        for graph in self.graphs(work, SCHEMA.author):
            if graph not in listed:
                persons = [p for p in self.values(work, SCHEMA.author) if graph in self.graphs(work, SCHEMA.author, p)]
                key = (tuple(sorted(persons, key=self.label)), False)
                groups.setdefault(key, []).append(graph)
        return [(list(persons), graphs, ordered) for (persons, ordered), graphs in groups.items()]

    def authorship(self, work: Node) -> Authorship:
        """A work's authors to show once each: in the order of the longest list a source gives (the
        first of :func:`kg.web.resources.schema_org`'s), then any other source's authors, by name."""
        groups = sorted(self.author_groups(work), key=lambda group: (not group[2], -len(group[0])))
        if not groups:
            return Authorship([], [], [], [], [])
        persons, graphs, ordered = groups[0]
        extra = {p for members, _graphs, in_order in groups[1:] if not in_order for p in members} - set(persons)
        unordered = {g for _members, stating, in_order in groups if not in_order for g in stating}
        return Authorship(
            persons=[*persons, *sorted(extra, key=self.label)],
            graphs=graphs,
            order_by=graphs if ordered else [],
            unordered_by=sorted(unordered, key=str),
            other_orders=[(members, stating) for members, stating, in_order in groups[1:] if in_order])

    def facts(self, subject: Node, curies: Iterable[str]) -> list[tuple[str, Stated]]:
        """(property, value with its graphs) for each of ``curies`` on ``subject``, in that order."""
        return [(curie, stated) for curie in curies for stated in self.distinct([subject], curie)]

    @staticmethod
    def common_graphs(facts: list[tuple[str, Stated]]) -> list[URIRef] | None:
        """The graphs that state every one of ``facts``, when all are stated by the same ones; else None."""
        found = {tuple(stated.graphs) for _curie, stated in facts}
        return list(found.pop()) if len(found) == 1 else None

    def names(self, subject: Node) -> list[tuple[Node, list[URIRef], list[URIRef], bool]]:
        """Each name of a person once: (name, graphs that chose it, graphs that write it so, display name?).

        Identity resolution chooses a display name (``schema:name``) and keeps the other spellings
        (``schema:alternateName``); each source's own spelling is its ``kg:statedName``.
        """
        chosen = self.distinct([subject], SCHEMA.name) + self.distinct([subject], SCHEMA.alternateName)
        written = {stated.value: stated.graphs for stated in self.distinct([subject], "kg:statedName")}
        display = {stated.value for stated in self.distinct([subject], SCHEMA.name)}
        names = [(s.value, s.graphs, written.pop(s.value, []), s.value in display) for s in chosen]
        names += [(value, [], graphs, False) for value, graphs in written.items()]
        return names

    def coauthors(self) -> list[tuple[Node, int]]:
        """A person's co-authors on the works of this page, most shared works first."""
        counts: dict[Node, int] = {}
        for work in self.members:
            for person in self.values(work, SCHEMA.author):
                if person != self.uri:
                    counts[person] = counts.get(person, 0) + 1
        return sorted(counts.items(), key=lambda item: (-item[1], self.label(item[0])))

    def graph(self) -> Graph:
        """The description as one rdflib graph (named graphs merged), prefixes bound."""
        graph = Graph()
        for prefix, namespace in self.prefixes.items():
            graph.bind(prefix, namespace, override=True)
        for s, p, o, _g in self.quads:
            graph.add((s, p, o))
        for triple in self.derived:
            graph.add(triple)
        return graph


def _sort_key(node: Node) -> tuple[int, str]:
    return (0 if isinstance(node, URIRef) else 1 if isinstance(node, Literal) else 2, str(node))


# -- reading the store ---------------------------------------------------------------------------

def read_status(store: Store, uri: str) -> Status:
    """Whether any graph has ``uri`` as subject, and its retirement in the identity graph."""
    identity = identity_graph_uri(store.base_uri)
    query = f"""SELECT ?known ?deprecated ?survivor WHERE {{
        BIND(EXISTS {{ GRAPH ?g {{ <{uri}> ?p ?o }} }} AS ?known)
        OPTIONAL {{ GRAPH <{identity}> {{ <{uri}> <{OWL.deprecated}> ?deprecated }} }}
        OPTIONAL {{ GRAPH <{identity}> {{ <{uri}> <{DCTERMS.isReplacedBy}> ?survivor }} }}
    }} ORDER BY ?survivor LIMIT 1"""
    _names, rows = store.select(query)
    known, deprecated, survivor = rows[0] if rows else (None, None, None)
    return Status(bool(known and known.toPython()), bool(deprecated is not None and deprecated.toPython()),
                  survivor if isinstance(survivor, URIRef) else None)


def description_size(store: Store, uri: str, limit: int) -> int:
    """How many quads describing ``uri`` reads where they are not bounded by the page, counted up to ``limit``.

    The description of :func:`describe` reads one page of an inbound list, but counts and sorts the
    whole list for it, and a person's or work's page explains it from all its mentions
    (kg.store.explain). So what it costs grows with what this counts: the resource's own quads (a
    person's ``foaf:made``, one per work), the quads that name it as a work's author, a version's
    venue or a source's topic, its mentions in the identity graph, and, for a source, the quads of
    its graph. The count stops at ``limit``, so this costs at most ``limit`` index rows however
    large the resource is (kg.web.fairness admits a description by it).
    """
    kg = kg_namespace(store.base_uri)
    inbound = " UNION ".join(f"{{ GRAPH ?g {{ ?s <{predicate}> <{uri}> }} }}"
                             for predicate in (SCHEMA.author, SCHEMA.isPartOf, SCHEMA.about, kg.mentionOf))
    _names, rows = store.select(f"""SELECT (COUNT(*) AS ?n) WHERE {{ SELECT ?g WHERE {{
        {{ GRAPH ?g {{ <{uri}> ?p ?o }} }} UNION {inbound} UNION {{ GRAPH <{uri}> {{ ?s ?p ?o }} }}
    }} LIMIT {limit} }}""")
    return int(rows[0][0]) if rows else 0


def describe(store: Store, uri: str, kind: str, page: int = 1, page_size: int = DEFAULTS.page_size) -> Description:
    """Read the bounded description of ``uri`` (a URI of ``kind``) for one page of its inbound list."""
    description = Description(URIRef(uri), kind, store.base_uri)
    reader = _READERS[kind]
    reader(store, description, page, page_size)
    description.quads.extend(_read_labels(store, description))
    description.quads = list(dict.fromkeys(description.quads))
    return description


def _quads(store: Store, where: str) -> list[Quad]:
    """Run ``SELECT ?s ?p ?o ?g WHERE { where }``."""
    _names, rows = store.select(f"SELECT ?s ?p ?o ?g WHERE {{ {where} }}")
    return [tuple(row) for row in rows]


def _values(terms: Iterable[Node]) -> str:
    return " ".join(f"<{t}>" for t in terms if isinstance(t, URIRef))


def _predicate_in(values: str) -> str:
    """``FILTER(?p IN (…))`` for a ``_values`` list. A second VALUES block for ?p would make
    pyoxigraph join two inline tables before touching the store: measured 383 ms against 8 ms
    for this form on a 10,000-paper store (BENCHMARKS.md, HTTP section)."""
    return f"FILTER(?p IN ({values.replace('> <', '>, <')}))"


def _count(store: Store, where: str, variable: str) -> int:
    _names, rows = store.select(f"SELECT (COUNT(DISTINCT ?{variable}) AS ?n) WHERE {{ {where} }}")
    return int(rows[0][0]) if rows else 0


def _page(store: Store, select: str, paging: Paging) -> list[URIRef]:
    _names, rows = store.select(f"{select} LIMIT {paging.size} OFFSET {paging.offset}")
    return [row[0] for row in rows]


def _own(uri: URIRef, but: URIRef | None = None) -> str:
    skip = f"FILTER(?p != <{but}>)" if but else ""
    return f"VALUES ?s {{ <{uri}> }} GRAPH ?g {{ ?s ?p ?o }} {skip}"


def _live(variable: str, base: str) -> str:
    """Leave out retired resources: they answer 301/410 and should not be listed."""
    return (f"FILTER NOT EXISTS {{ GRAPH <{identity_graph_uri(base)}> "
            f"{{ ?{variable} <{OWL.deprecated}> true }} }}")


def _read_person(store: Store, d: Description, page: int, size: int) -> None:
    works = f"?w <{SCHEMA.author}> <{d.uri}> . {_live('w', d.base)}"
    d.paging = Paging(page, size, _count(store, works, "w"))
    d.members = _page(store, f"""SELECT ?w (MAX(STR(?y)) AS ?year) (MIN(STR(?n)) AS ?name) WHERE {{ {works}
        OPTIONAL {{ ?w <{SCHEMA.datePublished}> ?y }} OPTIONAL {{ ?w <{SCHEMA.name}> ?n }} }}
        GROUP BY ?w ORDER BY DESC(?year) ?name ?w""", d.paging)
    members = _values(d.members)
    d.quads += _quads(store, _own(d.uri, but=FOAF.made))
    d.quads += _read_identifiers(store, d.uri)
    d.quads += _quads(store, f"VALUES ?o {{ {members} }} BIND(<{d.uri}> AS ?s) BIND(<{FOAF.made}> AS ?p) "
                             "GRAPH ?g { ?s ?p ?o }")
    d.quads += _quads(store, f"BIND(<{SCHEMA.about}> AS ?p) BIND(<{d.uri}> AS ?o) GRAPH ?g {{ ?s ?p ?o }}")
    d.quads += _read_works(store, members)


def _read_identifiers(store: Store, uri: URIRef) -> list[Quad]:
    """The ``schema:PropertyValue`` nodes of a person's or work's external identifiers."""
    return _quads(store, f"GRAPH ?g {{ <{uri}> <{SCHEMA.identifier}> ?s . ?s ?p ?o }}")


def _read_works(store: Store, members: str) -> list[Quad]:
    """A page of works: their names, years, authors, versions and the versions' venues."""
    work_facts = _values([SCHEMA.name, SCHEMA.datePublished, SCHEMA.author, SCHEMA.workExample, RDF.type])
    version_facts = _values([SCHEMA.isPartOf, SCHEMA.datePublished, RDF.type])
    return (_quads(store, f"VALUES ?s {{ {members} }} GRAPH ?g {{ ?s ?p ?o }} {_predicate_in(work_facts)}")
            + _quads(store, f"VALUES ?w {{ {members} }} ?w <{SCHEMA.workExample}> ?s . "
                            f"GRAPH ?g {{ ?s ?p ?o }} {_predicate_in(version_facts)}"))


def _read_work(store: Store, d: Description, page: int, size: int) -> None:
    d.quads += _quads(store, _own(d.uri))
    d.quads += _read_identifiers(store, d.uri)
    d.quads += _quads(store, f"<{d.uri}> <{SCHEMA.workExample}> ?s . GRAPH ?g {{ ?s ?p ?o }}")
    d.quads += _quads(store, f"GRAPH ?g {{ <{d.uri}> <{BIBO.authorList}> ?list . "
                             f"?list <{RDF.rest}>* ?s . ?s ?p ?o }}")


def _read_version(store: Store, d: Description, page: int, size: int) -> None:
    d.quads += _quads(store, _own(d.uri))


def _read_venue(store: Store, d: Description, page: int, size: int) -> None:
    versions = f"?v <{SCHEMA.isPartOf}> <{d.uri}> . {_live('v', d.base)}"
    d.paging = Paging(page, size, _count(store, versions, "v"))
    d.members = _page(store, f"""SELECT ?v (MAX(STR(?y)) AS ?year) WHERE {{ {versions}
        OPTIONAL {{ ?v <{SCHEMA.datePublished}> ?y }} }} GROUP BY ?v ORDER BY DESC(?year) ?v""", d.paging)
    facts = _values([SCHEMA.isPartOf, SCHEMA.datePublished, SCHEMA.exampleOfWork, RDF.type,
                     d.term("kg:typeLabel")])
    d.quads += _quads(store, _own(d.uri))
    d.quads += _quads(store, f"VALUES ?s {{ {_values(d.members)} }} GRAPH ?g {{ ?s ?p ?o }} {_predicate_in(facts)}")


def _read_source(store: Store, d: Description, page: int, size: int) -> None:
    # the entities the source names, not the nodes of its own document (identifiers: ``{source}#id-…``)
    mentioned = (f"GRAPH <{d.uri}> {{ ?e a ?type }} "
                 f"FILTER(isIRI(?e) && ?e != <{d.uri}> && !STRSTARTS(STR(?e), \"{d.uri}#\"))")
    d.paging = Paging(page, size, _count(store, mentioned, "e"))
    d.members = _page(store, f"SELECT DISTINCT ?e WHERE {{ {mentioned} }} ORDER BY ?e", d.paging)
    d.quads += _quads(store, _own(d.uri))
    facts = _values([RDF.type, SCHEMA.name, d.term("kg:statedName"), SCHEMA.exampleOfWork, SCHEMA.isPartOf,
                     SCHEMA.datePublished])
    d.quads += _quads(store, f"VALUES ?s {{ {_values(d.members)} }} "
                             f"BIND(<{d.uri}> AS ?g) GRAPH ?g {{ ?s ?p ?o }} {_predicate_in(facts)}")
    _names, rows = store.select(f"SELECT ?type (COUNT(DISTINCT ?e) AS ?n) WHERE {{ {mentioned} }} "
                                "GROUP BY ?type ORDER BY ?type")
    d.tallies = [(row[0], int(row[1])) for row in rows]
    d.derived += [(d.uri, SCHEMA.mentions, member) for member in d.members]
    d.derived += _class_partitions(d.uri, d.tallies)


def _class_partitions(source: URIRef, tallies: list[tuple[URIRef, int]]) -> list[Triple]:
    """How many entities of each class the source's graph holds, as VoID class partitions."""
    triples: list[Triple] = []
    for index, (cls, count) in enumerate(tallies):
        partition = BNode(f"partition{index}")
        triples += [(source, VOID.classPartition, partition), (partition, VOID["class"], cls),
                    (partition, VOID.entities, Literal(count))]
    return triples


def _read_labels(store: Store, d: Description) -> list[Quad]:
    """The names of everything the description links to, and of the graphs it quotes."""
    linked = {o for _s, _p, o, _g in d.quads} | {g for *_rest, g in d.quads} | {s for s, *_rest in d.quads}
    linked |= {o for _s, _p, o in d.derived} | set(d.members)
    linked = {t for t in linked if isinstance(t, URIRef) and str(t).startswith(d.base)}
    if not linked:
        return []
    return _quads(store, f"VALUES ?s {{ {_values(sorted(linked))} }} BIND(<{SCHEMA.name}> AS ?p) "
                         "GRAPH ?g { ?s ?p ?o }")


_READERS = {"author": _read_person, "paper": _read_work, "version": _read_version, "venue": _read_venue,
            "source": _read_source}
