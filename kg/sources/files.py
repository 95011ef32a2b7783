"""Read local input files: bytes -> checked UTF-8 text + SourceRef.

What is refused here, before any parser runs:

- a missing or unreadable file, or a directory;
- a file larger than MAX_INPUT_BYTES, from its size, before a byte of it is read;
- an empty file, or one with only whitespace;
- binary data: a known binary signature at the start (PNG, gzip, PDF, ZIP, ...), or a control
  character other than tab, newline, vertical tab, form feed and carriage return (NUL included);
- text in another encoding: a UTF-16 or UTF-32 byte-order mark, or bytes that are not UTF-8
  (or not in the encoding an XML declaration names, below);
- a line longer than MAX_LINE_CHARS characters.

XML inputs (the dblp dump) say their own encoding: an XML declaration at the very start
(``<?xml version="1.0" encoding="ISO-8859-1"?>``, https://www.w3.org/TR/xml/#NT-EncodingDecl)
is honoured when it names UTF-8, ISO-8859-1 or US-ASCII, and any other encoding it names is
refused. The design choice: the source layer still hands every parser one thing, checked Unicode
text (``RawSource.text``), whatever the bytes' encoding; it does not pass bytes or a path on. So
size limits, the SHA-256 (over the bytes as read), control-character and line checks and their
messages are the same for every kind, and a parser never reopens a file that may have changed
since it was hashed. An XML parser that needs bytes re-encodes the text as UTF-8 and tells its
XML library so, overriding the declaration, which no longer describes those bytes (newlines are
normalised one for one, so line numbers are unchanged).

The file is read once, in chunks, and each chunk is checked as it arrives, so a bad file is refused
as soon as its first bad byte is read: binary junk, or one endless line, costs a chunk or two of
memory however large the file. The SHA-256 that identifies the source in the graph's provenance is
computed over exactly the bytes read.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kg.config import DEFAULTS
from kg.errors import ParseError, SourceError
from kg.records import SourceRef

MAX_INPUT_BYTES = DEFAULTS.max_input_bytes  # KG_MAX_INPUT_BYTES; kg.config says why it is this size
# A record or a page line is a few kilobytes; a longer line is junk (or a whole file on one line).
MAX_LINE_CHARS = 1024 * 1024
CHUNK_BYTES = 1024 * 1024

# C0 controls and DEL, except the whitespace ones (tab, newline, vertical tab, form feed, carriage
# return; field cleaning turns the last three into spaces): text does not hold them, binary data
# does, and XML 1.0 (RDF/XML) cannot carry the C0 ones.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_NOT_SPACE = re.compile(r"\S")
_EXPECTED = ("a researcher page, an author-cluster page, JSON Lines records, BibTeX, dblp XML, an ORCID record "
             "or Crossref works")
_BYTE_ORDER_MARKS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)
# An XML declaration, at the very start of a file (after a UTF-8 byte-order mark at most), and the
# encoding it names. XML_ENCODINGS: the encodings kg reads, by Python codec name -> the name messages use.
_XML_DECLARATION = re.compile(rb"\A(?:\xef\xbb\xbf)?<\?xml\s[^<>]{0,200}?\?>")
_ENCODING_DECLARATION = re.compile(rb"""\sencoding\s*=\s*(["'])([^"'<>]{1,40})\1""")
XML_ENCODINGS = {"utf-8": "UTF-8", "iso8859-1": "ISO-8859-1", "ascii": "US-ASCII"}
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or office document"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
)


@dataclass(frozen=True)
class RawSource:
    """The decoded text of one input and where it came from."""

    ref: SourceRef
    text: str


def read_source(path: str | Path, retrieved_at: str, max_bytes: int = MAX_INPUT_BYTES) -> RawSource:
    """Read one input file.

    Args:
        path: the file to read.
        retrieved_at: ISO 8601 timestamp recorded as the time the source was read.
        max_bytes: the largest input accepted (``KG_MAX_INPUT_BYTES``).

    Raises:
        SourceError: the file is missing, unreadable, too large, empty, binary or in another encoding.
        ParseError: a byte that is not UTF-8, a control character or an overlong line, at its line
            (and column).
    """
    origin = str(path)
    try:
        with open(path, "rb") as stream:
            digest, text = read_checked(origin, stream, max_bytes)
    except FileNotFoundError as exc:
        raise SourceError(origin, "no such file") from exc
    except IsADirectoryError as exc:
        raise SourceError(origin, "is a directory, expected a file") from exc
    except OSError as exc:
        raise SourceError(origin, f"cannot be read: {exc.strerror or exc}") from exc
    ref = SourceRef(origin=origin, name=Path(path).name, sha256=digest, retrieved_at=retrieved_at)
    return RawSource(ref=ref, text=text)


def read_checked(origin: str, stream, max_bytes: int = MAX_INPUT_BYTES) -> tuple[str, str]:
    """Read a binary stream chunk by chunk; return its SHA-256 (hex) and its checked text.

    Raises:
        SourceError, ParseError: as :func:`read_source`, as soon as the bad bytes are read.
    """
    size = _regular_file_size(stream)
    if size is not None and size > max_bytes:
        raise SourceError(origin, _too_large(size, max_bytes))
    digest = hashlib.sha256()
    reader = TextReader(origin)
    total = 0
    while chunk := stream.read(CHUNK_BYTES):
        if total == 0:
            sniff_binary(origin, chunk)
            reader.encoding = declared_encoding(origin, chunk)
        total += len(chunk)
        if total > max_bytes:  # a pipe or a file still growing: its size said nothing
            raise SourceError(origin, _too_large(total, max_bytes, still_growing=True))
        digest.update(chunk)
        reader.feed(chunk)
    if total == 0:
        raise SourceError(origin, f"is empty: expected {_EXPECTED}")
    text = reader.finish()
    if not _NOT_SPACE.search(text):  # not text.strip(): that would copy a text of hundreds of megabytes
        raise SourceError(origin, f"holds only whitespace ({total:,} bytes): expected {_EXPECTED}")
    return digest.hexdigest(), text


def decode_text(origin: str, data: bytes) -> str:
    """Decode and check the bytes of a whole input held in memory, as :func:`read_source` does.

    Raises:
        SourceError, ParseError: as :func:`read_source`.
    """
    return read_checked(origin, io.BytesIO(data))[1]


def _regular_file_size(stream) -> int | None:
    """The size of the file behind ``stream``, or None for a pipe, a device or an in-memory stream."""
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _too_large(size: int, max_bytes: int, still_growing: bool = False) -> str:
    size_text = f"more than {size:,}" if still_growing else f"{size:,}"
    return (f"is {size_text} bytes, more than the {max_bytes:,} bytes ({max_bytes / 2**20:g} MiB) an input "
            "may have (KG_MAX_INPUT_BYTES); split it into smaller files")


def sniff_binary(origin: str, head: bytes) -> None:
    """Refuse a file whose first bytes are a byte-order mark of another encoding or a binary signature.

    Raises:
        SourceError: naming the encoding or the kind of binary data.
    """
    for mark, encoding in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            raise SourceError(
                origin,
                f"is {encoding} text (it starts with the byte-order mark {mark.hex(' ').upper()}); inputs must be "
                f"UTF-8: convert it, e.g. with iconv -f {encoding} -t UTF-8",
            )
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            raise SourceError(origin, f"is binary data ({what}), not text: expected {_EXPECTED} as UTF-8 text")


def declared_encoding(origin: str, head: bytes) -> str:
    """The Python codec of the text that starts with ``head``: the encoding its XML declaration
    names (one of XML_ENCODINGS), or UTF-8 when it has none (every input that is not XML).

    Raises:
        SourceError: the declaration names an encoding kg does not read, or contradicts a UTF-8
            byte-order mark.
    """
    declaration = _XML_DECLARATION.match(head)
    named = declaration and _ENCODING_DECLARATION.search(declaration.group())
    if not named:
        return "utf-8"
    name = named.group(2).decode("ascii", "replace")
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        codec = None
    if codec not in XML_ENCODINGS:
        readable = ", ".join(XML_ENCODINGS.values())
        raise SourceError(origin, f"its XML declaration names the encoding {name!r}; kg reads XML in {readable}: "
                                  f"convert it to UTF-8 (and its declaration), e.g. with iconv -f {name} -t UTF-8")
    if codec != "utf-8" and head.startswith(codecs.BOM_UTF8):
        raise SourceError(origin, f"starts with a UTF-8 byte-order mark but its XML declaration names {name!r}")
    return codec


class TextReader:
    """Decode UTF-8 chunk by chunk, normalise newlines, and check every character and line length.

    ``encoding`` is UTF-8 unless an XML declaration names another (:func:`declared_encoding`).

    Tracks the line and column reached, so that the first bad byte or character is reported where
    it is. A chunk may end inside a UTF-8 sequence or between ``\\r`` and ``\\n``: that tail waits
    for the next chunk.
    """

    def __init__(self, origin: str):
        self.origin = origin
        self.line = 1  # the line the next character is on
        self.column = 0  # characters of that line already read
        self.pending = b""  # an unfinished UTF-8 sequence at the end of the last chunk
        self.carriage_return = False  # the last chunk ended with '\r', perhaps half of '\r\n'
        self.started = False
        self.parts: list[str] = []
        self.encoding = "utf-8"  # a Python codec name, one of XML_ENCODINGS

    def feed(self, chunk: bytes, final: bool = False) -> None:
        """Decode and check one chunk.

        Raises:
            ParseError: a byte that is not UTF-8, a control character, or a line over MAX_LINE_CHARS.
        """
        data = self.pending + chunk
        self.pending = b""
        try:
            text = data.decode(self.encoding)
        except UnicodeDecodeError as exc:
            if not final and exc.end == len(data) and exc.reason == "unexpected end of data":
                self.pending = data[exc.start :]
                text = data[: exc.start].decode(self.encoding)
            else:
                self.add(data[: exc.start].decode(self.encoding), final=True)
                name = XML_ENCODINGS[self.encoding]
                rule = ("inputs must be UTF-8 text" if self.encoding == "utf-8"
                        else f"its XML declaration says it is {name}")
                raise ParseError(
                    self.origin,
                    self.line,
                    f"byte 0x{data[exc.start]:02x} is not valid {name} ({exc.reason}): {rule}",
                    column=self.column + 1,
                ) from exc
        self.add(text, final)

    def finish(self) -> str:
        """Check the end of the input and return the whole text, NFC-normalised.

        Raises:
            ParseError: the input ends inside a UTF-8 sequence.
        """
        self.feed(b"", final=True)
        text = "".join(self.parts)
        self.parts = []
        return unicodedata.normalize("NFC", text)

    def add(self, text: str, final: bool) -> None:
        """Normalise the newlines of decoded text, check it, and keep it."""
        if not self.started and text:
            text = text.removeprefix("\ufeff")
            self.started = True
        if self.carriage_return:
            text = "\r" + text
        self.carriage_return = not final and text.endswith("\r")
        if self.carriage_return:
            text = text[:-1]
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if match := CONTROL_CHARACTER.search(text):
            line, column = self.position(text, match.start())
            detail = f"control character U+{ord(match.group()):04X}: this is binary data, not text"
            raise ParseError(self.origin, line, detail, column=column)
        self.check_line_lengths(text)
        newlines = text.count("\n")
        self.column = len(text) - text.rfind("\n") - 1 if newlines else self.column + len(text)
        self.line += newlines
        self.parts.append(text)

    def position(self, text: str, index: int) -> tuple[int, int]:
        """Return the line and 1-based column of ``text[index]``."""
        line_start = text.rfind("\n", 0, index)
        if line_start < 0:
            return self.line, self.column + index + 1
        return self.line + text.count("\n", 0, index), index - line_start

    def check_line_lengths(self, text: str) -> None:
        """Refuse a line longer than MAX_LINE_CHARS as soon as that many characters of it are read.

        Raises:
            ParseError: at the overlong line.
        """
        lengths = [len(piece) for piece in text.split("\n")]
        lengths[0] += self.column
        for offset, length in enumerate(lengths):
            if length > MAX_LINE_CHARS:
                raise ParseError(
                    self.origin,
                    self.line + offset,
                    f"line is longer than {MAX_LINE_CHARS:,} characters: no record or page line is this long "
                    "(is the file one endless line, or not text at all?)",
                )
