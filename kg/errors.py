"""Every exception kg raises on purpose.

Each message says what failed, where (file:line, record key, URI or setting), the bad value and
what is allowed. The CLI turns :class:`KgError` into a one-line message and an exit code; anything
else is a bug (exit code 3).
"""

from __future__ import annotations


class KgError(Exception):
    """Base class of all errors that are the user's input or configuration, not a bug."""

    exit_code = 2


class ConfigError(KgError):
    """A setting has a value that is not allowed."""

    def __init__(self, key: str, value: object, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"setting {key}={value!r} is not allowed: {allowed}")


class SourceError(KgError):
    """An input cannot be read at all (missing, unreadable, not UTF-8, empty, unknown kind)."""

    def __init__(self, origin: str, detail: str):
        self.origin, self.detail = origin, detail
        super().__init__(f"{origin}: {detail}")


class ParseError(KgError):
    """An input was read but does not have the structure its kind requires."""

    def __init__(self, origin: str, line: int | None, detail: str, column: int | None = None):
        self.origin, self.line, self.column, self.detail = origin, line, column, detail
        where = origin
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {detail}")


class MappingError(KgError):
    """A record cannot be turned into RDF (for example, it has nothing to mint a URI from)."""

    def __init__(self, record_key: str, field: str, detail: str):
        self.record_key, self.field, self.detail = record_key, field, detail
        super().__init__(f"{record_key}: field {field!r}: {detail}")


class QueryError(KgError):
    """A SPARQL query (named or ad hoc) is malformed or cannot run."""

    def __init__(self, query_name: str, detail: str):
        self.query_name, self.detail = query_name, detail
        super().__init__(f"query {query_name}: {detail}")


class StoreError(KgError):
    """The store cannot be opened or written (missing, locked, read-only, disk full)."""

    def __init__(self, location: str, detail: str):
        self.location, self.detail = location, detail
        super().__init__(f"store {location}: {detail}")


class ValidationFailed(KgError):
    """The graph of a batch does not conform to the SHACL shapes; nothing was written."""

    exit_code = 1

    def __init__(self, report):
        self.report = report
        super().__init__(report.text())
