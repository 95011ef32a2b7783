"""Mutation testing of the modules where a silent bug costs most (cosmic-ray, on a throwaway copy).

Never touches the checkout it is run from: it copies the checkout's files (tracked, and untracked
but not ignored, as they are on disk now) into ``--workdir``, gives the copy a shadow virtualenv
whose ``site-packages`` puts the copy ahead of the editable install of the checkout, and runs
cosmic-ray there. So ``import kg`` finds the mutated copy in pytest, in the gunicorn servers the
tests start (``ROOT/.venv/bin/gunicorn``), and in ``python -m kg`` subprocesses even when a test
clears the environment and runs from ``/``; :func:`verify_copy` checks all three before any
mutant runs, and the run stops if one of them would import the checkout instead.

Which tests run against which module, the per-mutant timeout and how the mutants are sampled
are in ``mutate/targets.toml``. Usage::

    .venv/bin/python mutate/run.py                       # every target in targets.toml, in order
    .venv/bin/python mutate/run.py identity generations  # some targets
    .venv/bin/python mutate/run.py --list                # targets, their mutant counts, nothing run
    .venv/bin/python mutate/run.py --report              # the summary of the last run, nothing run
    .venv/bin/python mutate/run.py --recheck tests/test_new.py identity   # does a new test kill the survivors?

Results: ``WORKDIR/results/<target>.json`` (every mutant) and ``WORKDIR/results/SUMMARY.md``
(counts, and the diff of each surviving mutant). Exit status 0 when it ran, whatever survived.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = Path(__file__).resolve().parent / "targets.toml"
MARKER = ".kg-mutate-copy"  # run.py removes a work directory only when it holds this file
PRISTINE = ".pristine-kg"  # the copy's kg/ before any mutant: restored on --resume

# cosmic-ray's comparison mutants, best first: the boundary or negation of the operator is the
# mutant a missing test most often lets through (< vs <=, == vs !=, in vs not in)
PREFERRED = {"Eq": "NotEq", "NotEq": "Eq", "Lt": "LtE", "LtE": "Lt", "Gt": "GtE", "GtE": "Gt",
             "Is": "IsNot", "IsNot": "Is", "In": "NotIn", "NotIn": "In"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="targets of targets.toml to run (default: all, in file order)")
    parser.add_argument("--config", type=Path, default=TARGETS, help="the targets file (default: mutate/targets.toml)")
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("KG_MUTATE_DIR", "/tmp/kg-mutate")),
                        help="where the copy, the sessions and the results go (default: $KG_MUTATE_DIR or "
                             "/tmp/kg-mutate); must be outside the checkout unless git ignores it")
    parser.add_argument("--ref", default=None,
                        help="copy this commit's tree (git archive) instead of the files as they are on disk, "
                             "e.g. HEAD while others have half-done edits in the working tree")
    parser.add_argument("--resume", action="store_true",
                        help="keep the existing copy (its kg/ restored as it was before any mutant) and sessions: "
                             "run only mutants that have no result yet")
    parser.add_argument("--list", action="store_true", help="count the mutants of each target and stop")
    parser.add_argument("--report", action="store_true", help="write and print the summary of the sessions and stop")
    parser.add_argument("--recheck", action="append", metavar="TEST", default=None,
                        help="for each surviving mutant of the targets' sessions, apply it to the copy and run this "
                             "test (file or node id) of the checkout against it: which survivors a new test kills; "
                             "repeat for several")
    parser.add_argument("--nice", type=int, default=19, help="niceness of the whole run (default 19)")
    parser.add_argument("--seed", type=int, default=None, help="override the sampling seed of targets.toml")
    args = parser.parse_args(argv)

    config = tomllib.loads(args.config.read_text())
    defaults, targets = config.get("defaults", {}), config["targets"]
    names = args.targets or list(targets)
    unknown = [n for n in names if n not in targets]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; targets.toml has {', '.join(targets)}")
    workdir = args.workdir.resolve()
    check_workdir(workdir)
    if args.nice:
        os.nice(args.nice)

    if args.report:
        return report(workdir, names, targets)
    if args.recheck:
        return recheck(workdir, names, args.recheck)
    if args.resume and (workdir / PRISTINE).is_dir():
        # a run that was killed mid-mutant leaves that mutant in the copy
        shutil.rmtree(workdir / "kg")
        shutil.copytree(workdir / PRISTINE, workdir / "kg")
    else:
        prepare_copy(workdir, args.ref)
    verify_copy(workdir)

    for name in names:
        target = {**defaults, **targets[name]}
        if args.seed is not None:
            target["seed"] = args.seed
        session = workdir / "sessions" / f"{name}.sqlite"
        if not (args.resume and session.exists()):
            init_session(workdir, name, target, session)
        if args.list:
            print_counts(name, session)
            continue
        run_session(workdir, name, target, session)
    if not args.list:
        return report(workdir, names, targets)
    return 0


# -- the copy ------------------------------------------------------------------------------------


def check_workdir(workdir: Path) -> None:
    """Refuse a work directory inside the checkout that git does not ignore (the tree must stay as it is)."""
    if workdir == REPO or REPO in workdir.parents:
        relative = workdir.relative_to(REPO)
        ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", str(relative)]).returncode == 0
        if not ignored:
            sys.exit(f"--workdir {workdir} is inside the checkout and not ignored by git; use a directory "
                     "outside it (the default is /tmp/kg-mutate)")


def checkout_files() -> list[str]:
    """The checkout's files as a developer has them: tracked, and new ones git does not ignore."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            check=True, capture_output=True).stdout.decode().split("\0")
    return sorted(f for f in set(listed) if f and ((REPO / f).is_file() or (REPO / f).is_symlink()))


