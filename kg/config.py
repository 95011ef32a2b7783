"""Settings: one frozen object, built once at the edge (cli.py, server.py) and passed down.

Sources, later ones winning: defaults, a TOML settings file, ``KG_*`` environment variables,
command-line flags. :data:`SETTINGS` is the single table behind ``--help``, the README and
validation; a test fails when a setting is missing from the README.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kg.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    """One row of the settings table."""

    name: str  # attribute of Settings
    env: str  # environment variable
    default: object
    help: str
    convert: Callable[[str, object], object]


def _base_uri(key: str, value: object) -> str:
    text = str(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or not text.endswith("/"):
        raise ConfigError(key, value, "an absolute http(s) URI ending in '/', e.g. http://127.0.0.1:5000/")
    if parts.query or parts.fragment:
        raise ConfigError(key, value, "a base URI without query or fragment")
    return text


def _path(key: str, value: object) -> Path:
    text = str(value)
    if not text:
        raise ConfigError(key, value, "a non-empty path")
    return Path(text)


def _store_location(key: str, value: object) -> Path | str:
    """A store directory, or the http(s) URL of a remote SPARQL store (kept as text)."""
    text = str(value)
    if not text.lower().startswith(("http://", "https://")):
        return _path(key, value)
    parts = urlsplit(text)
    if not parts.hostname or parts.fragment:
        raise ConfigError(key, value, "a store directory, or an http(s) URL without fragment: a server root ending "
                                      "in '/' (Oxigraph: http://127.0.0.1:7878/) or a SPARQL query endpoint")
    return text


def _optional_url(key: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    text = str(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise ConfigError(key, value, "an absolute http(s) URL of a SPARQL 1.1 Update endpoint, "
                                      "e.g. http://127.0.0.1:3030/ds/update")
    return text


def _positive(kind):
    def convert(key: str, value: object):
        try:
            number = kind(str(value))
        except ValueError:
            number = 0
        if number <= 0:
            raise ConfigError(key, value, f"a positive {kind.__name__}")
        return number

    return convert


def _non_negative_int(key: str, value: object, expected: str = "a non-negative int (0 turns it off)") -> int:
    try:
        number = int(str(value))
    except ValueError:
        number = -1
    if number < 0:
        raise ConfigError(key, value, expected)
    return number


def _description_bound(key: str, value: object) -> int:
    return _non_negative_int(key, value, "a non-negative int (0: every uncached description counts against "
                                         "its client's share)")


def _optional_positive_float(key: str, value: object) -> float | None:
    if value is None or value == "":
        return None
    return _positive(float)(key, value)


def _text(key: str, value: object) -> str:
    text = str(value).strip()
    if not text:
        raise ConfigError(key, value, "a non-empty text")
    return text


def _epoch(key: str, value: object) -> int | None:
    if value is None or value == "":
        return None
    return _non_negative_int(key, value, "a non-negative integer number of seconds since 1970-01-01 UTC")


_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[\w.-]+):([0-9]{1,5})")


def _bind(key: str, value: object) -> str:
    """gunicorn's bind address: HOST:PORT ([IPv6]:PORT), or unix:PATH for a proxy on the same machine."""
    text = str(value).strip()
    if text.startswith("unix:") and len(text) > len("unix:"):
        return text
    match = _HOST_PORT.fullmatch(text)
    if not match or not 0 < int(match[2]) < 65536:
        raise ConfigError(key, value, "HOST:PORT with a port from 1 to 65535 (127.0.0.1:5000, 0.0.0.0:80, "
                                      "[::1]:5000), or unix:PATH")
    return text


def _choice(*names: str):
    def check(key: str, value: object) -> str:
        text = str(value).strip().lower()
        if text not in names:
            raise ConfigError(key, value, f"one of {', '.join(names)}")
        return text
    return check


_ON, _OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _switch(key: str, value: object) -> bool:
    if isinstance(value, bool):  # a TOML true/false
        return value
    text = str(value).strip().lower()
    if text not in _ON + _OFF:
        raise ConfigError(key, value, f"on ({', '.join(_ON)}) or off ({', '.join(_OFF[:-1])}, or empty)")
    return text in _ON


