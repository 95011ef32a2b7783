"""Identity lookups (:class:`kg.identity.Registry`) over any store's identity graph, by SPARQL.

Both stores use it: the embedded one (oxigraph.py) and the remote one (remote.py) answer the
same queries through ``select()``, so what a new record resolves to does not depend on where
the graph is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from rdflib.namespace import OWL

from kg.identity.registry import KnownEntity
from kg.mapping.uris import identity_graph_uri, parse_uri
from kg.store.queries import sparql_string
from kg.vocab import SCHEMA, kg_namespace

CHUNK = 500  # identity keys per VALUES block


class QueryableStore(Protocol):
    """What the registry needs from a store."""

    base_uri: str

    def exists(self) -> bool: ...

    def select(self, query: str) -> tuple[list[str], list[tuple]]: ...


class StoreRegistry:
    """:class:`kg.identity.Registry` over the store's identity graph."""

    def __init__(self, store: QueryableStore):
        self.store = store
        self.base = store.base_uri
        self.graph = f"<{identity_graph_uri(self.base)}>"
        self.key = f"<{kg_namespace(self.base).identityKey}>"

    def find(self, keys: Iterable[str]) -> dict[str, list[KnownEntity]]:
        found: dict[str, list[KnownEntity]] = {}
        keys = sorted(set(keys))
        if not self.store.exists():
            return found
        for start in range(0, len(keys), CHUNK):
            for entity in self._find_chunk(keys[start:start + CHUNK]):
                found.setdefault(entity.key, []).append(entity)
        return found

    def _find_chunk(self, keys: list[str]) -> list[KnownEntity]:
        values = " ".join(sparql_string(k) for k in keys)
        query = f"""
            SELECT ?e ?key (GROUP_CONCAT(DISTINCT ?name; SEPARATOR="\\u001f") AS ?names)
                   (GROUP_CONCAT(DISTINCT ?akey; SEPARATOR="\\u001f") AS ?akeys) (MIN(?year) AS ?y)
            WHERE {{
              VALUES ?key {{ {values} }}
              GRAPH {self.graph} {{ ?e {self.key} ?key }}
              FILTER NOT EXISTS {{ GRAPH {self.graph} {{ ?e <{OWL.deprecated}> true }} }}
              OPTIONAL {{ GRAPH {self.graph} {{ ?e <{SCHEMA.name}>|<{SCHEMA.alternateName}> ?name }} }}
              OPTIONAL {{ ?e <{SCHEMA.author}> ?a . GRAPH {self.graph} {{ ?a {self.key} ?akey }} }}
              OPTIONAL {{ GRAPH {self.graph} {{ ?e <{SCHEMA.datePublished}> ?year }} }}
            }} GROUP BY ?e ?key"""
        _names, rows = self.store.select(query)
        entities = []
        for uri, key, names, author_keys, year in rows:
            parsed = parse_uri(self.base, str(uri))
            if parsed is None:
                continue
            entities.append(KnownEntity(
                kind=parsed.space,
                slug=parsed.slug,
                key=str(key),
                names=frozenset(n for n in str(names or "").split("\x1f") if n),
                author_keys=frozenset(k.removeprefix("person:") for k in str(author_keys or "").split("\x1f") if k),
                year=int(str(year)) if year is not None else None,
            ))
        return entities

    def taken(self, kind: str, slugs: Iterable[str]) -> set[str]:
        slugs = sorted(set(slugs))
        if not slugs or not self.store.exists():
            return set()
        taken: set[str] = set()
        prefix = f"{self.base}{kind}/"
        for start in range(0, len(slugs), CHUNK):
            values = " ".join(f"<{prefix}{slug}>" for slug in slugs[start:start + CHUNK])
            query = f"SELECT ?e WHERE {{ VALUES ?e {{ {values} }} GRAPH {self.graph} {{ ?e {self.key} ?k }} }}"
            _names, rows = self.store.select(query)
            taken |= {str(row[0])[len(prefix):] for row in rows}
        return taken