def prepare_copy(workdir: Path, ref: str | None) -> None:
    if workdir.exists():
        if not (workdir / MARKER).exists():
            sys.exit(f"{workdir} exists and was not made by mutate/run.py; remove it or pick another --workdir")
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    (workdir / MARKER).write_text(f"a throwaway copy of {REPO} for mutation testing\n")
    if ref is not None:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", ref], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(workdir)], input=archive, check=True)
    else:
        for name in checkout_files():
            destination = workdir / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, destination, follow_symlinks=False)
    make_shadow_venv(workdir)
    for cache in workdir.glob("**/__pycache__"):  # a stale .pyc must never stand in for a mutated module
        shutil.rmtree(cache)
    shutil.copytree(workdir / "kg", workdir / PRISTINE)
    print(f"copied {REPO}{f' at {ref}' if ref else ''} to {workdir}", flush=True)


def make_shadow_venv(workdir: Path) -> None:
    """``WORKDIR/.venv``: the checkout's packages, with the copy ahead of the checkout's editable install.

    conftest starts ``ROOT/.venv/bin/gunicorn`` and ``ROOT/.venv/bin/oxigraph``, and some tests run
    ``sys.executable -m kg`` from ``/`` with a bare environment, so PYTHONPATH alone is not enough.
    """
    shadow = workdir / ".venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(shadow)
    site_packages = Path(sysconfig.get_paths(vars={"base": str(shadow), "platbase": str(shadow)})["purelib"])
    checkout_site = Path(sysconfig.get_paths()["purelib"])
    # a .pth line is appended to sys.path; the editable install's finder sits on sys.meta_path
    # after the path finder, so the copy's kg wins over it
    (site_packages / "_kg_mutate.pth").write_text(
        f"{workdir}\nimport site; site.addsitedir({str(checkout_site)!r})\n")
    checkout_bin, shadow_bin = Path(sys.prefix) / "bin", shadow / "bin"
    for script in sorted(checkout_bin.iterdir()):
        target = shadow_bin / script.name
        if target.exists() or target.is_symlink() or script.name.startswith("activate"):
            continue
        head = script.read_bytes()[:256]
        if head.startswith(b"#!") and b"python" in head.split(b"\n", 1)[0]:
            # a console script: the same, run by the shadow interpreter
            body = script.read_text().split("\n", 1)[1]
            target.write_text(f"#!{shadow_bin / 'python'}\n{body}")
            target.chmod(0o755)
        else:
            target.symlink_to(script)


