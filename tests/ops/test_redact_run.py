"""No planted secret anywhere under the output root after `codi run`; --no-redact is refused in production."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codi.telemetry.audit import audit_log_path, sha256_text, verify_log

SECRETS = ("s3cr3t-api-tok-4242", "urlPa55w0rd", "npm-heredoc-tok-9876", "ghp_abcdefghijklmnopqrstuvwxyz0123456789")
DOCKERFILE = f"""FROM python:3.12-slim
ENV API_TOKEN={SECRETS[0]} PORT=8080
ARG PIP_INDEX_URL=https://deploy:{SECRETS[1]}@pypi.internal.example.com/simple
RUN <<EOF cat > /root/.npmrc
//registry.npmjs.org/:_authToken={SECRETS[2]}
EOF
RUN git clone https://{SECRETS[3]}@github.com/acme/app.git /app
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
EXPOSE 8080
CMD ["python", "app.py"]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / "requirements.txt").write_text("flask==3.0.2\n")
    (root / "app.py").write_text("print('hi')\n")
    return root


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CODI_AUDIT_LOG", "CODI_PRODUCTION", "CODI_AUDIT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LLM_ENABLED", "false")


def _app() -> Any:
    import codi.cli.project_cmds  # noqa: F401
    from codi.cli.app import app

    return app


def test_no_planted_secret_under_the_output_root(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    result = CliRunner().invoke(_app(), ["all", str(project), "--out", str(out), "--no-llm", "--json"])
    assert result.exit_code == 0, result.output
    for secret in SECRETS:
        assert secret not in result.stdout
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.name == "Dockerfile" for p in files) and any(p.name == "audit.jsonl" for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret} leaked into {path.relative_to(out)}"
    run_dir = next(p.parent.parent for p in files if p.name == "run.json")
    stored = (run_dir / "inputs" / "Dockerfile").read_text()
    assert "ENV API_TOKEN=***REDACTED***" in stored and "https://deploy:***REDACTED***@pypi" in stored
    run = json.loads((run_dir / "metadata" / "run.json").read_text())
    assert run["options"]["inputs_sha256"] == {"Dockerfile": sha256_text(DOCKERFILE)}
    line = json.loads(audit_log_path(out).read_text().splitlines()[-1])
    assert line["action"] == "run" and line["dockerfile_sha256"] == sha256_text(DOCKERFILE)
    assert verify_log(audit_log_path(out)).ok


def test_no_redact_keeps_secrets_and_is_refused_in_production(project: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "runs"
    result = CliRunner().invoke(_app(), ["run", str(project), "--out", str(out), "--no-llm", "--disable-rag",
                                         "--no-redact"])
    assert result.exit_code == 0, result.output
    stored = next(out.glob("*/inputs/Dockerfile")).read_text()
    assert stored == DOCKERFILE
    monkeypatch.setenv("CODI_PRODUCTION", "1")
    refused = CliRunner().invoke(_app(), ["run", str(project), "--out", str(tmp_path / "p"), "--no-redact"])
    assert refused.exit_code == 2
    assert refused.stderr.startswith("codi: error: --no-redact is refused in production mode")
    assert not (tmp_path / "p").exists()


def test_prompts_sent_to_a_model_are_redacted() -> None:
    from codi.llm.backend import Backend, LLMSettings
    from codi.llm.runtime import Generation

    seen: list[list[dict[str, str]]] = []

    class Recorder(Backend):
        def _generate(self, messages, schema, max_tokens, stop):  # type: ignore[no-untyped-def]
            seen.append(messages)
            return Generation(text="ok", prompt_tokens=1, completion_tokens=1, latency_ms=1, model_id="m",
                              adapter_version=None, backend="test")

    token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    Recorder(LLMSettings()).generate([{"role": "user", "content": f"ENV API_TOKEN={token}"}])
    assert token not in seen[0][0]["content"]
    assert "API_TOKEN" in seen[0][0]["content"]
