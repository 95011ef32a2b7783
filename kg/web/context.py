"""What a request handler reaches of the application: the only module that reads ``current_app``.

:func:`kg.web.create_app` attaches the parts (:func:`attach`); handlers, error handlers and
the fairness gates read them through the accessors, so the names under which Flask keeps them
live here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from kg.config import Settings
from kg.store import Store
from kg.store.artifacts import read_manifest
from kg.web.cache import StateCache


def attach(app: Flask, settings: Settings, store: Store, cache: StateCache | None, gates: dict) -> None:
    app.config["KG_SETTINGS"] = settings
    app.extensions["kg_store"] = store
    app.extensions["kg_cache"] = cache
    app.extensions["kg_gates"] = gates


def get_store() -> Store:
    return store_of(current_app)


def store_of(app: Flask) -> Store:
    """The store an app serves, outside a request (gunicorn's worker hooks)."""
    return app.extensions["kg_store"]


def get_settings() -> Settings:
    return current_app.config["KG_SETTINGS"]


def get_cache() -> StateCache | None:
    """This worker's answers per store state (kg.web.cache), None when KG_CACHE_BYTES is 0."""
    return current_app.extensions["kg_cache"]


def get_gates() -> dict:
    """This worker's client gates (kg.web.fairness.gates_for)."""
    return current_app.extensions["kg_gates"]


def current_artifacts() -> tuple[Path | None, dict | None]:
    """The current generation's artifacts directory and its manifest merged with the newest dump
    set's (:func:`merge_manifests`); (None, None) when it has none."""
    store = get_store()
    directory = store.artifacts()
    manifest = read_manifest(directory) if directory is not None else None
    if manifest is None:
        return None, None
    dumps = store.dumps()
    if dumps == directory:  # a store that writes its dumps with each generation (the remote one)
        return directory, manifest
    return directory, merge_manifests(manifest, read_manifest(dumps) if dumps is not None else None)


def merge_manifests(generation: dict, dumps: dict | None) -> dict:
    """One description of what is published: the current generation's report, counts and graphs,
    and the dump set's files and statistics (VoID partitions, link sets, examples), which are of
    the generation the dumps were written from (``dump_generation``; ``kg publish``)."""
    if dumps is None:
        return {**generation, "dump_generation": None}
    counts = {**dumps.get("counts", {}), **generation.get("counts", {})}
    return {**dumps, **{key: generation[key] for key in ("generation", "created", "activity", "validation", "graphs")
                         if key in generation},
            "counts": counts, "files": dumps["files"] + generation["files"],
            "dump_generation": dumps["generation"], "dump_created": dumps["created"]}


def current_manifest() -> dict | None:
    """The manifest of what is published (:func:`current_artifacts`), None when nothing is."""
    return current_artifacts()[1]
