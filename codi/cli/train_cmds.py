"""`codi train`, `codi eval`, `codi adapter promote` (the training extra: pip install 'codi[train]')."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from codi.cli.app import app
from codi.cli.errors import fail
from codi.cli.llm_cmds import adapter_app

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]



def _need_train_extra() -> None:
    missing = [m for m in ("torch", "transformers", "peft", "gguf") if importlib.util.find_spec(m) is None]
    if missing:
        raise fail(f"training needs {', '.join(missing)}: pip install 'codi[train]' "
                    "(torch from the CPU wheel: --find-links /opt/wheels or the PyTorch CPU index)")


def _log(line: str) -> None:
    sys.stderr.write(line + "\n")


@app.command("train")
def train_cmd(preset: Annotated[str, typer.Option("--preset", help="tiny (tests, minutes) or small (the real "
                                                                   "run).")] = "tiny",
              data: Annotated[str | None, typer.Option("--data", help="Pairs folder from `codi data build` "
                                                                      "(default: the preset builds it).")] = None,
              out_dir: Annotated[str | None, typer.Option("--out-dir", metavar="DIR", show_default=False,
                                                          help="Run folder: adapter/, checkpoints/, telemetry/ "
                                                               "(default runs/train).")] = None,
              out_alias: Annotated[str | None, typer.Option("--out", hidden=True, help="Old name of --out-dir.")
                                   ] = None,
              resume: Annotated[bool, typer.Option("--resume", help="Continue from <out>/checkpoints/last.")] = False,
              max_steps: Annotated[int | None, typer.Option("--max-steps", min=1, help="Cap the optimizer "
                                                                                      "steps.")] = None,
              as_json: JsonOpt = False) -> None:
    """Train a LoRA adapter for the embedded model on CODI's own pairs (CPU) and write it as GGUF."""
    out = out_dir or out_alias or "runs/train"
    _need_train_extra()
    from codi.training.train import preset_named, train

    try:
        chosen = preset_named(preset, max_steps=max_steps)
    except ValueError as exc:
        raise fail(str(exc)) from None
    root = Path(out)
    folder = Path(data) if data else _build_data(preset, root / "data")
    try:
        result = train(folder, root, chosen, resume=resume, log=_log)
    except (ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    summary = {"adapter": str(result.adapter_dir), "version": result.version, "steps": result.steps,
               "seconds": result.seconds, "peak_rss_mb": result.peak_rss_mb, "train_loss": result.train_loss,
               "val_loss_before": result.val_loss_before, "val_loss": result.val_loss, "pairs": result.pairs}
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        sys.stdout.write(f"adapter {result.version} -> {result.adapter_dir} ({result.steps} steps, "
                         f"{result.seconds:.0f} s, peak RSS {result.peak_rss_mb:.0f} MB, "
                         f"val loss {result.val_loss_before} -> {result.val_loss})\n")


SHARED = Path(__file__).resolve().parents[2].parent / "shared"  # ../shared next to the checkout
TINY_SAMPLE = 24  # shared-corpus Dockerfiles the tiny preset samples


def _build_data(preset: str, folder: Path) -> Path:
    """The preset's own pairs, built by `codi data build`: tiny samples the shared corpus (or takes the
    bundled fixture corpus when ../shared is absent); small takes the whole shared corpus, leaving
    ../shared/projects unseen for `codi eval`."""
    from codi.training.corpus import BUNDLED_CORPUS
    from codi.training.data import BuildOptions, build

    shared = SHARED / "corpus"
    if preset == "tiny":
        corpus, limit = (shared, TINY_SAMPLE) if shared.is_dir() else (BUNDLED_CORPUS, None)
    elif shared.is_dir():
        corpus, limit = shared, None
    else:
        raise fail(f"--preset {preset} without --data needs the shared corpus at {shared}")
    _log(f"building the {preset} preset's pairs from {corpus} under {folder}")
    build(BuildOptions(out=folder, corpus=corpus, limit=limit, progress=_log))
    return folder


@app.command("eval")
def eval_cmd(suite: Annotated[str, typer.Option("--suite", help="A folder of projects or of Dockerfiles.")],
             adapter: Annotated[str | None, typer.Option("--adapter", help="Adapter folder to compare with "
                                                                           "the base model.")] = None,
             held_out: Annotated[str | None, typer.Option("--held-out", help="Pairs folder (its test.jsonl); "
                                                                             "default: the adapter's dataset.")] = None,
             bootstrap: Annotated[int, typer.Option("--bootstrap", min=0, help="Bootstrap resamples for the "
                                                                                "confidence intervals.")] = 1000,
             limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many suite "
                                                                              "items and held-out pairs.")] = None,
             no_llm: Annotated[bool, typer.Option("--no-llm", help="The deterministic layer only.")] = False,
             out: Annotated[str | None, typer.Option("--output-file", "-o", metavar="FILE", show_default=False,
                                                     help="Also write the report here.")] = None,
             out_alias: Annotated[str | None, typer.Option("--out", hidden=True,
                                                           help="Old name of --output-file.")] = None,
             as_json: JsonOpt = False) -> None:
    """Evaluate CODI and the local model (base vs adapter) on a suite and the held-out pairs."""
    out = out or out_alias
    from codi.training.eval import EvalOptions, evaluate, render_text

    options = EvalOptions(suite=Path(suite), adapter=Path(adapter) if adapter else None,
                          held_out=Path(held_out) if held_out else None, bootstrap=bootstrap, limit=limit,
                          llm=not no_llm)
    try:
        report = evaluate(options, log=_log)
    except (ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(json.dumps(report, indent=2) + "\n" if as_json else render_text(report))


@adapter_app.command("promote")
def promote_cmd(folder: Annotated[str, typer.Argument(help="The adapter folder.")],
                report: Annotated[str, typer.Option("--eval", help="The `codi eval --json` report of this "
                                                                   "adapter.")],
                out: Annotated[str | None, typer.Option("--out", help="Runs folder holding .codi-state "
                                                                      "(CODI_STATE_DIR wins).")] = None,
                as_json: JsonOpt = False) -> None:
    """Promote an adapter: no worse on every deterministic metric and better on acceptance, or refuse (exit 1)."""
    from codi.training.promote import PromotionRefused, promote

    try:
        record = promote(Path(folder), Path(report), out)
    except PromotionRefused as exc:
        if as_json:
            sys.stdout.write(json.dumps({"promoted": False, "reasons": exc.reasons}, indent=2) + "\n")
        for reason in exc.reasons:
            sys.stderr.write(f"{folder}: not promoted: {reason}\n")
        raise typer.Exit(1) from None
    except (ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(record, indent=2) + "\n")
    else:
        sys.stdout.write(f"promoted adapter {record['version']} (acceptance {record['acceptance']['base']} -> "
                         f"{record['acceptance']['adapter']}); recorded in {record['record']}\n")
