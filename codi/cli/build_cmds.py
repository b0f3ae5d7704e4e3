"""`codi bases ...` (stand-in base images) and `codi perf` (CPU budgets on the demos)."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from codi.cli.app import app

bases_app = typer.Typer(help="Local stand-in base images for machines without a registry.", no_args_is_help=True)
app.add_typer(bases_app, name="bases")

EngineOpt = Annotated[str, typer.Option("--engine", help="auto, docker or buildah.")]


def _engine(name: str) -> Any:
    from codi.imagebuild.detect import detect_engine

    engine, why = detect_engine(name)
    if engine is None:
        sys.stderr.write(f"codi: error: {why}\n")
        raise typer.Exit(2)
    return engine


@bases_app.command("bootstrap")
def bootstrap_cmd(
    only: Annotated[str | None, typer.Option("--only", help="Comma-separated groups: debian,go,java,node,python.")] = None,
    engine: EngineOpt = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome and the base map as JSON.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds one mmdebstrap (or pip download) run may take.")] = 1800.0,
    ca_bundle: Annotated[str | None, typer.Option("--ca-bundle", help=(
        "PEM bundle whose certificates the distribution does not ship (a corporate CA) are added to every "
        "stand-in (default: env CODI_CA_BUNDLE, [measure] ca_bundle in the system config, else "
        "/etc/ssl/certs/ca-certificates.crt; `none`: add nothing)."))] = None,
) -> None:
    """Build stand-in bases with mmdebstrap (minbase + runtime), commit them, write the base map. Cached.

    The python group also makes the uv stand-in: uv's binaries from its wheel (`pip download`), for
    `COPY --from=ghcr.io/astral-sh/uv:...`.

    Every selected group is tried, even after one fails.
    mmdebstrap's and the engine's output go to a log file under the cache folder (its path is printed);
    a failed stand-in shows the tail of its log.

    Exit codes:
    0: every selected group is ready;
    2: usage error, or no usable engine;
    32 + the sum of the failed groups' bits (debian 1, go 2, java 4, node 8, python 16):
    e.g. 36 = java failed, 50 = go and python failed.
    """
    from codi.config.build import ca_bundle as ca_bundle_setting
    from codi.imagebuild.basemap import cache_dir
    from codi.imagebuild.bases import bootstrap_all, note, selected

    groups = [g.strip() for g in only.split(",") if g.strip()] if only else None
    try:
        chosen = selected(groups)
    except ValueError as exc:
        sys.stderr.write(f"codi: error: {exc}\n")
        raise typer.Exit(2) from None
    bundle = ca_bundle_setting(ca_bundle)
    if bundle.value is not None and not bundle.value.is_file():
        sys.stderr.write(f"codi: error: {bundle.value}: no such CA bundle ({bundle.source}; `none` adds no CA)\n")
        raise typer.Exit(2)
    eng = _engine(engine)
    progress = _BootstrapProgress(len(chosen), quiet=as_json)
    try:
        result = bootstrap_all(eng, groups, timeout, progress, ca_bundle=bundle)
    except OSError as exc:
        sys.stderr.write(f"codi: error: {exc.filename or bundle.value}: {exc.strerror or exc}\n")
        raise typer.Exit(2) from None
    finally:
        progress.close()
    if as_json:
        payload = {"bases": result.mapping, "log": str(result.log_path), "failed_groups": result.failed_groups,
                   "exit_code": result.exit_code,
                   "standins": [{"key": o.standin.key, "group": o.standin.group, "image": o.ref, "status": o.status,
                                 "seconds": round(o.seconds, 1), "error": o.error or None} for o in result.outcomes],
                   "notes": [note(o) for o in result.outcomes],
                   "ca": {"bundle": str(result.ca_bundle) if result.ca_bundle else None, "source": bundle.source,
                          "extra_certificates": result.ca_certificates}}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        raise typer.Exit(result.exit_code)
    for outcome in result.outcomes:
        if outcome.status == "failed":
            sys.stderr.write(f"\n--- {outcome.standin.key}: last lines of its log ---\n{outcome.log_tail}\n")
    typer.echo(f"log: {result.log_path}")
    if result.ca_bundle is not None:
        typer.echo(f"CA: {result.ca_certificates} certificate(s) of {result.ca_bundle} that Debian does not ship "
                   "are in the stand-ins above (`update-ca-certificates` in a RUN keeps them)")
    typer.echo(f"base map: {cache_dir() / 'bases.toml'} ({len(result.mapping)} names); used by `codi run --real`")
    if result.failed_groups:
        sys.stderr.write(f"codi: error: group(s) failed: {', '.join(result.failed_groups)} "
                         f"(exit {result.exit_code}; see {result.log_path})\n")
    raise typer.Exit(result.exit_code)


class _BootstrapProgress:
    """One line per stand-in: a Rich spinner while it builds on a terminal, plain lines otherwise."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.count, self.quiet = total, 0, quiet
        self.status: Any = None
        self.console: Any = None
        if not quiet and sys.stderr.isatty():
            from rich.console import Console

            self.console = Console(stderr=True, highlight=False)

    def _label(self, key: str) -> str:
        return f"[{self.count + 1}/{self.total}] {key}"

    def step(self, standin: Any, text: str) -> None:
        if self.quiet:
            return
        line = f"{self._label(standin.key)}: {text}"
        if self.console is None:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        elif self.status is None:
            self.status = self.console.status(line)
            self.status.start()
        else:
            self.status.update(line)

    def done(self, outcome: Any) -> None:
        from codi.imagebuild.bases import summary

        if not self.quiet:
            self.close()
            line = f"{self._label(outcome.standin.key)}: {summary(outcome)}"
            if self.console is None:
                sys.stderr.write(line + "\n")
            else:
                style = {"failed": "bold red", "built": "green"}.get(outcome.status, "dim")
                self.console.print(line, style=style, markup=False)
        self.count += 1

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


