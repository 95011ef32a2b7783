"""Fairness: one client cannot take a web worker's expensive work from the others.

Each web worker admits expensive store work through two gates, per client address:

* **Queries** (the SPARQL endpoint) run in the worker's ``KG_QUERY_WORKERS`` query processes
  (kg.store.runner; for a remote store, that many queries forwarded at once). A client may hold
  at most ``KG_CLIENT_CONCURRENCY`` of them, *and never the last free one while it holds one
  already*: that one is kept for a client that holds none. A request over its client's share is
  refused at once with 429 and ``Retry-After``; its waiting requests count against the share, so
  a flood cannot park the worker's threads in the queue. A request within its share that finds
  no process free waits in line for at most ``KG_QUEUE_TIMEOUT`` seconds (shorter than the time
  limit), then gets 503 with ``Retry-After``.
* **Large descriptions.** A resource page not in kg.web.cache is read in the web thread. First
  its size is read with a bound (:func:`kg.web.describe.description_size`: the quads its
  description reads beyond one page, counted up to ``KG_LARGE_DESCRIPTION_QUADS`` + 1, so this
  costs at most that many index rows). A description within the bound is *cheap*: it is read
  at once and is never refused, however many a client asks for at a time, since fetching a dozen
  documents in parallel is what crawlers and link-traversal query engines do. A larger one (an
  author with thousands of works, a venue's whole list, a source of a whole corpus) takes a
  unit of the client's ``describe`` share (``KG_CLIENT_CONCURRENCY`` under way per client) before
  the rest is read, and gets 429 past it; there is no shared bound on these.

Answers from the cache cost nothing and pass no gate. So with two or more query processes, a
client that floods runaway queries holds at most all but one of them, and every other client's
query finds a process free, or one freed within the wait; a client that floods large
descriptions has at most its share of them under way; what is and is not guaranteed is written
in RELIABILITY.md ("Fairness").

The client is the TCP peer address, or, with ``KG_TRUSTED_PROXIES=N``, the address the N
reverse proxies in front of kg put in ``X-Forwarded-For`` (werkzeug's ProxyFix).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from flask import request
from werkzeug.exceptions import ServiceUnavailable, TooManyRequests

from kg.web.context import get_gates


class ClientGate:
    """Admission to ``capacity`` units of work (None: unbounded), shared fairly between clients.

    Args:
        capacity: units that can be busy at once in this worker; None for no shared bound.
        per_client: units one client may hold or wait for at once.
        wait: seconds a request within its share waits for a free unit before 503.
        retry_after: seconds to put in ``Retry-After``.
        work: what a unit is for, in the plural, for the refusals' messages.
    """

    def __init__(self, capacity: int | None, per_client: int, wait: float, retry_after: int,
                 work: str = "queries"):
        self.capacity, self.per_client, self.wait, self.retry_after = capacity, per_client, wait, retry_after
        self.work = work
        self.reserve = 1 if capacity is not None and capacity > 1 else 0  # kept for a client holding none
        self._held: Counter[str] = Counter()  # units in use, per client
        self._asked: Counter[str] = Counter()  # units in use or waited for, per client
        self._busy = 0
        self._changed = threading.Condition()

    @contextmanager
    def slot(self, client: str) -> Iterator[None]:
        """Hold one unit for ``client`` while the block runs.

        Raises:
            TooManyRequests: ``client`` already holds or waits for its share (429).
            ServiceUnavailable: no unit became free for it within ``wait`` seconds (503).
        """
        with self._changed:
            if self._asked[client] >= self.per_client:
                raise TooManyRequests(
                    f"{client} already has {self._asked[client]} {self.work} running or waiting on this server "
                    f"(at most {self.per_client}); retry after {self.retry_after} s, or send fewer at once",
                    retry_after=self.retry_after)
            self._asked[client] += 1
            try:
                self._wait_for_unit(client)
            except BaseException:
                self._drop(self._asked, client)
                raise
            self._held[client] += 1
            self._busy += 1
        try:
            yield
        finally:
            with self._changed:
                self._drop(self._held, client)
                self._drop(self._asked, client)
                self._busy -= 1
                self._changed.notify_all()

    def asked(self, client: str) -> int:
        """Units ``client`` holds or waits for now."""
        with self._changed:
            return self._asked[client]

    def admits(self, client: str) -> bool:
        """Whether ``client`` may take a unit now (call with the lock held)."""
        if self.capacity is None:
            return True
        free = self.capacity - self._busy
        return free > (self.reserve if self._held[client] else 0)

    def _wait_for_unit(self, client: str) -> None:
        deadline = time.monotonic() + self.wait
        while not self.admits(client):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServiceUnavailable(
                    f"every query process of this server stayed busy for {self.wait:g} s; "
                    f"retry after {self.retry_after} s", retry_after=self.retry_after)
            self._changed.wait(remaining)

    @staticmethod
    def _drop(counter: Counter[str], client: str) -> None:
        counter[client] -= 1
        if counter[client] <= 0:
            del counter[client]


def gates_for(settings) -> dict[str, ClientGate]:
    """This worker's gates: ``query`` for SPARQL queries, ``describe`` for large resource descriptions
    (and identifier look-ups, kg.web.lookup)."""
    share, retry_after = settings.client_concurrency, settings.retry_after
    return {
        "query": ClientGate(settings.query_workers, share, settings.queue_wait, retry_after),
        "describe": ClientGate(None, share, 0.0, retry_after, work="large descriptions or look-ups"),
    }


@contextmanager
def client_slot(kind: str) -> Iterator[None]:
    """Hold one unit of the requesting client's share of ``kind`` work (see the module docstring)."""
    with get_gates()[kind].slot(request.remote_addr or "unknown"):
        yield


@contextmanager
def description_slot(size: int, bound: int) -> Iterator[None]:
    """Admit a resource description of ``size`` quads (kg.web.describe.description_size, counted up
    to ``bound`` + 1): one within ``bound`` passes and is never refused; a larger one holds a unit
    of the client's ``describe`` share while the block runs (429 past it)."""
    if size <= bound:
        yield
        return
    with client_slot("describe"):
        yield