def copy_env(workdir: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(workdir), "PYTHONDONTWRITEBYTECODE": "1",
            "PATH": f"{workdir / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}


def verify_copy(workdir: Path) -> None:
    """Every way the tests start Python must import kg from the copy, never from the checkout."""
    python, expected = workdir / ".venv" / "bin" / "python", str(workdir / "kg" / "__init__.py")
    probe = "import kg; print(kg.__file__)"
    # conftest starts ROOT/.venv/bin/gunicorn: it must be run by the shadow interpreter
    for script in ("gunicorn", "pytest"):
        shebang = (workdir / ".venv" / "bin" / script).read_text().split("\n", 1)[0]
        if shebang != f"#!{python}":
            sys.exit(f"copy check failed: .venv/bin/{script} of the copy runs {shebang[2:]}, not {python}")
    bare = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
    ways = {
        "pytest and gunicorn (PYTHONPATH, cwd = the copy)": (copy_env(workdir), workdir),
        "`python -m kg` from / with a bare environment (tests/test_reliability_store.py)": (bare, Path("/")),
    }
    for way, (env, cwd) in ways.items():
        found = subprocess.run([str(python), "-c", probe], env=env, cwd=cwd, capture_output=True, text=True,
                               check=True).stdout.strip()
        if found != expected:
            sys.exit(f"copy check failed: {way} imports {found}, not {expected}; nothing was mutated")
        print(f"  kg imports from the copy: {way}", flush=True)


# -- sessions ------------------------------------------------------------------------------------


def test_command(workdir: Path, target: dict) -> str:
    return shlex.join([str(workdir / ".venv" / "bin" / "python"), "-m", "pytest", *target["pytest-args"],
                       *target["tests"]])


def cosmic_ray_config(workdir: Path, name: str, target: dict, timeout: float) -> Path:
    command = test_command(workdir, target)
    modules = ", ".join(json.dumps(m) for m in target["modules"])
    path = workdir / "sessions" / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[cosmic-ray]\n"
        f"module-path = [{modules}]\n"
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n"
        "\n[cosmic-ray.distributor]\nname = \"local\"\n")
    return path


def cosmic_ray(*args: str, workdir: Path) -> None:
    subprocess.run([str(Path(sys.prefix) / "bin" / "cosmic-ray"), *args], cwd=workdir, env=copy_env(workdir),
                   check=True)


def init_session(workdir: Path, name: str, target: dict, session: Path) -> None:
    config = cosmic_ray_config(workdir, name, target, float(target.get("min-timeout", 30)))
    session.unlink(missing_ok=True)
    cosmic_ray("init", str(config), str(session), workdir=workdir)
    sample(session, target)


