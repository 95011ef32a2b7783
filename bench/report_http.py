"""Render the HTTP stage (bench/http_compare.py) as BENCHMARKS.md's section 6: kg vs ``oxigraph serve``.

Every number comes from ``results["http"]`` in bench/.cache/results.json; the goals are issue 5's.
Each comparison shows kg twice against the same reference run: "kg (cache)", the server as
deployed (its answer cache on), and "kg (no cache)", the same server with KG_CACHE_BYTES=0 (the
cold cost), each with its own ratio and verdict. Results from before the second kg server
existed render with "n/a" in its columns.
"""

from __future__ import annotations

from report import med, secs, table

# The kg servers of bench/http_compare.py, with their labels; the reference is "oxigraph".
VARIANTS = (("kg", "cache"), ("kg-nocache", "no cache"))
REFERENCE = "oxigraph"
# (label, kg workload, reference workload, goal on kg/reference req/s)
THROUGHPUT = (
    ("lookup: SELECT one author's works", "lookup", "lookup", 0.8),
    ("lookup-many: the same SELECT, {authors} authors in turn", "lookup-many", "lookup-many", 0.8),
    ("author page, HTML", "author-html", "describe-author", 1.0),
    ("author page, Turtle", "author-turtle", "describe-author", 1.0),
    ("author page, If-None-Match → 304", "author-304", "describe-author", 1.0),
    ("paper page, HTML", "paper-html", "describe-paper", 1.0),
    ("paper page, Turtle", "paper-turtle", "describe-paper", 1.0),
    ("paper page, If-None-Match → 304", "paper-304", "describe-paper", 1.0),
)
# (label, workload, goal on kg/reference p50 latency or None)
LATENCY = (
    ("lookup (1 client)", "lookup-1c", None),
    ("works per venue: count-works-per-venue.rq", "venues", 1.2),
    ("co-author counts: list-coauthors.rq", "coauthors", 1.2),
)
LOOKUP_P50_GOAL_S = 0.005
CPU_ROWS = (  # (label, kg workload, reference workload)
    ("lookup, 8 clients", "lookup", "lookup"),
    ("lookup-many, 8 clients", "lookup-many", "lookup-many"),
    ("lookup, 1 client", "lookup-1c", "lookup-1c"),
    ("author page HTML, 8 clients", "author-html", "describe-author"),
    ("author page Turtle, 8 clients", "author-turtle", "describe-author"),
    ("author page 304, 8 clients", "author-304", "describe-author"),
    ("paper page HTML, 8 clients", "paper-html", "describe-paper"),
    ("works per venue, 1 client", "venues", "venues"),
    ("co-author counts, 1 client", "coauthors", "coauthors"),
)


def ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.2f} ms" if value < 0.1 else f"{value * 1000:.0f} ms"


def rate(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def kib(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1024:,.1f} KiB"


def percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}%" if fraction > 0.99 or fraction < 0.01 else f"{100 * fraction:.0f}%"


def at_least(value: float | None, goal: float) -> str:
    """Verdict for a ratio that should be at least ``goal``."""
    if value is None:
        return "n/a"
    if value >= goal:
        return f"**met**, {percent(value / goal - 1)} above"
    return f"**missed**, {percent(1 - value / goal)} short (needs {goal / value:,.1f}× the throughput)"


def at_most(value: float | None, goal: float) -> str:
    """Verdict for a value (a ratio, or seconds) that should be at most ``goal``."""
    if value is None:
        return "n/a"
    if value <= goal:
        return f"**met**, {percent(1 - value / goal)} under"
    return f"**missed**, {percent(value / goal - 1)} over"


def summarise(size: dict, server: str, workload: str) -> dict | None:
    """Medians over the runs of one workload on one server."""
    runs = [r for r in size["runs"] if r["server"] == server and r["workload"] == workload]
    if not runs:
        return None
    cpu = {}
    for role in {role for r in runs for role in r["cpu_s"]}:
        cpu[role] = med(r["cpu_s"].get(role, 0.0) / r["requests"] for r in runs if r["requests"])
    return {"runs": len(runs), "rps": med(r["requests_per_s"] for r in runs), "p50": med(r["p50_s"] for r in runs),
            "p99": med(r["p99_s"] for r in runs), "errors": sum(r["errors"] for r in runs),
            "requests": sum(r["requests"] for r in runs),
            "bytes": med(r["bytes_per_request"] for r in runs), "cpu_per_request": cpu,
            "rps_range": (min(r["requests_per_s"] for r in runs), max(r["requests_per_s"] for r in runs))}


