"""Named SPARQL queries: the ``queries/*.rq`` files and their comment headers.

Every file starts with a header of ``# key: value`` lines; ``name``, ``summary`` and ``result``
are required, ``parameters`` is optional. A file without a valid header is an error, not a
warning: the header is what the docs and the query page show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg.config import PROJECT_DIR
from kg.errors import QueryError

SHIPPED_QUERIES = PROJECT_DIR / "queries"
"""The named queries kg ships. kg's own counts (``kg stats``, the manifest) run these, never the
user's ``KG_QUERIES_DIR``, which only adds examples to the query page and ``kg query``."""

_HEADER = re.compile(r"^#\s*(?P<key>[a-z]+)\s*:\s*(?P<value>.+?)\s*$")
REQUIRED = ("name", "summary", "result")
RESULT_TYPES = ("select", "ask", "construct", "describe")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    summary: str
    result: str
    parameters: str
    text: str
    path: Path


def load_query(path: Path) -> NamedQuery:
    """Read one ``.rq`` file and check its header.

    Raises:
        QueryError: a missing or malformed header, or a name that differs from the file name.
    """
    text = Path(path).read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if not match:
            raise QueryError(path.name, f"line {number}: header lines must read '# key: value', got {line!r}")
        header[match["key"]] = match["value"]
    missing = [key for key in REQUIRED if key not in header]
    if missing:
        raise QueryError(path.name, f"header lacks {', '.join(missing)} (required: {', '.join(REQUIRED)})")
    if header["name"] != path.stem:
        raise QueryError(path.name, f"header name {header['name']!r} differs from the file name {path.stem!r}")
    if header["result"].split()[0].lower() not in RESULT_TYPES:
        raise QueryError(path.name, f"result {header['result']!r} must start with one of {', '.join(RESULT_TYPES)}")
    return NamedQuery(header["name"], header["summary"], header["result"], header.get("parameters", "none"), text, path)


def list_queries(directory: Path) -> list[NamedQuery]:
    """Every named query in a directory, sorted by name."""
    return [load_query(path) for path in sorted(Path(directory).glob("*.rq"))]


def sparql_string(text: str) -> str:
    """``text`` as a SPARQL string literal, exactly (STRING_LITERAL2 with ECHAR escapes).

    Only ``"``, ``\\``, line feed and carriage return need escaping; a client's ``\\u0022`` stays
    six characters, since its backslash is escaped too.
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def shipped_query(name: str) -> NamedQuery:
    """One of the queries kg ships (:data:`SHIPPED_QUERIES`), e.g. ``count-entities``."""
    return load_query(SHIPPED_QUERIES / f"{name}.rq")