# Each default is written once, here: Settings and DEFAULTS (where code outside this module takes a
# default from) are derived from this table.
SETTINGS = (
    Setting("base_uri", "KG_BASE_URI", "http://127.0.0.1:5000/",
            "Base of every minted URI; authors are {base}author/{slug}.", _base_uri),
    Setting("store", "KG_STORE", "data/store",
            "Directory of the persistent store, or the http(s) URL of a remote SPARQL store.", _store_location),
    Setting("store_update", "KG_STORE_UPDATE", None,
            "SPARQL 1.1 Update endpoint of a remote store, when it is not {KG_STORE}update.", _optional_url),
    Setting("artifacts_dir", "KG_ARTIFACTS_DIR", "data/artifacts",
            "Where a remote store's dumps, report and manifest are written (a directory store keeps its own).",
            _path),
    Setting("shapes_dir", "KG_SHAPES_DIR", str(PROJECT_DIR / "shapes"),
            "Directory of the SHACL shapes (*.shapes.ttl) that gate every ingest.", _path),
    Setting("ontology_dir", "KG_ONTOLOGY_DIR", str(PROJECT_DIR / "ontology"),
            "Directory of the ontology (*.ttl) whose alignments are materialised.", _path),
    Setting("queries_dir", "KG_QUERIES_DIR", str(PROJECT_DIR / "queries"),
            "Directory of the named SPARQL queries (*.rq).", _path),
    Setting("source_date_epoch", "SOURCE_DATE_EPOCH", None,
            "If set, the time recorded as when sources were read (reproducible builds).", _epoch),
    # far more than any page or any ingest this process can hold in memory (10,000 JSON Lines papers
    # are about 13 MB and take 1.3 GB of memory to ingest); a larger file is refused from its size, unread
    Setting("max_input_bytes", "KG_MAX_INPUT_BYTES", 256 * 1024 * 1024,
            "Largest input file an ingest reads, in bytes; a larger one is refused before it is read.",
            _positive(int)),
    Setting("chunk_papers", "KG_CHUNK_PAPERS", 5000,
            "Paper records an ingest maps, validates and writes at a time; memory grows with it, not the batch.",
            _positive(int)),
    Setting("part_records", "KG_PART_RECORDS", 10000,
            "Paper and person records an ingest reads and resolves at a time (whole files, at least one): a larger "
            "ingest goes "
            "in parts into one unpublished build, each part's identity read from the parts before it, so memory "
            "grows with the part, not the batch.", _positive(int)),
    Setting("shacl_engine", "KG_SHACL_ENGINE", "turbo",
            "The SHACL gate's engine: turbo (pyshacl-turbo, compiled; pySHACL where it refuses an input) or "
            "pyshacl (the reference, about 4x slower).", _choice("turbo", "pyshacl")),
    Setting("query_timeout", "KG_QUERY_TIMEOUT", 5.0,
            "Seconds a SPARQL query may run before it is stopped and answered with 503.", _positive(float)),
    Setting("max_result_bytes", "KG_MAX_RESULT_BYTES", 16 * 1024 * 1024,
            "Largest serialised result of one SPARQL query, in bytes; a larger one is refused with 422.",
            _positive(int)),
    Setting("max_query_bytes", "KG_MAX_QUERY_BYTES", 65536,
            "Longest SPARQL query text accepted, in bytes; longer gives 413.", _positive(int)),
    Setting("query_workers", "KG_QUERY_WORKERS", 2,
            "Query processes per web worker; a query past the time limit is killed with its process.",
            _positive(int)),
    Setting("client_concurrency", "KG_CLIENT_CONCURRENCY", 2,
            "Queries one client may have running or waiting per web worker (never the last free query process "
            "while it holds one), and large resource descriptions; more are refused with 429 and Retry-After.",
            _positive(int)),
    Setting("large_description_quads", "KG_LARGE_DESCRIPTION_QUADS", 10000,
            "Quads a resource description may read and still be served without counting against its client's "
            "share (KG_CLIENT_CONCURRENCY); a larger one takes a unit of it, or gets 429.", _description_bound),
    Setting("queue_timeout", "KG_QUEUE_TIMEOUT", None,
            "Seconds a query waits for a free query process before 503 and Retry-After; shorter than "
            "KG_QUERY_TIMEOUT (unset: half of it).", _optional_positive_float),
    Setting("trusted_proxies", "KG_TRUSTED_PROXIES", 0,
            "Reverse proxies in front of kg whose X-Forwarded-For names the client (0: the TCP peer is the client).",
            _non_negative_int),
    Setting("cache_bytes", "KG_CACHE_BYTES", 64 * 1024 * 1024,
            "Memory per web worker for answers kept until the store changes (query results, pages); 0: off.",
            _non_negative_int),
    Setting("page_size", "KG_PAGE_SIZE", 100,
            "Inbound links (a person's works, a venue's papers) per page of a resource description.",
            _positive(int)),
    Setting("title", "KG_TITLE", "kg scholarly knowledge graph",
            "Name of the dataset, shown on the home page and in VoID/DCAT.", _text),
    Setting("license", "KG_LICENSE", "https://creativecommons.org/publicdomain/zero/1.0/",
            "Licence IRI of the data, stated in VoID/DCAT and on every page.", _text),
    # gunicorn's (gunicorn.conf.py reads them): web-server-only, so, like the server's other settings,
    # read from the environment and without command-line flags
    Setting("bind", "KG_BIND", "127.0.0.1:5000",
            "Address gunicorn listens on: HOST:PORT, or unix:PATH.", _bind),
    Setting("web_workers", "KG_WEB_WORKERS", 2,
            "gunicorn worker processes; each has its own query processes and answer cache.", _positive(int)),
    Setting("web_threads", "KG_WEB_THREADS", 4,
            "Request threads per gunicorn worker.", _positive(int)),
    Setting("access_log", "KG_ACCESS_LOG", "off",
            "Whether gunicorn logs every request to stdout (on: 1, true, yes, on).", _switch),
)


