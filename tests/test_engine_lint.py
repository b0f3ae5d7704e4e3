"""The engine, with small fake rules: parse errors, crashes, batch rules, selection, pragmas, order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from codi.rules.base import BatchRule, Finding, Rule, RuleContext, Severity
from codi.rules.cd.parse_error import ParseErrorRule
from codi.rules.engine import Engine, FileInput, FileSettings, LintResult
from codi.rules.selection import Selection, SelectionLayer


class EveryFrom(Rule):
    """Fires on each FROM."""

    code = "DL3006"
    name = "every-from"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.instructions("FROM"):
            yield self.finding(ctx, instr, "a FROM")


class EveryRun(Rule):
    """Fires on each RUN, and records the build context it saw."""

    code = "CD101"
    name = "every-run"
    severity = Severity.INFO
    seen_dirs: list[Path | None] = []

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        EveryRun.seen_dirs.append(ctx.context_dir)
        for instr in ctx.instructions("RUN"):
            yield self.finding(ctx, instr, "a RUN")


class OffByDefault(EveryRun):
    """Fires on each RUN but is off unless selected."""

    code = "CD201"
    name = "off-by-default"
    enabled_by_default = False


class Crashes(Rule):
    """Always raises."""

    code = "DL3999"
    name = "crashes"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        raise KeyError("boom")


class FakeShellCheck(BatchRule):
    """Reports SC2086 and SC2046 on every RUN; counts how often it is run."""

    code = "SC"
    name = "shellcheck"
    severity = Severity.WARNING
    calls: list[int] = []

    def check_batch(self, ctxs: list[RuleContext]) -> list[Finding]:
        FakeShellCheck.calls.append(len(ctxs))
        out = []
        for ctx in ctxs:
            for instr in ctx.instructions("RUN"):
                for code in ("SC2086", "SC2046"):
                    f = self.finding(ctx, instr, f"shellcheck says {code}")
                    f.code = code
                    out.append(f)
        return out


# CD0001 (parse-error) must be among the rules for parse failures to be selected.
RULES: list[type[Rule]] = [EveryFrom, EveryRun, OffByDefault, Crashes, FakeShellCheck, ParseErrorRule]

GOOD = "FROM alpine:3.20\nRUN echo $x\n"


@pytest.fixture(autouse=True)
def _reset() -> None:
    FakeShellCheck.calls.clear()
    EveryRun.seen_dirs.clear()


def settings(*layers: SelectionLayer, **kw: object) -> FileSettings:
    return FileSettings(Selection(list(layers), RULES), **kw)  # type: ignore[arg-type]


def lint(files: dict[str, str], fs: FileSettings | None = None, rules: list[type[Rule]] | None = None) -> LintResult:
    fs = fs or settings(SelectionLayer(ignore=("DL3999",)))
    inputs = [FileInput(p, t, fs, Path(p).parent) for p, t in files.items()]
    return Engine(rules or RULES).lint(inputs)


def codes(result: LintResult) -> list[tuple[str, int, str]]:
    return [(f.file, f.line, f.code) for f in result.findings]


def test_findings_sorted_by_file_line_column_code() -> None:
    result = lint({"b/Dockerfile": GOOD, "a/Dockerfile": "FROM x\nFROM y\nRUN true\n"})
    assert codes(result) == [
        ("a/Dockerfile", 1, "DL3006"),
        ("a/Dockerfile", 2, "DL3006"),
        ("a/Dockerfile", 3, "CD101"),
        ("a/Dockerfile", 3, "SC2046"),
        ("a/Dockerfile", 3, "SC2086"),
        ("b/Dockerfile", 1, "DL3006"),
        ("b/Dockerfile", 2, "CD101"),
        ("b/Dockerfile", 2, "SC2046"),
        ("b/Dockerfile", 2, "SC2086"),
    ]
    assert result.files == ["b/Dockerfile", "a/Dockerfile"]
    assert EveryRun.seen_dirs == [Path("b"), Path("a")]


def test_batch_rule_runs_once_for_all_files() -> None:
    lint({f"d{i}/Dockerfile": GOOD for i in range(5)})
    assert FakeShellCheck.calls == [5]


def test_parse_error_becomes_cd0001_and_other_files_are_linted() -> None:
    # a syntax error (BuildKit's parser rejects the file); an invalid instruction is one CD0001 among the
    # other findings (tests/rules/test_buildkit_invalid_instruction.py)
    result = lint({"bad/Dockerfile": "FROM alpine\nRUN cat <<EOF\n", "good/Dockerfile": GOOD})
    bad = [f for f in result.findings if f.file == "bad/Dockerfile"]
    assert [(f.code, f.line, f.severity) for f in bad] == [("CD0001", 2, Severity.ERROR)]
    assert bad[0].message and bad[0].name == "parse-error"
    assert any(f.file == "good/Dockerfile" and f.code == "DL3006" for f in result.findings)
    assert FakeShellCheck.calls == [1]  # the bad file is not handed to batch rules


def test_a_crashing_rule_is_reported_and_the_rest_still_run() -> None:
    result = lint({"a/Dockerfile": GOOD}, settings())
    assert [(e.code, e.file) for e in result.errors] == [("DL3999", "a/Dockerfile")]
    assert "KeyError" in result.errors[0].error and "boom" in str(result.errors[0])
    assert {f.code for f in result.findings} == {"DL3006", "CD101", "SC2046", "SC2086"}


def test_a_crashing_batch_rule_is_reported() -> None:
    class BrokenBatch(FakeShellCheck):
        def check_batch(self, ctxs: list[RuleContext]) -> list[Finding]:
            raise RuntimeError("shellcheck missing")

    result = lint({"a/Dockerfile": GOOD}, rules=[EveryFrom, BrokenBatch])
    assert [(e.code, e.file) for e in result.errors] == [("SC", None)]
    assert [f.code for f in result.findings] == ["DL3006"]


def test_selection_filters_rules_and_sc_codes() -> None:
    only = settings(SelectionLayer(select=("SC2086", "off-by-default")))
    assert {f.code for f in lint({"a/Dockerfile": GOOD}, only).findings} == {"SC2086", "CD201"}
    no_sc = settings(SelectionLayer(ignore=("SC", "DL3999")))
    lint({"a/Dockerfile": GOOD}, no_sc)
    assert FakeShellCheck.calls == [1]  # from the first lint only: SC was not run the second time


def test_files_can_have_different_selections() -> None:
    everything = settings(SelectionLayer(ignore=("DL3999",)))
    no_sc = settings(SelectionLayer(ignore=("SC", "DL3999")))
    inputs = [FileInput("a/Dockerfile", GOOD, everything), FileInput("b/Dockerfile", GOOD, no_sc)]
    result = Engine(RULES).lint(inputs)
    assert FakeShellCheck.calls == [1]
    assert {f.file for f in result.findings if f.code.startswith("SC")} == {"a/Dockerfile"}


def test_pragmas_next_instruction_and_global() -> None:
    text = (
        "# hadolint global ignore=SC2046\n"
        "FROM alpine:3.20\n"
        "# codi: ignore=every-run\n"
        "# hadolint ignore=SC2086\n"
        "RUN echo $x \\\n"
        "    && true\n"
        "\n"
        "RUN echo $y\n"
    )
    result = lint({"a/Dockerfile": text})
    assert codes(result) == [("a/Dockerfile", 2, "DL3006"), ("a/Dockerfile", 8, "CD101"),
                             ("a/Dockerfile", 8, "SC2086")]


def test_pragma_separated_by_a_blank_line_does_not_apply() -> None:
    text = "FROM alpine:3.20\n# hadolint ignore=CD101\n\nRUN true\n"
    assert ("a/Dockerfile", 4, "CD101") in codes(lint({"a/Dockerfile": text}))


def test_pragmas_can_be_switched_off() -> None:
    text = "FROM alpine:3.20\n# hadolint ignore=CD101\nRUN true\n"
    fs = settings(SelectionLayer(ignore=("DL3999",)), pragmas=False)
    assert ("a/Dockerfile", 3, "CD101") in codes(lint({"a/Dockerfile": text}, fs))


def test_severity_overrides_by_code_prefix_and_name() -> None:
    fs = settings(
        SelectionLayer(ignore=("DL3999",)),
        severity={"DL3006": Severity.ERROR, "SC": Severity.INFO, "SC2046": Severity.STYLE, "EVERY-RUN": Severity.ERROR},
    )
    levels = {f.code: f.severity for f in lint({"a/Dockerfile": GOOD}, fs).findings}
    assert levels == {"DL3006": Severity.ERROR, "CD101": Severity.ERROR, "SC2086": Severity.INFO,
                      "SC2046": Severity.STYLE}


def test_severity_override_for_all() -> None:
    fs = settings(SelectionLayer(ignore=("DL3999",)), severity={"ALL": Severity.STYLE, "DL3006": Severity.ERROR})
    levels = {f.code: f.severity for f in lint({"a/Dockerfile": GOOD}, fs).findings}
    assert levels == {"DL3006": Severity.ERROR, "CD101": Severity.STYLE, "SC2086": Severity.STYLE,
                      "SC2046": Severity.STYLE}
