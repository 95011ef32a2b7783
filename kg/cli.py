"""The ``kg`` command line: ingest, validate, dump, stats, query.

Exit codes (pySHACL's contract, adapted): 0 ok; 1 the data did not conform or inputs were
rejected; 2 usage, configuration or input error; 3 internal error (a bug: please report it).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from contextlib import contextmanager, suppress
from pathlib import Path

import click
from rdflib import BNode, Literal
from tqdm import tqdm

from kg.config import DEFAULTS, SETTINGS, Settings, load_settings
from kg.errors import KgError, MappingError, QueryError, StoreError, ValidationFailed
from kg.parsers import collecting_warnings
from kg.pipeline import IngestResult, curate, ingest, retire
from kg.store import DUMP_FORMATS, list_queries, open_configured_store
from kg.store.explain import explain
from kg.store.queries import shipped_query

EXIT_OK, EXIT_NONCONFORMING, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class KgGroup(click.Group):
    """Turns project errors into one-line messages and exit codes, in one place."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ValidationFailed as exc:
            _write_report(ctx, exc.report)
            message = f"the graph does not conform to the shapes; nothing was written\n{exc}"
            raise _failure(message, exc.exit_code) from exc
        except KgError as exc:
            if exc.exit_code == EXIT_INTERNAL:  # an InternalError that escaped its module
                raise _bug(ctx, exc) from exc
            raise _failure(str(exc), exc.exit_code) from exc
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            raise _bug(ctx, exc) from exc


def _bug(ctx: click.Context, exc: Exception) -> click.ClickException:
    """A bug: say so, show the traceback only on request (call it while ``exc`` is handled)."""
    if ctx.obj and ctx.obj.get("debug"):
        traceback.print_exc()
    return _failure(f"internal error: {exc!r} (a bug in kg; rerun with --debug for the traceback)", EXIT_INTERNAL)


def _failure(message: str, code: int) -> click.ClickException:
    error = click.ClickException(message)
    error.exit_code = code
    return error


@contextmanager
def _writing(path: Path):
    """A file the user named that cannot be written is an input error (exit 2), not a bug."""
    try:
        yield
    except OSError as exc:
        raise _failure(f"cannot write {path}: {exc.strerror or exc}", EXIT_INPUT) from exc


def _settings(ctx: click.Context, **overrides) -> Settings:
    return load_settings(os.environ, ctx.obj.get("settings_file"), overrides)


def _store_option(function):
    # text, not click.Path: a path would turn the URL of a remote store (http://host/) into http:/host
    return click.option("--store", default=None, metavar="DIR|URL",
                        help="Store directory, or URL of a remote SPARQL store "
                             f"[env KG_STORE; default ./{DEFAULTS.store}].")(function)


def _base_option(function):
    return click.option("--base-uri", default=None,
                        help=f"Base of minted URIs [env KG_BASE_URI; default {DEFAULTS.base_uri}].")(function)


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--settings", "settings_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="TOML settings file (keys: " + ", ".join(s.name for s in SETTINGS) + ").")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.version_option(package_name="kg")
@click.pass_context
def main(ctx: click.Context, settings_file: Path | None, debug: bool) -> None:
    """Build and query a scholarly knowledge graph (schema.org / FOAF, SHACL-validated)."""
    ctx.ensure_object(dict)
    ctx.obj.update(settings_file=settings_file, debug=debug)


def _ingest_options(function):
    function = click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))(function)
    function = click.option("--keep-going", is_flag=True,
                            help="Leave out inputs that cannot be read or parsed, list them in the rejects file, "
                                 "and exit 1.")(function)
    function = click.option("--rejects", type=click.Path(path_type=Path, dir_okay=False), default=Path("rejects.jsonl"),
                            show_default=True, help="Where --keep-going writes rejected inputs (JSON Lines).")(function)
    function = click.option("--report", "report_prefix", type=click.Path(path_type=Path), default=None,
                            help="Write the SHACL report to PREFIX.txt and PREFIX.ttl.")(function)
    return _base_option(_store_option(function))


@main.command("ingest")
@_ingest_options
@click.pass_context
def ingest_command(ctx, **options):
    """Parse, validate and add FILES to the store, all or nothing."""
    _run_ingest(ctx, "ingest", **options)


@main.command("validate")
@_ingest_options
@click.pass_context
def validate_command(ctx, **options):
    """Do everything ingest does except the write: parse, resolve against the store, map, validate."""
    _run_ingest(ctx, "validate", **options)


def _run_ingest(ctx, command: str, files, keep_going, rejects, report_prefix, store, base_uri) -> None:
    settings = _settings(ctx, store=store, base_uri=base_uri)
    ctx.obj["report_prefix"] = report_prefix
    write = command == "ingest"
    with _printing_warnings():
        result = ingest(list(files), settings, write=write, keep_going=keep_going, progress=_progress(command))
    _finish(ctx, result, keep_going, rejects, report_prefix, f"wrote {settings.store}" if write
            else "valid; nothing written")


