"""Helpers for the `codi lint` / `codi rules` CLI tests (in-process, with Typer's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

import codi.cli.lint_cmd  # noqa: F401  (attaches `lint` to the app)
import codi.cli.rules_cmd  # noqa: F401  (attaches `rules` to the app)
from codi.cli.app import app

# Settings from the developer's shell must not leak into the tests.
CLEAN_ENV: dict[str, str | None] = {
    name: None
    for name in (
        "CODI_SELECT",
        "CODI_EXTEND_SELECT",
        "CODI_IGNORE",
        "CODI_FAILURE_THRESHOLD",
        "CODI_NO_FAIL",
        "CODI_TRUSTED_REGISTRIES",
        "CODI_CONFIG",
        "NO_COLOR",
    )
}


def invoke(*args: str, input: str | None = None, env: dict[str, str | None] | None = None) -> Result:
    runner = CliRunner(env={**CLEAN_ENV, **(env or {})})
    return runner.invoke(app, list(args), input=input)


def lint_json(*args: str, **kw: Any) -> tuple[int, list[dict[str, Any]], str]:
    """Exit code, parsed JSON findings and stderr of `codi lint --format json ARGS`."""
    result = invoke("lint", "--format", "json", *args, **kw)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    data = json.loads(result.stdout) if result.stdout.strip() else []
    return result.exit_code, data, result.stderr


def project(root: Path, files: dict[str, str]) -> Path:
    """Write files under ``root`` and mark it as a repository root (config search stops there)."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
