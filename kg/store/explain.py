"""Why an entity is one: its mentions, the sources they come from, and the evidence that joined
them (README "Identity rules"). Read from the identity and curation graphs, for ``kg explain`` and
the "Why this is one" section of an entity's page."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib.namespace import OWL, RDFS

from kg.identity import from_json
from kg.identity.mentions import PersonMention
from kg.store.queries import sparql_string
from kg.store.registry import QueryableStore
from kg.uris import curation_graph_uri, identity_graph_uri
from kg.vocab import DCTERMS, kg_namespace

MAX_MENTIONS = 200  # an explanation lists at most this many mentions (and says how many there are)


@dataclass(frozen=True)
class MentionNote:
    """One mention: where it is, what it says, and why it was joined."""

    uri: str
    source: str
    says: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class CurationNote:
    uri: str
    verdict: str
    note: str
    entities: tuple[str, ...]


@dataclass(frozen=True)
class Explanation:
    uri: str
    replaced_by: str | None
    retired: bool
    total: int
    mentions: tuple[MentionNote, ...]
    curations: tuple[CurationNote, ...]

    def lines(self) -> list[str]:
        """The explanation as text, one fact per line."""
        if self.replaced_by:
            return [f"{self.uri} was merged into {self.replaced_by}; explain that URI instead"]
        if self.retired:
            return [f"{self.uri} was retired (kg retire); its {self.total} mention(s) stay with it"]
        out = [f"{self.uri}: {self.total} mention(s)" + (f", the first {len(self.mentions)} shown"
                                                          if self.total > len(self.mentions) else "")]
        for mention in self.mentions:
            out.append(f"  {mention.uri}")
            out.append(f"    says: {mention.says}")
            out += [f"    joined: {reason}" for reason in mention.reasons]
        for curation in self.curations:
            entities = ", ".join(curation.entities)
            out.append(f"  curated {curation.verdict}: {entities}: {curation.note} ({curation.uri})")
        return out


def explain(store: QueryableStore, uri: str) -> Explanation | None:
    """The explanation of an entity, or None when the store knows no mention of it nor a redirect."""
    base, kg = store.base_uri, kg_namespace(store.base_uri)
    identity = f"<{identity_graph_uri(base)}>"
    _names, status = store.select(f"""
        SELECT ?deprecated ?survivor WHERE {{ GRAPH {identity} {{
          OPTIONAL {{ <{uri}> <{OWL.deprecated}> ?deprecated }}
          OPTIONAL {{ <{uri}> <{DCTERMS.isReplacedBy}> ?survivor }} }} }}""")
    deprecated, survivor = status[0] if status else (None, None)
    _names, rows = store.select(f"""
        SELECT ?m ?data (GROUP_CONCAT(?why; SEPARATOR="\\u001f") AS ?reasons) WHERE {{
          GRAPH {identity} {{ ?m <{kg.mentionOf}> <{uri}> ; <{kg.mentionData}> ?data
                               OPTIONAL {{ ?m <{kg.joinedBy}> ?why }} }}
        }} GROUP BY ?m ?data ORDER BY ?m""")
    if not rows and deprecated is None:
        return None
    mentions, ids = [], []
    for index, (node, data, reasons) in enumerate(rows):
        mention = from_json(str(data))
        ids.append(mention.id)
        if index < MAX_MENTIONS:
            mentions.append(MentionNote(str(node), str(node).split("#", 1)[0], _says(mention),
                                        tuple(r for r in str(reasons or "").split("\x1f") if r)))
    curations = _curations(store, ids) if ids else ()
    return Explanation(uri, str(survivor) if survivor is not None else None,
                       deprecated is not None and survivor is None, len(rows), tuple(mentions), curations)


def _curations(store: QueryableStore, ids: list[str]) -> tuple[CurationNote, ...]:
    kg = kg_namespace(store.base_uri)
    values = " ".join(sparql_string(i) for i in sorted(set(ids)))
    _names, found = store.select(f"""
        SELECT ?c ?verdict ?note (GROUP_CONCAT(DISTINCT STR(?e); SEPARATOR=" ") AS ?entities) WHERE {{
          VALUES ?id {{ {values} }}
          GRAPH <{curation_graph_uri(store.base_uri)}> {{
            ?c <{kg.mentionsCurated}> ?id ; <{kg.verdict}> ?verdict ; <{RDFS.comment}> ?note ;
               <{kg.curatedEntity}> ?e }}
        }} GROUP BY ?c ?verdict ?note ORDER BY ?c""")
    return tuple(CurationNote(str(c), str(v), str(n), tuple(str(e).split())) for c, v, n, e in found)


def _says(mention) -> str:
    if isinstance(mention, PersonMention):
        ids = f" [{', '.join(mention.identifiers)}]" if mention.identifiers else ""
        return " / ".join(mention.spellings) + ids
    parts = [repr(mention.title)]
    if mention.year:
        parts.append(str(mention.year))
    if mention.venue:
        parts.append(mention.venue)
    if mention.identifiers:
        parts.append(", ".join(mention.identifiers))
    return ", ".join(parts)
