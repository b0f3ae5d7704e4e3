"""Regression tests for the places where CODI's DL rules deliberately differ from hadolint
(found by comparing both tools on the shared corpus; snippets are our own)."""

from __future__ import annotations

from rulekit import lines, run_rule


def test_dl3008_reads_packages_from_a_variable_set_in_the_script() -> None:
    text = "FROM debian:12\nRUN deps=' \\\n\t\tcurl \\\n\t\tgit=1:2.39.5-0+deb12u2 \\\n\t' \\\n\t&& apt-get install -y $deps\n"
    (finding,) = run_rule("DL3008", text)
    assert "(curl)" in finding.message


def test_dl3008_script_variable_set_twice_is_unknown() -> None:
    text = 'FROM debian:12\nRUN d="curl=1"; if x; then d="$d wget"; fi; apt-get install -y $d\n'
    assert lines("DL3008", text) == []


def test_dl3018_assignment_before_set_persists() -> None:
    text = "FROM alpine:3.20\nRUN deps='git make' set -x && apk add --no-cache $deps\n"
    (finding,) = run_rule("DL3018", text)
    assert "git" in finding.message and "make" in finding.message


def test_dl3008_pinned_packages_in_a_script_variable_are_fine() -> None:
    text = "FROM debian:12\nRUN export P='curl=7.88.1-10' && apt-get install -y $P\n"
    assert lines("DL3008", text) == []


def test_dl3009_removal_inside_bash_c_counts() -> None:
    text = 'FROM debian:12\nRUN apt-get update && bash -c "apt-get install -y x && rm -rf /var/lib/apt/lists/*"\n'
    assert lines("DL3009", text) == []


def test_dl3009_update_after_the_removal_is_flagged() -> None:
    text = "FROM debian:12\nRUN apt-get update && rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y x\n"
    assert lines("DL3009", text) == [2]


def test_dl4006_pipe_in_a_for_loop_list() -> None:
    text = "FROM debian:12\nRUN for f in $(ls /x | sort); do echo $f; done\n"
    assert lines("DL4006", text) == [2]
    heredoc = "FROM debian:12\nRUN <<EOF\nset -e\nfor f in $(ls /x | sort); do echo $f; done\nEOF\n"
    assert lines("DL4006", heredoc) == [2]


def test_dl4006_substitution_in_heredoc_data_is_not_a_pipe() -> None:
    text = "FROM debian:12\nRUN cat > /run.sh <<'EOF'\nfor f in $(ls /x | sort); do echo $f; done\nEOF\n"
    assert lines("DL4006", text) == []


def test_dl3025_invalid_json_array_is_shell_form() -> None:
    assert lines("DL3025", 'FROM debian:12\nCMD ["C:\\ServiceMonitor.exe", "w3svc"]\n') == [2]
    assert lines("DL3025", "FROM debian:12\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\n") == []


def test_dl3066_reads_user_variables() -> None:
    assert lines("DL3066", "FROM debian:12\nENV APP_UID=1654\nUSER $APP_UID\n") == []
    assert lines("DL3066", "FROM debian:12\nARG user=jenkins\nUSER ${user}\n") == [3]
    assert lines("DL3066", "FROM debian:12\nARG UID\nUSER $UID\n") == []


def test_dl3062_go_run_of_a_local_file_is_fine() -> None:
    assert lines("DL3062", "FROM golang:1.23\nRUN go run make.go\n") == []


def test_dl3022_copy_from_an_image_with_an_owner_is_fine() -> None:
    assert lines("DL3022", "FROM debian:12\nCOPY --from=docker/buildx-bin /buildx /usr/bin/\n") == []


def test_dl3013_pip_by_quoted_path_and_module() -> None:
    text = 'FROM python:3.12\nRUN "${VENV}/bin/pip" install --no-cache-dir flake8\nRUN python3 -m pip install --no-cache-dir black\n'
    assert lines("DL3013", text) == [2, 3]
