"""Crash-safe store directories: each ingest writes a new generation and then flips a symlink.

Layout::

    STORE/current -> generations/g000007   (symlink, replaced atomically with os.replace)
    STORE/generations/g000007/             (a RocksDB directory, never written once published)
    STORE/artifacts/g000007/               (its dumps, validation report and manifest; kg.store.artifacts)
    STORE/.lock                            (POSIX lock held by the one writer)

A writer checkpoints the current generation (RocksDB hard-links its immutable files, so this
is cheap), applies its change to the copy, writes the copy's artifacts, closes it, then flips
``current``: a reader never sees a generation without its artifacts. Killing it at any point
leaves ``current`` on the old generation or the new one, never a mix; what a killed writer
left behind (``tmp-*``, or a generation renamed but never published) is removed by the next
one. A failed ingest never opens the published generation for writing, nor touches its
artifacts, so they stay byte-for-byte the same.
"""

from __future__ import annotations

import errno
import fcntl
import gc
import os
import shutil
import signal
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from kg.errors import StoreError

CURRENT = "current"
GENERATIONS = "generations"
ARTIFACTS = "artifacts"
CHANGES = "changes"  # each published generation's patch (kg.store.patch), kept for good
DUMPS = "dumps"  # the dump sets `kg publish` writes (kg.store.artifacts.write_dumps)
KEEP = 2  # the current generation and the one before, for readers that opened it


def current_generation(root: Path) -> Path | None:
    """The published generation directory, or None for a store nothing was written to yet."""
    try:
        pointed = os.readlink(root / CURRENT)  # read on every request: one system call, no resolve()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.EINVAL:  # there, but not a link: nothing published
            return None
        raise StoreError(str(root), f"cannot read 'current': {exc.strerror}") from exc
    target = Path(os.path.normpath(Path(root).absolute() / pointed))
    if not target.is_dir():
        raise StoreError(str(root), f"'current' points to {pointed}, which does not exist")
    return target


def open_read_only(root: Path) -> ox.Store | None:
    """Open the published generation read-only; None when the store is empty."""
    generation = current_generation(root)
    if generation is None:
        return None
    try:
        return ox.Store.read_only(str(generation))
    except OSError as exc:
        raise StoreError(str(root), f"cannot open {generation.name}: {exc}") from exc


@contextmanager
def writer_lock(root: Path):
    """Hold the store's exclusive writer lock (a second ingest fails at once, clearly)."""
    with _exclusive(root, ".lock", "another ingest is writing this store; try again when it ends"):
        yield


@contextmanager
def dumps_lock(root: Path):
    """Hold the lock of the dumps' writer (``kg publish``), apart from the writer lock: ingests go on
    while the dumps of an earlier generation are written from its checkpoint."""
    with _exclusive(root, ".dumps-lock", "another `kg publish` is writing this store's dumps; try again when it ends"):
        yield


@contextmanager
def _exclusive(root: Path, name: str, busy: str):
    try:
        (root / GENERATIONS).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(root, exc, "cannot create the store directory") from exc
    try:
        handle = open(root / name, "a+b")  # noqa: SIM115 - released in finally
    except OSError as exc:
        raise write_error(root, exc, "cannot write to it") from exc
    try:
        # A POSIX record lock, not flock(): it is not inherited by the processes the SHACL gate
        # forks while the writer holds it, so a killed writer's lock dies with it.
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES):
            handle.close()
            raise StoreError(str(root), f"cannot lock the store: {exc.strerror}") from exc
        handle.close()
        raise StoreError(str(root), busy) from exc
    try:
        yield
    finally:
        fcntl.lockf(handle, fcntl.LOCK_UN)
        handle.close()


def checkpoint(generation: Path, target: Path) -> None:
    """A private copy of a published generation (RocksDB hard-links its files: cheap), which stays
    readable whatever later writers remove."""
    _checkpoint(generation, target)


def artifacts_of(root: Path, generation: Path) -> Path:
    """The artifacts directory of a generation (it exists once the generation is published)."""
    return root / ARTIFACTS / generation.name


class StagedGeneration:
    """A new generation being written: a copy of the current one, published or removed as a whole.

    Made by :func:`stage_generation`, which holds the writer lock while it lives. The copy is made
    when :attr:`store` is first used, so a writer that ends up writing nothing copies nothing.
    """

    def __init__(self, root: Path, previous: Path | None):
        self.root, self.previous = root, previous
        self.name = f"g{_number(previous) + 1:06d}"
        self.staging = root / GENERATIONS / f"tmp-{self.name}"
        self.staged_artifacts = root / ARTIFACTS / f"tmp-{self.name}"
        self.published: Path | None = None
        self._store: ox.Store | None = None

    @property
    def store(self) -> ox.Store:
        """The writable copy (made on first use)."""
        if self._store is None:
            try:
                _checkpoint(self.previous, self.staging)
                crash_point("copied")
                self._store = ox.Store(str(self.staging))
            except OSError as exc:
                raise write_error(self.root, exc, "write failed") from exc
        return self._store

    def publish(self, describe=None) -> Path:
        """Flush the copy, write its artifacts, and flip ``current`` to it.

        Args:
            describe: a callable ``describe(store, directory, name)`` that writes the generation's
                artifacts into ``directory`` (which it creates), before the generation is published.
        """
        try:
            store = self.store
            store.flush()
            crash_point("written")
            if describe is not None:
                describe(store, self.staged_artifacts, self.name)
            del store
            self._close()
            crash_point("described")
            if describe is not None:
                self.staged_artifacts.rename(self.root / ARTIFACTS / self.name)
                crash_point("artifacts renamed")
            published = self.staging.rename(self.root / GENERATIONS / self.name)
            crash_point("generation renamed")
            _point_current(self.root, published)
            crash_point("published")
        except OSError as exc:
            raise write_error(self.root, exc, "write failed") from exc
        self.published = published
        return published

    def _close(self) -> None:
        self._store = None
        gc.collect()  # pyoxigraph closes RocksDB when the object is freed

    def discard(self, exc: BaseException | None) -> None:
        """Remove what was staged (a failed or empty write); the published generation is untouched."""
        # Close the copy first: a failed call's frames still hold it, and an open RocksDB would
        # keep its deleted files' space and its LOCK, so a retry in this process would fail.
        self._store = None
        if exc is not None:
            traceback.clear_frames(exc.__traceback__)
        gc.collect()
        # Only the tmp- paths: anything renamed but not published is removed by the next writer.
        shutil.rmtree(self.staging, ignore_errors=True)
        shutil.rmtree(self.staged_artifacts, ignore_errors=True)


