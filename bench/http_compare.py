"""The HTTP stage: kg's web server against ``oxigraph serve`` on the very same N-Quads (issue 5).

For each size: ``python -m kg ingest`` into a store and ``python -m kg dump --format nquads``
(both cached under bench/.cache/http/, keyed on the records and on kg's code, shapes,
ontology and schema), then ``oxigraph load`` of that dump into a reference directory. kg is
served by gunicorn exactly as ``make serve`` does, twice on the same store: "kg" with its
default answer cache (kg/web/cache.py: a repeated identical query or page is answered from
memory until the store changes) and "kg-nocache" with KG_CACHE_BYTES=0, which pays for every
request (the cold cost). The reference is ``oxigraph serve --union-default-graph``, because
kg's default graph is the union of its named graphs while the dump holds only named graphs.
Before any timing, the lookup and both aggregate queries must give the same rows on all three
servers, and so must the rotating lookup for a few of its authors.

Workloads (wrk, ``--runs`` repetitions of ``--http-duration`` seconds, or
``--http-latency-duration`` with 1 connection, in a rotating order; medians reported); each
kg workload runs on both kg servers, back to back with the reference run it is compared with:

- ``lookup``: one author's works (the same SELECT as section 4), POSTed as
  application/sparql-query, JSON results, 8 connections; and ``lookup-1c`` with 1 connection;
- ``lookup-many``: the same SELECT for up to MANY_AUTHORS different authors (those with the
  most works, in a fixed shuffled order), the requests cycling through them
  (bench/wrk_report.lua's ``request()``), 8 connections: no two consecutive requests repeat;
- kg dereferencing the author and one of their papers as HTML and as Turtle, and again with
  ``If-None-Match`` (304), 8 connections; the reference answers ``DESCRIBE <uri>`` as Turtle;
- ``venues`` and ``coauthors``: queries/count-works-per-venue.rq and list-coauthors.rq,
  1 connection (latency).

Only one wrk runs at a time, so the servers not being measured are idle. CPU seconds per role
(gunicorn workers, kg's query processes, oxigraph) are read from /proc around every run, and
so is the CPU everything else on the machine used meanwhile (other tenants skew a shared
machine). Start-up: seconds from Popen to the first 200 on ``/``, and to the first answered
lookup (kg with its default settings). Finally bench/web_profile.py times the lookup's layers
and profiles the dereferencing inside one process.
"""

from __future__ import annotations

import hashlib
import json
import random
import resource
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from processes import BENCH, CACHE, PYTHON, ROOT, BenchError, check, du_bytes, remove_tree, run_measured
from servers import Server, cpu_seconds, fetch, machine_cpu_seconds, start_kg, start_oxigraph, stop
from workers import LOOKUP
from wrk import Request, run_wrk, wrk_path, wrk_version

HTTP_CACHE = CACHE / "http"
BASE_URI = "http://127.0.0.1:5000/"  # kg's default base; the stores' URIs, whatever port the server binds
SCHEMA = "https://schema.org/"
JSON_RESULTS = "application/sparql-results+json"
TURTLE = "text/turtle"
HTML = "text/html"
AGGREGATES = {"venues": "count-works-per-venue.rq", "coauthors": "list-coauthors.rq"}
CODE_DIRS = ("kg", "shapes", "ontology", "schema")
WARM_UP_S = 1.0
SELECT_TIMEOUT_S = 600.0  # the checks' SELECTs (not timed): the authors ranked by works take a while at 1M papers
# The kg servers, by name: extra KG_* settings of each (the reference is "oxigraph").
# Both run with a 120 s query limit and a 1 GiB result cap, as the reference has neither: the aggregates
# must answer at 100k papers (the co-author list is over kg's default 16 MiB cap there).
# And every wrk connection comes from 127.0.0.1, one client: its concurrency budget must not answer 429.
BENCH_TIMEOUT = {"KG_QUERY_TIMEOUT": "120", "KG_MAX_RESULT_BYTES": str(2**30), "KG_CLIENT_CONCURRENCY": "64"}
KG_SERVERS = {"kg": BENCH_TIMEOUT, "kg-nocache": {**BENCH_TIMEOUT, "KG_CACHE_BYTES": "0"}}
REFERENCE = "oxigraph"
MANY_AUTHORS = 1000  # lookup-many: this many authors with the most works (all, when there are fewer)
MANY_CHECKED = 5  # of which this many, from the most to the fewest works, must give the same rows everywhere
MANY_SEED = 5  # the order lookup-many cycles through its authors: shuffled with this seed
LOOKUP_WORKLOADS = ("lookup", "lookup-1c", "lookup-many")  # and one per aggregate of AGGREGATES
PAGE_WORKLOADS = ("html", "turtle", "304")


