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
    """The current generation's artifacts directory and manifest; (None, None) when it has none."""
    directory = get_store().artifacts()
    manifest = read_manifest(directory) if directory is not None else None
    return (directory, manifest) if manifest is not None else (None, None)


def current_manifest() -> dict | None:
    """The current generation's manifest (its counts, graphs and files), None when it has none."""
    return current_artifacts()[1]
