"""Start, wait for, inspect and stop the HTTP servers the HTTP stage compares.

- kg: ``gunicorn -c gunicorn.conf.py server:app``, exactly as ``make serve`` runs it, with
  KG_STORE, KG_BASE_URI and KG_BIND in the environment, plus any extra settings the caller gives
  (the HTTP stage starts a second kg, "kg-nocache", with KG_CACHE_BYTES=0).
- the reference: ``oxigraph serve --location DIR --bind 127.0.0.1:PORT --union-default-graph``
  (the PyPI ``oxigraph`` package's server: the same engine as kg's store, with no Python in front).

Each binds a free port on 127.0.0.1 and runs in its own session, so that stopping one kills
its whole process group (gunicorn's workers and their query processes) and nothing else.
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from processes import PYTHON, ROOT, BenchError, child_env

from kg.store.artifacts import end_with_parent

BIN = Path(PYTHON).parent
GUNICORN = BIN / "gunicorn"
OXIGRAPH = BIN / "oxigraph"
READY_TIMEOUT_S = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# No proxy, ever: every request of the benchmark goes to 127.0.0.1.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Server:
    """A running server: what it is, where it listens, and how long it took to answer 200."""

    name: str  # "kg", "kg-nocache" or "oxigraph"
    url: str  # http://127.0.0.1:PORT
    sparql_path: str  # /sparql or /query
    process: subprocess.Popen
    log: Path
    started: float  # time.perf_counter() just before Popen
    ready_s: float = 0.0
    config: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, *, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None,
          timeout: float = 60.0) -> Reply:
    """One HTTP request; any status (4xx/5xx/304 included) is returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def start_kg(store: Path, base_uri: str, log: Path, extra_env: dict[str, str] | None = None,
             name: str = "kg") -> Server:
    """gunicorn with the project's own gunicorn.conf.py (its defaults: KG_WEB_WORKERS, KG_WEB_THREADS).

    ``extra_env`` adds KG_* settings (e.g. ``{"KG_CACHE_BYTES": "0"}``); they are recorded in the config.
    """
    port = free_port()
    env = child_env({"KG_STORE": str(store), "KG_BASE_URI": base_uri, "KG_BIND": f"127.0.0.1:{port}",
                     **(extra_env or {})})
    command = [str(GUNICORN), "-c", "gunicorn.conf.py", "server:app"]
    config = {"command": " ".join(command), "KG_BASE_URI": base_uri, "KG_BIND": f"127.0.0.1:{port}",
              "KG_WEB_WORKERS": env.get("KG_WEB_WORKERS", "2 (gunicorn.conf.py default)"),
              "KG_WEB_THREADS": env.get("KG_WEB_THREADS", "4 (gunicorn.conf.py default)"),
              "KG_QUERY_WORKERS": env.get("KG_QUERY_WORKERS", "2 (kg/config.py default)"),
              "KG_CACHE_BYTES": env.get("KG_CACHE_BYTES", "67108864 (kg/config.py default)"),
              "extra_env": dict(extra_env or {})}
    return _start(name, command, env, port, "/sparql", log, config)


def start_oxigraph(location: Path, log: Path, union: bool = True, timeout_s: float | None = None) -> Server:
    """``oxigraph serve``: the reference (``union``: the default graph is the union of the named
    graphs), or, with ``union=False``, a remote store for kg, which keeps that union itself;
    ``timeout_s``: the server's own query time limit."""
    port = free_port()
    command = [str(OXIGRAPH), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
               *(["--union-default-graph"] if union else []),
               *(["--timeout-s", f"{timeout_s:g}"] if timeout_s is not None else [])]
    config = {"command": " ".join([OXIGRAPH.name, *command[1:]])}
    return _start("oxigraph", command, child_env(), port, "/query", log, config)


