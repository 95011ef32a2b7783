"""Every exception kg raises on purpose.

Each message says what failed, where (file:line, record key, URI or setting), the bad value and
what is allowed. The CLI turns :class:`KgError` into a one-line message and an exit code; anything
else is a bug (exit code 3). The web turns it into an error body by the class attributes below
(kg.web.errors has one handler for all), so what an error means to a CLI user and to a web client
is decided here, next to the error, once.
"""

from __future__ import annotations


class KgError(Exception):
    """Base class of every exception kg defines: the user's input or configuration, not a bug
    (except :class:`InternalError`).

    Attributes:
        exit_code: the CLI's exit code (see kg.cli).
        http_status: the web's status. Input, settings and named queries belong to the operator,
            not to the web client, so by default a KgError met while serving is 500.
        title: the status's reason phrase, the error body's title.
        retry_after: a transient fault: the answer carries ``Retry-After`` (settings.retry_after).
        public_detail: what web clients are told; None tells them ``str(exc)``. Set where the
            message is no use to a client or names server paths and URLs; the message then goes
            to the log instead.
        log_line: with a public_detail, the start of the one warning line that logs an expected
            fault (no traceback); None logs it with its traceback, as a fault to fix.
    """

    exit_code = 2
    http_status = 500
    title = "Internal Server Error"
    retry_after = False
    public_detail: str | None = "an internal error occurred; it has been logged"
    log_line: str | None = None


class ConfigError(KgError):
    """A setting has a value that is not allowed."""

    exit_code, http_status = 2, 500  # the server's settings: a web client can do nothing about them

    def __init__(self, key: str, value: object, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"setting {key}={value!r} is not allowed: {allowed}")


class SourceError(KgError):
    """An input cannot be read at all (missing, unreadable, not UTF-8, empty, unknown kind)."""

    exit_code, http_status = 2, 500  # inputs come from the operator, never from a web client

    def __init__(self, origin: str, detail: str):
        self.origin, self.detail = origin, detail
        super().__init__(f"{origin}: {detail}")


class ParseError(KgError):
    """An input was read but does not have the structure its kind requires."""

    exit_code, http_status = 2, 500  # inputs come from the operator, never from a web client

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

    exit_code, http_status = 2, 500  # inputs come from the operator, never from a web client

    def __init__(self, record_key: str, field: str, detail: str):
        self.record_key, self.field, self.detail = record_key, field, detail
        super().__init__(f"{record_key}: field {field!r}: {detail}")


class QueryError(KgError):
    """A SPARQL query (named or ad hoc) is malformed or cannot run."""

    # The web runs only its own named queries this way (a client's query is QueryRefused).
    exit_code, http_status = 2, 500

    def __init__(self, query_name: str, detail: str):
        self.query_name, self.detail = query_name, detail
        super().__init__(f"query {query_name}: {detail}")


class StoreError(KgError):
    """The store cannot be opened or written (missing, locked, read-only, disk full).

    On the web: 503 with Retry-After (a remote store down, a directory being replaced), logged as
    one line, not a bug; the store's location stays in the log.
    """

    exit_code, http_status, title, retry_after = 2, 503, "Service Unavailable", True
    public_detail = "the store cannot be read right now; try again later"
    log_line = "store unavailable"

    def __init__(self, location: str, detail: str):
        self.location, self.detail = location, detail
        super().__init__(f"store {location}: {detail}")


class ValidationFailed(KgError):
    """The graph of a batch does not conform to the SHACL shapes; nothing was written."""

    exit_code, http_status = 1, 500  # only ingest validates; the web never does

    def __init__(self, report):
        self.report = report
        super().__init__(report.text())


class QueryRefused(KgError):
    """The query is malformed or not allowed here (a client error: HTTP 400)."""

    exit_code, http_status, title, public_detail = 2, 400, "Bad Request", None


class QueryTimeout(KgError):
    """The query ran past the time limit and was stopped (HTTP 503: the client may try later)."""

    exit_code, http_status, title, retry_after, public_detail = 2, 503, "Service Unavailable", True, None


class ResultTooLarge(KgError):
    """The serialised result would exceed the size cap (HTTP 422: the query is fine, its answer too big)."""

    exit_code, http_status, title, public_detail = 2, 422, "Unprocessable Content", None


class InternalError(KgError):
    """Raised and caught inside one module to leave deep code early (an endpoint that failed, a
    duplicate JSON key, a shape the splitter cannot model); the module turns it into the error its
    callers expect, so one that escapes is a bug: exit 3, and a logged 500 on the web."""

    exit_code, http_status = 3, 500
