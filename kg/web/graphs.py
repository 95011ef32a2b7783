"""The named graphs: each graph IRI kg mints dereferences, and each graph's content is a download.

- ``/graph/{name}`` (``identity``, ``inferred``, ``curation``): what the graph is, its size in
  quads (the build's manifest), its place in the VoID description (a ``void:subset`` whose
  ``sd:name`` is the graph) and in the service description, and where to download it; HTML for
  browsers, Turtle, JSON-LD, RDF/XML or N-Triples by ``Accept``, and as ``.html``, ``.ttl``, ...
  A source document's graph is named by the source's URI, ``/source/{slug}``, whose page says
  the same of its graph (kg.web.resources, templates/source.html).
- ``/graph-store?graph={IRI}``: the graph's content, read-only, as the SPARQL 1.1 Graph Store
  HTTP Protocol's indirect identification asks (https://www.w3.org/TR/sparql11-http-rdf-update/):
  N-Triples (the default), Turtle or N-Quads by ``Accept`` or ``format=``, streamed a batch at a
  time from the store (kg.store.graph_content), so a graph of any size is sent with bounded
  memory. ``?default`` (the union) is the dump: 303 to ``/dumps/kg.nt``. Only GET and HEAD.

A graph the current build does not hold is 404, with the error body every endpoint answers.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, redirect, render_template, request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from werkzeug.exceptions import BadRequest, NotFound

from kg.formats import GRAPH_FORMATS
from kg.store.graph_content import GRAPH_CONTENT_FORMATS
from kg.uris import GRAPH_NAMES, graph_kind, graph_store_uri, graph_uri, mint_void_uri, sparql_endpoint_uri
from kg.vocab import DCTERMS, FOAF, SD, VOID, bind_prefixes, prefixes
from kg.web.context import current_manifest, get_settings, get_store
from kg.web.dumps import dataset_answer, graph_subset_uri, iri_or_literal, listed_files
from kg.web.http import HTML, LABELS, RDF_TYPES, SUFFIXES, Validators, conditional, negotiate, render_graph

blueprint = Blueprint("graphs", __name__)

DOCUMENT_TYPES = [HTML, *RDF_TYPES]  # the first when no Accept is sent
CONTENT_TYPES = {GRAPH_FORMATS[name].media_type: name for name in GRAPH_CONTENT_FORMATS}
_NAME = re.compile(rf"(?P<name>{'|'.join(GRAPH_NAMES)})(?:\.(?P<suffix>[a-z]+))?")
SAMPLE_QUERY = "SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} LIMIT 100"

KINDS = {
    "identity": ("identity graph",
                 "Who is who: one URI per person, work, version and venue, as the identity rules and the "
                 "curations decided, with display names and other spellings, a work's year, owl:sameAs links "
                 "to ORCID, dblp, Wikidata, DOI and arXiv, the mentions each entity was joined from and why, "
                 "and retired URIs (owl:deprecated, dcterms:isReplacedBy)."),
    "inferred": ("inferred graph",
                 "What the ontology's OWL-RL alignments (schema.org and FOAF, among others) entail from the "
                 "other graphs, materialised at each ingest, and citations between works the graph holds."),
    "curation": ("curation graph",
                 "People's word on which persons or works are one entity, or two (kg curate), with who, "
                 "when and why: it overrides the identity rules."),
    "source": ("source graph",
               "What one source document states, as it was read: every fact keeps the graph of the "
               "source that states it. The graph is named by the source document's URI."),
}


# -- descriptions --------------------------------------------------------------------------------


@blueprint.get("/graph/<name>")
def graph_page(name: str):
    """The description of ``{base}graph/{name}``, by Accept or by its suffix."""
    match = _NAME.fullmatch(name)
    suffix = match["suffix"] if match else None
    if match is None or (suffix is not None and SUFFIXES.get(suffix) not in DOCUMENT_TYPES):
        raise NotFound(f"no named graph here; the graphs are {', '.join(f'/graph/{n}' for n in GRAPH_NAMES)} "
                       "and one per source document (/source/…), as far as the build holds them (see /void)")
    settings = get_settings()
    iri = str(graph_uri(settings.base_uri, match["name"]))
    manifest = current_manifest()
    info = named_graph(iri)
    if info is None:
        raise NotFound(f"the current build holds no graph {iri}; its graphs are listed in {settings.base_uri}void")
    media = SUFFIXES[suffix] if suffix else negotiate(DOCUMENT_TYPES)

    def document() -> Response:
        if media == HTML:
            body = render_template("graph.html", graph=info, manifest=manifest,
                                   alternates=_alternates(iri), query=_sample_query_url(iri))
        else:
            graph = _new_graph()
            describe_named_graph(graph, iri)
            graph.add((URIRef(f"{iri}.{RDF_TYPES[media].suffix}"), FOAF.primaryTopic, URIRef(iri)))
            body = render_graph(graph, media)
        return Response(body, content_type=f"{media}; charset=utf-8")

    response = dataset_answer(document, manifest, iri, media, vary=suffix is None)
    if suffix is None:
        response.headers["Content-Location"] = _alternate(iri, media)
    for url, alternate, _label in _alternates(iri):
        response.headers.add("Link", f'<{url}>; rel="alternate"; type="{alternate}"')
    return response


def named_graph(iri: str) -> dict | None:
    """What the pages say of a named graph of the current build: kind, title, description, quads,
    VoID subset and download links; None when the build holds no such graph."""
    iri = str.__str__(iri)  # a plain string: rdflib's URIRef is never equal to one
    manifest = current_manifest()
    quads = (manifest or {}).get("graphs", {}).get(iri)
    base = get_settings().base_uri
    kind = graph_kind(base, iri)
    if quads is None or kind is None:
        return None
    title, description = KINDS[kind]
    return {"iri": iri, "kind": kind, "title": title, "description": description, "quads": quads,
            "subset": str(graph_subset_uri(iri, base)), "void": f"{base}void",
            "downloads": [(content_url(iri, name), GRAPH_FORMATS[name].label, GRAPH_FORMATS[name].media_type)
                          for name in GRAPH_CONTENT_FORMATS]}


@blueprint.app_context_processor
def _template_functions() -> dict:
    """``named_graph(iri)`` for the templates (a source page says what its graph holds)."""
    return {"named_graph": named_graph}


def describe_named_graph(graph: Graph, iri: str) -> None:
    """Add what is known of a named graph of the current build to ``graph``: its VoID subset (the
    node of /void) with ``sd:name``, title, description, size, dump and endpoint. Nothing for a
    graph the build does not hold."""
    info = named_graph(iri)
    if info is None:
        return
    settings = get_settings()
    base = settings.base_uri
    subset, add = URIRef(info["subset"]), graph.add
    add((mint_void_uri(base, "dataset"), VOID.subset, subset))
    add((subset, RDF.type, VOID.Dataset))
    add((subset, SD.name, URIRef(iri)))
    add((subset, DCTERMS.title, Literal(info["title"])))
    add((subset, DCTERMS.description, Literal(info["description"])))
    add((subset, VOID.triples, Literal(info["quads"], datatype=XSD.integer)))
    add((subset, VOID.dataDump, URIRef(content_url(iri))))
    add((subset, VOID.sparqlEndpoint, sparql_endpoint_uri(base)))
    add((subset, DCTERMS.license, iri_or_literal(settings.license)))


def content_url(iri: str, format: str | None = None) -> str:
    """Where a graph's content is downloaded: ``/graph-store?graph=…`` (N-Triples unless ``format``)."""
    chosen = format if format != GRAPH_CONTENT_FORMATS[0] else None
    return str(graph_store_uri(get_settings().base_uri, iri, chosen))


