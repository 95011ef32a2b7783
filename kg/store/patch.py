"""Each generation's change as an RDF Patch file, and replaying patches onto a dump.

An ingest writes what it did to the named graphs as an RDF Patch (https://afs.github.io/rdf-patch/),
gzipped: a header naming the generation and the one before it, then ``A`` (add) and ``D`` (delete)
rows in the order the writer applied them, each row an N-Quads statement::

    H id <urn:kg:generation:g000007> .
    H prev <urn:kg:generation:g000006> .
    TX .
    D <…/author/y-lecun> <http://xmlns.com/foaf/0.1/name> "Y. LeCun" <…/graph/identity> .
    A <…/author/yann-lecun> <http://xmlns.com/foaf/0.1/name> "Yann LeCun" <…/graph/identity> .
    TC .

Adding a quad already there, or deleting one that is not, changes nothing, so applying a
generation's patch to the N-Quads dump of the generation before it gives exactly its N-Quads dump
(blank nodes keep their labels: kg's are stable, kg.mapping.schema_org.list_label), and applying
the patches after a dump's generation, in order, brings the dump up to date
(tests/test_changes.py). The patch holds the named graphs only: the store's default graph is their
union, which a reader of the dump computes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from kg.store.generations import CHANGES

PATCH_SUFFIX = ".rdfp.gz"
PATCH_GZIP_LEVEL = 1  # on the ingest's path: 3x faster than level 6 for a file 25% larger (BENCHMARKS.md)
PATCH_MEDIA_TYPE = "application/rdf-patch"  # once decompressed; served as application/gzip


def generation_iri(name: str) -> str:
    return f"urn:kg:generation:{name}"


class PatchWriter:
    """Write one generation's patch, row by row, into a gzip file (mtime 0: same change, same bytes)."""

    def __init__(self, path: Path, generation: str, previous: str | None):
        self.path, self.previous = path, previous
        self._raw = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._digest = hashlib.sha256()
        self._size = 0
        self._out = gzip.GzipFile(filename="", mode="wb", fileobj=self, compresslevel=PATCH_GZIP_LEVEL, mtime=0)
        self.added = self.removed = 0
        header = f"H id <{generation_iri(generation)}> .\n"
        if previous:
            header += f"H prev <{generation_iri(previous)}> .\n"
        self._out.write((header + "TX .\n").encode())

    def write(self, data: bytes) -> int:  # the gzip stream's file object: count and hash what reaches disk
        self._digest.update(data)
        self._size += len(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()

    def rows(self, operation: str, quads: Iterable[ox.Quad]) -> None:
        """Add ``A`` (add) or ``D`` (delete) rows for the quads, in their order."""
        quads = list(quads)
        if not quads:
            return
        text = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        prefix = operation.encode() + b" "
        self._out.write(b"".join(prefix + line + b"\n" for line in text.splitlines() if line))
        if operation == "A":
            self.added += len(quads)
        else:
            self.removed += len(quads)

    def close(self) -> dict:
        """Finish the file; its entry for the change feed (rows, bytes, SHA-256 of the gzip file)."""
        self._out.write(b"TC .\n")
        self._out.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        return {"added": self.added, "removed": self.removed, "bytes": self._size,
                "sha256": self._digest.hexdigest()}

    def abandon(self) -> None:
        self._out.close()
        self._raw.close()
        self.path.unlink(missing_ok=True)


def read_patch(source: BinaryIO) -> Iterator[tuple[str, list[ox.Quad]]]:
    """The operations of a (decompressed) patch: runs of ``("A" | "D", quads)`` in file order."""
    operation, lines = None, []
    for raw in source:
        line = raw.rstrip(b"\r\n")
        kind = line[:1]
        if kind in (b"A", b"D") and line[1:2] == b" ":
            if kind.decode() != operation and lines:
                yield operation, _parse(lines)
                lines = []
            operation = kind.decode()
            lines.append(line[2:])
    if lines:
        yield operation, _parse(lines)


def _parse(lines: list[bytes]) -> list[ox.Quad]:
    return list(ox.parse(b"\n".join(lines) + b"\n", format=ox.RdfFormat.N_QUADS))


def apply_patch(store: ox.Store, path: Path) -> None:
    """Apply a gzipped patch to a store holding a dump's quads (``ox.parse`` keeps blank-node labels)."""
    with gzip.open(path, "rb") as source:
        for operation, quads in read_patch(source):
            if operation == "A":
                store.extend(quads)
            else:
                for quad in quads:
                    store.remove(quad)


def record_change(root: Path, name: str, patch: PatchWriter, build, manifest: dict) -> dict:
    """Finish a generation's patch and put it in the change feed (``STORE/changes/``), with its
    entry (``gNNNNNN.json``): called before the generation is published, so a feed reader, which
    lists entries up to the published generation only, never sees it early (kg.store.generations
    removes what a killed writer left)."""
    entry = {"generation": name, "previous": patch.previous, "created": build.created,
             "activity": build.activity, "quads": manifest["counts"]["quads"], **patch.close()}
    directory = root / CHANGES
    patch.path.rename(directory / f"{name}{PATCH_SUFFIX}")
    staged = directory / f"tmp-{name}.json"
    with open(staged, "w", encoding="utf-8") as out:
        out.write(json.dumps(entry, indent=2, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())
    staged.rename(directory / f"{name}.json")
    return entry


def list_changes(root: Path, upto: str | None) -> tuple[dict, ...]:
    """The change feed's entries, oldest first, up to the published generation ``upto``."""
    return () if upto is None else _entries_upto(str(root), upto)


@lru_cache(maxsize=8)
def _entries_upto(root: str, upto: str) -> tuple[dict, ...]:
    """Read once per published generation and process: the entries of published builds never change
    (a crashed build's entry, removed by the next writer, is newer than any published one)."""
    paths = sorted(Path(root, CHANGES).glob("g*.json"))
    return tuple(json.loads(path.read_text(encoding="utf-8")) for path in paths if path.stem <= upto)


def change_file(root: Path, name: str) -> Path:
    return root / CHANGES / f"{name}{PATCH_SUFFIX}"
