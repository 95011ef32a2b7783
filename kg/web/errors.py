"""Every error handler of the web layer, and the one error body shape all endpoints share.

Client faults get their 4xx with the parser's or router's own message; a store that cannot be
read answers 503 with Retry-After; anything unexpected is logged with its traceback and answered
500 without details. The body is JSON, HTML, or
a comment in the requested RDF syntax, chosen by the Accept header.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from kg.errors import StoreError
from kg.store import QueryRefused, QueryTimeout, ResultTooLarge
from kg.web.negotiation import HTML, NTRIPLES, TURTLE

log = logging.getLogger("kg.web")
ERROR_TYPES = [HTML, "application/json", "application/sparql-results+json", "application/ld+json", TURTLE,
               NTRIPLES, "text/plain"]


def error_response(status: int, title: str, detail: str, headers: dict | None = None) -> Response:
    """Build the error body in the best format the client accepts (JSON when it accepts none)."""
    accepted = request.accept_mimetypes.best_match(ERROR_TYPES) if request.headers.get("Accept") else "text/plain"
    payload = {"error": {"status": status, "title": title, "detail": detail}}
    if accepted == HTML:
        body, mimetype = render_template("error.html", status=status, title=title, detail=detail), HTML
    elif accepted in (TURTLE, NTRIPLES, "text/plain"):
        text = f"{status} {title}: {detail}"
        body = "".join(f"# {line}\n" for line in text.splitlines()) if accepted != "text/plain" else text + "\n"
        mimetype = accepted
    else:
        body, mimetype = json.dumps(payload, ensure_ascii=False) + "\n", "application/json"
    response = Response(body, status=status, mimetype=mimetype)
    response.vary.add("Accept")  # the body's format was negotiated
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(exc: HTTPException) -> Response:
    headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after", "location")}
    return error_response(exc.code or 500, exc.name, exc.description or exc.name, headers)


def handle_query_refused(exc: QueryRefused) -> Response:
    return error_response(400, "Bad Request", str(exc))


def handle_query_timeout(exc: QueryTimeout) -> Response:
    retry = current_app.config["KG_SETTINGS"].retry_after
    return error_response(503, "Service Unavailable", str(exc), {"Retry-After": str(retry)})


def handle_result_too_large(exc: ResultTooLarge) -> Response:
    return error_response(422, "Unprocessable Content", str(exc))


def handle_store_error(exc: StoreError) -> Response:
    """The store cannot be read now (a remote store down, a directory gone): 503 with Retry-After,
    logged as one line (not a bug, so no traceback); the store's location stays in the log."""
    log.warning("store unavailable on %s %s: %s", request.method, request.path, exc)
    retry = current_app.config["KG_SETTINGS"].retry_after
    return error_response(503, "Service Unavailable", "the store cannot be read right now; try again later",
                          {"Retry-After": str(retry)})


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "Internal Server Error", "an internal error occurred; it has been logged")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(QueryRefused, handle_query_refused)
    app.register_error_handler(QueryTimeout, handle_query_timeout)
    app.register_error_handler(ResultTooLarge, handle_result_too_large)
    app.register_error_handler(StoreError, handle_store_error)
    app.register_error_handler(Exception, handle_unexpected)
