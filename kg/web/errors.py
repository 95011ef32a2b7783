"""Every error handler of the web layer, and the one error body shape all endpoints share.

Client faults get their 4xx with the parser's or router's own message; a store that cannot be
read answers 503 with Retry-After; anything unexpected is logged with its traceback and answered
500 without details. A :class:`KgError` says itself which of these it is (its class attributes,
see kg.errors), so one handler serves them all. The body is JSON, HTML, or
a comment in the requested RDF syntax, chosen by the Accept header.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from kg.errors import KgError
from kg.web.context import get_settings
from kg.web.http import HTML, NTRIPLES, TURTLE

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


def handle_kg_error(exc: KgError) -> Response:
    """Answer as the error's class says; a message the client is not shown goes to the log: one
    line for an expected fault (a store down), the traceback for one to fix."""
    if exc.public_detail is None:
        detail = str(exc)
    else:
        detail = exc.public_detail
        if exc.log_line is not None:
            log.warning("%s on %s %s: %s", exc.log_line, request.method, request.path, exc)
        else:
            log.exception("unhandled error on %s %s", request.method, request.path)
    headers = {"Retry-After": str(get_settings().retry_after)} if exc.retry_after else None
    return error_response(exc.http_status, exc.title, detail, headers)


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "Internal Server Error", "an internal error occurred; it has been logged")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(KgError, handle_kg_error)
    app.register_error_handler(Exception, handle_unexpected)
