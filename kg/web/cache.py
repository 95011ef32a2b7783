"""Answers kept in memory per store state, so a repeated request costs no query and no rendering.

Every entry belongs to the store state it was computed from (``Store.state()``: the generation a
directory store publishes, or the generation counter of a remote store), the same value the ETags
are derived from. When the state changes the whole cache is dropped, so an answer is never served
for a graph it was not computed from, whichever process or machine wrote the new state: each
gunicorn worker keeps its own cache and the web tier stays stateless.

Size-bounded LRU (cachetools) under a lock: gunicorn's gthread workers serve several requests at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

T = TypeVar("T")


class StateCache(Generic[T]):
    """An LRU of (value, size) pairs, at most ``max_bytes`` in total, emptied when the state changes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.largest = max_bytes // 8  # one answer may take an eighth of the cache at most
        self._entries: LRUCache = LRUCache(maxsize=max(max_bytes, 1), getsizeof=lambda entry: entry[1])
        self._state: str | None = None
        self._lock = threading.Lock()

    def get(self, state: str, key: Hashable) -> T | None:
        with self._lock:
            self._follow(state)
            entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def put(self, state: str, key: Hashable, value: T, size: int) -> None:
        """Keep ``value`` (``size`` bytes) for ``state``; too large a value is not kept."""
        if size > self.largest:
            return
        with self._lock:
            self._follow(state)
            self._entries[key] = (value, size)

    def _follow(self, state: str) -> None:
        if state != self._state:
            self._entries.clear()
            self._state = state


def remember(cache: StateCache | None, state: str, key: Hashable, compute: Callable[[], T],
             size: Callable[[T], int]) -> T:
    """The value kept for ``key`` in ``state``, or ``compute()``'s, kept for the next request.

    With no cache (``KG_CACHE_BYTES=0``) it is computed every time. An exception in ``compute``
    (a refused or timed-out query) keeps nothing.
    """
    value = cache.get(state, key) if cache else None
    if value is None:
        value = compute()
        if cache:
            cache.put(state, key, value, size(value))
    return value