def _default(name: str) -> Any:
    """The default of setting ``name`` as its type, converted from its row of :data:`SETTINGS`."""
    row = next(s for s in SETTINGS if s.name == name)
    return row.convert(row.name, row.default)


@dataclass(frozen=True)
class Settings:
    """Validated settings; build with :func:`load_settings`.

    One field per row of :data:`SETTINGS`, in its order, each default taken from its row (a test
    holds both to it), so the typed fields stay plain attributes and no default is written twice.
    """

    base_uri: str = _default("base_uri")
    store: Path | str = _default("store")  # a str only for the URL of a remote store
    store_update: str | None = _default("store_update")
    artifacts_dir: Path = _default("artifacts_dir")
    shapes_dir: Path = _default("shapes_dir")
    ontology_dir: Path = _default("ontology_dir")
    queries_dir: Path = _default("queries_dir")
    source_date_epoch: int | None = _default("source_date_epoch")
    max_input_bytes: int = _default("max_input_bytes")
    chunk_papers: int = _default("chunk_papers")
    part_records: int = _default("part_records")
    shacl_engine: str = _default("shacl_engine")
    query_timeout: float = _default("query_timeout")
    max_result_bytes: int = _default("max_result_bytes")
    max_query_bytes: int = _default("max_query_bytes")
    query_workers: int = _default("query_workers")
    client_concurrency: int = _default("client_concurrency")
    large_description_quads: int = _default("large_description_quads")
    queue_timeout: float | None = _default("queue_timeout")
    trusted_proxies: int = _default("trusted_proxies")
    cache_bytes: int = _default("cache_bytes")
    page_size: int = _default("page_size")
    title: str = _default("title")
    license: str = _default("license")
    bind: str = _default("bind")
    web_workers: int = _default("web_workers")
    web_threads: int = _default("web_threads")
    access_log: bool = _default("access_log")

    @property
    def queue_wait(self) -> float:
        """Seconds a query waits in line for a query process (KG_QUEUE_TIMEOUT, or half the time limit)."""
        return self.queue_timeout if self.queue_timeout is not None else self.query_timeout / 2

    @property
    def retry_after(self) -> int:
        """Whole seconds a refused client is told to wait (``Retry-After``): the time limit, rounded up."""
        return max(1, math.ceil(self.query_timeout))

    def now(self) -> str:
        """Return the ISO 8601 UTC time to record as 'when it was read'."""
        if self.source_date_epoch is not None:
            moment = datetime.fromtimestamp(self.source_date_epoch, UTC)
        else:
            moment = datetime.now(UTC)
        return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


DEFAULTS = Settings()
"""The settings when nothing is set: where code outside this module takes a default from
(``query_timeout: float = DEFAULTS.query_timeout``), so it cannot drift from the table."""


def load_settings(
    env: Mapping[str, str] | None = None,
    settings_file: Path | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Settings:
    """Build Settings from defaults, a TOML file, the environment and explicit overrides.

    Args:
        env: environment variables (pass ``os.environ``); only ``KG_*`` and SOURCE_DATE_EPOCH are read.
        settings_file: a TOML file whose top-level keys are setting names (``base_uri = "..."``).
        overrides: values from CLI flags; ``None`` values are ignored.

    Raises:
        ConfigError: an unknown key in the file, or a value that is not allowed.
    """
    values: dict[str, tuple[str, object]] = {s.name: (s.name, s.default) for s in SETTINGS}
    for key, value in _read_settings_file(settings_file).items():
        values[key] = (f"{settings_file}:{key}", value)
    for setting in SETTINGS:
        if env and setting.env in env:
            values[setting.name] = (setting.env, env[setting.env])
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = (f"--{key.replace('_', '-')}", value)
    converted = {s.name: s.convert(*values[s.name]) for s in SETTINGS}
    if converted["queue_timeout"] is not None and converted["queue_timeout"] >= converted["query_timeout"]:
        raise ConfigError(values["queue_timeout"][0], values["queue_timeout"][1],
                          f"fewer seconds than the query time limit ({converted['query_timeout']:g} s): a query "
                          "waits in line only part of the time it may run")
    return dataclasses.replace(Settings(), **converted)


def _read_settings_file(path: Path | None) -> dict[str, object]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError("settings file", str(path), f"a readable TOML file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:  # TOML is UTF-8; a bad byte is the user's file, not a bug (exit 2, not 3)
        raise ConfigError("settings file", str(path),
                          f"a UTF-8 TOML file (byte {exc.object[exc.start]:#04x} at offset {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("settings file", str(path), f"valid TOML ({exc})") from exc
    known = {s.name for s in SETTINGS}
    for key in data:
        if key not in known:
            raise ConfigError(f"{path}:{key}", data[key], f"one of {', '.join(sorted(known))}")
    return data
