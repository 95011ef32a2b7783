"""The README documents every setting, command, named query and exit code (datasette test_docs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT
from kg.cli import main
from kg.config import PROJECT_DIR, SETTINGS
from kg.store import list_queries

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=[s.name for s in SETTINGS])
def test_every_setting_is_documented(setting):
    assert f"`{setting.name}` | `{setting.env}`" in README


@pytest.mark.parametrize("setting", SETTINGS, ids=[s.name for s in SETTINGS])
def test_every_documented_default_is_the_table_default(setting):
    """The README's default column starts with the row's default (a project path as `shapes/`); an unset
    default is said in words ("unset", "half of ...")."""
    row = re.search(rf"^\| `{setting.name}` \| `{setting.env}` \| ([^|]*) \|", README, re.MULTILINE)
    assert row, setting.name
    documented = row[1]
    if setting.default is None:
        assert not documented.startswith("`"), documented
        return
    default = str(setting.default)
    if default.startswith(str(PROJECT_DIR)):
        default = Path(default).relative_to(PROJECT_DIR).as_posix() + "/"
    assert documented.startswith(f"`{default}`"), (documented, default)


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_documented(command):
    assert f"`kg {command}" in README


@pytest.mark.parametrize("query", list_queries(ROOT / "queries"), ids=lambda q: q.name)
def test_every_named_query_is_documented(query):
    assert f"| `{query.name}` |" in README


def test_exit_codes_are_documented():
    for code in range(4):
        assert re.search(rf"^\| {code} \| ", README, re.MULTILINE)


def test_readme_shows_the_two_set_up_commands_first():
    assert README.index("make serve") < README.index("make test") < README.index("## Command line")
