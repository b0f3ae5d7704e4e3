"""The instruction-level DL rules on the shared corpus: no crash, and every fix re-parses and clears
its own finding."""

from __future__ import annotations

from pathlib import Path

from test_dl_docs import EXPECTED

from codi.parser import parse
from codi.parser.errors import ParseError
from codi.parser.semantic import build_model
from codi.rules.base import Finding, Rule, RuleConfig, RuleContext
from codi.rules.registry import get_rule

CONFIG = RuleConfig(
    trusted_registries=["docker.io"],
    label_schema={"maintainer": "email", "org.opencontainers.image.version": "semver"},
    strict_labels=True,
)


def _rules() -> list[Rule]:
    found = [get_rule(code) for code in sorted(EXPECTED)]
    return [cls() for cls in found if cls is not None]


def _check(rules: list[Rule], text: str) -> list[Finding]:
    df = parse(text)
    ctx = RuleContext(path="Dockerfile", dockerfile=df, model=build_model(df), config=CONFIG)
    return [f for rule in rules for f in rule.check(ctx)]


def test_rules_run_on_corpus_and_fixes_hold(corpus: list[Path]) -> None:
    rules = _rules()
    fired: set[str] = set()
    fixes = 0
    for path in corpus:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        try:
            findings = _check(rules, text)
        except ParseError:
            continue
        fired.update(f.code for f in findings)
        for finding in findings:
            if finding.fix is None:
                continue
            fixes += 1
            out = text
            for edit in sorted(finding.fix.edits, key=lambda e: -e.start):
                assert 0 <= edit.start <= edit.end <= len(text), (path.name, finding.code)
                out = out[: edit.start] + edit.replacement + out[edit.end :]
            again = _check(rules, out)  # must still parse
            same = [f for f in again if f.code == finding.code and f.line == finding.line and f.fix]
            assert len(same) < len(
                [f for f in findings if f.code == finding.code and f.line == finding.line]
            ), (
                path.name,
                finding.code,
                finding.line,
            )
    assert fixes > 0
    assert {"DL3006", "DL3007", "DL3020", "DL3025", "DL3059", "DL4000"} <= fired
