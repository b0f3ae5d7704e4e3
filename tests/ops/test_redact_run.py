"""`codi run` on a project with planted secrets: the user's files stay verbatim, nothing that describes
the run (metadata, events, reports, audit log, run memory, --json output) holds a secret value."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from codi_testdata import REPO
from typer.testing import CliRunner

from codi.telemetry.audit import audit_log_path, sha256_text
from codi.telemetry.audit_verify import verify_log
from codi.telemetry.redact import REDACTED

# One value per shape; the names and prefixes around them stay.
SECRETS = (
    "s3cr3t-api-tok-4242", "pgPlanted-0001", "mysqlPwdPlanted-0002", "dbPassPlanted-0003",
    "0123456789abcdef0123456789abcdef", "urlPa55w0rd", "lgNvGyhnUKpa5PJq", "commentPlanted-0004",
    "nextLinePlanted-0005", "mysqlPlanted-0006", "netrcPlanted-0007", "npm-heredoc-tok-9876",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789"[4:], "sshpassPlanted-0008", "dockerPlanted-0009",
    "htPlanted-0010", "rootPlanted-0011", "hdrPlanted-0012", "IOSFODNN7PLANTED", "4eC39HqLyjWDarjtT1zdp7dc",
    "pypircPlanted-0013", "bareTokPlanted0014", "pgUrlPlanted-0015", "eyJzdWIiOiJwbGFudGVkIn0",
    "Planted0016abcdefghijkl", "planted-0017-abcdef", "Planted0018AbCdEfGhIjKlMnOpQrStUv", "LegacyPlanted0019",
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
)
DOCKERFILE = f"""FROM python:3.12-slim
ENV API_TOKEN={SECRETS[0]} PORT=8080
ENV PGPASSWORD={SECRETS[1]}
ENV MYSQL_PWD={SECRETS[2]}
ENV DBPASS={SECRETS[3]}
ENV ERROR_REPORTING=https://{SECRETS[4]}@o123.ingest.sentry.io/4567
ARG PIP_INDEX_URL=https://deploy:{SECRETS[5]}@pypi.internal.example.com/simple
ENV LICENSE_KEY {SECRETS[6]}
ENV APP_HOME /app
# the admin password is {SECRETS[7]}
RUN key='B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8'; echo "$key" > /tmp/gpg-key-id \\
    && echo "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  /tmp/x" > /tmp/sha256
