"""`codi llm rank|explain|serve`, `codi adapter verify`, `codi index ensure-schema|rebuild|mark-applied`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from codi.cli.app import app, out_root
from codi.cli.errors import fail
from codi.config.flags import rag_enabled
from codi.config.paths import NO_ADAPTER

if TYPE_CHECKING:
    from codi.service.assist import AssistResult

llm_app = typer.Typer(help="Rank and explain candidates with the local model; serve it OpenAI-style.",
                      no_args_is_help=True)
adapter_app = typer.Typer(help="LoRA adapters for the local model.", no_args_is_help=True)
index_app = typer.Typer(help="The run memory (<out>/_rag/index.sqlite3, or the Postgres at CODI_DB_URL).",
                        no_args_is_help=True)
app.add_typer(llm_app, name="llm")
app.add_typer(adapter_app, name="adapter")
app.add_typer(index_app, name="index")

ProjectArg = Annotated[str, typer.Argument(help="A project folder, or a run directory written by `codi run`.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Show at most this many candidates.")]
ExplainLimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help=(
    "The model explains this many of the best candidates (default 1); the others get CODI's own "
    "sentences, labelled deterministic."))]
ModelOpt = Annotated[str | None, typer.Option("--model", help="GGUF model file (default: CODE_MODEL / "
                                                              "MODEL_MOUNT_PATH / the bundled SmolLM2).")]
AdapterOpt = Annotated[str | None, typer.Option("--adapter", help="Adapter folder (verified before loading; "
                                                                  "default ADAPTER_PATH).")]
NoLlmOpt = Annotated[bool, typer.Option("--no-llm", help="Deterministic only.")]
NoAdapterOpt = Annotated[bool, typer.Option("--no-adapter", help="The model without its adapter (the shipped or "
                                                               "installed one; also ADAPTER_PATH=none).")]
NoRagOpt = Annotated[bool, typer.Option("--disable-rag", help="Do not consult the memory of past runs.")]
CandidateLimitOpt = Annotated[int, typer.Option("--candidate-limit", min=1, help=(
    "For a project folder: offer at most this many candidates, as `codi run --candidate-limit` does "
    "(default 3, the same)."))]
OutOpt = Annotated[str | None, typer.Option("--out", help="Runs folder holding _rag/ (default: CODI_OUTPUT_ROOT "
                                                          "or ./runs).")]




def _airgap() -> None:
    from codi.llm.airgap import install

    install()


def _inputs(project: str, candidate_limit: int) -> Any:
    """AssistInputs of a run dir, or of a fresh dry run (the candidates `codi run` would offer)."""
    from codi.service.assist_inputs import inputs_from_project, inputs_from_run
    from codi.service.errors import InputError

    folder = Path(project)
    try:
        if (folder / "metadata" / "run.json").is_file():
            return inputs_from_run(folder)
        return inputs_from_project(folder, candidate_limit=candidate_limit)
    except InputError as exc:
        raise fail(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise fail(f"{project}: cannot read: {exc}") from None


def _assist(ctx: typer.Context, project: str, limit: int | None, model: str | None, adapter: str | None,
            no_llm: bool, disable_rag: bool, out: str | None, explain: bool, candidate_limit: int,
            no_adapter: bool = False) -> AssistResult:
    from codi.llm.adapters import verify_adapter
    from codi.service.assist import AssistOptions, assist

    _airgap()
    if no_adapter:
        adapter = NO_ADAPTER
    elif adapter:
        report = verify_adapter(adapter)
        if not report.ok:
            raise fail(f"adapter {adapter} refused: " + "; ".join(report.problems), report.exit_code)
    given = _inputs(project, candidate_limit)
    rag_env = rag_enabled()
    options = AssistOptions(out=out_root(ctx, out), llm=not no_llm, rag=rag_env and not disable_rag, model=model,
                            adapter=adapter, limit=limit, explain=explain)
    return assist(given.record, given.metrics, given.findings, given.text, options)


def _metrics_line(m: dict[str, Any]) -> str:
    who = f"{m['model_id']} ({m['backend']})" if m.get("model_id") else "deterministic"
    if m.get("model_id"):
        who += f", adapter {m['adapter_version']}" if m.get("adapter_version") else ", no adapter"
    line = f"model: {who}, {m['latency_ms']} ms, {m['prompt_tokens']}+{m['completion_tokens']} tokens"
    return line + (f"\nfallback: {m['fallback_reason']}" if m.get("fallback_reason") else "")


@llm_app.command("rank")
def rank_cmd(ctx: typer.Context, project: ProjectArg, as_json: JsonOpt = False, limit: LimitOpt = None,
             model: ModelOpt = None, adapter: AdapterOpt = None, no_llm: NoLlmOpt = False,
             disable_rag: NoRagOpt = False, out: OutOpt = None, candidate_limit: CandidateLimitOpt = 3,
             no_adapter: NoAdapterOpt = False) -> None:
    """Rank a project's candidates: deterministic score first, the model only breaks near-ties."""
    result = _assist(ctx, project, limit, model, adapter, no_llm, disable_rag, out, False, candidate_limit,
                     no_adapter)
    if limit:
        result.ranking = result.ranking[:limit]
    if as_json:
        sys.stdout.write(json.dumps(result.rank_json(), indent=2) + "\n")
        return
    for r in result.ranking:
        sys.stdout.write(f"{r['rank']}. {r['candidate_id']}  score {r['score']}\n")
    sys.stdout.write(f"{result.rationale}\n{_metrics_line(result.llm_metrics)}\n")


