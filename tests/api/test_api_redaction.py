"""Over the API: /rewrite answers the user's text verbatim; /run stores inputs/ and candidates/ verbatim
and answers (and writes) a redacted description."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from codi.telemetry.redact import REDACTED

PASSWORD = "apiPlanted-pw-7070"
DOCKERFILE = f"""FROM python:3.12-slim
ENV PGPASSWORD={PASSWORD}
ENV APP_HOME /app
RUN key='B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8'; echo "$key" > /tmp/key-id
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
CMD ["python", "app.py"]
"""


def _project(roots: dict[str, Path], name: str) -> Path:
    root = roots["allowed"] / name
    root.mkdir(exist_ok=True)
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / "requirements.txt").write_text("flask==3.0.2\n")
    (root / "app.py").write_text("print('hi')\n")
    return root


def test_rewrite_answers_the_users_text(client: TestClient, roots: dict[str, Path]) -> None:
    r = client.post("/rewrite", json={"project_path": str(_project(roots, "secretproj"))})
    assert r.status_code == 200, r.text
    texts = [c["dockerfile"] for c in r.json()["candidates"]]
    assert texts
    for text in texts:
        assert REDACTED not in text
        assert f"ENV PGPASSWORD={PASSWORD}\n" in text and "key='B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8'" in text


def test_run_keeps_user_files_and_answers_redacted(client: TestClient, roots: dict[str, Path]) -> None:
    r = client.post("/run", json={"project_path": str(_project(roots, "secretrun")), "llm": False})
    assert r.status_code == 200, r.text
    assert PASSWORD not in r.text
    run_dir = roots["runs"] / r.json()["run_id"]
    assert (run_dir / "inputs" / "Dockerfile").read_text() == DOCKERFILE
    for path in (run_dir / "candidates").glob("*.Dockerfile"):
        assert f"ENV PGPASSWORD={PASSWORD}\n" in path.read_text()
    for rel in ("metadata/run.json", "reports/report.md", "logs/events.jsonl"):
        assert PASSWORD not in (run_dir / rel).read_text(), rel
    detail = client.get(f"/runs/{r.json()['run_id']}")
    assert detail.status_code == 200 and PASSWORD not in json.dumps(detail.json())