def sample(session: Path, target: dict) -> None:
    """Mark as skipped the mutants the target leaves out, so cosmic-ray runs only the rest.

    ``per-site``: at most this many mutants of one operator family at one source position
    (cosmic-ray makes twelve binary-operator mutants of every ``a / b``; one of them tells as much
    about the tests as the twelve); comparisons keep their boundary or negation first.
    ``exclude-operators``: operator name prefixes never run. ``functions``: only mutants inside
    these functions (by name) run. ``fraction``: then keep this share,
    drawn with ``seed``, so the same targets.toml always runs the same mutants.
    """
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    rng = random.Random(target.get("seed", 0))
    per_site = target.get("per-site", {})
    excluded = tuple(target.get("exclude-operators", ()))
    functions = set(target.get("functions", ()))
    with use_db(str(session), mode=WorkDB.Mode.open) as db:
        items = sorted(db.pending_work_items, key=lambda w: (str(w.mutations[0].module_path),
                                                             w.mutations[0].start_pos, w.mutations[0].operator_name))
        groups: dict[tuple, list] = {}
        skip = []
        for item in items:
            spec = item.mutations[0]
            if (excluded and spec.operator_name.startswith(excluded)) or (
                    functions and spec.definition_name not in functions):
                skip.append(item.job_id)
                continue
            family = spec.operator_name.split("_")[0]
            groups.setdefault((str(spec.module_path), spec.start_pos, spec.end_pos, family), []).append(item)
        kept = []
        for (_path, _start, _end, family), group in groups.items():
            limit = per_site.get(family.removeprefix("core/"))
            if limit is None or len(group) <= limit:
                kept += group
                continue
            ordered = sorted(group, key=lambda w: (not is_preferred(w.mutations[0].operator_name), rng.random()))
            kept += ordered[:limit]
            skip += [w.job_id for w in ordered[limit:]]
        fraction = float(target.get("fraction", 1.0))
        if fraction < 1.0:
            chosen = set(w.job_id for w in rng.sample(kept, round(len(kept) * fraction)))
            skip += [w.job_id for w in kept if w.job_id not in chosen]
        if skip:
            db.set_multiple_results(skip, WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="sampled out"))


def is_preferred(operator_name: str) -> bool:
    parts = operator_name.split("_")
    return operator_name.startswith("core/ReplaceComparisonOperator_") and PREFERRED.get(parts[1]) == parts[2]


def print_counts(name: str, session: Path) -> None:
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(session), mode=WorkDB.Mode.open) as db:
        total = db.num_work_items
        pending = sum(1 for _ in db.pending_work_items)
    print(f"{name}: {total} mutants, {pending} to run after sampling", flush=True)


def run_session(workdir: Path, name: str, target: dict, session: Path) -> None:
    """Time the target's tests on the unmutated copy, then run every pending mutant against them."""
    command = test_command(workdir, target)
    started = time.monotonic()
    baseline = subprocess.run(shlex.split(command), cwd=workdir, env=copy_env(workdir), capture_output=True, text=True)
    seconds = time.monotonic() - started
    if baseline.returncode != 0:
        sys.exit(f"{name}: the tests fail on the unmutated copy; fix that first:\n{baseline.stdout[-3000:]}")
    timeout = max(float(target.get("min-timeout", 30)), float(target.get("timeout-factor", 3)) * seconds)
    config = cosmic_ray_config(workdir, name, target, timeout)
    print_counts(name, session)
    print(f"{name}: baseline {seconds:.1f} s, timeout per mutant {timeout:.0f} s; running", flush=True)
    started = time.monotonic()
    cosmic_ray("exec", str(config), str(session), workdir=workdir)
    print(f"{name}: done in {time.monotonic() - started:.0f} s", flush=True)
    (workdir / "sessions" / f"{name}.timing.json").write_text(
        json.dumps({"baseline_s": seconds, "timeout_s": timeout, "exec_s": time.monotonic() - started}))


