"""Issue 19 §3 through `codi lint`: each hostile input ends with a finding or a clear error, within a
memory limit, never as a crash, a hang or a pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from boundskit import (
    FAST_SHELLCHECK,
    and_chain,
    chained_stages,
    codes,
    laughs,
    nested_default,
    nested_if,
    nested_substitution,
    run_codi,
)

from codi.rules.shellcheck.runner import find_shellcheck


def _lint(tmp_path: Path, text: str, *extra: str, env: dict[str, str] | None = None) -> tuple[int, list[dict[str, object]], str]:
    path = tmp_path / "Dockerfile"
    path.write_text(text, encoding="utf-8")
    proc = run_codi(["lint", "--no-cache", "--format", "json", *extra, str(path)], env=env)
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout or "[]"), proc.stderr


def test_nested_default_500_deep_is_a_finding_not_a_pass(tmp_path: Path) -> None:
    line = "ARG A=" + nested_default(500)
    assert 3000 < len(line) < 4000  # the 3.5 KB line
    rc, found, _ = _lint(tmp_path, f"FROM alpine:3.20\n{line}\nRUN echo $A\nCMD [\"sh\"]\n")
    limit = [f for f in found if f["code"] == "CD0003"]
    assert limit and limit[0]["line"] == 2 and "nest more than" in str(limit[0]["message"])
    assert rc == 1  # a finding at error level: not 0 (a pass), not 3 (a crash)


def test_billion_laughs_stops_at_the_limit(tmp_path: Path) -> None:
    text = laughs()
    assert len(text) < 3000
    rc, found, _ = _lint(tmp_path, text)
    limit = [f for f in found if f["code"] == "CD0003"]
    assert limit and "65,535" in str(limit[0]["message"])
    assert rc == 1


def test_limit_findings_survive_a_narrow_selection(tmp_path: Path) -> None:
    text = f"FROM alpine:3.20\nARG A={nested_default(100)}\n"
    rc, found, _ = _lint(tmp_path, text, "--select", "DL3006")
    assert codes(found) == {"CD0003"} and rc == 1  # skipping a check never reads as a pass
    rc, found, _ = _lint(tmp_path, text, "--select", "DL3006", "--ignore", "CD0003")
    assert found == [] and rc == 0  # unless the user names it


@pytest.mark.skipif(find_shellcheck() is None, reason="shellcheck binary not installed")
@pytest.mark.parametrize("text", [and_chain(3000), nested_substitution(3000), nested_if(3000)],
                         ids=["and-chain-3000", "substitution-3000-deep", "if-3000-deep"])
def test_shellcheck_gives_up_with_a_finding(tmp_path: Path, text: str) -> None:
    other = 'FROM alpine:3.20\nRUN echo $undefined_thing\n'
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "Dockerfile").write_text(other, encoding="utf-8")
    (tmp_path / "Dockerfile").write_text(text, encoding="utf-8")
    proc = run_codi(["lint", "--no-cache", "--format", "json", str(tmp_path)], env=FAST_SHELLCHECK)
    found = json.loads(proc.stdout)
    gave_up = [f for f in found if f["code"] == "CD0004"]
    assert len(gave_up) == 1 and gave_up[0]["line"] == 2 and str(gave_up[0]["file"]).endswith("/Dockerfile")
    assert "ShellCheck gave up" in str(gave_up[0]["message"])
    # the other file of the same batch was still checked, on its own
    assert any(f["code"] == "SC2154" and "ok" in str(f["file"]) for f in found)
    assert proc.returncode == 1


def test_ten_thousand_stages_no_recursion_error(tmp_path: Path) -> None:
    rc, found, err = _lint(tmp_path, chained_stages(10_000), "--ignore", "SC")
    assert "internal error" not in err and "RecursionError" not in err
    assert rc == 1 and found  # findings, and no error entry
    assert "CD0000" not in codes(found)


def test_large_file_lints(tmp_path: Path) -> None:
    # ~10k instructions of ordinary content: finishes (the time limit of run_codi) without an error
    block = ("RUN apt-get update && apt-get install -y curl\nCOPY app.py /app/\nENV PATH=/app/bin:$PATH\n"
             "RUN chmod 755 /app/app.py && rm -rf /tmp/*\nWORKDIR /app\n")
    text = "FROM debian:12\n" + block * 2000 + 'CMD ["python3", "app.py"]\n'
    rc, found, err = _lint(tmp_path, text, "--ignore", "SC")
    assert rc == 1 and found and "internal error" not in err


def test_many_distinct_env_names_stay_small(tmp_path: Path) -> None:
    # each ENV used to copy the whole environment: 20,000 lines (300 KB) took 5 GB
    text = ("ARG G0=x\n" * 2000 + "FROM alpine:3.20\n" + "".join(f"ENV V{i}=v{i}\n" for i in range(20_000))
            + "RUN echo $V1\nUSER nobody\n")
    rc, found, err = _lint(tmp_path, text, "--ignore", "SC")
    assert "internal error" not in err and "CD0000" not in codes(found)
    assert rc in (0, 1)
