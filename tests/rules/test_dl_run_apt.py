"""apt-get / apt rules: DL3008, DL3009, DL3014, DL3015, DL3027."""

from __future__ import annotations

from rulekit import lines, run_rule

from codi.rules.base import Applicability


def apply_fix(code: str, text: str) -> str:
    """The text after applying the fixes of every finding of ``code``."""
    edits = [e for f in run_rule(code, text) if f.fix for e in f.fix.edits]
    for e in sorted(edits, key=lambda e: -e.start):
        text = text[: e.start] + e.replacement + text[e.end :]
    return text


def test_dl3008_unpinned_package() -> None:
    text = "FROM debian:12\nRUN apt-get update && apt-get install -y curl=7.88 vim\n"
    found = run_rule("DL3008", text)
    assert [f.line for f in found] == [2]
    assert "vim" in found[0].message and "curl" not in found[0].message


def test_dl3008_pinned_release_and_local_deb_are_fine() -> None:
    text = "FROM debian:12\nRUN apt-get install -y curl=7.88 git/bookworm-backports ./x.deb\n"
    assert lines("DL3008", text) == []


def test_dl3008_skips_option_values_and_other_subcommands() -> None:
    text = "FROM debian:12\nRUN apt-get -o Dpkg::Options::=--force-confnew -t bookworm install -y a=1\nRUN apt-get remove -y vim\n"
    assert lines("DL3008", text) == []


def test_dl3008_resolves_packages_from_arg_and_env() -> None:
    pinned = 'FROM debian:12\nARG PKGS="curl=7.88 vim=9"\nRUN apt-get install -y $PKGS\n'
    assert lines("DL3008", pinned) == []
    unpinned = 'FROM debian:12\nENV PKGS="curl vim=9"\nRUN apt-get install -y ${PKGS}\n'
    assert lines("DL3008", unpinned) == [3]


def test_dl3008_version_from_arg_counts_as_pinned() -> None:
    assert lines("DL3008", "FROM debian:12\nARG V\nRUN apt-get install -y curl=${V}\n") == []


def test_dl3008_unknowable_variable_is_not_flagged() -> None:
    text = "FROM debian:12\nARG PKGS\nRUN apt-get install -y $PKGS && apt-get install -y $(cat list)\n"
    assert lines("DL3008", text) == []


def test_dl3008_ignores_apt_get_inside_heredoc_data() -> None:
    text = "FROM debian:12\nRUN cat > /x.sh <<EOF\napt-get install -y vim\nEOF\n"
    assert lines("DL3008", text) == []


def test_dl3008_reads_heredoc_scripts() -> None:
    text = "FROM debian:12\nRUN <<EOF\nset -e\napt-get install -y vim\nEOF\n"
    assert lines("DL3008", text) == [2]


def test_dl3009_update_without_removing_lists() -> None:
    text = "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends a=1\n"
    found = run_rule("DL3009", text)
    assert [f.line for f in found] == [2]
    assert found[0].fix is not None and found[0].fix.applicability is Applicability.SAFE
    assert apply_fix("DL3009", text).endswith("a=1 && rm -rf /var/lib/apt/lists/*\n")


