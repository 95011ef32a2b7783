"""Store: persistent quad storage, dumps and named queries.

Public surface: :func:`open_store`, :class:`Store`, :data:`DUMP_FORMATS`, :func:`load_query`.
"""

from pathlib import Path

from kg.store.base import DUMP_FORMATS, Store
from kg.store.oxigraph import OxigraphStore
from kg.store.queries import NamedQuery, list_queries, load_query, sparql_string
from kg.store.runner import QueryAnswer, QueryRefused, QueryTimeout, ResultTooLarge

__all__ = [
    "DUMP_FORMATS", "NamedQuery", "OxigraphStore", "QueryAnswer", "QueryRefused", "QueryTimeout", "ResultTooLarge",
    "Store", "list_queries", "load_query", "open_store", "sparql_string",
]


def open_store(location: Path, base_uri: str, query_workers: int = 2, query_timeout: float = 5.0) -> Store:
    """Open the store at ``location`` (created on the first write)."""
    return OxigraphStore(Path(location), base_uri, query_workers, query_timeout)
