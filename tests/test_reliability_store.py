"""The store under hostile conditions: kill -9 mid-ingest, a full disk, a read-only store, and an
ingest while the server answers.

Each checks the same promise: the store opens afterwards and holds the graph from before the
ingest or the one after it, never a mix; a write that cannot happen fails with one line that
names the store (exit code 2, README "Exit codes"), never a traceback.

The many-kills loop and the many-switches test are ``@pytest.mark.slow`` (``make reliability``;
KG_RELIABILITY_KILLS sets how many kills, default 25); the rest runs in the default suite. The
many-switches test of pages is an expected failure until a page is read from one generation.
The full-disk and read-only tests need root (to mount a tmpfs or a read-only bind mount, to run
kg as an unprivileged user, or as root without the capabilities that override permission bits);
without it they skip and say why, except where ``KG_REQUIRE_ROOT_TESTS=1`` (.ci/run, which runs
as root, sets it): there a test that cannot run fails, so no guarantee is skipped in silence.
"""

from __future__ import annotations

import gc
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from conftest import (
    EPOCH,
    HOSTILE,
    ROOT,
    SAMPLE,
    free_port,
    http_fetch,
    leftovers,
    make_settings,
    start_gunicorn,
    stop,
    tree_digest,
    wait_until_serving,
)
from kg.errors import StoreError
from kg.pipeline import ingest
from kg.store import open_store

KG = [sys.executable, "-m", "kg"]
GENERATE = ROOT / "bench" / "generate.py"
NOBODY = 65534  # the unprivileged user of Debian and most distributions
AUTHOR = "author/leon-bottou"  # a person of the sample, whose page the second batch changes
KILLS = int(os.environ.get("KG_RELIABILITY_KILLS", "25"))


