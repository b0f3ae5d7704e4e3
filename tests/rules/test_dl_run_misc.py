"""Other RUN rules: DL3001, DL3003, DL3004, DL3046, DL3047, DL4001, DL4005, DL4006."""

from __future__ import annotations

import pytest
from rulekit import lines, run_rule


def deb(*runs: str) -> str:
    return "FROM debian:12\n" + "".join(f"RUN {r}\n" for r in runs)


def test_dl3001_pointless_commands() -> None:
    assert lines("DL3001", deb("service nginx start", "ps aux", "ifconfig", "echo vim ssh")) == [2, 3, 4]


def test_dl3001_near_misses() -> None:
    assert lines("DL3001", deb("apt-get install -y ssh=1 vim=2", "ssh-keygen -A", "pkill x")) == []


def test_dl3003_cd() -> None:
    assert lines("DL3003", deb("cd /app && make", "echo cd", "make -C /app")) == [2]


def test_dl3004_sudo() -> None:
    found = run_rule("DL3004", deb("sudo apt-get update", "echo sudo", "env X=1 sudo -u app ls"))
    assert [f.line for f in found] == [2, 4]
    assert found[0].severity.value == "error"


def test_dl3046_useradd_high_uid() -> None:
    text = deb(
        "useradd -u 123456 app", "useradd --uid=99999999 b", "useradd -u99999999 c", "useradd -u 1000 d"
    )
    assert lines("DL3046", text) == [2, 3, 4]


@pytest.mark.parametrize(
    "run",
    [
        "useradd -l -u 123456 app",
        "useradd --no-log-init -u 123456 app",
        "useradd -u 99999 app",
        "useradd app",
    ],
)
def test_dl3046_near_misses(run: str) -> None:
    assert lines("DL3046", deb(run)) == []


def test_dl3046_uid_from_arg() -> None:
    assert lines("DL3046", "FROM debian:12\nARG UID=200000\nRUN useradd -u $UID app\n") == [3]
    assert lines("DL3046", "FROM debian:12\nARG UID\nRUN useradd -u $UID app\n") == []


def test_dl3047_wget_progress_with_fix() -> None:
    text = deb("wget https://example.com/x.tgz")
    found = run_rule("DL3047", text)
    assert [f.line for f in found] == [2] and found[0].fix is not None
    edit = found[0].fix.edits[0]
    fixed = text[: edit.start] + edit.replacement + text[edit.end :]
    assert fixed == deb("wget --progress=dot:giga https://example.com/x.tgz")


@pytest.mark.parametrize("flags", ["-q", "-qO-", "-nv", "--progress=bar:force", "--quiet", "-o /dev/null"])
def test_dl3047_near_misses(flags: str) -> None:
    assert lines("DL3047", deb(f"wget {flags} https://example.com/x")) == []


def test_dl4001_curl_and_wget_in_one_stage() -> None:
    text = (
        deb("curl -fsSLO https://a", "wget -q https://b", "curl -fsSLO https://c")
        + "FROM debian:12\nRUN curl -O https://d\n"
    )
    assert lines("DL4001", text) == [3, 4]


def test_dl4001_near_miss_packages_named_curl_and_wget() -> None:
    assert lines("DL4001", deb("apt-get install -y curl=1 wget=2", "curl -O https://a")) == []


def test_dl4005_ln_bin_sh() -> None:
    text = deb("ln -sf /bin/bash /bin/sh", "ln -s bash /usr/bin/sh", "ln -s /bin/bash /bin/bash2")
    assert lines("DL4005", text) == [2, 3]


def test_dl4006_pipe_without_pipefail() -> None:
    assert lines("DL4006", deb("curl -fsSL https://x | tar -xz", "echo 'a|b'", "a || b")) == [2]


@pytest.mark.parametrize(
    "shell",
    [
        '["/bin/bash", "-o", "pipefail", "-c"]',
        '["/bin/ash", "-eo", "pipefail", "-c"]',
        '["bash", "-euxo", "pipefail", "-c"]',
        '["pwsh", "-Command"]',
        '["cmd", "/S", "/C"]',
    ],
)
def test_dl4006_shells_that_are_fine(shell: str) -> None:
    assert lines("DL4006", f"FROM debian:12\nSHELL {shell}\nRUN a | b\n") == []


def test_dl4006_shell_without_pipefail_and_shell_reset() -> None:
    text = 'FROM debian:12\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN a | b\nSHELL ["/bin/sh", "-c"]\nRUN c | d\n'
    assert lines("DL4006", text) == [5]


def test_dl4006_shell_is_per_stage_and_inherited_from_parent_stage() -> None:
    text = (
        'FROM debian:12 AS base\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
        "FROM base\nRUN a | b\n"
        "FROM debian:12\nRUN c | d\n"
    )
    assert lines("DL4006", text) == [6]


def test_dl4006_set_pipefail_in_the_script_counts() -> None:
    assert lines("DL4006", deb("set -eo pipefail && a | b", "a | b; set -o pipefail")) == [3]


def test_dl4006_heredoc_data_is_not_a_pipe_but_a_heredoc_script_is() -> None:
    data = "FROM debian:12\nRUN cat > /x <<EOF\na | b\nEOF\n"
    script = "FROM debian:12\nRUN <<EOF\na | b\nEOF\n"
    assert lines("DL4006", data) == []
    assert lines("DL4006", script) == [2]


def test_dl4006_pipe_inside_command_substitution() -> None:
    assert lines("DL4006", deb('dst="$(echo "$src" | tr -d 3)"', 'x="$(a || b)"')) == [2]


def test_exec_form_shell_scripts_are_read() -> None:
    assert lines("DL4006", 'FROM debian:12\nRUN ["sh", "-c", "a | b"]\n') == [2]
    assert lines("DL4006", 'FROM debian:12\nRUN ["bash", "-o", "pipefail", "-c", "a | b"]\n') == []
    text = 'FROM debian:12\nRUN ["/bin/sh", "-c", "cd /x && make"]\nRUN ["cd", "/x"]\n'
    assert lines("DL3003", text) == [2, 3]  # exec form without a shell is one command (hadolint: line 3)
