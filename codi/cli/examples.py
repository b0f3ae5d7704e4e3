"""One example per command, shown at the end of its `--help` (tests/cli/test_help_text.py checks that
every command has one and that each names its own command)."""

from __future__ import annotations

import inspect

import typer

EXAMPLES: dict[str, str] = {
    "version": "codi version",
    "parse": "codi parse Dockerfile --format json",
    "lint": "codi lint . --format sarif --output-file codi.sarif",
    "rule": "codi rule DL3008",
    "fix": "codi fix --diff Dockerfile",
    "analyze": "codi analyze demo/python --json",
    "rewrite": "codi rewrite demo/python --out-dir codi-candidates",
    "run": "codi run demo/python --no-llm --out runs",
    "all": "codi all demo/python --no-llm",
    "report": "codi report runs/20260101T000000Z-python-demo",
    "serve": "codi serve --host 127.0.0.1 --port 8000",
    "dashboard": "codi dashboard --out runs --html dashboard.html",
    "perf": "codi ops perf",
    "doctor": "codi ops doctor",
    "scan": "codi scan --manifest repos.txt --out runs",
    "train": "codi model train --out-dir runs/train",
    "eval": "codi model eval --suite demo",
    "rules": "codi rules --format json",
    "rules show": "codi rules show DL3008",
    "rules install": "codi rules install rules-bundle.tgz",
    "rules rollback": "codi rules rollback",
    "llm": "codi model llm rank demo/python",
    "llm rank": "codi model llm rank demo/python",
    "llm explain": "codi model llm explain demo/python",
    "llm serve": "codi model llm serve",
    "adapter": "codi model adapter verify runs/train/adapter",
    "adapter verify": "codi model adapter verify runs/train/adapter",
    "adapter install": "codi model adapter install adapter-bundle.tgz",
    "adapter rollback": "codi model adapter rollback",
    "adapter promote": "codi model adapter promote runs/train/adapter --eval eval.json",
    "index": "codi model index rebuild",
    "index ensure-schema": "codi model index ensure-schema",
    "index rebuild": "codi model index rebuild runs",
    "index mark-applied": "codi model index mark-applied RUN_ID 002-python-pip-multistage",
    "stack": "codi ops stack status",
    "stack up": "codi ops stack up",
    "stack down": "codi ops stack down",
    "stack status": "codi ops stack status",
    "stack logs": "codi ops stack logs api",
    "bases": "codi ops bases list",
    "bases bootstrap": "codi ops bases bootstrap",
    "bases list": "codi ops bases list",
    "bases show": "codi ops bases show python:3.12-slim",
    "bundle": "codi ops bundle verify rules-bundle.tgz",
    "bundle build": "codi ops bundle build my-rules/",
    "bundle keygen": "codi ops bundle keygen signing.key",
    "bundle verify": "codi ops bundle verify rules-bundle.tgz",
    "backup": "codi ops backup create --out runs",
    "backup create": "codi ops backup create --out runs",
    "backup verify": "codi ops backup verify codi-backup-20260101T000000Z.tar.gz",
    "backup restore": "codi ops backup restore codi-backup-20260101T000000Z.tar.gz",
    "backup drill": "codi ops backup drill codi-backup-20260101T000000Z.tar.gz",
    "runs": "codi ops runs prune --out runs",
    "runs prune": "codi ops runs prune --out runs",
    "audit": "codi ops audit verify",
    "audit verify": "codi ops audit verify --out runs",
    "audit seal": "codi ops audit seal",
    "data": "codi model data build --out-dir data/",
    "data build": "codi model data build --out-dir data/",
    "metrics": "codi model metrics summarize --input runs/train",
    "metrics summarize": "codi model metrics summarize --input runs/train",
    "ops": "codi ops doctor",
    "model": "codi model train --out-dir runs/train",
}


def _with_example(text: str | None, path: str) -> str | None:
    example = EXAMPLES.get(path)
    if example is None or (text and "Example:" in text):
        return text
    return f"{(text or '').rstrip()}\n\nExample: {example}"


def add_examples(app: typer.Typer, prefix: str = "") -> None:
    """Append each command's example to its help (idempotent)."""
    for info in app.registered_commands:
        name = info.name or (info.callback.__name__ if info.callback else "")
        doc = info.help or (inspect.getdoc(info.callback) if info.callback else None)
        info.help = _with_example(doc, prefix + name)
    for sub in app.registered_groups:
        if sub.name is None:
            continue
        instance = sub.typer_instance
        doc = sub.help or instance.info.help
        if isinstance(doc, str):
            sub.help = _with_example(doc, prefix + sub.name)
        add_examples(instance, f"{prefix}{sub.name} " if sub.name not in ("ops", "model") else "")
