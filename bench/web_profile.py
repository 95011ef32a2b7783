"""Where kg's time goes for one HTTP request, measured inside one process (bench/http_compare.py runs it).

    python bench/web_profile.py --store DIR --base-uri URI --author IRI --paper IRI

Prints one JSON object:

- ``lookup_layers``: the SPARQL lookup peeled layer by layer, each the fastest of ``--repeats``
  sequential calls (taken in turn, see :func:`fastest_times`): pyoxigraph alone
  (``kg.store.runner.execute``, the code the query process runs: query + JSON
  serialisation), the same through kg's query process
  (``OxigraphStore.run_query``: pickling and a pipe round trip added), and the whole Flask app
  (``app.test_client().post("/sparql")``: routing, negotiation, the SERVICE check, the response).
  gunicorn and the loopback socket are the difference to wrk's 1-connection latency.
- ``deref_layers``: the author and paper pages, as HTML and Turtle, split the same way:
  ``read_status`` (one SELECT), ``describe`` (the bounded description's SELECTs and their
  conversion to rdflib terms), ``render`` (Jinja or rdflib's serializer) and the whole request.
- ``profiles``: cProfile over ``--profile-repeats`` requests of each kind, as per-request
  cumulative milliseconds of the functions that matter, the number of store SELECTs per
  request, and the top functions by own time.
- ``author_selects``: every SELECT an author page makes, with its time (fastest of 3) and row count.

Single-threaded and with no server around it: under gunicorn, threads also wait for the GIL.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from workers import LOOKUP  # noqa: E402 - bench/ is not a package

BUDGET_S = 3.0  # seconds per timed layer or profiled kind, whatever --repeats says

KEY_FUNCTIONS = (  # (label, file suffix, function)
    ("Flask request (wsgi_app)", "flask/app.py", "wsgi_app"),
    ("kg: answer_query", "kg/web/sparql.py", "answer_query"),
    ("kg: query process round trip (QueryRunner.run)", "kg/store/runner.py", "run"),
    ("kg: read_status", "kg/web/describe.py", "read_status"),
    ("kg: describe", "kg/web/describe.py", "describe"),
    ("kg: store.select (pyoxigraph + to_rdflib)", "kg/store/oxigraph.py", "select"),
    ("kg: to_rdflib (term conversion)", "kg/store/terms.py", "to_rdflib"),
    ("kg: render (RDF)", "kg/web/resources.py", "render"),
    ("kg: render_html (Jinja)", "kg/web/resources.py", "render_html"),
    ("kg: _validators (ETag)", "kg/web/resources.py", "_validators"),
    ("rdflib: Graph.serialize", "rdflib/graph.py", "serialize"),
    ("jinja2: render_template", "flask/templating.py", "render_template"),
)


def fastest_times(actions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """The fastest of ``repeats`` calls of each action (fewer, at least 3, past BUDGET_S), taken in turn.

    One call of each per round, after one warm call of each, so that a busy spell on a shared
    machine hits every layer alike; the minimum is the run least disturbed by other processes,
    which is what a subtraction of layers needs.
    """
    for action in actions.values():
        action()  # warm: the first calls open the store, start the query process, compile templates
    times: dict[str, list[float]] = {name: [] for name in actions}
    deadline = time.perf_counter() + BUDGET_S * len(actions)
    rounds = 0
    while rounds < repeats and (rounds < 3 or time.perf_counter() < deadline):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - start)
        rounds += 1
    return {name: min(values) for name, values in times.items()} | {"rounds": rounds}


def lookup_layers(app, store, query: str, repeats: int) -> dict:
    import pyoxigraph as ox

    from kg.store.runner import execute

    settings = app.config["KG_SETTINGS"]
    engine = ox.Store.read_only(os.path.realpath(Path(settings.store) / "current"))
    request = {"query": query, "max_bytes": settings.max_result_bytes, "results_format": "json",
               "graph_format": "turtle", "default_graphs": [], "named_graphs": [], "base_iri": None}
    client = app.test_client()
    headers = {"Accept": "application/sparql-results+json", "Content-Type": "application/sparql-query"}

    def through_app():
        response = client.post("/sparql", data=query.encode(), headers=headers)
        assert response.status_code == 200, response.status_code

    layers = fastest_times({
        "engine_s": lambda: execute(engine, request),
        "runner_s": lambda: store.run_query(query, max_bytes=settings.max_result_bytes, results_format="json"),
        "app_s": through_app}, repeats)
    return layers | {"rows": len(json.loads(execute(engine, request).body)["results"]["bindings"])}


def deref_layers(app, store, path: str, media: str, repeats: int) -> dict:
    from kg.web.describe import describe, read_status
    from kg.web.resources import read_target, render

    settings = app.config["KG_SETTINGS"]
    space, _, name = path.strip("/").partition("/")
    client = app.test_client()

    def whole():
        response = client.get(path, headers={"Accept": media})
        assert response.status_code == 200, response.status_code

    with app.test_request_context(path, headers={"Accept": media}):
        target = read_target(space, None, name)
        description = describe(store, target.uri, target.kind, 1, settings.page_size)
        layers = fastest_times({
            "status_s": lambda: read_status(store, target.uri),
            "describe_s": lambda: describe(store, target.uri, target.kind, 1, settings.page_size),
            "render_s": lambda: render(description, target, media, 1),
            "request_s": whole}, repeats)
    return layers | {"quads": len(description.quads)}


def profile_requests(send: Callable[[], object], repeats: int, top: int = 8) -> dict:
    """cProfile ``repeats`` requests (fewer, at least 3, when they take longer than BUDGET_S)."""
    send()
    profiler = cProfile.Profile()
    done, deadline = 0, time.perf_counter() + BUDGET_S
    while done < repeats and (done < 3 or time.perf_counter() < deadline):
        profiler.enable()
        send()
        profiler.disable()
        done += 1
    repeats = done
    stats = pstats.Stats(profiler).stats
    key = {}
    for label, suffix, function in KEY_FUNCTIONS:
        rows = [(calls, cumtime) for (filename, _line, name), (_cc, calls, _tt, cumtime, _callers) in stats.items()
                if filename.endswith(suffix) and name == function]
        if rows:
            key[label] = {"calls_per_request": sum(r[0] for r in rows) / repeats,
                          "cumtime_ms_per_request": 1000 * sum(r[1] for r in rows) / repeats}
    own = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    return {"repeats": repeats, "key": key,
            "top_own_time": [{"function": describe_function(f), "calls_per_request": v[1] / repeats,
                              "tottime_ms_per_request": 1000 * v[2] / repeats} for f, v in own]}


def time_selects(app, store, path: str, media: str, requests: int = 3) -> list[dict]:
    """Each store SELECT a (warm) request for ``path`` makes: the fastest of ``requests`` requests, rows, text.

    Wraps ``select`` on this process's store object only, to time the calls the request makes.
    """
    client = app.test_client()
    client.get(path, headers={"Accept": media})
    calls: list[dict] = []
    select = store.select

    def timed(query: str):
        start = time.perf_counter()
        names, rows = select(query)
        calls.append({"ms": 1000 * (time.perf_counter() - start), "rows": len(rows), "query": " ".join(query.split())})
        return names, rows

    store.select = timed
    try:
        for _ in range(requests):
            client.get(path, headers={"Accept": media})
    finally:
        del store.select
    per_request = len(calls) // requests
    return [min((calls[i + k * per_request] for k in range(requests)), key=lambda c: c["ms"])
            for i in range(per_request)]


def describe_function(function: tuple) -> str:
    filename, line, name = function
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in filename:
            return f"{filename.split(marker, 1)[1]}:{line}({name})"
    return name if filename == "~" else f"{filename}:{line}({name})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--base-uri", required=True)
    parser.add_argument("--author", required=True, help="author IRI (lookup query and author page)")
    parser.add_argument("--paper", required=True, help="paper IRI (paper page)")
    parser.add_argument("--repeats", type=int, default=100, help="timed calls per layer (default 100)")
    parser.add_argument("--profile-repeats", type=int, default=30, help="profiled requests per kind (default 30)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", DeprecationWarning)

    from kg.config import load_settings
    from kg.web import create_app
    from kg.web.context import store_of

    app = create_app(load_settings({"KG_CACHE_BYTES": "0", "KG_STORE": args.store, "KG_BASE_URI": args.base_uri}))
    store = store_of(app)
    query = LOOKUP.format(author=args.author)
    client = app.test_client()
    pages = {"author": args.author[len(args.base_uri) - 1:], "paper": args.paper[len(args.base_uri) - 1:]}
    kinds = {f"{name} {label}": (path, media) for name, path in pages.items()
             for label, media in (("html", "text/html"), ("turtle", "text/turtle"))}
    sparql_headers = {"Accept": "application/sparql-results+json", "Content-Type": "application/sparql-query"}
    result = {
        "lookup_layers": lookup_layers(app, store, query, args.repeats),
        "deref_layers": {kind: deref_layers(app, store, path, media, args.repeats)
                         for kind, (path, media) in kinds.items()},
        "profiles": {"lookup": profile_requests(lambda: client.post("/sparql", data=query.encode(),
                                                                    headers=sparql_headers), args.profile_repeats)}
        | {kind: profile_requests(lambda p=path, m=media: client.get(p, headers={"Accept": m}),
                                  args.profile_repeats) for kind, (path, media) in kinds.items()},
        "author_selects": time_selects(app, store, pages["author"], "text/html"),
    }
    store.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