@bases_app.command("list")
def list_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """Show the base map in effect (bootstrap file, .codi.toml [bases], CODI_BASE_MAP)."""
    from codi.imagebuild.basemap import load_base_map

    mapping, sources = load_base_map(Path.cwd())
    if as_json:
        sys.stdout.write(json.dumps({"bases": mapping, "sources": sources}, indent=2) + "\n")
        return
    if not mapping:
        typer.echo("no base map (run `codi bases bootstrap`, or set CODI_BASE_MAP)")
    for key, value in sorted(mapping.items()):
        typer.echo(f"{key} -> {value}")


def _show_lines(image: str, facts: dict[str, Any]) -> list[str]:
    def argv(value: list[str] | None) -> str:
        return "(not set)" if value is None else json.dumps(value)

    runtime = facts["runtime"] or "-"
    if facts["runtime"]:
        runtime += f" {facts['runtime_version'] or '(version not in the tag)'}"
    size = facts["size_mb_approx"]
    lines = [
        f"{image}: family {facts['family']} (imagedb {facts['database_version']})",
        f"  repository   {facts['repository']}",
        f"  tag          {facts['tag']}",
        f"  entrypoint   {argv(facts['entrypoint'])}",
        f"  cmd          {argv(facts['cmd'])}",
        f"  user         {facts['user'] or 'root (not set)'}",
        f"  workdir      {facts['workdir'] or '/ (not set)'}",
        f"  shell        {json.dumps(facts['shell'])}",
        f"  ports        {', '.join(facts['exposed_ports']) or '(none)'}",
        f"  healthcheck  {argv(facts['healthcheck'])}",
        f"  stopsignal   {facts['stopsignal'] or '(default)'}",
        f"  volumes      {', '.join(facts['volumes']) or '(none)'}",
        f"  os family    {facts['os_family']} ({facts['libc']})",
        f"  runtime      {runtime}",
        f"  size         {'unknown' if size is None else f'~{size} MB'} (approx., uncompressed linux/amd64)",
        "  env" + ("" if facts["env_complete"] else " (may be incomplete)"),
    ]
    for key, value in facts["env"].items():
        lines.append(f"    {key}={value if value is not None else '(depends on the exact tag)'}")
    lines.append("  sources")
    for src in facts["sources"]:
        where = " ".join(p for p in (src["repository"], src["path"]) if p)
        at = f" @ {src['commit'][:12]}" if src["commit"] else ""
        note = f" ({src['note']})" if src["note"] else ""
        lines.append(f"    {where}{at}{note}")
    return lines


