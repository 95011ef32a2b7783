"""The change feed: each published build's change as an RDF Patch file, listed in order.

``/changes`` is an Activity Streams 2.0 ``OrderedCollection`` (https://www.w3.org/TR/activitystreams-core/)
of ``Update`` activities, oldest first, in pages of :data:`ITEMS_PER_PAGE`; each names a build
(``generation``), when it was made, what made it, its added and removed quads, and its patch file
(``/changes/gNNNNNN.rdfp.gz``, RDF Patch gzipped, with its size and SHA-256; kg.store.patch). A full
page never changes again and is served as immutable; the last one, and the collection, change with
every build. A mirror that holds the dump of build N applies the patches after N, in order, and holds
the current graph.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, json, request, send_file
from werkzeug.exceptions import BadRequest, NotFound

from kg.store.patch import PATCH_SUFFIX, change_file, list_changes
from kg.web.context import current_manifest, get_settings, get_store
from kg.web.dumps import dataset_answer
from kg.web.http import last_modified, negotiate

blueprint = Blueprint("changes", __name__)

ITEMS_PER_PAGE = 100
ACTIVITY_JSON = "application/activity+json"
LD_JSON = "application/ld+json"
AS2_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
CONTEXT = "https://www.w3.org/ns/activitystreams"
IMMUTABLE = "public, max-age=31536000, immutable"
_NAME = re.compile(r"g\d{6}")


@blueprint.get("/changes")
def feed():
    """The collection (no ``page``) or one of its pages (``?page=N``, 1-based)."""
    media = negotiate([ACTIVITY_JSON, LD_JSON, "application/json"])
    manifest = current_manifest()
    entries = _entries(manifest)
    pages = max(1, -(-len(entries) // ITEMS_PER_PAGE))
    page = request.args.get("page")
    if page is None:
        body = _collection(entries, pages)
        return dataset_answer(lambda: _json(body, media), manifest, media, vary=True)
    if not page.isdigit() or not 1 <= int(page) <= pages:
        raise BadRequest(f"page must be a whole number from 1 to {pages}")
    number = int(page)
    body = _page(entries, number, pages)
    response = dataset_answer(lambda: _json(body, media), manifest, media, str(number), vary=True)
    if number < pages:  # a full page: later builds go on later pages
        response.headers["Cache-Control"] = IMMUTABLE
    return response


@blueprint.get("/changes/<name>")
def patch(name: str):
    """One build's patch, as written (gzip, never re-encoded); immutable once published."""
    generation = name.removesuffix(PATCH_SUFFIX)
    manifest = current_manifest()
    root = get_store().changes()
    if not name.endswith(PATCH_SUFFIX) or not _NAME.fullmatch(generation) or root is None or manifest is None \
            or generation > manifest["generation"]:
        raise NotFound(f"no change file {name!r}; the changes are listed at {_url('changes')}")
    entry = next((e for e in _entries(manifest) if e["generation"] == generation), None)
    path = change_file(root, generation)
    if entry is None or not path.is_file():
        raise NotFound(f"no change file {name!r}; the changes are listed at {_url('changes')}")
    response = send_file(path, mimetype="application/gzip", as_attachment=True, download_name=name,
                         conditional=True, etag=entry["sha256"], last_modified=last_modified(path.stat().st_mtime),
                         max_age=None)
    response.headers["Cache-Control"] = IMMUTABLE
    return response


def _entries(manifest: dict | None) -> list[dict]:
    root = get_store().changes()
    if root is None or manifest is None:
        return []
    return list_changes(root, manifest["generation"])


def _collection(entries: list[dict], pages: int) -> dict:
    feed = _url("changes")
    return {"@context": CONTEXT, "id": feed, "type": "OrderedCollection",
            "summary": f"Every published build of {get_settings().title}, oldest first, with its RDF Patch",
            "totalItems": len(entries), "first": f"{feed}?page=1", "last": f"{feed}?page={pages}"}


def _page(entries: list[dict], number: int, pages: int) -> dict:
    feed = _url("changes")
    items = entries[(number - 1) * ITEMS_PER_PAGE:number * ITEMS_PER_PAGE]
    body = {"@context": CONTEXT, "id": f"{feed}?page={number}", "type": "OrderedCollectionPage", "partOf": feed,
            "startIndex": (number - 1) * ITEMS_PER_PAGE, "orderedItems": [_activity(entry) for entry in items]}
    if number > 1:
        body["prev"] = f"{feed}?page={number - 1}"
    if number < pages:
        body["next"] = f"{feed}?page={number + 1}"
    return body


def _activity(entry: dict) -> dict:
    name = entry["generation"]
    return {"id": _url(f"changes#{name}"), "type": "Update", "name": f"build {name} ({entry['activity']})",
            "published": entry["created"], "object": _url("void#dataset"),
            "url": {"type": "Link", "href": _url(f"changes/{name}{PATCH_SUFFIX}"), "mediaType": "application/gzip"},
            "generation": name, "previous": entry["previous"], "added": entry["added"],
            "removed": entry["removed"], "quads": entry["quads"], "bytes": entry["bytes"],
            "sha256": entry["sha256"]}


def _json(body: dict, media: str) -> Response:
    return Response(json.dumps(body, indent=2, ensure_ascii=False) + "\n",
                    mimetype=AS2_PROFILE if media == LD_JSON else media)


def _url(path: str) -> str:
    return get_settings().base_uri + path
