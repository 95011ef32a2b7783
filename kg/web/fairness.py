"""A per-client concurrency budget: one client cannot take every query process of a worker.

Each web worker counts, per client address, the requests that are doing store work right now
(a SPARQL query or a resource description that is not in kg.web.cache). A client already at
``KG_CLIENT_CONCURRENCY`` gets 429 Too Many Requests with ``Retry-After`` at once, before any
work is done, so a client flooding expensive queries is slowed to its share while others keep
their latency. Answers from the cache cost nothing and are never refused.

The client is the TCP peer address, or, with ``KG_TRUSTED_PROXIES=N``, the address the N
reverse proxies in front of kg put in ``X-Forwarded-For`` (werkzeug's ProxyFix).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, request
from werkzeug.exceptions import TooManyRequests


class ClientBudget:
    """In-flight store work per client address, in one web worker."""

    def __init__(self, limit: int, retry_after: int):
        self.limit = limit
        self.retry_after = retry_after
        self._running: Counter[str] = Counter()
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, client: str) -> Iterator[None]:
        """Hold one of ``client``'s slots while the block runs.

        Raises:
            TooManyRequests: the client already has ``limit`` requests doing store work here (429).
        """
        with self._lock:
            if self._running[client] >= self.limit:
                raise TooManyRequests(
                    f"{client} already has {self.limit} queries running on this server; "
                    f"retry after {self.retry_after} s, or send fewer at once", retry_after=self.retry_after)
            self._running[client] += 1
        try:
            yield
        finally:
            with self._lock:
                self._running[client] -= 1
                if not self._running[client]:
                    del self._running[client]


def budget_for(settings) -> ClientBudget:
    return ClientBudget(settings.client_concurrency, max(1, math.ceil(settings.query_timeout)))


@contextmanager
def client_slot() -> Iterator[None]:
    """Hold a slot of the requesting client's budget (see the module docstring)."""
    with current_app.extensions["kg_budget"].slot(request.remote_addr or "unknown"):
        yield
