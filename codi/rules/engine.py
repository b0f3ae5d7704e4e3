"""The lint engine: parse each file, run the selected rules, apply pragmas and overrides, sort.

Many files in one process. A file BuildKit's parser rejects becomes one CD0001 finding and the
other files are still linted; each instruction `docker build` would reject is a CD0001 finding
too, and the rules still check the rest of that file (as BuildKit reports its checks up to the
error). The file's ``# check=`` directive then drops or raises BuildKit checks' findings.
Batch rules (ShellCheck) run once over every file's context.

Fail closed: a rule that raises (or the parser failing inside, a RecursionError, a MemoryError)
does not stop the run, the other rules' findings are kept, and the failure is recorded in
``LintResult.errors``: the result is then ``failed`` (exit 3, ``failed: true``, an error entry in
every output format), never a pass. Each file's variable expansion shares one budget
(codi.parser.bounds); a file that uses it up gets a CD0003 finding. The findings that say part of a
file was not checked (CD0001, CD0003, CD0004) are reported whatever ``select`` says, unless their
own code or name is ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from codi.parser.bounds import expansion_budget
from codi.parser.errors import ParseError
from codi.parser.model import Dockerfile, Instruction
from codi.parser.validate import Diagnostic
from codi.rules.base import BatchRule, Finding, Rule, RuleConfig, RuleContext, Severity
from codi.rules.buildkit.checkdirective import EXPERIMENTAL, experimental_findings, may_turn_on_experimental
from codi.rules.dl.hidden import hidden_findings
from codi.rules.gc_pause import fewer_collections
from codi.rules.registry import merge_equivalents, silencing_codes
from codi.rules.selection import Selection, SelectionLayer
from codi.rules.suppress import Suppressions, collect
from codi.rules.unused_pragmas import UNUSED_CODE, unused_findings

if TYPE_CHECKING:
    from codi.parser.semantic import Model

PARSE_ERROR_CODE = "CD0001"
PARSE_ERROR_NAME = "parse-error"
EXPANSION_LIMIT_CODE = "CD0003"
SHELLCHECK_GAVE_UP_CODE = "CD0004"
# "this part was not checked": a selection that leaves them out must not turn a skipped check into a pass
NOT_CHECKED_CODES = frozenset({PARSE_ERROR_CODE, EXPANSION_LIMIT_CODE, SHELLCHECK_GAVE_UP_CODE})


@dataclass(slots=True)
class FileSettings:
    """How one file is linted (files under different config files may differ)."""

    selection: Selection
    severity: dict[str, Severity] = field(default_factory=dict)  # code, prefix or name -> level
    rule_config: RuleConfig = field(default_factory=RuleConfig)
    pragmas: bool = True
    plans: dict[tuple[type[Rule], ...], list[tuple[type[Rule], bool]]] = field(default_factory=dict, compare=False,
                                                                             repr=False)  # Engine._plan

    def level_for(self, finding: Finding) -> Severity:
        """The severity after overrides: an exact name wins, then the longest matching code prefix."""
        if not self.severity:
            return finding.severity
        name = finding.name.upper()
        if name in self.severity:
            return self.severity[name]
        code = finding.code.upper()
        best = ""
        for key in self.severity:
            if key != "ALL" and code.startswith(key) and len(key) > len(best):
                best = key
        if best:
            return self.severity[best]
        return self.severity.get("ALL", finding.severity)


@dataclass(slots=True)
class FileInput:
    path: str  # as shown to the user
    text: str
    settings: FileSettings
    context_dir: Path | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)  # `--build-arg NAME=VALUE`
    # The tree parse_syntax already made of ``text`` (the service's analysed original): not parsed again.
    syntax: Dockerfile | None = None
    # The model already built of ``syntax`` with ``build_args``: used when the lint reads that very tree.
    model: Model | None = None


@dataclass(frozen=True, slots=True)
class RuleError:
    """A rule (or the parser) that crashed: a bug in CODI, never the user's fault."""

    code: str
    file: str | None  # None when a batch rule failed for the whole run
    error: str

    def __str__(self) -> str:
        where = f" on {self.file}" if self.file else ""
        return f"internal error in {self.code}{where}: {self.error}"


@dataclass(slots=True)
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """Something went wrong inside CODI: the findings may be incomplete, so this is no pass."""
        return bool(self.errors)


def default_settings(rules: Sequence[type[Rule]], layers: Sequence[SelectionLayer] = ()) -> FileSettings:
    return FileSettings(selection=Selection(layers, rules))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _parse_error_finding(path: str, text: str, exc: ParseError | Diagnostic) -> Finding:
    lines = text.splitlines() or [""]
    line = min(max(exc.line, 1), len(lines))
    return Finding(
        code=PARSE_ERROR_CODE,
        name=PARSE_ERROR_NAME,
        severity=Severity.ERROR,
        message=exc.message,
        file=path,
        line=line,
        column=1,
        end_line=line,
        end_column=len(lines[line - 1]) + 1,
    )


