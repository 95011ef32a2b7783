"""Lines of an input's text one at a time, without splitting the whole text into a list first.

An input may be hundreds of megabytes (kg.sources.files.MAX_INPUT_BYTES); detecting its kind reads
only its first lines, and the JSON Lines parser holds one line at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice


def iter_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(number, line)`` for every line of ``text``, numbered from 1, without the newline.

    Example:
        >>> list(iter_lines("a\\n\\nb"))
        [(1, 'a'), (2, ''), (3, 'b')]
    """
    start = 0
    number = 1
    while (end := text.find("\n", start)) >= 0:
        yield number, text[start:end]
        start = end + 1
        number += 1
    yield number, text[start:]


def first_nonblank_lines(text: str, count: int) -> list[tuple[int, str]]:
    """Return the first ``count`` lines of ``text`` that are not blank, numbered, as they are."""
    nonblank = ((number, line) for number, line in iter_lines(text) if line.strip())
    return list(islice(nonblank, count))
