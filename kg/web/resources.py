"""Dereferenceable URIs: /author, /paper (and its versions), /venue, /source.

README "URIs" and the W3C note "Cool URIs for the Semantic Web" (https://www.w3.org/TR/cooluris/):
the bare URI negotiates between HTML and the RDF syntaxes (and, for a work, the citation
formats), answering with ``Vary: Accept`` and the chosen alternate in ``Content-Location``;
each alternate also has a plain URL (``/author/leon-bottou.ttl``). Every answer lists all
alternates in ``Link`` headers, carries a weak ``ETag`` and ``Last-Modified`` (so
``If-None-Match`` / ``If-Modified-Since`` give 304), and pages its inbound list with ``?page=N``
(``Link: rel="next"/"prev"``, and Hydra paging triples in RDF). A retired URI answers 301 to
its survivor, or 410 Gone (kg.pipeline.retire).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, Response, redirect, render_template, request
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from werkzeug.exceptions import BadRequest, Gone, HTTPException, NotFound

from kg.store.explain import explain
from kg.uris import SLUG_PATTERN, parse_uri
from kg.vocab import FOAF, HYDRA, SCHEMA
from kg.web.cache import remember
from kg.web.citations import (
    BIBTEX,
    CITATION_TYPES,
    CSL_JSON,
    RIS,
    STYLE_NAME,
    format_reference,
    read_citation,
    render_citation,
)
from kg.web.context import get_cache, get_settings, get_store
from kg.web.describe import Description, Paging, describe, description_size, read_status
from kg.web.fairness import description_slot
from kg.web.graphs import describe_named_graph
from kg.web.http import (
    HTML,
    LABELS,
    PAGE_CACHE_CONTROL,
    RDF_TYPES,
    Validators,
    conditional,
    negotiate,
    render_graph,
)

blueprint = Blueprint("resources", __name__)

DOCUMENT_TYPES = [HTML, *RDF_TYPES]  # first one wins when Accept is absent
MEDIA_SUFFIXES = {HTML: "html", **{media: f.suffix for media, f in RDF_TYPES.items()}, **CITATION_TYPES}
SUFFIX_MEDIA = {suffix: media for media, suffix in MEDIA_SUFFIXES.items()} | {"csl": CSL_JSON}
MEDIA_LABELS = {**LABELS, BIBTEX: "BibTeX", CSL_JSON: "CSL-JSON", RIS: "RIS"}
_NAME = re.compile(rf"(?P<slug>{SLUG_PATTERN})(?:\.(?P<suffix>csl\.json|[a-z]+))?")
_PAGE = re.compile(r"[1-9][0-9]{0,8}")


@dataclass(frozen=True)
class Target:
    """What a request path names: the resource's URI, its kind, and the alternate asked for."""

    uri: str
    kind: str  # author, paper, version, venue, source
    suffix: str | None  # None for the bare URI (negotiated)

    @property
    def offered(self) -> list[str]:
        return DOCUMENT_TYPES + (list(CITATION_TYPES) if self.kind == "paper" else [])

    def alternate(self, media: str) -> str:
        return f"{self.uri}.{MEDIA_SUFFIXES[media]}"

    @property
    def requested(self) -> str:
        """The URL asked for, under the base URI (bare or with its suffix)."""
        return f"{self.uri}.{self.suffix}" if self.suffix else self.uri


@blueprint.get("/<any(author, venue, source):space>/<name>")
def entity(space: str, name: str):
    return serve(read_target(space, None, name))


@blueprint.get("/paper/<name>")
def paper(name: str):
    return serve(read_target("paper", None, name))


@blueprint.get("/paper/<work>/<name>")
def version(work: str, name: str):
    return serve(read_target("paper", work, name))


def read_target(space: str, work: str | None, name: str) -> Target:
    """Split ``leon-bottou.ttl`` into slug and suffix; 404 for anything that is not one of our paths."""
    match = _NAME.fullmatch(name)
    if not match or (work is not None and not re.fullmatch(SLUG_PATTERN, work)):
        raise NotFound(f"not a resource path: slugs are lower-case words joined by '-', e.g. /{space}/leon-bottou")
    kind = "version" if work is not None else space
    path = f"{space}/{work}/{match['slug']}" if work is not None else f"{space}/{match['slug']}"
    target = Target(get_settings().base_uri + path, kind, match["suffix"])
    if target.suffix is not None and SUFFIX_MEDIA.get(target.suffix) not in target.offered:
        raise NotFound(f"no .{target.suffix} alternate here; available: "
                       + ", ".join(f".{MEDIA_SUFFIXES[m]}" for m in target.offered))
    return target


