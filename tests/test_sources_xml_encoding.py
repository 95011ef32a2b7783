"""The source layer reads XML in the encoding its declaration names (kg/sources/files.py).

The dblp dump is ISO-8859-1 and says so in its XML declaration. Every other check of the source
layer (size limit, SHA-256, control characters, line numbers in messages) applies unchanged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kg.errors import ParseError, SourceError
from kg.parsers import parse_source
from kg.sources import read_source

ACTA = Path(__file__).parent / "data" / "parsers" / "dblp-dump-acta-informatica" / "dblp.xml"
RETRIEVED_AT = "2026-01-01T00:00:00Z"
DECLARATION = b'<?xml version="1.0" encoding="ISO-8859-1"?>'


def latin1_variant(tmp_path: Path, declaration: bytes = DECLARATION, prefix: bytes = b"") -> Path:
    """The dump extract with one character written as an ISO-8859-1 byte (0xF6) instead of &ouml;."""
    data = ACTA.read_bytes()
    assert data.startswith(DECLARATION) and data.count(b"Sch&ouml;nhage") == 1
    path = tmp_path / "dblp.xml"
    path.write_bytes(prefix + data.replace(DECLARATION, declaration, 1).replace(b"Sch&ouml;nhage", b"Sch\xf6nhage"))
    return path


def test_iso_8859_1_xml_is_decoded_by_its_declaration(tmp_path):
    path = latin1_variant(tmp_path)
    raw = read_source(path, RETRIEVED_AT)
    assert "Arnold Schönhage" in raw.text
    assert raw.ref.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()  # over the bytes as read
    parsed = parse_source(raw)
    assert [p.authors for p in parsed.papers if p.title.startswith("Schnelle")] == [("Arnold Schönhage",)]


@pytest.mark.parametrize("declaration", [b"<?xml version='1.0' encoding='latin-1'?>",
                                         b'<?xml version="1.0" encoding="iso-8859-1" standalone="no"?>'])
def test_other_spellings_of_iso_8859_1(tmp_path, declaration):
    assert "Arnold Schönhage" in read_source(latin1_variant(tmp_path, declaration), RETRIEVED_AT).text


def test_a_byte_the_declared_encoding_lacks_is_refused_at_its_line(tmp_path):
    path = latin1_variant(tmp_path, b'<?xml version="1.0" encoding="US-ASCII"?>')
    with pytest.raises(ParseError) as caught:
        read_source(path, RETRIEVED_AT)
    assert str(caught.value) == (f"{path}:47:19: byte 0xf6 is not valid US-ASCII (ordinal not in range(128)): "
                                 "its XML declaration says it is US-ASCII")


def test_xml_without_encoding_declaration_is_utf_8(tmp_path):
    path = latin1_variant(tmp_path, b'<?xml version="1.0"?>')
    with pytest.raises(ParseError, match="byte 0xf6 is not valid UTF-8"):
        read_source(path, RETRIEVED_AT)


def test_an_encoding_kg_does_not_read_is_refused(tmp_path):
    path = latin1_variant(tmp_path, b'<?xml version="1.0" encoding="Shift_JIS"?>')
    with pytest.raises(SourceError) as caught:
        read_source(path, RETRIEVED_AT)
    assert str(caught.value) == (f"{path}: its XML declaration names the encoding 'Shift_JIS'; kg reads XML in UTF-8, "
                                 "ISO-8859-1, US-ASCII: convert it to UTF-8 (and its declaration), e.g. with "
                                 "iconv -f Shift_JIS -t UTF-8")


def test_a_utf_8_byte_order_mark_contradicting_the_declaration_is_refused(tmp_path):
    path = latin1_variant(tmp_path, prefix=b"\xef\xbb\xbf")
    with pytest.raises(SourceError, match="UTF-8 byte-order mark but its XML declaration names 'ISO-8859-1'"):
        read_source(path, RETRIEVED_AT)


def test_the_size_limit_applies_to_xml_too(tmp_path):
    path = latin1_variant(tmp_path)
    with pytest.raises(SourceError, match="more than the 1,000 bytes"):
        read_source(path, RETRIEVED_AT, max_bytes=1000)


def test_a_declaration_further_down_is_not_a_declaration(tmp_path):
    """Only an XML declaration at the very start names the encoding (as XML says); text mentioning
    one later is UTF-8 like every other input."""
    path = tmp_path / "notes.txt"
    path.write_bytes(b'Notes\n<?xml version="1.0" encoding="ISO-8859-1"?>\nSch\xf6nhage\n')
    with pytest.raises(ParseError, match="byte 0xf6 is not valid UTF-8"):
        read_source(path, RETRIEVED_AT)
