"""WSGI entry point: ``gunicorn server:app``.

Settings come from the environment (``KG_*``); the web layer arrives with the publishing issue.
"""

import os

from kg.config import load_settings

settings = load_settings(os.environ)


def app(environ, start_response):  # replaced by kg.web.create_app(settings) in issue 4
    body = f"kg graph store at {settings.store}; the HTTP interface is not built yet\n".encode()
    start_response("503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8"),
                                              ("Content-Length", str(len(body)))])
    return [body]