def serve(target: Target) -> Response:
    """Answer for one resource: redirect, error, 304, or its description in the chosen format.

    A description rendered once is kept for the store state it was read from (kg.web.cache), so a
    repeated request costs neither a query nor a rendering; redirects and errors are not kept.
    """
    store, cache = get_store().view(), get_cache()  # one generation for all the page's queries
    state = store.state()
    try:
        page = read_page()
        media = SUFFIX_MEDIA[target.suffix] if target.suffix else negotiate(target.offered)
    except HTTPException as refused:  # 400 or 406, but a moved or unknown URI says so first
        if (moved := check_status(store, target)) is not None:
            return moved
        raise refused
    key = ("resource", target.requested, media, page)
    if not (cache and cache.get(state, key)) and (moved := check_status(store, target)) is not None:
        return moved

    def page_answer() -> Response:
        body, paging = remember(cache, state, key, lambda: _render_page(store, target, media, page),
                                lambda kept: len(kept[0]))
        response = Response(body, content_type=_content_type(media))
        _link_pages(response, target.requested, paging)
        return response

    # weak: the bytes of a page may change with kg's version while what it says does not; one part,
    # joined by lines as it always was, so caches' ETags stay valid across upgrades
    seed = "\n".join([state, request.path, media, str(page)])
    validators = Validators.of([seed], store.modified(), weak=True)
    return _finish(conditional(validators, page_answer), target, media)


def _render_page(store, target: Target, media: str, page: int) -> tuple[bytes, Paging]:
    """A resource's description rendered in ``media``, with its paging.

    Its size is read first, with a bound: a large description counts against its client's share
    and may be refused with 429 before the rest is read; a cheap one never is (kg.web.fairness).
    """
    settings = get_settings()
    bound = settings.large_description_quads
    with description_slot(description_size(store, target.uri, bound + 1), bound):
        description = describe(store, target.uri, target.kind, page, settings.page_size)
        if media == HTML and target.kind in ("author", "paper"):
            description.why = explain(store, target.uri)
    paging = description.paging or Paging(1, 1, 1)
    if page > paging.last:
        raise NotFound(f"{target.uri} has {paging.last} page(s); there is no page {page}")
    return render(description, target, media, page).encode("utf-8"), paging


def check_status(store, target: Target) -> Response | None:
    """The redirect (301) of a replaced URI; raises Gone (410) or NotFound (404); None for a current one."""
    status = read_status(store, target.uri)
    suffix = f".{target.suffix}" if target.suffix else ""
    if status.replaced_by is not None:
        return redirect(f"{status.replaced_by}{suffix}", 301)
    parsed = parse_uri(store.base_uri, target.uri)
    if not status.exists and parsed is not None and parsed.sub:  # a version of a merged work moved with it
        work = read_status(store, f"{store.base_uri}{parsed.space}/{parsed.slug}")
        if work.replaced_by is not None:
            return redirect(f"{work.replaced_by}/{parsed.sub}{suffix}", 301)
    if status.deprecated:
        raise Gone(f"{target.uri} was retired and has no replacement")
    if not status.exists:
        raise NotFound(f"nothing is known about {target.uri}")
    return None


def read_page() -> int:
    """The 1-based ``?page=N``; 400 for anything but a positive integer."""
    raw = request.args.get("page", "1")
    if not _PAGE.fullmatch(raw):
        raise BadRequest(f"page must be a positive integer (1, 2, ...), not {raw!r}")
    return int(raw)


# -- caching -------------------------------------------------------------------------------------

def _finish(response: Response, target: Target, media: str) -> Response:
    response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    if target.suffix is None:
        response.vary.add("Accept")
        response.headers["Content-Location"] = target.alternate(media)
    for url, alternate, _label in alternates(target):
        response.headers.add("Link", f'<{url}>; rel="alternate"; type="{alternate}"')
    return response


def _link_pages(response: Response, url: str, paging: Paging) -> None:
    if paging.has_prev:
        response.headers.add("Link", f'<{page_url(url, paging.page - 1)}>; rel="prev"')
    if paging.has_next:
        response.headers.add("Link", f'<{page_url(url, paging.page + 1)}>; rel="next"')


def page_url(url: str, page: int) -> str:
    return url if page == 1 else f"{url}?page={page}"


def alternates(target: Target) -> list[tuple[str, str, str]]:
    """(URL, media type, label) of every alternate of the resource."""
    return [(target.alternate(media), media, MEDIA_LABELS[media]) for media in target.offered]


# -- rendering -----------------------------------------------------------------------------------

def _content_type(media: str) -> str:
    return f"{media}; charset=utf-8"