def paired_ratio(size: dict, ours: str, theirs: str, key: str, server: str = "kg") -> float | None:
    """Median over the rounds of kg's value ÷ the reference's in the same round (they ran in one group)."""
    kg = {r["run"]: r for r in size["runs"] if r["server"] == server and r["workload"] == ours}
    ref = {r["run"]: r for r in size["runs"] if r["server"] == REFERENCE and r["workload"] == theirs}
    return med(kg[run][key] / ref[run][key] for run in kg if run in ref and kg[run][key] and ref[run][key])


def p50_p99(found: dict | None) -> str:
    return "n/a" if found is None else f"{ms(found['p50'])} / {ms(found['p99'])}"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def times(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"**{value:.{digits}f}×**"


def both(verdicts: dict[str, str]) -> str:
    """One verdict per kg variant, in one cell: "cache **met**, …; no cache **missed**, …"."""
    return "; ".join(f"{label} {verdicts[label]}" for label in verdicts)


def load_line(size: dict) -> str:
    other = [r.get("other_cores") for r in size["runs"] if r.get("other_cores") is not None]
    steal = [r.get("steal_cores") for r in size["runs"] if r.get("steal_cores") is not None]
    if not other:
        return ""
    return (f"- {size['size']:,} papers: during the timed runs, other processes on the machine used a median of "
            f"{med(other):.2f} cores (least {min(other):.2f}, most {max(other):.2f}) of the {len(other)} runs; "
            f"the hypervisor stole a median of {med(steal):.2f} cores.")


def throughput_rows(size: dict) -> list[list[str]]:
    rows = []
    authors = size.get("lookup_many", {}).get("authors", "n")
    for label, ours, theirs, goal in THROUGHPUT:
        ref = summarise(size, REFERENCE, theirs)
        variants = {name: summarise(size, name, ours) for name, _label in VARIANTS}
        if ref is None or variants["kg"] is None:
            continue
        cells, rps, p50 = [], {}, {}
        for name, variant in VARIANTS:
            kg = variants[name]
            few = f" (n={kg['requests']})" if kg and kg["requests"] < 100 else ""
            rps[variant] = paired_ratio(size, ours, theirs, "requests_per_s", name) if kg else None
            p50[variant] = kg["p50"] if kg else None
            cells += [rate(kg["rps"]) if kg else "n/a", p50_p99(kg) + few, times(rps[variant], 3)]
        verdict = f"≥ {goal:g}×: " + both({variant: at_least(value, goal) for variant, value in rps.items()})
        if ours.startswith("lookup"):
            verdict += (". p50 ≤ 5 ms: " + both({variant: at_most(value, LOOKUP_P50_GOAL_S)
                                                  for variant, value in p50.items()})
                        + f" (the reference's p50 under the same load: {ms(ref['p50'])})")
        reference = "same SELECT" if ours == theirs else f"`DESCRIBE` ({theirs.split('-')[1]}), Turtle"
        errors = ref["errors"] + sum(kg["errors"] for kg in variants.values() if kg)
        rows.append([f"{size['size']:,}", label.format(authors=authors), reference, rate(ref["rps"]), p50_p99(ref),
                     *cells, f"{kib(variants['kg']['bytes'])} / {kib(ref['bytes'])}",
                     verdict + (f" ({errors} errors)" if errors else "")])
    return rows


def latency_rows(size: dict) -> list[list[str]]:
    rows = []
    for label, workload, goal in LATENCY:
        ref = summarise(size, REFERENCE, workload)
        variants = {name: summarise(size, name, workload) for name, _label in VARIANTS}
        if ref is None or variants["kg"] is None:
            continue
        cells, ratios = [], {}
        for name, variant in VARIANTS:
            ratios[variant] = paired_ratio(size, workload, workload, "p50_s", name) if variants[name] else None
            cells += [p50_p99(variants[name]), times(ratios[variant], 2)]
        verdict = (f"≤ {goal:g}×: " + both({variant: at_most(value, goal) for variant, value in ratios.items()})
                   if goal else "(no goal)")
        errors = ref["errors"] + sum(kg["errors"] for kg in variants.values() if kg)
        rows.append([f"{size['size']:,}", label, f"{size['checks'][workload.removesuffix('-1c')]['rows']:,}",
                     p50_p99(ref), rate(ref["rps"]), *cells, verdict + (f" ({errors} errors)" if errors else "")])
    return rows


def startup_rows(size: dict) -> list[list[str]]:
    rows = []
    for server, label in (("kg", "kg (gunicorn)"), ("oxigraph", "oxigraph serve")):
        runs = [r for r in size["startups"] if r["server"] == server]
        rows.append([f"{size['size']:,}", label, str(len(runs)), secs(med(r["ready_s"] for r in runs)),
                     secs(med(r["first_lookup_s"] for r in runs))])
    return rows


def cpu_rows(size: dict) -> list[list[str]]:
    rows = []
    for label, workload, reference in CPU_ROWS:
        ref = summarise(size, REFERENCE, reference)
        if ref is None or summarise(size, "kg", workload) is None:
            continue
        theirs = ref["cpu_per_request"].get("server")
        cells, ratios = [], []
        for name, _variant in VARIANTS:
            kg = summarise(size, name, workload)
            if kg is None:
                cells += ["n/a", "n/a", "n/a"]
                ratios.append("n/a")
                continue
            web, query = kg["cpu_per_request"].get("web", 0.0), kg["cpu_per_request"].get("query", 0.0)
            cells += [ms(web), ms(query), ms(web + query)]
            ratios.append(short_ratio((web + query) / theirs) if theirs else "n/a")
        rows.append([f"{size['size']:,}", label, *cells, ms(theirs), *ratios])
    return rows


def layer_rows(size: dict) -> list[list[str]]:
    layers = size["profile"]["lookup_layers"]
    # the layers above are the uncached path, so gunicorn's share is taken from kg without its cache
    cold = summarise(size, "kg-nocache", "lookup-1c")
    server = "kg (no cache)" if cold else "kg"
    kg_http = cold or summarise(size, "kg", "lookup-1c")
    ref_http = summarise(size, REFERENCE, "lookup-1c")
    steps = [("pyoxigraph: query + JSON serialisation (`kg.store.runner.execute`, in-process)", layers["engine_s"]),
             ("+ kg's query process: pickle + pipe round trip (`OxigraphStore.run_query`)", layers["runner_s"]),
             ("+ Flask: routing, SERVICE check, negotiation, response (`test_client().post`)", layers["app_s"]),
             (f"+ gunicorn, HTTP parsing, loopback ({server}, wrk, 1 connection, p50)",
              kg_http["p50"] if kg_http else None)]
    rows, previous = [], 0.0
    for label, value in steps:
        if value is None:
            added = "n/a"
        elif value < previous:  # wrk's p50 and the in-process minimum come from different processes and times
            added = "below the in-process total: the two were measured apart, so this difference is noise"
        else:
            added = ms(value - previous)
        rows.append([f"{size['size']:,}", label, ms(value), added])
        previous = value or previous
    rows.append([f"{size['size']:,}", "oxigraph serve, same query (wrk, 1 connection, p50)",
                 ms(ref_http["p50"] if ref_http else None), ""])
    if cold:
        hot = summarise(size, "kg", "lookup-1c")
        rows.append([f"{size['size']:,}", "kg (cache), same query answered from memory (wrk, 1 connection, p50)",
                     ms(hot["p50"] if hot else None), ""])
    return rows


def deref_rows(size: dict) -> list[list[str]]:
    rows = []
    profiles = size["profile"]["profiles"]
    for kind, layers in size["profile"]["deref_layers"].items():
        selects = profiles.get(kind, {}).get("key", {}).get("kg: store.select (pyoxigraph + to_rdflib)", {})
        conversion = profiles.get(kind, {}).get("key", {}).get("kg: to_rdflib (term conversion)", {})
        rows.append([f"{size['size']:,}", kind, f"{layers['quads']:,}", ms(layers["status_s"]),
                     ms(layers["describe_s"]), ms(layers["render_s"]), ms(layers["request_s"]),
                     f"{selects.get('calls_per_request', 0):.0f}",
                     f"{conversion.get('calls_per_request', 0):,.0f}"])
    return rows


def select_lines(size: dict, top: int = 3) -> list[str]:
    calls = sorted(size["profile"].get("author_selects", []), key=lambda c: c["ms"], reverse=True)
    total = sum(c["ms"] for c in calls)
    lines = [f"- {size['size']:,} papers: the author page makes {len(calls)} SELECTs taking {total:.0f} ms in all; "
             "the slowest:"]
    for call in calls[:top]:
        query = call["query"]
        where = query[query.find("WHERE"):]
        shape = where if len(where) <= 200 else where[:120] + " … " + where[-70:]
        lines.append(f"  - {call['ms']:.1f} ms, {call['rows']:,} rows: `{shape}`")
    return lines


def verification_lines(size: dict) -> list[str]:
    checks = size["checks"]
    same = ", ".join(f"{name} {checks[name]['rows']:,} rows "
                     + ("(identical)" if checks[name]["identical_rows"] else "(same count, different rows)")
                     for name in ("lookup", "venues", "coauthors"))
    servers = ("all three servers (kg, kg without its cache, the reference)"
               if any(r["server"] == "kg-nocache" for r in size["runs"]) else "both servers")
    many = checks.get("lookup-many")
    if many:
        info = size["lookup_many"]
        which = (f"all {info['authors']:,} authors" if info["authors"] == info["store_authors"]
                 else f"the {info['authors']:,} with the most works of {info['store_authors']:,} authors")
        checked = ", ".join(f"{plural(c['works'], 'work')} → {plural(c['rows'], 'row')}" for c in many["checked"])
        same += (f"; lookup-many cycles through {which} ({info['works_min']}–{info['works_max']} works each, median "
                 f"{info['works_median']}, in an order shuffled with seed {info['seed']}), and {len(many['checked'])} "
                 f"of them, from the most works to the fewest, gave "
                 + ("identical rows" if many["identical_rows"] else "the same row counts (not all rows identical)")
                 + f" ({checked})")
    answers = checks["answers"]
    triples = "; ".join(f"{label} {answers[key]['triples']:,} triples"
                        for label, key in (("kg author Turtle", "kg author-turtle"),
                                           ("DESCRIBE author", "oxigraph describe-author"),
                                           ("kg paper Turtle", "kg paper-turtle"),
                                           ("DESCRIBE paper", "oxigraph describe-paper")) if key in answers)
    data = size["data"]
    return [f"- {size['size']:,} papers: `{data['records']}` → kg store (ingest {secs(data['ingest_s'])}) → "
            f"`kg dump --format nquads` ({data['dump_lines']:,} quads, {data['dump_bytes'] / 1e6:.1f} MB) → "
            f"`oxigraph load` ({secs(data['oxigraph_load_s'])}). Author `{size['author']}` "
            f"({size['author_works']} works), paper `{size['paper']}`. Same answers from {servers}: {same}. "
            f"Sizes of the dereferenced answers: {triples}."]


def http_section(results: dict) -> list[str]:
    http = results.get("http")
    if not http:
        return []
    sizes = http["sizes"]
    first = sizes[0]
    config = first["config"]
    kg = config["kg"]
    cold = config.get("kg-nocache")
    cache = f"KG_CACHE_BYTES={kg['KG_CACHE_BYTES']}, " if "KG_CACHE_BYTES" in kg else ""
    lines = ["## 6. HTTP: kg vs oxigraph serve", "",
             f"From `{http['command']}` (finished {http['finished_at']}, {http['elapsed_s'] / 60:.0f} min; "
             f"kg at `{http['machine']['kg_commit']}`, oxigraph {http['machine']['libraries'].get('oxigraph')}). "
             f"kg runs as `make serve` runs it: `{kg['command']}` with KG_WEB_WORKERS={kg['KG_WEB_WORKERS']}, "
             f"KG_WEB_THREADS={kg['KG_WEB_THREADS']}, KG_QUERY_WORKERS={kg['KG_QUERY_WORKERS']}, "
             f"{cache}KG_BASE_URI={kg['KG_BASE_URI']}, bound to a free port on 127.0.0.1 (the "
             "store's URIs keep the default base; requests name resources by path)"
             + (f", with KG_QUERY_TIMEOUT={kg['extra_env']['KG_QUERY_TIMEOUT']} s (the reference has no limit, and "
                "the aggregates must answer at every size)" if "KG_QUERY_TIMEOUT" in kg.get("extra_env", {}) else "")
             + (f"; a second gunicorn, identical but for KG_CACHE_BYTES={cold['KG_CACHE_BYTES']}, serves the same "
                "store on another port" if cold else "")
             + ". The reference is `oxigraph serve --location DIR --bind 127.0.0.1:PORT --union-default-graph` on "
             "the N-Quads kg dumped: kg's default graph is the union of its named graphs, and the dump holds only "
             "named graphs, so the reference answers the same query over the same union.",
             ""]
    if cold:
        lines += ["**kg (cache)** is kg as deployed: each web worker keeps the answers to SPARQL queries and the "
                  "rendered pages in memory until the store changes (kg/web/cache.py, KG_CACHE_BYTES per worker), "
                  "so after the warm-up nearly every request below is answered from memory, lookup-many's too once "
                  "its authors have come round (their answers fit); **kg (no cache)** is the same server with "
                  "KG_CACHE_BYTES=0, the cold cost every request pays the first time after a change.", ""]
    lines += [f"Load: `{first['wrk']}`, one thread, keep-alive connections in a closed loop; each workload ran "
              f"{http['runs']}× {first['duration_s']:g} s (8 connections) or {first['latency_duration_s']:g} s "
              "(1 connection), in a rotating order after a 1 s warm-up, every kg workload on each kg server back "
              "to back with the reference run it is compared with (one wrk at a time: the other servers are "
              "idle); cells are medians over the runs. SPARQL requests are `POST` with `Content-Type: "
              "application/sparql-query`, `Accept: application/sparql-results+json` (DESCRIBE: `text/turtle`)"
              + ("; lookup-many sends the lookup for a different author with every request, cycling through its "
                 "authors in one fixed order (bench/wrk_report.lua), the same sequence to every server"
                 if "lookup_many" in first else "")
              + f". Client, servers and the machine's other tenants share {http['machine']['nproc']} cores: the "
              "ratios are the result, not the absolute req/s.", ""]
    lines += ["Data and checks, before any timing:", ""]
    for size in sizes:
        lines += verification_lines(size)
    lines += ["", "The machine's other load (CPU used by processes other than the server measured, wrk and "
              "bench/run.py, from /proc/stat):", ""]
    lines += [line for line in (load_line(size) for size in sizes) if line]
    lines += ["", "### Throughput, 8 concurrent clients", "",
              "Ratio = kg req/s ÷ reference req/s, the median over the rounds of the ratio within a round (a kg "
              "workload and its reference ran in one group, back to back), for each kg server. kg's pages are "
              "compared with the reference's cheapest equivalent, `DESCRIBE <uri>`, which returns only the "
              "resource's own triples (smaller: see the size column), while kg builds a bounded description with "
              "its neighbours, names and sources. Latencies are p50 / p99.", ""]
    lines += table(["papers", "request to kg", "reference request", "ref req/s", "ref p50 / p99",
                    "kg (cache) req/s", "kg (cache) p50 / p99", "kg (cache) / ref", "kg (no cache) req/s",
                    "kg (no cache) p50 / p99", "kg (no cache) / ref", "answer size kg / ref", "goal: verdict"],
                   [row for size in sizes for row in throughput_rows(size)])
    lines += ["### Latency, one client", "",
              "Ratio = kg p50 ÷ reference p50 (lower is better), paired by round as above, for each kg server. "
              "The same query text goes to all; latencies are p50 / p99.", ""]
    lines += table(["papers", "query", "rows", "ref p50 / p99", "ref req/s", "kg (cache) p50 / p99",
                    "kg (cache) / ref p50", "kg (no cache) p50 / p99", "kg (no cache) / ref p50", "goal: verdict"],
                   [row for size in sizes for row in latency_rows(size)])
    lines += ["### Server start", "",
              "Seconds from starting the process to the first 200 on `GET /`, and to the first answered lookup "
              "(kg starts its query processes on the first query; kg with its default settings).", ""]
    lines += table(["papers", "server", "starts", "to first 200", "to first lookup answered"],
                   [row for size in sizes for row in startup_rows(size)])
    lines += profile_lines(sizes)
    lines += meaning_lines(sizes)
    return lines


def profile_lines(sizes: list[dict]) -> list[str]:
    lines = ["### Where kg's time goes", "",
             "CPU per request during the timed runs, from /proc (user + system) of every process of each "
             "server: gunicorn's workers (Python: Flask, negotiation, rdflib, Jinja), kg's query processes "
             "(pyoxigraph, SPARQL endpoint only), and oxigraph serve's one process; web / query / total for each "
             "kg server. Pages are compared with the DESCRIBE of the same resource.", ""]
    lines += table(["papers", "request", "kg (cache) web", "kg (cache) query", "kg (cache) total", "kg (no cache) web",
                    "kg (no cache) query", "kg (no cache) total", "oxigraph serve", "kg (cache) / ref CPU",
                    "kg (no cache) / ref CPU"],
                   [row for size in sizes for row in cpu_rows(size)])
    lines += ["The lookup, peeled layer by layer (bench/web_profile.py, one process, no server running: the "
              "fastest of up to 100 sequential calls per layer, the layers taken in turn, so that the subtraction "
              "is not skewed by other processes; wrk's rows are p50s):", ""]
    lines += table(["papers", "layer", "cumulative", "added by the layer"],
                   [row for size in sizes for row in layer_rows(size)])
    lines += ["Dereferencing, split the same way (one process, fastest of the sequential calls): `read_status` is one "
              "SELECT; `describe` runs the bounded description's SELECTs through `OxigraphStore.select`, which "
              "converts every result term to rdflib (`to_rdflib`); `render` is Jinja for HTML and rdflib's "
              "serializer for Turtle.", ""]
    lines += table(["papers", "page", "quads described", "read_status", "describe", "render", "whole request",
                    "SELECTs", "to_rdflib calls"], [row for size in sizes for row in deref_rows(size)])
    lines += ["The author page's SELECTs, timed one by one (each the fastest over 3 warm requests):", ""]
    for size in sizes:
        lines += select_lines(size)
    return lines + [""]


def meaning_lines(sizes: list[dict]) -> list[str]:
    text = [size_meaning(size) for size in sizes]
    text = [t for t in text if t]
    return ["### What this means", "", *text, ""] if text else []


def ratio_of(size: dict, ours: str, theirs: str, key: str, server: str = "kg") -> float | None:
    return paired_ratio(size, ours, theirs, {"rps": "requests_per_s", "p50": "p50_s"}[key], server)


def ratios(size: dict, ours: str, theirs: str, key: str) -> str:
    """kg's ratio to the reference with its cache, and without it when that server ran: "0.93× / 0.041×"."""
    values = [ratio_of(size, ours, theirs, key, name) for name, _label in VARIANTS
              if summarise(size, name, ours) is not None]
    return " / ".join(short_ratio(value) for value in values)


def short_ratio(value: float | None) -> str:
    """Two significant digits below 1 (0.0024×, 0.045×, 0.83×), two decimals above."""
    if value is None:
        return "n/a"
    return f"{value:.4f}×" if value < 0.01 else f"{value:.3f}×" if value < 0.1 else f"{value:.2f}×"


def cpu_total(size: dict, server: str, workload: str) -> float:
    found = summarise(size, server, workload)
    return sum(found["cpu_per_request"].values()) if found else 0.0


def size_meaning(size: dict) -> str:
    """A paragraph of computed statements: nothing here that the tables above do not show."""
    if ratio_of(size, "lookup", "lookup", "rps") is None:
        return ""
    cold = "kg-nocache" if summarise(size, "kg-nocache", "lookup") else "kg"
    pair = "(with the cache / without)" if cold != "kg" else ""
    layers, profile = size["profile"]["lookup_layers"], size["profile"]
    author = profile["deref_layers"]["author html"]
    selects = sorted(profile.get("author_selects", []), key=lambda c: c["ms"], reverse=True)
    slowest = selects[0] if selects else None
    aggregate_query_share = [summarise(size, cold, name)["cpu_per_request"] for name in ("venues", "coauthors")]
    shares = [c.get("query", 0.0) / sum(c.values()) for c in aggregate_query_share if sum(c.values())]
    conversions = profile["profiles"].get("author html", {}).get("key", {}).get("kg: to_rdflib (term conversion)", {})
    reference_cpu = cpu_total(size, REFERENCE, "lookup")
    cpu = " / ".join(f"{cpu_total(size, name, 'lookup') / reference_cpu:.1f}×" for name, _label in VARIANTS
                     if summarise(size, name, "lookup") and reference_cpu)
    many = (f"; cycling through {size['lookup_many']['authors']:,} authors (lookup-many) "
            f"{ratios(size, 'lookup-many', 'lookup-many', 'rps')}" if summarise(size, "kg", "lookup-many") else "")
    parts = [
        f"- **{size['size']:,} papers.** Lookup: {ratios(size, 'lookup', 'lookup', 'rps')} {pair} the "
        f"reference's req/s with 8 clients{many}; kg uses {cpu or 'n/a'} the reference's CPU per lookup. "
        f"In one process, a lookup through the Flask app takes {ms(layers['app_s'])}: pyoxigraph "
        f"{ms(layers['engine_s'])}, the hop to the query process {ms(layers['runner_s'] - layers['engine_s'])}, "
        f"Flask {ms(layers['app_s'] - layers['runner_s'])}; served, kg's single-client p50 is "
        + " / ".join(ms(summarise(size, name, "lookup-1c")["p50"]) for name, _label in VARIANTS
                     if summarise(size, name, "lookup-1c"))
        + f" {pair} against the reference's {ms(summarise(size, REFERENCE, 'lookup-1c')['p50'])}.",
        f" Aggregates: {ratios(size, 'venues', 'venues', 'p50')} (venues) and "
        f"{ratios(size, 'coauthors', 'coauthors', 'p50')} (co-authors) the reference's p50 {pair}; "
        + (f"{percent(min(shares))}–{percent(max(shares))} of kg's CPU for them"
           + (" without the cache" if cold != "kg" else "")
           + " is in the query processes (pyoxigraph), so they are engine-bound." if shares else ""),
        f" Pages {pair}: author HTML {ratios(size, 'author-html', 'describe-author', 'rps')}, paper HTML "
        f"{ratios(size, 'paper-html', 'describe-paper', 'rps')} the reference's DESCRIBE req/s, and "
        f"304s {ratios(size, 'author-304', 'describe-author', 'rps')} (author) and "
        f"{ratios(size, 'paper-304', 'describe-paper', 'rps')} (paper). One author page takes "
        f"{ms(author['request_s'])} in-process, {ms(author['describe_s'])} of it in `describe` "
        f"({conversions.get('calls_per_request', 0):,.0f} `to_rdflib` calls)",
    ]
    if slowest:
        parts.append(f"; its slowest SELECT alone takes {slowest['ms']:.0f} ms for {slowest['rows']:,} rows "
                     "(a `VALUES` list joined with `GRAPH ?g { ?s ?p ?o }`)." if "GRAPH ?g { ?s ?p ?o }"
                     in slowest["query"] else f"; its slowest SELECT alone takes {slowest['ms']:.0f} ms.")
    else:
        parts.append(".")
    return "".join(parts).replace("  ", " ")
