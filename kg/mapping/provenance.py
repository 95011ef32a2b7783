"""Map a source document and what it states about itself (PROV, FOAF, PAV, our vocabulary).

README "Named graphs": the source document lives in its own named graph with what it is about,
when it was read, its checksum, and every fact the page states about itself.
"""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from kg.identity.resolve import Resolution, Source
from kg.mapping.batch import MappedBatch
from kg.uris import mint_author_uri, mint_source_uri
from kg.vocab import FOAF, PAV, SCHEMA, kg_namespace

# PageFact name -> local name in our vocabulary (ontology/kg.ttl defines each one).
FACT_PROPERTIES = {
    "site_name": "siteName",
    "page_title": "pageTitle",
    "page_description": "pageDescription",
    "subject_description": "subjectDescription",
    "stated_paper_count": "statedPaperCount",
    "stated_author_row_count": "statedAuthorRowCount",
    "stated_work_count": "statedWorkCount",
    "stated_published_item_count": "statedPublishedItemCount",
    "stated_follower_count": "statedFollowerCount",
    "stated_topic_count": "statedTopicCount",
    "stated_collaborator_count": "statedCollaboratorCount",
    "trust_score": "trustScore",
    "trust_label": "trustLabel",
    "verification_level": "verificationLevel",
    "claimed": "claimed",
    "claim_label": "claimLabel",
    "profile_role": "profileRole",
    "affiliation_status": "affiliationStatus",
    "collaboration_status": "collaborationStatus",
}


def map_source_document(batch: MappedBatch, source: Source, resolution: Resolution, base: str) -> URIRef:
    """Emit the source document's own description into its graph and return its URI."""
    kg = kg_namespace(base)
    ref = source.parsed.ref
    doc = mint_source_uri(base, source.slug)
    batch.note(doc, ref.origin)
    for cls in (PROV.Entity, FOAF.Document):
        batch.emit(doc, doc, RDF.type, cls)
    batch.emit(doc, doc, SCHEMA.name, Literal(ref.name))
    batch.emit(doc, doc, SCHEMA.sha256, Literal(ref.sha256))
    batch.emit(doc, doc, PAV.retrievedOn, Literal(ref.retrieved_at, datatype=XSD.dateTime))
    batch.emit(doc, doc, kg.sourceKind, Literal(source.parsed.kind))
    if source.parsed.subject is not None:
        subject = mint_author_uri(base, resolution.person(source.parsed, source.parsed.subject.name).slug)
        batch.emit(doc, doc, SCHEMA.about, subject)
    for fact in source.parsed.facts:
        batch.emit(doc, doc, kg[FACT_PROPERTIES[fact.name]], Literal(fact.value))
    return doc
