"""kg.config: one settings table, every default written once in it, gunicorn's settings included.

README "Settings": SETTINGS is the home of every default. Settings, DEFAULTS, the stores' and the web
layer's keyword defaults, the CLI help and gunicorn.conf.py take theirs from it; these tests fail
when a default is written a second time, or when the Makefile's knobs drift from it.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import runpy
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from kg.config import DEFAULTS, SETTINGS, Settings, load_settings
from kg.errors import ConfigError

GUNICORN_CONF = ROOT / "gunicorn.conf.py"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def converted_default(name: str) -> object:
    row = next(s for s in SETTINGS if s.name == name)
    return row.convert(row.name, row.default)


# -- one home per default ------------------------------------------------------------------------

def test_settings_has_one_field_per_row_in_order_with_its_default():
    fields = [(f.name, f.default) for f in dataclasses.fields(Settings)]
    assert fields == [(s.name, converted_default(s.name)) for s in SETTINGS]


def test_every_settings_field_takes_its_default_from_its_own_row():
    """Equal values are not enough: `query_timeout: float = 5.0` would pass the test above, written twice."""
    module = ast.parse((ROOT / "kg" / "config.py").read_text(encoding="utf-8"))
    settings = next(n for n in module.body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    for field in (n for n in settings.body if isinstance(n, ast.AnnAssign)):
        source = ast.unparse(field.value)
        assert source == f"_default({field.target.id!r})", f"Settings.{field.target.id} = {source}"


def test_the_defaults_are_what_nothing_set_gives():
    assert load_settings({}) == Settings() == DEFAULTS


def python_files() -> list[Path]:
    code = [p for p in sorted((ROOT / "kg").rglob("*.py")) if p != ROOT / "kg" / "config.py"]
    return [*code, ROOT / "server.py", GUNICORN_CONF]


TEXT_DEFAULTS = [str(s.default) for s in SETTINGS if isinstance(s.default, str) and len(s.default) >= 8]


def is_literal(node: ast.expr | None) -> bool:
    """A value written out (``5.0``, ``256 * 1024 * 1024``), not None and not read from anywhere."""
    if node is None or isinstance(node, ast.Constant) and node.value is None:
        return False
    return not any(isinstance(n, (ast.Name, ast.Attribute, ast.Call)) for n in ast.walk(node))


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_default_is_written_again_in_the_code(path):
    """A parameter or module constant named after a setting (``query_timeout``, ``MAX_INPUT_BYTES``) takes its
    value from DEFAULTS, not a literal; no text default (a path, URI, address or title) is spelled out again,
    in code or help text."""
    names = {s.name for s in SETTINGS}
    module = ast.parse(path.read_text(encoding="utf-8"))
    for node in (n for n in module.body if isinstance(n, (ast.Assign, ast.AnnAssign))):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in (t for t in targets if isinstance(t, ast.Name) and t.id.isupper() and t.id.lower() in names):
            assert not is_literal(node.value), f"line {node.lineno}: {target.id} = {ast.unparse(node.value)}"
    for node in ast.walk(module):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            defaults = [None] * (len(node.args.posonlyargs + node.args.args) - len(node.args.defaults))
            for argument, default in zip(arguments, [*defaults, *node.args.defaults, *node.args.kw_defaults],
                                         strict=True):
                assert not (argument.arg in names and is_literal(default)), \
                    f"{node.name}({argument.arg}={ast.unparse(default)})"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            spelled = [text for text in TEXT_DEFAULTS if text in node.value]
            assert not spelled, f"line {node.lineno}: {spelled}"


def makefile_default(name: str) -> str:
    match = re.search(rf"^{name}\s*\?=\s*(\S+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert match, name
    return match[1]


def test_the_makefile_knobs_are_the_table_defaults():
    """Make cannot read the table (it runs before the venv exists), so `make serve`'s STORE, HOST and PORT
    are written there too: held equal here."""
    assert makefile_default("STORE") == str(DEFAULTS.store)
    assert f"{makefile_default('HOST')}:{makefile_default('PORT')}" == DEFAULTS.bind


def test_the_default_base_uri_is_where_the_default_server_listens():
    """Minted URIs dereference on `make serve` as it comes."""
    assert DEFAULTS.base_uri == f"http://{DEFAULTS.bind}/"


# -- gunicorn's settings -------------------------------------------------------------------------

@pytest.mark.parametrize("bind", ["127.0.0.1:5000", "0.0.0.0:80", "localhost:8000", "kg.example.org:65535",
                                  "[::1]:5000", "[::]:5000", "unix:/run/kg/gunicorn.sock"])
def test_a_bind_address_is_host_port_or_a_unix_socket(bind):
    assert load_settings({"KG_BIND": bind}).bind == bind


@pytest.mark.parametrize("bind", ["", "5000", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                                  "127.0.0.1:http", "http://127.0.0.1:5000/", "::1:5000", "unix:", "a b:5000"])
def test_a_bad_bind_address_is_refused(bind):
    with pytest.raises(ConfigError, match="HOST:PORT") as raised:
        load_settings({"KG_BIND": bind})
    assert raised.value.key == "KG_BIND"


@pytest.mark.parametrize("env", ["KG_WEB_WORKERS", "KG_WEB_THREADS"])
@pytest.mark.parametrize("value", ["0", "-1", "many", "2.5", ""])
def test_web_workers_and_threads_are_positive_ints(env, value):
    with pytest.raises(ConfigError) as raised:
        load_settings({env: value})
    assert raised.value.key == env and str(raised.value).startswith(f"setting {env}=")
    assert raised.value.allowed == "a positive int"


@pytest.mark.parametrize("value, on", [("1", True), ("true", True), ("Yes", True), (" on ", True),
                                       ("0", False), ("false", False), ("NO", False), ("off", False), ("", False)])
def test_the_access_log_is_a_switch(value, on):
    assert load_settings({"KG_ACCESS_LOG": value}).access_log is on


def test_a_bad_access_log_switch_is_refused():
    with pytest.raises(ConfigError, match=r"KG_ACCESS_LOG='-' is not allowed: on \(1, true, yes, on\)"):
        load_settings({"KG_ACCESS_LOG": "-"})


def test_the_web_settings_are_table_rows_so_a_settings_file_may_hold_them(tmp_path):
    """One table, one set of keys: they are not command-line flags (web-server-only), and the server reads
    the environment only, but a TOML file shared with the server's settings is validated the same way."""
    file = tmp_path / "kg.toml"
    file.write_text('web_workers = 3\naccess_log = true\nbind = "0.0.0.0:8080"\n', encoding="utf-8")
    settings = load_settings({}, file)
    assert (settings.web_workers, settings.access_log, settings.bind) == (3, True, "0.0.0.0:8080")