RUN curl --user admin:\\
{SECRETS[8]} https://nexus.example.com/a.tgz -o /tmp/a.tgz || true
RUN mysql -uroot -p{SECRETS[9]} -e 'select 1' || true
RUN echo "machine git.example.com login deploy password {SECRETS[10]}" > /root/.netrc
RUN <<EOF cat > /root/.npmrc
//registry.npmjs.org/:_authToken={SECRETS[11]}
EOF
RUN git clone https://ghp_{SECRETS[12]}@github.com/acme/app.git /src || true
RUN sshpass -p {SECRETS[13]} true || true
RUN docker login -u ci -p {SECRETS[14]} registry.example.com || true
RUN htpasswd -bc /tmp/htpasswd admin {SECRETS[15]} || true
RUN echo 'root:{SECRETS[16]}' | chpasswd
RUN curl -H "X-Api-Key: {SECRETS[17]}" https://api.example.com/ || true
RUN echo AKIA{SECRETS[18]} > /tmp/aws-id
ENV STRIPE=sk_live_{SECRETS[19]}
RUN printf 'password = {SECRETS[20]}\\n' > /root/.pypirc
ENV TOKEN={SECRETS[21]}
ENV DB_URL=postgresql://app:{SECRETS[22]}@db:5432/app
ENV SESSION=eyJhbGciOiJIUzI1NiJ9.{SECRETS[23]}.c2lnbmF0dXJl
RUN echo "export OPENAI=sk-proj-{SECRETS[24]}" >> /etc/profile
ENV SLACK=xoxb-{SECRETS[25]}
ENV HF=hf_{SECRETS[26]}
ENV AWS_SECRET_ACCESS_KEY {SECRETS[27]}
RUN <<EOF cat > /root/key.pem
-----BEGIN PRIVATE KEY-----
{SECRETS[28]}
-----END PRIVATE KEY-----
EOF
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
EXPOSE 8080
CMD ["python", "app.py"]
"""
# What must survive redaction in the descriptions: names, a GPG key id, a checksum, BuildKit's words.
KEPT = ("ENV DBPASS=", "ENV APP_HOME=/app", "key='B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8'",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", '"ENV key=value" should be used')


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
    for name in ("CODI_AUDIT_LOG", "CODI_PRODUCTION", "CODI_AUDIT", "CODI_DB_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LLM_ENABLED", "false")


def _app() -> Any:
    import codi.cli.project_cmds  # noqa: F401
    from codi.cli.app import app

    return app


def _user_file(path: Path, run_dirs: set[Path]) -> bool:
    return any(path.parent == d / "inputs" or path.parent == d / "candidates" for d in run_dirs)


def _legacy_env_fixed(line: str) -> str:
    return re.sub(r"^ENV (\w+) ", r"ENV \1=", line)  # BK013's intended edit


def assert_verbatim_candidates(original: str, candidates: list[Path]) -> None:
    """Each candidate is the original plus intended edits: every secret of the original is still there,
    and a line holding one is the original's line as written (or BK013's ``ENV k=v`` of it)."""
    lines = set(original.splitlines()) | {_legacy_env_fixed(line) for line in original.splitlines()}
    assert candidates
    for path in candidates:
        text = path.read_text()
        assert REDACTED not in text, f"{path.name} was redacted"
        assert [s for s in SECRETS if s not in text] == [], f"{path.name} lost secrets of the original"
        for line in text.splitlines():
            if any(s in line for s in SECRETS) or "key='" in line:
                assert line in lines, f"{path.name}: {line!r} is not the original's line"


def test_user_files_verbatim_and_no_secret_in_what_describes_the_run(project: Path, tmp_path: Path) -> None:
    assert len(SECRETS) >= 28 and all(s in DOCKERFILE for s in SECRETS)
    out = tmp_path / "runs"
    result = CliRunner().invoke(_app(), ["all", str(project), "--out", str(out), "--no-llm", "--json"])
    assert result.exit_code == 0, result.output
    for secret in SECRETS:
        assert secret not in result.stdout
    run_dirs = {p.parent.parent for p in out.rglob("run.json") if p.parent.name == "metadata"}
    (run_dir,) = run_dirs
    assert (run_dir / "inputs" / "Dockerfile").read_bytes() == DOCKERFILE.encode()
    candidates = sorted((run_dir / "candidates").glob("*.Dockerfile"))
    assert_verbatim_candidates(DOCKERFILE, candidates)
    assert any(f"ENV PGPASSWORD={SECRETS[1]}" in c.read_text() for c in candidates)  # kept, as written
    described = [p for p in out.rglob("*") if p.is_file() and not _user_file(p, run_dirs)]
    names = {p.relative_to(run_dir).as_posix() for p in described if p.is_relative_to(run_dir)}
    assert {"metadata/run.json", "logs/events.jsonl", "reports/report.md", "reports/report.html"} <= names
    assert any(p.name == "audit.jsonl" for p in described)
    assert any("_rag" in p.parts for p in described), "the run memory was not written"
    for path in described:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret} leaked into {path.relative_to(out)}"
    report = (run_dir / "reports" / "report.md").read_text()
    run_json = (run_dir / "metadata" / "run.json").read_text()
    for text in KEPT:
        assert text in report + run_json + (run_dir / "metadata" / "analysis.json").read_text(), text
    run = json.loads(run_json)
    assert run["options"]["inputs_sha256"] == {"Dockerfile": sha256_text(DOCKERFILE)}
    line = json.loads(audit_log_path(out).read_text().splitlines()[-1])
    assert line["action"] == "run" and line["dockerfile_sha256"] == sha256_text(DOCKERFILE)
    assert verify_log(audit_log_path(out)).ok


def test_console_output_of_a_run_holds_no_secret(project: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["run", str(project), "--out", str(tmp_path / "runs"), "--no-llm"])
    assert result.exit_code == 0, result.output
    assert "recommendation:" in result.output or "not offered:" in result.output
    assert [s for s in SECRETS if s in result.output] == []


def test_rewrite_writes_the_users_text(project: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cands"
    result = CliRunner().invoke(_app(), ["rewrite", str(project), "--out-dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert_verbatim_candidates(DOCKERFILE, sorted(folder.glob("*.Dockerfile")))
    printed = CliRunner().invoke(_app(), ["rewrite", str(project), "--stdout"])
    assert printed.exit_code == 0 and f"ENV PGPASSWORD={SECRETS[1]}" in printed.stdout


UMAMI = REPO.parent / "shared" / "projects" / "node-umami-nextjs-pnpm"


def test_umami_candidates_keep_the_dummy_database_url(tmp_path: Path) -> None:
    if not UMAMI.is_dir():
        pytest.skip(f"shared projects not found at {UMAMI} (clone with ../shared beside the repo)")
    project = tmp_path / "umami"
    shutil.copytree(UMAMI, project, symlinks=True)
    out = tmp_path / "runs"
    result = CliRunner().invoke(_app(), ["run", str(project), "--out", str(out), "--no-llm", "--disable-rag"])
    assert result.exit_code == 0, result.output
    (run_dir,) = list(out.glob("*/metadata/run.json"))
    run_dir = run_dir.parent.parent
    original = (UMAMI / "Dockerfile").read_text()
    assert (run_dir / "inputs" / "Dockerfile").read_text() == original
    candidates = sorted((run_dir / "candidates").glob("*.Dockerfile"))
    assert candidates
    url = 'ENV DATABASE_URL="postgresql://user:pass@localhost:5432/dummy"'
    for path in candidates:
        text = path.read_text()
        assert REDACTED not in text
        assert url in text, f"{path.name} lost the original's DATABASE_URL"
    assert "user:pass@" not in (run_dir / "metadata" / "run.json").read_text()  # the description is redacted


def test_no_redact_keeps_secrets_and_is_refused_in_production(project: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "runs"
    result = CliRunner().invoke(_app(), ["run", str(project), "--out", str(out), "--no-llm", "--disable-rag",
                                         "--no-redact"])
    assert result.exit_code == 0, result.output
    assert next(out.glob("*/inputs/Dockerfile")).read_text() == DOCKERFILE
    assert SECRETS[3] in next(out.glob("*/reports/report.md")).read_text()  # the diff, as written
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
        def _generate(self, messages, schema, max_tokens, stop, sentences=None):  # type: ignore[no-untyped-def]
            seen.append(messages)
            return Generation(text="ok", prompt_tokens=1, completion_tokens=1, latency_ms=1, model_id="m",
                              adapter_version=None, backend="test")

    Recorder(LLMSettings()).generate([{"role": "user", "content": DOCKERFILE}])
    for secret in SECRETS:
        assert secret not in seen[0][0]["content"]
    assert "PGPASSWORD" in seen[0][0]["content"]
