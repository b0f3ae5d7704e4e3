"""Wording of contract reasons and of the "Not offered" list (issue 20).

A path that reaches the image through `COPY --from=<stage>` is named as a stage copy, not as a
build-context copy; a stage built FROM another keeps its WORKDIR (the errbit case, where
`COPY --from=build "${BUNDLE_PATH}"` was read as the context path `usr/local/bundle`). The Markdown
and HTML "Not offered" lists give each violation once.
"""

from __future__ import annotations

from pathlib import Path

from codi.artifacts.models import MetricsRecord, RejectedCandidate, RunRecord
from codi.optimise.contract import check_contract, compute_contract
from codi.optimise.contract.model import ContractChange, RuntimeContract
from codi.parser import parse
from codi.parser.semantic import build_model
from codi.report.render import render_reports

RAILS = """FROM ruby:3.3-slim AS base
WORKDIR /rails
ENV BUNDLE_PATH="/usr/local/bundle"
FROM base AS build
COPY Gemfile Gemfile.lock ./
RUN bundle install
COPY . .
FROM base
COPY --from=build "${BUNDLE_PATH}" "${BUNDLE_PATH}"
COPY --from=build /rails /rails
CMD ["./bin/rails", "server"]
"""


def contract(text: str) -> RuntimeContract:
    df = parse(text)
    return compute_contract(df, build_model(df))


def test_a_stage_keeps_the_workdir_of_the_stage_it_is_built_from() -> None:
    files = contract(RAILS).files
    assert {f.source for f in files} == {"", "Gemfile", "Gemfile.lock"}
    assert all(f.dest == "/rails" or f.dest.startswith("/rails/") for f in files), files
    assert all(f.via == "build" for f in files)


def test_a_dropped_stage_copy_is_named_as_a_stage_copy() -> None:
    without = RAILS.replace('COPY --from=build /rails /rails\n', "")
    check = check_contract(contract(RAILS), contract(without), [])
    messages = [v.message for v in check.violations if v.field == "files"]
    assert messages, check.violations
    assert all("build-context" not in m and "(a stage copy: `COPY --from=build` at line 10)" in m for m in messages)
    direct = check_contract(contract("FROM debian\nCOPY app.sh /app.sh\n"), contract("FROM debian\n"), [])
    assert [v.message for v in direct.violations] == ["build-context `app.sh` is no longer copied to /app.sh"]


def _run_dir(tmp_path: Path) -> Path:
    violations = [ContractChange(field="files", key="a", before="a", after="(not copied)", message="first problem"),
                  ContractChange(field="cmd", key=None, before="x", after="y", message="second problem")]
    rejected = RejectedCandidate(rule_id="some-rule", violations=violations,
                                 reason="changes the runtime contract: first problem; second problem")
    record = RunRecord(run_id="r1", created_at="2026-12-07T00:00:00Z", project_path=str(tmp_path), project_name="p",
                       dockerfile="Dockerfile", stack="python", codi_version="0", ruleset_version="0",
                       rejected=[rejected, RejectedCandidate(rule_id="other", reason="over --candidate-limit 3")])
    run_dir = tmp_path / "r1"
    (run_dir / "metadata").mkdir(parents=True)
    (run_dir / "metadata" / "run.json").write_text(record.model_dump_json())
    (run_dir / "metadata" / "analysis.json").write_text('{"detection": {"primary": null}, "findings": []}')
    (run_dir / "metadata" / "metrics.json").write_text(MetricsRecord(original={}).model_dump_json())  # type: ignore[arg-type]
    return run_dir


def test_not_offered_gives_each_reason_once(tmp_path: Path) -> None:
    md_path, html_path = render_reports(_run_dir(tmp_path))
    md, html = md_path.read_text(), html_path.read_text()
    for text in (md, html):
        assert text.count("first problem") == 1 and text.count("second problem") == 1
        assert "over --candidate-limit 3" in text
    assert "- `some-rule`: changes the runtime contract\n  - first problem\n  - second problem" in md
    assert "Nothing to adopt: this run recommends keeping the original." in md
