"""`codi analyze / rewrite / run / report / all`: thin skins over codi.service."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from codi.cli.app import app, out_root
from codi.cli.errors import fail
from codi.cli.output import build_args
from codi.config.flags import llm_enabled, rag_enabled
from codi.config.paths import NO_ADAPTER, output_root

if TYPE_CHECKING:
    from codi.service.run import RunOptions, RunResult

ProjectArg = Annotated[str, typer.Argument(help="The project folder (it holds the Dockerfile and the manifests).")]
DockerfileOpt = Annotated[str | None, typer.Option("--dockerfile", help="The Dockerfile to use, relative to the project.")]
StackOpt = Annotated[str | None, typer.Option("--stack", help="Use this stack (node, python, go, java, ...) "
                                                            "instead of the detected one.")]
LimitOpt = Annotated[int, typer.Option("--candidate-limit", min=1, help="At most this many candidates.")]
RulesOpt = Annotated[str | None, typer.Option("--rules", help="Candidate catalog to use (default: RULES_PATH or "
                                                              "the shipped patterns/rules.yml).")]
ConfigOpt = Annotated[str | None, typer.Option("--config", help="Lint configuration file (.codi.toml or .hadolint.yaml).")]



def _guard(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service call; user errors become one line on stderr and exit 2."""
    from codi.report.render import ReportError
    from codi.service.errors import InputError

    try:
        return fn(*args, **kwargs)
    except (InputError, ReportError) as exc:  # may quote a line of the input (short): never a secret in CI logs
        from codi.telemetry.redact import redact_text

        raise fail(redact_text(str(exc))) from None
    except OSError as exc:
        raise fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None



@app.command("analyze")
def analyze_cmd(project: ProjectArg, dockerfile: DockerfileOpt = None, stack: StackOpt = None,
                config: ConfigOpt = None,
                as_json: Annotated[bool, typer.Option("--json", help="Print the analysis as JSON.")] = False) -> None:
    """Find, parse and lint a project's Dockerfile and detect its stack, with evidence."""
    from codi.service.analyze import analyze
    from codi.service.candidates import finding_record

    a = _guard(analyze, project, dockerfile, stack, config)
    data = {
        "schema_version": 1, "project": str(a.project), "dockerfile": a.dockerfile_rel,
        "detection": a.detection.model_dump(mode="json"),
        "stages": [{"index": s.index, "name": s.name, "base": s.base, "line": s.from_instr.start_line}
                   for s in a.model.stages],
        "findings": [finding_record(f).model_dump() for f in a.findings],
    }
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    from codi.cli.project_view import show_analysis

    show_analysis(a)


@app.command("rewrite")
def rewrite_cmd(project: ProjectArg,
                out_dir: Annotated[str, typer.Option("--out-dir", help="Where to write the candidates.")] = "codi-candidates",
                stdout: Annotated[bool, typer.Option("--stdout", help="Print the first candidate instead.")] = False,
                dockerfile: DockerfileOpt = None, stack: StackOpt = None, candidate_limit: LimitOpt = 3,
                rules: RulesOpt = None, config: ConfigOpt = None,
                apply: Annotated[bool, typer.Option("--apply", help=(
                    "Write the candidate `codi run` recommends over the project's Dockerfile (atomically, "
                    "keeping Dockerfile.orig) when the risk policy allows it, else the best one it allows; "
                    "says which and why."))] = False,
                risk_policy: Annotated[str | None, typer.Option("--risk-policy", help=(
                    "conservative (low risk), balanced (+ medium), aggressive (all); default CODI_RISK_POLICY "
                    "or conservative."))] = None,
                run: Annotated[str | None, typer.Option("--run", help=(
                    "With --apply: adopt the candidate this run directory recommends (its own file), after "
                    "checking the Dockerfile is still the one the run read."))] = None) -> None:
    """Write better Dockerfiles for a project (verified candidates) to a folder, or print one, or --apply one."""
    from codi.atomic import atomic_write_text
    from codi.service.rewrite import rewrite

    if run is not None and not apply:
        raise fail("--run goes with --apply (it adopts that run's recommended candidate)")
    if apply:
        raise typer.Exit(_apply(ctx_out=None, project=project, dockerfile=dockerfile, stack=stack, config=config,
                                rules=rules, limit=candidate_limit, risk_policy=risk_policy, run_dir=run))
    cands = _guard(rewrite, project, dockerfile, stack, config, rules, candidate_limit)
    if not cands.built:
        reasons = "; ".join(f"{r.rule_id}: {r.reason}" for r in cands.rejected) or "none fits"
        raise fail(f"no candidate passed verification ({reasons})")
    if stdout:
        sys.stdout.write(cands.built[0].text)
        return
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for built in cands.built:
            atomic_write_text(folder / Path(built.record.path).name, built.text)
    except OSError as exc:
        raise fail(f"{folder}: cannot write: {exc.strerror or exc}") from None
    for built in cands.built:
        sys.stdout.write(f"{folder / Path(built.record.path).name}  ({built.record.title}, risk {built.record.risk})\n")
    for note in cands.notes:
        sys.stderr.write(f"note: {note}\n")


