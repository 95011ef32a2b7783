"""The home page: what the dataset is, its counts, a search by name or title, links to everything.

The counts come from the current generation's manifest (kg.store.artifacts), computed at build time.
The search is a case-insensitive substring match over the ``schema:name`` (and
``schema:alternateName``) of persons and works, at most :data:`LIMIT` results.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from werkzeug.exceptions import BadRequest

from kg.store import sparql_string
from kg.web.context import current_manifest, get_store
from kg.web.dumps import dataset_answer
from kg.web.http import HTML, negotiate

blueprint = Blueprint("home", __name__)

LIMIT = 50
MAX_SEARCH_CHARS = 200
COUNTED = ("persons", "works", "versions", "venues", "sources", "quads")  # all of the current build
SEARCH = """PREFIX schema: <https://schema.org/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT ?entity ?kind (MIN(STR(?name)) AS ?label) WHERE {
  { ?entity a schema:Person . BIND("person" AS ?kind) }
  UNION { ?entity a schema:ScholarlyArticle . BIND("work" AS ?kind) }
  ?entity schema:name|schema:alternateName ?match .
  FILTER(isIRI(?entity) && CONTAINS(LCASE(STR(?match)), LCASE(%(text)s)))
  FILTER NOT EXISTS { ?entity owl:deprecated true }
  ?entity schema:name ?name .
}
GROUP BY ?entity ?kind
ORDER BY ?kind LCASE(?label) ?entity
LIMIT %(limit)d"""


@blueprint.get("/")
def home():
    """The home page (HTML only); ``?q=`` searches persons and works by name or title."""
    negotiate([HTML])
    text = request.args.get("q", "").strip()  # decoded once, by Werkzeug
    if len(text) > MAX_SEARCH_CHARS:
        raise BadRequest(f"the search text has {len(text)} characters; at most {MAX_SEARCH_CHARS} are allowed")
    manifest = current_manifest()

    def page() -> Response:
        counts = {key: (manifest or {}).get("counts", {}).get(key, 0) for key in COUNTED}
        results = search_entities(text) if text else None
        return Response(render_template("home.html", manifest=manifest, counts=counts, q=text, results=results,
                                        limit=LIMIT), mimetype=HTML)

    return dataset_answer(page, manifest, HTML, text)


def search_entities(text: str) -> list[dict]:
    """Persons and works whose name or title contains ``text``, ignoring case; at most LIMIT."""
    _names, rows = get_store().select(SEARCH % {"text": sparql_string(text), "limit": LIMIT})
    return [{"uri": str(uri), "kind": str(kind), "label": str(label)} for uri, kind, label in rows]

