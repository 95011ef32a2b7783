"""Dumps, the VoID and DCAT description of the dataset, and the validation report of the build.

Everything here is read from the current generation's artifacts (kg.store.artifacts), written when
the generation was built: no request counts triples. Specs: VoID, https://www.w3.org/TR/void/;
DCAT 3, https://www.w3.org/TR/vocab-dcat-3/; SPDX checksums, https://spdx.org/rdf/terms/.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template, request, send_file
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, FOAF, OWL, RDF, XSD
from werkzeug.exceptions import NotFound
from werkzeug.wsgi import ClosingIterator

from kg import formats
from kg.config import Settings
from kg.store.artifacts import MANIFEST
from kg.uris import LINK_TARGETS, graph_store_uri, mint_dump_uri, mint_void_uri, sparql_endpoint_uri
from kg.vocab import (
    BIBO,
    DCTERMS,
    FABIO,
    FORMATS,
    PAV,
    PREFIXES,
    SCHEMA,
    SD,
    SPDX,
    VOID,
    bind_prefixes,
    kg_namespace,
    prefixes,
)
from kg.web.cache import remember
from kg.web.context import current_artifacts, current_manifest, get_cache, get_settings, get_store
from kg.web.http import (
    HTML,
    RDF_TYPES,
    SUFFIXES,
    TURTLE,
    Validators,
    conditional,
    last_modified,
    negotiate,
    render_graph,
)

blueprint = Blueprint("dumps", __name__)

IANA = "http://www.iana.org/assignments/media-types/"
PROV = Namespace(PREFIXES["prov"])
VOCABULARIES = (SCHEMA, FOAF, BIBO, FABIO, PROV, PAV)
FORMAT_IRIS = {f.media_type: FORMATS[f.w3c] for f in (formats.TURTLE, formats.NTRIPLES, formats.NQUADS)}
JSON = formats.JSON
TEXT = formats.TEXT
VOID_TYPES = [TURTLE, HTML, *(t for t in RDF_TYPES if t != TURTLE)]  # Turtle for clients that send no Accept


# -- routes --------------------------------------------------------------------------------------


@blueprint.get("/dumps/")
def index():
    """The dump files of the current generation: size, count, SHA-256, link (HTML or JSON)."""
    media = negotiate([HTML, JSON])
    manifest = current_manifest()

    def listing() -> Response:
        files = listed_files(manifest)
        if media == JSON:
            return jsonify({"generation": _generation(manifest), "created": (manifest or {}).get("created"),
                            "files": files, "manifest": _url("dumps/" + MANIFEST) if manifest else None})
        return Response(render_template("dumps.html", view="dumps", manifest=manifest, files=files), mimetype=HTML)

    return dataset_answer(listing, manifest, media, vary=True)


@blueprint.get("/dumps/<name>")
def download(name: str):
    """One artifact file, as it was written at build time (gzip files are not re-encoded), or what a
    gzip dump holds, at its decompressed name (:func:`_send_decompressed`)."""
    directory, manifest = current_artifacts()
    entry = _entry(manifest, name)
    if directory is not None and entry is None and (gzipped := _gzip_of(manifest, name)) is not None:
        return _send_decompressed(get_store().dumps() or directory, gzipped)
    if directory is None or (entry is None and name != MANIFEST):
        raise NotFound(f"no dump file named {name!r}; the files are listed at {_url('dumps/')}")
    if name == MANIFEST:  # the build's manifest with its dump set's (kg.web.context.merge_manifests)
        text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        return dataset_answer(lambda: Response(text, mimetype=JSON), manifest, JSON)
    # a dump is in the dump set's directory (the same one, for a store that writes dumps with each build)
    where = get_store().dumps() if entry["role"] == "dump" else directory
    return _send_artifact(where or directory, name, entry)


@blueprint.get("/.well-known/void")
@blueprint.get("/void")  # registered first, so url_for gives /void
def void():
    """The VoID and DCAT description of the dataset, by Accept (Turtle when none is sent)."""
    return _void_response(negotiate(VOID_TYPES))


@blueprint.get("/void.<suffix>")
def void_as(suffix: str):
    media = SUFFIXES.get(suffix)
    if media is None or media not in VOID_TYPES:
        raise NotFound(f"no VoID description as .{suffix}; try .ttl, .jsonld, .rdf, .nt or .html")
    return _void_response(media, vary=False)


@blueprint.get("/validation")
def validation():
    """The SHACL report of the ingest that made the current generation (HTML, Turtle or text)."""
    media = negotiate([HTML, TURTLE, TEXT])
    if media != HTML:
        return validation_file("validation.ttl" if media == TURTLE else "validation.txt", vary=True)
    directory, manifest = _require_artifacts()

    def report() -> Response:
        text = (directory / "validation.txt").read_text(encoding="utf-8")
        _header, _blank, results = text.partition("\n\n")
        page = render_template("validation.html", manifest=manifest, results=results.splitlines())
        return Response(page, mimetype=HTML)

    return dataset_answer(report, manifest, media, vary=True)


@blueprint.get("/validation.ttl")
def validation_turtle():
    return validation_file("validation.ttl")


@blueprint.get("/validation.txt")
def validation_text():
    return validation_file("validation.txt")


def validation_file(name: str, vary: bool = False):
    directory, manifest = _require_artifacts()
    response = _send_artifact(directory, name, _entry(manifest, name), attachment=False)
    if vary:
        response.vary.add("Accept")
    return response


# -- reading the artifacts -----------------------------------------------------------------------


def _require_artifacts() -> tuple[Path, dict]:
    directory, manifest = current_artifacts()
    if directory is None:
        raise NotFound("the store holds no build yet: run `kg ingest` (a store built before dumps existed "
                       "gets them with its next ingest)")
    return directory, manifest


def _entry(manifest: dict | None, name: str) -> dict | None:
    return next((f for f in (manifest or {}).get("files", []) if f["name"] == name), None)


def _gzip_of(manifest: dict | None, name: str) -> dict | None:
    """The entry of the gzip file that holds ``name`` decompressed (``kg.nt.gz`` for ``kg.nt``)."""
    return next((f for f in (manifest or {}).get("files", []) if f.get("decompressed", {}).get("name") == name), None)


DECOMPRESS_CHUNK = 1 << 16  # bytes of decompressed output handed to the server at a time


def _send_decompressed(directory: Path, gzipped: dict) -> Response:
    """A gzip dump's content at its decompressed name (``/dumps/kg.nt``), for tools that read RDF
    from a URL by its media type (rapper, Jena) and do not unpack ``application/gzip``.

    HTTP content-coding (RFC 9110 8.4): a client whose Accept-Encoding takes gzip gets the stored
    gzip file's bytes unchanged, with ``Content-Encoding: gzip``, ranges and its own ETag; any other
    gets the bytes decompressed as they are sent, a chunk at a time (a 9 GB file is never held,
    nor stored twice), with the size and ETag (SHA-256) the manifest gives for them.
    """
    plain = gzipped["decompressed"]
    path = directory / gzipped["name"]
    modified = last_modified(get_store().modified())
    if request.accept_encodings.best_match(["gzip", "identity"], default="identity") == "gzip":
        try:
            response = send_file(path, mimetype=plain["media_type"], as_attachment=True, download_name=plain["name"],
                                 conditional=True, etag=f"{gzipped['sha256']}-gzip", last_modified=modified,
                                 max_age=None)
        except FileNotFoundError as exc:
            raise NotFound(f"{plain['name']} was replaced by a newer build; reload {_url('dumps/')}") from exc
        response.content_encoding = "gzip"
    else:
        response = conditional(Validators(plain["sha256"], modified), lambda: _decompressing(path, plain))
        response.accept_ranges = "none"
    response.vary.add("Accept-Encoding")
    return response


def _decompressing(path: Path, plain: dict) -> Response:
    try:  # opened now: a file that two newer builds replaced is a 404, not a stream cut short
        source = gzip.open(path, "rb")
    except FileNotFoundError as exc:
        raise NotFound(f"{plain['name']} was replaced by a newer build; reload {_url('dumps/')}") from exc

    def chunks():
        while chunk := source.read(DECOMPRESS_CHUNK):
            yield chunk

    # Not werkzeug's wrap_file: the server's file wrapper would sendfile() the gzip file's descriptor.
    response = Response(ClosingIterator(chunks(), source.close), mimetype=plain["media_type"])
    response.content_length = plain["bytes"]
    response.headers["Content-Disposition"] = f"attachment; filename={plain['name']}"
    return response


def _send_artifact(directory: Path, name: str, entry: dict | None, attachment: bool | None = None):
    # The name is one the manifest lists (or the manifest itself), never a path from the client.
    path = directory / name
    media = entry["media_type"] if entry else JSON
    etag = entry["sha256"] if entry else _file_digest(path)
    gzipped = media == "application/gzip"
    try:
        # An explicit mimetype keeps send_file from adding Content-Encoding: gzip for .gz names.
        response = send_file(path, mimetype=media, as_attachment=gzipped if attachment is None else attachment,
                             download_name=name, conditional=True, etag=etag,
                             last_modified=last_modified(get_store().modified()), max_age=None)
    except FileNotFoundError as exc:  # two newer builds were published since the manifest was read
        raise NotFound(f"{name} was replaced by a newer build; reload {_url('dumps/')}") from exc
    return response


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError as exc:
        raise NotFound(f"{path.name} was replaced by a newer build") from exc


def _listed(entry: dict) -> dict:
    count_unit = next(unit for unit in ("triples", "quads", "lines") if unit in entry)
    return {**entry, "url": _url(f"dumps/{entry['name']}"), "count": entry[count_unit], "unit": count_unit}


def listed_files(manifest: dict | None) -> list[dict]:
    """Every URL under /dumps/ with its size, count and SHA-256: each file of the manifest and,
    before a gzip file, what it holds decompressed (served from it, ``stored_as``)."""
    rows = []
    for entry in (manifest or {}).get("files", []):
        if (plain := entry.get("decompressed")) is not None:
            unit = next(unit for unit in ("triples", "quads") if unit in entry)
            rows.append(_listed({"name": plain["name"], "media_type": plain["media_type"],
                                 "content_type": plain["media_type"], "role": entry["role"], "bytes": plain["bytes"],
                                 "sha256": plain["sha256"], unit: entry[unit], "stored_as": entry["name"]}))
        rows.append(_listed(entry))
    return rows


# -- caching -------------------------------------------------------------------------------------


def dataset_answer(build: Callable[[], Response], manifest: dict | None, *variant: str,
                   vary: bool = False) -> Response:
    """An answer about the dataset (home, dumps, VoID, report): its ETag and Last-Modified come
    from the generation and the settings it shows, and a client that has it gets a 304."""
    settings = get_settings()
    parts = [request.endpoint or "", _generation(manifest), (manifest or {}).get("created", ""), settings.base_uri,
             settings.title, settings.license, *variant]
    response = conditional(Validators.of(parts, get_store().modified()), build)
    if vary:
        response.vary.add("Accept")
    return response


def _generation(manifest: dict | None) -> str:
    return manifest["generation"] if manifest else "empty"


def _url(path: str) -> str:
    return get_settings().base_uri + path


# -- VoID and DCAT -------------------------------------------------------------------------------


def _void_response(media: str, vary: bool = True) -> Response:
    """The dataset description in ``media``, rendered once per store state (kg.web.cache)."""
    manifest = current_manifest()

    def document() -> Response:
        body = remember(get_cache(), get_store().state(), ("void", media),
                        lambda: _render_void(manifest, media).encode("utf-8"), len)
        return Response(body, mimetype=media)

    return dataset_answer(document, manifest, media, vary=vary)


def _render_void(manifest: dict | None, media: str) -> str:
    settings = get_settings()
    if media == HTML:
        files = listed_files(manifest)
        body = render_template("dumps.html", view="void", manifest=manifest, files=files,
                               classes=_sorted_counts(manifest, "classes"),
                               properties=_sorted_counts(manifest, "properties"),
                               graphs=_sorted_counts(manifest, "graphs"), alternates=_void_alternates())
    else:
        graph = describe_dataset(manifest, settings, feed=get_store().changes() is not None)
        body = render_graph(graph, media)
    return body


def _void_alternates() -> list[tuple[str, str]]:
    return [(media, _url(f"void.{f.suffix}")) for media, f in RDF_TYPES.items()]


def _sorted_counts(manifest: dict | None, key: str) -> list[tuple[str, int]]:
    return sorted((manifest or {}).get(key, {}).items())


def describe_dataset(manifest: dict | None, settings: Settings, feed: bool = False) -> Graph:
    """The VoID + DCAT graph of the dataset; statistics come from the build's manifest.

    Without a manifest (an empty store) it still names the dataset, its licence and endpoint.
    """
    base = settings.base_uri
    graph = _new_graph(base)
    document, dataset, service = mint_void_uri(base), mint_void_uri(base, "dataset"), mint_void_uri(base, "sparql")
    add = graph.add
    add((document, RDF.type, VOID.DatasetDescription))
    add((document, DCTERMS.title, Literal(f"VoID and DCAT description of {settings.title}")))
    add((document, FOAF.primaryTopic, dataset))
    add((dataset, RDF.type, VOID.Dataset))
    add((dataset, RDF.type, DCAT.Dataset))
    add((dataset, DCTERMS.title, Literal(settings.title)))
    add((dataset, DCTERMS.description, Literal(DESCRIPTION)))
    add((dataset, DCTERMS.license, iri_or_literal(settings.license)))
    add((dataset, FOAF.homepage, URIRef(base)))
    add((dataset, DCAT.landingPage, URIRef(base)))
    add((dataset, VOID.sparqlEndpoint, sparql_endpoint_uri(base)))
    add((dataset, VOID.uriSpace, Literal(base)))
    add((dataset, VOID.vocabulary, URIRef(kg_namespace(base))))
    for vocabulary in VOCABULARIES:
        add((dataset, VOID.vocabulary, URIRef(str(vocabulary))))
    add((service, RDF.type, DCAT.DataService))
    add((service, DCTERMS.title, Literal(f"SPARQL 1.1 endpoint of {settings.title}")))
    add((service, DCAT.endpointURL, sparql_endpoint_uri(base)))
    add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    add((service, DCAT.servesDataset, dataset))
    add((service, DCTERMS.license, iri_or_literal(settings.license)))
    if manifest is not None:
        _describe_statistics(graph, dataset, manifest, base)
        _describe_dumps(graph, dataset, manifest, settings)
        _describe_linksets(graph, dataset, manifest, base)
        if feed:
            _describe_feed(graph, dataset, settings)
    return graph


def _describe_feed(graph: Graph, dataset: URIRef, settings: Settings) -> None:
    """The change feed as a DCAT distribution reached through its URL (kg.web.changes), so that a
    mirror finds how to keep a dump up to date."""
    feed, distribution = URIRef(settings.base_uri + "changes"), mint_void_uri(settings.base_uri, "changes")
    graph.add((dataset, DCAT.distribution, distribution))
    graph.add((distribution, RDF.type, DCAT.Distribution))
    graph.add((distribution, DCTERMS.title, Literal("change feed: each build's change as an RDF Patch, in order "
                                                    "(Activity Streams 2.0 collection)")))
    graph.add((distribution, DCAT.accessURL, feed))
    graph.add((distribution, DCAT.mediaType, URIRef(IANA + "application/activity+json")))
    graph.add((distribution, DCTERMS.license, iri_or_literal(settings.license)))


def _describe_linksets(graph: Graph, dataset: URIRef, manifest: dict, base: str) -> None:
    """One void:Linkset per external dataset the graph links to with owl:sameAs (DOI, ORCID, dblp,
    arXiv, Wikidata), with its triple count, so link indexes and crawlers find the links."""
    for scheme, triples in sorted(manifest.get("linksets", {}).items()):
        space, name = LINK_TARGETS[scheme]
        linkset, target = mint_void_uri(base, f"links-{scheme}"), mint_void_uri(base, f"target-{scheme}")
        graph.add((dataset, VOID.subset, linkset))
        graph.add((linkset, RDF.type, VOID.Linkset))
        graph.add((linkset, DCTERMS.title, Literal(f"owl:sameAs links to {name}")))
        graph.add((linkset, VOID.subjectsTarget, dataset))
        graph.add((linkset, VOID.objectsTarget, target))
        graph.add((linkset, VOID.linkPredicate, OWL.sameAs))
        graph.add((linkset, VOID.triples, Literal(triples, datatype=XSD.integer)))
        graph.add((target, RDF.type, VOID.Dataset))
        graph.add((target, DCTERMS.title, Literal(name)))
        graph.add((target, VOID.uriSpace, Literal(space)))


DESCRIPTION = ("Scholarly records (authors, papers, versions, venues) published as one RDF graph in schema.org "
               "and FOAF, checked against SHACL shapes, with the OWL-RL consequences of its alignments; every "
               "fact is kept in the named graph of the source document that states it.")


def _describe_statistics(graph: Graph, dataset: URIRef, manifest: dict, base: str) -> None:
    counts = manifest["counts"]
    add = graph.add
    add((dataset, DCTERMS.modified, Literal(manifest["created"], datatype=XSD.dateTime, normalize=False)))
    # The statistics below come from the pass that wrote the dumps (`kg publish`): absent before the
    # first, and of the dumps' generation after (manifest "dump_generation").
    for term, key in ((VOID.triples, "triples"), (VOID.entities, "entities"),
                      (VOID.distinctSubjects, "distinct_subjects"), (VOID.distinctObjects, "distinct_objects")):
        if key in counts:
            add((dataset, term, Literal(counts[key], datatype=XSD.integer)))
    if "classes" in manifest:
        add((dataset, VOID.classes, Literal(len(manifest["classes"]), datatype=XSD.integer)))
        add((dataset, VOID.properties, Literal(len(manifest["properties"]), datatype=XSD.integer)))
    for iri, entities in sorted(manifest.get("classes", {}).items()):
        partition = mint_void_uri(base, f"class-{_local_name(iri, base)}")
        add((dataset, VOID.classPartition, partition))
        add((partition, VOID["class"], URIRef(iri)))
        add((partition, VOID.entities, Literal(entities, datatype=XSD.integer)))
    for iri, triples in sorted(manifest.get("properties", {}).items()):
        partition = mint_void_uri(base, f"property-{_local_name(iri, base)}")
        add((dataset, VOID.propertyPartition, partition))
        add((partition, VOID.property, URIRef(iri)))
        add((partition, VOID.triples, Literal(triples, datatype=XSD.integer)))
    for iri, quads in sorted(manifest["graphs"].items()):
        subset = graph_subset_uri(iri, base)
        add((dataset, VOID.subset, subset))
        add((subset, RDF.type, VOID.Dataset))
        add((subset, SD.name, URIRef(iri)))
        add((subset, VOID.triples, Literal(quads, datatype=XSD.integer)))
        add((subset, VOID.dataDump, graph_store_uri(base, iri)))  # its content (kg.web.graphs)
    for source in manifest.get("sources", ()):
        add((dataset, DCTERMS.source, URIRef(source)))
    for example in manifest.get("examples", ()):
        add((dataset, VOID.exampleResource, URIRef(example)))


def _describe_dumps(graph: Graph, dataset: URIRef, manifest: dict, settings: Settings) -> None:
    base = settings.base_uri
    add = graph.add
    for entry in listed_files(manifest):
        if entry["role"] != "dump":
            continue
        url = mint_dump_uri(base, entry["name"])
        distribution = mint_void_uri(base, f"dump-{entry['name']}")
        checksum = mint_void_uri(base, f"dump-{entry['name']}-sha256")
        add((dataset, VOID.dataDump, url))
        add((dataset, DCAT.distribution, distribution))
        if entry["content_type"] in FORMAT_IRIS:
            add((dataset, VOID.feature, FORMAT_IRIS[entry["content_type"]]))
        add((distribution, RDF.type, DCAT.Distribution))
        add((distribution, DCTERMS.title, Literal(f"{entry['name']}: {_describe_entry(entry)}")))
        add((distribution, DCAT.downloadURL, url))
        add((distribution, DCAT.accessURL, url))
        # DCAT: mediaType is what the data is; a compressed file adds compressFormat.
        add((distribution, DCAT.mediaType, URIRef(IANA + entry["content_type"])))
        if entry["media_type"] != entry["content_type"]:
            add((distribution, DCAT.compressFormat, URIRef(IANA + entry["media_type"])))
        add((distribution, DCAT.byteSize, Literal(entry["bytes"], datatype=XSD.nonNegativeInteger)))
        add((distribution, DCTERMS.license, iri_or_literal(settings.license)))
        issued = manifest.get("dump_created", manifest["created"])
        add((distribution, DCTERMS.issued, Literal(issued, datatype=XSD.dateTime, normalize=False)))
        # which generation of the graph the file holds (kg publish writes dumps apart from ingests)
        add((distribution, PAV.version, Literal(manifest.get("dump_generation") or manifest["generation"])))
        add((distribution, SPDX.checksum, checksum))
        add((checksum, RDF.type, SPDX.Checksum))
        add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        add((checksum, SPDX.checksumValue, Literal(entry["sha256"], datatype=XSD.hexBinary)))


def _describe_entry(entry: dict) -> str:
    listed = _listed(entry)
    gzipped = ", gzipped" if entry["media_type"] == "application/gzip" else ""
    return f"{listed['count']} {listed['unit']} as {entry['content_type']}{gzipped}"


def _new_graph(base: str) -> Graph:
    return bind_prefixes(Graph(bind_namespaces="core"), prefixes(base, "void", "dcat", "spdx", "sd", "formats"))


def graph_subset_uri(iri: str, base: str) -> URIRef:
    """The VoID subset of a named graph (``{base}void#graph-base-graph/inferred``)."""
    return mint_void_uri(base, f"graph-{_local_name(iri, base)}")


def _local_name(iri: str, base: str) -> str:
    """A readable, unique fragment for a class, property or graph IRI: ``schema-Person``."""
    namespaces = {**prefixes(base), "base": base}
    for prefix, namespace in sorted(namespaces.items(), key=lambda item: -len(item[1])):
        rest = iri[len(namespace):]
        if iri.startswith(namespace) and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_/.-]*", rest):
            return f"{prefix}-{rest}"  # prefixes hold no '-', so this is one-to-one
    return hashlib.sha256(iri.encode("utf-8")).hexdigest()[:16]


def iri_or_literal(text: str):
    """An IRI when ``text`` is one (a licence given as an IRI), else a literal."""
    return URIRef(text) if re.match(r"^[a-z][a-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", text) else Literal(text)
