"""The web layer: SPARQL endpoint, linked-data resources, dumps and dataset descriptions.

Public surface: :func:`create_app`. Handlers reach the store, settings, cache and gates through
kg.web.context; the store is only ever read here.
"""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from kg.config import Settings
from kg.store import Store, open_configured_store
from kg.web.cache import StateCache
from kg.web.changes import blueprint as changes
from kg.web.context import attach
from kg.web.display import human_size
from kg.web.dumps import blueprint as dumps
from kg.web.errors import register_error_handlers
from kg.web.fairness import gates_for
from kg.web.graphs import blueprint as graphs
from kg.web.home import blueprint as home
from kg.web.lookup import blueprint as lookup
from kg.web.resources import blueprint as resources
from kg.web.sparql import blueprint as sparql

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def create_app(settings: Settings, store: Store | None = None) -> Flask:
    """Build the Flask application for a store.

    Args:
        settings: validated settings (``kg.config.load_settings``).
        store: the store to serve; by default the one the settings name (``store``: a directory or a URL).
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_query_bytes + 4096
    store = store or open_configured_store(settings)
    # a polled state could serve a worker's old answers for a second after another showed new ones
    caching = settings.cache_bytes and store.exact_state
    attach(app, settings, store, StateCache(settings.cache_bytes) if caching else None, gates_for(settings))
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)
    CORS(app, origins="*", send_wildcard=True, methods=["GET", "HEAD", "POST", "OPTIONS"], max_age=86400,
         expose_headers=["ETag", "Last-Modified", "Link", "Location", "Vary", "Content-Length"])
    _register_blueprints(app)
    register_error_handlers(app)
    app.after_request(_add_security_headers)
    app.context_processor(lambda: {"settings": settings})
    app.add_template_filter(human_size, "filesize")  # sizes on pages: 16 MiB (exact bytes in a title)
    return app


def _register_blueprints(app: Flask) -> None:
    for blueprint in (home, sparql, dumps, graphs, changes, lookup, resources):
        app.register_blueprint(blueprint)


def _add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