def render(d: Description, target: Target, media: str, page: int) -> str:
    if media == HTML:
        return render_html(d, target)
    if media in CITATION_TYPES:
        return render_citation(d, media)
    graph = d.graph()
    _add_document(graph, d, page_url(target.alternate(media), page))
    if target.kind == "source":  # the source's URI names its graph too: its size, VoID subset and download
        describe_named_graph(graph, str(d.uri))
    return render_graph(graph, media, d.prefixes, jsonld_context=d.prefixes)


def _add_document(graph: Graph, d: Description, document: str) -> None:
    """Say what the document is about and, for a paged list, where its other pages are (Hydra)."""
    doc = URIRef(document)
    graph.add((doc, FOAF.primaryTopic, d.uri))
    if d.paging is None or d.paging.last == 1:
        return
    base = document.split("?", 1)[0]
    graph.add((doc, RDF.type, HYDRA.PartialCollectionView))
    graph.add((doc, HYDRA.first, URIRef(page_url(base, 1))))
    graph.add((doc, HYDRA.last, URIRef(page_url(base, d.paging.last))))
    if d.paging.has_prev:
        graph.add((doc, HYDRA.previous, URIRef(page_url(base, d.paging.page - 1))))
    if d.paging.has_next:
        graph.add((doc, HYDRA.next, URIRef(page_url(base, d.paging.page + 1))))


def render_html(d: Description, target: Target) -> str:
    paging = d.paging
    pages = {}
    if paging is not None and paging.has_prev:
        pages["prev"] = page_url(target.requested, paging.page - 1)
    if paging is not None and paging.has_next:
        pages["next"] = page_url(target.requested, paging.page + 1)
    extra = {}
    if target.kind == "paper":
        citation = read_citation(d)
        # each wording once, the one the citation quotes first (the published version's)
        abstracts = sorted(d.distinct([d.uri, *d.versions(d.uri)], SCHEMA.abstract),
                           key=lambda stated: str(stated.value) != citation.abstract)
        extra = {"reference": format_reference(citation), "reference_style": STYLE_NAME, "abstracts": abstracts}
    return render_template(f"{target.kind}.html", d=d, alternates=alternates(target), pages=pages, why=d.why,
                           mentions=mention_groups(d.why), jsonld=schema_org(d),
                           citations=[a for a in alternates(target) if a[1] in CITATION_TYPES], **extra)


def mention_groups(why) -> list[tuple[object, int]]:
    """The mentions of an explanation, each distinct one once with how many times it occurs (a
    cluster page names its subject once per paper: eleven lines saying the same)."""
    counts: dict[tuple, list] = {}
    for mention in why.mentions if why else ():
        counts.setdefault((mention.source, mention.says, mention.reasons), [mention, 0])[1] += 1
    return [(mention, count) for mention, count in counts.values()]


def schema_org(d: Description) -> dict:
    """The resource's schema.org description as a JSON-LD object, for the page's ``<script>`` block.

    The template writes it with Jinja's ``tojson``, which escapes ``<``, ``>``, ``&`` and ``'``
    as ``\\u003c``..., so a ``</script>`` inside a title cannot end the element. A work's authors
    come in the order of its author list; a person's works and a venue's versions (this page of
    them) are given as reverse ``author`` / ``isPartOf`` links.
    """
    node = _schema_node(d, d.uri)
    if d.kind == "paper":
        groups = sorted(d.author_groups(d.uri), key=lambda group: (not group[2], -len(group[0])))
        if groups:
            node["author"] = [_schema_ref(d, person) for person in groups[0][0]]
        node["workExample"] = [_schema_node(d, v) for v in d.values(d.uri, SCHEMA.workExample)]
    inverse = {"author": "author", "venue": "isPartOf"}.get(d.kind)
    if inverse and d.members:
        node["@reverse"] = {inverse: [_schema_ref(d, member) for member in d.members]}
    return {"@context": {"@vocab": str(SCHEMA)}, **node}


def _schema_node(d: Description, subject: URIRef) -> dict:
    node: dict = {"@id": str(subject)}
    types = [str(t)[len(SCHEMA):] for t in d.values(subject, RDF.type) if str(t).startswith(SCHEMA)]
    if types:
        node["@type"] = types[0] if len(types) == 1 else types
    for predicate in d.predicates(subject):
        if str(predicate).startswith(SCHEMA):
            values = [_schema_ref(d, o) if isinstance(o, URIRef) else str(o) for o in d.values(subject, predicate)]
            node[str(predicate)[len(SCHEMA):]] = values[0] if len(values) == 1 else values
    return node


def _schema_ref(d: Description, node: URIRef) -> dict:
    """A link, named when it is one of ours (an external identifier is its own name)."""
    return {"@id": str(node), "name": d.label(node)} if str(node).startswith(d.base) else {"@id": str(node)}
