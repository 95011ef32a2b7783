"""Decode a whole JSON input (an API response) and tell the line each of its objects starts on.

The ORCID and Crossref parsers read one JSON document per input, often all on one line. Messages
name a record by its line when the document has several lines (a pretty-printed API response) and
by its place in the document always (``work 3 (put-code 4562453)``, ``item 3 (DOI 10.…)``).

Python's C decoder keeps no positions, so the document is decoded by the pure-Python scanner of
the standard library (:func:`json.scanner.py_make_scanner`) with the object and array parsers
wrapped to note where each container starts. An API response is a few hundred kilobytes at most;
the pure-Python scanner reads that in well under a second.

Beyond JSON itself, a document is refused when it names a key twice in one object (the standard
decoder silently keeps the last value: data lost) or nests deeper than the interpreter can follow.
"""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
import re
import sys
from collections.abc import Callable
from typing import Any

from kg.errors import InternalError, ParseError
from kg.parsers.page_layout import shorten
from kg.records import ParseWarning

# What no text kg keeps may hold: C0 controls other than the whitespace ones, DEL (as
# kg.sources.files refuses in files) and lone surrogates, which only a JSON escape can spell.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff]")


class _DuplicateKey(InternalError, ValueError):
    """Raised inside the decoder; JsonDocument.decode turns it into a ParseError with the line."""

    def __init__(self, key: str, offset: int):
        super().__init__(key)
        self.key, self.offset = key, offset


class JsonDocument:
    """A decoded JSON document and the offset at which each of its objects and arrays starts."""

    def __init__(self, value: Any, text: str, starts: dict[int, int]):
        self.value = value
        self._starts = starts  # id(container) -> offset of its "{" or "["; the tree keeps them alive
        self._newlines = [match.start() for match in re.finditer("\n", text)]

    @classmethod
    def decode(cls, origin: str, text: str) -> JsonDocument:
        """Decode ``text``, noting where every object and array starts.

        Raises:
            ParseError: the text is not one JSON value (with the line and column of the fault), an
                object names a key twice, a number is too long to convert, or it nests too deeply.
        """
        starts: dict[int, int] = {}
        decoder = _PositionDecoder(starts)
        try:
            value = decoder.decode(text)
        except json.JSONDecodeError as exc:
            raise ParseError(origin, exc.lineno, f"invalid JSON: {exc.msg}", column=exc.colno) from exc
        except _DuplicateKey as exc:
            line = text.count("\n", 0, exc.offset) + 1
            detail = f"duplicate key {shorten(exc.key)!r} in one object: JSON keeps only the last value"
            raise ParseError(origin, line, detail) from exc
        except RecursionError as exc:
            raise ParseError(origin, None, "JSON nested too deeply to read") from exc
        except ValueError as exc:  # an integer of more digits than int() converts
            detail = f"invalid JSON: a number has more than {sys.get_int_max_str_digits():,} digits"
            raise ParseError(origin, None, detail) from exc
        return cls(value, text, starts)

    def line_of(self, node: Any) -> int:
        """The line (from 1) on which the object or array ``node`` of this document starts; 1 for a
        value that is neither (the document's first line)."""
        offset = self._starts.get(id(node))
        return 1 if offset is None else bisect.bisect_left(self._newlines, offset) + 1


class _PositionDecoder(json.JSONDecoder):
    """A JSONDecoder whose scanner notes the start offset of every object and array."""

    def __init__(self, starts: dict[int, int]):
        super().__init__(object_pairs_hook=_refuse_duplicates)
        self._noted = starts

        def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
            try:
                value, end = json.decoder.JSONObject(s_and_end, strict, scan_once, object_hook,
                                                     object_pairs_hook, memo)
            except _DuplicateKey as exc:
                exc.offset = s_and_end[1] - 1 if exc.offset < 0 else exc.offset
                raise
            self._noted[id(value)] = s_and_end[1] - 1
            return value, end

        def parse_array(s_and_end, scan_once):
            value, end = json.decoder.JSONArray(s_and_end, scan_once)
            self._noted[id(value)] = s_and_end[1] - 1
            return value, end

        self.parse_object = parse_object
        self.parse_array = parse_array
        self.scan_once = json.scanner.py_make_scanner(self)


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key, -1)
        found[key] = value
    return found


def unwritable(value: str) -> str | None:
    """Describe the first character of ``value`` that no kept text may hold, or None."""
    match = _UNWRITABLE.search(value)
    if match is None:
        return None
    kind = "lone surrogate" if "\ud800" <= match.group() <= "\udfff" else "control character"
    return f"{kind} U+{ord(match.group()):04X} in {shorten(value)!r}: not allowed in text"


def members(value: Any, key: str) -> list:
    """``value[key]`` when ``value`` is an object and that member is a list; otherwise ``[]``
    (the APIs give ``null`` or leave out an empty list)."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, list) else []


def member(value: Any, *keys: str) -> Any:
    """Follow ``keys`` through nested objects; None where one is missing, null or not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


__all__ = ["JsonDocument", "member", "members", "unwritable"]


def looks_like(text: str, marker: re.Pattern, window: int, accepts: Callable[[Any], bool]) -> bool:
    """Whether ``text`` is the JSON document one parser reads: ``accepts(value)`` once decoded.

    Text that does not decode as JSON is taken for one when ``marker`` appears within its first
    ``window`` characters, so that this parser (not another kind's) says where the JSON breaks.
    """
    if not text.lstrip().startswith("{") or not marker.search(text):
        return False
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return marker.search(text, 0, window) is not None
    return isinstance(value, dict) and accepts(value)


class DocumentReader:
    """The state of one parse of a JSON document: its origin, the document, the warnings so far;
    errors and warnings name the line of the node they are about."""

    def __init__(self, origin: str, document: JsonDocument):
        self.origin = origin
        self.document = document
        self.warnings: list[ParseWarning] = []

    def line(self, node: Any) -> int:
        return self.document.line_of(node)

    def fail(self, node: Any, detail: str) -> ParseError:
        return ParseError(self.origin, self.line(node), detail)

    def warn(self, node: Any, message: str) -> None:
        self.warnings.append(ParseWarning(self.origin, self.line(node), message))

    def checked(self, node: Any, where: str, value: Any) -> str | None:
        """A string value as it is (None for null); refuses a non-string and what no text may hold."""
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(node, f"{where}: expected a string, found {shorten(repr(value))}")
        if (problem := unwritable(value)) is not None:
            raise self.fail(node, f"{where}: {problem}")
        return value
