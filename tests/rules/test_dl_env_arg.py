"""DL rules about ENV/ARG: DL3044, DL3064."""

from __future__ import annotations

from rulekit import lines, run_rule


def test_dl3044_reference_to_same_statement() -> None:
    text = "FROM debian:12\nENV A=1 B=$A\nENV C=1\nENV D=$C E=${D}/x\nENV F=1 G=2 H=${F:-0}\n"
    assert lines("DL3044", text) == [2, 4, 5]


def test_dl3044_previous_value_is_also_confusing() -> None:
    (finding,) = run_rule("DL3044", "FROM debian:12\nENV A=1\nENV A=2 B=$A\n")
    assert finding.line == 3 and "$A" in finding.message


def test_dl3044_near_misses() -> None:
    text = "FROM debian:12\nENV PATH=/opt/bin:$PATH\nENV X=1\nENV Y=$X\nENV G $G\nENV K=1 L='$K'\n"
    assert lines("DL3044", text) == []


def test_dl3064_sensitive_names() -> None:
    text = "FROM debian:12\nARG GITHUB_TOKEN\nENV DB_PASSWORD=x\nARG aws_secret_access_key=1\nENV A=1 NPM_TOKEN=2\n"
    assert lines("DL3064", text) == [2, 3, 4, 5]


def test_dl3064_plain_names() -> None:
    text = "ARG VERSION=1\nFROM debian:12\nARG TARGETARCH\nENV PATH=/x:$PATH PWD=/app\nENV TOKENIZERS_PARALLEL=false\n"
    assert lines("DL3064", text) == [5]