@dataclass(frozen=True)
class Workload:
    name: str
    server: str  # a name of KG_SERVERS, or REFERENCE
    request: Request
    connections: int


@dataclass(frozen=True)
class Subjects:
    author: str
    author_works: int
    paper: str
    etags: dict[str, str]  # kg path -> ETag of its HTML page
    many: tuple[tuple[str, int], ...]  # lookup-many's (author, works), in the order the requests cycle through
    authors: int  # how many authors the store has


def workloads_per_run() -> int:
    """wrk runs per round: each SPARQL workload on every server, each page workload on every kg plus a DESCRIBE."""
    servers = len(KG_SERVERS) + 1
    return (len(LOOKUP_WORKLOADS) + len(AGGREGATES)) * servers + 2 * (len(PAGE_WORKLOADS) * len(KG_SERVERS) + 1)


def http_steps(runs: int) -> int:
    """Progress-bar steps of one size: every wrk run, plus start-up and the profile."""
    return runs * workloads_per_run() + 2


# -- data ----------------------------------------------------------------------------------------


def code_version() -> str:
    """A digest of what decides the store's content: kg's code, shapes, ontology, schema."""
    digest = hashlib.sha256()
    for folder in CODE_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:10]


def ensure_data(size: int, records: Path) -> dict:
    """kg store, its N-Quads dump and the reference's directory for one size; built once per key."""
    key = hashlib.sha256(f"{records.name}\0{code_version()}".encode()).hexdigest()[:10]
    folder = HTTP_CACHE / f"{size}-{key}"
    info_file = folder / "data.json"
    if info_file.exists():
        return json.loads(info_file.read_text(encoding="utf-8")) | {"cached": True}
    for stale in HTTP_CACHE.glob(f"{size}-*"):
        remove_tree(stale)
    folder.mkdir(parents=True)
    store, dump, reference = folder / "store", folder / "dump.nq", folder / "oxigraph"
    ingest = check(run_measured([PYTHON, "-m", "kg", "ingest", "--store", str(store), str(records)]), "kg ingest")
    dumped = check(run_measured([PYTHON, "-m", "kg", "dump", "--store", str(store), "--format", "nquads",
                                 "--output", str(dump)]), "kg dump")
    loaded = check(run_measured([str(Path(PYTHON).parent / "oxigraph"), "load", "--location", str(reference),
                                 "--file", str(dump)]), "oxigraph load")
    info = {"folder": str(folder.relative_to(ROOT)), "store": str(store), "dump": str(dump),
            "reference": str(reference), "records": str(records.relative_to(ROOT)), "code_version": key,
            "ingest_s": ingest.wall_s, "dump_s": dumped.wall_s, "dump_bytes": dump.stat().st_size,
            "dump_lines": sum(1 for _ in open(dump, "rb")), "oxigraph_load_s": loaded.wall_s,
            "store_bytes": du_bytes(store / "current"), "reference_bytes": du_bytes(reference)}
    info_file.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info | {"cached": False}


# -- requests ------------------------------------------------------------------------------------


def sparql(server: Server, query: str, accept: str = JSON_RESULTS) -> Request:
    return Request(server.sparql_path, "POST", {"Content-Type": "application/sparql-query", "Accept": accept},
                   query.encode("utf-8"))


def send(server: Server, request: Request, timeout: float = 60.0):
    return fetch(server.url + request.path, method=request.method, body=request.body, headers=request.headers,
                 timeout=timeout)


def select_rows(server: Server, query: str) -> list[str]:
    """The solutions of a SELECT as sorted JSON strings (a multiset, comparable across servers)."""
    reply = send(server, sparql(server, query), timeout=SELECT_TIMEOUT_S)
    if reply.status != 200:
        raise BenchError(f"{server.name} answered {reply.status} to a SELECT: {reply.body[:500]!r}")
    bindings = json.loads(reply.body)["results"]["bindings"]
    return sorted(json.dumps(row, sort_keys=True) for row in bindings)


