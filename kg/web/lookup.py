"""Look-ups by external identifier: ``/id/{scheme}/{value}`` answers 303 See Other to the kg URI
of the entity that carries it, so anyone holding a DOI, an ORCID iD, a dblp id or key, an arXiv id
or a Wikidata item can link to the graph, or look it up, without knowing its slugs.

404 when no entity carries it, 300 Multiple Choices (the candidates, as HTML or JSON, and as
``Link`` headers) when several do. The identifiers are read from the identity graph's mentions,
compared as the identity stage compares them (DOIs, arXiv ids and paper keys without case).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, render_template
from werkzeug.exceptions import NotFound

from kg.identity.mentions import person_id_key, work_id_key
from kg.web.context import get_store
from kg.web.fairness import client_slot
from kg.web.http import HTML, negotiate

blueprint = Blueprint("lookup", __name__)

MAX_VALUE_CHARS = 300  # the longest DOIs in Crossref are about 200 characters


def block_keys(scheme: str, value: str) -> list[str]:
    """The identity stage's block keys under which a mention states ``scheme:value``: a person's
    identifier as stated (ORCID iDs and Wikidata items in their canonical upper case), a paper's
    without case."""
    person = {"orcid": value.upper(), "wikidata": value.upper(), "dblp": value}.get(scheme)
    keys = [person_id_key(f"{scheme}:{person}")] if person else []
    return keys + ([work_id_key(f"{scheme}:{value}")] if scheme in ("doi", "arxiv", "dblp", "wikidata") else [])


SCHEMES = ("doi", "orcid", "dblp", "arxiv", "wikidata")


@blueprint.get("/id/<scheme>/<path:value>")
def lookup(scheme: str, value: str):
    if scheme not in SCHEMES:
        raise NotFound(f"no look-up by {scheme!r}; kg looks up {', '.join(f'/id/{s}/…' for s in SCHEMES)}")
    if len(value) > MAX_VALUE_CHARS:
        raise NotFound(f"no {scheme} identifier is {len(value)} characters long")
    with client_slot("describe"):
        holders = get_store().registry().holders(block_keys(scheme, value))
    if not holders:
        raise NotFound(f"no entity in this graph carries the {scheme} identifier {value!r}")
    if len(holders) == 1:
        response = redirect(holders[0], 303)
    else:
        response = _choices(scheme, value, holders)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _choices(scheme: str, value: str, holders: list[str]) -> Response:
    """300 Multiple Choices: several entities carry the identifier (a DOI on two works that identity
    kept apart, or the same dblp key as a person's id and a paper's key)."""
    media = negotiate([HTML, "application/json"])
    if media == HTML:
        response = Response(render_template("choices.html", scheme=scheme, value=value, holders=holders),
                            status=300, mimetype=HTML)
    else:
        response = jsonify({"identifier": f"{scheme}:{value}", "entities": holders})
        response.status_code = 300
    response.vary.add("Accept")
    for uri in holders:
        response.headers.add("Link", f'<{uri}>; rel="alternate"')
    return response