def kg_env() -> dict[str, str]:
    return {"SOURCE_DATE_EPOCH": str(EPOCH), "PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}


@dataclass(frozen=True)
class Confinement:
    """How to run a command with fewer rights: a command prefix, subprocess arguments, and, for a
    user who cannot reach this checkout's interpreter (pyenv's lives in /root, mode 0700), the
    system's Python of the same version with the venv's packages and the checkout on its path."""

    prefix: tuple[str, ...] = ()
    ids: tuple[tuple[str, object], ...] = ()
    python: str | None = None

    def run(self, command: list[str], **options) -> subprocess.CompletedProcess:
        command, options = self._arguments(command, options)
        return subprocess.run(command, **options)

    def popen(self, command: list[str], **options) -> subprocess.Popen:
        command, options = self._arguments(command, options)
        return subprocess.Popen(command, **options)

    def _arguments(self, command: list[str], options: dict) -> tuple[list[str], dict]:
        options = {**dict(self.ids), **options}
        if self.python is not None:
            if command[0] == sys.executable:
                command = [self.python, *command[1:]]
            elif Path(command[0]).name == "gunicorn":
                command = [self.python, "-m", "gunicorn", *command[1:]]
            env = dict(options.get("env") or os.environ)
            env["PYTHONPATH"] = f"{ROOT}:{sysconfig.get_paths()['purelib']}"
            options["env"] = env
        return [*self.prefix, *command], options


def skip_unless_required(why: str) -> None:
    """Skip a test that needs root, or fail it where .ci/run (as root) requires that it runs."""
    if os.environ.get("KG_REQUIRE_ROOT_TESTS") == "1":
        pytest.fail(f"KG_REQUIRE_ROOT_TESTS=1, yet this cannot run here: {why}")
    pytest.skip(why)


FREE = Confinement()
AS_NOBODY = Confinement(ids=(("user", NOBODY), ("group", NOBODY), ("extra_groups", [])))
SYSTEM_PYTHON = f"/usr/bin/python3.{sys.version_info.minor}"
# root, but without the capabilities that let root write past permission bits (setpriv, util-linux)
NO_OVERRIDE = Confinement(prefix=("setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"))


def kg_cli(*args, confined: Confinement = FREE, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real `kg` in a subprocess, from /, output as text."""
    return confined.run([*KG, *map(str, args)], env=kg_env(), cwd="/", capture_output=True, text=True,
                        timeout=timeout)


def cli_nquads(store: Path, confined: Confinement = FREE) -> bytes:
    """`kg dump --format nquads` of a store (it must open: exit 0), lines sorted."""
    result = confined.run([*KG, "dump", "--store", str(store), "--format", "nquads", "--output", "-"],
                          env=kg_env(), cwd="/", capture_output=True, timeout=300)
    assert result.returncode == 0, f"kg dump failed on {store}: {result.stderr.decode(errors='replace')}"
    return b"\n".join(sorted(result.stdout.splitlines()))


def nquads(store: Path) -> bytes:
    """The same dump, read in this process."""
    out = io.BytesIO()
    open_store(store, make_settings(store).base_uri).dump(out, "nquads")
    return b"\n".join(sorted(out.getvalue().splitlines()))


def generate(path: Path, papers: int, seed: int) -> Path:
    """Seeded, realistic paper records (bench/generate.py), the same bytes every time."""
    subprocess.run([sys.executable, str(GENERATE), "--papers", str(papers), "--seed", str(seed), "--output",
                    str(path), "--quiet"], check=True, capture_output=True, timeout=120)
    return path


def assert_store_error(result: subprocess.CompletedProcess, store: Path, *words: str) -> str:
    """A store error: exit code 2, no traceback, one line on stderr naming the store; returns it."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 2, f"exit {result.returncode}: {output}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"not one line: {result.stderr!r}"
    assert lines[0].startswith(f"Error: store {store}: "), lines[0]
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    return lines[0]


def copy_store(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


# -- kill -9 at random moments -------------------------------------------------------------------


def start_ingest(store: Path, records: Path) -> subprocess.Popen:
    """`kg ingest` in its own process group, so its forked SHACL workers can be killed with it."""
    return subprocess.Popen([*KG, "ingest", "--store", str(store), str(records)], env=kg_env(), cwd="/",
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def kill_group(process: subprocess.Popen) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def timed_ingest(store: Path, records: Path) -> tuple[float, float]:
    """Run one uninterrupted ingest; (seconds until `current` flipped, seconds until it exited)."""
    before = os.readlink(store / "current")
    start = time.monotonic()
    process = start_ingest(store, records)
    flipped = None
    while process.poll() is None and time.monotonic() - start < 600:
        if flipped is None and os.readlink(store / "current") != before:
            flipped = time.monotonic() - start
        time.sleep(0.005)
    assert process.wait(timeout=30) == 0
    ended = time.monotonic() - start
    return (flipped if flipped is not None else ended), ended


# The steps of a write, seen from outside: a kill as soon as one is seen lands in the window that
# follows it, the windows random moments rarely hit (kg/store/generations.py, stage_generation).
STEPS = {  # the last first: a short run (KG_RELIABILITY_KILLS=5) still kills once after the flip
    "current flipped": lambda store: os.readlink(store / "current").endswith("g000002"),
    "generation renamed": lambda store: (store / "generations" / "g000002").exists(),
    "artifacts renamed": lambda store: (store / "artifacts" / "g000002").exists(),
    "staging": lambda store: (store / "generations" / "tmp-g000002").exists(),
}


def plan_kills(rng: random.Random, count: int) -> list[tuple[str, float]]:
    """Mostly moments spread over the whole run (fractions of its length, one random moment in each
    of equal slices); a fifth of them at the steps of the write."""
    steps = [(step, 0.0) for step in list(STEPS) * count][: count // 5]
    spread = count - len(steps)
    plan = [("moment", (i + rng.random()) / spread) for i in range(spread)] + steps
    rng.shuffle(plan)
    return plan


def kill_when(process: subprocess.Popen, store: Path, how: str, at: float, seconds: float) -> bool:
    """kill -9 the ingest at fraction ``at`` of ``seconds``, or as soon as step ``how`` is seen;
    False when it finished first. Only the ingest's own process, as `kill -9 PID` would: the
    workers it forked live on for a while (the caller ends them later)."""
    start = time.monotonic()
    if how == "moment":
        time.sleep(max(0.0, start + at * seconds - time.monotonic()))
    else:
        seen = STEPS[how]
        while process.poll() is None and time.monotonic() - start < 600:
            with suppress(OSError):
                if seen(store):
                    break
            time.sleep(0.001)
    finished = process.poll() is not None
    with suppress(ProcessLookupError):
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return not finished


@pytest.mark.slow
@pytest.mark.timeout(300 + 30 * KILLS)  # about 8 s a kill here, on a busy 2-core machine
def test_kill_minus_nine_at_random_moments_leaves_the_graph_before_or_after(tmp_path):
    count = KILLS
    records = generate(tmp_path / "records.jsonl", 500, seed=7)
    base = tmp_path / "base"
    ingest(SAMPLE, make_settings(base))
    before = cli_nquads(base)
    full = copy_store(base, tmp_path / "full")
    flip, ended = timed_ingest(full, records)
    after = cli_nquads(full)
    assert after != before
    shutil.rmtree(full)
    durations = [ended]  # the machine is shared: the run's length is re-estimated as it goes

    rng = random.Random(20260101)
    outcomes: Counter = Counter()
    steps: Counter = Counter()
    plan = plan_kills(rng, count)
    began = time.monotonic()
    for trial in range(2 * count):  # bounded: a run that ends before its kill is tried again
        if not plan:
            break
        how, at = plan[0]
        seconds = sorted(durations)[len(durations) // 2] * 0.97
        store = copy_store(base, tmp_path / f"trial-{trial}")
        started = time.monotonic()
        process = start_ingest(store, records)
        killed = kill_when(process, store, how, at, seconds)
        if not killed:
            durations.append(time.monotonic() - started)
            outcomes["finished first"] += 1
        stats = kg_cli("stats", "--json", "--store", store)
        assert stats.returncode == 0, f"{how} {at:.2f}: the store does not open after the kill: {stats.stderr}"
        state = cli_nquads(store)
        assert state in (before, after), f"{how} {at:.2f}: the store holds neither graph"
        outcome = "after" if state == after else "before"
        generation = json.loads(stats.stdout)["generation"]
        assert generation == ("g000002" if outcome == "after" else "g000001"), (how, at, generation)
        if killed:
            plan.pop(0)
            outcomes[outcome] += 1
            steps[f"{how}:{outcome}"] += how != "moment"
        if trial % 5 == 4:  # now and then: the next ingest, at once, cleans up and reaches the same graph
            resumed = kg_cli("ingest", "--store", store, records)
            assert resumed.returncode == 0, resumed.stderr
            assert cli_nquads(store) == after
            assert leftovers(store) == [], leftovers(store)
        kill_group(process)  # the killed ingest's forked workers, if any are still alive
        shutil.rmtree(store)
    seconds = time.monotonic() - began
    kills = outcomes["before"] + outcomes["after"]
    at_steps = ", ".join(f"{key} {n}" for key, n in sorted(steps.items()) if n)
    print(f"\nkill -9: {kills} kills, {outcomes['before']} left the graph before, {outcomes['after']} after; "
          f"{seconds:.0f} s (ingest {ended:.1f} s, flip at {flip:.1f} s; {outcomes['finished first']} runs ended "
          f"before their kill; at steps: {at_steps})")
    assert kills == count, f"only {kills} of {count} kills in {2 * count} runs: {outcomes}"
    assert outcomes["before"] > 0, outcomes
    if count >= 5:  # one kill waits for the flip
        assert outcomes["after"] > 0, outcomes


# -- a full disk ---------------------------------------------------------------------------------


def mount(*args: str) -> str | None:
    """Run mount(8); None when it worked, else why not (for a skip message)."""
    if os.geteuid() != 0:
        return "not root"
    try:
        result = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        return "no mount command"
    return None if result.returncode == 0 else (result.stderr.strip() or f"mount exited {result.returncode}")


def unmount(path: Path) -> None:
    gc.collect()  # stores this process opened on it
    if subprocess.run(["umount", str(path)], capture_output=True, timeout=30).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


def used_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return (stats.f_blocks - stats.f_bfree) * stats.f_frsize


def test_full_disk_fails_with_one_line_and_loses_nothing(tmp_path):
    batch = generate(tmp_path / "batch.jsonl", 300, seed=11)
    disk = tmp_path / "disk"
    disk.mkdir()
    if why := mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)):
        skip_unless_required(f"cannot mount a small tmpfs to fill up ({why}): needs root outside a restricted "
                             "container")
    try:
        # Measure, on this file system, what the sample and then the batch take.
        empty = used_bytes(disk)
        probe = disk / "probe"
        ingest(SAMPLE, make_settings(probe))
        sample = used_bytes(disk) - empty
        ingest([batch], make_settings(probe))
        grown = used_bytes(disk) - empty - sample
        after = nquads(probe)
        shutil.rmtree(probe)
        size = (sample + grown // 3) // 4096 * 4096 + 4096  # the sample fits, the batch does not
        assert mount("-o", f"remount,size={size}", str(disk)) is None

        store = disk / "store"
        built = kg_cli("ingest", "--store", store, *SAMPLE)
        assert built.returncode == 0, built.stderr
        before, digest = nquads(store), tree_digest(store)

        failed = kg_cli("ingest", "--store", store, batch)
        message = assert_store_error(failed, store, "disk is full", "nothing was written")
        assert tree_digest(store) == digest
        assert leftovers(store) == []
        assert kg_cli("stats", "--store", store).returncode == 0
        assert cli_nquads(store) == before
        # The same in this process, keeping the error (as a caller that logs it would): the failed
        # write must still have closed its copy, or the copy's deleted files keep their space and
        # its RocksDB lock makes the retry below fail.
        gc.collect()
        room = used_bytes(disk)
        with pytest.raises(StoreError, match="disk is full") as failure:
            ingest([batch], make_settings(store))
        assert tree_digest(store) == digest
        assert used_bytes(disk) <= room + 64 * 1024, "the failed write still holds space"
        # With room again, the same ingest succeeds.
        assert mount("-o", "remount,size=64m", str(disk)) is None
        ingest([batch], make_settings(store))
        del failure
        assert nquads(store) == after
        assert leftovers(store) == []
        print(f"\nfull disk: tmpfs of {size // 1024} KiB (sample {sample // 1024} KiB, batch +{grown // 1024} KiB): "
              f"{message}")
    finally:
        unmount(disk)


# -- a read-only store ---------------------------------------------------------------------------


@pytest.fixture
def shared_dir():
    """A directory every user can read (pytest's tmp_path is root's alone, mode 0700)."""
    path = Path(tempfile.mkdtemp(prefix="kg-read-only-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def counts_query(base: str) -> str:
    """Numbers that change together with a batch, in one query: persons, works, identity-graph quads."""
    return f"""SELECT ?persons ?works ?identity WHERE {{
      {{ SELECT (COUNT(DISTINCT ?p) AS ?persons) WHERE {{ ?p a <https://schema.org/Person> }} }}
      {{ SELECT (COUNT(DISTINCT ?w) AS ?works) WHERE {{ ?w a <https://schema.org/ScholarlyArticle> }} }}
      {{ SELECT (COUNT(*) AS ?identity) WHERE {{ GRAPH <{base}graph/identity> {{ ?s ?x ?o }} }} }}
    }}"""


def counts_here(store: Path, base: str) -> tuple[int, ...]:
    _names, rows = open_store(store, base).select(counts_query(base))
    return tuple(int(value) for value in rows[0])


def counts_served(base: str, tag: str = "") -> tuple[int, tuple[int, ...] | bytes]:
    """POST the counts query; (status, the numbers) or (status, the body) when it is not 200."""
    status, _headers, body = http_fetch(f"{base}sparql{tag}", "application/sparql-results+json", "POST",
                                        counts_query(base).encode(), Content_Type="application/sparql-query")
    if status != 200:
        return status, body
    row = json.loads(body)["results"]["bindings"][0]
    return status, tuple(int(row[name]["value"]) for name in ("persons", "works", "identity"))


def start_server_as(settings, port: int, confined: Confinement, log: Path) -> subprocess.Popen:
    """gunicorn as conftest.start_gunicorn starts it, but confined."""
    if confined == FREE:
        return start_gunicorn(settings, port)
    env = {**os.environ, "KG_STORE": str(settings.store), "KG_BASE_URI": settings.base_uri,
           "KG_ARTIFACTS_DIR": str(settings.artifacts_dir), "KG_STORE_UPDATE": "", "KG_BIND": f"127.0.0.1:{port}",
           "HOME": "/tmp"}
    with open(log, "ab") as out:
        process = confined.popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
                                  "server:app"], cwd=ROOT, env=env, stdout=out, stderr=out)
    process.log_path = log
    return process


def read_only_view(method: str, store: Path, directory: Path) -> tuple[Path, Confinement, str | None]:
    """(the path to use, how to run kg, why it is impossible or None) for one way of making the
    store read-only to kg. As root, permission bits alone stop nothing."""
    if os.geteuid() != 0:
        return store, FREE, "not root: cannot switch users, drop capabilities or mount"
    if method == "unprivileged user":
        why = "no interpreter"
        for confined in (AS_NOBODY, replace(AS_NOBODY, python=SYSTEM_PYTHON)):
            try:
                probe = kg_cli("--version", confined=confined, timeout=60)
            except OSError as exc:  # the interpreter itself is out of reach
                why = f"uid {NOBODY} cannot run {confined.python or os.path.realpath(sys.executable)} ({exc})"
                continue
            if probe.returncode == 0:
                return store, confined, None
            why = f"uid {NOBODY} cannot run kg from this checkout: {probe.stderr.strip()[-200:]}"
        return store, FREE, why
    if method == "permission bits":
        try:
            probe = kg_cli("--version", confined=NO_OVERRIDE, timeout=60)
        except OSError as exc:
            return store, FREE, f"no setpriv ({exc})"
        if probe.returncode != 0:
            return store, FREE, f"setpriv cannot drop the capabilities: {probe.stderr.strip()[-200:]}"
        for path in [store, *store.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o555 if path.is_dir() else 0o444)
        return store, NO_OVERRIDE, None
    view = directory / "read-only"
    view.mkdir()
    if why := mount("--bind", str(store), str(view)):
        return view, FREE, f"cannot bind-mount the store ({why})"
    if why := mount("-o", "remount,ro,bind", str(view)):
        unmount(view)
        return view, FREE, f"cannot remount the bind mount read-only ({why})"
    return view, FREE, None


@pytest.mark.parametrize("method", ["unprivileged user", "permission bits", "read-only bind mount"])
def test_read_only_store_refuses_the_write_in_one_line_and_still_serves_reads(method, shared_dir):
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    settings = make_settings(shared_dir / "store", base_uri=base)
    ingest(SAMPLE, settings)
    before, expected = nquads(settings.store), counts_here(settings.store, base)
    store, confined, why = read_only_view(method, settings.store, shared_dir)
    if why:
        skip_unless_required(f"{method}: {why}")
    server = None
    try:
        digest = tree_digest(settings.store)
        refused = kg_cli("ingest", "--store", store, "--base-uri", base, HOSTILE, confined=confined)
        message = assert_store_error(refused, store, "read-only", "nothing was written")
        assert tree_digest(settings.store) == digest

        stats = kg_cli("stats", "--json", "--store", store, confined=confined)
        assert stats.returncode == 0, stats.stderr
        assert json.loads(stats.stdout)["persons"] == expected[0]
        query = kg_cli("query", "--store", store, "--base-uri", base, "--json", counts_query(base), confined=confined)
        assert query.returncode == 0, query.stderr
        row = json.loads(query.stdout)["results"]["bindings"][0]
        assert tuple(int(row[name]["value"]) for name in ("persons", "works", "identity")) == expected
        assert cli_nquads(store, confined) == before

        server = start_server_as(make_settings(store, base_uri=base), port, confined, shared_dir / "gunicorn.log")
        wait_until_serving(base, server)
        assert counts_served(base) == (200, expected)
        status, _headers, page = http_fetch(base + AUTHOR)
        assert status == 200 and b"Bottou" in page
        assert tree_digest(settings.store) == digest
        print(f"\nread-only ({method}): {message}")
    finally:
        if server is not None:
            stop(server)
        if method == "read-only bind mount":
            unmount(store)
        for path in [settings.store, *settings.store.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)


# -- an ingest while the server answers ----------------------------------------------------------


@dataclass
class Read:
    kind: str  # "sparql" | "page"
    seq: int
    started: float
    ended: float
    status: int | None
    answer: object  # the numbers, or the page's bytes, or the error


def read_repeatedly(base: str, done: dict, reads: list[Read]) -> None:
    """POST the counts query and GET an author page, in turn, until 2 s after the ingest (60 s at most)."""
    limit = time.monotonic() + 60
    seq = 0
    while time.monotonic() < limit and not ("at" in done and time.monotonic() > done["at"] + 2):
        seq += 1
        for kind in ("sparql", "page"):
            started = time.monotonic()
            try:
                if kind == "sparql":
                    status, answer = counts_served(base, f"?seq={seq}")
                else:
                    status, _headers, answer = http_fetch(f"{base}{AUTHOR}?seq={seq}")
            except OSError as exc:
                status, answer = None, repr(exc)
            reads.append(Read(kind, seq, started, time.monotonic(), status, answer))


def with_bottou(records: Path, path: Path) -> Path:
    """The records, plus two papers by a person of the sample, so that person's page changes too."""
    extra = [{"type": "paper", "title": f"Reliable stores, part {i}", "authors": ["Léon Bottou", f"Ada Mirza {i}"],
              "year": 2025, "venue": "Workshop on Crash Safety", "venue_kind": "workshop"} for i in (1, 2)]
    path.write_text(records.read_text(encoding="utf-8") + "".join(json.dumps(r) + "\n" for r in extra),
                    encoding="utf-8")
    return path


def switches(labels: list[str]) -> int:
    return sum(1 for a, b in zip(labels, labels[1:], strict=False) if a != b)


@pytest.mark.parametrize("cache", ["cached", "uncached"])
def test_readers_see_the_old_or_the_new_graph_while_an_ingest_runs(cache, tmp_path):
    """Cached: each worker keeps answers per generation (kg.web.cache), so this checks the cache
    never serves one generation's answer for another. Uncached: every page is read afresh, with
    several queries, so a page read across the switch would show a mix."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    settings = make_settings(tmp_path / "store", base_uri=base)
    ingest(SAMPLE, settings)
    batch = with_bottou(generate(tmp_path / "generated.jsonl", 300, seed=3), tmp_path / "batch.jsonl")
    before = counts_here(settings.store, base)
    access = tmp_path / "access.log"
    process = start_gunicorn(settings, port, {
        "GUNICORN_CMD_ARGS": f"--access-logfile {access} --access-logformat '%(p)s %(m)s %(U)s %(q)s %(s)s'",
        **({"KG_CACHE_BYTES": "0"} if cache == "uncached" else {})})
    try:
        wait_until_serving(base, process)
        assert counts_served(base) == (200, before)
        status, _headers, page_before = http_fetch(base + AUTHOR)
        assert status == 200

        done: dict = {}
        reads: list[Read] = []
        reader = threading.Thread(target=read_repeatedly, args=(base, done, reads), daemon=True)
        reader.start()
        time.sleep(0.5)  # some answers before the ingest starts
        began = time.monotonic()
        writer = subprocess.run([*KG, "ingest", "--store", str(settings.store), "--base-uri", base, str(batch)],
                                env=kg_env(), cwd="/", capture_output=True, text=True, timeout=300)
        done["at"] = ended = time.monotonic()
        reader.join(timeout=90)
        assert not reader.is_alive()
        assert writer.returncode == 0, writer.stderr

        after = counts_here(settings.store, base)
        assert after != before
        assert counts_served(base) == (200, after)  # picked up without a restart
        status, _headers, page_after = http_fetch(base + AUTHOR)
        assert status == 200 and page_after != page_before
        assert b"Reliable stores, part 1" in page_after

        failures = [(r.kind, r.seq, r.status, r.answer) for r in reads if r.status != 200]
        assert not failures, failures[:5]
        queries = [r for r in reads if r.kind == "sparql"]
        pages = [r for r in reads if r.kind == "page"]
        mixed = [r.answer for r in queries if r.answer not in (before, after)]
        assert not mixed, f"answers that are neither the old graph {before} nor the new {after}: {mixed[:5]}"
        mixed_pages = [r.seq for r in pages if r.answer not in (page_before, page_after)]
        assert not mixed_pages, f"author pages that are neither the old nor the new one, at reads {mixed_pages[:5]}"

        labels = ["new" if r.answer == after else "old" for r in queries]
        page_labels = ["new" if r.answer == page_after else "old" for r in pages]
        late = [r.seq for r in reads if r.started > ended and r.answer not in (after, page_after)]
        assert not late, f"old answers to requests made after the ingest ended: {late[:5]}"

        workers = served_by(access)
        during = [r for r in reads if r.started >= began and r.ended <= ended]
        switch_at = labels.index("new") if "new" in labels else None
        around = [f"{labels[i]}@{workers.get(('POST', queries[i].seq), '?')}"
                  for i in range(max(0, (switch_at or 0) - 3), min(len(queries), (switch_at or 0) + 3))]
        print(f"\ningest while serving ({cache}): {len(reads)} reads ({len(queries)} queries, {len(pages)} pages), "
              f"{len(during)} during the {ended - began:.1f}s ingest; {len(set(workers.values()))} workers answered; "
              f"query answers switched {switches(labels)} time(s), pages {switches(page_labels)}; "
              f"around the switch: {' '.join(around)}")
        assert labels[0] == "old" and labels[-1] == "new"
        assert switches(labels) == 1, f"the answers went back to the old graph: {labels}"
        assert switches(page_labels) == 1, f"the author page went back to the old graph: {page_labels}"
        assert len(during) >= 4, "too few reads during the ingest to show anything"
    finally:
        stop(process)


def served_by(access: Path) -> dict[tuple[str, int], str]:
    """(method, seq) -> the pid of the gunicorn worker that answered, from the access log."""
    found = {}
    if access.exists():
        for line in access.read_text(errors="replace").splitlines():
            if match := re.match(r"<(\d+)> (\w+) \S+ seq=(\d+) ", line):
                found[(match[2], int(match[3]))] = match[1]
    return found


# -- many switches: a reader that spans one ------------------------------------------------------


def flip_current(root: Path, stop_flipping: threading.Event, every: float) -> int:
    """Point `current` at g000001 and g000002 in turn (os.replace of a link, as a writer does)."""
    flips = 0
    while not stop_flipping.is_set():
        link = root / ".current-flip"
        with suppress(FileNotFoundError):
            link.unlink()
        os.symlink(f"generations/g00000{1 + flips % 2}", link)
        os.replace(link, root / "current")
        flips += 1
        time.sleep(every)
    return flips


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sparql", "page"])  # a page: several queries, one pinned generation
def test_an_answer_read_across_a_switch_is_not_a_mix(kind, tmp_path):
    """Far more switches than ingests make (one every few ms, back and forth between two published
    generations), so that many reads span one; uncached, so every read is made afresh."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    settings = make_settings(tmp_path / "store", base_uri=base)
    ingest(SAMPLE, settings)
    ingest([with_bottou(generate(tmp_path / "generated.jsonl", 300, seed=3), tmp_path / "batch.jsonl")], settings)
    root = Path(settings.store)
    process = start_gunicorn(settings, port, {"KG_CACHE_BYTES": "0"})
    try:
        wait_until_serving(base, process)
        read = (lambda: counts_served(base)) if kind == "sparql" else (lambda: http_fetch(base + AUTHOR)[::2])
        expected = []
        for generation in ("g000001", "g000002"):
            link = root / ".current-flip"
            os.symlink(f"generations/{generation}", link)
            os.replace(link, root / "current")
            status, answer = read()
            assert status == 200
            expected.append(answer)
        assert expected[0] != expected[1]
        stop_flipping = threading.Event()
        flipper = threading.Thread(target=flip_current, args=(root, stop_flipping, 0.003), daemon=True)
        flipper.start()
        seen: Counter = Counter()
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                status, answer = read()
                assert status == 200, answer
                seen["old" if answer == expected[0] else "new" if answer == expected[1] else "mixed"] += 1
        finally:
            stop_flipping.set()
            flipper.join(timeout=10)
        print(f"\nreads across switches ({kind}): {dict(seen)}")
        assert seen["old"] and seen["new"], seen
        assert not seen["mixed"], f"{seen['mixed']} of {sum(seen.values())} answers mix two generations"
    finally:
        stop(process)
