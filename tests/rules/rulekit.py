"""Helpers for rule tests (import as `from rulekit import run_rule, lines`): run one rule without the engine."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from codi.rules.base import BatchRule, Finding, RuleConfig, RuleContext
from codi.rules.registry import get_rule


def make_context(text: str, config: RuleConfig | None = None, context_dir: Path | None = None) -> RuleContext:
    from codi.parser import parse
    from codi.parser.semantic import build_model

    df = parse(text, lint_mode=True)
    return RuleContext(
        path="Dockerfile",
        dockerfile=df,
        model=build_model(df),
        config=config or RuleConfig(),
        context_dir=context_dir,
    )


def run_rule(code: str, text: str, config: RuleConfig | None = None, context_dir: Path | None = None) -> list[Finding]:
    """Findings of the rule ``code`` (a code or name) on ``text``."""
    cls = get_rule(code)
    assert cls is not None, f"no rule {code}"
    ctx = make_context(text, config, context_dir)
    rule = cls()
    if isinstance(rule, BatchRule):
        return rule.check_batch([ctx])
    return list(rule.check(ctx))


def lines(code: str, text: str, **kw: object) -> list[int]:
    """Line numbers where rule ``code`` fires on ``text``."""
    return [f.line for f in run_rule(code, text, **kw)]  # type: ignore[arg-type]


def count_shellcheck_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """From now on, the command lines of the ShellCheck processes started to check scripts (not
    `--version`), appended as they start."""
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(cmd: list[str], *args: Any, **kwargs: Any) -> Any:
        if cmd and "shellcheck" in str(cmd[0]) and "--version" not in cmd:
            calls.append(list(cmd))
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)
    return calls
