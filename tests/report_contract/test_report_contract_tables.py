"""Reports show each candidate's runtime contract next to the original's, and why rejected ones are not offered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codi.artifacts.models import (
    CandidateNumbers,
    CandidateRecord,
    ImageNumbers,
    MetricsRecord,
    RejectedCandidate,
    RunRecord,
)
from codi.optimise.contract.model import (
    ContextCopy,
    ContractChange,
    Executable,
    IntendedChange,
    RuntimeContract,
)
from codi.report.contract_table import contract_rows
from codi.report.render import render_reports

EVIL = "<script>window.__pwned=1</script>"


def _original() -> RuntimeContract:
    return RuntimeContract(
        base="node:20-slim", base_known=True,
        entrypoint=["docker-entrypoint.sh"], entrypoint_origin="base",
        cmd=["/bin/sh", "-c", "npm start"], user="", workdir="/usr/src/app",
        env={"NODE_VERSION": None, "YARN_VERSION": None, "NODE_ENV": "development", "PORT": "3000",
             "GREETING": EVIL},
        ports=["3000/tcp"], expose_written=["3000"], runtime="node", runtime_version="20", os_family="debian",
        files=[ContextCopy(source="", dest="/usr/src/app")],
        executables=[Executable(name="docker-entrypoint.sh", used_by="ENTRYPOINT", provider="base"),
                     Executable(name="npm", used_by="CMD", provider="runtime")])


def _candidate() -> RuntimeContract:
    c = _original().model_copy(deep=True)
    c.user = "node"
    c.env["NODE_ENV"] = "production"
    c.files = [ContextCopy(source="package.json", dest="/usr/src/app/package.json"),
               ContextCopy(source="src", dest="/usr/src/app/src")]
    return c


def _intended() -> list[IntendedChange]:
    return [
        IntendedChange(field="user", before="root", after="node", message="USER changes from root to node",
                       reason="runs as the image's unprivileged user", risk="medium"),
        IntendedChange(field="env", key="NODE_ENV", before="development", after="production",
                       message="ENV NODE_ENV changes from development to production",
                       reason="production dependencies only", risk="low"),
    ]


def _write_run(run_dir: Path, engine: dict[str, object] | None = None) -> None:
    cand = CandidateRecord(
        id="001-node-npm-multistage", rule_id="node-npm-multistage", kind="multi-stage", title="npm ci, slim runtime",
        description="Build with npm ci, run on a slim image.", risk="medium",
        path="candidates/001-node-npm-multistage.Dockerfile", verified=True,
        contract=_candidate(), contract_changes=_intended())
    legacy = CandidateRecord(id="002-fixed", rule_id="fixed", kind="fixed", title="safe fixes",
                             description="Safe fixes only.", risk="low", path="candidates/002-fixed.Dockerfile",
                             verified=True)
    rejected = RejectedCandidate(
        rule_id="node-distroless", reason="the candidate changes the runtime contract",
        violations=[
            ContractChange(field="cmd", before='["/bin/sh", "-c", "npm start"]', after='["server.js"]',
                           message='CMD changes from ["/bin/sh", "-c", "npm start"] to ["server.js"]'),
            ContractChange(field="entrypoint", before='["docker-entrypoint.sh"]', after="(none)",
                           message='ENTRYPOINT ["docker-entrypoint.sh"] dropped'),
        ])
    run = RunRecord(run_id="20260101T000000Z-node-app", created_at="2026-01-01T00:00:00Z", project_path="/p",
                    project_name="app", dockerfile="Dockerfile", stack="node", codi_version="0", ruleset_version="1",
                    candidates=[cand, legacy], rejected=[rejected], contract=_original(), target_stage="0")
    metrics = MetricsRecord(original=ImageNumbers(size_bytes=200_000_000, layers=5),
                            candidates=[CandidateNumbers(candidate_id=cand.id, size_bytes=100_000_000, layers=3)])
    meta = run_dir / "metadata"
    meta.mkdir(parents=True)
    (meta / "run.json").write_text(run.model_dump_json())
    (meta / "metrics.json").write_text(metrics.model_dump_json())
    (meta / "analysis.json").write_text(json.dumps({"detection": None, "findings": []}))
    (meta / "environment.json").write_text(json.dumps({"engine": engine or {"mode": "estimate"}}))


@pytest.fixture()
def reports(tmp_path: Path) -> tuple[str, str]:
    run_dir = tmp_path / "run"
    _write_run(run_dir)
    md, html = render_reports(run_dir)
    return md.read_text(), html.read_text()


def test_rows_show_changed_env_keys_and_count_the_rest() -> None:
    rows = {r.label: r for r in contract_rows(_original(), _candidate(), _intended())}
    assert list(rows)[:4] == ["ENTRYPOINT", "CMD", "USER", "WORKDIR"]
    assert rows["USER"].original == "root" and rows["USER"].candidate == "node"
    assert rows["USER"].change == "runs as the image's unprivileged user (risk: medium)"
    assert rows["ENV NODE_ENV"].original == "NODE_ENV=development"
    assert "ENV PORT" not in rows and rows["ENV (unchanged)"].original == "4 variables"
    assert rows["ENTRYPOINT"].original == '["docker-entrypoint.sh"] (from the base)' and not rows["ENTRYPOINT"].changed
    assert rows["EXPOSE"].original == "3000/tcp" and rows["runtime + version"].candidate == "node 20"
    assert rows["OS family"].change == "same"
    # Same count, different paths: still marked as a change (undeclared here, so plain "changed").
    assert rows["files (count)"].change == "changed"
    assert rows["programs the command needs"].original == "docker-entrypoint.sh (base), npm (runtime)"


def test_rows_are_empty_without_contracts() -> None:
    assert contract_rows(None, _candidate(), []) == []
    assert contract_rows(_original(), None, []) == []


def test_markdown_has_the_contract_table_and_not_offered_violations(reports: tuple[str, str]) -> None:
    md, _ = reports
    assert "#### Runtime contract: original vs 001-node-npm-multistage" in md
    assert "| | original | candidate | change |" in md
    assert "| USER | root | node | intended: runs as the image's unprivileged user (risk: medium) |" in md
    assert "| ENV NODE_ENV | NODE_ENV=development | NODE_ENV=production | intended: production dependencies only" in md
    assert "| ENV (unchanged) | 4 variables | same | same |" in md
    assert "| WORKDIR | /usr/src/app | /usr/src/app | same |" in md
    # A candidate recorded before contracts existed gets no table (and no error).
    assert "original vs 002-fixed" not in md
    not_offered = md.split("## Not offered", 1)[1]
    assert "- `node-distroless`: the candidate changes the runtime contract" in not_offered
    assert '  - CMD changes from ["/bin/sh", "-c", "npm start"] to ["server.js"]' in not_offered
    assert '  - ENTRYPOINT ["docker-entrypoint.sh"] dropped' in not_offered


def test_html_has_the_contract_table_escaped_and_not_offered_violations(reports: tuple[str, str]) -> None:
    _, html = reports
    assert 'id="contract-001-node-npm-multistage"' in html and 'id="contract-002-fixed"' not in html
    assert "<th>USER</th><td><code>root</code></td><td><code>node</code></td>" in html
    assert "intended: runs as the image&#39;s unprivileged user (risk: medium)" in html
    assert 'id="not-offered"' in html
    assert "<li>ENTRYPOINT [&#34;docker-entrypoint.sh&#34;] dropped</li>" in html
    assert "<li>CMD changes from [&#34;/bin/sh&#34;, &#34;-c&#34;, &#34;npm start&#34;] to [&#34;server.js&#34;]</li>" in html
    # Contract values come from Dockerfiles: never markup.
    assert EVIL not in html and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" not in html  # unchanged key


def test_changed_dockerfile_text_is_escaped_in_html(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    _write_run(run_dir)
    data = json.loads((run_dir / "metadata" / "run.json").read_text())
    data["candidates"][0]["contract"]["env"]["GREETING"] = "hello | world"
    (run_dir / "metadata" / "run.json").write_text(json.dumps(data))
    md, html = (p.read_text() for p in render_reports(run_dir))
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html and EVIL not in html
    assert "| ENV GREETING | GREETING=" + EVIL + " | GREETING=hello \\| world | changed |" in md


def test_measured_config_check_is_reported(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    _write_run(run_dir, {"mode": "measured", "name": "buildah", "config_check": {
        "original": {"checked": ["cmd", "workdir"], "mismatches": [], "dockerfile_only": True},
        "001-node-npm-multistage": {"checked": ["cmd"], "dockerfile_only": False,
                                    "mismatches": ['CMD: static ["npm", "start"], built image ["node"]']}}})
    md, html = (p.read_text() for p in render_reports(run_dir))
    assert "### Built images against the static contract" in md
    assert "| original | cmd, workdir (stand-in or unknown base: only what the Dockerfile sets) | matches |" in md
    assert '| 001-node-npm-multistage | cmd | differs: CMD: static ["npm", "start"], built image ["node"] |' in md
    assert 'id="config-check"' in html and "built image [&#34;node&#34;]" in html
