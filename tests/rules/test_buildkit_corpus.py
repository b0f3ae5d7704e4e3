"""BuildKit checks and ShellCheck on the shared corpus of real Dockerfiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.parser import parse, parse_file
from codi.parser.expand import expand
from codi.parser.semantic import build_model
from codi.rules.base import RuleContext
from codi.rules.buildkit.keyvalue import LegacyKeyValueFormat
from codi.rules.registry import all_rules
from codi.rules.shellcheck.rule import ShellCheck
from codi.rules.shellcheck.runner import find_shellcheck


def context(path: Path) -> RuleContext:
    df = parse_file(path)
    return RuleContext(path=str(path), dockerfile=df, model=build_model(df), context_dir=path.parent)


def apply_fixes(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def test_every_buildkit_check_runs_on_the_corpus(corpus: list[Path]) -> None:
    rules = [cls() for cls in all_rules() if cls.code.startswith("BK")]
    assert len(rules) == 22
    for path in corpus:
        ctx = context(path)
        last_line = ctx.dockerfile.text.count("\n") + 1
        for rule in rules:
            for f in rule.check(ctx):
                assert 1 <= f.line <= f.end_line <= last_line, (path.name, f)


def _pairs(text: str) -> list[tuple[str, str]]:
    env = {"PATH": "/usr/bin", "HOME": "/root"}
    out: list[tuple[str, str]] = []
    for instr in parse(text).instructions:
        if instr.keyword in ("ENV", "LABEL"):
            out += [(instr.args[i], expand(instr.args[i + 1], env)) for i in range(0, len(instr.args) - 1, 3)]
    return out


def test_legacy_key_value_fix_keeps_meaning_on_the_corpus(corpus: list[Path]) -> None:
    dockerfile = pytest.importorskip("dockerfile")
    rule = LegacyKeyValueFormat()
    fixed_files = 0
    for path in corpus:
        ctx = context(path)
        findings = list(rule.check(ctx))
        edits = [(e.start, e.end, e.replacement) for f in findings if f.fix for e in f.fix.edits]
        if not edits:
            continue
        fixed_files += 1
        new = apply_fixes(ctx.dockerfile.text, edits)
        assert _pairs(new) == _pairs(ctx.dockerfile.text), path.name
        old_nodes = dockerfile.parse_string(ctx.dockerfile.text)
        new_nodes = dockerfile.parse_string(new)
        assert len(old_nodes) == len(new_nodes)
        for before, after in zip(old_nodes, new_nodes, strict=True):
            if before.cmd.lower() in ("env", "label") and before.value != after.value:
                assert after.value[0] == before.value[0] and len(after.value) == 2, path.name
        unfixed = sum(1 for f in findings if f.fix is None)
        assert len(list(rule.check(context_from_text(new, path)))) == unfixed, path.name
    assert fixed_files > 0


def context_from_text(text: str, path: Path) -> RuleContext:
    df = parse(text, str(path))
    return RuleContext(path=str(path), dockerfile=df, model=build_model(df))


@pytest.mark.skipif(find_shellcheck() is None, reason="shellcheck binary not installed")
def test_shellcheck_findings_land_inside_run_instructions(corpus: list[Path]) -> None:
    sample = corpus[::25]  # a spread of files keeps this test fast
    ctxs = [context(p) for p in sample]
    findings = ShellCheck().check_batch(ctxs)
    assert findings
    ranges: dict[str, list[tuple[int, int]]] = {}
    for ctx in ctxs:
        ranges[ctx.path] = [
            (i.start_line, i.end_line) for i in ctx.dockerfile.instructions if i.keyword == "RUN"
        ]
    for f in findings:
        assert f.code.startswith("SC") and f.code[2:].isdigit()
        assert any(a <= f.line <= b for a, b in ranges[f.file]), (f.file, f.line, f.code)