@bases_app.command("show")
def show_cmd(
    image: Annotated[str, typer.Argument(help="Image reference as written in FROM, e.g. python:3.12-slim.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show what CODI knows offline about a base image (config, os, runtime, approx. size) and where each fact came from."""
    from codi.imagedb import ImageDbError, lookup

    try:
        config = lookup(image)
    except ImageDbError as exc:
        sys.stderr.write(f"codi: error: {exc}\n")
        raise typer.Exit(2) from None
    if config is None:
        message = f"unknown: CODI has no facts about {image}"
        if as_json:
            sys.stdout.write(json.dumps({"image": image, "known": False, "message": message}, indent=2) + "\n")
        else:
            typer.echo(message)
        raise typer.Exit(1)
    facts = config.describe()
    if as_json:
        sys.stdout.write(json.dumps({"image": image, "known": True, **facts}, indent=2) + "\n")
        return
    for line in _show_lines(image, facts):
        typer.echo(line)


def _demo_dirs(root: Path, names: list[str]) -> list[Path]:
    return [root / n for n in names if (root / n / "Dockerfile").is_file()]


@app.command("perf")
def perf_cmd(
    demos: Annotated[str, typer.Option("--demos", help="Comma-separated demo folders under --demo-root.")] = "python,node,go",
    demo_root: Annotated[str, typer.Option("--demo-root", help="Where the demos live.")] = "demo",
    analysis_budget: Annotated[float, typer.Option("--analysis-budget", help="Seconds allowed per analysis.")] = 5.0,
    total_budget: Annotated[float, typer.Option("--total-budget", help="Seconds allowed per whole run.")] = 30.0,
    out_dir: Annotated[str, typer.Option("--out-dir", help="Where cpu_perf_report.json goes.")] = "perf",
) -> None:
    """Time analysis and a whole estimate-mode run on each demo; exit 1 when a budget is exceeded."""
    from codi.service.analyze import analyze
    from codi.service.run import RunOptions, run_project

    dirs = _demo_dirs(Path(demo_root), [d.strip() for d in demos.split(",") if d.strip()])
    if not dirs:
        sys.stderr.write(f"codi: error: no demo with a Dockerfile under {demo_root}\n")
        raise typer.Exit(2)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="codi-perf-") as tmp:
        for project in dirs:
            t0 = time.perf_counter()
            analyze(project, None, None, None)
            t1 = time.perf_counter()
            run_project(project, RunOptions(out=Path(tmp), llm=False, rag=False))
            t2 = time.perf_counter()
            row = {"demo": project.name, "analysis_seconds": round(t1 - t0, 3), "total_seconds": round(t2 - t1, 3)}
            row["over_budget"] = [k for k, v, b in (("analysis", t1 - t0, analysis_budget),
                                                     ("total", t2 - t1, total_budget)) if v > b]
            rows.append(row)
    failed = [r["demo"] for r in rows if r["over_budget"]]
    report = {"schema_version": 1, "budgets": {"analysis_seconds": analysis_budget, "total_seconds": total_budget},
              "results": rows, "passed": not failed}
    path = Path(out_dir) / "cpu_perf_report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for r in rows:
        flag = "OVER BUDGET: " + ", ".join(r["over_budget"]) if r["over_budget"] else "ok"
        typer.echo(f"{r['demo']:<10} analysis {r['analysis_seconds']:.3f}s  total {r['total_seconds']:.3f}s  {flag}")
    typer.echo(f"wrote {path}")
    if failed:
        raise typer.Exit(1)
