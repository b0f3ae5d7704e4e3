"""Property test over the shared corpus: fixes keep files valid, idempotent and never add findings."""

from __future__ import annotations

from collections import Counter

import pytest
from codi_testdata import corpus_files

from codi.fix.apply import fix_text
from codi.rules.engine import Engine, FileInput
from codi.rules.registry import all_rules
from codi.service.lint import LintRequest, file_settings, run_lint

dockerfile = pytest.importorskip("dockerfile", reason="BuildKit's parser wheel (dev extra) is needed")

FILES = corpus_files()


@pytest.fixture(scope="module")
def linted():  # type: ignore[no-untyped-def]
    if not FILES:
        pytest.skip("shared corpus not found (../shared/corpus/dockerfiles)")
    outcome = run_lint(LintRequest(paths=[str(f) for f in FILES]))
    return outcome


@pytest.mark.parametrize("unsafe", [False, True], ids=["fix", "unsafe-fixes"])
def test_fixes_over_the_corpus(linted, unsafe: bool) -> None:  # type: ignore[no-untyped-def]
    rules = [r for r in all_rules() if r.code != "SC"]
    engine = Engine(rules)
    changed = 0
    problems: list[str] = []
    for path in linted.result.files:
        settings = file_settings(linted.settings[path], all_rules())

        def lint(text: str, path: str = path, settings=settings):  # type: ignore[no-untyped-def]
            return engine.lint([FileInput(path, text, settings, None)]).findings

        text = linted.result.texts[path]
        outcome = fix_text(text, path, lint, unsafe=unsafe)
        if not outcome.changed:
            continue
        changed += 1
        fixed = outcome.fixed
        try:
            dockerfile.parse_string(fixed.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
        except dockerfile.GoParseError as exc:
            problems.append(f"{path}: BuildKit rejects the fixed file: {exc}")
            continue
        again = fix_text(fixed, path, lint, unsafe=unsafe)
        if again.changed:
            problems.append(f"{path}: not idempotent ({[a.code for a in again.applied]})")
        before = Counter(f.code for f in lint(text))
        after = Counter(f.code for f in lint(fixed))
        more = [c for c in after if after[c] > before[c]]
        if more:
            problems.append(f"{path}: fixing added {more}")
        if sum(after.values()) > sum(before.values()):
            problems.append(f"{path}: more findings after fixing")
        if text.count("\r\n") and fixed.count("\r\n") != fixed.count("\n"):
            problems.append(f"{path}: CRLF file got LF lines")
    assert not problems, "\n".join(problems[:20])
    share = changed / len(linted.result.files)
    if not unsafe:
        assert share >= 0.40, f"safe fixes changed only {share:.0%} of corpus files"