def _alternate(iri: str, media: str) -> str:
    return f"{iri}.{'html' if media == HTML else RDF_TYPES[media].suffix}"


def _alternates(iri: str) -> list[tuple[str, str, str]]:
    return [(_alternate(iri, media), media, LABELS[media]) for media in DOCUMENT_TYPES]


def _sample_query_url(iri: str) -> str:
    return f"{get_settings().base_uri}sparql?{urlencode({'query': SAMPLE_QUERY.format(graph=iri)}, quote_via=quote)}"


def _new_graph() -> Graph:
    return bind_prefixes(Graph(bind_namespaces="core"), prefixes(get_settings().base_uri, "void", "dcat", "sd"))


# -- content ---------------------------------------------------------------------------------------


@blueprint.get("/graph-store")
def graph_store():
    """One named graph's content, streamed (see the module's docstring)."""
    args = request.args
    names = args.getlist("graph")
    if "default" in args:
        if names:
            raise BadRequest("name one graph: either ?graph=<IRI> or ?default, not both")
        return _default_graph()
    if len(names) != 1 or not names[0]:
        raise BadRequest(f"name one graph with ?graph=<IRI> (this request names {len(names)}); "
                         f"the graphs are listed in {get_settings().base_uri}void")
    iri = names[0]
    if named_graph(iri) is None:
        raise NotFound(f"the current build holds no graph {iri!r}; its graphs are listed in "
                       f"{get_settings().base_uri}void")
    chosen = args.get("format")
    if chosen is not None and chosen not in GRAPH_CONTENT_FORMATS:
        raise BadRequest(f"format must be one of {', '.join(GRAPH_CONTENT_FORMATS)}, not {chosen!r}")
    media = GRAPH_FORMATS[chosen].media_type if chosen else negotiate(list(CONTENT_TYPES))
    store = get_store()
    validators = Validators.of([store.state(), iri, media], store.modified(), weak=True)

    def content() -> Response:
        # HEAD: the headers only; the store is not read (a remote store's answer is not asked for)
        chunks = iter(()) if request.method == "HEAD" else store.graph_content(iri, CONTENT_TYPES[media])
        response = Response(chunks, content_type=f"{media}; charset=utf-8")
        suffix = "nq" if CONTENT_TYPES[media] == "nquads" else GRAPH_FORMATS[CONTENT_TYPES[media]].suffix
        response.headers["Content-Disposition"] = f"attachment; filename={_file_name(iri)}.{suffix}"
        return response

    response = conditional(validators, content)
    response.headers.add("Link", f'<{iri}>; rel="describedby"')
    if chosen is None:
        response.vary.add("Accept")
    return response


def _default_graph() -> Response:
    """The default graph is the union of the named graphs: the N-Triples dump holds it."""
    dump = next((row for row in listed_files(current_manifest()) if row["name"] == "kg.nt"), None)
    if dump is None:
        raise NotFound("the default graph (the union of the named graphs) is published as the dumps, and "
                       "none is written yet (kg publish)")
    return redirect(dump["url"], 303)


def _file_name(iri: str) -> str:
    """A download's file name from the graph IRI's last segment (``inferred``, ``leon-bottou``)."""
    return re.sub(r"[^a-z0-9-]+", "-", iri.rstrip("/").rsplit("/", 1)[-1].lower()).strip("-") or "graph"