def _apply(ctx_out: str | None, project: str, dockerfile: str | None, stack: str | None, config: str | None,
           rules: str | None, limit: int, risk_policy: str | None, run_dir: str | None = None) -> int:
    """`codi rewrite --apply`: exit 0 written, 1 nothing within the policy (nothing written)."""
    from codi.policy import PolicyError
    from codi.service.audit import resolve_policy
    from codi.service.rewrite import apply_from_run, apply_recommended

    try:
        policy = resolve_policy(risk_policy, out=ctx_out, actor=os.environ.get("USER"), command="rewrite --apply")
    except PolicyError as exc:
        raise fail(str(exc)) from None
    if run_dir is not None:
        result = _guard(apply_from_run, Path(run_dir), project, policy.name, dockerfile)
    else:
        result = _guard(apply_recommended, project, policy.name, dockerfile, stack, config, rules, limit,
                        output_root(), rag_enabled())
    if not result.decisions:
        raise fail("no candidate to apply: none passed verification (or, with --run, every one failed its build); `codi run` says why")
    for choice, decision in result.decisions:
        rec = ", recommended" if choice is result.recommended else ""
        sys.stdout.write(f"{decision}: {choice.record.id} ({choice.record.title}, risk {choice.record.risk}{rec})\n")
    if result.written is None:
        sys.stderr.write(f"codi: error: {result.why}\n")
        return 1
    kept = result.backup.name if result.backup else f"{result.dockerfile.name}.orig"
    sys.stderr.write(f"codi: {result.why}\ncodi: wrote {result.dockerfile} (risk policy {policy.name}; the "
                     f"original is {kept})\n")
    if result.model_words:
        sys.stderr.write(f"codi: why (the local model, checked against the run's facts): {result.model_words}\n")
    return 0


def _run(ctx: typer.Context, project: str, options: RunOptions, as_json: bool) -> RunResult:
    from codi.cli.project_view import run_progress
    from codi.service.run import run_project

    with run_progress(options.real) as progress:
        options.progress = progress
        result: RunResult = _guard(run_project, project, options)
    if as_json:
        payload = {"run_id": result.run_id, "run_dir": str(result.run_dir) if result.run_dir else None,
                   "dry_run": options.dry_run, "would_write": result.planned if options.dry_run else None,
                   "run": result.record.model_dump(mode="json"), "metrics": result.metrics.model_dump(mode="json")}
        from codi.telemetry.redact import redact_data

        sys.stdout.write(json.dumps(redact_data(payload) if options.redact else payload, indent=2) + "\n")
    else:
        from codi.cli.project_view import show_run

        show_run(result, options.dry_run)
    _model_off_note(options)
    return result


def _model_off_note(options: RunOptions) -> None:
    """The core install has no model: say so, and which extra turns it on (the run itself is complete)."""
    from codi.config.extras import MODEL_HINT, installed
    from codi.llm.endpoints import endpoints_from_env

    if options.llm and not installed("llm") and not endpoints_from_env():
        sys.stderr.write("note: the model is off (llama-cpp-python is not installed): deterministic ranking and "
                         f"CODI's own sentences; to turn it on: {MODEL_HINT}\n")