@contextmanager
def _printing_warnings():
    """Print the parsers' warnings about the inputs, ``FILE:LINE: warning: ...`` on stderr, one a
    line, once the ingest is over (also when it failed). A warning never changes the exit code."""
    with collecting_warnings() as warnings:
        try:
            yield
        finally:
            for warning in warnings:
                click.echo(str(warning), err=True)


def _progress(label: str):
    # No monitor thread: the SHACL gate forks workers, which must not inherit a live thread.
    tqdm.monitor_interval = 0
    return lambda items: tqdm(items, desc=label, unit="file", disable=None, leave=False)


def _finish(ctx, result: IngestResult, keep_going: bool, rejects: Path, report_prefix, done: str) -> None:
    if report_prefix and result.report is not None:
        _write_report(ctx, result.report)
    click.echo(
        f"{result.sources} new source(s), {result.skipped} already in the store; "
        f"{result.persons} person(s), {result.works} work(s) touched; "
        f"+{result.quads_added} -{result.quads_removed} quads ({result.inferred} inferred); "
        + (done if result.written or "nothing" in done else "nothing to write")
    )
    if keep_going:
        with _writing(rejects), open(rejects, "w", encoding="utf-8") as out:
            for reject in result.rejects:
                out.write(json.dumps({"source": reject.origin, "reason": reject.reason}, ensure_ascii=False) + "\n")
    if result.rejects:
        for reject in result.rejects:
            click.echo(f"rejected: {reject.reason}", err=True)
        raise _failure(f"{len(result.rejects)} input(s) rejected, listed in {rejects}", EXIT_NONCONFORMING)


def _write_report(ctx, report) -> None:
    prefix = (ctx.obj or {}).get("report_prefix")
    if prefix:
        with _writing(Path(f"{prefix}.txt")):
            Path(f"{prefix}.txt").write_text(report.text() + "\n", encoding="utf-8")
        with _writing(Path(f"{prefix}.ttl")):
            Path(f"{prefix}.ttl").write_text(report.turtle(), encoding="utf-8")


