"""Read local input files: bytes -> checked UTF-8 text + SourceRef.

What is refused here, before any parser runs: a missing or unreadable file, an empty file (or
one with only whitespace), bytes that are not UTF-8, and NUL bytes (binary junk).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kg.errors import SourceError
from kg.records import SourceRef


@dataclass(frozen=True)
class RawSource:
    """The decoded text of one input and where it came from."""

    ref: SourceRef
    text: str


def read_source(path: str | Path, retrieved_at: str) -> RawSource:
    """Read one input file.

    Args:
        path: the file to read.
        retrieved_at: ISO 8601 timestamp recorded as the time the source was read.

    Raises:
        SourceError: the file is missing, unreadable, empty, binary or not UTF-8.
    """
    origin = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(origin, "no such file") from exc
    except IsADirectoryError as exc:
        raise SourceError(origin, "is a directory, expected a file") from exc
    except OSError as exc:
        raise SourceError(origin, f"cannot be read: {exc.strerror or exc}") from exc
    text = decode_text(origin, data)
    ref = SourceRef(
        origin=origin,
        name=Path(path).name,
        sha256=hashlib.sha256(data).hexdigest(),
        retrieved_at=retrieved_at,
    )
    return RawSource(ref=ref, text=text)


def decode_text(origin: str, data: bytes) -> str:
    """Decode UTF-8 (a BOM is allowed), normalise newlines and Unicode to NFC.

    Raises:
        SourceError: empty, NUL bytes, or invalid UTF-8 (with line and column of the first bad byte).
    """
    if not data.strip():
        raise SourceError(origin, "is empty: expected a researcher page, an author-cluster page or JSON Lines records")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(
            origin,
            f"line {line}, column {column}: byte 0x{data[exc.start]:02x} is not valid UTF-8 "
            "(inputs must be UTF-8 text)",
        ) from exc
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SourceError(origin, f"line {line}: contains NUL bytes; this is binary data, not a text page")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)