def _options(ctx: typer.Context, out: str | None, dry_run: bool, no_llm: bool, disable_rag: bool, limit: int,
             stack: str | None, dockerfile: str | None, rules: str | None, config: str | None,
             real: bool = False, engine: str = "auto", keep_images: bool = False,
             build_timeout: float = 600.0, build_arg: list[str] | None = None, target: str | None = None,
             context: str | None = None, no_redact: bool = False, no_adapter: bool = False,
             build_network: bool | None = None, ca_bundle: str | None = None,
             probes: list[str] | None = None) -> RunOptions:
    from codi.service.run import RunOptions
    from codi.telemetry.redact import RedactionRefused, check_no_redact

    try:
        redact = check_no_redact(no_redact)
    except RedactionRefused as exc:
        raise fail(str(exc)) from None

    llm_env, rag_env = llm_enabled(), rag_enabled()
    return RunOptions(out=out_root(ctx, out), dockerfile=dockerfile, stack=stack, candidate_limit=limit,
                      dry_run=dry_run, llm=llm_env and not no_llm, rag=rag_env and not disable_rag,
                      rules_path=rules, config_file=config, real=real, engine=engine, keep_images=keep_images,
                      build_timeout=build_timeout, build_args=build_args(build_arg or []), target=target,
                      context=context, redact=redact, adapter=NO_ADAPTER if no_adapter else None,
                      build_network=build_network, ca_bundle=ca_bundle,
                      probes=list(probes or []))


