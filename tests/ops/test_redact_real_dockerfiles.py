"""The negative corpus: the real Dockerfiles of ../shared/corpus come through redaction unchanged.

Official images carry GPG key ids (``key='B97B…'``), sha256/sha512 checksums and legacy ``ENV key
value`` lines; none of them is a secret, and a redactor that changes them corrupts every report that
quotes them. The only lines the redactor may change are the few real credentials the corpus holds,
listed here by value (each must be redacted, so the list cannot go stale silently).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from codi_testdata import REPO

from codi.telemetry.redact import REDACTED, redact_text

# The credentials written into the corpus's Dockerfiles (demo passwords, a published API key).
KNOWN_SECRETS = {
    "my-secret-pw": "docker+labs__developer-tools__java-debugging",
    "MYSQL_PASSWORD=password": "docker+labs__developer-tools__java-debugging",
    "D0cker!a8s": "docker+labs__windows__sql-server",
    "AIzaSyCkfPOPZXDKNn8hhgu3JrA62wIgC93d44k": "jessfraz+dockerfiles__chromium",
    "fsociety": "jessfraz+dockerfiles__slapd",
    "lgNvGyhnUKpa5PJi": "jessfraz+dockerfiles__telize",
}
# Lines that look secret to a careless redactor: GPG, key ids, checksums, digests, legacy ENV.
_LOOKALIKE = re.compile(r"(?i)gpg|fingerprint|keyserver|\bkey\b|_key|sha256|sha512|checksum|@sha256:|^\s*ENV\s+\w+\s+[^=\s]")


def _changed_lines(text: str) -> list[str]:
    return [a for a, b in zip(text.splitlines(), redact_text(text).splitlines(), strict=True) if a != b]


def test_only_the_known_credentials_of_the_corpus_change(corpus: list[Path]) -> None:
    unexpected: list[str] = []
    seen: set[str] = set()
    for path in corpus:
        for line in _changed_lines(path.read_text(encoding="utf-8", errors="replace")):
            hits = [s for s, where in KNOWN_SECRETS.items() if s in line and path.name.startswith(where)]
            seen.update(hits)
            if not hits:
                unexpected.append(f"{path.name}: {line.strip()[:160]}")
    assert not unexpected, "redaction changed ordinary lines:\n" + "\n".join(unexpected)
    assert seen == set(KNOWN_SECRETS), f"known credentials no longer redacted: {set(KNOWN_SECRETS) - seen}"


def test_gpg_blocks_checksums_and_legacy_env_stay_byte_identical(corpus: list[Path]) -> None:
    lines = [line for path in corpus for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
             if _LOOKALIKE.search(line) and not any(s in line for s in KNOWN_SECRETS)]
    assert len(lines) > 1000, f"the corpus has only {len(lines)} GPG/checksum/ENV lines: is it complete?"
    block = "\n".join(lines) + "\n"
    assert redact_text(block) == block
    as_json = json.dumps({"dockerfile": block})  # as it sits in run.json or events.jsonl
    assert redact_text(as_json) == as_json
    assert "key='B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8'" in block  # the official postgres image's key id


def test_the_real_credentials_are_redacted(corpus: list[Path]) -> None:
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in corpus
                     if any(p.name.startswith(where) for where in KNOWN_SECRETS.values()))
    out = redact_text(text)
    for secret in KNOWN_SECRETS:
        value = secret.split("=", 1)[-1]
        assert value not in out or secret == "MYSQL_PASSWORD=password", secret
    assert "MYSQL_PASSWORD=" + REDACTED in out


def test_buildkit_messages_keep_the_word_key() -> None:
    message = 'LegacyKeyValueFormat: "ENV key=value" should be used instead of legacy "ENV key value" format'
    assert redact_text(message) == message
    assert redact_text(json.dumps({"message": message})) == json.dumps({"message": message})


PROJECTS = REPO.parent / "shared" / "projects"
# The shared projects' Dockerfiles: a dummy database password, a test user's password, a dummy key.
PROJECT_SECRETS = ("user:pass@localhost", "testuser:passwd", "DEVISE_SECRET_KEY=unused")


def test_shared_project_dockerfiles_change_only_their_credentials() -> None:
    files = sorted(p for p in PROJECTS.rglob("*") if p.is_file() and "dockerfile" in p.name.lower())
    if not files:
        pytest.skip(f"shared projects not found at {PROJECTS} (clone with ../shared beside the repo)")
    changed = [line.strip() for p in files for line in _changed_lines(p.read_text(encoding="utf-8", errors="replace"))]
    assert [line for line in changed if not any(s in line for s in PROJECT_SECRETS)] == [], "ordinary lines changed"
    assert len(changed) == len(PROJECT_SECRETS), changed  # and each credential was redacted