@main.command("dump")
@_store_option
@_base_option
@click.option("--format", "fmt", type=click.Choice(sorted(DUMP_FORMATS)), default="turtle", show_default=True,
              help="nquads, trig and jsonld keep the named graphs; turtle and ntriples give their union.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="File to write ('-' for standard output).")
@click.pass_context
def dump_command(ctx, store, base_uri, fmt, output):
    """Write the whole graph to a file (the same bytes as the dumps each ingest publishes)."""
    settings = _settings(ctx, store=store, base_uri=base_uri)
    target = _existing_store(settings)
    if str(output) == "-":
        target.dump(sys.stdout.buffer, fmt)
        return
    partial = output.with_name(f".{output.name}.partial")
    try:
        with _writing(output):
            with open(partial, "wb") as out:
                count = target.dump(out, fmt)
            partial.replace(output)  # never leave a half-written dump under the real name
    finally:
        with suppress(OSError):
            partial.unlink(missing_ok=True)  # after a failure (a full disk): no half-written file left
    unit = "quads" if DUMP_FORMATS[fmt].keeps_graphs else "triples"
    click.echo(f"wrote {output} ({output.stat().st_size} bytes, {count} {unit}, {fmt})", err=True)


@main.command("publish")
@_store_option
@_base_option
@click.pass_context
def publish_command(ctx, store, base_uri):
    """Write the dumps (kg.ttl, kg.nt.gz, kg.nq.gz) and VoID statistics of the current build.

    Ingests publish their changes (the change feed, /changes) but not the dumps, which take time
    in proportion to the whole graph: run this after a batch of ingests, or on a schedule. It is a
    no-op when the current build's dumps exist. Ingests go on while it writes (it reads a private
    checkpoint of the build); a second `kg publish` at the same time is refused.
    """
    settings = _settings(ctx, store=store, base_uri=base_uri)
    target = _existing_store(settings)
    directory = target.publish_dumps(settings.now())
    if directory is None:
        raise StoreError(str(settings.store), "holds no graph yet; run 'kg ingest' first")
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    files = ", ".join(f"{entry['name']} ({entry['bytes']} bytes)" for entry in manifest["files"]
                      if entry["role"] == "dump")
    click.echo(f"dumps of {manifest['generation']}: {files}", err=True)


@main.command("stats")
@_store_option
@_base_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stats_command(ctx, store, base_uri, as_json):
    """Count persons, works, versions, venues, sources, triples and graphs."""
    settings = _settings(ctx, store=store, base_uri=base_uri)
    target = _existing_store(settings)
    query = shipped_query("count-entities")  # kg's own count, whatever KG_QUERIES_DIR holds
    counts = {str(kind): int(count) for kind, count in target.select(query.text)[1]}
    _names, rows = target.select("SELECT (COUNT(*) AS ?q) (COUNT(DISTINCT ?g) AS ?g) WHERE { GRAPH ?g { ?s ?p ?o } }")
    counts["quads"], counts["graphs"] = int(rows[0][0]), int(rows[0][1])
    counts["generation"] = target.state()
    if as_json:
        click.echo(json.dumps(counts, indent=2, sort_keys=True))
    else:
        for key in sorted(counts):
            click.echo(f"{key:<12} {counts[key]}")


@main.command("query")
@_store_option
@_base_option
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print SPARQL 1.1 JSON results instead of a table.")
@click.pass_context
def query_command(ctx, store, base_uri, query, as_json):
    """Run QUERY (SPARQL text, a .rq file, or the name of a query in queries/) over the union graph."""
    settings = _settings(ctx, store=store, base_uri=base_uri)
    target = _existing_store(settings)
    text = _query_text(query, settings)
    names, rows = target.select(text)
    if as_json:
        click.echo(json.dumps(_results_json(names, rows), indent=2, ensure_ascii=False))
        return
    _print_table(names, rows)


def _existing_store(settings: Settings):
    target = open_configured_store(settings)
    if not target.exists():
        raise StoreError(str(settings.store), "holds no graph yet; run 'kg ingest' first")
    return target


def _query_text(query: str, settings: Settings) -> str:
    named = {q.name: q for q in list_queries(settings.queries_dir)}
    if query in named:
        return named[query].text
    if query.endswith(".rq"):
        try:
            return Path(query).read_text(encoding="utf-8")
        except OSError as exc:
            raise QueryError(query, f"cannot read the file: {exc.strerror}") from exc
    return query


def _term_json(term) -> dict | None:
    if term is None:
        return None
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype:
            out["datatype"] = str(term.datatype)
        return out
    return {"type": "bnode" if isinstance(term, BNode) else "uri", "value": str(term)}


def _results_json(names, rows) -> dict:
    if names == ["boolean"] and len(rows) == 1 and isinstance(rows[0][0], bool):
        return {"head": {}, "boolean": rows[0][0]}
    bindings = [{n: _term_json(t) for n, t in zip(names, row, strict=True) if t is not None} for row in rows]
    return {"head": {"vars": names}, "results": {"bindings": bindings}}


def _print_table(names, rows) -> None:
    cells = [[("" if t is None else str(t)) for t in row] for row in rows]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    click.echo("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", err=True)


@main.command("curate")
@_store_option
@_base_option
@click.argument("verdict", type=click.Choice(["same", "different"]))
@click.argument("left")
@click.argument("right")
@click.option("--why", required=True, help="Why: kept with the curation and shown on both entities' pages.")
@click.option("--who", default=lambda: os.environ.get("USER", "unknown"), show_default="$USER",
              help="Who decided.")
@click.pass_context
def curate_command(ctx, store, base_uri, verdict, left, right, why, who):
    """Say that two persons or works are the SAME entity or DIFFERENT ones; overrides the identity
    rules from now on, through every later ingest."""
    settings = _settings(ctx, store=store, base_uri=base_uri)
    _existing_store(settings)
    result = curate(settings, verdict, left, right, who, why)
    click.echo(f"curated {verdict}: {left} {right}; {result.persons} person(s), {result.works} work(s) re-decided; "
               f"+{result.quads_added} -{result.quads_removed} quads")


@main.command("explain")
@_store_option
@_base_option
@click.argument("uri")
@click.pass_context
def explain_command(ctx, store, base_uri, uri):
    """Say why URI is one entity: its mentions, their sources, and the evidence that joined them."""
    settings = _settings(ctx, store=store, base_uri=base_uri)
    _existing_store(settings)
    explanation = explain(open_configured_store(settings), uri)
    if explanation is None:
        raise MappingError(uri, "uri", "no entity of this store has this URI")
    click.echo("\n".join(explanation.lines()))


@main.command("retire")
@_store_option
@_base_option
@click.argument("uri")
@click.option("--replaced-by", default=None, help="The URI that replaces it: URI then answers 301 to it, else 410.")
@click.pass_context
def retire_command(ctx, store, base_uri, uri, replaced_by):
    """Retire a minted URI (after a merge or a withdrawal); its facts stay in their sources."""
    settings = _settings(ctx, store=store, base_uri=base_uri)
    _existing_store(settings)
    retire(settings, uri, replaced_by)
    click.echo(f"retired {uri}" + (f", replaced by {replaced_by}" if replaced_by else ""))