def path_of(iri: str) -> str:
    if not iri.startswith(BASE_URI):
        raise BenchError(f"{iri} is not under the base {BASE_URI}")
    return "/" + iri[len(BASE_URI):]


def pick_subjects(kg: Server, reference: Server) -> Subjects:
    """The author with the most works (ties by IRI), that author's first work by IRI, and lookup-many's authors.

    lookup-many takes the MANY_AUTHORS authors with the most works (one SELECT to the reference),
    shuffled with MANY_SEED so that long and short answers alternate from the first request on.
    """
    ranked = [json.loads(row) for row in select_rows(
        reference, f"SELECT ?a (COUNT(DISTINCT ?w) AS ?n) WHERE {{ ?w <{SCHEMA}author> ?a }} GROUP BY ?a")]
    ranked.sort(key=lambda row: (-int(row["n"]["value"]), row["a"]["value"]))
    if not ranked:
        raise BenchError("the reference has no schema:author triples; nothing to look up")
    many = [(row["a"]["value"], int(row["n"]["value"])) for row in ranked[:MANY_AUTHORS]]
    author, works = many[0]
    random.Random(MANY_SEED).shuffle(many)
    first = json.loads(select_rows(reference, f"SELECT ?w WHERE {{ ?w <{SCHEMA}author> <{author}> ; "
                                              f"<{SCHEMA}workExample> ?v }} ORDER BY ?w LIMIT 1")[0])
    paper = first["w"]["value"]
    etags = {}
    for iri in (author, paper):
        reply = send(kg, Request(path_of(iri), headers={"Accept": HTML}))
        if reply.status != 200 or "etag" not in reply.headers:
            raise BenchError(f"kg answered {reply.status} (ETag {reply.headers.get('etag')}) for {iri}")
        etags[path_of(iri)] = reply.headers["etag"]
    return Subjects(author, works, paper, etags, tuple(many), len(ranked))


def many_checked(subjects: Subjects) -> list[tuple[str, int]]:
    """MANY_CHECKED of lookup-many's authors, evenly spaced from the most works to the fewest."""
    ranked = sorted(subjects.many, key=lambda item: (-item[1], item[0]))
    picks = sorted({round(i * (len(ranked) - 1) / max(MANY_CHECKED - 1, 1)) for i in range(MANY_CHECKED)})
    return [ranked[i] for i in picks]


def same_rows(kgs: list[Server], reference: Server, name: str, query: str) -> dict:
    """Rows of ``query`` on every kg server against the reference's.

    Raises:
        BenchError: a kg server returns a different number of rows than the reference.
    """
    theirs = select_rows(reference, query)
    identical = {}
    for kg in kgs:
        ours = select_rows(kg, query)
        if len(ours) != len(theirs):
            raise BenchError(f"{name}: {kg.name} returns {len(ours)} rows, oxigraph serve {len(theirs)}; "
                             "not comparable")
        identical[kg.name] = ours == theirs
    return {"rows": len(theirs), "identical_rows": all(identical.values()), "identical_by_server": identical}


def verify(kgs: list[Server], reference: Server, subjects: Subjects) -> dict:
    """Same rows for the lookups and the aggregates on every server; sizes of the dereferenced answers.

    Raises:
        BenchError: a row count differs, or a request that is timed below does not answer as expected.
    """
    checks = {}
    queries = {"lookup": lookup_query(subjects.author)} | {name: aggregate_query(name) for name in AGGREGATES}
    for name, query in queries.items():
        checks[name] = same_rows(kgs, reference, name, query)
    checked = [same_rows(kgs, reference, f"lookup-many, {author}", lookup_query(author)) | {"author": author,
                                                                                            "works": works}
               for author, works in many_checked(subjects)]
    checks["lookup-many"] = {"authors": len(subjects.many), "checked": checked,
                             "identical_rows": all(check["identical_rows"] for check in checked)}
    servers = {server.name: server for server in [*kgs, reference]}
    for workload in workloads(kgs, reference, subjects):
        reply = send(servers[workload.server], workload.request.first())
        expected = 304 if workload.request.headers.get("If-None-Match") else 200
        if reply.status != expected:
            raise BenchError(f"{workload.server} {workload.name}: status {reply.status}, expected {expected}")
        checks.setdefault("answers", {})[f"{workload.server} {workload.name}"] = {
            "bytes": len(reply.body), "triples": count_triples(reply) if is_turtle(reply) else None}
    return checks


