"""The RUN-script DL rules over the shared corpus: never crash, and every fix they offer
applies cleanly, keeps the file parseable and resolves its own finding."""

from __future__ import annotations

from pathlib import Path

from codi.parser import parse
from codi.parser.semantic import build_model
from codi.rules.base import Finding, Rule, RuleContext
from codi.rules.registry import all_rules


def run_script_rules() -> list[Rule]:
    return [cls() for cls in all_rules() if cls.__module__.startswith("codi.rules.dl.run_")]


def context(text: str) -> RuleContext:
    df = parse(text)
    return RuleContext(path="Dockerfile", dockerfile=df, model=build_model(df))


def apply(text: str, finding: Finding) -> str:
    assert finding.fix is not None
    for edit in sorted(finding.fix.edits, key=lambda e: -e.start):
        assert 0 <= edit.start <= edit.end <= len(text)
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text


def test_all_run_rules_are_registered() -> None:
    codes = {r.code for r in run_script_rules()}
    expected = {
        "DL3001", "DL3003", "DL3004", "DL3008", "DL3009", "DL3013", "DL3014", "DL3015", "DL3016",
        "DL3018", "DL3019", "DL3027", "DL3028", "DL3030", "DL3032", "DL3033", "DL3034", "DL3035",
        "DL3036", "DL3037", "DL3038", "DL3040", "DL3041", "DL3042", "DL3046", "DL3047", "DL3060",
        "DL3062", "DL4001", "DL4005", "DL4006",
    }  # fmt: skip
    assert codes == expected


def test_docs_have_the_sections_in_order() -> None:
    for rule in run_script_rules():
        doc = rule.docs()
        heads = [
            h for h in ("## What it does", "## Why is this bad?", "## Example", "## Use instead") if h in doc
        ]
        assert len(heads) == 4, rule.code
        assert [doc.index(h) for h in heads] == sorted(doc.index(h) for h in heads), rule.code
        assert ("## Fix safety" in doc) == (rule.fix_applicability is not None), rule.code


def test_corpus_no_crash_and_fixes_resolve_their_findings(corpus: list[Path]) -> None:
    rules = run_script_rules()
    fixes = 0
    for path in corpus:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        try:
            ctx = context(text)
        except Exception:  # unparsable corpus files are the parser's business
            continue
        for rule in rules:
            for finding in rule.check(ctx):
                assert finding.line >= 1
                if finding.fix is None:
                    continue
                assert finding.fix.applicability is rule.fix_applicability, rule.code
                fixes += 1
                fixed = apply(text, finding)
                after = [f.line for f in rule.check(context(fixed))]
                assert finding.line not in after, (path.name, rule.code, finding.line)
    assert fixes > 100
