"""A small client of the SPARQL 1.1 Protocol: queries, updates and downloads over HTTP.

Query operation, https://www.w3.org/TR/sparql11-protocol/#query-via-post-direct (the query as
an ``application/sparql-query`` body, the dataset as ``default-graph-uri`` / ``named-graph-uri``
in the URL); update operation, https://www.w3.org/TR/sparql11-protocol/#update-via-post-direct.
It uses only the standard library's ``http.client``, which can stream a request body in chunks
and lets a response be read against a deadline and a size cap.
"""

from __future__ import annotations

import base64
import http.client
import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from kg.errors import InternalError

READ_SIZE = 65536
MESSAGE_LIMIT = 2000  # characters of a server's error message passed on


class EndpointError(InternalError):
    """The server could not be reached, or answered with an error status (kg.store.remote turns
    it into QueryRefused, QueryTimeout, QueryError or StoreError).

    Attributes:
        status: the HTTP status, or None when no answer came (refused, reset, timed out).
        message: what the server said, or why no answer came.
    """

    def __init__(self, url: str, status: int | None, message: str):
        self.url, self.status, self.message = url, status, message
        answer = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"{url}: {answer}: {message}")


class DeadlineExceeded(InternalError):
    """No complete answer before the deadline."""


class AnswerTooLarge(InternalError):
    """The answer grew past the size cap while it was read."""


@dataclass(frozen=True)
class Reply:
    status: int
    media_type: str  # the Content-Type without its parameters
    body: bytes


@dataclass(frozen=True)
class Endpoint:
    """An http(s) URL to send requests to; user information in it becomes HTTP Basic auth."""

    url: str

    @property
    def public_url(self) -> str:
        """The URL without its user information (safe for messages and logs)."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))

    def connect(self, timeout: float) -> http.client.HTTPConnection:
        parts = urlsplit(self.url)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        return kind(parts.hostname, parts.port, timeout=timeout)

    def target(self, params: Iterable[tuple[str, str]] = ()) -> str:
        """The request target: path and query string, with ``params`` appended."""
        parts = urlsplit(self.url)
        query = "&".join(q for q in (parts.query, urlencode(list(params), quote_via=quote)) if q)
        return (parts.path or "/") + (f"?{query}" if query else "")

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        parts = urlsplit(self.url)
        if parts.username is None:
            return headers
        token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        return {**headers, "Authorization": "Basic " + base64.b64encode(token).decode("ascii")}


@contextmanager
def open_response(endpoint: Endpoint, method: str, body: bytes | Iterable[bytes] | None, headers: dict[str, str],
                  timeout: float, params: Iterable[tuple[str, str]] = ()) -> Iterator[http.client.HTTPResponse]:
    """Send one request and yield the response once its status says success (2xx).

    An iterable body is sent in chunks (``Transfer-Encoding: chunked``), so it is never held whole.

    Raises:
        EndpointError: no connection, or a status other than 2xx (with the server's message).
        DeadlineExceeded: no answer within ``timeout`` seconds of inactivity.
    """
    with _exchange(endpoint, method, body, headers, timeout, params) as (response, _socket):
        yield response


@contextmanager
def _exchange(endpoint: Endpoint, method: str, body, headers: dict[str, str], timeout: float,
              params: Iterable[tuple[str, str]]) -> Iterator[tuple[http.client.HTTPResponse, socket.socket]]:
    connection = endpoint.connect(timeout)
    try:
        try:
            connection.request(method, endpoint.target(params), body=body, headers=endpoint.headers(headers),
                               encode_chunked=body is not None and not isinstance(body, bytes))
            sock = connection.sock  # kept: getresponse() may detach it from the connection
            response = connection.getresponse()
        except TimeoutError as exc:
            raise DeadlineExceeded(str(exc)) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise EndpointError(endpoint.public_url, None, str(exc) or type(exc).__name__) from exc
        if not 200 <= response.status < 300:
            text = response.read(MESSAGE_LIMIT * 4).decode("utf-8", errors="replace").strip()
            raise EndpointError(endpoint.public_url, response.status, text[:MESSAGE_LIMIT] or response.reason)
        yield response, sock
    finally:
        connection.close()


def send(endpoint: Endpoint, method: str, body: bytes | Iterable[bytes] | None, headers: dict[str, str], *,
         timeout: float, params: Iterable[tuple[str, str]] = (), deadline: float | None = None,
         max_bytes: int | None = None) -> Reply:
    """Send one request and read the whole answer.

    Args:
        timeout: seconds of inactivity allowed (connecting, or between two reads).
        deadline: a ``time.monotonic()`` time by which the whole answer must have arrived.
        max_bytes: the largest answer accepted.

    Raises:
        EndpointError: no connection, a status other than 2xx, or an answer cut short.
        DeadlineExceeded: the deadline passed, or ``timeout`` seconds went by without data.
        AnswerTooLarge: the answer is larger than ``max_bytes``.
    """
    if deadline is not None:
        timeout = min(timeout, max(deadline - time.monotonic(), 0.001))
    with _exchange(endpoint, method, body, headers, timeout, params) as (response, sock):
        media_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        return Reply(response.status, media_type, _read_body(endpoint, response, sock, timeout, deadline, max_bytes))


def _read_body(endpoint: Endpoint, response: http.client.HTTPResponse, sock: socket.socket, timeout: float,
               deadline: float | None, max_bytes: int | None) -> bytes:
    body = bytearray()
    try:
        while True:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DeadlineExceeded("the deadline passed while the answer was read")
                sock.settimeout(min(timeout, remaining))
            data = response.read1(READ_SIZE)
            if not data:
                return bytes(body)
            body += data
            if max_bytes is not None and len(body) > max_bytes:
                raise AnswerTooLarge(f"the answer is larger than {max_bytes} bytes")
    except TimeoutError as exc:
        raise DeadlineExceeded(str(exc)) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise EndpointError(endpoint.public_url, response.status, f"the answer was cut short: {exc!r}") from exc


def chunked(pieces: Iterable[str], size: int = READ_SIZE) -> Iterator[bytes]:
    """UTF-8 encode text pieces into chunks of about ``size`` bytes (few, large chunks on the wire)."""
    buffer: list[str] = []
    length = 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer).encode("utf-8")
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def spool_request(pieces: Iterable[str], spool: BinaryIO, limit: int) -> bool:
    """Write the request into ``spool``; False (and stop) as soon as it passes ``limit`` bytes."""
    size = 0
    for chunk in chunked(pieces):
        size += len(chunk)
        if size > limit:
            return False
        spool.write(chunk)
    spool.seek(0)
    return True


def read_back(spool: BinaryIO) -> Iterator[bytes]:
    """The spooled request again, in chunks."""
    return iter(lambda: spool.read(READ_SIZE), b"")