UNCHECKED = object()
"""``expected`` of :func:`stage_generation` when the caller read nothing it must still find."""


@contextmanager
def stage_generation(root: Path, expected: Path | None | object = UNCHECKED) -> Iterator[StagedGeneration]:
    """Hold the writer lock and stage the next generation; remove it unless it was published.

    Args:
        root: the store directory.
        expected: the generation the caller read its decisions from (a ``Path``, or None for an
            empty store); if another writer published since, nothing is staged. Not checked when
            left out (:data:`UNCHECKED`).

    Raises:
        StoreError: the disk is full, the directory is read-only, another writer holds the lock,
            or another writer published since ``expected`` (nothing was written).
    """
    with writer_lock(root):
        _remove_unpublished(root)
        previous = current_generation(root)
        if expected is not UNCHECKED and previous != expected:
            raise StoreError(str(root), f"another ingest published {previous.name if previous else 'nothing'} "
                                        f"while this one read {expected.name if expected else 'an empty store'}; "
                                        f"nothing was written: run it again")
        staged = StagedGeneration(root, previous)
        try:
            yield staged
        except BaseException as exc:
            staged.discard(exc)
            raise
        if staged.published is None:
            staged.discard(None)
            return
        _remove_old(root, staged.published)
        crash_point("cleaned")


CRASH_POINTS = ("copied", "written", "described", "artifacts renamed", "generation renamed", "link made",
                "published", "cleaned")


def crash_point(name: str) -> None:
    """kill -9 this process here when ``KG_CRASH_AT`` names this step: how the crash tests reach
    every window of a write on any machine, however slow (tests/test_store_crash.py). Unset, as
    it always is outside those tests, this is one dictionary lookup per step of a write."""
    if os.environ.get("KG_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def write_error(root: Path, exc: OSError, failed: str) -> StoreError:
    """One line that says why a write failed: a full disk, a read-only store, or the system's own words.

    pyoxigraph reports RocksDB's I/O errors as an OSError without errno, so its text is read too.
    """
    text = " ".join(str(exc).split())  # RocksDB's messages may span lines
    if exc.errno == errno.ENOSPC or "No space left on device" in text:
        reason = "the disk is full (no space left on device)"
    elif exc.errno == errno.EDQUOT or "Disk quota exceeded" in text:
        reason = "the disk quota is exceeded"
    elif exc.errno == errno.EROFS or "Read-only file system" in text:
        reason = "read-only file system"
    elif exc.errno in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        reason = "read-only for this user (permission denied)"
    else:
        reason = text
    return StoreError(str(root), f"{failed}: {reason}; nothing was written, the store is as it was")


def _number(generation: Path | None) -> int:
    return int(generation.name[1:]) if generation is not None else 0


def _checkpoint(previous: Path | None, staging: Path) -> None:
    if previous is None:
        return
    source = ox.Store.read_only(str(previous))
    source.backup(str(staging))
    del source
    gc.collect()


def _point_current(root: Path, generation: Path) -> None:
    temporary = root / f".current-{os.getpid()}"
    if temporary.is_symlink():
        temporary.unlink()
    os.symlink(Path(GENERATIONS) / generation.name, temporary)
    crash_point("link made")
    os.replace(temporary, root / CURRENT)
    fsync_directory(root)


def fsync_directory(directory: Path) -> None:
    """Make a directory's entries (a rename, a new file) durable, not only its files' content."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _remove_unpublished(root: Path) -> None:
    """Remove what a killed writer left: staging directories, generations (with their artifacts)
    newer than ``current``, renamed into place but never published, and its temporary link."""
    for link in root.glob(".current-*"):
        link.unlink(missing_ok=True)
    published = _number(current_generation(root))
    for kind in (GENERATIONS, ARTIFACTS):
        for path in (root / kind).glob("*"):
            if path.name.startswith("tmp-") or _generation_number(path.name) > published:
                shutil.rmtree(path, ignore_errors=True)
    for path in (root / CHANGES).glob("*"):  # a change recorded for a generation never published
        if path.name.startswith("tmp-") or _generation_number(path.name.split(".", 1)[0]) > published:
            path.unlink(missing_ok=True)


def _generation_number(name: str) -> int:
    return int(name[1:]) if name.startswith("g") and name[1:].isdigit() else -1


def _remove_old(root: Path, current: Path) -> None:
    """Keep the last :data:`KEEP` generations; remove older ones, and their artifacts with them."""
    generations = sorted(p for p in (root / GENERATIONS).glob("g*") if p.is_dir())
    for path in generations[:-KEEP]:
        if path != current:
            shutil.rmtree(path, ignore_errors=True)
    for path in (root / ARTIFACTS).glob("g*"):
        if not (root / GENERATIONS / path.name).is_dir():
            shutil.rmtree(path, ignore_errors=True)
