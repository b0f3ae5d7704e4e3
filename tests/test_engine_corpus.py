"""Every registered rule over a sample of the shared corpus: no rule may crash on real files."""

from __future__ import annotations

from pathlib import Path

from codi.service.lint import LintRequest, run_lint


def test_no_rule_crashes_on_real_dockerfiles(corpus: list[Path]) -> None:
    sample = corpus[::4]  # a fixed spread of ~170 files: broad coverage in a few seconds
    outcome = run_lint(LintRequest(paths=[str(p) for p in sample], select=["ALL"], env={}))
    assert len(outcome.result.files) == len(sample)
    crashes = "\n".join(str(e) for e in outcome.result.errors[:20])
    assert not outcome.result.errors, f"{len(outcome.result.errors)} internal errors, first ones:\n{crashes}"
    assert outcome.result.findings  # real files always have something to say
