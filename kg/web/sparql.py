"""The read-only SPARQL 1.1 Protocol endpoint, its service description and its query page.

Implements the query operation of https://www.w3.org/TR/sparql11-protocol/#query-operation
(GET, POST with a form, POST with the query as body), refuses every update operation, and
answers a GET without a query with a service description
(https://www.w3.org/TR/sparql11-service-description/), or a query page when a browser asks.

A client that prefers HTML to every result format (a browser) gets the results as a page: the
query in its editor, a table of the answer (kg.web.sparql_page), download links. Its query runs
exactly as every other client's: the same limits, fairness and cache. The ``accept`` parameter
stands for the Accept header where a link cannot send one (the download links); ``format``,
``output`` and ``results`` are left alone, since SPARQLWrapper sends them with values of its own.

Status codes: 400 malformed request or query (the parser's message, with the line, column and a
caret under the place), 403 update, 406 no acceptable format, 413 query text too long, 415
unsupported POST body, 422 result over the size cap, 503 query stopped at the time limit (with
Retry-After).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, url_for
from rdflib import RDF, BNode, Graph, Literal, URIRef
from werkzeug.exceptions import BadRequest, Forbidden, NotAcceptable, RequestEntityTooLarge, UnsupportedMediaType

from kg import formats
from kg.errors import QueryRefused, QueryTimeout, ResultTooLarge
from kg.store import QueryAnswer, list_queries
from kg.vocab import DCTERMS, FORMATS, SD, VOID, dump_prefixes
from kg.web.cache import remember
from kg.web.context import current_manifest, get_cache, get_settings, get_store
from kg.web.fairness import client_slot
from kg.web.http import HTML, RDF_TYPES, best_match, negotiate, render_graph
from kg.web.sparql_page import HTML_ROWS, SyntaxErrorAt, Terms, downloads, read_results

blueprint = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
READ_ONLY = ("this SPARQL endpoint is read-only: SPARQL Update is refused in every form "
             "(the data changes only through `kg ingest`)")

# media type -> runner format; within a family the first is the default, and the order breaks q-value ties
BOOLEAN_TYPES = {
    formats.RESULTS_JSON.media_type: "json", formats.RESULTS_XML.media_type: "xml",
    formats.JSON: "json", "application/xml": "xml",  # the generic names, for clients that send only those
}
SOLUTION_TYPES = {**BOOLEAN_TYPES, **{f.media_type: f.name for f in (formats.RESULTS_CSV, formats.RESULTS_TSV)}}
GRAPH_TYPES = {f.media_type: f.name for f in (formats.TURTLE, formats.NTRIPLES, formats.JSONLD, formats.RDFXML)}
ALL_TYPES = [*SOLUTION_TYPES, *GRAPH_TYPES]
FORMAT_IRIS = [FORMATS[f.w3c] for f in (*formats.RESULT_FORMATS.values(),
                                         *(formats.BY_MEDIA_TYPE[media] for media in GRAPH_TYPES))]
KINDS = {"select": "solutions", "ask": "boolean", "construct": "graph", "describe": "graph"}
FAMILIES = {"solutions": SOLUTION_TYPES, "boolean": BOOLEAN_TYPES, "graph": GRAPH_TYPES}
MAX_GET_TARGET = 8000
"""Longest path and query string the page sends by GET (gunicorn refuses a request line over 8190
bytes): a longer query is posted by the form, and its download links are forms that post it."""

# Skips IRIs (which may hold '#') and comments, so the prologue can be read to find the query form.
_IRI_OR_COMMENT = re.compile(r"(<[^<>\"{}|^`\\\s]*>)|#[^\n]*")
_QUERY_FORM = re.compile(
    r"\s*(?:(?:BASE\s*<[^>]*>|PREFIX\s*[^\s:<]*:\s*<[^>]*>)\s*)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)

DEFAULT_QUERY = """PREFIX schema: <https://schema.org/>
SELECT ?person ?name WHERE {
  ?person a schema:Person ; schema:name ?name .
}
ORDER BY ?name
LIMIT 25
"""


@dataclass(frozen=True)
class ProtocolQuery:
    """One query operation: the query text and the protocol's RDF dataset, if any."""

    text: str
    default_graphs: list[str]
    named_graphs: list[str]