def recheck(workdir: Path, names: list[str], tests: list[str]) -> int:
    """Apply each survivor in the copy and run ``tests`` (copied from the checkout) against it."""
    import cosmic_ray.plugins
    from cosmic_ray.mutating import use_mutation

    if (workdir / PRISTINE).is_dir():
        shutil.rmtree(workdir / "kg")
        shutil.copytree(workdir / PRISTINE, workdir / "kg")
    for test in tests:
        path = test.split("::")[0]
        (workdir / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, workdir / path)
    command = [str(workdir / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    if subprocess.run(command, cwd=workdir, env=copy_env(workdir), capture_output=True).returncode != 0:
        sys.exit(f"{' '.join(tests)} fail on the unmutated copy")
    lines, survivors = [], 0
    for name in names:
        session = workdir / "sessions" / f"{name}.sqlite"
        if not session.exists():
            continue
        _total, done = completed(session)
        for spec, result in sorted(done, key=lambda d: (str(d[0].module_path), d[0].start_pos)):
            if outcome(result) != "survived":
                continue
            survivors += 1
            operator = cosmic_ray.plugins.get_operator(spec.operator_name)(**(spec.operator_args or {}))
            with use_mutation(workdir / spec.module_path, operator, spec.occurrence):
                run = subprocess.run(command, cwd=workdir, env=copy_env(workdir), capture_output=True, text=True)
            failed = sorted({line.split("::", 1)[1].split(" ")[0] for line in run.stdout.splitlines()
                             if line.startswith("FAILED ")})
            verdict = f"killed by {', '.join(failed) or 'an error'}" if run.returncode else "survives"
            lines.append(f"{name}: {spec.module_path}:{spec.start_pos[0]} {spec.operator_name}: {verdict}")
            print(lines[-1], flush=True)
    killed = sum(1 for line in lines if ": killed by " in line)
    (workdir / "results").mkdir(exist_ok=True)
    (workdir / "results" / "recheck.txt").write_text("\n".join(lines) + f"\n{killed} of {survivors} killed\n")
    print(f"{killed} of {survivors} survivors killed by {' '.join(tests)}")
    return 0


# -- the report ----------------------------------------------------------------------------------


def completed(session: Path) -> tuple[int, list]:
    """(how many mutants the session holds, [(mutation, result)] of those that ran or were sampled out)."""
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(session), mode=WorkDB.Mode.open) as db:
        return db.num_work_items, [(item.mutations[0], result) for item, result in db.completed_work_items]


def outcome(result) -> str:
    if result.worker_outcome == "skipped":
        return "skipped"
    if result.worker_outcome == "no-test":
        return "no-test"
    if result.worker_outcome != "normal":
        return "error"
    if result.test_outcome == "killed":
        return "timeout" if result.output == "timeout" else "killed"
    return str(result.test_outcome.value)


def report(workdir: Path, names: list[str], targets: dict) -> int:

    results_dir = workdir / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    lines = ["# Mutation testing summary", "", f"Copy: `{workdir}`", "",
             "| target | mutants | run | killed | timed out | survived | incompetent/error | not run (sampled) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    survivor_lines = []
    for name in names:
        session = workdir / "sessions" / f"{name}.sqlite"
        if not session.exists():
            continue
        total, done = completed(session)
        rows = [{"file": str(spec.module_path), "line": spec.start_pos[0], "column": spec.start_pos[1],
                 "operator": spec.operator_name, "occurrence": spec.occurrence, "function": spec.definition_name,
                 "outcome": outcome(result), "diff": result.diff or ""} for spec, result in done]
        rows.sort(key=lambda r: (r["file"], r["line"], r["column"], r["operator"]))
        (results_dir / f"{name}.json").write_text(json.dumps(rows, indent=1))
        count = {k: sum(1 for r in rows if r["outcome"] == k) for k in
                 ("killed", "timeout", "survived", "incompetent", "error", "skipped", "no-test")}
        ran = count["killed"] + count["timeout"] + count["survived"] + count["incompetent"] + count["error"]
        lines.append(f"| {name} | {total} | {ran} | {count['killed']} | {count['timeout']} | {count['survived']} | "
                     f"{count['incompetent'] + count['error']} | {count['skipped']} |")
        for r in rows:
            if r["outcome"] == "survived":
                diff = "\n".join(line for line in r["diff"].splitlines()
                                 if line.startswith(("+", "-")) and not line.startswith(("+++", "---")))
                survivor_lines += [f"### {name}: {r['file']}:{r['line']} `{r['operator']}` in {r['function']}",
                                   "", "```diff", diff, "```", ""]
    lines += ["", "## Surviving mutants", "", *survivor_lines]
    (results_dir / "SUMMARY.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:6 + len(names)]))
    print(f"\nsurvivors and diffs: {results_dir / 'SUMMARY.md'}; every mutant: {results_dir}/<target>.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
