"""Lint a project's Dockerfile and any candidate text with one resolved configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from codi.config import ConfigError
from codi.fix.apply import LintFailed
from codi.parser.model import Dockerfile
from codi.parser.semantic import Model
from codi.rules.base import Finding
from codi.rules.engine import Engine, FileInput, FileSettings
from codi.rules.registry import all_rules
from codi.service.errors import InputError, LintUsageError
from codi.service.lint import LintRequest, file_settings, run_lint


@dataclass(slots=True)
class ProjectLinter:
    """The original's findings plus a way to lint other texts (candidates, fixes) the same way."""

    path: Path
    findings: list[Finding]
    settings: FileSettings
    config_sources: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # internal errors of the lint: it failed, not passed
    syntax: Dockerfile | None = None  # the original's tree: linting the original again does not parse it again

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def lint_text(self, text: str, context_dir: Path | None = None, with_batch: bool = True,
                  syntax: Dockerfile | None = None, model: Model | None = None) -> list[Finding]:
        """The findings of another text under the same settings; LintFailed when the lint failed inside.
        ``syntax``: a tree of ``text`` the caller already parsed (else the original's is used when it fits);
        ``model``: that tree's model without build args, when the caller has it (not built again)."""
        rules = [r for r in all_rules() if with_batch or r.code != "SC"]
        result = Engine(rules).lint([FileInput(str(self.path), text, self.settings, context_dir or self.path.parent,
                                               syntax=syntax or self.syntax, model=model)])
        if result.failed:
            raise LintFailed("; ".join(str(e) for e in result.errors))
        return result.findings


def lint_failure_notes(errors: list[str]) -> list[str]:
    """What a run or report says when the original's lint failed inside (its findings are incomplete)."""
    return [f"the lint failed inside CODI, so its findings are incomplete: {e}" for e in errors]


def lint_project_file(path: Path, config_file: str | None = None, root: Path | None = None,
                      syntax: Dockerfile | None = None, model: Model | None = None) -> ProjectLinter:
    """Lint the project's Dockerfile; with ``root``, the file must lie inside it (one CODI found). ``syntax``:
    the tree the caller parsed of it (parse_syntax), used instead of parsing it again; ``model``: its model
    (used when it was built without build args, as the lint's is)."""
    try:
        outcome = run_lint(LintRequest(paths=[str(path)], config_file=config_file,
                                       confine_to=None if root is None else str(root),
                                       parsed=[syntax] if syntax is not None else [],
                                       models=[model] if model is not None else []))
    except LintUsageError as exc:
        raise InputError(str(exc)) from None
    if outcome.input_errors:
        raise InputError(outcome.input_errors[0])
    settings = outcome.settings.get(str(path))
    if settings is None:
        raise InputError(f"{path}: could not be linted")
    try:
        fsettings = file_settings(settings, all_rules())
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    return ProjectLinter(path, outcome.result.findings, fsettings, outcome.config_sources,
                         [str(e) for e in outcome.result.errors], syntax)