@blueprint.after_request
def _vary_on_accept(response: Response) -> Response:
    response.vary.add("Accept")
    return response


@blueprint.route("/sparql", methods=["GET", "POST"])
def endpoint():
    """Answer a query, or describe the service when there is none."""
    refuse_updates()
    query = read_post() if request.method == "POST" else read_get()
    if query is None:
        return describe_service()
    return answer_query(query)


# -- reading the request -------------------------------------------------------------------------


def refuse_updates() -> None:
    """Raises Forbidden (403) for an update sent by any of the protocol's three ways."""
    is_form = request.method == "POST" and request.mimetype == FORM
    if request.mimetype == SPARQL_UPDATE or "update" in request.args or (is_form and "update" in request.form):
        raise Forbidden(READ_ONLY)


def read_get() -> ProtocolQuery | None:
    if "query" not in request.args:
        return None
    return ProtocolQuery(single_query(request.args.getlist("query")), dataset_parameter("default-graph-uri"),
                         dataset_parameter("named-graph-uri"))


def read_post() -> ProtocolQuery:
    if "query" in request.args:
        raise BadRequest("a POST request carries its query in the body; "
                         "a query parameter in the URL as well is not allowed")
    if request.mimetype == FORM:
        texts = request.form.getlist("query")
        if not texts:
            raise BadRequest("the form has no query parameter; send query=<SPARQL query>")
        text = single_query(texts)
    elif request.mimetype == SPARQL_QUERY:
        text = read_query_body()
    else:
        raise UnsupportedMediaType(f"a POST body must be {FORM} or {SPARQL_QUERY}, "
                                   f"not {request.mimetype or 'untyped'}")
    return ProtocolQuery(text, dataset_parameter("default-graph-uri"), dataset_parameter("named-graph-uri"))


def single_query(texts: list[str]) -> str:
    if len(texts) != 1:
        raise BadRequest(f"exactly one query parameter is allowed; this request has {len(texts)}")
    return check_query_size(texts[0])


