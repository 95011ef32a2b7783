"""Store: persistent quad storage, dumps and named queries.

Public surface: :func:`open_store`, :func:`open_configured_store`, :class:`Store`, :data:`DUMP_FORMATS`,
:func:`load_query`. A store is a directory (embedded pyoxigraph) or an http(s) URL (a remote SPARQL server).
"""

from __future__ import annotations

from pathlib import Path

from kg.config import DEFAULTS, Settings
from kg.formats import DUMP_FORMATS
from kg.store.base import Store
from kg.store.oxigraph import OxigraphStore
from kg.store.queries import NamedQuery, list_queries, load_query, sparql_string
from kg.store.remote import RemoteStore
from kg.store.runner import QueryAnswer, QueryRefused, QueryTimeout, ResultTooLarge

__all__ = [
    "DUMP_FORMATS", "NamedQuery", "OxigraphStore", "QueryAnswer", "QueryRefused", "QueryTimeout", "RemoteStore",
    "ResultTooLarge", "Store", "list_queries", "load_query", "open_configured_store", "open_store", "sparql_string",
]


def open_store(location: Path | str, base_uri: str, query_workers: int = DEFAULTS.query_workers,
               query_timeout: float = DEFAULTS.query_timeout, update_url: str | None = None,
               artifacts_dir: Path = DEFAULTS.artifacts_dir) -> Store:
    """Open the store at ``location``: a directory (created on the first write) or an http(s) URL.

    A URL is a remote SPARQL store (kg.store.remote.locate_endpoints says which endpoints it
    names); ``update_url`` and ``artifacts_dir`` apply to it only.
    """
    if is_store_url(location):
        return RemoteStore.at(str(location), base_uri, query_timeout, update_url, artifacts_dir)
    return OxigraphStore(Path(location), base_uri, query_workers, query_timeout)


def open_configured_store(settings: Settings) -> Store:
    """Open the store the settings name (``store``, ``store_update``, ``artifacts_dir``, limits)."""
    return open_store(settings.store, settings.base_uri, settings.query_workers, settings.query_timeout,
                      settings.store_update, settings.artifacts_dir)


def is_store_url(location: Path | str) -> bool:
    return isinstance(location, str) and location.lower().startswith(("http://", "https://"))
