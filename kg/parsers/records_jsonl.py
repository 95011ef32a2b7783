"""Parse JSON Lines records: one person or paper object per line, checked against a JSON Schema.

The schema is ``schema/records.schema.json`` (JSON Schema draft 2020-12,
https://json-schema.org/draft/2020-12/json-schema-validation). Blank lines are allowed. Every
string except identifiers goes through :func:`~kg.parsers.cleaning.clean_text` (entities
decoded, NFC; LaTeX kept verbatim).

Lines are read one at a time, so a bad line far into a large file costs no more memory than the
records before it. Beyond the schema, a line is refused when its JSON nests deeper than
MAX_DEPTH, holds a number too long to convert, or a string with a control character or a lone
surrogate (``"\\ud800"``): JSON's escapes can spell characters that no text file may hold and no
RDF serialisation can carry.
"""

from __future__ import annotations

import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, ValidationError

from kg.errors import InternalError, ParseError
from kg.parsers.cleaning import clean_text
from kg.parsers.lines import first_nonblank_lines, iter_lines
from kg.parsers.page_layout import shorten
from kg.records import IDENTIFIER_SCHEMES, Identifier, PaperRecord, ParsedSource, PersonRecord
from kg.sources.files import RawSource

KIND = "records-jsonl"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "records.schema.json"
RECORD_TYPES = ("person", "paper")  # in the order of the schema's oneOf branches
MAX_DEPTH = 32  # a record nests 3 levels deep; Python's JSON decoder gives up near 1,000
MAX_MESSAGE_CHARS = 300  # a schema message quotes the bad value, which may be a megabyte long
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What no file kg reads may hold (kg.sources.files.CONTROL_CHARACTER), and lone surrogates, which
# only a JSON escape can spell and no UTF-8 encoder can write.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff]")


class DuplicateKeyError(InternalError, ValueError):
    """A JSON object names the same key twice (json.loads would silently keep the last).

    Raised inside json.loads, which knows no line: read_record turns it into a ParseError. A
    ValueError still, as a JSON hook's errors conventionally are.
    """


def looks_like_records_jsonl(text: str) -> bool:
    """Whether the first non-blank line of ``text`` is a JSON object of type paper or person."""
    first = first_nonblank_lines(text, 1)
    try:
        value = json.loads(first[0][1]) if first else None
    except (ValueError, RecursionError):  # not JSON, a number too long, nested too deep
        return False
    return isinstance(value, dict) and value.get("type") in RECORD_TYPES


@lru_cache(maxsize=1)
def load_validator() -> Draft202012Validator:
    """Load the records schema once and return a validator for it."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@lru_cache(maxsize=1)
def load_fast_validator() -> jsonschema_rs.Draft202012Validator:
    """The same schema compiled by jsonschema-rs: it only says whether a record is valid (about 30x
    faster than jsonschema); jsonschema then finds the error to report for one that is not
    (tests/test_parsers_records_jsonl.py holds the two to the same verdicts)."""
    return jsonschema_rs.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def parse_records_jsonl(raw: RawSource) -> ParsedSource:
    """Read JSON Lines records into persons and papers.

    Args:
        raw: the input; one JSON object per line, blank lines allowed.

    Returns:
        Persons and papers in file order; no subject and no facts.

    Raises:
        ParseError: a line is not JSON (with its column), names a key twice, or breaks the schema
            (with the JSON path of the bad value).
    """
    persons: list[PersonRecord] = []
    papers: list[PaperRecord] = []
    for number, line in iter_lines(raw.text):
        if not line.strip():
            continue
        record = read_record(raw.ref.origin, number, line)
        if record["type"] == "person":
            persons.append(build_person(raw.ref.origin, record, number))
        else:
            papers.append(build_paper(raw.ref.origin, record, number))
    return ParsedSource(ref=raw.ref, kind=KIND, persons=tuple(persons), papers=tuple(papers))


def read_record(origin: str, number: int, line: str) -> dict[str, Any]:
    """Decode and validate one line.

    Raises:
        ParseError: the line is not JSON, names a key twice or breaks the schema.
    """
    try:
        record = json.loads(line, object_pairs_hook=refuse_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ParseError(origin, number, f"invalid JSON: {exc.msg}", column=exc.colno) from exc
    except DuplicateKeyError as exc:
        raise ParseError(origin, number, str(exc)) from exc
    except RecursionError as exc:
        raise ParseError(origin, number, f"JSON nested too deeply: a record nests at most {MAX_DEPTH} levels") from exc
    except ValueError as exc:  # an integer of more digits than int() converts
        detail = f"invalid JSON: a number has more than {sys.get_int_max_str_digits():,} digits"
        raise ParseError(origin, number, detail) from exc
    problem = find_unwritable_value(record)
    if problem is not None:
        raise ParseError(origin, number, problem)
    error = find_schema_error(record)
    if error is not None:
        raise ParseError(origin, number, shorten_message(f"{error.json_path}: {error.message}"))
    return record


def find_unwritable_value(value: Any, path: str = "$", depth: int = 0) -> str | None:
    """Describe the first part of a decoded line that no record may hold, or return None.

    That is: nesting deeper than MAX_DEPTH, or a key or string with a control character or a lone
    surrogate. Checked before the schema, whose messages quote values.
    """
    if depth > MAX_DEPTH:
        return f"{path}: JSON nested too deeply: a record nests at most {MAX_DEPTH} levels"
    if isinstance(value, str):
        match = _UNWRITABLE.search(value)
        if match is None:
            return None
        kind = "lone surrogate" if "\ud800" <= match.group() <= "\udfff" else "control character"
        return f"{path}: {kind} U+{ord(match.group()):04X} in {shorten(value)!r}: not allowed in text"
    if isinstance(value, dict):
        children = [(f"{path} key", key) for key in value]
        children += [(child_path(path, key), item) for key, item in value.items()]
    elif isinstance(value, list):
        children = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    else:
        return None
    found = (find_unwritable_value(child, where, depth + 1) for where, child in children)
    return next((problem for problem in found if problem is not None), None)


def child_path(path: str, key: str) -> str:
    """The JSON path of a member: ``$.title``, or ``$['odd key']`` for a key that is not a plain word."""
    return f"{path}.{key}" if _PLAIN_KEY.fullmatch(key) else f"{path}[{shorten(key)!r}]"


def shorten_message(message: str) -> str:
    """Cut a long message in the middle, keeping its start (the path, the value) and its end (the rule)."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return f"{message[: MAX_MESSAGE_CHARS - 100]} ... {message[-90:]}"


def refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build a JSON object, refusing a key given twice.

    Raises:
        DuplicateKeyError: naming the key.
    """
    record: dict[str, Any] = {}
    for key, value in pairs:
        if key in record:
            raise DuplicateKeyError(f"duplicate key {key!r}: a record names each field once")
        record[key] = value
    return record


def find_schema_error(record: Any) -> ValidationError | None:
    """Return the most useful schema error for ``record``, or None if it is valid.

    The schema is a ``oneOf`` of person and paper; its own message ("not valid under any of the
    given schemas") says nothing, so the error reported is the first one of the branch the
    record's ``type`` chooses.
    """
    try:
        if load_fast_validator().is_valid(record):  # the common case, without building errors
            return None
    except UnicodeEncodeError:  # a lone surrogate ("\ud83d"), which Rust strings cannot hold: jsonschema judges
        pass
    error = next(load_validator().iter_errors(record), None)
    if error is None:
        return None
    if error.validator != "oneOf":
        return error
    if not isinstance(record, dict):
        return error.context[0]
    expected = " or ".join(repr(name) for name in RECORD_TYPES)
    if "type" not in record:
        return ValidationError(f"'type' is a required property ({expected})")
    if record["type"] not in RECORD_TYPES:
        return ValidationError(f"{record['type']!r} is not {expected}", path=["type"])
    branch = RECORD_TYPES.index(record["type"])
    return next(sub for sub in error.context if sub.relative_schema_path[0] == branch)


def build_person(origin: str, record: dict[str, Any], line: int) -> PersonRecord:
    """Turn a validated person object into a PersonRecord.

    Raises:
        ParseError: the name is empty once cleaned.
    """
    return PersonRecord(
        name=clean_required(origin, line, "$.name", record["name"]),
        line=line,
        identifiers=build_identifiers(record.get("identifiers", {})),
    )


def build_paper(origin: str, record: dict[str, Any], line: int) -> PaperRecord:
    """Turn a validated paper object into a PaperRecord (authors None when the record has none).

    Raises:
        ParseError: the title or an author name is empty once cleaned.
    """
    authors = record.get("authors")
    if authors is not None:
        authors = tuple(clean_required(origin, line, f"$.authors[{i}]", name) for i, name in enumerate(authors))
    return PaperRecord(
        title=clean_required(origin, line, "$.title", record["title"]),
        line=line,
        authors=authors,
        abstract=clean_optional(record.get("abstract")),
        venue=clean_optional(record.get("venue")),
        venue_kind=record.get("venue_kind"),
        year=int(record["year"]),
        type_label=clean_optional(record.get("type_label")),
        copyright=clean_optional(record.get("copyright")),
        identifiers=build_identifiers(record.get("identifiers", {})),
    )


def clean_required(origin: str, line: int, json_path: str, value: str) -> str:
    """Clean a string that must not be empty.

    Raises:
        ParseError: nothing is left once tags, entities and whitespace are cleaned.
    """
    cleaned = clean_text(value)
    if not cleaned:
        raise ParseError(origin, line, f"{json_path}: {value!r} is empty once HTML tags and whitespace are removed")
    return cleaned


def clean_optional(value: str | None) -> str | None:
    """Clean an optional string field."""
    return clean_text(value) if value is not None else None


def build_identifiers(identifiers: dict[str, str]) -> tuple[Identifier, ...]:
    """Turn the identifiers object into Identifiers, in the order of IDENTIFIER_SCHEMES."""
    return tuple(Identifier(scheme, identifiers[scheme]) for scheme in IDENTIFIER_SCHEMES if scheme in identifiers)