def _limit_finding(path: str, instr: Instruction, why: str) -> Finding:
    """CD0003 on a line whose value passed an expansion limit (the model left it unknown)."""
    span = instr.span
    return Finding(code=EXPANSION_LIMIT_CODE, name="expansion-limit", severity=Severity.ERROR,
                   message=f"{why}: the value is unknown to the other checks", file=path, line=span.start_line,
                   column=span.start_col, end_line=span.end_line, end_column=span.end_col)


def _budget_finding(path: str, text: str, units: int) -> Finding:
    """The rules (not the model) used up the file's expansion budget: say so on the first line."""
    first = (text.splitlines() or [""])[0]
    return Finding(
        code=EXPANSION_LIMIT_CODE,
        name="expansion-limit",
        severity=Severity.ERROR,
        message=f"variable expansion used up this file's budget ({units:,} characters): "
                "some values were not checked",
        file=path,
        line=1,
        column=1,
        end_line=1,
        end_column=len(first) + 1,
    )


class Engine:
    """Runs a fixed set of rule classes; create once per lint invocation."""

    def __init__(self, rules: Sequence[type[Rule]]) -> None:
        self.rules = list(rules)
        self._instances: dict[str, Rule] = {}
        # id(plan) -> (the plan, its rules as instances, its DL rules); the plan is held so that its id stays its own
        self._planned_rules: dict[int, tuple[list[tuple[type[Rule], bool]], list[tuple[Rule, bool]], list[Rule]]] = {}

    def _instance(self, cls: type[Rule]) -> Rule:
        if cls.code not in self._instances:
            self._instances[cls.code] = cls()
        return self._instances[cls.code]

    def lint(self, inputs: Sequence[FileInput], on_file: Callable[[str], None] | None = None) -> LintResult:
        with fewer_collections():  # a quarter of the CPU time went to the collector
            return self._lint(inputs, on_file)

    def _lint(self, inputs: Sequence[FileInput], on_file: Callable[[str], None] | None) -> LintResult:
        from codi.parser.parse import lenient, parse_lenient
        from codi.parser.semantic import build_model
        from codi.rules.buildkit.checkdirective import apply_check_directive

        result = LintResult()
        raw: dict[str, list[Finding]] = {}
        contexts: dict[str, RuleContext] = {}
        by_path: dict[str, FileInput] = {}
        for item in inputs:
            result.files.append(item.path)
            result.texts[item.path] = item.text
            by_path[item.path] = item
            found = raw.setdefault(item.path, [])
            with expansion_budget(len(item.text)) as budget:
                try:
                    given = item.syntax
                    if given is not None and given.text == item.text and given.path == item.path:
                        df, problems = lenient(given)
                    else:
                        df, problems = parse_lenient(item.text, item.path)
                    model = item.model
                    if (model is not None and model.dockerfile is df
                            and dict(model.build_args) == dict(item.build_args)):
                        budget.spent_elsewhere(model.expansion_spent)  # as if it were built here
                    else:
                        model = build_model(df, item.build_args)
                except ParseError as exc:
                    if exc.kind == "internal":
                        result.errors.append(RuleError("parser", item.path, exc.message))
                    else:
                        found.append(_parse_error_finding(item.path, item.text, exc))
                except Exception as exc:  # a parser bug: report it, keep going
                    result.errors.append(RuleError("parser", item.path, _describe(exc)))
                else:
                    found.extend(_parse_error_finding(item.path, item.text, p) for p in problems)
                    found.extend(_limit_finding(item.path, instr, why) for instr, why in model.limits)
                    ctx = RuleContext(item.path, df, model, item.settings.rule_config, item.context_dir,
                                      item.build_args)
                    contexts[item.path] = ctx
                    found.extend(apply_check_directive(df, self._run_file_rules(ctx, item.settings, result.errors)))
                    if budget.exhausted and not any(f.code == EXPANSION_LIMIT_CODE for f in found):
                        found.append(_budget_finding(item.path, item.text, budget.units))
            if on_file is not None:
                on_file(item.path)
        self._run_batch_rules(contexts, by_path, raw, result.errors)
        for path, findings in raw.items():
            item = by_path[path]
            parsed = contexts.get(path)
            unused_wanted = item.settings.selection.selects(UNUSED_CODE)
            use_pragmas = (bool(findings) or unused_wanted) and parsed is not None and item.settings.pragmas
            pragmas = collect(parsed.dockerfile) if use_pragmas and parsed is not None else Suppressions()
            kept = self._finish(findings, item.settings, pragmas)
            if unused_wanted and pragmas.codes:
                kept.extend(unused_findings(pragmas, item, self.rules))
            result.findings.extend(kept)
        result.findings.sort(key=lambda f: (f.file, f.line, f.column, f.code))
        return result

    def _plan(self, settings: FileSettings) -> list[tuple[type[Rule], bool]]:
        """The file rules to run under ``settings``: (rule, selected); not selected = an experimental
        BuildKit check a file's `# check=experimental=` may turn on. Kept on the (shared) settings."""
        key = tuple(self.rules)
        plan = settings.plans.get(key)
        if plan is None:
            selection = settings.selection
            plan = []
            for cls in self.rules:
                if issubclass(cls, BatchRule):
                    continue
                if selection.rule_enabled(cls):
                    plan.append((cls, True))
                elif cls.name in EXPERIMENTAL and selection.selects_if_default(cls.code):
                    plan.append((cls, False))
            settings.plans[key] = plan
        return plan

    def _planned(self, settings: FileSettings) -> tuple[list[tuple[Rule, bool]], list[Rule]]:
        """``_plan`` with this engine's rule instances, and the selected DL rules (hidden_findings re-runs
        those; a directive's experimental check stays out): made once per plan, not per file."""
        plan = self._plan(settings)
        key = id(plan)
        hit = self._planned_rules.get(key)
        if hit is None or hit[0] is not plan:
            runs = [(self._instance(cls), selected) for cls, selected in plan]
            hit = (plan, runs, [rule for rule, selected in runs if selected and rule.code.startswith("DL")])
            self._planned_rules[key] = hit
        return hit[1], hit[2]

    def _run_file_rules(self, ctx: RuleContext, settings: FileSettings, errors: list[RuleError]) -> list[Finding]:
        found: list[Finding] = []
        experimental: bool | None = None
        runs, ran = self._planned(settings)
        for rule, selected in runs:
            if not selected:
                # BuildKit's experimental checks also run when the file's `# check=experimental=` asks.
                if experimental is None:
                    experimental = may_turn_on_experimental(ctx.dockerfile.text)
                if not experimental:
                    continue
            try:
                these = list(rule.check(ctx))
            except Exception as exc:  # one broken rule must not kill the run
                errors.append(RuleError(rule.code, ctx.path, _describe(exc)))
                continue
            found.extend(these if selected else experimental_findings(ctx.dockerfile, rule.name, these))
        # hadolint also lints instructions before the first FROM and inside ONBUILD
        found.extend(hidden_findings(ctx, ran, found, lambda code, e: errors.append(RuleError(code, ctx.path, _describe(e)))))
        return found

    def _run_batch_rules(
        self,
        contexts: dict[str, RuleContext],
        by_path: dict[str, FileInput],
        raw: dict[str, list[Finding]],
        errors: list[RuleError],
    ) -> None:
        for cls in self.rules:
            if not issubclass(cls, BatchRule):
                continue
            enabled: dict[int, bool] = {}  # per selection (most files share one): asking costs a walk of its layers
            ctxs = []
            for p, c in contexts.items():
                selection = by_path[p].settings.selection
                if id(selection) not in enabled:
                    enabled[id(selection)] = selection.rule_enabled(cls)
                if enabled[id(selection)]:
                    ctxs.append(c)
            if not ctxs:
                continue
            rule = self._instance(cls)
            assert isinstance(rule, BatchRule)
            try:
                findings = rule.check_batch(ctxs)
            except Exception as exc:
                errors.append(RuleError(cls.code, None, _describe(exc)))
                continue
            for f in findings:
                if f.file in raw:
                    raw[f.file].append(f)
                else:
                    errors.append(RuleError(cls.code, f.file, f"finding for a file not linted: {f.file}"))

    @staticmethod
    def _finish(findings: list[Finding], settings: FileSettings, pragmas: Suppressions) -> list[Finding]:
        kept: list[Finding] = []
        seen: set[tuple[str, int, int, str]] = set()
        selection = settings.selection
        for f in findings:
            # An experimental check's findings exist only where selected or turned on by the file.
            if (not selection.selects(f.code) and not (f.name in EXPERIMENTAL and selection.selects_if_default(f.code))
                    and not _not_checked(f, selection)):
                continue
            aliases = silencing_codes(f.code, f.message)  # a suppressed code reported in its place
            if (pragmas and pragmas.suppressed(f, aliases)) or any(selection.ignores_exactly(a) for a in aliases):
                continue
            key = (f.code, f.line, f.column, f.message)
            if key in seen:  # a rule reporting the same thing twice is noise
                continue
            seen.add(key)
            f.severity = settings.level_for(f)
            kept.append(f)
        return merge_equivalents(kept)  # one problem, one finding, under its canonical code


def _not_checked(f: Finding, selection: Selection) -> bool:
    """A finding that says part of the file was not checked, and its code is not ignored by name."""
    return f.code in NOT_CHECKED_CODES and not selection.ignores_exactly(f.code)