@llm_app.command("explain")
def explain_cmd(ctx: typer.Context, project: ProjectArg, as_json: JsonOpt = False, limit: ExplainLimitOpt = None,
                model: ModelOpt = None, adapter: AdapterOpt = None, no_llm: NoLlmOpt = False,
                disable_rag: NoRagOpt = False, out: OutOpt = None, candidate_limit: CandidateLimitOpt = 3,
                no_adapter: NoAdapterOpt = False) -> None:
    """Explain each candidate in plain words (checked against CODI's facts)."""
    result = _assist(ctx, project, limit, model, adapter, no_llm, disable_rag, out, True, candidate_limit,
                     no_adapter)
    if as_json:
        sys.stdout.write(json.dumps(result.explain_json(), indent=2) + "\n")
        return
    sys.stdout.write(result.explain["summary"] + "\n\n")
    for e in result.explain["candidates"]:
        sys.stdout.write(f"{e['candidate_id']} [{e['source']}]: {e['text']}\n\n")
    sys.stdout.write(_metrics_line(result.llm_metrics) + "\n")


@llm_app.command("serve")
def serve_cmd(host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
              port: Annotated[int, typer.Option("--port", help="Port to bind.")] = 8081,
              model: ModelOpt = None, adapter: AdapterOpt = None) -> None:
    """Serve the embedded model OpenAI-style (/v1/chat/completions, /v1/models, /healthz)."""
    from codi.llm.adapters import AdapterError
    from codi.llm.runtime import ModelUnavailable, embedded
    from codi.llm.server import ModelServer

    _airgap()
    try:
        loaded = embedded(model, adapter)
        server = ModelServer(loaded, host, port)
    except AdapterError as exc:
        raise fail(str(exc), 1) from None
    except ModelUnavailable as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot bind {host}:{port}: {exc.strerror or exc}") from None
    sys.stderr.write(f"codi llm serve: {loaded.model_id} (adapter {loaded.adapter_version or 'none'}) "
                     f"on {server.url}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


@adapter_app.command("verify")
def adapter_verify_cmd(folder: Annotated[str, typer.Argument(help="The adapter folder.")], as_json: JsonOpt = False,
                       model: Annotated[str | None, typer.Option("--model", help="Base model id to check "
                                                                                  "against.")] = None,
                       ruleset: Annotated[str | None, typer.Option("--ruleset", help="Ruleset version to "
                                                                                      "check against.")] = None) -> None:
    """Check an adapter folder: checksums, no extra or outside files, compatible base model and ruleset.

    Exit 0 ok, 1 mismatch, 2 not a directory or unreadable.
    """
    from codi.llm.adapters import verify_adapter

    report = verify_adapter(folder, model, ruleset)
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
    elif report.ok:
        sys.stdout.write(f"{folder}: ok (version {report.version}, base {report.base_model})\n")
    else:
        for problem in report.problems:
            sys.stderr.write(f"{folder}: {problem}\n")
    raise typer.Exit(report.exit_code)


def _memory_failed(root: Path, exc: BaseException) -> typer.Exit:
    from codi.rag.index import memory_location

    return fail(f"{memory_location(root)}: {' '.join(str(exc).split()) or type(exc).__name__}")


@index_app.command("ensure-schema")
def ensure_schema_cmd(ctx: typer.Context, out: OutOpt = None) -> None:
    """Create or migrate the run memory's schema (idempotent)."""
    from codi.rag.index import connect_memory

    root = out_root(ctx, out)
    try:
        with connect_memory(root) as index:
            applied = index.ensure_schema()
    except (OSError, RuntimeError) as exc:  # RunMemoryError is a RuntimeError
        raise _memory_failed(root, exc) from None
    done = f"applied v{', v'.join(map(str, applied))}" if applied else "already current"
    sys.stdout.write(f"{index.location}: schema v{index.SCHEMA_VERSION} ({done})\n")


@index_app.command("rebuild")
def rebuild_cmd(ctx: typer.Context, runs: Annotated[list[str] | None, typer.Argument(
                    help="Folders of run dirs to index (default: the runs folder).")] = None,
                out: OutOpt = None,
                merge: Annotated[bool, typer.Option("--merge", help=(
                    "Add or replace the runs found and keep the others (a CODI_DB_URL memory shared by "
                    "several replicas holds their runs too); default: empty the memory first."))] = False) -> None:
    """Rebuild the run memory from run directories."""
    from codi.rag.index import memory_location
    from codi.rag.memory import rebuild

    root = out_root(ctx, out)
    try:
        count, problems = rebuild(root, runs or None, merge=merge)
    except (OSError, RuntimeError) as exc:  # RunMemoryError is a RuntimeError
        raise _memory_failed(root, exc) from None
    for problem in problems:
        sys.stderr.write(f"skipped {problem}\n")
    sys.stdout.write(f"{memory_location(root)}: {count} run(s) indexed\n")


@index_app.command("mark-applied")
def mark_applied_cmd(ctx: typer.Context, run_id: Annotated[str, typer.Argument(help="The run the candidate came "
                                                                                     "from.")],
                     candidate_id: Annotated[str, typer.Argument(help="The candidate you applied, e.g. "
                                                                      "002-python-pip-multistage.")],
                     out: OutOpt = None) -> None:
    """Record that you applied a candidate by hand; its rule then gains when similar projects are ranked."""
    from codi.rag.applied import UnknownRun, mark
    from codi.rag.index import open_memory

    root = out_root(ctx, out)
    try:
        with open_memory(root) as index:
            done = mark(index, root, run_id, candidate_id, "manual")
    except UnknownRun as exc:
        raise fail(str(exc.args[0])) from None
    except (OSError, RuntimeError, ValueError) as exc:  # RunMemoryError is a RuntimeError
        raise _memory_failed(root, exc) from None
    sys.stdout.write(f"{run_id}: {candidate_id} ({done.rule_id}) marked as applied ({index.location})\n")
