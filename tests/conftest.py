"""Shared fixtures: settings on tmp_path, the shipped sample built into a store, a CLI runner."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Dataset

from kg.cli import main
from kg.config import Settings, load_settings
from kg.pipeline import ingest
from kg.store import open_store

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLE_CLUSTER = ROOT / "data" / "records" / "arrow-author-cluster-leon-bottou.txt"
SAMPLE_PROFILE = ROOT / "data" / "records" / "researcher-profile-leon-bottou.txt"
SAMPLE = [SAMPLE_CLUSTER, SAMPLE_PROFILE]
EPOCH = 1767225600  # 2026-01-01T00:00:00Z: fixed 'retrieved on' so builds can be compared


def make_settings(store: Path, **overrides) -> Settings:
    return load_settings({}, overrides={"store": store, "source_date_epoch": EPOCH, **overrides})


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path / "store")


def dump_dataset(settings: Settings) -> Dataset:
    """The store's N-Quads dump, parsed back by rdflib (default graph = union of named graphs)."""
    out = io.BytesIO()
    open_store(settings.store, settings.base_uri).dump(out, "nquads")
    dataset = Dataset(default_union=True)
    dataset.parse(data=out.getvalue().decode("utf-8"), format="nquads")
    return dataset


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory) -> Settings:
    """A store with the shipped sample ingested once for the whole session (read it, don't write it)."""
    settings = make_settings(tmp_path_factory.mktemp("sample") / "store")
    ingest(SAMPLE, settings)
    return settings


@pytest.fixture(scope="session")
def sample_graph(sample_settings) -> Dataset:
    return dump_dataset(sample_settings)


def tree_digest(path: Path) -> dict[str, str]:
    """SHA-256 of every file under a directory (symlinks by target), to prove nothing changed."""
    digests = {}
    for item in sorted(path.rglob("*")):
        relative = str(item.relative_to(path))
        if item.is_symlink():
            digests[relative] = "-> " + os.readlink(item)
        elif item.is_file():
            digests[relative] = hashlib.sha256(item.read_bytes()).hexdigest()
    return digests


@pytest.fixture
def run_kg():
    """Run the real CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run