def web_env(monkeypatch, **values: str) -> None:
    for setting in SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    for key, value in values.items():
        monkeypatch.setenv(key, value)


def test_gunicorn_conf_takes_the_table_defaults(monkeypatch):
    web_env(monkeypatch)
    conf = runpy.run_path(str(GUNICORN_CONF))
    assert (conf["bind"], conf["workers"], conf["threads"], conf["accesslog"]) == ("127.0.0.1:5000", 2, 4, None)


def test_gunicorn_conf_reads_the_environment_through_the_table(monkeypatch):
    web_env(monkeypatch, KG_BIND="0.0.0.0:8080", KG_WEB_WORKERS="3", KG_WEB_THREADS="8", KG_ACCESS_LOG="1")
    conf = runpy.run_path(str(GUNICORN_CONF))
    assert (conf["bind"], conf["workers"], conf["threads"], conf["accesslog"]) == ("0.0.0.0:8080", 3, 8, "-")


@pytest.mark.parametrize("env, value, allowed", [("KG_WEB_WORKERS", "many", "a positive int"),
                                                 ("KG_QUERY_TIMEOUT", "-1", "a positive float")])
def test_gunicorn_refuses_a_bad_setting_in_one_line(tmp_path, env, value, allowed):
    """gunicorn prints a traceback for an exception in its config file; the file says what is wrong in one
    line, exit 2 as `kg`, before the app is imported or a worker started (any KG_* setting, not only its own)."""
    clean = {key: text for key, text in os.environ.items() if not key.startswith("KG_")}
    result = subprocess.run([str(GUNICORN), "-c", str(GUNICORN_CONF), "--check-config", "server:app"], cwd=ROOT,
                            env={**clean, "KG_STORE": str(tmp_path / "store"), env: value},
                            capture_output=True, text=True, timeout=60)  # timeout: a guard against a hang only
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"Error: setting {env}={value!r} is not allowed: {allowed}\n"