def read_query_body() -> str:
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"a {SPARQL_QUERY} body must be UTF-8, not {charset}")
    try:
        return check_query_size(request.get_data(cache=False).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the query body is not valid UTF-8 (byte {exc.start})") from exc


def check_query_size(text: str) -> str:
    limit = get_settings().max_query_bytes
    size = len(text.encode("utf-8"))
    if size > limit:
        raise RequestEntityTooLarge(f"the query is {size} bytes long; at most {limit} bytes are accepted")
    if not text.strip():
        raise BadRequest("the query is empty")
    return text


def accept_value() -> str | None:
    """The request's Accept header, or the ``accept`` parameter that stands for it in a link (from
    the URL, or a form's body); None when neither says anything."""
    values = request.args.getlist("accept")
    if request.method == "POST" and request.mimetype == FORM:
        values += request.form.getlist("accept")
    if len(values) > 1:
        raise BadRequest(f"at most one accept parameter is allowed; this request has {len(values)}")
    if values and values[0].strip():
        return values[0]
    return request.headers.get("Accept") or None


def dataset_parameter(name: str) -> list[str]:
    """A repeatable dataset parameter, from the URL and, for a form POST, the body; each an absolute IRI."""
    values = request.args.getlist(name)
    if request.method == "POST" and request.mimetype == FORM:
        values += request.form.getlist(name)
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise BadRequest(f"{name} must be an absolute IRI, not {value!r}: {exc}") from exc
    return values


# -- answering a query ---------------------------------------------------------------------------


def answer_query(query: ProtocolQuery) -> Response:
    form = query_form(query.text)
    if prefers_html(form):
        return results_page(query)
    chosen = choose_media_types(form)
    results_type = chosen["boolean"] if form == "ask" else chosen["solutions"]
    graph_type = chosen["graph"]
    try:
        answer = run_query(query, SOLUTION_TYPES[results_type] if results_type else "json",
                           GRAPH_TYPES[graph_type] if graph_type else "turtle")
    except QueryRefused as exc:
        where = SyntaxErrorAt.find(str(exc), query.text)
        if where is None:
            raise
        raise QueryRefused(where.explain(str(exc))) from exc
    media_type = chosen[answer.kind]
    if media_type is None:
        raise NotAcceptable(f"the answer is a {answer.kind} result, and none of its formats is acceptable")
    return Response(answer.body, mimetype=media_type)


def run_query(query: ProtocolQuery, results_format: str, graph_format: str) -> QueryAnswer:
    """Run a client's query within its share of the query processes, or answer it from the cache.

    Raises:
        QueryRefused, QueryTimeout, ResultTooLarge: as the store says (and the fairness gate's refusals).
    """
    settings, store = get_settings(), get_store()
    options = {"results_format": results_format, "graph_format": graph_format}

    def run() -> QueryAnswer:
        with client_slot("query"):  # its refusals are answered in kg.web.errors, and never kept
            return store.run_query(query.text, max_bytes=settings.max_result_bytes,
                                   default_graphs=query.default_graphs, named_graphs=query.named_graphs, **options)

    key = ("sparql", query.text, tuple(query.default_graphs), tuple(query.named_graphs), *options.values())
    return remember(get_cache(), store.state(), key, run, lambda kept: len(kept.body) + len(query.text))


def query_form(text: str) -> str | None:
    """The query form (select, ask, construct, describe) read from the prologue; None if unclear."""
    match = _QUERY_FORM.match(_IRI_OR_COMMENT.sub(lambda m: m.group(1) or " ", text))
    return match.group(1).lower() if match else None


def choose_media_types(form: str | None) -> dict[str, str | None]:
    """The best acceptable media type for each kind of answer (None: none acceptable).

    Raises:
        NotAcceptable: nothing is acceptable, or nothing for the query's form (HTTP 406).
    """
    negotiated(ALL_TYPES)
    solution_types = SOLUTION_TYPES if form == "select" else BOOLEAN_TYPES
    chosen = {"solutions": best_accepted(solution_types), "boolean": best_accepted(BOOLEAN_TYPES),
              "graph": best_accepted(GRAPH_TYPES)}
    if form is not None and chosen[KINDS[form]] is None:
        available = SOLUTION_TYPES if form == "select" else GRAPH_TYPES if KINDS[form] == "graph" else BOOLEAN_TYPES
        raise NotAcceptable(f"the result of this {form.upper()} query is available as {', '.join(available)}; "
                            "none of them is acceptable")
    return chosen


def best_accepted(offered: dict[str, str]) -> str | None:
    accept = accept_value()
    if not accept:
        return next(iter(offered))
    return best_match(accept, tuple(offered))


def negotiated(offered: list[str]) -> str:
    """The best of ``offered`` for the Accept header or ``accept`` parameter; the first without either.

    Raises:
        NotAcceptable: nothing offered is acceptable (HTTP 406), naming what is available.
    """
    return negotiate(offered, accept_value())


def prefers_html(form: str | None) -> bool:
    """Whether the client prefers HTML to every format of the query's answer (as browsers do).

    HTML is offered last, so it wins only by a higher q-value or a more specific match: ``*/*``,
    ``text/*`` or no Accept at all keep today's formats.
    """
    accept = accept_value()
    offered = (*(FAMILIES[KINDS[form]] if form else ALL_TYPES), HTML)
    return bool(accept) and best_match(accept, offered) == HTML


# -- service description and query page ----------------------------------------------------------


def describe_service() -> Response:
    media_type = negotiated([*RDF_TYPES, HTML])
    if media_type == HTML:
        return query_page(None)
    body = remember(get_cache(), get_store().state(), ("service", media_type),
                    lambda: render_graph(service_description(), media_type).encode("utf-8"), len)
    return Response(body, mimetype=media_type)


def results_page(query: ProtocolQuery) -> Response:
    """The query page with the query's answer as a table, or with why there is none.

    The query runs as every client's does; the errors a client's query meets are shown on the
    page with their status (a syntax error with its place), the rest are answered as everywhere.
    """
    settings = get_settings()
    try:
        answer = run_query(query, "json", "ntriples")
    except (QueryRefused, QueryTimeout, ResultTooLarge) as exc:
        headers = {"Retry-After": str(settings.retry_after)} if exc.retry_after else {}
        where = SyntaxErrorAt.find(str(exc), query.text) if isinstance(exc, QueryRefused) else None
        error = {"status": exc.http_status, "title": exc.title, "detail": str(exc), "where": where}
        return query_page(query, error=error, status=exc.http_status, headers=headers)
    terms = Terms(settings.base_uri, url_for("home.home"), dump_prefixes(settings.base_uri))
    results = read_results(answer, terms, HTML_ROWS)
    return query_page(query, results=results, downloads=downloads(results.kind, lambda media_type: url_for(
        "sparql.endpoint", query=query.text, accept=media_type, **dataset_of(query)), fits_in_a_url))


def query_page(query: ProtocolQuery | None, status: int = 200, headers: dict | None = None, **shown) -> Response:
    """The query page: the editor (with ``query``, else an example), the examples, and what ``shown`` holds."""
    examples = [(example, url_for("sparql.endpoint", query=example.text))
                for example in list_queries(get_settings().queries_dir)]
    body = render_template("sparql.html", examples=examples, query=query, default_query=DEFAULT_QUERY,
                           dataset=dataset_of(query) if query else {}, max_get_target=MAX_GET_TARGET, **shown)
    return Response(body, status=status, headers=headers, mimetype=HTML)


def dataset_of(query: ProtocolQuery) -> dict[str, list[str]]:
    """The query's protocol dataset as request parameters."""
    parameters = {"default-graph-uri": query.default_graphs, "named-graph-uri": query.named_graphs}
    return {name: graphs for name, graphs in parameters.items() if graphs}


def fits_in_a_url(target: str) -> bool:
    """Whether a path and query string is short enough to be sent by GET."""
    return len(target) <= MAX_GET_TARGET


def service_description() -> Graph:
    """The description of this endpoint; its graphs' sizes are the build's (the manifest)."""
    return build_service_description(graph_sizes())


def graph_sizes() -> list[tuple[URIRef, Literal]]:
    graphs = (current_manifest() or {}).get("graphs", {})
    return sorted((URIRef(graph), Literal(size)) for graph, size in graphs.items())


def build_service_description(sizes: list[tuple[URIRef, Literal]]) -> Graph:
    settings = get_settings()
    service = URIRef(settings.base_uri + "sparql")
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in (("sd", SD), ("formats", FORMATS), ("dcterms", DCTERMS), ("void", VOID)):
        graph.bind(prefix, namespace)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    graph.add((service, DCTERMS.title, Literal(settings.title)))
    for format_iri in FORMAT_IRIS:
        graph.add((service, SD.resultFormat, format_iri))
    graph.add((service, SD.defaultDataset, describe_dataset(graph, sizes)))
    return graph


def describe_dataset(graph: Graph, sizes: list[tuple[URIRef, Literal]]) -> BNode:
    dataset, default_graph = BNode(), BNode()
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    for name, triples in sizes:
        named, described = BNode(), BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, name))
        graph.add((named, SD.graph, described))
        graph.add((described, RDF.type, SD.Graph))
        graph.add((described, VOID.triples, triples))
    return dataset