def _start(name: str, command: list[str], env: dict, port: int, sparql_path: str, log: Path,
           config: dict) -> Server:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   # SIGTERM when the benchmark ends, even by SIGKILL: a stopped run
                                   # leaves no server measuring beside the next one
                                   preexec_fn=functools.partial(end_with_parent, os.getpid(), signal.SIGTERM))
    server = Server(name, f"http://127.0.0.1:{port}", sparql_path, process, log, started, config=config)
    try:
        server.ready_s = wait_ready(server)
    except BenchError:
        stop(server)
        raise
    return server


def wait_ready(server: Server) -> float:
    """Poll ``GET /`` every 10 ms; return seconds from Popen to the first 200."""
    deadline = server.started + READY_TIMEOUT_S
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited with {server.process.returncode} before answering; "
                             f"see {server.log}:\n{server.log.read_text(errors='replace')[-2000:]}")
        try:
            if fetch(server.url + "/", headers={"Accept": "text/html"}, timeout=5).status == 200:
                return time.perf_counter() - server.started
        except OSError:
            pass
        time.sleep(0.01)
    raise BenchError(f"{server.name} did not answer 200 on {server.url}/ within {READY_TIMEOUT_S:.0f} s; "
                     f"see {server.log}")


def stop(server: Server) -> None:
    """SIGTERM the server's process group (graceful), SIGKILL what is left after 15 s."""
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(server.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.process.wait()


def cpu_seconds(server: Server, reaped: bool = False) -> dict[str, float]:
    """CPU time (user + system) used so far by each role in the server's session.

    Roles: ``master`` (the process started), ``web`` (gunicorn workers), ``query`` (kg's query
    processes, started by multiprocessing), ``server`` (oxigraph's single process). Read from
    /proc/PID/stat, so a process that already exited is not counted, unless ``reaped``: then each
    process also counts the time of its children that exited and were waited for (cutime,
    cstime), e.g. a query process killed at the time limit counts in its web worker's role; the
    sum over roles is then all the CPU the server used, the roles' shares less exact.
    """
    totals: dict[str, float] = {}
    for _pid, role, fields in _session_processes(server):
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        if reaped:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
        totals[role] = totals.get(role, 0.0) + ticks / CLOCK_TICKS
    return totals


def memory_kib(server: Server) -> list[dict]:
    """Resident memory of every process in the server's session now: pid, role, RSS and PSS in KiB.

    RSS is /proc/PID/status VmRSS (pages a forked worker shares with its parent count in both);
    PSS is /proc/PID/smaps_rollup Pss (shared pages divided among their sharers, so PSS adds up
    across processes; None when the kernel has no smaps_rollup). A process that exits while it
    is read is left out.
    """
    processes = []
    for pid, role, _fields in _session_processes(server):
        try:
            rss = _kib_field(Path(f"/proc/{pid}/status"), "VmRSS:")
        except OSError:
            continue
        try:
            pss = _kib_field(Path(f"/proc/{pid}/smaps_rollup"), "Pss:")
        except OSError:
            pss = None
        if rss is not None:
            processes.append({"pid": pid, "role": role, "rss_kib": rss, "pss_kib": pss})
    return sorted(processes, key=lambda item: item["pid"])


def _kib_field(path: Path, name: str) -> int | None:
    for line in path.read_text().splitlines():
        if line.startswith(name):
            return int(line.split()[1])
    return None


def _session_processes(server: Server):
    """(pid, role, /proc/PID/stat fields after the command name) of every process in the server's session."""
    session = server.process.pid
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state ppid pgrp session ...
        if int(fields[3]) != session:
            continue
        yield int(entry.name), _role(server, int(entry.name), cmdline), fields


def machine_cpu_seconds() -> dict[str, float]:
    """CPU seconds the whole machine has been busy (user, nice, system, irq, softirq) and stolen, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return {"busy": (user + nice + system + irq + softirq) / CLOCK_TICKS, "steal": steal / CLOCK_TICKS}


def _role(server: Server, pid: int, cmdline: bytes) -> str:
    if server.name == "oxigraph":
        return "server"
    if pid == server.process.pid:
        return "master"
    return "query" if b"multiprocessing" in cmdline else "web"
