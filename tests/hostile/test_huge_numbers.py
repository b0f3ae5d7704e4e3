"""Numbers that expand to thousands of digits are findings or nothing, never an internal error: int() refuses
strings of over 4,300 digits (Python's guard against quadratic conversion)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from codi.parser.bounds import HUGE_INT, decimal


def _chain(last: str) -> str:
    """ARG V0=0123456789 and four ARGs that repeat the previous one eight times: a 40,960-digit value."""
    lines = ["FROM debian:12", "ARG V0=0123456789"]
    lines += [f"ARG V{i}=" + f"${{V{i - 1}}}" * 8 for i in range(1, 5)]
    return "\n".join([*lines, last]) + "\n"


def _lint(tmp_path: Path, text: str) -> tuple[int, list[dict[str, object]]]:
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    done = subprocess.run([sys.executable, "-m", "codi", "lint", "--format", "json", "--ignore", "SC", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_decimal_caps_what_int_cannot_read() -> None:
    assert decimal("00080") == 80 and decimal("0") == 0 and decimal("") == 0
    assert decimal("9" * 5000) == HUGE_INT and decimal("0" * 5000 + "7") == 7


def test_a_port_of_forty_thousand_digits_is_a_dl3011_finding(tmp_path: Path) -> None:
    code, findings = _lint(tmp_path, _chain("EXPOSE $V4"))
    assert code == 1, findings
    found = [f for f in findings if f["code"] == "DL3011"]
    assert found and len(str(found[0]["message"])) < 200
    assert not [f for f in findings if f["code"] == "CD0000"]


def test_a_huge_uid_and_stage_index_are_plain_input(tmp_path: Path) -> None:
    text = _chain("RUN useradd -u $V4 app") + "FROM debian:12\nCOPY --from=" + "9" * 5000 + " /a /b\n"
    code, findings = _lint(tmp_path, text)
    assert code in (0, 1) and not [f for f in findings if f["code"] == "CD0000"], findings