def is_turtle(reply) -> bool:
    return reply.headers.get("content-type", "").startswith(TURTLE)


def count_triples(reply) -> int:
    from rdflib import Graph

    return len(Graph().parse(data=reply.body.decode("utf-8"), format="turtle"))


def lookup_query(author: str) -> str:
    return LOOKUP.format(author=author)


def aggregate_query(name: str) -> str:
    return (ROOT / "queries" / AGGREGATES[name]).read_text(encoding="utf-8")


def rotating_lookup(server: Server, subjects: Subjects) -> Request:
    """lookup-many: the lookup SELECT once per author of ``subjects.many``, cycled through by wrk."""
    bodies = tuple(lookup_query(author).encode("utf-8") for author, _works in subjects.many)
    return Request(server.sparql_path, "POST", {"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS},
                   bodies=bodies)


def workload_groups(kgs: list[Server], reference: Server, subjects: Subjects) -> list[list[Workload]]:
    """The workloads, grouped so that each kg request runs next to the reference request it is compared with.

    A SPARQL group is the request on every kg server and on the reference; a page group is kg's
    three requests on the first kg server, the reference's DESCRIBE, then the same three on the
    next kg server, so that the DESCRIBE sits between the runs it is compared with.
    """
    author, paper = path_of(subjects.author), path_of(subjects.paper)
    servers = [*kgs, reference]
    groups = []
    for name, connections in (("lookup", 8), ("lookup-1c", 1)):
        groups.append([Workload(name, server.name, sparql(server, lookup_query(subjects.author)), connections)
                       for server in servers])
    groups.append([Workload("lookup-many", server.name, rotating_lookup(server, subjects), 8) for server in servers])
    for name in AGGREGATES:
        groups.append([Workload(name, server.name, sparql(server, aggregate_query(name)), 1) for server in servers])
    for label, path, iri in (("author", author, subjects.author), ("paper", paper, subjects.paper)):
        conditional = {"Accept": HTML, "If-None-Match": subjects.etags[path]}
        pages = {"html": {"Accept": HTML}, "turtle": {"Accept": TURTLE}, "304": conditional}
        per_kg = [[Workload(f"{label}-{kind}", kg.name, Request(path, headers=pages[kind]), 8)
                   for kind in PAGE_WORKLOADS] for kg in kgs]
        describe = Workload(f"describe-{label}", reference.name, sparql(reference, f"DESCRIBE <{iri}>", TURTLE), 8)
        groups.append([*per_kg[0], describe, *(item for items in per_kg[1:] for item in items)])
    return groups


def workloads(kgs: list[Server], reference: Server, subjects: Subjects) -> list[Workload]:
    return [item for group in workload_groups(kgs, reference, subjects) for item in group]


# -- measuring -----------------------------------------------------------------------------------


def measure_workloads(servers: dict[str, Server], groups: list[list[Workload]], args, bar) -> list[dict]:
    """Warm every workload up once, then ``args.runs`` rounds.

    Each round takes the groups in a rotated order, and a group's workloads back to back (reversed
    in odd rounds), so a kg run and the reference run it is compared with see the same machine.
    """
    for item in (item for group in groups for item in group):
        run_wrk(servers[item.server].url, item.request, item.connections, WARM_UP_S)
    results = []
    for run in range(args.runs):
        for offset in range(len(groups)):
            group = groups[(run + offset) % len(groups)]
            for item in (group if run % 2 == 0 else reversed(group)):
                duration = args.http_duration if item.connections > 1 else args.http_latency_duration
                results.append(measure_one(servers[item.server], item, duration) | {"run": run})
                bar.update(1)
    return results


def measure_one(server: Server, item: Workload, duration: float) -> dict:
    """One wrk run, with the CPU the server, the client and everything else on the machine used meanwhile."""
    before, machine_before, own_before = cpu_seconds(server), machine_cpu_seconds(), own_cpu_seconds()
    measured = run_wrk(server.url, item.request, item.connections, duration)
    after, machine_after, own_after = cpu_seconds(server), machine_cpu_seconds(), own_cpu_seconds()
    cpu = {role: after[role] - before.get(role, 0.0) for role in after}
    busy = machine_after["busy"] - machine_before["busy"]
    other = busy - sum(cpu.values()) - measured["client_cpu_s"] - (own_after - own_before)
    seconds = measured["duration_s"]
    return measured | {"workload": item.name, "server": item.server, "cpu_s": cpu,
                       "other_cores": max(other, 0.0) / seconds,
                       "steal_cores": (machine_after["steal"] - machine_before["steal"]) / seconds}


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_startups(data: dict, subjects: Subjects, runs: int) -> list[dict]:
    """Each server started ``runs`` times: seconds to the first 200 on ``/`` and to the first lookup."""
    results = []
    logs = HTTP_CACHE / "logs"
    for run in range(runs):
        for name in ("kg", "oxigraph"):
            server = (start_kg(Path(data["store"]), BASE_URI, logs / "kg.log", BENCH_TIMEOUT) if name == "kg"
                      else start_oxigraph(Path(data["reference"]), logs / "oxigraph.log",
                                          data.get("reference_union", True)))
            try:
                reply = send(server, sparql(server, lookup_query(subjects.author)))
                first_query = time.perf_counter() - server.started
            finally:
                stop(server)
            if reply.status != 200:
                raise BenchError(f"{name}'s first lookup answered {reply.status}")
            results.append({"server": name, "run": run, "ready_s": server.ready_s, "first_lookup_s": first_query})
    return results


def run_profile(data: dict, subjects: Subjects) -> dict:
    """bench/web_profile.py in a fresh process (no server running, so nothing else competes for the CPU)."""
    command = [PYTHON, str(BENCH / "web_profile.py"), "--store", data["store"], "--base-uri", BASE_URI,
               "--author", subjects.author, "--paper", subjects.paper]
    return json.loads(check(run_measured(command, timeout=600), "web_profile.py").stdout)


def measure_http(size: int, records: Path | None, args, bar, data: dict | None = None) -> dict:
    """The whole HTTP stage for one size (see the module docstring); ``data`` (as ensure_data gives
    it) serves a store built elsewhere (bench/million.py) instead of ingesting ``records``."""
    wrk_path()
    data = data or ensure_data(size, records)
    logs = HTTP_CACHE / "logs"
    with ExitStack() as stack:
        kgs = []
        for name, extra_env in KG_SERVERS.items():
            kgs.append(start_kg(Path(data["store"]), BASE_URI, logs / f"{name}.log", extra_env, name))
            stack.callback(stop, kgs[-1])
        reference = start_oxigraph(Path(data["reference"]), logs / "oxigraph.log", data.get("reference_union", True))
        stack.callback(stop, reference)
        config = {server.name: server.config for server in [*kgs, reference]}
        subjects = pick_subjects(kgs[0], reference)
        checks = verify(kgs, reference, subjects)
        groups = workload_groups(kgs, reference, subjects)
        runs = measure_workloads({server.name: server for server in [*kgs, reference]}, groups, args, bar)
    startups = measure_startups(data, subjects, args.runs)
    bar.update(1)
    profile = run_profile(data, subjects)
    bar.update(1)
    return {"size": size, "data": data, "config": config, "wrk": wrk_version(),
            "duration_s": args.http_duration, "latency_duration_s": args.http_latency_duration,
            "author": subjects.author, "author_works": subjects.author_works, "paper": subjects.paper,
            "lookup_many": many_summary(subjects), "checks": checks, "runs": runs, "startups": startups,
            "profile": profile}


def many_summary(subjects: Subjects) -> dict:
    """lookup-many's authors: how many, of how many in the store, and their works."""
    works = sorted(count for _author, count in subjects.many)
    return {"authors": len(works), "store_authors": subjects.authors, "limit": MANY_AUTHORS, "seed": MANY_SEED,
            "works_min": works[0], "works_median": works[len(works) // 2], "works_max": works[-1],
            "works_total": sum(works), "first": [author for author, _count in subjects.many[:3]]}