OutOpt = Annotated[str | None, typer.Option("--out", help="Runs folder (default: env CODI_OUTPUT_ROOT, else ./runs).")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Write nothing; show what would be written.")]
NoLlmOpt = Annotated[bool, typer.Option("--no-llm", help="Do not use the local model: deterministic ranking and "
                                                         "explanations (also LLM_ENABLED=false).")]
NoRagOpt = Annotated[bool, typer.Option("--disable-rag", help="Do not consult or update the memory of past runs "
                                                              "(also CODI_RAG=off).")]
RealOpt = Annotated[bool, typer.Option("--real", help="Build and smoke-run the original and every candidate with a "
                                                      "real engine; record measured numbers.")]
EngineOpt = Annotated[str, typer.Option("--engine", help="Build engine for --real: auto, docker or buildah.")]
KeepOpt = Annotated[bool, typer.Option("--keep-images", help="Keep the images --real builds.")]
TimeoutOpt = Annotated[float, typer.Option("--build-timeout", min=1, help="Seconds one --real build may take.")]
BuildArgOpt = Annotated[list[str] | None, typer.Option("--build-arg", help="NAME=VALUE as docker build takes "
                                                                          "it: FROM lines, the runtime contract and "
                                                                          "--real builds (repeatable; NAME alone "
                                                                          "takes it from the environment).")]
TargetOpt = Annotated[str | None, typer.Option("--target", help="The stage that is built (as docker build "
                                                                "--target); default: the last stage that is not a "
                                                                "dev/test stage.")]
ContextOpt = Annotated[str | None, typer.Option("--context", help="The build context, when it is not the project "
                                                                  "folder (a Dockerfile in a monorepo subfolder built "
                                                                  "from the repository root).")]
ProbeOpt = Annotated[list[str] | None, typer.Option("--probe", help=(
    "An HTTP path the --real smoke run asks the original and every candidate, beside / and the health path "
    "(repeatable); a candidate whose answers differ fails its smoke."))]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the run record as JSON.")]
NetOpt = Annotated[bool | None, typer.Option("--build-network/--no-build-network", help=(
    "Let RUN steps of --real builds reach what this machine reaches (package registries); base images are "
    "never pulled. Default: env CODI_BUILD_NETWORK, else [measure] build_network in the system config, else off. "
    "Refused in air-gap mode (AIRGAP, default on): set AIRGAP=false with it."))]
CaOpt = Annotated[str | None, typer.Option("--ca-bundle", help=(
    "PEM bundle whose extra CAs --real builds trust, mounted read-only for stand-ins made without them "
    "(default: env CODI_CA_BUNDLE, [measure] ca_bundle, else /etc/ssl/certs/ca-certificates.crt; `none`: off)."))]
NoAdapterOpt = Annotated[bool, typer.Option("--no-adapter", help="Use the local model without its adapter "
                                                               "(the shipped or installed one; also "
                                                               "ADAPTER_PATH=none).")]
NoRedactOpt = Annotated[bool, typer.Option("--no-redact", help=(
    "Write secrets found in the project as they are in reports, metadata and logs too (inputs/ and "
    "candidates/ are always verbatim; debugging only; refused when CODI_PRODUCTION=1)."))]


@app.command("run")
def run_cmd(ctx: typer.Context, project: ProjectArg, out: OutOpt = None, dry_run: DryOpt = False,
            no_llm: NoLlmOpt = False, disable_rag: NoRagOpt = False, candidate_limit: LimitOpt = 3,
            stack: StackOpt = None, dockerfile: DockerfileOpt = None, rules: RulesOpt = None,
            config: ConfigOpt = None, as_json: JsonOpt = False, real: RealOpt = False, engine: EngineOpt = "auto",
            keep_images: KeepOpt = False, build_timeout: TimeoutOpt = 600.0, build_arg: BuildArgOpt = None,
            target: TargetOpt = None, context: ContextOpt = None, no_redact: NoRedactOpt = False,
            no_adapter: NoAdapterOpt = False, build_network: NetOpt = None, ca_bundle: CaOpt = None,
            probe: ProbeOpt = None) -> None:
    """Analyse a project, build and verify candidates, estimate (or with --real measure) numbers, rank and
    explain them, and write a run directory with reports. With --real, exits 1 when the original could not
    be built (the run directory is still written, marked so)."""
    if engine not in ("auto", "docker", "buildah"):
        raise fail(f"unknown engine {engine!r} (use auto, docker or buildah)")
    result = _run(ctx, project, _options(ctx, out, dry_run, no_llm, disable_rag, candidate_limit, stack, dockerfile,
                                         rules, config, real, engine, keep_images, build_timeout, build_arg, target,
                                         context, no_redact, no_adapter, build_network, ca_bundle, probe), as_json)
    _failed_check(result)


@app.command("all")
def all_cmd(ctx: typer.Context, project: ProjectArg, out: OutOpt = None, no_llm: NoLlmOpt = False,
            disable_rag: NoRagOpt = False, candidate_limit: LimitOpt = 3, stack: StackOpt = None,
            dockerfile: DockerfileOpt = None, rules: RulesOpt = None, config: ConfigOpt = None,
            as_json: JsonOpt = False, real: RealOpt = False, engine: EngineOpt = "auto",
            keep_images: KeepOpt = False, build_timeout: TimeoutOpt = 600.0, build_arg: BuildArgOpt = None,
            target: TargetOpt = None, context: ContextOpt = None, no_redact: NoRedactOpt = False,
            no_adapter: NoAdapterOpt = False, build_network: NetOpt = None, ca_bundle: CaOpt = None,
            probe: ProbeOpt = None) -> None:
    """`codi run` followed by `codi report` on the new run."""
    from codi.report.render import render_reports

    if engine not in ("auto", "docker", "buildah"):
        raise fail(f"unknown engine {engine!r} (use auto, docker or buildah)")
    result = _run(ctx, project, _options(ctx, out, False, no_llm, disable_rag, candidate_limit, stack, dockerfile,
                                         rules, config, real, engine, keep_images, build_timeout, build_arg, target,
                                         context, no_redact, no_adapter, build_network, ca_bundle, probe), as_json)
    if result.run_dir is not None:
        md, html = _guard(render_reports, result.run_dir)
        if not as_json:
            sys.stdout.write(f"report: {md}\nreport: {html}\n")
    _failed_check(result)


def _failed_check(result: RunResult) -> None:
    """A --real run that measured nothing of the original fails (exit 1), with its reason in one line."""
    if result.failed_check:
        where = f" (run written to {result.run_dir}, marked MEASUREMENT FAILED)" if result.run_dir else ""
        sys.stderr.write(f"codi: error: {result.failed_check}{where}\n")
        raise typer.Exit(1)


@app.command("report")
def report_cmd(run_dir: Annotated[str, typer.Argument(help="A run directory written by `codi run`.")]) -> None:
    """(Re-)render reports/report.md and reports/report.html of a run directory."""
    from codi.report.render import render_reports

    folder = Path(run_dir)
    if not folder.is_dir():
        raise fail(f"{run_dir}: no such run directory")
    md, html = _guard(render_reports, folder)
    sys.stdout.write(f"{md}\n{html}\n")
