"""`codi lint --fix` / `codi fix`: apply verified fixes file by file, atomically, then lint again."""

from __future__ import annotations

import difflib
import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from codi.atomic import atomic_write_text
from codi.fix.apply import FixOutcome, LintFailed, fix_text
from codi.rules.base import Finding
from codi.rules.engine import Engine, FileInput, FileSettings
from codi.rules.registry import all_rules
from codi.service.audit import audit_fix
from codi.service.errors import LintUsageError
from codi.service.lint import STDIN, LintOutcome, LintRequest, file_settings, run_lint
from codi.service.lint_jobs import FixTask, fix_texts
from codi.telemetry.audit import sha256_text


@dataclass(slots=True)
class FixedFile:
    path: str
    outcome: FixOutcome
    written: bool = False
    error: str | None = None

    @property
    def diff(self) -> str:
        lines = difflib.unified_diff(self.outcome.original.splitlines(keepends=True),
                                     self.outcome.fixed.splitlines(keepends=True),
                                     fromfile=f"a/{self.path.lstrip('/')}", tofile=f"b/{self.path.lstrip('/')}")
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@dataclass(slots=True)
class FixReport:
    files: list[FixedFile] = field(default_factory=list)
    lint: LintOutcome | None = None  # findings left after fixing (what is on disk now)
    policy: str | None = None  # the risk policy applied (codi.policy), when one was given
    proposed: list[Finding] = field(default_factory=list)  # fixable findings left: above the policy's risk

    @property
    def changed(self) -> list[FixedFile]:
        return [f for f in self.files if f.outcome.changed]


def _linter(settings: FileSettings, path: str) -> object:
    rules = [r for r in all_rules() if r.code != "SC"]  # ShellCheck: see codi.fix.apply
    engine = Engine(rules)
    context = None if path == STDIN else Path(path).parent

    def lint(text: str) -> list[Finding]:
        result = engine.lint([FileInput(path, text, settings, context)])
        if result.failed:
            raise LintFailed("; ".join(str(e) for e in result.errors))
        return result.findings

    return lint


def _check_writable(path: str) -> None:
    """A read-only file stays as it is: the rename of an atomic write would replace it all the same
    (and root may write anything), so look at its permission bits as well as at access()."""
    mode = os.stat(path).st_mode
    if not mode & 0o222 or not os.access(path, os.W_OK):
        raise PermissionError(errno.EACCES, "the file is read-only (make it writable to fix it)")


def fix_one(path: str, text: str, settings: FileSettings, unsafe: bool) -> FixOutcome:
    """The verified fixes of one file's text (pure: writes nothing)."""
    return fix_text(text, path, _linter(settings, path), unsafe=unsafe)  # type: ignore[arg-type]


def fix_paths(req: LintRequest, unsafe: bool = False, diff_only: bool = False,
              risk_policy: str | None = None) -> FixReport:
    """Fix every file ``req`` names. Raises LintUsageError for bad settings.

    ``risk_policy`` (codi.policy) also allows the unsafe (medium-risk) fixes when it applies medium risk;
    the fixable findings it leaves are ``proposed``."""
    from codi.policy import allows, fix_risk

    unsafe = unsafe or (risk_policy is not None and allows(risk_policy, "medium"))
    first = run_lint(req)
    report = FixReport(policy=risk_policy)
    rules = all_rules()
    tasks: list[FixTask] = []
    for path in first.result.files:
        settings = first.settings.get(path)
        text = first.result.texts.get(path)
        if settings is None or text is None:
            continue
        try:
            fsettings = file_settings(settings, rules)
        except Exception as exc:  # ConfigError: already validated by run_lint, kept for safety
            raise LintUsageError(str(exc)) from exc
        tasks.append(FixTask(path, text, fsettings, unsafe))
    for task, outcome in zip(tasks, fix_texts(fix_one, tasks, req.jobs), strict=True):
        path = task.path
        item = FixedFile(path, outcome)
        report.files.append(item)
        if outcome.changed and not diff_only and path != STDIN:
            try:
                target = os.path.realpath(path)  # through a link: fix the file, keep the link
                _check_writable(target)
                atomic_write_text(Path(target), outcome.fixed)
                item.written = True
                audit_fix([(path, sha256_text(outcome.original), [r.code for r in outcome.applied])], risk_policy)
            except OSError as exc:
                item.error = f"{path}: cannot write: {exc.strerror or exc}"
    if diff_only or not any(f.written for f in report.files):
        report.lint = first
    else:
        report.lint = run_lint(req)
    if risk_policy is not None:
        left = [f for f in report.lint.result.findings if f.fix is not None]
        if diff_only:  # nothing written: what the fixes above did not cover is left
            done = {(a.code, a.line) for item in report.files for a in item.outcome.applied}
            left = [f for f in left if (f.code, f.line) not in done]
        report.proposed = [f for f in left if not allows(risk_policy, fix_risk(f.fix.applicability.value))]
    return report