def test_dl3009_lists_removed_or_cached_is_fine() -> None:
    ok = (
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y a=1 && rm -rf /var/lib/apt/lists/*\n"
        "RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y b=1\n"
    )
    assert lines("DL3009", ok) == []


def test_dl3009_removal_before_update_does_not_count() -> None:
    text = "FROM debian:12\nRUN rm -rf /var/lib/apt/lists/* && apt-get update\n"
    assert lines("DL3009", text) == [2]


def test_dl3009_only_stages_that_reach_the_image() -> None:
    text = (
        "FROM debian:12 AS build\nRUN apt-get update\n"
        "FROM debian:12 AS base\nRUN apt-get update\n"
        "FROM base\nCOPY --from=build /x /x\n"
    )
    assert lines("DL3009", text) == [4]


def test_dl3009_fix_across_continuation_lines() -> None:
    text = 'FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y a=1\nCMD ["a"]\n'
    assert apply_fix("DL3009", text) == (
        'FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y a=1 && rm -rf /var/lib/apt/lists/*\nCMD ["a"]\n'
    )


def test_dl3009_no_fix_when_script_ends_in_comment_or_background() -> None:
    text = "FROM debian:12\nRUN apt-get update && sleep 1 &\n"
    found = run_rule("DL3009", text)
    assert [f.line for f in found] == [2] and found[0].fix is None


def test_dl3014_missing_yes_with_fix() -> None:
    text = "FROM debian:12\nRUN apt-get install --no-install-recommends a=1\n"
    assert lines("DL3014", text) == [2]
    assert apply_fix("DL3014", text) == "FROM debian:12\nRUN apt-get install -y --no-install-recommends a=1\n"


def test_dl3014_yes_spellings() -> None:
    for flags in ("-y", "-yq", "--yes", "--assume-yes", "-qq", "-q=2", "-o APT::Get::Assume-Yes=true"):
        text = f"FROM debian:12\nRUN apt-get {flags} install --no-install-recommends a=1\n"
        assert lines("DL3014", text) == [], flags


def test_dl3014_also_upgrade_and_remove_but_not_update() -> None:
    text = "FROM debian:12\nRUN apt-get update\nRUN apt-get upgrade\nRUN apt-get purge vim\n"
    assert lines("DL3014", text) == [3, 4]


def test_dl3015_missing_no_install_recommends() -> None:
    text = "FROM debian:12\nRUN sudo apt-get install -y a=1\n"
    found = run_rule("DL3015", text)
    assert [f.line for f in found] == [2]
    assert found[0].fix is not None and found[0].fix.applicability is Applicability.UNSAFE
    assert (
        apply_fix("DL3015", text)
        == "FROM debian:12\nRUN sudo apt-get install --no-install-recommends -y a=1\n"
    )


def test_dl3015_config_option_counts() -> None:
    text = "FROM debian:12\nRUN apt-get install -y -o APT::Install-Recommends=false a=1\nRUN apt-get update\n"
    assert lines("DL3015", text) == []


def test_dl3027_apt_with_fix() -> None:
    text = "FROM debian:12\nRUN apt update && apt install -y a=1\n"
    found = run_rule("DL3027", text)
    assert [f.line for f in found] == [2]
    assert apply_fix("DL3027", text) == "FROM debian:12\nRUN apt-get update && apt-get install -y a=1\n"


def test_dl3027_no_fix_for_apt_only_subcommands() -> None:
    found = run_rule("DL3027", "FROM debian:12\nRUN apt upgrade -y\n")
    assert len(found) == 1 and found[0].fix is None


def test_dl3027_apt_get_and_apt_cache_are_fine() -> None:
    assert lines("DL3027", "FROM debian:12\nRUN apt-get update && apt-cache policy curl && echo apt\n") == []


def test_run_rules_skip_powershell_stage() -> None:
    text = 'FROM mcr.microsoft.com/powershell\nSHELL ["pwsh", "-c"]\nRUN apt-get install curl\n'
    for code in ("DL3008", "DL3014", "DL3015"):
        assert lines(code, text) == [], code


def test_fix_offsets_with_backtick_escape_crlf_and_flags() -> None:
    backtick = "# escape=`\nFROM debian:12\nRUN apt-get update `\n  && apt-get install -y a=1\n"
    assert apply_fix("DL3009", backtick).endswith(
        "  && apt-get install -y a=1 && rm -rf /var/lib/apt/lists/*\n"
    )
    crlf = "FROM debian:12\r\nRUN --mount=type=cache,target=/x \\\r\n  apt-get install \\\r\n  a=1\r\n"
    assert (
        apply_fix("DL3014", crlf)
        == "FROM debian:12\r\nRUN --mount=type=cache,target=/x \\\r\n  apt-get install -y \\\r\n  a=1\r\n"
    )


def test_no_fix_inside_heredoc_scripts() -> None:
    found = run_rule("DL3014", "FROM debian:12\nRUN <<EOF\napt-get install a=1\nEOF\n")
    assert [f.line for f in found] == [2] and found[0].fix is None
