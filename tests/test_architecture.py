"""The data flows one way (README "Layout"): a stage imports only the base layer and earlier stages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kg"
BASE = {"kg", "kg.records", "kg.errors", "kg.vocab", "kg.config", "kg.uris", "kg.quads", "kg.formats"}
"""The base layer (ARCHITECTURE.md): what every stage may import."""
ORDER = [
    "sources", "parsers", "identity", "mapping", "validation", "inference", "store",
    "pipeline", "web", "cli", "__main__",
]


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ORDER else None


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(p for p in relative.parts if p != "__init__")
        yield name, path


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


ALL = list(modules())


def test_modules_found():
    assert len(ALL) > 15


@pytest.mark.parametrize("name, path", ALL, ids=[n for n, _ in ALL])
def test_stage_imports_only_earlier_stages(name, path):
    own = stage_of(name)
    for imported in imports(path):
        if not imported.startswith("kg") or imported in BASE:
            continue
        target = stage_of(imported)
        assert own is not None and target is not None, f"{name} imports {imported}"
        assert ORDER.index(target) <= ORDER.index(own), f"{name} ({own}) imports later stage {imported}"


@pytest.mark.parametrize("name, path", ALL, ids=[n for n, _ in ALL])
def test_libraries_stay_in_their_stage(name, path):
    found = {i.split(".")[0] for i in imports(path)}
    stage = stage_of(name)
    if "flask" in found:
        assert stage == "web", name
    if "click" in found:
        assert stage == "cli", name
    if stage in ("sources", "parsers", "identity"):
        assert not found & {"rdflib", "pyoxigraph", "pyshacl", "owlrl"}, f"{name} must not know RDF"
    if name in ("kg.records", "kg.errors", "kg.config"):
        assert not found & {"rdflib", "pyoxigraph"}, name
    if name in BASE:
        assert not found & {"pyoxigraph", "pyshacl", "flask"}, f"{name} is base layer: no engine, no web"


@pytest.mark.parametrize("name, path", ALL, ids=[n for n, _ in ALL])
def test_the_store_takes_changes_without_knowing_how_they_were_made(name, path):
    """The store reads the identity stage's lookups but never the mapping: quads and changes come
    from the base layer (kg.quads), the URI scheme too (kg.uris)."""
    if stage_of(name) == "store":
        assert not {i for i in imports(path) if i == "kg.mapping" or i.startswith("kg.mapping.")}, name


def test_base_modules_import_only_the_base_layer():
    for name, path in ALL:
        if name in BASE:
            kg_imports = {i for i in imports(path) if i.startswith("kg")}
            assert kg_imports <= BASE, f"{name} imports {kg_imports - BASE}"
